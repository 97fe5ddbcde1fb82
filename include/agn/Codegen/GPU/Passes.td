//===- Passes.td - GPU kernel passes -----------------------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Kernels for NVIDIA GPUs: each contraction's strategy as an attribute, the
// tiling that carries it out (transform-dialect schedules applied to the
// configured ops), the mapping of the tiles to gpu.launch, and the host's
// device buffers and copies around each launch.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CODEGEN_GPU_PASSES_TD
#define AGN_CODEGEN_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def AGNGpuConfigureKernels
    : Pass<"agn-gpu-configure-kernels", "::mlir::func::FuncOp"> {
  let summary = "Choose each contraction's GPU kernel, as an attribute";
  let description = [{
    Writes on every linalg op with a reduction loop, two or three parallel
    loops and static shapes (matmuls, batched matmuls, the parts of agn's
    block-scaled i4 matmul) an `#agn.lowering_config` that
    `agn-gpu-tile-contractions` carries out; an op that already has a GPU
    config keeps it, a CPU config (`agn-cpu-configure-kernels`) is
    replaced, and everything else stays on the host:

    - `linalg.matmul` of f16 x f16 -> f32 or i8 x i8 -> i32 whose sizes
      are multiples of the tiles, on `chip` sm_80 or later: `gpu_mma_sync`
      with `mma-tile-sizes` (rows, columns) and a K step of 16 (32 for i8);
      bf16 has the instruction, but MLIR 22's vector-to-nvgpu patterns do
      not load bf16 fragments, so bf16 runs SIMT kernels. The i8
      tensor-core instruction multiplies signed values and saturates its
      i32 sums, where linalg's addition wraps: it is chosen only for signed
      matmuls whose accumulator starts from zeros and with K * 128 * 128
      below 2^31, so that the two agree;
    - every other one: `gpu_simt` with `simt-tile-sizes` and
      `simt-block-threads`.
  }];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_80\"",
           "GPU to generate code for (sm_XY)">,
    ListOption<"simtTileSizes", "simt-tile-sizes", "int64_t",
               "Outputs (rows, columns) of each block of a SIMT kernel "
               "(default: 32,32)">,
    ListOption<"simtBlockThreads", "simt-block-threads", "int64_t",
               "Threads (y, x) of each block of a SIMT kernel "
               "(default: 16,16)">,
    ListOption<"mmaTileSizes", "mma-tile-sizes", "int64_t",
               "Outputs (rows, columns) of each block of a tensor-core "
               "kernel (default: 64,32)">
  ];
  let dependentDialects = ["::mlir::agn::AGNDialect"];
}

def AGNGpuIm2Col : Pass<"agn-gpu-im2col", "::mlir::func::FuncOp"> {
  let summary = "Rewrite 2-D convolutions as im2col copies and matmuls";
  let description = [{
    Rewrites every 2-D convolution upstream's im2col patterns take
    (`linalg.conv_2d_nhwc_hwcf`, `conv_2d_nhwc_fhwc`, `conv_2d_nchw_fchw`,
    `depthwise_conv_2d_nhwc_hwc`, on tensors) into an im2col
    `linalg.generic` and a contraction with three parallel loops (image,
    output position or channel, filter), which `agn-gpu-configure-kernels`
    gives a GPU kernel; the im2col copy stays on the host. A filter
    narrower than the input (i4 weights of an i8 convolution) is first
    extended to the input's element type by an elementwise `linalg.generic`
    (signed, as linalg's convolutions extend): upstream's rewrite gives the
    reshaped filter the input's element type and would reinterpret its
    bits. Other convolutions are left alone.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def AGNGpuTileContractions
    : Pass<"agn-gpu-tile-contractions", "::mlir::func::FuncOp"> {
  let summary = "Tile configured ops into GPU blocks and threads";
  let description = [{
    Carries out every `gpu_simt` and `gpu_mma_sync` `#agn.lowering_config`
    on tensors, with a transform-dialect schedule built from the config and
    applied to that op (the schedule is printed with
    `-debug-only=agn-gpu-tile-contractions`):

    - `gpu_simt`: an `scf.forall` over blocks of `tile_sizes` outputs of the
      two innermost parallel loops (`#gpu.block<y>`, `<x>`; an outer
      parallel loop one output per `#gpu.block<z>`), inside it an
      `scf.forall` of `block_threads` threads (`#gpu.thread<y>`, `<x>`);
    - `gpu_mma_sync`: blocks as above, warps of 16 x 8 outputs
      (`#gpu.warp<y>`, `<x>`), an `scf.for` over K steps, the step's
      16 x 8 x K matmul vectorized to a mixed-precision `vector.contract`
      (extensions folded in) whose accumulator the loop carries.

    The forall loops become `gpu.launch` after bufferization
    (`agn-gpu-map-to-launches`).
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::transform::TransformDialect"
  ];
}

def AGNGpuMapToLaunches
    : Pass<"agn-gpu-map-to-launches", "::mlir::ModuleOp"> {
  let summary = "Turn block and thread forall loops into gpu.launch";
  let description = [{
    After bufferization: every `scf.forall` mapped to `#gpu.block` becomes
    a `gpu.launch` with one block per iteration, and the forall loops it
    holds (mapped to `#gpu.thread` or `#gpu.warp`) its threads, with
    upstream's `map_forall_to_blocks` and `map_nested_forall_to_threads`;
    the block size is the largest trip count of the thread loops along each
    dimension (32 threads per warp along x), at most 1024 threads.

    With `cpu-fallback`, each launch runs only where the GPU runtime finds a
    usable device (`agn_gpu_available()`, libagn_gpu_runtime); elsewhere the
    same loops run on the CPU (a copy of the block loop without its
    mappings, for `scf-forall-to-for`): a model compiled for a GPU still
    runs, and gives the same numbers, on a machine without one. (A module
    pass: it declares the runtime function.)
  }];
  let options = [
    Option<"cpuFallback", "cpu-fallback", "bool", "false",
           "Run each kernel's loops on the CPU where no GPU is usable">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::transform::TransformDialect"
  ];
}

def AGNGpuInsertTransfers
    : Pass<"agn-gpu-insert-transfers", "::mlir::ModuleOp"> {
  let summary = "Give each gpu.launch device buffers and copies";
  let description = [{
    For every `gpu.launch`, each host buffer its body uses gets a device
    buffer (`gpu.alloc`), copied in before the launch when the body reads
    it and back after it when the body writes it, and freed after it. A
    constant global the body only reads (a level's weights) is instead
    copied once per process by `agn_gpu_constant` (libagn_gpu_runtime),
    which returns the same device copy at every later call; a
    buffer that is not contiguous goes through a contiguous host copy. The
    launch itself runs after the copies in, on the same stream order
    (`gpu.wait`). The constants the body uses are cloned into it, so that
    the outlined kernels see their values (upstream's mma.sync patterns
    need constant transfer indices). (A module pass: it declares the
    runtime function.)
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def AGNGpuVectorToMma
    : Pass<"agn-gpu-vector-to-mma", "::mlir::gpu::GPUFuncOp"> {
  let summary = "Turn a tensor-core kernel's vector.contract into mma.sync";
  let description = [{
    In every kernel that holds a `vector.contract`, rewrites the contraction
    and the transfers that feed it into `nvgpu.mma.sync` and the fragment
    loads from global memory (upstream's `convert-vector-to-gpu{use-nvgpu}`
    patterns); kernels without one (SIMT kernels, whose scalar arithmetic
    those patterns reject) are left alone. A contraction the patterns
    cannot convert is an error.
  }];
  let dependentDialects = [
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::vector::VectorDialect"
  ];
}

#endif // AGN_CODEGEN_GPU_PASSES_TD
