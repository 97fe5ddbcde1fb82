//===- ProcessMonitor.h - The process's resident set size -------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The resident set of the process, from the VmRSS line of /proc/self/status.
// It is reported in stats and telemetry so that a user can see how weights at
// the granted levels relate to what the process actually holds.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_PROCESSMONITOR_H
#define AGN_LIB_RUNTIME_PROCESSMONITOR_H

#include "FileReader.h"
#include "Status.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace agn::rt {

/// Parses VmRSS from the text of /proc/<pid>/status, in bytes.
Expected<uint64_t> parseProcStatusRss(std::string_view text);

/// One process sample.
struct ProcessSample {
  /// AGN_RT_UNLIMITED if unknown.
  uint64_t RssBytes = AGN_RT_UNLIMITED;
  std::string Note;
};

/// Reads /proc/self/status under \p root.
ProcessSample sampleProcess(FileReader &files, const std::string &root);

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_PROCESSMONITOR_H
