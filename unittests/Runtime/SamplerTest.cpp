//===- SamplerTest.cpp - Whole samples from fixture trees -----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Each test points the sampler's root at a fixture tree (or an injected
// reader) and checks what every source reports, including how it degrades:
// a missing tree, directories where files belong (unreadable even as root),
// garbage, and injected permission errors.
//
//===----------------------------------------------------------------------===//

#include "Sampler.h"
#include "TestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace agn::rt;
using namespace agn::rt::test;
using ::testing::HasSubstr;

namespace {

SamplerConfig configFor(const std::string &root) {
  SamplerConfig config;
  config.Root = root;
  config.NvmlLibrary = "libnvidia-ml.so.1";
  return config;
}

TEST(SamplerTest, HostWithoutCgroupLimitsFallsBackToMeminfo) {
  PosixFileReader files;
  AbsentLoader libraries;
  Sampler sampler(files, libraries);
  ResourceSample s = sampler.sample(configFor(inputPath("roots/host")), 1);

  EXPECT_EQ(s.CgroupPath, "/");
  EXPECT_EQ(s.Memory.Src, MemorySample::Source::Meminfo);
  EXPECT_EQ(s.Memory.TotalBytes, 24684092ull * 1024);
  EXPECT_EQ(s.Memory.AvailableBytes, 24326436ull * 1024);
  EXPECT_EQ(s.Memory.CgroupMaxBytes, AGN_RT_UNLIMITED);
  // The root cgroup has no memory.max: that is not worth a note.
  EXPECT_TRUE(s.Memory.Note.empty()) << s.Memory.Note;
  EXPECT_EQ(s.Process.RssBytes, 1684ull * 1024);
  EXPECT_EQ(s.Cpu.NumCpus, 2u);
  EXPECT_LT(s.Cpu.QuotaCores, 0);
  EXPECT_FALSE(s.Gpu.Available);
  EXPECT_THAT(s.Gpu.Note, HasSubstr("NVML not loaded"));
}

TEST(SamplerTest, CgroupV2LimitsBind) {
  PosixFileReader files;
  AbsentLoader libraries;
  Sampler sampler(files, libraries);
  ResourceSample s = sampler.sample(configFor(inputPath("roots/cgroup-v2")), 1);

  EXPECT_EQ(s.CgroupPath, "/agn.slice/job.scope");
  EXPECT_EQ(s.Memory.Src, MemorySample::Source::Cgroup);
  // agn.slice: 1 GiB limit, 768 MiB charged of which 64 MiB inactive page
  // cache; job.scope below it is unlimited.
  EXPECT_EQ(s.Memory.CgroupMaxBytes, 1ull << 30);
  EXPECT_EQ(s.Memory.CgroupCurrentBytes, 768ull << 20);
  EXPECT_EQ(s.Memory.CgroupDir, "/sys/fs/cgroup/agn.slice");
  EXPECT_EQ(s.Memory.TotalBytes, 1ull << 30);
  EXPECT_EQ(s.Memory.AvailableBytes, (1024ull - 768 + 64) << 20);
  EXPECT_EQ(s.Memory.HostAvailableBytes, 24326436ull * 1024);
  // job.scope's 1.5 cores are tighter than agn.slice's "max".
  EXPECT_DOUBLE_EQ(s.Cpu.QuotaCores, 1.5);
  EXPECT_TRUE(s.Memory.Note.empty()) << s.Memory.Note;
}

TEST(SamplerTest, CgroupCpuUsageAgainstQuota) {
  MapFileReader files;
  AbsentLoader libraries;
  files.set("/proc/self/cgroup", "0::/job\n");
  files.set("/sys/fs/cgroup/job/cpu.max", "200000 100000\n");
  files.set("/sys/fs/cgroup/job/cpu.stat", "usage_usec 1000000\n");
  Sampler sampler(files, libraries);
  SamplerConfig config;
  config.NvmlLibrary.clear();
  ResourceSample first = sampler.sample(config, 1000000000);
  EXPECT_DOUBLE_EQ(first.Cpu.QuotaCores, 2.0);
  EXPECT_LT(first.Cpu.CgroupUtilization, 0);
  // 0.5 s of CPU in 0.5 s of wall time against a 2-core quota: 50 %.
  files.set("/sys/fs/cgroup/job/cpu.stat", "usage_usec 1500000\n");
  ResourceSample second = sampler.sample(config, 1500000000);
  EXPECT_DOUBLE_EQ(second.Cpu.CgroupUtilization, 0.5);
  EXPECT_DOUBLE_EQ(second.Cpu.load(), 0.5) << "/proc/stat is missing here";
  EXPECT_THAT(second.Cpu.Note, HasSubstr("/proc/stat"));
  EXPECT_THAT(second.Gpu.Note, HasSubstr("disabled"));
}

TEST(SamplerTest, MissingTreeDegradesEverySource) {
  PosixFileReader files;
  AbsentLoader libraries;
  Sampler sampler(files, libraries);
  SamplerConfig config = configFor(inputPath("roots/does-not-exist"));
  sampler.sample(config, 1);
  ResourceSample s = sampler.sample(config, 2);
  EXPECT_LT(s.Cpu.load(), 0);
  EXPECT_THAT(s.Cpu.Note, HasSubstr("No such file or directory"));
  EXPECT_FALSE(s.Memory.known());
  EXPECT_EQ(s.Memory.AvailableBytes, AGN_RT_UNLIMITED);
  EXPECT_THAT(s.Memory.Note, HasSubstr("meminfo"));
  EXPECT_EQ(s.Process.RssBytes, AGN_RT_UNLIMITED);
  EXPECT_THAT(s.CgroupNote, HasSubstr("/proc/self/cgroup"));
  EXPECT_TRUE(s.CgroupPath.empty());
}

TEST(SamplerTest, DirectoriesWhereFilesBelongAreUnreadable) {
  // open(2) of a directory succeeds and read(2) fails with EISDIR, for root
  // too, which is why this stands in for "unreadable" instead of chmod.
  PosixFileReader files;
  AbsentLoader libraries;
  Sampler sampler(files, libraries);
  SamplerConfig config = configFor(inputPath("roots/unreadable"));
  ResourceSample s = sampler.sample(config, 1);
  EXPECT_THAT(s.Cpu.Note, HasSubstr("Is a directory"));
  EXPECT_FALSE(s.Memory.known());
  EXPECT_THAT(s.Memory.Note, HasSubstr("Is a directory"));
  EXPECT_THAT(s.Process.Note, HasSubstr("Is a directory"));
  EXPECT_THAT(s.CgroupNote, HasSubstr("Is a directory"));

  ReadResult direct = files.read(inputPath("roots/unreadable/proc/stat"));
  EXPECT_EQ(direct.Status, ReadResult::Unreadable);
}

TEST(SamplerTest, GarbageIsReportedNotRead) {
  PosixFileReader files;
  AbsentLoader libraries;
  Sampler sampler(files, libraries);
  ResourceSample s = sampler.sample(configFor(inputPath("roots/garbage")), 1);
  EXPECT_LT(s.Cpu.load(), 0);
  EXPECT_THAT(s.Cpu.Note, HasSubstr("malformed"));
  EXPECT_FALSE(s.Memory.known());
  EXPECT_THAT(s.Memory.Note, HasSubstr("malformed"));
  EXPECT_EQ(s.Process.RssBytes, AGN_RT_UNLIMITED);
  EXPECT_THAT(s.CgroupNote, HasSubstr("malformed"));
}

TEST(SamplerTest, GarbageCgroupFilesFallBackToMeminfo) {
  PosixFileReader files;
  AbsentLoader libraries;
  Sampler sampler(files, libraries);
  ResourceSample s =
      sampler.sample(configFor(inputPath("roots/garbage-cgroup")), 1);
  EXPECT_EQ(s.CgroupPath, "/job");
  EXPECT_EQ(s.Memory.Src, MemorySample::Source::Meminfo);
  EXPECT_EQ(s.Memory.AvailableBytes, 24326436ull * 1024);
  EXPECT_THAT(s.Memory.Note, HasSubstr("/sys/fs/cgroup/job/memory.max"));
  EXPECT_THAT(s.Memory.Note, HasSubstr("'lots'"));
  EXPECT_LT(s.Cpu.QuotaCores, 0);
  EXPECT_THAT(s.Cpu.Note, HasSubstr("malformed quota 'fifty'"));
}

TEST(SamplerTest, InjectedPermissionErrors) {
  MapFileReader files;
  AbsentLoader libraries;
  files.set("/proc/stat", readInput("roots/host/proc/stat"));
  files.fail("/proc/meminfo", ReadResult::Unreadable, "Permission denied");
  files.set("/proc/self/cgroup", "0::/job\n");
  files.fail("/sys/fs/cgroup/job/memory.max", ReadResult::Unreadable,
             "Permission denied");
  files.fail("/proc/self/status", ReadResult::Unreadable, "Input/output error");
  Sampler sampler(files, libraries);
  SamplerConfig config;
  config.NvmlLibrary.clear();
  ResourceSample s = sampler.sample(config, 1);
  EXPECT_FALSE(s.Memory.known());
  EXPECT_THAT(s.Memory.Note, HasSubstr("/proc/meminfo: Permission denied"));
  EXPECT_THAT(s.Memory.Note,
              HasSubstr("/sys/fs/cgroup/job/memory.max: Permission denied"));
  EXPECT_THAT(s.Process.Note, HasSubstr("Input/output error"));
  EXPECT_EQ(s.Cpu.NumCpus, 2u);
}

TEST(SamplerTest, CgroupLimitAloneIsEnoughWithoutMeminfo) {
  MapFileReader files;
  AbsentLoader libraries;
  files.set("/proc/self/cgroup", "0::/job\n");
  files.set("/sys/fs/cgroup/job/memory.max", "1000\n");
  files.set("/sys/fs/cgroup/job/memory.current", "400\n");
  Sampler sampler(files, libraries);
  SamplerConfig config;
  config.NvmlLibrary.clear();
  ResourceSample s = sampler.sample(config, 1);
  EXPECT_EQ(s.Memory.Src, MemorySample::Source::Cgroup);
  EXPECT_EQ(s.Memory.TotalBytes, 1000u);
  EXPECT_EQ(s.Memory.AvailableBytes, 600u);
}

TEST(FileReaderTest, JoinRoot) {
  EXPECT_EQ(joinRoot("/", "/proc/stat"), "/proc/stat");
  EXPECT_EQ(joinRoot("", "/proc/stat"), "/proc/stat");
  EXPECT_EQ(joinRoot("/fx", "/proc/stat"), "/fx/proc/stat");
  EXPECT_EQ(joinRoot("/fx/", "/proc/stat"), "/fx/proc/stat");
}

TEST(FileReaderTest, ReadsRealProcFiles) {
  // /proc files report a size of 0; the reader must read to end of file.
  PosixFileReader files;
  ReadResult stat = files.read("/proc/self/stat");
  ASSERT_TRUE(stat.ok()) << stat.Error;
  EXPECT_FALSE(stat.Text.empty());
  EXPECT_EQ(files.read("/nonexistent/file").Status, ReadResult::Missing);
}

} // namespace
