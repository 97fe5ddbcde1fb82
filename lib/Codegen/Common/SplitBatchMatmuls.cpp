//===- SplitBatchMatmuls.cpp - agn-split-batch-matmuls --------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Batched matrix products become loops of linalg.matmul ops, one per batch
// element, so that every target's matmul kernels (register tiles, VNNI)
// take them: one place for what each kernel pass used to do for itself.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"
#include "agn/Codegen/Common/Tiling.h"
#include "agn/Dialect/AGN/IR/AGNAttrs.h"
#include "agn/Utils/Target.h"
#include "agn/Utils/ZeroTensors.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNSPLITBATCHMATMULS
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// The name the diagnostics give.
static constexpr llvm::StringLiteral kPassName = "agn-split-batch-matmuls";

/// Returns whether every operand of `op` has a signless integer element
/// type.
static bool hasSignlessIntegerOperands(Operation *op) {
  return llvm::all_of(op->getOperandTypes(), [](Type type) {
    return getElementTypeOrSelf(type).isSignlessInteger();
  });
}

/// Returns whether `expr` is the loop dimension `dim`.
static bool isDim(AffineExpr expr, unsigned dim) {
  auto dimExpr = dyn_cast<AffineDimExpr>(expr);
  return dimExpr && dimExpr.getPosition() == dim;
}

/// Returns whether the body of `op` is out + a * b (either operand order) on
/// one float type, a and b its inputs.
static bool hasFloatProductBody(linalg::GenericOp op) {
  Block &body = *op.getBlock();
  if (body.getOperations().size() != 3)
    return false;
  auto mul = dyn_cast<arith::MulFOp>(&body.front());
  auto add = dyn_cast<arith::AddFOp>(mul ? mul->getNextNode() : nullptr);
  if (!mul || !add ||
      add.getFastmathAttr().getValue() != arith::FastMathFlags::none ||
      mul.getFastmathAttr().getValue() != arith::FastMathFlags::none)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1),
        out = body.getArgument(2);
  bool productOfInputs = (mul.getLhs() == a && mul.getRhs() == b) ||
                         (mul.getLhs() == b && mul.getRhs() == a);
  bool sumWithOut = (add.getLhs() == out && add.getRhs() == mul) ||
                    (add.getLhs() == mul && add.getRhs() == out);
  Type type = out.getType();
  return isa<FloatType>(type) && productOfInputs && sumWithOut &&
         a.getType() == type && b.getType() == type &&
         body.getTerminator()->getOperand(0) == add.getResult();
}

/// Returns whether the body of `op` is out + extsi(a) * extsi(b) (either
/// order) on signless integers, a and b its inputs, narrower than out (as
/// agn-multiversion writes the i8 version of a batched product): what a
/// linalg.matmul of the same operands computes.
static bool hasSignExtendedProductBody(linalg::GenericOp op) {
  Block &body = *op.getBlock();
  if (body.getOperations().size() != 5)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1),
        out = body.getArgument(2);
  auto outType = dyn_cast<IntegerType>(out.getType());
  auto extendsInput = [&](Value value, Value input) {
    auto ext = value.getDefiningOp<arith::ExtSIOp>();
    auto type = dyn_cast<IntegerType>(input.getType());
    return ext && ext.getIn() == input && type && type.isSignless() &&
           type.getWidth() < outType.getWidth();
  };
  auto add = dyn_cast_or_null<arith::AddIOp>(
      body.getTerminator()->getOperand(0).getDefiningOp());
  if (!outType || !outType.isSignless() || !add)
    return false;
  Value product = add.getLhs() == out ? add.getRhs() : add.getLhs();
  auto mul = product.getDefiningOp<arith::MulIOp>();
  if ((add.getLhs() != out && add.getRhs() != out) || !mul)
    return false;
  return (extendsInput(mul.getLhs(), a) && extendsInput(mul.getRhs(), b)) ||
         (extendsInput(mul.getLhs(), b) && extendsInput(mul.getRhs(), a));
}

/// Returns whether `op` is a matrix product batched over its leading loops:
/// loops (b_1 .. b_r, m, n, k), all parallel but k; A indexed (..., m, k) and
/// B (..., k, n), their leading results batch loops or 0 (a broadcast unit
/// dimension), C (b_1 .. b_r, m, n); the body out + a * b on one float type,
/// or out + extsi(a) * extsi(b) on signless integers; tensors of static
/// shapes.
static bool isBatchedMatmul(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() < 3 || op.hasDynamicShape())
    return false;
  unsigned loops = op.getNumLoops();
  unsigned m = loops - 3, n = loops - 2, k = loops - 1;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned loop = 0; loop < loops; ++loop)
    if ((iterators[loop] == utils::IteratorType::reduction) != (loop == k))
      return false;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  // A leading result: a batch loop, or 0 on a unit dimension.
  auto isBatchResult = [&](AffineExpr expr, Value operand, unsigned dim) {
    if (auto constant = dyn_cast<AffineConstantExpr>(expr))
      return constant.getValue() == 0 &&
             cast<RankedTensorType>(operand.getType()).getDimSize(dim) == 1;
    auto dimExpr = dyn_cast<AffineDimExpr>(expr);
    return dimExpr && dimExpr.getPosition() < m;
  };
  auto hasRows = [&](AffineMap map, Value operand, unsigned row,
                     unsigned column) {
    unsigned results = map.getNumResults();
    if (map.getNumSymbols() != 0 || results < 2 ||
        !isDim(map.getResult(results - 2), row) ||
        !isDim(map.getResult(results - 1), column))
      return false;
    for (unsigned dim = 0; dim + 2 < results; ++dim)
      if (!isBatchResult(map.getResult(dim), operand, dim))
        return false;
    return true;
  };
  if (!hasRows(maps[0], op.getDpsInputs()[0], m, k) ||
      !hasRows(maps[1], op.getDpsInputs()[1], k, n) ||
      maps[2].getNumResults() != loops - 1)
    return false;
  for (unsigned dim = 0; dim + 1 < loops; ++dim)
    if (!isDim(maps[2].getResult(dim), dim))
      return false;
  return hasFloatProductBody(op) || hasSignExtendedProductBody(op);
}

/// Returns the indexing maps of agn's blocked partial-sums product with
/// `batchDims` leading batch loops: loops (b_1 .. b_r, m, n, j, t), A
/// indexed (b_1 .. b_r, m, j, t), the weights (b_1 .. b_r, j, t, n), the
/// sums (b_1 .. b_r, m, n, j).
static SmallVector<AffineMap> getBlockedProductMaps(unsigned batchDims,
                                                    MLIRContext *context) {
  unsigned loops = batchDims + 4;
  // m, n, j, t are loops batchDims + 0 .. batchDims + 3.
  auto withBatch = [&](ArrayRef<unsigned> rest) {
    SmallVector<AffineExpr> results;
    for (unsigned dim = 0; dim < batchDims; ++dim)
      results.push_back(getAffineDimExpr(dim, context));
    for (unsigned dim : rest)
      results.push_back(getAffineDimExpr(batchDims + dim, context));
    return AffineMap::get(loops, 0, results, context);
  };
  return {withBatch({0, 2, 3}), withBatch({2, 3, 1}), withBatch({0, 1, 2})};
}

/// Returns the number of leading batch loops of `op` if it is the
/// partial-sums product of agn's blocked (i4) matmul
/// (`agn.blocked_matmul<partial_sums>`, see agn-multiversion) in the form
/// this pass splits: the maps of getBlockedProductMaps, signless integer
/// operands, static shapes.
static std::optional<unsigned>
getBlockedProductBatchDims(linalg::GenericOp op) {
  BlockedMatmulAttr marker = BlockedMatmulAttr::of(op);
  if (!marker || marker.getPart() != BlockedMatmulPart::partial_sums ||
      !op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() < 4 ||
      op.hasDynamicShape() || !hasSignlessIntegerOperands(op))
    return std::nullopt;
  unsigned batchDims = op.getNumLoops() - 4;
  if (op.getIndexingMapsArray() !=
      getBlockedProductMaps(batchDims, op.getContext()))
    return std::nullopt;
  return batchDims;
}

/// Returns whether `op` is an unbatched blocked partial-sums product
/// (getBlockedProductBatchDims): loops (m, n, b, k).
static bool isBlockedPartialSums(linalg::GenericOp op) {
  return getBlockedProductBatchDims(op) == 0u;
}

/// Returns whether `value` is a tensor filled with zeros by linalg.fill.
static bool isZeroFilled(Value value) {
  auto fill = value.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_Zero());
}

/// Returns whether `op` is a linalg.batch_matmul on tensors (default maps)
/// of float or signless integer operands with work to do.
static bool isSplittableBatchMatmul(linalg::BatchMatmulOp op) {
  return op.hasPureTensorSemantics() && !op.hasUserDefinedMaps() &&
         !hasEmptyIterationDomain(op) &&
         (hasFloatOperands(op) || hasSignlessIntegerOperands(op));
}

/// Returns whether `op` is a blocked partial-sums product this pass splits:
/// without a config, with work to do, on a target without VNNI (where
/// agn-vnni-pack takes the product whole; a product configured before, as
/// agn-cpu-configure-kernels configures it `signed_dot` on AVX2 targets
/// without AVX-512F, stays whole too).
static bool isSplittableBlockedProduct(linalg::GenericOp op) {
  return isBlockedPartialSums(op) && !LoweringConfigAttr::of(op) &&
         !hasEmptyIterationDomain(op) && !targetHasFeature(op, "avx512vnni");
}

/// Returns whether `op` is agn's blocked partial-sums product batched over
/// its leading loops, as agn-multiversion writes the i4 version of a
/// batched matmul unit (attention's products): loops (b_1 .. b_r, m, n, j,
/// t), r >= 1, all parallel but t; A indexed (b_1 .. b_r, m, j, t), the
/// weights (b_1 .. b_r, j, t, n), the sums (b_1 .. b_r, m, n, j); the body
/// out + extsi(a) * extsi(b) of i8 activations, i8 or narrower weights and
/// i32 sums; static shapes, no config, on a target without VNNI (where the
/// unbatched products are split into matmuls per block).
static bool isSplittableBatchedBlockedProduct(linalg::GenericOp op) {
  std::optional<unsigned> batchDims = getBlockedProductBatchDims(op);
  if (!batchDims || *batchDims == 0 || LoweringConfigAttr::of(op) ||
      hasEmptyIterationDomain(op) || targetHasFeature(op, "avx512vnni") ||
      !hasSignExtendedProductBody(op) ||
      !getElementTypeOrSelf(op.getDpsInputs()[0]).isSignlessInteger(8) ||
      getElementTypeOrSelf(op.getDpsInputs()[1]).getIntOrFloatBitWidth() > 8 ||
      !getElementTypeOrSelf(op.getDpsInits()[0]).isSignlessInteger(32))
    return false;
  // Every loop parallel but the last (t).
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned loops = op.getNumLoops();
  for (unsigned loop = 0; loop < loops; ++loop)
    if ((iterators[loop] == utils::IteratorType::reduction) !=
        (loop == loops - 1))
      return false;
  return true;
}

/// Splits the outermost of the leading `batchDims` loops of `op` that makes
/// `threads` nearly even chunks (of ceil(range / threads) iterations, at
/// most a quarter above an even share) into those chunks, the iterations of
/// an scf.forall, and returns the op on one chunk. Returns `op` itself when
/// `threads` is 1, `op` is already in an scf.forall, or no batch loop
/// splits so: its matmuls then split their own work into the threads.
static FailureOr<Operation *> splitBatchForThreads(RewriterBase &rewriter,
                                                   linalg::LinalgOp op,
                                                   int64_t batchDims,
                                                   int64_t threads) {
  if (threads <= 1 || op->getParentOfType<scf::ForallOp>())
    return op.getOperation();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (int64_t dim = 0; dim < batchDims; ++dim) {
    int64_t range = ranges[dim];
    int64_t chunk = llvm::divideCeil(range, threads);
    // chunk / (range / threads) <= 5/4, in integers.
    if (ShapedType::isDynamic(range) || range < threads ||
        4 * chunk * threads > 5 * range)
      continue;
    SmallVector<int64_t> sizes(op.getNumLoops(), 0);
    sizes[dim] = chunk;
    return tileInPlace(rewriter, op, sizes, kPassName,
                       "splitting the batch for threads", /*forall=*/true);
  }
  return op.getOperation();
}

namespace {
/// Makes a float or integer linalg.batch_matmul on tensors (with the
/// default maps) a loop of linalg.matmul ops, one per batch element: tiled
/// by 1 along the batch, each unit-batch tile's operands collapsed to
/// matrices. (Upstream's rank-reducing patterns would also turn a matmul
/// with M or N = 1 into a vecmat or matvec, which stays scalar here.) The
/// integer ones (agn's i8 and i4 versions of batched units) then go to
/// the VNNI kernels or the integer register tiles. A config of the batch
/// matmul goes to its matmuls.
struct SplitBatchMatmul : public OpRewritePattern<linalg::BatchMatmulOp> {
  SplitBatchMatmul(MLIRContext *context, int64_t threads)
      : OpRewritePattern(context), threads(threads) {}

  LogicalResult matchAndRewrite(linalg::BatchMatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!isSplittableBatchMatmul(op))
      return rewriter.notifyMatchFailure(op, "not a batch matmul to split");
    LoweringConfigAttr config = LoweringConfigAttr::of(op);
    FailureOr<Operation *> chunk =
        splitBatchForThreads(rewriter, op, /*batchDims=*/1, threads);
    if (failed(chunk))
      return failure();
    FailureOr<linalg::MatmulOp> matmul =
        splitBatch(rewriter, cast<linalg::BatchMatmulOp>(*chunk), kPassName);
    if (failed(matmul))
      return failure();
    if (config)
      config.attachTo(*matmul);
    return success();
  }

private:
  int64_t threads;
};

/// Makes a float batched contraction linalg.generic on tensors (as agn's
/// importer writes a MatMul whose batch dimensions broadcast, or that has
/// more than one) a loop nest over its batch dimensions of linalg.matmul
/// ops, as SplitBatchMatmul does for linalg.batch_matmul.
struct SplitBatchedContraction : public OpRewritePattern<linalg::GenericOp> {
  SplitBatchedContraction(MLIRContext *context, int64_t threads)
      : OpRewritePattern(context), threads(threads) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!isBatchedMatmul(op) || hasEmptyIterationDomain(op))
      return rewriter.notifyMatchFailure(op, "not a batched contraction");
    int64_t batchDims = op.getNumLoops() - 3;
    SmallVector<int64_t> sizes(batchDims, 1);
    sizes.append({0, 0, 0});
    linalg::GenericOp tile = op;
    if (batchDims > 0) {
      FailureOr<Operation *> chunk =
          splitBatchForThreads(rewriter, op, batchDims, threads);
      if (failed(chunk))
        return failure();
      FailureOr<Operation *> tiled = tileInPlace(
          rewriter, *chunk, sizes, kPassName, "splitting the batch");
      if (failed(tiled))
        return failure();
      tile = cast<linalg::GenericOp>(*tiled);
    }
    // Every operand of the tile is a matrix behind unit dimensions.
    Location loc = tile.getLoc();
    rewriter.setInsertionPoint(tile);
    auto matrix = [&](Value value) -> Value {
      int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
      if (rank == 2)
        return value;
      ReassociationIndices leading;
      for (int64_t dim = 0; dim < rank - 1; ++dim)
        leading.push_back(dim);
      return tensor::CollapseShapeOp::create(
          rewriter, loc, value,
          SmallVector<ReassociationIndices>{leading, {rank - 1}});
    };
    Value init = tile.getDpsInits()[0];
    Value initMatrix = matrix(init);
    auto matmul =
        linalg::MatmulOp::create(rewriter, loc, TypeRange{initMatrix.getType()},
                                 ValueRange{matrix(tile.getDpsInputs()[0]),
                                            matrix(tile.getDpsInputs()[1])},
                                 ValueRange{initMatrix});
    if (LoweringConfigAttr config = LoweringConfigAttr::of(tile))
      config.attachTo(matmul);
    Value product = matmul.getResult(0);
    // (`matrix` collapses only the operands that are not matrices.)
    if (initMatrix != init)
      product = tensor::ExpandShapeOp::create(
          rewriter, loc, init.getType(), product,
          initMatrix.getDefiningOp<tensor::CollapseShapeOp>()
              .getReassociationIndices());
    rewriter.replaceOp(tile, product);
    return success();
  }

private:
  int64_t threads;
};

/// Builds out + extsi(a) * extsi(b), the body of a blocked partial-sums
/// product.
static void buildProductBody(OpBuilder &b, Location loc, ValueRange args) {
  Type accType = args[2].getType();
  Value lhs = arith::ExtSIOp::create(b, loc, accType, args[0]);
  Value rhs = arith::ExtSIOp::create(b, loc, accType, args[1]);
  Value sum = arith::AddIOp::create(b, loc, args[2],
                                    arith::MulIOp::create(b, loc, lhs, rhs));
  linalg::YieldOp::create(b, loc, sum);
}

/// Returns `op`'s agn.blocked_matmul marker as an attribute list for a new
/// op.
static SmallVector<NamedAttribute> getMarkerAttrs(linalg::GenericOp op) {
  return {NamedAttribute(BlockedMatmulAttr::getAttributeName(),
                         BlockedMatmulAttr::of(op))};
}

/// Replaces the blocked partial-sums product `op` by the same product of
/// its weights widened to bytes (exact: the body sign-extends them), and
/// returns it.
static linalg::GenericOp widenWeights(RewriterBase &rewriter,
                                      linalg::GenericOp op) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  Value weights = signExtendToBytes(rewriter, loc, op.getDpsInputs()[1]);
  auto widened = linalg::GenericOp::create(
      rewriter, loc, op.getResultTypes(),
      ValueRange{op.getDpsInputs()[0], weights}, op.getDpsInits(),
      op.getIndexingMapsArray(), op.getIteratorTypesArray(), buildProductBody,
      getMarkerAttrs(op));
  rewriter.replaceOp(op, widened.getResults());
  return widened;
}

/// Makes the blocked partial-sums product `op` (unbatched, as
/// isBlockedPartialSums takes it) a loop over its blocks of linalg.matmul
/// ops of A's block [M, B] and the weights' [B, N]. With `fromZero` (the
/// sums start at zero), each block's matmul gets a fresh zero-filled [M, N]
/// accumulator, inserted into the sums' block column: the kernel then reads
/// and writes rows, not a column of stride (K / B).
static LogicalResult splitIntoBlockMatmuls(RewriterBase &rewriter,
                                           linalg::GenericOp op,
                                           bool fromZero) {
  FailureOr<Operation *> tiled = tileInPlace(rewriter, op, {0, 0, 1, 0},
                                             kPassName, "splitting the blocks");
  if (failed(tiled))
    return failure();
  auto tile = cast<linalg::GenericOp>(*tiled);
  Location loc = tile.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(tile);
  // A [M, 1, B] -> [M, B]; weights [1, B, N] -> [B, N]; sums [M, N, 1]
  // -> [M, N].
  auto collapse = [&](Value value, SmallVector<ReassociationIndices> groups) {
    return tensor::CollapseShapeOp::create(rewriter, loc, value, groups);
  };
  Value lhs = collapse(tile.getDpsInputs()[0], {{0, 1}, {2}});
  Value rhs = collapse(tile.getDpsInputs()[1], {{0, 1}, {2}});
  SmallVector<ReassociationIndices> sumsGroups = {{0}, {1, 2}};
  Value init = collapse(tile.getDpsInits()[0], sumsGroups);
  if (fromZero) {
    auto type = cast<RankedTensorType>(init.getType());
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          type.getElementType());
    Value zero = arith::ConstantOp::create(
        rewriter, loc, rewriter.getZeroAttr(type.getElementType()));
    init = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
  }
  auto matmul =
      linalg::MatmulOp::create(rewriter, loc, TypeRange{init.getType()},
                               ValueRange{lhs, rhs}, ValueRange{init});
  rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
      tile, tile.getResult(0).getType(), matmul.getResult(0), sumsGroups);
  return success();
}

/// On a target without VNNI, makes a blocked partial-sums product (without
/// an `agn.lowering_config`) a loop over its blocks of linalg.matmul ops
/// (splitIntoBlockMatmuls): the integer kernels then take them, where
/// linalg's loops ran the whole product scalar (unpacking every i4 weight M
/// times).
struct SplitBlockedPartialSums : public OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!isSplittableBlockedProduct(op))
      return rewriter.notifyMatchFailure(op, "not a blocked product to split");
    return splitIntoBlockMatmuls(rewriter, op,
                                 isZeroFilled(op.getDpsInits()[0]));
  }
};

/// On a target without VNNI, makes a batched blocked partial-sums product
/// (isSplittableBatchedBlockedProduct) a loop nest over its batch of
/// unbatched ones (tiled by 1 along the batch, in `threads` chunks, each
/// tile's operands collapsed), each then split into matmuls per block as
/// SplitBlockedPartialSums does: linalg's loops ran the whole product
/// scalar (3 ms of MiniLM's 48 at i4 for each layer's attention-weighted
/// values).
struct SplitBatchedBlockedPartialSums
    : public OpRewritePattern<linalg::GenericOp> {
  SplitBatchedBlockedPartialSums(MLIRContext *context, int64_t threads)
      : OpRewritePattern(context), threads(threads) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!isSplittableBatchedBlockedProduct(op))
      return rewriter.notifyMatchFailure(
          op, "not a batched blocked product to split");
    bool fromZero = isZeroFilled(op.getDpsInits()[0]);
    int64_t batchDims = op.getNumLoops() - 4;
    // Weights narrower than a byte (agn's i4, quantized on every call) are
    // widened to bytes first, whole: the blocks' matmuls then read bytes
    // that the integer kernels take as they are. (Slices of slices of i4
    // weights are beyond upstream's narrow-type emulation, which sizes a
    // subview with unit dimensions of large strides wrongly.)
    if (getElementTypeOrSelf(op.getDpsInputs()[1]).getIntOrFloatBitWidth() < 8)
      op = widenWeights(rewriter, op);
    FailureOr<Operation *> chunk =
        splitBatchForThreads(rewriter, op, batchDims, threads);
    if (failed(chunk))
      return failure();
    SmallVector<int64_t> sizes(batchDims, 1);
    sizes.append({0, 0, 0, 0});
    FailureOr<Operation *> tiled =
        tileInPlace(rewriter, *chunk, sizes, kPassName, "splitting the batch");
    if (failed(tiled))
      return failure();
    auto tile = cast<linalg::GenericOp>(*tiled);
    Location loc = tile.getLoc();
    rewriter.setInsertionPoint(tile);
    // Every operand is a rank-3 tensor behind unit batch dimensions: fold
    // them into its first dimension.
    ReassociationIndices leading;
    for (int64_t dim = 0; dim <= batchDims; ++dim)
      leading.push_back(dim);
    SmallVector<ReassociationIndices> groups = {
        leading, {batchDims + 1}, {batchDims + 2}};
    auto unbatched = [&](Value value) -> Value {
      return tensor::CollapseShapeOp::create(rewriter, loc, value, groups);
    };
    Value init = unbatched(tile.getDpsInits()[0]);
    Value weights = unbatched(tile.getDpsInputs()[1]);
    SmallVector<utils::IteratorType> iterators(3,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    auto product = linalg::GenericOp::create(
        rewriter, loc, TypeRange{init.getType()},
        ValueRange{unbatched(tile.getDpsInputs()[0]), weights},
        ValueRange{init}, getBlockedProductMaps(0, rewriter.getContext()),
        iterators, buildProductBody, getMarkerAttrs(tile));
    auto expanded = tensor::ExpandShapeOp::create(rewriter, loc,
                                                  tile.getResult(0).getType(),
                                                  product.getResult(0), groups);
    rewriter.replaceOp(tile, expanded.getResult());
    return splitIntoBlockMatmuls(rewriter, product, fromZero);
  }

private:
  int64_t threads;
};
} // namespace

void mlir::agn::populateSplitBatchMatmulsPatterns(RewritePatternSet &patterns,
                                                  int64_t threads) {
  patterns.add<SplitBatchMatmul, SplitBatchedContraction>(patterns.getContext(),
                                                          threads);
  patterns.add<SplitBlockedPartialSums>(patterns.getContext());
  patterns.add<SplitBatchedBlockedPartialSums>(patterns.getContext(), threads);
}

namespace {
struct SplitBatchMatmulsPass
    : public agn::impl::AGNSplitBatchMatmulsBase<SplitBatchMatmulsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (threads < 1) {
      getOperation().emitError()
          << kPassName << ": 'threads' must be at least 1, got "
          << int64_t(threads);
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateSplitBatchMatmulsPatterns(patterns, threads);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    // What is left of what the patterns take failed to split (and said
    // why).
    WalkResult left = getOperation().walk([](Operation *op) {
      auto batched = dyn_cast<linalg::BatchMatmulOp>(op);
      auto generic = dyn_cast<linalg::GenericOp>(op);
      bool splittable =
          (batched && isSplittableBatchMatmul(batched)) ||
          (generic &&
           ((isBatchedMatmul(generic) && !hasEmptyIterationDomain(generic)) ||
            isSplittableBlockedProduct(generic) ||
            isSplittableBatchedBlockedProduct(generic)));
      return splittable ? WalkResult::interrupt() : WalkResult::advance();
    });
    if (left.wasInterrupted())
      return signalPassFailure();
  }
};
} // namespace
