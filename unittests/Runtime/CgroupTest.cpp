//===- CgroupTest.cpp - cgroup v2 paths and files -------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The cgroup fixtures follow the kernel's formats (Documentation/admin-guide/
// cgroup-v2.rst): memory.max and cpu.max with their "max" spellings,
// memory.current, flat-keyed memory.stat and cpu.stat. The /proc/self/cgroup
// of roots/host is real (a hybrid v1/v2 host).
//
//===----------------------------------------------------------------------===//

#include "Cgroup.h"
#include "CpuMonitor.h"
#include "MemoryMonitor.h"
#include "TestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace agn::rt;
using namespace agn::rt::test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

TEST(ProcSelfCgroupTest, HybridHostHasTheRootV2Cgroup) {
  Expected<std::string> path =
      parseProcSelfCgroup(readInput("roots/host/proc/self/cgroup"));
  ASSERT_TRUE(path.ok()) << path.status().message();
  EXPECT_EQ(*path, "/");
}

TEST(ProcSelfCgroupTest, PureV2) {
  Expected<std::string> path =
      parseProcSelfCgroup(readInput("roots/cgroup-v2/proc/self/cgroup"));
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, "/agn.slice/job.scope");
}

TEST(ProcSelfCgroupTest, V1OnlyHasNoV2Entry) {
  Expected<std::string> path =
      parseProcSelfCgroup("4:memory:/job\n1:cpu,cpuacct:/job\n");
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr("no cgroup v2 entry"));
}

TEST(ProcSelfCgroupTest, OutsideTheNamespaceMapsToRoot) {
  Expected<std::string> path = parseProcSelfCgroup("0::/../../user.slice\n");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, "/");
}

TEST(ProcSelfCgroupTest, RejectsGarbage) {
  Expected<std::string> path =
      parseProcSelfCgroup(readInput("roots/garbage/proc/self/cgroup"));
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr("malformed"));
}

TEST(CgroupDirectoriesTest, LeafFirstUpToTheMount) {
  EXPECT_THAT(cgroupDirectories("/agn.slice/job.scope"),
              ElementsAre("/sys/fs/cgroup/agn.slice/job.scope",
                          "/sys/fs/cgroup/agn.slice", "/sys/fs/cgroup"));
  EXPECT_THAT(cgroupDirectories("/"), ElementsAre("/sys/fs/cgroup"));
  EXPECT_THAT(cgroupDirectories("/a/"),
              ElementsAre("/sys/fs/cgroup/a", "/sys/fs/cgroup"));
}

TEST(CgroupMemoryTest, MemoryMax) {
  Expected<std::optional<uint64_t>> unlimited =
      parseCgroupMemoryMax(readInput("cgroup/memory.max.unlimited"));
  ASSERT_TRUE(unlimited.ok());
  EXPECT_FALSE(unlimited->has_value());

  Expected<std::optional<uint64_t>> limited =
      parseCgroupMemoryMax(readInput("cgroup/memory.max.limited"));
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(**limited, 1ull << 30);

  Expected<std::optional<uint64_t>> garbage =
      parseCgroupMemoryMax(readInput("cgroup/memory.max.garbage"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.status().message(),
              HasSubstr("expected a byte count or 'max', got '1.5G'"));
  EXPECT_FALSE(parseCgroupMemoryMax("").ok());
}

TEST(CgroupMemoryTest, MemoryCurrentAndStat) {
  Expected<uint64_t> current =
      parseCgroupMemoryCurrent(readInput("cgroup/memory.current"));
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(*current, 768ull << 20);
  EXPECT_FALSE(parseCgroupMemoryCurrent("max\n").ok());

  Expected<uint64_t> inactive =
      parseCgroupInactiveFile(readInput("cgroup/memory.stat"));
  ASSERT_TRUE(inactive.ok());
  EXPECT_EQ(*inactive, 64ull << 20);
  EXPECT_FALSE(parseCgroupInactiveFile("anon 1\n").ok());
  EXPECT_FALSE(parseCgroupInactiveFile("inactive_file x\n").ok());
}

TEST(CgroupCpuTest, CpuMax) {
  Expected<CpuQuota> unlimited =
      parseCgroupCpuMax(readInput("cgroup/cpu.max.unlimited"));
  ASSERT_TRUE(unlimited.ok());
  EXPECT_FALSE(unlimited->Limited);
  EXPECT_LT(unlimited->cores(), 0);

  Expected<CpuQuota> limited =
      parseCgroupCpuMax(readInput("cgroup/cpu.max.limited"));
  ASSERT_TRUE(limited.ok());
  EXPECT_TRUE(limited->Limited);
  EXPECT_DOUBLE_EQ(limited->cores(), 1.5);

  // Writers may give the quota alone; the period keeps its default.
  Expected<CpuQuota> quotaOnly = parseCgroupCpuMax("50000\n");
  ASSERT_TRUE(quotaOnly.ok());
  EXPECT_DOUBLE_EQ(quotaOnly->cores(), 0.5);

  Expected<CpuQuota> zeroPeriod =
      parseCgroupCpuMax(readInput("cgroup/cpu.max.garbage"));
  ASSERT_FALSE(zeroPeriod.ok());
  EXPECT_THAT(zeroPeriod.status().message(), HasSubstr("malformed period"));
  EXPECT_FALSE(parseCgroupCpuMax("fifty 100000").ok());
  EXPECT_FALSE(parseCgroupCpuMax("1 2 3").ok());
  EXPECT_FALSE(parseCgroupCpuMax("").ok());
}

TEST(CgroupCpuTest, CpuStatUsage) {
  Expected<uint64_t> usage =
      parseCgroupCpuStatUsage(readInput("cgroup/cpu.stat"));
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(*usage, 4000000u);
  Expected<uint64_t> garbage =
      parseCgroupCpuStatUsage(readInput("cgroup/cpu.stat.garbage"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.status().message(), HasSubstr("malformed usage_usec"));
  EXPECT_FALSE(parseCgroupCpuStatUsage("user_usec 5\n").ok());
}

} // namespace
