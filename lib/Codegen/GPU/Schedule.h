//===- Schedule.h - Apply a transform-dialect schedule to one op -*- C++
//-*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// agn's GPU passes carry out their strategies as transform-dialect
// schedules (upstream's tiling, vectorization and mapping ops), written as
// text and applied to one op at a time.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_CODEGEN_GPU_SCHEDULE_H
#define AGN_LIB_CODEGEN_GPU_SCHEDULE_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

namespace mlir::agn::gpu_schedule {

/// Adds the transform-dialect extensions the schedules use (structured
/// match, tiling and vectorization; gpu mapping; scf loops; vector patterns)
/// to `registry`: the passes that apply schedules depend on them.
void registerExtensions(DialectRegistry &registry);

/// Applies the transform-dialect statements `body`, in which `%target` is a
/// handle to `target`, to `target` (nested in `root`, the payload the
/// interpreter walks). `pass` names the caller in diagnostics. Failures are
/// reported on `root` after the interpreter's own diagnostics.
LogicalResult apply(Operation *root, Operation *target, StringRef body,
                    StringRef pass);

} // namespace mlir::agn::gpu_schedule

#endif // AGN_LIB_CODEGEN_GPU_SCHEDULE_H
