//===- WeightPages.cpp - Where a unit's per-level weights lie -------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "WeightPages.h"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace agn::rt {

uintptr_t pageSize() {
  static const uintptr_t size = [] {
    long value = sysconf(_SC_PAGESIZE);
    return value > 0 ? static_cast<uintptr_t>(value) : uintptr_t{4096};
  }();
  return size;
}

/// Parses one hexadecimal or decimal field at \p *cursor and advances past
/// it; false if there is none.
static bool parseNumber(const char **cursor, int base, uint64_t &value) {
  char *end = nullptr;
  errno = 0;
  unsigned long long parsed = std::strtoull(*cursor, &end, base);
  if (end == *cursor || errno != 0)
    return false;
  value = parsed;
  *cursor = end;
  return true;
}

/// Parses "begin-end perms offset dev inode [path]".
static bool parseMapping(const std::string &line, Mapping &mapping) {
  const char *cursor = line.c_str();
  uint64_t begin = 0, end = 0, offset = 0, inode = 0;
  if (!parseNumber(&cursor, 16, begin) || *cursor++ != '-' ||
      !parseNumber(&cursor, 16, end) || *cursor++ != ' ')
    return false;
  // perms: "rwxp" or "r--s".
  if (std::string(cursor).size() < 5 || cursor[4] != ' ')
    return false;
  mapping.Writable = cursor[1] == 'w';
  mapping.Shared = cursor[3] == 's';
  cursor += 5;
  // dev is "major:minor" in hexadecimal.
  uint64_t major = 0, minor = 0;
  if (!parseNumber(&cursor, 16, offset) || *cursor++ != ' ' ||
      !parseNumber(&cursor, 16, major) || *cursor++ != ':' ||
      !parseNumber(&cursor, 16, minor) || *cursor++ != ' ' ||
      !parseNumber(&cursor, 10, inode))
    return false;
  if (end <= begin)
    return false;
  mapping.Range = {static_cast<uintptr_t>(begin), static_cast<uintptr_t>(end)};
  mapping.FileBacked = inode != 0;
  mapping.Device = major << 32 | minor;
  mapping.Inode = inode;
  mapping.Offset = offset;
  return true;
}

/// Parses smaps' "Anonymous: <n> kB" line into \p kilobytes.
static bool parseAnonymous(const std::string &line, uint64_t &kilobytes) {
  static constexpr char kKey[] = "Anonymous:";
  if (line.compare(0, sizeof(kKey) - 1, kKey) != 0)
    return false;
  const char *cursor = line.c_str() + sizeof(kKey) - 1;
  while (*cursor == ' ')
    ++cursor;
  return parseNumber(&cursor, 10, kilobytes);
}

std::vector<Mapping> parseMappings(const std::string &text) {
  std::vector<Mapping> mappings;
  // smaps: the attribute lines after a header belong to its mapping (after
  // a malformed header, to none).
  bool inMapping = false;
  size_t start = 0;
  while (start < text.size()) {
    size_t newline = text.find('\n', start);
    if (newline == std::string::npos)
      newline = text.size();
    std::string line = text.substr(start, newline - start);
    start = newline + 1;
    Mapping mapping;
    uint64_t anonymous = 0;
    if (parseMapping(line, mapping)) {
      mappings.push_back(mapping);
      inMapping = true;
    } else if (inMapping && parseAnonymous(line, anonymous)) {
      mappings.back().NoAnonymousPages = anonymous == 0;
    } else if (line.find(':') == std::string::npos ||
               line.find(' ') < line.find(':')) {
      // Neither a header nor "Key: value": a malformed header.
      inMapping = false;
    }
  }
  return mappings;
}

std::vector<Mapping> readOwnMappings(bool withAnonymous) {
  // Not through the injectable FileReader: whether a page may be released
  // must be decided on this process's real mappings. No size cap either: a
  // process with many libraries has a long list.
  int fd = open(withAnonymous ? "/proc/self/smaps" : "/proc/self/maps",
                O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return {};
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      close(fd);
      return {};
    }
    if (n == 0)
      break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return parseMappings(text);
}

bool isReleasable(AddressRange range, const std::vector<Mapping> &mappings) {
  uintptr_t covered = range.Begin;
  for (const Mapping &mapping : mappings) {
    if (covered >= range.End)
      break;
    if (mapping.Range.End <= covered)
      continue;
    // A gap before this mapping, or a mapping whose pages cannot be read
    // back: not releasable.
    if (mapping.Range.Begin > covered || mapping.Writable ||
        !mapping.FileBacked || (!mapping.Shared && !mapping.NoAnonymousPages))
      return false;
    covered = mapping.Range.End;
  }
  return covered >= range.End;
}

/// True if \p mapping is private, read-only and file-backed: a library's.
static bool isPrivateFileMapping(const Mapping &mapping) {
  return !mapping.Writable && mapping.FileBacked && !mapping.Shared;
}

/// True if \p a and \p b map the same bytes of the same file at the same
/// addresses.
static bool isSameMapping(const Mapping &a, const Mapping &b) {
  return a.Range == b.Range && a.Device == b.Device && a.Inode == b.Inode &&
         a.Offset == b.Offset;
}

bool PrivateMappingVerdicts::apply(
    std::vector<Mapping> &mappings,
    const std::vector<AddressRange> &ranges) const {
  bool unknown = false;
  for (Mapping &mapping : mappings) {
    if (!isPrivateFileMapping(mapping))
      continue;
    auto known = std::find_if(Verdicts.begin(), Verdicts.end(),
                              [&](const Verdict &verdict) {
                                return isSameMapping(verdict.Of, mapping);
                              });
    if (known != Verdicts.end()) {
      mapping.NoAnonymousPages = known->Clean;
      continue;
    }
    for (const AddressRange &range : ranges)
      if (mapping.Range.Begin < range.End && range.Begin < mapping.Range.End)
        unknown = true;
  }
  return unknown;
}

void PrivateMappingVerdicts::remember(
    const std::vector<Mapping> &smapsMappings) {
  Verdicts.clear();
  for (const Mapping &mapping : smapsMappings)
    if (isPrivateFileMapping(mapping))
      Verdicts.push_back({mapping, mapping.NoAnonymousPages});
}

bool touchesPrivateFileMappings(const std::vector<AddressRange> &ranges,
                                const std::vector<Mapping> &mappings) {
  for (const AddressRange &range : ranges)
    for (const Mapping &mapping : mappings)
      if (mapping.Range.Begin < range.End && range.Begin < mapping.Range.End &&
          isPrivateFileMapping(mapping))
        return true;
  return false;
}

std::vector<AddressRange> mergeRanges(std::vector<AddressRange> ranges,
                                      uintptr_t page) {
  std::sort(ranges.begin(), ranges.end(),
            [](const AddressRange &a, const AddressRange &b) {
              return a.Begin < b.Begin;
            });
  std::vector<AddressRange> merged;
  for (const AddressRange &range : ranges) {
    if (range.End <= range.Begin)
      continue;
    if (!merged.empty() && range.Begin <= merged.back().End + page) {
      merged.back().End = std::max(merged.back().End, range.End);
      continue;
    }
    merged.push_back(range);
  }
  return merged;
}

int64_t residentBytes(AddressRange range) {
  uintptr_t page = pageSize();
  uintptr_t first = range.Begin / page;
  uintptr_t last = (range.End + page - 1) / page;
  if (first >= last)
    return 0;
  int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  // One 64-bit entry per page; bit 63: present in this process's page table.
  constexpr uint64_t kPresent = uint64_t{1} << 63;
  int64_t resident = 0;
  uint64_t entries[512];
  for (uintptr_t index = first; index < last;) {
    size_t count = std::min<uintptr_t>(last - index, 512);
    ssize_t n = pread(fd, entries, count * sizeof(uint64_t),
                      static_cast<off_t>(index * sizeof(uint64_t)));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      close(fd);
      return -1;
    }
    size_t read = static_cast<size_t>(n) / sizeof(uint64_t);
    for (size_t i = 0; i < read; ++i) {
      if (!(entries[i] & kPresent))
        continue;
      // Count only the part of the page inside the range.
      uintptr_t begin = std::max((index + i) * page, range.Begin);
      uintptr_t end = std::min((index + i + 1) * page, range.End);
      resident += static_cast<int64_t>(end - begin);
    }
    index += read;
  }
  close(fd);
  return resident;
}

void LevelWeights::add(AddressRange range) {
  if (range.End <= range.Begin ||
      std::find(Ranges.begin(), Ranges.end(), range) != Ranges.end())
    return;
  Ranges.push_back(range);
  Bytes += range.End - range.Begin;
}

uint64_t LevelWeights::forget(AddressRange range) {
  uint64_t forgotten = 0;
  for (size_t i = 0; i < Ranges.size();) {
    if (Ranges[i].Begin >= range.Begin && Ranges[i].End <= range.End) {
      Bytes -= Ranges[i].End - Ranges[i].Begin;
      Ranges.erase(Ranges.begin() + static_cast<std::ptrdiff_t>(i));
      ++forgotten;
    } else {
      ++i;
    }
  }
  return forgotten;
}

/// The pages to release for the merged span \p span: from its first whole
/// page to the end of its fault-around window, within the mapping that holds
/// its last byte (to its last whole page where no mapping holds it).
static AddressRange getReleaseSpan(AddressRange span, uintptr_t page,
                                   const std::vector<Mapping> &mappings) {
  AddressRange pages{(span.Begin + page - 1) / page * page,
                     span.End / page * page};
  uintptr_t window = (span.End + kFaultAroundBytes - 1) / kFaultAroundBytes *
                     kFaultAroundBytes;
  for (const Mapping &mapping : mappings)
    if (mapping.Range.Begin < span.End && span.End <= mapping.Range.End)
      pages.End = std::max(pages.End,
                           std::min(window, mapping.Range.End) / page * page);
  return pages;
}

uint64_t releasePages(const std::vector<AddressRange> &ranges,
                      const std::vector<Mapping> &mappings) {
  uint64_t released = 0;
  uintptr_t page = pageSize();
  for (const AddressRange &span : mergeRanges(ranges, page)) {
    AddressRange pages = getReleaseSpan(span, page, mappings);
    if (pages.Begin >= pages.End || !isReleasable(pages, mappings))
      continue;
    if (madvise(reinterpret_cast<void *>(pages.Begin), pages.End - pages.Begin,
                MADV_DONTNEED) == 0)
      released += pages.End - pages.Begin;
  }
  return released;
}

} // namespace agn::rt
