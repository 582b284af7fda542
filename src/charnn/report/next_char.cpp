// The next-character distribution after a prime; see next_char.h.
#include "charnn/report/next_char.h"

#include <algorithm>
#include <cmath>

#include "charnn/error.h"
#include "charnn/nn/inference.h"

namespace charnn {

NextCharDistribution next_char_distribution(const Model& model, const Vocabulary& vocabulary,
                                            std::u32string_view prime) {
  std::vector<int32_t> feed = vocabulary.encode(prime, "prime text");
  if (feed.empty()) {
    const int newline = vocabulary.index_of(U'\n');
    if (newline < 0) throw Error("an empty prime means a line start, but the vocabulary has no newline; give a prime");
    feed.push_back(newline);
  }
  InferenceState state(model, 1);
  const float* logits = nullptr;
  for (int32_t token : feed) logits = state.step(&token);
  const size_t V = static_cast<size_t>(vocabulary.size());
  NextCharDistribution d;
  d.logits.assign(logits, logits + V);
  const double top = *std::max_element(d.logits.begin(), d.logits.end());
  d.probabilities.resize(V);
  double total = 0.0;
  for (size_t v = 0; v < V; ++v) total += d.probabilities[v] = std::exp(static_cast<double>(d.logits[v]) - top);
  for (double& p : d.probabilities) p /= total;
  return d;
}

}  // namespace charnn
