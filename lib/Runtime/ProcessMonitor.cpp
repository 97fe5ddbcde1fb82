//===- ProcessMonitor.cpp - The process's resident set size ---------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "ProcessMonitor.h"

#include "TextParsing.h"

namespace agn::rt {

Expected<uint64_t> parseProcStatusRss(std::string_view text) {
  for (std::string_view line : splitLines(text)) {
    if (line.substr(0, 6) != "VmRSS:")
      continue;
    // "VmRSS:\t    1664 kB"
    std::vector<std::string_view> fields = splitBlanks(line.substr(6));
    std::optional<uint64_t> kib = fields.size() == 2 && fields[1] == "kB"
                                      ? parseUnsigned(fields[0])
                                      : std::nullopt;
    if (!kib || *kib > UINT64_MAX / 1024)
      return Status::error(AGN_RT_ERR_IO, "/proc/self/status: malformed "
                                          "line '" +
                                              excerpt(line) + "'");
    return *kib * 1024;
  }
  // Kernel threads have no memory map and no VmRSS line.
  return Status::error(AGN_RT_ERR_IO, "/proc/self/status: no VmRSS entry");
}

ProcessSample sampleProcess(FileReader &files, const std::string &root) {
  ProcessSample sample;
  ReadResult status = files.read(joinRoot(root, "/proc/self/status"));
  if (!status.ok()) {
    sample.Note = status.Error;
    return sample;
  }
  Expected<uint64_t> rss = parseProcStatusRss(status.Text);
  if (!rss.ok())
    sample.Note = rss.status().message();
  else
    sample.RssBytes = *rss;
  return sample;
}

} // namespace agn::rt
