//===- Passes.td - x86 kernel passes ---*- tablegen -*-===//
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
  let summary = "Compute agn's i8 and i4 matmuls with AVX-512 VNNI";
  let description = [{
    Rewrites the integer matmuls of agn's i8 and i4 versions whose weights are
    statically shaped tensors into register-tiled loops of `agn_x86.usdot`, which
    `agn-lower-usdot` lowers to `vpdpbusd` (AVX-512 VNNI):

    - every signed `linalg.matmul` of i8 x i8 (or i4, packed as bytes) into
      i32, such as agn-vectorize-convolutions makes of i8 and i4
      convolutions, and every such `linalg.batch_matmul` (agn's i8 and i4
      versions of batched units), first split into a loop of matmuls over
      its batch;
    - `agn-multiversion`'s i4 version of a matmul: the `linalg.generic` of
      the partial sums of each block of K (i8 activations times i4 weights,
      into i32) and the `linalg.generic` that rescales them to f32 and adds
      them up, fused into one kernel so that the partial sums stay in
      registers. The block size must be a multiple of 8.

    The weights are packed into panels of 64 columns, four K values per
    32-bit lane (the layout vpdpbusd reads), with zeros past K and N; i4
    weights stay two per byte and are unpacked in registers (as 16 times
    their value, with a mask and a 16-bit shift). Constant weights (as
    `agn-quantize-weights` leaves them) are packed at compile time; others
    (function arguments, weights quantized on every call) by vector code, on
    every call, one panel right before the kernel reads it. Packing on every
    call does not pay for a single row of A, so such i8 matrix-vector
    products are left alone; i4 weights packed on every call must have rows
    that start on whole bytes (an even N, K a multiple of 4 for plain
    matmuls, and no slice at a possibly odd offset). Empty weights are left
    alone. Since vpdpbusd multiplies unsigned bytes by signed ones, the
    activations' sign bits are flipped (a + 128) and every accumulator starts
    at -128 times its column's sum of B, computed with the packing: the
    integer results are exactly
    those of the matmul, and the i4 version's f32 rescaling repeats the
    reference's operations in the same order. Each tile holds `rows` (i8) or
    `i4-rows` (i4, which also keeps f32 sums) rows by 64 columns; rows left
    over are done one at a time, columns past N are masked, and A is padded
    with zeros when K is not a multiple of 4.

    The kernels are portable (`agn-lower-usdot` without `x86-vnni` lowers
    `agn_x86.usdot` to plain vector arithmetic) but pay only with VNNI:
    `agn-lower-to-llvm-pipeline` adds this pass when its `x86-vnni` option is
    set, by default when the host has the feature. Other contractions are
    left alone.
  }];
  let options = [
    Option<"rows", "rows", "int64_t", "4",
           "Rows of A per register tile of the i8 kernel (4 zmm "
           "accumulators each)">,
    Option<"i4Rows", "i4-rows", "int64_t", "2",
           "Rows of A per register tile of the i4 kernel (8 zmm registers "
           "each: i32 partial sums and f32 sums)">,
    Option<"threads", "threads", "int64_t", "1",
           "Split the panels into this many chunks of consecutive panels, "
           "the iterations of an scf.forall (each computes and inserts its "
           "slice of C), which agn-lower-to-llvm-pipeline{threads=...} runs "
           "in parallel">
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
    "::mlir::agn::x86::X86Dialect"
  ];
}

#endif // AGN_CODEGEN_X86_PASSES_TD
