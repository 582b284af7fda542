// NumPy's .npy arrays and the .npz archives np.savez writes (a zip file of
// .npy members, stored without compression), read into float32 arrays. Only
// what a saved PyTorch state dict needs: little-endian float32 or float64, C
// order. Compressed archives (np.savez_compressed) are refused with a message:
// charnn has no inflate. It parses bytes; reading the file is the caller's job.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace charnn {

struct FloatArray {
  std::vector<int64_t> shape;  // empty for a scalar
  std::vector<float> values;   // row-major, prod(shape) of them
};

// One .npy file. Throws Error "<source>: ..." for anything else.
FloatArray parse_npy(std::string_view bytes, const std::string& source);

// Every member of an .npz archive, by name without its ".npy". Member CRCs are
// checked. Throws Error "<source>: ..." for a damaged, compressed or encrypted
// archive and for members that are not float arrays.
std::map<std::string, FloatArray> parse_npz(std::string_view bytes, const std::string& source);

// The zip CRC-32 (polynomial 0xEDB88320) of some bytes.
uint32_t crc32(std::string_view bytes);

}  // namespace charnn
