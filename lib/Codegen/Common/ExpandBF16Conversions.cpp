//===- ExpandBF16Conversions.cpp - agn-expand-bf16-conversions ------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"
#include "agn/Utils/Target.h"

#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNEXPANDBF16CONVERSIONS
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
struct ExpandBF16ConversionsPass
    : public agn::impl::AGNExpandBF16ConversionsBase<
          ExpandBF16ConversionsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (targetHasFeature(module, "avx512bf16") ||
        targetHasFeature(module, "bf16"))
      return;
    RewritePatternSet patterns(&getContext());
    arith::populateExpandBFloat16Patterns(patterns);
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
