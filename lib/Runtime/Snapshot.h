//===- Snapshot.h - A consistent copy of the manager's state ----*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The stats API and the telemetry writer both work from a Snapshot taken
// under the manager's lock, so that neither needs to know the manager's
// internals and the JSON can be rendered without holding any lock. Counters
// are relaxed atomics summed over threads' shards: each is exact, but two
// counters may be read a few arbitrations apart.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_SNAPSHOT_H
#define AGN_LIB_RUNTIME_SNAPSHOT_H

#include "Config.h"
#include "Levels.h"
#include "Sampler.h"

#include <cstdint>
#include <string>
#include <vector>

namespace agn::rt {

/// One unit.
struct UnitSnapshot {
  int64_t Id = 0;
  std::string Name;
  /// The manager's copy of the name, valid for the manager's lifetime.
  const char *StableName = nullptr;
  double Sensitivity = 0;
  LevelMask Allowed = 0;
  uint64_t Bytes[kNumLevels] = {};
  uint64_t Macs[kNumLevels] = {};
  /// Weight bytes registered per level (agn_rt_register_weights).
  uint64_t PlacedBytes[kNumLevels] = {};
  /// Levels whose weight pages are handed back to the OS.
  LevelMask Released = 0;
  /// Effective pin, or -1.
  int Pin = -1;
  int Ceiling = kTopLevel;
  int Reason = AGN_RT_REASON_NONE;
  uint64_t Granted[kNumLevels] = {};
  uint64_t Overrides[kNumReasons] = {};
  uint64_t TimeNs[kNumLevels] = {};
  uint64_t TimeCount[kNumLevels] = {};
  double StatisticSum = 0;
  uint64_t StatisticCount = 0;

  uint64_t arbitrations() const {
    uint64_t n = 0;
    for (uint64_t g : Granted)
      n += g;
    return n;
  }
  uint64_t overrides() const {
    uint64_t n = 0;
    for (uint64_t o : Overrides)
      n += o;
    return n;
  }
};

/// The whole manager.
struct ManagerSnapshot {
  int64_t Pid = 0;
  uint64_t UnixTimeMs = 0;
  uint64_t UptimeNs = 0;
  bool MonitorRunning = false;
  uint64_t Ticks = 0;
  Options Opts;

  bool HaveSample = false;
  ResourceSample Sample;
  int CpuCeiling = kTopLevel;
  int GpuCeiling = kTopLevel;

  /// Effective weight budget (AGN_RT_UNLIMITED when none) and its parts.
  uint64_t BudgetBytes = AGN_RT_UNLIMITED;
  uint64_t PressureBudgetBytes = AGN_RT_UNLIMITED;
  uint64_t GrantedBytes = 0;
  uint64_t MaxBytes = 0;
  bool OverBudget = false;

  uint64_t Inferences = 0;
  double InferenceAverageNs = -1;
  uint64_t LastInferenceNs = 0;
  uint64_t MaxInferenceNs = 0;
  uint64_t LatencySteps = 0;

  uint64_t InvalidUnitErrors = 0;
  uint64_t InvalidLevelErrors = 0;
  uint64_t UnbalancedInferenceErrors = 0;

  std::vector<UnitSnapshot> Units;

  uint64_t errors() const {
    return InvalidUnitErrors + InvalidLevelErrors + UnbalancedInferenceErrors;
  }
};

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_SNAPSHOT_H
