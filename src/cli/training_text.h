// Finding the text a checkpoint was trained on, for `sample --novel`,
// `sample --report` and `novelty`: --train-text when given, else the path the
// checkpoint recorded (for a preset whose recorded path is gone, the preset
// corpus lookup of `train`), verified against the SHA-256 it recorded.
#pragma once

#include <string>

#include "charnn/train/train_config.h"

namespace charnn::cli {

struct TrainingText {
  std::string path;
  std::u32string text;
};

// Throws Error naming the path, what needs it (`needed_by`, e.g. "--novel") and
// --train-text when the file is missing or is not the text the model learned.
TrainingText load_training_text(const TrainConfig& train, const std::string& train_text_flag,
                                const std::string& needed_by);

}  // namespace charnn::cli
