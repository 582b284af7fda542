// Reading and writing the safetensors container; see safetensors.h.
#include "charnn/io/safetensors.h"

#include <bit>
#include <cstring>
#include <type_traits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "charnn/error.h"

namespace charnn {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian; add byte swapping");

namespace {

size_t element_count(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

size_t dtype_size(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL") return 1;
  return 0;
}

// A JSON array of integers as T. nlohmann would also convert floats such as
// 2e24, which is undefined behaviour when out of range; a header is untrusted.
template <class T>
std::vector<T> integers(const nlohmann::json& array) {
  if (!array.is_array()) throw nlohmann::json::type_error::create(302, "expected an array", &array);
  std::vector<T> out;
  for (const auto& value : array) {
    const bool fits = std::is_signed_v<T> ? value.is_number_integer() : value.is_number_unsigned();
    if (!fits) throw nlohmann::json::type_error::create(302, "expected an array of integers", &array);
    out.push_back(value.get<T>());
  }
  return out;
}

}  // namespace

std::string safetensors_serialize(const std::vector<TensorRef>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  size_t offset = 0;
  for (const TensorRef& t : tensors) {
    const size_t bytes = element_count(t.shape) * sizeof(float);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const uint64_t length = json.size();
  std::memcpy(out.data(), &length, 8);
  out.reserve(8 + json.size() + offset);
  out += json;
  for (const TensorRef& t : tensors) {
    out.append(reinterpret_cast<const char*>(t.data), element_count(t.shape) * sizeof(float));
  }
  return out;
}

SafetensorsFile::SafetensorsFile(std::string bytes, std::string source)
    : bytes_(std::move(bytes)), source_(std::move(source)) {
  auto invalid = [&](const std::string& why) {
    return Error(fmt::format("{}: not a valid safetensors file ({})", source_, why));
  };
  if (bytes_.size() < 8) throw invalid("shorter than its 8-byte header length");
  uint64_t length = 0;
  std::memcpy(&length, bytes_.data(), 8);
  if (length > bytes_.size() - 8) throw invalid("header length runs past the end of the file; truncated?");
  header_length_ = static_cast<size_t>(length);
  const size_t data_size = bytes_.size() - 8 - header_length_;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(this->header());
  } catch (const nlohmann::json::exception&) {
    throw invalid("header is not JSON");
  }
  if (!header.is_object()) throw invalid("header is not a JSON object");
  size_t covered = 0;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw invalid("__metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) throw invalid(fmt::format("metadata '{}' is not a string", key));
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    TensorInfo info;
    try {
      info.dtype = entry.at("dtype").get<std::string>();
      info.shape = integers<int64_t>(entry.at("shape"));
      const auto offsets = integers<uint64_t>(entry.at("data_offsets"));
      if (offsets.size() != 2) throw invalid(fmt::format("tensor '{}' needs two data offsets", name));
      info.begin = static_cast<size_t>(offsets[0]);
      info.end = static_cast<size_t>(offsets[1]);
    } catch (const nlohmann::json::exception&) {
      throw invalid(fmt::format("tensor '{}' lacks dtype, shape or data_offsets", name));
    }
    const size_t width = dtype_size(info.dtype);
    if (width == 0) throw invalid(fmt::format("tensor '{}' has unknown dtype {}", name, info.dtype));
    for (int64_t d : info.shape) {
      if (d < 0 || d > (int64_t{1} << 40)) throw invalid(fmt::format("tensor '{}' has a bad dimension", name));
    }
    if (info.begin > info.end || info.end > data_size) {
      throw invalid(fmt::format("tensor '{}' lies outside the data section; truncated?", name));
    }
    if (info.end - info.begin != element_count(info.shape) * width) {
      throw invalid(fmt::format("tensor '{}' byte range does not match its shape", name));
    }
    covered += info.end - info.begin;
    tensors_.emplace(name, std::move(info));
  }
  if (covered != data_size) throw invalid("data section size does not match the tensors; truncated or padded?");
}

std::vector<float> SafetensorsFile::read_f32(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw Error(fmt::format("{}: tensor '{}' is missing", source_, name));
  if (it->second.dtype != "F32") {
    throw Error(fmt::format("{}: tensor '{}' is {}, expected F32", source_, name, it->second.dtype));
  }
  std::vector<float> out(element_count(it->second.shape));
  std::memcpy(out.data(), bytes_.data() + 8 + header_length_ + it->second.begin, out.size() * sizeof(float));
  return out;
}

}  // namespace charnn
