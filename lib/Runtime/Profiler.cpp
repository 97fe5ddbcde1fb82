//===- Profiler.cpp - Time spent in the regions of compiled models --------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "Profiler.h"

#include "Telemetry.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <unistd.h>

namespace agn::rt {

namespace {

/// A span open on the calling thread.
struct Frame {
  const Profiler *owner;
  uint64_t generation;
  const char *record;
  uint64_t startNs;
  /// Time of the spans closed inside this one.
  uint64_t childNs;
};

/// The open spans of the calling thread, innermost last. Compiled code
/// nests its spans properly; the bound only keeps a caller that begins
/// without ending from growing it without limit.
thread_local std::vector<Frame> OpenFrames;
constexpr size_t kMaxOpenFrames = 1024;

/// A small number per thread, for the trace's "tid".
uint32_t threadNumber() {
  static std::atomic<uint32_t> next{1};
  thread_local uint32_t number = next.fetch_add(1);
  return number;
}

/// Splits a record into its five fields; a record without tabs is all label.
void parseRecord(std::string_view record, ProfileRegion &region) {
  std::string *fields[] = {&region.model, &region.group, &region.unit,
                           &region.level, &region.label};
  size_t count = 0;
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t tab = record.find('\t', start);
    parts.push_back(record.substr(start, tab == std::string_view::npos
                                             ? std::string_view::npos
                                             : tab - start));
    if (tab == std::string_view::npos)
      break;
    start = tab + 1;
  }
  if (parts.size() != 5) {
    region.label = std::string(record);
    return;
  }
  for (std::string_view part : parts)
    *fields[count++] = std::string(part);
}

/// Milliseconds in \p ns, per \p calls.
double perCallMs(uint64_t ns, uint64_t calls) {
  return static_cast<double>(ns) / 1e6 / static_cast<double>(calls);
}

/// Appends printf-formatted text to \p out.
template <typename... Args>
void appendf(std::string &out, const char *format, Args... args) {
  char line[512];
  std::snprintf(line, sizeof(line), format, args...);
  out += line;
}

/// \p text cut to \p width characters (with "..." in the middle).
std::string fit(const std::string &text, size_t width) {
  if (text.size() <= width)
    return text;
  size_t head = (width - 3) / 2;
  return text.substr(0, head) + "..." +
         text.substr(text.size() - (width - 3 - head));
}

} // namespace

Profiler::Profiler(Clock &clock, size_t maxSpans)
    : TheClock(clock), MaxSpans(maxSpans) {}

Profiler &Profiler::process() {
  static SteadyClock *clock = new SteadyClock();
  static Profiler *profiler = new Profiler(*clock);
  return *profiler;
}

void Profiler::begin(const char *record) {
  if (OpenFrames.size() >= kMaxOpenFrames)
    return;
  OpenFrames.push_back({this, Generation.load(std::memory_order_relaxed),
                        record, TheClock.nowNs(), 0});
}

void Profiler::end(const char *record) {
  uint64_t now = TheClock.nowNs();
  std::vector<Frame> &frames = OpenFrames;
  size_t index = frames.size();
  while (index > 0 && (frames[index - 1].owner != this ||
                       frames[index - 1].record != record))
    --index;
  if (index == 0)
    return;
  Frame frame = frames[index - 1];
  frames.resize(index - 1);
  if (frame.generation != Generation.load(std::memory_order_relaxed))
    return;
  uint64_t total = now >= frame.startNs ? now - frame.startNs : 0;
  bool outer = true;
  for (size_t parent = frames.size(); parent > 0; --parent) {
    if (frames[parent - 1].owner == this) {
      frames[parent - 1].childNs += total;
      outer = false;
      break;
    }
  }

  std::lock_guard<std::mutex> lock(Mutex);
  uint32_t id = intern(record);
  ProfileRegion &region = Regions[id];
  region.minNs = region.calls == 0 ? total : std::min(region.minNs, total);
  region.maxNs = std::max(region.maxNs, total);
  ++region.calls;
  region.totalNs += total;
  region.selfNs += total > frame.childNs ? total - frame.childNs : 0;
  if (outer) {
    ++region.outerCalls;
    region.outerNs += total;
  }
  if (Spans.size() < MaxSpans)
    Spans.push_back({id, threadNumber(), frame.startNs, total});
  else
    ++Dropped;
}

uint32_t Profiler::intern(const char *record) {
  auto known = ByAddress.find(record);
  if (known != ByAddress.end() && Records[known->second] == record)
    return known->second;
  std::string text(record);
  auto [entry, inserted] =
      ByText.try_emplace(text, static_cast<uint32_t>(Regions.size()));
  if (inserted) {
    ProfileRegion &region = Regions.emplace_back();
    parseRecord(text, region);
    Records.push_back(text);
  }
  ByAddress[record] = entry->second;
  return entry->second;
}

void Profiler::reset() {
  std::lock_guard<std::mutex> lock(Mutex);
  Generation.fetch_add(1, std::memory_order_relaxed);
  Regions.clear();
  Records.clear();
  ByAddress.clear();
  ByText.clear();
  Spans.clear();
  Dropped = 0;
}

std::vector<ProfileRegion> Profiler::regions(std::string_view model) const {
  std::lock_guard<std::mutex> lock(Mutex);
  std::vector<ProfileRegion> result;
  for (const ProfileRegion &region : Regions)
    if (model.empty() || region.model == model)
      result.push_back(region);
  return result;
}

uint64_t Profiler::droppedSpans() const {
  std::lock_guard<std::mutex> lock(Mutex);
  return Dropped;
}

std::string Profiler::table(std::string_view model) const {
  std::vector<ProfileRegion> all = regions(model);
  std::string out;
  std::string name = model.empty() ? std::string("all models")
                                   : "model '" + std::string(model) + "'";
  if (all.empty()) {
    out += "agn profile of " + name +
           ": no spans (compile with profile=true and run it)\n";
    return out;
  }
  // A model call is a span of an entry function's region with nothing
  // around it; their time is the whole.
  uint64_t calls = 0, wallNs = 0;
  for (const ProfileRegion &region : all) {
    wallNs += region.outerNs;
    if (region.group == "function")
      calls += region.outerCalls;
  }
  calls = std::max<uint64_t>(calls, 1);
  auto share = [&](uint64_t ns) {
    return wallNs
               ? 100.0 * static_cast<double>(ns) / static_cast<double>(wallNs)
               : 0.0;
  };
  appendf(out, "agn profile of %s: %" PRIu64 " call%s, %.3f ms per call\n",
          name.c_str(), calls, calls == 1 ? "" : "s", perCallMs(wallNs, calls));

  // Self time by group, inside and outside units. A function's self time
  // is what no region inside it covers.
  struct GroupTime {
    uint64_t insideNs = 0, outsideNs = 0;
  };
  std::map<std::string, GroupTime> groups;
  for (const ProfileRegion &region : all) {
    std::string group =
        region.group == "function" ? "(outside regions)" : region.group;
    GroupTime &time = groups[group];
    (region.unit.empty() ? time.outsideNs : time.insideNs) += region.selfNs;
  }
  std::vector<std::pair<std::string, GroupTime>> sortedGroups(groups.begin(),
                                                              groups.end());
  std::sort(sortedGroups.begin(), sortedGroups.end(),
            [](const auto &a, const auto &b) {
              uint64_t aNs = a.second.insideNs + a.second.outsideNs;
              uint64_t bNs = b.second.insideNs + b.second.outsideNs;
              return aNs != bNs ? aNs > bNs : a.first < b.first;
            });
  appendf(out, "\n%-28s %12s %12s %12s %7s\n", "self time by group", "units ms",
          "outside ms", "ms/call", "share");
  for (const auto &[group, time] : sortedGroups) {
    uint64_t ns = time.insideNs + time.outsideNs;
    appendf(out, "  %-26s %12.3f %12.3f %12.3f %6.1f%%\n", group.c_str(),
            perCallMs(time.insideNs, calls), perCallMs(time.outsideNs, calls),
            perCallMs(ns, calls), share(ns));
  }

  // Units at each level: the time of the version (its nested spans
  // included), per model call and per unit call.
  std::vector<const ProfileRegion *> units;
  for (const ProfileRegion &region : all)
    if (region.group == "unit")
      units.push_back(&region);
  // Ties keep the order of first appearance (the regions' addresses).
  std::sort(units.begin(), units.end(), [](auto *a, auto *b) {
    return a->totalNs != b->totalNs ? a->totalNs > b->totalNs : a < b;
  });
  if (!units.empty()) {
    appendf(out, "\n%-48s %8s %10s %10s %7s\n", "units by level (total time)",
            "calls", "mean ms", "ms/call", "share");
    for (const ProfileRegion *unit : units)
      appendf(out, "  %-46s %8" PRIu64 " %10.3f %10.3f %6.1f%%\n",
              fit(unit->unit + " @ " + unit->level, 46).c_str(), unit->calls,
              perCallMs(unit->totalNs, unit->calls),
              perCallMs(unit->totalNs, calls), share(unit->totalNs));
  }

  // The regions that cost most themselves.
  std::vector<const ProfileRegion *> hottest;
  for (const ProfileRegion &region : all)
    if (region.group != "unit" && region.group != "function")
      hottest.push_back(&region);
  std::sort(hottest.begin(), hottest.end(), [](auto *a, auto *b) {
    return a->selfNs != b->selfNs ? a->selfNs > b->selfNs : a < b;
  });
  if (hottest.size() > 20)
    hottest.resize(20);
  if (!hottest.empty()) {
    appendf(out, "\n%-36s %-40s %8s %10s %10s %7s\n",
            "hottest regions (self time)", "unit @ level", "calls", "mean ms",
            "ms/call", "share");
    for (const ProfileRegion *region : hottest) {
      std::string where = region->unit.empty()
                              ? std::string("-")
                              : region->unit +
                                    (region->level.empty() ? "" : " @ ") +
                                    region->level;
      appendf(out, "  %-34s %-40s %8" PRIu64 " %10.3f %10.3f %6.1f%%\n",
              fit(region->label, 34).c_str(), fit(where, 40).c_str(),
              region->calls, perCallMs(region->selfNs, region->calls),
              perCallMs(region->selfNs, calls), share(region->selfNs));
    }
  }
  uint64_t dropped = droppedSpans();
  if (dropped)
    appendf(out, "\n(%" PRIu64 " spans not kept for the trace: it is full)\n",
            dropped);
  return out;
}

std::string Profiler::json(std::string_view model) const {
  std::vector<ProfileRegion> all = regions(model);
  std::string out = "{\"regions\": [";
  for (size_t i = 0; i < all.size(); ++i) {
    const ProfileRegion &r = all[i];
    out += i ? ",\n  {" : "\n  {";
    out += "\"model\": " + jsonQuote(r.model);
    out += ", \"group\": " + jsonQuote(r.group);
    out += ", \"unit\": " + jsonQuote(r.unit);
    out += ", \"level\": " + jsonQuote(r.level);
    out += ", \"label\": " + jsonQuote(r.label);
    appendf(out,
            ", \"calls\": %" PRIu64 ", \"total_ns\": %" PRIu64
            ", \"self_ns\": %" PRIu64 ", \"min_ns\": %" PRIu64
            ", \"max_ns\": %" PRIu64 ", \"outer_calls\": %" PRIu64
            ", \"outer_ns\": %" PRIu64 "}",
            r.calls, r.totalNs, r.selfNs, r.minNs, r.maxNs, r.outerCalls,
            r.outerNs);
  }
  appendf(out, "%s], \"dropped_spans\": %" PRIu64 "}\n",
          all.empty() ? "" : "\n", droppedSpans());
  return out;
}

std::string Profiler::chromeTrace(std::string_view model) const {
  std::lock_guard<std::mutex> lock(Mutex);
  uint64_t origin = UINT64_MAX;
  for (const ProfileSpan &span : Spans)
    origin = std::min(origin, span.startNs);
  std::string out = "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [";
  bool first = true;
  long pid = static_cast<long>(::getpid());
  for (const ProfileSpan &span : Spans) {
    const ProfileRegion &r = Regions[span.region];
    if (!model.empty() && r.model != model)
      continue;
    out += first ? "\n" : ",\n";
    first = false;
    std::string name = r.unit.empty() || r.group == "unit"
                           ? r.label
                           : r.label + " [" + r.level + "]";
    out += "{\"name\": " + jsonQuote(name) + ", \"cat\": " + jsonQuote(r.group);
    appendf(out,
            ", \"ph\": \"X\", \"ts\": %.3f, \"dur\": %.3f, \"pid\": %ld, "
            "\"tid\": %u, \"args\": {",
            static_cast<double>(span.startNs - origin) / 1e3,
            static_cast<double>(span.durationNs) / 1e3, pid, span.thread);
    out += "\"model\": " + jsonQuote(r.model) +
           ", \"unit\": " + jsonQuote(r.unit) +
           ", \"level\": " + jsonQuote(r.level) + "}}";
  }
  out += "\n]}\n";
  return out;
}

} // namespace agn::rt
