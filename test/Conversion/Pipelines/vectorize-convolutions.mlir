// RUN: agn-opt %s -split-input-file --agn-vectorize-convolutions --canonicalize --cse | FileCheck %s

// One image, NCHW/FCHW: an im2col copy col[c, i, j, oh, ow] =
// x[0, c, oh + i, ow + j] (an affine map, no division) and a linalg.matmul
// w[F, C KH KW] x col[C KH KW, OH OW], which agn-vectorize-contractions
// tiles and vectorizes next.

// CHECK-DAG: #[[IM2COL:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (0, d0, d1 + d3, d2 + d4)>
// CHECK-DAG: #[[ID5:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CHECK-LABEL: func.func @nchw
// CHECK-SAME: (%[[X:.*]]: tensor<1x16x10x10xf32>, %[[W:.*]]: tensor<32x16x3x3xf32>, %[[INIT:.*]]: tensor<1x32x8x8xf32>)
// CHECK: %[[COL:.*]] = linalg.generic {indexing_maps = [#[[IM2COL]], #[[ID5]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<1x16x10x10xf32>) outs(%{{.*}} : tensor<16x3x3x8x8xf32>)
// CHECK: %[[LHS:.*]] = tensor.collapse_shape %[[W]] {{\[\[}}0], [1, 2, 3]] : tensor<32x16x3x3xf32> into tensor<32x144xf32>
// CHECK: %[[RHS:.*]] = tensor.collapse_shape %[[COL]] {{\[\[}}0, 1, 2], [3, 4]] : tensor<16x3x3x8x8xf32> into tensor<144x64xf32>
// CHECK: %[[OUT:.*]] = tensor.collapse_shape %[[INIT]] {{\[\[}}0, 1], [2, 3]] : tensor<1x32x8x8xf32> into tensor<32x64xf32>
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[LHS]], %[[RHS]] : tensor<32x144xf32>, tensor<144x64xf32>) outs(%[[OUT]] : tensor<32x64xf32>)
// CHECK: %[[Y:.*]] = tensor.expand_shape %[[MM]] {{\[\[}}0, 1], [2, 3]] output_shape [1, 32, 8, 8]
// CHECK: return %[[Y]]
func.func @nchw(%x: tensor<1x16x10x10xf32>, %w: tensor<32x16x3x3xf32>, %init: tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x16x10x10xf32>, tensor<32x16x3x3xf32>) outs(%init : tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32>
  return %r : tensor<1x32x8x8xf32>
}

// -----

// One image, NHWC/HWCF, stride 2: col[oh, ow, i, j, c] =
// x[0, 2 oh + i, 2 ow + j, c]; col[OH OW, KH KW C] x w[KH KW C, F].
// CHECK-DAG: #[[IM2COL:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (0, d0 * 2 + d2, d1 * 2 + d3, d4)>
// CHECK-LABEL: func.func @nhwc
// CHECK: linalg.generic {indexing_maps = [#[[IM2COL]], {{.*}}]
// CHECK-SAME: outs(%{{.*}} : tensor<8x8x3x3x8xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<64x72xf32>, tensor<72x48xf32>) outs(%{{.*}} : tensor<64x48xf32>)
// CHECK-NOT: linalg.conv
func.func @nhwc(%x: tensor<1x17x17x8xf32>, %w: tensor<3x3x8x48xf32>, %init: tensor<1x8x8x48xf32>) -> tensor<1x8x8x48xf32> {
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x17x17x8xf32>, tensor<3x3x8x48xf32>) outs(%init : tensor<1x8x8x48xf32>) -> tensor<1x8x8x48xf32>
  return %r : tensor<1x8x8x48xf32>
}

// -----

// Several images (NCHW/FCHW): tiles of one image, one output row, one
// kernel row, 8 output columns, 32 output channels and 4 input channels
// (16 -> four blocks), each a 1-D convolution vectorized into
// vector.contract ops over an 8x32 output block, one per kernel column.
// CHECK-LABEL: func.func @batch
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c4
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1
// CHECK: vector.transfer_read {{.*}} : tensor<1x4x10xf32>, vector<1x4x10xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<32x4x3xf32>, vector<32x4x3xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<1x32x8xf32>, vector<1x32x8xf32>
// CHECK-COUNT-3: vector.contract
// CHECK: vector.transfer_write {{.*}} : vector<1x32x8xf32>, tensor<1x32x8xf32>
// CHECK-NOT: linalg.conv
func.func @batch(%x: tensor<2x16x10x10xf32>, %w: tensor<32x16x3x3xf32>, %init: tensor<2x32x8x8xf32>) -> tensor<2x32x8x8xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<2x16x10x10xf32>, tensor<32x16x3x3xf32>) outs(%init : tensor<2x32x8x8xf32>) -> tensor<2x32x8x8xf32>
  return %r : tensor<2x32x8x8xf32>
}

// -----

// Several images with a 1x1 kernel: blocks of 8 input channels.
// CHECK-LABEL: func.func @batch_pointwise
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c8
// CHECK: vector.contract
func.func @batch_pointwise(%x: tensor<2x16x8x8xf32>, %w: tensor<32x16x1x1xf32>, %init: tensor<2x32x8x8xf32>) -> tensor<2x32x8x8xf32> {
  %r = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<2x16x8x8xf32>, tensor<32x16x1x1xf32>) outs(%init : tensor<2x32x8x8xf32>) -> tensor<2x32x8x8xf32>
  return %r : tensor<2x32x8x8xf32>
}

// -----

// Left alone: dynamic shapes, integer operands on several images, NHWC/FHWC
// on several images (no 1-D decomposition upstream).
// CHECK-LABEL: func.func @left_alone
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} tensor<?x16x10x10xf32>
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} tensor<2x16x10x10xi8>
// CHECK: linalg.conv_2d_nhwc_fhwc
// CHECK-NOT: vector.contract
// CHECK-NOT: linalg.matmul
func.func @left_alone(%x: tensor<?x16x10x10xf32>, %w: tensor<32x16x3x3xf32>, %init: tensor<?x32x8x8xf32>,
                      %xi: tensor<2x16x10x10xi8>, %wi: tensor<32x16x3x3xi8>, %ii: tensor<2x32x8x8xi32>,
                      %xh: tensor<2x10x10x16xf32>, %wh: tensor<32x3x3x16xf32>, %ih: tensor<2x8x8x32xf32>)
    -> (tensor<?x32x8x8xf32>, tensor<2x32x8x8xi32>, tensor<2x8x8x32xf32>) {
  %r0 = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<?x16x10x10xf32>, tensor<32x16x3x3xf32>) outs(%init : tensor<?x32x8x8xf32>) -> tensor<?x32x8x8xf32>
  %r1 = linalg.conv_2d_nchw_fchw ins(%xi, %wi : tensor<2x16x10x10xi8>, tensor<32x16x3x3xi8>) outs(%ii : tensor<2x32x8x8xi32>) -> tensor<2x32x8x8xi32>
  %r2 = linalg.conv_2d_nhwc_fhwc ins(%xh, %wh : tensor<2x10x10x16xf32>, tensor<32x3x3x16xf32>) outs(%ih : tensor<2x8x8x32xf32>) -> tensor<2x8x8x32xf32>
  return %r0, %r1, %r2 : tensor<?x32x8x8xf32>, tensor<2x32x8x8xi32>, tensor<2x8x8x32xf32>
}

// -----

// One image, integer operands (agn's i8 versions): the im2col matmul keeps
// the constant weights on the right, transposed at compile time (so that
// agn-vnni-matmuls finds them), and transposes its output back.
// CHECK-LABEL: func.func @integer
// CHECK: %[[WT:.*]] = arith.constant dense<{{\[\[}}1, 3], [2, 4]]> : tensor<2x2xi8>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x2x2x1x1xi8>)
// CHECK: linalg.transpose
// CHECK: linalg.matmul ins(%{{.*}}, %[[WT]] : tensor<4x2xi8>, tensor<2x2xi8>) outs(%{{.*}} : tensor<4x2xi32>)
// CHECK: linalg.transpose
func.func @integer(%x: tensor<1x2x2x2xi8>, %init: tensor<1x2x2x2xi32>) -> tensor<1x2x2x2xi32> {
  %w = arith.constant dense<[[[[1]], [[2]]], [[[3]], [[4]]]]> : tensor<2x2x1x1xi8>
  %r = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<1x2x2x2xi8>, tensor<2x2x1x1xi8>) outs(%init : tensor<1x2x2x2xi32>) -> tensor<1x2x2x2xi32>
  return %r : tensor<1x2x2x2xi32>
}

// -----

// One image, NHWC/FHWC (as TOSA writes convolutions): the HWCF im2col with
// the filter [F, KH KW C] transposed to [KH KW C, F] on the right.
// CHECK-LABEL: func.func @fhwc
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<8x8x3x3x16xf32>)
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2, 3]] : tensor<32x3x3x16xf32> into tensor<32x144xf32>
// CHECK: linalg.transpose
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<64x144xf32>, tensor<144x32xf32>) outs(%{{.*}} : tensor<64x32xf32>)
// CHECK-NOT: linalg.conv
func.func @fhwc(%x: tensor<1x10x10x16xf32>, %w: tensor<32x3x3x16xf32>, %init: tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32> {
  %r = linalg.conv_2d_nhwc_fhwc ins(%x, %w : tensor<1x10x10x16xf32>, tensor<32x3x3x16xf32>) outs(%init : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  return %r : tensor<1x8x8x32xf32>
}
