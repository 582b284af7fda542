// Generating text from a trained model: a stream of characters after a prime
// text, or newline-terminated items (one name per line) each begun from a line
// start. Characters go to a callback as they are drawn.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "charnn/nn/model.h"
#include "charnn/sample/sampler.h"
#include "charnn/text/vocabulary.h"

namespace charnn {

using EmitFn = std::function<void(char32_t)>;

// Feeds the prime (every character must be in the vocabulary, else Error), then
// draws `length` characters, calling emit for each drawn one. An empty prime
// starts from a line start when the vocabulary has '\n', else from a random symbol.
void generate_text(const Model& model, const Vocabulary& vocabulary, Sampler& sampler, std::u32string_view prime,
                   int64_t length, const EmitFn& emit);

// Draws `count` items, each from a fresh state fed '\n' then the prime (which
// starts every item), ending at '\n' or after max_length characters. Throws
// Error when the vocabulary has no '\n' (the corpus is not line-structured).
std::vector<std::u32string> generate_items(const Model& model, const Vocabulary& vocabulary, Sampler& sampler,
                                           std::u32string_view prime, int count, int max_length);

}  // namespace charnn
