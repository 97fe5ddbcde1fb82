// One dense layer, x @ w, the unit the heavy-tailed numerics test runs at
// every level (test/Integration/heavy-tailed.test).
func.func @main(%x: tensor<32x256xf32>, %w: tensor<256x64xf32>) -> tensor<32x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x64xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<32x64xf32>) -> tensor<32x64xf32>
  %y = linalg.matmul ins(%x, %w : tensor<32x256xf32>, tensor<256x64xf32>)
                     outs(%acc : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %y : tensor<32x64xf32>
}
