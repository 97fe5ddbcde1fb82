//===- Telemetry.cpp - The telemetry JSON document ------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "Telemetry.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <vector>

namespace agn::rt {

//===----------------------------------------------------------------------===//
// JSON primitives
//===----------------------------------------------------------------------===//

/// Length of the valid UTF-8 sequence at the start of \p text, or 0.
/// Rejects overlong forms, surrogates and code points above U+10FFFF.
static size_t utf8SequenceLength(std::string_view text) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  auto continuation = [&](size_t i) {
    return i < text.size() && (byte(i) & 0xC0) == 0x80;
  };
  unsigned char lead = byte(0);
  if (lead < 0x80)
    return 1;
  if (lead >= 0xC2 && lead <= 0xDF)
    return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(1) || !continuation(2))
      return 0;
    if ((lead == 0xE0 && byte(1) < 0xA0) || (lead == 0xED && byte(1) > 0x9F))
      return 0;
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3))
      return 0;
    if ((lead == 0xF0 && byte(1) < 0x90) || (lead == 0xF4 && byte(1) > 0x8F))
      return 0;
    return 4;
  }
  return 0;
}

std::string jsonQuote(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t length = utf8SequenceLength(text.substr(i));
      if (length == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      if (c < 0x20) {
        char escape[8];
        std::snprintf(escape, sizeof(escape), "\\u%04x", c);
        out += escape;
      } else {
        out += static_cast<char>(c);
      }
    }
    ++i;
  }
  out += '"';
  return out;
}

namespace {
/// A small pretty-printing JSON writer; it tracks commas so the renderer
/// below reads as the schema it produces.
class JsonWriter {
public:
  void beginObject() { open('{'); }
  void endObject() { close('}'); }
  void beginArray() { open('['); }
  void endArray() { close(']'); }

  void key(std::string_view name) {
    element();
    Out += jsonQuote(name);
    Out += ": ";
    AfterKey = true;
  }

  void string(std::string_view text) {
    element();
    Out += jsonQuote(text);
  }
  void number(uint64_t value) {
    element();
    Out += std::to_string(value);
  }
  void number(int64_t value) {
    element();
    Out += std::to_string(value);
  }
  void number(int value) { number(static_cast<int64_t>(value)); }
  void number(unsigned value) { number(static_cast<uint64_t>(value)); }
  /// Not-finite values become null: JSON has no NaN or infinity.
  void number(double value) {
    element();
    if (!std::isfinite(value)) {
      Out += "null";
      return;
    }
    // std::to_chars ignores the C locale, so a host that set LC_NUMERIC to
    // a comma-decimal locale still gets valid JSON.
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
    Out.append(buffer, result.ptr);
  }
  void boolean(bool value) {
    element();
    Out += value ? "true" : "false";
  }
  void null() {
    element();
    Out += "null";
  }

  /// A byte count, or null for AGN_RT_UNLIMITED.
  void bytes(uint64_t value) {
    if (value == AGN_RT_UNLIMITED)
      null();
    else
      number(value);
  }
  /// A fraction or estimate, or null when negative (unknown).
  void known(double value) {
    if (value < 0)
      null();
    else
      number(value);
  }
  void level(int value) {
    if (isLevel(value))
      string(kLevelNames[value]);
    else
      null();
  }

  std::string take() {
    Out += '\n';
    return std::move(Out);
  }

private:
  void open(char bracket) {
    element();
    Out += bracket;
    Empty.push_back(true);
  }
  void close(char bracket) {
    bool empty = Empty.back();
    Empty.pop_back();
    if (!empty)
      newline();
    Out += bracket;
  }
  /// Emits the separator before a value: nothing right after a key, else a
  /// comma (unless first) and a new line.
  void element() {
    if (AfterKey) {
      AfterKey = false;
      return;
    }
    if (Empty.empty())
      return;
    if (!Empty.back())
      Out += ',';
    Empty.back() = false;
    newline();
  }
  void newline() {
    Out += '\n';
    Out.append(2 * Empty.size(), ' ');
  }

  std::string Out;
  std::vector<bool> Empty;
  bool AfterKey = false;
};
} // namespace

//===----------------------------------------------------------------------===//
// The document
//===----------------------------------------------------------------------===//

static const char *memorySourceName(MemorySample::Source source) {
  switch (source) {
  case MemorySample::Source::Meminfo:
    return "meminfo";
  case MemorySample::Source::Cgroup:
    return "cgroup";
  case MemorySample::Source::None:
    break;
  }
  return nullptr;
}

static void writeNote(JsonWriter &json, const std::string &note) {
  json.key("note");
  if (note.empty())
    json.null();
  else
    json.string(note);
}

static void writePolicy(JsonWriter &json, const Options &o) {
  json.key("policy");
  json.beginObject();
  json.key("interval_ns");
  json.number(o.IntervalNs);
  json.key("monitor");
  json.boolean(o.Monitor);
  json.key("max_level");
  json.level(o.MaxLevel);
  json.key("min_level");
  json.level(o.MinLevel);
  json.key("memory_budget_bytes");
  json.bytes(o.MemoryBudget);
  json.key("memory_reserve_bytes");
  json.bytes(o.MemoryReserve);
  LoadThresholds cpu = o.cpuThresholds(), gpu = o.gpuThresholds();
  json.key("cpu_high");
  json.known(cpu.High);
  json.key("cpu_low");
  cpu.High < 0 ? json.null() : json.known(cpu.Low);
  json.key("gpu_high");
  json.known(gpu.High);
  json.key("gpu_low");
  gpu.High < 0 ? json.null() : json.known(gpu.Low);
  json.key("gpu_device");
  json.number(o.GpuDevice);
  json.key("latency_target_ns");
  if (o.LatencyTargetNs == 0)
    json.null();
  else
    json.number(o.LatencyTargetNs);
  json.key("hysteresis_ticks");
  json.number(o.HysteresisTicks);
  json.key("hysteresis_margin");
  json.number(o.HysteresisMargin);
  json.key("pins");
  json.beginArray();
  for (const auto &[name, level] : o.Pins) {
    json.beginObject();
    json.key("unit");
    json.string(name);
    json.key("level");
    json.level(level);
    json.endObject();
  }
  json.endArray();
  json.endObject();
}

static void writeResources(JsonWriter &json, const ManagerSnapshot &s) {
  const ResourceSample &r = s.Sample;
  json.key("resources");
  json.beginObject();
  json.key("sampled");
  json.boolean(s.HaveSample);

  json.key("cgroup");
  if (s.HaveSample && !r.CgroupPath.empty())
    json.string(r.CgroupPath);
  else
    json.null();

  json.key("cpu");
  json.beginObject();
  json.key("load");
  json.known(r.Cpu.load());
  json.key("system_utilization");
  json.known(r.Cpu.SystemUtilization);
  json.key("cgroup_utilization");
  json.known(r.Cpu.CgroupUtilization);
  json.key("quota_cores");
  json.known(r.Cpu.QuotaCores);
  json.key("cpus");
  json.number(r.Cpu.NumCpus);
  writeNote(json, r.Cpu.Note);
  json.endObject();

  json.key("memory");
  json.beginObject();
  json.key("source");
  if (const char *source = memorySourceName(r.Memory.Src))
    json.string(source);
  else
    json.null();
  json.key("total_bytes");
  json.bytes(r.Memory.TotalBytes);
  json.key("available_bytes");
  json.bytes(r.Memory.AvailableBytes);
  json.key("host_total_bytes");
  json.bytes(r.Memory.HostTotalBytes);
  json.key("host_available_bytes");
  json.bytes(r.Memory.HostAvailableBytes);
  json.key("cgroup_max_bytes");
  json.bytes(r.Memory.CgroupMaxBytes);
  json.key("cgroup_current_bytes");
  json.bytes(r.Memory.CgroupCurrentBytes);
  json.key("rss_bytes");
  json.bytes(r.Process.RssBytes);
  std::string note = r.Memory.Note;
  if (!r.Process.Note.empty())
    note += (note.empty() ? "" : "; ") + r.Process.Note;
  if (!r.CgroupNote.empty())
    note += (note.empty() ? "" : "; ") + r.CgroupNote;
  writeNote(json, note);
  json.endObject();

  json.key("gpu");
  json.beginObject();
  json.key("available");
  json.boolean(r.Gpu.Available);
  json.key("device");
  json.number(r.Gpu.Device);
  json.key("utilization");
  json.known(r.Gpu.Utilization);
  json.key("memory_total_bytes");
  json.bytes(r.Gpu.MemoryTotalBytes);
  json.key("memory_used_bytes");
  json.bytes(r.Gpu.MemoryUsedBytes);
  writeNote(json, s.HaveSample ? r.Gpu.Note : "not sampled yet");
  json.endObject();
  json.endObject();
}

static void writeUnit(JsonWriter &json, const UnitSnapshot &u) {
  json.beginObject();
  json.key("id");
  json.number(u.Id);
  json.key("name");
  json.string(u.Name);
  json.key("sensitivity");
  json.number(u.Sensitivity);
  json.key("allowed");
  json.beginArray();
  for (int l = 0; l < kNumLevels; ++l)
    if (contains(u.Allowed, l))
      json.level(l);
  json.endArray();
  json.key("pin");
  json.level(u.Pin);
  json.key("ceiling");
  json.level(u.Ceiling);
  json.key("ceiling_reason");
  json.string(kReasonNames[u.Reason]);

  json.key("costs");
  json.beginObject();
  for (int l = 0; l < kNumLevels; ++l) {
    if (!contains(u.Allowed, l))
      continue;
    json.key(kLevelNames[l]);
    json.beginObject();
    json.key("weight_bytes");
    json.number(u.Bytes[l]);
    json.key("macs");
    json.number(u.Macs[l]);
    json.endObject();
  }
  json.endObject();

  json.key("arbitrations");
  json.number(u.arbitrations());
  json.key("granted");
  json.beginObject();
  for (int l = 0; l < kNumLevels; ++l) {
    json.key(kLevelNames[l]);
    json.number(u.Granted[l]);
  }
  json.endObject();

  json.key("overrides");
  json.beginObject();
  json.key("total");
  json.number(u.overrides());
  for (int r = 1; r < kNumReasons; ++r) {
    json.key(kReasonNames[r]);
    json.number(u.Overrides[r]);
  }
  json.endObject();

  json.key("statistic_mean");
  if (u.StatisticCount == 0)
    json.null();
  else
    json.number(u.StatisticSum / static_cast<double>(u.StatisticCount));

  json.key("time");
  json.beginObject();
  for (int l = 0; l < kNumLevels; ++l) {
    if (u.TimeCount[l] == 0)
      continue;
    json.key(kLevelNames[l]);
    json.beginObject();
    json.key("count");
    json.number(u.TimeCount[l]);
    json.key("total_ns");
    json.number(u.TimeNs[l]);
    json.key("mean_ns");
    json.number(static_cast<double>(u.TimeNs[l]) /
                static_cast<double>(u.TimeCount[l]));
    json.endObject();
  }
  json.endObject();
  json.endObject();
}

std::string renderTelemetryJson(const ManagerSnapshot &s) {
  JsonWriter json;
  json.beginObject();
  json.key("schema");
  json.string(kTelemetrySchema);
  json.key("pid");
  json.number(s.Pid);
  json.key("unix_time_ms");
  json.number(s.UnixTimeMs);
  json.key("uptime_ns");
  json.number(s.UptimeNs);

  json.key("monitor");
  json.beginObject();
  json.key("running");
  json.boolean(s.MonitorRunning);
  json.key("ticks");
  json.number(s.Ticks);
  json.endObject();

  writePolicy(json, s.Opts);
  writeResources(json, s);

  json.key("ceilings");
  json.beginObject();
  json.key("max_level");
  json.level(s.Opts.MaxLevel);
  json.key("cpu");
  json.level(s.CpuCeiling);
  json.key("gpu");
  json.level(s.GpuCeiling);
  json.endObject();

  json.key("budget");
  json.beginObject();
  json.key("weight_budget_bytes");
  json.bytes(s.BudgetBytes);
  json.key("pressure_budget_bytes");
  json.bytes(s.PressureBudgetBytes);
  json.key("weight_granted_bytes");
  json.number(s.GrantedBytes);
  json.key("weight_max_bytes");
  json.number(s.MaxBytes);
  json.key("over_budget");
  json.boolean(s.OverBudget);
  json.endObject();

  json.key("latency");
  json.beginObject();
  json.key("target_ns");
  if (s.Opts.LatencyTargetNs == 0)
    json.null();
  else
    json.number(s.Opts.LatencyTargetNs);
  json.key("inferences");
  json.number(s.Inferences);
  json.key("average_ns");
  json.known(s.InferenceAverageNs);
  json.key("last_ns");
  s.Inferences ? json.number(s.LastInferenceNs) : json.null();
  json.key("max_ns");
  s.Inferences ? json.number(s.MaxInferenceNs) : json.null();
  json.key("steps_down");
  json.number(s.LatencySteps);
  json.endObject();

  uint64_t arbitrations = 0, overrides = 0;
  for (const UnitSnapshot &u : s.Units) {
    arbitrations += u.arbitrations();
    overrides += u.overrides();
  }
  json.key("totals");
  json.beginObject();
  json.key("units");
  json.number(static_cast<uint64_t>(s.Units.size()));
  json.key("arbitrations");
  json.number(arbitrations);
  json.key("overrides");
  json.number(overrides);
  json.endObject();

  json.key("errors");
  json.beginObject();
  json.key("invalid_unit");
  json.number(s.InvalidUnitErrors);
  json.key("invalid_level");
  json.number(s.InvalidLevelErrors);
  json.key("unbalanced_inference");
  json.number(s.UnbalancedInferenceErrors);
  json.endObject();

  json.key("units");
  json.beginArray();
  for (const UnitSnapshot &u : s.Units)
    writeUnit(json, u);
  json.endArray();
  json.endObject();
  return json.take();
}

std::string expandTelemetryPath(std::string_view pattern, long pid) {
  std::string path;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size()) {
      if (pattern[i + 1] == 'p') {
        path += std::to_string(pid);
        ++i;
        continue;
      }
      if (pattern[i + 1] == '%') {
        path += '%';
        ++i;
        continue;
      }
    }
    path += pattern[i];
  }
  return path;
}

Status writeTelemetryFile(const std::string &path, const std::string &json) {
  return writeFileAtomically(path, json, "telemetry file");
}

Status writeFileAtomically(const std::string &path, const std::string &contents,
                           const std::string &what) {
  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  FILE *file = std::fopen(temporary.c_str(), "we");
  if (!file)
    return Status::error(AGN_RT_ERR_IO, "cannot write " + what + " '" +
                                            temporary +
                                            "': " + std::strerror(errno));
  bool ok =
      std::fwrite(contents.data(), 1, contents.size(), file) == contents.size();
  ok = (std::fclose(file) == 0) && ok;
  if (!ok) {
    int err = errno;
    std::remove(temporary.c_str());
    return Status::error(AGN_RT_ERR_IO, "cannot write " + what + " '" +
                                            temporary +
                                            "': " + std::strerror(err));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(temporary.c_str());
    return Status::error(AGN_RT_ERR_IO, "cannot rename " + what + " to '" +
                                            path + "': " + std::strerror(err));
  }
  return Status();
}

} // namespace agn::rt
