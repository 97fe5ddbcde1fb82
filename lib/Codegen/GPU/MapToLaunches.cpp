//===- MapToLaunches.cpp - agn-gpu-map-to-launches ------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Turns the block and thread scf.forall loops that agn-gpu-tile-contractions
// made (now on buffers) into gpu.launch ops, with upstream's mapping
// transformations applied to one block loop at a time.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/TransformOps/GPUTransformOps.h"
#include "mlir/Dialect/Linalg/TransformOps/DialectExtension.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Interfaces/TransformInterfaces.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNGPUMAPTOLAUNCHES
#include "agn/Codegen/GPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// The unit attribute that names the block loop a schedule applies to.
static constexpr StringLiteral kPayloadMarker = "agn.gpu_payload";

/// Threads per warp on every NVIDIA GPU.
static constexpr int64_t kThreadsPerWarp = 32;

/// Returns whether `forall` is mapped to `Mapping` attributes (#gpu.block,
/// #gpu.thread, #gpu.warp).
template <typename Mapping> static bool isMappedTo(scf::ForallOp forall) {
  std::optional<ArrayAttr> mapping = forall.getMapping();
  return mapping && !mapping->empty() &&
         llvm::all_of(*mapping, llvm::IsaPred<Mapping>);
}

/// Returns the static trip counts of `forall` by mapping dimension (x, y,
/// z; 1 where it has none), or failure when one is dynamic.
static FailureOr<SmallVector<int64_t>> tripCountsByDim(scf::ForallOp forall) {
  SmallVector<int64_t> counts(3, 1);
  for (auto [attr, lower, upper, step] :
       llvm::zip(*forall.getMapping(), forall.getStaticLowerBound(),
                 forall.getStaticUpperBound(), forall.getStaticStep())) {
    auto mapping = cast<DeviceMappingAttrInterface>(attr);
    int64_t dim = mapping.getMappingId();
    if (dim > 2 || ShapedType::isDynamic(lower) ||
        ShapedType::isDynamic(upper) || ShapedType::isDynamic(step) ||
        step <= 0)
      return failure();
    counts[dim] = llvm::divideCeil(upper - lower, step);
  }
  return counts;
}

namespace {
struct GpuMapToLaunchesPass
    : public agn::impl::AGNGpuMapToLaunchesBase<GpuMapToLaunchesPass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    gpu::registerTransformDialectExtension(registry);
  }

  void runOnOperation() override {
    SmallVector<scf::ForallOp> blockLoops;
    getOperation().walk<WalkOrder::PreOrder>([&](scf::ForallOp forall) {
      if (!isMappedTo<gpu::GPUBlockMappingAttr>(forall))
        return WalkResult::advance();
      blockLoops.push_back(forall);
      return WalkResult::skip();
    });
    for (scf::ForallOp forall : blockLoops)
      if (failed(mapToLaunch(forall)))
        return signalPassFailure();
  }

private:
  /// Returns the block size (x, y, z) of the launch `blocks` becomes: the
  /// largest trip counts of the thread loops it holds, by dimension (warp
  /// loops count 32 threads per iteration along x).
  FailureOr<SmallVector<int64_t>> blockSize(scf::ForallOp blocks) {
    SmallVector<int64_t> size(3, 1);
    bool found = false;
    WalkResult result = blocks.walk([&](scf::ForallOp inner) {
      bool warps = isMappedTo<gpu::GPUWarpMappingAttr>(inner);
      if (inner == blocks ||
          (!warps && !isMappedTo<gpu::GPUThreadMappingAttr>(inner)))
        return WalkResult::advance();
      FailureOr<SmallVector<int64_t>> counts = tripCountsByDim(inner);
      if (failed(counts))
        return WalkResult::interrupt();
      if (warps)
        (*counts)[0] *= kThreadsPerWarp;
      for (int64_t dim = 0; dim < 3; ++dim)
        size[dim] = std::max(size[dim], (*counts)[dim]);
      found = true;
      return WalkResult::advance();
    });
    if (result.wasInterrupted() || !found)
      return failure();
    return size;
  }

  /// Maps the block loop `blocks` and the thread loops inside it to a
  /// gpu.launch.
  LogicalResult mapToLaunch(scf::ForallOp blocks) {
    FailureOr<SmallVector<int64_t>> threads = blockSize(blocks);
    if (failed(threads) || failed(tripCountsByDim(blocks)))
      return blocks.emitError(
          "agn-gpu-map-to-launches: expected a block loop of static trip "
          "counts holding thread or warp loops of static trip counts");
    std::string text = llvm::formatv(
        R"mlir(
module attributes {{transform.with_named_sequence} {
  transform.named_sequence @__transform_main(
      %root: !transform.any_op {{transform.readonly}) {
    %blocks = transform.structured.match attributes {{{0}} in %root
        : (!transform.any_op) -> !transform.any_op
    %launch = transform.gpu.map_forall_to_blocks %blocks generate_gpu_launch
        : (!transform.any_op) -> !transform.any_op
    transform.gpu.map_nested_forall_to_threads %launch
        block_dims = [{1}, {2}, {3}] warp_size = {4}
        : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}
)mlir",
        kPayloadMarker, (*threads)[0], (*threads)[1], (*threads)[2],
        kThreadsPerWarp);
    ParserConfig parserConfig(&getContext());
    OwningOpRef<ModuleOp> schedule =
        parseSourceString<ModuleOp>(text, parserConfig, "agn-gpu-mapping");
    if (!schedule)
      return blocks.emitError(
          "agn-gpu-map-to-launches: internal error: the schedule does not "
          "parse");
    auto entry =
        schedule->lookupSymbol<transform::NamedSequenceOp>("__transform_main");
    blocks->setAttr(kPayloadMarker, UnitAttr::get(&getContext()));
    if (failed(transform::applyTransforms(
            getOperation(), entry, {}, transform::TransformOptions(),
            /*enforceToplevelTransformOp=*/false)))
      return getOperation().emitError(
          "agn-gpu-map-to-launches: the mapping failed (see above)");
    getOperation().walk([](Operation *op) { op->removeAttr(kPayloadMarker); });
    return success();
  }
};
} // namespace
