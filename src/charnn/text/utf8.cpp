// Strict UTF-8 decoding (RFC 3629) and encoding; see utf8.h.
#include "charnn/text/utf8.h"

#include <fstream>
#include <sys/stat.h>

#include <fmt/format.h>

#include "charnn/error.h"

namespace charnn {

namespace {

[[noreturn]] void fail_at(std::string_view source, size_t offset, std::string_view why) {
  throw Error(fmt::format("{}: invalid UTF-8 at byte {} ({})", source, offset, why));
}

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

std::u32string utf8_decode(std::string_view bytes, std::string_view source_name) {
  std::u32string out;
  out.reserve(bytes.size());
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n) {
    const auto lead = static_cast<unsigned char>(bytes[i]);
    if (lead < 0x80) {
      out.push_back(lead);
      ++i;
      continue;
    }
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
      fail_at(source_name, i, is_continuation(lead) ? "unexpected continuation byte" : "invalid lead byte");
    }
    if (i + static_cast<size_t>(length) > n) fail_at(source_name, i, "truncated sequence");
    for (int k = 1; k < length; ++k) {
      const auto byte = static_cast<unsigned char>(bytes[i + k]);
      if (!is_continuation(byte)) fail_at(source_name, i, "truncated sequence");
      cp = (cp << 6) | (byte & 0x3F);
    }
    if (cp < minimum) fail_at(source_name, i, "overlong encoding");
    if (cp >= 0xD800 && cp <= 0xDFFF) fail_at(source_name, i, "surrogate code point");
    if (cp > 0x10FFFF) fail_at(source_name, i, "code point above U+10FFFF");
    out.push_back(cp);
    i += static_cast<size_t>(length);
  }
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

std::string read_file_bytes(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw Error(fmt::format("{}: no such file", path));
  if (S_ISDIR(info.st_mode)) throw Error(fmt::format("{}: is a directory, expected a file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open for reading", path));
  std::string bytes(static_cast<size_t>(info.st_size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size())) {
    throw Error(fmt::format("{}: read failed", path));
  }
  return bytes;
}

std::u32string read_text_file(const std::string& path) { return utf8_decode(read_file_bytes(path), path); }

}  // namespace charnn
