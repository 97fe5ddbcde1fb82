//===- Cgroup.cpp - Locating the process's cgroup v2 directories ----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "Cgroup.h"

#include "TextParsing.h"

namespace agn::rt {

Expected<std::string> parseProcSelfCgroup(std::string_view text) {
  for (std::string_view line : splitLines(text)) {
    line = trim(line);
    // Format: hierarchy-ID:controller-list:cgroup-path. cgroup v2 is the
    // hierarchy with ID 0 and an empty controller list.
    if (line.substr(0, 3) != "0::")
      continue;
    std::string_view path = line.substr(3);
    if (path.empty() || path.front() != '/')
      return Status::error(AGN_RT_ERR_IO,
                           "malformed cgroup v2 entry '" + excerpt(line) + "'");
    if (path.find("/..") != std::string_view::npos)
      return std::string("/");
    return std::string(path);
  }
  return Status::error(AGN_RT_ERR_IO, "no cgroup v2 entry (\"0::\" line)");
}

std::vector<std::string> cgroupDirectories(const std::string &cgroupPath) {
  constexpr size_t kMaxDepth = 32;
  std::vector<std::string> dirs;
  std::string path = cgroupPath;
  // Drop trailing slashes; "/" becomes "".
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  while (!path.empty() && dirs.size() + 1 < kMaxDepth) {
    dirs.push_back(std::string(kCgroupMount) + path);
    size_t slash = path.rfind('/');
    path.resize(slash == std::string::npos ? 0 : slash);
  }
  dirs.push_back(kCgroupMount);
  return dirs;
}

} // namespace agn::rt
