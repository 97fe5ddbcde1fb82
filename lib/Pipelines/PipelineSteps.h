//===- PipelineSteps.h - steps both lowering pipelines share ----*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The parts of agn-lower-to-llvm-pipeline that agn-lower-to-nvvm-pipeline
// runs too, so that host code is generated the same way for both.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_PIPELINES_PIPELINESTEPS_H
#define AGN_LIB_PIPELINES_PIPELINESTEPS_H

#include "mlir/Pass/PassManager.h"

namespace mlir::agn::detail {

/// Adds the target (agn-set-target with `targetCpu` and `targetFeatures`;
/// both empty keep a target the module has), the folding of what is known
/// at compile time, agn-lower and the conversion of elementwise tensor ops
/// to linalg.
void addLowering(OpPassManager &pm, StringRef targetCpu,
                 StringRef targetFeatures);

/// Adds one-shot bufferization of the whole module, function signatures
/// included, with identity layouts so that the public functions take and
/// return plain row-major memrefs, and the deallocation of the buffers.
void addBufferization(OpPassManager &pm);

/// Adds the conversions of everything left (scf, affine, memref, math,
/// arith, index, cf, func) to the LLVM dialect; `beforeReconcile` adds the
/// passes that must see the conversions' casts.
void addConversionToLLVM(
    OpPassManager &pm, bool cacheBuffers,
    function_ref<void(OpPassManager &)> beforeReconcile = nullptr);

} // namespace mlir::agn::detail

#endif // AGN_LIB_PIPELINES_PIPELINESTEPS_H
