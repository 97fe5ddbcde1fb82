//===- LowerToLLVMPipeline.cpp - agn-lower-to-llvm-pipeline ---------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// From agn (or plain linalg) on tensors to the LLVM dialect, for the CPU:
//
//   agn-set-target (the module's llvm.target, or target-cpu)
//   canonicalize, agn-lower, convert-elementwise-to-linalg, canonicalize, cse
//   [vectorize: agn-cpu-configure-kernels (each contraction's kernel, from
//    the target), agn-vectorize-convolutions (im2col matmuls, direct
//    loops), agn-split-batch-matmuls, agn-cpu-configure-kernels (the new
//    matmuls), agn-vnni-matmuls, agn-vectorize-contractions, canonicalize,
//    cse]
//   agn-fuse-elementwise, agn-cpu-collapse-loops (elementwise chains as one
//    op of long loops), canonicalize
//   [profile: agn-instrument-profile (spans of units, levels, costly ops)]
//   [threads > 1 and parallelize-ops: agn-cpu-parallelize-ops (the large ops
//    outside the kernels in scf.forall chunks)]
//   agn-place-level-weights (each level's weights in globals of their own)
//   agn-index-switch-to-if (tensor-valued switches; MLIR 22's bufferization
//    misses their aliasing), agn-split-empty-tensors (one tensor.empty per
//    use: One-Shot's analysis is quadratic in an alias set)
//   one-shot-bufferize (function boundaries, identity layouts)
//   buffer-deallocation-pipeline, convert-bufferization-to-memref
//   [vectorize: canonicalize, cse, agn-hoist-vector-transfers]
//   agn-lower-strided-copies (copies through subviews as linalg.copy)
//   convert-linalg-to-loops (everything else)
//   agn-emulate-narrow-types (i4 packed two per byte)
//   agn-emit-c-interface
//   agn-outline-loop-nests (one private function per distinct loop nest)
//   agn-lower-usdot (vpdpbusd where the target has AVX512-VNNI, vpmaddubsw
//    for agn_x86.sdot where it has AVX2, else vector arithmetic),
//    agn-expand-bf16-conversions (where it has no bf16
//    conversion)
//   [threads > 1: scf.forall -> scf.parallel -> OpenMP parallel regions
//    (libomp), or with parallel-runtime=async async-parallel-for and async
//    runtime calls (libmlir_async_runtime.so)]
//   convert-vector-to-scf, lower scf, strided metadata, affine, then vector
//   (outer products), memref (buffers through the runtime's cache with
//   cache-buffers), math, arith, index, ub, cf and func to LLVM;
//   reconcile-unrealized-casts
//
//===----------------------------------------------------------------------===//

#include "PipelineSteps.h"
#include "agn/Pipelines/Pipelines.h"

#include "agn/Codegen/CPU/Passes.h"
#include "agn/Codegen/Common/Passes.h"
#include "agn/Codegen/X86/Passes.h"
#include "agn/Conversion/Passes.h"
#include "agn/Dialect/X86/Transforms/Passes.h"

#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Async/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::agn;

void mlir::agn::detail::addBufferization(OpPassManager &pm) {
  // Tensor-valued switches (the units' dispatches) as scf.if chains, which
  // One-Shot Bufferize analyses correctly (see agn-index-switch-to-if).
  pm.addPass(createAGNIndexSwitchToIf());
  // One tensor.empty per use: One-Shot's conflict analysis is pairwise over
  // an alias set, and CSE made one set of every destination of a shape.
  pm.addPass(createAGNSplitEmptyTensors());
  bufferization::OneShotBufferizePassOptions options;
  options.bufferizeFunctionBoundaries = true;
  options.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  options.unknownTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(options));
  // Scalar accumulators (the controller's statistics, reductions to 0-d
  // tensors) go on the stack: LLVM then keeps them in registers and can
  // vectorize the reduction, which it cannot do through a heap pointer it
  // cannot prove distinct from the input.
  bufferization::PromoteBuffersToStackPassOptions stackOptions;
  stackOptions.maxAllocSizeInBytes = 16;
  stackOptions.maxRankOfAllocatedMemRef = 0;
  pm.addNestedPass<func::FuncOp>(
      bufferization::createPromoteBuffersToStackPass(stackOptions));
  bufferization::buildBufferDeallocationPipeline(pm);
  // The clones deallocation leaves (e.g. of returned constants) become
  // alloc + copy.
  pm.addPass(createConvertBufferizationToMemRefPass());
}

/// Adds the lowering of the kernels' scf.forall loops to tasks of MLIR's
/// async runtime. Each loop has at most `threads` iterations (the kernels
/// split their work into that many chunks), and each iteration becomes one
/// task (no block is smaller than one iteration: they are large), so no
/// more than `threads` tasks run at once; the runtime's pool has a thread
/// per core.
static void addParallelism(OpPassManager &pm, unsigned threads) {
  pm.addPass(createForallToParallelLoopPass());
  AsyncParallelForPassOptions options;
  options.asyncDispatch = true;
  options.numWorkerThreads = threads;
  options.minTaskSize = 1;
  pm.addPass(createAsyncParallelForPass(options));
  pm.addPass(createAsyncToAsyncRuntimePass());
  pm.addPass(createAsyncRuntimeRefCountingPass());
  pm.addPass(createAsyncRuntimeRefCountingOptPass());
  pm.addPass(createConvertAsyncToLLVMPass());
}

/// Adds the lowering of the kernels' scf.forall loops to OpenMP parallel
/// regions of `threads` threads (omp.parallel and omp.wsloop, whose bodies
/// LLVM's OpenMP builder outlines; libomp runs them).
static void addOpenMPParallelism(OpPassManager &pm, unsigned threads) {
  pm.addPass(createForallToParallelLoopPass());
  ConvertSCFToOpenMPPassOptions options;
  options.numThreads = threads;
  pm.addPass(createConvertSCFToOpenMPPass(options));
  // Its loop bodies' memref.alloca_scope ops must go before the lowering to
  // control flow splits them into several blocks.
  pm.addPass(createAGNInlineAllocaScopes());
}

void mlir::agn::detail::addConversionToLLVM(
    OpPassManager &pm, bool cacheBuffers,
    function_ref<void(OpPassManager &)> beforeReconcile) {
  // n-D vector transfers become 1-D ones, unrolled: the loop form goes
  // through a stack buffer per transfer, which lands inside the kernels'
  // loops (an alloca per iteration: a large convolution overflowed the
  // stack).
  VectorTransferToSCFOptions transferOptions;
  transferOptions.enableFullUnroll();
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(transferOptions));
  pm.addPass(createSCFToControlFlowPass());
  // Before lower-affine: it emits affine.apply for the subview arithmetic.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // arith ops without a direct LLVM counterpart (ceildivui, ...).
  pm.addPass(arith::createArithExpandOpsPass());
  ConvertVectorToLLVMPassOptions vectorOptions;
  vectorOptions.vectorContractLowering =
      vector::VectorContractLowering::OuterProduct;
  pm.addPass(createConvertVectorToLLVMPass(vectorOptions));
  // Buffers through _mlir_memref_to_llvm_alloc/free: agn's runtime keeps
  // freed ones for the next call (lib/Runtime/BufferCache.h).
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useGenericFunctions = cacheBuffers;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createConvertMathToLLVMPass());
  // What has no LLVM intrinsic (erf for GELU, ...) becomes a libm call.
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  // The vectorizer's padding values.
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  if (beforeReconcile)
    beforeReconcile(pm);
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::agn::detail::addLowering(OpPassManager &pm, StringRef targetCpu,
                                    StringRef targetFeatures) {
  // The target first: every kernel choice below reads it. Without options,
  // a target already on the module (set by hand or by an earlier run) wins.
  AGNSetTargetOptions target;
  bool explicitTarget = !targetCpu.empty() || !targetFeatures.empty();
  target.cpu = targetCpu.empty() ? std::string("native") : targetCpu.str();
  target.features = targetFeatures.str();
  target.keepExisting = !explicitTarget;
  pm.addPass(createAGNSetTarget(target));
  // Folds what is known at compile time first: the quantization of constant
  // weights (into the stored form), controllers on constant inputs, dispatches
  // on constant levels.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createAGNLower());
  // Elementwise arith and math on tensors, as frontends emit them, become
  // linalg, which bufferizes.
  pm.addPass(createConvertElementwiseToLinalgPass());
  // Nothing is computed for tensors without elements (an empty batch).
  pm.addPass(createAGNFoldZeroElementTensors());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::agn::buildLowerToLLVMPipeline(OpPassManager &pm,
                                         const LowerToLLVMOptions &options) {
  detail::addLowering(pm, options.targetCpu, options.targetFeatures);
  // (threads = 0 reaches the configuration, which diagnoses it.)
  bool parallel = options.threads > 1;
  if (options.vectorize) {
    AGNCpuConfigureKernelsOptions configure;
    configure.threads = options.threads;
    // A `threads` given to the pipeline is the runtime's: configs the module
    // already has (pinned by hand, or from an earlier configuration) follow
    // it.
    configure.overrideThreads = options.threads.hasValue();
    configure.packConstantB = options.packConstantB;
    configure.signedDot = options.signedDot;
    configure.signedDotFilterOnLeft = options.signedDotFilterOnLeft;
    // Convolutions become matmuls and batched products loops of matmuls;
    // the second configuration gives those their kernels.
    pm.addNestedPass<func::FuncOp>(createAGNCpuConfigureKernels(configure));
    pm.addNestedPass<func::FuncOp>(createAGNVectorizeConvolutions());
    AGNSplitBatchMatmulsOptions split;
    split.threads = options.threads;
    pm.addNestedPass<func::FuncOp>(createAGNSplitBatchMatmuls(split));
    pm.addNestedPass<func::FuncOp>(createAGNCpuConfigureKernels(configure));
    pm.addNestedPass<func::FuncOp>(createAGNVnniPack());
    pm.addNestedPass<func::FuncOp>(createAGNVnniMatmuls());
    pm.addNestedPass<func::FuncOp>(createAGNVectorizeContractions());
    // The kernels transpose their accumulators in and out of the layout
    // they compute in; an accumulator that starts as a fill folds to a fill
    // of the transposed tensor instead of a transpose of zeros.
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
  // The ops around the kernels: chains of elementwise ops as one op, and
  // each as loops LLVM vectorizes whole (no short rows).
  pm.addNestedPass<func::FuncOp>(createAGNFuseElementwise());
  pm.addNestedPass<func::FuncOp>(createAGNCpuCollapseLoops());
  // exp and erf as arithmetic: libm calls would keep those loops scalar.
  if (options.approximateMath)
    pm.addNestedPass<func::FuncOp>(createAGNCpuApproximateMath());
  pm.addPass(createCanonicalizerPass());
  // After the kernels, which split convolutions into their parts: each of
  // those is timed on its own.
  if (options.profile) {
    AGNInstrumentProfileOptions profile;
    profile.model = options.profileModel;
    pm.addPass(createAGNInstrumentProfile(profile));
  }
  // After the profile's brackets, so that each op is timed whole (both of
  // its threads together) in the group it belongs to.
  if (parallel && options.parallelizeOps) {
    AGNCpuParallelizeOpsOptions parallelize;
    parallelize.threads = options.threads;
    pm.addNestedPass<func::FuncOp>(createAGNCpuParallelizeOps(parallelize));
  }
  // After the threads' chunks: each chunk's rows are reduced a block at a
  // time.
  if (options.rowReductions)
    pm.addNestedPass<func::FuncOp>(createAGNCpuVectorizeRowReductions());
  // (agn-cpu-tile-transposes is left out: it makes each layout change 6x
  // as fast alone, yet resnet18 as a whole 15 % slower, its convolution
  // kernels slower by more than the transposes gain; docs/Profiling.md.)
  // After the kernels, which fold packed weights into new constants.
  pm.addPass(createAGNPlaceLevelWeights());
  detail::addBufferization(pm);
  if (options.vectorize) {
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    pm.addNestedPass<func::FuncOp>(createAGNHoistVectorTransfers());
  }
  // Strided copies (padding, concatenation) as loops LLVM vectorizes, not
  // calls of MLIR's element-by-element memrefCopy.
  pm.addPass(createAGNLowerStridedCopies());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createAGNEmulateNarrowTypes());
  pm.addPass(createAGNEmitCInterface());
  // One function per loop nest, each distinct nest once: LLVM's optimizer
  // is superlinear in a function's size, and a model's entry function
  // holds every layer at every level.
  if (options.outlineLoopNests)
    pm.addPass(createAGNOutlineLoopNests());
  pm.addPass(createAGNLowerUsdot());
  pm.addPass(createAGNExpandBF16Conversions());
  if (parallel && options.parallelRuntime == ParallelRuntime::openmp)
    addOpenMPParallelism(pm, options.threads);
  else if (parallel)
    addParallelism(pm, options.threads);
  detail::addConversionToLLVM(pm, options.cacheBuffers);
}

void mlir::agn::registerLowerToLLVMPipeline() {
  PassPipelineRegistration<LowerToLLVMOptions>(
      "agn-lower-to-llvm-pipeline",
      "Lower agn programs on tensors to the LLVM dialect for the CPU",
      buildLowerToLLVMPipeline);
}
