// RUN: agn-opt %s --split-input-file --canonicalize | FileCheck %s

// Constant weights are packed at compile time, into the layout the op
// describes: K = 5 (two groups of four, zeros past K), N = 2 (one panel,
// zeros past N), and the correction -128 times each column's sum.
// CHECK-LABEL: func.func @pack_constant
// CHECK-DAG: arith.constant dense<"0x0103050702040608{{(00)+}}090000000A000000{{(00)+}}"> : tensor<1x2x256xi8>
// CHECK-DAG: arith.constant dense<{{\[\[}}-3200, -3840, {{(0, )+}}0]]> : tensor<1x64xi32>
// CHECK-NOT: agn_x86.pack_vnni
func.func @pack_constant() -> (tensor<1x2x256xi8>, tensor<1x64xi32>) {
  %w = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]> : tensor<5x2xi8>
  %p, %c = agn_x86.pack_vnni %w : tensor<5x2xi8> -> tensor<1x2x256xi8>, tensor<1x64xi32>
  return %p, %c : tensor<1x2x256xi8>, tensor<1x64xi32>
}

// -----

// i4 weights in the i8 layout are sign-extended to bytes.
// CHECK-LABEL: func.func @pack_constant_i4
// CHECK-DAG: arith.constant dense<"0xFCFDFEFF{{(00)+}}"> : tensor<1x1x256xi8>
// CHECK-DAG: arith.constant dense<{{\[\[}}1280, {{(0, )+}}0]]> : tensor<1x64xi32>
func.func @pack_constant_i4() -> (tensor<1x1x256xi8>, tensor<1x64xi32>) {
  %w = arith.constant dense<[[-4], [-3], [-2], [-1]]> : tensor<4x1xi4>
  %p, %c = agn_x86.pack_vnni %w : tensor<4x1xi4> -> tensor<1x1x256xi8>, tensor<1x64xi32>
  return %p, %c : tensor<1x1x256xi8>, tensor<1x64xi32>
}

// -----

// The blocked i4 layout: K value t of the block in the low nibble, t + 4 in
// the high one, column after column; the correction -2048 times each
// column's sum of the block (-4 and 8).
// CHECK-LABEL: func.func @pack_blocked_constant
// CHECK-DAG: arith.constant dense<"0x0C1D2E3F11111111{{(00)+}}"> : tensor<1x1x1x256xi8>
// CHECK-DAG: arith.constant dense<{{\[\[\[}}8192, -16384, {{(0, )+}}0]]]> : tensor<1x1x64xi32>
// CHECK-NOT: agn_x86.pack_vnni_blocked
func.func @pack_blocked_constant() -> (tensor<1x1x1x256xi8>, tensor<1x1x64xi32>) {
  %w = arith.constant dense<[[[-4, 1], [-3, 1], [-2, 1], [-1, 1], [0, 1], [1, 1], [2, 1], [3, 1]]]> : tensor<1x8x2xi4>
  %p, %c = agn_x86.pack_vnni_blocked %w : tensor<1x8x2xi4> -> tensor<1x1x1x256xi8>, tensor<1x1x64xi32>
  return %p, %c : tensor<1x1x1x256xi8>, tensor<1x1x64xi32>
}

// -----

// Weights that are not constants stay: agn-vnni-matmuls packs them.
// CHECK-LABEL: func.func @pack_argument
// CHECK: agn_x86.pack_vnni %
func.func @pack_argument(%w: tensor<5x2xi8>) -> (tensor<1x2x256xi8>, tensor<1x64xi32>) {
  %p, %c = agn_x86.pack_vnni %w : tensor<5x2xi8> -> tensor<1x2x256xi8>, tensor<1x64xi32>
  return %p, %c : tensor<1x2x256xi8>, tensor<1x64xi32>
}
