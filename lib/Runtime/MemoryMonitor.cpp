//===- MemoryMonitor.cpp - Memory from /proc/meminfo and cgroups ----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "MemoryMonitor.h"

#include "TextParsing.h"

#include <algorithm>

namespace agn::rt {

Expected<Meminfo> parseMeminfo(std::string_view text) {
  std::optional<uint64_t> total, available, freeMem, buffers, cached;
  for (std::string_view line : splitLines(text)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    std::string_view key = line.substr(0, colon);
    std::optional<uint64_t> *slot = key == "MemTotal"       ? &total
                                    : key == "MemAvailable" ? &available
                                    : key == "MemFree"      ? &freeMem
                                    : key == "Buffers"      ? &buffers
                                    : key == "Cached"       ? &cached
                                                            : nullptr;
    if (!slot)
      continue;
    // "MemTotal:       24684092 kB"
    std::vector<std::string_view> fields = splitBlanks(line.substr(colon + 1));
    std::optional<uint64_t> kib = fields.size() == 2 && fields[1] == "kB"
                                      ? parseUnsigned(fields[0])
                                      : std::nullopt;
    if (!kib || *kib > UINT64_MAX / 1024)
      return Status::error(AGN_RT_ERR_IO, "/proc/meminfo: malformed line '" +
                                              excerpt(line) + "'");
    *slot = *kib * 1024;
  }
  if (!total)
    return Status::error(AGN_RT_ERR_IO, "/proc/meminfo: no MemTotal entry");
  Meminfo info;
  info.TotalBytes = *total;
  if (available) {
    info.AvailableBytes = *available;
  } else if (freeMem) {
    info.AvailableEstimated = true;
    info.AvailableBytes = *freeMem + buffers.value_or(0) + cached.value_or(0);
  } else {
    return Status::error(AGN_RT_ERR_IO,
                         "/proc/meminfo: neither MemAvailable nor MemFree");
  }
  info.AvailableBytes = std::min(info.AvailableBytes, info.TotalBytes);
  return info;
}

Expected<std::optional<uint64_t>> parseCgroupMemoryMax(std::string_view text) {
  std::string_view value = trim(text);
  if (value == "max")
    return std::optional<uint64_t>();
  if (std::optional<uint64_t> bytes = parseUnsigned(value))
    return std::optional<uint64_t>(*bytes);
  return Status::error(AGN_RT_ERR_IO, "memory.max: expected a byte count or "
                                      "'max', got '" +
                                          excerpt(value) + "'");
}

Expected<uint64_t> parseCgroupMemoryCurrent(std::string_view text) {
  if (std::optional<uint64_t> bytes = parseUnsigned(trim(text)))
    return *bytes;
  return Status::error(AGN_RT_ERR_IO,
                       "memory.current: expected a byte count, got '" +
                           excerpt(trim(text)) + "'");
}

Expected<uint64_t> parseCgroupInactiveFile(std::string_view text) {
  for (std::string_view line : splitLines(text)) {
    std::vector<std::string_view> fields = splitBlanks(line);
    if (fields.size() != 2 || fields[0] != "inactive_file")
      continue;
    if (std::optional<uint64_t> bytes = parseUnsigned(fields[1]))
      return *bytes;
    return Status::error(AGN_RT_ERR_IO,
                         "memory.stat: malformed inactive_file '" +
                             excerpt(fields[1]) + "'");
  }
  return Status::error(AGN_RT_ERR_IO, "memory.stat: no inactive_file entry");
}

static void addNote(std::string &note, const std::string &text) {
  if (!note.empty())
    note += "; ";
  note += text;
}

MemorySample sampleMemory(FileReader &files, const std::string &root,
                          const std::vector<std::string> &cgroupDirs) {
  MemorySample sample;

  ReadResult meminfo = files.read(joinRoot(root, "/proc/meminfo"));
  if (!meminfo.ok()) {
    addNote(sample.Note, meminfo.Error);
  } else if (Expected<Meminfo> info = parseMeminfo(meminfo.Text); !info.ok()) {
    addNote(sample.Note, info.status().message());
  } else {
    sample.Src = MemorySample::Source::Meminfo;
    sample.HostTotalBytes = sample.TotalBytes = info->TotalBytes;
    sample.HostAvailableBytes = sample.AvailableBytes = info->AvailableBytes;
  }

  // Every limited level of the hierarchy bounds the process; keep the one
  // with the least headroom.
  uint64_t bestHeadroom = AGN_RT_UNLIMITED;
  for (const std::string &dir : cgroupDirs) {
    ReadResult maxFile = files.read(joinRoot(root, dir + "/memory.max"));
    if (!maxFile.ok()) {
      // The root cgroup has no memory.max: missing is normal there.
      if (maxFile.Status != ReadResult::Missing)
        addNote(sample.Note, maxFile.Error);
      continue;
    }
    Expected<std::optional<uint64_t>> max = parseCgroupMemoryMax(maxFile.Text);
    if (!max.ok()) {
      addNote(sample.Note, dir + "/" + max.status().message());
      continue;
    }
    if (!max->has_value())
      continue;
    ReadResult currentFile =
        files.read(joinRoot(root, dir + "/memory.current"));
    if (!currentFile.ok()) {
      addNote(sample.Note, currentFile.Error);
      continue;
    }
    Expected<uint64_t> current = parseCgroupMemoryCurrent(currentFile.Text);
    if (!current.ok()) {
      addNote(sample.Note, dir + "/" + current.status().message());
      continue;
    }
    // Inactive page cache is reclaimed before the limit bites, so it counts
    // as headroom (the "working set" view). memory.stat is optional.
    uint64_t used = *current;
    ReadResult statFile = files.read(joinRoot(root, dir + "/memory.stat"));
    if (statFile.ok())
      if (Expected<uint64_t> inactive = parseCgroupInactiveFile(statFile.Text);
          inactive.ok())
        used -= std::min(used, *inactive);
    uint64_t limit = **max;
    uint64_t headroom = limit > used ? limit - used : 0;
    if (headroom < bestHeadroom) {
      bestHeadroom = headroom;
      sample.CgroupMaxBytes = limit;
      sample.CgroupCurrentBytes = *current;
      sample.CgroupDir = dir;
    }
  }

  if (sample.CgroupMaxBytes != AGN_RT_UNLIMITED) {
    bool cgroupBinds = !sample.known() ||
                       bestHeadroom < sample.AvailableBytes ||
                       sample.CgroupMaxBytes < sample.TotalBytes;
    sample.TotalBytes = std::min(sample.TotalBytes, sample.CgroupMaxBytes);
    sample.AvailableBytes = std::min(sample.AvailableBytes, bestHeadroom);
    if (cgroupBinds)
      sample.Src = MemorySample::Source::Cgroup;
  }
  return sample;
}

} // namespace agn::rt
