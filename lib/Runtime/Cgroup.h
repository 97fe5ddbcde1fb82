//===- Cgroup.h - Locating the process's cgroup v2 directories --*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A process's limits are those of its own cgroup and of every ancestor: a
// job in /a/b can be held by a memory.max on /a. The memory and CPU monitors
// therefore read their files in every directory from the process's cgroup up
// to the cgroup2 mount and keep the tightest limit.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_CGROUP_H
#define AGN_LIB_RUNTIME_CGROUP_H

#include "Status.h"

#include <string>
#include <string_view>
#include <vector>

namespace agn::rt {

/// Where cgroup v2 is mounted.
constexpr const char *kCgroupMount = "/sys/fs/cgroup";

/// Extracts the cgroup v2 path ("/a/b") from the text of /proc/self/cgroup,
/// i.e. its "0::<path>" line. A path that leaves the cgroup namespace
/// ("/../x", shown for a process outside the reader's namespace) maps to "/".
/// Fails when there is no "0::" line (a cgroup v1-only system).
Expected<std::string> parseProcSelfCgroup(std::string_view text);

/// The directories to consult for \p cgroupPath, leaf first, ending with the
/// mount root: "/a/b" gives "/sys/fs/cgroup/a/b", "/sys/fs/cgroup/a",
/// "/sys/fs/cgroup". At most 32 levels.
std::vector<std::string> cgroupDirectories(const std::string &cgroupPath);

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_CGROUP_H
