//===- Passes.h - agn conversion passes and pipelines -----------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CONVERSION_PASSES_H
#define AGN_CONVERSION_PASSES_H

#include "agn/Dialect/AGN/IR/AGNDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::agn {

#define GEN_PASS_DECL
#include "agn/Conversion/Passes.h.inc"

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

#define GEN_PASS_REGISTRATION
#include "agn/Conversion/Passes.h.inc"

/// Registers agn's conversion passes and pipelines.
inline void registerAGNConversionPassesAndPipelines() {
  registerAGNConversionPasses();
  registerLowerToLLVMPipeline();
}

} // namespace mlir::agn

#endif // AGN_CONVERSION_PASSES_H
