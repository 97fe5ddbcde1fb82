//===- Config.h - Policy keys from API, environment and file ----*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Every policy is a key with one spelling everywhere: `max_level` in the
// configuration file, AGN_RT_MAX_LEVEL in the environment and "max_level" for
// agn_rt_set_option. Values are kept per source as validated text and the
// effective Options are rebuilt with the precedence API > environment >
// file > default. A bad key or value is rejected with a message naming the
// key, the value, where it came from and the accepted values; the previous
// value stays in force.
//
// The file format is one `key = value` per line. '#' starts a comment at the
// beginning of a line or after a blank; a value may be written in double
// quotes to keep blanks or '#'. Blank lines are ignored; a key may appear once.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_CONFIG_H
#define AGN_LIB_RUNTIME_CONFIG_H

#include "LoadPolicy.h"
#include "Status.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agn::rt {

/// The effective configuration. See docs/Runtime.md for each key.
struct Options {
  uint64_t IntervalNs = 0;
  bool Monitor = true;
  int MaxLevel = 0;
  int MinLevel = 0;
  /// AGN_RT_UNLIMITED when off.
  uint64_t MemoryBudget = 0;
  /// AGN_RT_UNLIMITED when off.
  uint64_t MemoryReserve = 0;
  /// < 0 when off.
  double CpuHigh = -1;
  /// < 0 for auto: CpuHigh * (1 - HysteresisMargin).
  double CpuLow = -1;
  double GpuHigh = -1;
  double GpuLow = -1;
  unsigned GpuDevice = 0;
  /// 0 when off.
  uint64_t LatencyTargetNs = 0;
  unsigned HysteresisTicks = 1;
  double HysteresisMargin = 0;
  /// (unit name, level) pairs.
  std::vector<std::pair<std::string, int>> Pins;
  /// Telemetry path; empty for none.
  std::string Telemetry;
  /// Empty when GPU monitoring is off.
  std::string NvmlLibrary;
  std::string FsRoot;

  LoadThresholds cpuThresholds() const {
    return {CpuHigh, CpuLow >= 0 ? CpuLow : CpuHigh * (1 - HysteresisMargin)};
  }
  LoadThresholds gpuThresholds() const {
    return {GpuHigh, GpuLow >= 0 ? GpuLow : GpuHigh * (1 - HysteresisMargin)};
  }
  /// The configured pin of unit \p name, or -1. The last entry wins.
  int pinFor(std::string_view name) const;
};

/// The sources of values, in increasing precedence.
enum class ConfigLayer { File = 0, Environment = 1, Api = 2 };

/// Layered, validated configuration.
class Config {
public:
  Config();

  /// Sets \p key to \p value in \p layer. \p origin describes the source
  /// for messages ("config file 'x' line 3"). On error nothing changes.
  Status set(ConfigLayer layer, std::string_view key, std::string_view value,
             const std::string &origin);

  using KeyValue = std::pair<std::string, std::string>;
  /// Sets several keys at once: all or none, and thresholds that belong
  /// together are checked together.
  Status set(ConfigLayer layer, const std::vector<KeyValue> &values,
             const std::string &origin);

  /// Removes \p layer's value of \p key.
  Status unset(ConfigLayer layer, std::string_view key);

  /// Replaces the file layer with the text of a configuration file. Every
  /// line is checked; valid lines apply even when others fail, and the
  /// returned status lists every failure.
  Status loadFileText(std::string_view text, const std::string &path);

  /// Reads and applies file \p path (see loadFileText).
  Status loadFile(const std::string &path);

  /// Replaces the environment layer with the AGN_RT_* entries of \p envp, a
  /// null-terminated "NAME=value" array like environ. AGN_RT_CONFIG names
  /// the file and is skipped here.
  Status loadEnvironment(const char *const *envp);

  /// Drops every value of \p layer.
  void clear(ConfigLayer layer);

  const Options &options() const { return Effective; }

  /// The effective value of \p key in configuration syntax.
  Expected<std::string> get(std::string_view key) const;

  /// All keys, in documentation order.
  static std::vector<std::string> keys();

  /// The environment variable of \p key: "AGN_RT_" + upper case.
  static std::string environmentName(std::string_view key);

private:
  void rebuild();
  Status checkConsistency(const Options &options,
                          const std::string &origin) const;
  using ValueMap = std::map<std::string, std::string, std::less<>>;
  using Layers = std::array<ValueMap, 3>;
  /// The options \p layers describe. With \p disableInconsistent, a load
  /// policy whose thresholds contradict each other is turned off.
  static Options build(const Layers &layers, bool disableInconsistent = true);

  Layers Values;
  Options Effective;
};

/// Parses a level name ("i4".."f32", any case) or digit ("0".."4").
std::optional<int> parseLevel(std::string_view text);

/// Parses a byte count with an optional unit: B, K/KiB, M/MiB, G/GiB,
/// T/TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000), any case.
std::optional<uint64_t> parseBytes(std::string_view text);

/// Parses a duration with a mandatory unit ns, us, ms or s.
std::optional<uint64_t> parseDurationNs(std::string_view text);

/// Parses a fraction ("0.85") or a percentage ("85%").
std::optional<double> parseFraction(std::string_view text);

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_CONFIG_H
