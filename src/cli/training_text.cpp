// Locating and verifying a checkpoint's training text; see training_text.h.
#include "cli/training_text.h"

#include <filesystem>

#include <fmt/format.h>

#include "charnn/error.h"
#include "charnn/io/sha256.h"
#include "charnn/text/utf8.h"
#include "charnn/train/presets.h"

namespace charnn::cli {

TrainingText load_training_text(const TrainConfig& train, const std::string& train_text_flag,
                                const std::string& needed_by) {
  std::string path = train_text_flag;
  if (path.empty()) {
    path = train.text_path;
    if (!train.preset.empty() && !std::filesystem::exists(path)) {
      path = locate_preset_corpus(find_preset(train.preset), "");
    } else if (!std::filesystem::is_regular_file(path)) {
      throw Error(
          fmt::format("{} needs the text the model was trained on, but {} (the path the checkpoint recorded) "
                      "is not a readable file; give it with --train-text FILE",
                      needed_by, path));
    }
  }
  const std::string bytes = read_file_bytes(path);
  if (train.text_sha256.empty()) {
    throw Error(fmt::format("{}: the checkpoint records no SHA-256 of its training text, so {} cannot verify it", path,
                            needed_by));
  }
  if (sha256_hex(bytes) != train.text_sha256) {
    throw Error(
        fmt::format("{}: not the text this model was trained on (SHA-256 mismatch); {} needs the original, "
                    "give it with --train-text FILE",
                    path, needed_by));
  }
  return {path, utf8_decode(bytes, path)};
}

}  // namespace charnn::cli
