//===- TileContractions.cpp - agn-gpu-tile-contractions -------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Carries out the GPU configs that agn-gpu-configure-kernels writes. Each
// config becomes a transform-dialect schedule of upstream's tiling and
// vectorization ops, applied to the one op that carries it: the strategy
// stays readable as IR (print it with -debug-only), and agn reuses
// upstream's transformations instead of copying them.
//
//===----------------------------------------------------------------------===//

#include "Schedule.h"
#include "agn/Codegen/GPU/Passes.h"
#include "agn/Dialect/AGN/IR/AGNAttrs.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNGPUTILECONTRACTIONS
#include "agn/Codegen/GPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Returns `sizes` as a transform-dialect list, "[a, b, c]".
static std::string formatList(ArrayRef<int64_t> sizes) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(sizes, os);
  os << "]";
  return text;
}

/// Returns the schedule of a `gpu_simt` config for `op`: blocks over its
/// parallel loops (the two innermost tiled, an outer one by one), threads
/// over the block's tile.
static std::string simtSchedule(linalg::LinalgOp op,
                                LoweringConfigAttr config) {
  SmallVector<unsigned> parallel;
  op.getParallelDims(parallel);
  unsigned loops = op.getNumLoops();
  SmallVector<int64_t> blockTiles(loops, 0), threads(loops, 0);
  SmallVector<StringRef> blockDims;
  if (parallel.size() == 3) {
    blockTiles[parallel[0]] = 1;
    blockDims.push_back("#gpu.block<z>");
  }
  unsigned rows = parallel[parallel.size() - 2], cols = parallel.back();
  blockTiles[rows] = config.getTileSizes()[0];
  blockTiles[cols] = config.getTileSizes()[1];
  blockDims.append({"#gpu.block<y>", "#gpu.block<x>"});
  threads[rows] = config.getBlockThreads()[0];
  threads[cols] = config.getBlockThreads()[1];
  return llvm::formatv(
      R"mlir(
    %blocks_op, %blocks = transform.structured.tile_using_forall %target
        tile_sizes {0} (mapping = [{1}])
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %threads_op, %threads = transform.structured.tile_using_forall %blocks_op
        num_threads {2} (mapping = [#gpu.thread<y>, #gpu.thread<x>])
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
)mlir",
      formatList(blockTiles), llvm::join(blockDims, ", "), formatList(threads));
}

/// Returns the schedule of a `gpu_mma_sync` config: blocks, warps of 16 x 8
/// outputs, a loop over K steps, the step vectorized to a mixed-precision
/// vector.contract whose accumulator the loop carries in registers (LICM
/// first: the transfers' padding values are made inside the loop, which
/// would keep the accumulator's read and write in it).
static std::string mmaSchedule(LoweringConfigAttr config) {
  ArrayRef<int64_t> tiles = config.getTileSizes();
  return llvm::formatv(
      R"mlir(
    %blocks_op, %blocks = transform.structured.tile_using_forall %target
        tile_sizes [{0}, {1}] (mapping = [#gpu.block<y>, #gpu.block<x>])
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %warps_op, %warps = transform.structured.tile_using_forall %blocks_op
        tile_sizes [16, 8] (mapping = [#gpu.warp<y>, #gpu.warp<x>])
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %step_op, %steps = transform.structured.tile_using_for %warps_op
        tile_sizes [0, 0, {2}]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.structured.vectorize %step_op : !transform.any_op
    transform.apply_patterns to %blocks {{
      transform.apply_patterns.vector.reduction_to_contract
      transform.apply_patterns.vector.transfer_permutation_patterns
    } : !transform.any_op
    transform.apply_patterns to %blocks {{
      transform.apply_patterns.vector.reduction_to_contract
      transform.apply_patterns.vector.fold_arith_extension
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.apply_cse to %blocks : !transform.any_op
    %loops = transform.structured.match ops{{["scf.for"]} in %blocks
        : (!transform.any_op) -> !transform.any_op
    transform.apply_licm to %loops : !transform.any_op
    transform.loop.hoist_loop_invariant_subsets %loops : !transform.any_op
)mlir",
      tiles[0], tiles[1], tiles[2]);
}

namespace {
struct GpuTileContractionsPass
    : public agn::impl::AGNGpuTileContractionsBase<GpuTileContractionsPass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    gpu_schedule::registerExtensions(registry);
  }

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> targets;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (LoweringConfigAttr config = LoweringConfigAttr::of(op);
          config && config.isGpuKernel())
        targets.push_back(op);
    });
    LogicalResult result = success();
    for (linalg::LinalgOp op : targets)
      if (failed(result = tile(op)))
        break;
    // The tiled copies of an op keep its attributes; the config is done.
    getOperation().walk([](Operation *op) {
      if (LoweringConfigAttr config = LoweringConfigAttr::of(op);
          config && config.isGpuKernel())
        op->removeAttr(LoweringConfigAttr::getAttributeName());
    });
    if (failed(result))
      signalPassFailure();
  }

private:
  /// Checks that mma.sync has an instruction for `matmul` with `config`'s
  /// K step (m16n8k16 for f16 into f32, m16n8k32 for i8 into i32) and that
  /// its tiles divide the matmul: the schedule makes only whole tiles.
  static LogicalResult checkMmaShape(linalg::MatmulOp matmul,
                                     LoweringConfigAttr config) {
    Type lhs = getElementTypeOrSelf(matmul.getInputs()[0]);
    Type rhs = getElementTypeOrSelf(matmul.getInputs()[1]);
    Type acc = getElementTypeOrSelf(matmul.getOutputs()[0]);
    ArrayRef<int64_t> tiles = config.getTileSizes();
    bool f16 = lhs.isF16() && rhs.isF16() && acc.isF32() && tiles[2] == 16;
    bool i8 = lhs.isSignlessInteger(8) && rhs.isSignlessInteger(8) &&
              acc.isSignlessInteger(32) && tiles[2] == 32;
    SmallVector<int64_t> sizes = matmul.getStaticLoopRanges();
    bool whole = !matmul.hasUserDefinedMaps() && !matmul.hasDynamicShape() &&
                 sizes[0] % tiles[0] == 0 && sizes[1] % tiles[1] == 0 &&
                 sizes[2] % tiles[2] == 0;
    if ((f16 || i8) && whole)
      return success();
    return matmul->emitError("agn-gpu-tile-contractions: cannot carry out ")
           << config
           << ": mma.sync takes f16 x f16 -> f32 with a K step of 16 or "
              "i8 x i8 -> i32 with a K step of 32, on static sizes that are "
              "multiples of the tiles";
  }

  /// Applies the schedule of `op`'s config to it.
  LogicalResult tile(linalg::LinalgOp op) {
    LoweringConfigAttr config = LoweringConfigAttr::of(op);
    SmallVector<unsigned> parallel;
    op.getParallelDims(parallel);
    bool simt = config.getKernel() == KernelKind::gpu_simt;
    if (!op.hasPureTensorSemantics() ||
        (simt && parallel.size() != 2 && parallel.size() != 3) ||
        (!simt && !isa<linalg::MatmulOp>(op.getOperation())))
      return op->emitError("agn-gpu-tile-contractions: cannot carry out ")
             << config
             << ": expected a linalg op on tensors with two or three parallel "
                "loops (a gpu_mma_sync kernel: a linalg.matmul)";
    if (!simt && failed(checkMmaShape(cast<linalg::MatmulOp>(op), config)))
      return failure();
    return gpu_schedule::apply(getOperation(), op,
                               simt ? simtSchedule(op, config)
                                    : mmaSchedule(config),
                               "agn-gpu-tile-contractions");
  }
};
} // namespace
