// Reading a cgroup CPU quota (cpu_quota.h): the two file formats, and a fake
// hierarchy where a parent's quota is tighter than its child's, for v2 and
// for a v1 cpu controller mounted as "cpu,cpuacct".
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "charnn/nn/cpu_quota.h"
#include "test_support.h"

namespace charnn {
namespace {

namespace fs = std::filesystem;

TEST(CpuQuota, CpuMaxIsWholeCpusRoundedUp) {
  EXPECT_EQ(cpus_of_cpu_max("200000 100000\n"), 2);
  EXPECT_EQ(cpus_of_cpu_max("150000 100000"), 2);
  EXPECT_EQ(cpus_of_cpu_max("50000 100000\n"), 1);
  EXPECT_EQ(cpus_of_cpu_max("max 100000\n"), std::nullopt);
  for (const char* unread : {"", "200000", "x 100000", "200000 0", "-5 100000", "200000 100000 7"}) {
    EXPECT_EQ(cpus_of_cpu_max(unread), std::nullopt) << unread;
  }
}

TEST(CpuQuota, CfsQuotaIsWholeCpusRoundedUp) {
  EXPECT_EQ(cpus_of_cfs_quota("300000\n", "100000\n"), 3);
  EXPECT_EQ(cpus_of_cfs_quota("250000", "100000"), 3);
  EXPECT_EQ(cpus_of_cfs_quota("-1\n", "100000\n"), std::nullopt);
  EXPECT_EQ(cpus_of_cfs_quota("100000", ""), std::nullopt);
}

// Each test's tree lives in a fresh directory of its own (ctest runs copies
// of these tests side by side).
class CpuQuotaTree : public ::testing::Test {
 protected:
  void write(const fs::path& relative, const std::string& text) const {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative) << text;
  }
  testing::TempDir dir_;
  const fs::path root_{dir_.path()};
};

TEST_F(CpuQuotaTree, TheTightestQuotaOnTheV2PathWins) {
  write("cpu.max", "max 100000\n");
  write("kubepods/cpu.max", "300000 100000\n");
  write("kubepods/pod7/cpu.max", "max 100000\n");
  write("kubepods/pod7/app/cpu.max", "400000 100000\n");
  EXPECT_EQ(cgroup_cpu_quota(root_, "0::/kubepods/pod7/app\n"), 3);
  EXPECT_EQ(cgroup_cpu_quota(root_, "0::/\n"), std::nullopt);
  // A path missing from this mount (another namespace's view) still meets the root's quota.
  write("cpu.max", "100000 100000\n");
  EXPECT_EQ(cgroup_cpu_quota(root_, "0::/docker/abc\n"), 1);
}

TEST_F(CpuQuotaTree, AV1CpuControllerIsReadUnderItsMountName) {
  write("cpu,cpuacct/batch/cpu.cfs_quota_us", "200000\n");
  write("cpu,cpuacct/batch/cpu.cfs_period_us", "100000\n");
  write("cpu,cpuacct/batch/job/cpu.cfs_quota_us", "-1\n");
  write("cpu,cpuacct/batch/job/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(cgroup_cpu_quota(root_, "4:memory:/batch/job\n3:cpu,cpuacct:/batch/job\n0::/\n"), 2);
  EXPECT_EQ(cgroup_cpu_quota(root_, "4:memory:/batch/job\n"), std::nullopt);
  EXPECT_EQ(cgroup_cpu_quota(root_, ""), std::nullopt);
}

}  // namespace
}  // namespace charnn
