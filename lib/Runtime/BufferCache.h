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
// still release a result with free(). The cache files a freed buffer under
// its malloc_usable_size, which a buffer knows whoever frees it, and serves
// a request of n bytes with the smallest cached buffer of at least n usable
// bytes, if that wastes little (see fits()). It must not expect one request
// size to always come back with one usable size: glibc hands out a chunk a
// little larger than asked when the remainder is too small to split, so
// 4096 bytes come back as 4104 usable bytes one time and 4120 the next.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_BUFFERCACHE_H
#define AGN_LIB_RUNTIME_BUFFERCACHE_H

#include <cstddef>
#include <map>
#include <mutex>
#include <vector>

namespace agn::rt {

/// Freed buffers kept for reuse, up to a number of bytes. Thread-safe.
class BufferCache {
public:
  /// Keeps at most `capacity` bytes of freed buffers.
  explicit BufferCache(size_t capacity);
  ~BufferCache();

  /// Returns a buffer of at least `size` bytes (malloc's alignment): the
  /// smallest cached one that fits (see fits()), else a new one. Null when
  /// malloc fails.
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
  /// Cached buffers by usable size, smallest first.
  std::map<size_t, std::vector<void *>> buffers;
};

/// Whether a buffer of `usable` bytes may serve a request of `size` bytes:
/// it is large enough and wastes at most an eighth of the request or a page,
/// whichever is more (glibc rounds its mmapped chunks to pages), so that a
/// large buffer is not spent on a small request.
bool fits(size_t usable, size_t size);

/// The process's cache, behind the generic allocation functions.
BufferCache &getBufferCache();

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_BUFFERCACHE_H
