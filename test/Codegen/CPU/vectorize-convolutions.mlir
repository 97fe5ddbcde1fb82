// RUN: agn-opt %s -split-input-file --agn-cpu-configure-kernels --agn-vectorize-convolutions --canonicalize --cse | FileCheck %s

// One image, NCHW/FCHW, fewer than 32 filters: an im2col copy
// col[c, i, j, oh, ow] = x[0, c, oh + i, ow + j] (an affine map, no
// division) and a linalg.matmul w[F, C KH KW] x col[C KH KW, OH OW], which
// agn-vectorize-contractions tiles and vectorizes next.

// CHECK-DAG: #[[IM2COL:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (0, d0, d1 + d3, d2 + d4)>
// CHECK-DAG: #[[ID5:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CHECK-LABEL: func.func @nchw
// CHECK-SAME: (%[[X:.*]]: tensor<1x16x10x10xf32>, %[[W:.*]]: tensor<16x16x3x3xf32>, %[[INIT:.*]]: tensor<1x16x8x8xf32>)
// CHECK: %[[COL:.*]] = linalg.generic {indexing_maps = [#[[IM2COL]], #[[ID5]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<1x16x10x10xf32>) outs(%{{.*}} : tensor<16x3x3x8x8xf32>)
// CHECK: %[[LHS:.*]] = tensor.collapse_shape %[[W]] {{\[\[}}0], [1, 2, 3]] : tensor<16x16x3x3xf32> into tensor<16x144xf32>
// CHECK: %[[RHS:.*]] = tensor.collapse_shape %[[COL]] {{\[\[}}0, 1, 2], [3, 4]] : tensor<16x3x3x8x8xf32> into tensor<144x64xf32>
// CHECK: %[[OUT:.*]] = tensor.collapse_shape %[[INIT]] {{\[\[}}0, 1], [2, 3]] : tensor<1x16x8x8xf32> into tensor<16x64xf32>
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[LHS]], %[[RHS]] : tensor<16x144xf32>, tensor<144x64xf32>) outs(%[[OUT]] : tensor<16x64xf32>)
// CHECK: %[[Y:.*]] = tensor.expand_shape %[[MM]] {{\[\[}}0, 1], [2, 3]] output_shape [1, 16, 8, 8]
// CHECK: return %[[Y]]
func.func @nchw(%x: tensor<1x16x10x10xf32>, %w: tensor<16x16x3x3xf32>, %init: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x16x10x10xf32>, tensor<16x16x3x3xf32>) outs(%init : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  return %r : tensor<1x16x8x8xf32>
}

// -----

// With 32 filters or more, the filter goes on the right (the small matrix
// the register tiles' rows stream past): col[oh, ow, c, i, j] =
// x[0, c, oh + i, ow + j], col[OH OW, C KH KW] x w^T[C KH KW, F], the
// product transposed back to [F, OH OW].
// CHECK-DAG: #[[IM2COL:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (0, d2, d0 + d3, d1 + d4)>
// CHECK-LABEL: func.func @nchw_wide
// CHECK: linalg.generic {indexing_maps = [#[[IM2COL]], {{.*}}]
// CHECK-SAME: outs(%{{.*}} : tensor<8x8x16x3x3xf32>)
// CHECK: linalg.transpose ins(%{{.*}} : tensor<32x144xf32>) outs(%{{.*}} : tensor<144x32xf32>) permutation = [1, 0]
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<64x144xf32>, tensor<144x32xf32>) outs(%{{.*}} : tensor<64x32xf32>)
// CHECK: linalg.transpose ins(%{{.*}} : tensor<64x32xf32>) outs(%{{.*}} : tensor<32x64xf32>) permutation = [1, 0]
// CHECK-NOT: linalg.conv
func.func @nchw_wide(%x: tensor<1x16x10x10xf32>, %w: tensor<32x16x3x3xf32>, %init: tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32> {
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

// Several images: a loop over them of single-image im2col matmuls.
// CHECK-LABEL: func.func @batch
// CHECK: scf.for %[[N:.*]] = %c0 to %c2 step %c1
// CHECK: tensor.extract_slice %{{.*}}[%[[N]], 0, 0, 0] [1, 16, 10, 10] [1, 1, 1, 1]
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<16x3x3x8x8xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<16x144xf32>, tensor<144x64xf32>)
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%[[N]], 0, 0, 0] [1, 16, 8, 8] [1, 1, 1, 1]
// CHECK-NOT: linalg.conv
func.func @batch(%x: tensor<2x16x10x10xf32>, %w: tensor<16x16x3x3xf32>, %init: tensor<2x16x8x8xf32>) -> tensor<2x16x8x8xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<2x16x10x10xf32>, tensor<16x16x3x3xf32>) outs(%init : tensor<2x16x8x8xf32>) -> tensor<2x16x8x8xf32>
  return %r : tensor<2x16x8x8xf32>
}

// -----

// Several images with integer operands: the same loop, the constant weights
// transposed on the right.
// CHECK-LABEL: func.func @batch_integer
// CHECK: scf.for
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x2xi8>, tensor<2x2xi8>) outs(%{{.*}} : tensor<4x2xi32>)
// CHECK-NOT: linalg.conv
func.func @batch_integer(%x: tensor<3x2x2x2xi8>, %init: tensor<3x2x2x2xi32>) -> tensor<3x2x2x2xi32> {
  %w = arith.constant dense<[[[[1]], [[2]]], [[[3]], [[4]]]]> : tensor<2x2x1x1xi8>
  %r = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<3x2x2x2xi8>, tensor<2x2x1x1xi8>) outs(%init : tensor<3x2x2x2xi32>) -> tensor<3x2x2x2xi32>
  return %r : tensor<3x2x2x2xi32>
}

// -----

// Left alone: dynamic shapes, unsupported layouts (NCHW/HWCF is not a
// linalg op; the pooling and depthwise ops are not convolutions with F).
// CHECK-LABEL: func.func @left_alone
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} tensor<?x16x10x10xf32>
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc
// CHECK-NOT: linalg.matmul
func.func @left_alone(%x: tensor<?x16x10x10xf32>, %w: tensor<32x16x3x3xf32>, %init: tensor<?x32x8x8xf32>,
                      %xd: tensor<1x10x10x16xf32>, %wd: tensor<3x3x16xf32>, %id: tensor<1x8x8x16xf32>)
    -> (tensor<?x32x8x8xf32>, tensor<1x8x8x16xf32>) {
  %r0 = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<?x16x10x10xf32>, tensor<32x16x3x3xf32>) outs(%init : tensor<?x32x8x8xf32>) -> tensor<?x32x8x8xf32>
  %r1 = linalg.depthwise_conv_2d_nhwc_hwc ins(%xd, %wd : tensor<1x10x10x16xf32>, tensor<3x3x16xf32>) outs(%id : tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  return %r0, %r1 : tensor<?x32x8x8xf32>, tensor<1x8x8x16xf32>
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

// -----

// A grouped convolution (as agn's importer writes ONNX Conv with group > 1)
// with 16 filters per group: a loop over the images and one over the
// groups, each iteration a single-image NCHW/FCHW convolution of its group's
// channels and filters (the unit image and group dimensions dropped) and so
// an im2col matmul: [Fg, Cg KH KW] x [Cg KH KW, OH OW] = [16, 2*3*3] x
// [18, 4*4].
// CHECK-LABEL: func.func @grouped
// CHECK: scf.for %[[N:.*]] = %c0 to %c2 step %c1
// CHECK: scf.for %[[G:.*]] = %c0 to %c3 step %c1
// CHECK: tensor.extract_slice %{{.*}}[%[[N]], %[[G]], 0, 0, 0] [1, 1, 2, 6, 6] [1, 1, 1, 1, 1]
// CHECK: tensor.extract_slice %{{.*}}[%[[G]], 0, 0, 0, 0] [1, 16, 2, 3, 3] [1, 1, 1, 1, 1]
// CHECK: tensor.collapse_shape {{.*}} {{\[\[}}0, 1], [2], [3], [4]] : tensor<1x1x2x6x6xf32> into tensor<1x2x6x6xf32>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3x3x4x4xf32>)
// CHECK: tensor.collapse_shape {{.*}} : tensor<1x16x2x3x3xf32> into tensor<16x18xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<16x18xf32>, tensor<18x16xf32>) outs(%{{.*}} : tensor<16x16xf32>)
// CHECK: tensor.expand_shape {{.*}} : tensor<16x16xf32> into tensor<1x1x16x4x4xf32>
// CHECK: tensor.insert_slice
// CHECK-NOT: linalg.conv
func.func @grouped(%x: tensor<2x3x2x6x6xf32>, %w: tensor<3x16x2x3x3xf32>, %init: tensor<2x3x16x4x4xf32>) -> tensor<2x3x16x4x4xf32> {
  %r = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<2x3x2x6x6xf32>, tensor<3x16x2x3x3xf32>) outs(%init : tensor<2x3x16x4x4xf32>) -> tensor<2x3x16x4x4xf32>
  return %r : tensor<2x3x16x4x4xf32>
}

// -----

// Groups of fewer than 16 filters (depthwise convolutions have one) get
// direct vector loops: per group and output row, 64 outputs at a time (one
// masked chunk for OW = 8), the input row read at each kernel column (stride
// 1: one contiguous vector) times the broadcast filter value, added in the
// order of linalg's loops.
// CHECK-LABEL: func.func @depthwise
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x1x10x10xf32>, %[[W:.*]]: tensor<4x1x1x3x3xf32>, %[[INIT:.*]]: tensor<1x4x1x8x8xf32>)
// CHECK: scf.for %[[G:.*]] = %c0 to %c4 step %c1 iter_args(%[[Y0:.*]] = %[[INIT]])
// CHECK: scf.for %[[OH:.*]] = %c0 to %c8 step %c1 iter_args(%[[Y:.*]] = %[[Y0]])
// CHECK: %[[ACC:.*]] = vector.transfer_read %[[Y]][%c0, %[[G]], %c0, %[[OH]], %c0], %{{.*}} : tensor<1x4x1x8x8xf32>, vector<64xf32>
// CHECK: %[[IN:.*]] = vector.transfer_read %[[X]][%c0, %[[G]], %c0, %[[OH]], %c0], %{{.*}} : tensor<1x4x1x10x10xf32>, vector<64xf32>
// CHECK: %[[WEIGHT:.*]] = tensor.extract %[[W]][%[[G]], %c0, %c0, %c0, %c0]
// CHECK: %[[SPLAT:.*]] = vector.broadcast %[[WEIGHT]] : f32 to vector<64xf32>
// CHECK: %[[PRODUCT:.*]] = arith.mulf %[[IN]], %[[SPLAT]] : vector<64xf32>
// CHECK: %[[SUM:.*]] = arith.addf %[[ACC]], %[[PRODUCT]] : vector<64xf32>
// CHECK-COUNT-8: arith.addf
// CHECK: vector.transfer_write %{{.*}}, %[[Y]][%c0, %[[G]], %c0, %[[OH]], %c0] : vector<64xf32>, tensor<1x4x1x8x8xf32>
// CHECK-NOT: linalg.conv
func.func @depthwise(%x: tensor<1x4x1x10x10xf32>, %w: tensor<4x1x1x3x3xf32>, %init: tensor<1x4x1x8x8xf32>) -> tensor<1x4x1x8x8xf32> {
  %r = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x1x10x10xf32>, tensor<4x1x1x3x3xf32>) outs(%init : tensor<1x4x1x8x8xf32>) -> tensor<1x4x1x8x8xf32>
  return %r : tensor<1x4x1x8x8xf32>
}

// -----

// A stride of 2: each read covers 127 input elements (every other one is
// needed), which a shuffle picks; integers are sign-extended to the output
// type; two channels per group make a loop.
// CHECK-LABEL: func.func @strided_integer_groups
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c15 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1
// CHECK: %[[SPAN:.*]] = vector.transfer_read {{.*}} : tensor<1x2x2x10x10xi8>, vector<127xi8>
// CHECK: %[[LANES:.*]] = vector.shuffle %[[SPAN]], %[[SPAN]] [0, 2, 4,
// CHECK-SAME: 126] : vector<127xi8>, vector<127xi8>
// CHECK: %[[WEIGHT:.*]] = tensor.extract
// CHECK: %[[WIDE_WEIGHT:.*]] = arith.extsi %[[WEIGHT]] : i8 to i32
// CHECK: %[[SPLAT:.*]] = vector.broadcast %[[WIDE_WEIGHT]] : i32 to vector<64xi32>
// CHECK: %[[WIDE:.*]] = arith.extsi %[[LANES]] : vector<64xi8> to vector<64xi32>
// CHECK: arith.muli %[[WIDE]], %[[SPLAT]] : vector<64xi32>
// CHECK-NOT: linalg.conv
func.func @strided_integer_groups(%x: tensor<1x2x2x10x10xi8>, %w: tensor<2x15x2x3x3xi8>, %init: tensor<1x2x15x4x4xi32>) -> tensor<1x2x15x4x4xi32> {
  %r = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x2x10x10xi8>, tensor<2x15x2x3x3xi8>) outs(%init : tensor<1x2x15x4x4xi32>) -> tensor<1x2x15x4x4xi32>
  return %r : tensor<1x2x15x4x4xi32>
}

// -----

// Left alone: narrow groups of a dynamic shape, and mixed element types.
// CHECK-LABEL: func.func @narrow_groups_left_alone
// CHECK: linalg.conv_2d_ngchw_gfchw
// CHECK: linalg.conv_2d_ngchw_gfchw
// CHECK-NOT: vector.transfer_read
func.func @narrow_groups_left_alone(%x: tensor<?x4x1x10x10xf32>, %w: tensor<4x1x1x3x3xf32>, %init: tensor<?x4x1x8x8xf32>,
                                    %xh: tensor<1x4x1x10x10xf16>, %ih: tensor<1x4x1x8x8xf32>)
    -> (tensor<?x4x1x8x8xf32>, tensor<1x4x1x8x8xf32>) {
  %r0 = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<?x4x1x10x10xf32>, tensor<4x1x1x3x3xf32>) outs(%init : tensor<?x4x1x8x8xf32>) -> tensor<?x4x1x8x8xf32>
  %r1 = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xh, %w : tensor<1x4x1x10x10xf16>, tensor<4x1x1x3x3xf32>) outs(%ih : tensor<1x4x1x8x8xf32>) -> tensor<1x4x1x8x8xf32>
  return %r0, %r1 : tensor<?x4x1x8x8xf32>, tensor<1x4x1x8x8xf32>
}

// -----

// A 1-D convolution (NCW/FCW, as agn's importer writes them) goes as the 2-D
// convolution of height 1 it is: stride and dilation 1 along the height.
// CHECK-LABEL: func.func @one_dimensional
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<3x1x3x1x8xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<5x9xf32>, tensor<9x8xf32>) outs(%{{.*}} : tensor<5x8xf32>)
// CHECK: tensor.expand_shape {{.*}} : tensor<5x8xf32> into tensor<1x5x8xf32>
// CHECK-NOT: linalg.conv
func.func @one_dimensional(%x: tensor<1x3x20xf32>, %w: tensor<5x3x3xf32>, %init: tensor<1x5x8xf32>) -> tensor<1x5x8xf32> {
  %r = linalg.conv_1d_ncw_fcw {dilations = dense<2> : tensor<1xi64>, strides = dense<2> : tensor<1xi64>}
      ins(%x, %w : tensor<1x3x20xf32>, tensor<5x3x3xf32>) outs(%init : tensor<1x5x8xf32>) -> tensor<1x5x8xf32>
  return %r : tensor<1x5x8xf32>
}

// -----

// A 3-D convolution (NCDHW/FCDHW) becomes loops over its images, output
// depths and kernel depths (accumulating) around the 2-D convolution of an
// input plane with a kernel plane: strides and dilations of height and
// width (2 and 1 here; the depth's 2 and 3 are the loops').
// CHECK-LABEL: func.func @three_dimensional
// CHECK: scf.for %[[N:.*]] = %c0 to %c2 step %c1
// CHECK: scf.for %[[OD:.*]] = %c0 to %c3 step %c1
// CHECK: scf.for %[[KD:.*]] = %c0 to %c2 step %c1
// CHECK: tensor.collapse_shape {{.*}} {{\[\[}}0], [1], [2, 3], [4]] : tensor<1x4x1x9x9xf32> into tensor<1x4x9x9xf32>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x3x3x4x4xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<5x36xf32>, tensor<36x16xf32>) outs(%{{.*}} : tensor<5x16xf32>)
// CHECK-NOT: linalg.conv
func.func @three_dimensional(%x: tensor<2x4x9x9x9xf32>, %w: tensor<5x4x2x3x3xf32>, %init: tensor<2x5x3x4x4xf32>) -> tensor<2x5x3x4x4xf32> {
  %r = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<[3, 1, 1]> : tensor<3xi64>, strides = dense<[2, 2, 2]> : tensor<3xi64>}
      ins(%x, %w : tensor<2x4x9x9x9xf32>, tensor<5x4x2x3x3xf32>) outs(%init : tensor<2x5x3x4x4xf32>) -> tensor<2x5x3x4x4xf32>
  return %r : tensor<2x5x3x4x4xf32>
}

// -----

// Left alone: i4 filters that splitting by group or kernel depth would slice
// mid-byte once the i4 values are packed two per byte.
// CHECK-LABEL: func.func @sub_byte_slices_left_alone
// CHECK: linalg.conv_3d_ncdhw_fcdhw
// CHECK: linalg.conv_2d_ngchw_gfchw
func.func @sub_byte_slices_left_alone(%x: tensor<1x2x4x6x6xi8>, %w: tensor<16x2x2x3x3xi4>, %init: tensor<1x16x3x4x4xi32>,
                                      %xg: tensor<1x2x2x6x6xi8>, %wg: tensor<2x16x2x3x3xi4>, %ig: tensor<1x2x16x4x4xi32>)
    -> (tensor<1x16x3x4x4xi32>, tensor<1x2x16x4x4xi32>) {
  %r = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : tensor<3xi64>, strides = dense<1> : tensor<3xi64>}
      ins(%x, %w : tensor<1x2x4x6x6xi8>, tensor<16x2x2x3x3xi4>) outs(%init : tensor<1x16x3x4x4xi32>) -> tensor<1x16x3x4x4xi32>
  %rg = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xg, %wg : tensor<1x2x2x6x6xi8>, tensor<2x16x2x3x3xi4>) outs(%ig : tensor<1x2x16x4x4xi32>) -> tensor<1x2x16x4x4xi32>
  return %r, %rg : tensor<1x16x3x4x4xi32>, tensor<1x2x16x4x4xi32>
}
