//===- VectorizeContractions.cpp - Tile and vectorize matmuls -------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A simple register-tiling vectorizer for the matmuls of agn's units (those
// whose #agn.lowering_config asks for register tiles: the tile sizes, K
// block and threads come from the config, which agn-cpu-configure-kernels
// chooses for the target), built from upstream pieces: scf tiling, the linalg
// vectorizer (with masks for partial tiles) and the redundant-transfer
// hoisting. It follows the recipe of the project's ENV.md (vector.contract via
// create_named_contraction, K tiled by 1, outer-product lowering, alias folding
// before hoisting, a K loop blocked for the caches with N untiled); static
// remainders are split off (peeled) rather than masked. The K block is 32
// rather than ENV.md's 256: with these register tiles blocks of 16 to 64
// measured alike, 128 kept part of the gain and 256 little of it; blocking N as
// well (blocks of 256 or 512 columns, with K blocks of 32 to 256) measured no
// faster on 64x1024x1024 and 256x2048x2048.
//
// Integer matmuls (the i8 versions) take the same route: the outer-product
// lowering sign-extends the i8 operands to the i32 accumulator type, so each
// K step becomes vpmovsxbd, vpmulld and vpaddd on zmm registers: 50x to 150x
// the scalar loops, about 0.6x the f32 kernel. Where the target has
// AVX512-VNNI (or AVX2 only, for weights without -128), the configuration
// gives them to agn-vnni-matmuls instead.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/CPU/KernelConfig.h"
#include "agn/Codegen/CPU/Passes.h"

#include "agn/Codegen/Common/ConstantLayout.h"
#include "agn/Codegen/Common/Tiling.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

#include <cstring>

namespace mlir::agn {
#define GEN_PASS_DEF_AGNVECTORIZECONTRACTIONS
#include "agn/Codegen/CPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// The name the diagnostics give.
static constexpr llvm::StringLiteral kPassName = "agn-vectorize-contractions";

/// Returns whether `op` is a signed integer matmul that the outer-product
/// lowering handles: integer operands of at least 4 bits (i4 weights are
/// read as vectors of bytes and unpacked in registers, see
/// agn-emulate-narrow-types), none wider than the accumulator, and the
/// default sign extension (the lowering extends with arith.extsi).
static bool isSignedIntegerMatmul(linalg::MatmulOp op) {
  auto accType =
      dyn_cast<IntegerType>(getElementTypeOrSelf(op.getOutputs()[0]));
  if (!accType || op.getCast() != linalg::TypeFn::cast_signed)
    return false;
  return llvm::all_of(op.getInputs(), [&](Value input) {
    auto type = dyn_cast<IntegerType>(getElementTypeOrSelf(input));
    return type && type.getWidth() >= 4 &&
           type.getWidth() <= accType.getWidth();
  });
}

bool mlir::agn::canUseRegisterTiles(linalg::MatmulOp op) {
  // An empty matmul computes nothing (and splitting one crashes upstream's
  // tiling): left to the loops.
  // (Any operand maps: loops 0 and 1 are M and N whatever they are, as the
  // importer's transposed operands (Gemm transB) write them.)
  if (!op.hasPureTensorSemantics() ||
      llvm::is_contained(op.getStaticLoopRanges(), 0))
    return false;
  return hasFloatOperands(op) || isSignedIntegerMatmul(op);
}

bool mlir::agn::canReassociateSum(linalg::LinalgOp op) {
  return isa<linalg::MatvecOp, linalg::DotOp>(op.getOperation()) &&
         op.hasPureTensorSemantics() && !op.hasUserDefinedMaps() &&
         hasFloatOperands(op);
}

/// Returns whether `op` reads A as [M, K], writes C as [M, N] and reads B as
/// [N, K] (`transposedB`, Gemm's transB) or [K, N].
static bool hasMatrixMaps(linalg::MatmulOp op, bool transposedB) {
  MLIRContext *context = op.getContext();
  AffineExpr m, n, k;
  bindDims(context, m, n, k);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  auto map = [&](ArrayRef<AffineExpr> results) {
    return AffineMap::get(3, 0, results, context);
  };
  return maps[0] == map({m, k}) && maps[2] == map({m, n}) &&
         maps[1] == (transposedB ? map({n, k}) : map({k, n}));
}

bool mlir::agn::canPackConstantB(linalg::MatmulOp op,
                                 ArrayRef<int64_t> tileSizes) {
  // Default maps, or B read transposed (TransposeConstantB's).
  if (!canUseRegisterTiles(op) || tileSizes.size() != 3 ||
      (!hasMatrixMaps(op, /*transposedB=*/false) &&
       !hasMatrixMaps(op, /*transposedB=*/true)))
    return false;
  DenseElementsAttr values;
  if (!matchPattern(op.getInputs()[1], m_Constant(&values)))
    return false;
  Type element = values.getElementType();
  if (!isa<FloatType>(element) || element.getIntOrFloatBitWidth() % 8 != 0)
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  return !ShapedType::isDynamicShape(ranges) && ranges[1] >= 2 * tileSizes[1];
}

/// Tiles the K dimension of `op` by `block` (when K is static and larger),
/// so that the register tiles sweep all of M and N over `block` rows of B
/// before moving on: those rows stay in the caches and the TLB instead of
/// every register tile striding through all K rows of B. Returns the matmul
/// to tile further.
static FailureOr<linalg::MatmulOp>
blockReduction(RewriterBase &rewriter, linalg::MatmulOp op, int64_t block) {
  // Loop 2 is K whatever the operands' maps.
  int64_t k = op.getStaticLoopRanges()[2];
  if (block <= 0 || ShapedType::isDynamic(k) || k <= block)
    return op;
  FailureOr<Operation *> tiled =
      tileInPlace(rewriter, op, {0, 0, block}, kPassName, "K blocking");
  if (failed(tiled))
    return failure();
  return cast<linalg::MatmulOp>(*tiled);
}

bool mlir::agn::splitsRowsForThreads(ArrayRef<int64_t> ranges,
                                     ArrayRef<int64_t> tileSizes,
                                     int64_t threads) {
  int64_t m = ranges[0], n = ranges[1], tileM = tileSizes[0];
  if (threads <= 1 || ShapedType::isDynamic(m) || m % tileM != 0 ||
      m / tileM < threads)
    return false;
  return ShapedType::isDynamic(n) || m > n;
}

/// Splits `op` into `threads` chunks of whole register tiles (`tileSizes`),
/// one per iteration of an scf.forall, which agn-lower-to-llvm-pipeline runs
/// on that many threads: along M where splitsRowsForThreads says so, else
/// along N (when static). Returns the matmul to tile further.
static FailureOr<linalg::MatmulOp>
splitForThreads(RewriterBase &rewriter, linalg::MatmulOp op, int64_t threads,
                ArrayRef<int64_t> tileSizes) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned dim = splitsRowsForThreads(ranges, tileSizes, threads) ? 0 : 1;
  int64_t size = ranges[dim], tile = tileSizes[dim];
  if (threads <= 1 || ShapedType::isDynamic(size) || size <= tile)
    return op;
  // Chunks of whole tiles that divide the dimension, so that every chunk
  // (and every tile in it) has a static size: the largest number of tiles
  // per chunk that divides the tile count and makes at least `threads`
  // chunks.
  int64_t chunk = llvm::alignTo(llvm::divideCeil(size, threads), tile);
  if (size % tile == 0) {
    int64_t tiles = size / tile;
    int64_t perChunk = llvm::divideCeil(tiles, threads);
    while (tiles % perChunk != 0)
      --perChunk;
    chunk = perChunk * tile;
  }
  SmallVector<int64_t> chunkSizes = {0, 0, 0};
  chunkSizes[dim] = chunk;
  FailureOr<Operation *> tiled = tileInPlace(
      rewriter, op, chunkSizes, kPassName,
      dim == 0 ? "splitting M for threads" : "splitting N for threads",
      /*forall=*/true);
  if (failed(tiled))
    return failure();
  return cast<linalg::MatmulOp>(*tiled);
}

/// Splits `op` along `dims` (M = 0, N = 1; when static) where the register
/// tiles of `tileSizes` stop fitting: into a part of whole tiles and a
/// remainder, each with static sizes, so that no tile is partial. (A partial
/// tile is masked, and a masked accumulator tile is not kept in registers
/// across the K loop: a 256x256x196 matmul took 3x as long as a 256x256x192
/// one.) Returns the parts.
static SmallVector<linalg::MatmulOp>
splitRemainders(RewriterBase &rewriter, linalg::MatmulOp op,
                ArrayRef<int64_t> tileSizes, ArrayRef<unsigned> dims) {
  SmallVector<linalg::MatmulOp> parts = {op};
  for (unsigned dim : dims) {
    SmallVector<linalg::MatmulOp> next;
    for (linalg::MatmulOp part : parts) {
      // Loops 0 and 1 are M and N whatever the operands' maps.
      int64_t size = part.getStaticLoopRanges()[dim];
      int64_t tile = tileSizes[dim];
      if (ShapedType::isDynamic(size) || size <= tile || size % tile == 0) {
        next.push_back(part);
        continue;
      }
      rewriter.setInsertionPoint(part);
      auto [whole, rest] =
          linalg::splitOp(rewriter, cast<TilingInterface>(part.getOperation()),
                          dim, rewriter.getIndexAttr(size - size % tile));
      for (TilingInterface piece : {whole, rest})
        if (auto matmul =
                dyn_cast_or_null<linalg::MatmulOp>(piece.getOperation()))
          next.push_back(matmul);
    }
    parts = std::move(next);
  }
  return parts;
}

/// Splits `op` where its whole register tiles along the dimension the threads
/// split (splitForThreads) do not divide into `threads` equal chunks: into
/// the largest multiple of `threads` tiles and the rest (splitRemainders with
/// tiles `threads` times as wide). Without it, a tile count with no fitting
/// divisor (31, resnet18's and mobilenet_v2's 1000 classes) made one chunk
/// per tile, each sweeping all K rows of B alone. Returns the parts.
static SmallVector<linalg::MatmulOp>
splitForEvenChunks(RewriterBase &rewriter, linalg::MatmulOp op, int64_t threads,
                   ArrayRef<int64_t> tileSizes) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned dim = splitsRowsForThreads(ranges, tileSizes, threads) ? 0 : 1;
  if (threads <= 1 || ShapedType::isDynamic(ranges[dim]) ||
      ranges[dim] % tileSizes[dim] != 0)
    return {op};
  SmallVector<int64_t> groups(tileSizes);
  groups[dim] *= threads;
  return splitRemainders(rewriter, op, groups, {dim});
}

/// Returns `tileSizes` with M and N clamped to the (static, nonzero) sizes
/// of `op`.
static SmallVector<int64_t> clampTileSizes(linalg::MatmulOp op,
                                           ArrayRef<int64_t> tileSizes) {
  SmallVector<int64_t> sizes(tileSizes);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (unsigned dim : {0u, 1u})
    if (!ShapedType::isDynamic(ranges[dim]))
      sizes[dim] = std::max<int64_t>(1, std::min(sizes[dim], ranges[dim]));
  return sizes;
}

/// Tiles `op` into `tileSizes` tiles and vectorizes the tile.
static LogicalResult tileAndVectorize(RewriterBase &rewriter,
                                      linalg::MatmulOp op,
                                      ArrayRef<int64_t> tileSizes) {
  FailureOr<Operation *> tiled =
      tileInPlace(rewriter, op, tileSizes, kPassName, "tiling");
  if (failed(tiled))
    return failure();
  Operation *tile = *tiled;
  SmallVector<bool> scalable(tileSizes.size(), false);
  FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
      rewriter, tile, tileSizes, /*inputScalableVecDims=*/scalable,
      /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
      /*assumeDynamicDimsMatchVecSizes=*/false,
      /*createNamedContraction=*/true);
  if (failed(vectorized))
    return tile->emitError("agn-vectorize-contractions: vectorization failed");
  rewriter.replaceOp(tile, vectorized->replacements);
  return success();
}

/// Returns the elements of `b`, a matrix, when it is a constant or a static
/// unit-stride slice of one (as splitRemainders cuts off the columns past
/// the whole panels); else null.
static DenseElementsAttr getConstantMatrix(Value b) {
  DenseElementsAttr values;
  if (matchPattern(b, m_Constant(&values)))
    return values;
  auto slice = b.getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice || !slice.hasUnitStride() ||
      !matchPattern(slice.getSource(), m_Constant(&values)) ||
      slice.getSourceType().getRank() != 2 ||
      slice.getResultType().getRank() != 2 ||
      llvm::any_of(slice.getStaticOffsets(), ShapedType::isDynamic) ||
      !slice.getResultType().hasStaticShape())
    return {};
  auto type = slice.getResultType();
  if (values.isSplat())
    return values.resizeSplat(type);
  int64_t bits = type.getElementTypeBitWidth();
  if (bits % 8 != 0)
    return {};
  size_t bytes = bits / 8;
  int64_t rows = type.getDimSize(0), columns = type.getDimSize(1);
  int64_t sourceColumns = slice.getSourceType().getDimSize(1);
  ArrayRef<int64_t> offsets = slice.getStaticOffsets();
  ArrayRef<char> raw = values.getRawData();
  SmallVector<char> data(rows * columns * bytes);
  for (int64_t row = 0; row < rows; ++row)
    std::memcpy(&data[row * columns * bytes],
                &raw[((offsets[0] + row) * sourceColumns + offsets[1]) * bytes],
                columns * bytes);
  return DenseElementsAttr::getFromRawBuffer(type, data);
}

/// Returns `values` ([K, N]) as panels of `width` columns ([N / width, K,
/// width]): each panel's K rows adjacent in memory.
static DenseElementsAttr packPanels(DenseElementsAttr values, int64_t width) {
  auto type = cast<RankedTensorType>(values.getType());
  int64_t k = type.getDimSize(0), n = type.getDimSize(1);
  assert(n % width == 0 && "whole panels");
  return permuteConstant(values, {k, n / width, width}, {1, 0, 2});
}

/// Builds, at the rewriter's insertion point, a loop over panels [lo, hi) of
/// `packed` ([panels, K, width]): for each, the matmul of `a` and the panel
/// into the panel's columns of `acc` (whose column 0 is panel lo's first),
/// register-tiled over the rows of A. `like` gives the matmuls their cast
/// and attributes. Returns the loop's result.
static FailureOr<Value> buildPanelLoop(RewriterBase &rewriter,
                                       linalg::MatmulOp like, Value a,
                                       Value packed, OpFoldResult lo,
                                       OpFoldResult hi, Value acc,
                                       ArrayRef<int64_t> sizes) {
  Location loc = like.getLoc();
  auto packedType = cast<RankedTensorType>(packed.getType());
  int64_t k = packedType.getDimSize(1), width = packedType.getDimSize(2);
  int64_t m = cast<RankedTensorType>(acc.getType()).getDimSize(0);
  auto loop = scf::ForOp::create(
      rewriter, loc, getValueOrCreateConstantIndexOp(rewriter, loc, lo),
      getValueOrCreateConstantIndexOp(rewriter, loc, hi),
      arith::ConstantIndexOp::create(rewriter, loc, 1), ValueRange{acc});
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(loop.getBody());
  Value panel = loop.getInductionVar();
  Value sums = loop.getRegionIterArgs()[0];
  AffineExpr j, first;
  bindDims(rewriter.getContext(), j, first);
  OpFoldResult column = affine::makeComposedFoldedAffineApply(
      rewriter, loc, (j - first) * width, {OpFoldResult(panel), lo});
  auto panelType =
      RankedTensorType::get({k, width}, packedType.getElementType());
  Value b = tensor::ExtractSliceOp::create(
      rewriter, loc, panelType, packed,
      ArrayRef<OpFoldResult>{panel, rewriter.getIndexAttr(0),
                             rewriter.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1), rewriter.getIndexAttr(k),
                             rewriter.getIndexAttr(width)},
      ArrayRef<OpFoldResult>(
          SmallVector<OpFoldResult>(3, rewriter.getIndexAttr(1))));
  SmallVector<OpFoldResult> offsets = {rewriter.getIndexAttr(0), column};
  SmallVector<OpFoldResult> tileSizes = {rewriter.getIndexAttr(m),
                                         rewriter.getIndexAttr(width)};
  SmallVector<OpFoldResult> unit(2, rewriter.getIndexAttr(1));
  Value init = tensor::ExtractSliceOp::create(rewriter, loc, sums, offsets,
                                              tileSizes, unit);
  auto matmul =
      linalg::MatmulOp::create(rewriter, loc, TypeRange{init.getType()},
                               ValueRange{a, b}, ValueRange{init});
  if (linalg::TypeFnAttr cast = like.getCastAttr())
    matmul.setCastAttr(cast);
  matmul->setDiscardableAttrs(like->getDiscardableAttrDictionary());
  Value updated = tensor::InsertSliceOp::create(
      rewriter, loc, matmul.getResult(0), sums, offsets, tileSizes, unit);
  scf::YieldOp::create(rewriter, loc, updated);
  for (linalg::MatmulOp rows : splitRemainders(rewriter, matmul, sizes, {0}))
    if (failed(tileAndVectorize(rewriter, rows, clampTileSizes(rows, sizes))))
      return failure();
  return loop.getResult(0);
}

/// Replaces `op` (`pack_b`: B a float constant, static sizes, N whole
/// panels) by register tiles that sweep B a panel of `sizes[1]` columns at a
/// time, each panel's rows adjacent in a constant packed at compile time: the
/// panel streams from memory once, in order, and stays in the caches while the
/// tiles go down all rows of A, whose sums stay in registers over all of K (no
/// K blocking). With `threads` > 1, an scf.forall gives each thread a run of
/// panels. The sums run in the same order as the unpacked tiles': the same
/// bits.
static LogicalResult tileOverPanels(RewriterBase &rewriter, linalg::MatmulOp op,
                                    ArrayRef<int64_t> sizes, int64_t threads) {
  Location loc = op.getLoc();
  DenseElementsAttr b = getConstantMatrix(op.getInputs()[1]);
  if (!b)
    return op.emitError(kPassName) << ": 'pack_b' needs a constant B";
  int64_t width = sizes[1];
  rewriter.setInsertionPoint(op);
  Value packed = arith::ConstantOp::create(rewriter, loc, packPanels(b, width));
  int64_t panels = cast<RankedTensorType>(packed.getType()).getDimSize(0);
  Value a = op.getInputs()[0], init = op.getOutputs()[0];
  if (threads <= 1) {
    FailureOr<Value> result =
        buildPanelLoop(rewriter, op, a, packed, rewriter.getIndexAttr(0),
                       rewriter.getIndexAttr(panels), init, sizes);
    if (failed(result))
      return failure();
    rewriter.replaceOp(op, *result);
    return success();
  }
  // (No thread without a panel.)
  threads = std::min(threads, panels);
  auto forall = scf::ForallOp::create(
      rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(threads)},
      ValueRange{init}, /*mapping=*/std::nullopt);
  rewriter.setInsertionPoint(forall.getTerminator());
  Value thread = forall.getInductionVar(0);
  Value shared = forall.getRegionIterArgs()[0];
  AffineExpr t;
  bindDims(rewriter.getContext(), t);
  // Thread t takes panels [t P / T, (t + 1) P / T).
  AffineExpr first = (t * panels).floorDiv(threads);
  AffineExpr last = ((t + 1) * panels).floorDiv(threads);
  auto apply = [&](AffineExpr expr) {
    return affine::makeComposedFoldedAffineApply(rewriter, loc, expr,
                                                 {OpFoldResult(thread)});
  };
  OpFoldResult lo = apply(first), hi = apply(last);
  OpFoldResult firstColumn = apply(first * width);
  OpFoldResult columns =
      panels % threads == 0
          ? OpFoldResult(rewriter.getIndexAttr(panels / threads * width))
          : apply((last - first) * width);
  int64_t m = op.getStaticLoopRanges()[0];
  SmallVector<OpFoldResult> offsets = {rewriter.getIndexAttr(0), firstColumn};
  SmallVector<OpFoldResult> chunkSizes = {rewriter.getIndexAttr(m), columns};
  SmallVector<OpFoldResult> unit(2, rewriter.getIndexAttr(1));
  Value chunk = tensor::ExtractSliceOp::create(rewriter, loc, shared, offsets,
                                               chunkSizes, unit);
  FailureOr<Value> result =
      buildPanelLoop(rewriter, op, a, packed, lo, hi, chunk, sizes);
  if (failed(result))
    return failure();
  rewriter.setInsertionPointToEnd(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(rewriter, loc, *result, shared, offsets,
                                        chunkSizes, unit);
  rewriter.replaceOp(op, forall.getResults());
  return success();
}

/// Returns `value` (a ranked tensor) with its elements extended to
/// `elementType` (arith.extf for floats, arith.extsi for integers) by an
/// elementwise linalg.generic, whose loop LLVM vectorizes.
static Value extendElements(RewriterBase &rewriter, Location loc, Value value,
                            Type elementType) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, value);
  Value init = tensor::EmptyOp::create(rewriter, loc, sizes, elementType);
  AffineMap identity = rewriter.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(
             rewriter, loc, TypeRange{init.getType()}, ValueRange{value},
             ValueRange{init}, ArrayRef<AffineMap>{identity, identity},
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &b, Location loc, ValueRange args) {
               linalg::YieldOp::create(
                   b, loc,
                   ValueRange{convertScalarToDtype(b, loc, args[0], elementType,
                                                   /*isUnsignedCast=*/false)});
             })
      .getResult(0);
}

/// Replaces `op` by the same matmul of `inputs`: its maps (a transposed
/// operand, as Gemm's transB), its cast and its discardable attributes (the
/// kernel config, the unit's name) stay. Returns the new matmul.
static linalg::MatmulOp replaceMatmulInputs(RewriterBase &rewriter,
                                            linalg::MatmulOp op,
                                            ValueRange inputs) {
  rewriter.setInsertionPoint(op);
  auto replacement = linalg::MatmulOp::create(
      rewriter, op.getLoc(), op->getResultTypes(), inputs, op.getOutputs());
  replacement.setIndexingMapsAttr(op.getIndexingMapsAttr());
  if (linalg::TypeFnAttr cast = op.getCastAttr())
    replacement.setCastAttr(cast);
  replacement->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  rewriter.replaceOp(op, replacement);
  return replacement;
}

namespace {
/// Rewrites a float linalg.matvec or linalg.dot on tensors (default maps)
/// configured `reassociated_sum` into the same contraction as a
/// linalg.generic whose additions carry fastmath<reassoc>: the loops it
/// becomes then let LLVM's vectorizer split the sum over K into vector
/// partial sums (a float sum without reassociation stays scalar). Register
/// tiles would read A by columns.
struct ReassociateSum : public OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!LoweringConfigAttr::hasKernel(op, KernelKind::reassociated_sum))
      return rewriter.notifyMatchFailure(op, "not a reassociated sum");
    Type accType = getElementTypeOrSelf(op.getDpsInits()[0]);
    rewriter.replaceOpWithNewOp<linalg::GenericOp>(
        op, op->getResultTypes(), op.getDpsInputs(), op.getDpsInits(),
        op.getIndexingMapsArray(), op.getIteratorTypesArray(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value lhs = convertScalarToDtype(b, loc, args[0], accType,
                                           /*isUnsignedCast=*/false);
          Value rhs = convertScalarToDtype(b, loc, args[1], accType,
                                           /*isUnsignedCast=*/false);
          Value product = arith::MulFOp::create(b, loc, lhs, rhs);
          linalg::YieldOp::create(
              b, loc,
              ValueRange{arith::AddFOp::create(b, loc, args[2], product,
                                               arith::FastMathFlags::reassoc)});
        });
    return success();
  }
};

/// Rewrites a matmul of f16 or bf16 operands into f32 whose config has
/// `widen_to_f32` into the f32 matmul of its operands converted to f32
/// first (an elementwise linalg.generic each, which LLVM vectorizes). The
/// results are the same (the conversions are exact, and the matmul converts
/// its operands to f32 anyway); the register tiles then run at the f32
/// speed, where converting in registers made every tile convert its rows of
/// B again. (The configuration leaves one row of A as it is: there the
/// kernel is memory-bound, and half-width weights read half the bytes.)
struct WidenHalfPrecisionMatmul : public OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    LoweringConfigAttr config = LoweringConfigAttr::of(op);
    if (!config || config.getKernel() != KernelKind::register_tiles ||
        !config.getWidenToF32())
      return rewriter.notifyMatchFailure(op, "not configured widen_to_f32");
    Type f32 = rewriter.getF32Type();
    SmallVector<Value> wide =
        llvm::map_to_vector(op.getInputs(), [&](Value input) {
          return extendElements(rewriter, op.getLoc(), input, f32);
        });
    linalg::MatmulOp matmul = replaceMatmulInputs(rewriter, op, wide);
    // Without widen_to_f32: the f32 matmul is what the tiles take.
    LoweringConfigAttr::get(matmul.getContext(), KernelKind::register_tiles,
                            config.getTileSizes(), config.getKBlock(),
                            config.getThreads())
        .attachTo(matmul);
    return success();
  }
};

/// Returns whether `op` has an integer operand of fewer than 8 bits.
static bool hasNarrowIntegerOperand(linalg::MatmulOp op) {
  return llvm::any_of(op.getInputs(), [](Value input) {
    Type type = getElementTypeOrSelf(input);
    return type.isInteger() && type.getIntOrFloatBitWidth() < 8;
  });
}

/// Rewrites a register-tiled integer matmul with an operand of fewer than 8
/// bits (the i4 versions' weights) into the same matmul of that operand
/// sign-extended to i8 first (an elementwise linalg.generic, whose loop LLVM
/// vectorizes). The products and sums are the same; the register tiles then
/// read bytes, as for i8, where vector.contract cannot take i4 beside i8.
/// The unpacked copy costs one pass over the weights per call, against M
/// multiply-adds per weight; the weights stay packed in memory.
struct WidenNarrowIntegerOperands : public OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!LoweringConfigAttr::hasKernel(op, KernelKind::register_tiles) ||
        !canUseRegisterTiles(op) || !hasNarrowIntegerOperand(op))
      return rewriter.notifyMatchFailure(op, "no narrow operand to widen");
    Type i8 = rewriter.getI8Type();
    SmallVector<Value> wide =
        llvm::map_to_vector(op.getInputs(), [&](Value input) {
          return getElementTypeOrSelf(input).getIntOrFloatBitWidth() >= 8
                     ? input
                     : extendElements(rewriter, op.getLoc(), input, i8);
        });
    replaceMatmulInputs(rewriter, op, wide);
    return success();
  }
};

/// Carries out a `register_tiles` config: the N remainder split off, M or N
/// split into the config's threads, K blocked, the M remainder split off, then
/// register tiles vectorized to vector.contract. (Matmuls the rewrites above
/// take first are left to them.) The M remainder is split inside the K
/// block, where the rows of B the whole tiles just swept are still in the
/// caches: split off first, it read all of B again (9 MiB per 7x7
/// convolution of resnet18's last stage, whose 49 rows are 6 tiles and 1).
struct TileMatmulInRegisters : public OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    LoweringConfigAttr config = LoweringConfigAttr::of(op);
    if (!config || config.getKernel() != KernelKind::register_tiles ||
        config.getWidenToF32() || hasNarrowIntegerOperand(op) ||
        !canUseRegisterTiles(op))
      return rewriter.notifyMatchFailure(op, "not ready for register tiles");
    ArrayRef<int64_t> sizes = config.getTileSizes();
    SmallVector<linalg::MatmulOp> parts;
    for (linalg::MatmulOp part :
         splitRemainders(rewriter, op, sizes, /*dims=*/{1})) {
      // (A remainder of fewer columns than a panel goes the unpacked way.)
      if (config.getPackB() && part.getStaticLoopRanges()[1] >= sizes[1]) {
        if (failed(tileOverPanels(rewriter, part, sizes, config.getThreads())))
          return failure();
        continue;
      }
      llvm::append_range(parts,
                         splitForEvenChunks(rewriter, part, config.getThreads(),
                                            clampTileSizes(part, sizes)));
    }
    for (linalg::MatmulOp part : parts) {
      FailureOr<linalg::MatmulOp> chunk = splitForThreads(
          rewriter, part, config.getThreads(), clampTileSizes(part, sizes));
      if (failed(chunk))
        return failure();
      FailureOr<linalg::MatmulOp> blocked =
          blockReduction(rewriter, *chunk, config.getKBlock());
      if (failed(blocked))
        return failure();
      for (linalg::MatmulOp rows :
           splitRemainders(rewriter, *blocked, sizes, /*dims=*/{0}))
        if (failed(
                tileAndVectorize(rewriter, rows, clampTileSizes(rows, sizes))))
          return failure();
    }
    return success();
  }
};
} // namespace

namespace {
/// Rewrites a matmul configured `register_tiles` whose B is a constant read
/// transposed ([N, K], as the importer writes Gemm's transB for every
/// fully connected layer) into one of default maps on the constant
/// transposed at compile time. Each K step of a tile then reads a row of B
/// (32 adjacent floats) instead of gathering 32 floats 4K floats apart:
/// resnet18's and mobilenet_v2's classifiers took 0.6 ms per call so. The
/// sums run in the same order: the same bits.
struct TransposeConstantB : public OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!LoweringConfigAttr::hasKernel(op, KernelKind::register_tiles) ||
        !op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "not a register-tile matmul");
    if (!hasMatrixMaps(op, /*transposedB=*/true))
      return rewriter.notifyMatchFailure(op, "B is not read transposed");
    DenseElementsAttr values;
    if (!matchPattern(op.getInputs()[1], m_Constant(&values)))
      return rewriter.notifyMatchFailure(op, "B is not a constant");
    auto type = cast<RankedTensorType>(values.getType());
    if (!type.getElementType().isIntOrFloat())
      return rewriter.notifyMatchFailure(op, "B is not of numbers");
    if (!values.isSplat() && type.getElementTypeBitWidth() % 8 != 0)
      return rewriter.notifyMatchFailure(op, "elements not whole bytes");
    DenseElementsAttr transposed = permuteConstant(
        values, {type.getDimSize(0), type.getDimSize(1)}, {1, 0});
    rewriter.setInsertionPoint(op);
    Value b = arith::ConstantOp::create(rewriter, op.getLoc(), transposed);
    auto replacement = linalg::MatmulOp::create(
        rewriter, op.getLoc(), op->getResultTypes(),
        ValueRange{op.getInputs()[0], b}, op.getOutputs());
    if (linalg::TypeFnAttr cast = op.getCastAttr())
      replacement.setCastAttr(cast);
    replacement->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    rewriter.replaceOp(op, replacement);
    return success();
  }
};
} // namespace

void mlir::agn::populatePrepareContractionsPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ReassociateSum, WidenHalfPrecisionMatmul,
               WidenNarrowIntegerOperands>(patterns.getContext());
}

void mlir::agn::populateRegisterTilePatterns(RewritePatternSet &patterns) {
  patterns.add<TileMatmulInRegisters>(patterns.getContext());
}

namespace {
struct VectorizeContractionsPass
    : public agn::impl::AGNVectorizeContractionsBase<
          VectorizeContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    // A config this pass cannot carry out (set by hand on a matmul it does
    // not take) is an error.
    WalkResult walk = getOperation().walk([&](linalg::MatmulOp op) {
      LoweringConfigAttr config = LoweringConfigAttr::of(op);
      if (!config || config.getKernel() != KernelKind::register_tiles)
        return WalkResult::advance();
      if (!canUseRegisterTiles(op)) {
        op.emitError("agn-vectorize-contractions: cannot tile and vectorize "
                     "this matmul (its agn.lowering_config): it needs "
                     "tensors, default maps, no empty dimension, and float "
                     "or signed integer operands of 4 bits or more");
        return WalkResult::interrupt();
      }
      if (config.getPackB() && !canPackConstantB(op, config.getTileSizes())) {
        op.emitError("agn-vectorize-contractions: cannot carry out 'pack_b' "
                     "on this matmul (its agn.lowering_config): it needs a B "
                     "of float constants, static sizes and N of at least two "
                     "register tiles");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    // The rewrites that make the matmuls the register tiles take (constant
    // B in rows first, then the widenings), then the tiles (a walk each:
    // none revisits what it made).
    RewritePatternSet rows(&getContext());
    rows.add<TransposeConstantB>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(rows));
    RewritePatternSet prepare(&getContext());
    populatePrepareContractionsPatterns(prepare);
    walkAndApplyPatterns(getOperation(), std::move(prepare));
    RewritePatternSet tiles(&getContext());
    populateRegisterTilePatterns(tiles);
    walkAndApplyPatterns(getOperation(), std::move(tiles));
    // A matmul left configured is one whose tiling failed (and said why).
    if (getOperation()
            .walk([&](linalg::MatmulOp op) {
              return LoweringConfigAttr::hasKernel(op,
                                                   KernelKind::register_tiles)
                         ? WalkResult::interrupt()
                         : WalkResult::advance();
            })
            .wasInterrupted())
      return signalPassFailure();

    // Partial tiles (dynamic sizes) are masked; bufferization wants the masks
    // inside the transfers rather than around them.
    RewritePatternSet patterns(&getContext());
    vector::populateVectorMaskLoweringPatternsForSideEffectingOps(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
