//===- CpuMonitor.cpp - CPU utilisation from /proc/stat and cgroups -------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "CpuMonitor.h"

#include "TextParsing.h"

#include <algorithm>

namespace agn::rt {

Expected<CpuTimes> parseProcStat(std::string_view text) {
  CpuTimes times;
  bool sawAggregate = false;
  for (std::string_view line : splitLines(text)) {
    std::vector<std::string_view> fields = splitBlanks(line);
    if (fields.empty() || fields[0].substr(0, 3) != "cpu")
      continue;
    if (fields[0] != "cpu") {
      // A per-CPU line "cpuN"; only counted.
      if (parseUnsigned(fields[0].substr(3)))
        ++times.NumCpus;
      continue;
    }
    // "cpu user nice system idle [iowait irq softirq steal guest guest_nice]"
    // Kernels before 2.6 print only the first four.
    if (fields.size() < 5)
      return Status::error(AGN_RT_ERR_IO,
                           "/proc/stat: 'cpu' line has too few fields: '" +
                               excerpt(line) + "'");
    uint64_t *slots[] = {&times.User,    &times.Nice,   &times.System,
                         &times.Idle,    &times.IoWait, &times.Irq,
                         &times.SoftIrq, &times.Steal};
    size_t numSlots = sizeof(slots) / sizeof(slots[0]);
    for (size_t i = 1; i < fields.size(); ++i) {
      std::optional<uint64_t> value = parseUnsigned(fields[i]);
      if (!value)
        return Status::error(AGN_RT_ERR_IO,
                             "/proc/stat: malformed 'cpu' field '" +
                                 excerpt(fields[i]) + "'");
      if (i - 1 < numSlots)
        *slots[i - 1] = *value;
    }
    sawAggregate = true;
  }
  if (!sawAggregate)
    return Status::error(AGN_RT_ERR_IO, "/proc/stat: no 'cpu' line");
  return times;
}

Expected<CpuQuota> parseCgroupCpuMax(std::string_view text) {
  std::vector<std::string_view> fields = splitBlanks(text);
  if (fields.empty() || fields.size() > 2)
    return Status::error(AGN_RT_ERR_IO, "cpu.max: expected '<quota|max> "
                                        "[period]', got '" +
                                            excerpt(text) + "'");
  CpuQuota quota;
  if (fields.size() == 2) {
    std::optional<uint64_t> period = parseUnsigned(fields[1]);
    if (!period || *period == 0)
      return Status::error(AGN_RT_ERR_IO, "cpu.max: malformed period '" +
                                              excerpt(fields[1]) + "'");
    quota.PeriodUs = *period;
  }
  if (fields[0] == "max")
    return quota;
  std::optional<uint64_t> us = parseUnsigned(fields[0]);
  if (!us)
    return Status::error(AGN_RT_ERR_IO, "cpu.max: malformed quota '" +
                                            excerpt(fields[0]) + "'");
  quota.Limited = true;
  quota.QuotaUs = *us;
  return quota;
}

Expected<uint64_t> parseCgroupCpuStatUsage(std::string_view text) {
  for (std::string_view line : splitLines(text)) {
    std::vector<std::string_view> fields = splitBlanks(line);
    if (fields.size() != 2 || fields[0] != "usage_usec")
      continue;
    if (std::optional<uint64_t> value = parseUnsigned(fields[1]))
      return *value;
    return Status::error(AGN_RT_ERR_IO, "cpu.stat: malformed usage_usec '" +
                                            excerpt(fields[1]) + "'");
  }
  return Status::error(AGN_RT_ERR_IO, "cpu.stat: no usage_usec entry");
}

static void addNote(std::string &note, const std::string &text) {
  if (!note.empty())
    note += "; ";
  note += text;
}

CpuSample CpuMonitor::sample(FileReader &files, const std::string &root,
                             const std::vector<std::string> &cgroupDirs,
                             uint64_t nowNs) {
  CpuSample sample;

  ReadResult stat = files.read(joinRoot(root, "/proc/stat"));
  if (!stat.ok()) {
    addNote(sample.Note, stat.Error);
    Prev.reset();
  } else if (Expected<CpuTimes> times = parseProcStat(stat.Text); !times.ok()) {
    addNote(sample.Note, times.status().message());
    Prev.reset();
  } else {
    sample.NumCpus = times->NumCpus;
    // The first sample only primes the counters. Counters that went
    // backwards (a different root, a restored checkpoint) prime again.
    if (Prev && times->total() > Prev->total() &&
        times->idle() >= Prev->idle()) {
      double all = static_cast<double>(times->total() - Prev->total());
      double idle = static_cast<double>(times->idle() - Prev->idle());
      sample.SystemUtilization = std::clamp(1.0 - idle / all, 0.0, 1.0);
    }
    Prev = *times;
  }

  // The tightest quota along the hierarchy decides; its cgroup's usage says
  // how much of that quota is spent.
  std::string quotaDir;
  for (const std::string &dir : cgroupDirs) {
    ReadResult max = files.read(joinRoot(root, dir + "/cpu.max"));
    if (!max.ok()) {
      // The root cgroup has no cpu.max; a missing file is not an error.
      if (max.Status != ReadResult::Missing)
        addNote(sample.Note, max.Error);
      continue;
    }
    Expected<CpuQuota> quota = parseCgroupCpuMax(max.Text);
    if (!quota.ok()) {
      addNote(sample.Note, dir + "/" + quota.status().message());
      continue;
    }
    if (quota->Limited &&
        (sample.QuotaCores < 0 || quota->cores() < sample.QuotaCores)) {
      sample.QuotaCores = quota->cores();
      quotaDir = dir;
    }
  }
  if (quotaDir.empty() || sample.QuotaCores <= 0) {
    PrevUsageUs.reset();
    return sample;
  }

  ReadResult cpuStat = files.read(joinRoot(root, quotaDir + "/cpu.stat"));
  std::optional<uint64_t> usage;
  if (!cpuStat.ok()) {
    addNote(sample.Note, cpuStat.Error);
  } else if (Expected<uint64_t> parsed = parseCgroupCpuStatUsage(cpuStat.Text);
             !parsed.ok()) {
    addNote(sample.Note, quotaDir + "/" + parsed.status().message());
  } else {
    usage = *parsed;
  }
  if (usage && PrevUsageUs && PrevUsageDir == quotaDir && nowNs > PrevUsageNs &&
      *usage >= *PrevUsageUs) {
    double wallUs = static_cast<double>(nowNs - PrevUsageNs) / 1000.0;
    double used = static_cast<double>(*usage - *PrevUsageUs);
    sample.CgroupUtilization =
        std::clamp(used / (wallUs * sample.QuotaCores), 0.0, 1.0);
  }
  PrevUsageUs = usage;
  PrevUsageDir = quotaDir;
  PrevUsageNs = nowNs;
  return sample;
}

void CpuMonitor::reset() {
  Prev.reset();
  PrevUsageUs.reset();
  PrevUsageDir.clear();
  PrevUsageNs = 0;
}

} // namespace agn::rt
