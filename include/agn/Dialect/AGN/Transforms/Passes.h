//===- Passes.h - agn transformation passes ---------------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_AGN_TRANSFORMS_PASSES_H
#define AGN_DIALECT_AGN_TRANSFORMS_PASSES_H

#include "agn/Dialect/AGN/IR/AGNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::agn {

#define GEN_PASS_DECL
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"

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

#define GEN_PASS_REGISTRATION
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"

/// Registers every agn pass and pipeline.
inline void registerAGNPassesAndPipelines() {
  registerAGNPasses();
  registerAdaptivePipeline();
}

} // namespace mlir::agn

#endif // AGN_DIALECT_AGN_TRANSFORMS_PASSES_H
