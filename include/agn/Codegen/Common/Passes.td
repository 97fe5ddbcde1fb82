//===- Passes.td - target-independent codegen passes -------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Code generation passes that any target's pipeline uses: they work on
// buffers and vectors, after the target's kernels are chosen.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CODEGEN_COMMON_PASSES_TD
#define AGN_CODEGEN_COMMON_PASSES_TD

include "mlir/Pass/PassBase.td"

def AGNSetTarget : Pass<"agn-set-target", "::mlir::ModuleOp"> {
  let summary = "Record the CPU to generate code for on the module";
  let description = [{
    Sets the module's `llvm.target` attribute (upstream's
    `#llvm.target<triple = ..., chip = ..., features = ...>`), which agn's
    kernel choices (`agn-cpu-configure-kernels`, `agn-lower-usdot`,
    `agn-expand-bf16-conversions`) and its JIT and AOT target machines read,
    so that the IR says what it was generated for and the same command gives
    the same IR on every machine:

    - `cpu=native` (the default): the CPU this process runs on, by name,
      with every feature LLVM detects on it (`+avx2`, `-avx512f`, ...);
    - another name (`x86-64-v3`, `znver4`, `sapphirerapids`, ... as
      `llc -mcpu=help` lists them): that CPU, with the features it implies
      on x86; an unknown x86 name is an error.

    `features` (`+avx512vnni,-avx512bf16`) are applied last, with the
    features they imply; `triple` defaults to the host's. With
    `keep-existing`, a module that already has a target keeps it (the
    pipelines' default: a target set by hand or by an earlier run wins).
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", "\"native\"",
           "CPU to generate code for: native (the host) or an LLVM CPU name">,
    Option<"triple", "triple", "std::string", "\"\"",
           "Target triple (default: the host's)">,
    Option<"features", "features", "std::string", "\"\"",
           "LLVM features to add (+name) or remove (-name), comma-separated">,
    Option<"keepExisting", "keep-existing", "bool", "false",
           "Leave a target the module already has">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def AGNExpandBF16Conversions
    : Pass<"agn-expand-bf16-conversions", "::mlir::ModuleOp"> {
  let summary = "Expand f32/bf16 conversions where the target has none";
  let description = [{
    Unless the module's target (`llvm.target`) converts between f32 and
    bf16 in hardware (x86 `avx512bf16`, AArch64 `bf16`), rewrites every
    `arith.truncf` to bf16 and `arith.extf` from bf16 into integer
    arithmetic on the bit patterns (round to nearest even, NaN kept), with
    upstream's bf16 expansion patterns. Without it, LLVM calls
    `__truncsfbf2`, which the C runtime of the host (libgcc before GCC 13)
    may not provide: JIT and AOT builds then fail to resolve it.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def AGNFuseElementwise : Pass<"agn-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Fuse chains of elementwise linalg.generic ops";
  let description = [{
    Fuses an elementwise `linalg.generic` (every loop parallel) on tensors
    into the elementwise `linalg.generic` that reads its result, when that
    is the result's only use and the consumer reads each element once (its
    map of the result is a permutation; upstream's elementwise fusion): a
    bias, a ReLU and a residual addition after a convolution become one op,
    one pass over memory instead of three. A gather (an im2col copy) or a
    broadcast would compute an element several times and is left apart, as
    are ops with discardable attributes (a kernel config, a unit's markers).

    Each element is computed by the same operations in the same order, so
    the results are the same, bit for bit.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"
  ];
}

def AGNSplitBatchMatmuls
    : Pass<"agn-split-batch-matmuls", "::mlir::func::FuncOp"> {
  let summary = "Rewrite batched matrix products as loops of matmuls";
  let description = [{
    Every float or signless integer `linalg.batch_matmul` on tensors
    (default maps) becomes a loop over its batch of `linalg.matmul` ops
    (tiled by 1, rank-reduced, the `cast` kept), as does every float batched
    contraction `linalg.generic` (loops (b..., m, n, k), A indexed
    (..., m, k), B (..., k, n), their leading results batch loops or 0 for
    broadcast unit dimensions, body out + a * b, static shapes), as agn's
    importer writes a MatMul with several or broadcast batch dimensions: a
    loop nest over the batch. So does the integer version agn-multiversion
    writes of such a product (body out + extsi(a) * extsi(b) on signless
    integers): i8 matmuls, which the VNNI kernels take (MiniLM's 12-head
    attention product at i8 ran as scalar loops, 1.7 ms a call). The
    matmuls then take the kernels of any target (register tiles, VNNI); an
    `agn.lowering_config` of the batched op goes to its matmuls.

    With `threads` > 1, the outermost batch dimension that splits into
    `threads` nearly even chunks (none more than a quarter above an even
    share) is first split into them, the iterations of an `scf.forall` (the
    pipeline runs them on its threads), each a loop over its matrices:
    MiniLM's attention products (12 heads of 128x32x128) ran each matrix on
    both threads, too little work per parallel loop to share. (agn-cpu-configure-kernels then keeps the matmuls inside on one
    thread.)

    The partial sums of agn's blocked i4 matmul
    (`agn.blocked_matmul<partial_sums>`: loops (m, n, b, k), A (m, b, k),
    weights (b, k, n), sums (m, n, b)), on a target without AVX512-VNNI
    (where agn-vnni-matmuls takes them whole) and without an
    `agn.lowering_config`, become a loop over the
    blocks b of `linalg.matmul` ops of A's block [M, B] and the weights'
    [B, N]; sums that start as a `linalg.fill` of zero get a fresh
    zero-filled [M, N] accumulator per block, inserted into the sums'
    column b. (agn-cpu-configure-kernels may give them a `signed_dot` config
    on AVX2 targets before this pass runs; the kernel then takes them
    whole.)
    Batched partial sums (loops (b_1 .. b_r, m, n, j, t), the batch loops
    leading every operand, as agn-multiversion writes the i4 version of a
    batched product such as attention's) become, under the same
    conditions, a loop nest over the batch (in `threads` chunks as above)
    of such loops over blocks, their i4 weights first widened to bytes,
    whole (bytes the `signed_dot` kernel takes, known to hold no -128):
    MiniLM's attention-weighted values at i4 ran as scalar loops, 3 ms a
    layer. (On targets with AVX512-VNNI they still do: the VNNI kernel
    takes unbatched products only.) The integer sums are exact, so the
    results are the same.
  }];
  let options = [
    Option<"threads", "threads", "int64_t", "1",
           "Chunks (threads) to split a batch of at least as many matrices "
           "into">
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::linalg::LinalgDialect"
  ];
}

def AGNHoistVectorTransfers
    : Pass<"agn-hoist-vector-transfers", "::mlir::func::FuncOp"> {
  let summary = "Keep vectorized accumulators in registers across the K loop";
  let description = [{
    After bufferization, folds subviews into the vector transfers that read
    them and hoists the loop-invariant transfer pairs (the accumulator tile
    of a vectorized matmul, read and written at the same place on every K
    iteration) out of their loops, so the tile stays in registers. It
    hoists one outermost loop nest at a time: upstream's hoisting restarts
    its walk of the whole root after each pair, which over a function
    holding every unit at every level is quadratic in the model's size.

    Upstream's hoisting also gives up on a buffer that has a view anywhere
    in the function, as the result of a matmul split into whole tiles and a
    remainder has. The pass then hoists such a pair itself when the loop
    writes nothing else and reads only buffers that cannot overlap the
    tile's: views of another allocation, or of another global.
  }];
  let dependentDialects = [
    "::mlir::vector::VectorDialect", "::mlir::memref::MemRefDialect",
    "::mlir::affine::AffineDialect"
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

def AGNInlineAllocaScopes : Pass<"agn-inline-alloca-scopes"> {
  let summary = "Hoist the allocas of memref.alloca_scope ops and inline "
                "the scopes left without any";
  let description = [{
    Applies `memref.alloca_scope`'s canonicalization patterns alone: a
    scope's allocas move to the enclosing allocation scope where they can,
    and a scope without allocas is inlined into its parent. (The greedy
    driver also folds what it visits, as the canonicalizer did.)

    `convert-scf-to-openmp` wraps every loop body in a scope, whose region
    must keep one block; the lowering of `scf` to control flow, which comes
    next in `agn-lower-to-llvm-pipeline`, would split it into several. A
    whole canonicalizer there would also rewrite the rest of the module.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def AGNIndexSwitchToIf : Pass<"agn-index-switch-to-if"> {
  let summary = "Rewrite scf.index_switch ops with tensor results as scf.if";
  let description = [{
    Every `scf.index_switch` with a tensor result becomes a chain of
    `scf.if` ops, one per case (`arg == case`), the default region in the
    last `else`; switches on scalars and buffers are left alone.

    It runs just before One-Shot Bufferize, as a workaround: MLIR 22's
    bufferization model of `scf.yield` (`getAliasingValues`) reports the
    aliasing of a yielded value with the parent's result for `scf.if` and
    `scf.execute_region` but not for `scf.index_switch`. The analysis then
    misses that a switch result shares the buffer a case wrote into, and
    lets a later op write into that buffer in place while the result is
    still live: a silent wrong answer once CSE has merged the
    `tensor.empty` destinations of two dispatches. With `scf.if` the same
    IR bufferizes correctly. Remove the pass when upstream's model covers
    `scf.index_switch`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect"
  ];
}

def AGNLowerStridedCopies : Pass<"agn-lower-strided-copies"> {
  let summary = "Turn copies between strided buffers into linalg.copy";
  let description = [{
    After bufferization, a `memref.copy` whose source or target is not
    contiguous (a subview: the interior of a padded buffer, a slice of a
    concatenation) becomes a `linalg.copy` of the same operands, which
    `convert-linalg-to-loops` lowers to a loop nest. Copies between
    contiguous buffers stay: they become a `memcpy`.

    Why: the LLVM lowering of a strided `memref.copy` calls MLIR's generic
    `memrefCopy`, which walks the elements one by one through the
    descriptors' strides (and needs libmlir_c_runner_utils). The loops copy
    whole rows, and LLVM vectorizes their innermost, contiguous, loop: on
    resnet18 the padding before each convolution took 15 % of a call.

    Example:

    ```mlir
    memref.copy %x, %sub : memref<1x64x112x112xf32>
        to memref<1x64x112x112xf32, strided<[831744, 12996, 114, 1], offset: 115>>
    ```

    becomes

    ```mlir
    linalg.copy ins(%x : memref<1x64x112x112xf32>)
        outs(%sub : memref<1x64x112x112xf32, strided<[831744, 12996, 114, 1], offset: 115>>)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def AGNOutlineLoopNests
    : Pass<"agn-outline-loop-nests", "::mlir::ModuleOp"> {
  let summary = "Move every outermost loop nest into a private function of "
                "its own, and keep one copy of identical nests";
  let description = [{
    Every outermost `scf.for`, `scf.parallel` and `scf.forall` of a function
    body (at any depth of `scf.if`/`scf.index_switch`, but not inside
    another loop) moves into a new private `func.func` marked not to be
    inlined (`no_inline`, and for LLVM internal linkage and `noinline`),
    replaced by a call. The values the nest uses from above become the
    function's arguments, in the order of their first use, except the
    results of constant-like ops, which are cloned into the function (loop
    bounds and steps stay constants there). The nest's results are the
    function's results.

    A rank-0 `memref.alloca` of the function that the nest uses (the
    accumulator of a reduction to a scalar, such as a controller's
    statistic, which bufferization put on the stack) is not passed by
    pointer: its value goes in as an argument and comes back as an extra
    result, stored back after the call, and the function accumulates on a
    rank-0 alloca of its own. LLVM keeps an accumulator in a register, and
    vectorizes the reduction, only where it sees the alloca, not behind a
    pointer argument that may alias the others.

    Nests that are the same but for the buffers they work on (the same
    kernel for two layers of equal shape, or for the same layer at two
    levels of precision) then become identical functions: the pass keeps
    the first and points the calls of the others at it.

    Why: a model's entry function holds every layer's loops, at every
    level of precision, and LLVM's optimizations are superlinear in the
    size of a function (loop rotation, scalar evolution over hundreds of
    loops). One function per nest keeps each small; `no_inline` stops the
    inliner from undoing it, and merging identical nests compiles each
    kernel once. The cost at run time is one call per nest.

    Example:

    ```mlir
    func.func @main(%a: memref<64xf32>, %b: memref<64xf32>) {
      %c0 = arith.constant 0 : index
      %c64 = arith.constant 64 : index
      %c1 = arith.constant 1 : index
      scf.for %i = %c0 to %c64 step %c1 {
        %v = memref.load %a[%i] : memref<64xf32>
        memref.store %v, %b[%i] : memref<64xf32>
      }
      return
    }
    ```

    becomes a call `func.call @main_nest0(%a, %b)` and

    ```mlir
    func.func private @main_nest0(%a: memref<64xf32>, %b: memref<64xf32>)
        attributes {llvm.linkage = #llvm.linkage<internal>, no_inline,
                    passthrough = ["noinline"]} {
      %c0 = arith.constant 0 : index
      ...
      scf.for %i = %c0 to %c64 step %c1 { ... }
      return
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect"
  ];
}

def AGNFoldZeroElementTensors : Pass<"agn-fold-zero-element-tensors"> {
  let summary = "Replace side-effect-free ops whose results hold no element "
                "by tensor.empty";
  let description = [{
    An op without memory effects whose results are all statically shaped
    tensors with a dimension of size 0 computes nothing: each of its results
    is replaced by a `tensor.empty` of its type, and the op goes once it is
    unused. `tensor.empty` ops themselves are left as they are.

    Why: a model run on an empty batch (an ONNX input of shape `0xCxHxW`)
    must give an empty result. Upstream's lowering of such ops does not get
    there: `tensor.pad` of a `0x3x8x8` tensor bufferizes to a
    `memref.subview` whose offset the verifier rejects as out of bounds on the
    empty dimension. With nothing left to compute, no such op reaches
    bufferization.

    Example:

    ```mlir
    %p = tensor.pad %x low[0, 1] high[0, 1] { ... } : tensor<0x8xf32> to tensor<0x10xf32>
    ```

    becomes

    ```mlir
    %p = tensor.empty() : tensor<0x10xf32>
    ```
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def AGNPlaceLevelWeights
    : Pass<"agn-place-level-weights", "::mlir::ModuleOp"> {
  let summary = "Put each level's weights in globals of their own and tell "
                "the runtime where they lie";
  let description = [{
    Runs on tensors, after the kernel passes (which fold packed weights into
    new constants) and before bufferization. For every `scf.index_switch`
    that `agn-lower` made of a unit's dispatch (it carries the discardable
    attributes `agn.unit_id`, the symbol of the unit's i64 runtime-id
    `llvm.mlir.global`, and `agn.case_levels`, the level of each case with the
    default region's last):

    - every `arith.constant` of a non-splat tensor of at least 64 bytes whose
      uses all lie in one case becomes a private constant `memref.global`
      (`@__agn_weights_<level>_<n>`) read through `memref.get_global` and
      `bufferization.to_tensor restrict`. The globals of one level follow
      each other in the module. When a level's weights fill at least a page
      (4 KiB), its first global is aligned to 64 KiB: Linux maps the cached
      pages of a file within the aligned 64 KiB around a fault
      ("fault-around"), so levels sharing such a window would bring each
      other's pages back. Smaller levels go before all of those;
    - before the switch, code that runs once per process (guarded by an i64
      global `@__agn_weights_registered_<n>`, set only once the unit has a
      valid id) calls `agn_rt_register_weights(id, level, pointer, bytes)`
      for each of those globals (include/agn-c/Runtime.h).

    Why: the runtime can then hand the pages of the levels a memory budget
    rules out back to the OS and the next call at such a level reads them
    back from the file they are mapped from (the weight file of agn's JIT;
    a library built by agn-aot registers its weights too, but the runtime
    does not release private mappings yet), so that a unit's resident
    weights follow its granted level. Constants shared by several cases (a bias every level
    reads) stay as they are: they are resident at every level.

    Example (`%w8` is only used by the i8 case):

    ```mlir
    %w8 = arith.constant dense<...> : tensor<64x128xi8>
    %r = scf.index_switch %case {agn.case_levels = array<i32: 1, 4>,
                                 agn.unit_id = @__agn_unit_id_fc1} -> ...
    case 0 { ... %w8 ... }
    ```

    becomes

    ```mlir
    memref.global "private" constant @__agn_weights_i8_0 : memref<64x128xi8>
        = dense<...> {alignment = 65536 : i64}
    ...
    scf.if %unregistered { ... func.call @agn_rt_register_weights(...) ... }
    %m = memref.get_global @__agn_weights_i8_0 : memref<64x128xi8>
    %w8 = bufferization.to_tensor %m restrict : memref<64x128xi8> to tensor<64x128xi8>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect"
  ];
}

def AGNInstrumentProfile
    : Pass<"agn-instrument-profile", "::mlir::ModuleOp"> {
  let summary = "Time each unit at each level, its controller and the costly "
                "ops around it, at run time";
  let description = [{
    Runs on tensors, after the kernel passes and before bufferization (what
    `agn-lower-to-llvm-pipeline{profile=true}` schedules). It brackets, with
    calls `agn_rt_profile_begin(region)` and `agn_rt_profile_end(region)` of
    agn's runtime (include/agn-c/Runtime.h):

    - the body of every function with one (group `function`: its self time
      is what no region below covers: allocation, scalar code, calls);
    - each region of every `scf.index_switch` that `agn-lower` made of a
      unit's dispatch (it carries `agn.unit_name` and `agn.case_levels`):
      group `unit`, that unit, that case's level;
    - every costly op of those blocks, in a group by what it does:
      `contraction` (linalg contractions and convolutions, the kernel
      passes' loops), `im2col` (copies that gather through a window),
      `layout` (transposes, other copies, concatenations, inserted slices),
      `padding` (`tensor.pad`), `pooling`, `quantize` (float to integer),
      `dequantize` (integer to float), `reduction`, `elementwise`, `fill`,
      `loop` (other loops), `other` (other linalg ops), and `controller`:
      the ops that exist only to pick a unit's level (its statistic, the
      `agn_rt_arbitrate` call), found as the ops whose every use leads to
      the dispatch's case index.

    `region` is the address of a private constant string global
    `@__agn_profile_<n>` holding "model\tgroup\tunit\tlevel\tlabel"; the
    label names the op and its result type (`im2col 12544x147xi8`). The
    runtime sums each region's spans (total and self time), keeps them for a
    Chrome trace, and prints a table (agn-run --profile, agn.compile(...,
    profile=True); see docs/Runtime.md).

    Why here: on tensors each op of the model is still one op, and the
    kernel passes have already split convolutions into their im2col copy,
    kernel loops and epilogue. The calls have side effects, so nothing after
    moves the ops across them; bufferization may add copies inside a
    region's span, which then count with that op. Cost: two calls and two
    clock reads per region (tens of nanoseconds), so the table is most
    accurate for ops that take microseconds or more.
  }];
  let options = [
    Option<"model", "model", "std::string", "\"\"",
           "Model name in the region records (default: the module's "
           "sym_name, else 'model')">
  ];
  let dependentDialects = [
    "::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect"
  ];
}

def AGNSplitEmptyTensors : Pass<"agn-split-empty-tensors"> {
  let summary = "Give every use of a tensor.empty a tensor.empty of its own";
  let description = [{
    A `tensor.empty` with several uses is replaced by a clone just before
    each user, so that no two ops share one. It runs just before One-Shot
    Bufferize.

    Why: CSE merges the `tensor.empty` ops of one shape in a function into
    one, which then is the destination of every op of that shape. One-Shot
    Bufferize's conflict analysis compares the reads and writes of an alias
    set pairwise, so such a set makes it quadratic in the size of the model:
    shufflenet_v2 with five levels spent 5.5 s of its 9.1 s lowering there,
    0.27 s with the empties split. A `tensor.empty` has no contents, so
    splitting it changes no value; each use bufferizes to the allocation it
    would have had anyway.

    Example:

    ```mlir
    %e = tensor.empty() : tensor<4xf32>
    %a = linalg.fill ins(%x : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    %b = linalg.fill ins(%y : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    ```

    becomes

    ```mlir
    %e_0 = tensor.empty() : tensor<4xf32>
    %a = linalg.fill ins(%x : f32) outs(%e_0 : tensor<4xf32>) -> tensor<4xf32>
    %e_1 = tensor.empty() : tensor<4xf32>
    %b = linalg.fill ins(%y : f32) outs(%e_1 : tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

#endif // AGN_CODEGEN_COMMON_PASSES_TD
