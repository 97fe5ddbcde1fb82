//===- TileTransposes.cpp - agn-cpu-tile-transposes -----------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Tiles transposes that move the innermost dimension into square blocks,
// so that each block's reads and writes stay in a few cache lines.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/CPU/Passes.h"
#include "agn/Codegen/Common/Tiling.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNCPUTILETRANSPOSES
#include "agn/Codegen/CPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

static constexpr StringLiteral kPassName = "agn-cpu-tile-transposes";

/// Returns the loop of `op` that walks the innermost dimension of its input,
/// when `op` is a transposing copy on tensors with static sizes: a
/// linalg.transpose, or a linalg.generic that yields its one input through a
/// permutation map into an identity-mapped output. Nothing otherwise.
static std::optional<int64_t> getInputInnermostLoop(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 ||
      llvm::any_of(op.getStaticLoopRanges(), ShapedType::isDynamic))
    return std::nullopt;
  if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation())) {
    Block &body = generic.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    if (body.getOperations().size() != 1 ||
        yield.getValues().front() != body.getArgument(0) ||
        generic.getNumLoops() != generic.getNumParallelLoops() ||
        !generic.getIndexingMapsArray()[1].isIdentity())
      return std::nullopt;
  } else if (!isa<linalg::TransposeOp>(op.getOperation())) {
    return std::nullopt;
  }
  AffineMap input = op.getIndexingMapsArray()[0];
  if (!input.isPermutation() || input.getNumResults() < 2)
    return std::nullopt;
  return input.getDimPosition(input.getNumResults() - 1);
}

/// Returns the tile sizes for the transposing copy `op` that moves the
/// innermost dimension: `block` for the output's innermost loop and for
/// the loop that walks the input's innermost dimension, 1 for the others;
/// nothing for an op this pass leaves alone.
static std::optional<SmallVector<int64_t>> getBlockSizes(linalg::LinalgOp op,
                                                         int64_t block) {
  std::optional<int64_t> inputInnermost = getInputInnermostLoop(op);
  int64_t loops = op.getNumLoops();
  if (!inputInnermost || *inputInnermost == loops - 1)
    return std::nullopt;
  SmallVector<int64_t> sizes(loops, 1);
  sizes[loops - 1] = block;
  sizes[*inputInnermost] = block;
  return sizes;
}

namespace {
struct TileTransposesPass
    : public agn::impl::AGNCpuTileTransposesBase<TileTransposesPass> {
  using Base::Base;

  void runOnOperation() override {
    if (block < 1) {
      getOperation().emitError()
          << kPassName << ": 'block' must be at least 1, got "
          << int64_t(block);
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> transposes;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (getInputInnermostLoop(op))
        transposes.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : transposes) {
      std::optional<SmallVector<int64_t>> sizes = getBlockSizes(op, block);
      if (sizes && failed(tileInPlace(rewriter, op, *sizes, kPassName,
                                      "tiling into blocks")))
        return signalPassFailure();
    }
  }
};
} // namespace
