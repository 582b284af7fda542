// .npy and stored .npz reading; see npz.h. The zip structures are read from
// the central directory (which has the sizes even when the local headers
// defer them to a data descriptor), with the ZIP64 forms numpy writes.
#include "charnn/io/npz.h"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "charnn/error.h"

namespace charnn {

namespace {

uint64_t read_le(std::string_view bytes, size_t at, int width) {
  uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i) value = value << 8 | static_cast<unsigned char>(bytes[at + static_cast<size_t>(i)]);
  return value;
}

// Bounds-checked little-endian reads: every offset in a zip file comes from the file itself.
class Reader {
 public:
  Reader(std::string_view bytes, const std::string& source) : bytes_(bytes), source_(source) {}
  uint64_t u(size_t at, int width) const {
    need(at, static_cast<size_t>(width));
    return read_le(bytes_, at, width);
  }
  std::string_view slice(size_t at, uint64_t length) const {
    need(at, length);
    return bytes_.substr(at, static_cast<size_t>(length));
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(fmt::format("{}: not a readable .npz archive ({})", source_, what));
  }

 private:
  void need(size_t at, uint64_t length) const {
    if (at > bytes_.size() || length > bytes_.size() - at) fail("a record points past the end of the file");
  }
  std::string_view bytes_;
  const std::string& source_;
};

// The dictionary an .npy header holds, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

// The text after `'key':` and any spaces; Error when the key is absent.
std::string_view value_of(std::string_view dict, std::string_view key, const std::string& source) {
  const std::string quoted = fmt::format("'{}':", key);
  const size_t at = dict.find(quoted);
  if (at == std::string_view::npos) throw Error(fmt::format("{}: .npy header lacks '{}'", source, key));
  std::string_view rest = dict.substr(at + quoted.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return rest;
}

NpyHeader parse_npy_header(std::string_view dict, const std::string& source) {
  NpyHeader h;
  std::string_view descr = value_of(dict, "descr", source);
  if (descr.size() < 2 || descr.front() != '\'') throw Error(fmt::format("{}: .npy 'descr' is not a string", source));
  h.descr = std::string(descr.substr(1, descr.find('\'', 1) - 1));
  h.fortran_order = value_of(dict, "fortran_order", source).substr(0, 4) == "True";
  std::string_view shape = value_of(dict, "shape", source);
  if (shape.empty() || shape.front() != '(') throw Error(fmt::format("{}: .npy 'shape' is not a tuple", source));
  shape = shape.substr(1, shape.find(')') - 1);
  int64_t dim = -1;
  for (char c : shape) {
    if (c >= '0' && c <= '9') {
      dim = (dim < 0 ? 0 : dim) * 10 + (c - '0');
      if (dim > (int64_t{1} << 40)) throw Error(fmt::format("{}: .npy shape is implausibly large", source));
    } else if (c == ',') {
      if (dim < 0) throw Error(fmt::format("{}: .npy shape is malformed", source));
      h.shape.push_back(dim);
      dim = -1;
    } else if (c != ' ') {
      throw Error(fmt::format("{}: .npy shape is malformed", source));
    }
  }
  if (dim >= 0) h.shape.push_back(dim);
  return h;
}

}  // namespace

uint32_t crc32(std::string_view bytes) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (char b : bytes) c = table[(c ^ static_cast<unsigned char>(b)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

FloatArray parse_npy(std::string_view bytes, const std::string& source) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") throw Error(fmt::format("{}: not an .npy array", source));
  const int major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3) throw Error(fmt::format("{}: .npy format version {} is not supported", source, major));
  const size_t prefix = major == 1 ? 10 : 12;
  if (bytes.size() < prefix) throw Error(fmt::format("{}: .npy header is cut off", source));
  const uint64_t header_length = read_le(bytes, 8, major == 1 ? 2 : 4);
  if (header_length > bytes.size() - prefix) throw Error(fmt::format("{}: .npy header is cut off", source));
  const NpyHeader h = parse_npy_header(bytes.substr(prefix, header_length), source);
  if (h.fortran_order) {
    throw Error(fmt::format("{}: array is in Fortran order; save np.ascontiguousarray(a) instead", source));
  }
  const bool is_f4 = h.descr == "<f4" || h.descr == "=f4";
  const bool is_f8 = h.descr == "<f8" || h.descr == "=f8";
  if (!is_f4 && !is_f8) {
    throw Error(fmt::format("{}: array type '{}' is not little-endian float32 or float64", source, h.descr));
  }
  const uint64_t width = is_f4 ? 4 : 8;
  uint64_t count = 1, needed = 0;
  for (int64_t d : h.shape) {
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(d), &count)) {
      throw Error(fmt::format("{}: .npy shape is implausibly large", source));
    }
  }
  const std::string_view data = bytes.substr(prefix + header_length);
  if (__builtin_mul_overflow(count, width, &needed) || data.size() != needed) {
    throw Error(fmt::format("{}: array data holds {} bytes but its shape needs {}", source, data.size(), needed));
  }
  FloatArray a{h.shape, std::vector<float>(count)};
  for (size_t i = 0; i < count; ++i) {
    if (is_f4) {
      std::memcpy(&a.values[i], data.data() + 4 * i, 4);  // little-endian, as on every host charnn supports
    } else {
      double v = 0.0;
      std::memcpy(&v, data.data() + 8 * i, 8);
      if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max()) {
        throw Error(fmt::format("{}: value {} at index {} does not fit in float32", source, v, i));
      }
      a.values[i] = static_cast<float>(v);
    }
  }
  return a;
}

namespace {

struct CentralDirectory {
  uint64_t entries = 0;
  size_t offset = 0;
};

// The end-of-central-directory record (22 bytes plus a comment of at most
// 65535, at the very end), followed to its ZIP64 form when the counts overflow.
CentralDirectory find_central_directory(const Reader& r, size_t size) {
  size_t eocd = std::string_view::npos;
  for (size_t back = 22; back <= size && back <= 22 + 65535; ++back) {
    if (r.u(size - back, 4) == 0x06054b50) {
      eocd = size - back;
      break;
    }
  }
  if (eocd == std::string_view::npos) r.fail("no end-of-central-directory record; is it a zip file?");
  CentralDirectory d{r.u(eocd + 10, 2), static_cast<size_t>(r.u(eocd + 16, 4))};
  if ((d.entries == 0xFFFF || d.offset == 0xFFFFFFFF) && eocd >= 20 && r.u(eocd - 20, 4) == 0x07064b50) {
    const size_t zip64 = static_cast<size_t>(r.u(eocd - 20 + 8, 8));
    if (r.u(zip64, 4) != 0x06064b50) r.fail("ZIP64 end record is missing");
    d.entries = r.u(zip64 + 32, 8);
    d.offset = static_cast<size_t>(r.u(zip64 + 48, 8));
  }
  return d;
}

struct ZipEntry {
  std::string name;
  uint64_t flags = 0, method = 0, crc = 0;
  uint64_t size = 0, original_size = 0;  // stored and uncompressed bytes
  uint64_t local_header = 0;             // offset of the member's local header
  size_t next = 0;                       // offset of the next central directory entry
};

ZipEntry read_entry(const Reader& r, size_t at) {
  if (r.u(at, 4) != 0x02014b50) r.fail("central directory entry is damaged");
  ZipEntry e;
  e.flags = r.u(at + 8, 2);
  e.method = r.u(at + 10, 2);
  e.crc = r.u(at + 16, 4);
  e.size = r.u(at + 20, 4);
  e.original_size = r.u(at + 24, 4);
  e.local_header = r.u(at + 42, 4);
  const size_t name_length = r.u(at + 28, 2), extra_length = r.u(at + 30, 2), comment_length = r.u(at + 32, 2);
  e.name = std::string(r.slice(at + 46, name_length));
  // ZIP64 extra field: the 8-byte forms of whichever fields read 0xFFFFFFFF, in this order.
  const std::string_view extra = r.slice(at + 46 + name_length, extra_length);
  for (size_t x = 0; x + 4 <= extra.size();) {
    const uint64_t id = read_le(extra, x, 2), length = read_le(extra, x + 2, 2);
    if (x + 4 + length > extra.size()) r.fail("extra field is damaged");
    if (id == 0x0001) {
      size_t f = x + 4;
      for (uint64_t* field : {&e.original_size, &e.size, &e.local_header}) {
        if (*field != 0xFFFFFFFF) continue;
        if (f + 8 > x + 4 + length) r.fail("ZIP64 extra field is too short");
        *field = read_le(extra, f, 8);
        f += 8;
      }
    }
    x += 4 + static_cast<size_t>(length);
  }
  e.next = at + 46 + name_length + extra_length + comment_length;
  return e;
}

}  // namespace

std::map<std::string, FloatArray> parse_npz(std::string_view bytes, const std::string& source) {
  const Reader r(bytes, source);
  const CentralDirectory directory = find_central_directory(r, bytes.size());
  std::map<std::string, FloatArray> arrays;
  size_t at = directory.offset;
  for (uint64_t i = 0; i < directory.entries; ++i) {
    const ZipEntry e = read_entry(r, at);
    at = e.next;
    if (e.flags & 1) r.fail(fmt::format("member '{}' is encrypted", e.name));
    if (e.method != 0) {
      throw Error(fmt::format("{}: member '{}' is compressed; charnn reads archives written by np.savez, not "
                              "np.savez_compressed (or use a .safetensors state dict)",
                              source, e.name));
    }
    if (e.size != e.original_size) r.fail(fmt::format("member '{}' has differing stored and original sizes", e.name));
    const size_t local = static_cast<size_t>(e.local_header);
    if (r.u(local, 4) != 0x04034b50) r.fail(fmt::format("local header of '{}' is damaged", e.name));
    const std::string_view data = r.slice(local + 30 + r.u(local + 26, 2) + r.u(local + 28, 2), e.size);
    if (crc32(data) != e.crc) r.fail(fmt::format("member '{}' fails its CRC check", e.name));
    if (e.name.size() < 4 || e.name.compare(e.name.size() - 4, 4, ".npy") != 0) {
      r.fail(fmt::format("member '{}' is not an .npy array", e.name));
    }
    arrays[e.name.substr(0, e.name.size() - 4)] = parse_npy(data, fmt::format("{}: {}", source, e.name));
  }
  return arrays;
}

}  // namespace charnn
