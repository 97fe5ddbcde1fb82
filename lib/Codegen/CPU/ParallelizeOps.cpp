//===- ParallelizeOps.cpp - agn-cpu-parallelize-ops -----------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Splits the linalg ops the kernels do not take (im2col copies, layout
// changes, elementwise ops, pooling) into scf.forall chunks along one
// parallel loop, so that they run on the pipeline's threads too; a large
// tensor.pad first becomes a linalg.fill and a linalg.copy. Reductions
// without such a loop (a whole tensor's magnitude maximum, which
// per-tensor quantization takes) whose combining is exact split along a
// reduction loop into partial results that one small op then merges.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/CPU/Passes.h"
#include "agn/Codegen/Common/Tiling.h"
#include "agn/Dialect/AGN/IR/AGNAttrs.h"
#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/TilingInterface.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNCPUPARALLELIZEOPS
#include "agn/Codegen/CPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

static constexpr StringLiteral kPassName = "agn-cpu-parallelize-ops";

/// Returns whether loop `dim` of `op` indexes every output directly (a
/// result of each output's map is that loop): then chunks of the loop write
/// disjoint slices of every output.
static bool indexesEveryOutput(linalg::LinalgOp op, unsigned dim) {
  return llvm::all_of(op.getDpsInitsMutable(), [&](OpOperand &init) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    return llvm::any_of(map.getResults(), [&](AffineExpr result) {
      auto loop = dyn_cast<AffineDimExpr>(result);
      return loop && loop.getPosition() == dim;
    });
  });
}

/// Returns the loop of `op` to split into `threads` chunks: the outermost
/// parallel loop whose chunks are nearly even (the largest, of
/// ceil(range / threads) iterations, at most a quarter above range /
/// threads), else the parallel loop with the largest range; nothing when no
/// parallel loop has `threads` iterations or more.
static std::optional<unsigned> chooseLoop(linalg::LinalgOp op,
                                          int64_t threads) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  std::optional<unsigned> largest;
  for (auto [dim, iterator] : llvm::enumerate(op.getIteratorTypesArray())) {
    int64_t range = ranges[dim];
    if (iterator != utils::IteratorType::parallel || range < threads ||
        !indexesEveryOutput(op, dim))
      continue;
    // chunk / (range / threads) <= 5/4, in integers.
    int64_t chunk = llvm::divideCeil(range, threads);
    if (4 * chunk * threads <= 5 * range)
      return dim;
    if (!largest || range > ranges[*largest])
      largest = dim;
  }
  return largest;
}

/// Returns the combiner of the reduction `op` (one output) when it is exact,
/// associative and commutative on every value and has a neutral element
/// for partial results to start from: integer addition (modulo 2^n: no
/// overflow flags, which a partial sum could break where the whole one does
/// not), maxima, minima and bitwise ops; else null. Partial results of such
/// a reduction, merged, equal the sequential one bit for bit (a float sum
/// would not: its rounding depends on the order; nor quite a float maximum,
/// which may return another of several NaNs).
static Operation *getExactCombiner(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0)
    return nullptr;
  SmallVector<Operation *, 4> combiners;
  if (!matchReduction(op.getRegionOutputArgs(), 0, combiners) ||
      combiners.size() != 1)
    return nullptr;
  Operation *combiner = combiners.front();
  if (auto addition = dyn_cast<arith::AddIOp>(combiner)) {
    if (addition.getOverflowFlags() != arith::IntegerOverflowFlags::none)
      return nullptr;
  } else if (!isa<arith::MaxUIOp, arith::MaxSIOp, arith::MinUIOp,
                  arith::MinSIOp, arith::AndIOp, arith::OrIOp, arith::XOrIOp>(
                 combiner)) {
    return nullptr;
  }
  return arith::getNeutralElement(combiner) ? combiner : nullptr;
}

/// Returns the reduction loop of `op` to split into `threads` chunks of
/// partial results: the outermost reduction loop that the output does not
/// index (each chunk then reduces into a whole row) whose range is a
/// multiple of `threads` (equal, static chunks; 1x3x224x224 images split
/// their rows, not their three channels).
static std::optional<unsigned> chooseReductionLoop(linalg::LinalgOp op,
                                                   int64_t threads) {
  AffineMap outputMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (auto [dim, iterator] : llvm::enumerate(op.getIteratorTypesArray()))
    if (iterator == utils::IteratorType::reduction &&
        !outputMap.isFunctionOfDim(dim) && ranges[dim] >= threads &&
        ranges[dim] % threads == 0)
      return dim;
  return std::nullopt;
}

/// Returns the work of `op`: its iterations times the ops of its body
/// besides the yield (at least one: a copy or a fill), saturating. An
/// iteration of a GELU (some 40 ops, its erf as polynomials) costs as many
/// as 40 of an addition.
static int64_t estimateWork(linalg::LinalgOp op, int64_t iterations) {
  int64_t ops = std::max<int64_t>(
      1, static_cast<int64_t>(op.getBlock()->getOperations().size()) - 1);
  return iterations > std::numeric_limits<int64_t>::max() / ops
             ? std::numeric_limits<int64_t>::max()
             : iterations * ops;
}

/// Returns whether `type` is a tensor of integers that
/// agn-emulate-narrow-types packs several to a byte (i2 to i7: the i4
/// levels' weights), which it cannot address in a chunk at a dynamic
/// offset. (It keeps i1, comparisons' results, a byte each.)
static bool isSubByteTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.getElementType().isInteger())
    return false;
  unsigned width = tensor.getElementTypeBitWidth();
  return width > 1 && width < 8;
}

/// Returns whether `op` is one this pass splits: a linalg op on tensors with
/// static loop ranges and at least `minWork` work (estimateWork), without a
/// kernel config (the kernels split their own work), outside an scf.forall,
/// and on no sub-byte integers (isSubByteTensor).
static bool shouldSplit(linalg::LinalgOp op, int64_t minWork) {
  if (!op.hasPureTensorSemantics() || LoweringConfigAttr::of(op) ||
      op->getParentOfType<scf::ForallOp>() ||
      !isa<TilingInterface>(op.getOperation()) || hasEmptyIterationDomain(op))
    return false;
  if (llvm::any_of(op->getOperandTypes(), isSubByteTensor))
    return false;
  int64_t iterations = 1;
  for (int64_t range : op.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(range))
      return false;
    // Saturates rather than overflowing: only the comparison matters.
    iterations = range > std::numeric_limits<int64_t>::max() / iterations
                     ? std::numeric_limits<int64_t>::max()
                     : iterations * range;
  }
  return estimateWork(op, iterations) >= minWork;
}

/// Rewrites `pad` (static shapes, a constant padding value) as a
/// linalg.fill of the padded tensor with that value and a linalg.copy of the
/// source into its interior (which bufferizes in place): two linalg ops,
/// which this pass then splits like any other, where the tensor.pad stayed
/// on one thread (0.7 ms of mobilenet_v2's 96x114x114 padding on two).
static void decomposePad(RewriterBase &rewriter, tensor::PadOp pad) {
  Location loc = pad.getLoc();
  // A padding value defined in the pad's region goes before it: the region
  // goes with the pad.
  Value padValue = pad.getConstantPaddingValue();
  if (padValue.getParentBlock() == &pad.getRegion().front())
    rewriter.moveOpBefore(padValue.getDefiningOp(), pad);
  rewriter.setInsertionPoint(pad);
  RankedTensorType type = pad.getResultType();
  Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                        type.getElementType());
  Value filled = linalg::FillOp::create(rewriter, loc,
                                        pad.getConstantPaddingValue(), empty)
                     .getResult(0);
  SmallVector<OpFoldResult> offsets = pad.getMixedLowPad();
  SmallVector<OpFoldResult> sizes =
      tensor::getMixedSizes(rewriter, loc, pad.getSource());
  SmallVector<OpFoldResult> strides(type.getRank(), rewriter.getIndexAttr(1));
  Value interior = tensor::ExtractSliceOp::create(rewriter, loc, filled,
                                                  offsets, sizes, strides);
  Value copied =
      linalg::CopyOp::create(rewriter, loc, pad.getSource(), interior)
          .getResult(0);
  rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(pad, copied, filled,
                                                     offsets, sizes, strides);
}

/// Returns whether `pad` is one this pass decomposes (decomposePad), to
/// split the fill and the copy: static shapes, a constant padding value, at
/// least `minWork` elements, outside an scf.forall, of no sub-byte integers
/// (which would not be split).
static bool shouldDecompose(tensor::PadOp pad, int64_t minWork) {
  RankedTensorType type = pad.getResultType();
  return type.hasStaticShape() && !isSubByteTensor(type) &&
         pad.getSourceType().hasStaticShape() &&
         pad.getConstantPaddingValue() &&
         !pad->getParentOfType<scf::ForallOp>() &&
         type.getNumElements() >= minWork;
}

namespace {
struct ParallelizeOpsPass
    : public agn::impl::AGNCpuParallelizeOpsBase<ParallelizeOpsPass> {
  using Base::Base;

  /// Splits loop `dim` of the reduction `op`, whose exact `combiner`
  /// (getExactCombiner) it is, (`dim`'s range a multiple of `threads`) into
  /// `threads` chunks: an scf.forall whose iteration t reduces chunk t into
  /// row t of a tensor of partial results, each starting at the combiner's
  /// neutral element, then a linalg.generic that combines the rows into the
  /// op's own init.
  void splitReduction(RewriterBase &rewriter, linalg::LinalgOp op,
                      Operation *combiner, unsigned dim) {
    Location loc = op.getLoc();
    Value init = op.getDpsInits()[0];
    auto initType = cast<RankedTensorType>(init.getType());
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t chunk = ranges[dim] / threads;

    // The partial results: [threads] ++ the init's shape, neutral elements.
    rewriter.setInsertionPoint(op);
    SmallVector<int64_t> partialShape = {threads};
    llvm::append_range(partialShape, initType.getShape());
    Value neutral = arith::ConstantOp::create(
        rewriter, loc, *arith::getNeutralElement(combiner));
    Value partials = linalg::FillOp::create(
                         rewriter, loc, neutral,
                         tensor::EmptyOp::create(rewriter, loc, partialShape,
                                                 initType.getElementType())
                             .getResult())
                         .getResult(0);

    auto forall = scf::ForallOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(threads)},
        ValueRange{partials}, /*mapping=*/std::nullopt);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPoint(forall.getTerminator());
      Value t = forall.getInductionVar(0);
      // Row t of the partial results, rank-reduced to the init's shape.
      SmallVector<OpFoldResult> rowOffsets(partialShape.size(),
                                           rewriter.getIndexAttr(0));
      rowOffsets[0] = t;
      SmallVector<OpFoldResult> rowSizes = {rewriter.getIndexAttr(1)};
      for (int64_t size : initType.getShape())
        rowSizes.push_back(rewriter.getIndexAttr(size));
      SmallVector<OpFoldResult> unitStrides(partialShape.size(),
                                            rewriter.getIndexAttr(1));
      Value row = tensor::ExtractSliceOp::create(
          rewriter, loc, initType, forall.getRegionIterArgs()[0], rowOffsets,
          rowSizes, unitStrides);
      // The op on chunk t of loop `dim`, into that row.
      Operation *clone = rewriter.clone(*op.getOperation());
      rewriter.modifyOpInPlace(clone, [&] {
        cast<linalg::LinalgOp>(clone).getDpsInitsMutable()[0].set(row);
      });
      SmallVector<OpFoldResult> offsets(ranges.size(),
                                        rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes =
          llvm::map_to_vector(ranges, [&](int64_t range) -> OpFoldResult {
            return rewriter.getIndexAttr(range);
          });
      offsets[dim] = affine::AffineApplyOp::create(
                         rewriter, loc, rewriter.getAffineDimExpr(0) * chunk,
                         ValueRange{t})
                         .getResult();
      sizes[dim] = rewriter.getIndexAttr(chunk);
      FailureOr<TilingResult> tiled =
          cast<TilingInterface>(clone).getTiledImplementation(rewriter, offsets,
                                                              sizes);
      assert(succeeded(tiled) && tiled->tiledValues.size() == 1 &&
             "linalg ops tile along any loop");
      Value partial = tiled->tiledValues.front();
      rewriter.eraseOp(clone);
      rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(rewriter, loc, partial,
                                            forall.getRegionIterArgs()[0],
                                            rowOffsets, rowSizes, unitStrides);
    }

    // The rows combined into the init, in order.
    rewriter.setInsertionPointAfter(forall);
    int64_t rank = initType.getRank();
    AffineMap rowsMap = rewriter.getMultiDimIdentityMap(rank + 1);
    AffineMap initMap = rowsMap.dropResult(0);
    SmallVector<utils::IteratorType> iterators(rank + 1,
                                               utils::IteratorType::parallel);
    iterators[0] = utils::IteratorType::reduction;
    auto merge = linalg::GenericOp::create(
        rewriter, loc, TypeRange{initType}, ValueRange{forall.getResult(0)},
        ValueRange{init}, ArrayRef<AffineMap>{rowsMap, initMap}, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          OperationState state(l, combiner->getName());
          state.addOperands({args[1], args[0]});
          state.addTypes(args[1].getType());
          state.addAttributes(combiner->getAttrs());
          linalg::YieldOp::create(b, l, b.create(state)->getResult(0));
        });
    rewriter.replaceOp(op, merge.getResults());
  }

  void runOnOperation() override {
    if (threads < 1 || minWork < 0) {
      getOperation().emitError()
          << kPassName << ": 'threads' must be at least 1 and "
          << "'min-work' at least 0, got " << int64_t(threads) << " and "
          << int64_t(minWork);
      return signalPassFailure();
    }
    if (threads == 1)
      return;
    IRRewriter rewriter(&getContext());
    SmallVector<tensor::PadOp> pads;
    getOperation().walk([&](tensor::PadOp pad) {
      if (shouldDecompose(pad, minWork))
        pads.push_back(pad);
    });
    for (tensor::PadOp pad : pads)
      decomposePad(rewriter, pad);
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (shouldSplit(op, minWork))
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops) {
      std::optional<unsigned> dim = chooseLoop(op, threads);
      if (!dim) {
        if (Operation *combiner = getExactCombiner(op))
          if (std::optional<unsigned> reduction =
                  chooseReductionLoop(op, threads))
            splitReduction(rewriter, op, combiner, *reduction);
        continue;
      }
      SmallVector<int64_t> sizes(op.getNumLoops(), 0);
      sizes[*dim] =
          llvm::divideCeil(op.getStaticLoopRanges()[*dim], int64_t(threads));
      if (failed(tileInPlace(rewriter, op, sizes, kPassName,
                             "splitting into threads", /*forall=*/true)))
        return signalPassFailure();
    }
  }
};
} // namespace
