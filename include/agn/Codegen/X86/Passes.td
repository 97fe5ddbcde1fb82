//===- Passes.td - x86 kernel passes -----------------------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Kernels that only pay on x86 CPUs with particular features (AVX-512
// VNNI, or AVX2's byte products), in steps: agn-vnni-pack (layout and
// kernel ops of the agn_x86 dialect, constants packed at compile time),
// agn-vnni-matmuls (register tiles of agn_x86.usdot or agn_x86.sdot), then
// agn-lower-usdot (the instruction).
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CODEGEN_X86_PASSES_TD
#define AGN_CODEGEN_X86_PASSES_TD

include "mlir/Pass/PassBase.td"

def AGNVnniPack : Pass<"agn-vnni-pack", "::mlir::func::FuncOp"> {
  let summary = "Carry out the 'vnni' and 'signed_dot' configs' packing: "
                "kernel ops on packed weights";
  let description = [{
    Rewrites every op whose `agn.lowering_config` has `kernel = vnni`
    (`agn-cpu-configure-kernels` gives it to the matmuls below when the
    target has AVX-512 VNNI) or `kernel = signed_dot` (the same matmuls on
    AVX2 without VNNI, with i8 weights or an A without -128) into an
    `agn_x86` kernel op
    that reads its weights packed by an `agn_x86` layout op, the config
    moved onto the kernel op:

    - a signed `linalg.matmul` of i8 x i8 (or i4, packed as bytes) into
      i32, such as agn-vectorize-convolutions makes of i8 and i4
      convolutions and agn-split-batch-matmuls of agn's batched i8 and i4
      units, becomes `agn_x86.vnni_matmul` on `agn_x86.pack_vnni`;
    - the partial sums of `agn-multiversion`'s i4 version of a matmul (the
      `linalg.generic` marked `#agn.blocked_matmul<partial_sums, ...>`) with
      its one user, the rescale (marked `rescale`), becomes one
      `agn_x86.vnni_blocked_matmul` on `agn_x86.pack_vnni_blocked`, so that
      the partial sums stay in registers. The block size must be a multiple
      of 8.

    Constant weights (as `agn-quantize-weights` leaves them) are packed here,
    at compile time: the layout ops fold. Others (function arguments,
    weights quantized on every call) are packed by `agn-vnni-matmuls`; i4
    weights packed on every call must have rows that start on whole bytes
    (an even N, K a multiple of 4 for plain matmuls, and no slice at a
    possibly odd offset), and the configure pass leaves single-row i8
    products with such weights to the generic code (packing does not pay
    there).

    A `vnni` config on an op the kernels do not take, or whose K step is not
    the kernel's (4 for `linalg.matmul`, 8 for the blocked i4 matmul), is an
    error; so is a `signed_dot` config on an i8 matmul neither of whose
    operands is known to hold no -128 (i4 values are; i8 constants are
    checked).
  }];
  let dependentDialects = [
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
    "::mlir::agn::x86::X86Dialect"
  ];
}

def AGNVnniMatmuls : Pass<"agn-vnni-matmuls", "::mlir::func::FuncOp"> {
  let summary = "Lower agn_x86's VNNI kernel ops to register tiles of "
                "agn_x86.usdot or agn_x86.sdot";
  let description = [{
    Lowers `agn_x86.vnni_matmul` and `agn_x86.vnni_blocked_matmul` (which
    `agn-vnni-pack` makes) into register-tiled loops of `agn_x86.usdot`,
    which `agn-lower-usdot` lowers to `vpdpbusd`, and the layout ops left
    over into vector loops.

    Each tile holds `tile_sizes[0]` rows of the op's `agn.lowering_config`
    (4 rows for `vnni_matmul`, 2 for `vnni_blocked_matmul` without one) by
    one panel of 64 columns; rows left over are done one at a time, columns
    past N are masked, and A is padded with zeros when K is not a multiple
    of 4. The config's `threads` > 1 splits the panels into that many chunks
    of consecutive panels, the iterations of an `scf.forall` (each computes
    and inserts its slice of C).

    A `signed_dot` config lowers both kernel ops the same way with
    `agn_x86.sdot` (AVX2's `vpmaddubsw` of the activations' magnitudes by
    the weights with the activations' signs; where the packed weights may
    hold -128 and A holds none, as a convolution's filter on the left of
    its activations, the roles swap: the packed operand's magnitudes by A
    with its signs): A is read as it is, the
    accumulators start at C (the blocked kernel's partial sums at 0), with
    no correction, and i4 nibbles are unpacked as their values (an
    arithmetic shift of each byte), not 16 times them.

    Since vpdpbusd multiplies unsigned bytes by signed ones, the
    activations' sign bits are flipped (a + 128) and every accumulator
    starts at the packing's correction (-128 times its column's sum of B):
    the integer results are exactly those of the matmul, and the i4
    version's f32 rescaling repeats the reference's operations in the same
    order. i4 weights stay two per byte and are unpacked in registers (as
    16 times their value, with a mask and a 16-bit shift).

    Weights whose layout op did not fold (they are not constants) are packed
    by vector code on every call, one panel right before the kernel reads
    it: the layout op is fused into the kernel's loop over panels. A layout
    op that no kernel op reads packs every panel in one loop.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
    "::mlir::agn::x86::X86Dialect"
  ];
}

#endif // AGN_CODEGEN_X86_PASSES_TD
