func.func @f(%c: tensor<16x4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.reduce ins(%c : tensor<16x4xf32>) outs(%e : tensor<4xf32>) dimensions = [0, ]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %r : tensor<4xf32>
}
