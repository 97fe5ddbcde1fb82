//===- LowerToNVVMPipeline.cpp - agn-lower-to-nvvm-pipeline ---------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// From agn (or plain linalg) on tensors to host code in the LLVM dialect and
// kernels in a gpu.binary for NVIDIA GPUs:
//
//   the front of agn-lower-to-llvm-pipeline (agn-set-target, canonicalize,
//    agn-lower, elementwise to linalg, canonicalize, cse)
//   agn-gpu-im2col (2-D convolutions as im2col copies and matmuls)
//   agn-gpu-configure-kernels (each contraction's kernel: tensor cores or
//    SIMT), agn-gpu-tile-contractions (blocks, threads or warps, K steps,
//    vector.contract)
//   one-shot-bufferize and buffer deallocation (as on the CPU)
//   agn-gpu-map-to-launches (upstream's canonicalization keeps mapped
//    scf.forall loops, one-block ones included; with cpu-fallback, each
//    launch or, without a usable GPU, the same loops on the CPU),
//    scf-forall-to-for (those CPU loops)
//   agn-lower-strided-copies, convert-linalg-to-loops (the threads' tiles
//    and the host's ops)
//   agn-gpu-insert-transfers (device buffers and copies per launch)
//   gpu-kernel-outlining
//   in each gpu.module: vector contractions to nvgpu mma.sync, nvgpu and
//    gpu to NVVM; nvvm-attach-target (chip, features, opt-level)
//   the host: agn-emit-c-interface, agn-expand-bf16-conversions, the
//    conversions to LLVM, gpu-to-llvm (launches, copies: the mgpu* calls of
//    libagn_gpu_runtime.so), gpu-module-to-binary (format)
//
//===----------------------------------------------------------------------===//

#include "PipelineSteps.h"
#include "agn/Pipelines/Pipelines.h"

#include "agn/Codegen/Common/Passes.h"
#include "agn/Codegen/GPU/Passes.h"

#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::agn;

/// Adds the lowering of each gpu.module's kernels to the NVVM and LLVM
/// dialects.
static void addKernelLowering(OpPassManager &pm) {
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  // The tensor-core kernels' vector.contract ops become nvgpu.mma.sync.
  kernels.addNestedPass<gpu::GPUFuncOp>(createAGNGpuVectorToMma());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createConvertNVGPUToNVVMPass());
  VectorTransferToSCFOptions transferOptions;
  transferOptions.enableFullUnroll();
  kernels.addPass(createConvertVectorToSCFPass(transferOptions));
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(arith::createArithExpandOpsPass());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::agn::buildLowerToNVVMPipeline(OpPassManager &pm,
                                         const LowerToNVVMOptions &options) {
  detail::addLowering(pm, options.targetCpu, options.targetFeatures);
  AGNGpuConfigureKernelsOptions configure;
  configure.chip = options.chip;
  configure.simtTileSizes = llvm::to_vector(options.simtTileSizes);
  configure.simtBlockThreads = llvm::to_vector(options.simtBlockThreads);
  configure.mmaTileSizes = llvm::to_vector(options.mmaTileSizes);
  pm.addNestedPass<func::FuncOp>(createAGNGpuIm2Col());
  pm.addNestedPass<func::FuncOp>(createAGNGpuConfigureKernels(configure));
  pm.addNestedPass<func::FuncOp>(createAGNGpuTileContractions());
  detail::addBufferization(pm);
  AGNGpuMapToLaunchesOptions launches;
  launches.cpuFallback = options.cpuFallback;
  pm.addPass(createAGNGpuMapToLaunches(launches));
  // The CPU versions of the kernels (cpu-fallback).
  pm.addNestedPass<func::FuncOp>(createForallToForLoopPass());
  pm.addPass(createAGNLowerStridedCopies());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createAGNGpuInsertTransfers());
  pm.addPass(createGpuKernelOutliningPass());
  addKernelLowering(pm);
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));
  pm.addPass(createAGNEmitCInterface());
  pm.addPass(createAGNExpandBF16Conversions());
  detail::addConversionToLLVM(
      pm, options.cacheBuffers, [&options](OpPassManager &pm) {
        pm.addPass(createGpuToLLVMConversionPass());
        GpuModuleToBinaryPassOptions binary;
        binary.compilationTarget = stringifyGpuBinaryFormat(options.format);
        pm.addPass(createGpuModuleToBinaryPass(binary));
      });
}

void mlir::agn::registerLowerToNVVMPipeline() {
  PassPipelineRegistration<LowerToNVVMOptions>(
      "agn-lower-to-nvvm-pipeline",
      "Lower agn programs on tensors to host code in the LLVM dialect and "
      "kernels for NVIDIA GPUs (NVVM/PTX) in a gpu.binary",
      buildLowerToNVVMPipeline);
}
