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
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNCPUAPPROXIMATEMATH
#include "agn/Codegen/CPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// The functions approximated when the pass is given none: the ones that
/// dominate transformer models' elementwise time (softmax's exp, GELU's erf).
static constexpr StringLiteral kDefaultFunctions[] = {"exp", "erf"};

/// The functions upstream approximates in f32 (the mnemonics its
/// `populateMathPolynomialApproximationPatterns` predicate takes).
static constexpr StringLiteral kApproximable[] = {
    "acos", "asin",  "atan", "atan2", "cbrt", "cos",   "erf", "erfc",
    "exp",  "expm1", "log",  "log1p", "log2", "rsqrt", "sin", "tanh"};

namespace {
/// Applies upstream's approximation patterns to the `functions` chosen
/// (default kDefaultFunctions); an unknown name is an error at initialize.
struct ApproximateMathPass
    : agn::impl::AGNCpuApproximateMathBase<ApproximateMathPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    llvm::StringSet<> chosen;
    for (StringRef function : functions) {
      if (!llvm::is_contained(kApproximable, function))
        return emitError(UnknownLoc::get(context))
               << "agn-cpu-approximate-math: no approximation of '" << function
               << "'; the functions are "
               << llvm::join(llvm::ArrayRef(kApproximable), ", ");
      chosen.insert(function);
    }
    if (chosen.empty())
      for (StringRef function : kDefaultFunctions)
        chosen.insert(function);
    RewritePatternSet set(context);
    // Upstream's predicate sees full operation names ("math.exp").
    populateMathPolynomialApproximationPatterns(set, [&](StringRef name) {
      return name.consume_front("math.") && chosen.contains(name);
    });
    patterns = FrozenRewritePatternSet(std::move(set));
    return success();
  }

  void runOnOperation() override {
    if (failed(applyPatternsGreedily(getOperation(), patterns)))
      signalPassFailure();
  }

  FrozenRewritePatternSet patterns;
};
} // namespace
