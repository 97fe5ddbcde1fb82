//===- Passes.td - CPU kernel passes ---*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Kernels for any CPU with vector registers: register tiles of
// vector.contract, reassociated sums, im2col and direct convolutions.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CODEGEN_CPU_PASSES_TD
#define AGN_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def AGNVectorizeConvolutions
    : Pass<"agn-vectorize-convolutions", "::mlir::func::FuncOp"> {
  let summary = "Rewrite 1-D, 2-D and 3-D convolutions into im2col matmuls";
  let description = [{
    `linalg.conv_2d_nchw_fchw` and `linalg.conv_2d_ngchw_gfchw` (as agn's
    ONNX importer writes convolutions, the second for group > 1: grouped and
    depthwise ones), `linalg.conv_2d_nhwc_hwcf` and `linalg.conv_2d_nhwc_fhwc`
    (as TOSA's lowering writes them) ops on tensors with static shapes, float
    or signless integer (agn's i8 and i4 versions), become an im2col copy of
    the input (a `linalg.generic` with an affine input map, e.g.
    col[c, i, j, oh, ow] = x[0, c, oh s + i d, ow s + j d]) and a
    `linalg.matmul` of the reshaped filter and the copy (F x C KH KW times
    C KH KW x OH OW, or the transposed form for NHWC), which
    `agn-vectorize-contractions` then tiles and vectorizes (the pipeline runs
    this pass first). Integer convolutions keep the weights on the right,
    transposed at compile time when they are constants, so that
    `agn-vnni-matmuls` computes them with VNNI; so do float ones with at
    least 32 filters (the small filter matrix stays in the caches while the
    copy streams through the register tiles: 1.2x-1.8x faster with 64 to
    256 filters, slower with 8 or 16). Several images make an
    `scf.for` over single-image convolutions; several groups another one,
    inside, over single-group convolutions (each the NCHW/FCHW convolution
    of its group's channels and filters). Grouped convolutions with fewer
    than 16 filters per group (depthwise ones have one), for which the
    im2col copy did not pay, become direct vector loops over output rows
    instead: 64 outputs at a time, each input channel and kernel position a
    vector of the input row (every stride-th element, by a shuffle) times
    the broadcast filter value, added in linalg's order (the results are
    those of linalg's loops, bit for bit).

    A `linalg.conv_1d_ncw_fcw` goes as the 2-D convolution of height 1 it
    is; a `linalg.conv_3d_ncdhw_fcdhw` as loops over its images, output
    depths and kernel depths (accumulating) around the 2-D convolution of
    an input plane with a kernel plane.

    The results are those of the convolution up to the order of the float
    additions (exactly, for integers).
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
    "::mlir::affine::AffineDialect"
  ];
}

def AGNVectorizeContractions
    : Pass<"agn-vectorize-contractions", "::mlir::func::FuncOp"> {
  let summary = "Tile matmuls into register tiles and vectorize them";
  let description = [{
    Tiles every `linalg.matmul` on floating-point operands (the f32, f16 and
    bf16 versions of agn's units, and plain f32 models) and every signed
    integer one (the i8 versions: i8 x i8 -> i32) with `scf.for` into
    register tiles of `tile-sizes` (M, N, K) and vectorizes each tile with
    upstream's linalg vectorizer into a `vector.contract`. Static M and N
    that the tile does not divide are first split (`linalg::splitOp`) into a
    part of whole tiles and a static remainder, whose tile is clamped to its
    size: no tile is partial, since a masked accumulator tile would not stay
    in registers across the K loop. Dynamic sizes give partial tiles, which
    are masked. Runs on tensors, before bufferization; the masks are lowered
    into the transfers so that bufferization sees plain transfer ops.

    A matmul of f16 or bf16 operands into f32 with at least 16 (static) rows
    first gets its operands converted to f32 (elementwise `linalg.generic`
    ops) and runs the f32 register tiles: the same results, 3x faster than
    converting inside every tile (docs/Benchmarks.md); with fewer rows the
    kernel is memory-bound and keeps the half-width operands.

    A float or integer `linalg.batch_matmul` (default maps) first becomes a
    loop over its batch of `linalg.matmul` ops (tiled by 1, rank-reduced),
    which then go the same way; so does a float batched contraction `linalg.generic`
    (loops (b..., m, n, k), A indexed (..., m, k), B (..., k, n), their
    leading results batch loops or 0 for broadcast unit dimensions, body
    out + a * b, static shapes), as agn's importer writes a MatMul with
    several or broadcast batch dimensions: a loop nest over the batch. A
    float `linalg.matvec` (or `linalg.dot`) becomes the same contraction as
    a `linalg.generic` whose addition carries `fastmath<reassoc>`, so that
    LLVM vectorizes its loop over K into vector partial sums (3.4x on
    4096x4096; as a one-column matmul its register tiles would read A by
    columns).

    With `threads` > 1, an outermost `scf.forall` first splits N (when
    static) into `threads` chunks of whole register tiles, which
    `agn-lower-to-llvm-pipeline{threads=...}` runs in parallel.

    When K is static and larger than `k-block`, an outer loop first splits
    it into blocks of `k-block`: the register tiles then sweep all of M and
    N (which stays untiled) over those rows of B before moving to the next
    ones, instead of each tile striding through every row of B (a page per
    row for large N: the TLB and caches thrash). On this project's CPU this
    made the f32 kernels 1.6x to 3x faster (docs/Benchmarks.md).

    Integer contractions become outer products on the accumulator type
    (each K step sign-extends a row of B and multiplies it in i32:
    `vpmulld` and `vpaddd` with AVX-512), 50x to 150x faster than the
    scalar loops but slower than the f32 code (docs/Benchmarks.md). agn's
    i8 and i4 matmuls go to `agn-vnni-matmuls` first (`vpdpbusd`) where the
    CPU has AVX512-VNNI. Unsigned (`cast_unsigned`)
    matmuls and operands narrower than 8 bits are left to the scalar
    lowering, as are the other contractions.
  }];
  let options = [
    ListOption<"tileSizes", "tile-sizes", "int64_t",
               "Register tile sizes (M, N, K) of every matmul; default 8, 32, "
               "1 for float and 4, 64, 1 for integer matmuls">,
    Option<"kBlock", "k-block", "int64_t", "32",
           "Rows of B (K values) each sweep of the register tiles covers; "
           "0 turns the K blocking off">,
    Option<"threads", "threads", "int64_t", "1",
           "Split N (when static) into this many chunks of whole register "
           "tiles, the iterations of an scf.forall (one per thread)">
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
    "::mlir::affine::AffineDialect"
  ];
}

#endif // AGN_CODEGEN_CPU_PASSES_TD
