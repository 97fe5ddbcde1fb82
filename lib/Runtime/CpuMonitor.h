//===- CpuMonitor.h - CPU utilisation from /proc and cgroups ----*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Utilisation is a rate, so the monitor keeps the previous counters and
// reports the change since the last sample. It reads two sources: the host's
// /proc/stat (all CPUs the kernel sees) and, when a cgroup v2 cpu.max quota
// applies, the cgroup's own usage against that quota - inside a container
// with a 2-core quota on a 64-core host, /proc/stat alone would read as idle
// while the container is throttled.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_CPUMONITOR_H
#define AGN_LIB_RUNTIME_CPUMONITOR_H

#include "FileReader.h"
#include "Status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agn::rt {

/// The aggregate "cpu" line of /proc/stat, in clock ticks.
struct CpuTimes {
  uint64_t User = 0, Nice = 0, System = 0, Idle = 0, IoWait = 0, Irq = 0,
           SoftIrq = 0, Steal = 0;
  /// Number of "cpuN" lines.
  unsigned NumCpus = 0;

  /// All time; guest time is already included in user and nice.
  uint64_t total() const {
    return User + Nice + System + Idle + IoWait + Irq + SoftIrq + Steal;
  }
  /// Time no task ran.
  uint64_t idle() const { return Idle + IoWait; }
};

/// Parses the text of /proc/stat.
Expected<CpuTimes> parseProcStat(std::string_view text);

/// A cgroup v2 cpu.max entry: "max 100000" or "<quota> <period>" (in us).
struct CpuQuota {
  bool Limited = false;
  uint64_t QuotaUs = 0;
  uint64_t PeriodUs = 100000;
  /// The quota in cores, or -1 when unlimited.
  double cores() const {
    return Limited
               ? static_cast<double>(QuotaUs) / static_cast<double>(PeriodUs)
               : -1.0;
  }
};

/// Parses the text of cpu.max.
Expected<CpuQuota> parseCgroupCpuMax(std::string_view text);

/// Parses the usage_usec entry of a cgroup v2 cpu.stat file.
Expected<uint64_t> parseCgroupCpuStatUsage(std::string_view text);

/// One CPU sample. Unknown values are -1.
struct CpuSample {
  /// Busy fraction of all CPUs since the previous sample, [0, 1].
  double SystemUtilization = -1;
  /// The cgroup's usage against its quota since the previous sample, [0, 1].
  double CgroupUtilization = -1;
  /// The tightest cpu.max quota in cores.
  double QuotaCores = -1;
  /// CPUs listed in /proc/stat (0 if unknown).
  unsigned NumCpus = 0;
  /// Why a value is unknown (empty when all are known or simply not due).
  std::string Note;

  /// The load the CPU policy acts on: the larger known utilisation, or -1.
  double load() const {
    return SystemUtilization > CgroupUtilization ? SystemUtilization
                                                 : CgroupUtilization;
  }
};

/// Samples CPU utilisation; keeps the previous counters between samples.
/// Not thread-safe: one sampler owns it.
class CpuMonitor {
public:
  /// Reads /proc/stat under \p root and cpu.max / cpu.stat in
  /// \p cgroupDirs (leaf first, already relative to \p root). \p nowNs is a
  /// monotonic time used to turn cgroup usage into a rate.
  CpuSample sample(FileReader &files, const std::string &root,
                   const std::vector<std::string> &cgroupDirs, uint64_t nowNs);

  /// Forgets the previous counters (after the root changes).
  void reset();

private:
  std::optional<CpuTimes> Prev;
  std::string PrevUsageDir;
  std::optional<uint64_t> PrevUsageUs;
  uint64_t PrevUsageNs = 0;
};

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_CPUMONITOR_H
