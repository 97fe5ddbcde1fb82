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

#include "agn/Codegen/GPU/Passes.h"
#include "agn/Dialect/AGN/IR/AGNAttrs.h"

#include "mlir/Dialect/Bufferization/TransformOps/BufferizationTransformOps.h"
#include "mlir/Dialect/GPU/TransformOps/GPUTransformOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/TransformOps/DialectExtension.h"
#include "mlir/Dialect/SCF/TransformOps/SCFTransformOps.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Interfaces/TransformInterfaces.h"
#include "mlir/Dialect/Vector/TransformOps/VectorTransformOps.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/FormatVariadic.h"

#define DEBUG_TYPE "agn-gpu-tile-contractions"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNGPUTILECONTRACTIONS
#include "agn/Codegen/GPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// The unit attribute that names the one op a schedule applies to.
static constexpr StringLiteral kPayloadMarker = "agn.gpu_payload";

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
    %blocks_op, %blocks = transform.structured.tile_using_forall %op
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
/// vector.contract whose accumulator the loop carries.
static std::string mmaSchedule(LoweringConfigAttr config) {
  ArrayRef<int64_t> tiles = config.getTileSizes();
  return llvm::formatv(
      R"mlir(
    %blocks_op, %blocks = transform.structured.tile_using_forall %op
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
    transform.loop.hoist_loop_invariant_subsets %loops : !transform.any_op
)mlir",
      tiles[0], tiles[1], tiles[2]);
}

/// Wraps `body` (which uses %op, the marked payload op) into a module with
/// the entry point the interpreter runs on the function %root.
static std::string wrapSchedule(StringRef body) {
  return llvm::formatv(
      R"mlir(
module attributes {{transform.with_named_sequence} {
  transform.named_sequence @__transform_main(
      %root: !transform.any_op {{transform.readonly}) {
    %op = transform.structured.match attributes {{{0}} in %root
        : (!transform.any_op) -> !transform.any_op
{1}
    transform.yield
  }
}
)mlir",
      kPayloadMarker, body);
}

namespace {
struct GpuTileContractionsPass
    : public agn::impl::AGNGpuTileContractionsBase<GpuTileContractionsPass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    linalg::registerTransformDialectExtension(registry);
    gpu::registerTransformDialectExtension(registry);
    scf::registerTransformDialectExtension(registry);
    vector::registerTransformDialectExtension(registry);
    bufferization::registerTransformDialectExtension(registry);
  }

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> targets;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (LoweringConfigAttr::hasKernel(op, KernelKind::gpu_simt) ||
          LoweringConfigAttr::hasKernel(op, KernelKind::gpu_mma_sync))
        targets.push_back(op);
    });
    for (linalg::LinalgOp op : targets)
      if (failed(tile(op)))
        return signalPassFailure();
    // The tiled copies of an op keep its attributes; the config is done.
    getOperation().walk([](Operation *op) {
      if (LoweringConfigAttr::hasKernel(op, KernelKind::gpu_simt) ||
          LoweringConfigAttr::hasKernel(op, KernelKind::gpu_mma_sync))
        op->removeAttr(LoweringConfigAttr::getAttributeName());
    });
  }

private:
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
    std::string text =
        wrapSchedule(simt ? simtSchedule(op, config) : mmaSchedule(config));
    LLVM_DEBUG(llvm::dbgs() << "schedule for " << op->getName() << ":\n"
                            << text << "\n");
    ParserConfig parserConfig(&getContext());
    OwningOpRef<ModuleOp> schedule =
        parseSourceString<ModuleOp>(text, parserConfig, "agn-gpu-schedule");
    if (!schedule)
      return op->emitError("agn-gpu-tile-contractions: internal error: the "
                           "schedule does not parse");
    auto entry =
        schedule->lookupSymbol<transform::NamedSequenceOp>("__transform_main");
    op->setAttr(kPayloadMarker, UnitAttr::get(&getContext()));
    LogicalResult result = transform::applyTransforms(
        getOperation(), entry, {}, transform::TransformOptions(),
        /*enforceToplevelTransformOp=*/false);
    // The tiled copies keep the marker; the next schedule must not see them.
    getOperation().walk(
        [](Operation *nested) { nested->removeAttr(kPayloadMarker); });
    if (failed(result))
      return getOperation().emitError(
          "agn-gpu-tile-contractions: the schedule failed (see above)");
    return success();
  }
};
} // namespace
