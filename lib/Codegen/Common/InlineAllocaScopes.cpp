//===- InlineAllocaScopes.cpp - agn-inline-alloca-scopes pass -------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Removes the memref.alloca_scope ops convert-scf-to-openmp wraps loop
// bodies in, with the op's own canonicalization patterns and nothing else.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNINLINEALLOCASCOPES
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
/// Hoists the allocas of the scopes under the pass's operation and inlines
/// the scopes left without any.
struct AGNInlineAllocaScopes
    : agn::impl::AGNInlineAllocaScopesBase<AGNInlineAllocaScopes> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    memref::AllocaScopeOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
