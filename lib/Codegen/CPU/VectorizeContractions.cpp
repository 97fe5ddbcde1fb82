//===- VectorizeContractions.cpp - Tile and vectorize matmuls -------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A simple register-tiling vectorizer for the matmuls of agn's units, built
// from upstream pieces: scf tiling, the linalg vectorizer (with masks for
// partial tiles) and the redundant-transfer hoisting. It follows the recipe
// of the project's ENV.md (vector.contract via create_named_contraction, K
// tiled by 1, outer-product lowering, alias folding before hoisting, a K
// loop blocked for the caches with N untiled); static remainders are split
// off (peeled) rather than masked. The K
// block is 32 rather than ENV.md's 256: with these register tiles blocks of
// 16 to 64 measured alike, 128 kept part of the gain and 256 little of it;
// blocking N as well (blocks of 256 or 512 columns, with K blocks of 32 to
// 256) measured no faster on 64x1024x1024 and 256x2048x2048.
//
// Integer matmuls (the i8 versions) take the same route: the outer-product
// lowering sign-extends the i8 operands to the i32 accumulator type, so each
// K step becomes vpmovsxbd, vpmulld and vpaddd on zmm registers: 50x to 150x
// the scalar loops, about 0.6x the f32 kernel. With constant weights and
// AVX512-VNNI, agn-vnni-matmuls (VnniMatmuls.cpp) takes them first.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/CPU/Passes.h"

#include "agn/Codegen/Common/TilingUtils.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNVECTORIZECONTRACTIONS
#include "agn/Codegen/CPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// The default register tile (M, N, K) of float matmuls: 8 x 32 f32
/// accumulators are 16 AVX-512 registers, K by 1 makes each step an outer
/// product.
static constexpr int64_t kDefaultFloatTileSizes[] = {8, 32, 1};

/// The default register tile of integer matmuls: 4 x 64 i32 accumulators,
/// also 16 registers; fewer rows than the float tile, so that fewer
/// broadcasts feed each row of sign-extended B (about 1.3x as fast as 8x32
/// on the i8 kernels of bench/KernelBench.cpp).
static constexpr int64_t kDefaultIntegerTileSizes[] = {4, 64, 1};

/// Rows of A from which f16 and bf16 matmuls convert their operands to f32
/// before the register tiles (see widenHalfPrecisionMatmuls).
static constexpr int64_t kMinWidenedRows = 16;

/// The name the diagnostics give.
static constexpr llvm::StringLiteral kPassName = "agn-vectorize-contractions";

/// Returns whether `op` is a signed integer matmul that the outer-product
/// lowering handles: integer operands of at least 8 bits (the packed i4
/// weights are left to the scalar loops), none wider than the accumulator,
/// and the default sign extension (the lowering extends with arith.extsi).
static bool isSignedIntegerMatmul(linalg::MatmulOp op) {
  auto accType =
      dyn_cast<IntegerType>(getElementTypeOrSelf(op.getOutputs()[0]));
  if (!accType || op.getCast() != linalg::TypeFn::cast_signed)
    return false;
  return llvm::all_of(op.getInputs(), [&](Value input) {
    auto type = dyn_cast<IntegerType>(getElementTypeOrSelf(input));
    return type && type.getWidth() >= 8 &&
           type.getWidth() <= accType.getWidth();
  });
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

/// Splits the N dimension of `op` (when static) into `threads` chunks of
/// whole register tiles (`tileN` columns), one per iteration of an
/// scf.forall, which agn-lower-to-llvm-pipeline runs on that many threads.
/// Returns the matmul to tile further.
static FailureOr<linalg::MatmulOp> splitForThreads(RewriterBase &rewriter,
                                                   linalg::MatmulOp op,
                                                   int64_t threads,
                                                   int64_t tileN) {
  int64_t n = op.getStaticLoopRanges()[1];
  if (threads <= 1 || ShapedType::isDynamic(n) || n <= tileN)
    return op;
  // Chunks of whole tiles that divide N, so that every chunk (and every
  // tile in it) has a static size: the largest number of tiles per chunk
  // that divides the tile count and makes at least `threads` chunks.
  int64_t chunk = llvm::alignTo(llvm::divideCeil(n, threads), tileN);
  if (n % tileN == 0) {
    int64_t tiles = n / tileN;
    int64_t perChunk = llvm::divideCeil(tiles, threads);
    while (tiles % perChunk != 0)
      --perChunk;
    chunk = perChunk * tileN;
  }
  FailureOr<Operation *> tiled =
      tileInPlace(rewriter, op, {0, chunk, 0}, kPassName,
                  "splitting N for threads", /*forall=*/true);
  if (failed(tiled))
    return failure();
  return cast<linalg::MatmulOp>(*tiled);
}

/// Splits `op` along M and N (when static) where the register tiles of
/// `tileSizes` stop fitting: into a part of whole tiles and a remainder, each
/// with static sizes, so that no tile is partial. (A partial tile is
/// masked, and a masked accumulator tile is not kept in registers across
/// the K loop: a 256x256x196 matmul took 3x as long as a 256x256x192 one.)
/// Returns the parts.
static SmallVector<linalg::MatmulOp>
splitRemainders(RewriterBase &rewriter, linalg::MatmulOp op,
                ArrayRef<int64_t> tileSizes) {
  SmallVector<linalg::MatmulOp> parts = {op};
  for (unsigned dim : {0u, 1u}) {
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

/// Returns whether `op` is a float matrix product batched over its leading
/// loops: loops (b_1 .. b_r, m, n, k), all parallel but k; A indexed
/// (..., m, k) and B (..., k, n), their leading results batch loops or 0
/// (a broadcast unit dimension), C (b_1 .. b_r, m, n); the body out + a * b
/// on one float type; tensors of static shapes.
static bool isBatchedMatmul(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() < 3 ||
      !hasFloatOperands(op) || op.hasDynamicShape())
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
  // The body: out + a * b (either operand order), one float type.
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
  return productOfInputs && sumWithOut && a.getType() == type &&
         b.getType() == type &&
         body.getTerminator()->getOperand(0) == add.getResult();
}

namespace {
struct VectorizeContractionsPass
    : public agn::impl::AGNVectorizeContractionsBase<
          VectorizeContractionsPass> {
  using Base::Base;

  /// Makes every float or integer linalg.batch_matmul on tensors (with the
  /// default maps) a loop of linalg.matmul ops, one per batch element: tiled
  /// by 1 along the batch, each unit-batch tile's operands collapsed to
  /// matrices. (Upstream's rank-reducing patterns would also turn a matmul
  /// with M or N = 1 into a vecmat or matvec, which stays scalar here.) The
  /// integer ones (agn's i8 and i4 versions of batched units) then go to
  /// agn-vnni-matmuls or the integer register tiles.
  LogicalResult splitBatches() {
    SmallVector<linalg::BatchMatmulOp> batched;
    getOperation().walk([&](linalg::BatchMatmulOp op) {
      if (op.hasPureTensorSemantics() && !op.hasUserDefinedMaps() &&
          (hasFloatOperands(op) || hasSignlessIntegerOperands(op)))
        batched.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::BatchMatmulOp op : batched)
      if (failed(splitBatch(rewriter, op, kPassName)))
        return failure();
    return success();
  }

  /// Makes every float batched contraction linalg.generic on tensors (as
  /// agn's importer writes a MatMul whose batch dimensions broadcast, or
  /// that has more than one) a loop nest over its batch dimensions of
  /// linalg.matmul ops, as splitBatches does for linalg.batch_matmul.
  LogicalResult splitBatchedContractions() {
    SmallVector<linalg::GenericOp> contractions;
    getOperation().walk([&](linalg::GenericOp op) {
      if (isBatchedMatmul(op))
        contractions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : contractions) {
      int64_t batchDims = op.getNumLoops() - 3;
      SmallVector<int64_t> sizes(batchDims, 1);
      sizes.append({0, 0, 0});
      linalg::GenericOp tile = op;
      if (batchDims > 0) {
        FailureOr<Operation *> tiled =
            tileInPlace(rewriter, op, sizes, kPassName, "splitting the batch");
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
      Value product = linalg::MatmulOp::create(
                          rewriter, loc, TypeRange{initMatrix.getType()},
                          ValueRange{matrix(tile.getDpsInputs()[0]),
                                     matrix(tile.getDpsInputs()[1])},
                          ValueRange{initMatrix})
                          .getResult(0);
      // (`matrix` collapses only the operands that are not matrices.)
      if (initMatrix != init)
        product = tensor::ExpandShapeOp::create(
            rewriter, loc, init.getType(), product,
            initMatrix.getDefiningOp<tensor::CollapseShapeOp>()
                .getReassociationIndices());
      rewriter.replaceOp(tile, product);
    }
    return success();
  }

  /// Rewrites every float linalg.matvec and linalg.dot on tensors (default
  /// maps) into the same contraction as a linalg.generic whose additions
  /// carry fastmath<reassoc>: the loops it becomes then let LLVM's
  /// vectorizer split the sum over K into vector partial sums (a float sum
  /// without reassociation stays scalar). Register tiles would read A by
  /// columns.
  void reassociateSums() {
    SmallVector<linalg::LinalgOp> sums;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatvecOp, linalg::DotOp>(op.getOperation()) &&
          op.hasPureTensorSemantics() && !op.hasUserDefinedMaps() &&
          hasFloatOperands(op))
        sums.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : sums) {
      rewriter.setInsertionPoint(op);
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
                ValueRange{arith::AddFOp::create(
                    b, loc, args[2], product, arith::FastMathFlags::reassoc)});
          });
    }
  }

  /// Rewrites every matmul of f16 or bf16 operands into f32 with at least
  /// kMinWidenedRows static rows of A into the f32 matmul of its operands
  /// converted to f32 first (an elementwise linalg.generic each, which LLVM
  /// vectorizes). The results are the same (the conversions are exact, and
  /// the matmul converts its operands to f32 anyway); the register tiles then
  /// run at the f32 speed, where converting in registers made every tile
  /// convert its rows of B again. One row of A is left as it is: there the
  /// kernel is memory-bound, and half-width weights read half the bytes.
  void widenHalfPrecisionMatmuls() {
    SmallVector<linalg::MatmulOp> narrow;
    getOperation().walk([&](linalg::MatmulOp op) {
      if (!op.hasPureTensorSemantics() || op.hasUserDefinedMaps())
        return;
      Type accType = getElementTypeOrSelf(op.getOutputs()[0]);
      int64_t rows = op.getStaticLoopRanges()[0];
      bool halfInputs = llvm::all_of(op.getInputs(), [](Value input) {
        return isa<Float16Type, BFloat16Type>(getElementTypeOrSelf(input));
      });
      if (halfInputs && accType.isF32() && !ShapedType::isDynamic(rows) &&
          rows >= kMinWidenedRows)
        narrow.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::MatmulOp op : narrow) {
      rewriter.setInsertionPoint(op);
      Location loc = op.getLoc();
      Type f32 = rewriter.getF32Type();
      auto widen = [&](Value value) -> Value {
        auto type = cast<RankedTensorType>(value.getType());
        SmallVector<OpFoldResult> sizes =
            tensor::getMixedSizes(rewriter, loc, value);
        Value init = tensor::EmptyOp::create(rewriter, loc, sizes, f32);
        AffineMap identity = rewriter.getMultiDimIdentityMap(type.getRank());
        return linalg::GenericOp::create(
                   rewriter, loc, TypeRange{init.getType()}, ValueRange{value},
                   ValueRange{init}, ArrayRef<AffineMap>{identity, identity},
                   SmallVector<utils::IteratorType>(
                       type.getRank(), utils::IteratorType::parallel),
                   [&](OpBuilder &b, Location loc, ValueRange args) {
                     linalg::YieldOp::create(b, loc,
                                             ValueRange{arith::ExtFOp::create(
                                                 b, loc, f32, args[0])});
                   })
            .getResult(0);
      };
      rewriter.replaceOpWithNewOp<linalg::MatmulOp>(
          op, op->getResultTypes(),
          ValueRange{widen(op.getInputs()[0]), widen(op.getInputs()[1])},
          op.getOutputs());
    }
  }

  void runOnOperation() override {
    SmallVector<int64_t> sizes(tileSizes.begin(), tileSizes.end());
    if (!sizes.empty() &&
        (sizes.size() != 3 ||
         llvm::any_of(sizes, [](int64_t s) { return s <= 0; }))) {
      getOperation().emitError("agn-vectorize-contractions: tile-sizes must "
                               "be three positive sizes (M, N, K)");
      return signalPassFailure();
    }
    if (threads < 1) {
      getOperation().emitError("agn-vectorize-contractions: 'threads' must "
                               "be at least 1, got ")
          << static_cast<int64_t>(threads);
      return signalPassFailure();
    }

    if (failed(splitBatches()) || failed(splitBatchedContractions()))
      return signalPassFailure();
    reassociateSums();
    widenHalfPrecisionMatmuls();

    SmallVector<std::pair<linalg::MatmulOp, ArrayRef<int64_t>>> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) {
      // An empty matmul computes nothing (and splitting one crashes
      // upstream's tiling): left to the loops.
      if (!op.hasPureTensorSemantics() ||
          llvm::is_contained(op.getStaticLoopRanges(), 0))
        return;
      if (hasFloatOperands(op))
        matmuls.emplace_back(op, sizes.empty()
                                     ? ArrayRef<int64_t>(kDefaultFloatTileSizes)
                                     : ArrayRef<int64_t>(sizes));
      else if (isSignedIntegerMatmul(op))
        matmuls.emplace_back(
            op, sizes.empty() ? ArrayRef<int64_t>(kDefaultIntegerTileSizes)
                              : ArrayRef<int64_t>(sizes));
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, opSizes] : matmuls) {
      for (linalg::MatmulOp part : splitRemainders(rewriter, op, opSizes)) {
        SmallVector<int64_t> partSizes = clampTileSizes(part, opSizes);
        FailureOr<linalg::MatmulOp> chunk =
            splitForThreads(rewriter, part, threads, partSizes[1]);
        if (failed(chunk))
          return signalPassFailure();
        FailureOr<linalg::MatmulOp> blocked =
            blockReduction(rewriter, *chunk, kBlock);
        if (failed(blocked) ||
            failed(tileAndVectorize(rewriter, *blocked, partSizes)))
          return signalPassFailure();
      }
    }

    // Partial tiles (dynamic sizes) are masked; bufferization wants the masks
    // inside the transfers rather than around them.
    RewritePatternSet patterns(&getContext());
    vector::populateVectorMaskLoweringPatternsForSideEffectingOps(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
