// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels=threads=2 | FileCheck %s --check-prefixes=CHECK,AVX2
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels=threads=1 | FileCheck %s --check-prefixes=CHECK,ONE
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels="threads=2 signed-dot-filter-on-left=false" | FileCheck %s --check-prefixes=CHECK,RIGHT
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels=threads=2 | FileCheck %s --check-prefixes=CHECK,RIGHT
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels=threads=2 \
// RUN:   --agn-vectorize-convolutions | FileCheck %s --check-prefix=MATMUL

// Where the `signed_dot` kernel (AVX2 without VNNI) computes the integer
// matmuls, NCHW integer convolutions put a filter without -128 on the left
// of their im2col matmul when the output plane fills at least a 64-pixel
// panel per thread, padded by at most an eighth: the product is then NCHW.
// Elsewhere (VNNI targets, the option off) the filter stays on the right.

// A 16x16 plane (four whole panels), a constant filter without -128.
// CHECK-LABEL: func.func @whole_panels
// AVX2: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col>
// ONE: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col>
// RIGHT: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
// The matmul: the filter ([F, C KH KW]) on the left of the im2col copy
// ([C KH KW, OH OW]), its product expanded to NCHW with no transpose.
// MATMUL-LABEL: func.func @whole_panels
// MATMUL-NOT: linalg.transpose
// MATMUL: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<5x18xi8>, tensor<18x256xi8>) outs(%{{.*}} : tensor<5x256xi32>)
// MATMUL-NOT: linalg.transpose
// MATMUL: tensor.expand_shape {{.*}} into tensor<1x5x16x16xi32>
func.func @whole_panels(%x: tensor<1x2x18x18xi8>, %y: tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32> {
  %w = arith.constant dense<-127> : tensor<5x2x3x3xi8>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x18x18xi8>, tensor<5x2x3x3xi8>) outs(%y : tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32>
  return %r : tensor<1x5x16x16xi32>
}

// -----

// A filter that holds -128 (and activations that may) stays on the right.
// CHECK-LABEL: func.func @minimum_filter
// CHECK: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
func.func @minimum_filter(%x: tensor<1x2x18x18xi8>, %y: tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32> {
  %w = arith.constant dense<-128> : tensor<5x2x3x3xi8>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x18x18xi8>, tensor<5x2x3x3xi8>) outs(%y : tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32>
  return %r : tensor<1x5x16x16xi32>
}

// -----

// A 14x14 plane (196 pixels) pads its four panels by a third: the filters
// fill the panels.
// CHECK-LABEL: func.func @padded_panels
// CHECK: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
func.func @padded_panels(%x: tensor<1x2x16x16xi8>, %y: tensor<1x5x14x14xi32>) -> tensor<1x5x14x14xi32> {
  %w = arith.constant dense<3> : tensor<5x2x3x3xi8>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x16x16xi8>, tensor<5x2x3x3xi8>) outs(%y : tensor<1x5x14x14xi32>) -> tensor<1x5x14x14xi32>
  return %r : tensor<1x5x14x14xi32>
}

// -----

// An 8x8 plane is one panel: on the left for one thread, on the right for
// two (a panel per thread).
// CHECK-LABEL: func.func @one_panel
// AVX2: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
// ONE: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col>
// RIGHT: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
func.func @one_panel(%x: tensor<1x2x10x10xi8>, %y: tensor<1x5x8x8xi32>) -> tensor<1x5x8x8xi32> {
  %w = arith.constant dense<3> : tensor<5x2x3x3xi8>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x10x10xi8>, tensor<5x2x3x3xi8>) outs(%y : tensor<1x5x8x8xi32>) -> tensor<1x5x8x8xi32>
  return %r : tensor<1x5x8x8xi32>
}

// -----

// i4 filters hold no -128 whatever their values, constants or not; on the
// left they are sign-extended to bytes (a non-constant one by a
// linalg.generic, which the signed_dot kernel recognizes as such).
// CHECK-LABEL: func.func @i4_filter
// AVX2: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col>
// RIGHT: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
// MATMUL-LABEL: func.func @i4_filter
// MATMUL: %[[W:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<5x2x3x3xi4> into tensor<5x18xi4>
// MATMUL: %[[BYTES:.*]] = linalg.generic {{.*}} ins(%[[W]] : tensor<5x18xi4>)
// MATMUL: arith.extsi %{{.*}} : i4 to i8
// MATMUL: linalg.matmul ins(%[[BYTES]], %{{.*}} : tensor<5x18xi8>, tensor<18x256xi8>)
func.func @i4_filter(%x: tensor<1x2x18x18xi8>, %w: tensor<5x2x3x3xi4>, %y: tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x18x18xi8>, tensor<5x2x3x3xi4>) outs(%y : tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32>
  return %r : tensor<1x5x16x16xi32>
}

// -----

// NHWC convolutions write NHWC from the filter on the right already.
// CHECK-LABEL: func.func @channels_last
// CHECK: linalg.conv_2d_nhwc_hwcf {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
func.func @channels_last(%x: tensor<1x18x18x2xi8>, %y: tensor<1x16x16x5xi32>) -> tensor<1x16x16x5xi32> {
  %w = arith.constant dense<3> : tensor<3x3x2x5xi8>
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x18x18x2xi8>, tensor<3x3x2x5xi8>) outs(%y : tensor<1x16x16x5xi32>) -> tensor<1x16x16x5xi32>
  return %r : tensor<1x16x16x5xi32>
}

// -----

// Groups of 16 filters or more (im2col matmuls per group) decide as
// ungrouped convolutions do.
// CHECK-LABEL: func.func @grouped
// AVX2: linalg.conv_2d_ngchw_gfchw {agn.lowering_config = #agn.lowering_config<kernel = im2col>
// RIGHT: linalg.conv_2d_ngchw_gfchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
func.func @grouped(%x: tensor<1x2x2x18x18xi8>, %y: tensor<1x2x16x16x16xi32>) -> tensor<1x2x16x16x16xi32> {
  %w = arith.constant dense<5> : tensor<2x16x2x3x3xi8>
  %r = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x2x18x18xi8>, tensor<2x16x2x3x3xi8>) outs(%y : tensor<1x2x16x16x16xi32>) -> tensor<1x2x16x16x16xi32>
  return %r : tensor<1x2x16x16x16xi32>
}
