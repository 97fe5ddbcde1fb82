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

#include "Schedule.h"
#include "agn/Codegen/GPU/Passes.h"
#include "agn/Utils/RuntimeFunctions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNGPUMAPTOLAUNCHES
#include "agn/Codegen/GPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Threads per warp on every NVIDIA GPU.
static constexpr int64_t kThreadsPerWarp = 32;

/// The GPU runtime's query of a usable device (include/agn-c/GpuRuntime.h).
static constexpr StringLiteral kAvailabilityQuery = "agn_gpu_available";

/// Threads per block on every NVIDIA GPU since Fermi.
static constexpr int64_t kMaxThreadsPerBlock = 1024;

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
    gpu_schedule::registerExtensions(registry);
  }

  void runOnOperation() override {
    SmallVector<scf::ForallOp> blockLoops;
    getOperation().walk<WalkOrder::PreOrder>([&](scf::ForallOp forall) {
      if (!isMappedTo<gpu::GPUBlockMappingAttr>(forall))
        return WalkResult::advance();
      blockLoops.push_back(forall);
      return WalkResult::skip();
    });
    if (blockLoops.empty())
      return;
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    if (cpuFallback &&
        failed(declareRuntimeFunction(
            module, symbols, module.getLoc(), kAvailabilityQuery,
            FunctionType::get(&getContext(), {},
                              {IntegerType::get(&getContext(), 32)}),
            "agn-gpu-map-to-launches{cpu-fallback}")))
      return signalPassFailure();
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
    int64_t total = (*threads)[0] * (*threads)[1] * (*threads)[2];
    if (total > kMaxThreadsPerBlock)
      return blocks.emitError("agn-gpu-map-to-launches: the thread loops "
                              "need a block of ")
             << (*threads)[0] << " x " << (*threads)[1] << " x "
             << (*threads)[2] << " = " << total << " threads; a block has at "
             << "most " << kMaxThreadsPerBlock
             << " (choose fewer block_threads or smaller tiles)";
    std::string body = llvm::formatv(
        R"mlir(
    %launch = transform.gpu.map_forall_to_blocks %target generate_gpu_launch
        : (!transform.any_op) -> !transform.any_op
    transform.gpu.map_nested_forall_to_threads %launch
        block_dims = [{0}, {1}, {2}] warp_size = {3}
        : (!transform.any_op) -> !transform.any_op
)mlir",
        (*threads)[0], (*threads)[1], (*threads)[2], kThreadsPerWarp);
    // The CPU's copy, made before the mapping rewrites the loops.
    scf::ForallOp cpuVersion;
    if (cpuFallback) {
      OpBuilder builder(blocks);
      cpuVersion = cast<scf::ForallOp>(builder.clone(*blocks));
      cpuVersion.walk([](scf::ForallOp forall) {
        forall->removeAttr(forall.getMappingAttrName());
      });
    }
    if (failed(gpu_schedule::apply(getOperation(), blocks, body,
                                   "agn-gpu-map-to-launches")))
      return failure();
    if (cpuFallback)
      guardWithAvailability(cpuVersion);
    return success();
  }

  /// Puts the launch that follows `cpuVersion` (made from the same block
  /// loop) and `cpuVersion` in the two branches of an scf.if on
  /// agn_gpu_available().
  void guardWithAvailability(scf::ForallOp cpuVersion) {
    Operation *next = cpuVersion->getNextNode();
    while (next && !isa<gpu::LaunchOp>(next))
      next = next->getNextNode();
    auto launch = cast<gpu::LaunchOp>(next);
    Location loc = launch.getLoc();
    OpBuilder builder(launch);
    Value available =
        func::CallOp::create(builder, loc, kAvailabilityQuery,
                             TypeRange{builder.getI32Type()}, ValueRange())
            .getResult(0);
    Value zero = arith::ConstantIntOp::create(builder, loc, 0, 32);
    Value usable = arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::ne,
                                         available, zero);
    auto branch = scf::IfOp::create(builder, loc, usable, /*withElse=*/true);
    launch->moveBefore(branch.thenBlock()->getTerminator());
    cpuVersion->moveBefore(branch.elseBlock()->getTerminator());
  }
};
} // namespace
