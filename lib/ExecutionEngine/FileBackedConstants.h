//===- FileBackedConstants.h - JIT constants in file pages ------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The JIT's read-only data (a model's weights, one copy per level) goes into
// pages of a file rather than anonymous memory, as a shared library's would:
// the runtime can then hand the pages of levels a memory budget rules out
// back to the OS (madvise MADV_DONTNEED), and the kernel reads them back from
// the file when a call needs them again. On anonymous memory the same advice
// would replace the weights with zeros, and without it the pages could only
// go to swap.
//
// The file is unnamed (O_TMPFILE, or created and unlinked at once) in
// $AGN_JIT_CONSTANTS_DIR, else /var/tmp (a disk-backed directory by
// convention, unlike /tmp, which is often tmpfs), else $TMPDIR or /tmp. It
// disappears with the engine's last mapping. Where no file can be made the
// data goes to anonymous memory as before, and the runtime leaves it alone.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_EXECUTIONENGINE_FILEBACKEDCONSTANTS_H
#define AGN_LIB_EXECUTIONENGINE_FILEBACKEDCONSTANTS_H

#include "llvm/ExecutionEngine/SectionMemoryManager.h"

namespace mlir::agn::detail {

/// Maps the read-only data sections of JIT-compiled code to a shared
/// mapping of an unnamed file; code and writable data as LLVM's default
/// mapper does. Stateless: one instance serves every engine.
class FileBackedConstantsMapper final
    : public llvm::SectionMemoryManager::MemoryMapper {
public:
  llvm::sys::MemoryBlock
  allocateMappedMemory(llvm::SectionMemoryManager::AllocationPurpose purpose,
                       size_t numBytes,
                       const llvm::sys::MemoryBlock *const nearBlock,
                       unsigned flags, std::error_code &ec) override;
  std::error_code protectMappedMemory(const llvm::sys::MemoryBlock &block,
                                      unsigned flags) override;
  std::error_code releaseMappedMemory(llvm::sys::MemoryBlock &block) override;
};

/// The mapper every engine of createExecutionEngine uses.
FileBackedConstantsMapper &getFileBackedConstantsMapper();

} // namespace mlir::agn::detail

#endif // AGN_LIB_EXECUTIONENGINE_FILEBACKEDCONSTANTS_H
