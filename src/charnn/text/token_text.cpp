// Width-compact token storage; see token_text.h.
#include "charnn/text/token_text.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace charnn {

namespace {

template <class Stored>
void append_as(std::vector<Stored>& stored, std::span<const int32_t> indices) {
  for (const int32_t index : indices) {
    assert(index >= 0 && static_cast<int64_t>(index) <= static_cast<int64_t>(std::numeric_limits<Stored>::max()));
    stored.push_back(static_cast<Stored>(index));
  }
}

}  // namespace

int TokenText::width_for(int vocab_size) {
  if (vocab_size <= 256) return 1;
  if (vocab_size <= 65536) return 2;
  return 4;
}

TokenText::TokenText(int vocab_size) : width_(width_for(vocab_size)) {}

TokenText::TokenText(const std::vector<int32_t>& indices) {
  const int32_t largest = indices.empty() ? 0 : *std::max_element(indices.begin(), indices.end());
  width_ = width_for(largest + 1);
  reserve(indices.size());
  append(indices);
}

void TokenText::copy_out(size_t first, size_t count, int32_t* out) const {
  assert(first + count <= size_);
  visit([&](const auto* tokens) { std::copy(tokens + first, tokens + first + count, out); });
}

void TokenText::reserve(size_t count) {
  switch (width_) {
    case 1: narrow_.reserve(count); break;
    case 2: medium_.reserve(count); break;
    default: wide_.reserve(count); break;
  }
}

void TokenText::append(std::span<const int32_t> indices) {
  switch (width_) {
    case 1: append_as(narrow_, indices); break;
    case 2: append_as(medium_, indices); break;
    default: append_as(wide_, indices); break;
  }
  size_ += indices.size();
}

}  // namespace charnn
