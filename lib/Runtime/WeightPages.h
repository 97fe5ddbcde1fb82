//===- WeightPages.h - Where a unit's per-level weights lie -----*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A compiled model keeps one copy of each unit's weights per level. The
// generated code tells the runtime where each copy lies
// (agn_rt_register_weights); while a memory budget holds a unit below a
// level, the runtime hands that level's pages back to the OS with
// madvise(MADV_DONTNEED), and the next call that runs the level reads them
// back.
//
// That is only correct for pages whose contents the kernel can restore: those
// of read-only, file-backed mappings that hold no private copy of a page:
// shared ones (the JIT's weight file), and private ones whose anonymous size
// in /proc/self/smaps is zero (a library's .rodata, as agn-aot builds put
// the weights). A private mapping with anonymous pages (a library's RELRO:
// relocated pointers, made read-only after loading) does not qualify:
// MADV_DONTNEED would revert those pages to the file's unrelocated bytes. On
// anonymous memory it would replace the weights by zeros. So every span is
// checked against this process's mappings before it is released, and spans
// outside such mappings are never released.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_WEIGHTPAGES_H
#define AGN_LIB_RUNTIME_WEIGHTPAGES_H

#include <cstdint>
#include <string>
#include <vector>

namespace agn::rt {

/// A half-open address range [Begin, End).
struct AddressRange {
  uintptr_t Begin = 0;
  uintptr_t End = 0;
  bool operator==(const AddressRange &other) const {
    return Begin == other.Begin && End == other.End;
  }
};

/// One line of /proc/self/maps, as far as releasing pages needs it.
struct Mapping {
  AddressRange Range;
  bool Writable = false;
  /// Backed by a file (inode != 0): its pages can be read back.
  bool FileBacked = false;
  /// MAP_SHARED: no page of it is a private copy. A private mapping that is
  /// read-only now may still hold copies written before (the RELRO part of a
  /// shared library: relocated pointers, made read-only after loading), which
  /// MADV_DONTNEED would revert to the file's unrelocated bytes.
  bool Shared = false;
  /// From /proc/<pid>/smaps only: the mapping's "Anonymous:" size is zero,
  /// so a private mapping holds no page that is not the file's.
  bool NoAnonymousPages = false;
  /// What the mapping maps: the file's device and inode, and the offset.
  uint64_t Device = 0;
  uint64_t Inode = 0;
  uint64_t Offset = 0;
};

/// What smaps said of private, read-only file mappings, kept across release
/// rounds: reading /proc/self/smaps costs milliseconds in a process with
/// many mappings (the kernel counts every mapping's pages). A mapping that
/// stays read-only cannot gain a private page (short of a debugger's
/// writes), and one made writable is refused anyway; a mapping replaced by
/// another of the same file and offset holds none either.
class PrivateMappingVerdicts {
public:
  /// Sets NoAnonymousPages on the mappings of \p mappings whose verdict is
  /// known. \returns true if some private, read-only file mapping that
  /// \p ranges touch has none yet (readOwnMappings(true) would tell).
  bool apply(std::vector<Mapping> &mappings,
             const std::vector<AddressRange> &ranges) const;
  /// Remembers the verdicts of the private, read-only file mappings of
  /// \p smapsMappings (from readOwnMappings(true)).
  void remember(const std::vector<Mapping> &smapsMappings);

private:
  struct Verdict {
    Mapping Of;
    bool Clean;
  };
  std::vector<Verdict> Verdicts;
};

/// Parses the text of /proc/<pid>/maps, or of /proc/<pid>/smaps (whose
/// "Anonymous:" lines set NoAnonymousPages); malformed lines are skipped.
std::vector<Mapping> parseMappings(const std::string &text);

/// Reads and parses /proc/self/maps, or with \p withAnonymous the slower
/// /proc/self/smaps (the kernel counts every mapping's pages), which private
/// mappings need to qualify (empty if it cannot be read).
std::vector<Mapping> readOwnMappings(bool withAnonymous = false);

/// True if every byte of \p range lies in read-only, file-backed mappings of
/// \p mappings (sorted by address, as the kernel lists them) that are shared
/// or hold no anonymous page.
bool isReleasable(AddressRange range, const std::vector<Mapping> &mappings);

/// True if some byte of \p ranges lies in a private, read-only, file-backed
/// mapping of \p mappings: one whose release needs readOwnMappings(true).
bool touchesPrivateFileMappings(const std::vector<AddressRange> &ranges,
                                const std::vector<Mapping> &mappings);

/// The union of \p ranges, sorted, with ranges closer than \p pageSize
/// merged (the alignment padding between the tensors of one level).
std::vector<AddressRange> mergeRanges(std::vector<AddressRange> ranges,
                                      uintptr_t pageSize);

/// The bytes of the pages of \p range that are mapped into this process now,
/// from /proc/self/pagemap; -1 if that cannot be read.
int64_t residentBytes(AddressRange range);

/// The weight tensors of one unit at one level.
class LevelWeights {
public:
  /// Adds a tensor; adding the same range again changes nothing.
  void add(AddressRange range);
  /// Removes the tensors that lie within \p range; returns how many.
  uint64_t forget(AddressRange range);

  /// Bytes of all tensors added.
  uint64_t bytes() const { return Bytes; }
  const std::vector<AddressRange> &ranges() const { return Ranges; }

private:
  std::vector<AddressRange> Ranges;
  uint64_t Bytes = 0;
};

/// Linux's fault-around window: a fault in a file mapping also maps the
/// file's cached pages within the aligned 64 KiB around it. agn-place-level-
/// weights starts every level of a page or more at such a boundary, so that
/// touching one level maps none of another's.
constexpr uintptr_t kFaultAroundBytes = 65536;

/// Releases the pages of \p ranges with MADV_DONTNEED: for each merged span
/// (see mergeRanges), from its first whole page to the end of its
/// fault-around window within its mapping. What lies after a level's last
/// byte there is the alignment padding before the next level, or constants
/// that their next use reads back. Spans that are not releasable (see
/// isReleasable) are left alone. Returns the bytes released.
uint64_t releasePages(const std::vector<AddressRange> &ranges,
                      const std::vector<Mapping> &mappings);

/// The system's page size.
uintptr_t pageSize();

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_WEIGHTPAGES_H
