//===- BufferCache.cpp - Reused buffers for compiled models ---------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "BufferCache.h"

#include "agn-c/Runtime.h"

#include <algorithm>
#include <cstdlib>
#include <malloc.h>

using namespace agn::rt;

BufferCache::BufferCache(size_t capacity) : capacity(capacity) {}

BufferCache::~BufferCache() { clear(); }

bool agn::rt::fits(size_t usable, size_t size) {
  size_t slack = std::max<size_t>(size / 8, 4096);
  return usable >= size && usable - size <= slack;
}

void *BufferCache::allocate(size_t size) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto cached = buffers.lower_bound(size);
    if (cached != buffers.end() && fits(cached->first, size)) {
      void *buffer = cached->second.back();
      cached->second.pop_back();
      cachedBytes -= cached->first;
      if (cached->second.empty())
        buffers.erase(cached);
      return buffer;
    }
  }
  return std::malloc(size);
}

void BufferCache::release(void *buffer) {
  if (!buffer)
    return;
  size_t usable = malloc_usable_size(buffer);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (cachedBytes + usable <= capacity) {
      buffers[usable].push_back(buffer);
      cachedBytes += usable;
      return;
    }
  }
  std::free(buffer);
}

void BufferCache::clear() {
  std::map<size_t, std::vector<void *>> released;
  {
    std::lock_guard<std::mutex> lock(mutex);
    released.swap(buffers);
    cachedBytes = 0;
  }
  for (auto &[usable, list] : released)
    for (void *buffer : list)
      std::free(buffer);
}

size_t BufferCache::getCachedBytes() const {
  std::lock_guard<std::mutex> lock(mutex);
  return cachedBytes;
}

BufferCache &agn::rt::getBufferCache() {
  // Never destroyed: generated code may free buffers during exit, after
  // static destructors ran.
  static BufferCache *cache = new BufferCache(AGN_RT_BUFFER_CACHE_BYTES);
  return *cache;
}

extern "C" {

AGN_RT_API void *_mlir_memref_to_llvm_alloc(size_t size) {
  return getBufferCache().allocate(size);
}

AGN_RT_API void _mlir_memref_to_llvm_free(void *buffer) {
  getBufferCache().release(buffer);
}

AGN_RT_API void agn_rt_release_cached_buffers(void) {
  getBufferCache().clear();
}

AGN_RT_API uint64_t agn_rt_cached_buffer_bytes(void) {
  return getBufferCache().getCachedBytes();
}

} // extern "C"
