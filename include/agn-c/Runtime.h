/*===- agn-c/Runtime.h - agn runtime resource manager C API -------*- C -*-===*\
|*                                                                            *|
|* The process-wide resource manager that compiled agn models link against.   *|
|* It watches CPU, memory and GPU on a background thread, hands budgets to    *|
|* the Granularity Units (GUs) and lowers - never raises - the precision      *|
|* level that a unit's controller requests so that the process stays within   *|
|* its limits.                                                                *|
|*                                                                            *|
|* This is a plain C ABI: no C++ types, POD structs only, every function      *|
|* prefixed agn_rt_. It is usable from generated code, C, C++ and Python      *|
|* (ctypes). Every function is thread-safe and may be called before           *|
|* agn_rt_init(): the first call initialises the runtime with its defaults,   *|
|* the environment (AGN_RT_*) and the file named by AGN_RT_CONFIG.            *|
|*                                                                            *|
|* See docs/Runtime.md for the policy keys, the arbitration rule and the      *|
|* telemetry schema.                                                          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef AGN_C_RUNTIME_H
#define AGN_C_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define AGN_RT_API __attribute__((visibility("default")))
#else
#define AGN_RT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*===----------------------------------------------------------------------===*\
|* Precision levels and cost tables (fixed contract with the compiler)        *|
\*===----------------------------------------------------------------------===*/

/// The precision levels, the one list that the runtime, its configuration
/// and telemetry names and the compiler's `#agn.precision` enum all follow
/// (the dialect checks its enum against this list when it is compiled).
/// Ordered: a higher ordinal is more precise. X(NAME, name, ordinal, bits)
/// is expanded once per level: NAME makes AGN_LEVEL_<NAME>, name is the
/// level's spelling in configuration, telemetry and the IR, bits its storage
/// bit width.
#define AGN_LEVELS(X)                                                          \
  X(I4, i4, 0, 4)                                                              \
  X(I8, i8, 1, 8)                                                              \
  X(BF16, bf16, 2, 16)                                                         \
  X(F16, f16, 3, 16)                                                           \
  X(F32, f32, 4, 32)

#define AGN_LEVEL_ENUMERATOR_(NAME, name, ordinal, bits)                       \
  AGN_LEVEL_##NAME = ordinal,
/// Precision levels, ordered: a higher value is more precise. Bit widths are
/// 4, 8, 16, 16 and 32.
typedef enum agn_level { AGN_LEVELS(AGN_LEVEL_ENUMERATOR_) } agn_level;
#undef AGN_LEVEL_ENUMERATOR_

#define AGN_LEVEL_COUNT_ONE_(NAME, name, ordinal, bits) +1
/// Number of precision levels (5), a constant expression usable in #if.
#define AGN_NUM_LEVELS (0 AGN_LEVELS(AGN_LEVEL_COUNT_ONE_))

/// The cost of running one unit at one level: the bytes of its weights in the
/// stored form of that level and the multiply-accumulates of one call.
typedef struct agn_level_cost {
  int64_t level;
  uint64_t weight_bytes;
  uint64_t macs;
} agn_level_cost;

/*===----------------------------------------------------------------------===*\
|* Status codes                                                               *|
\*===----------------------------------------------------------------------===*/

/// Success. Functions that return a count or an id return it instead (>= 0).
#define AGN_RT_OK 0
/// An argument is out of range or malformed (null name, bad level, ...).
#define AGN_RT_ERR_INVALID_ARGUMENT (-1)
/// A unit with this name is registered with a different cost table or
/// sensitivity.
#define AGN_RT_ERR_CONFLICT (-2)
/// The unit table is full (AGN_RT_MAX_UNITS units).
#define AGN_RT_ERR_CAPACITY (-3)
/// A configuration key or value is invalid; the message names the key, the
/// value and the accepted values. Valid keys of the same call still apply.
#define AGN_RT_ERR_CONFIG (-4)
/// A file could not be read or written.
#define AGN_RT_ERR_IO (-5)
/// No unit has this id or name.
#define AGN_RT_ERR_UNKNOWN_UNIT (-6)
/// Resource exhaustion or another internal failure (e.g. the monitor thread
/// could not be started). The runtime keeps answering arbitrations.
#define AGN_RT_ERR_INTERNAL (-7)

/// The largest number of units one process can register.
#define AGN_RT_MAX_UNITS 65536

/// A byte budget or byte count meaning "no limit" or, for sampled values,
/// "not known".
#define AGN_RT_UNLIMITED UINT64_MAX

/// Passed to agn_rt_pin_unit() to remove a pin set through the API.
#define AGN_RT_UNPINNED (-1)

/*===----------------------------------------------------------------------===*\
|* Lifetime                                                                   *|
\*===----------------------------------------------------------------------===*/

/// Initialises (or re-initialises) the runtime: reads the configuration file
/// \p config_path (or, when null, the file named by the AGN_RT_CONFIG
/// environment variable, if any), then the AGN_RT_* environment variables, and
/// starts the monitor thread unless the `monitor` key is off. Values set
/// through the API (agn_rt_set_option and the typed setters) keep precedence
/// over both. Calling it again re-reads file and environment and restarts a
/// stopped monitor; registered units and their ids are kept.
/// \returns AGN_RT_OK, AGN_RT_ERR_CONFIG or AGN_RT_ERR_IO (the message is in
/// agn_rt_last_error(); the runtime is usable either way, invalid keys keep
/// their previous values) or AGN_RT_ERR_INTERNAL.
AGN_RT_API int64_t agn_rt_init(const char *config_path);

/// Stops the monitor thread and writes the telemetry file if one is
/// configured. Units, their ids and their counters survive (compiled code
/// caches ids); arbitration keeps working with the policies set through the
/// API and configuration, while the monitor-driven limits (CPU, GPU,
/// latency, memory pressure) are released. agn_rt_init() starts monitoring
/// again; other calls do not.
AGN_RT_API void agn_rt_shutdown(void);

/// The message of the last failed call on this thread, or "" if none. The
/// pointer stays valid until the next failing call on the same thread.
AGN_RT_API const char *agn_rt_last_error(void);

/*===----------------------------------------------------------------------===*\
|* Units and arbitration (called by generated code)                           *|
\*===----------------------------------------------------------------------===*/

/// Registers a Granularity Unit. \p costs lists the unit's allowed levels
/// (1 to AGN_NUM_LEVELS entries, each level at most once, in any order) with
/// their costs; \p sensitivity >= 0 says how much accuracy the unit loses per
/// level it is lowered (higher = keep it precise longer; 0 = drop first).
/// Registering the same name again with the same table and sensitivity
/// returns the same id, also when several threads race to register it.
/// Names must be unique per process (prefix them with the model's name).
/// \returns the unit id (>= 0), or AGN_RT_ERR_INVALID_ARGUMENT,
/// AGN_RT_ERR_CONFLICT, AGN_RT_ERR_CAPACITY.
AGN_RT_API int64_t agn_rt_register_unit(const char *name,
                                        const agn_level_cost *costs,
                                        int64_t num_costs, double sensitivity);

/// Tells the runtime where one weight tensor of \p unit at \p level lies:
/// \p bytes bytes from \p data, unchanged for as long as the code that
/// registered them is loaded. Generated code calls it after the unit's
/// registration, once per tensor; registering a range again changes nothing.
/// While a memory budget is in force (`memory_budget`, `memory_reserve`), the
/// runtime hands the pages of the levels above a unit's ceiling back to the
/// OS (madvise MADV_DONTNEED), and a later call at such a level reads them
/// back. Only pages of read-only, file-backed mappings that hold no private
/// copy of a page are handed back: shared ones (the weight file of agn's
/// JIT) and private ones whose anonymous size in /proc/self/smaps is zero (a
/// library's .rodata); their contents come back from the file. Other ranges
/// (anonymous memory, a library's relocated RELRO) stay as they are.
/// \returns AGN_RT_OK, AGN_RT_ERR_UNKNOWN_UNIT or AGN_RT_ERR_INVALID_ARGUMENT
/// (a level the unit does not have, a null or empty range).
AGN_RT_API int64_t agn_rt_register_weights(int64_t unit, int64_t level,
                                           const void *data, uint64_t bytes);

/// Forgets every weight tensor registered (agn_rt_register_weights) that lies
/// within [\p data, \p data + \p bytes): memory about to be unmapped, such
/// as a JIT-compiled model's when it is destroyed (agn's CompiledModel calls
/// it), so that the runtime never advises pages that belong to something
/// else by then. \returns the number of tensors forgotten.
AGN_RT_API uint64_t agn_rt_forget_weights(const void *data, uint64_t bytes);

/// \returns the id of the unit named \p name, or AGN_RT_ERR_UNKNOWN_UNIT.
AGN_RT_API int64_t agn_rt_find_unit(const char *name);

/// Arbitrates one call of \p unit. The granted level is one of the unit's
/// allowed levels and never above the request: the request is clamped to
/// [0, 4], mapped to the highest allowed level at or below it (the lowest
/// allowed level if none is), and then lowered to the highest allowed level at
/// or below the unit's current ceiling (the lowest allowed level if the
/// ceiling is below all of them). \p statistic is the controller's input
/// statistic (e.g. the variance); it is recorded for telemetry only.
/// An unknown unit id returns the clamped request and counts an error.
/// Lock-free and free of system calls.
AGN_RT_API int64_t agn_rt_arbitrate(int64_t unit, int64_t requested_level,
                                    float statistic);

/// Reports that one call of \p unit at \p level took \p nanoseconds. Feeds
/// the per-unit timings (telemetry) and the latency policy. Lock-free.
AGN_RT_API void agn_rt_report_unit_time(int64_t unit, int64_t level,
                                        int64_t nanoseconds);

/// Marks the start of one inference on the calling thread. Nested pairs count
/// once (the outermost pair). Lock-free.
AGN_RT_API void agn_rt_begin_inference(void);

/// Marks the end of the inference begun on the calling thread; its wall time
/// feeds the latency policy. An end without a begin counts an error.
AGN_RT_API void agn_rt_end_inference(void);

/*===----------------------------------------------------------------------===*\
|* Policies                                                                   *|
\*===----------------------------------------------------------------------===*/

/// Sets configuration key \p key (see docs/Runtime.md; the same keys as the
/// configuration file) to \p value with API precedence, above the environment
/// and the file. A null \p value removes the API setting so that the
/// environment, file or default value applies again.
/// \returns AGN_RT_OK or AGN_RT_ERR_CONFIG (unknown key or invalid value; the
/// message lists the accepted values and nothing changes).
AGN_RT_API int64_t agn_rt_set_option(const char *key, const char *value);

/// Writes the effective value of \p key, in configuration syntax, to
/// \p buffer (NUL-terminated, truncated to \p size bytes; \p buffer may be
/// null when \p size is 0).
/// \returns the length of the full value without the NUL, or
/// AGN_RT_ERR_CONFIG for an unknown key.
AGN_RT_API int64_t agn_rt_get_option(const char *key, char *buffer,
                                     uint64_t size);

/// Caps every unit at \p level (0-4). Same as the `max_level` key.
AGN_RT_API int64_t agn_rt_set_max_level(int64_t level);

/// Sets the budget for resident weights in bytes; AGN_RT_UNLIMITED turns it
/// off. Same as the `memory_budget` key.
AGN_RT_API int64_t agn_rt_set_memory_budget(uint64_t bytes);

/// Sets the per-inference latency target in nanoseconds; 0 turns it off.
/// Same as the `latency_target` key.
AGN_RT_API int64_t agn_rt_set_latency_target_ns(int64_t nanoseconds);

/// Sets the CPU-load thresholds as fractions of the available CPU: ceilings
/// step down while the load stays above \p high and back up while it stays
/// below \p low. \p high < 0 turns the policy off; \p low < 0 selects the
/// default (high scaled by 1 - hysteresis_margin). Requires low < high <= 1.
/// Same as the `cpu_high` and `cpu_low` keys.
AGN_RT_API int64_t agn_rt_set_cpu_thresholds(double high, double low);

/// Pins \p unit at \p level: every call of the unit runs at \p level (the
/// most precise of the unit's levels not above it), whatever its controller
/// asks for and whatever the other policies say. AGN_RT_UNPINNED removes the
/// API pin, so that a `pin` configuration entry, if any, applies again.
/// \returns AGN_RT_OK, AGN_RT_ERR_UNKNOWN_UNIT or
/// AGN_RT_ERR_INVALID_ARGUMENT.
AGN_RT_API int64_t agn_rt_pin_unit(int64_t unit, int64_t level);

/// Runs one monitor tick on the calling thread: samples the resources,
/// updates the policies and publishes new ceilings. Useful with `monitor =
/// off` for a host that drives the runtime from its own loop.
/// \returns AGN_RT_OK.
AGN_RT_API int64_t agn_rt_tick(void);

/*===----------------------------------------------------------------------===*\
|* Stats and telemetry                                                        *|
\*===----------------------------------------------------------------------===*/

/// Why a unit's ceiling is where it is (the policy that set the lowest cap).
typedef enum agn_rt_reason {
  AGN_RT_REASON_NONE = 0,      ///< Not capped.
  AGN_RT_REASON_PIN = 1,       ///< Pinned (API or `pin` key).
  AGN_RT_REASON_MAX_LEVEL = 2, ///< The `max_level` cap.
  AGN_RT_REASON_MEMORY = 3,    ///< The weight memory budget.
  AGN_RT_REASON_LATENCY = 4,   ///< The latency target.
  AGN_RT_REASON_CPU = 5,       ///< CPU load above `cpu_high`.
  AGN_RT_REASON_GPU = 6        ///< GPU load above `gpu_high`.
} agn_rt_reason;

/// Number of agn_rt_reason values.
#define AGN_RT_NUM_REASONS 7

/// A process-wide snapshot. Set struct_size to sizeof(agn_rt_stats) before
/// the call (fields may be appended in later versions). Sampled values that
/// are not known read -1 (fractions, cores) or AGN_RT_UNLIMITED (bytes).
typedef struct agn_rt_stats {
  uint32_t struct_size;     ///< In: sizeof(agn_rt_stats); out: bytes filled.
  int32_t monitor_running;  ///< 1 while the monitor thread runs.
  uint64_t ticks;           ///< Monitor ticks so far (thread and agn_rt_tick).
  int64_t num_units;        ///< Registered units.
  uint64_t arbitrations;    ///< agn_rt_arbitrate calls on valid units.
  uint64_t overrides;       ///< Of those, calls a ceiling lowered.
  uint64_t errors;          ///< Invalid ids, levels and unbalanced inferences.
  double cpu_load;          ///< Load the CPU policy sees, [0, 1] or -1.
  double cpu_quota_cores;   ///< cgroup cpu.max quota in cores, -1 if none.
  uint64_t mem_total_bytes; ///< Memory the process may use in all.
  uint64_t mem_available_bytes; ///< Memory still available to the process.
  uint64_t cgroup_memory_max;   ///< Tightest cgroup memory.max.
  uint64_t rss_bytes;           ///< The process's resident set.
  int32_t gpu_available;        ///< 1 if NVML answered on the last tick.
  int32_t over_budget;          ///< 1 if all-lowest still exceeds the budget.
  double gpu_utilization;       ///< [0, 1].
  uint64_t gpu_memory_total_bytes;
  uint64_t gpu_memory_used_bytes;
  uint64_t weight_budget_bytes;  ///< Effective weight budget.
  uint64_t weight_granted_bytes; ///< Weights at the current ceilings.
  uint64_t weight_max_bytes;     ///< Weights at every unit's highest level.
  uint64_t inferences;           ///< Completed begin/end pairs.
  double inference_ema_ns;       ///< Smoothed inference time, -1 if none.
  int32_t max_level;             ///< Effective `max_level`.
  int32_t cpu_ceiling;           ///< Ceiling set by the CPU-load policy.
  int32_t gpu_ceiling;           ///< Ceiling set by the GPU-load policy.
  int32_t reserved0;
} agn_rt_stats;

/// A snapshot of one unit. Set struct_size to sizeof(agn_rt_unit_stats).
typedef struct agn_rt_unit_stats {
  uint32_t struct_size;   ///< In: sizeof(agn_rt_unit_stats); out: filled.
  uint32_t allowed_mask;  ///< Bit i set: level i is allowed.
  int32_t ceiling;        ///< The current ceiling level.
  int32_t ceiling_reason; ///< An agn_rt_reason.
  int32_t pinned_level;   ///< The effective pin, or -1.
  int32_t reserved0;
  const char *name;                 ///< Valid for the life of the process.
  double sensitivity;               ///< As registered.
  uint64_t granted[AGN_NUM_LEVELS]; ///< Arbitrations per granted level.
  uint64_t overrides[AGN_RT_NUM_REASONS]; ///< Overrides per agn_rt_reason.
  uint64_t time_ns[AGN_NUM_LEVELS];       ///< Reported time per level.
  uint64_t time_count[AGN_NUM_LEVELS];    ///< Reports per level.
  uint64_t weight_bytes[AGN_NUM_LEVELS];  ///< From the cost table.
  uint64_t macs[AGN_NUM_LEVELS];          ///< From the cost table.
  double statistic_mean; ///< Mean finite statistic, or -1 if none.
  /// Bytes of weights registered per level (agn_rt_register_weights).
  uint64_t placed_weight_bytes[AGN_NUM_LEVELS];
  /// Of those, the bytes whose pages are mapped into this process now (from
  /// /proc/self/pagemap), or -1 where that cannot be read.
  int64_t resident_weight_bytes[AGN_NUM_LEVELS];
  /// Bit i set: the weight pages of level i are handed back to the OS.
  uint32_t released_mask;
  uint32_t reserved1;
} agn_rt_unit_stats;

/// Fills \p out with a process-wide snapshot.
/// \returns AGN_RT_OK or AGN_RT_ERR_INVALID_ARGUMENT (null or too small).
AGN_RT_API int64_t agn_rt_get_stats(agn_rt_stats *out);

/// Fills \p out with a snapshot of \p unit.
/// \returns AGN_RT_OK, AGN_RT_ERR_UNKNOWN_UNIT or AGN_RT_ERR_INVALID_ARGUMENT.
AGN_RT_API int64_t agn_rt_get_unit_stats(int64_t unit, agn_rt_unit_stats *out);

/// Writes the telemetry JSON (schema in docs/Runtime.md) to \p path, replacing
/// the file atomically; "%p" in the path expands to the process id. A null
/// path uses the `telemetry` key. The same file is written at exit when the
/// `telemetry` key (AGN_RT_TELEMETRY) names one.
/// \returns AGN_RT_OK, AGN_RT_ERR_IO or AGN_RT_ERR_INVALID_ARGUMENT (null
/// path and no `telemetry` key).
AGN_RT_API int64_t agn_rt_dump_telemetry(const char *path);

/// Writes the telemetry JSON to \p buffer (NUL-terminated, truncated to
/// \p size bytes; \p buffer may be null when \p size is 0).
/// \returns the full length without the NUL.
AGN_RT_API int64_t agn_rt_telemetry_json(char *buffer, uint64_t size);

/// \returns "i4", "i8", "bf16", "f16", "f32", or "invalid".
AGN_RT_API const char *agn_rt_level_name(int64_t level);

/// \returns the name of an agn_rt_reason ("none", "pin", "max_level",
/// "memory", "latency", "cpu", "gpu"), or "invalid".
AGN_RT_API const char *agn_rt_reason_name(int64_t reason);

/*===------------------------------------------------------------------===*
 * Buffers of generated code
 *===------------------------------------------------------------------===*/

/// Bytes of freed buffers the runtime keeps for reuse, at most.
#define AGN_RT_BUFFER_CACHE_BYTES ((uint64_t)1 << 30)

/// MLIR's generic allocation functions, which code lowered by
/// agn-lower-to-llvm-pipeline{cache-buffers=true} (the default) calls for
/// every buffer it allocates and frees. Freed buffers are kept, by size, for
/// the next allocation of that size (up to AGN_RT_BUFFER_CACHE_BYTES), so a
/// model's calls after the first reuse the memory of the one before instead
/// of page-faulting fresh memory in. Buffers come from malloc: free() may
/// release a result too.
AGN_RT_API void *_mlir_memref_to_llvm_alloc(size_t size);
AGN_RT_API void _mlir_memref_to_llvm_free(void *buffer);

/// Frees every buffer kept for reuse (a model's next call allocates afresh).
AGN_RT_API void agn_rt_release_cached_buffers(void);

/// \returns the bytes of buffers kept for reuse.
AGN_RT_API uint64_t agn_rt_cached_buffer_bytes(void);

/*===------------------------------------------------------------------===*
 * Profiling (code compiled with agn-lower-to-llvm-pipeline{profile=true})
 *===------------------------------------------------------------------===*/

/// Opens, on the calling thread, a span of the profile region \p region: a
/// static NUL-terminated record "model\tgroup\tunit\tlevel\tlabel" that
/// agn-instrument-profile emits (unit and level empty outside units).
/// Generated code calls it; spans nest.
AGN_RT_API void agn_rt_profile_begin(const char *region);

/// Closes the calling thread's innermost open span of \p region.
AGN_RT_API void agn_rt_profile_end(const char *region);

/// Writes the profile of \p model (every model if null or empty) as a
/// table: self time per call by group (inside and outside units), each
/// unit's time at each level, the hottest regions. NUL-terminated, truncated
/// to \p size bytes (\p buffer may be null when \p size is 0).
/// \returns the full length without the NUL.
AGN_RT_API int64_t agn_rt_profile_table(const char *model, char *buffer,
                                        uint64_t size);

/// Writes the profile of \p model (every model if null or empty) as JSON:
/// {"regions": [{"model", "group", "unit", "level", "label", "calls",
/// "total_ns", "self_ns", "min_ns", "max_ns", "outer_calls", "outer_ns"}],
/// "dropped_spans"}, like agn_rt_profile_table.
AGN_RT_API int64_t agn_rt_profile_json(const char *model, char *buffer,
                                       uint64_t size);

/// Writes the spans of \p model (every model if null or empty) to \p path
/// as a Chrome trace (chrome://tracing, https://ui.perfetto.dev), replacing
/// the file atomically. The first 2^20 spans are kept.
/// \returns AGN_RT_OK, AGN_RT_ERR_INVALID_ARGUMENT (null path) or
/// AGN_RT_ERR_IO.
AGN_RT_API int64_t agn_rt_profile_write_trace(const char *model,
                                              const char *path);

/// Forgets every span recorded so far.
AGN_RT_API void agn_rt_profile_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* AGN_C_RUNTIME_H */
