// Strict UTF-8 decoding and encoding of Unicode code points.
// Decoding rejects overlong forms, surrogates, code points above U+10FFFF and
// truncated sequences, naming the source and byte offset. A leading BOM is kept
// as a character (U+FEFF): the text is learned as it is, not silently edited.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace charnn {

// Decodes the multi-byte sequence that starts at bytes[at] and moves `at` past
// it; utf8_next's slow path. Errors name byte `first_byte + at`.
char32_t utf8_next_multibyte(std::string_view bytes, size_t& at, std::string_view source_name, uint64_t first_byte);

// Decodes the code point that starts at bytes[at] and moves `at` past it;
// throws Error "<source>: invalid UTF-8 at byte N". `first_byte` is where
// `bytes` starts in its file, for a text read in pieces. Inline for ASCII,
// which is nearly every character of the corpora here.
inline char32_t utf8_next(std::string_view bytes, size_t& at, std::string_view source_name, uint64_t first_byte = 0) {
  const auto lead = static_cast<unsigned char>(bytes[at]);
  if (lead < 0x80) {
    ++at;
    return lead;
  }
  return utf8_next_multibyte(bytes, at, source_name, first_byte);
}

// Decodes bytes into code points; throws Error "<source>: invalid UTF-8 at byte N".
std::u32string utf8_decode(std::string_view bytes, std::string_view source_name);

// Appends the UTF-8 encoding of one valid code point.
void utf8_append(std::string& out, char32_t code_point);

std::string utf8_encode(std::u32string_view code_points);

// Reads a whole file as bytes; throws Error naming the file on failure.
std::string read_file_bytes(const std::string& path);

// Calls visit(piece, first_byte) for consecutive pieces of the file, about
// piece_bytes each, `first_byte` being where the piece starts in the file: a
// text of any size passes through one small buffer. A piece ends inside a
// multi-byte sequence only where the file does, so decoding piece by piece
// (utf8_next with first_byte) reports the same errors at the same byte offsets
// as decoding the whole file. Throws Error naming the file as read_file_bytes.
using Utf8PieceVisitor = std::function<void(std::string_view piece, uint64_t first_byte)>;
void for_each_utf8_piece(const std::string& path, const Utf8PieceVisitor& visit, size_t piece_bytes = size_t{1} << 20);

// Reads and decodes a UTF-8 text file.
std::u32string read_text_file(const std::string& path);

}  // namespace charnn
