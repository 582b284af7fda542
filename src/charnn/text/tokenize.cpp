// The two passes from UTF-8 to tokens; see tokenize.h.
#include "charnn/text/tokenize.h"

#include <array>

#include <fmt/format.h>

#include "charnn/error.h"
#include "charnn/text/utf8.h"

namespace charnn {

namespace {
constexpr size_t kCodePointLimit = 0x110000;
}  // namespace

CodePointScan::CodePointScan() : seen_(kCodePointLimit / 64, 0) {}

void CodePointScan::add(std::string_view piece, uint64_t first_byte, std::string_view source_name) {
  for (size_t i = 0; i < piece.size();) {
    const char32_t cp = utf8_next(piece, i, source_name, first_byte);
    seen_[cp / 64] |= uint64_t{1} << (cp % 64);
    ++characters_;
  }
}

Vocabulary CodePointScan::vocabulary() const {
  std::vector<char32_t> symbols;
  for (size_t word = 0; word < seen_.size(); ++word) {
    for (uint64_t bits = seen_[word]; bits != 0; bits &= bits - 1) {
      symbols.push_back(static_cast<char32_t>(word * 64 + static_cast<size_t>(__builtin_ctzll(bits))));
    }
  }
  return Vocabulary(std::move(symbols));
}

void append_tokens(TokenText& tokens, std::string_view piece, uint64_t first_byte, const Vocabulary& vocabulary,
                   std::string_view source_name) {
  // Indices go through a small buffer, so the width switch is per block.
  std::array<int32_t, 4096> block{};
  size_t filled = 0;
  for (size_t i = 0; i < piece.size();) {
    const char32_t cp = utf8_next(piece, i, source_name, first_byte);
    const int index = vocabulary.index_of(cp);
    if (index < 0) {
      throw Error(fmt::format("{}: character {} at position {} is not in the model's vocabulary", source_name,
                              describe_code_point(cp), tokens.size() + filled));
    }
    block[filled++] = index;
    if (filled == block.size()) {
      tokens.append(block);
      filled = 0;
    }
  }
  tokens.append(std::span<const int32_t>(block.data(), filled));
}

int64_t count_utf8_characters(std::string_view bytes) {
  int64_t count = 0;
  for (const char byte : bytes) count += (static_cast<unsigned char>(byte) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

}  // namespace charnn
