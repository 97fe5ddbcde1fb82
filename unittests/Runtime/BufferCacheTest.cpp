//===- BufferCacheTest.cpp - Reused buffers for compiled models -----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "BufferCache.h"

#include "agn-c/Runtime.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <vector>

using namespace agn::rt;

namespace {

constexpr size_t MiB = size_t(1) << 20;

TEST(BufferCacheTest, ReusesAFreedBufferForTheSameSize) {
  BufferCache cache(64 * MiB);
  void *first = cache.allocate(3 * MiB);
  ASSERT_NE(first, nullptr);
  std::memset(first, 1, 3 * MiB);
  cache.release(first);
  EXPECT_EQ(cache.getCachedBytes(), malloc_usable_size(first));
  // The next call of a model asks for the same sizes in the same order.
  void *second = cache.allocate(3 * MiB);
  EXPECT_EQ(second, first);
  EXPECT_EQ(cache.getCachedBytes(), 0u);
  cache.release(second);
}

// The soak (python -m agn.testing.soak) found the cache filling to its
// capacity: a buffer was filed under its usable size but looked up under the
// usable size its request size got the first time, which glibc does not keep
// (4096 bytes come back with 4104 or 4120 usable). Any cached buffer that
// fits serves a request.
TEST(BufferCacheTest, ServesARequestWithAnyBufferThatFits) {
  BufferCache cache(64 * MiB);
  cache.release(cache.allocate(4096));
  cache.clear();
  void *larger = std::malloc(4096 + 24);
  ASSERT_NE(larger, nullptr);
  cache.release(larger);
  EXPECT_EQ(cache.allocate(4096), larger);
  EXPECT_EQ(cache.getCachedBytes(), 0u);
  std::free(larger);
}

TEST(BufferCacheTest, StaysBoundedWhenTheSameSizesRepeat) {
  BufferCache cache(256 * MiB);
  const size_t sizes[] = {4096, 4096 + 8, 100000, 3 * MiB, 4096};
  size_t afterFirstCall = 0;
  for (int call = 0; call < 500; ++call) {
    std::vector<void *> live;
    for (size_t size : sizes)
      live.push_back(cache.allocate(size));
    for (void *buffer : live)
      cache.release(buffer);
    if (call == 0)
      afterFirstCall = cache.getCachedBytes();
  }
  EXPECT_EQ(cache.getCachedBytes(), afterFirstCall);
  cache.clear();
}

TEST(BufferCacheTest, KeepsLargeBuffersForLargeRequests) {
  BufferCache cache(64 * MiB);
  void *large = cache.allocate(1 * MiB);
  cache.release(large);
  void *small = cache.allocate(4096);
  EXPECT_NE(small, large);
  EXPECT_TRUE(fits(malloc_usable_size(small), 4096));
  EXPECT_FALSE(fits(1 * MiB, 4096));
  EXPECT_TRUE(fits(1 * MiB + 4096, 1 * MiB));
  cache.release(small);
}

TEST(BufferCacheTest, AnotherSizeGetsAnotherBuffer) {
  BufferCache cache(64 * MiB);
  void *small = cache.allocate(1 * MiB);
  cache.release(small);
  void *large = cache.allocate(2 * MiB);
  EXPECT_NE(large, small);
  ASSERT_GE(malloc_usable_size(large), 2 * MiB);
  std::memset(large, 0, 2 * MiB);
  cache.release(large);
}

TEST(BufferCacheTest, KeepsNoMoreThanItsCapacity) {
  BufferCache cache(3 * MiB);
  void *a = cache.allocate(2 * MiB);
  void *b = cache.allocate(2 * MiB);
  cache.release(a);
  // b does not fit next to a: freed, not kept.
  cache.release(b);
  EXPECT_EQ(cache.getCachedBytes(), malloc_usable_size(a));
  cache.clear();
  EXPECT_EQ(cache.getCachedBytes(), 0u);
}

TEST(BufferCacheTest, BuffersAreMallocs) {
  BufferCache cache(64 * MiB);
  // A caller may free() a result the model allocated...
  std::free(cache.allocate(MiB));
  // ... and the cache may take a buffer malloc made.
  void *foreign = std::malloc(MiB);
  cache.release(foreign);
  EXPECT_EQ(cache.getCachedBytes(), malloc_usable_size(foreign));
  cache.release(nullptr);
}

TEST(BufferCacheTest, GeneratedCodeReachesTheProcessCache) {
  agn_rt_release_cached_buffers();
  void *buffer = _mlir_memref_to_llvm_alloc(5 * MiB);
  ASSERT_NE(buffer, nullptr);
  _mlir_memref_to_llvm_free(buffer);
  EXPECT_GE(agn_rt_cached_buffer_bytes(), 5 * MiB);
  EXPECT_EQ(_mlir_memref_to_llvm_alloc(5 * MiB), buffer);
  _mlir_memref_to_llvm_free(buffer);
  agn_rt_release_cached_buffers();
  EXPECT_EQ(agn_rt_cached_buffer_bytes(), 0u);
}

} // namespace
