//===- UninstrumentedLLVM.h - LLVM's headers as Debian's LLVM was built ---===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Included before every C++ source of an ASan build (AGN_SANITIZERS with
// `address`, see CMakeLists.txt).
//
// LLVM's headers poison the free parts of their allocators' slabs
// (BumpPtrAllocator, Recycler) when the code that includes them is built
// with ASan. agn links Debian's libLLVM and libMLIR, which are built without
// it: a slab that agn's inlined copy of BumpPtrAllocator::AllocateSlow
// poisoned (a StorageUniquer's, which agn's attribute storage constructors
// allocate from) is then handed out by libMLIR's own copy without being
// unpoisoned, and the next access is reported as use-after-poison although
// it is correct. Making the two poisoning hooks no-ops here makes the headers
// agree with the libraries they are used with; ASan still checks every access
// agn makes, against heap, stack and globals as always.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CMAKE_SANITIZERS_UNINSTRUMENTEDLLVM_H
#define AGN_CMAKE_SANITIZERS_UNINSTRUMENTEDLLVM_H

#ifdef __cplusplus
#include <sanitizer/asan_interface.h>

// After the declarations above, so that llvm/Support/Compiler.h's own
// include of the interface changes nothing.
#define __asan_poison_memory_region(addr, size) ((void)(addr), (void)(size))
#define __asan_unpoison_memory_region(addr, size) ((void)(addr), (void)(size))
#endif

#endif // AGN_CMAKE_SANITIZERS_UNINSTRUMENTEDLLVM_H
