// RUN: agn-opt %s --pass-pipeline="builtin.module(func.func(agn-gpu-im2col,agn-gpu-configure-kernels))" | FileCheck %s

// A 2-D convolution becomes an im2col copy (no reduction: it stays on the
// host) and a contraction with three parallel loops (image, filter,
// position), which gets a SIMT kernel.

// CHECK-LABEL: func.func @conv
// CHECK-NOT: linalg.conv_2d
// CHECK: %[[COLUMNS:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]
// CHECK-NOT: agn.lowering_config
// CHECK-SAME: outs(%{{.*}} : tensor<1x18x64xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %[[COLUMNS]] : tensor<4x18xf32>, tensor<1x18x64xf32>)
// CHECK-SAME: outs(%{{.*}} : tensor<1x4x64xf32>) attrs =  {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [32, 32], block_threads = [16, 16]>}
func.func @conv(%x: tensor<1x2x10x10xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x8x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x10x10xf32>, tensor<4x2x3x3xf32>) outs(%f : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// A grouped convolution has no im2col pattern: left alone (on the host).
// CHECK-LABEL: func.func @grouped
// CHECK: linalg.conv_2d_ngchw_gfchw
func.func @grouped(%x: tensor<1x2x2x6x6xf32>, %w: tensor<2x3x2x3x3xf32>, %o: tensor<1x2x3x4x4xf32>) -> tensor<1x2x3x4x4xf32> {
  %y = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x2x6x6xf32>, tensor<2x3x2x3x3xf32>) outs(%o : tensor<1x2x3x4x4xf32>) -> tensor<1x2x3x4x4xf32>
  return %y : tensor<1x2x3x4x4xf32>
}

// An i8 convolution with i4 weights: the filter is first extended to i8
// (signed), since upstream's im2col gives the reshaped filter the input's
// element type, which reinterprets the bits of a narrower one (the i4
// constant used to fold to zero-extended bytes: -2 became 14).
// CHECK-LABEL: func.func @i4_filter
// CHECK: %[[WIDE:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<3x2x3x3xi4>) outs(%{{.*}} : tensor<3x2x3x3xi8>)
// CHECK: arith.extsi %{{.*}} : i4 to i8
// CHECK: tensor.collapse_shape %[[WIDE]] {{.*}} : tensor<3x2x3x3xi8> into tensor<3x18xi8>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<3x18xi8>, tensor<1x18x16xi8>)
func.func @i4_filter(%x: tensor<1x2x6x6xi8>, %w: tensor<3x2x3x3xi4>) -> tensor<1x3x4x4xi32> {
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x3x4x4xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<1x3x4x4xi32>) -> tensor<1x3x4x4xi32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x6x6xi8>, tensor<3x2x3x3xi4>) outs(%f : tensor<1x3x4x4xi32>) -> tensor<1x3x4x4xi32>
  return %y : tensor<1x3x4x4xi32>
}
