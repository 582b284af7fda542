// The training loop: epochs of shuffled minibatches, forward, backward,
// clipping, optimizer step; validation at each epoch end; checkpoints every N
// steps and at epoch ends with rotation; a stop request honoured between steps;
// a divergence guard that skips non-finite steps and rolls back when they repeat.
// It reads tokens already encoded by the vocabulary (a TokenText, one byte per
// character for V <= 256); files are the run directory's.
// Data-parallel over a Collective: each rank takes a contiguous slice of every
// global batch and the gradients are summed across ranks once a step, so every
// rank takes the same optimizer step; rank 0 alone writes files and reports.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "charnn/data/windows.h"
#include "charnn/io/checkpoint.h"
#include "charnn/io/run_directory.h"
#include "charnn/nn/model.h"
#include "charnn/text/token_text.h"
#include "charnn/text/vocabulary.h"
#include "charnn/train/collective.h"
#include "charnn/train/evaluate.h"
#include "charnn/train/optimizer.h"
#include "charnn/train/train_config.h"

namespace charnn {

struct EpochReport {
  EpochRecord record;
  int64_t epochs = 0;            // planned
  bool improved = false;         // a new best validation loss (best checkpoint written)
  bool overfitting = false;      // validation rose while training loss fell
  int64_t epochs_since_best = 0; // epochs without a new best validation loss
};

// Where the current epoch stands, after each step (for a live progress line).
struct StepReport {
  int64_t epoch = 0;
  int64_t batch = 0;            // batches done in this epoch
  int64_t batches = 0;          // in this epoch
  double train_loss = 0.0;      // mean over the epoch so far
  double chars_per_second = 0.0;
};

struct TrainerOptions {
  int64_t checkpoint_every = 0;  // steps between mid-epoch checkpoints; 0 = at epoch ends only
  int keep = 3;                  // numbered checkpoints kept besides best
  int max_bad_steps = 3;         // consecutive non-finite steps before a rollback
  int max_rollbacks = 5;         // then training stops with an error
  const std::atomic<int>* stop = nullptr;  // non-zero: checkpoint and stop after the current step
  std::function<void(const EpochReport&)> on_epoch;
  std::function<void(const StepReport&)> on_step;
  std::function<void(const std::string&)> on_notice;  // warnings and notes, one line each
  std::set<int64_t> inject_non_finite_steps;          // failure injection for tests: poison these steps' loss once
  // The ranks of a data-parallel run (nullptr: this process alone). Every rank
  // builds its Trainer from the same configuration and checkpoint; the
  // callbacks above are called on rank 0 only, and an Error from run() is
  // thrown on every rank alike.
  Collective* collective = nullptr;
};

enum class RunOutcome { completed, stopped, early_stopped };

class Trainer {
 public:
  // A fresh run: initialises the model from the seed.
  Trainer(const TrainConfig& train, const ModelConfig& model, Vocabulary vocabulary, TokenText tokens,
          std::string out_dir, TrainerOptions options = {});
  // Continues a run from a checkpoint's weights, optimizer state and progress.
  Trainer(const Checkpoint& checkpoint, TokenText tokens, std::string out_dir, TrainerOptions options = {});

  // Trains until the configured number of epochs, or until a stop request.
  RunOutcome run();

  const Model& model() const { return model_; }
  const TrainConfig& config() const { return config_; }
  const TrainProgress& progress() const { return progress_; }
  int64_t train_windows() const { return train_window_count_; }
  const std::vector<int64_t>& validation_windows() const { return validation_windows_; }
  void set_epochs(int epochs) { config_.epochs = epochs; }

 private:
  enum class EpochsOutcome { completed, stopped, diverged };
  void prepare();
  EpochsOutcome run_epochs();
  bool train_step(std::span<const int64_t> batch);  // false when the step was skipped as non-finite
  LossTotals validate();
  bool stop_requested_on_any_rank();
  void check_replicas_agree();
  void finish_epoch(int64_t epoch);
  void write_metrics() const;
  void save(bool best);
  void restore(const Checkpoint& checkpoint);
  void roll_back();
  void notice(const std::string& line) const;
  Collective& world() { return options_.collective != nullptr ? *options_.collective : single_process_; }
  bool speaks() const { return options_.collective == nullptr || options_.collective->rank() == 0; }

  TrainConfig config_;
  Vocabulary vocabulary_;
  TokenText tokens_;
  RunDirectory run_dir_;
  TrainerOptions options_;
  Model model_;
  Optimizer optimizer_;
  TrainProgress progress_;
  int64_t window_count_ = 0;
  int64_t train_window_count_ = 0;
  std::vector<int64_t> validation_windows_;  // ascending
  // The current epoch's order of the train windows; rebuilt from the
  // validation windows each epoch, so the sorted train list is not kept too.
  std::vector<int64_t> epoch_order_;
  SingleProcess single_process_;
  std::unique_ptr<TrainingWorkspace> workspace_;  // for this rank's share of a batch
  std::vector<float> grads_;               // the flat layout; summed over ranks
  std::vector<int32_t> inputs_, targets_;  // (T, B) for this rank's share of B
  int consecutive_bad_steps_ = 0;
  bool stop_agreed_ = false;  // some rank was asked to stop by the last step's end
};

}  // namespace charnn
