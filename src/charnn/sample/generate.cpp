// Text and item generation on top of InferenceState and Sampler; see generate.h.
#include "charnn/sample/generate.h"

#include "charnn/error.h"
#include "charnn/nn/inference.h"

namespace charnn {

void generate_text(const Model& model, const Vocabulary& vocabulary, Sampler& sampler, std::u32string_view prime,
                   int64_t length, const EmitFn& emit) {
  std::vector<int32_t> feed = vocabulary.encode(prime, "prime text");
  if (feed.empty()) {
    const int newline = vocabulary.index_of(U'\n');
    feed.push_back(newline >= 0 ? newline : static_cast<int32_t>(sampler.rng().below(vocabulary.size())));
  }
  InferenceState state(model, 1);
  const float* logits = nullptr;
  for (int32_t token : feed) logits = state.step(&token);
  for (int64_t i = 0; i < length; ++i) {
    int32_t next = sampler.sample(logits);
    emit(vocabulary.symbol(next));
    if (i + 1 < length) logits = state.step(&next);
  }
}

std::vector<std::u32string> generate_items(const Model& model, const Vocabulary& vocabulary, Sampler& sampler,
                                           std::u32string_view prime, int count, int max_length) {
  const int newline = vocabulary.index_of(U'\n');
  if (newline < 0) throw Error("--items needs a line-structured corpus, but the model's vocabulary has no newline");
  const std::vector<int32_t> prefix = vocabulary.encode(prime, "prime text");
  InferenceState state(model, 1);
  std::vector<std::u32string> items;
  items.reserve(static_cast<size_t>(count));
  for (int n = 0; n < count; ++n) {
    state.reset();
    int32_t token = newline;
    const float* logits = state.step(&token);
    std::u32string item(prime);
    for (int32_t p : prefix) logits = state.step(&p);
    while (static_cast<int>(item.size()) < max_length) {
      token = sampler.sample(logits);
      if (token == newline) break;
      item.push_back(vocabulary.symbol(token));
      logits = state.step(&token);
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace charnn
