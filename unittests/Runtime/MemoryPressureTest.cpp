//===- MemoryPressureTest.cpp - Shedding weights as memory runs out -------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A model of eight units in a cgroup whose usage climbs towards its
// memory.max. The files change between ticks the way the kernel's would; the
// manager samples them through its real sampler. Two threads arbitrate all
// the while: whatever the budget, every request is answered with an allowed
// level no higher than the request.
//
//===----------------------------------------------------------------------===//

#include "BufferCache.h"
#include "TestSupport.h"

#include "gtest/gtest.h"

#include <atomic>
#include <cstdlib>
#include <thread>

using namespace agn::rt;
using namespace agn::rt::test;

namespace {

constexpr uint64_t MiB = 1ull << 20;
constexpr int kUnits = 8;
const std::vector<int> kLevels = {AGN_LEVEL_I4, AGN_LEVEL_I8, AGN_LEVEL_F16,
                                  AGN_LEVEL_F32};
constexpr LevelMask kMask = (1u << AGN_LEVEL_I4) | (1u << AGN_LEVEL_I8) |
                            (1u << AGN_LEVEL_F16) | (1u << AGN_LEVEL_F32);

class MemoryPressureScenario : public ::testing::Test {
protected:
  void SetUp() override {
    M.Files.set("/proc/self/cgroup", "0::/model.slice\n");
    M.Files.set("/proc/meminfo", readInput("roots/host/proc/meminfo"));
    M.Files.set("/sys/fs/cgroup/model.slice/memory.max", "2147483648\n");
    setUsage(1024 * MiB);
    M.set("memory_reserve", "256MiB");
    M.set("hysteresis_ticks", "2");
    M.set("hysteresis_margin", "25%");
    // 64 MiB at f32, 32 at f16, 16 at i8, 8 at i4; sensitivity rises with
    // the index.
    for (int i = 0; i < kUnits; ++i)
      Ids.push_back(M.addUnit("model/unit" + std::to_string(i), kLevels,
                              0.1 * (i + 1), 2 * MiB));
  }

  void setUsage(uint64_t bytes) {
    M.Files.set("/sys/fs/cgroup/model.slice/memory.current",
                std::to_string(bytes) + "\n");
  }

  void ticks(int n) {
    for (int i = 0; i < n; ++i) {
      M.Time.advance(100000000);
      M->tick();
    }
  }

  std::vector<int> levels() {
    std::vector<int> granted;
    for (int64_t id : Ids)
      granted.push_back(static_cast<int>(M->arbitrate(id, AGN_LEVEL_F32, 0)));
    return granted;
  }

  TestManager M;
  std::vector<int64_t> Ids;
};

TEST_F(MemoryPressureScenario,
       BudgetForcesLowerLevelsAndEveryRequestIsAnswered) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> progress{0};
  std::atomic<uint64_t> answered{0};
  std::atomic<uint64_t> violations{0};
  std::vector<std::thread> arbiters;
  for (int t = 0; t < 2; ++t)
    arbiters.emplace_back([&, t] {
      uint64_t n = 0, bad = 0;
      for (uint64_t i = t; !stop.load(std::memory_order_relaxed); ++i) {
        int64_t unit = Ids[i % kUnits];
        int request = static_cast<int>(i % kNumLevels);
        int64_t granted = M->arbitrate(unit, request, 1.0f);
        int unconstrained = grantedLevel(kMask, request, kTopLevel);
        if (granted < 0 || granted > unconstrained ||
            !contains(kMask, static_cast<int>(granted)))
          ++bad;
        ++n;
        progress.fetch_add(1, std::memory_order_relaxed);
      }
      answered += n;
      violations += bad;
    });

  // Each phase lets the arbiters run a while against its budget.
  auto letThemRun = [&] {
    uint64_t target = progress.load() + 2000;
    while (progress.load() < target)
      std::this_thread::yield();
  };

  // Plenty of room: 1 GiB of headroom under memory.max.
  letThemRun();
  ticks(3);
  EXPECT_EQ(levels(), std::vector<int>(kUnits, AGN_LEVEL_F32));
  EXPECT_EQ(M->snapshot().BudgetBytes, AGN_RT_UNLIMITED);

  // 200 MiB left, 56 MiB short of the reserve: shed at once.
  setUsage(2048 * MiB - 200 * MiB);
  ticks(1);
  ManagerSnapshot s = M->snapshot();
  letThemRun();
  EXPECT_EQ(s.Sample.Memory.AvailableBytes, 200 * MiB);
  EXPECT_EQ(s.PressureBudgetBytes, 512 * MiB - 56 * MiB);
  EXPECT_LE(s.GrantedBytes, 456 * MiB);
  EXPECT_FALSE(s.OverBudget);
  std::vector<int> shed = levels();
  EXPECT_LT(shed.front(), AGN_LEVEL_F32) << "the least sensitive goes first";
  EXPECT_EQ(shed.back(), AGN_LEVEL_F32) << "the most sensitive stays";
  for (int i = 0; i + 1 < kUnits; ++i)
    EXPECT_LE(shed[i], shed[i + 1]) << "lowered in order of sensitivity";
  EXPECT_EQ(s.Units[Ids.front()].Reason, AGN_RT_REASON_MEMORY);

  // 10 MiB left and it stays that way: keep shedding down to the floor.
  setUsage(2048 * MiB - 10 * MiB);
  ticks(20);
  s = M->snapshot();
  letThemRun();
  EXPECT_EQ(levels(), std::vector<int>(kUnits, AGN_LEVEL_I4));
  EXPECT_TRUE(s.OverBudget);
  EXPECT_EQ(s.GrantedBytes, kUnits * 8 * MiB);
  for (int64_t id : Ids)
    for (int request = 0; request < kNumLevels; ++request)
      EXPECT_EQ(M->arbitrate(id, request, 0), AGN_LEVEL_I4);

  // Inside the band (between 256 and 320 MiB free): hold.
  setUsage(2048 * MiB - 300 * MiB);
  ticks(10);
  letThemRun();
  EXPECT_EQ(levels(), std::vector<int>(kUnits, AGN_LEVEL_I4));

  // Memory comes back: after two ticks above the band, everything returns.
  setUsage(512 * MiB);
  ticks(1);
  EXPECT_EQ(levels(), std::vector<int>(kUnits, AGN_LEVEL_I4))
      << "one tick of relief is not enough";
  ticks(1);
  EXPECT_EQ(levels(), std::vector<int>(kUnits, AGN_LEVEL_F32));
  s = M->snapshot();
  EXPECT_EQ(s.PressureBudgetBytes, AGN_RT_UNLIMITED);
  EXPECT_FALSE(s.OverBudget);

  letThemRun();
  stop = true;
  for (std::thread &t : arbiters)
    t.join();
  EXPECT_EQ(violations.load(), 0u);
  EXPECT_GT(answered.load(), 0u);
  uint64_t counted = 0, overridden = 0;
  for (const UnitSnapshot &u : M->snapshot().Units) {
    counted += u.arbitrations();
    overridden += u.Overrides[AGN_RT_REASON_MEMORY];
  }
  // Every call was counted (plus the test's own levels() calls).
  EXPECT_GE(counted, answered.load());
  EXPECT_GT(overridden, 0u);
}

TEST_F(MemoryPressureScenario, PressureReleasesTheCachedBuffers) {
  // A compiled model's freed buffers, kept for its next call.
  BufferCache &cache = getBufferCache();
  cache.clear();
  cache.release(std::malloc(4 * MiB));
  ticks(3);
  EXPECT_GE(cache.getCachedBytes(), 4 * MiB) << "plenty of room: kept";
  // 200 MiB left, under the 256 MiB reserve: they go before any weights.
  setUsage(2048 * MiB - 200 * MiB);
  ticks(1);
  EXPECT_EQ(cache.getCachedBytes(), 0u);
}

TEST_F(MemoryPressureScenario, UnreadableMemoryReleasesTheBudget) {
  setUsage(2048 * MiB - 100 * MiB);
  ticks(1);
  EXPECT_LT(levels().front(), AGN_LEVEL_F32);
  // The files become unreadable: no pressure is known, so after the
  // hysteresis the limit is lifted instead of holding forever.
  M.Files.fail("/proc/meminfo", ReadResult::Unreadable, "Permission denied");
  M.Files.fail("/sys/fs/cgroup/model.slice/memory.max", ReadResult::Unreadable,
               "Permission denied");
  ticks(2);
  EXPECT_EQ(levels(), std::vector<int>(kUnits, AGN_LEVEL_F32));
  EXPECT_FALSE(M->snapshot().Sample.Memory.known());
}

} // namespace
