// Strict UTF-8 decoding (RFC 3629) and encoding; see utf8.h.
#include "charnn/text/utf8.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

#include <fmt/format.h>

#include "charnn/error.h"

namespace charnn {

namespace {

[[noreturn]] void fail_at(std::string_view source, uint64_t offset, std::string_view why) {
  throw Error(fmt::format("{}: invalid UTF-8 at byte {} ({})", source, offset, why));
}

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

char32_t utf8_next_multibyte(std::string_view bytes, size_t& at, std::string_view source_name, uint64_t first_byte) {
  const size_t i = at;
  const auto lead = static_cast<unsigned char>(bytes[i]);
  const uint64_t offset = first_byte + i;
  int length = 0;
  char32_t cp = 0;
  char32_t minimum = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, minimum = 0x10000;
  } else {
    fail_at(source_name, offset, is_continuation(lead) ? "unexpected continuation byte" : "invalid lead byte");
  }
  if (i + static_cast<size_t>(length) > bytes.size()) fail_at(source_name, offset, "truncated sequence");
  for (int k = 1; k < length; ++k) {
    const auto byte = static_cast<unsigned char>(bytes[i + static_cast<size_t>(k)]);
    if (!is_continuation(byte)) fail_at(source_name, offset, "truncated sequence");
    cp = (cp << 6) | (byte & 0x3F);
  }
  if (cp < minimum) fail_at(source_name, offset, "overlong encoding");
  if (cp >= 0xD800 && cp <= 0xDFFF) fail_at(source_name, offset, "surrogate code point");
  if (cp > 0x10FFFF) fail_at(source_name, offset, "code point above U+10FFFF");
  at = i + static_cast<size_t>(length);
  return cp;
}

std::u32string utf8_decode(std::string_view bytes, std::string_view source_name) {
  std::u32string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) out.push_back(utf8_next(bytes, i, source_name));
  return out;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string utf8_encode(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t cp : code_points) utf8_append(out, cp);
  return out;
}

namespace {

// Opens a file for reading, with the messages every reader here gives.
std::ifstream open_file(const std::string& path, uint64_t& size) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw Error(fmt::format("{}: no such file", path));
  if (S_ISDIR(info.st_mode)) throw Error(fmt::format("{}: is a directory, expected a file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open for reading", path));
  size = static_cast<uint64_t>(info.st_size);
  return in;
}

// Where the last whole sequence of buffer[0, n) ends: before a lead byte in the
// last three bytes whose sequence runs past n, else at n.
size_t end_of_whole_sequences(const char* buffer, size_t n) {
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto byte = static_cast<unsigned char>(buffer[n - back]);
    if (is_continuation(byte)) continue;
    const size_t length = byte >= 0xF8 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
    return length > back ? n - back : n;
  }
  return n;
}

}  // namespace

std::string read_file_bytes(const std::string& path) {
  uint64_t size = 0;
  std::ifstream in = open_file(path, size);
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size())) {
    throw Error(fmt::format("{}: read failed", path));
  }
  return bytes;
}

void for_each_utf8_piece(const std::string& path, const Utf8PieceVisitor& visit, size_t piece_bytes) {
  uint64_t size_unused = 0;
  std::ifstream in = open_file(path, size_unused);
  piece_bytes = std::max<size_t>(piece_bytes, 4);  // room for one whole sequence
  std::vector<char> buffer(piece_bytes + 3);       // + an incomplete sequence carried over
  size_t carried = 0;
  uint64_t first_byte = 0;
  while (true) {
    in.read(buffer.data() + carried, static_cast<std::streamsize>(piece_bytes));
    if (in.bad()) throw Error(fmt::format("{}: read failed", path));
    const size_t filled = carried + static_cast<size_t>(in.gcount());
    const bool at_end = in.eof();
    const size_t end = at_end ? filled : end_of_whole_sequences(buffer.data(), filled);
    if (end > 0) visit(std::string_view(buffer.data(), end), first_byte);
    if (at_end) break;
    carried = filled - end;
    std::memmove(buffer.data(), buffer.data() + end, carried);
    first_byte += end;
  }
}

std::u32string read_text_file(const std::string& path) { return utf8_decode(read_file_bytes(path), path); }

}  // namespace charnn
