//===- ProcParsersTest.cpp - /proc/stat, /proc/meminfo, status ------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The fixtures under Inputs/roots/host were copied from a real machine
// (Linux 6.18, 2 CPUs); the variants under Inputs/proc are those files
// truncated, stripped or garbled.
//
//===----------------------------------------------------------------------===//

#include "CpuMonitor.h"
#include "MemoryMonitor.h"
#include "ProcessMonitor.h"
#include "TestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace agn::rt;
using namespace agn::rt::test;
using ::testing::HasSubstr;

namespace {

TEST(ProcStatTest, ParsesRealFile) {
  Expected<CpuTimes> times = parseProcStat(readInput("roots/host/proc/stat"));
  ASSERT_TRUE(times.ok()) << times.status().message();
  EXPECT_EQ(times->User, 6620u);
  EXPECT_EQ(times->Nice, 0u);
  EXPECT_EQ(times->System, 2379u);
  EXPECT_EQ(times->Idle, 67410u);
  EXPECT_EQ(times->IoWait, 203u);
  EXPECT_EQ(times->SoftIrq, 32u);
  EXPECT_EQ(times->Steal, 9u);
  EXPECT_EQ(times->NumCpus, 2u);
}

TEST(ProcStatTest, UtilisationBetweenTwoRealSnapshots) {
  // Two reads of the same machine one second apart, one core busy.
  PosixFileReader files;
  CpuMonitor monitor;
  CpuSample first =
      monitor.sample(files, inputPath("roots/host"), {}, 1000000000);
  EXPECT_LT(first.SystemUtilization, 0) << "the first sample only primes";
  EXPECT_TRUE(first.Note.empty()) << first.Note;
  CpuSample second =
      monitor.sample(files, inputPath("roots/host-1s-later"), {}, 2000000000);
  // Busy 102 of 202 ticks: user +101, system +1, idle +100.
  EXPECT_NEAR(second.SystemUtilization, 1.0 - 100.0 / 202.0, 1e-12);
  EXPECT_NEAR(second.load(), second.SystemUtilization, 0);
}

TEST(ProcStatTest, CountersGoingBackwardsPrimeAgain) {
  PosixFileReader files;
  CpuMonitor monitor;
  monitor.sample(files, inputPath("roots/host-1s-later"), {}, 1);
  CpuSample sample = monitor.sample(files, inputPath("roots/host"), {}, 2);
  EXPECT_LT(sample.SystemUtilization, 0);
}

TEST(ProcStatTest, AcceptsTheFourFieldsOfOldKernels) {
  Expected<CpuTimes> times = parseProcStat("cpu 1 2 3 4\ncpu0 1 2 3 4\n");
  ASSERT_TRUE(times.ok());
  EXPECT_EQ(times->total(), 10u);
  EXPECT_EQ(times->idle(), 4u);
}

TEST(ProcStatTest, RejectsGarbage) {
  Expected<CpuTimes> garbage =
      parseProcStat(readInput("roots/garbage/proc/stat"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.status().message(),
              HasSubstr("malformed 'cpu' field 'lots'"));

  Expected<CpuTimes> truncated =
      parseProcStat(readInput("proc/stat.truncated"));
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.status().message(), HasSubstr("too few fields"));

  Expected<CpuTimes> binary = parseProcStat(readInput("proc/stat.binary"));
  ASSERT_FALSE(binary.ok());
  EXPECT_THAT(binary.status().message(), HasSubstr("no 'cpu' line"));

  EXPECT_FALSE(parseProcStat("").ok());
  EXPECT_FALSE(parseProcStat("cpu 1 2 3 -4\n").ok());
  EXPECT_FALSE(parseProcStat("cpu 1 2 3 99999999999999999999999\n").ok());
}

TEST(MeminfoTest, ParsesRealFile) {
  Expected<Meminfo> info = parseMeminfo(readInput("roots/host/proc/meminfo"));
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->TotalBytes, 24684092ull * 1024);
  EXPECT_EQ(info->AvailableBytes, 24326436ull * 1024);
  EXPECT_FALSE(info->AvailableEstimated);
}

TEST(MeminfoTest, EstimatesAvailableOnKernelsWithoutMemAvailable) {
  Expected<Meminfo> info = parseMeminfo(readInput("proc/meminfo.no-available"));
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_TRUE(info->AvailableEstimated);
  // MemFree + Buffers + Cached.
  EXPECT_EQ(info->AvailableBytes, (24079848ull + 9132 + 427496) * 1024);
}

TEST(MeminfoTest, RejectsGarbage) {
  Expected<Meminfo> garbage =
      parseMeminfo(readInput("roots/garbage/proc/meminfo"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.status().message(), HasSubstr("malformed line"));
  EXPECT_FALSE(parseMeminfo("MemFree: 10 kB\n").ok()) << "no MemTotal";
  EXPECT_FALSE(parseMeminfo("MemTotal: 10 kB\n").ok()) << "no availability";
  EXPECT_FALSE(parseMeminfo("MemTotal: 10 MB\nMemFree: 1 kB\n").ok());
  EXPECT_FALSE(parseMeminfo(readInput("proc/stat.binary")).ok());
}

TEST(ProcStatusTest, ParsesRealRss) {
  Expected<uint64_t> rss =
      parseProcStatusRss(readInput("roots/host/proc/self/status"));
  ASSERT_TRUE(rss.ok()) << rss.status().message();
  EXPECT_EQ(*rss, 1684ull * 1024);
}

TEST(ProcStatusTest, KernelThreadsHaveNoRss) {
  Expected<uint64_t> rss =
      parseProcStatusRss(readInput("proc/status.kernel-thread"));
  ASSERT_FALSE(rss.ok());
  EXPECT_THAT(rss.status().message(), HasSubstr("no VmRSS"));
}

TEST(ProcStatusTest, RejectsGarbage) {
  Expected<uint64_t> rss =
      parseProcStatusRss(readInput("roots/garbage/proc/self/status"));
  ASSERT_FALSE(rss.ok());
  EXPECT_THAT(rss.status().message(), HasSubstr("VmRSS:"));
}

} // namespace
