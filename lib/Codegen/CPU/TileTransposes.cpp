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

/// Returns the tile sizes of `op`, a transposing copy on tensors with static
/// sizes (a linalg.transpose, or a linalg.generic upstream's
/// `isaTransposeOpInterface` recognizes) that moves the innermost dimension:
/// `block` for the loops that walk the input's and the output's innermost
/// dimensions, 1 for the others; nothing for an op this pass leaves alone.
static std::optional<SmallVector<int64_t>> getBlockSizes(linalg::LinalgOp op,
                                                         int64_t block) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!op.hasPureTensorSemantics() ||
      llvm::any_of(op.getStaticLoopRanges(), ShapedType::isDynamic) ||
      !(isa<linalg::TransposeOp>(op.getOperation()) ||
        (generic && linalg::isaTransposeOpInterface(generic))))
    return std::nullopt;
  // Both maps are permutations of the loops.
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  int64_t loops = op.getNumLoops();
  unsigned input = maps.front().getDimPosition(loops - 1);
  unsigned output = maps.back().getDimPosition(loops - 1);
  if (input == output)
    return std::nullopt;
  SmallVector<int64_t> sizes(loops, 1);
  sizes[input] = block;
  sizes[output] = block;
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
    SmallVector<std::pair<linalg::LinalgOp, SmallVector<int64_t>>> transposes;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (std::optional<SmallVector<int64_t>> sizes = getBlockSizes(op, block))
        transposes.emplace_back(op, std::move(*sizes));
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, sizes] : transposes)
      if (failed(tileInPlace(rewriter, op, sizes, kPassName,
                             "tiling into blocks")))
        return signalPassFailure();
  }
};
} // namespace
