//===- ApproximateMath.cpp - agn-cpu-approximate-math ---------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Replaces the math functions LLVM would call libm for, one element at a
// time, with upstream's polynomial approximations, so that the loops around
// them vectorize (IREE's CPU pipeline does the same for the same reason).
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/CPU/Passes.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNCPUAPPROXIMATEMATH
#include "agn/Codegen/CPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
/// The functions approximated when the pass is given none: the ones that
/// dominate transformer models' elementwise time (softmax's exp, GELU's erf).
constexpr StringRef kDefaultFunctions[] = {"exp", "erf"};

struct ApproximateMathPass
    : agn::impl::AGNCpuApproximateMathBase<ApproximateMathPass> {
  using Base::Base;

  void runOnOperation() override {
    // Upstream's predicate sees full operation names ("math.exp").
    SmallVector<std::string> names;
    for (StringRef function : functions)
      names.push_back(("math." + function).str());
    if (names.empty())
      for (StringRef function : kDefaultFunctions)
        names.push_back(("math." + function).str());
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, [&](StringRef name) {
      return llvm::is_contained(names, name);
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
