//===- Im2Col.cpp - agn-gpu-im2col ----------------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Convolutions have four or more parallel loops, which agn's GPU kernels do
// not map; as im2col copies and matmuls, their arithmetic becomes kernels of
// the same kind as every other contraction.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNGPUIM2COL
#include "agn/Codegen/GPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
struct GpuIm2ColPass : public agn::impl::AGNGpuIm2ColBase<GpuIm2ColPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateConvertConv2DToImg2ColPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
