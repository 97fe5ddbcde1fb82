// RUN: agn-opt %s -split-input-file --agn-quantize-weights | FileCheck %s
// RUN: agn-opt %s -split-input-file --agn-quantize-weights --agn-quantize-weights | FileCheck %s
// RUN: agn-opt %s -split-input-file --agn-quantize-weights=i4-block-size=2 --agn-multiversion=i4-block-size=2 --canonicalize | FileCheck %s --check-prefix=FOLD

// agn-quantize-weights moves a unit's constant weights into its body, where
// the agn.quantize ops of agn-multiversion fold to each level's stored weights
// and scales at canonicalization (the FOLD run), and gives every unit its
// cost table: per level, weight bytes (stored values at 4, 2, 2, 1 or 1/2
// byte, 4 per scale, and the f32 bias) and multiply-accumulates. Running it
// twice is running it once.

// A 2x4 @ 4x2 matmul with constant weights
//
//   w = [[ 1.0, -2.0],
//        [ 0.5,  4.0],
//        [-1.0,  1.0],
//        [ 3.0,  0.0]]
//
// Costs (MACs = 2 * 2 * 4 = 16), with the default i4 blocks of 32, which do
// not fit K = 4, so i4 scales are per output channel:
//   i4:   8 values / 2 = 4 B + 2 scales * 4 B =  12
//   i8:   8 values     = 8 B + 2 scales * 4 B =  16
//   bf16: 8 values * 2 = 16 B
//   f32:  8 values * 4 = 32 B
// CHECK-LABEL: func.func @constant_weights
// CHECK:       %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<4x2xf32>
// CHECK:       agn.unit "fc" levels [i4, i8, bf16, f32]
// CHECK-SAME:    costs [#agn.cost<i4, weight_bytes = 12, macs = 16>, #agn.cost<i8, weight_bytes = 16, macs = 16>, #agn.cost<bf16, weight_bytes = 16, macs = 16>, #agn.cost<f32, weight_bytes = 32, macs = 16>]
// CHECK-SAME:    ins(%{{.*}}, %[[W]] : tensor<2x4xf32>, tensor<4x2xf32>)
// CHECK-NEXT:  ^bb0(%[[A:.*]]: tensor<2x4xf32>, %{{.*}}: tensor<4x2xf32>):
// CHECK-NEXT:    %[[INSIDE:.*]] = arith.constant dense<{{\[}}[1.000000e+00, -2.000000e+00], [5.000000e-01, 4.000000e+00], [-1.000000e+00, 1.000000e+00], [3.000000e+00, 0.000000e+00]]> : tensor<4x2xf32>
// CHECK-NOT:     arith.constant dense
// CHECK:         linalg.matmul ins(%[[A]], %[[INSIDE]] : tensor<2x4xf32>, tensor<4x2xf32>)

// With blocks of 2 rows of K, i4 has 2 blocks x 2 channels = 4 scales:
//   i4:   8 values / 2 = 4 B + 4 scales * 4 B = 20
// FOLD-LABEL: func.func @constant_weights
// FOLD:       agn.unit "fc" levels [i4, i8, bf16, f32]
// FOLD-SAME:    costs [#agn.cost<i4, weight_bytes = 20, macs = 16>, #agn.cost<i8, weight_bytes = 16, macs = 16>, #agn.cost<bf16, weight_bytes = 16, macs = 16>, #agn.cost<f32, weight_bytes = 32, macs = 16>]
//
// bf16 holds these values exactly.
// FOLD-DAG:   %[[BF16:.*]] = arith.constant dense<{{\[}}[1.000000e+00, -2.000000e+00], [5.000000e-01, 4.000000e+00], [-1.000000e+00, 1.000000e+00], [3.000000e+00, 0.000000e+00]]> : tensor<4x2xbf16>
//
// i8, one scale per column, max|w| / 127:
//   column 0: max 3, scale 3/127 = 0.0236220472
//     1 / s = 42.33 -> 42, 0.5 / s = 21.17 -> 21, -1 / s -> -42, 3 / s = 127
//   column 1: max 4, scale 4/127 = 0.0314960629
//     -2 / s = -63.5 -> -64 (a tie: to even), 4 / s = 127, 1 / s = 31.75 -> 32, 0
// FOLD-DAG:   %[[S8:.*]] = arith.constant dense<[0.0236220472, 0.0314960629]> : tensor<2xf32>
// FOLD-DAG:   %[[Q8:.*]] = arith.constant dense<{{\[}}[42, -64], [21, 127], [-42, 32], [127, 0]]> : tensor<4x2xi8>
//
// i4, one scale per block of 2 rows and per column, max|w| / 7, stored as
// blocks x rows in block x columns (the expand_shape of the blocked version
// folds into the constant):
//   block 0, column 0: [1, 0.5],  scale 1/7 = 0.142857149:  7,  3.5 -> 4 (tie)
//   block 0, column 1: [-2, 4],   scale 4/7 = 0.571428597: -3.5 -> -4 (tie), 7
//   block 1, column 0: [-1, 3],   scale 3/7 = 0.428571433: -2.33 -> -2, 7
//   block 1, column 1: [1, 0],    scale 1/7 = 0.142857149:  7, 0
// FOLD-DAG:   %[[Q4:.*]] = arith.constant dense<{{\[}}{{\[}}[7, -4], [4, 7]], {{\[}}[-2, 7], [7, 0]]]> : tensor<2x2x2xi4>
// FOLD-DAG:   %[[S4:.*]] = arith.constant dense<{{\[}}[0.142857149, 0.571428597], [0.428571433, 0.142857149]]> : tensor<2x2xf32>
//
// The versions read these constants; only the activations, an argument, are
// quantized at run time.
// FOLD:       case i4 {
// FOLD-NOT:     agn.quantize %{{.*}} : tensor<4x2xf32>
// FOLD:         agn.quantize %{{.*}} axis 0 : tensor<2x4xf32> -> tensor<2x4xi8>, tensor<2xf32>
// FOLD-NOT:     agn.quantize %{{.*}} : tensor<4x2xf32>
// FOLD:         %[[P:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[Q4]] : tensor<2x2x2xi8>, tensor<2x2x2xi4>)
// FOLD:         linalg.generic {{.*}} ins(%[[P]], %{{.*}}, %[[S4]] : tensor<2x2x2xi32>, tensor<2xf32>, tensor<2x2xf32>)
// FOLD:       case i8 {
// FOLD-NOT:     agn.quantize %{{.*}} : tensor<4x2xf32>
// FOLD:         %[[ACC:.*]] = linalg.matmul ins(%{{.*}}, %[[Q8]] : tensor<2x4xi8>, tensor<4x2xi8>)
// FOLD:         linalg.generic {{.*}} ins(%[[ACC]], %{{.*}}, %[[S8]] : tensor<2x2xi32>, tensor<2xf32>, tensor<2xf32>)
// FOLD:       case bf16 {
// FOLD-NOT:     agn.quantize %{{.*}} : tensor<4x2xf32>
// FOLD:         linalg.matmul ins(%{{.*}}, %[[BF16]] : tensor<2x4xbf16>, tensor<4x2xbf16>)
// FOLD:       case f32 {
func.func @constant_weights(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[1.0, -2.0], [0.5, 4.0], [-1.0, 1.0], [3.0, 0.0]]> : tensor<4x2xf32>
  %y = agn.unit "fc" levels [i4, i8, bf16, f32]
      policy #agn.policy<levels = [i4, i8, bf16, f32], thresholds = [0.01, 0.1, 1.0]>
      ins(%x, %w : tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32> {
  ^bb0(%a: tensor<2x4xf32>, %b: tensor<4x2xf32>):
    %v = agn.variance %a : tensor<2x4xf32>
    %r = agn.select %v policy #agn.policy<levels = [i4, i8, bf16, f32], thresholds = [0.01, 0.1, 1.0]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<2x2xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
    %mm = linalg.matmul ins(%a, %b : tensor<2x4xf32>, tensor<4x2xf32>) outs(%acc : tensor<2x2xf32>) -> tensor<2x2xf32>
    agn.yield %mm : tensor<2x2xf32>
  }
  return %y : tensor<2x2xf32>
}

// -----

// Weights from any constant-like op (here TOSA's) are sunk as an
// arith.constant.
// CHECK-LABEL: func.func @constant_like_weights
// CHECK:       agn.unit "fc"
// CHECK-NEXT:  ^bb0(%[[A:.*]]: tensor<2x4xf32>, %{{.*}}: tensor<4x2xf32>):
// CHECK-NEXT:    %[[INSIDE:.*]] = arith.constant dense<{{\[}}[1.000000e+00, -2.000000e+00], [5.000000e-01, 4.000000e+00], [-1.000000e+00, 1.000000e+00], [3.000000e+00, 0.000000e+00]]> : tensor<4x2xf32>
// CHECK:         linalg.matmul ins(%[[A]], %[[INSIDE]] : tensor<2x4xf32>, tensor<4x2xf32>)
// FOLD-LABEL: func.func @constant_like_weights
// FOLD:       arith.constant dense<{{\[}}[42, -64], [21, 127], [-42, 32], [127, 0]]> : tensor<4x2xi8>
func.func @constant_like_weights(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = "tosa.const"() <{values = dense<[[1.0, -2.0], [0.5, 4.0], [-1.0, 1.0], [3.0, 0.0]]> : tensor<4x2xf32>}> : () -> tensor<4x2xf32>
  %y = agn.unit "fc" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [0.1]>
      ins(%x, %w : tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32> {
  ^bb0(%a: tensor<2x4xf32>, %b: tensor<4x2xf32>):
    %v = agn.variance %a : tensor<2x4xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [0.1]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<2x2xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
    %mm = linalg.matmul ins(%a, %b : tensor<2x4xf32>, tensor<4x2xf32>) outs(%acc : tensor<2x2xf32>) -> tensor<2x2xf32>
    agn.yield %mm : tensor<2x2xf32>
  }
  return %y : tensor<2x2xf32>
}

// -----

// Three output channels: i4 cannot be packed along an odd innermost
// dimension by agn.quantize, so agn-multiversion quantizes constant weights
// like this one itself, with the same arithmetic.
//
//   w = [[ 1.0, -2.0,  0.5 ],
//        [ 0.5,  4.0, -1.0 ],
//        [-1.0,  1.0,  0.25],
//        [ 3.0,  0.0, -0.5 ]]
//
// Costs (MACs = 2 * 3 * 4 = 24), i4 per column by default:
//   i4:  12 values / 2 = 6 B + 3 scales * 4 B = 18;  f32: 48
// CHECK-LABEL: func.func @odd_channels
// CHECK:       costs [#agn.cost<i4, weight_bytes = 18, macs = 24>, #agn.cost<f32, weight_bytes = 48, macs = 24>]
//
// With blocks of 2: 6 B + 2 blocks * 3 columns * 4 B = 30. Columns 0 and 1
// are as in @constant_weights; column 2:
//   block 0: [0.5, -1],   scale 1/7:    3.5 -> 4 (tie), -7
//   block 1: [0.25, -0.5], scale 0.5/7:  3.5 -> 4 (tie), -7
// FOLD-LABEL: func.func @odd_channels
// FOLD:       costs [#agn.cost<i4, weight_bytes = 30, macs = 24>, #agn.cost<f32, weight_bytes = 48, macs = 24>]
// FOLD-DAG:   %[[Q4:.*]] = arith.constant dense<{{\[}}{{\[}}[7, -4, 4], [4, 7, -7]], {{\[}}[-2, 7, 4], [7, 0, -7]]]> : tensor<2x2x3xi4>
// FOLD-DAG:   %[[S4:.*]] = arith.constant dense<{{\[}}[0.142857149, 0.571428597, 0.142857149], [0.428571433, 0.142857149, 0.0714285746]]> : tensor<2x3xf32>
// FOLD:       case i4 {
// FOLD-NOT:     linalg.broadcast
// FOLD:         %[[P:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[Q4]] : tensor<2x2x2xi8>, tensor<2x2x3xi4>)
// FOLD:         linalg.generic {{.*}} ins(%[[P]], %{{.*}}, %[[S4]] : tensor<2x3x2xi32>, tensor<2xf32>, tensor<2x3xf32>)
func.func @odd_channels(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 0.5], [0.5, 4.0, -1.0], [-1.0, 1.0, 0.25], [3.0, 0.0, -0.5]]> : tensor<4x3xf32>
  %y = agn.unit "fc" levels [i4, f32]
      policy #agn.policy<levels = [i4, f32], thresholds = [0.01]>
      ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32> {
  ^bb0(%a: tensor<2x4xf32>, %b: tensor<4x3xf32>):
    %v = agn.variance %a : tensor<2x4xf32>
    %r = agn.select %v policy #agn.policy<levels = [i4, f32], thresholds = [0.01]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<2x3xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
    %mm = linalg.matmul ins(%a, %b : tensor<2x4xf32>, tensor<4x3xf32>) outs(%acc : tensor<2x3xf32>) -> tensor<2x3xf32>
    agn.yield %mm : tensor<2x3xf32>
  }
  return %y : tensor<2x3xf32>
}

// -----

// Weights that arrive as arguments stay arguments, and are quantized at run
// time; the unit still gets its costs. An MLP layer (16x64 @ 64x128, bias
// 128, MACs = 16 * 64 * 128 = 131072), default i4 blocks of 32 (K = 64: 2
// blocks):
//   i4:   8192 / 2 = 4096 + 2 * 128 scales * 4 = 1024 + bias 512 =  5632
//   i8:   8192           + 128 scales * 4 = 512 + bias 512 =  9216
//   bf16, f16: 8192 * 2 = 16384                   + bias 512 = 16896
//   f32:  8192 * 4 = 32768                        + bias 512 = 33280
// CHECK-LABEL: func.func @argument_weights
// CHECK-SAME:  (%{{.*}}: tensor<16x64xf32>, %[[W:.*]]: tensor<64x128xf32>
// CHECK:       agn.unit "fc1" levels [i4, i8, bf16, f16, f32]
// CHECK-SAME:    costs [#agn.cost<i4, weight_bytes = 5632, macs = 131072>, #agn.cost<i8, weight_bytes = 9216, macs = 131072>, #agn.cost<bf16, weight_bytes = 16896, macs = 131072>, #agn.cost<f16, weight_bytes = 16896, macs = 131072>, #agn.cost<f32, weight_bytes = 33280, macs = 131072>]
// CHECK-SAME:    ins(%{{.*}}, %[[W]], %{{.*}} :
// CHECK-NEXT:  ^bb0(%[[A:.*]]: tensor<16x64xf32>, %[[BW:.*]]: tensor<64x128xf32>, %{{.*}}: tensor<128xf32>):
// CHECK-NOT:     arith.constant dense
// CHECK:         linalg.matmul ins(%[[A]], %[[BW]] :
// FOLD-LABEL: func.func @argument_weights
// FOLD:       ^bb0(%{{.*}}: tensor<16x64xf32>, %[[BW:.*]]: tensor<64x128xf32>, %{{.*}}: tensor<128xf32>):
// FOLD:       case i8 {
// FOLD:         agn.quantize %[[BW]] axis 1 : tensor<64x128xf32> -> tensor<64x128xi8>, tensor<128xf32>
func.func @argument_weights(%x: tensor<16x64xf32>, %w: tensor<64x128xf32>, %bias: tensor<128xf32>) -> tensor<16x128xf32> {
  %y = agn.unit "fc1" levels [i4, i8, bf16, f16, f32]
      policy #agn.policy<levels = [i4, i8, bf16, f16, f32], thresholds = [0.01, 0.1, 1.0, 10.0]>
      ins(%x, %w, %bias : tensor<16x64xf32>, tensor<64x128xf32>, tensor<128xf32>) -> tensor<16x128xf32> {
  ^bb0(%a: tensor<16x64xf32>, %b: tensor<64x128xf32>, %c: tensor<128xf32>):
    %v = agn.variance %a : tensor<16x64xf32>
    %r = agn.select %v policy #agn.policy<levels = [i4, i8, bf16, f16, f32], thresholds = [0.01, 0.1, 1.0, 10.0]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<16x128xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<16x128xf32>) -> tensor<16x128xf32>
    %mm = linalg.matmul ins(%a, %b : tensor<16x64xf32>, tensor<64x128xf32>) outs(%acc : tensor<16x128xf32>) -> tensor<16x128xf32>
    %bb = linalg.broadcast ins(%c : tensor<128xf32>) outs(%e : tensor<16x128xf32>) dimensions = [0]
    %sum = linalg.add ins(%mm, %bb : tensor<16x128xf32>, tensor<16x128xf32>) outs(%e : tensor<16x128xf32>) -> tensor<16x128xf32>
    agn.yield %sum : tensor<16x128xf32>
  }
  return %y : tensor<16x128xf32>
}

// -----

// A convolution (8 filters of 3x3x3 = 216 weights; MACs = 8 filters * 6 * 6
// outputs * 27 = 7776). Its reduction spans three loops, so i4 scales are per
// filter too:
//   i4:  216 / 2 = 108 + 8 scales * 4 = 32 -> 140
//   i8:  216           + 8 scales * 4 = 32 -> 248
//   f32: 216 * 4 = 864
// CHECK-LABEL: func.func @conv_costs
// CHECK:       costs [#agn.cost<i4, weight_bytes = 140, macs = 7776>, #agn.cost<i8, weight_bytes = 248, macs = 7776>, #agn.cost<f32, weight_bytes = 864, macs = 7776>]
func.func @conv_costs(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %y = agn.unit "conv" levels [i4, i8, f32]
      policy #agn.policy<levels = [i4, i8, f32], thresholds = [0.1, 1.0]>
      ins(%x, %w : tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32> {
  ^bb0(%a: tensor<1x3x8x8xf32>, %b: tensor<8x3x3x3xf32>):
    %v = agn.variance %a : tensor<1x3x8x8xf32>
    %r = agn.select %v policy #agn.policy<levels = [i4, i8, f32], thresholds = [0.1, 1.0]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x8x6x6xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
    %conv = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%a, %b : tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>) outs(%acc : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
    agn.yield %conv : tensor<1x8x6x6xf32>
  }
  return %y : tensor<1x8x6x6xf32>
}

// -----

// Dynamic sizes count as 1, the cost per unit of that size (here per batch):
// a batch of 64x16 weights (1024), MACs per batch 4 * 16 * 64 = 4096, 2
// blocks of 32 along K:
//   i4:  1024 / 2 = 512 + 2 * 16 scales * 4 = 128 -> 640
//   i8:  1024           + 16 scales * 4 = 64     -> 1088
//   f32: 1024 * 4 = 4096
// CHECK-LABEL: func.func @dynamic_batch_costs
// CHECK:       costs [#agn.cost<i4, weight_bytes = 640, macs = 4096>, #agn.cost<i8, weight_bytes = 1088, macs = 4096>, #agn.cost<f32, weight_bytes = 4096, macs = 4096>]
func.func @dynamic_batch_costs(%x: tensor<?x4x64xf32>, %w: tensor<?x64x16xf32>) -> tensor<?x4x16xf32> {
  %y = agn.unit "bmm" levels [i4, i8, f32]
      policy #agn.policy<levels = [i4, i8, f32], thresholds = [0.1, 1.0]>
      ins(%x, %w : tensor<?x4x64xf32>, tensor<?x64x16xf32>) -> tensor<?x4x16xf32> {
  ^bb0(%a: tensor<?x4x64xf32>, %b: tensor<?x64x16xf32>):
    %v = agn.variance %a : tensor<?x4x64xf32>
    %r = agn.select %v policy #agn.policy<levels = [i4, i8, f32], thresholds = [0.1, 1.0]>
    %g = agn.arbitrate %r, %v
    %c0 = arith.constant 0 : index
    %n = tensor.dim %a, %c0 : tensor<?x4x64xf32>
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty(%n) : tensor<?x4x16xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4x16xf32>) -> tensor<?x4x16xf32>
    %mm = linalg.batch_matmul ins(%a, %b : tensor<?x4x64xf32>, tensor<?x64x16xf32>)
                              outs(%acc : tensor<?x4x16xf32>) -> tensor<?x4x16xf32>
    agn.yield %mm : tensor<?x4x16xf32>
  }
  return %y : tensor<?x4x16xf32>
}
