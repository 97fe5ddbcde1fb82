//===- FileBackedConstants.cpp - JIT constants in file pages --------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "FileBackedConstants.h"

#include "agn/ExecutionEngine/ExecutionEngine.h"

#include "llvm/Support/Memory.h"
#include "llvm/Support/Process.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

using namespace llvm;
using namespace mlir::agn::detail;

/// Opens an unnamed file for reading and writing in \p dir; -1 on failure.
static int openUnnamedFile(const std::string &dir) {
#ifdef O_TMPFILE
  int fd = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0)
    return fd;
#endif
  // Filesystems without O_TMPFILE: create, then unlink at once.
  std::string path = dir + "/agn-jit-constants-XXXXXX";
  int named = mkostemp(path.data(), O_CLOEXEC);
  if (named >= 0)
    unlink(path.c_str());
  return named;
}

/// Opens an unnamed file in the first usable directory (see the header).
static int openConstantsFile() {
  std::vector<std::string> dirs;
  if (const char *dir = std::getenv("AGN_JIT_CONSTANTS_DIR"); dir && *dir)
    dirs.push_back(dir);
  dirs.push_back("/var/tmp");
  if (const char *dir = std::getenv("TMPDIR"); dir && *dir)
    dirs.push_back(dir);
  dirs.push_back("/tmp");
  for (const std::string &dir : dirs)
    if (int fd = openUnnamedFile(dir); fd >= 0)
      return fd;
  return -1;
}

sys::MemoryBlock FileBackedConstantsMapper::allocateMappedMemory(
    SectionMemoryManager::AllocationPurpose purpose, size_t numBytes,
    const sys::MemoryBlock *const nearBlock, unsigned flags,
    std::error_code &ec) {
  auto anonymous = [&] {
    return sys::Memory::allocateMappedMemory(numBytes, nearBlock, flags, ec);
  };
  if (purpose != SectionMemoryManager::AllocationPurpose::ROData ||
      numBytes == 0)
    return anonymous();

  size_t page = sys::Process::getPageSizeEstimate();
  size_t size = (numBytes + page - 1) / page * page;
  int fd = openConstantsFile();
  if (fd < 0)
    return anonymous();
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    close(fd);
    return anonymous();
  }
  // Near the previous block, as LLVM's mapper places it: code reaches its
  // constants PC-relative, within +-2 GiB on x86-64.
  uintptr_t hint = 0;
  if (nearBlock) {
    hint = reinterpret_cast<uintptr_t>(nearBlock->base()) +
           nearBlock->allocatedSize();
    hint = (hint + page - 1) / page * page;
  }
  // Writable until the linker has filled it; protectMappedMemory then makes
  // it read-only.
  void *base = mmap(reinterpret_cast<void *>(hint), size,
                    PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (base == MAP_FAILED)
    return anonymous();
  ec = std::error_code();
  return sys::MemoryBlock(base, size);
}

std::error_code
FileBackedConstantsMapper::protectMappedMemory(const sys::MemoryBlock &block,
                                               unsigned flags) {
  return sys::Memory::protectMappedMemory(block, flags);
}

/// The observer of released blocks (setJitMemoryReleaseObserver).
static std::atomic<mlir::agn::JitMemoryReleaseObserver> releaseObserver{
    nullptr};

void mlir::agn::setJitMemoryReleaseObserver(JitMemoryReleaseObserver observer) {
  releaseObserver.store(observer, std::memory_order_release);
}

std::error_code
FileBackedConstantsMapper::releaseMappedMemory(sys::MemoryBlock &block) {
  if (JitMemoryReleaseObserver observer =
          releaseObserver.load(std::memory_order_acquire))
    observer(block.base(), block.allocatedSize());
  return sys::Memory::releaseMappedMemory(block);
}

FileBackedConstantsMapper &mlir::agn::detail::getFileBackedConstantsMapper() {
  // Never destroyed: engines owned by a language runtime (Python's objects)
  // may release their memory after static destructors ran.
  static FileBackedConstantsMapper *mapper = new FileBackedConstantsMapper();
  return *mapper;
}
