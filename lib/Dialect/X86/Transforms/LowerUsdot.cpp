//===- LowerUsdot.cpp - agn-lower-usdot pass ------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Lowers agn_x86.usdot either to AVX-512 VNNI's vpdpbusd (one instruction per
// 16 lanes) or to portable vector arithmetic (extend, multiply, sum groups
// of four) that any target can run.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/X86/Transforms/Passes.h"
#include "agn/Dialect/X86/Transforms/Transforms.h"

#include "agn/Dialect/X86/IR/X86Dialect.h"
#include "agn/Utils/Target.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNLOWERUSDOT
#include "agn/Dialect/X86/Transforms/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;
using namespace mlir::agn::x86;

/// The LLVM intrinsic of vpdpbusd on zmm registers (16 i32 lanes).
static constexpr llvm::StringLiteral kVpdpbusd512 =
    "llvm.x86.avx512.vpdpbusd.512";

namespace {
/// agn_x86.usdot on 16 lanes -> vpdpbusd.
struct UsdotToVpdpbusd : public OpRewritePattern<UsdotOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(UsdotOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getAcc().getType().getNumElements() != 16)
      return rewriter.notifyMatchFailure(op, "not 16 lanes");
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, op.getType(), rewriter.getStringAttr(kVpdpbusd512),
        ValueRange{op.getAcc(), op.getLhs(), op.getRhs()});
    return success();
  }
};

/// agn_x86.usdot -> extui/extsi, muli, and the sums of each group of four.
struct UsdotToVectorArithmetic : public OpRewritePattern<UsdotOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(UsdotOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType accType = op.getAcc().getType();
    int64_t lanes = accType.getNumElements();
    auto wideType = VectorType::get({4 * lanes}, rewriter.getI32Type());
    Value lhs = arith::ExtUIOp::create(rewriter, loc, wideType, op.getLhs());
    Value rhs = arith::ExtSIOp::create(rewriter, loc, wideType, op.getRhs());
    Value products = arith::MulIOp::create(rewriter, loc, lhs, rhs);
    // Lane i sums products 4i .. 4i+3: gather each of the four with a
    // shuffle (which every target lowers) and add them up.
    Value sum = op.getAcc();
    for (int64_t member = 0; member < 4; ++member) {
      SmallVector<int64_t> mask;
      for (int64_t lane = 0; lane < lanes; ++lane)
        mask.push_back(4 * lane + member);
      Value part =
          vector::ShuffleOp::create(rewriter, loc, products, products, mask);
      sum = arith::AddIOp::create(rewriter, loc, sum, part);
    }
    rewriter.replaceOp(op, sum);
    return success();
  }
};

} // namespace

void mlir::agn::x86::populateUsdotLoweringPatterns(RewritePatternSet &patterns,
                                                   bool vnni) {
  // The portable form is the fallback for the widths vpdpbusd lacks.
  if (vnni)
    patterns.add<UsdotToVpdpbusd>(patterns.getContext(), /*benefit=*/2);
  patterns.add<UsdotToVectorArithmetic>(patterns.getContext());
}

namespace {
struct LowerUsdotPass : public agn::impl::AGNLowerUsdotBase<LowerUsdotPass> {
  using Base::Base;

  void runOnOperation() override {
    // vpdpbusd where the module's target (llvm.target) has AVX512-VNNI.
    bool vnni = targetHasFeature(getOperation(), "avx512vnni");
    RewritePatternSet patterns(&getContext());
    populateUsdotLoweringPatterns(patterns, vnni);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
