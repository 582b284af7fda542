// A CPU quota set on this process's cgroup (docker --cpus, a Kubernetes CPU
// limit, systemd's CPUQuota), as a number of CPUs. The affinity mask does not
// show it: a container limited to 2 CPUs on a 32-core host still sees 32, and
// a pool of 16 spinning threads on 2 CPUs' worth of time waits on descheduled
// threads at every hand-off. thread_pool.cpp sizes the pool by it.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace charnn {

// cgroup v2's cpu.max ("max 100000": none; "150000 100000": 1.5 CPUs), as
// whole CPUs rounded up; nothing when there is no quota or the text is not one.
std::optional<int> cpus_of_cpu_max(std::string_view text);
// cgroup v1's cpu.cfs_quota_us ("-1": none) and cpu.cfs_period_us, likewise.
std::optional<int> cpus_of_cfs_quota(std::string_view quota, std::string_view period);

// The tightest quota on the cgroups `membership` (the text of
// /proc/self/cgroup) names and their ancestors, read from the hierarchy
// mounted at `root` (/sys/fs/cgroup; tests pass a tree of their own).
std::optional<int> cgroup_cpu_quota(const std::filesystem::path& root, std::string_view membership);
// The same for this process.
std::optional<int> cgroup_cpu_quota();

}  // namespace charnn
