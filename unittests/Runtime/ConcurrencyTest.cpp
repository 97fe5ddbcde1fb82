//===- ConcurrencyTest.cpp - Arbitration while everything else changes ----===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Threads arbitrate while others change budgets, pins and thresholds, feed
// samples, register new units and race to register the same ones. Checked:
// every answer obeys the contract, registration is idempotent under races,
// and no arbitration is lost from the counters. Run it under ThreadSanitizer
// as docs/Runtime.md describes.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "agn-c/Runtime.h"

#include "gtest/gtest.h"

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

using namespace agn::rt;
using namespace agn::rt::test;

namespace {

/// A deterministic variety of allowed sets.
LevelMask maskFor(int i) {
  static const LevelMask masks[] = {0x1F, 0x12, 0x18, 0x03,
                                    0x10, 0x0A, 0x15, 0x06};
  return masks[i % 8];
}

std::vector<int> levelsOf(LevelMask mask) {
  std::vector<int> levels;
  for (int l = 0; l < kNumLevels; ++l)
    if (contains(mask, l))
      levels.push_back(l);
  return levels;
}

bool obeysContract(LevelMask mask, int64_t request, int64_t granted,
                   bool mayBePinned) {
  int unconstrained = grantedLevel(mask, clampLevel(request), kTopLevel);
  // A pin fixes the level, so it may raise a grant; nothing else does.
  return isLevel(granted) && contains(mask, static_cast<int>(granted)) &&
         (mayBePinned || granted <= unconstrained);
}

TEST(ConcurrencyTest, ArbitrationWhileBudgetsPinsAndUnitsChange) {
  constexpr int kInitial = 48, kLate = 48, kArbiters = 4;
  constexpr int kIterations = 20000;
  TestManager m;
  for (int i = 0; i < kInitial; ++i)
    m.addUnit("unit" + std::to_string(i), levelsOf(maskFor(i)), 0.1 + i % 7,
              100 + i);

  std::atomic<bool> done{false};
  std::atomic<uint64_t> calls{0}, violations{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kArbiters; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 random(t);
      uint64_t n = 0, bad = 0;
      for (int i = 0; i < kIterations; ++i) {
        int64_t units = m->numUnits();
        int64_t unit = static_cast<int64_t>(random() % units);
        int64_t request = static_cast<int64_t>(random() % 7) - 1;
        int64_t granted = m->arbitrate(unit, request, 0.5f);
        bad += !obeysContract(maskFor(static_cast<int>(unit)), request, granted,
                              /*mayBePinned=*/unit < kInitial);
        ++n; // Out-of-range requests (-1, 5) are clamped and counted too.
        if (i % 64 == 0)
          m->reportUnitTime(unit, granted, 1000);
      }
      calls += n;
      violations += bad;
    });

  // Policies change underneath.
  threads.emplace_back([&] {
    const char *levels[] = {"i4", "i8", "bf16", "f16", "f32"};
    ResourceSample hot = emptySample(), calm = emptySample();
    hot.Cpu.SystemUtilization = 1.0;
    calm.Cpu.SystemUtilization = 0.0;
    m->setOption("cpu_high", "0.5");
    m->setOption("hysteresis_ticks", "1");
    for (int i = 0; !done.load(); ++i) {
      m->setOption("max_level", levels[i % 5]);
      m->setOption("memory_budget",
                   i % 3 ? std::to_string(20000 + 997 * (i % 50)).c_str()
                         : "off");
      m->pinUnit(i % kInitial, i % 4 ? (i % 5) : AGN_RT_UNPINNED);
      m->applySample(i % 2 ? hot : calm);
      if (i % 10 == 0)
        m->snapshot();
    }
  });

  // Units arrive while everything runs, and others race to register them.
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&] {
      for (int i = kInitial; i < kInitial + kLate; ++i) {
        std::vector<agn_level_cost> table =
            costTable(levelsOf(maskFor(i)), 100 + i);
        Expected<int64_t> id =
            m->registerUnit(("unit" + std::to_string(i)).c_str(), table.data(),
                            static_cast<int64_t>(table.size()), 0.1 + i % 7);
        EXPECT_TRUE(id.ok());
        EXPECT_EQ(id.ok() ? *id : -1, i)
            << "registration is serialised: ids follow the order";
      }
    });

  for (int t = 0; t < kArbiters; ++t)
    threads[t].join();
  done = true;
  for (size_t t = kArbiters; t < threads.size(); ++t)
    threads[t].join();

  EXPECT_EQ(violations.load(), 0u);
  ManagerSnapshot s = m->snapshot();
  EXPECT_EQ(s.Units.size(), static_cast<size_t>(kInitial + kLate));
  uint64_t counted = 0;
  for (const UnitSnapshot &u : s.Units)
    counted += u.arbitrations();
  EXPECT_EQ(counted, calls.load()) << "no arbitration lost from the counters";
  EXPECT_EQ(s.InvalidUnitErrors, 0u);
}

TEST(ConcurrencyTest, RacingRegistrationsOfTheSameNamesAgree) {
  constexpr int kThreads = 8, kNames = 200;
  TestManager m;
  std::vector<std::vector<int64_t>> ids(kThreads,
                                        std::vector<int64_t>(kNames, -1));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      // Each thread walks the names from a different start.
      for (int k = 0; k < kNames; ++k) {
        int i = (k + t * 25) % kNames;
        std::vector<agn_level_cost> table = costTable({1, 3, 4});
        Expected<int64_t> id = m->registerUnit(
            ("layer" + std::to_string(i)).c_str(), table.data(), 3, 1.0);
        ids[t][i] = id.ok() ? *id : id.status().code();
      }
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(m->numUnits(), kNames);
  for (int i = 0; i < kNames; ++i)
    for (int t = 1; t < kThreads; ++t)
      EXPECT_EQ(ids[t][i], ids[0][i]) << "name " << i;
}

TEST(ConcurrencyTest, MonitorThreadRepublishesWhileThreadsArbitrate) {
  TestManager m;
  m.Files.set("/proc/self/cgroup", "0::/job\n");
  m.Files.set("/proc/meminfo", readInput("roots/host/proc/meminfo"));
  m.Files.set("/sys/fs/cgroup/job/memory.max", "1000000000\n");
  m.Files.set("/sys/fs/cgroup/job/memory.current", "100000000\n");
  m.set("memory_reserve", "500MB");
  m.set("hysteresis_ticks", "1");
  m.set("interval", "1ms");
  for (int i = 0; i < 16; ++i)
    m.addUnit("m" + std::to_string(i), levelsOf(maskFor(i)), i % 3, 1000000);
  const char *env[] = {nullptr};
  ASSERT_TRUE(m->initialize(nullptr, env).ok());

  std::atomic<bool> done{false};
  std::atomic<uint64_t> violations{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      uint64_t bad = 0;
      for (int i = 0; i < 30000 || !done.load(std::memory_order_relaxed); ++i) {
        int unit = (i + t) % 16;
        int64_t request = i % kNumLevels;
        bad += !obeysContract(maskFor(unit), request,
                              m->arbitrate(unit, request, 0),
                              /*mayBePinned=*/false);
        if (i % 100 == 0) {
          m->beginInference();
          m->endInference();
        }
      }
      violations += bad;
    });
  // Usage flips between pressure and relief under the monitor's feet.
  threads.emplace_back([&] {
    for (int i = 0; !done.load(); ++i) {
      m.Files.set("/sys/fs/cgroup/job/memory.current",
                  i % 2 ? "990000000\n" : "100000000\n");
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  });
  // Let the monitor republish a good number of times under the arbiters.
  for (int i = 0; i < 5000 && m->snapshot().Ticks < 20; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  done = true;
  for (std::thread &t : threads)
    t.join();
  EXPECT_GE(m->snapshot().Ticks, 20u);
  ASSERT_TRUE(m->shutdown().ok());
  EXPECT_EQ(violations.load(), 0u);
}

TEST(ConcurrencyTest, TheCApiFromManyThreads) {
  // The process-wide runtime: lazily created by whichever call comes first.
  std::atomic<uint64_t> violations{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      uint64_t bad = 0;
      for (int i = 0; i < 5000; ++i) {
        int k = (i + t) % 24;
        std::vector<agn_level_cost> table = costTable(levelsOf(maskFor(k)));
        int64_t id = agn_rt_register_unit(
            ("capi-concurrency/" + std::to_string(k)).c_str(), table.data(),
            static_cast<int64_t>(table.size()), 1.0);
        if (id < 0) {
          ++bad;
          continue;
        }
        int64_t request = i % kNumLevels;
        int64_t granted = agn_rt_arbitrate(id, request, 0.25f);
        bad +=
            !obeysContract(maskFor(k), request, granted, /*mayBePinned=*/false);
        agn_rt_report_unit_time(id, granted, 500);
        agn_rt_begin_inference();
        agn_rt_end_inference();
      }
      violations += bad;
    });
  threads.emplace_back([&] {
    agn_rt_stats stats;
    for (int i = 0; !done.load(); ++i) {
      agn_rt_set_max_level(i % kNumLevels);
      agn_rt_set_memory_budget(i % 2 ? 5000 : AGN_RT_UNLIMITED);
      agn_rt_tick();
      stats.struct_size = sizeof(stats);
      agn_rt_get_stats(&stats);
      if (i % 16 == 0)
        agn_rt_telemetry_json(nullptr, 0);
    }
  });
  for (int t = 0; t < 4; ++t)
    threads[t].join();
  done = true;
  threads.back().join();
  EXPECT_EQ(violations.load(), 0u);
  EXPECT_EQ(agn_rt_set_max_level(AGN_LEVEL_F32), AGN_RT_OK);
  EXPECT_EQ(agn_rt_set_memory_budget(AGN_RT_UNLIMITED), AGN_RT_OK);
}

} // namespace
