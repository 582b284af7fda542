// Strict UTF-8 decoding and encoding of Unicode code points.
// Decoding rejects overlong forms, surrogates, code points above U+10FFFF and
// truncated sequences, naming the source and byte offset. A leading BOM is kept
// as a character (U+FEFF): the text is learned as it is, not silently edited.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace charnn {

// Decodes bytes into code points; throws Error "<source>: invalid UTF-8 at byte N".
std::u32string utf8_decode(std::string_view bytes, std::string_view source_name);

// Appends the UTF-8 encoding of one valid code point.
void utf8_append(std::string& out, char32_t code_point);

std::string utf8_encode(std::u32string_view code_points);

// Reads a whole file as bytes; throws Error naming the file on failure.
std::string read_file_bytes(const std::string& path);

// Reads and decodes a UTF-8 text file.
std::u32string read_text_file(const std::string& path);

}  // namespace charnn
