//===- Pipelines.h - agn's pass pipelines -----------------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The two pipelines users run: agn-adaptive-pipeline (linalg -> Granularity
// Units with controllers and one version per level) and
// agn-lower-to-llvm-pipeline (the result -> the LLVM dialect for a CPU).
// This library only schedules passes: it owns no transformation.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_PIPELINES_PIPELINES_H
#define AGN_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "llvm/Support/ErrorHandling.h"

namespace mlir::agn {

/// Options of the agn-adaptive-pipeline: those of the passes it runs.
struct AdaptivePipelineOptions
    : public PassPipelineOptions<AdaptivePipelineOptions> {
  ListOption<std::string> ops{
      *this, "ops",
      llvm::cl::desc("Contraction kinds to wrap (see agn-form-units)")};
  ListOption<std::string> levels{
      *this, "levels",
      llvm::cl::desc("Allowed precision levels, increasing (default: "
                     "i4,i8,bf16,f16,f32)")};
  ListOption<double> thresholds{
      *this, "thresholds",
      llvm::cl::desc("Policy thresholds, increasing, one fewer than levels")};
  Option<double> hysteresis{*this, "hysteresis",
                            llvm::cl::desc("Policy hysteresis in [0, 1)"),
                            llvm::cl::init(0.0)};
  Option<std::string> statistic{
      *this, "statistic",
      llvm::cl::desc("Controller statistic: variance or abs_max"),
      llvm::cl::init("variance")};
  Option<unsigned> split{*this, "split", llvm::cl::desc("Units per layer"),
                         llvm::cl::init(1)};
  Option<std::string> splitAlong{
      *this, "split-along",
      llvm::cl::desc("Split along output 'channels' or 'rows'"),
      llvm::cl::init("channels")};
  Option<int64_t> stride{*this, "stride",
                         llvm::cl::desc("Sampling stride of the statistic"),
                         llvm::cl::init(1)};
  Option<int64_t> i4BlockSize{
      *this, "i4-block-size",
      llvm::cl::desc("Block size of the i4 weight scales"), llvm::cl::init(32)};
  Option<bool> exchangeQuantized{
      *this, "exchange-quantized",
      llvm::cl::desc("Let consecutive units fixed at integer levels exchange "
                     "quantized activations (agn-exchange-quantized; "
                     "default: on)"),
      llvm::cl::init(true)};
};

/// Adds form-units, insert-controllers, quantize-weights, multiversion,
/// sink-padding, canonicalization/CSE and exchange-quantized to `pm`, in
/// that order.
void buildAdaptivePipeline(OpPassManager &pm,
                           const AdaptivePipelineOptions &options);

/// Registers agn-adaptive-pipeline.
void registerAdaptivePipeline();

/// The library that runs the parallel loops of code lowered with
/// agn-lower-to-llvm-pipeline{threads=N}, N > 1.
enum class ParallelRuntime { openmp, async };

/// The values of a ParallelRuntime option, with what each needs.
inline auto parallelRuntimeValues() {
  return llvm::cl::values(
      clEnumValN(ParallelRuntime::openmp, "openmp",
                 "OpenMP parallel regions (libomp, which the JIT or the link "
                 "must provide)"),
      clEnumValN(ParallelRuntime::async, "async",
                 "tasks of MLIR's async runtime (libmlir_async_runtime.so; "
                 "needs LLVM's coroutine passes, -O1 and up)"));
}

/// Options of agn-lower-to-llvm-pipeline.
struct LowerToLLVMOptions : public PassPipelineOptions<LowerToLLVMOptions> {
  Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Give the contractions the target's kernels (register "
                     "tiles, VNNI, im2col; default: on); off, every "
                     "contraction becomes scalar loops"),
      llvm::cl::init(true)};
  Option<std::string> targetCpu{
      *this, "target-cpu",
      llvm::cl::desc("CPU to generate code for (agn-set-target): native or an "
                     "LLVM CPU name such as x86-64-v3 or znver4; default: the "
                     "module's llvm.target if it has one, else native"),
      llvm::cl::init("")};
  Option<std::string> targetFeatures{
      *this, "target-features",
      llvm::cl::desc("LLVM features to add (+name) or remove (-name) on top "
                     "of the CPU's, comma-separated (agn-set-target)"),
      llvm::cl::init("")};
  Option<unsigned> threads{
      *this, "threads",
      llvm::cl::desc("Threads the kernels run on (default 1): with more, "
                     "their outer loops become scf.forall loops that the "
                     "parallel-runtime runs in parallel"),
      llvm::cl::init(1)};
  Option<ParallelRuntime> parallelRuntime{
      *this, "parallel-runtime",
      llvm::cl::desc("With threads > 1, what runs the parallel loops "
                     "(default: openmp, whose threads wait for the next "
                     "loop spinning: a loop starts in microseconds where a "
                     "task of the async runtime waited for a sleeping "
                     "thread, up to 0.1 ms)"),
      llvm::cl::init(ParallelRuntime::openmp), parallelRuntimeValues()};
  Option<bool> parallelizeOps{
      *this, "parallelize-ops",
      llvm::cl::desc("With threads > 1, split the large ops outside the "
                     "kernels (im2col copies, layout changes, elementwise "
                     "ops, pooling) into threads too "
                     "(agn-cpu-parallelize-ops; default: on)"),
      llvm::cl::init(true)};
  Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Compute f32 exp and erf with polynomial approximations "
                     "that vectorize (agn-cpu-approximate-math; default: "
                     "on); off, they are libm calls, one per element"),
      llvm::cl::init(true)};
  Option<bool> rowReductions{
      *this, "row-reductions",
      llvm::cl::desc("Reduce the rows of innermost-loop reductions (softmax, "
                     "layer norm) a vector register of rows at a time, each "
                     "row in its own order (agn-cpu-vectorize-row-reductions; "
                     "default: on); off, each row is a scalar loop"),
      llvm::cl::init(true)};
  Option<bool> packConstantB{
      *this, "pack-constant-b",
      llvm::cl::desc("Sweep the constant B of float matmuls a panel at a "
                     "time, packed at compile time, where "
                     "agn-cpu-configure-kernels finds it pays (its "
                     "pack-constant-b; default: on)"),
      llvm::cl::init(true)};
  Option<bool> signedDot{
      *this, "signed-dot",
      llvm::cl::desc("Compute i8 and i4 matmuls with the AVX2 signed_dot "
                     "kernel on targets with AVX2 but neither AVX-512 VNNI "
                     "nor AVX-512F (agn-cpu-configure-kernels' signed-dot; "
                     "default: on); off, they take the integer register "
                     "tiles"),
      llvm::cl::init(true)};
  Option<bool> signedDotFilterOnLeft{
      *this, "signed-dot-filter-on-left",
      llvm::cl::desc("With the signed_dot kernel, compute NCHW integer "
                     "convolutions of large output planes with the filter "
                     "on the left of their im2col matmul, which writes NCHW "
                     "(agn-cpu-configure-kernels' signed-dot-filter-on-left; "
                     "default: on); off, the filter is on the right and the "
                     "product is transposed"),
      llvm::cl::init(true)};
  Option<bool> cacheBuffers{
      *this, "cache-buffers",
      llvm::cl::desc("Allocate and free buffers through MLIR's generic "
                     "functions, which agn's runtime (libagn_runtime.so) "
                     "implements with a cache that reuses them across calls "
                     "(default: on); off, generated code calls malloc and "
                     "free and needs no runtime"),
      llvm::cl::init(true)};
  Option<bool> outlineLoopNests{
      *this, "outline-loop-nests",
      llvm::cl::desc("Move each loop nest into a function of its own and "
                     "keep one copy of identical ones (agn-outline-loop-nests; "
                     "default: on): LLVM compiles many small functions much "
                     "faster than one large one. Off keeps the entry function "
                     "whole"),
      llvm::cl::init(true)};
  Option<bool> profile{
      *this, "profile",
      llvm::cl::desc("Time each unit at each level and the costly ops around "
                     "it at run time (agn-instrument-profile; default: off); "
                     "the runtime prints the table (agn_rt_profile_table) "
                     "and writes a Chrome trace"),
      llvm::cl::init(false)};
  Option<std::string> profileModel{
      *this, "profile-model",
      llvm::cl::desc("Model name the profile's records carry (default: the "
                     "module's name, else 'model')"),
      llvm::cl::init("")};
};

/// Adds the passes that take a module after agn's passes (or any mix of agn
/// and upstream ops on tensors) down to the LLVM dialect: agn-lower,
/// bufferization, tiling and vectorization, and the conversions to LLVM.
void buildLowerToLLVMPipeline(OpPassManager &pm,
                              const LowerToLLVMOptions &options);

/// Registers agn-lower-to-llvm-pipeline.
void registerLowerToLLVMPipeline();

/// What the gpu.binary of agn-lower-to-nvvm-pipeline holds (upstream's
/// gpu-module-to-binary formats). An enumeration, so that a typo is an
/// option error instead of upstream's warning and a module without kernels.
enum class GpuBinaryFormat { fatbin, bin, isa, llvm };

/// Returns the name gpu-module-to-binary takes for `format`.
inline llvm::StringRef stringifyGpuBinaryFormat(GpuBinaryFormat format) {
  switch (format) {
  case GpuBinaryFormat::fatbin:
    return "fatbin";
  case GpuBinaryFormat::bin:
    return "bin";
  case GpuBinaryFormat::isa:
    return "isa";
  case GpuBinaryFormat::llvm:
    return "llvm";
  }
  llvm_unreachable("unknown GPU binary format");
}

/// The values of a GpuBinaryFormat option, with what each needs.
inline auto gpuBinaryFormatValues() {
  return llvm::cl::values(
      clEnumValN(GpuBinaryFormat::fatbin, "fatbin",
                 "a fat binary (needs the CUDA toolkit's ptxas and "
                 "fatbinary)"),
      clEnumValN(GpuBinaryFormat::bin, "bin", "a cubin (needs ptxas)"),
      clEnumValN(GpuBinaryFormat::isa, "isa",
                 "PTX text, which the driver compiles at load time"),
      clEnumValN(GpuBinaryFormat::llvm, "llvm", "LLVM bitcode"));
}

/// Options of agn-lower-to-nvvm-pipeline.
struct LowerToNVVMOptions : public PassPipelineOptions<LowerToNVVMOptions> {
  Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("GPU to generate code for (default: sm_80); tensor-core "
                     "kernels need sm_80 or later"),
      llvm::cl::init("sm_80")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features (default: +ptx80, PTX 8.0, which CUDA 12 "
                     "and later assemble for sm_80 and sm_90)"),
      llvm::cl::init("+ptx80")};
  Option<GpuBinaryFormat> format{
      *this, "format",
      llvm::cl::desc("What the gpu.binary holds (default: fatbin)"),
      llvm::cl::init(GpuBinaryFormat::fatbin), gpuBinaryFormatValues()};
  Option<unsigned> optLevel{
      *this, "opt-level",
      llvm::cl::desc("Optimization level of the device code (default: 3)"),
      llvm::cl::init(3)};
  ListOption<int64_t> simtTileSizes{
      *this, "simt-tile-sizes",
      llvm::cl::desc("Outputs (rows, columns) per block of the SIMT kernels "
                     "(default: 32,32)")};
  ListOption<int64_t> simtBlockThreads{
      *this, "simt-block-threads",
      llvm::cl::desc("Threads (y, x) per block of the SIMT kernels (default: "
                     "16,16)")};
  ListOption<int64_t> mmaTileSizes{
      *this, "mma-tile-sizes",
      llvm::cl::desc("Outputs (rows, columns) per block of the tensor-core "
                     "kernels (default: 64,32)")};
  Option<bool> cpuFallback{
      *this, "cpu-fallback",
      llvm::cl::desc("Run each kernel's loops on the CPU where no GPU is "
                     "usable (agn_gpu_available()), instead of failing the "
                     "call (default: off)"),
      llvm::cl::init(false)};
  Option<std::string> targetCpu{
      *this, "target-cpu",
      llvm::cl::desc("CPU of the host code (agn-set-target; default: the "
                     "module's llvm.target if it has one, else native)"),
      llvm::cl::init("")};
  Option<std::string> targetFeatures{
      *this, "target-features",
      llvm::cl::desc("LLVM features of the host code to add (+name) or "
                     "remove (-name)"),
      llvm::cl::init("")};
  Option<bool> cacheBuffers{
      *this, "cache-buffers",
      llvm::cl::desc("Host buffers through agn's runtime cache (as in "
                     "agn-lower-to-llvm-pipeline; default: on)"),
      llvm::cl::init(true)};
};

/// Adds the passes that take a module after agn's passes down to the LLVM
/// dialect with its kernels in a gpu.binary for NVIDIA GPUs: each unit's
/// contractions at every level become kernels (tensor cores where the types
/// and sizes allow, SIMT otherwise), everything else host code.
void buildLowerToNVVMPipeline(OpPassManager &pm,
                              const LowerToNVVMOptions &options);

/// Registers agn-lower-to-nvvm-pipeline.
void registerLowerToNVVMPipeline();

/// Registers the pipelines.
inline void registerAGNPipelines() {
  registerAdaptivePipeline();
  registerLowerToLLVMPipeline();
  registerLowerToNVVMPipeline();
}

} // namespace mlir::agn

#endif // AGN_PIPELINES_PIPELINES_H
