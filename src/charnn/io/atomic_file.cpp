// Atomic file replacement with fsync on file and directory; see atomic_file.h.
#include "charnn/io/atomic_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "charnn/error.h"

namespace charnn {

namespace {

std::string parent_directory(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

[[noreturn]] void fail(const std::string& path, const char* what, int error) {
  throw Error(fmt::format("{}: {} failed: {}", path, what, std::strerror(error)));
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes) {
  const std::string temporary = fmt::format("{}.tmp.{}", path, ::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(temporary, "open", errno);
  auto abandon = [&](const char* what, int error) {
    ::close(fd);
    ::unlink(temporary.c_str());
    fail(path, what, error);
  };
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      abandon("write", errno);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) abandon("fsync", errno);
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    fail(path, "close", error);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    fail(path, "rename", error);
  }
  // The rename is durable only once the directory entry is.
  const std::string directory = parent_directory(path);
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) fail(directory, "open directory", errno);
  const int sync_result = ::fsync(dir_fd);
  const int sync_error = errno;
  ::close(dir_fd);
  if (sync_result != 0) fail(directory, "fsync directory", sync_error);
}

void make_directories(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) throw Error(fmt::format("{}: cannot create directory: {}", path, error.message()));
  if (!std::filesystem::is_directory(path)) throw Error(fmt::format("{}: exists and is not a directory", path));
}

}  // namespace charnn
