//===- Passes.td - agn_x86 lowering ------------------------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_X86_TRANSFORMS_PASSES_TD
#define AGN_DIALECT_X86_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AGNLowerUsdot : Pass<"agn-lower-usdot"> {
  let summary = "Lower agn_x86.usdot and agn_x86.sdot to x86 instructions "
                "or to vector arithmetic";
  let description = [{
    Where the module's target (`llvm.target`, see `agn-set-target`) has the
    `+avx512vnni` feature, every `agn_x86.usdot` on 16 lanes becomes a call
    of the `llvm.x86.avx512.vpdpbusd.512` intrinsic (AVX-512 VNNI). Where it
    has `+avx2`, every `agn_x86.sdot` on a multiple of 8 lanes becomes, per
    256-bit half, `llvm.abs` (vpabsb) of the left bytes, `vpsignb` of the
    right ones by the left ones, `vpmaddubsw` of the two, `vpmaddwd` by ones
    and an add (exact, given the op's precondition that no right byte is
    -128). Every other op (all of them on other targets, or without a
    target) becomes portable vector arithmetic: the bytes zero- (usdot's
    left operand) or sign-extended to i32, multiplied, and summed in groups
    of four into the accumulator (each of the four gathered with a
    `vector.shuffle`, then added). All compute exactly the ops' results.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::vector::VectorDialect",
    "::mlir::LLVM::LLVMDialect"
  ];
}

#endif // AGN_DIALECT_X86_TRANSFORMS_PASSES_TD
