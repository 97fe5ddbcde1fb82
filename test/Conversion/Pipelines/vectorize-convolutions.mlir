// RUN: agn-opt %s -split-input-file --agn-vectorize-convolutions --canonicalize --cse | FileCheck %s

// NCHW/FCHW: tiles of one image, one output row, one kernel row, 8 output
// columns, 32 output channels and 4 input channels (16 -> four blocks), each
// a 1-D convolution vectorized into vector.contract ops over an 8x32 output
// block (one per kernel column).

// (The loops over the single image, block of output channels and block of
// output columns fold away.)
// CHECK-LABEL: func.func @nchw
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c4
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1
// CHECK: vector.transfer_read {{.*}} : tensor<1x4x10xf32>, vector<1x4x10xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<32x4x3xf32>, vector<32x4x3xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<1x32x8xf32>, vector<1x32x8xf32>
// CHECK-COUNT-3: vector.contract
// CHECK: vector.transfer_write {{.*}} : vector<1x32x8xf32>, tensor<1x32x8xf32>
// CHECK-NOT: linalg.conv
func.func @nchw(%x: tensor<1x16x10x10xf32>, %w: tensor<32x16x3x3xf32>, %init: tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x16x10x10xf32>, tensor<32x16x3x3xf32>) outs(%init : tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32>
  return %r : tensor<1x32x8x8xf32>
}

// -----

// NHWC/HWCF, strided: the same tiles; the output block is 8 columns x 16
// channels (16 is the largest candidate dividing F = 48). 1x1 kernels take
// blocks of 8 input channels.
// CHECK-LABEL: func.func @nhwc
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c4
// CHECK: vector.transfer_read {{.*}} : tensor<1x8x16xf32>, vector<1x8x16xf32>
// CHECK: vector.contract
// CHECK-NOT: linalg.conv
func.func @nhwc(%x: tensor<1x17x17x8xf32>, %w: tensor<3x3x8x48xf32>, %init: tensor<1x8x8x48xf32>) -> tensor<1x8x8x48xf32> {
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x17x17x8xf32>, tensor<3x3x8x48xf32>) outs(%init : tensor<1x8x8x48xf32>) -> tensor<1x8x8x48xf32>
  return %r : tensor<1x8x8x48xf32>
}

// -----

// CHECK-LABEL: func.func @pointwise
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c8
// CHECK: vector.contract
func.func @pointwise(%x: tensor<1x16x8x8xf32>, %w: tensor<32x16x1x1xf32>, %init: tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32> {
  %r = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<1x16x8x8xf32>, tensor<32x16x1x1xf32>) outs(%init : tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32>
  return %r : tensor<1x32x8x8xf32>
}

// -----

// Left alone: dynamic shapes, integer operands, other layouts.
// CHECK-LABEL: func.func @left_alone
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} tensor<?x16x10x10xf32>
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} tensor<1x16x10x10xi8>
// CHECK: linalg.conv_2d_nhwc_fhwc
// CHECK-NOT: vector.contract
func.func @left_alone(%x: tensor<?x16x10x10xf32>, %w: tensor<32x16x3x3xf32>, %init: tensor<?x32x8x8xf32>,
                      %xi: tensor<1x16x10x10xi8>, %wi: tensor<32x16x3x3xi8>, %ii: tensor<1x32x8x8xi32>,
                      %xh: tensor<1x10x10x16xf32>, %wh: tensor<32x3x3x16xf32>, %ih: tensor<1x8x8x32xf32>)
    -> (tensor<?x32x8x8xf32>, tensor<1x32x8x8xi32>, tensor<1x8x8x32xf32>) {
  %r0 = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<?x16x10x10xf32>, tensor<32x16x3x3xf32>) outs(%init : tensor<?x32x8x8xf32>) -> tensor<?x32x8x8xf32>
  %r1 = linalg.conv_2d_nchw_fchw ins(%xi, %wi : tensor<1x16x10x10xi8>, tensor<32x16x3x3xi8>) outs(%ii : tensor<1x32x8x8xi32>) -> tensor<1x32x8x8xi32>
  %r2 = linalg.conv_2d_nhwc_fhwc ins(%xh, %wh : tensor<1x10x10x16xf32>, tensor<32x3x3x16xf32>) outs(%ih : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  return %r0, %r1, %r2 : tensor<?x32x8x8xf32>, tensor<1x32x8x8xi32>, tensor<1x8x8x32xf32>
}
