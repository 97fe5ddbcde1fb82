//===- Passes.td - agn_x86 lowering ------------------------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_X86_TRANSFORMS_PASSES_TD
#define AGN_DIALECT_X86_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AGNLowerUsdot : Pass<"agn-lower-usdot"> {
  let summary = "Lower agn_x86.usdot to vpdpbusd or to vector arithmetic";
  let description = [{
    Where the module's target (`llvm.target`, see `agn-set-target`) has the
    `+avx512vnni` feature, every `agn_x86.usdot` on 16 lanes becomes a call
    of the `llvm.x86.avx512.vpdpbusd.512` intrinsic (AVX-512 VNNI). Every
    other `agn_x86.usdot` (all of them on other targets, or without a
    target) becomes portable vector arithmetic: the bytes zero- and
    sign-extended to i32, multiplied, and summed in groups of four into the
    accumulator (each of the four gathered with a `vector.shuffle`, then
    added). Both compute exactly the op's result.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::vector::VectorDialect",
    "::mlir::LLVM::LLVMDialect"
  ];
}

#endif // AGN_DIALECT_X86_TRANSFORMS_PASSES_TD
