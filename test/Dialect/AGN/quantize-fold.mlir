// RUN: agn-opt %s -canonicalize | FileCheck %s

// agn.quantize of a constant folds to the stored values and scales the op
// computes at run time: scale = max|x| / qmax per group (qmax 127 for i8, 7
// for i4; 1 for an all-zero group), stored = clamp(round_half_even(x /
// scale), -qmax, qmax); float storage rounds to nearest even, scales 1.
// NaN, infinities and float overflow are left to run time.

// Per tensor, i8: max|x| = 4, scale 4/127 = 0.0314960629.
//   1 / s = 31.75 -> 32;  -2 / s = -63.5 -> -64 (tie: to even);
//   0.5 / s = 15.875 -> 16;  4 / s = 127.
// CHECK-LABEL: func.func @per_tensor_i8
// CHECK-DAG:   %[[Q:.*]] = arith.constant dense<{{\[}}[32, -64], [16, 127]]> : tensor<2x2xi8>
// CHECK-DAG:   %[[S:.*]] = arith.constant dense<0.0314960629> : tensor<f32>
// CHECK-NOT:   agn.quantize
// CHECK:       return %[[Q]], %[[S]]
func.func @per_tensor_i8() -> (tensor<2x2xi8>, tensor<f32>) {
  %x = arith.constant dense<[[1.0, -2.0], [0.5, 4.0]]> : tensor<2x2xf32>
  %q, %s = agn.quantize %x : tensor<2x2xf32> -> tensor<2x2xi8>, tensor<f32>
  return %q, %s : tensor<2x2xi8>, tensor<f32>
}

// Per channel, both axes, of
//   x = [[1.0, -2.0,  0.5  ],
//        [0.0,  0.25, -0.125]]
// axis 0 (a scale per row):
//   row 0: max 2,    scale 2/127 = 0.0157480314:    1 / s = 63.5 -> 64 (tie),
//          -2 / s = -127, 0.5 / s = 31.75 -> 32
//   row 1: max 0.25, scale 0.25/127 = 0.00196850393: 0, 127,
//          -0.125 / s = -63.5 -> -64 (tie)
// axis 1 (a scale per column):
//   column 0: max 1,   scale 1/127 = 0.00787401571:  127, 0
//   column 1: max 2,   scale 2/127 = 0.0157480314:  -127, 0.25 / s = 15.875 -> 16
//   column 2: max 0.5, scale 0.5/127 = 0.00393700786: 127, -0.125 / s = -31.75 -> -32
// CHECK-LABEL: func.func @per_channel_i8
// CHECK-DAG:   %[[Q0:.*]] = arith.constant dense<{{\[}}[64, -127, 32], [0, 127, -64]]> : tensor<2x3xi8>
// CHECK-DAG:   %[[S0:.*]] = arith.constant dense<[0.0157480314, 0.00196850393]> : tensor<2xf32>
// CHECK-DAG:   %[[Q1:.*]] = arith.constant dense<{{\[}}[127, -127, 127], [0, 16, -32]]> : tensor<2x3xi8>
// CHECK-DAG:   %[[S1:.*]] = arith.constant dense<[0.00787401571, 0.0157480314, 0.00393700786]> : tensor<3xf32>
// CHECK:       return %[[Q0]], %[[S0]], %[[Q1]], %[[S1]]
func.func @per_channel_i8() -> (tensor<2x3xi8>, tensor<2xf32>, tensor<2x3xi8>, tensor<3xf32>) {
  %x = arith.constant dense<[[1.0, -2.0, 0.5], [0.0, 0.25, -0.125]]> : tensor<2x3xf32>
  %q0, %s0 = agn.quantize %x axis 0 : tensor<2x3xf32> -> tensor<2x3xi8>, tensor<2xf32>
  %q1, %s1 = agn.quantize %x axis 1 : tensor<2x3xf32> -> tensor<2x3xi8>, tensor<3xf32>
  return %q0, %s0, %q1, %s1 : tensor<2x3xi8>, tensor<2xf32>, tensor<2x3xi8>, tensor<3xf32>
}

// Per block, i4, blocks of 2 along axis 1 (scales shaped 2x2) of
//   x = [[1.0,   0.5, -3.0, 1.5],
//        [0.25, -0.75, 0.0, 0.0]]
//   row 0, block 0: [1, 0.5],      scale 1/7 = 0.142857149:     7, 3.5 -> 4 (tie)
//   row 0, block 1: [-3, 1.5],     scale 3/7 = 0.428571433:    -7, 3.5 -> 4 (tie)
//   row 1, block 0: [0.25, -0.75], scale 0.75/7 = 0.107142858: 2.33 -> 2, -7
//   row 1, block 1: [0, 0],        all zero: scale 1, stored 0, 0
// CHECK-LABEL: func.func @per_block_i4
// CHECK-DAG:   %[[Q:.*]] = arith.constant dense<{{\[}}[7, 4, -7, 4], [2, -7, 0, 0]]> : tensor<2x4xi4>
// CHECK-DAG:   %[[S:.*]] = arith.constant dense<{{\[}}[0.142857149, 0.428571433], [0.107142858, 1.000000e+00]]> : tensor<2x2xf32>
// CHECK:       return %[[Q]], %[[S]]
func.func @per_block_i4() -> (tensor<2x4xi4>, tensor<2x2xf32>) {
  %x = arith.constant dense<[[1.0, 0.5, -3.0, 1.5], [0.25, -0.75, 0.0, 0.0]]> : tensor<2x4xf32>
  %q, %s = agn.quantize %x axis 1 block 2 : tensor<2x4xf32> -> tensor<2x4xi4>, tensor<2x2xf32>
  return %q, %s : tensor<2x4xi4>, tensor<2x2xf32>
}

// Per block along axis 0 (blocks of 2 rows, a scale per block and column):
//   x = [[ 1.0, 2.0],
//        [-0.5, 4.0],
//        [ 7.0, 0.0],
//        [ 3.5, 0.0]]
//   block 0, column 0: [1, -0.5], scale 1/7:  7, -3.5 -> -4 (tie)
//   block 0, column 1: [2, 4],    scale 4/7:  3.5 -> 4 (tie), 7
//   block 1, column 0: [7, 3.5],  scale 1:    7, 3.5 -> 4 (tie)
//   block 1, column 1: [0, 0],    scale 1:    0, 0
// CHECK-LABEL: func.func @per_block_rows_i4
// CHECK-DAG:   %[[Q:.*]] = arith.constant dense<{{\[}}[7, 4], [-4, 7], [7, 0], [4, 0]]> : tensor<4x2xi4>
// CHECK-DAG:   %[[S:.*]] = arith.constant dense<{{\[}}[0.142857149, 0.571428597], [1.000000e+00, 1.000000e+00]]> : tensor<2x2xf32>
// CHECK:       return %[[Q]], %[[S]]
func.func @per_block_rows_i4() -> (tensor<4x2xi4>, tensor<2x2xf32>) {
  %x = arith.constant dense<[[1.0, 2.0], [-0.5, 4.0], [7.0, 0.0], [3.5, 0.0]]> : tensor<4x2xf32>
  %q, %s = agn.quantize %x axis 0 block 2 : tensor<4x2xf32> -> tensor<4x2xi4>, tensor<2x2xf32>
  return %q, %s : tensor<4x2xi4>, tensor<2x2xf32>
}

// Ties round to even: max 7 makes the scale 1 and x / scale = x.
//   0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -2.5 -> -2, -3.5 -> -4, 7 -> 7
// CHECK-LABEL: func.func @round_half_even_i4
// CHECK-DAG:   %[[Q:.*]] = arith.constant dense<[0, 2, 2, -2, -4, 7]> : tensor<6xi4>
// CHECK-DAG:   %[[S:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK:       return %[[Q]], %[[S]]
func.func @round_half_even_i4() -> (tensor<6xi4>, tensor<f32>) {
  %x = arith.constant dense<[0.5, 1.5, 2.5, -2.5, -3.5, 7.0]> : tensor<6xf32>
  %q, %s = agn.quantize %x : tensor<6xf32> -> tensor<6xi4>, tensor<f32>
  return %q, %s : tensor<6xi4>, tensor<f32>
}

// An all-zero tensor has scale 1 and stores zeros.
// CHECK-LABEL: func.func @all_zero
// CHECK-DAG:   %[[Q:.*]] = arith.constant dense<0> : tensor<2x4xi8>
// CHECK-DAG:   %[[S:.*]] = arith.constant dense<1.000000e+00> : tensor<2xf32>
// CHECK:       return %[[Q]], %[[S]]
func.func @all_zero() -> (tensor<2x4xi8>, tensor<2xf32>) {
  %x = arith.constant dense<0.0> : tensor<2x4xf32>
  %q, %s = agn.quantize %x axis 0 : tensor<2x4xf32> -> tensor<2x4xi8>, tensor<2xf32>
  return %q, %s : tensor<2x4xi8>, tensor<2xf32>
}

// A splat stays a splat: every group's maximum is |x| = 3, scale 3/127 =
// 0.0236220472, stored -127.
// CHECK-LABEL: func.func @splat
// CHECK-DAG:   %[[Q:.*]] = arith.constant dense<-127> : tensor<2x4xi8>
// CHECK-DAG:   %[[S:.*]] = arith.constant dense<0.0236220472> : tensor<4xf32>
// CHECK:       return %[[Q]], %[[S]]
func.func @splat() -> (tensor<2x4xi8>, tensor<4xf32>) {
  %x = arith.constant dense<-3.0> : tensor<2x4xf32>
  %q, %s = agn.quantize %x axis 1 : tensor<2x4xf32> -> tensor<2x4xi8>, tensor<4xf32>
  return %q, %s : tensor<2x4xi8>, tensor<4xf32>
}

// f16 storage rounds to nearest even, scales 1:
//   0.1 -> 0.0999755859 (the nearest f16), 65504 (the largest f16) stays,
//   1e-8 (below half the smallest subnormal, 2^-25) -> 0;
//   2049 and 2051 are ties between f16 neighbours 2 apart: -> 2048 and 2052;
//   2^-24 is the smallest subnormal and stays.
// CHECK-LABEL: func.func @f16_storage
// CHECK-DAG:   %[[Q0:.*]] = arith.constant dense<[1.000000e+00, 9.997550e-02, 6.550400e+04, 0.000000e+00]> : tensor<4xf16>
// CHECK-DAG:   %[[Q1:.*]] = arith.constant dense<[2.048000e+03, 2.052000e+03, -2.048000e+03, 5.960460e-08]> : tensor<4xf16>
// CHECK-DAG:   %[[S:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK:       return %[[Q0]], %[[S]], %[[Q1]]
func.func @f16_storage() -> (tensor<4xf16>, tensor<f32>, tensor<4xf16>) {
  %x = arith.constant dense<[1.0, 0.1, 65504.0, 1.0e-8]> : tensor<4xf32>
  %q, %s = agn.quantize %x : tensor<4xf32> -> tensor<4xf16>, tensor<f32>
  %t = arith.constant dense<[2049.0, 2051.0, -2049.0, 5.9604644775390625e-08]> : tensor<4xf32>
  %qt, %st = agn.quantize %t : tensor<4xf32> -> tensor<4xf16>, tensor<f32>
  return %q, %s, %qt : tensor<4xf16>, tensor<f32>, tensor<4xf16>
}

// bf16 storage (7 fraction bits): 0.1 -> 0.100097656; 1 + 2^-8 is a tie
// between 1 and 1 + 2^-7 -> 1; 1 + 3 * 2^-8 a tie between 1 + 2^-7 and
// 1 + 2^-6 -> 1 + 2^-6 = 1.015625 (even fraction).
// CHECK-LABEL: func.func @bf16_storage
// CHECK-DAG:   %[[Q:.*]] = arith.constant dense<[1.000000e+00, 1.000980e-01, 1.000000e+00, 1.015630e+00]> : tensor<4xbf16>
// CHECK-DAG:   %[[S:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK:       return %[[Q]], %[[S]]
func.func @bf16_storage() -> (tensor<4xbf16>, tensor<f32>) {
  %x = arith.constant dense<[1.0, 0.1, 1.00390625, 1.01171875]> : tensor<4xf32>
  %q, %s = agn.quantize %x : tensor<4xf32> -> tensor<4xbf16>, tensor<f32>
  return %q, %s : tensor<4xbf16>, tensor<f32>
}

// f32 storage of f32 values is the values themselves.
// CHECK-LABEL: func.func @f32_storage
// CHECK-DAG:   %[[X:.*]] = arith.constant dense<[1.000000e-01, -2.000000e+00]> : tensor<2xf32>
// CHECK-DAG:   %[[S:.*]] = arith.constant dense<1.000000e+00> : tensor<2xf32>
// CHECK:       return %[[X]], %[[S]]
func.func @f32_storage() -> (tensor<2xf32>, tensor<2xf32>) {
  %x = arith.constant dense<[0.1, -2.0]> : tensor<2xf32>
  %q, %s = agn.quantize %x axis 0 : tensor<2xf32> -> tensor<2xf32>, tensor<2xf32>
  return %q, %s : tensor<2xf32>, tensor<2xf32>
}

// Inputs of other float types fold the same way: f16 [1.0, -0.5], scale
// 1/127 = 0.00787401571, -0.5 / s = -63.5 -> -64 (tie).
// CHECK-LABEL: func.func @f16_input
// CHECK-DAG:   %[[Q:.*]] = arith.constant dense<[127, -64]> : tensor<2xi8>
// CHECK-DAG:   %[[S:.*]] = arith.constant dense<0.00787401571> : tensor<f32>
// CHECK:       return %[[Q]], %[[S]]
func.func @f16_input() -> (tensor<2xi8>, tensor<f32>) {
  %x = arith.constant dense<[1.0, -0.5]> : tensor<2xf16>
  %q, %s = agn.quantize %x : tensor<2xf16> -> tensor<2xi8>, tensor<f32>
  return %q, %s : tensor<2xi8>, tensor<f32>
}

// NaN and infinities are not folded: what they become is the run time's
// business (the controller sends such inputs to the most precise level).
// CHECK-LABEL: func.func @nan_not_folded
// CHECK:       agn.quantize %{{.*}} axis 0 : tensor<2x2xf32> -> tensor<2x2xi8>, tensor<2xf32>
// CHECK:       agn.quantize %{{.*}} : tensor<2x2xf32> -> tensor<2x2xf16>, tensor<f32>
// CHECK:       agn.quantize %{{.*}} : tensor<2xf32> -> tensor<2xi4>, tensor<f32>
func.func @nan_not_folded() -> (tensor<2x2xi8>, tensor<2x2xf16>, tensor<2xi4>) {
  %x = arith.constant dense<[[1.0, 0x7FC00000], [0.5, 2.0]]> : tensor<2x2xf32>
  %q, %s = agn.quantize %x axis 0 : tensor<2x2xf32> -> tensor<2x2xi8>, tensor<2xf32>
  %h, %hs = agn.quantize %x : tensor<2x2xf32> -> tensor<2x2xf16>, tensor<f32>
  %inf = arith.constant dense<[1.0, 0x7F800000]> : tensor<2xf32>
  %i, %is = agn.quantize %inf : tensor<2xf32> -> tensor<2xi4>, tensor<f32>
  return %q, %h, %i : tensor<2x2xi8>, tensor<2x2xf16>, tensor<2xi4>
}

// Values above the largest f16 (65504) or bf16 (about 3.39e38) would
// overflow their float storage: not folded.
// CHECK-LABEL: func.func @overflow_not_folded
// CHECK:       agn.quantize %{{.*}} : tensor<2xf32> -> tensor<2xf16>, tensor<f32>
// CHECK:       agn.quantize %{{.*}} : tensor<1xf32> -> tensor<1xbf16>, tensor<f32>
func.func @overflow_not_folded() -> (tensor<2xf16>, tensor<1xbf16>) {
  %x = arith.constant dense<[1.0, 70000.0]> : tensor<2xf32>
  %h, %hs = agn.quantize %x : tensor<2xf32> -> tensor<2xf16>, tensor<f32>
  %y = arith.constant dense<[3.4e38]> : tensor<1xf32>
  %b, %bs = agn.quantize %y : tensor<1xf32> -> tensor<1xbf16>, tensor<f32>
  return %h, %b : tensor<2xf16>, tensor<1xbf16>
}

// Scales of a dynamic type have no constant to fold to.
// CHECK-LABEL: func.func @dynamic_scales_not_folded
// CHECK:       agn.quantize %{{.*}} axis 0 : tensor<2x2xf32> -> tensor<2x2xi8>, tensor<?xf32>
func.func @dynamic_scales_not_folded() -> (tensor<2x2xi8>, tensor<?xf32>) {
  %x = arith.constant dense<[[1.0, 2.0], [0.5, 2.0]]> : tensor<2x2xf32>
  %q, %s = agn.quantize %x axis 0 : tensor<2x2xf32> -> tensor<2x2xi8>, tensor<?xf32>
  return %q, %s : tensor<2x2xi8>, tensor<?xf32>
}
