//===- ResourceManager.cpp - The arbitration core -------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "ResourceManager.h"

#include "BufferCache.h"
#include "Telemetry.h"

#include <algorithm>
#include <chrono>
#include <unistd.h>

namespace agn::rt {

unsigned assignThreadShard() noexcept {
  static std::atomic<unsigned> next{0};
  return next.fetch_add(1, std::memory_order_relaxed) % kNumShards;
}

static uint64_t unixTimeMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

template <typename Interface, typename Default>
static std::unique_ptr<Interface> ownDefault(Interface *given) {
  if (given)
    return nullptr;
  return std::make_unique<Default>();
}

ResourceManager::ResourceManager() : ResourceManager(Dependencies()) {}

ResourceManager::ResourceManager(Dependencies deps)
    : OwnedFiles(ownDefault<FileReader, PosixFileReader>(deps.Files)),
      OwnedLibraries(ownDefault<LibraryLoader, DlopenLoader>(deps.Libraries)),
      OwnedClock(ownDefault<Clock, SteadyClock>(deps.Time)),
      Files(deps.Files ? *deps.Files : *OwnedFiles),
      Libraries(deps.Libraries ? *deps.Libraries : *OwnedLibraries),
      Time(deps.Time ? *deps.Time : *OwnedClock),
      ResourceSampler(Files, Libraries) {
  StartNs = Time.nowNs();
  IntervalNs.store(Cfg.options().IntervalNs, std::memory_order_relaxed);
}

ResourceManager::~ResourceManager() {
  Monitor.stop();
  ResourceSampler.shutdown();
  for (std::atomic<HotUnit *> &segment : Segments)
    delete[] segment.load(std::memory_order_relaxed);
}

//===----------------------------------------------------------------------===//
// Lifetime and configuration
//===----------------------------------------------------------------------===//

Status ResourceManager::initialize(const char *configPath,
                                   const char *const *envp) {
  Status status;
  {
    std::lock_guard<std::mutex> lock(Mu);
    Options previous = Cfg.options();
    std::string path = configPath ? configPath : "";
    if (!configPath)
      for (const char *const *entry = envp; entry && *entry; ++entry)
        if (std::strncmp(*entry, "AGN_RT_CONFIG=", 14) == 0)
          path = *entry + 14;
    if (path.empty())
      Cfg.clear(ConfigLayer::File);
    else
      status.append(Cfg.loadFile(path));
    status.append(Cfg.loadEnvironment(envp));
    Active = true;
    optionsChanged(previous);
  }
  status.append(applyMonitorSetting());
  return status;
}

Status ResourceManager::applyMonitorSetting() {
  bool wanted;
  {
    std::lock_guard<std::mutex> lock(Mu);
    wanted = Active && Cfg.options().Monitor;
  }
  if (!wanted) {
    Monitor.stop();
    return Status();
  }
  return Monitor.start(
      [this] { tick(); },
      [this] { return IntervalNs.load(std::memory_order_relaxed); });
}

Status ResourceManager::shutdown() {
  {
    std::lock_guard<std::mutex> lock(Mu);
    Active = false;
  }
  Monitor.stop();
  {
    std::lock_guard<std::mutex> tickLock(TickMu);
    ResourceSampler.shutdown();
  }
  {
    std::lock_guard<std::mutex> lock(Mu);
    releaseDynamicLimits();
  }
  return writeConfiguredTelemetry();
}

void ResourceManager::atExit() {
  {
    std::lock_guard<std::mutex> lock(Mu);
    Active = false;
  }
  Monitor.stop();
  // NVML is left alone: its own exit handlers, registered after ours, have
  // already run, and the process is going away anyway.
  Status status = writeConfiguredTelemetry();
  if (!status.ok())
    std::fprintf(stderr, "agn runtime: %s\n", status.message().c_str());
}

Status ResourceManager::setOption(std::string_view key, const char *value) {
  {
    std::lock_guard<std::mutex> lock(Mu);
    Options previous = Cfg.options();
    Status status =
        value ? Cfg.set(ConfigLayer::Api, key, value, "agn_rt_set_option")
              : Cfg.unset(ConfigLayer::Api, key);
    if (!status.ok())
      return status;
    optionsChanged(previous);
  }
  // Starting or joining the thread happens outside Mu: its tick takes Mu.
  if (key == "monitor")
    return applyMonitorSetting();
  return Status();
}

Status ResourceManager::setOptions(const std::vector<Config::KeyValue> &values,
                                   const std::string &origin) {
  std::lock_guard<std::mutex> lock(Mu);
  Options previous = Cfg.options();
  Status status = Cfg.set(ConfigLayer::Api, values, origin);
  if (status.ok())
    optionsChanged(previous);
  return status;
}

Expected<std::string> ResourceManager::getOption(std::string_view key) const {
  std::lock_guard<std::mutex> lock(Mu);
  return Cfg.get(key);
}

Options ResourceManager::options() const {
  std::lock_guard<std::mutex> lock(Mu);
  return Cfg.options();
}

void ResourceManager::optionsChanged(const Options &previous) {
  const Options &o = Cfg.options();
  IntervalNs.store(o.IntervalNs, std::memory_order_relaxed);
  if (o.IntervalNs != previous.IntervalNs)
    Monitor.wake();
  // A new target invalidates what the latency policy learned.
  if (o.LatencyTargetNs != previous.LatencyTargetNs) {
    Latency.reset();
    for (std::unique_ptr<UnitInfo> &unit : Units)
      unit->LatencyCeiling = kTopLevel;
  }
  if (o.MemoryReserve != previous.MemoryReserve)
    Pressure.reset();
  // A policy turned off lets go at once rather than at the next tick.
  if (o.CpuHigh < 0)
    CpuPolicy.reset();
  if (o.GpuHigh < 0)
    GpuPolicy.reset();
  recompute();
}

Status ResourceManager::pinUnit(int64_t unit, int64_t level) {
  if (level != AGN_RT_UNPINNED && !isLevel(level))
    return Status::error(AGN_RT_ERR_INVALID_ARGUMENT,
                         "invalid pin level " + std::to_string(level) +
                             "; accepted: " + levelOrdinalRange() +
                             " or AGN_RT_UNPINNED (-1)");
  std::lock_guard<std::mutex> lock(Mu);
  if (unit < 0 || static_cast<uint64_t>(unit) >= Units.size())
    return Status::error(AGN_RT_ERR_UNKNOWN_UNIT,
                         "no unit with id " + std::to_string(unit));
  Units[unit]->ApiPin = static_cast<int>(level);
  recompute();
  return Status();
}

//===----------------------------------------------------------------------===//
// Units
//===----------------------------------------------------------------------===//

Expected<int64_t> ResourceManager::registerUnit(const char *name,
                                                const agn_level_cost *costs,
                                                int64_t numCosts,
                                                double sensitivity) {
  constexpr size_t kMaxNameLength = 4096;
  if (!name || !*name)
    return Status::error(AGN_RT_ERR_INVALID_ARGUMENT,
                         "unit name is null or empty");
  size_t nameLength = strnlen(name, kMaxNameLength + 1);
  if (nameLength > kMaxNameLength)
    return Status::error(AGN_RT_ERR_INVALID_ARGUMENT,
                         "unit name longer than 4096 bytes");
  std::string unitName(name, nameLength);
  if (!costs || numCosts < 1 || numCosts > kNumLevels)
    return Status::error(AGN_RT_ERR_INVALID_ARGUMENT,
                         "unit '" + unitName + "': num_costs is " +
                             std::to_string(numCosts) +
                             ", expected 1-5 entries in a non-null table");
  if (!std::isfinite(sensitivity) || sensitivity < 0)
    return Status::error(AGN_RT_ERR_INVALID_ARGUMENT,
                         "unit '" + unitName +
                             "': sensitivity must be finite and >= 0");

  auto info = std::make_unique<UnitInfo>();
  info->Name = unitName;
  info->Sensitivity = sensitivity;
  for (int64_t i = 0; i < numCosts; ++i) {
    int64_t level = costs[i].level;
    if (!isLevel(level))
      return Status::error(AGN_RT_ERR_INVALID_ARGUMENT,
                           "unit '" + unitName + "': cost entry " +
                               std::to_string(i) + " has level " +
                               std::to_string(level) + ", expected " +
                               levelOrdinalRange());
    if (contains(info->Allowed, static_cast<int>(level)))
      return Status::error(AGN_RT_ERR_INVALID_ARGUMENT,
                           "unit '" + unitName + "': level " +
                               kLevelNames[level] + " listed twice");
    info->Allowed |= static_cast<LevelMask>(1u << level);
    info->Bytes[level] = costs[i].weight_bytes;
    info->Macs[level] = costs[i].macs;
  }

  std::lock_guard<std::mutex> lock(Mu);
  if (auto it = UnitsByName.find(unitName); it != UnitsByName.end()) {
    // Compiled code registers lazily, possibly from several threads: the
    // same registration again is an answer, a different one a conflict.
    const UnitInfo &existing = *Units[it->second];
    bool same = existing.Allowed == info->Allowed &&
                existing.Sensitivity == info->Sensitivity;
    for (int l = 0; same && l < kNumLevels; ++l)
      same = existing.Bytes[l] == info->Bytes[l] &&
             existing.Macs[l] == info->Macs[l];
    if (same)
      return it->second;
    return Status::error(AGN_RT_ERR_CONFLICT,
                         "unit '" + unitName +
                             "' is already registered with a different cost "
                             "table or sensitivity (unit names must be "
                             "unique per process)");
  }

  int64_t id = static_cast<int64_t>(Units.size());
  if (id >= AGN_RT_MAX_UNITS)
    return Status::error(AGN_RT_ERR_CAPACITY,
                         "cannot register unit '" + unitName +
                             "': " + std::to_string(AGN_RT_MAX_UNITS) +
                             " units already registered");
  std::atomic<HotUnit *> &segment = Segments[id / kSegmentSize];
  if (!segment.load(std::memory_order_relaxed))
    segment.store(new HotUnit[kSegmentSize], std::memory_order_relaxed);
  UnitsByName.emplace(unitName, id);
  Units.push_back(std::move(info));

  // Place the unit without the O(n log n) greedy pass, which would make
  // registering n units quadratic: with a budget in force it takes the best
  // level that fits in what is left, and the next tick rebalances all units.
  UnitInfo &unit = *Units.back();
  const Options &o = Cfg.options();
  unit.Pin = o.pinFor(unit.Name);
  int cap =
      unit.Pin >= 0
          ? unit.Pin
          : std::min({o.MaxLevel, CpuPolicy.ceiling(), GpuPolicy.ceiling()});
  int start = grantedLevel(unit.Allowed, kTopLevel, cap);
  int placed = start;
  if (BudgetBytes != AGN_RT_UNLIMITED && unit.Pin < 0) {
    uint64_t left = BudgetBytes > GrantedBytes ? BudgetBytes - GrantedBytes : 0;
    placed = -1;
    for (int l = start; l >= 0 && placed < 0; --l)
      if (contains(unit.Allowed, l) && unit.Bytes[l] <= left)
        placed = l;
    if (placed < 0) {
      placed = lowestLevel(unit.Allowed);
      OverBudget = true;
    }
    RebalancePending = true;
  }
  unit.MemoryCeiling = placed < start ? placed : kTopLevel;
  GrantedBytes = saturatingAdd(GrantedBytes, unit.Bytes[placed]);
  MaxBytes = saturatingAdd(MaxBytes, unit.Bytes[highestLevel(unit.Allowed)]);
  foldCeiling(unit, CpuPolicy.ceiling(), GpuPolicy.ceiling(), o.MaxLevel);
  publish(id);
  // Release pairs with the acquire in arbitrate(): the segment and the
  // decision above are visible to whoever sees the new count.
  NumUnits.store(static_cast<uint32_t>(id + 1), std::memory_order_release);
  return id;
}

Expected<int64_t> ResourceManager::findUnit(const char *name) const {
  if (!name)
    return Status::error(AGN_RT_ERR_INVALID_ARGUMENT, "unit name is null");
  std::lock_guard<std::mutex> lock(Mu);
  if (auto it = UnitsByName.find(name); it != UnitsByName.end())
    return it->second;
  return Status::error(AGN_RT_ERR_UNKNOWN_UNIT,
                       std::string("no unit named '") + name + "'");
}

//===----------------------------------------------------------------------===//
// Ceilings
//===----------------------------------------------------------------------===//

int ResourceManager::foldCeiling(UnitInfo &unit, int cpuCeiling, int gpuCeiling,
                                 int maxLevel) const {
  if (unit.Pin >= 0) {
    unit.Ceiling = grantedLevel(unit.Allowed, kTopLevel, unit.Pin);
    unit.Reason = AGN_RT_REASON_PIN;
    return unit.Ceiling;
  }
  // Each cap is mapped to the unit's own levels first, so that a cap that
  // changes nothing for this unit (f16 on a unit allowed {i8, f16}) is not
  // named as its reason. Ties go to the earlier, more deliberate policy.
  int ceiling = highestLevel(unit.Allowed);
  int reason = AGN_RT_REASON_NONE;
  auto apply = [&](int cap, int why) {
    int level = grantedLevel(unit.Allowed, kTopLevel, cap);
    if (level < ceiling) {
      ceiling = level;
      reason = why;
    }
  };
  apply(maxLevel, AGN_RT_REASON_MAX_LEVEL);
  apply(unit.MemoryCeiling, AGN_RT_REASON_MEMORY);
  apply(unit.LatencyCeiling, AGN_RT_REASON_LATENCY);
  apply(cpuCeiling, AGN_RT_REASON_CPU);
  apply(gpuCeiling, AGN_RT_REASON_GPU);
  unit.Ceiling = ceiling;
  unit.Reason = reason;
  return ceiling;
}

void ResourceManager::publish(int64_t id) {
  const UnitInfo &unit = *Units[id];
  DecisionWord word = encodeDecision(unit.Allowed, unit.Ceiling, unit.Reason);
  std::atomic<DecisionWord> &decision = hotUnit(id).Decision;
  if (decision.load(std::memory_order_relaxed) != word)
    decision.store(word, std::memory_order_release);
}

void ResourceManager::recompute() {
  const Options &o = Cfg.options();
  int cpu = CpuPolicy.ceiling(), gpu = GpuPolicy.ceiling();
  std::vector<BudgetUnit> budgetUnits(Units.size());
  uint64_t maxBytes = 0;
  for (size_t i = 0; i < Units.size(); ++i) {
    UnitInfo &unit = *Units[i];
    unit.Pin = unit.ApiPin >= 0 ? unit.ApiPin : o.pinFor(unit.Name);
    // The memory allocator starts from what every other policy allows, so
    // that it only lowers what those have not lowered already.
    int cap = unit.Pin >= 0
                  ? unit.Pin
                  : std::min({o.MaxLevel, unit.LatencyCeiling, cpu, gpu});
    BudgetUnit &b = budgetUnits[i];
    b.Allowed = unit.Allowed;
    for (int l = 0; l < kNumLevels; ++l)
      b.Bytes[l] = unit.footprint(l);
    b.Sensitivity = unit.Sensitivity;
    b.Start = grantedLevel(unit.Allowed, kTopLevel, cap);
    b.Fixed = unit.Pin >= 0;
    maxBytes =
        saturatingAdd(maxBytes, unit.footprint(highestLevel(unit.Allowed)));
  }
  BudgetBytes = std::min(o.MemoryBudget, Pressure.budget());
  BudgetAllocation allocation = allocateWeightBudget(budgetUnits, BudgetBytes);
  GrantedBytes = allocation.TotalBytes;
  OverBudget = allocation.OverBudget;
  MaxBytes = maxBytes;
  RebalancePending = false;
  for (size_t i = 0; i < Units.size(); ++i) {
    UnitInfo &unit = *Units[i];
    int level = allocation.Levels[i];
    unit.MemoryCeiling = level < budgetUnits[i].Start ? level : kTopLevel;
    foldCeiling(unit, cpu, gpu, o.MaxLevel);
    publish(static_cast<int64_t>(i));
  }
  releaseWeightPages();
}

uint64_t ResourceManager::grantedCount(int64_t id, int level) const {
  uint64_t granted = 0;
  for (const UnitShard &shard : hotUnit(id).Shards)
    granted += shard.Granted[level].load(std::memory_order_relaxed);
  return granted;
}

void ResourceManager::releaseWeightRanges(
    const std::vector<AddressRange> &ranges) {
  if (ranges.empty())
    return;
  std::vector<Mapping> mappings = readOwnMappings();
  if (Verdicts.apply(mappings, ranges)) {
    mappings = readOwnMappings(/*withAnonymous=*/true);
    Verdicts.remember(mappings);
  }
  releasePages(ranges, mappings);
}

void ResourceManager::releaseWeightPages() {
  // Without a budget, pages stay once a call has brought them in: handing
  // them back would only have the next call at that level read them again.
  bool budgeted = BudgetBytes != AGN_RT_UNLIMITED;
  std::vector<AddressRange> ranges;
  for (size_t i = 0; i < Units.size(); ++i) {
    UnitInfo &unit = *Units[i];
    int running = grantedLevel(unit.Allowed, kTopLevel, unit.Ceiling);
    for (int l = 0; l < kNumLevels; ++l) {
      if (!contains(unit.Allowed, l))
        continue;
      LevelMask bit = static_cast<LevelMask>(1u << l);
      uint64_t granted = grantedCount(static_cast<int64_t>(i), l);
      bool used = granted != unit.SeenGranted[l];
      unit.SeenGranted[l] = granted;
      // Calls at a released level have read its pages back.
      if (used)
        unit.Released &= static_cast<LevelMask>(~bit);
      const std::vector<AddressRange> &level = unit.Weights[l].ranges();
      // Registered in a library's mapping: handed back now, as registration
      // does for the JIT's file (see registerWeights).
      bool pending = unit.PendingRelease & bit;
      unit.PendingRelease &= static_cast<LevelMask>(~bit);
      if (pending && l != running && !used) {
        unit.Released |= bit;
        ranges.insert(ranges.end(), level.begin(), level.end());
        continue;
      }
      if (!budgeted || l == running || used || level.empty())
        continue;
      // A released level's pages come back without a call at it when a
      // neighbour's fault maps them (a large page-cache folio is mapped
      // whole): handed back again at every round under the budget.
      unit.Released |= bit;
      ranges.insert(ranges.end(), level.begin(), level.end());
    }
  }
  releaseWeightRanges(ranges);
}

Status ResourceManager::registerWeights(int64_t id, int64_t level,
                                        const void *data, uint64_t bytes) {
  if (!isLevel(level))
    return Status::error(AGN_RT_ERR_INVALID_ARGUMENT,
                         "weights registered with level " +
                             std::to_string(level) + ", expected " +
                             levelOrdinalRange());
  uintptr_t begin = reinterpret_cast<uintptr_t>(data);
  if (!data || bytes == 0 || bytes > UINTPTR_MAX - begin)
    return Status::error(AGN_RT_ERR_INVALID_ARGUMENT,
                         "weights registered with a null pointer, no bytes "
                         "or a range past the end of the address space");
  std::lock_guard<std::mutex> lock(Mu);
  if (id < 0 || id >= static_cast<int64_t>(Units.size()))
    return Status::error(AGN_RT_ERR_UNKNOWN_UNIT,
                         "no unit with id " + std::to_string(id));
  UnitInfo &unit = *Units[id];
  if (!contains(unit.Allowed, static_cast<int>(level)))
    return Status::error(AGN_RT_ERR_INVALID_ARGUMENT, "unit '" + unit.Name +
                                                          "' has no level " +
                                                          kLevelNames[level]);
  AddressRange range{begin, begin + static_cast<uintptr_t>(bytes)};
  uint64_t before = unit.footprint(static_cast<int>(level));
  unit.Weights[level].add(range);
  // Weights larger than the cost table said (packed layouts) change what
  // the budget must count: the next tick rebalances with them.
  if (unit.footprint(static_cast<int>(level)) != before)
    RebalancePending = true;
  // Loading may have brought every level's pages in (the JIT writes them):
  // only the level a call runs at when nothing holds it back stays; the
  // others come back when a call runs at them. A level already handed back
  // loses this tensor too.
  int running = grantedLevel(unit.Allowed, kTopLevel, unit.Ceiling);
  if (level != running || (unit.Released & (1u << level))) {
    unit.SeenGranted[level] = grantedCount(id, static_cast<int>(level));
    std::vector<Mapping> mappings = readOwnMappings();
    if (Verdicts.apply(mappings, {range})) {
      unit.PendingRelease |= static_cast<LevelMask>(1u << level);
    } else {
      unit.Released |= static_cast<LevelMask>(1u << level);
      releasePages({range}, mappings);
    }
  }
  return Status();
}

uint64_t ResourceManager::forgetWeights(const void *data, uint64_t bytes) {
  uintptr_t begin = reinterpret_cast<uintptr_t>(data);
  AddressRange range{begin, bytes > UINTPTR_MAX - begin
                                ? UINTPTR_MAX
                                : begin + static_cast<uintptr_t>(bytes)};
  std::lock_guard<std::mutex> lock(Mu);
  uint64_t forgotten = 0;
  for (std::unique_ptr<UnitInfo> &unit : Units)
    for (LevelWeights &level : unit->Weights)
      forgotten += level.forget(range);
  return forgotten;
}

std::vector<AddressRange> ResourceManager::weightRanges(int64_t id,
                                                        int level) const {
  std::lock_guard<std::mutex> lock(Mu);
  if (id < 0 || id >= static_cast<int64_t>(Units.size()) || !isLevel(level))
    return {};
  return Units[id]->Weights[level].ranges();
}

void ResourceManager::rebalance() {
  std::lock_guard<std::mutex> lock(Mu);
  recompute();
}

void ResourceManager::releaseDynamicLimits() {
  CpuPolicy.reset();
  GpuPolicy.reset();
  Latency.reset();
  for (std::unique_ptr<UnitInfo> &unit : Units)
    unit->LatencyCeiling = kTopLevel;
  Pressure.reset();
  recompute();
}

//===----------------------------------------------------------------------===//
// Monitoring
//===----------------------------------------------------------------------===//

void ResourceManager::tick() {
  std::lock_guard<std::mutex> tickLock(TickMu);
  SamplerConfig config;
  {
    std::lock_guard<std::mutex> lock(Mu);
    const Options &o = Cfg.options();
    config.Root = o.FsRoot;
    config.NvmlLibrary = o.NvmlLibrary;
    config.GpuDevice = o.GpuDevice;
  }
  // Reading /proc and calling NVML happens outside Mu, so that registration
  // and the setters never wait for the file system.
  ResourceSample sample = ResourceSampler.sample(config, Time.nowNs());
  applySample(sample);
}

void ResourceManager::applySample(const ResourceSample &sample) {
  std::lock_guard<std::mutex> lock(Mu);
  ++Ticks;
  LastSample = sample;
  HaveSample = true;
  const Options &o = Cfg.options();
  bool changed = RebalancePending;
  changed |= CpuPolicy.update(sample.Cpu.load(), o.cpuThresholds(), o.MinLevel,
                              o.HysteresisTicks);
  changed |=
      GpuPolicy.update(sample.Gpu.Available ? sample.Gpu.Utilization : -1,
                       o.gpuThresholds(), o.MinLevel, o.HysteresisTicks);
  changed |= updateLatency(o);
  // Under the memory reserve, the buffers kept for reuse go first: they
  // cost a page fault each to get back, a lower level costs accuracy.
  if (o.MemoryReserve != AGN_RT_UNLIMITED &&
      sample.Memory.AvailableBytes != AGN_RT_UNLIMITED &&
      sample.Memory.AvailableBytes < o.MemoryReserve)
    getBufferCache().clear();
  changed |= Pressure.update(sample.Memory.AvailableBytes, o.MemoryReserve,
                             o.HysteresisMargin, o.HysteresisTicks,
                             GrantedBytes, MaxBytes);
  if (changed)
    recompute();
  else
    releaseWeightPages();
}

void ResourceManager::updateUnitTimes() {
  for (size_t i = 0; i < Units.size(); ++i) {
    UnitInfo &unit = *Units[i];
    HotUnit &hot = hotUnit(static_cast<int64_t>(i));
    for (int l = 0; l < kNumLevels; ++l) {
      uint64_t ns = 0, count = 0;
      for (const UnitShard &shard : hot.Shards) {
        ns += shard.TimeNs[l].load(std::memory_order_relaxed);
        count += shard.TimeCount[l].load(std::memory_order_relaxed);
      }
      if (count > unit.SeenTimeCount[l] && ns >= unit.SeenTimeNs[l]) {
        double mean = static_cast<double>(ns - unit.SeenTimeNs[l]) /
                      static_cast<double>(count - unit.SeenTimeCount[l]);
        double &average = unit.AverageNs[l];
        average = average < 0 ? mean
                              : LatencyPolicy::kSmoothing * mean +
                                    (1 - LatencyPolicy::kSmoothing) * average;
      }
      unit.SeenTimeNs[l] = ns;
      unit.SeenTimeCount[l] = count;
    }
  }
}

/// A unit's relative cost at \p level: MACs times bit width, the first-order
/// model of how arithmetic and weight traffic scale with precision.
static double relativeCost(const uint64_t (&macs)[kNumLevels], int level) {
  return static_cast<double>(macs[level] ? macs[level] : 1) * kLevelBits[level];
}

double ResourceManager::estimateSavedNs(const UnitInfo &unit, int from, int to,
                                        double nsPerCost) const {
  double measuredFrom = unit.AverageNs[from], measuredTo = unit.AverageNs[to];
  if (measuredFrom >= 0 && measuredTo >= 0)
    return std::max(0.0, measuredFrom - measuredTo);
  double costFrom = relativeCost(unit.Macs, from);
  double costTo = relativeCost(unit.Macs, to);
  double costSaved = std::max(0.0, costFrom - costTo);
  if (measuredFrom >= 0)
    return measuredFrom * costSaved / costFrom;
  // No timing for this unit: scale its cost by what other units' timings
  // say a unit of cost takes. Without any timing at all, every candidate is
  // compared in cost units, which ranks them the same way.
  return nsPerCost > 0 ? costSaved * nsPerCost : costSaved;
}

bool ResourceManager::updateLatency(const Options &o) {
  // The counter is bumped after the sum (release), so reading it first
  // (acquire) gives a sum that covers at least the counted inferences.
  uint64_t count = Inferences.load(std::memory_order_acquire);
  uint64_t sum = InferenceNsSum.load(std::memory_order_relaxed);
  double windowMean = -1;
  if (count > SeenInferences && sum >= SeenInferenceNs)
    windowMean = static_cast<double>(sum - SeenInferenceNs) /
                 static_cast<double>(count - SeenInferences);
  SeenInferences = count;
  SeenInferenceNs = sum;
  if (windowMean >= 0)
    InferenceAverageNs =
        InferenceAverageNs < 0
            ? windowMean
            : LatencyPolicy::kSmoothing * windowMean +
                  (1 - LatencyPolicy::kSmoothing) * InferenceAverageNs;
  if (o.LatencyTargetNs == 0)
    return false;

  updateUnitTimes();
  LatencyPolicy::Action action = Latency.update(
      windowMean, o.LatencyTargetNs, o.HysteresisMargin, o.HysteresisTicks);

  if (action == LatencyPolicy::Action::Raise) {
    int64_t id;
    int previous;
    if (!Latency.takeLastLowered(id, previous))
      return false;
    Units[id]->LatencyCeiling = previous;
    return true;
  }
  if (action != LatencyPolicy::Action::Lower)
    return false;

  double measuredNs = 0, measuredCost = 0;
  for (const std::unique_ptr<UnitInfo> &unit : Units)
    for (int l = 0; l < kNumLevels; ++l)
      if (unit->AverageNs[l] >= 0) {
        measuredNs += unit->AverageNs[l];
        measuredCost += relativeCost(unit->Macs, l);
      }
  double nsPerCost = measuredCost > 0 ? measuredNs / measuredCost : 0;

  std::vector<LatencyCandidate> candidates;
  for (size_t i = 0; i < Units.size(); ++i) {
    const UnitInfo &unit = *Units[i];
    if (unit.Pin >= 0)
      continue;
    int next = stepDownByBits(unit.Allowed, unit.Ceiling);
    if (next < 0 || next < o.MinLevel)
      continue;
    candidates.push_back({static_cast<int64_t>(i), next,
                          estimateSavedNs(unit, unit.Ceiling, next, nsPerCost),
                          unit.Sensitivity});
  }
  int best = pickLatencyCandidate(candidates);
  if (best < 0)
    return false;
  UnitInfo &victim = *Units[candidates[best].Unit];
  Latency.recordLowered(candidates[best].Unit, victim.LatencyCeiling);
  victim.LatencyCeiling = candidates[best].Next;
  ++LatencySteps;
  return true;
}

//===----------------------------------------------------------------------===//
// Inference timing
//===----------------------------------------------------------------------===//

namespace {
/// The calling thread's open inference. Constant-initialised POD: no TLS
/// guard, no destructor.
struct InferenceScope {
  const ResourceManager *Owner;
  uint64_t StartNs;
  uint32_t Depth;
};
thread_local InferenceScope CurrentInference = {nullptr, 0, 0};
} // namespace

void ResourceManager::beginInference() noexcept {
  InferenceScope &scope = CurrentInference;
  if (scope.Depth > 0 && scope.Owner == this) {
    ++scope.Depth;
    return;
  }
  scope.Owner = this;
  scope.Depth = 1;
  scope.StartNs = Time.nowNs();
}

void ResourceManager::endInference() noexcept {
  InferenceScope &scope = CurrentInference;
  if (scope.Owner != this || scope.Depth == 0) {
    UnbalancedInferenceErrors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (--scope.Depth > 0)
    return;
  uint64_t now = Time.nowNs();
  uint64_t elapsed = now > scope.StartNs ? now - scope.StartNs : 0;
  InferenceNsSum.fetch_add(elapsed, std::memory_order_relaxed);
  Inferences.fetch_add(1, std::memory_order_release);
  LastInferenceNs.store(elapsed, std::memory_order_relaxed);
  uint64_t max = MaxInferenceNs.load(std::memory_order_relaxed);
  while (elapsed > max && !MaxInferenceNs.compare_exchange_weak(
                              max, elapsed, std::memory_order_relaxed)) {
  }
}

//===----------------------------------------------------------------------===//
// Observation
//===----------------------------------------------------------------------===//

void ResourceManager::fillSnapshot(ManagerSnapshot &s) const {
  s.Pid = static_cast<int64_t>(::getpid());
  s.UnixTimeMs = unixTimeMs();
  uint64_t now = Time.nowNs();
  s.UptimeNs = now > StartNs ? now - StartNs : 0;
  s.Ticks = Ticks;
  s.Opts = Cfg.options();
  s.HaveSample = HaveSample;
  if (HaveSample)
    s.Sample = LastSample;
  s.CpuCeiling = CpuPolicy.ceiling();
  s.GpuCeiling = GpuPolicy.ceiling();
  s.BudgetBytes = BudgetBytes;
  s.PressureBudgetBytes = Pressure.budget();
  s.GrantedBytes = GrantedBytes;
  s.MaxBytes = MaxBytes;
  s.OverBudget = OverBudget;
  s.Inferences = Inferences.load(std::memory_order_relaxed);
  s.InferenceAverageNs = InferenceAverageNs;
  s.LastInferenceNs = LastInferenceNs.load(std::memory_order_relaxed);
  s.MaxInferenceNs = MaxInferenceNs.load(std::memory_order_relaxed);
  s.LatencySteps = LatencySteps;
  s.InvalidUnitErrors = InvalidUnitErrors.load(std::memory_order_relaxed);
  s.InvalidLevelErrors = InvalidLevelErrors.load(std::memory_order_relaxed);
  s.UnbalancedInferenceErrors =
      UnbalancedInferenceErrors.load(std::memory_order_relaxed);

  s.Units.resize(Units.size());
  for (size_t i = 0; i < Units.size(); ++i) {
    const UnitInfo &info = *Units[i];
    UnitSnapshot &u = s.Units[i];
    u.Id = static_cast<int64_t>(i);
    u.Name = info.Name;
    u.StableName = info.Name.c_str();
    u.Sensitivity = info.Sensitivity;
    u.Allowed = info.Allowed;
    std::copy(std::begin(info.Bytes), std::end(info.Bytes), u.Bytes);
    std::copy(std::begin(info.Macs), std::end(info.Macs), u.Macs);
    for (int l = 0; l < kNumLevels; ++l)
      u.PlacedBytes[l] = info.Weights[l].bytes();
    u.Released = info.Released;
    u.Pin = info.Pin;
    u.Ceiling = info.Ceiling;
    u.Reason = info.Reason;
    uint64_t nonFinite = 0;
    for (const UnitShard &shard : hotUnit(u.Id).Shards) {
      for (int l = 0; l < kNumLevels; ++l) {
        u.Granted[l] += shard.Granted[l].load(std::memory_order_relaxed);
        u.TimeNs[l] += shard.TimeNs[l].load(std::memory_order_relaxed);
        u.TimeCount[l] += shard.TimeCount[l].load(std::memory_order_relaxed);
      }
      for (int r = 0; r < kNumReasons; ++r)
        u.Overrides[r] += shard.Overrides[r].load(std::memory_order_relaxed);
      uint64_t bits = shard.StatisticSumBits.load(std::memory_order_relaxed);
      double sum;
      std::memcpy(&sum, &bits, sizeof(sum));
      u.StatisticSum += sum;
      nonFinite += shard.NonFiniteStatistics.load(std::memory_order_relaxed);
    }
    uint64_t calls = u.arbitrations();
    u.StatisticCount = calls > nonFinite ? calls - nonFinite : 0;
  }
}

ManagerSnapshot ResourceManager::snapshot() {
  ManagerSnapshot s;
  {
    std::lock_guard<std::mutex> lock(Mu);
    if (RebalancePending)
      recompute();
    fillSnapshot(s);
  }
  s.MonitorRunning = Monitor.running();
  return s;
}

std::string ResourceManager::telemetryJson() {
  return renderTelemetryJson(snapshot());
}

Status ResourceManager::dumpTelemetry(const char *path) {
  std::string target;
  if (path) {
    target = path;
  } else {
    std::lock_guard<std::mutex> lock(Mu);
    target = Cfg.options().Telemetry;
  }
  if (target.empty())
    return Status::error(AGN_RT_ERR_INVALID_ARGUMENT,
                         "no telemetry path: pass one or set the 'telemetry' "
                         "key (AGN_RT_TELEMETRY)");
  return writeTelemetryFile(expandTelemetryPath(target, ::getpid()),
                            telemetryJson());
}

Status ResourceManager::writeConfiguredTelemetry() {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(Mu);
    path = Cfg.options().Telemetry;
  }
  if (path.empty())
    return Status();
  return writeTelemetryFile(expandTelemetryPath(path, ::getpid()),
                            telemetryJson());
}

//===----------------------------------------------------------------------===//
// fork(2)
//===----------------------------------------------------------------------===//

// Lock order everywhere: Monitor lifecycle, TickMu, Mu, Monitor state. Taking
// all of them before fork() means the child never inherits a lock that a
// vanished thread held.

void ResourceManager::prepareFork() {
  Monitor.forkLockLifecycle();
  TickMu.lock();
  Mu.lock();
  Monitor.forkLockState();
}

void ResourceManager::afterForkParent() {
  Mu.unlock();
  TickMu.unlock();
  Monitor.forkUnlockParent();
}

void ResourceManager::afterForkChild() {
  // The monitor thread did not survive. The child keeps the ceilings it had
  // at fork time; agn_rt_init() starts monitoring again (starting threads
  // implicitly in a forked child is best left to the application).
  Mu.unlock();
  TickMu.unlock();
  Monitor.forkResetChild();
}

} // namespace agn::rt
