//===- BufferCache.cpp - Reused buffers for compiled models ---------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "BufferCache.h"

#include "agn-c/Runtime.h"

#include <cstdlib>
#include <malloc.h>

using namespace agn::rt;

BufferCache::BufferCache(size_t capacity) : capacity(capacity) {}

BufferCache::~BufferCache() { clear(); }

void *BufferCache::allocate(size_t size) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto usable = usableSizes.find(size);
    if (usable != usableSizes.end()) {
      auto cached = buffers.find(usable->second);
      if (cached != buffers.end() && !cached->second.empty()) {
        void *buffer = cached->second.back();
        cached->second.pop_back();
        cachedBytes -= usable->second;
        return buffer;
      }
    }
  }
  void *buffer = std::malloc(size);
  if (!buffer)
    return nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  usableSizes.emplace(size, malloc_usable_size(buffer));
  return buffer;
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
  std::unordered_map<size_t, std::vector<void *>> released;
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
