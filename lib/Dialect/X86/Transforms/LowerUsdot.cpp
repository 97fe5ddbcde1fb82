//===- LowerUsdot.cpp - agn-lower-usdot pass ------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Lowers agn_x86's dot-product steps: agn_x86.usdot to AVX-512 VNNI's
// vpdpbusd (one instruction per 16 lanes), agn_x86.sdot to AVX2's
// vpsignb/vpmaddubsw/vpmaddwd, or either to portable vector arithmetic
// (extend, multiply, sum groups of four) that any target can run.
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

/// The AVX2 intrinsics of agn_x86.sdot's lowering, on ymm registers.
static constexpr llvm::StringLiteral kPsignb256 = "llvm.x86.avx2.psign.b";
static constexpr llvm::StringLiteral kPmaddubsw256 =
    "llvm.x86.avx2.pmadd.ub.sw";
static constexpr llvm::StringLiteral kPmaddwd256 = "llvm.x86.avx2.pmadd.wd";
/// i32 lanes of one ymm register.
static constexpr int64_t kAvx2Lanes = 8;

/// Returns acc + the sums of each group of four products of `lhs` (zero-
/// or sign-extended, as `unsignedLhs` says) and `rhs` (sign-extended), in
/// portable vector arithmetic.
static Value sumGroupsOfFour(PatternRewriter &rewriter, Location loc, Value acc,
                             Value lhs, Value rhs, bool unsignedLhs) {
  int64_t lanes = cast<VectorType>(acc.getType()).getNumElements();
  auto wideType = VectorType::get({4 * lanes}, rewriter.getI32Type());
  Value wideLhs =
      unsignedLhs
          ? arith::ExtUIOp::create(rewriter, loc, wideType, lhs).getResult()
          : arith::ExtSIOp::create(rewriter, loc, wideType, lhs).getResult();
  Value wideRhs = arith::ExtSIOp::create(rewriter, loc, wideType, rhs);
  Value products = arith::MulIOp::create(rewriter, loc, wideLhs, wideRhs);
  // Lane i sums products 4i .. 4i+3: gather each of the four with a
  // shuffle (which every target lowers) and add them up.
  Value sum = acc;
  for (int64_t member = 0; member < 4; ++member) {
    SmallVector<int64_t> mask;
    for (int64_t lane = 0; lane < lanes; ++lane)
      mask.push_back(4 * lane + member);
    Value part =
        vector::ShuffleOp::create(rewriter, loc, products, products, mask);
    sum = arith::AddIOp::create(rewriter, loc, sum, part);
  }
  return sum;
}

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

/// agn_x86.usdot or agn_x86.sdot -> extui (usdot's left operand) or extsi,
/// muli, and the sums of each group of four.
template <typename DotOp>
struct DotToVectorArithmetic : public OpRewritePattern<DotOp> {
  using OpRewritePattern<DotOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(DotOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, sumGroupsOfFour(rewriter, op.getLoc(), op.getAcc(), op.getLhs(),
                            op.getRhs(),
                            /*unsignedLhs=*/std::is_same_v<DotOp, UsdotOp>));
    return success();
  }
};

/// agn_x86.sdot on a multiple of 8 lanes -> per 256-bit half: vpsignb,
/// vpabsb, vpmaddubsw, vpmaddwd by ones, vpaddd.
struct SdotToAvx2 : public OpRewritePattern<SdotOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SdotOp op,
                                PatternRewriter &rewriter) const override {
    VectorType accType = op.getAcc().getType();
    int64_t lanes = accType.getNumElements();
    if (lanes % kAvx2Lanes != 0)
      return rewriter.notifyMatchFailure(op, "not a multiple of 8 lanes");
    Location loc = op.getLoc();
    auto bytesType = VectorType::get({4 * kAvx2Lanes}, rewriter.getI8Type());
    auto wordsType = VectorType::get({2 * kAvx2Lanes}, rewriter.getI16Type());
    auto intsType = VectorType::get({kAvx2Lanes}, rewriter.getI32Type());
    Value ones = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(wordsType, rewriter.getI16IntegerAttr(1)));
    auto slice = [&](Value vector, int64_t offset, int64_t size) -> Value {
      return vector::ExtractStridedSliceOp::create(
          rewriter, loc, vector, ArrayRef<int64_t>{offset},
          ArrayRef<int64_t>{size}, ArrayRef<int64_t>{1});
    };
    auto intrinsic = [&](StringRef name, Type type, ValueRange operands) {
      return LLVM::CallIntrinsicOp::create(
                 rewriter, loc, type, rewriter.getStringAttr(name), operands)
          .getResult(0);
    };
    Value result = op.getAcc();
    for (int64_t half = 0; half < lanes / kAvx2Lanes; ++half) {
      Value lhs = slice(op.getLhs(), half * 4 * kAvx2Lanes, 4 * kAvx2Lanes);
      Value rhs = slice(op.getRhs(), half * 4 * kAvx2Lanes, 4 * kAvx2Lanes);
      // |a| * (b * sign(a)) = a * b, with |a| as an unsigned byte (|-128| is
      // 128) and b * sign(a) in range since b is not -128.
      Value magnitudes = LLVM::AbsOp::create(rewriter, loc, bytesType, lhs,
                                             /*is_int_min_poison=*/false);
      Value signedRhs = intrinsic(kPsignb256, bytesType, {rhs, lhs});
      Value pairs =
          intrinsic(kPmaddubsw256, wordsType, {magnitudes, signedRhs});
      Value quads = intrinsic(kPmaddwd256, intsType, {pairs, ones});
      Value acc = slice(result, half * kAvx2Lanes, kAvx2Lanes);
      Value sum = arith::AddIOp::create(rewriter, loc, acc, quads);
      result = vector::InsertStridedSliceOp::create(
          rewriter, loc, sum, result, ArrayRef<int64_t>{half * kAvx2Lanes},
          ArrayRef<int64_t>{1});
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::agn::x86::populateUsdotLoweringPatterns(RewritePatternSet &patterns,
                                                   bool vnni, bool avx2) {
  // The portable forms are the fallback for the widths and targets the
  // instructions lack.
  if (vnni)
    patterns.add<UsdotToVpdpbusd>(patterns.getContext(), /*benefit=*/2);
  if (avx2)
    patterns.add<SdotToAvx2>(patterns.getContext(), /*benefit=*/2);
  patterns.add<DotToVectorArithmetic<UsdotOp>, DotToVectorArithmetic<SdotOp>>(
      patterns.getContext());
}

namespace {
struct LowerUsdotPass : public agn::impl::AGNLowerUsdotBase<LowerUsdotPass> {
  using Base::Base;

  void runOnOperation() override {
    // vpdpbusd where the module's target (llvm.target) has AVX512-VNNI,
    // vpmaddubsw where it has AVX2.
    bool vnni = targetHasFeature(getOperation(), "avx512vnni");
    bool avx2 = targetHasFeature(getOperation(), "avx2");
    RewritePatternSet patterns(&getContext());
    populateUsdotLoweringPatterns(patterns, vnni, avx2);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
