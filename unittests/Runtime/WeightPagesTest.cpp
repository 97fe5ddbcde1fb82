//===- WeightPagesTest.cpp - Handing weight pages back to the OS ----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "WeightPages.h"

#include "TestSupport.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

using namespace agn::rt;
using namespace agn::rt::test;

namespace {

TEST(WeightPagesTest, ParsesMappings) {
  std::vector<Mapping> mappings = parseMappings(
      "7f0000000000-7f0000010000 r--p 00000000 fd:01 1234   /usr/lib/x.so\n"
      "7f0000010000-7f0000020000 rw-p 00000000 00:00 0 \n"
      "7f0000020000-7f0000030000 r--s 00000000 fd:01 99 /var/tmp/#9 (deleted)\n"
      "garbage line\n"
      "7f0000040000-7f0000030000 r--p 00000000 fd:01 1 /backwards\n");
  ASSERT_EQ(mappings.size(), 3u);
  EXPECT_EQ(mappings[0].Range.Begin, 0x7f0000000000u);
  EXPECT_EQ(mappings[0].Range.End, 0x7f0000010000u);
  EXPECT_TRUE(mappings[0].FileBacked);
  EXPECT_FALSE(mappings[0].Writable);
  EXPECT_FALSE(mappings[0].Shared);
  EXPECT_TRUE(mappings[2].Shared);
  EXPECT_FALSE(mappings[1].FileBacked);
  EXPECT_TRUE(mappings[1].Writable);
  EXPECT_TRUE(mappings[2].FileBacked);
  EXPECT_FALSE(mappings[2].Writable);
}

TEST(WeightPagesTest, OnlyReadOnlyFileMappingsAreReleasable) {
  std::vector<Mapping> mappings = {
      {{0x10000, 0x20000},
       /*Writable=*/false,
       /*FileBacked=*/true,
       /*Shared=*/true},
      {{0x20000, 0x30000}, false, true, true},
      {{0x40000, 0x50000}, false, true, true},
      {{0x50000, 0x60000}, true, true, true},
      {{0x60000, 0x70000}, false, false, true},
      // A library's RELRO: read-only now, private copies inside.
      {{0x70000, 0x80000}, false, true, false},
  };
  // Across two adjacent read-only file mappings.
  EXPECT_TRUE(isReleasable({0x18000, 0x28000}, mappings));
  // Into the gap after them.
  EXPECT_FALSE(isReleasable({0x28000, 0x41000}, mappings));
  // Writable, anonymous, unmapped.
  EXPECT_FALSE(isReleasable({0x50000, 0x51000}, mappings));
  EXPECT_FALSE(isReleasable({0x60000, 0x61000}, mappings));
  EXPECT_FALSE(isReleasable({0x70000, 0x71000}, mappings));
  EXPECT_FALSE(isReleasable({0x90000, 0x91000}, mappings));
}

TEST(WeightPagesTest, PrivateMappingsQualifyOnlyWithoutAnonymousPages) {
  // smaps: each header's "Anonymous:" line says whether the mapping holds
  // pages that are not the file's.
  std::vector<Mapping> mappings = parseMappings(
      "7f0000000000-7f0000010000 r--p 00000000 fd:01 11 /lib/weights.so\n"
      "Size:                 64 kB\n"
      "Anonymous:             0 kB\n"
      "VmFlags: rd mr mw me\n"
      "7f0000010000-7f0000020000 r--p 00010000 fd:01 11 /lib/weights.so\n"
      "Anonymous:             8 kB\n"
      "garbage line\n"
      "Anonymous:             0 kB\n"
      "7f0000020000-7f0000030000 r--p 00020000 fd:01 11 /lib/weights.so\n");
  ASSERT_EQ(mappings.size(), 3u);
  EXPECT_TRUE(mappings[0].NoAnonymousPages);
  EXPECT_FALSE(mappings[1].NoAnonymousPages);
  // An "Anonymous:" line after a malformed header belongs to no mapping.
  EXPECT_FALSE(mappings[2].NoAnonymousPages);
  EXPECT_TRUE(isReleasable({0x7f0000000000, 0x7f0000008000}, mappings));
  // A RELRO-like mapping, and one smaps said nothing of (maps only).
  EXPECT_FALSE(isReleasable({0x7f0000010000, 0x7f0000011000}, mappings));
  EXPECT_FALSE(isReleasable({0x7f0000020000, 0x7f0000021000}, mappings));
  EXPECT_TRUE(
      touchesPrivateFileMappings({{0x7f0000000100, 0x7f0000000200}}, mappings));
  EXPECT_FALSE(touchesPrivateFileMappings({{0x10, 0x20}}, mappings));
}

TEST(WeightPagesTest, RemembersWhatSmapsSaidOfPrivateMappings) {
  const char *header =
      "7f0000000000-7f0000010000 r--p 00000000 fd:01 11 /lib/weights.so\n";
  std::vector<Mapping> smaps =
      parseMappings(std::string(header) + "Anonymous:             0 kB\n");
  std::vector<AddressRange> ranges = {{0x7f0000001000, 0x7f0000002000}};
  PrivateMappingVerdicts verdicts;
  std::vector<Mapping> maps = parseMappings(header);
  EXPECT_TRUE(verdicts.apply(maps, ranges));
  EXPECT_FALSE(maps[0].NoAnonymousPages);
  verdicts.remember(smaps);
  // Known now: maps alone will do at the next round.
  EXPECT_FALSE(verdicts.apply(maps, ranges));
  EXPECT_TRUE(maps[0].NoAnonymousPages);
  EXPECT_TRUE(isReleasable(ranges[0], maps));
  // Another file at the same addresses is not the same mapping.
  std::vector<Mapping> other = parseMappings(
      "7f0000000000-7f0000010000 r--p 00000000 fd:01 12 /lib/other.so\n");
  EXPECT_TRUE(verdicts.apply(other, ranges));
  EXPECT_FALSE(other[0].NoAnonymousPages);
}

TEST(WeightPagesTest, MergesRangesCloserThanAPage) {
  // Two tensors 64 bytes apart form one span; a far one stays apart; an
  // empty one goes.
  std::vector<AddressRange> spans = mergeRanges(
      {{0x30010, 0x33000}, {0x12080, 0x14010}, {0x10000, 0x12040}, {5, 5}},
      0x1000);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0], (AddressRange{0x10000, 0x14010}));
  EXPECT_EQ(spans[1], (AddressRange{0x30010, 0x33000}));
}

/// A read-only mapping of an unnamed file holding \p size bytes of a known
/// pattern: shared, as agn's JIT maps its constants, or private, as a shared
/// library's .rodata (agn-aot's weights) is mapped.
struct FileMapping {
  explicit FileMapping(size_t size, bool shared = true) : Size(size) {
    const char *dir = std::getenv("TMPDIR");
    int fd = open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR, 0600);
    if (fd < 0)
      return;
    std::vector<unsigned char> bytes(size);
    for (size_t i = 0; i < size; ++i)
      bytes[i] = static_cast<unsigned char>(i * 7 + 1);
    if (write(fd, bytes.data(), size) == static_cast<ssize_t>(size)) {
      void *base = mmap(nullptr, size, PROT_READ,
                        shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
      if (base != MAP_FAILED) {
        Data = static_cast<unsigned char *>(base);
        // Every page in, as loading brings them.
        volatile unsigned char sink = 0;
        for (size_t i = 0; i < size; i += 4096)
          sink = sink + Data[i];
      }
    }
    close(fd);
  }
  ~FileMapping() {
    if (Data)
      munmap(Data, Size);
  }
  AddressRange range() const {
    return {reinterpret_cast<uintptr_t>(Data),
            reinterpret_cast<uintptr_t>(Data) + Size};
  }
  bool intact() const {
    for (size_t i = 0; i < Size; ++i)
      if (Data[i] != static_cast<unsigned char>(i * 7 + 1))
        return false;
    return true;
  }
  size_t Size;
  unsigned char *Data = nullptr;
};

TEST(WeightPagesTest, ReleasesFilePagesAndReadsThemBack) {
  FileMapping weights(256 * 1024);
  ASSERT_NE(weights.Data, nullptr) << "cannot map a temporary file";
  EXPECT_EQ(residentBytes(weights.range()), 256 * 1024);

  uint64_t released = releasePages({weights.range()}, readOwnMappings());
  EXPECT_EQ(released, 256u * 1024);
  EXPECT_EQ(residentBytes(weights.range()), 0);

  // The next reads get the same bytes, from the file.
  EXPECT_TRUE(weights.intact());
  EXPECT_EQ(residentBytes(weights.range()), 256 * 1024);
}

TEST(WeightPagesTest, ReleasesCleanPrivateFilePagesWithSmaps) {
  FileMapping weights(128 * 1024, /*shared=*/false);
  ASSERT_NE(weights.Data, nullptr) << "cannot map a temporary file";
  ASSERT_TRUE(weights.intact()); // faults every page in
  EXPECT_EQ(residentBytes(weights.range()), 128 * 1024);
  // /proc/self/maps alone cannot tell it from a RELRO: left alone.
  EXPECT_EQ(releasePages({weights.range()}, readOwnMappings()), 0u);
  EXPECT_TRUE(touchesPrivateFileMappings({weights.range()}, readOwnMappings()));
  // smaps says no page is anonymous: released, and read back intact.
  EXPECT_EQ(releasePages({weights.range()}, readOwnMappings(true)),
            128u * 1024);
  EXPECT_EQ(residentBytes(weights.range()), 0);
  EXPECT_TRUE(weights.intact());
}

TEST(WeightPagesTest, NeverReleasesPrivatePagesWrittenBefore) {
  // As the loader leaves a RELRO: written through a private mapping, then
  // made read-only. MADV_DONTNEED would bring back the file's bytes.
  FileMapping weights(64 * 1024, /*shared=*/false);
  ASSERT_NE(weights.Data, nullptr);
  ASSERT_EQ(mprotect(weights.Data, weights.Size, PROT_READ | PROT_WRITE), 0);
  weights.Data[100] = 0xee;
  ASSERT_EQ(mprotect(weights.Data, weights.Size, PROT_READ), 0);
  EXPECT_EQ(releasePages({weights.range()}, readOwnMappings(true)), 0u);
  EXPECT_EQ(weights.Data[100], 0xee);
}

TEST(WeightPagesTest, NeverReleasesAnonymousMemory) {
  // MADV_DONTNEED would turn these into zeros.
  size_t size = 64 * 1024;
  void *base = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(base, MAP_FAILED);
  std::memset(base, 0x5a, size);
  AddressRange range{reinterpret_cast<uintptr_t>(base),
                     reinterpret_cast<uintptr_t>(base) + size};
  EXPECT_EQ(releasePages({range}, readOwnMappings()), 0u);
  EXPECT_EQ(static_cast<unsigned char *>(base)[size / 2], 0x5a);
  munmap(base, size);
}

/// A manager's unit "fc" with levels i8 (1) and f32 (4) whose weights lie
/// in two file mappings (8000 and 32000 bytes by its cost table).
struct TwoLevelUnit {
  TwoLevelUnit(size_t i8Bytes, size_t f32Bytes, bool shared = true)
      : Unit(M.addUnit("fc", {1, 4}, 1)), I8(i8Bytes, shared),
        F32(f32Bytes, shared) {}
  /// Registers both levels' weights; false if a mapping or a registration
  /// failed.
  bool registerWeights() {
    return I8.Data && F32.Data &&
           M->registerWeights(Unit, 1, I8.Data, I8.Size).ok() &&
           M->registerWeights(Unit, 4, F32.Data, F32.Size).ok();
  }
  TestManager M;
  int64_t Unit;
  FileMapping I8, F32;
};

TEST(WeightPagesTest, ManagerReleasesLevelsABudgetRulesOut) {
  TwoLevelUnit fc(64 * 1024, 128 * 1024);
  TestManager &m = fc.M;
  int64_t unit = fc.Unit;
  FileMapping &i8 = fc.I8, &f32 = fc.F32;
  ASSERT_TRUE(fc.registerWeights());
  // Registered twice: counted once.
  EXPECT_TRUE(m->registerWeights(unit, 4, f32.Data, f32.Size).ok());
  ManagerSnapshot s = m->snapshot();
  EXPECT_EQ(s.Units[unit].PlacedBytes[1], 64u * 1024);
  EXPECT_EQ(s.Units[unit].PlacedBytes[4], 128u * 1024);

  // Registration leaves only the level the unit runs at resident.
  EXPECT_EQ(residentBytes(i8.range()), 0);
  EXPECT_EQ(residentBytes(f32.range()), 128 * 1024);

  // A budget that only fits i8: f32 goes; i8 comes back when used.
  m.set("memory_budget", "10000B");
  EXPECT_EQ(residentBytes(f32.range()), 0);
  EXPECT_EQ(m->snapshot().Units[unit].Released, 1u << 4 | 1u << 1);
  EXPECT_EQ(m->arbitrate(unit, 4, 1.0f), 1);
  EXPECT_TRUE(i8.intact());
  m->applySample(emptySample());
  EXPECT_EQ(residentBytes(i8.range()), 64 * 1024);
  EXPECT_EQ(m->snapshot().Units[unit].Released, 1u << 4);

  // Lifted: nothing is released, and f32 comes back on use, intact.
  m.set("memory_budget", "off");
  EXPECT_EQ(m->snapshot().Units[unit].Released, 1u << 4);
  EXPECT_EQ(m->arbitrate(unit, 4, 1.0f), 4);
  EXPECT_TRUE(f32.intact());
  m->applySample(emptySample());
  EXPECT_EQ(m->snapshot().Units[unit].Released, 0u);
  EXPECT_EQ(residentBytes(f32.range()), 128 * 1024);
}

TEST(WeightPagesTest, ManagerReleasesAgainPagesThatCameBack) {
  TwoLevelUnit fc(64 * 1024, 128 * 1024);
  TestManager &m = fc.M;
  int64_t unit = fc.Unit;
  FileMapping &f32 = fc.F32;
  ASSERT_TRUE(fc.registerWeights());
  m.set("memory_budget", "10000B");
  EXPECT_EQ(m->arbitrate(unit, 4, 1.0f), 1);
  m->applySample(emptySample());
  ASSERT_EQ(residentBytes(f32.range()), 0);
  // f32's pages come back without a call at f32 (as a neighbour's fault
  // maps a whole page-cache folio): the next round hands them back again.
  EXPECT_TRUE(f32.intact());
  EXPECT_EQ(residentBytes(f32.range()), 128 * 1024);
  EXPECT_EQ(m->arbitrate(unit, 4, 1.0f), 1);
  m->applySample(emptySample());
  EXPECT_EQ(residentBytes(f32.range()), 0);
  EXPECT_EQ(m->snapshot().Units[unit].Released, 1u << 4);
}

TEST(WeightPagesTest, ManagerReleasesALibraryLevelAtTheNextRound) {
  TwoLevelUnit fc(64 * 1024, 64 * 1024, /*shared=*/false);
  TestManager &m = fc.M;
  int64_t unit = fc.Unit;
  FileMapping &i8 = fc.I8, &f32 = fc.F32;
  // Resident before registration, as loading leaves a library.
  ASSERT_TRUE(i8.Data && f32.Data && i8.intact() && f32.intact());
  ASSERT_TRUE(fc.registerWeights());
  // Registration defers the private mapping's release to one smaps read.
  EXPECT_EQ(residentBytes(i8.range()), 64 * 1024);
  m->applySample(emptySample());
  EXPECT_EQ(residentBytes(i8.range()), 0);
  EXPECT_EQ(residentBytes(f32.range()), 64 * 1024);
  EXPECT_EQ(m->snapshot().Units[unit].Released, 1u << 1);
  EXPECT_TRUE(i8.intact());
}

TEST(WeightPagesTest, ForgetsTheWeightsOfUnmappedMemory) {
  TestManager m;
  int64_t unit = m.addUnit("fc", {1, 4}, 1);
  FileMapping i8(64 * 1024), f32(128 * 1024);
  ASSERT_NE(i8.Data, nullptr);
  ASSERT_NE(f32.Data, nullptr);
  ASSERT_TRUE(m->registerWeights(unit, 1, i8.Data, i8.Size).ok());
  ASSERT_TRUE(m->registerWeights(unit, 4, f32.Data, 4096).ok());
  ASSERT_TRUE(m->registerWeights(unit, 4, f32.Data + 8192, 4096).ok());
  // A block holding i8's tensor and the first f32 one, not the second.
  EXPECT_EQ(m->forgetWeights(f32.Data, 8192), 1u);
  EXPECT_EQ(m->forgetWeights(i8.Data, i8.Size), 1u);
  EXPECT_TRUE(m->weightRanges(unit, 1).empty());
  ASSERT_EQ(m->weightRanges(unit, 4).size(), 1u);
  EXPECT_EQ(m->snapshot().Units[unit].PlacedBytes[4], 4096u);
  EXPECT_EQ(m->forgetWeights(i8.Data, i8.Size), 0u);
}

TEST(WeightPagesTest, RejectsBadRegistrations) {
  TestManager m;
  int64_t unit = m.addUnit("fc", {1, 4}, 1);
  std::vector<char> heap(64);
  const char *data = heap.data();
  EXPECT_EQ(m->registerWeights(unit, 2, data, 64).code(),
            AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(m->registerWeights(unit, 7, data, 64).code(),
            AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(m->registerWeights(unit, 1, nullptr, 64).code(),
            AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(m->registerWeights(unit, 1, data, 0).code(),
            AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(m->registerWeights(5, 1, data, 64).code(), AGN_RT_ERR_UNKNOWN_UNIT);
  // Not file-backed: registered, never released.
  EXPECT_TRUE(m->registerWeights(unit, 1, data, 64).ok());
}

} // namespace
