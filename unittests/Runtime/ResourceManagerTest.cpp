//===- ResourceManagerTest.cpp - Override rules and policy folding --------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Private managers with in-memory files, a manual clock and no GPU; the tests
// feed samples and inferences by hand, so nothing depends on the machine's
// load or on sleeping.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

using namespace agn::rt;
using namespace agn::rt::test;
using ::testing::HasSubstr;

namespace {

const std::vector<int> kAll = {0, 1, 2, 3, 4};

int64_t code(const Expected<int64_t> &result) {
  return result.ok() ? *result : result.status().code();
}

TEST(ResourceManagerTest, RegistrationIsIdempotentAndIdsAreDense) {
  TestManager m;
  int64_t a = m.addUnit("a", {1, 4}, 1);
  int64_t b = m.addUnit("b", {1, 4}, 1);
  EXPECT_EQ(a, 0);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(m.addUnit("a", {1, 4}, 1), a);
  // The same entries in another order are the same table.
  std::vector<agn_level_cost> reversed = costTable({4, 1});
  EXPECT_EQ(code(m->registerUnit("a", reversed.data(), 2, 1)), a);
  EXPECT_EQ(m->numUnits(), 2);
  EXPECT_EQ(code(m->findUnit("b")), b);
  EXPECT_EQ(code(m->findUnit("zzz")), AGN_RT_ERR_UNKNOWN_UNIT);
  EXPECT_EQ(code(m->findUnit(nullptr)), AGN_RT_ERR_INVALID_ARGUMENT);
}

TEST(ResourceManagerTest, ConflictingRegistrationsAreRefused) {
  TestManager m;
  m.addUnit("a", {1, 4}, 1);
  std::vector<agn_level_cost> bigger = costTable({1, 4}, 2000);
  Expected<int64_t> r = m->registerUnit("a", bigger.data(), 2, 1);
  ASSERT_EQ(code(r), AGN_RT_ERR_CONFLICT);
  EXPECT_THAT(r.status().message(),
              HasSubstr("'a' is already registered with a different cost"));
  std::vector<agn_level_cost> same = costTable({1, 4});
  EXPECT_EQ(code(m->registerUnit("a", same.data(), 2, 2.0)),
            AGN_RT_ERR_CONFLICT);
  EXPECT_EQ(code(m->registerUnit("a", same.data(), 1, 1)), AGN_RT_ERR_CONFLICT);
  EXPECT_EQ(m->numUnits(), 1);
}

TEST(ResourceManagerTest, InvalidRegistrationsAreRefused) {
  TestManager m;
  std::vector<agn_level_cost> t = costTable({1, 4});
  auto reg = [&](const char *name, const agn_level_cost *costs, int64_t n,
                 double sensitivity) {
    return m->registerUnit(name, costs, n, sensitivity);
  };
  EXPECT_EQ(code(reg(nullptr, t.data(), 2, 1)), AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(code(reg("", t.data(), 2, 1)), AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(code(reg("x", nullptr, 2, 1)), AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(code(reg("x", t.data(), 0, 1)), AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(code(reg("x", t.data(), 6, 1)), AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(code(reg("x", t.data(), 2, -1)), AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(code(reg("x", t.data(), 2, NAN)), AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(code(reg("x", t.data(), 2, INFINITY)), AGN_RT_ERR_INVALID_ARGUMENT);
  agn_level_cost badLevel[] = {{7, 1, 1}};
  Expected<int64_t> r = reg("x", badLevel, 1, 1);
  EXPECT_THAT(r.status().message(), HasSubstr("has level 7, expected 0-4"));
  agn_level_cost twice[] = {{1, 1, 1}, {1, 2, 2}};
  r = reg("x", twice, 2, 1);
  EXPECT_THAT(r.status().message(), HasSubstr("level i8 listed twice"));
  std::string longName(5000, 'n');
  EXPECT_EQ(code(reg(longName.c_str(), t.data(), 2, 1)),
            AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(m->numUnits(), 0);
}

TEST(ResourceManagerTest, WithoutLimitsTheAllowedLevelsDecide) {
  TestManager m;
  int64_t u = m.addUnit("u", {AGN_LEVEL_I8, AGN_LEVEL_F32}, 1);
  EXPECT_EQ(m->arbitrate(u, AGN_LEVEL_F32, 0), AGN_LEVEL_F32);
  EXPECT_EQ(m->arbitrate(u, AGN_LEVEL_F16, 0), AGN_LEVEL_I8);
  EXPECT_EQ(m->arbitrate(u, AGN_LEVEL_I4, 0), AGN_LEVEL_I8);
  ManagerSnapshot s = m->snapshot();
  EXPECT_EQ(s.Units[u].Granted[AGN_LEVEL_F32], 1u);
  EXPECT_EQ(s.Units[u].Granted[AGN_LEVEL_I8], 2u);
  EXPECT_EQ(s.Units[u].overrides(), 0u) << "mapping to allowed levels is not "
                                           "an override";
  EXPECT_EQ(s.Units[u].Reason, AGN_RT_REASON_NONE);
  EXPECT_EQ(s.Units[u].Ceiling, AGN_LEVEL_F32);
}

TEST(ResourceManagerTest, InvalidIdsAndLevelsAreCountedNotFatal) {
  TestManager m;
  int64_t u = m.addUnit("u", kAll, 1);
  EXPECT_EQ(m->arbitrate(-1, 3, 0), 3);
  EXPECT_EQ(m->arbitrate(1, 9, 0), 4);
  EXPECT_EQ(m->arbitrate(INT64_MAX, -4, 0), 0);
  EXPECT_EQ(m->arbitrate(INT64_MIN, 2, 0), 2);
  EXPECT_EQ(m->arbitrate(u, 12, 0), 4);
  m->reportUnitTime(5, 1, 100);
  m->reportUnitTime(u, 7, 100);
  m->reportUnitTime(u, 1, -5);
  ManagerSnapshot s = m->snapshot();
  EXPECT_EQ(s.InvalidUnitErrors, 5u);
  EXPECT_EQ(s.InvalidLevelErrors, 3u);
  EXPECT_EQ(s.errors(), 8u);
  EXPECT_EQ(s.Units[u].Granted[4], 1u);
  EXPECT_EQ(s.Units[u].TimeCount[1], 0u);
}

TEST(ResourceManagerTest, MaxLevelCapsAndIsTheReason) {
  TestManager m;
  int64_t u = m.addUnit("u", {0, 1, 4}, 1);
  m.set("max_level", "f16");
  EXPECT_EQ(m->arbitrate(u, 4, 0), 1);
  EXPECT_EQ(m->arbitrate(u, 1, 0), 1);
  EXPECT_EQ(m->arbitrate(u, 0, 0), 0);
  ManagerSnapshot s = m->snapshot();
  EXPECT_EQ(s.Units[u].Ceiling, AGN_LEVEL_I8);
  EXPECT_EQ(s.Units[u].Reason, AGN_RT_REASON_MAX_LEVEL);
  EXPECT_EQ(s.Units[u].Overrides[AGN_RT_REASON_MAX_LEVEL], 1u);
  EXPECT_EQ(s.Units[u].overrides(), 1u);
  m.set("max_level", nullptr);
  EXPECT_EQ(m->arbitrate(u, 4, 0), 4);
}

TEST(ResourceManagerTest, ACapThatChangesNothingIsNotTheReason) {
  TestManager m;
  int64_t u = m.addUnit("u", {AGN_LEVEL_I8, AGN_LEVEL_F16}, 1);
  m.set("max_level", "f16");
  ManagerSnapshot s = m->snapshot();
  EXPECT_EQ(s.Units[u].Ceiling, AGN_LEVEL_F16);
  EXPECT_EQ(s.Units[u].Reason, AGN_RT_REASON_NONE);
}

TEST(ResourceManagerTest, PinsOverrideEveryOtherPolicy) {
  TestManager m;
  int64_t a = m.addUnit("a", kAll, 1);
  int64_t b = m.addUnit("b", kAll, 1);
  m.set("max_level", "i8");
  ASSERT_TRUE(m->pinUnit(a, AGN_LEVEL_F32).ok());
  EXPECT_EQ(m->arbitrate(a, 4, 0), 4);
  EXPECT_EQ(m->arbitrate(b, 4, 0), 1);
  // A pin fixes the level: it raises a request below it as well.
  EXPECT_EQ(m->arbitrate(a, 1, 0), 4);
  // A pin below the request lowers it, and says so.
  ASSERT_TRUE(m->pinUnit(b, AGN_LEVEL_BF16).ok());
  EXPECT_EQ(m->arbitrate(b, 4, 0), 2);
  EXPECT_EQ(m->arbitrate(b, 0, 0), 2);
  ManagerSnapshot s = m->snapshot();
  EXPECT_EQ(s.Units[b].Reason, AGN_RT_REASON_PIN);
  EXPECT_EQ(s.Units[b].Pin, AGN_LEVEL_BF16);
  EXPECT_EQ(s.Units[b].Overrides[AGN_RT_REASON_PIN], 2u);
  EXPECT_EQ(s.Units[a].Overrides[AGN_RT_REASON_PIN], 1u);
  // The API pin beats a configured one; unpinning falls back to it, and
  // without it to the policies.
  m.set("pin", "a:f16");
  EXPECT_EQ(m->arbitrate(a, 4, 0), 4);
  ASSERT_TRUE(m->pinUnit(a, AGN_RT_UNPINNED).ok());
  EXPECT_EQ(m->arbitrate(a, 4, 0), 3);
  m.set("pin", nullptr);
  EXPECT_EQ(m->arbitrate(a, 4, 0), 1);
  EXPECT_EQ(m->pinUnit(99, 1).code(), AGN_RT_ERR_UNKNOWN_UNIT);
  EXPECT_EQ(m->pinUnit(a, 5).code(), AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(m->pinUnit(a, -2).code(), AGN_RT_ERR_INVALID_ARGUMENT);
}

TEST(ResourceManagerTest, ConfiguredPinsApplyToUnitsRegisteredLater) {
  TestManager m;
  m.set("pin", "late:i8");
  int64_t u = m.addUnit("late", kAll, 1);
  EXPECT_EQ(m->arbitrate(u, 4, 0), 1);
  EXPECT_EQ(m->snapshot().Units[u].Reason, AGN_RT_REASON_PIN);
}

TEST(ResourceManagerTest, MemoryBudgetLowersTheLeastSensitiveFirst) {
  TestManager m;
  // 32000 bytes at f32, 16000 at f16, 8000 at i8, 4000 at i4.
  int64_t precise = m.addUnit("precise", {0, 1, 3, 4}, 10);
  int64_t cheap = m.addUnit("cheap", {0, 1, 3, 4}, 0.1);
  int64_t middle = m.addUnit("middle", {0, 1, 3, 4}, 1);
  m.set("memory_budget", "70000");
  EXPECT_EQ(m->arbitrate(precise, 4, 0), 4);
  EXPECT_EQ(m->arbitrate(cheap, 4, 0), 0);
  EXPECT_EQ(m->arbitrate(middle, 4, 0), 4);
  ManagerSnapshot s = m->snapshot();
  EXPECT_EQ(s.Units[cheap].Reason, AGN_RT_REASON_MEMORY);
  EXPECT_EQ(s.Units[cheap].Overrides[AGN_RT_REASON_MEMORY], 1u);
  EXPECT_EQ(s.GrantedBytes, 68000u);
  EXPECT_EQ(s.BudgetBytes, 70000u);
  EXPECT_EQ(s.MaxBytes, 96000u);
  EXPECT_FALSE(s.OverBudget);

  // Even all-lowest does not fit: everyone at i4, flagged, still answered.
  m.set("memory_budget", "10000");
  for (int64_t u : {precise, cheap, middle})
    for (int request = 0; request < kNumLevels; ++request)
      EXPECT_EQ(m->arbitrate(u, request, 0), 0);
  s = m->snapshot();
  EXPECT_TRUE(s.OverBudget);
  EXPECT_EQ(s.GrantedBytes, 12000u);

  m.set("memory_budget", "off");
  EXPECT_EQ(m->arbitrate(cheap, 4, 0), 4);
  EXPECT_FALSE(m->snapshot().OverBudget);
}

TEST(ResourceManagerTest, RegistrationUnderABudgetIsRebalancedOnTheNextTick) {
  TestManager m;
  m.set("memory_budget", "40000");
  int64_t a = m.addUnit("a", {1, 4}, 0.1); // 32000 fits: placed at f32
  int64_t b = m.addUnit("b", {1, 4}, 10);  // 8000 left: placed at i8
  EXPECT_EQ(m->arbitrate(a, 4, 0), 4);
  EXPECT_EQ(m->arbitrate(b, 4, 0), 1) << "provisional placement";
  // The greedy pass prefers lowering the insensitive unit instead.
  m->applySample(emptySample());
  EXPECT_EQ(m->arbitrate(a, 4, 0), 1);
  EXPECT_EQ(m->arbitrate(b, 4, 0), 4);
}

TEST(ResourceManagerTest, BudgetCountsWeightsLargerThanTheCostTable) {
  TestManager m;
  // The cost table says 32000 bytes at f32 and 8000 at i8: f32 fits.
  int64_t u = m.addUnit("packed", {1, 4}, 1);
  m.set("memory_budget", "34000");
  EXPECT_EQ(m->arbitrate(u, 4, 0), 4);
  // The weights placed for f32 take 36000 bytes (a kernel's packed layout
  // with its corrections): from the next tick the budget counts them, and
  // f32 no longer fits.
  std::vector<uint8_t> f32(36000);
  ASSERT_TRUE(m->registerWeights(u, 4, f32.data(), f32.size()).ok());
  m->applySample(emptySample());
  EXPECT_EQ(m->arbitrate(u, 4, 0), 1);
  ManagerSnapshot s = m->snapshot();
  EXPECT_EQ(s.GrantedBytes, 8000u);
  EXPECT_EQ(s.MaxBytes, 36000u);
  EXPECT_EQ(s.Units[u].Reason, AGN_RT_REASON_MEMORY);
  // The cost table itself is unchanged: the same registration again is
  // still an answer, not a conflict.
  EXPECT_EQ(m.addUnit("packed", {1, 4}, 1), u);
  EXPECT_EQ(s.Units[u].Bytes[4], 32000u);
  EXPECT_EQ(s.Units[u].PlacedBytes[4], 36000u);
}

TEST(ResourceManagerTest, CpuLoadStepsTheCeilingWithHysteresis) {
  TestManager m;
  int64_t u = m.addUnit("u", kAll, 1);
  m.set("cpu_high", "0.8");
  m.set("hysteresis_ticks", "2");
  ResourceSample hot = emptySample();
  hot.Cpu.SystemUtilization = 0.95;
  ResourceSample calm = emptySample();
  calm.Cpu.SystemUtilization = 0.3;
  m->applySample(hot);
  EXPECT_EQ(m->arbitrate(u, 4, 0), 4) << "one tick is not enough";
  m->applySample(hot);
  EXPECT_EQ(m->arbitrate(u, 4, 0), 3);
  ManagerSnapshot s = m->snapshot();
  EXPECT_EQ(s.Units[u].Reason, AGN_RT_REASON_CPU);
  EXPECT_EQ(s.CpuCeiling, AGN_LEVEL_F16);
  m->applySample(calm);
  EXPECT_EQ(m->arbitrate(u, 4, 0), 3);
  m->applySample(calm);
  EXPECT_EQ(m->arbitrate(u, 4, 0), 4);
  // Turning the policy off releases at once.
  m->applySample(hot);
  m->applySample(hot);
  EXPECT_EQ(m->arbitrate(u, 4, 0), 3);
  m.set("cpu_high", "off");
  EXPECT_EQ(m->arbitrate(u, 4, 0), 4);
}

TEST(ResourceManagerTest, GpuLoadCountsOnlyWhenNvmlAnswers) {
  TestManager m;
  int64_t u = m.addUnit("u", kAll, 1);
  m.set("gpu_high", "50%");
  m.set("hysteresis_ticks", "1");
  ResourceSample busy = emptySample();
  busy.Gpu.Available = true;
  busy.Gpu.Utilization = 0.9;
  m->applySample(busy);
  EXPECT_EQ(m->arbitrate(u, 4, 0), 3);
  EXPECT_EQ(m->snapshot().Units[u].Reason, AGN_RT_REASON_GPU);
  busy.Gpu.Available = false;
  m->applySample(busy);
  EXPECT_EQ(m->arbitrate(u, 4, 0), 4);
}

TEST(ResourceManagerTest, LatencyTargetLowersTheLeastSensitiveUnitFirst) {
  TestManager m;
  int64_t a = m.addUnit("a", kAll, 5.0);
  int64_t b = m.addUnit("b", kAll, 0.5);
  m.set("latency_target", "1ms");
  m.set("hysteresis_ticks", "1");
  auto inference = [&](uint64_t ns) {
    m->beginInference();
    m.Time.advance(ns);
    m->endInference();
  };
  m->reportUnitTime(a, 4, 900000);
  m->reportUnitTime(b, 4, 900000);
  inference(2000000);
  m->applySample(emptySample());
  EXPECT_EQ(m->arbitrate(a, 4, 0), 4);
  EXPECT_EQ(m->arbitrate(b, 4, 0), 3);
  ManagerSnapshot s = m->snapshot();
  EXPECT_EQ(s.Units[b].Reason, AGN_RT_REASON_LATENCY);
  EXPECT_EQ(s.LatencySteps, 1u);
  EXPECT_DOUBLE_EQ(s.InferenceAverageNs, 2e6);

  // Fast inferences: the average falls under target * (1 - margin) and the
  // steps are undone, most recent first. The sensitive unit is never touched.
  for (int tick = 0; tick < 12; ++tick) {
    inference(100000);
    m->applySample(emptySample());
    EXPECT_EQ(m->arbitrate(a, 4, 0), 4) << "tick " << tick;
  }
  EXPECT_EQ(m->arbitrate(b, 4, 0), 4);
  EXPECT_EQ(m->snapshot().Units[b].Reason, AGN_RT_REASON_NONE);
}

TEST(ResourceManagerTest, ChangingTheLatencyTargetStartsOver) {
  TestManager m;
  int64_t u = m.addUnit("u", kAll, 1);
  m.set("latency_target", "1ms");
  m.set("hysteresis_ticks", "1");
  m->beginInference();
  m.Time.advance(5000000);
  m->endInference();
  m->applySample(emptySample());
  EXPECT_EQ(m->arbitrate(u, 4, 0), 3);
  m.set("latency_target", "off");
  EXPECT_EQ(m->arbitrate(u, 4, 0), 4);
  // The smoothed time is still reported without a target.
  EXPECT_DOUBLE_EQ(m->snapshot().InferenceAverageNs, 5e6);
  // A new target starts from fresh evidence: one slow tick is needed again.
  m.set("latency_target", "1ms");
  m->applySample(emptySample());
  EXPECT_EQ(m->arbitrate(u, 4, 0), 4) << "no inference in this tick";
}

TEST(ResourceManagerTest, MinLevelBoundsTheLoadPolicies) {
  TestManager m;
  int64_t u = m.addUnit("u", kAll, 1);
  m.set("cpu_high", "0.5");
  m.set("hysteresis_ticks", "1");
  m.set("min_level", "i8");
  ResourceSample hot = emptySample();
  hot.Cpu.SystemUtilization = 1.0;
  for (int i = 0; i < 10; ++i)
    m->applySample(hot);
  EXPECT_EQ(m->arbitrate(u, 4, 0), 1);
}

TEST(ResourceManagerTest, ShutdownReleasesMonitorDrivenLimitsOnly) {
  TestManager m;
  int64_t u = m.addUnit("u", kAll, 1);
  m.set("max_level", "f16");
  m.set("cpu_high", "0.5");
  m.set("hysteresis_ticks", "1");
  ResourceSample hot = emptySample();
  hot.Cpu.SystemUtilization = 1.0;
  m->applySample(hot);
  m->applySample(hot);
  EXPECT_EQ(m->arbitrate(u, 4, 0), 1);
  EXPECT_TRUE(m->shutdown().ok());
  EXPECT_EQ(m->arbitrate(u, 4, 0), 3);
  EXPECT_EQ(m->snapshot().Units[u].Reason, AGN_RT_REASON_MAX_LEVEL);
}

TEST(ResourceManagerTest, CountsStatisticsAndTimes) {
  TestManager m;
  int64_t u = m.addUnit("u", kAll, 1);
  m->arbitrate(u, 4, 1.0f);
  m->arbitrate(u, 4, 3.0f);
  m->arbitrate(u, 4, NAN);
  m->arbitrate(u, 4, INFINITY);
  m->reportUnitTime(u, 4, 100);
  m->reportUnitTime(u, 4, 300);
  m->reportUnitTime(u, 1, 50);
  ManagerSnapshot s = m->snapshot();
  const UnitSnapshot &unit = s.Units[u];
  EXPECT_EQ(unit.arbitrations(), 4u);
  EXPECT_EQ(unit.StatisticCount, 2u);
  EXPECT_DOUBLE_EQ(unit.StatisticSum, 4.0);
  EXPECT_EQ(unit.TimeNs[4], 400u);
  EXPECT_EQ(unit.TimeCount[4], 2u);
  EXPECT_EQ(unit.TimeNs[1], 50u);
  EXPECT_EQ(unit.TimeCount[1], 1u);
}

TEST(ResourceManagerTest, InferencePairs) {
  TestManager m;
  m->endInference();
  m->beginInference();
  m->beginInference();
  m.Time.advance(5);
  m->endInference();
  m.Time.advance(5);
  m->endInference();
  m->beginInference();
  m.Time.advance(3);
  m->endInference();
  ManagerSnapshot s = m->snapshot();
  EXPECT_EQ(s.UnbalancedInferenceErrors, 1u);
  EXPECT_EQ(s.Inferences, 2u) << "nested pairs count once";
  EXPECT_EQ(s.LastInferenceNs, 3u);
  EXPECT_EQ(s.MaxInferenceNs, 10u);
}

TEST(ResourceManagerTest, InitializeLayersFileEnvironmentAndApi) {
  TestManager m;
  std::string valid = inputPath("config/valid.conf");
  const char *env[] = {"AGN_RT_MAX_LEVEL=i8", "AGN_RT_MONITOR=off", nullptr};
  Status status = m->initialize(valid.c_str(), env);
  ASSERT_TRUE(status.ok()) << status.message();
  Options o = m->options();
  EXPECT_EQ(o.MaxLevel, AGN_LEVEL_I8) << "environment beats file";
  EXPECT_EQ(o.MemoryBudget, 512ull << 20) << "file beats default";
  EXPECT_FALSE(m->monitorRunning());

  m.set("max_level", "bf16");
  std::string invalid = "AGN_RT_CONFIG=" + inputPath("config/invalid.conf");
  const char *env2[] = {invalid.c_str(), "AGN_RT_MONITOR=off", nullptr};
  status = m->initialize(nullptr, env2);
  EXPECT_EQ(status.code(), AGN_RT_ERR_CONFIG);
  EXPECT_THAT(status.message(), HasSubstr("'fp8'"));
  o = m->options();
  EXPECT_EQ(o.MaxLevel, AGN_LEVEL_BF16) << "the API value survives";
  EXPECT_EQ(o.IntervalNs, 10u * 1000 * 1000) << "the new file applies";
  EXPECT_EQ(o.MemoryBudget, 1536ull << 20);
}

/// Polls until \p done or a generous timeout; the monitor thread runs on the
/// real clock.
template <typename Predicate> bool eventually(Predicate done) {
  for (int i = 0; i < 5000; ++i) {
    if (done())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

TEST(ResourceManagerTest, MonitorThreadTicksUntilShutdown) {
  TestManager m;
  m.Files.set("/proc/meminfo", readInput("roots/host/proc/meminfo"));
  m.set("interval", "1ms");
  const char *env[] = {nullptr};
  ASSERT_TRUE(m->initialize(nullptr, env).ok());
  EXPECT_TRUE(m->monitorRunning());
  EXPECT_TRUE(eventually([&] { return m->snapshot().Ticks >= 3; }));
  EXPECT_TRUE(m->snapshot().Sample.Memory.known());
  ASSERT_TRUE(m->shutdown().ok());
  EXPECT_FALSE(m->monitorRunning());
  uint64_t ticks = m->snapshot().Ticks;
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(m->snapshot().Ticks, ticks);
  // `monitor = on` through the API does not restart a shut-down manager.
  m.set("monitor", "on");
  EXPECT_FALSE(m->monitorRunning());
}

TEST(ResourceManagerTest, AShorterIntervalAppliesAtOnce) {
  TestManager m;
  m.set("interval", "3600s");
  const char *env[] = {nullptr};
  ASSERT_TRUE(m->initialize(nullptr, env).ok());
  m.set("interval", "1ms");
  EXPECT_TRUE(eventually([&] { return m->snapshot().Ticks >= 1; }))
      << "the monitor kept waiting out the old hour";
  m.set("monitor", "off");
  EXPECT_FALSE(m->monitorRunning());
  m.set("monitor", "on");
  EXPECT_TRUE(m->monitorRunning());
}

} // namespace
