//===- ConfigureKernels.cpp - agn-cpu-configure-kernels -------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The one place where agn's CPU code generation decides, per contraction,
// which kernel runs and with which tiles, from the module's target
// (llvm.target). The decisions are written on the ops as
// #agn.lowering_config attributes, which the kernel passes carry out; ops
// that already have one (pinned by hand, or configured by an earlier run)
// keep it.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/CPU/KernelConfig.h"
#include "agn/Codegen/CPU/Passes.h"

#include "agn/Codegen/Common/Tiling.h"
#include "agn/Codegen/X86/VnniKernels.h"
#include "agn/Utils/Target.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNCPUCONFIGUREKERNELS
#include "agn/Codegen/CPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// The register tile (M, N, K) of float matmuls on AVX-512: 8 x 32 f32
/// accumulators are 16 zmm registers; K by 1 makes each step an outer
/// product.
static constexpr int64_t kAvx512FloatTiles[] = {8, 32, 1};

/// The register tile of integer matmuls on AVX-512: 4 x 64 i32 accumulators,
/// also 16 registers; fewer rows than the float tile, so that fewer
/// broadcasts feed each row of sign-extended B (about 1.3x as fast as 8x32
/// on the i8 kernels of bench/KernelBench.cpp).
static constexpr int64_t kAvx512IntegerTiles[] = {4, 64, 1};

/// The same on CPUs with 256-bit vectors (AVX2) and their 16 ymm registers,
/// where the AVX-512 tiles would take twice the registers there are: 6 x 16
/// f32 (12 accumulators, BLIS's Haswell kernel) measured 2.1x (64x1024x1024)
/// and 2.3x (256x2048x2048) as fast as 8 x 32 on a Zen 3 (one thread, agn-run
/// medians; 4 x 16 1.9x and 1.9x; docs/Benchmarks.md).
static constexpr int64_t kAvx2FloatTiles[] = {6, 16, 1};
/// The K blocks of `k-block=-1`. Blocking K keeps the rows of B the register
/// tiles sweep in the caches and the TLB, and costs a pass over C per block:
/// a thread's columns of B up to 512 KiB (in L2) are swept whole (a
/// 3136x576x64 convolution took 15 % less time on one thread, 30 % on two,
/// than in blocks of 32 rows); larger ones in blocks of 32 rows (blocks of 64
/// to 1024 rows measured up to 25 % slower on 49x4608x512 and 256x2048x2048,
/// whose rows of B lie 2 to 8 KiB apart).
static constexpr int64_t kDefaultKBlock = 32;
static constexpr int64_t kUnblockedBytes = 512 * 1024;
/// The largest A, in bytes, whose matmuls get `pack_b`: the panel loops read
/// all of A once per panel, from L2 (1 MiB per core here) while it fits.
/// MiniLM's feed-forward matmuls (128x384x1536, 128x1536x384: A 192 and 768
/// KiB) took 0.8-0.9 ms instead of 1.0-1.2 in the model, their weights
/// streaming from memory.
static constexpr int64_t kPanelRowsBytes = 1024 * 1024;
/// 4 x 16 i32 measured 2.0x as fast as 4 x 64 on the i8 kernels (and ahead of
/// 4 x 32, 6 x 16 and 8 x 8).
static constexpr int64_t kAvx2IntegerTiles[] = {4, 16, 1};

/// Rows of A from which f16 and bf16 matmuls convert their operands to f32
/// before the register tiles: the same results, 3x faster than converting
/// in every tile (docs/Benchmarks.md); with fewer rows the kernel is
/// memory-bound and half-width weights read half the bytes.
static constexpr int64_t kMinWidenedRows = 16;

/// Columns of a VNNI kernel's panel, and K values per step (i8, i4).
static constexpr int64_t kVnniPanel = 64;
static constexpr int64_t kVnniI8Step = 4;
static constexpr int64_t kVnniI4Step = 8;

/// Returns whether the matmul `op` has f16 or bf16 operands, an f32 result
/// and at least kMinWidenedRows static rows.
static bool shouldWiden(linalg::MatmulOp op) {
  if (op.hasUserDefinedMaps())
    return false;
  Type accType = getElementTypeOrSelf(op.getOutputs()[0]);
  int64_t rows = op.getStaticLoopRanges()[0];
  bool halfInputs = llvm::all_of(op.getInputs(), [](Value input) {
    return isa<Float16Type, BFloat16Type>(getElementTypeOrSelf(input));
  });
  return halfInputs && accType.isF32() && !ShapedType::isDynamic(rows) &&
         rows >= kMinWidenedRows;
}

/// Returns whether kernels of `kind` split their work into the config's
/// `threads` chunks.
static bool splitsIntoThreads(KernelKind kind) {
  return x86::readsPackedPanels(kind) || kind == KernelKind::register_tiles ||
         kind == KernelKind::padded_plane || kind == KernelKind::direct;
}

/// Returns `config` with `threads` chunks.
static LoweringConfigAttr withThreads(LoweringConfigAttr config,
                                      int64_t threads) {
  return LoweringConfigAttr::get(
      config.getContext(), config.getKernel(), config.getTileSizes(),
      config.getKBlock(), threads, config.getWidenToF32(),
      config.getFilterOnRight(), config.getBlockThreads(), config.getPackB());
}

namespace {
struct ConfigureKernelsPass
    : public agn::impl::AGNCpuConfigureKernelsBase<ConfigureKernelsPass> {
  using Base::Base;

  /// The threads of the op being configured: the option's, or 1 inside an
  /// scf.forall.
  int64_t opThreads = 1;

  /// Checks the options; emits a diagnostic and fails when one is invalid.
  LogicalResult checkOptions() {
    auto fail = [&](const Twine &message) {
      getOperation().emitError("agn-cpu-configure-kernels: ") << message;
      return failure();
    };
    for (auto [name, sizes] : {std::pair<StringRef, ArrayRef<int64_t>>{
                                   "float-tile-sizes", floatTileSizes},
                               {"integer-tile-sizes", integerTileSizes}})
      if (!sizes.empty() &&
          (sizes.size() != 3 ||
           llvm::any_of(sizes, [](int64_t size) { return size <= 0; })))
        return fail("'" + name + "' must be three positive sizes (M, N, K)");
    for (auto [name, value] :
         {std::pair<StringRef, int64_t>{"threads", threads},
          {"vnni-rows", vnniRows},
          {"vnni-i4-rows", vnniI4Rows},
          {"signed-dot-rows", signedDotRows},
          {"signed-dot-i4-rows", signedDotI4Rows}})
      if (value < 1)
        return fail("'" + name + "' must be at least 1, got " + Twine(value));
    if (kBlock < -1)
      return fail("'k-block' must be -1 (by size), 0 (off) or positive, got " +
                  Twine(kBlock));
    return success();
  }

  /// Returns the K block of `matmul` with register tiles `sizes`: the
  /// `k-block` option's, or with the default (-1) none when the columns of B
  /// one thread reads (all of them when the threads split M) fit in
  /// kUnblockedBytes, else kDefaultKBlock rows.
  int64_t chooseKBlock(linalg::MatmulOp matmul, ArrayRef<int64_t> sizes) {
    if (kBlock >= 0)
      return kBlock;
    // Loops 0, 1 and 2 are M, N and K whatever the operands' maps.
    SmallVector<int64_t> ranges = matmul.getStaticLoopRanges();
    int64_t n = ranges[1], k = ranges[2];
    if (ShapedType::isDynamic(n) || ShapedType::isDynamic(k))
      return kDefaultKBlock;
    Type b = getElementTypeOrSelf(matmul.getInputs()[1]);
    int64_t bytes = llvm::divideCeil(b.getIntOrFloatBitWidth(), 8);
    int64_t columns = splitsRowsForThreads(ranges, sizes, opThreads)
                          ? n
                          : llvm::divideCeil(n, opThreads);
    return columns * k * bytes <= kUnblockedBytes ? 0 : kDefaultKBlock;
  }

  /// Returns whether the register tiles `sizes` of `matmul` should sweep
  /// its constant B a packed panel at a time (`pack_b`): when the option
  /// allows it and canPackConstantB says they can, for more than one row
  /// tile (each panel is then read from memory once, where unpacked tiles
  /// stride through B's rows again for every row tile or K block) and for
  /// an A of up to kPanelRowsBytes, which each panel reads again, with a
  /// whole panel at least for each thread.
  bool choosePackB(linalg::MatmulOp matmul, ArrayRef<int64_t> sizes) {
    if (!packConstantB || kBlock != -1 || !canPackConstantB(matmul, sizes))
      return false;
    SmallVector<int64_t> ranges = matmul.getStaticLoopRanges();
    Type a = getElementTypeOrSelf(matmul.getInputs()[0]);
    int64_t aBytes =
        ranges[0] * ranges[2] * llvm::divideCeil(a.getIntOrFloatBitWidth(), 8);
    // Each thread takes a run of whole panels.
    return ranges[0] > sizes[0] && aBytes <= kPanelRowsBytes &&
           ranges[1] / sizes[1] >= opThreads;
  }

  /// Returns the config of a register-tiled `matmul` with `sizes` (or the
  /// option's sizes, if set).
  LoweringConfigAttr registerTiles(linalg::MatmulOp matmul,
                                   ArrayRef<int64_t> sizes,
                                   ArrayRef<int64_t> option, bool widen) {
    ArrayRef<int64_t> tiles = option.empty() ? sizes : option;
    bool packB = !widen && choosePackB(matmul, tiles);
    return LoweringConfigAttr::get(
        &getContext(), KernelKind::register_tiles, tiles,
        packB ? 0 : chooseKBlock(matmul, tiles), opThreads, widen,
        /*filterOnRight=*/false, /*blockThreads=*/{}, packB);
  }

  /// Returns the kernel of `op`, or null to leave it to linalg's loops.
  LoweringConfigAttr choose(Operation *op, bool vnni, bool signedDotKernel,
                            bool wideVectors) {
    MLIRContext *context = &getContext();
    if (auto matmul = dyn_cast<linalg::MatmulOp>(op)) {
      if (vnni && x86::canUseVnniKernel(matmul))
        return LoweringConfigAttr::get(context, KernelKind::vnni,
                                       {vnniRows, kVnniPanel, kVnniI8Step},
                                       /*kBlock=*/0, opThreads);
      if (signedDotKernel && x86::canUseSignedDotKernel(matmul))
        return LoweringConfigAttr::get(context, KernelKind::signed_dot,
                                       {signedDotRows, kVnniPanel, kVnniI8Step},
                                       /*kBlock=*/0, opThreads);
      if (!canUseRegisterTiles(matmul))
        return nullptr;
      bool isFloat =
          isa<FloatType>(getElementTypeOrSelf(matmul.getInputs()[0]));
      if (isFloat)
        return registerTiles(matmul,
                             wideVectors ? ArrayRef<int64_t>(kAvx512FloatTiles)
                                         : ArrayRef<int64_t>(kAvx2FloatTiles),
                             floatTileSizes, shouldWiden(matmul));
      return registerTiles(matmul,
                           wideVectors ? ArrayRef<int64_t>(kAvx512IntegerTiles)
                                       : ArrayRef<int64_t>(kAvx2IntegerTiles),
                           integerTileSizes, /*widen=*/false);
    }
    if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
      BlockedMatmulAttr marker = BlockedMatmulAttr::of(generic);
      if ((vnni || signedDotKernel) && marker &&
          marker.getPart() == BlockedMatmulPart::partial_sums &&
          x86::canUseVnniKernel(generic))
        return LoweringConfigAttr::get(
            context, vnni ? KernelKind::vnni : KernelKind::signed_dot,
            {vnni ? vnniI4Rows : signedDotI4Rows, kVnniPanel, kVnniI4Step},
            /*kBlock=*/0, opThreads);
      return nullptr;
    }
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp)
      return nullptr;
    if (canReassociateSum(linalgOp))
      return LoweringConfigAttr::get(context, KernelKind::reassociated_sum, {});
    if (std::optional<LoweringConfigAttr> convolution = chooseConvolutionConfig(
            linalgOp, signedDotKernel && signedDotFilterOnLeft, opThreads)) {
      if (convolution->getKernel() == KernelKind::direct)
        return withThreads(*convolution, opThreads);
      if (convolution->getKernel() != KernelKind::padded_plane)
        return *convolution;
      // 8 x 32 f32 accumulators fill half of AVX-512's 32 registers; AVX2
      // has 16 of half the width: 4 x 16 (8 accumulators, room for the
      // input and the broadcasts).
      SmallVector<int64_t> sizes(convolution->getTileSizes());
      if (!wideVectors)
        sizes = {4, 16};
      return LoweringConfigAttr::get(context, KernelKind::padded_plane, sizes,
                                     /*kBlock=*/0, opThreads);
    }
    return nullptr;
  }

  void runOnOperation() override {
    if (failed(checkOptions()))
      return signalPassFailure();
    func::FuncOp func = getOperation();
    // Without a recorded target: AVX-512 tiles and no VNNI.
    bool vnni = targetHasFeature(func, "avx512vnni");
    // The AVX2 kernel where neither VNNI nor 512-bit registers are there
    // (it was measured against the 256-bit integer tiles only).
    bool signedDotKernel = signedDot && !vnni &&
                           targetHasFeature(func, "avx2") &&
                           !targetHasFeature(func, "avx512f");
    bool wideVectors = !getTarget(func) || targetHasFeature(func, "avx512f");
    func.walk([&](Operation *op) {
      // The iterations of an scf.forall already run on the threads (as
      // agn-split-batch-matmuls splits a batch): a kernel inside one stays
      // on its iteration's thread.
      opThreads = op->getParentOfType<scf::ForallOp>() ? 1 : threads;
      if (LoweringConfigAttr existing = LoweringConfigAttr::of(op)) {
        if (overrideThreads && splitsIntoThreads(existing.getKernel()) &&
            existing.getThreads() != opThreads)
          withThreads(existing, opThreads).attachTo(op);
        return;
      }
      // An op with an empty loop computes nothing: no kernel.
      if (hasEmptyIterationDomain(op))
        return;
      if (LoweringConfigAttr config =
              choose(op, vnni, signedDotKernel, wideVectors))
        config.attachTo(op);
    });
  }
};
} // namespace
