// RUN: agn-opt %s -split-input-file --agn-form-units="levels=i8,f32 thresholds=0.5 split=3" | FileCheck %s --check-prefix=CHANNELS
// RUN: agn-opt %s -split-input-file --agn-form-units="levels=i8,f32 thresholds=0.5 split=2 split-along=rows" | FileCheck %s --check-prefix=ROWS

// Splitting one layer into several units, each with its own controller later:
// along output channels (slices of the weights and bias, 8 channels into
// 3 + 3 + 2) or along rows (slices of the activations).

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// CHANNELS-LABEL: func.func @dense
// CHANNELS-SAME: (%[[X:.*]]: tensor<4x16xf32>, %[[W:.*]]: tensor<16x8xf32>, %[[B:.*]]: tensor<8xf32>)
// CHANNELS: %[[W0:.*]] = tensor.extract_slice %[[W]][0, 0] [16, 3] [1, 1]
// CHANNELS: %[[B0:.*]] = tensor.extract_slice %[[B]][0] [3] [1]
// CHANNELS: %[[U0:.*]] = agn.unit "dense.u0.s0" {{.*}} ins(%[[X]], %[[W0]], %[[B0]] : tensor<4x16xf32>, tensor<16x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
// CHANNELS: tensor.empty() : tensor<4x3xf32>
// CHANNELS: linalg.matmul {{.*}} -> tensor<4x3xf32>
// CHANNELS: } -> tensor<4x3xf32>
// CHANNELS: %[[W1:.*]] = tensor.extract_slice %[[W]][0, 3] [16, 3] [1, 1]
// CHANNELS: %[[B1:.*]] = tensor.extract_slice %[[B]][3] [3] [1]
// CHANNELS: %[[U1:.*]] = agn.unit "dense.u0.s1" {{.*}} ins(%[[X]], %[[W1]], %[[B1]] :
// CHANNELS: %[[W2:.*]] = tensor.extract_slice %[[W]][0, 6] [16, 2] [1, 1]
// CHANNELS: %[[B2:.*]] = tensor.extract_slice %[[B]][6] [2] [1]
// CHANNELS: %[[U2:.*]] = agn.unit "dense.u0.s2" {{.*}} ins(%[[X]], %[[W2]], %[[B2]] : tensor<4x16xf32>, tensor<16x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
// CHANNELS: %[[C:.*]] = tensor.concat dim(1) %[[U0]], %[[U1]], %[[U2]] : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x2xf32>) -> tensor<4x8xf32>
// CHANNELS: return %[[C]]

// ROWS-LABEL: func.func @dense
// ROWS-SAME: (%[[X:.*]]: tensor<4x16xf32>, %[[W:.*]]: tensor<16x8xf32>, %[[B:.*]]: tensor<8xf32>)
// ROWS: %[[X0:.*]] = tensor.extract_slice %[[X]][0, 0] [2, 16] [1, 1]
// ROWS: %[[U0:.*]] = agn.unit "dense.u0.s0" {{.*}} ins(%[[X0]], %[[W]], %[[B]] : tensor<2x16xf32>, tensor<16x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
// ROWS: %[[X1:.*]] = tensor.extract_slice %[[X]][2, 0] [2, 16] [1, 1]
// ROWS: %[[U1:.*]] = agn.unit "dense.u0.s1" {{.*}} ins(%[[X1]], %[[W]], %[[B]] :
// ROWS: %[[C:.*]] = tensor.concat dim(0) %[[U0]], %[[U1]]
// ROWS: return %[[C]]
func.func @dense(%x: tensor<4x16xf32>, %w: tensor<16x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x16xf32>, tensor<16x8xf32>) outs(%acc : tensor<4x8xf32>) -> tensor<4x8xf32>
  %biased = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<4x8xf32>, tensor<8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %biased : tensor<4x8xf32>
}

// -----

// A convolution splits along its filters (dimension 0 of the filter,
// dimension 1 of the NCHW result); the bias, broadcast along the other
// dimensions, is sliced too.
// CHANNELS-LABEL: func.func @conv
// CHANNELS: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [2, 3, 3, 3] [1, 1, 1, 1] : tensor<6x3x3x3xf32> to tensor<2x3x3x3xf32>
// CHANNELS: tensor.extract_slice %{{.*}}[0] [2] [1] : tensor<6xf32> to tensor<2xf32>
// CHANNELS: agn.unit "conv.u0.s0" {{.*}} -> tensor<2x2x6x6xf32>
// CHANNELS: linalg.broadcast {{.*}} outs(%{{.*}} : tensor<2x2x6x6xf32>) dimensions = [0, 2, 3]
// CHANNELS: linalg.conv_2d_nchw_fchw
// CHANNELS: agn.unit "conv.u0.s1"
// CHANNELS: agn.unit "conv.u0.s2"
// CHANNELS: tensor.concat dim(1)

// ROWS-LABEL: func.func @conv
// ROWS: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 3, 8, 8] [1, 1, 1, 1] : tensor<2x3x8x8xf32> to tensor<1x3x8x8xf32>
// ROWS: agn.unit "conv.u0.s0" {{.*}} -> tensor<1x6x6x6xf32>
// ROWS: agn.unit "conv.u0.s1"
// ROWS: tensor.concat dim(0)
func.func @conv(%img: tensor<2x3x8x8xf32>, %fil: tensor<6x3x3x3xf32>, %b: tensor<6xf32>) -> tensor<2x6x6x6xf32> {
  %e = tensor.empty() : tensor<2x6x6x6xf32>
  %bb = linalg.broadcast ins(%b : tensor<6xf32>) outs(%e : tensor<2x6x6x6xf32>) dimensions = [0, 2, 3]
  %r = linalg.conv_2d_nchw_fchw ins(%img, %fil : tensor<2x3x8x8xf32>, tensor<6x3x3x3xf32>) outs(%bb : tensor<2x6x6x6xf32>) -> tensor<2x6x6x6xf32>
  return %r : tensor<2x6x6x6xf32>
}
