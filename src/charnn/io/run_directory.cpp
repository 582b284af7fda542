// Checkpoint rotation in a run directory; see run_directory.h.
#include "charnn/io/run_directory.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "charnn/error.h"
#include "charnn/io/atomic_file.h"

namespace charnn {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "checkpoint-";
constexpr std::string_view kSuffix = ".safetensors";

// The step of a numbered checkpoint file name, or -1.
int64_t step_of(const std::string& name) {
  if (name.size() <= kPrefix.size() + kSuffix.size() || name.rfind(kPrefix, 0) != 0 ||
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return -1;
  }
  const std::string digits = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return c >= '0' && c <= '9'; })) return -1;
  return std::stoll(digits);
}

std::vector<std::pair<int64_t, std::string>> numbered_checkpoints(const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const int64_t step = step_of(entry.path().filename().string());
    if (step >= 0) found.emplace_back(step, entry.path().string());
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return found;
}

void fsync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

RunDirectory::RunDirectory(std::string path) : path_(std::move(path)) {}

std::string RunDirectory::file(std::string_view name) const { return (fs::path(path_) / name).string(); }

void RunDirectory::point_at(const std::string& target, const std::string& name, std::string_view bytes) const {
  // A hard link renamed into place is atomic and costs no extra disk; where the
  // file system has no hard links, write the bytes again instead.
  const std::string destination = file(name);
  const std::string temporary = fmt::format("{}.tmp.{}", destination, ::getpid());
  ::unlink(temporary.c_str());
  if (::link(target.c_str(), temporary.c_str()) == 0) {
    if (::rename(temporary.c_str(), destination.c_str()) == 0) {
      fsync_directory(path_);
      return;
    }
    const int error = errno;
    ::unlink(temporary.c_str());
    throw Error(fmt::format("{}: rename failed: {}", destination, std::strerror(error)));
  }
  write_file_atomically(destination, bytes);
}

void RunDirectory::commit(std::string_view bytes, int64_t step, bool best, int keep) const {
  const std::string numbered = file(fmt::format("{}{:09}{}", kPrefix, step, kSuffix));
  write_file_atomically(numbered, bytes);
  point_at(numbered, "last.safetensors", bytes);
  if (best) point_at(numbered, "best.safetensors", bytes);
  const auto found = numbered_checkpoints(path_);
  for (size_t i = static_cast<size_t>(std::max(keep, 1)); i < found.size(); ++i) {
    ::unlink(found[i].second.c_str());
  }
}

std::vector<std::string> RunDirectory::resume_candidates() const {
  std::vector<std::string> candidates;
  if (fs::is_regular_file(file("last.safetensors"))) candidates.push_back(file("last.safetensors"));
  for (const auto& [step, path] : numbered_checkpoints(path_)) candidates.push_back(path);
  if (fs::is_regular_file(file("best.safetensors"))) candidates.push_back(file("best.safetensors"));
  return candidates;
}

void RunDirectory::remove_stale_temporaries() const {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(path_, error)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".safetensors.tmp.") != std::string::npos) fs::remove(entry.path(), error);
  }
}

}  // namespace charnn
