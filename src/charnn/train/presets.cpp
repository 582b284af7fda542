// Preset table and corpus lookup with checksum verification; see presets.h.
#include "charnn/train/presets.h"

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "charnn/error.h"
#include "charnn/io/sha256.h"
#include "charnn/text/utf8.h"

namespace charnn {

const std::vector<Preset>& presets() {
  static const std::vector<Preset> table = {
      {"municipios", "municipios.txt", "44c6e6c942fdc1c72ff5e4ddd54ebeb6695fa540d262d23f0cc65a42bcbd3d80",
       "the nom_mun column of municipios.csv in github.com/esparta/datos_inegi (INEGI catalog, January 2014)", 1,
       250, {0.3f}, 25, 32, 100, OptimizerKind::rmsprop},
      {"grimm", "grimm-body.txt", "98ef81211ff74fa093866f34af85e2b69bbf0b4384cdacf58246db14b5284f5a",
       "Project Gutenberg eBook #2591 (gutenberg.org/ebooks/2591), tales only, BOM dropped, LF line endings", 3, 700,
       {0.3f, 0.0f, 0.0f}, 50, 32, 65, OptimizerKind::rmsprop},
  };
  return table;
}

const Preset& find_preset(const std::string& name) {
  std::vector<std::string> names;
  for (const Preset& p : presets()) {
    if (p.name == name) return p;
    names.push_back(p.name);
  }
  throw Error(fmt::format("unknown preset '{}' (known: {})", name, fmt::join(names, ", ")));
}

std::string locate_preset_corpus(const Preset& preset, const std::string& data_dir_flag) {
  std::vector<std::string> candidates;
  if (!data_dir_flag.empty()) {
    candidates.push_back(data_dir_flag);
  } else {
    if (const char* env = std::getenv("CHARNN_DATA"); env != nullptr && *env != '\0') candidates.emplace_back(env);
    candidates.push_back((std::filesystem::path(CHARNN_SOURCE_DIR) / ".." / "shared" / "data").lexically_normal());
    candidates.emplace_back("../shared/data");
  }
  for (const std::string& dir : candidates) {
    const std::string path = (std::filesystem::path(dir) / preset.file).string();
    if (!std::filesystem::is_regular_file(path)) continue;
    const std::string digest = sha256_hex(read_file_bytes(path));
    if (digest != preset.sha256) {
      throw Error(fmt::format("{}: SHA-256 {} does not match the {} preset's {}; the file differs from the reference "
                              "corpus (use --text to train on it anyway)",
                              path, digest, preset.name, preset.sha256));
    }
    return path;
  }
  throw Error(fmt::format("{} not found (looked in {}); pass --data-dir or set CHARNN_DATA. The original is {}",
                          preset.file, fmt::join(candidates, ", "), preset.origin));
}

}  // namespace charnn
