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
    Replaces every agn op with upstream ops on tensors, so that any upstream
    pipeline (bufferization, tiling, vectorization, GPU mapping) can take
    the result:

    - `agn.unit`: its body, inlined in its place.
    - `agn.variance`: one linalg reduction over the row-major flattening
      (every `stride`-th element through a strided `tensor.extract_slice`)
      of the shifted sums S1 = sum(x - K), S2 = sum((x - K)^2) in f64, K the
      first sampled element; the variance max((S2 - S1^2 / n) / n, 0), 0 for
      an empty input, NaN for NaN or infinite elements.
    - `agn.abs_max`: a max-abs linalg reduction (`arith.maximumf`, which
      propagates NaN) from 0.
    - `agn.select`: arith compares of the statistic, in f64, against the
      same `threshold * (1 +- hysteresis)` products as the folder
      (`PolicyAttr::selectBand`), and a lookup of the level.
    - `agn.dispatch`: `scf.index_switch` on the index of the case to run,
      the most precise case being the default.
    - `agn.arbitrate`: `agn_rt_arbitrate(unit, requested, statistic)` of
      `include/agn-c/Runtime.h`, with the unit's id in a private i64
      `llvm.mlir.global` (-1 until the unit's first call registers it, with
      its name and cost table, through `agn_rt_register_unit`).
    - `agn.quantize` / `agn.dequantize`: per scale group (tensor, index
      along `axis`, or `block` along `axis`), a max-abs reduction, the
      scales max / qmax (1 for an all-zero group), and the stored values
      clamp(round_half_even(x * qmax / max), -qmax, qmax) evaluated in f64
      exactly as the constant folder does; float storage converts with
      every scale 1; dequantization multiplies stored values and scales.

    Ops the pass cannot lower (an f80 or f128 input, a unit name with a NUL
    character, a runtime symbol already taken with another type) are
    diagnosed and the pass fails before changing anything.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::cf::ControlFlowDialect"
  ];
}

def AGNEmulateNarrowTypes
    : Pass<"agn-emulate-narrow-types", "::mlir::ModuleOp"> {
  let summary = "Pack memrefs of sub-byte integers (i4) into bytes";
  let description = [{
    Rewrites every memref whose element type is narrower than
    `load-store-bitwidth` bits (the i4 of agn's weights) as a flat memref of
    that width holding several values per element, with upstream's
    narrow-type emulation: loads become a wide load, a shift and a
    truncation; stores a read-modify-write of the wide element, atomic
    inside parallel loops (`scf.forall`, `scf.parallel`), whose iterations
    may write the element's other values, and plain elsewhere (a locked
    compare-exchange loop per store made quantizing weights to i4 6x
    slower). With the default width, i4 values are packed two per byte, the first in
    the low nibble, as `agn.quantize` documents.

    Upstream's emulation does not cover `memref.global`/`memref.get_global`,
    which hold the weights quantized at compile time: this pass packs their
    initial values itself, in the layout the emulated loads expect.

    Runs on memrefs, after bufferization and the lowering of linalg to loops
    (or vectors), before the conversion to LLVM.
  }];
  let options = [
    Option<"loadStoreBitwidth", "load-store-bitwidth", "unsigned", "8",
           "Width of the memory accesses the narrow values are packed into">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::affine::AffineDialect", "::mlir::vector::VectorDialect"
  ];
}

def AGNEmitCInterface : Pass<"agn-emit-c-interface", "::mlir::ModuleOp"> {
  let summary = "Give every public function a C interface";
  let description = [{
    Adds `llvm.emit_c_interface` to every public `func.func` with a body, so
    that the LLVM lowering also emits `_mlir_ciface_<name>`, which takes and
    returns memrefs as pointers to descriptors and is callable from C, C++
    and ctypes. Private functions and declarations are left alone.
  }];
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

def AGNVnniMatmuls : Pass<"agn-vnni-matmuls", "::mlir::func::FuncOp"> {
  let summary = "Compute agn's i8 and i4 matmuls with AVX-512 VNNI";
  let description = [{
    Rewrites the integer matmuls of agn's i8 and i4 versions whose weights are
    statically shaped tensors into register-tiled loops of `agn.usdot`, which
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
    `agn.usdot` to plain vector arithmetic) but pay only with VNNI:
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
    "::mlir::agn::AGNDialect"
  ];
}

def AGNLowerUsdot : Pass<"agn-lower-usdot"> {
  let summary = "Lower agn.usdot to vpdpbusd or to vector arithmetic";
  let description = [{
    With `x86-vnni`, every `agn.usdot` on 16 lanes becomes a call of the
    `llvm.x86.avx512.vpdpbusd.512` intrinsic (AVX-512 VNNI). Every other
    `agn.usdot` (all of them without `x86-vnni`) becomes portable vector
    arithmetic: the bytes zero- and sign-extended to i32, multiplied, and
    summed in groups of four into the accumulator (each of the four gathered
    with a `vector.shuffle`, then added).
    Both compute exactly the op's result.
  }];
  let options = [
    Option<"x86Vnni", "x86-vnni", "bool", "false",
           "Use the AVX-512 VNNI instruction (the CPU must have it)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::vector::VectorDialect",
    "::mlir::LLVM::LLVMDialect"
  ];
}

def AGNHoistVectorTransfers
    : Pass<"agn-hoist-vector-transfers", "::mlir::func::FuncOp"> {
  let summary = "Keep vectorized accumulators in registers across the K loop";
  let description = [{
    After bufferization, folds subviews into the vector transfers that read
    them and hoists the loop-invariant transfer pairs (the accumulator tile
    of a vectorized matmul, read and written at the same place on every K
    iteration) out of their loops, so the tile stays in registers.
  }];
  let dependentDialects = [
    "::mlir::vector::VectorDialect", "::mlir::memref::MemRefDialect",
    "::mlir::affine::AffineDialect"
  ];
}

#endif // AGN_CONVERSION_PASSES_TD
