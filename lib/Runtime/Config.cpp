//===- Config.cpp - Policy keys from API, environment and file ------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "Config.h"

#include "Levels.h"
#include "TextParsing.h"

#include <cassert>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace agn::rt {

//===----------------------------------------------------------------------===//
// Value parsers
//===----------------------------------------------------------------------===//

static std::string lower(std::string_view text) {
  std::string out(text);
  for (char &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<int> parseLevel(std::string_view text) {
  std::string name = lower(trim(text));
  for (int level = 0; level < kNumLevels; ++level)
    if (name == kLevelNames[level] || name == std::to_string(level))
      return level;
  return std::nullopt;
}

/// Splits "512 MiB" into its number and its unit.
static std::pair<std::string_view, std::string>
splitNumber(std::string_view text) {
  text = trim(text);
  size_t i = 0;
  while (i < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  return {text.substr(0, i), lower(trim(text.substr(i)))};
}

/// Multiplies a decimal number by an integer scale into a uint64_t.
static std::optional<uint64_t> scaleNumber(std::string_view number,
                                           uint64_t scale) {
  if (number.find('.') == std::string_view::npos) {
    std::optional<uint64_t> value = parseUnsigned(number);
    if (!value || (*value != 0 && scale > UINT64_MAX / *value))
      return std::nullopt;
    return *value * scale;
  }
  std::optional<double> value = parseDouble(number);
  if (!value || *value < 0)
    return std::nullopt;
  double scaled = std::round(*value * static_cast<double>(scale));
  // 2^64 as a double; anything at or above it does not fit.
  if (scaled >= 18446744073709551616.0)
    return std::nullopt;
  return static_cast<uint64_t>(scaled);
}

std::optional<uint64_t> parseBytes(std::string_view text) {
  auto [number, unit] = splitNumber(text);
  if (number.empty())
    return std::nullopt;
  static const std::pair<const char *, uint64_t> kUnits[] = {
      {"", 1},
      {"b", 1},
      {"k", 1ull << 10},
      {"kib", 1ull << 10},
      {"m", 1ull << 20},
      {"mib", 1ull << 20},
      {"g", 1ull << 30},
      {"gib", 1ull << 30},
      {"t", 1ull << 40},
      {"tib", 1ull << 40},
      {"kb", 1000ull},
      {"mb", 1000ull * 1000},
      {"gb", 1000ull * 1000 * 1000},
      {"tb", 1000ull * 1000 * 1000 * 1000},
  };
  for (const auto &[name, scale] : kUnits)
    if (unit == name)
      return scaleNumber(number, scale);
  return std::nullopt;
}

std::optional<uint64_t> parseDurationNs(std::string_view text) {
  auto [number, unit] = splitNumber(text);
  if (number.empty())
    return std::nullopt;
  static const std::pair<const char *, uint64_t> kUnits[] = {
      {"ns", 1}, {"us", 1000}, {"ms", 1000 * 1000}, {"s", 1000 * 1000 * 1000}};
  for (const auto &[name, scale] : kUnits)
    if (unit == name)
      return scaleNumber(number, scale);
  return std::nullopt;
}

std::optional<double> parseFraction(std::string_view text) {
  text = trim(text);
  bool percent = !text.empty() && text.back() == '%';
  if (percent)
    text = trim(text.substr(0, text.size() - 1));
  std::optional<double> value = parseDouble(text);
  if (!value)
    return std::nullopt;
  return percent ? *value / 100 : *value;
}

static std::optional<bool> parseBool(std::string_view text) {
  std::string word = lower(trim(text));
  if (word == "on" || word == "true" || word == "yes" || word == "1")
    return true;
  if (word == "off" || word == "false" || word == "no" || word == "0")
    return false;
  return std::nullopt;
}

static bool isWord(std::string_view text, const char *word) {
  return lower(trim(text)) == word;
}

//===----------------------------------------------------------------------===//
// The keys
//===----------------------------------------------------------------------===//

namespace {
/// One configuration key. Parse validates a value and stores it in Options;
/// it returns false for a value outside Accepted.
struct KeySpec {
  const char *Name;
  const char *Default;
  std::string Accepted;
  bool (*Parse)(std::string_view value, Options &out);
};
} // namespace

static constexpr uint64_t kHourNs = 3600ull * 1000 * 1000 * 1000;

static bool parseThreshold(std::string_view value, double &out, bool isLow) {
  if (isWord(value, isLow ? "auto" : "off")) {
    out = -1;
    return true;
  }
  std::optional<double> f = parseFraction(value);
  // A high threshold of 0 would fire always, a low threshold of 1 likewise.
  if (!f || (isLow ? (*f < 0 || *f >= 1) : (*f <= 0 || *f > 1)))
    return false;
  out = *f;
  return true;
}

/// The accepted values of a level key: "i4, i8, bf16, f16, f32 (or 0-4)".
static std::string acceptedLevels() {
  return joinLevelNames() + " (or " + levelOrdinalRange() + ")";
}

static const KeySpec kKeys[] = {
    {"interval", "200ms",
     "a duration from 1ms to 1h with unit ns, us, ms or s (e.g. 200ms)",
     [](std::string_view v, Options &o) {
       std::optional<uint64_t> ns = parseDurationNs(v);
       if (!ns || *ns < 1000000ull || *ns > kHourNs)
         return false;
       o.IntervalNs = *ns;
       return true;
     }},
    {"monitor", "on", "on or off (also true/false, yes/no, 1/0)",
     [](std::string_view v, Options &o) {
       std::optional<bool> b = parseBool(v);
       if (!b)
         return false;
       o.Monitor = *b;
       return true;
     }},
    {"max_level", kLevelNames[kTopLevel], acceptedLevels(),
     [](std::string_view v, Options &o) {
       std::optional<int> l = parseLevel(v);
       if (!l)
         return false;
       o.MaxLevel = *l;
       return true;
     }},
    {"min_level", kLevelNames[0], acceptedLevels(),
     [](std::string_view v, Options &o) {
       std::optional<int> l = parseLevel(v);
       if (!l)
         return false;
       o.MinLevel = *l;
       return true;
     }},
    {"memory_budget", "off",
     "off, or a byte count with an optional unit B, K/KiB, M/MiB, G/GiB, "
     "T/TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000), e.g. 512MiB",
     [](std::string_view v, Options &o) {
       if (isWord(v, "off")) {
         o.MemoryBudget = AGN_RT_UNLIMITED;
         return true;
       }
       std::optional<uint64_t> b = parseBytes(v);
       if (!b || *b == AGN_RT_UNLIMITED)
         return false;
       o.MemoryBudget = *b;
       return true;
     }},
    {"memory_reserve", "64MiB",
     "off, or a byte count with an optional unit B, K/KiB, M/MiB, G/GiB, "
     "T/TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000), e.g. 256MiB",
     [](std::string_view v, Options &o) {
       if (isWord(v, "off")) {
         o.MemoryReserve = AGN_RT_UNLIMITED;
         return true;
       }
       std::optional<uint64_t> b = parseBytes(v);
       if (!b || *b == AGN_RT_UNLIMITED)
         return false;
       o.MemoryReserve = *b;
       return true;
     }},
    {"cpu_high", "off",
     "off, or a fraction in (0, 1] (e.g. 0.9) or a percentage (e.g. 90%)",
     [](std::string_view v, Options &o) {
       return parseThreshold(v, o.CpuHigh, false);
     }},
    {"cpu_low", "auto",
     "auto (cpu_high * (1 - hysteresis_margin)), or a fraction in [0, 1) or "
     "a percentage, below cpu_high",
     [](std::string_view v, Options &o) {
       return parseThreshold(v, o.CpuLow, true);
     }},
    {"gpu_high", "off",
     "off, or a fraction in (0, 1] (e.g. 0.9) or a percentage (e.g. 90%)",
     [](std::string_view v, Options &o) {
       return parseThreshold(v, o.GpuHigh, false);
     }},
    {"gpu_low", "auto",
     "auto (gpu_high * (1 - hysteresis_margin)), or a fraction in [0, 1) or "
     "a percentage, below gpu_high",
     [](std::string_view v, Options &o) {
       return parseThreshold(v, o.GpuLow, true);
     }},
    {"gpu_device", "0", "an NVML device index from 0 to 63",
     [](std::string_view v, Options &o) {
       std::optional<uint64_t> d = parseUnsigned(trim(v));
       if (!d || *d > 63)
         return false;
       o.GpuDevice = static_cast<unsigned>(*d);
       return true;
     }},
    {"latency_target", "off",
     "off, or a duration up to 1h with unit ns, us, ms or s (e.g. 5ms)",
     [](std::string_view v, Options &o) {
       if (isWord(v, "off")) {
         o.LatencyTargetNs = 0;
         return true;
       }
       std::optional<uint64_t> ns = parseDurationNs(v);
       if (!ns || *ns == 0 || *ns > kHourNs)
         return false;
       o.LatencyTargetNs = *ns;
       return true;
     }},
    {"hysteresis_ticks", "3", "an integer from 1 to 1000",
     [](std::string_view v, Options &o) {
       std::optional<uint64_t> n = parseUnsigned(trim(v));
       if (!n || *n < 1 || *n > 1000)
         return false;
       o.HysteresisTicks = static_cast<unsigned>(*n);
       return true;
     }},
    {"hysteresis_margin", "0.2",
     "a fraction in [0, 0.9] (e.g. 0.2) or a percentage (e.g. 20%)",
     [](std::string_view v, Options &o) {
       std::optional<double> f = parseFraction(v);
       if (!f || *f < 0 || *f > 0.9)
         return false;
       o.HysteresisMargin = *f;
       return true;
     }},
    {"pin", "",
     "a comma-separated list of <unit name>:<level> with levels " +
         joinLevelNames() + " or " + levelOrdinalRange() +
         " (e.g. net/fc1:f32,net/fc2:i8), or empty",
     [](std::string_view v, Options &o) {
       std::vector<std::pair<std::string, int>> pins;
       std::string_view rest = trim(v);
       while (!rest.empty()) {
         size_t comma = rest.find(',');
         std::string_view item = trim(rest.substr(0, comma));
         rest = comma == std::string_view::npos ? std::string_view()
                                                : rest.substr(comma + 1);
         // Unit names may contain ':'; the level follows the last one.
         size_t colon = item.rfind(':');
         if (colon == std::string_view::npos)
           return false;
         std::string_view name = trim(item.substr(0, colon));
         std::optional<int> level = parseLevel(item.substr(colon + 1));
         if (name.empty() || !level)
           return false;
         pins.emplace_back(std::string(name), *level);
         if (comma != std::string_view::npos && trim(rest).empty())
           return false; // A trailing comma.
       }
       o.Pins = std::move(pins);
       return true;
     }},
    {"telemetry", "",
     "a file path to write the telemetry JSON to at exit (%p expands to the "
     "process id), or empty for none",
     [](std::string_view v, Options &o) {
       o.Telemetry = std::string(trim(v));
       return true;
     }},
    {"nvml_library", "libnvidia-ml.so.1",
     "off, or a library name or path for dlopen (e.g. libnvidia-ml.so.1)",
     [](std::string_view v, Options &o) {
       std::string_view name = trim(v);
       if (name.empty())
         return false;
       o.NvmlLibrary = isWord(name, "off") ? std::string() : std::string(name);
       return true;
     }},
    {"fs_root", "/",
     "an absolute directory under which /proc and /sys are read (e.g. / or "
     "/host)",
     [](std::string_view v, Options &o) {
       std::string_view root = trim(v);
       if (root.empty() || root.front() != '/')
         return false;
       o.FsRoot = std::string(root);
       return true;
     }},
};

static const KeySpec *findKey(std::string_view name) {
  for (const KeySpec &key : kKeys)
    if (name == key.Name)
      return &key;
  return nullptr;
}

/// The accepted keys, or their environment variables, for messages.
static std::string keyNames(bool asEnvironment) {
  std::string out;
  for (const KeySpec &key : kKeys) {
    if (!out.empty())
      out += ", ";
    out += asEnvironment ? Config::environmentName(key.Name) : key.Name;
  }
  return out;
}

static Status unknownKey(std::string_view key, const std::string &origin) {
  return Status::error(AGN_RT_ERR_CONFIG,
                       "unknown key '" + excerpt(key, 80) + "' (" + origin +
                           "); accepted keys: " + keyNames(false));
}

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

int Options::pinFor(std::string_view name) const {
  for (auto it = Pins.rbegin(); it != Pins.rend(); ++it)
    if (it->first == name)
      return it->second;
  return -1;
}

//===----------------------------------------------------------------------===//
// Config
//===----------------------------------------------------------------------===//

Config::Config() { rebuild(); }

std::vector<std::string> Config::keys() {
  std::vector<std::string> names;
  for (const KeySpec &key : kKeys)
    names.emplace_back(key.Name);
  return names;
}

std::string Config::environmentName(std::string_view key) {
  std::string name = "AGN_RT_";
  for (char c : key)
    name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

Options Config::build(const Layers &layers, bool disableInconsistent) {
  Options options;
  for (const KeySpec &key : kKeys) {
    std::string_view value = key.Default;
    for (const ValueMap &layer : layers)
      if (auto it = layer.find(key.Name); it != layer.end())
        value = it->second;
    bool parsed = key.Parse(value, options);
    assert(parsed && "stored values were validated");
    (void)parsed;
  }
  if (!disableInconsistent)
    return options;
  // Values that are valid alone but not together are refused by set();
  // removing an API value can still expose such a pair. Then the load
  // policy stays off rather than stepping on a meaningless band.
  if (options.CpuHigh >= 0 && options.CpuLow >= options.CpuHigh)
    options.CpuHigh = -1;
  if (options.GpuHigh >= 0 && options.GpuLow >= options.GpuHigh)
    options.GpuHigh = -1;
  return options;
}

void Config::rebuild() { Effective = build(Values); }

Status Config::checkConsistency(const Options &options,
                                const std::string &origin) const {
  auto check = [&](double high, double low, const char *prefix) {
    if (high < 0 || low < 0 || low < high)
      return Status();
    return Status::error(AGN_RT_ERR_CONFIG,
                         std::string(prefix) + "_low (" + std::to_string(low) +
                             ") must be below " + prefix + "_high (" +
                             std::to_string(high) + ") (" + origin +
                             "); the value is ignored");
  };
  Status status = check(options.CpuHigh, options.CpuLow, "cpu");
  status.append(check(options.GpuHigh, options.GpuLow, "gpu"));
  return status;
}

Status Config::set(ConfigLayer layer, std::string_view key,
                   std::string_view value, const std::string &origin) {
  return set(layer, {{std::string(key), std::string(value)}}, origin);
}

Status Config::set(ConfigLayer layer, const std::vector<KeyValue> &values,
                   const std::string &origin) {
  Layers candidate = Values;
  for (const auto &[key, value] : values) {
    const KeySpec *spec = findKey(key);
    if (!spec)
      return unknownKey(key, origin);
    std::string text(trim(value));
    Options scratch;
    if (!spec->Parse(text, scratch))
      return Status::error(AGN_RT_ERR_CONFIG,
                           "invalid value '" + excerpt(text, 80) +
                               "' for key '" + spec->Name + "' (" + origin +
                               "); accepted values: " + spec->Accepted);
    candidate[static_cast<size_t>(layer)][spec->Name] = std::move(text);
  }

  // Check the combination before committing. build() would quietly turn an
  // inconsistent pair off; here the caller hears about it instead.
  if (Status status = checkConsistency(
          build(candidate, /*disableInconsistent=*/false), origin);
      !status.ok())
    return status;

  Values = std::move(candidate);
  rebuild();
  return Status();
}

Status Config::unset(ConfigLayer layer, std::string_view key) {
  const KeySpec *spec = findKey(key);
  if (!spec)
    return unknownKey(key, "agn_rt_set_option");
  ValueMap &values = Values[static_cast<size_t>(layer)];
  if (auto it = values.find(key); it != values.end())
    values.erase(it);
  rebuild();
  return Status();
}

void Config::clear(ConfigLayer layer) {
  Values[static_cast<size_t>(layer)].clear();
  rebuild();
}

/// Cuts a '#' comment from \p line unless it sits inside double quotes. A
/// '#' only starts a comment at the start or after a blank, so "a#b" stays.
static std::string_view stripComment(std::string_view line) {
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"')
      quoted = !quoted;
    else if (line[i] == '#' && !quoted &&
             (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t'))
      return line.substr(0, i);
  }
  return line;
}

Status Config::loadFileText(std::string_view text, const std::string &path) {
  Values[static_cast<size_t>(ConfigLayer::File)].clear();
  rebuild();
  Status status;
  std::map<std::string, size_t, std::less<>> seen;
  std::vector<std::string_view> lines = splitLines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string origin =
        "config file '" + path + "' line " + std::to_string(i + 1);
    std::string_view line = trim(stripComment(lines[i]));
    if (line.empty())
      continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || trim(line.substr(0, eq)).empty()) {
      status.append(Status::error(
          AGN_RT_ERR_CONFIG, "expected 'key = value', got '" +
                                 excerpt(line, 80) + "' (" + origin + ")"));
      continue;
    }
    std::string_view key = trim(line.substr(0, eq));
    std::string_view value = trim(line.substr(eq + 1));
    if (!value.empty() && value.front() == '"') {
      if (value.size() < 2 || value.back() != '"') {
        status.append(Status::error(
            AGN_RT_ERR_CONFIG, "unterminated quoted value for key '" +
                                   excerpt(key, 80) + "' (" + origin + ")"));
        continue;
      }
      value = value.substr(1, value.size() - 2);
    }
    if (auto it = seen.find(key); it != seen.end()) {
      status.append(Status::error(AGN_RT_ERR_CONFIG,
                                  "duplicate key '" + std::string(key) + "' (" +
                                      origin + "; first set on line " +
                                      std::to_string(it->second) + ")"));
      continue;
    }
    Status keyStatus = set(ConfigLayer::File, key, value, origin);
    if (keyStatus.ok())
      seen.emplace(std::string(key), i + 1);
    status.append(keyStatus);
  }
  return status;
}

Status Config::loadFile(const std::string &path) {
  FILE *file = std::fopen(path.c_str(), "re");
  if (!file) {
    int err = errno;
    Values[static_cast<size_t>(ConfigLayer::File)].clear();
    rebuild();
    return Status::error(AGN_RT_ERR_IO, "cannot open config file '" + path +
                                            "': " + std::strerror(err));
  }
  // A configuration file is a few lines; refuse anything absurd rather
  // than read it whole or apply half of it.
  constexpr size_t kMaxBytes = 1 << 20;
  std::string text;
  char buffer[4096];
  size_t n;
  bool tooLarge = false;
  while (!tooLarge && (n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    text.append(buffer, n);
    tooLarge = text.size() > kMaxBytes;
  }
  bool failed = std::ferror(file);
  std::fclose(file);
  if (failed || tooLarge) {
    Values[static_cast<size_t>(ConfigLayer::File)].clear();
    rebuild();
    return Status::error(AGN_RT_ERR_IO,
                         "cannot read config file '" + path + "': " +
                             (tooLarge ? "larger than 1 MiB" : "read error"));
  }
  return loadFileText(text, path);
}

Status Config::loadEnvironment(const char *const *envp) {
  Values[static_cast<size_t>(ConfigLayer::Environment)].clear();
  rebuild();
  Status status;
  for (; envp && *envp; ++envp) {
    std::string_view entry = *envp;
    if (entry.substr(0, 7) != "AGN_RT_")
      continue;
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos)
      continue;
    std::string_view name = entry.substr(0, eq);
    if (name == "AGN_RT_CONFIG")
      continue;
    std::string origin = "environment variable " + std::string(name);
    std::string key = lower(name.substr(7));
    // Only the canonical upper-case spelling maps to a key.
    if (!findKey(key) || environmentName(key) != name) {
      status.append(
          Status::error(AGN_RT_ERR_CONFIG,
                        "unknown environment variable " + excerpt(name, 80) +
                            "; accepted: AGN_RT_CONFIG, " + keyNames(true)));
      continue;
    }
    status.append(
        set(ConfigLayer::Environment, key, entry.substr(eq + 1), origin));
  }
  return status;
}

Expected<std::string> Config::get(std::string_view key) const {
  const KeySpec *spec = findKey(key);
  if (!spec)
    return unknownKey(key, "agn_rt_get_option");
  for (size_t layer = Values.size(); layer-- > 0;)
    if (auto it = Values[layer].find(key); it != Values[layer].end())
      return it->second;
  return std::string(spec->Default);
}

} // namespace agn::rt
