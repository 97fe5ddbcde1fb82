//===- AGNCodegenAttrs.td - agn code generation attrs ------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Attributes that carry decisions between passes, so that a contract between
// two passes is written in the IR rather than implied by the shape of what
// one of them emits: the kernel a contraction gets (set by
// agn-cpu-configure-kernels, or by hand to pin a strategy) and the parts of
// agn-multiversion's block-scaled i4 matmul.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_AGN_IR_AGNCODEGENATTRS_TD
#define AGN_DIALECT_AGN_IR_AGNCODEGENATTRS_TD

def AGN_KernelKind : I32EnumAttr<"KernelKind",
    "the kind of kernel a contraction is lowered to", [
    I32EnumAttrCase<"loops", 0>,
    I32EnumAttrCase<"register_tiles", 1>,
    I32EnumAttrCase<"reassociated_sum", 2>,
    I32EnumAttrCase<"vnni", 3>,
    I32EnumAttrCase<"im2col", 4>,
    I32EnumAttrCase<"direct", 5>,
    I32EnumAttrCase<"gpu_simt", 6>,
    I32EnumAttrCase<"gpu_mma_sync", 7>,
    I32EnumAttrCase<"padded_plane", 8>,
    I32EnumAttrCase<"signed_dot", 9>
  ]> {
  let cppNamespace = "::mlir::agn";
  let genSpecializedAttr = 0;
}


/// Sizes written as a bracketed list, `[8, 32, 1]` (the default format of an
/// array parameter, `8, 32, 1`, would run into the next field).
def AGN_SizesParameter : OptionalArrayRefParameter<"int64_t", "sizes"> {
  let parser = [{ ::mlir::agn::parseBracketedSizes($_parser) }];
  let printer = [{ ::mlir::agn::printBracketedSizes($_printer, $_self) }];
}

def AGN_LoweringConfigAttr : AGN_Attr<"LoweringConfig", "lowering_config"> {
  let summary = "how one contraction is lowered: kernel, tiles, threads";
  let description = [{
    The code generation strategy of the op that carries it (as the
    discardable attribute `agn.lowering_config`), chosen by
    `agn-cpu-configure-kernels` from the module's target (`llvm.target`) or
    written by hand to pin a strategy; the kernel passes carry it out and
    leave ops without one alone.

    ```mlir
    #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], k_block = 32>
    #agn.lowering_config<kernel = vnni, tile_sizes = [4, 64, 4], threads = 2>
    #agn.lowering_config<kernel = im2col, filter_on_right = true>
    ```

    - `register_tiles` (`linalg.matmul`, `agn-vectorize-contractions`):
      register tiles of `tile_sizes` = (M, N, K) vectorized to
      `vector.contract`; `k_block` rows of B per sweep of the tiles (0: K
      not blocked); `widen_to_f32` converts f16/bf16 operands to f32 first;
      `pack_b` (a constant float B, `k_block` 0) repacks B at compile time
      into panels of the tile's N columns, each panel's rows adjacent, and
      the tiles go down all rows of A one panel at a time (`threads` runs of
      panels; columns past the last whole panel go the unpacked way).
    - `reassociated_sum` (`linalg.matvec`, `linalg.dot`): a reduction whose
      additions may be reassociated, which LLVM vectorizes.
    - `vnni` (`linalg.matmul` of i8 or i4 weights, or the partial sums of
      agn's block-scaled i4 matmul; `agn-vnni-matmuls`): AVX-512 VNNI
      kernels with `tile_sizes` = (rows, 64, K values per step: 4 for a
      matmul, whose i4 weights are widened to bytes, 8 for the block-scaled
      i4 matmul, two nibbles per byte).
    - `signed_dot` (`linalg.matmul` of constant i8 weights without -128, or
      of i4 weights, or the partial sums of agn's block-scaled i4 matmul;
      `agn-vnni-matmuls`): the `vnni` kernels' packing and tiles on CPUs
      with AVX2 but no VNNI, each step an `agn_x86.sdot` (`vpmaddubsw` of
      the activations' magnitudes by the weights with the activations'
      signs), `tile_sizes` as `vnni`'s.
    - `im2col` (convolutions, `agn-vectorize-convolutions`): an im2col copy
      and a matmul, the filter on the right of the matmul with
      `filter_on_right`.
    - `direct` (grouped convolutions): vector loops over output rows;
      `threads` chunks of groups.
    - `padded_plane` (f32 NCHW convolutions of one image, dilation 1, a
      constant filter; `agn-vectorize-convolutions`): register tiles of
      `tile_sizes` = (filters, output positions) over the input plane as it
      lies in memory (over its phase planes for strides above 1), the
      padding columns computed and dropped: no im2col copy, no transpose of
      the result; `threads` chunks of filters.
    - `loops`: left to linalg's loops.
    - `gpu_simt` (any linalg op with two to three parallel loops;
      `agn-gpu-tile-contractions`): a GPU kernel whose blocks compute
      `tile_sizes` = (rows, columns) of the two innermost parallel loops
      (outer parallel loops one per block), with `block_threads` = (y, x)
      threads per block, each computing its share of the block's tile.
    - `gpu_mma_sync` (`linalg.matmul` of f16 -> f32 or i8 -> i32;
      `agn-gpu-tile-contractions`): tensor-core tiles, `tile_sizes` = (block
      rows, block columns, K step) with warps of 16 x 8 outputs
      (`mma.sync` m16n8k16, m16n8k32 for i8).

    `threads` > 1 splits the kernel's work (columns, rows or filters) into
    that many chunks, the iterations of an `scf.forall`.
  }];
  let parameters = (ins
    "KernelKind":$kernel,
    AGN_SizesParameter:$tile_sizes,
    DefaultValuedParameter<"int64_t", "0">:$k_block,
    DefaultValuedParameter<"int64_t", "1">:$threads,
    DefaultValuedParameter<"bool", "false">:$widen_to_f32,
    DefaultValuedParameter<"bool", "false">:$filter_on_right,
    AGN_SizesParameter:$block_threads,
    DefaultValuedParameter<"bool", "false">:$pack_b
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    AttrBuilder<(ins "KernelKind":$kernel,
                     CArg<"::llvm::ArrayRef<int64_t>", "{}">:$tileSizes,
                     CArg<"int64_t", "0">:$kBlock,
                     CArg<"int64_t", "1">:$threads,
                     CArg<"bool", "false">:$widenToF32,
                     CArg<"bool", "false">:$filterOnRight,
                     CArg<"::llvm::ArrayRef<int64_t>", "{}">:$blockThreads,
                     CArg<"bool", "false">:$packB), [{
      return $_get($_ctxt, kernel, tileSizes, kBlock, threads, widenToF32,
                   filterOnRight, blockThreads, packB);
    }]>
  ];
  let extraClassDeclaration = [{
    /// The name of the discardable attribute that holds an op's config.
    static constexpr ::llvm::StringLiteral getAttributeName() {
      return "agn.lowering_config";
    }
    /// Returns the config `op` carries, or null.
    static LoweringConfigAttr of(::mlir::Operation *op);
    /// Returns whether `op` carries a config of kind `kind`.
    static bool hasKernel(::mlir::Operation *op, KernelKind kind);
    /// Sets (or replaces) `op`'s config.
    void attachTo(::mlir::Operation *op) const;
    /// Returns whether the kernel is a GPU one (gpu_simt, gpu_mma_sync).
    bool isGpuKernel() const {
      return getKernel() == KernelKind::gpu_simt ||
             getKernel() == KernelKind::gpu_mma_sync;
    }
  }];
}

def AGN_BlockedMatmulPart : I32EnumAttr<"BlockedMatmulPart",
    "a part of a block-scaled integer matmul", [
    I32EnumAttrCase<"partial_sums", 0>,
    I32EnumAttrCase<"rescale", 1>
  ]> {
  let cppNamespace = "::mlir::agn";
  let genSpecializedAttr = 0;
}

def AGN_BlockedMatmulAttr : AGN_Attr<"BlockedMatmul", "blocked_matmul"> {
  let summary = "marks the two ops of agn's block-scaled i4 matmul";
  let description = [{
    `agn-multiversion` writes the i4 version of a matmul as two
    `linalg.generic` ops and marks each with the discardable attribute
    `agn.blocked_matmul`: the `partial_sums` (loops (m, n, j, t): the i32 sum
    of i8 activations times i4 weights over each block j of `block_size` K
    values) and its one user, the `rescale` (loops (m, n, j): out +
    float(partial) * (activation scale * weight scale)). Kernel passes (the
    VNNI kernel fuses both) find the pair by this attribute instead of by
    the shapes of their bodies.

    ```mlir
    #agn.blocked_matmul<partial_sums, block_size = 32>
    ```
  }];
  let parameters = (ins
    "BlockedMatmulPart":$part,
    "int64_t":$block_size
  );
  let assemblyFormat = "`<` $part `,` `block_size` `=` $block_size `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The name of the discardable attribute that holds the marker.
    static constexpr ::llvm::StringLiteral getAttributeName() {
      return "agn.blocked_matmul";
    }
    /// Returns the marker `op` carries, or null.
    static BlockedMatmulAttr of(::mlir::Operation *op);
  }];
}

#endif // AGN_DIALECT_AGN_IR_AGNCODEGENATTRS_TD
