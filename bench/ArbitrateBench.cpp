//===- ArbitrateBench.cpp - Cost of agn_rt_arbitrate ----------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Measures the hot path compiled models call once per unit call, through the
// shared library's C ABI (PLT call included):
//
//   BM_Arbitrate                 a fixed ceiling, 1 and 2 threads
//   BM_ArbitrateChangingCeiling  a background thread republishes the
//                                ceilings (agn_rt_set_max_level) nonstop
//   BM_ReportUnitTime            the timing feedback call
//
// Threads arbitrate units of their own and, in the *SameUnit variants, one
// shared unit (the worst case for the counters' cache lines). Report medians:
//
//   agn-bench-arbitrate --benchmark_repetitions=20 \
//       --benchmark_report_aggregates_only=true
//
//===----------------------------------------------------------------------===//

#include "agn-c/Runtime.h"

#include "benchmark/benchmark.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

constexpr int kUnits = 64;
int64_t Units[kUnits];

/// Registers the units once. The monitor keeps running (at its default
/// interval) as it would in a real process.
void setUp() {
  static bool done = [] {
    agn_level_cost costs[] = {{AGN_LEVEL_I4, 1 << 10, 1 << 20},
                              {AGN_LEVEL_I8, 1 << 11, 1 << 20},
                              {AGN_LEVEL_F16, 1 << 12, 1 << 20},
                              {AGN_LEVEL_F32, 1 << 13, 1 << 20}};
    for (int i = 0; i < kUnits; ++i) {
      std::string name = "bench/unit" + std::to_string(i);
      Units[i] = agn_rt_register_unit(name.c_str(), costs, 4, 1.0 + i % 5);
      if (Units[i] < 0) {
        std::fprintf(stderr, "register failed: %s\n", agn_rt_last_error());
        std::abort();
      }
    }
    return true;
  }();
  (void)done;
}

/// Republishes every unit's decision word in a loop while alive.
class CeilingChurn {
public:
  CeilingChurn()
      : Thread([this] {
          for (int i = 0; !Stop.load(std::memory_order_relaxed); ++i)
            agn_rt_set_max_level(i % 2 ? AGN_LEVEL_F16 : AGN_LEVEL_F32);
        }) {}
  ~CeilingChurn() {
    Stop = true;
    Thread.join();
    agn_rt_set_max_level(AGN_LEVEL_F32);
  }

private:
  std::atomic<bool> Stop{false};
  std::thread Thread;
};

void arbitrateLoop(benchmark::State &state, bool sameUnit) {
  // Each thread walks its own units unless told to share one.
  int base = sameUnit ? 0 : (state.thread_index() * 8) % kUnits;
  int64_t request = AGN_LEVEL_F32;
  int i = 0;
  for (auto _ : state) {
    int64_t unit = Units[sameUnit ? 0 : base + (i++ & 7)];
    benchmark::DoNotOptimize(agn_rt_arbitrate(unit, request, 0.5f));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Arbitrate(benchmark::State &state) {
  setUp();
  arbitrateLoop(state, /*sameUnit=*/false);
}
BENCHMARK(BM_Arbitrate)->Threads(1)->Threads(2)->UseRealTime();

void BM_ArbitrateSameUnit(benchmark::State &state) {
  setUp();
  arbitrateLoop(state, /*sameUnit=*/true);
}
BENCHMARK(BM_ArbitrateSameUnit)->Threads(2)->UseRealTime();

void BM_ArbitrateChangingCeiling(benchmark::State &state) {
  setUp();
  // One churn thread for the whole run of this benchmark, started by the
  // first benchmark thread.
  static CeilingChurn *churn = nullptr;
  if (state.thread_index() == 0)
    churn = new CeilingChurn;
  arbitrateLoop(state, /*sameUnit=*/false);
  if (state.thread_index() == 0) {
    delete churn;
    churn = nullptr;
  }
}
BENCHMARK(BM_ArbitrateChangingCeiling)->Threads(1)->Threads(2)->UseRealTime();

void BM_ReportUnitTime(benchmark::State &state) {
  setUp();
  int i = 0;
  for (auto _ : state)
    agn_rt_report_unit_time(Units[i++ & 7], AGN_LEVEL_F16, 1000);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReportUnitTime)->Threads(1)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
