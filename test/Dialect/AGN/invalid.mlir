// RUN: agn-opt %s -split-input-file -verify-diagnostics

// One case per verifier rule of the agn dialect. Each message names the
// operand or attribute at fault and the rule it breaks.

func.func @unit_empty_name(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{'agn.unit' op needs a non-empty name}}
  %y = agn.unit "" levels [f32] policy #agn.policy<levels = [f32], thresholds = []>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>):
    agn.yield %a : tensor<4x8xf32>
  }
  return
}

// -----

func.func @unit_levels_not_increasing(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{'levels' must be strictly increasing (i4 < i8 < bf16 < f16 < f32), but i8 follows f32}}
  %y = agn.unit "u" levels [f32, i8] policy #agn.policy<levels = [f32], thresholds = []>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>):
    agn.yield %a : tensor<4x8xf32>
  }
  return
}

// -----

func.func @unit_levels_duplicate(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{'levels' must be strictly increasing (i4 < i8 < bf16 < f16 < f32), but i8 follows i8}}
  %y = agn.unit "u" levels [i8, i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>):
    agn.yield %a : tensor<4x8xf32>
  }
  return
}

// -----

func.func @unit_levels_empty(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{'levels' must name at least one precision level}}
  %y = agn.unit "u" levels [] policy #agn.policy<levels = [f32], thresholds = []>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>):
    agn.yield %a : tensor<4x8xf32>
  }
  return
}

// -----

func.func @unit_policy_level_not_allowed(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{policy level i4 is not among the unit's levels; add it to 'levels' or remove it from the policy}}
  %y = agn.unit "u" levels [i8, f32] policy #agn.policy<levels = [i4, f32], thresholds = [1.0]>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>):
    agn.yield %a : tensor<4x8xf32>
  }
  return
}

// -----

func.func @unit_costs_count(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{'costs' must have one entry per allowed level (2), got 1}}
  %y = agn.unit "u" levels [i8, f32] policy #agn.policy<levels = [f32], thresholds = []>
      costs [#agn.cost<f32, weight_bytes = 128, macs = 128>]
      ins(%x, %w : tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>):
    agn.yield %a : tensor<4x8xf32>
  }
  return
}

// -----

func.func @unit_costs_order(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{'costs' entry for f32 found where the entry for i8 belongs; list costs in the order of 'levels'}}
  %y = agn.unit "u" levels [i8, f32] policy #agn.policy<levels = [f32], thresholds = []>
      costs [#agn.cost<f32, weight_bytes = 128, macs = 128>, #agn.cost<i8, weight_bytes = 32, macs = 128>]
      ins(%x, %w : tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>):
    agn.yield %a : tensor<4x8xf32>
  }
  return
}

// -----

func.func @unit_block_arguments(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{body arguments ('tensor<4x8xf32>') must match the operands (input, weight[, bias][, input_scales]) ('tensor<4x8xf32>', 'tensor<8x4xf32>')}}
  %y = agn.unit "u" levels [f32] policy #agn.policy<levels = [f32], thresholds = []>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    agn.yield %a : tensor<4x8xf32>
  }
  return
}

// -----

func.func @unit_yield_types(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{body yields ('tensor<8x4xf32>') but the op returns ('tensor<4x8xf32>'); make agn.yield return the op's result types}}
  %y = agn.unit "u" levels [f32] policy #agn.policy<levels = [f32], thresholds = []>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>):
    // expected-note @+1 {{agn.yield is here}}
    agn.yield %b : tensor<8x4xf32>
  }
  return
}

// -----

func.func @unit_captures_value(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) {
  // expected-note @+1 {{required by region isolation constraints}}
  %y = agn.unit "u" levels [f32] policy #agn.policy<levels = [f32], thresholds = []>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>):
    // expected-error @+1 {{using value defined outside the region}}
    agn.yield %x : tensor<4x8xf32>
  }
  return
}

// -----

func.func @unit_operand_not_tensor(%x: memref<4x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of any type values}}
  %y = "agn.unit"(%x, %w) <{levels = [#agn.precision<f32>], policy = #agn.policy<levels = [f32], thresholds = []>, unit_name = "u", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> ({
  ^bb0(%a: memref<4x8xf32>, %b: tensor<8x4xf32>):
    agn.yield %b : tensor<8x4xf32>
  }) : (memref<4x8xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  return
}

// -----

// expected-error @+1 {{policy 'thresholds' must have one fewer entry than 'levels' (expected 2, got 1)}}
func.func @policy_threshold_count() attributes {p = #agn.policy<levels = [i8, bf16, f32], thresholds = [0.5]>} {
  return
}

// -----

// expected-error @+1 {{policy 'thresholds' must be strictly increasing, but threshold #1 (1.000000e-01) is not above #0 (5.000000e-01)}}
func.func @policy_thresholds_not_increasing() attributes {p = #agn.policy<levels = [i8, bf16, f32], thresholds = [0.5, 0.1]>} {
  return
}

// -----

// expected-error @+1 {{policy threshold #0 (-1.000000e+00) must be finite and non-negative: statistics are non-negative}}
func.func @policy_threshold_negative() attributes {p = #agn.policy<levels = [i8, f32], thresholds = [-1.0]>} {
  return
}

// -----

// expected-error @+1 {{policy 'hysteresis' must be in [0, 1), got 1.000000e+00}}
func.func @policy_hysteresis_range() attributes {p = #agn.policy<levels = [i8, f32], thresholds = [1.0], hysteresis = 1.0>} {
  return
}

// -----

// expected-error @+1 {{policy 'levels' must be strictly increasing (i4 < i8 < bf16 < f16 < f32), but i8 follows f32}}
func.func @policy_levels_order() attributes {p = #agn.policy<levels = [f32, i8], thresholds = [1.0]>} {
  return
}

// -----

// expected-error @+1 {{unknown policy key 'threshold'; expected statistic, levels, thresholds or hysteresis}}
func.func @policy_unknown_key() attributes {p = #agn.policy<levels = [f32], threshold = []>} {
  return
}

// -----

// expected-error @+1 {{policy key 'levels' given more than once}}
func.func @policy_duplicate_key() attributes {p = #agn.policy<levels = [f32], levels = [f32], thresholds = []>} {
  return
}

// -----

// expected-error @+1 {{policy is missing 'thresholds'}}
func.func @policy_missing_key() attributes {p = #agn.policy<levels = [f32]>} {
  return
}

// -----

// expected-error @+1 {{unknown statistic 'mean'; expected 'variance' or 'abs_max'}}
func.func @policy_unknown_statistic() attributes {p = #agn.policy<statistic = mean, levels = [f32], thresholds = []>} {
  return
}

// -----

// expected-error @+1 {{unknown precision level 'i16'; expected one of i4, i8, bf16, f16, f32}}
func.func @policy_unknown_level() attributes {p = #agn.policy<levels = [i16], thresholds = []>} {
  return
}

// -----

// expected-error @+2 {{expected ::mlir::agn::Precision to be one of: i4, i8, bf16, f16, f32}}
// expected-error @+1 {{failed to parse AGN_PrecisionAttr parameter 'value'}}
func.func @precision_unknown() attributes {p = #agn.precision<f64>} {
  return
}

// -----

func.func @variance_stride_zero(%x: tensor<8xf32>) -> f32 {
  // expected-error @+1 {{attribute 'stride' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %v = agn.variance %x stride 0 : tensor<8xf32>
  return %v : f32
}

// -----

func.func @variance_integer_input(%x: tensor<8xi8>) -> f32 {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %v = agn.variance %x : tensor<8xi8>
  return %v : f32
}

// -----

func.func @abs_max_stride_negative(%x: tensor<8xf32>) -> f32 {
  // expected-error @+1 {{attribute 'stride' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %v = agn.abs_max %x stride -2 : tensor<8xf32>
  return %v : f32
}

// -----

func.func @select_statistic_type(%s: f64) -> index {
  // expected-error @+1 {{operand #0 must be 32-bit float}}
  %l = "agn.select"(%s) <{policy = #agn.policy<levels = [f32], thresholds = []>}> : (f64) -> index
  return %l : index
}

// -----

func.func @arbitrate_outside_unit(%r: index, %s: f32) -> index {
  // expected-error @+1 {{'agn.arbitrate' op must be nested in an agn.unit: the enclosing unit identifies the request to the resource manager}}
  %g = agn.arbitrate %r, %s
  return %g : index
}

// -----

func.func @quantize_shape(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{float and stored tensors must have the same shape, got 'tensor<4x8xf32>' and 'tensor<8x4xi8>'}}
  %q, %s = agn.quantize %x : tensor<4x8xf32> -> tensor<8x4xi8>, tensor<f32>
  return
}

// -----

func.func @quantize_storage_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{stored element type must be i8, i4, f16, bf16 or f32, got 'i16'}}
  %q, %s = agn.quantize %x : tensor<4x8xf32> -> tensor<4x8xi16>, tensor<f32>
  return
}

// -----

func.func @quantize_i4_odd_inner_dim(%x: tensor<4x7xf32>) {
  // expected-error @+1 {{i4 values are packed two per byte along the innermost dimension, which must be even; got 7}}
  %q, %s = agn.quantize %x : tensor<4x7xf32> -> tensor<4x7xi4>, tensor<f32>
  return
}

// -----

func.func @quantize_block_without_axis(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'block' needs an 'axis' to split into blocks}}
  %q, %s = agn.quantize %x block 4 : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<4x2xf32>
  return
}

// -----

func.func @quantize_per_tensor_scales(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{per-tensor quantization takes a 0-d scales tensor (tensor<f32>), got 'tensor<1xf32>'}}
  %q, %s = agn.quantize %x : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<1xf32>
  return
}

// -----

func.func @quantize_axis_out_of_range(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'axis' 2 is out of range for a tensor of rank 2}}
  %q, %s = agn.quantize %x axis 2 : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<4xf32>
  return
}

// -----

func.func @quantize_negative_axis(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{attribute 'axis' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %q, %s = agn.quantize %x axis -1 : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<4xf32>
  return
}

// -----

func.func @quantize_per_channel_rank(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{per-channel quantization along axis 1 takes a 1-d scales tensor, got 'tensor<1x8xf32>'}}
  %q, %s = agn.quantize %x axis 1 : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<1x8xf32>
  return
}

// -----

func.func @quantize_per_channel_size(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{per-channel scales must have one entry per index along axis 1 (8), got 4}}
  %q, %s = agn.quantize %x axis 1 : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<4xf32>
  return
}

// -----

func.func @quantize_block_does_not_divide(%x: tensor<4x100xf32>) {
  // expected-error @+1 {{block size 32 does not divide dimension 1 of size 100; pick a block size that divides it}}
  %q, %s = agn.quantize %x axis 1 block 32 : tensor<4x100xf32> -> tensor<4x100xi4>, tensor<4x3xf32>
  return
}

// -----

func.func @quantize_block_scales_rank(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{per-block scales must have the rank of the values (2), got 'tensor<8xf32>'}}
  %q, %s = agn.quantize %x axis 1 block 32 : tensor<4x64xf32> -> tensor<4x64xi4>, tensor<8xf32>
  return
}

// -----

func.func @quantize_block_scales_shape(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{per-block scales dimension 1 must be 2, got 4}}
  %q, %s = agn.quantize %x axis 1 block 32 : tensor<4x64xf32> -> tensor<4x64xi4>, tensor<4x4xf32>
  return
}

// -----

func.func @quantize_scales_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{result #1 must be ranked tensor of 32-bit float values}}
  %q, %s = "agn.quantize"(%x) : (tensor<4x8xf32>) -> (tensor<4x8xi8>, tensor<f16>)
  return
}

// -----

func.func @dequantize_shape(%q: tensor<4x8xi8>, %s: tensor<f32>) {
  // expected-error @+1 {{float and stored tensors must have the same shape, got 'tensor<4x4xf32>' and 'tensor<4x8xi8>'}}
  %d = agn.dequantize %q, %s : tensor<4x8xi8>, tensor<f32> -> tensor<4x4xf32>
  return
}

// -----

func.func @dequantize_axis(%q: tensor<4x8xi8>, %s: tensor<8xf32>) {
  // expected-error @+1 {{'axis' 3 is out of range for a tensor of rank 2}}
  %d = agn.dequantize %q, %s axis 3 : tensor<4x8xi8>, tensor<8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @dequantize_block(%q: tensor<4x96xi4>, %s: tensor<4x2xf32>) {
  // expected-error @+1 {{block size 64 does not divide dimension 1 of size 96; pick a block size that divides it}}
  %d = agn.dequantize %q, %s axis 1 block 64 : tensor<4x96xi4>, tensor<4x2xf32> -> tensor<4x96xf32>
  return
}

// -----

func.func @dispatch_cases_not_increasing(%l: index, %x: f32) -> f32 {
  // expected-error @+1 {{cases must be strictly increasing (i4 < i8 < bf16 < f16 < f32), but i8 follows f32}}
  %r = agn.dispatch %l -> f32
  case f32 {
    agn.yield %x : f32
  }
  case i8 {
    agn.yield %x : f32
  }
  return %r : f32
}

// -----

func.func @dispatch_no_cases(%l: index) {
  // expected-error @+1 {{cases must name at least one precision level}}
  agn.dispatch %l
  return
}

// -----

func.func @dispatch_region_count(%l: index, %x: f32) -> f32 {
  // expected-error @+1 {{has 1 regions but 2 case levels}}
  %r = "agn.dispatch"(%l) <{levels = [#agn.precision<i8>, #agn.precision<f32>]}> ({
    agn.yield %x : f32
  }) : (index) -> f32
  return %r : f32
}

// -----

func.func @dispatch_yield_types(%l: index, %x: f32) -> f32 {
  // expected-error @+1 {{case i8 yields ('i32') but the op returns ('f32'); make agn.yield return the op's result types}}
  %r = agn.dispatch %l -> f32
  case i8 {
    %c = arith.constant 0 : i32
    // expected-note @+1 {{agn.yield is here}}
    agn.yield %c : i32
  }
  case f32 {
    agn.yield %x : f32
  }
  return %r : f32
}

// -----

func.func @dispatch_lacks_unit_level(%x: tensor<4xf32>, %w: tensor<4xf32>) {
  %y = agn.unit "u" levels [i8, bf16, f32] policy #agn.policy<levels = [f32], thresholds = []>
      ins(%x, %w : tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<4xf32>):
    %l = arith.constant 4 : index
    // expected-error @+1 {{has no case for level bf16, which the enclosing unit 'u' allows; add a 'case bf16' region}}
    %r = agn.dispatch %l -> tensor<4xf32>
    case i8 {
      agn.yield %a : tensor<4xf32>
    }
    case f32 {
      agn.yield %a : tensor<4xf32>
    }
    agn.yield %r : tensor<4xf32>
  }
  return
}

// -----

func.func @dispatch_level_not_allowed(%x: tensor<4xf32>, %w: tensor<4xf32>) {
  %y = agn.unit "u" levels [f32] policy #agn.policy<levels = [f32], thresholds = []>
      ins(%x, %w : tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<4xf32>):
    %l = arith.constant 4 : index
    // expected-error @+1 {{has a case for level i4, which the enclosing unit 'u' does not allow}}
    %r = agn.dispatch %l -> tensor<4xf32>
    case i4 {
      agn.yield %a : tensor<4xf32>
    }
    case f32 {
      agn.yield %a : tensor<4xf32>
    }
    agn.yield %r : tensor<4xf32>
  }
  return
}

// -----

func.func @dispatch_unknown_case(%l: index) {
  // expected-error @+2 {{unknown precision level 'f64'; expected one of i4, i8, bf16, f16, f32}}
  agn.dispatch %l
  case f64 {
    agn.yield
  }
  return
}

// -----

func.func @yield_outside_parent(%x: f32) {
  // expected-error @+1 {{'agn.yield' op expects parent op to be one of 'agn.unit, agn.dispatch, agn.requantize'}}
  agn.yield %x : f32
}

// -----

func.func @config_threads(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'threads' must be at least 1, got 0}}
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], threads = 0>}
      ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

func.func @config_tiles(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{a 'register_tiles' kernel needs three 'tile_sizes' (M, N, K), got 2}}
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32]>}
      ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

func.func @config_vnni_panel(%a: tensor<4x8xi8>, %b: tensor<8x16xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  // expected-error @+1 {{a 'vnni' kernel's tiles are (rows, 64, 4) for i8 or (rows, 64, 8) for i4}}
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = vnni, tile_sizes = [4, 32, 4]>}
      ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// -----

func.func @config_signed_dot_step(%a: tensor<4x8xi8>, %b: tensor<8x16xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  // expected-error @+1 {{a 'signed_dot' kernel's tiles are (rows, 64, 4) for i8 or (rows, 64, 8) for i4}}
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = signed_dot, tile_sizes = [1, 32, 4]>}
      ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// -----

func.func @config_widen(%a: tensor<4xf32>, %b: tensor<4xf32>, %c: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'widen_to_f32' applies to 'register_tiles' only}}
  %r = linalg.dot {agn.lowering_config = #agn.lowering_config<kernel = reassociated_sum, widen_to_f32 = true>}
      ins(%a, %b : tensor<4xf32>, tensor<4xf32>) outs(%c : tensor<f32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

func.func @config_pack_b_kernel(%a: tensor<4x8xi8>, %b: tensor<8x64xi8>, %c: tensor<4x64xi32>) -> tensor<4x64xi32> {
  // expected-error @+1 {{'pack_b' applies to 'register_tiles' only}}
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = vnni, tile_sizes = [4, 64, 4], pack_b = true>}
      ins(%a, %b : tensor<4x8xi8>, tensor<8x64xi8>) outs(%c : tensor<4x64xi32>) -> tensor<4x64xi32>
  return %r : tensor<4x64xi32>
}

// -----

func.func @config_pack_b_k_block(%a: tensor<4x8xf32>, %b: tensor<8x64xf32>, %c: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'pack_b' takes 'k_block' 0 and no 'widen_to_f32'}}
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], k_block = 32, pack_b = true>}
      ins(%a, %b : tensor<4x8xf32>, tensor<8x64xf32>) outs(%c : tensor<4x64xf32>) -> tensor<4x64xf32>
  return %r : tensor<4x64xf32>
}

// -----

func.func @config_no_tiles(%a: tensor<4xf32>, %b: tensor<4xf32>, %c: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{a 'reassociated_sum' kernel takes no 'tile_sizes'}}
  %r = linalg.dot {agn.lowering_config = #agn.lowering_config<kernel = reassociated_sum, tile_sizes = [1, 1, 1]>}
      ins(%a, %b : tensor<4xf32>, tensor<4xf32>) outs(%c : tensor<f32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

func.func @blocked_size(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'block_size' must be positive, got 0}}
  %r = arith.addf %a, %a {agn.blocked_matmul = #agn.blocked_matmul<partial_sums, block_size = 0>} : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @config_gpu_simt_threads(%a: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{a 'gpu_simt' kernel needs two 'tile_sizes' (rows, columns) and two 'block_threads' (y, x)}}
  %r = arith.addf %a, %a {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [32, 32]>} : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

func.func @config_gpu_simt_block(%a: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{a GPU block has at most 1024 threads, got 2048}}
  %r = arith.addf %a, %a {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [32, 32], block_threads = [32, 64]>} : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

func.func @config_gpu_mma_tiles(%a: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{a 'gpu_mma_sync' kernel needs 'tile_sizes' (rows, columns, K step) with rows a multiple of 16}}
  %r = arith.addf %a, %a {agn.lowering_config = #agn.lowering_config<kernel = gpu_mma_sync, tile_sizes = [24, 32, 16]>} : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

func.func @config_block_threads_cpu(%a: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'block_threads' applies to 'gpu_simt' only}}
  %r = arith.addf %a, %a {agn.lowering_config = #agn.lowering_config<kernel = gpu_mma_sync, tile_sizes = [64, 32, 16], block_threads = [4, 4]>} : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

func.func @padded_plane_tiles(%a: tensor<4xf32>, %b: tensor<4xf32>, %c: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{a 'padded_plane' kernel needs two 'tile_sizes' (filters, output positions), got 3}}
  %r = linalg.dot {agn.lowering_config = #agn.lowering_config<kernel = padded_plane, tile_sizes = [8, 32, 1]>}
      ins(%a, %b : tensor<4xf32>, tensor<4xf32>) outs(%c : tensor<f32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

func.func @padded_plane_k_block(%a: tensor<4xf32>, %b: tensor<4xf32>, %c: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{a 'padded_plane' kernel takes only 'tile_sizes' and 'threads'}}
  %r = linalg.dot {agn.lowering_config = #agn.lowering_config<kernel = padded_plane, tile_sizes = [8, 32], k_block = 32>}
      ins(%a, %b : tensor<4xf32>, tensor<4xf32>) outs(%c : tensor<f32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

func.func @requantize_storage(%acc: tensor<4xi32>) {
  // expected-error @+1 {{stores i8 or i4 values, got 'i16'; float levels need no requantization}}
  %q, %s = agn.requantize %acc : tensor<4xi32> -> tensor<4xi16>, tensor<f32> {
  ^bb0(%a: i32):
    %f = arith.sitofp %a : i32 to f32
    agn.yield %f : f32
  }
  return
}

// -----

func.func @requantize_missing_map(%acc: tensor<4x2xi32>, %w: tensor<2xf32>) {
  // expected-error @+1 {{needs one map per input (1), got 0}}
  %q, %s = agn.requantize %acc ins(%w : tensor<2xf32>) : tensor<4x2xi32> -> tensor<4x2xi8>, tensor<f32> {
  ^bb0(%a: i32, %b: f32):
    %f = arith.sitofp %a : i32 to f32
    agn.yield %f : f32
  }
  return
}

// -----

func.func @requantize_map_rank(%acc: tensor<4x2xi32>, %w: tensor<2xf32>) {
  // expected-error @+1 {{map 0 must send the accumulator's 2 indices to input 0's 1 without symbols, got affine_map<(d0, d1, d2) -> (d1)>}}
  %q, %s = agn.requantize %acc ins(%w : tensor<2xf32>) maps [affine_map<(d0, d1, d2) -> (d1)>] : tensor<4x2xi32> -> tensor<4x2xi8>, tensor<f32> {
  ^bb0(%a: i32, %b: f32):
    %f = arith.sitofp %a : i32 to f32
    agn.yield %f : f32
  }
  return
}

// -----

func.func @requantize_map_expression(%acc: tensor<4x2xi32>, %w: tensor<2xf32>) {
  // expected-error @+1 {{map 0 result 0 must be an index or the constant 0}}
  %q, %s = agn.requantize %acc ins(%w : tensor<2xf32>) maps [affine_map<(d0, d1) -> (d1 + 1)>] : tensor<4x2xi32> -> tensor<4x2xi8>, tensor<f32> {
  ^bb0(%a: i32, %b: f32):
    %f = arith.sitofp %a : i32 to f32
    agn.yield %f : f32
  }
  return
}

// -----

func.func @requantize_map_constant(%acc: tensor<4x2xi32>, %w: tensor<2xf32>) {
  // expected-error @+1 {{map 0 result 0 is a constant; it must be 0 and read a dimension of size 1, got 0 for size 2}}
  %q, %s = agn.requantize %acc ins(%w : tensor<2xf32>) maps [affine_map<(d0, d1) -> (0)>] : tensor<4x2xi32> -> tensor<4x2xi8>, tensor<f32> {
  ^bb0(%a: i32, %b: f32):
    %f = arith.sitofp %a : i32 to f32
    agn.yield %f : f32
  }
  return
}

// -----

func.func @requantize_input_size(%acc: tensor<4x2xi32>, %w: tensor<3xf32>) {
  // expected-error @+1 {{input 0 dimension 0 has size 3 but map 0 reads it with accumulator index 1 of size 2}}
  %q, %s = agn.requantize %acc ins(%w : tensor<3xf32>) maps [affine_map<(d0, d1) -> (d1)>] : tensor<4x2xi32> -> tensor<4x2xi8>, tensor<f32> {
  ^bb0(%a: i32, %b: f32):
    %f = arith.sitofp %a : i32 to f32
    agn.yield %f : f32
  }
  return
}

// -----

func.func @requantize_scales(%acc: tensor<4x2xi32>) {
  // expected-error @+1 {{per-channel scales must have one entry per index along axis 0 (4), got 2}}
  %q, %s = agn.requantize %acc axis 0 : tensor<4x2xi32> -> tensor<4x2xi8>, tensor<2xf32> {
  ^bb0(%a: i32):
    %f = arith.sitofp %a : i32 to f32
    agn.yield %f : f32
  }
  return
}

// -----

func.func @requantize_body_arguments(%acc: tensor<4x2xi32>) {
  // expected-error @+1 {{body arguments ('i64') must be the element types of the accumulator and the inputs ('i32')}}
  %q, %s = agn.requantize %acc : tensor<4x2xi32> -> tensor<4x2xi8>, tensor<f32> {
  ^bb0(%a: i64):
    %f = arith.sitofp %a : i64 to f32
    agn.yield %f : f32
  }
  return
}

// -----

func.func @requantize_yield(%acc: tensor<4x2xi32>) {
  // expected-error @+1 {{body must end with agn.yield of one float value}}
  %q, %s = agn.requantize %acc : tensor<4x2xi32> -> tensor<4x2xi8>, tensor<f32> {
  ^bb0(%a: i32):
    agn.yield %a : i32
  }
  return
}

// -----

func.func @requantize_square(%acc: tensor<4x2xi32>) {
  %q, %s = agn.requantize %acc : tensor<4x2xi32> -> tensor<4x2xi8>, tensor<f32> {
  ^bb0(%a: i32):
    %f = arith.sitofp %a : i32 to f32
    // expected-error @+1 {{is not monotone in the accumulator}}
    %g = arith.mulf %f, %f : f32
    agn.yield %g : f32
  }
  return
}

// -----

func.func @requantize_divisor(%acc: tensor<4x2xi32>) {
  %q, %s = agn.requantize %acc : tensor<4x2xi32> -> tensor<4x2xi8>, tensor<f32> {
  ^bb0(%a: i32):
    %f = arith.sitofp %a : i32 to f32
    %one = arith.constant 1.0 : f32
    // expected-error @+1 {{only sitofp, extf, truncf, addf, subf, mulf, divf (as the dividend), negf, maximumf, minimumf, maxnumf and minnumf may use it}}
    %g = arith.divf %one, %f : f32
    agn.yield %g : f32
  }
  return
}

// -----

func.func @requantize_not_arith(%acc: tensor<4x2xi32>) {
  %q, %s = agn.requantize %acc : tensor<4x2xi32> -> tensor<4x2xi8>, tensor<f32> {
  ^bb0(%a: i32):
    %f = arith.sitofp %a : i32 to f32
    // expected-error @+1 {{cannot be in an agn.requantize body, which holds pure arith ops only}}
    %g = math.exp %f : f32
    agn.yield %g : f32
  }
  return
}

// -----

func.func @unit_input_scales_float(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{with 'input_scales' takes quantized i8 or i4 input values, got 'f32'; pass the float input without scales}}
  %y = agn.unit "u" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x4xf32>) input_scales(%s : tensor<f32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>, %c: tensor<f32>):
    %e = tensor.empty() : tensor<4x4xf32>
    agn.yield %e : tensor<4x4xf32>
  }
  return
}

// -----

func.func @unit_input_scales_rank(%x: tensor<4x8xi8>, %w: tensor<8x4xf32>, %s: tensor<4x8xf32>) {
  // expected-error @+1 {{'input_scales' holds one scale per tensor or per index along one axis (rank 0 or 1), got 'tensor<4x8xf32>'}}
  %y = agn.unit "u" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<4x8xi8>, tensor<8x4xf32>) input_scales(%s : tensor<4x8xf32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x8xi8>, %b: tensor<8x4xf32>, %c: tensor<4x8xf32>):
    %e = tensor.empty() : tensor<4x4xf32>
    agn.yield %e : tensor<4x4xf32>
  }
  return
}

// -----

func.func @requantize_fast_math(%acc: tensor<4x2xi32>) {
  %q, %s = agn.requantize %acc : tensor<4x2xi32> -> tensor<4x2xi8>, tensor<f32> {
  ^bb0(%a: i32):
    %f = arith.sitofp %a : i32 to f32
    %two = arith.constant 2.0 : f32
    // expected-error @+1 {{has fast-math flags, which agn.requantize's body may not carry}}
    %g = arith.mulf %f, %two fastmath<contract> : f32
    agn.yield %g : f32
  }
  return
}

// -----

func.func @unit_input_scales_levels(%x: tensor<4x8xi8>, %w: tensor<8x4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{with 'input_scales' runs at one level, got 2; a unit that chooses its level measures a float input}}
  %y = agn.unit "u" levels [i8, f32] policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
      ins(%x, %w : tensor<4x8xi8>, tensor<8x4xf32>) input_scales(%s : tensor<f32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x8xi8>, %b: tensor<8x4xf32>, %c: tensor<f32>):
    %e = tensor.empty() : tensor<4x4xf32>
    agn.yield %e : tensor<4x4xf32>
  }
  return
}
