// RUN: agn-opt %s -split-input-file --agn-cpu-configure-kernels --agn-vectorize-convolutions --canonicalize --cse | FileCheck %s
// RUN: agn-opt %s -split-input-file --agn-cpu-configure-kernels=threads=2 --agn-vectorize-convolutions --canonicalize --cse | FileCheck %s --check-prefix=THREADS

// A depthwise convolution of stride 1 whose output starts as a fill runs
// over each channel's plane as it lies in memory: the 7 rows of 9 positions
// (7 outputs and 2 dropped per row) are one vector of 64, where the row form
// took 7 vectors of 64 lanes with 7 used. Kernel offset (i, j) reads the
// channel's plane at i 9 + j. The padding the importer writes before
// splitting channels into groups (tensor.expand_shape) is widened by the row
// the last read reaches (63 + 20 > 81): one copy of the image.

// CHECK-LABEL: func.func @depthwise_plane
// CHECK-DAG:   %[[C90:.*]] = arith.constant 90 : index
// CHECK-DAG:   %[[C20:.*]] = arith.constant 20 : index
// CHECK-DAG:   %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : vector<64xf32>
// CHECK:       %[[PAD:.*]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 2, 1]
// CHECK:       %[[FLAT:.*]] = tensor.collapse_shape %[[PAD]] {{\[\[}}0, 1, 2, 3]] : tensor<1x4x10x9xf32> into tensor<360xf32>
// CHECK:       scf.for %[[G:.*]] = %c0 to %c4 step %c1
// CHECK:         %[[BASE:.*]] = arith.muli %[[G]], %[[C90]]
// CHECK:         %[[X0:.*]] = vector.transfer_read %[[FLAT]][%[[BASE]]], {{.*}} {in_bounds = [true]} : tensor<360xf32>, vector<64xf32>
// CHECK:         %[[P0:.*]] = arith.mulf %[[X0]]
// CHECK:         %[[ACC:.*]] = arith.addf %[[P0]], %[[ZEROS]]
// CHECK-COUNT-7: arith.addf
// CHECK:         %[[AT8:.*]] = arith.addi %[[BASE]], %[[C20]]
// CHECK:         vector.transfer_read %[[FLAT]][%[[AT8]]]
// CHECK:         arith.addf
// CHECK:         vector.transfer_write %{{.*}}, %{{.*}}[%c0, %[[G]], %c0, %c0] {in_bounds = [true]} : vector<64xf32>, tensor<1x4x1x64xf32>
// CHECK:       tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 4, 1, 63] [1, 1, 1, 1]
// CHECK:       tensor.expand_shape %{{.*}} {{\[\[}}0], [1], [2], [3, 4]] output_shape [1, 4, 1, 7, 9]
// CHECK:       tensor.extract_slice %{{.*}}[0, 0, 0, 0, 0] [1, 4, 1, 7, 7] [1, 1, 1, 1, 1] : tensor<1x4x1x7x9xf32> to tensor<1x4x1x7x7xf32>
// CHECK-NOT:   linalg.conv

// Two threads take two groups each.
// THREADS-LABEL: func.func @depthwise_plane
// THREADS:       scf.forall (%[[CHUNK:.*]]) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<1x4x1x64xf32>)
// THREADS:         %[[FIRST:.*]] = arith.muli %[[CHUNK]], %c2
// THREADS:         tensor.extract_slice %[[OUT]][0, %[[FIRST]], 0, 0] [1, 2, 1, 64] [1, 1, 1, 1]
// THREADS:         scf.for %[[LOCAL:.*]] = %c0 to %c2 step %c1
// THREADS:           %[[G:.*]] = arith.addi %[[FIRST]], %[[LOCAL]]
// THREADS:           arith.muli %[[G]], %c90
// THREADS:           vector.transfer_write %{{.*}}, %{{.*}}[%c0, %[[LOCAL]], %c0, %c0]
// THREADS:         tensor.parallel_insert_slice %{{.*}} into %[[OUT]][0, %[[FIRST]], 0, 0] [1, 2, 1, 64] [1, 1, 1, 1]
func.func @depthwise_plane(%x: tensor<1x4x7x7xf32>) -> tensor<1x4x1x7x7xf32> {
  %w = arith.constant dense<0.5> : tensor<4x1x1x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %padded = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x4x7x7xf32> to tensor<1x4x9x9xf32>
  %groups = tensor.expand_shape %padded [[0], [1, 2], [3], [4]] output_shape [1, 4, 1, 9, 9] : tensor<1x4x9x9xf32> into tensor<1x4x1x9x9xf32>
  %e = tensor.empty() : tensor<1x4x1x7x7xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x1x7x7xf32>) -> tensor<1x4x1x7x7xf32>
  %y = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%groups, %w : tensor<1x4x1x9x9xf32>, tensor<4x1x1x3x3xf32>) outs(%init : tensor<1x4x1x7x7xf32>) -> tensor<1x4x1x7x7xf32>
  return %y : tensor<1x4x1x7x7xf32>
}

// -----

// Stride 2 keeps the row form (a shuffle picks every other input), its
// groups split into threads too; so does an output that is not a fill.

// CHECK-LABEL: func.func @row_form
// CHECK:       vector.shuffle
// CHECK:       vector.transfer_read %{{.*}}[%c0, %{{.*}}, %c0, %{{.*}}, %c0], {{.*}} : tensor<1x4x1x8x8xf32>, vector<64xf32>
// CHECK-NOT:   tensor.collapse_shape
// THREADS-LABEL: func.func @row_form
// THREADS-COUNT-2: scf.forall (%{{.*}}) in (2)
func.func @row_form(%x: tensor<1x4x1x9x9xf32>, %init: tensor<1x4x1x8x8xf32>) -> (tensor<1x4x1x4x4xf32>, tensor<1x4x1x8x8xf32>) {
  %w = arith.constant dense<0.5> : tensor<4x1x1x2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x1x4x4xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x1x4x4xf32>) -> tensor<1x4x1x4x4xf32>
  %strided = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x1x9x9xf32>, tensor<4x1x1x2x2xf32>) outs(%fill : tensor<1x4x1x4x4xf32>) -> tensor<1x4x1x4x4xf32>
  %accumulated = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x1x9x9xf32>, tensor<4x1x1x2x2xf32>) outs(%init : tensor<1x4x1x8x8xf32>) -> tensor<1x4x1x8x8xf32>
  return %strided, %accumulated : tensor<1x4x1x4x4xf32>, tensor<1x4x1x8x8xf32>
}
