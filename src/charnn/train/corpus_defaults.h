// Sensible model size and schedule for a new corpus when the user gives none:
// on the order of one parameter per training character (up to four for small
// corpora), rather than the 10M-parameter network that memorises a
// 0.5M-character text. docs/usage.md states the rule.
#pragma once

#include <cstdint>
#include <string>

#include "charnn/nn/model_config.h"
#include "charnn/train/train_config.h"

namespace charnn {

struct CorpusDefaults {
  int layers;
  int hidden;
  float dropout;  // after every layer
  int epochs;
  int patience;
  std::string reason;  // one line for the user
};

CorpusDefaults defaults_for_corpus(int64_t characters, int vocab_size);

}  // namespace charnn
