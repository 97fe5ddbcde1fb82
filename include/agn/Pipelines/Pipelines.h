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
};

/// Adds form-units, insert-controllers, quantize-weights, multiversion and
/// canonicalization/CSE to `pm`, in that order.
void buildAdaptivePipeline(OpPassManager &pm,
                           const AdaptivePipelineOptions &options);

/// Registers agn-adaptive-pipeline.
void registerAdaptivePipeline();

/// Returns whether the CPU this process runs on has AVX512-VNNI.
bool hostHasAVX512VNNI();

/// Options of agn-lower-to-llvm-pipeline.
struct LowerToLLVMOptions : public PassPipelineOptions<LowerToLLVMOptions> {
  Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Tile the float and signed integer matmuls into "
                     "register tiles and vectorize them, with the VNNI "
                     "kernels of x86-vnni (default: on); off, every "
                     "contraction becomes scalar loops"),
      llvm::cl::init(true)};
  Option<bool> x86Vnni{
      *this, "x86-vnni",
      llvm::cl::desc("Compute the i8 matmuls and agn's i4 versions of "
                     "matmuls with constant weights with AVX-512 VNNI "
                     "(agn-vnni-matmuls); default: whether the host CPU has "
                     "AVX512-VNNI. Only with vectorize"),
      llvm::cl::init(hostHasAVX512VNNI())};
  Option<unsigned> threads{
      *this, "threads",
      llvm::cl::desc("Threads the matmul kernels run on (default 1): with "
                     "more, their outer loops become scf.forall loops that "
                     "MLIR's async runtime (libmlir_async_runtime.so, which "
                     "the JIT or the link must provide) runs in parallel. "
                     "The async lowering needs LLVM's coroutine passes "
                     "(-O1 and up)"),
      llvm::cl::init(1)};
};

/// Adds the passes that take a module after agn's passes (or any mix of agn
/// and upstream ops on tensors) down to the LLVM dialect: agn-lower,
/// bufferization, tiling and vectorization, and the conversions to LLVM.
void buildLowerToLLVMPipeline(OpPassManager &pm,
                              const LowerToLLVMOptions &options);

/// Registers agn-lower-to-llvm-pipeline.
void registerLowerToLLVMPipeline();

/// Registers both pipelines.
inline void registerAGNPipelines() {
  registerAdaptivePipeline();
  registerLowerToLLVMPipeline();
}

} // namespace mlir::agn

#endif // AGN_PIPELINES_PIPELINES_H
