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
// of read-only, shared, file-backed mappings (the JIT's weight file). A
// library's .rodata is a private mapping, which may hold pages the loader
// wrote (RELRO), so it does not qualify. On anonymous memory MADV_DONTNEED
// would replace the weights by zeros, so every span is checked against
// /proc/self/maps before it is released, and spans outside such mappings are
// never released.
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
};

/// Parses the text of /proc/<pid>/maps; malformed lines are skipped.
std::vector<Mapping> parseMappings(const std::string &text);

/// Reads and parses /proc/self/maps (empty if it cannot be read).
std::vector<Mapping> readOwnMappings();

/// True if every byte of \p range lies in read-only, shared, file-backed
/// mappings of
/// \p mappings (sorted by address, as the kernel lists them).
bool isReleasable(AddressRange range, const std::vector<Mapping> &mappings);

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
