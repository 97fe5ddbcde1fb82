//===- X86.td - agn's x86 instruction dialect --------------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The ops of agn's x86 kernels: vector-level ops that stand for single x86
// instructions agn's kernels need and that upstream's x86vector dialect does
// not reach in MLIR 22 (it lowers its i8 dot product to AVX-VNNI-INT8's
// vpdpbssd, not AVX-512 VNNI's vpdpbusd), and the tensor-level ops of the
// VNNI kernels' packed weight layouts and the contractions that read them.
// Kept apart from the `agn` dialect, which models networks, as upstream keeps
// x86vector apart from vector.
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
    The ops of agn's x86 kernels. Each op has exact, target-independent
    semantics (its description gives them), so that code using them runs,
    slower, anywhere:

    - instruction ops (`agn_x86.usdot`) have two lowerings
      (`agn-lower-usdot`): to the x86 instruction through its LLVM
      intrinsic, when the target CPU has the feature, and to portable vector
      arithmetic otherwise;
    - layout ops (`agn_x86.pack_vnni`, `agn_x86.pack_vnni_blocked`) put
      weights into the panels the VNNI kernels read; they fold for constant
      weights, and `agn-vnni-matmuls` packs other weights by vector code;
    - kernel ops (`agn_x86.vnni_matmul`, `agn_x86.vnni_blocked_matmul`) are
      contractions whose weights are in those layouts; `agn-vnni-pack`
      makes them from configured linalg ops and `agn-vnni-matmuls` lowers
      them to register tiles of `agn_x86.usdot`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let hasConstantMaterializer = 1;
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

//===----------------------------------------------------------------------===//
// SdotOp
//===----------------------------------------------------------------------===//

def X86_SdotOp : X86_Op<"sdot", [Pure,
    AllTypesMatch<["acc", "result"]>, AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "Sums of four signed byte products into i32 lanes, for "
                "weights without -128";
  let description = [{
    The dot-product step of agn's i8 kernels on x86 CPUs without VNNI: for
    every i32 lane `i` of `acc`,

        result[i] = acc[i] + sum_{t < 4} sext(lhs[4 i + t]) * sext(rhs[4 i + t])

    with the additions wrapping modulo 2^32, where no byte of `rhs` is -128
    (the result is unspecified otherwise). `lhs` and `rhs` hold four bytes
    per lane.

    On AVX2, `agn-lower-usdot` computes it as `vpmaddubsw(|lhs|,
    sign(rhs, lhs))` (`vpabsb`, `vpsignb`: each product keeps its value),
    whose 16-bit sums of two products are exact because |lhs| <= 128 and
    |rhs| <= 127 (2 * 128 * 127 < 2^15), then `vpmaddwd` by ones and
    `vpaddd`: four instructions per 32 products (`vpabsb` is shared by the
    steps that read the same `lhs`) where AVX-512 VNNI's `vpdpbusd` needs
    one per 64. Elsewhere it becomes plain vector
    arithmetic. `agn-vnni-matmuls` emits it for `signed_dot` kernels.

    ```mlir
    %r = agn_x86.sdot %acc, %a, %b : vector<64xi8> into vector<16xi32>
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

//===----------------------------------------------------------------------===//
// Packed weight layouts
//===----------------------------------------------------------------------===//

def X86_PackVnniOp : X86_Op<"pack_vnni", [Pure]> {
  let summary = "K x N weights in the panels of the i8 VNNI kernel";
  let description = [{
    Packs the statically shaped K x N weights `B` (i8, or i4 sign-extended
    to bytes) for `agn_x86.vnni_matmul`: panels of 64 columns, each a
    `G x 256` byte matrix (G = ceil(K / 4)) holding four K values per 32-bit
    lane, in the order `vpdpbusd` reads them, and each panel's correction of
    the kernel's sign flip (the kernel computes with a + 128 as unsigned
    bytes):

        packed[p][g][4 j + t] = B[4 g + t][64 p + j]      (0 past K and N)
        correction[p][j]      = -128 * sum_k B[k][64 p + j]   (mod 2^32)

    for P = ceil(N / 64) panels. Constant weights fold to constants (the
    packing happens at compile time); `agn-vnni-matmuls` packs others one
    panel at a time, right before its kernel reads the panel.

    ```mlir
    %packed, %correction = agn_x86.pack_vnni %b
        : tensor<100x200xi8> -> tensor<4x25x256xi8>, tensor<4x64xi32>
    ```
  }];
  let arguments = (ins 2DTensorOf<[I8, I<4>]>:$weights);
  let results = (outs 3DTensorOf<[I8]>:$packed,
                      2DTensorOf<[I32]>:$correction);
  let assemblyFormat = [{
    $weights attr-dict `:` type($weights) `->` type($packed) `,`
    type($correction)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$weights)>
  ];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def X86_PackVnniBlockedOp : X86_Op<"pack_vnni_blocked", [Pure]> {
  let summary = "blocked i4 weights, two per byte, in the i4 kernel's panels";
  let description = [{
    Packs the statically shaped i4 weights `W` of a block-scaled matmul
    (`blocks` x T x N: block j holds T consecutive K values) for
    `agn_x86.vnni_blocked_matmul`, two values per byte: panels of 64
    columns, each block's T values in T / 8 rows of 256 bytes, and the
    correction of the kernel's sign flip for the nibbles unpacked as 16 w:

        packed[p][j][q][4 c + t]: low nibble  W[j][8 q + t][64 p + c],
                                  high nibble W[j][8 q + 4 + t][64 p + c]
        correction[p][j][c] = -2048 * sum_t W[j][t][64 p + c]   (mod 2^32)

    with zeros past N. T must be a multiple of 8 and below 2^17 (16 times a
    block's sum must fit in i32). Constant weights fold to constants;
    `agn-vnni-matmuls` packs others one panel at a time.

    ```mlir
    %packed, %correction = agn_x86.pack_vnni_blocked %w
        : tensor<4x32x128xi4> -> tensor<2x4x4x256xi8>, tensor<2x4x64xi32>
    ```
  }];
  let arguments = (ins 3DTensorOf<[I<4>]>:$weights);
  let results = (outs 4DTensorOf<[I8]>:$packed,
                      3DTensorOf<[I32]>:$correction);
  let assemblyFormat = [{
    $weights attr-dict `:` type($weights) `->` type($packed) `,`
    type($correction)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$weights)>
  ];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Contractions on packed weights
//===----------------------------------------------------------------------===//

def X86_VnniMatmulOp : X86_Op<"vnni_matmul", [Pure,
    AllTypesMatch<["init", "result"]>]> {
  let summary = "i8 matmul whose weights are packed by agn_x86.pack_vnni";
  let description = [{
    The signed i8 matmul of `lhs` (M x K) by the K x N weights B that
    `packed` and `correction` hold (both results of `agn_x86.pack_vnni`),
    added to `init` (M x N):

        result[m][n] = init[m][n] + sum_k lhs[m][k] * B[k][n]   (i32, mod 2^32)

    `agn-vnni-pack` makes it from a `linalg.matmul` configured `vnni` (or
    `signed_dot`), and `agn-vnni-matmuls` lowers it to register tiles of
    `agn_x86.usdot` (or `agn_x86.sdot`, which reads no correction), whose
    rows per tile and threads come from the op's `agn.lowering_config` (4
    rows and 1 thread without one).

    ```mlir
    %r = agn_x86.vnni_matmul %a, %packed, %correction into %c
        : tensor<?x100xi8>, tensor<4x25x256xi8>, tensor<4x64xi32>
          into tensor<?x200xi32>
    ```
  }];
  let arguments = (ins 2DTensorOf<[I8]>:$lhs, 3DTensorOf<[I8]>:$packed,
                       2DTensorOf<[I32]>:$correction,
                       2DTensorOf<[I32]>:$init);
  let results = (outs 2DTensorOf<[I32]>:$result);
  let assemblyFormat = [{
    $lhs `,` $packed `,` $correction `into` $init attr-dict `:` type($lhs)
    `,` type($packed) `,` type($correction) `into` type($init)
  }];
  let hasVerifier = 1;
}

def X86_VnniBlockedMatmulOp : X86_Op<"vnni_blocked_matmul", [Pure,
    AllTypesMatch<["init", "result"]>]> {
  let summary = "block-scaled i4 matmul on agn_x86.pack_vnni_blocked weights";
  let description = [{
    agn's block-scaled i4 matmul (`agn-multiversion`'s i4 version of a
    matmul: the two ops marked `#agn.blocked_matmul`) with its weights W
    (`blocks` x T x N) packed by `agn_x86.pack_vnni_blocked`: for `lhs`
    (M x blocks x T, i8), `activation_scales` (one per row, tensor<M x f32>,
    or one for all, tensor<f32>) and `weight_scales` (blocks x N),

        P[m][n][j]   = sum_t lhs[m][j][t] * W[j][t][n]                (i32)
        result[m][n] = init[m][n] + sum_j sitofp(P[m][n][j]) * (sa * sw[j][n])

    the f32 sum taken in the order of j, each step rounded as written (as
    the two linalg ops compute it).

    `agn-vnni-pack` makes it from the two configured linalg ops, and
    `agn-vnni-matmuls` lowers it to register tiles of `agn_x86.usdot` (or
    `agn_x86.sdot` for a `signed_dot` config, which reads no correction),
    whose rows per tile and threads come from the op's
    `agn.lowering_config` (2 rows and 1 thread without one).

    ```mlir
    %r = agn_x86.vnni_blocked_matmul %a, %packed, %correction, %sa, %sw into %c
        : tensor<?x4x32xi8>, tensor<2x4x4x256xi8>, tensor<2x4x64xi32>,
          tensor<?xf32>, tensor<4x128xf32> into tensor<?x128xf32>
    ```
  }];
  let arguments = (ins 3DTensorOf<[I8]>:$lhs, 4DTensorOf<[I8]>:$packed,
                       3DTensorOf<[I32]>:$correction,
                       TensorRankOf<[F32], [0, 1]>:$activation_scales,
                       2DTensorOf<[F32]>:$weight_scales,
                       2DTensorOf<[F32]>:$init);
  let results = (outs 2DTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $lhs `,` $packed `,` $correction `,` $activation_scales `,`
    $weight_scales `into` $init attr-dict `:` type($lhs) `,` type($packed)
    `,` type($correction) `,` type($activation_scales) `,`
    type($weight_scales) `into` type($init)
  }];
  let hasVerifier = 1;
}

#endif // AGN_DIALECT_X86_IR_X86_TD
