// Reading a cgroup CPU quota; see cpu_quota.h.
#include "charnn/nn/cpu_quota.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace charnn {

namespace {

namespace fs = std::filesystem;

std::optional<long long> whole_number(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int> cpus_of(long long quota, long long period) {
  if (quota <= 0 || period <= 0) return std::nullopt;
  return static_cast<int>(std::min<long long>(quota / period + (quota % period != 0 ? 1 : 0), 1 << 20));
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return in ? text.str() : std::string();
}

// The quota of one cgroup directory, if it sets one (v2, then v1 files).
std::optional<int> quota_in(const fs::path& dir) {
  if (const std::string max = read_text(dir / "cpu.max"); !max.empty()) return cpus_of_cpu_max(max);
  const std::string quota = read_text(dir / "cpu.cfs_quota_us");
  return quota.empty() ? std::nullopt : cpus_of_cfs_quota(quota, read_text(dir / "cpu.cfs_period_us"));
}

// The tightest quota on `group` and its ancestors under `mount`.
std::optional<int> tightest_on_path(const fs::path& mount, std::string_view group) {
  std::optional<int> tightest;
  fs::path relative = fs::path(std::string(group)).relative_path();
  for (;;) {
    if (const std::optional<int> cpus = quota_in(mount / relative); cpus && (!tightest || *cpus < *tightest)) {
      tightest = cpus;
    }
    if (relative.empty()) return tightest;
    relative = relative.parent_path();
  }
}

}  // namespace

std::optional<int> cpus_of_cpu_max(std::string_view text) {
  const size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::optional<long long> quota = whole_number(text.substr(0, space));  // "max" reads as none
  const std::optional<long long> period = whole_number(text.substr(space + 1));
  return quota && period ? cpus_of(*quota, *period) : std::nullopt;
}

std::optional<int> cpus_of_cfs_quota(std::string_view quota, std::string_view period) {
  const std::optional<long long> q = whole_number(quota), p = whole_number(period);
  return q && p ? cpus_of(*q, *p) : std::nullopt;
}

std::optional<int> cgroup_cpu_quota(const fs::path& root, std::string_view membership) {
  std::optional<int> tightest;
  const auto keep = [&](std::optional<int> cpus) {
    if (cpus && (!tightest || *cpus < *tightest)) tightest = cpus;
  };
  std::istringstream lines{std::string(membership)};
  for (std::string line; std::getline(lines, line);) {
    // "ID:CONTROLLERS:PATH": v2 is "0::PATH" under the mount itself; a v1
    // hierarchy with the cpu controller is mounted under its controllers' name.
    const size_t first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string_view group = std::string_view(line).substr(second + 1);
    if (controllers.empty()) {
      keep(tightest_on_path(root, group));
      keep(tightest_on_path(root / "unified", group));
      continue;
    }
    std::istringstream names(controllers);
    for (std::string name; std::getline(names, name, ',');) {
      if (name == "cpu") {
        keep(tightest_on_path(root / controllers, group));
        keep(tightest_on_path(root / "cpu", group));
      }
    }
  }
  return tightest;
}

std::optional<int> cgroup_cpu_quota() {
#if defined(__linux__)
  return cgroup_cpu_quota("/sys/fs/cgroup", read_text("/proc/self/cgroup"));
#else
  return std::nullopt;
#endif
}

}  // namespace charnn
