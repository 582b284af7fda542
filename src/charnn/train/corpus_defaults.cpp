// The default-size rule; see corpus_defaults.h.
#include "charnn/train/corpus_defaults.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace charnn {

CorpusDefaults defaults_for_corpus(int64_t characters, int vocab_size) {
  CorpusDefaults d{};
  const double n = static_cast<double>(std::max<int64_t>(characters, 1));
  const double V = vocab_size;
  // Depth grows slowly with data. Parameters as a function of H for L layers:
  // layer 0 has 4H(V + H + 2), each further layer 4H(2H + 2), the output V(H + 1);
  // solve a H^2 + b H + c = n for the positive root.
  d.layers = n < 100e3 ? 1 : (n < 5e6 ? 2 : 3);
  const double a = 4.0 + 8.0 * (d.layers - 1);
  const double b = 5.0 * V + 8.0 + 8.0 * (d.layers - 1);
  // Parameter budget: sqrt(300,000 N) within N .. 4N. Large corpora get about
  // one parameter per character; small ones more (municipios, 35,547
  // characters: 1 x 64 at one per character scored 1.900 nats, 1 x 128 at
  // three per character 1.781, close to the best of any size; docs/experiments.md).
  const double budget = std::clamp(std::sqrt(300e3 * n), n, 4.0 * n);
  const double c = V - budget;
  const double hidden = (-b + std::sqrt(b * b - 4.0 * a * c)) / (2.0 * a);
  d.hidden = std::clamp(static_cast<int>(std::lround(hidden / 16.0)) * 16, 32, 1024);
  d.dropout = 0.2f;
  // About 20M characters of training, within 10..100 epochs; early stopping
  // ends it sooner once validation stops improving (municipios: epoch 58).
  d.epochs = std::clamp(static_cast<int>(std::ceil(20e6 / n)), 10, 100);
  d.patience = 5;
  d.reason = fmt::format("sized for {} characters: {} x LSTM {}, dropout {}, up to {} epochs, patience {} "
                         "(sqrt(300,000 x characters) parameters, within 1 to 4 per character; any flag overrides)",
                         characters, d.layers, d.hidden, d.dropout, d.epochs, d.patience);
  return d;
}

}  // namespace charnn
