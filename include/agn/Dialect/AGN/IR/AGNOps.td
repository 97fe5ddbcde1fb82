//===- AGNOps.td - agn operations --------------------------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_AGN_IR_AGNOPS_TD
#define AGN_DIALECT_AGN_IR_AGNOPS_TD

include "agn/Dialect/AGN/IR/AGNAttrs.td"
include "agn/Dialect/AGN/IR/AGNDialect.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class AGN_Op<string mnemonic, list<Trait> traits = []>
    : Op<AGN_Dialect, mnemonic, traits>;

def AGN_FloatTensor : RankedTensorOf<[AnyFloat]>;

//===----------------------------------------------------------------------===//
// UnitOp
//===----------------------------------------------------------------------===//

def AGN_UnitOp : AGN_Op<"unit", [
    AttrSizedOperandSegments, IsolatedFromAbove, RecursiveMemoryEffects,
    SingleBlock]> {
  let summary = "a Granularity Unit: a neuron set and its controller";
  let description = [{
    A Granularity Unit (GU) owns one contraction and its elementwise epilogue.
    Its region computes the unit's results from its operands (the input
    activations, the weights, an optional bias and optional input scales,
    passed in as the entry block's arguments in that order) and ends with
    `agn.yield`. With `input_scales`, the input holds quantized activations
    (i8 or i4) and `input_scales` their scales, as `agn.quantize` returns
    them: the unit's producer quantized them for it (`agn-exchange-quantized`).
    Such a unit runs at one level. The region is
    isolated from above, so a unit can be cloned into one version per level
    and processed on its own.

    `levels` are the precision levels the unit may run at (strictly
    increasing). `policy` is the controller's policy; its levels must be
    among the unit's. `costs`, when present, holds one `#agn.cost` per allowed
    level, in the same order.

    Constant operands are sunk into the body by canonicalization, so that
    what depends on them (a controller's statistic, a weight quantization)
    folds at compile time.

    Before `agn-multiversion` the region holds the reference (f32)
    computation; afterwards it holds a controller (`agn.variance`,
    `agn.select`, `agn.arbitrate`) and an `agn.dispatch` with one version per
    allowed level.

    ```mlir
    %y = agn.unit "fc1" levels [i8, bf16, f32]
        policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
        ins(%x, %w, %b : tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>)
        -> tensor<4x16xf32> {
    ^bb0(%a: tensor<4x8xf32>, %bw: tensor<8x16xf32>, %bb: tensor<16xf32>):
      ...
      agn.yield %r : tensor<4x16xf32>
    }
    ```
  }];
  let arguments = (ins
    AnyRankedTensor:$input,
    AnyRankedTensor:$weight,
    Optional<AnyRankedTensor>:$bias,
    Optional<RankedTensorOf<[F32]>>:$input_scales,
    StrAttr:$unit_name,
    AGN_PrecisionArrayAttr:$levels,
    AGN_PolicyAttr:$policy,
    OptionalAttr<AGN_CostArrayAttr>:$costs
  );
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $unit_name `levels` custom<LevelList>($levels) `policy` qualified($policy)
    (`costs` $costs^)?
    `ins` `(` $input `,` $weight (`,` $bias^)? `:`
              type($input) `,` type($weight) (`,` type($bias)^)? `)`
    (`input_scales` `(` $input_scales^ `:` type($input_scales) `)`)?
    (`->` type($results)^)? attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// Returns the allowed levels as enum values, in increasing order.
    llvm::SmallVector<Precision> getLevelValues();

    /// Returns whether `level` is one of the unit's allowed levels.
    bool allowsLevel(Precision level);

    /// Returns the terminator of the body.
    YieldOp getYield();
  }];
}

//===----------------------------------------------------------------------===//
// YieldOp
//===----------------------------------------------------------------------===//

def AGN_YieldOp : AGN_Op<"yield", [
    Pure, ReturnLike, Terminator,
    ParentOneOf<["UnitOp", "DispatchOp", "RequantizeOp"]>]> {
  let summary = "ends a unit's, a dispatch case's or a requantization's region";
  let description = [{
    Returns the region's values to the enclosing `agn.unit` or `agn.dispatch`
    (their types must match the parent's results), or the value an
    `agn.requantize` computes from one accumulator.
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let builders = [OpBuilder<(ins), [{ /* nothing to build */ }]>];
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

//===----------------------------------------------------------------------===//
// Statistics
//===----------------------------------------------------------------------===//

class AGN_StatisticOp<string mnemonic, string what>
    : AGN_Op<mnemonic, [Pure]> {
  let arguments = (ins
    AGN_FloatTensor:$input,
    DefaultValuedAttr<ConfinedAttr<I64Attr, [IntPositive]>, "1">:$stride
  );
  let results = (outs F32:$result);
  let assemblyFormat = [{
    $input (`stride` $stride^)? attr-dict `:` type($input)
  }];
  let hasFolder = 1;
  let summary = "the " # what # " of a tensor, as f32";
}

def AGN_VarianceOp : AGN_StatisticOp<"variance", "population variance"> {
  let description = [{
    The population variance of the elements of `input` (all of them, in
    row-major order, when `stride` is 1; every `stride`-th element otherwise,
    which samples the input in one cheap pass). Computed in one numerically
    stable pass (Welford's update or an equivalent) with f32 or wider
    accumulation. A NaN or infinite element makes the result NaN, which
    `agn.select` maps to the most precise level. An empty tensor has variance
    0.

    ```mlir
    %v = agn.variance %x stride 4 : tensor<64x1024xf32>
    ```
  }];
}

def AGN_AbsMaxOp : AGN_StatisticOp<"abs_max", "largest magnitude"> {
  let description = [{
    The largest absolute value among the elements of `input` (every
    `stride`-th one when `stride` > 1): the range a symmetric quantizer must
    cover, hence a direct estimate of the quantization step. NaN elements make
    the result NaN. An empty tensor gives 0.

    ```mlir
    %m = agn.abs_max %x : tensor<64x1024xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// SelectOp
//===----------------------------------------------------------------------===//

def AGN_SelectOp : AGN_Op<"select", [Pure]> {
  let summary = "the local controller: statistic and policy to a level";
  let description = [{
    Applies `policy` to `statistic` and returns the requested precision level
    as an `index` (the level's ordinal, see `#agn.precision`). With
    `previous`, the level chosen by the last call, the policy's hysteresis
    applies; without it, the bands are used as they are.

    ```mlir
    %level = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
    %level2 = agn.select %v previous %level policy #agn.policy<levels = [i8, f32], thresholds = [0.5], hysteresis = 0.1>
    ```
  }];
  let arguments = (ins
    F32:$statistic,
    Optional<Index>:$previous,
    AGN_PolicyAttr:$policy
  );
  let results = (outs Index:$level);
  let assemblyFormat = [{
    $statistic (`previous` $previous^)? `policy` qualified($policy) attr-dict
  }];
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// ArbitrateOp
//===----------------------------------------------------------------------===//

def AGN_ArbitrateOp : AGN_Op<"arbitrate", [
    MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "ask the resource manager for a level";
  let description = [{
    Asks the process-wide resource manager for the level the enclosing unit
    may run at, given the level its controller `requested` and the
    `statistic` that led to it. The manager may lower the request (memory,
    CPU, latency budgets, pins) but never raises it, and always answers with
    one of the unit's allowed levels. The op must be nested in an `agn.unit`,
    which identifies the unit to the manager.

    The op has side effects (it records telemetry in the runtime), so it is
    neither hoisted nor merged with another call. When the unit allows a
    single level it folds to that level.

    ```mlir
    %granted = agn.arbitrate %requested, %v
    ```
  }];
  let arguments = (ins Index:$requested, F32:$statistic);
  let results = (outs Index:$granted);
  let assemblyFormat = "$requested `,` $statistic attr-dict";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// Returns the unit this op arbitrates for.
    UnitOp getUnit();
  }];
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def AGN_QuantizeOp : AGN_Op<"quantize", [Pure]> {
  let summary = "symmetric quantization with computed scales";
  let description = [{
    Quantizes `input` symmetrically and returns the stored values and the
    scales, such that `input ~= stored * scale`.

    Granularity: with neither `axis` nor `block`, one scale for the whole
    tensor (`scales` is a 0-d tensor); with `axis` only, one scale per index
    along that axis (per output channel for weights, per row for
    activations; `scales` has that dimension only); with `axis` and `block`,
    one scale per `block` consecutive elements along `axis` (`scales` has the
    input's shape with that dimension divided by `block`, which must divide
    it).

    Storage: for `i8` and `i4` the result element type is that integer type;
    `scale = max|x| / qmax` over each group (qmax = 127 or 7, scale 1 for an
    all-zero group) and `stored = clamp(round_half_even(x / scale), -qmax,
    qmax)`. In memory `i4` is packed two values per byte along the innermost
    dimension, which must therefore have an even size. For float storage
    (`f32`, `f16`, `bf16`) the values are converted as they are and every
    scale is 1.

    ```mlir
    %q, %s = agn.quantize %w axis 0 block 32
        : tensor<256x128xf32> -> tensor<256x128xi4>, tensor<8x128xf32>
    ```
  }];
  let arguments = (ins
    AGN_FloatTensor:$input,
    OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$axis,
    OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$block
  );
  let results = (outs AnyRankedTensor:$stored, RankedTensorOf<[F32]>:$scales);
  let assemblyFormat = [{
    $input (`axis` $axis^)? (`block` $block^)? attr-dict `:` type($input)
    `->` type($stored) `,` type($scales)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def AGN_DequantizeOp : AGN_Op<"dequantize", [Pure]> {
  let summary = "the inverse of agn.quantize";
  let description = [{
    Returns `stored * scale` as a float tensor, with the same granularity
    (`axis`, `block`) conventions as `agn.quantize`. Dequantizing the result
    of an `f32` quantization folds to the original input.

    ```mlir
    %w2 = agn.dequantize %q, %s axis 0 block 32
        : tensor<256x128xi4>, tensor<8x128xf32> -> tensor<256x128xf32>
    ```
  }];
  let arguments = (ins
    AnyRankedTensor:$stored,
    RankedTensorOf<[F32]>:$scales,
    OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$axis,
    OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$block
  );
  let results = (outs AGN_FloatTensor:$result);
  let assemblyFormat = [{
    $stored `,` $scales (`axis` $axis^)? (`block` $block^)? attr-dict `:`
    type($stored) `,` type($scales) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// RequantizeOp
//===----------------------------------------------------------------------===//

def AGN_RequantizeOp : AGN_Op<"requantize", [
    RecursiveMemoryEffects, SingleBlock]> {
  let summary = "quantizes what a monotone epilogue computes from integer "
                "accumulators";
  let description = [{
    The inter-layer precision protocol: a producer that computes integer
    accumulators (an i8 or i4 matmul or convolution) hands its consumer the
    quantized values directly, instead of dequantizing them to a float
    tensor that the consumer then quantizes again.

    Returns what `agn.quantize` (same `axis`, integer storage) returns for
    the float tensor `y` that `body` computes elementwise:
    `y[i] = body(accumulator[i], inputs[0][m0(i)], inputs[1][m1(i)], ...)`,
    where `mK` is the K-th of `maps`. The maps send the accumulator's indices
    to an input's: each result is an index (a dimension) or the constant 0.
    The bits are those of the two-step form, NaN and infinities included.

    The body must be monotone in the accumulator: every op that uses it, or a
    value computed from it, is one of `arith.sitofp`, `extf`, `truncf`,
    `addf`, `subf`, `mulf`, `divf` (as the dividend), `negf`, `maximumf`,
    `minimumf`, `maxnumf` or `minnumf`, and has one such operand; the other
    ops are pure `arith` ops. No op carries fast-math flags: the lowering
    evaluates the body in several places, which must round alike. The largest magnitude of `y` over the elements
    that share every input value (one channel of one image, for a per-channel
    scale, bias and clip) is then reached at their smallest or largest
    accumulator, so the scales come from those two per group instead of from
    a pass over `y`; where a value of the body is not finite at either end,
    the lowering computes `y` to find them.

    `agn-exchange-quantized` forms it from a producer's dequantization and
    epilogue and its consumer's `agn.quantize`.

    ```mlir
    // y = clamp(float(acc) * (sx * sw[c]) + bias[c], 0, 6), quantized to i8
    // with one scale per image.
    %q, %s = agn.requantize %acc ins(%sx, %sw, %bias
        : tensor<1xf32>, tensor<16xf32>, tensor<16xf32>) axis 0
        maps [affine_map<(n, c, h, w) -> (n)>, affine_map<(n, c, h, w) -> (c)>,
              affine_map<(n, c, h, w) -> (c)>]
        : tensor<1x16x8x8xi32> -> tensor<1x16x8x8xi8>, tensor<1xf32> {
    ^bb0(%a: i32, %x: f32, %w: f32, %b: f32):
      %f = arith.sitofp %a : i32 to f32
      %m = arith.mulf %x, %w : f32
      %d = arith.mulf %f, %m : f32
      %e = arith.addf %d, %b : f32
      %zero = arith.constant 0.0 : f32
      %six = arith.constant 6.0 : f32
      %lo = arith.maximumf %e, %zero : f32
      %hi = arith.minimumf %lo, %six : f32
      agn.yield %hi : f32
    }
    ```
  }];
  let arguments = (ins
    RankedTensorOf<[AnySignlessInteger]>:$accumulator,
    Variadic<AnyRankedTensor>:$inputs,
    OptionalAttr<AffineMapArrayAttr>:$maps,
    OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$axis
  );
  let results = (outs RankedTensorOf<[AnySignlessInteger]>:$stored,
                      RankedTensorOf<[F32]>:$scales);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $accumulator (`ins` `(` $inputs^ `:` type($inputs) `)`)? (`axis` $axis^)?
    (`maps` $maps^)? attr-dict `:` type($accumulator) `->` type($stored) `,`
    type($scales) $body
  }];
  let extraClassDeclaration = [{
    /// The maps of `inputs` (none when there are no inputs).
    SmallVector<AffineMap> getInputMaps();
    /// The value the body yields.
    Value getYieldedValue();
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

//===----------------------------------------------------------------------===//
// DispatchOp
//===----------------------------------------------------------------------===//

def AGN_DispatchOp : AGN_Op<"dispatch", [
    RecursiveMemoryEffects, NoRegionArguments, SingleBlock]> {
  let summary = "one version of a computation per precision level";
  let description = [{
    Runs one of its regions, chosen by the run-time `level` (an `index`
    holding a level's ordinal), and returns what that region yields. Each
    region is a `case` for one level of `levels` (strictly increasing); all
    regions yield the op's result types.

    The case run is the least precise case at or above `level`, or the most
    precise case when `level` is above every case: a level the dispatch has no
    version for never loses precision and never has undefined behaviour.

    Inside an `agn.unit` the cases must be exactly the unit's allowed levels.
    A constant `level` folds the op to the chosen region, so a deployment with
    a fixed level pays nothing for adaptivity.

    ```mlir
    %r = agn.dispatch %level -> tensor<4x16xf32>
    case i8 {
      ...
      agn.yield %a : tensor<4x16xf32>
    }
    case f32 {
      ...
      agn.yield %b : tensor<4x16xf32>
    }
    ```
  }];
  let arguments = (ins Index:$level, AGN_PrecisionArrayAttr:$levels);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region VariadicRegion<SizedRegion<1>>:$cases);
  let assemblyFormat = [{
    $level attr-dict (`->` type($results)^)? ``
    custom<DispatchCases>($levels, $cases)
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// Returns the case levels as enum values, in increasing order.
    llvm::SmallVector<Precision> getLevelValues();

    /// Returns the index of the case that runs for the level ordinal `level`.
    unsigned getCaseIndexFor(int64_t level);

    /// Replaces this op with the body of case `index` (the level is known).
    void inlineCase(::mlir::RewriterBase &rewriter, unsigned index);
  }];
}

#endif // AGN_DIALECT_AGN_IR_AGNOPS_TD
