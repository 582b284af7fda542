// Vocabulary construction and lookup; see vocabulary.h.
#include "charnn/text/vocabulary.h"

#include <algorithm>

#include <fmt/format.h>

#include "charnn/error.h"
#include "charnn/text/utf8.h"

namespace charnn {

Vocabulary::Vocabulary(std::vector<char32_t> symbols) : symbols_(std::move(symbols)) {
  for (size_t i = 0; i < symbols_.size(); ++i) {
    if (symbols_[i] > 0x10FFFF || (symbols_[i] >= 0xD800 && symbols_[i] <= 0xDFFF)) {
      throw Error(fmt::format("vocabulary entry {} is not a valid code point", i));
    }
    if (i > 0 && symbols_[i - 1] >= symbols_[i]) {
      throw Error("vocabulary is not sorted by code point or has duplicates");
    }
  }
  ascii_index_.assign(128, -1);
  for (size_t i = 0; i < symbols_.size() && symbols_[i] < 128; ++i) {
    ascii_index_[symbols_[i]] = static_cast<int32_t>(i);
  }
}

Vocabulary Vocabulary::from_text(std::u32string_view text) {
  std::vector<char32_t> symbols(text.begin(), text.end());
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  symbols.shrink_to_fit();  // else the vocabulary keeps the text's length as capacity
  return Vocabulary(std::move(symbols));
}

int Vocabulary::index_of(char32_t code_point) const {
  if (code_point < 128) return ascii_index_.empty() ? -1 : ascii_index_[code_point];
  auto it = std::lower_bound(symbols_.begin(), symbols_.end(), code_point);
  if (it == symbols_.end() || *it != code_point) return -1;
  return static_cast<int>(it - symbols_.begin());
}

std::vector<int32_t> Vocabulary::encode(std::u32string_view text, std::string_view what) const {
  std::vector<int32_t> indices(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const int index = index_of(text[i]);
    if (index < 0) {
      throw Error(fmt::format("{}: character {} at position {} is not in the model's vocabulary", what,
                              describe_code_point(text[i]), i));
    }
    indices[i] = index;
  }
  return indices;
}

std::string describe_code_point(char32_t cp) {
  switch (cp) {
    case U'\n': return "'\\n'";
    case U'\r': return "'\\r'";
    case U'\t': return "'\\t'";
    default: break;
  }
  if (cp < 0x20 || cp == 0x7F) return fmt::format("U+{:04X}", static_cast<uint32_t>(cp));
  std::string glyph;
  utf8_append(glyph, cp);
  if (cp < 0x80) return fmt::format("'{}'", glyph);
  return fmt::format("U+{:04X} '{}'", static_cast<uint32_t>(cp), glyph);
}

}  // namespace charnn
