// The vocabulary: the distinct code points of a text, sorted by code point.
// Sorting makes the char-to-index map a pure function of the character set, so
// it can never come back in another order; the checkpoint stores it anyway and
// it is never rebuilt from text on reload.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace charnn {

class Vocabulary {
 public:
  Vocabulary() = default;
  // Sorted, distinct code points (as a checkpoint stores them); throws Error otherwise.
  explicit Vocabulary(std::vector<char32_t> symbols);

  static Vocabulary from_text(std::u32string_view text);

  int size() const { return static_cast<int>(symbols_.size()); }
  char32_t symbol(int index) const { return symbols_[static_cast<size_t>(index)]; }
  const std::vector<char32_t>& symbols() const { return symbols_; }

  // Index of a code point, or -1 when it is not in the vocabulary.
  int index_of(char32_t code_point) const;
  bool contains(char32_t code_point) const { return index_of(code_point) >= 0; }

  // Maps text to indices; throws Error naming the first unknown character and its
  // position. `what` names the text in that message ("prime text", a file name).
  std::vector<int32_t> encode(std::u32string_view text, std::string_view what) const;

 private:
  std::vector<char32_t> symbols_;
  std::vector<int32_t> ascii_index_;  // fast path for code points < 128
};

// A printable description of one code point for messages: 'a', '\n', U+00E9 'é'.
std::string describe_code_point(char32_t code_point);

}  // namespace charnn
