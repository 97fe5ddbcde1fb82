//===- VectorizeContractions.cpp - Tile and vectorize float matmuls -------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A simple register-tiling vectorizer for the float versions of agn's units,
// built from upstream pieces: scf tiling, the linalg vectorizer (with masks
// for partial tiles) and the redundant-transfer hoisting. It follows the
// recipe of the project's ENV.md (vector.contract via
// create_named_contraction, K tiled by 1, outer-product lowering, alias
// folding before hoisting) without its cache tiling and peeling.
//
//===----------------------------------------------------------------------===//

#include "agn/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNVECTORIZECONTRACTIONS
#define GEN_PASS_DEF_AGNHOISTVECTORTRANSFERS
#include "agn/Conversion/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// The default register tile (M, N, K): 8 x 32 f32 accumulators are 16
/// AVX-512 registers, K by 1 makes each step an outer product.
static constexpr int64_t kDefaultTileSizes[] = {8, 32, 1};

/// Returns whether `op` multiplies floating-point operands.
static bool isFloatMatmul(linalg::MatmulOp op) {
  return llvm::all_of(op->getOperandTypes(), [](Type type) {
    return isa<FloatType>(getElementTypeOrSelf(type));
  });
}

/// Tiles `op` into `tileSizes` tiles and vectorizes the tile.
static LogicalResult tileAndVectorize(RewriterBase &rewriter,
                                      linalg::MatmulOp op,
                                      ArrayRef<int64_t> tileSizes) {
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op.getContext(), tileSizes));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return op.emitError("agn-vectorize-contractions: tiling failed");
  rewriter.replaceOp(op, tiled->replacements);
  Operation *tile = tiled->tiledOps.back();
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

namespace {
struct VectorizeContractionsPass
    : public agn::impl::AGNVectorizeContractionsBase<
          VectorizeContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<int64_t> sizes(tileSizes.begin(), tileSizes.end());
    if (sizes.empty())
      sizes.assign(std::begin(kDefaultTileSizes), std::end(kDefaultTileSizes));
    if (sizes.size() != 3 ||
        llvm::any_of(sizes, [](int64_t s) { return s <= 0; })) {
      getOperation().emitError("agn-vectorize-contractions: tile-sizes must "
                               "be three positive sizes (M, N, K)");
      return signalPassFailure();
    }

    SmallVector<linalg::MatmulOp> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) {
      if (isFloatMatmul(op) && op.hasPureTensorSemantics())
        matmuls.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::MatmulOp op : matmuls)
      if (failed(tileAndVectorize(rewriter, op, sizes)))
        return signalPassFailure();

    // Partial tiles are masked; bufferization wants the masks inside the
    // transfers rather than around them.
    RewritePatternSet patterns(&getContext());
    vector::populateVectorMaskLoweringPatternsForSideEffectingOps(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

struct HoistVectorTransfersPass
    : public agn::impl::AGNHoistVectorTransfersBase<HoistVectorTransfersPass> {
  using Base::Base;

  void runOnOperation() override {
    // Hoisting needs the transfers on the buffers themselves, not on
    // subviews of them.
    RewritePatternSet patterns(&getContext());
    memref::populateFoldMemRefAliasOpPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    linalg::hoistRedundantVectorTransfers(getOperation());
  }
};
} // namespace
