// RUN: agn-opt %s --agn-form-units="levels=i4,i8,bf16,f32 thresholds=0.01,0.1,1.0" --agn-insert-controllers --canonicalize | FileCheck %s

// Controllers on crafted constant inputs: the statistic and the selection
// fold, so the level each unit requests from the resource manager is visible
// in the IR. The variance of each input is computed exactly by the folder.

// Calm input, variance 0: the least precise level, i4 (ordinal 0).
// CHECK-LABEL: func.func @calm
// CHECK-DAG: %[[L:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[V:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: agn.arbitrate %[[L]], %[[V]]
func.func @calm(%w: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %x = arith.constant dense<0.5> : tensor<2x4xf32>
  %acc = arith.constant dense<0.0> : tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// Values 0.75 and 1.25: variance 0.0625, between 0.01 and 0.1: i8 (1).
// CHECK-LABEL: func.func @mild
// CHECK-DAG: %[[L:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[V:.*]] = arith.constant 6.250000e-02 : f32
// CHECK: agn.arbitrate %[[L]], %[[V]]
func.func @mild(%w: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %x = arith.constant dense<[[0.75, 1.25, 0.75, 1.25], [1.25, 0.75, 1.25, 0.75]]> : tensor<2x4xf32>
  %acc = arith.constant dense<0.0> : tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// Values -1 and 1: variance 1, at the last threshold: f32 (4).
// CHECK-LABEL: func.func @wild
// CHECK-DAG: %[[L:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[V:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: agn.arbitrate %[[L]], %[[V]]
func.func @wild(%w: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %x = arith.constant dense<[[-1.0, 1.0, -1.0, 1.0], [1.0, -1.0, 1.0, -1.0]]> : tensor<2x4xf32>
  %acc = arith.constant dense<0.0> : tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// Variance 0.25 (values 0 and 1): bf16 (2).
// CHECK-LABEL: func.func @moderate
// CHECK-DAG: %[[L:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[V:.*]] = arith.constant 2.500000e-01 : f32
// CHECK: agn.arbitrate %[[L]], %[[V]]
func.func @moderate(%w: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %x = arith.constant dense<[[0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0]]> : tensor<2x4xf32>
  %acc = arith.constant dense<0.0> : tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// A NaN in the input makes the variance NaN: the most precise level, f32.
// CHECK-LABEL: func.func @nan_input
// CHECK-DAG: %[[L:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[V:.*]] = arith.constant 0x7FC00000 : f32
// CHECK: agn.arbitrate %[[L]], %[[V]]
func.func @nan_input(%w: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %x = arith.constant dense<[[0.5, 0x7FC00000, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]]> : tensor<2x4xf32>
  %acc = arith.constant dense<0.0> : tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
