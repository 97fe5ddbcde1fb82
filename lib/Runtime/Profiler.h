//===- Profiler.h - Time spent in the regions of compiled models -*- C++
//-*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Code compiled with agn-lower-to-llvm-pipeline{profile=true} brackets each
// costly op (a unit's version, a kernel, an im2col copy, a quantization,
// padding, ...) with agn_rt_profile_begin/end calls that name a static
// region record. The profiler keeps, per region, the number of spans and
// their total, self (total minus nested spans), minimum and maximum times,
// and a bounded list of spans for a Chrome trace. It renders the table that
// agn-run --profile prints, a JSON document for Python and the trace.
//
// A region record is the NUL-terminated text "model\tgroup\tunit\tlevel\t
// label" that the compiler emits (agn-instrument-profile); unit and level are
// empty outside units. Records are copied when first seen, so the profile
// outlives the models that wrote it.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_PROFILER_H
#define AGN_LIB_RUNTIME_PROFILER_H

#include "Clock.h"
#include "Status.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace agn::rt {

/// What the profiler knows of one region: its record's fields and its spans.
struct ProfileRegion {
  std::string model, group, unit, level, label;
  uint64_t calls = 0;
  uint64_t totalNs = 0;
  /// Total minus the time of the spans nested in this region's spans.
  uint64_t selfNs = 0;
  uint64_t minNs = 0;
  uint64_t maxNs = 0;
  /// The spans opened when no other span was open on their thread: a
  /// model's calls (its entry function's region) and their time.
  uint64_t outerCalls = 0;
  uint64_t outerNs = 0;
};

/// One closed span, for the trace.
struct ProfileSpan {
  uint32_t region;
  uint32_t thread;
  uint64_t startNs;
  uint64_t durationNs;
};

/// Collects the spans of every thread. Thread-safe.
class Profiler {
public:
  /// A profiler reading \p clock that keeps at most \p maxSpans spans for the
  /// trace (the statistics count every span).
  explicit Profiler(Clock &clock, size_t maxSpans = size_t(1) << 20);

  /// Opens a span of \p record on the calling thread.
  void begin(const char *record);
  /// Closes the calling thread's innermost open span of \p record and the
  /// spans opened after it; does nothing if none is open.
  void end(const char *record);

  /// Forgets every region and span (open spans close uncounted).
  void reset();

  /// The regions of \p model (all if empty), in order of first appearance.
  std::vector<ProfileRegion> regions(std::string_view model) const;
  /// Spans dropped because the trace was full.
  uint64_t droppedSpans() const;

  /// The table agn-run --profile prints: time per call by group (inside and
  /// outside units), by unit and level, and the hottest regions.
  std::string table(std::string_view model) const;
  /// {"regions": [...], "dropped_spans": N} (schema in docs/Runtime.md).
  std::string json(std::string_view model) const;
  /// The spans of \p model as a Chrome trace (chrome://tracing, Perfetto).
  std::string chromeTrace(std::string_view model) const;

  /// The profiler of the process (steady clock), never destroyed: compiled
  /// code may still close spans while the process exits.
  static Profiler &process();

private:
  /// The index of \p record's region, added if new. Needs Mutex.
  uint32_t intern(const char *record);

  Clock &TheClock;
  size_t MaxSpans;
  /// Advanced by reset(): open spans of an older generation are ignored.
  std::atomic<uint64_t> Generation{0};
  mutable std::mutex Mutex;
  std::vector<ProfileRegion> Regions;
  /// Each region's record text, to tell a reused address from the record
  /// it was first seen at (a model unloaded, another loaded there).
  std::vector<std::string> Records;
  std::unordered_map<const char *, uint32_t> ByAddress;
  std::unordered_map<std::string, uint32_t> ByText;
  std::vector<ProfileSpan> Spans;
  uint64_t Dropped = 0;
};

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_PROFILER_H
