// Measuring a model's cross-entropy on text, dropout off: over chosen whole
// windows (validation during training) or over a whole text read as
// consecutive windows from a zero state (charnn eval).
#pragma once

#include <cmath>
#include <cstdint>
#include <span>

#include "charnn/nn/model.h"
#include "charnn/text/token_text.h"

namespace charnn {

struct LossTotals {
  double nats = 0.0;        // summed cross-entropy
  int64_t predictions = 0;  // characters scored
  double mean() const { return predictions > 0 ? nats / static_cast<double>(predictions) : NAN; }
  double bits_per_char() const { return mean() / std::log(2.0); }
};

// Whole windows (indices as in windows.h), up to ws.max_B() per forward pass.
LossTotals evaluate_windows(const Model& model, TrainingWorkspace& ws, const TokenText& tokens,
                            std::span<const int64_t> windows, int seq_length);

// The text as consecutive windows of seq_length, each from a zero state, the
// last one possibly shorter: every character after the first is scored once.
// Throws Error when the text has fewer than two characters.
LossTotals evaluate_text(const Model& model, const TokenText& tokens, int seq_length, int batch_size);

}  // namespace charnn
