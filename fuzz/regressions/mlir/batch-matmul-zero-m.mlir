module {
  func.func @main(%arg0: tensor<2x0x5xf32>, %arg1: tensor<2x5x3xf32>) -> tensor<2x0x3xf32> {
    %empty = tensor.empty() : tensor<2x0x3xf32>
    %c = arith.constant 0.0 : f32
    %fill = linalg.fill ins(%c : f32) outs(%empty : tensor<2x0x3xf32>) -> tensor<2x0x3xf32>
    %mm = linalg.batch_matmul ins(%arg0, %arg1 : tensor<2x0x5xf32>, tensor<2x5x3xf32>) outs(%fill : tensor<2x0x3xf32>) -> tensor<2x0x3xf32>
    return %mm : tensor<2x0x3xf32>
  }
}
