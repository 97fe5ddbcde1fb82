//===- ConfigureKernels.cpp - agn-gpu-configure-kernels -------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The one place where agn's GPU code generation decides, per contraction,
// which kernel runs and with which tiles. The decisions are written on the
// ops as #agn.lowering_config attributes, which agn-gpu-tile-contractions
// carries out; ops that already have a GPU config keep it.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/GPU/Passes.h"
#include "agn/Dialect/AGN/IR/AGNAttrs.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNGPUCONFIGUREKERNELS
#include "agn/Codegen/GPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Outputs per block of a SIMT kernel, and its threads (y, x): each thread
/// computes 2 x 2 outputs, and a block's 256 threads fill a warp scheduler
/// of every NVIDIA GPU since Volta.
static constexpr int64_t kSimtTileSizes[] = {32, 32};
static constexpr int64_t kSimtBlockThreads[] = {16, 16};

/// Outputs per block of a tensor-core kernel: 4 x 4 warps of 16 x 8 outputs
/// (mma.sync's m16n8 shape), 512 threads.
static constexpr int64_t kMmaTileSizes[] = {64, 32};

/// Returns the compute capability of `chip` ("sm_90a" -> 90), or 0 when it
/// is not of the form sm_XY.
static int64_t computeCapability(StringRef chip) {
  if (!chip.consume_front("sm_"))
    return 0;
  chip.consume_back("a");
  int64_t value = 0;
  return chip.getAsInteger(10, value) ? 0 : value;
}

/// Returns the K step of a tensor-core kernel for `matmul`'s element types
/// (16 for f16 into f32, 32 for i8 into i32), or 0 when agn has no mma.sync
/// kernel for them.
static int64_t mmaKStep(linalg::MatmulOp matmul) {
  if (matmul.hasUserDefinedMaps())
    return 0;
  Type lhs = getElementTypeOrSelf(matmul.getInputs()[0]);
  Type rhs = getElementTypeOrSelf(matmul.getInputs()[1]);
  Type acc = getElementTypeOrSelf(matmul.getOutputs()[0]);
  if (lhs != rhs)
    return 0;
  // bf16 has an m16n8k16 instruction too, but MLIR 22's vector-to-nvgpu
  // patterns do not load bf16 fragments: bf16 matmuls run SIMT kernels.
  if (lhs.isF16() && acc.isF32())
    return 16;
  // mma.sync's s8 instruction multiplies signed values: an unsigned matmul
  // runs SIMT.
  if (lhs.isSignlessInteger(8) && acc.isSignlessInteger(32) &&
      matmul.getCast() == linalg::TypeFn::cast_signed)
    return 32;
  return 0;
}

/// Returns whether `matmul`'s accumulator starts as zeros (a linalg.fill of
/// 0): its sums then stay within K times the largest product.
static bool startsFromZero(linalg::MatmulOp matmul) {
  auto fill = matmul.getOutputs()[0].getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_Zero());
}

namespace {
struct GpuConfigureKernelsPass
    : public agn::impl::AGNGpuConfigureKernelsBase<GpuConfigureKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<int64_t> simtTiles = sizesOr(simtTileSizes, kSimtTileSizes);
    SmallVector<int64_t> simtThreads =
        sizesOr(simtBlockThreads, kSimtBlockThreads);
    SmallVector<int64_t> mmaTiles = sizesOr(mmaTileSizes, kMmaTileSizes);
    if (simtTiles.size() != 2 || simtThreads.size() != 2 ||
        mmaTiles.size() != 2) {
      getOperation().emitError()
          << "agn-gpu-configure-kernels: 'simt-tile-sizes', "
             "'simt-block-threads' and 'mma-tile-sizes' take two sizes "
             "(rows, columns)";
      return signalPassFailure();
    }
    // The configs the options make are checked once, before any op gets
    // one (a tensor-core config's K step, 16 or 32, does not change that).
    auto emitError = [&] {
      return getOperation().emitError("agn-gpu-configure-kernels: ");
    };
    if (failed(LoweringConfigAttr::verify(emitError, KernelKind::gpu_simt,
                                          simtTiles, 0, 1, false, false,
                                          simtThreads, false)) ||
        failed(LoweringConfigAttr::verify(emitError, KernelKind::gpu_mma_sync,
                                          {mmaTiles[0], mmaTiles[1], 16}, 0, 1,
                                          false, false, {}, false)))
      return signalPassFailure();
    int64_t capability = computeCapability(chip);
    if (capability == 0) {
      getOperation().emitError()
          << "agn-gpu-configure-kernels: unknown chip '" << chip
          << "'; expected an NVIDIA compute capability such as sm_80";
      return signalPassFailure();
    }
    MLIRContext *context = &getContext();
    getOperation().walk([&](linalg::LinalgOp op) {
      if (LoweringConfigAttr existing = LoweringConfigAttr::of(op)) {
        if (existing.isGpuKernel())
          return;
        op->removeAttr(LoweringConfigAttr::getAttributeName());
      }
      if (!isKernelCandidate(op))
        return;
      LoweringConfigAttr config;
      if (capability >= 80)
        config = mmaConfig(op, mmaTiles);
      if (!config)
        config =
            LoweringConfigAttr::get(context, KernelKind::gpu_simt, simtTiles, 0,
                                    1, false, false, simtThreads);
      config.attachTo(op);
    });
  }

private:
  /// Returns `option`'s sizes, or `defaults` when it is not set.
  static SmallVector<int64_t> sizesOr(ArrayRef<int64_t> option,
                                      ArrayRef<int64_t> defaults) {
    return llvm::to_vector(option.empty() ? defaults : option);
  }

  /// Returns whether `op` gets a GPU kernel: a reduction, two or three
  /// parallel loops (two tiled, one a block each) and static shapes.
  static bool isKernelCandidate(linalg::LinalgOp op) {
    if (!op.hasPureTensorSemantics() || op.hasDynamicShape() ||
        op.getNumReductionLoops() == 0)
      return false;
    unsigned parallel = op.getNumParallelLoops();
    return parallel == 2 || parallel == 3;
  }

  /// Returns a tensor-core config for `op`, or null when it has none: a
  /// plain matmul of types mma.sync takes whose sizes are multiples of the
  /// block tile and the K step.
  LoweringConfigAttr mmaConfig(linalg::LinalgOp op, ArrayRef<int64_t> tiles) {
    auto matmul = dyn_cast<linalg::MatmulOp>(op.getOperation());
    if (!matmul)
      return {};
    int64_t kStep = mmaKStep(matmul);
    if (kStep == 0)
      return {};
    SmallVector<int64_t> sizes = op.getStaticLoopRanges();
    if (sizes[0] % tiles[0] != 0 || sizes[1] % tiles[1] != 0 ||
        sizes[2] % kStep != 0)
      return {};
    // mma.sync's s8 instruction saturates; linalg's i32 sum wraps. They
    // agree when no sum can leave the i32 range: from zeros, K products of
    // at most 128 * 128 each.
    if (kStep == 32 &&
        (!startsFromZero(matmul) || sizes[2] * 128 * 128 > INT32_MAX))
      return {};
    return LoweringConfigAttr::get(&getContext(), KernelKind::gpu_mma_sync,
                                   {tiles[0], tiles[1], kStep});
  }
};
} // namespace
