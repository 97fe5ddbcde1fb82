//===- Passes.td - x86 kernel passes -----------------------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Kernels that only pay on x86 CPUs with particular features (AVX-512
// VNNI), built from the agn_x86 dialect's instruction ops.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CODEGEN_X86_PASSES_TD
#define AGN_CODEGEN_X86_PASSES_TD

include "mlir/Pass/PassBase.td"

def AGNVnniMatmuls : Pass<"agn-vnni-matmuls", "::mlir::func::FuncOp"> {
  let summary = "Carry out the 'vnni' kernel configs: i8 and i4 matmuls";
  let description = [{
    Rewrites every op whose `agn.lowering_config` has `kernel = vnni`
    (`agn-cpu-configure-kernels` gives it to the matmuls below when the
    target has AVX-512 VNNI) into register-tiled loops of `agn_x86.usdot`,
    which `agn-lower-usdot` lowers to `vpdpbusd`:

    - a signed `linalg.matmul` of i8 x i8 (or i4, packed as bytes) into
      i32, such as agn-vectorize-convolutions makes of i8 and i4
      convolutions and agn-split-batch-matmuls of agn's batched i8 and i4
      units;
    - the partial sums of `agn-multiversion`'s i4 version of a matmul (the
      `linalg.generic` marked `#agn.blocked_matmul<partial_sums, ...>`) with
      its one user, the rescale (marked `rescale`): the two are fused into
      one kernel, so that the partial sums stay in registers. The block
      size must be a multiple of 8.

    The weights are packed into panels of 64 columns, four K values per
    32-bit lane (the layout vpdpbusd reads), with zeros past K and N; i4
    weights stay two per byte and are unpacked in registers (as 16 times
    their value, with a mask and a 16-bit shift). Constant weights (as
    `agn-quantize-weights` leaves them) are packed at compile time; others
    (function arguments, weights quantized on every call) by vector code, on
    every call, one panel right before the kernel reads it (the configure
    pass leaves single-row i8 products with such weights to the generic
    code: packing does not pay there); i4 weights packed on every call must
    have rows that start on whole bytes (an even N, K a multiple of 4 for
    plain matmuls, and no slice at a possibly odd offset). Since vpdpbusd
    multiplies unsigned bytes by signed ones, the activations' sign bits are
    flipped (a + 128) and every accumulator starts at -128 times its
    column's sum of B, computed with the packing: the integer results are
    exactly those of the matmul, and the i4 version's f32 rescaling repeats
    the reference's operations in the same order.

    Each tile holds `tile_sizes[0]` rows of the config by 64 columns; rows
    left over are done one at a time, columns past N are masked, and A is
    padded with zeros when K is not a multiple of 4. The config's `threads`
    > 1 splits the panels into that many chunks of consecutive panels, the
    iterations of an `scf.forall` (each computes and inserts its slice of
    C). A `vnni` config on an op the kernels do not take is an error.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
    "::mlir::agn::x86::X86Dialect"
  ];
}

#endif // AGN_CODEGEN_X86_PASSES_TD
