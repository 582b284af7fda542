// Checkpoint serialisation, verification and loading; see checkpoint.h.
#include "charnn/io/checkpoint.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>

#include <fmt/ranges.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "charnn/error.h"
#include "charnn/io/atomic_file.h"
#include "charnn/io/safetensors.h"
#include "charnn/io/sha256.h"
#include "charnn/text/utf8.h"

namespace charnn {

namespace {

// The checksum is SHA-256 over the whole file with its own hex digits zeroed.
constexpr const char* kChecksumPrefix = "sha256:";
const std::string kZeroDigest(64, '0');

// Where the checksum's hex digits sit in the file, or npos.
size_t checksum_position(std::string_view header, const std::string& digest) {
  const std::string needle = fmt::format("\"checksum\":\"{}{}\"", kChecksumPrefix, digest);
  const size_t at = header.find(needle);
  if (at == std::string_view::npos || header.find(needle, at + 1) != std::string_view::npos) return std::string::npos;
  return 8 + at + needle.size() - 1 - digest.size();
}

nlohmann::json parse_json_field(const std::map<std::string, std::string>& metadata, const std::string& key,
                                const std::string& source) {
  auto it = metadata.find(key);
  if (it == metadata.end()) throw Error(fmt::format("{}: checkpoint metadata lacks '{}'", source, key));
  try {
    return nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception&) {
    throw Error(fmt::format("{}: checkpoint metadata '{}' is not valid JSON", source, key));
  }
}

}  // namespace

std::string serialize_checkpoint(const CheckpointMeta& meta, std::span<const float> params,
                                 std::span<const float> optimizer_first, std::span<const float> optimizer_second) {
  const ParameterLayout layout(meta.model);
  std::vector<TensorRef> tensors;
  for (const TensorSlot& slot : layout.tensors()) tensors.push_back({slot.name, slot.shape, params.data() + slot.offset});
  if (!optimizer_first.empty()) {
    tensors.push_back({"optimizer.first_moment", {static_cast<int64_t>(optimizer_first.size())}, optimizer_first.data()});
  }
  if (!optimizer_second.empty()) {
    tensors.push_back(
        {"optimizer.second_moment", {static_cast<int64_t>(optimizer_second.size())}, optimizer_second.data()});
  }
  std::vector<uint32_t> code_points(meta.vocabulary.symbols().begin(), meta.vocabulary.symbols().end());
  std::map<std::string, std::string> metadata{
      {"format", kCheckpointFormat},
      {"format_version", std::to_string(kCheckpointVersion)},
      {"vocabulary", nlohmann::json(code_points).dump()},
      {"model", model_config_to_json(meta.model).dump()},
      {"training", train_config_to_json(meta.train).dump()},
      {"progress", train_progress_to_json(meta.progress).dump()},
      {"optimizer", nlohmann::json{{"kind", optimizer_name(meta.train.optimizer.kind)},
                                   {"steps", meta.optimizer_steps},
                                   {"layout", "flat, as the model parameters with 16-float alignment"}}
                        .dump()},
      {"checksum", std::string(kChecksumPrefix) + kZeroDigest},
  };
  std::string bytes = safetensors_serialize(tensors, metadata);
  seal_checkpoint_checksum(bytes, kZeroDigest);
  return bytes;
}

void seal_checkpoint_checksum(std::string& bytes, const std::string& old_digest) {
  uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  const size_t at = checksum_position(std::string_view(bytes).substr(8, header_length), old_digest);
  if (at == std::string::npos) throw Error("checkpoint bytes have no checksum field to seal");
  bytes.replace(at, 64, kZeroDigest);
  bytes.replace(at, 64, sha256_hex(bytes));
}

void save_checkpoint(const std::string& path, const CheckpointMeta& meta, std::span<const float> params,
                     std::span<const float> optimizer_first, std::span<const float> optimizer_second) {
  write_file_atomically(path, serialize_checkpoint(meta, params, optimizer_first, optimizer_second));
}

Checkpoint parse_checkpoint(std::string bytes, const std::string& source) {
  const SafetensorsFile file(std::move(bytes), source);
  const auto& metadata = file.metadata();
  auto format = metadata.find("format");
  if (format == metadata.end() || format->second != kCheckpointFormat) {
    throw Error(fmt::format("{}: not a charnn checkpoint (a safetensors file without charnn metadata)", source));
  }
  auto version = metadata.find("format_version");
  int file_version = 0;
  if (version != metadata.end()) {
    const std::string& text = version->second;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), file_version);
    if (error != std::errc() || end != text.data() + text.size()) file_version = 0;
  }
  if (file_version < 1) throw Error(fmt::format("{}: checkpoint has no valid format version", source));
  if (file_version > kCheckpointVersion) {
    throw Error(fmt::format("{}: checkpoint format version {} is newer than this charnn reads ({}); upgrade charnn",
                            source, file_version, kCheckpointVersion));
  }
  // Checksum over the file with the stored digest zeroed.
  auto stored = metadata.find("checksum");
  if (stored == metadata.end() || stored->second.rfind(kChecksumPrefix, 0) != 0) {
    throw Error(fmt::format("{}: checkpoint has no checksum", source));
  }
  const std::string digest = stored->second.substr(std::string(kChecksumPrefix).size());
  const size_t at = checksum_position(file.header(), digest);
  if (digest.size() != 64 || at == std::string::npos) throw Error(fmt::format("{}: checkpoint checksum is malformed", source));
  std::string zeroed = file.bytes();
  zeroed.replace(at, 64, kZeroDigest);
  if (sha256_hex(zeroed) != digest) {
    throw Error(fmt::format("{}: checkpoint is corrupt (checksum mismatch: truncated or altered)", source));
  }

  Checkpoint checkpoint;
  CheckpointMeta& meta = checkpoint.meta;
  try {
    meta.model = model_config_from_json(parse_json_field(metadata, "model", source));
    meta.train = train_config_from_json(parse_json_field(metadata, "training", source));
    meta.progress = train_progress_from_json(parse_json_field(metadata, "progress", source));
    meta.optimizer_steps = parse_json_field(metadata, "optimizer", source).at("steps").get<int64_t>();
    const auto code_points = parse_json_field(metadata, "vocabulary", source).get<std::vector<uint32_t>>();
    meta.vocabulary = Vocabulary(std::vector<char32_t>(code_points.begin(), code_points.end()));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: checkpoint metadata is malformed ({})", source, e.what()));
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", source, e.what()));
  }
  if (meta.vocabulary.size() != meta.model.vocab_size) {
    throw Error(fmt::format("{}: vocabulary has {} symbols but the model expects {}", source, meta.vocabulary.size(),
                            meta.model.vocab_size));
  }
  const ParameterLayout layout(meta.model);
  checkpoint.params.assign(layout.total(), 0.0f);
  for (const TensorSlot& slot : layout.tensors()) {
    auto it = file.tensors().find(slot.name);
    if (it == file.tensors().end()) throw Error(fmt::format("{}: tensor '{}' is missing", source, slot.name));
    if (it->second.shape != slot.shape) {
      throw Error(fmt::format("{}: tensor '{}' has shape [{}] but the model configuration needs [{}]", source,
                              slot.name, fmt::join(it->second.shape, ", "), fmt::join(slot.shape, ", ")));
    }
    const std::vector<float> values = file.read_f32(slot.name);
    for (size_t i = 0; i < values.size(); ++i) {
      if (!std::isfinite(values[i])) {
        throw Error(fmt::format("{}: tensor '{}' holds a non-finite weight (NaN or infinity) at index {}", source,
                                slot.name, i));
      }
    }
    std::copy(values.begin(), values.end(), checkpoint.params.begin() + static_cast<std::ptrdiff_t>(slot.offset));
  }
  for (const char* name : {"optimizer.first_moment", "optimizer.second_moment"}) {
    if (!file.has(name)) continue;
    std::vector<float> state = file.read_f32(name);
    if (state.size() != layout.total()) throw Error(fmt::format("{}: '{}' does not match the model size", source, name));
    (std::string(name) == "optimizer.first_moment" ? checkpoint.optimizer_first : checkpoint.optimizer_second) =
        std::move(state);
  }
  return checkpoint;
}

Checkpoint load_checkpoint(const std::string& path) { return parse_checkpoint(read_file_bytes(path), path); }

}  // namespace charnn

namespace charnn {

std::string resolve_checkpoint_path(const std::string& path) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(path)) return path;
  for (const char* name : {"best.safetensors", "last.safetensors"}) {
    const fs::path candidate = fs::path(path) / name;
    if (fs::is_regular_file(candidate)) return candidate.string();
  }
  throw Error(fmt::format("{}: directory holds no best.safetensors or last.safetensors", path));
}

Model model_from_checkpoint(const Checkpoint& checkpoint) {
  Model model(checkpoint.meta.model);
  model.params = checkpoint.params;
  return model;
}

}  // namespace charnn
