// The named experiments (municipios, grimm): their model and training settings
// and where their corpora are found and how they are verified.
#pragma once

#include <string>
#include <vector>

#include "charnn/train/optimizer.h"

namespace charnn {

struct Preset {
  std::string name;
  std::string file;    // corpus file name in the data directory
  std::string sha256;  // as listed in shared/data/README.md
  std::string origin;  // where the public original lives
  int layers;
  int hidden;
  std::vector<float> dropout;
  int seq_length;
  int batch_size;
  int epochs;
  OptimizerKind optimizer;
};

const std::vector<Preset>& presets();
// Throws Error listing the known presets when the name is unknown.
const Preset& find_preset(const std::string& name);

// Finds the preset's corpus: --data-dir, then $CHARNN_DATA, then ../shared/data
// beside the repository (and beside the working directory). Verifies its
// SHA-256. Throws Error saying where it looked and where the original is.
std::string locate_preset_corpus(const Preset& preset, const std::string& data_dir_flag);

}  // namespace charnn
