func.func @f(%c: tensor<16x4xf32>, %e: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %t = linalg.transpose ins(%c : tensor<16x4xf32>) outs(%e : tensor<4x16xf32>) permutation = [1, x]
  return %t : tensor<4x16xf32>
}
