//===- BufferCache.h - Reused buffers for compiled models -------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A compiled model allocates its intermediate buffers on every call and frees
// them before it returns, in the same order each call. Left to malloc, the
// large ones go back to the system (glibc trims the top of the heap and
// unmaps big chunks), and the next call page-faults them in again: on
// resnet18, 830k page faults in 40 calls instead of 360k, a third of the run
// time, depending on what else the process allocated before. The
// BufferCache keeps freed buffers, by size, for the next allocation of that
// size.
//
// Generated code reaches it through MLIR's generic allocation functions
// (agn-lower-to-llvm-pipeline{cache-buffers=true}, the default):
// `_mlir_memref_to_llvm_alloc` and `_mlir_memref_to_llvm_free`, which
// libagn_runtime.so exports. Every buffer comes from malloc, so a caller may
// still release a result with free(); the cache keys buffers by
// malloc_usable_size, which a buffer knows whoever frees it.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_BUFFERCACHE_H
#define AGN_LIB_RUNTIME_BUFFERCACHE_H

#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace agn::rt {

/// Freed buffers kept for reuse, up to a number of bytes. Thread-safe.
class BufferCache {
public:
  /// Keeps at most `capacity` bytes of freed buffers.
  explicit BufferCache(size_t capacity);
  ~BufferCache();

  /// Returns a buffer of at least `size` bytes (malloc's alignment): a cached
  /// one of the size malloc gave this request before, else a new one. Null
  /// when malloc fails.
  void *allocate(size_t size);
  /// Keeps `buffer` (from allocate() or malloc) for reuse, or frees it when
  /// the cache is full. Null is ignored.
  void release(void *buffer);
  /// Frees every cached buffer.
  void clear();

  /// Bytes of buffers held for reuse.
  size_t getCachedBytes() const;

private:
  mutable std::mutex mutex;
  size_t capacity;
  size_t cachedBytes = 0;
  /// Cached buffers by usable size.
  std::unordered_map<size_t, std::vector<void *>> buffers;
  /// The usable size malloc gave each requested size.
  std::unordered_map<size_t, size_t> usableSizes;
};

/// The process's cache, behind the generic allocation functions.
BufferCache &getBufferCache();

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_BUFFERCACHE_H
