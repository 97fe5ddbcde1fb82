//===- VectorToMma.cpp - agn-gpu-vector-to-mma ----------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Upstream's convert-vector-to-gpu rejects kernels whose arithmetic is
// scalar (agn's SIMT kernels); this pass runs its patterns on the kernels
// that hold a vector.contract only, the tensor-core ones.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/GPU/Passes.h"

#include "mlir/Conversion/VectorToGPU/VectorToGPU.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNGPUVECTORTOMMA
#include "agn/Codegen/GPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
struct GpuVectorToMmaPass
    : public agn::impl::AGNGpuVectorToMmaBase<GpuVectorToMmaPass> {
  using Base::Base;

  void runOnOperation() override {
    gpu::GPUFuncOp kernel = getOperation();
    if (!kernel
             .walk(
                 [](vector::ContractionOp) { return WalkResult::interrupt(); })
             .wasInterrupted())
      return;
    RewritePatternSet patterns(&getContext());
    populatePrepareVectorToMMAPatterns(patterns, /*useNvGpu=*/true);
    if (failed(applyPatternsGreedily(kernel, std::move(patterns)))) {
      kernel.emitError("agn-gpu-vector-to-mma: the preparation of the "
                       "kernel's contractions did not converge");
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    if (failed(convertVectorToNVVMCompatibleMMASync(rewriter, kernel))) {
      kernel.emitError("agn-gpu-vector-to-mma: the kernel's contractions "
                       "and their loads have no mma.sync form (see above)");
      return signalPassFailure();
    }
    // The conversion leaves the contractions it replaced behind, unused.
    kernel.walk([](vector::ContractionOp contract) {
      if (isOpTriviallyDead(contract))
        contract.erase();
    });
    if (kernel
            .walk([](vector::ContractionOp) { return WalkResult::interrupt(); })
            .wasInterrupted()) {
      kernel.emitError("agn-gpu-vector-to-mma: a vector.contract of this "
                       "kernel has no mma.sync form (its shape or types)");
      return signalPassFailure();
    }
  }
};
} // namespace
