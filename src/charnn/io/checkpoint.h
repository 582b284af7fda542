// A charnn checkpoint: one safetensors file holding the weights under PyTorch's
// nn.LSTM + nn.Linear names, the optimizer state, and in __metadata__ the format
// name and version, the vocabulary, model and training configuration, progress
// and a SHA-256 checksum over the whole file. docs/checkpoint.md specifies it.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "charnn/nn/model.h"
#include "charnn/text/vocabulary.h"
#include "charnn/train/train_config.h"

namespace charnn {

inline constexpr const char* kCheckpointFormat = "charnn-checkpoint";
inline constexpr int kCheckpointVersion = 1;

struct CheckpointMeta {
  ModelConfig model;
  Vocabulary vocabulary;
  TrainConfig train;
  TrainProgress progress;
  int64_t optimizer_steps = 0;
};

struct Checkpoint {
  CheckpointMeta meta;
  std::vector<float> params;            // the model's flat layout
  std::vector<float> optimizer_first;   // empty for RMSprop
  std::vector<float> optimizer_second;  // empty when the file has no optimizer state
};

// Serialises and writes atomically (see atomic_file.h); throws Error on failure,
// leaving any previous file at `path` intact.
void save_checkpoint(const std::string& path, const CheckpointMeta& meta, std::span<const float> params,
                     std::span<const float> optimizer_first, std::span<const float> optimizer_second);

// Reads and fully verifies a checkpoint: format, version, checksum, shapes
// against the metadata, finite weights. Throws Error naming the file otherwise.
Checkpoint load_checkpoint(const std::string& path);

// The serialised bytes, for tests that corrupt them.
std::string serialize_checkpoint(const CheckpointMeta& meta, std::span<const float> params,
                                 std::span<const float> optimizer_first, std::span<const float> optimizer_second);
Checkpoint parse_checkpoint(std::string bytes, const std::string& source);
// Recomputes the checksum of serialised checkpoint bytes in place, for tests
// that build a file whose metadata and tensors disagree.
void seal_checkpoint_checksum(std::string& bytes, const std::string& old_digest);

}  // namespace charnn

namespace charnn {

// A checkpoint file, or a run directory (its best.safetensors, else last.safetensors).
std::string resolve_checkpoint_path(const std::string& file_or_directory);

// The model (configuration and weights) of a checkpoint.
Model model_from_checkpoint(const Checkpoint& checkpoint);

}  // namespace charnn
