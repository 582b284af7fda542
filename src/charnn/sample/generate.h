// Generating text from a trained model: a stream of characters after a prime
// text, or newline-terminated items (one name per line) each begun from a line
// start, optionally only items not seen before and not in the training text.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "charnn/nn/model.h"
#include "charnn/sample/novelty.h"
#include "charnn/sample/sampler.h"
#include "charnn/text/vocabulary.h"

namespace charnn {

using EmitFn = std::function<void(char32_t)>;

// Feeds the prime (every character must be in the vocabulary, else Error), then
// draws `length` characters, calling emit for each drawn one. An empty prime
// starts from a line start when the vocabulary has '\n', else from a random symbol.
void generate_text(const Model& model, const Vocabulary& vocabulary, Sampler& sampler, std::u32string_view prime,
                   int64_t length, const EmitFn& emit);

struct ItemRequest {
  int count = 0;
  int max_length = 200;                  // characters, the prime included
  bool unique = false;                   // draw again instead of repeating an item
  const TrainingLines* novel = nullptr;  // when set, draw again instead of copying one of its lines
  int64_t max_attempts = 0;              // items drawn before giving up; 0 = 100 per requested item
};

struct GeneratedItem {
  std::u32string text;
  bool cut_at_max_length = false;  // ended at max_length, not at a drawn '\n'
};

struct ItemBatch {
  std::vector<GeneratedItem> items;  // fewer than requested when the attempts ran out
  int64_t attempts = 0;              // items drawn, the rejected ones included
  int64_t rejected_duplicates = 0;
  int64_t rejected_copies = 0;
  int64_t rejected_empty = 0;        // a newline drawn first: drawn again
  int64_t loop_guard_interventions = 0;  // summed over the streams' samplers
};

// Streams item generation runs side by side: one batched model step serves
// them all, several times faster per character than one stream. Fixed, so the
// items for a seed do not depend on the count asked for or the thread count.
constexpr int kItemStreams = 64;

// Draws items, each from a fresh model state and a fresh sampler history, fed
// '\n' then the prime (which starts every item), ending at '\n' or after
// max_length characters. kItemStreams streams draw at once, stream s with the
// sampler for (sampling.seed, s); items are taken in a fixed order that does
// not favour short ones (every stream's first item by stream, then every
// second item, ...), so asking for more items only adds to the list.
// Rejected items (duplicates with `unique`, training lines with `novel`) are
// drawn again, at most max_attempts draws in all. Throws Error when the
// vocabulary has no '\n' (the corpus is not line-structured).
ItemBatch generate_items(const Model& model, const Vocabulary& vocabulary, const SamplingOptions& sampling,
                         std::u32string_view prime, const ItemRequest& request);

}  // namespace charnn
