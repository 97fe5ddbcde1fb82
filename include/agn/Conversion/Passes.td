//===- Passes.td - agn conversion passes -------------------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CONVERSION_PASSES_TD
#define AGN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def AGNLower : Pass<"agn-lower", "::mlir::ModuleOp"> {
  let summary = "Lower agn ops to linalg, arith, scf, tensor and runtime calls";
  let description = [{
    Replaces every agn op with upstream ops on tensors: units are inlined,
    statistics and quantizations become linalg reductions and elementwise
    ops, `agn.select` becomes arith, `agn.dispatch` an `scf.index_switch`,
    and `agn.arbitrate` a call into the runtime resource manager
    (`agn_rt_arbitrate` of `include/agn-c/Runtime.h`), with each unit
    registered with its cost table on its first call.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect"
  ];
}

#endif // AGN_CONVERSION_PASSES_TD
