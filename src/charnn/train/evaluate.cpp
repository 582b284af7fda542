// Cross-entropy over windows or a whole text; see evaluate.h.
#include "charnn/train/evaluate.h"

#include <algorithm>
#include <vector>

#include "charnn/data/batcher.h"
#include "charnn/data/windows.h"
#include "charnn/error.h"

namespace charnn {

LossTotals evaluate_windows(const Model& model, TrainingWorkspace& ws, const TokenText& tokens,
                            std::span<const int64_t> windows, int seq_length) {
  LossTotals totals;
  const size_t batch = static_cast<size_t>(ws.max_B());
  std::vector<int32_t> inputs(static_cast<size_t>(seq_length) * batch), targets(inputs.size());
  for (size_t first = 0; first < windows.size(); first += batch) {
    const auto chunk = windows.subspan(first, std::min(batch, windows.size() - first));
    const int B = static_cast<int>(chunk.size());
    fill_batch(inputs.data(), targets.data(), tokens, chunk, seq_length);
    totals.nats += model_forward(ws, model, inputs.data(), targets.data(), seq_length, B, false);
    totals.predictions += static_cast<int64_t>(seq_length) * B;
  }
  return totals;
}

LossTotals evaluate_text(const Model& model, const TokenText& tokens, int seq_length, int batch_size) {
  if (tokens.size() < 2) throw Error("text to evaluate needs at least two characters");
  const int64_t whole = count_windows(static_cast<int64_t>(tokens.size()), seq_length);
  const int batch = static_cast<int>(std::clamp<int64_t>(whole, 1, batch_size));
  TrainingWorkspace ws(model.config, seq_length, batch);
  std::vector<int64_t> windows(static_cast<size_t>(whole));
  for (int64_t w = 0; w < whole; ++w) windows[static_cast<size_t>(w)] = w;
  LossTotals totals = evaluate_windows(model, ws, tokens, windows, seq_length);
  // The final partial window: the characters after the last whole window.
  const int64_t start = whole * seq_length;
  const int64_t rest = static_cast<int64_t>(tokens.size()) - 1 - start;
  if (rest > 0) {
    const auto T = static_cast<int>(rest);
    std::vector<int32_t> last(static_cast<size_t>(rest) + 1);  // inputs, then shifted by one the targets
    tokens.copy_out(static_cast<size_t>(start), last.size(), last.data());
    totals.nats += model_forward(ws, model, last.data(), last.data() + 1, T, 1, false);
    totals.predictions += rest;
  }
  return totals;
}

}  // namespace charnn
