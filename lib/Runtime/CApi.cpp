//===- CApi.cpp - The C interface of the runtime --------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Maps agn-c/Runtime.h onto one process-wide ResourceManager. The manager is
// created on first use by whichever entry point comes first, because compiled
// models may arbitrate before anyone calls agn_rt_init(). It is never
// destroyed: other threads may still arbitrate while the process exits, and
// unit ids must stay valid for as long as compiled code holds them. A static
// destructor stops the monitor and writes the telemetry file at exit.
//
// No C++ exception crosses this boundary: the hot functions cannot throw,
// the others catch and report AGN_RT_ERR_INTERNAL.
//
//===----------------------------------------------------------------------===//

#include "agn-c/Runtime.h"

#include "Levels.h"
#include "Profiler.h"
#include "ResourceManager.h"
#include "Telemetry.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <pthread.h>
#include <unistd.h>

extern char **environ;

using namespace agn::rt;

namespace {

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

/// The last error of this thread. A fixed buffer needs no TLS destructor.
thread_local char LastError[2048];

int64_t fail(const Status &status) {
  std::snprintf(LastError, sizeof(LastError), "%s", status.message().c_str());
  return status.code();
}

int64_t report(const Status &status) {
  return status.ok() ? AGN_RT_OK : fail(status);
}

int64_t internalError(const char *what) {
  return fail(Status::error(AGN_RT_ERR_INTERNAL,
                            std::string("internal error: ") + what));
}

/// Runs \p body, turning any C++ exception into AGN_RT_ERR_INTERNAL.
template <typename Body> int64_t guarded(Body &&body) {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return internalError("out of memory");
  } catch (const std::exception &e) {
    return internalError(e.what());
  } catch (...) {
    return internalError("unknown exception");
  }
}

//===----------------------------------------------------------------------===//
// The global manager
//===----------------------------------------------------------------------===//

std::mutex GlobalMu;
std::atomic<ResourceManager *> Global{nullptr};

void forkPrepare() {
  if (ResourceManager *m = Global.load(std::memory_order_acquire))
    m->prepareFork();
}
void forkParent() {
  if (ResourceManager *m = Global.load(std::memory_order_acquire))
    m->afterForkParent();
}
void forkChild() {
  if (ResourceManager *m = Global.load(std::memory_order_acquire))
    m->afterForkChild();
}

/// Creates the manager; with \p lazy, also initialises it from the
/// environment and prints configuration errors, since no caller is there to
/// receive them. Returns null only if even the allocation failed.
ResourceManager *createGlobal(bool lazy) noexcept {
  std::lock_guard<std::mutex> lock(GlobalMu);
  if (ResourceManager *m = Global.load(std::memory_order_relaxed))
    return m;
  ResourceManager *m = nullptr;
  try {
    m = new ResourceManager();
  } catch (...) {
    return nullptr;
  }
  if (lazy) {
    Status status;
    try {
      status = m->initialize(nullptr, environ);
    } catch (...) {
      status = Status::error(AGN_RT_ERR_INTERNAL,
                             "initialisation failed (out of memory?)");
    }
    if (!status.ok())
      std::fprintf(stderr, "agn runtime: %s\n", status.message().c_str());
  }
  pthread_atfork(forkPrepare, forkParent, forkChild);
  Global.store(m, std::memory_order_release);
  return m;
}

/// The manager, created lazily. Inline fast path: one acquire load.
inline ResourceManager *manager() noexcept {
  ResourceManager *m = Global.load(std::memory_order_acquire);
  if (AGN_RT_UNLIKELY(!m))
    m = createGlobal(/*lazy=*/true);
  return m;
}

/// Stops the monitor and writes telemetry when the process exits (or when
/// the library is unloaded with dlclose).
struct ExitHook {
  ~ExitHook() {
    if (ResourceManager *m = Global.load(std::memory_order_acquire)) {
      try {
        m->atExit();
      } catch (...) {
      }
    }
  }
} Hook;

/// The size of the first version of a versioned struct.
template <typename T> constexpr size_t firstVersionSize() { return sizeof(T); }
template <> constexpr size_t firstVersionSize<agn_rt_unit_stats>() {
  // Version 2 added the weight placement fields.
  return offsetof(agn_rt_unit_stats, placed_weight_bytes);
}

/// Copies \p full into a caller's struct whose struct_size says how much
/// room it has: a caller built against a newer header (a larger struct) gets
/// what this library knows and struct_size says how much that was.
template <typename T> int64_t copyVersioned(const T &full, T *out) {
  // Callers built against an older header pass the struct as it was then:
  // every field up to the first one added later.
  constexpr size_t minimumSize = firstVersionSize<T>();
  if (!out)
    return fail(Status::error(AGN_RT_ERR_INVALID_ARGUMENT, "null output"));
  uint32_t size = out->struct_size;
  if (size < minimumSize)
    return fail(Status::error(
        AGN_RT_ERR_INVALID_ARGUMENT,
        "struct_size is " + std::to_string(size) + ", expected at least " +
            std::to_string(minimumSize) + " (set it to sizeof the struct)"));
  size_t filled = std::min<size_t>(size, sizeof(T));
  std::memcpy(static_cast<void *>(out), &full, filled);
  out->struct_size = static_cast<uint32_t>(filled);
  return AGN_RT_OK;
}

int64_t copyString(const std::string &text, char *buffer, uint64_t size) {
  if (buffer && size > 0) {
    size_t n = std::min<uint64_t>(text.size(), size - 1);
    std::memcpy(buffer, text.data(), n);
    buffer[n] = '\0';
  }
  return static_cast<int64_t>(text.size());
}

std::string formatDouble(double value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

} // namespace

//===----------------------------------------------------------------------===//
// Lifetime
//===----------------------------------------------------------------------===//

extern "C" int64_t agn_rt_init(const char *config_path) {
  ResourceManager *m = Global.load(std::memory_order_acquire);
  if (!m)
    m = createGlobal(/*lazy=*/false);
  if (!m)
    return internalError("out of memory");
  return guarded([&] { return report(m->initialize(config_path, environ)); });
}

extern "C" void agn_rt_shutdown(void) {
  if (ResourceManager *m = Global.load(std::memory_order_acquire))
    guarded([&] { return report(m->shutdown()); });
}

extern "C" const char *agn_rt_last_error(void) { return LastError; }

//===----------------------------------------------------------------------===//
// Units and arbitration
//===----------------------------------------------------------------------===//

extern "C" int64_t agn_rt_register_unit(const char *name,
                                        const agn_level_cost *costs,
                                        int64_t num_costs, double sensitivity) {
  ResourceManager *m = manager();
  if (!m)
    return internalError("out of memory");
  return guarded([&] {
    Expected<int64_t> id = m->registerUnit(name, costs, num_costs, sensitivity);
    return id.ok() ? *id : fail(id.status());
  });
}

extern "C" int64_t agn_rt_register_weights(int64_t unit, int64_t level,
                                           const void *data, uint64_t bytes) {
  ResourceManager *m = manager();
  if (!m)
    return internalError("out of memory");
  return guarded([&] {
    Status status = m->registerWeights(unit, level, data, bytes);
    return status.ok() ? AGN_RT_OK : fail(status);
  });
}

extern "C" uint64_t agn_rt_forget_weights(const void *data, uint64_t bytes) {
  ResourceManager *m = manager();
  if (!m || !data || bytes == 0)
    return 0;
  uint64_t forgotten = 0;
  guarded([&] {
    forgotten = m->forgetWeights(data, bytes);
    return AGN_RT_OK;
  });
  return forgotten;
}

extern "C" int64_t agn_rt_find_unit(const char *name) {
  ResourceManager *m = manager();
  if (!m)
    return internalError("out of memory");
  return guarded([&] {
    Expected<int64_t> id = m->findUnit(name);
    return id.ok() ? *id : fail(id.status());
  });
}

extern "C" int64_t agn_rt_arbitrate(int64_t unit, int64_t requested_level,
                                    float statistic) {
  ResourceManager *m = manager();
  if (AGN_RT_UNLIKELY(!m))
    return clampLevel(requested_level);
  return m->arbitrate(unit, requested_level, statistic);
}

extern "C" void agn_rt_report_unit_time(int64_t unit, int64_t level,
                                        int64_t nanoseconds) {
  if (ResourceManager *m = manager())
    m->reportUnitTime(unit, level, nanoseconds);
}

extern "C" void agn_rt_begin_inference(void) {
  if (ResourceManager *m = manager())
    m->beginInference();
}

extern "C" void agn_rt_end_inference(void) {
  if (ResourceManager *m = manager())
    m->endInference();
}

//===----------------------------------------------------------------------===//
// Policies
//===----------------------------------------------------------------------===//

extern "C" int64_t agn_rt_set_option(const char *key, const char *value) {
  if (!key)
    return fail(Status::error(AGN_RT_ERR_INVALID_ARGUMENT, "null key"));
  ResourceManager *m = manager();
  if (!m)
    return internalError("out of memory");
  return guarded([&] { return report(m->setOption(key, value)); });
}

extern "C" int64_t agn_rt_get_option(const char *key, char *buffer,
                                     uint64_t size) {
  if (!key)
    return fail(Status::error(AGN_RT_ERR_INVALID_ARGUMENT, "null key"));
  ResourceManager *m = manager();
  if (!m)
    return internalError("out of memory");
  return guarded([&] {
    Expected<std::string> value = m->getOption(key);
    return value.ok() ? copyString(*value, buffer, size) : fail(value.status());
  });
}

extern "C" int64_t agn_rt_set_max_level(int64_t level) {
  if (!isLevel(level))
    return fail(Status::error(AGN_RT_ERR_INVALID_ARGUMENT,
                              "invalid max level " + std::to_string(level) +
                                  "; accepted: " + levelOrdinalRange() + " (" +
                                  kLevelConstantNames[0] + " to " +
                                  kLevelConstantNames[kTopLevel] + ")"));
  return agn_rt_set_option("max_level", kLevelNames[level]);
}

extern "C" int64_t agn_rt_set_memory_budget(uint64_t bytes) {
  std::string value =
      bytes == AGN_RT_UNLIMITED ? std::string("off") : std::to_string(bytes);
  return agn_rt_set_option("memory_budget", value.c_str());
}

extern "C" int64_t agn_rt_set_latency_target_ns(int64_t nanoseconds) {
  if (nanoseconds < 0)
    return fail(Status::error(AGN_RT_ERR_INVALID_ARGUMENT,
                              "negative latency target; use 0 for off"));
  std::string value = nanoseconds == 0 ? std::string("off")
                                       : std::to_string(nanoseconds) + "ns";
  return agn_rt_set_option("latency_target", value.c_str());
}

extern "C" int64_t agn_rt_set_cpu_thresholds(double high, double low) {
  ResourceManager *m = manager();
  if (!m)
    return internalError("out of memory");
  return guarded([&] {
    std::string highText = high < 0 ? "off" : formatDouble(high);
    std::string lowText = low < 0 ? "auto" : formatDouble(low);
    return report(m->setOptions({{"cpu_high", highText}, {"cpu_low", lowText}},
                                "agn_rt_set_cpu_thresholds"));
  });
}

extern "C" int64_t agn_rt_pin_unit(int64_t unit, int64_t level) {
  ResourceManager *m = manager();
  if (!m)
    return internalError("out of memory");
  return guarded([&] { return report(m->pinUnit(unit, level)); });
}

extern "C" int64_t agn_rt_tick(void) {
  ResourceManager *m = manager();
  if (!m)
    return internalError("out of memory");
  return guarded([&] {
    m->tick();
    return int64_t(AGN_RT_OK);
  });
}

//===----------------------------------------------------------------------===//
// Stats and telemetry
//===----------------------------------------------------------------------===//

extern "C" int64_t agn_rt_get_stats(agn_rt_stats *out) {
  ResourceManager *m = manager();
  if (!m)
    return internalError("out of memory");
  return guarded([&] {
    ManagerSnapshot s = m->snapshot();
    agn_rt_stats stats;
    std::memset(&stats, 0, sizeof(stats));
    stats.struct_size = sizeof(stats);
    stats.monitor_running = s.MonitorRunning;
    stats.ticks = s.Ticks;
    stats.num_units = static_cast<int64_t>(s.Units.size());
    for (const UnitSnapshot &u : s.Units) {
      stats.arbitrations += u.arbitrations();
      stats.overrides += u.overrides();
    }
    stats.errors = s.errors();
    stats.cpu_load = s.Sample.Cpu.load();
    stats.cpu_quota_cores = s.Sample.Cpu.QuotaCores;
    stats.mem_total_bytes = s.Sample.Memory.TotalBytes;
    stats.mem_available_bytes = s.Sample.Memory.AvailableBytes;
    stats.cgroup_memory_max = s.Sample.Memory.CgroupMaxBytes;
    stats.rss_bytes = s.Sample.Process.RssBytes;
    stats.gpu_available = s.Sample.Gpu.Available;
    stats.over_budget = s.OverBudget;
    stats.gpu_utilization = s.Sample.Gpu.Utilization;
    stats.gpu_memory_total_bytes = s.Sample.Gpu.MemoryTotalBytes;
    stats.gpu_memory_used_bytes = s.Sample.Gpu.MemoryUsedBytes;
    stats.weight_budget_bytes = s.BudgetBytes;
    stats.weight_granted_bytes = s.GrantedBytes;
    stats.weight_max_bytes = s.MaxBytes;
    stats.inferences = s.Inferences;
    stats.inference_ema_ns = s.InferenceAverageNs;
    stats.max_level = s.Opts.MaxLevel;
    stats.cpu_ceiling = s.CpuCeiling;
    stats.gpu_ceiling = s.GpuCeiling;
    return copyVersioned(stats, out);
  });
}

extern "C" int64_t agn_rt_get_unit_stats(int64_t unit, agn_rt_unit_stats *out) {
  ResourceManager *m = manager();
  if (!m)
    return internalError("out of memory");
  return guarded([&] {
    if (unit < 0 || unit >= m->numUnits())
      return fail(Status::error(AGN_RT_ERR_UNKNOWN_UNIT,
                                "no unit with id " + std::to_string(unit)));
    ManagerSnapshot s = m->snapshot();
    const UnitSnapshot &u = s.Units[unit];
    agn_rt_unit_stats stats;
    std::memset(&stats, 0, sizeof(stats));
    stats.struct_size = sizeof(stats);
    stats.allowed_mask = u.Allowed;
    stats.ceiling = u.Ceiling;
    stats.ceiling_reason = u.Reason;
    stats.pinned_level = u.Pin;
    stats.name = u.StableName;
    stats.sensitivity = u.Sensitivity;
    for (int l = 0; l < kNumLevels; ++l) {
      stats.granted[l] = u.Granted[l];
      stats.time_ns[l] = u.TimeNs[l];
      stats.time_count[l] = u.TimeCount[l];
      stats.weight_bytes[l] = u.Bytes[l];
      stats.macs[l] = u.Macs[l];
      stats.placed_weight_bytes[l] = u.PlacedBytes[l];
      int64_t resident = 0;
      for (const AddressRange &range : m->weightRanges(unit, l)) {
        int64_t bytes = residentBytes(range);
        if (bytes < 0) {
          resident = -1;
          break;
        }
        resident += bytes;
      }
      stats.resident_weight_bytes[l] = resident;
    }
    stats.released_mask = u.Released;
    for (int r = 0; r < kNumReasons; ++r)
      stats.overrides[r] = u.Overrides[r];
    stats.statistic_mean =
        u.StatisticCount
            ? u.StatisticSum / static_cast<double>(u.StatisticCount)
            : -1.0;
    return copyVersioned(stats, out);
  });
}

extern "C" int64_t agn_rt_dump_telemetry(const char *path) {
  ResourceManager *m = manager();
  if (!m)
    return internalError("out of memory");
  return guarded([&] { return report(m->dumpTelemetry(path)); });
}

extern "C" int64_t agn_rt_telemetry_json(char *buffer, uint64_t size) {
  ResourceManager *m = manager();
  if (!m)
    return internalError("out of memory");
  return guarded([&] { return copyString(m->telemetryJson(), buffer, size); });
}

extern "C" const char *agn_rt_level_name(int64_t level) {
  return isLevel(level) ? kLevelNames[level] : "invalid";
}

extern "C" const char *agn_rt_reason_name(int64_t reason) {
  return reason >= 0 && reason < kNumReasons ? kReasonNames[reason] : "invalid";
}

//===----------------------------------------------------------------------===//
// Profiling
//===----------------------------------------------------------------------===//

extern "C" void agn_rt_profile_begin(const char *region) {
  // Out of memory, the span is lost; generated code has no error path.
  if (region)
    guarded([&] {
      Profiler::process().begin(region);
      return AGN_RT_OK;
    });
}

extern "C" void agn_rt_profile_end(const char *region) {
  if (region)
    guarded([&] {
      Profiler::process().end(region);
      return AGN_RT_OK;
    });
}

extern "C" int64_t agn_rt_profile_table(const char *model, char *buffer,
                                        uint64_t size) {
  return guarded([&] {
    return copyString(Profiler::process().table(model ? model : ""), buffer,
                      size);
  });
}

extern "C" int64_t agn_rt_profile_json(const char *model, char *buffer,
                                       uint64_t size) {
  return guarded([&] {
    return copyString(Profiler::process().json(model ? model : ""), buffer,
                      size);
  });
}

extern "C" int64_t agn_rt_profile_write_trace(const char *model,
                                              const char *path) {
  if (!path)
    return fail(Status::error(AGN_RT_ERR_INVALID_ARGUMENT,
                              "no path for the trace file"));
  return guarded([&] {
    return report(writeFileAtomically(
        path, Profiler::process().chromeTrace(model ? model : ""),
        "trace file"));
  });
}

extern "C" void agn_rt_profile_reset(void) {
  guarded([&] {
    Profiler::process().reset();
    return AGN_RT_OK;
  });
}
