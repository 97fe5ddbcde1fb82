//===- MemoryMonitor.h - Memory from /proc/meminfo and cgroups --*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The memory a process may still use is the smaller of what the host has
// available (/proc/meminfo) and the headroom under the tightest cgroup v2
// memory.max of its hierarchy. Without cgroup v2 (v1-only hosts, no limit,
// unreadable files) it falls back to /proc/meminfo alone.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_MEMORYMONITOR_H
#define AGN_LIB_RUNTIME_MEMORYMONITOR_H

#include "FileReader.h"
#include "Status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agn::rt {

/// The parts of /proc/meminfo the runtime uses, in bytes.
struct Meminfo {
  uint64_t TotalBytes = 0;
  uint64_t AvailableBytes = 0;
  /// True when MemAvailable is missing (kernels before 3.14) and
  /// AvailableBytes is MemFree + Buffers + Cached instead.
  bool AvailableEstimated = false;
};

/// Parses the text of /proc/meminfo.
Expected<Meminfo> parseMeminfo(std::string_view text);

/// Parses memory.max (or memory.high): "max" gives std::nullopt (no limit).
Expected<std::optional<uint64_t>> parseCgroupMemoryMax(std::string_view text);

/// Parses memory.current.
Expected<uint64_t> parseCgroupMemoryCurrent(std::string_view text);

/// Parses the inactive_file entry of memory.stat: page cache the kernel
/// reclaims before it would fail an allocation against memory.max.
Expected<uint64_t> parseCgroupInactiveFile(std::string_view text);

/// One memory sample. Unknown byte counts are AGN_RT_UNLIMITED.
struct MemorySample {
  enum class Source { None, Meminfo, Cgroup };
  /// Which source bounds TotalBytes/AvailableBytes; None if unknown.
  Source Src = Source::None;
  uint64_t TotalBytes = AGN_RT_UNLIMITED;
  uint64_t AvailableBytes = AGN_RT_UNLIMITED;
  uint64_t HostTotalBytes = AGN_RT_UNLIMITED;
  uint64_t HostAvailableBytes = AGN_RT_UNLIMITED;
  /// The tightest memory.max and its cgroup's usage (AGN_RT_UNLIMITED if no
  /// limit applies).
  uint64_t CgroupMaxBytes = AGN_RT_UNLIMITED;
  uint64_t CgroupCurrentBytes = AGN_RT_UNLIMITED;
  std::string CgroupDir;
  std::string Note;

  bool known() const { return Src != Source::None; }
};

/// Samples memory under \p root; \p cgroupDirs are the cgroup v2
/// directories leaf first (empty without cgroup v2).
MemorySample sampleMemory(FileReader &files, const std::string &root,
                          const std::vector<std::string> &cgroupDirs);

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_MEMORYMONITOR_H
