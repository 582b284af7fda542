// Text and item generation on top of InferenceState and Sampler; see generate.h.
#include "charnn/sample/generate.h"

#include <algorithm>
#include <unordered_set>

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
  sampler.restart();
  const float* logits = nullptr;
  for (int32_t token : feed) logits = state.step(&token);
  for (int64_t i = 0; i < length; ++i) {
    int32_t next = sampler.sample(logits);
    emit(vocabulary.symbol(next));
    if (i + 1 < length) logits = state.step(&next);
  }
}

namespace {

// One item into `item` (cleared first, capacity kept); returns whether it hit max_length.
bool draw_item(InferenceState& state, Sampler& sampler, const Vocabulary& vocabulary, int32_t newline,
               std::u32string_view prime, const std::vector<int32_t>& prefix, int max_length, std::u32string& item) {
  state.reset();
  sampler.restart();
  int32_t token = newline;
  const float* logits = state.step(&token);
  for (int32_t p : prefix) logits = state.step(&p);
  item.assign(prime);
  while (static_cast<int>(item.size()) < max_length) {
    token = sampler.sample(logits);
    if (token == newline) return false;
    item.push_back(vocabulary.symbol(token));
    logits = state.step(&token);
  }
  return true;
}

}  // namespace

ItemBatch generate_items(const Model& model, const Vocabulary& vocabulary, Sampler& sampler, std::u32string_view prime,
                         const ItemRequest& request) {
  const int newline = vocabulary.index_of(U'\n');
  if (newline < 0) throw Error("--items needs a line-structured corpus, but the model's vocabulary has no newline");
  const std::vector<int32_t> prefix = vocabulary.encode(prime, "prime text");
  const int64_t budget = request.max_attempts > 0 ? request.max_attempts : 100 * static_cast<int64_t>(request.count);
  InferenceState state(model, 1);
  ItemBatch batch;
  batch.items.reserve(static_cast<size_t>(request.count));
  std::unordered_set<std::u32string> accepted;
  std::u32string item;
  item.reserve(static_cast<size_t>(std::max<int64_t>(request.max_length, static_cast<int64_t>(prime.size()))));
  while (static_cast<int>(batch.items.size()) < request.count && batch.attempts < budget) {
    ++batch.attempts;
    const bool cut = draw_item(state, sampler, vocabulary, newline, prime, prefix, request.max_length, item);
    // A newline straight after the prime is an empty line, not an item.
    if (item.size() == prime.size()) {
      ++batch.rejected_empty;
      continue;
    }
    if (request.novel != nullptr && request.novel->contains(item)) {
      ++batch.rejected_copies;
      continue;
    }
    if (request.unique && !accepted.insert(item).second) {
      ++batch.rejected_duplicates;
      continue;
    }
    batch.items.push_back({item, cut});
  }
  return batch;
}

}  // namespace charnn
