//===- VectorizeRowReductions.cpp - agn-cpu-vectorize-row-reductions ------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A reduction over the innermost dimension (a softmax's max and sum over each
// row, a layer norm's means) lowers to a loop per row whose every step waits
// for the previous one: an f32 sum may not be reassociated, so LLVM keeps it
// scalar, one add latency per element. Reducing a block of rows at once keeps
// each row's order and fills the vector lanes with different rows instead:
// tiles of (lanes rows) x (lanes elements) are read, transposed in registers,
// and combined column by column into the rows' accumulators. The sums are
// the loop's, in the loop's order, bit for bit.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/CPU/Passes.h"
#include "agn/Codegen/Common/Tiling.h"
#include "agn/Utils/Target.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNCPUVECTORIZEROWREDUCTIONS
#include "agn/Codegen/CPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// The name the diagnostics give.
static constexpr llvm::StringLiteral kPassName =
    "agn-cpu-vectorize-row-reductions";

/// Returns whether `op` combines `in` and `out` of its block with one
/// commutative arithmetic op (the combiners whose vector form, element by
/// element, is exactly the scalar op: any operand order gives the same
/// bits).
static bool hasCommutativeCombiner(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  if (body.getNumArguments() != 2 || body.getOperations().size() != 2)
    return false;
  Operation *combiner = &body.front();
  if (!isa<arith::AddFOp, arith::MulFOp, arith::MaximumFOp, arith::MinimumFOp,
           arith::MaxNumFOp, arith::MinNumFOp>(combiner))
    return false;
  Value in = body.getArgument(0), out = body.getArgument(1);
  bool operandsMatch =
      (combiner->getOperand(0) == in && combiner->getOperand(1) == out) ||
      (combiner->getOperand(0) == out && combiner->getOperand(1) == in);
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  return operandsMatch && yield.getValues().size() == 1 &&
         yield.getValues()[0] == combiner->getResult(0);
}

/// Returns the tile sizes that reduce `lanes` rows `lanes` elements at a
/// time, or nothing when `op` is not a row reduction this pass takes: a
/// linalg.generic on tensors with one input read in full (identity map) and
/// one init that drops only the innermost loop, the only reduction; static
/// sizes; the innermost parallel loop and the reduction multiples of
/// `lanes`; a floating-point element and a commutative combiner.
static std::optional<SmallVector<int64_t>>
getRowReductionTiles(linalg::GenericOp op, int64_t lanes) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() < 2 ||
      op.getNumReductionLoops() != 1)
    return std::nullopt;
  unsigned loops = op.getNumLoops();
  if (!linalg::isReductionIterator(op.getIteratorTypesArray().back()))
    return std::nullopt;
  MLIRContext *context = op.getContext();
  AffineMap input = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap init = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!input.isIdentity() ||
      init != AffineMap::getMultiDimIdentityMap(loops, context)
                  .getMajorSubMap(loops - 1))
    return std::nullopt;
  if (!isa<FloatType>(getElementTypeOrSelf(op.getDpsInputs()[0])) ||
      getElementTypeOrSelf(op.getDpsInputs()[0]) !=
          getElementTypeOrSelf(op.getDpsInits()[0]) ||
      !hasCommutativeCombiner(op))
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t rows = ranges[loops - 2], columns = ranges[loops - 1];
  if (ShapedType::isDynamicShape(ranges) || rows % lanes != 0 ||
      columns % lanes != 0)
    return std::nullopt;
  SmallVector<int64_t> tiles(loops, 1);
  tiles[loops - 2] = lanes;
  tiles[loops - 1] = lanes;
  return tiles;
}

namespace {
struct VectorizeRowReductionsPass
    : agn::impl::AGNCpuVectorizeRowReductionsBase<VectorizeRowReductionsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // One vector register of elements: 16 f32 with AVX-512, 8 with AVX2.
    int64_t bits =
        !getTarget(func) || targetHasFeature(func, "avx512f") ? 512 : 256;
    SmallVector<std::pair<linalg::GenericOp, SmallVector<int64_t>>> found;
    func.walk([&](linalg::GenericOp op) {
      Type element = getElementTypeOrSelf(op->getOperandTypes().front());
      if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() > bits)
        return;
      int64_t lanes = bits / element.getIntOrFloatBitWidth();
      if (std::optional<SmallVector<int64_t>> tiles =
              getRowReductionTiles(op, lanes))
        found.emplace_back(op, *tiles);
    });

    // Vector reductions some other pass left are not this pass's to lower.
    llvm::DenseSet<Operation *> earlier;
    func.walk([&](vector::MultiDimReductionOp op) { earlier.insert(op); });
    IRRewriter rewriter(&getContext());
    for (auto &[op, tiles] : found) {
      FailureOr<Operation *> tile =
          tileInPlace(rewriter, op, tiles, kPassName, "tiling a row reduction");
      if (failed(tile))
        return signalPassFailure();
      SmallVector<bool> scalable(tiles.size(), false);
      FailureOr<linalg::VectorizationResult> vectorized =
          linalg::vectorize(rewriter, *tile, tiles, scalable);
      if (failed(vectorized)) {
        (*tile)->emitError() << kPassName << ": vectorization failed";
        return signalPassFailure();
      }
      rewriter.replaceOp(*tile, vectorized->replacements);
    }
    SmallVector<Operation *> reductions;
    func.walk([&](vector::MultiDimReductionOp op) {
      if (!earlier.contains(op))
        reductions.push_back(op);
    });
    if (reductions.empty())
      return;
    // Reduced dimension outermost, then one elementwise combine per element
    // column starting from the accumulator: each row's own order. Only the
    // reductions made here (and the ops their lowering makes) are touched.
    RewritePatternSet patterns(&getContext());
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerParallel);
    vector::populateVectorTransposeLoweringPatterns(
        patterns, vector::VectorTransposeLowering::Shuffle1D);
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    if (failed(
            applyOpPatternsGreedily(reductions, std::move(patterns), config)))
      return signalPassFailure();
  }
};
} // namespace
