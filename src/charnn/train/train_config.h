// How a run trains (TrainConfig) and how far it has come (TrainProgress).
// Both travel in the checkpoint as JSON, so a run can be inspected and resumed.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "charnn/nn/precision.h"
#include "charnn/train/optimizer.h"

namespace charnn {

struct TrainConfig {
  std::string preset;     // empty when trained from --text
  std::string text_path;  // the corpus, as given
  std::string text_sha256;
  int seq_length = 25;    // T
  int batch_size = 32;    // B
  int epochs = 100;
  OptimizerConfig optimizer;
  double clip_norm = 5.0;
  uint64_t seed = 1;
  double validation_fraction = 0.05;
  int patience = 0;            // stop after this many epochs without a new best validation loss; 0 = never
  float lr_decay = 1.0f;       // multiply the learning rate by this at the end of each epoch...
  int lr_decay_after = 0;      // ...once this many epochs are done
  Precision precision = Precision::f32;  // of the training products; weights and checkpoints stay f32

  // Throws Error with an actionable message when a field is out of range.
  void validate() const;
};

struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  double train_loss = 0.0;
  double validation_loss = 0.0;  // NaN without a validation set
  double chars_per_second = 0.0;
  double seconds = 0.0;          // training time of this epoch
  int64_t step = 0;              // optimizer steps at the epoch's end
  double learning_rate = 0.0;    // during the epoch
  double elapsed = 0.0;          // training seconds since the run began
};

struct TrainProgress {
  int64_t epochs_done = 0;      // whole epochs completed
  int64_t step = 0;             // optimizer steps taken
  int64_t batch_in_epoch = 0;   // batches of the current epoch already taken
  double best_validation_loss = std::numeric_limits<double>::infinity();
  int64_t best_epoch = 0;       // 0 = none yet
  bool early_stopped = false;   // patience ran out
  std::vector<EpochRecord> history;
  // The current epoch so far, so a resumed epoch reports the same loss.
  double epoch_nats = 0.0;
  int64_t epoch_predictions = 0;
  double epoch_seconds = 0.0;
  // Divergence guard bookkeeping.
  int64_t skipped_steps = 0;   // steps whose loss or gradient was not finite
  int64_t rollbacks = 0;       // returns to a checkpoint with a halved learning rate
};

nlohmann::json train_config_to_json(const TrainConfig& config);
TrainConfig train_config_from_json(const nlohmann::json& json);
nlohmann::json train_progress_to_json(const TrainProgress& progress);
TrainProgress train_progress_from_json(const nlohmann::json& json);

}  // namespace charnn
