//===- Passes.td - CPU kernel passes -----------------------*- tablegen -*-===//
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

def AGNCpuConfigureKernels
    : Pass<"agn-cpu-configure-kernels", "::mlir::func::FuncOp"> {
  let summary = "Choose each contraction's CPU kernel, as an attribute";
  let description = [{
    Writes on every contraction it has a kernel for an
    `#agn.lowering_config` (see the agn dialect) chosen from the module's
    target (`llvm.target`, set by `agn-set-target`), which the kernel passes
    then carry out; an op that already has a config (written by hand to pin
    a strategy, or by an earlier run) keeps it, and the others are left to
    linalg's loops:

    - `linalg.matmul` of i8 x i8 (or i4) -> i32, and the partial sums of
      agn's block-scaled i4 matmul (`#agn.blocked_matmul`), when the target
      has `avx512vnni` and `agn-vnni-matmuls` takes them: `vnni`, tiles of
      `vnni-rows` (i8) or `vnni-i4-rows` (i4) rows by 64 columns;
    - on targets with `avx2` but neither `avx512vnni` nor `avx512f` (whose
      512-bit integer register tiles the AVX2 kernel has not been measured
      against), unless `signed-dot=false`: the same i8 x i8 (or i4) matmuls
      when their weights (or A) hold no -128 (i4, or constant i8, as
      agn-quantize-weights leaves them), and agn's block-scaled i4 partial
      sums: `signed_dot`, tiles of `signed-dot-rows` (i8) or
      `signed-dot-i4-rows` (i4) rows by 64 columns;
    - other float matmuls, and signed integer ones of 8 bits or more:
      `register_tiles`, 8x32x1 (float) or 4x64x1 (integer) on targets with
      `avx512f` (or no recorded target), 4x16x1 on others (16 vector
      registers of 256 bits), or the `*-tile-sizes` options; K blocked by
      `k-block`, by default in blocks of 32 rows, and not at all when the
      columns of B one thread reads fit in 512 KiB (each block costs a pass
      over C: a 3136x576x64 convolution took 15 % less time on one thread,
      30 % on two, unblocked; a 256x2048x2048 matmul five times as long);
      a constant float B with more than one row tile of A, A of up to 1 MiB
      and `k-block` -1: `pack_b` instead of K blocks (B in panels packed at
      compile time, each streamed from memory once; not with
      `pack-constant-b=false`);
      f16/bf16 operands into f32 with 16 rows or more converted
      to f32 first (`widen_to_f32`);
    - float `linalg.matvec` and `linalg.dot`: `reassociated_sum`;
    - 1-D, 2-D (NCHW/FCHW, NGCHW/GFCHW, NHWC/HWCF, NHWC/FHWC) and 3-D
      convolutions of static shapes: `direct` for groups of fewer than 16
      filters, else `im2col` with the filter on the right for integer ones
      and float ones of 32 filters or more (per group); with the
      `signed_dot` kernel (and unless `signed-dot-filter-on-left=false`),
      2-D NCHW integer convolutions of two filters or more whose filter
      holds no -128 and whose
      output plane fills at least a 64-column panel per thread with at most
      an eighth of padding put the filter on the left (the product is NCHW,
      without an i32 transpose; its pixels fill the panels, where few
      filters would not).

    `threads` goes into every config it writes (the kernels' scf.forall
    chunks), but 1 for an op inside an `scf.forall`, whose iterations
    already run on the threads (as agn-split-batch-matmuls splits a batch).
    Run it again after passes that make new contractions
    (`agn-vectorize-convolutions`, `agn-split-batch-matmuls`): it configures
    only what has no config yet. A config an op already has (written by hand
    or by an earlier run) is kept whole, unless `override-threads` is set:
    then its `threads` becomes the option's (1 inside an `scf.forall`), so
    that a module configured for one machine runs on as many threads as the
    pipeline's runtime has (`agn-lower-to-llvm-pipeline` sets it when its
    `threads` is given).
  }];
  let options = [
    Option<"threads", "threads", "int64_t", "1",
           "Chunks (threads) the kernels split their columns into">,
    Option<"overrideThreads", "override-threads", "bool", "false",
           "Also set `threads` in the configs ops already have">,
    Option<"kBlock", "k-block", "int64_t", "-1",
           "Rows of B (K values) each sweep of the register tiles covers; "
           "0 turns the K blocking off; -1 (the default): none when the "
           "columns of B one thread reads fit in 512 KiB, else 32">,
    Option<"packConstantB", "pack-constant-b", "bool", "true",
           "Give float matmuls with a constant B `pack_b` where it pays "
           "(with `k-block` -1)">,
    ListOption<"floatTileSizes", "float-tile-sizes", "int64_t",
               "Register tile (M, N, K) of float matmuls (default: by target)">,
    ListOption<"integerTileSizes", "integer-tile-sizes", "int64_t",
               "Register tile (M, N, K) of integer matmuls that take neither "
               "the VNNI nor the signed_dot kernel (default: by target)">,
    Option<"vnniRows", "vnni-rows", "int64_t", "4",
           "Rows of A per tile of the i8 VNNI kernel (4 zmm accumulators "
           "each)">,
    Option<"vnniI4Rows", "vnni-i4-rows", "int64_t", "2",
           "Rows of A per tile of the i4 VNNI kernel (8 zmm registers each: "
           "i32 partial sums and f32 sums)">,
    Option<"signedDot", "signed-dot", "bool", "true",
           "Give i8 and i4 matmuls the AVX2 signed_dot kernel on targets "
           "with AVX2 but neither AVX-512 VNNI nor AVX-512F">,
    Option<"signedDotFilterOnLeft", "signed-dot-filter-on-left", "bool",
           "true",
           "With the signed_dot kernel, put the filter of large-plane NCHW "
           "integer convolutions on the left of their im2col matmul">,
    Option<"signedDotRows", "signed-dot-rows", "int64_t", "1",
           "Rows of A per tile of the AVX2 signed_dot kernel (8 ymm "
           "accumulators each)">,
    Option<"signedDotI4Rows", "signed-dot-i4-rows", "int64_t", "1",
           "Rows of A per tile of the AVX2 signed_dot kernel of block-scaled "
           "i4 matmuls (16 ymm registers each: i32 partial sums and f32 "
           "sums)">
  ];
  let dependentDialects = ["::mlir::agn::AGNDialect"];
}

def AGNVectorizeConvolutions
    : Pass<"agn-vectorize-convolutions", "::mlir::func::FuncOp"> {
  let summary = "Carry out 'im2col' and 'direct' convolution configs";
  let description = [{
    Rewrites every convolution whose `agn.lowering_config` has `kernel =
    im2col` or `direct` (`agn-cpu-configure-kernels` chooses them):
    `linalg.conv_2d_nchw_fchw` and `linalg.conv_2d_ngchw_gfchw` (as agn's
    ONNX importer writes convolutions, the second for group > 1: grouped and
    depthwise ones), `linalg.conv_2d_nhwc_hwcf` and `linalg.conv_2d_nhwc_fhwc`
    (as TOSA's lowering writes them) ops on tensors with static shapes, float
    or signless integer (agn's i8 and i4 versions).

    `im2col`: an im2col copy of the input (a `linalg.generic` with an affine
    input map, e.g. col[c, i, j, oh, ow] = x[0, c, oh s + i d, ow s + j d])
    and a `linalg.matmul` of the reshaped filter and the copy (F x C KH KW
    times C KH KW x OH OW), or, with `filter_on_right`, the transposed form
    (the copy times the filter; the output transposed back for NCHW), where
    the small filter matrix stays in the caches while the copy streams
    through the register tiles (1.2x-1.8x faster with 64 to 256 filters,
    slower with 8 or 16), and where `agn-vnni-matmuls` packs integer
    filters (transposed at compile time when they are constants). Several
    images make an `scf.for` over single-image convolutions; several groups
    another one, inside, over single-group convolutions (each the NCHW/FCHW
    convolution of its group's channels and filters). The matmuls get no
    config: run `agn-cpu-configure-kernels` again.

    `direct` (grouped convolutions with narrow groups, for which the im2col
    copy did not pay): vector loops over output rows, 64 outputs at a time,
    each input channel and kernel position a vector of the input row (every
    stride-th element, by a shuffle) times the broadcast filter value, added
    in linalg's order (the results are those of linalg's loops, bit for
    bit).

    A `linalg.conv_1d_ncw_fcw` goes as the 2-D convolution of height 1 it
    is; a `linalg.conv_3d_ncdhw_fcdhw` as loops over its images, output
    depths and kernel depths (accumulating) around the 2-D convolution of
    an input plane with a kernel plane.

    The results are those of the convolution up to the order of the float
    additions (exactly, for integers). A config the pass cannot carry out is
    an error.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
    "::mlir::affine::AffineDialect", "::mlir::agn::AGNDialect"
  ];
}

def AGNVectorizeContractions
    : Pass<"agn-vectorize-contractions", "::mlir::func::FuncOp"> {
  let summary = "Carry out 'register_tiles' and 'reassociated_sum' configs";
  let description = [{
    Tiles every `linalg.matmul` whose `agn.lowering_config` has
    `kernel = register_tiles` (float operands, or signed integer ones of 8
    bits or more: the f32, f16, bf16 and i8 versions of agn's units, and
    plain models) with `scf.for` into register tiles of the config's
    `tile_sizes` (M, N, K) and vectorizes each tile with upstream's linalg
    vectorizer into a `vector.contract`. Static M and N that the tile does
    not divide are first split (`linalg::splitOp`) into a part of whole
    tiles and a static remainder, whose tile is clamped to its size: no tile
    is partial, since a masked accumulator tile would not stay in registers
    across the K loop. Dynamic sizes give partial tiles, which are masked.
    Runs on tensors, before bufferization; the masks are lowered into the
    transfers so that bufferization sees plain transfer ops.

    With `widen_to_f32`, a matmul of f16 or bf16 operands into f32 first
    gets its operands converted to f32 (elementwise `linalg.generic` ops)
    and runs the f32 register tiles: the same results, 3x faster than
    converting inside every tile (docs/Benchmarks.md).

    With the config's `threads` > 1, an outermost `scf.forall` first splits
    N (when static) into `threads` chunks of whole register tiles, which
    `agn-lower-to-llvm-pipeline{threads=...}` runs in parallel. When K is
    static and larger than the config's `k_block`, an outer loop first
    splits it into blocks of `k_block`: the register tiles then sweep all of
    M and N (which stays untiled) over those rows of B before moving to the
    next ones, instead of each tile striding through every row of B (a page
    per row for large N: the TLB and caches thrash). On this project's CPU
    this made the f32 kernels 1.6x to 3x faster (docs/Benchmarks.md).

    With the config's `pack_b` (a constant float B), B is repacked at
    compile time into panels of the tile's N columns, each panel's K rows
    adjacent (a new constant), and the tiles go down all rows of A one
    panel at a time, each over all of K; the threads take runs of panels.
    Each panel then streams from memory once, in order, where the unpacked
    tiles read 32 floats from every row of B, a row of B apart, again for
    every K block: MiniLM's feed-forward matmuls (weights 2.25 MiB, read
    from memory on every call) took 0.8-0.9 ms instead of 1.0-1.2. The sums
    run in the same order: the same bits.

    Integer contractions become outer products on the accumulator type
    (each K step sign-extends a row of B and multiplies it in i32:
    `vpmulld` and `vpaddd` with AVX-512), 50x to 150x faster than the
    scalar loops but slower than the f32 code (docs/Benchmarks.md).

    A float `linalg.matvec` (or `linalg.dot`) configured `reassociated_sum`
    becomes the same contraction as a `linalg.generic` whose addition
    carries `fastmath<reassoc>`, so that LLVM vectorizes its loop over K
    into vector partial sums (3.4x on 4096x4096; as a one-column matmul its
    register tiles would read A by columns).

    Ops without such a config are left alone; a config the pass cannot
    carry out (e.g. register tiles pinned on an unsigned matmul) is an
    error.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
    "::mlir::affine::AffineDialect", "::mlir::agn::AGNDialect"
  ];
}

def AGNCpuCollapseLoops
    : Pass<"agn-cpu-collapse-loops", "::mlir::func::FuncOp"> {
  let summary = "Merge the contiguous loops of elementwise ops into one";
  let description = [{
    Rewrites every elementwise `linalg.generic` (every loop parallel, static
    sizes, indexing maps that are projected permutations (a broadcast's
    constant 0 is not: upstream's collapsing mishandles it), no
    `linalg.index`, no discardable attributes) on tensors so that
    each run of consecutive loops that every operand indexes contiguously,
    in the same order, becomes one loop (upstream's
    `collapseOpIterationDims`; the operands are collapsed with
    `tensor.collapse_shape` and the results expanded back). A ReLU on
    1x128x28x28 becomes one loop of 100,352 iterations, and a bias added per
    channel a loop over 128 channels around one over 784 pixels, where the
    innermost loop had 28 iterations: LLVM vectorizes the long loops whole,
    and left a scalar remainder on each row of 28 (the op took five times
    as long).

    Only the loop structure changes: the results are the same, bit for bit.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"
  ];
}

def AGNCpuApproximateMath
    : Pass<"agn-cpu-approximate-math", "::mlir::func::FuncOp"> {
  let summary = "Math functions as polynomial arithmetic the CPU vectorizes";
  let description = [{
    Rewrites the f32 `math` ops named in `functions` (scalars or vectors)
    into the polynomial and rational approximations of upstream's
    `populateMathPolynomialApproximationPatterns`: range reduction, a
    polynomial in fused multiply-adds, and bit manipulation of the exponent,
    with the special values (infinities, NaN, under- and overflow) handled
    by selects. Without it, `math.exp` becomes `llvm.intr.exp` (which LLVM
    lowers to a call to libm's `expf`) and `math.erf` a call to `erff`: one call per element, which keeps LLVM from
    vectorizing the loop around it (the softmax of every attention head, the
    GELU of every transformer layer). Afterwards the loops hold only
    arithmetic, which LLVM vectorizes as any elementwise loop.

    The approximations are not correctly rounded, where libm's are within
    1 ulp: `exp` is within 4 ulp (at most 4.8e-7 relative; 2.4e-7 measured)
    wherever its result is a normal float32 and flushes results below the
    smallest normal to zero;
    `erf` is within 2.5e-7 absolute (python/tests/test_math_approximations.py
    sweeps a million inputs of each and the special values). Ops on other
    element types are left as they are.
  }];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "Math ops to approximate, by mnemonic (default: exp, erf; "
               "any of acos, asin, atan, atan2, cbrt, cos, erf, erfc, exp, "
               "expm1, log, log1p, log2, rsqrt, sin, tanh)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def AGNCpuVectorizeRowReductions
    : Pass<"agn-cpu-vectorize-row-reductions", "::mlir::func::FuncOp"> {
  let summary = "Reduce blocks of rows at once, each row in its own order";
  let description = [{
    A reduction over the innermost loop (a softmax's max and sum over each
    row, a layer norm's means) becomes a scalar loop per row whose every
    step waits for the previous one: an f32 sum may not be reassociated, so
    LLVM does not vectorize it (one add latency per element). This pass
    takes every `linalg.generic` on tensors that reduces its one input
    (read whole, identity map) over the innermost loop only into an init
    indexed by the other loops, with a floating-point element, static sizes,
    a body that is one commutative combine of the element and the
    accumulator (`arith.addf`, `mulf`, `maximumf`, `minimumf`, `maxnumf`,
    `minnumf`), and an innermost parallel loop and a reduction that are
    multiples of one vector register's lanes (16 f32 with AVX-512, 8 with
    AVX2). It tiles the op into blocks of lanes x lanes, vectorizes each
    block (`vector.multi_reduction`) and lowers that with the reduced
    dimension outermost: the block is transposed in registers and its
    columns are combined one after the other into the rows' accumulators,
    lanes rows at a time.

    Each row's elements are combined in the loop's order, starting from
    the init, so the results are the scalar loop's, bit for bit. Other ops,
    and reductions of other shapes, are left as they are.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def AGNCpuParallelizeOps
    : Pass<"agn-cpu-parallelize-ops", "::mlir::func::FuncOp"> {
  let summary = "Split the ops outside the kernels into threads";
  let description = [{
    The contraction kernels split their own work into threads (the `threads`
    of their `agn.lowering_config`); this pass does it for every other op
    large enough to pay for it: im2col copies, layout changes, elementwise
    ops, pooling, fills, reductions over inner loops (any linalg op on
    tensors without an `agn.lowering_config`, with static loop ranges and
    at least `min-work` work, its iterations times the ops of its body,
    outside an `scf.forall`). Such an
    op becomes an `scf.forall` of at most `threads` iterations over chunks
    of one of its parallel loops, the outermost whose range splits evenly
    (or nearly: no chunk more than a quarter larger than an even share),
    else the largest; each chunk is the same op on slices
    (upstream's tiling). `agn-lower-to-llvm-pipeline` runs the loops on its
    threads, as the kernels' loops.

    A static `tensor.pad` of a constant (mobilenet_v2's and resnet18's
    padding before their convolutions) with at least `min-work` elements
    first becomes a `linalg.fill` of the padded tensor and a `linalg.copy`
    of the source into its interior (an `extract_slice` / `insert_slice`
    pair that bufferizes in place), which are then split like the rest.

    Parallel loops split so, every element is computed as before, by the
    same operations in the same order: the results are the same, bit for
    bit. A reduction whose parallel loops are all shorter than `threads`
    (a whole tensor's magnitude maximum, which per-tensor quantization
    takes: 2 ms of mobilenet_v2's i8 call on one thread) splits a reduction
    loop instead when its combining is exact (integer addition without
    overflow flags, maxima, minima and bitwise ops) and the loop's
    range is a multiple of `threads` (the outermost such one): each chunk
    reduces into its own row of partial results, which start at the
    combiner's neutral element, and one op combines the rows into the
    reduction's init; the same bits again. (A float sum would round
    differently and stays whole, as do float maxima, which may pick another
    of several NaNs, and other ops without such a loop.)

    ```mlir
    // 1x64x112x112 relu, threads = 2: two chunks of 32 channels
    %r = scf.forall (%c) = (0) to (64) step (32) shared_outs(%o = %init) {
      ... linalg.generic ... ins(tensor<1x32x112x112xf32>) ...
    }
    ```
  }];
  let options = [
    Option<"threads", "threads", "int64_t", "1",
           "Chunks (threads) to split each op into; 1 leaves the ops whole">,
    Option<"minWork", "min-work", "int64_t", "262144",
           "Work (an op's iterations, the product of its loop ranges, "
           "times the ops of its body, at least one) below which it stays "
           "whole: starting and joining the threads costs microseconds, and "
           "an addition of 262144 f32 took 46 us on one thread, 39 on two">
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::affine::AffineDialect",
    "::mlir::linalg::LinalgDialect"
  ];
}

def AGNCpuTileTransposes
    : Pass<"agn-cpu-tile-transposes", "::mlir::func::FuncOp"> {
  let summary = "Copy transposes block by block, in the caches";
  let description = [{
    Tiles every transposing copy on tensors with static sizes (a
    `linalg.transpose`, or a `linalg.generic` upstream's
    `isaTransposeOpInterface` recognizes) whose permutation
    moves the innermost dimension (the layout change after an
    im2col convolution kernel, pixels x filters to filters x pixels) into
    `block` x `block` tiles of that dimension and the one that becomes
    innermost (`scf.for` loops; every other dimension in tiles of 1). Each
    tile reads `block` rows of the input, a few cache lines, and writes
    `block` rows of the output: the loops linalg lowers a transpose to
    otherwise read one element per cache line along a whole row, and a
    64x12544 transpose took 2 ms on two threads.

    Only the order of the copies changes: the results are the same.

    Not in `agn-lower-to-llvm-pipeline`: there it made resnet18's layout
    changes 6x as fast and the model as a whole 15 % slower on two threads,
    its convolution kernels slower by more than the transposes gained (the
    kernels' IR is the same either way; why is open, docs/Profiling.md).
  }];
  let options = [
    Option<"block", "block", "int64_t", "16",
           "Rows and columns of each tile">
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::affine::AffineDialect"
  ];
}

#endif // AGN_CODEGEN_CPU_PASSES_TD
