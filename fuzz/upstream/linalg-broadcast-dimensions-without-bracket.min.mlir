func.func @f(%c: tensor<16xf32>, %e: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %init = linalg.broadcast ins(%c : tensor<16xf32>) outs(%e : tensor<4x16xf32>) dimensions = ct
  return %init : tensor<4x16xf32>
}
