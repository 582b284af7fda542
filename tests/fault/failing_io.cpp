// An LD_PRELOAD shim that makes checkpoint writes fail the way a full disk or
// a dying device does, so the tests exercise the real binary's error paths.
// Only writes to charnn's temporary checkpoint files ("*.safetensors.tmp.*")
// are touched. Each such file is numbered when its first byte is written (1, 2, ...);
// files numbered FAILING_IO_FROM .. FAILING_IO_FROM + FAILING_IO_COUNT - 1 fail
// with FAILING_IO_ERRNO (ENOSPC, EDQUOT or EIO) in the call FAILING_IO_CALL
// ("write" or "fsync"). Count 0 means every file from FAILING_IO_FROM on.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <limits.h>
#include <string>
#include <unistd.h>

namespace {

int g_files_seen = 0;
int g_failing_fd = -1;  // the temporary file currently being failed, if any

std::string path_of(int fd) {
  char link[64];
  char target[PATH_MAX];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(link, target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
}

long env_number(const char* name, long fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::strtol(value, nullptr, 10) : fallback;
}

int chosen_errno() {
  const char* name = std::getenv("FAILING_IO_ERRNO");
  if (name == nullptr || std::strcmp(name, "ENOSPC") == 0) return ENOSPC;
  if (std::strcmp(name, "EDQUOT") == 0) return EDQUOT;
  return EIO;
}

bool is_checkpoint_temporary(int fd) { return path_of(fd).find(".safetensors.tmp.") != std::string::npos; }

// Called on the first write of each temporary file: does this one fail?
bool should_fail_new_file() {
  ++g_files_seen;
  const long from = env_number("FAILING_IO_FROM", 0);
  const long count = env_number("FAILING_IO_COUNT", 0);
  if (from <= 0 || g_files_seen < from) return false;
  return count == 0 || g_files_seen < from + count;
}

bool fail_in(const char* call) {
  const char* chosen = std::getenv("FAILING_IO_CALL");
  return std::strcmp(chosen != nullptr ? chosen : "write", call) == 0;
}

}  // namespace

extern "C" ssize_t write(int fd, const void* buffer, size_t size) {
  using WriteFn = ssize_t (*)(int, const void*, size_t);
  static auto real_write = reinterpret_cast<WriteFn>(dlsym(RTLD_NEXT, "write"));
  if (fd > 2 && is_checkpoint_temporary(fd)) {
    if (::lseek(fd, 0, SEEK_CUR) == 0) g_failing_fd = should_fail_new_file() ? fd : -1;
    if (fd == g_failing_fd && fail_in("write")) {
      errno = chosen_errno();
      return -1;
    }
  }
  return real_write(fd, buffer, size);
}

extern "C" int fsync(int fd) {
  using FsyncFn = int (*)(int);
  static auto real_fsync = reinterpret_cast<FsyncFn>(dlsym(RTLD_NEXT, "fsync"));
  if (fd == g_failing_fd && fail_in("fsync") && is_checkpoint_temporary(fd)) {
    errno = chosen_errno();
    return -1;
  }
  return real_fsync(fd);
}
