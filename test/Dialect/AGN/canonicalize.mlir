// RUN: agn-opt %s -split-input-file -canonicalize | FileCheck %s

// agn.dispatch on a constant level becomes the chosen case: the least precise
// case at or above the level, or the most precise case when the level is
// above every case.

// CHECK-LABEL: func.func @dispatch_constant_exact
// CHECK-NOT: agn.dispatch
// CHECK: %[[C:.*]] = arith.constant 8.000000e+00 : f32
// CHECK: return %[[C]]
func.func @dispatch_constant_exact() -> f32 {
  %level = arith.constant 1 : index  // i8
  %r = agn.dispatch %level -> f32
  case i4 {
    %a = arith.constant 4.0 : f32
    agn.yield %a : f32
  }
  case i8 {
    %a = arith.constant 8.0 : f32
    agn.yield %a : f32
  }
  case f32 {
    %a = arith.constant 32.0 : f32
    agn.yield %a : f32
  }
  return %r : f32
}

// CHECK-LABEL: func.func @dispatch_constant_rounds_up
// CHECK-NOT: agn.dispatch
// CHECK: %[[C:.*]] = arith.constant 3.200000e+01 : f32
// CHECK: return %[[C]]
func.func @dispatch_constant_rounds_up() -> f32 {
  %level = arith.constant 2 : index  // bf16: no case, f32 is next above
  %r = agn.dispatch %level -> f32
  case i8 {
    %a = arith.constant 8.0 : f32
    agn.yield %a : f32
  }
  case f32 {
    %a = arith.constant 32.0 : f32
    agn.yield %a : f32
  }
  return %r : f32
}

// CHECK-LABEL: func.func @dispatch_constant_above_all
// CHECK-NOT: agn.dispatch
// CHECK: %[[C:.*]] = arith.constant 8.000000e+00 : f32
// CHECK: return %[[C]]
func.func @dispatch_constant_above_all() -> f32 {
  %level = arith.constant 4 : index  // f32: above every case
  %r = agn.dispatch %level -> f32
  case i4 {
    %a = arith.constant 4.0 : f32
    agn.yield %a : f32
  }
  case i8 {
    %a = arith.constant 8.0 : f32
    agn.yield %a : f32
  }
  return %r : f32
}

// CHECK-LABEL: func.func @dispatch_single_case
// CHECK-SAME: (%[[L:.*]]: index, %[[X:.*]]: f32)
// CHECK-NOT: agn.dispatch
// CHECK: %[[M:.*]] = arith.mulf %[[X]], %[[X]]
// CHECK: return %[[M]]
func.func @dispatch_single_case(%level: index, %x: f32) -> f32 {
  %r = agn.dispatch %level -> f32
  case bf16 {
    %m = arith.mulf %x, %x : f32
    agn.yield %m : f32
  }
  return %r : f32
}

// CHECK-LABEL: func.func @dispatch_unknown_level_stays
// CHECK: agn.dispatch
// CHECK: case i8
// CHECK: case f32
func.func @dispatch_unknown_level_stays(%level: index, %x: f32) -> f32 {
  %r = agn.dispatch %level -> f32
  case i8 {
    agn.yield %x : f32
  }
  case f32 {
    %m = arith.mulf %x, %x : f32
    agn.yield %m : f32
  }
  return %r : f32
}

// -----

// agn.select with one allowed level is that level, whatever the statistic.
// CHECK-LABEL: func.func @select_single_level
// CHECK: %[[C:.*]] = arith.constant 1 : index
// CHECK: return %[[C]]
func.func @select_single_level(%s: f32) -> index {
  %l = agn.select %s policy #agn.policy<levels = [i8], thresholds = []>
  return %l : index
}

// Constant statistics select by the thresholds: below the first -> i8 (1),
// between -> bf16 (2), at the last threshold or above -> f32 (4).
// CHECK-LABEL: func.func @select_constant_statistic
// CHECK-DAG: %[[I8:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[BF16:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[F32:.*]] = arith.constant 4 : index
// CHECK: return %[[I8]], %[[BF16]], %[[F32]], %[[F32]], %[[F32]]
func.func @select_constant_statistic() -> (index, index, index, index, index) {
  %low = arith.constant 0.01 : f32
  %mid = arith.constant 0.1 : f32
  %edge = arith.constant 0.5 : f32
  %high = arith.constant 7.0 : f32
  %nan = arith.constant 0x7FC00000 : f32
  %a = agn.select %low policy #agn.policy<levels = [i8, bf16, f32], thresholds = [0.05, 0.5]>
  %b = agn.select %mid policy #agn.policy<levels = [i8, bf16, f32], thresholds = [0.05, 0.5]>
  %c = agn.select %edge policy #agn.policy<levels = [i8, bf16, f32], thresholds = [0.05, 0.5]>
  %d = agn.select %high policy #agn.policy<levels = [i8, bf16, f32], thresholds = [0.05, 0.5]>
  // NaN in the input must never pick a low level.
  %e = agn.select %nan policy #agn.policy<levels = [i8, bf16, f32], thresholds = [0.05, 0.5]>
  return %a, %b, %c, %d, %e : index, index, index, index, index
}

// Hysteresis 0.2 around threshold 1.0: from i8 the statistic must reach 1.2
// to move up; from f32 it must fall below 0.8 to move down.
// CHECK-LABEL: func.func @select_hysteresis
// CHECK-DAG: %[[I8:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[F32:.*]] = arith.constant 4 : index
// CHECK: return %[[I8]], %[[F32]], %[[F32]], %[[I8]], %[[I8]]
func.func @select_hysteresis() -> (index, index, index, index, index) {
  %i8 = arith.constant 1 : index
  %f32 = arith.constant 4 : index
  %s11 = arith.constant 1.1 : f32
  %s13 = arith.constant 1.3 : f32
  %s09 = arith.constant 0.9 : f32
  %s07 = arith.constant 0.7 : f32
  // From i8 at 1.1: inside the band, stay at i8.
  %a = agn.select %s11 previous %i8 policy #agn.policy<levels = [i8, f32], thresholds = [1.0], hysteresis = 0.2>
  // From i8 at 1.3: above 1.2, move up.
  %b = agn.select %s13 previous %i8 policy #agn.policy<levels = [i8, f32], thresholds = [1.0], hysteresis = 0.2>
  // From f32 at 0.9: inside the band, stay at f32.
  %c = agn.select %s09 previous %f32 policy #agn.policy<levels = [i8, f32], thresholds = [1.0], hysteresis = 0.2>
  // From f32 at 0.7: below 0.8, move down.
  %d = agn.select %s07 previous %f32 policy #agn.policy<levels = [i8, f32], thresholds = [1.0], hysteresis = 0.2>
  // Without a previous level the bands apply as they are: 0.9 < 1.0 -> i8.
  %e = agn.select %s09 policy #agn.policy<levels = [i8, f32], thresholds = [1.0], hysteresis = 0.2>
  return %a, %b, %c, %d, %e : index, index, index, index, index
}

// CHECK-LABEL: func.func @select_unknown_statistic_stays
// CHECK: agn.select
func.func @select_unknown_statistic_stays(%s: f32) -> index {
  %l = agn.select %s policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
  return %l : index
}

// -----

// Statistics of constants fold to their exact value (the float64 reference).
// CHECK-LABEL: func.func @statistics_of_constants
// CHECK-DAG: %[[V:.*]] = arith.constant 1.250000e+00 : f32
// CHECK-DAG: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[VS:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[M:.*]] = arith.constant 4.000000e+00 : f32
// CHECK-DAG: %[[MS:.*]] = arith.constant 3.000000e+00 : f32
// CHECK-DAG: %[[NAN:.*]] = arith.constant 0x7FC00000 : f32
// CHECK: return %[[V]], %[[Z]], %[[VS]], %[[M]], %[[MS]], %[[NAN]], %[[NAN]]
func.func @statistics_of_constants() -> (f32, f32, f32, f32, f32, f32, f32) {
  %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %n = arith.constant dense<[[-1.0, -4.0], [3.0, 2.0]]> : tensor<2x2xf32>
  %s = arith.constant dense<5.0> : tensor<16xf32>
  %bad = arith.constant dense<[1.0, 0x7FC00000, 3.0, 4.0]> : tensor<4xf32>
  %v = agn.variance %c : tensor<4xf32>
  %z = agn.variance %s : tensor<16xf32>
  // Stride 2 samples 1.0 and 3.0: variance 1.
  %vs = agn.variance %c stride 2 : tensor<4xf32>
  %m = agn.abs_max %n : tensor<2x2xf32>
  // Stride 2 samples -1.0 and 3.0.
  %ms = agn.abs_max %n stride 2 : tensor<2x2xf32>
  %vn = agn.variance %bad : tensor<4xf32>
  %mn = agn.abs_max %bad : tensor<4xf32>
  return %v, %z, %vs, %m, %ms, %vn, %mn : f32, f32, f32, f32, f32, f32, f32
}

// -----

// dequantize(quantize(x)) at f32 storage is x.
// CHECK-LABEL: func.func @quantize_f32_roundtrip
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK-NEXT: return %[[X]]
func.func @quantize_f32_roundtrip(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %q, %s = agn.quantize %x axis 1 : tensor<4x8xf32> -> tensor<4x8xf32>, tensor<8xf32>
  %d = agn.dequantize %q, %s axis 1 : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}

// At i8 the pair loses precision and must stay.
// CHECK-LABEL: func.func @quantize_i8_roundtrip_stays
// CHECK: agn.quantize
// CHECK: agn.dequantize
func.func @quantize_i8_roundtrip_stays(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %q, %s = agn.quantize %x axis 1 : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<8xf32>
  %d = agn.dequantize %q, %s axis 1 : tensor<4x8xi8>, tensor<8xf32> -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}

// Scales from another quantization: not the inverse, must stay.
// CHECK-LABEL: func.func @quantize_f32_other_scales_stays
// CHECK: agn.dequantize
func.func @quantize_f32_other_scales_stays(%x: tensor<4x8xf32>, %t: tensor<8xf32>) -> tensor<4x8xf32> {
  %q, %s = agn.quantize %x axis 1 : tensor<4x8xf32> -> tensor<4x8xf32>, tensor<8xf32>
  %d = agn.dequantize %q, %t axis 1 : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}

// Unused quantizations are pure and go away.
// CHECK-LABEL: func.func @quantize_dead
// CHECK-NOT: agn.quantize
func.func @quantize_dead(%x: tensor<4x8xf32>) {
  %q, %s = agn.quantize %x axis 1 : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<8xf32>
  return
}

// -----

// A unit with a single level needs no arbitration, and its dispatch is the
// one version.
// CHECK-LABEL: func.func @unit_single_level
// CHECK: agn.unit "u" levels [bf16]
// CHECK-NOT: agn.arbitrate
// CHECK-NOT: agn.dispatch
// CHECK: %[[M:.*]] = arith.mulf
// CHECK: agn.yield %[[M]]
func.func @unit_single_level(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> {
  %y = agn.unit "u" levels [bf16] policy #agn.policy<levels = [bf16], thresholds = []>
      ins(%x, %w : tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<4xf32>):
    %v = agn.variance %a : tensor<4xf32>
    %r = agn.select %v policy #agn.policy<levels = [bf16], thresholds = []>
    %g = agn.arbitrate %r, %v
    %o = agn.dispatch %g -> tensor<4xf32>
    case bf16 {
      %m = arith.mulf %a, %b : tensor<4xf32>
      agn.yield %m : tensor<4xf32>
    }
    agn.yield %o : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}

// With several levels the arbitration is a run-time decision and stays, even
// when its result is unused (it records telemetry).
// CHECK-LABEL: func.func @unit_arbitrate_stays
// CHECK: agn.arbitrate
func.func @unit_arbitrate_stays(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> {
  %y = agn.unit "u" levels [i8, f32] policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
      ins(%x, %w : tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<4xf32>):
    %v = agn.variance %a : tensor<4xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
    %g = agn.arbitrate %r, %v
    agn.yield %a : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}
