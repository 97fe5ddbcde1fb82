//===- X86.td - agn's x86 instruction dialect --------------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Vector-level ops that stand for single x86 instructions agn's kernels need
// and that upstream's x86vector dialect does not reach in MLIR 22 (it lowers
// its i8 dot product to AVX-VNNI-INT8's vpdpbssd, not AVX-512 VNNI's
// vpdpbusd). Kept apart from the `agn` dialect, which models networks, as
// upstream keeps x86vector apart from vector.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_X86_IR_X86_TD
#define AGN_DIALECT_X86_IR_X86_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def X86_Dialect : Dialect {
  let name = "agn_x86";
  let cppNamespace = "::mlir::agn::x86";
  let summary = "x86 instructions of agn's CPU kernels";
  let description = [{
    The instruction-level ops of agn's x86 kernels. Each op has exact,
    target-independent semantics (its description gives them) and two
    lowerings (`agn-lower-usdot`): to the x86 instruction through its LLVM
    intrinsic, when the target CPU has the feature, and to portable vector
    arithmetic otherwise, so that code using them runs, slower, anywhere.
  }];
}

class X86_Op<string mnemonic, list<Trait> traits = []>
    : Op<X86_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// UsdotOp
//===----------------------------------------------------------------------===//

def X86_UsdotOp : X86_Op<"usdot", [Pure,
    AllTypesMatch<["acc", "result"]>, AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "Sums of four unsigned-by-signed byte products into i32 lanes";
  let description = [{
    The dot-product step of agn's i8 kernels: for every i32 lane `i` of
    `acc`,

        result[i] = acc[i] + sum_{t < 4} zext(lhs[4 i + t]) * sext(rhs[4 i + t])

    with the additions wrapping modulo 2^32. `lhs` and `rhs` hold four bytes
    per lane. This is what AVX-512 VNNI's `vpdpbusd` (and Arm's `usdot`)
    computes in one instruction; `agn-lower-usdot` lowers the op to it, or to
    plain vector arithmetic. `agn-vnni-matmuls` emits it.

    ```mlir
    %r = agn_x86.usdot %acc, %a, %b : vector<64xi8> into vector<16xi32>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I32]>:$acc,
                       VectorOfRankAndType<[1], [I8]>:$lhs,
                       VectorOfRankAndType<[1], [I8]>:$rhs);
  let results = (outs VectorOfRankAndType<[1], [I32]>:$result);
  let assemblyFormat = [{
    $acc `,` $lhs `,` $rhs attr-dict `:` type($lhs) `into` type($acc)
  }];
  let hasVerifier = 1;
}

#endif // AGN_DIALECT_X86_IR_X86_TD
