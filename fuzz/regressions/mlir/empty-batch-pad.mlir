// An empty batch through a padded convolution: tensor.pad of a 0x3x8x8
// tensor bufferized to a memref.subview the verifier rejects (found by
// python/tests/test_bad_numbers.py; agn-fold-zero-element-tensors).
func.func @main(%x: tensor<0x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<0x4x8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<0x3x8x8xf32> to tensor<0x3x10x10xf32>
  %e = tensor.empty() : tensor<0x4x8x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<0x4x8x8xf32>) -> tensor<0x4x8x8xf32>
  %c = linalg.conv_2d_nchw_fchw ins(%p, %w : tensor<0x3x10x10xf32>, tensor<4x3x3x3xf32>)
                                outs(%f : tensor<0x4x8x8xf32>) -> tensor<0x4x8x8xf32>
  return %c : tensor<0x4x8x8xf32>
}
