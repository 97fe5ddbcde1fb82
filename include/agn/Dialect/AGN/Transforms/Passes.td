//===- Passes.td - agn transformation passes ---------------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_AGN_TRANSFORMS_PASSES_TD
#define AGN_DIALECT_AGN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FormUnits : Pass<"agn-form-units"> {
  let summary = "Wrap contractions and their epilogues into Granularity Units";
  let description = [{
    Wraps each contraction of the chosen kinds (`linalg.matmul` in all its
    transposed forms, `linalg.batch_matmul`, `linalg.matvec`,
    `linalg.conv_2d_nchw_fchw`, `linalg.conv_2d_nhwc_hwcf`,
    `linalg.conv_2d_nhwc_fhwc` (TOSA's convolution),
    `linalg.conv_2d_ngchw_gfchw` (grouped and depthwise convolutions, whose
    weight scales follow the groups when there are more groups than filters
    per group), `linalg.conv_1d_ncw_fcw`, `linalg.conv_3d_ncdhw_fcdhw`, and
    `linalg.generic` contractions and convolutions (grouped 1-D and 3-D
    convolutions have no named op; their weight scales follow the groups as
    above)) into an `agn.unit`, together with its
    elementwise epilogue: the chain of elementwise linalg ops (named ones such
    as `linalg.add` and `linalg.max`, `linalg.elementwise`, or all-parallel
    `linalg.generic`s: bias add, relu, gelu, sigmoid, tanh, clamp, ...) that
    consume the contraction's result and nothing else from outside but the
    bias and values the unit can rebuild itself (constants, `tensor.empty`,
    `linalg.fill`, broadcasts of the bias).

    The contraction's activations, weights and (when the epilogue reads one)
    bias become the unit's operands; everything else the unit needs is cloned
    into it, so the unit is self-contained. Units are named after the
    function and a running index (`f.u0`, `f.u1`, ... and `f.u0.s1` for the
    parts of a split layer), or after the op's `agn.name`
    string attribute when it has one. A contraction carrying an
    `agn.policy = #agn.policy<...>` attribute (for example a policy learned
    in training and brought in by the ONNX importer) gets that policy and its
    levels, joined with those of the `levels` option when it is given.

    With `split=N` each layer becomes N units, each computing a slice of the
    output channels (or of the rows, `split-along=rows`) with its own
    controller; the slices are joined with `tensor.concat`. Uneven splits give
    the first units one more channel. The split dimension must be static.

    Layers with an operand that cannot be given to a unit (the epilogue reads
    a second external tensor) keep the part of the epilogue that fits.
  }];
  let dependentDialects = [
    "::mlir::agn::AGNDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect"
  ];
  let options = [
    ListOption<"ops", "ops", "std::string",
               "Contraction kinds to wrap (default: all of matmul, "
               "batch_matmul, matvec, conv_2d_nchw_fchw, conv_2d_nhwc_hwcf, "
               "conv_2d_nhwc_fhwc, conv_2d_ngchw_gfchw, conv_1d_ncw_fcw, "
               "conv_3d_ncdhw_fcdhw, generic)">,
    ListOption<"levels", "levels", "std::string",
               "Allowed precision levels, increasing (default: "
               "i4,i8,bf16,f16,f32)">,
    ListOption<"thresholds", "thresholds", "double",
               "Policy thresholds on the statistic, increasing, one fewer "
               "than the levels (default: 0.02 * 4^i)">,
    Option<"hysteresis", "hysteresis", "double", "0.0",
           "Policy hysteresis, a relative margin in [0, 1)">,
    Option<"statistic", "statistic", "std::string", "\"variance\"",
           "Statistic the controllers measure: variance or abs_max">,
    Option<"split", "split", "unsigned", "1",
           "Number of units each layer is split into">,
    Option<"splitAlong", "split-along", "std::string", "\"channels\"",
           "Split layers along output 'channels' or 'rows'">
  ];
}

def InsertControllers : Pass<"agn-insert-controllers"> {
  let summary = "Insert each unit's controller: statistic, select, arbitrate";
  let description = [{
    At the start of every `agn.unit` without one, inserts the controller:
    the statistic of the unit's input named by its policy (`agn.variance` or
    `agn.abs_max`, with the sampling `stride`), `agn.select` under the
    unit's policy, and `agn.arbitrate`, which asks the resource manager for
    the granted level. When the policy has hysteresis, the last selected level
    is kept in a private `memref.global` per unit (`@__agn_level_<unit>`)
    and passed to `agn.select` as `previous`.

    NaN or infinite inputs make the statistic NaN, which selects the most
    precise level.
  }];
  let dependentDialects = [
    "::mlir::agn::AGNDialect", "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect"
  ];
  let options = [
    Option<"stride", "stride", "int64_t", "1",
           "Sampling stride of the statistic (1: every element)">
  ];
}

def QuantizeWeights : Pass<"agn-quantize-weights"> {
  let summary = "Compute each level's stored weights and each unit's costs";
  let description = [{
    For units whose weights are constants, computes each allowed level's
    stored form at compile time: f16 and bf16 casts; i8 with symmetric
    per-output-channel scales; i4 with symmetric per-block scales (blocks of
    `i4-block-size` along the reduction dimension, or per output channel when
    the block does not divide it) stored two per byte. The constant moves
    into the unit and each level's form becomes an `agn.quantize` of it that
    folds to constants. Weights that arrive as function arguments stay as
    they are and are quantized at run time by the multi-versioned code.

    Every unit gets its cost table (`costs`): weight bytes (stored values plus
    scales plus the f32 bias) and multiply-accumulates per level.
  }];
  let dependentDialects = [
    "::mlir::agn::AGNDialect", "::mlir::arith::ArithDialect"
  ];
  let options = [
    Option<"i4BlockSize", "i4-block-size", "int64_t", "32",
           "Block size of the i4 scales along the reduction dimension">
  ];
}

def MultiVersion : Pass<"agn-multiversion"> {
  let summary = "Emit one version of each unit per allowed level";
  let description = [{
    Replaces the reference computation of each controlled unit with an
    `agn.dispatch` on the granted level holding one version per allowed
    level: f32 as written; f16 and bf16 with the contraction's inputs
    rounded to that type and f32 accumulation; i8 with dynamic per-row
    quantization of the activations, per-output-channel weights, i8 x i8 ->
    i32 accumulation and an f32 rescale; i4 the same from per-block (or
    per-channel) i4 weights; grouped convolutions with more groups than
    filters per group (depthwise ones) take their weight scales per group.
    The epilogue stays fused after the contraction in every version, in
    f32.
  }];
  let dependentDialects = [
    "::mlir::agn::AGNDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect"
  ];
  let options = [
    Option<"i4BlockSize", "i4-block-size", "int64_t", "32",
           "Block size of the i4 scales along the reduction dimension">
  ];
}

def SinkPadding : Pass<"agn-sink-padding"> {
  let summary = "Pad unit inputs inside the units, after quantization";
  let description = [{
    Moves a static zero `tensor.pad` of a unit's input (alone, or followed
    by the `tensor.expand_shape` of a grouped convolution), which nothing
    else uses, into the unit's body, and rewrites `agn.quantize` of a zero
    padding into a padding of the quantized values:
    `quantize(pad(x, 0))` -> `pad(quantize(x), 0)` (through a
    `tensor.expand_shape` between them, too). The i8 version then pads i8
    values instead of f32 ones and quantizes no border; bf16 and f16 pad
    their converted values. Both rewrites are exact (a zero padding changes
    no group's largest magnitude, and zero quantizes to zero), so they apply
    only where the padded dimensions lie within the scale groups: not the
    quantization axis, and no blocks; the padding value must be +0.0 (or
    integer 0). i4 storage is left padded in f32 (its buffers pack two
    values a byte). Quantizations outside units are left as written.

    Run it after `agn-insert-controllers` (a controller's statistic still
    measures the padded image, which the unit then pads for it) and after
    `agn-multiversion` (whose versions hold the quantizations it rewrites),
    as `agn-adaptive-pipeline` does. Where a unit's f32 version or its
    controller reads the padded image, the f32 padding stays too, before
    the dispatch.

    ```mlir
    // Before: the padding outside the unit.
    %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] { ... 0.0 ... }
    %y = agn.unit "c" ... ins(%p, %w : ...) {
    ^bb0(%a: tensor<1x8x18x18xf32>, %b: ...):
      %q, %s = agn.quantize %a axis 0 : ...
    // After: the i8 values padded with 0.
    %y = agn.unit "c" ... ins(%x, %w : ...) {
    ^bb0(%a: tensor<1x8x16x16xf32>, %b: ...):
      %q0, %s = agn.quantize %a axis 0 : ...
      %q = tensor.pad %q0 low[0, 0, 1, 1] high[0, 0, 1, 1] { ... 0 : i8 ... }
    ```
  }];
  let dependentDialects = [
    "::mlir::agn::AGNDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect"
  ];
}

def ExchangeQuantized : Pass<"agn-exchange-quantized"> {
  let summary = "Let consecutive integer units exchange quantized activations";
  let description = [{
    The inter-layer precision protocol. Where a unit fixed at an integer
    level quantizes its input, and that input is computed by another unit
    (through elementwise ops with constant operands and reshapes, each value
    used once), the quantization moves into the producer: the producer
    yields the quantized values and their scales, and the consumer takes
    them as its input and `input_scales`. Then a quantization of a chain of
    elementwise ops that are monotone in integer accumulators (a producer's
    dequantization, bias and activation function) becomes one
    `agn.requantize` of the accumulators: the f32 activations between the
    units are no longer written, nor read twice to be quantized.

    Both rewrites are exact: the consumer receives the bits its own
    quantization computed. A unit that chooses its level at run time keeps
    its float input, which its controller measures; so does a value with
    other users (a residual connection).

    Run it after `agn-multiversion` and `agn-sink-padding`, as
    `agn-adaptive-pipeline` does.

    ```mlir
    // Before: the producer dequantizes and clips; the consumer quantizes.
    %y = agn.unit "p" ... -> tensor<1x16x8x8xf32> {
      %acc = linalg.conv_2d_nchw_fchw ... -> tensor<1x16x8x8xi32>
      %f = linalg.generic ... ins(%acc, %sx, %sw ...)   // sitofp, mulf
      agn.yield %f : tensor<1x16x8x8xf32>
    }
    %r = linalg.generic ... ins(%y, %zero ...)          // maximumf
    %z = agn.unit "c" ... ins(%r, %w2 : ...) {
    ^bb0(%a: tensor<1x16x8x8xf32>, %b: ...):
      %q, %s = agn.quantize %a axis 0 : ...
      ...
    }
    // After: the producer requantizes; the consumer takes (%q, %s).
    %q, %s = agn.unit "p" ... -> tensor<1x16x8x8xi8>, tensor<1xf32> {
      %acc = linalg.conv_2d_nchw_fchw ... -> tensor<1x16x8x8xi32>
      %q0, %s0 = agn.requantize %acc ins(%sx, %sw ...) axis 0 maps [...] ...
      agn.yield %q0, %s0 : tensor<1x16x8x8xi8>, tensor<1xf32>
    }
    %z = agn.unit "c" ... ins(%q, %w2 : ...) input_scales(%s : tensor<1xf32>) {
    ^bb0(%a: tensor<1x16x8x8xi8>, %b: ..., %c: tensor<1xf32>):
      ...
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::agn::AGNDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect"
  ];
}

def Specialize : Pass<"agn-specialize"> {
  let summary = "Fix units at one level and drop their controllers";
  let description = [{
    Fixes every unit (or those named in `units`) at `level` and removes its
    controller: the unit's levels become that level alone, and the dispatch
    folds to the one version. A deployment with known resources thus pays
    nothing for adaptivity. A unit that does not allow `level` is an error.
  }];
  let dependentDialects = ["::mlir::agn::AGNDialect"];
  let options = [
    Option<"level", "level", "std::string", "\"\"",
           "Level to fix: i4, i8, bf16, f16 or f32 (required)">,
    ListOption<"units", "units", "std::string",
               "Names of the units to fix (default: all)">
  ];
}

def Report : Pass<"agn-report"> {
  let summary = "Print each unit's levels, weight bytes and MACs";
  let description = [{
    Prints, per unit, its allowed levels with the weight bytes and
    multiply-accumulates of each (from its cost table, or computed from its
    contraction when it has none), and its policy: as an aligned table or as
    JSON. Leaves the IR unchanged.
  }];
  let options = [
    Option<"format", "format", "std::string", "\"table\"",
           "Output format: table or json">,
    Option<"output", "output", "std::string", "\"-\"",
           "File to write the report to ('-': standard output)">
  ];
}

#endif // AGN_DIALECT_AGN_TRANSFORMS_PASSES_TD
