//===- ResourceManager.h - The arbitration core -----------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The resource manager splits its state by who touches it and how often.
//
// Hot state is what agn_rt_arbitrate reads and writes on every call of every
// unit: a published DecisionWord per unit and per-unit counters. It lives in
// fixed-size segments of cache-line-aligned HotUnit records that are
// allocated once and never move or die, published through atomics, so that
// arbitration is a handful of loads and one relaxed increment: no lock, no
// system call, no allocation. Counters are split into a few shards picked per
// thread so that threads arbitrating the same unit do not fight over one
// cache line.
//
// Cold state - names, cost tables, configuration, the policies - is guarded
// by one mutex and touched by registration, the policy setters and the
// monitor tick. Whenever a ceiling may have moved, recompute() evaluates every
// policy, folds them into one ceiling per unit and republishes the decision
// words.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_RESOURCEMANAGER_H
#define AGN_LIB_RUNTIME_RESOURCEMANAGER_H

#include "Clock.h"
#include "Config.h"
#include "Decision.h"
#include "FileReader.h"
#include "GpuMonitor.h"
#include "LatencyPolicy.h"
#include "Levels.h"
#include "LoadPolicy.h"
#include "MemoryBudget.h"
#include "MonitorThread.h"
#include "Sampler.h"
#include "Snapshot.h"
#include "Status.h"
#include "WeightPages.h"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#if defined(__GNUC__) || defined(__clang__)
#define AGN_RT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define AGN_RT_UNLIKELY(x) (x)
#endif

namespace agn::rt {

constexpr size_t kCacheLine = 64;

/// Counter shards per unit. A power of two; threads beyond that share.
constexpr unsigned kNumShards = 4;

/// Units per hot segment, and segments (kSegmentSize * kMaxSegments =
/// AGN_RT_MAX_UNITS).
constexpr uint32_t kSegmentSize = 64;
constexpr uint32_t kMaxSegments = AGN_RT_MAX_UNITS / kSegmentSize;

/// One thread group's slice of a unit's counters. Arbitration counters and
/// timing counters sit on separate cache lines because they are written by
/// different calls.
struct alignas(kCacheLine) UnitShard {
  std::atomic<uint64_t> Granted[kNumLevels] = {};
  /// Indexed by agn_rt_reason; [AGN_RT_REASON_NONE] stays 0.
  std::atomic<uint64_t> Overrides[kNumReasons] = {};
  /// Bit pattern of a double: the sum of finite statistics.
  std::atomic<uint64_t> StatisticSumBits{0};
  std::atomic<uint64_t> NonFiniteStatistics{0};

  alignas(kCacheLine) std::atomic<uint64_t> TimeNs[kNumLevels] = {};
  std::atomic<uint64_t> TimeCount[kNumLevels] = {};
};

/// A unit's hot record: the published decision on its own cache line (read
/// by every arbitration, written rarely), then the counter shards.
struct alignas(kCacheLine) HotUnit {
  std::atomic<DecisionWord> Decision{0};
  UnitShard Shards[kNumShards];
};

/// The shard of the calling thread, assigned round-robin on first use.
unsigned assignThreadShard() noexcept;
inline unsigned threadShard() noexcept {
  // Constant-initialised, so reading it costs a TLS access and no guard.
  static thread_local unsigned Shard = ~0u;
  if (AGN_RT_UNLIKELY(Shard == ~0u))
    Shard = assignThreadShard();
  return Shard;
}

/// The process-wide resource manager (tests create private instances).
class ResourceManager {
public:
  /// What the manager reads the world through; null members get the real
  /// thing (files under `fs_root`, dlopen, the steady clock).
  struct Dependencies {
    FileReader *Files = nullptr;
    LibraryLoader *Libraries = nullptr;
    Clock *Time = nullptr;
  };

  ResourceManager();
  explicit ResourceManager(Dependencies deps);
  ~ResourceManager();
  ResourceManager(const ResourceManager &) = delete;
  ResourceManager &operator=(const ResourceManager &) = delete;

  //===--------------------------------------------------------------------===//
  // Lifetime and configuration
  //===--------------------------------------------------------------------===//

  /// Reads the configuration file (\p configPath, else AGN_RT_CONFIG from
  /// \p envp) and the AGN_RT_* entries of \p envp, then starts or stops the
  /// monitor as the `monitor` key says. Errors are reported, valid keys
  /// apply either way.
  Status initialize(const char *configPath, const char *const *envp);

  /// Stops monitoring, releases the monitor-driven limits and writes the
  /// telemetry file if one is configured.
  Status shutdown();

  /// For process exit: stops the monitor and writes the telemetry file.
  void atExit();

  /// Sets (or, with a null \p value, unsets) an option with API precedence.
  Status setOption(std::string_view key, const char *value);
  /// Sets several options at once with API precedence (all or none).
  Status setOptions(const std::vector<Config::KeyValue> &values,
                    const std::string &origin);
  Expected<std::string> getOption(std::string_view key) const;
  Options options() const;

  /// Pins \p unit at \p level, or unpins it with AGN_RT_UNPINNED.
  Status pinUnit(int64_t unit, int64_t level);

  //===--------------------------------------------------------------------===//
  // Units
  //===--------------------------------------------------------------------===//

  /// See agn_rt_register_unit.
  Expected<int64_t> registerUnit(const char *name, const agn_level_cost *costs,
                                 int64_t numCosts, double sensitivity);
  Expected<int64_t> findUnit(const char *name) const;
  /// See agn_rt_register_weights.
  Status registerWeights(int64_t unit, int64_t level, const void *data,
                         uint64_t bytes);
  /// See agn_rt_forget_weights.
  uint64_t forgetWeights(const void *data, uint64_t bytes);
  /// The weight tensors registered for \p unit at \p level.
  std::vector<AddressRange> weightRanges(int64_t unit, int level) const;
  int64_t numUnits() const { return NumUnits.load(std::memory_order_acquire); }

  //===--------------------------------------------------------------------===//
  // Hot path
  //===--------------------------------------------------------------------===//

  /// See agn_rt_arbitrate.
  int64_t arbitrate(int64_t unit, int64_t requested, float statistic) noexcept;
  /// See agn_rt_report_unit_time.
  void reportUnitTime(int64_t unit, int64_t level, int64_t ns) noexcept;
  void beginInference() noexcept;
  void endInference() noexcept;

  //===--------------------------------------------------------------------===//
  // Monitoring
  //===--------------------------------------------------------------------===//

  /// Samples every source and applies the sample (one monitor tick).
  void tick();
  /// Applies a sample as a tick would; tests feed synthetic samples here.
  void applySample(const ResourceSample &sample);
  /// Runs the global rebalance that registration defers (see registerUnit).
  void rebalance();
  bool monitorRunning() const { return Monitor.running(); }

  //===--------------------------------------------------------------------===//
  // Observation
  //===--------------------------------------------------------------------===//

  ManagerSnapshot snapshot();
  std::string telemetryJson();
  /// Writes the telemetry JSON to \p path (null: the `telemetry` key).
  Status dumpTelemetry(const char *path);

  //===--------------------------------------------------------------------===//
  // fork(2) support, called from pthread_atfork handlers
  //===--------------------------------------------------------------------===//

  void prepareFork();
  void afterForkParent();
  void afterForkChild();

private:
  /// Cold, mutex-guarded state of one unit.
  struct UnitInfo {
    std::string Name;
    LevelMask Allowed = 0;
    uint64_t Bytes[kNumLevels] = {};
    uint64_t Macs[kNumLevels] = {};
    double Sensitivity = 0;
    /// Pin set through the API, or -1.
    int ApiPin = -1;
    /// The pin in force (API, else configuration), or -1.
    int Pin = -1;
    /// Per-unit caps kept by the policies (allowed levels or kTopLevel).
    int LatencyCeiling = kTopLevel;
    int MemoryCeiling = kTopLevel;
    /// The folded ceiling (an allowed level) and its reason.
    int Ceiling = kTopLevel;
    int Reason = AGN_RT_REASON_NONE;
    /// Timing counters seen at the last tick, and the smoothed mean per
    /// level (-1 while unknown).
    uint64_t SeenTimeNs[kNumLevels] = {};
    uint64_t SeenTimeCount[kNumLevels] = {};
    double AverageNs[kNumLevels] = {-1, -1, -1, -1, -1};
    /// Where the unit's weights lie, per level (agn_rt_register_weights).
    LevelWeights Weights[kNumLevels];
    /// The bytes level \p level takes in memory: its cost table's, or
    /// more when the weights registered for it are larger (a kernel's
    /// packed layout with its corrections). The budget counts these.
    uint64_t footprint(int level) const {
      return std::max(Bytes[level], Weights[level].bytes());
    }
    /// Levels whose weight pages were handed back to the OS and not used
    /// since as far as the runtime knows (see releaseWeightPages).
    LevelMask Released = 0;
    /// Levels registered in private file mappings (a library's), to hand
    /// back at the next release round: the check that such a mapping holds
    /// no private page reads /proc/self/smaps, once for all of them.
    LevelMask PendingRelease = 0;
    /// Arbitrations per level at the last release check: a level with more
    /// since is in use.
    uint64_t SeenGranted[kNumLevels] = {};
  };

  HotUnit &hotUnit(int64_t unit) const noexcept {
    HotUnit *segment =
        Segments[static_cast<uint64_t>(unit) / kSegmentSize].load(
            std::memory_order_relaxed);
    return segment[static_cast<uint64_t>(unit) % kSegmentSize];
  }

  // All of the following need Mu.
  void recompute();
  void publish(int64_t id);
  int foldCeiling(UnitInfo &unit, int cpuCeiling, int gpuCeiling,
                  int maxLevel) const;
  bool updateLatency(const Options &options);
  void updateUnitTimes();
  double estimateSavedNs(const UnitInfo &unit, int from, int to,
                         double nsPerCost) const;
  void releaseDynamicLimits();
  /// While a memory budget is in force, hands back to the OS the weight
  /// pages of every level of a unit but the one it runs at when nothing
  /// holds it back (the highest at or below its ceiling) and those granted
  /// since the last check; levels used since are resident again. Released
  /// levels are handed back again at each round (their pages come back
  /// when a neighbour's fault maps a whole page-cache folio), and levels
  /// registered in a library's mapping at the first round after.
  void releaseWeightPages();
  /// Hands back the pages of \p ranges where their mappings allow it (see
  /// WeightPages.h); reads /proc/self/smaps only for private file mappings
  /// that Verdicts does not know yet. Needs Mu.
  void releaseWeightRanges(const std::vector<AddressRange> &ranges);
  /// What smaps said of the private file mappings weights lie in. Guarded
  /// by Mu.
  PrivateMappingVerdicts Verdicts;
  /// Arbitrations of \p id granted \p level so far.
  uint64_t grantedCount(int64_t id, int level) const;
  void optionsChanged(const Options &previous);
  void fillSnapshot(ManagerSnapshot &snapshot) const;

  Status applyMonitorSetting();
  Status writeConfiguredTelemetry();

  // Dependencies; the defaults are owned here.
  std::unique_ptr<FileReader> OwnedFiles;
  std::unique_ptr<LibraryLoader> OwnedLibraries;
  std::unique_ptr<Clock> OwnedClock;
  FileReader &Files;
  LibraryLoader &Libraries;
  Clock &Time;

  //===--- Hot state ---------------------------------------------------===//
  std::atomic<HotUnit *> Segments[kMaxSegments] = {};
  std::atomic<uint32_t> NumUnits{0};
  std::atomic<uint64_t> InvalidUnitErrors{0};
  std::atomic<uint64_t> InvalidLevelErrors{0};
  std::atomic<uint64_t> UnbalancedInferenceErrors{0};
  std::atomic<uint64_t> Inferences{0};
  std::atomic<uint64_t> InferenceNsSum{0};
  std::atomic<uint64_t> LastInferenceNs{0};
  std::atomic<uint64_t> MaxInferenceNs{0};
  /// Read by the monitor thread before each wait.
  std::atomic<uint64_t> IntervalNs{0};

  //===--- Cold state --------------------------------------------------===//
  /// Serialises ticks (the sampler keeps rate state). Taken before Mu.
  std::mutex TickMu;
  Sampler ResourceSampler;

  /// Guards everything below.
  mutable std::mutex Mu;
  Config Cfg;
  /// Heap records so that names stay at fixed addresses (stats hand out
  /// const char *).
  std::vector<std::unique_ptr<UnitInfo>> Units;
  std::unordered_map<std::string, int64_t> UnitsByName;
  /// True between initialize() and shutdown(): the `monitor` key is obeyed.
  bool Active = false;
  uint64_t StartNs = 0;
  uint64_t Ticks = 0;
  bool HaveSample = false;
  ResourceSample LastSample;
  LoadPolicy CpuPolicy;
  LoadPolicy GpuPolicy;
  LatencyPolicy Latency;
  uint64_t LatencySteps = 0;
  /// Smoothed inference time for stats and telemetry, kept whether or not a
  /// latency target is set (the policy keeps its own, reset with the target).
  double InferenceAverageNs = -1;
  uint64_t SeenInferences = 0;
  uint64_t SeenInferenceNs = 0;
  MemoryPressure Pressure;
  /// Results of the last recompute.
  uint64_t BudgetBytes = AGN_RT_UNLIMITED;
  uint64_t GrantedBytes = 0;
  uint64_t MaxBytes = 0;
  bool OverBudget = false;
  /// A registration placed a unit provisionally; the greedy allocation
  /// must run over all units again.
  bool RebalancePending = false;

  MonitorThread Monitor;
};

//===----------------------------------------------------------------------===//
// Hot path
//===----------------------------------------------------------------------===//

inline int64_t ResourceManager::arbitrate(int64_t unit, int64_t requested,
                                          float statistic) noexcept {
  // Acquire pairs with the release in registerUnit: a visible count means a
  // visible segment and a published decision for every id below it.
  uint32_t count = NumUnits.load(std::memory_order_acquire);
  int request = clampLevel(requested);
  if (AGN_RT_UNLIKELY(static_cast<uint64_t>(unit) >= count)) {
    InvalidUnitErrors.fetch_add(1, std::memory_order_relaxed);
    return request;
  }
  if (AGN_RT_UNLIKELY(request != requested))
    InvalidLevelErrors.fetch_add(1, std::memory_order_relaxed);

  HotUnit &hot = hotUnit(unit);
  // Relaxed suffices: the word is self-contained and nothing else is read
  // through it. A concurrent republish gives either the old or the new word.
  DecisionWord word = hot.Decision.load(std::memory_order_relaxed);
  int granted = decisionGrant(word, request);

  UnitShard &shard = hot.Shards[threadShard()];
  shard.Granted[granted].fetch_add(1, std::memory_order_relaxed);
  if (decisionOverrides(word, request))
    shard.Overrides[decisionReason(word)].fetch_add(1,
                                                    std::memory_order_relaxed);
  if (AGN_RT_UNLIKELY(!std::isfinite(statistic))) {
    shard.NonFiniteStatistics.fetch_add(1, std::memory_order_relaxed);
  } else {
    // A shard normally has one writer, so this CAS succeeds at once.
    uint64_t old = shard.StatisticSumBits.load(std::memory_order_relaxed);
    for (;;) {
      double sum;
      std::memcpy(&sum, &old, sizeof(sum));
      sum += statistic;
      uint64_t bits;
      std::memcpy(&bits, &sum, sizeof(bits));
      if (shard.StatisticSumBits.compare_exchange_weak(
              old, bits, std::memory_order_relaxed))
        break;
    }
  }
  return granted;
}

inline void ResourceManager::reportUnitTime(int64_t unit, int64_t level,
                                            int64_t ns) noexcept {
  uint32_t count = NumUnits.load(std::memory_order_acquire);
  if (AGN_RT_UNLIKELY(static_cast<uint64_t>(unit) >= count)) {
    InvalidUnitErrors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (AGN_RT_UNLIKELY(!isLevel(level) || ns < 0)) {
    InvalidLevelErrors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  UnitShard &shard = hotUnit(unit).Shards[threadShard()];
  shard.TimeNs[level].fetch_add(static_cast<uint64_t>(ns),
                                std::memory_order_relaxed);
  shard.TimeCount[level].fetch_add(1, std::memory_order_relaxed);
}

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_RESOURCEMANAGER_H
