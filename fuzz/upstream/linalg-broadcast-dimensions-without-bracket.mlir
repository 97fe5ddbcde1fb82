

func.func @matmul_bias_init(%x: tensor<4x64xf64>, %w: tensor<64x16xf32>, %bias: tensor<16xf32>) -> tensor<4x16xf32> {
  %y = agn.unit "mm" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
      ins(%x, %w, %bias : tensor<4x64xf32>, tensor<64x16xf32>, tensor<16xf32>) -> tensor<4x16xf32> {
  ^bb0(%a: tensor<4x64xf32>, %b: tensor<64x16xf32>, %c: tensor<16xf32>):
    %v = agn.variance %a : tensor<4x64xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
    %g = agn.arbitrate %r, %v
    %e = tensor.empty() : tensor<4x16xf32>
    %init = linalg.broadcast ins(%c : tensor<16xf32>) outs(%e : tensor<4x16xf32>) dimensions = ct %v policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
    %g = agn.arbitrate %r, %v
    %e = tensor.emptsor<4x16xf32>
    agn.yield %mm : tensor<4x16xf32>
  }
  return %y : tensor<4x16xf32>
}
