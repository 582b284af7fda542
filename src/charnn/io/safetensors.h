// The safetensors container: 8-byte little-endian header length, a JSON header
// naming each tensor's dtype, shape and byte range, then the raw data. Knows
// nothing of models; checkpoint.h gives the tensors and metadata their meaning.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace charnn {

// A float32 tensor to write; data points at prod(shape) floats.
struct TensorRef {
  std::string name;
  std::vector<int64_t> shape;
  const float* data;
};

// The whole file as bytes: tensors in the given order, header padded with
// spaces to an 8-byte boundary as the format recommends.
std::string safetensors_serialize(const std::vector<TensorRef>& tensors,
                                  const std::map<std::string, std::string>& metadata);

struct TensorInfo {
  std::string dtype;
  std::vector<int64_t> shape;
  size_t begin = 0;  // byte range in the data section
  size_t end = 0;
};

class SafetensorsFile {
 public:
  // Checks the structure (lengths, offsets, dtypes against shapes); throws Error
  // "<source>: not a valid safetensors file (...)" otherwise.
  SafetensorsFile(std::string bytes, std::string source);

  const std::string& source() const { return source_; }
  const std::string& bytes() const { return bytes_; }
  std::string_view header() const { return std::string_view(bytes_).substr(8, header_length_); }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // Copies a float32 tensor out; throws Error if absent or of another dtype.
  std::vector<float> read_f32(const std::string& name) const;

 private:
  std::string bytes_;
  std::string source_;
  size_t header_length_ = 0;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, TensorInfo> tensors_;
};

}  // namespace charnn
