// Support for cli_test.cpp: running the charnn binary in a child process with
// its output captured, a fixture that owns a temporary directory, expectations
// on the exit-code and one-line-stderr contract, and safetensors byte helpers.
// It knows the binary only through CHARNN_BINARY, not through the library.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace charnn::cli_test {

namespace fs = std::filesystem;

struct Result {
  std::string command;
  int exit_code = -1;  // 128 + signal when killed
  std::string out, err;
};

// What a failed expectation prints: the command and everything it said.
inline std::string describe(const Result& r) {
  return fmt::format("\n  command: {}\n  exit code: {}\n  stderr: {}\n  stdout: {}", r.command, r.exit_code, r.err,
                     r.out.size() > 2000 ? r.out.substr(0, 2000) + "..." : r.out);
}

// Variables to set (or, with nullopt, unset) in the child's environment.
using EnvChanges = std::vector<std::pair<std::string, std::optional<std::string>>>;

inline std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A safetensors file as its JSON header and its raw data section; a null
// header when the length prefix does not fit the bytes.
struct Safetensors {
  nlohmann::json header;
  std::string data;
};

inline Safetensors split_safetensors(const std::string& bytes) {
  uint64_t length = 0;
  if (bytes.size() < 8) return {};
  std::memcpy(&length, bytes.data(), 8);  // little-endian, as on every host charnn supports
  if (length > bytes.size() - 8) return {};
  return {nlohmann::json::parse(bytes.substr(8, length)), bytes.substr(8 + length)};
}

// The 8-byte little-endian header length, the JSON header padded with spaces, then the data.
inline std::string make_safetensors(std::string header, const std::string& data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const uint64_t length = header.size();
  std::memcpy(out.data(), &length, 8);
  return out + header + data;
}

// Owns a fresh mkdtemp directory per test, removed afterwards; runs the binary there.
class CliFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "charnn_cli_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << "mkdtemp: " << std::strerror(errno);
    dir_ = pattern;
    fs::create_directory(dir_ / ".capture");
  }

  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  fs::path path(const std::string& name) const { return dir_ / name; }

  fs::path write_file(const std::string& name, const std::string& bytes) const {
    write_bytes(path(name), bytes);
    return path(name);
  }

  // A child started by start(): its pid and where its output goes.
  struct Running {
    pid_t pid = -1;
    Result result;  // command filled in; the rest by finish()
    fs::path out_path, err_path;
  };

  // Starts the binary with the temporary directory as working directory,
  // CHARNN_DATA unset (unless `env` sets it), stdin from stdin_path_
  // (/dev/null unless a test sets it), stdout and stderr to files named by
  // `tag`, and an alarm (seconds) so a hang fails instead of blocking.
  Running start(const std::vector<std::string>& args, const EnvChanges& env = {}, const std::string& tag = "run",
                unsigned alarm_seconds = 60) const {
    Running child;
    std::vector<std::string> argv{CHARNN_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    child.result.command = fmt::format("{}", fmt::join(argv, " "));
    child.out_path = dir_ / ".capture" / (tag + ".stdout");
    child.err_path = dir_ / ".capture" / (tag + ".stderr");
    child.pid = ::fork();
    if (child.pid < 0) {
      child.result.err = fmt::format("fork failed: {}", std::strerror(errno));
      return child;
    }
    if (child.pid == 0) {
      const int in = ::open(stdin_path_.c_str(), O_RDONLY);
      const int out = ::open(child.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open(child.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) _exit(126);
      if (::chdir(dir_.c_str()) != 0) _exit(126);
      ::unsetenv("CHARNN_DATA");
      for (const auto& [name, value] : env) {
        if (value) {
          ::setenv(name.c_str(), value->c_str(), 1);
        } else {
          ::unsetenv(name.c_str());
        }
      }
      std::vector<char*> cargv;
      for (std::string& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      ::alarm(alarm_seconds);
      ::execv(cargv[0], cargv.data());
      _exit(127);
    }
    return child;
  }

  // Waits for a started child and collects its exit code and output.
  static Result finish(Running& child) {
    if (child.pid < 0) return child.result;
    int status = 0;
    while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
    Result& r = child.result;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_bytes(child.out_path);
    r.err = read_bytes(child.err_path);
    return r;
  }

  // Runs the binary to completion (see start()).
  Result run(const std::vector<std::string>& args, const EnvChanges& env = {}) const {
    Running child = start(args, env);
    return finish(child);
  }

  fs::path dir_;
  fs::path stdin_path_ = "/dev/null";  // what the children read as standard input
};

inline void expect_success(const Result& r) {
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.err, "") << describe(r);
}

// A failure: the exit code (1 runtime, 2 usage), nothing on stdout, and exactly
// one stderr line with the matching prefix that contains every needle.
inline void expect_failure(const Result& r, int exit_code, const std::vector<std::string>& needles) {
  const std::string prefix = exit_code == 2 ? "charnn: usage error: " : "charnn: error: ";
  EXPECT_EQ(r.exit_code, exit_code) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
  EXPECT_EQ(r.err.rfind(prefix, 0), 0u) << "stderr should start with '" << prefix << "'" << describe(r);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr should be one line" << describe(r);
  EXPECT_TRUE(!r.err.empty() && r.err.back() == '\n') << describe(r);
  for (const std::string& needle : needles) {
    EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr should mention '" << needle << "'" << describe(r);
  }
}

}  // namespace charnn::cli_test
