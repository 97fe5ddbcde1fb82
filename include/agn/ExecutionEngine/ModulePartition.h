//===- ModulePartition.h - Split an LLVM-dialect module for threads -*- C++
//-*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// LLVM optimizes and generates code for one module on one thread, and a
// model at five levels is some hundred functions (each unit's kernels at each
// level, outlined by agn-outline-loop-nests). partitionModule splits such a
// module into modules that LLVM can compile on as many threads, as LLVM's
// own SplitModule does for LTO's parallel code generation, but before
// translation, on the LLVM dialect: the weights (large elements attributes)
// are shared by the parts, not copied, and each part is translated into its
// own LLVMContext.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_EXECUTIONENGINE_MODULEPARTITION_H
#define AGN_EXECUTIONENGINE_MODULEPARTITION_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace mlir::agn {

/// Globals whose data is larger than this many bytes (a page) are weights:
/// partitionModule gives them a part of their own (with every level's
/// weights that agn-place-level-weights placed, however small), and the JIT
/// writes them into the object as bytes.
constexpr uint64_t kWeightGlobalBytes = 4096;

/// Splits `module`, in the LLVM dialect, into at most `count` modules that
/// together define exactly what `module` defines, balanced by an estimate
/// of LLVM's work (operations, more for those of functions with loops).
/// Each part holds its share of the function definitions, the globals its
/// functions use first, and declarations of what it uses from the other
/// parts; a private or internal symbol that
/// another part uses becomes external (the JIT links the parts into one
/// dylib, where the names are still unique). The parts carry `module`'s
/// attributes (target, data layout). Returns no parts when the module is better
/// compiled whole: fewer than two function definitions, `count` < 2, or a
/// top-level operation other than `llvm.func` and `llvm.mlir.global`
/// (constructors, comdats, aliases), whose meaning a split could change.
SmallVector<OwningOpRef<ModuleOp>> partitionModule(ModuleOp module,
                                                   unsigned count);

} // namespace mlir::agn

#endif // AGN_EXECUTIONENGINE_MODULEPARTITION_H
