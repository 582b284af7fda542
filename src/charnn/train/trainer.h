// The training loop: epochs of shuffled minibatches, forward, backward,
// clipping, optimizer step; validation and checkpoints at each epoch end.
// It reads tokens already encoded by the vocabulary and knows nothing of files
// except the run directory its checkpoints go to.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "charnn/data/windows.h"
#include "charnn/io/checkpoint.h"
#include "charnn/nn/model.h"
#include "charnn/text/vocabulary.h"
#include "charnn/train/optimizer.h"
#include "charnn/train/train_config.h"

namespace charnn {

struct EpochReport {
  EpochRecord record;
  int64_t epochs = 0;           // planned
  bool improved = false;        // a new best validation loss (best checkpoint written)
  bool overfitting = false;     // validation rose while training loss fell
  std::string checkpoint_warning;  // non-empty when a checkpoint could not be written
};

using EpochCallback = std::function<void(const EpochReport&)>;

class Trainer {
 public:
  // A fresh run: initialises the model from the seed.
  Trainer(const TrainConfig& train, const ModelConfig& model, Vocabulary vocabulary, std::vector<int32_t> tokens,
          std::string out_dir);
  // Continues a run from a checkpoint's weights, optimizer state and progress.
  Trainer(const Checkpoint& checkpoint, std::vector<int32_t> tokens, std::string out_dir);

  // Trains until the configured number of epochs; calls on_epoch after each.
  void run(const EpochCallback& on_epoch);

  const Model& model() const { return model_; }
  const TrainProgress& progress() const { return progress_; }
  const WindowSplit& split() const { return split_; }

 private:
  void prepare();
  double train_step(std::span<const int64_t> windows);  // returns summed loss (nats)
  void save(const std::string& name, std::string& warning) const;

  TrainConfig config_;
  Vocabulary vocabulary_;
  std::vector<int32_t> tokens_;
  std::string out_dir_;
  Model model_;
  Optimizer optimizer_;
  TrainProgress progress_;
  WindowSplit split_;
  std::unique_ptr<TrainingWorkspace> workspace_;
  std::vector<float> grads_;
  std::vector<int32_t> inputs_, targets_;  // (T, B)
};

}  // namespace charnn
