// RUN: agn-opt %s --agn-form-units | FileCheck %s

// Without a `levels` option, a unit formed around a contraction that carries
// a learned policy allows exactly the policy's levels.
// CHECK-LABEL: func.func @learned_policy_only
// CHECK: agn.unit "learned" levels [i4, f16] policy #agn.policy<levels = [i4, f16], thresholds = [2.500000e-01]>
// CHECK: agn.unit "learned_policy_only.u0" levels [i4, i8, bf16, f16, f32]
func.func @learned_policy_only(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %acc: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %a = linalg.matmul {agn.name = "learned", agn.policy = #agn.policy<levels = [i4, f16], thresholds = [0.25]>}
      ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  %b = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %a, %b : tensor<4x16xf32>, tensor<4x16xf32>
}
