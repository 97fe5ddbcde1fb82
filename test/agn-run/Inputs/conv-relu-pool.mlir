// A convolution (im2col kernel), its bias and ReLU, and a 2x2 max pool,
// sized so that agn-cpu-parallelize-ops splits the ops around the kernel
// (each has 262,144 iterations or more): test/agn-run/parallel-ops.test.
#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#bias = affine_map<(n, c, h, w) -> (c)>
func.func @main(%x: tensor<1x8x130x130xf32>, %w: tensor<16x8x3x3xf32>, %b: tensor<16xf32>) -> tensor<1x16x64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %empty = tensor.empty() : tensor<1x16x128x128xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<1x16x128x128xf32>) -> tensor<1x16x128x128xf32>
  %conv = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x8x130x130xf32>, tensor<16x8x3x3xf32>) outs(%fill : tensor<1x16x128x128xf32>) -> tensor<1x16x128x128xf32>
  %relu = linalg.generic {indexing_maps = [#nchw, #bias, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%conv, %b : tensor<1x16x128x128xf32>, tensor<16xf32>) outs(%empty : tensor<1x16x128x128xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %sum = arith.addf %in, %bias : f32
    %max = arith.maximumf %sum, %zero : f32
    linalg.yield %max : f32
  } -> tensor<1x16x128x128xf32>
  %window = tensor.empty() : tensor<2x2xf32>
  %pooled_empty = tensor.empty() : tensor<1x16x64x64xf32>
  %pooled_init = linalg.fill ins(%ninf : f32) outs(%pooled_empty : tensor<1x16x64x64xf32>) -> tensor<1x16x64x64xf32>
  %pool = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%relu, %window : tensor<1x16x128x128xf32>, tensor<2x2xf32>) outs(%pooled_init : tensor<1x16x64x64xf32>) -> tensor<1x16x64x64xf32>
  return %pool : tensor<1x16x64x64xf32>
}
