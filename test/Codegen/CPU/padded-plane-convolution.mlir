// RUN: agn-opt %s -split-input-file --agn-cpu-configure-kernels --agn-vectorize-convolutions --canonicalize --cse | FileCheck %s
// RUN: agn-opt %s -split-input-file --agn-cpu-configure-kernels=threads=2 --agn-vectorize-convolutions --canonicalize --cse | FileCheck %s --check-prefix=THREADS
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels | FileCheck %s --check-prefix=AVX2

// A stride-1 f32 convolution with a constant filter runs on the input plane
// as it lies in memory: no im2col copy, no transpose of the result. The 16
// filters are packed at compile time in two panels of 8, each step's 8
// weights adjacent (filter f, kernel column kw at [f / 8, kw, f % 8]). The 4
// output rows of 5 positions (the last of each dropped) are one tile of 32:
// its reads reach position 32 + 1, past the image's 20, so it reads with
// masks (zeros past the end, for dropped positions only) rather than copy
// the image into one with more rows.

// CHECK-LABEL: func.func @packed_filter
// CHECK-DAG:   %[[INIT:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK-DAG:   %[[W:.*]] = arith.constant dense<{{\[\[\[}}0.000000e+00, 2.000000e+00, 4.000000e+00, 6.000000e+00, 8.000000e+00, 1.000000e+01, 1.200000e+01, 1.400000e+01], [1.000000e+00, 3.000000e+00, 5.000000e+00, 7.000000e+00, 9.000000e+00, 1.100000e+01, 1.300000e+01, 1.500000e+01]], {{\[\[}}1.600000e+01, {{.*}}, 3.000000e+01], [1.700000e+01, {{.*}}, 3.100000e+01]]]> : tensor<2x2x8xf32>
// CHECK-NOT:   tensor.pad
// CHECK:       %[[FLAT:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1, 2, 3]] : tensor<1x1x4x5xf32> into tensor<20xf32>
// CHECK:       scf.for %[[PANEL:.*]] = %c0 to %c2 step %c1
// CHECK:         %[[X0:.*]] = vector.transfer_read %[[FLAT]][%c0], %{{[^ ]*}} : tensor<20xf32>, vector<32xf32>
// CHECK:         %[[W0:.*]] = vector.transfer_read %[[W]][%[[PANEL]], %c0, %c0], {{.*}} : tensor<2x2x8xf32>, vector<8xf32>
// CHECK:         %[[ACC:.*]] = vector.outerproduct %[[W0]], %[[X0]], %[[INIT]] {kind = #vector.kind<add>}
// CHECK:         %[[X1:.*]] = vector.transfer_read %[[FLAT]][%c1], %{{[^ ]*}} : tensor<20xf32>, vector<32xf32>
// CHECK:         %[[W1:.*]] = vector.transfer_read %[[W]][%[[PANEL]], %c1, %c0], {{.*}} : tensor<2x2x8xf32>, vector<8xf32>
// CHECK:         %[[SUM:.*]] = vector.outerproduct %[[W1]], %[[X1]], %[[ACC]] {kind = #vector.kind<add>}
// CHECK:         vector.transfer_write %[[SUM]], %{{.*}} {in_bounds = [true, true]} : vector<8x32xf32>, tensor<16x32xf32>
// CHECK:       %[[USED:.*]] = tensor.extract_slice %{{.*}}[0, 0] [16, 20] [1, 1] : tensor<16x32xf32> to tensor<16x20xf32>
// CHECK:       %[[ROWS:.*]] = tensor.expand_shape %[[USED]] {{\[\[}}0], [1, 2]] output_shape [16, 4, 5]
// CHECK:       %[[OUT:.*]] = tensor.extract_slice %[[ROWS]][0, 0, 0] [16, 4, 4] [1, 1, 1] : tensor<16x4x5xf32> to tensor<16x4x4xf32>
// CHECK:       tensor.expand_shape %[[OUT]] {{\[\[}}0, 1], [2], [3]] output_shape [1, 16, 4, 4]
// CHECK-NOT:   linalg.conv_2d

// Two threads take a panel each.
// THREADS-LABEL: func.func @packed_filter
// THREADS:       scf.forall (%[[CHUNK:.*]]) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<16x32xf32>)
// THREADS:         %[[ROW:.*]] = arith.muli %[[CHUNK]], %c8
// THREADS:         tensor.extract_slice %[[OUT]][%[[ROW]], 0] [8, 32] [1, 1]
// THREADS:         vector.outerproduct
// THREADS:         tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[ROW]], 0] [8, 32] [1, 1]

// On AVX2 the tiles are 4 filters x 16 positions.
// AVX2: #agn.lowering_config<kernel = padded_plane, tile_sizes = [4, 16]>
func.func @packed_filter(%x: tensor<1x1x4x5xf32>) -> tensor<1x16x4x4xf32> {
  %w = arith.constant dense<[[[[0.0, 1.0]]], [[[2.0, 3.0]]], [[[4.0, 5.0]]], [[[6.0, 7.0]]], [[[8.0, 9.0]]], [[[10.0, 11.0]]], [[[12.0, 13.0]]], [[[14.0, 15.0]]], [[[16.0, 17.0]]], [[[18.0, 19.0]]], [[[20.0, 21.0]]], [[[22.0, 23.0]]], [[[24.0, 25.0]]], [[[26.0, 27.0]]], [[[28.0, 29.0]]], [[[30.0, 31.0]]]]> : tensor<16x1x1x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x16x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x1x4x5xf32>, tensor<16x1x1x2xf32>) outs(%init : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  return %y : tensor<1x16x4x4xf32>
}

// -----

// 9 rows of 8 positions are three tiles of 32; the first two read inside
// the 72 floats of each channel (and the next channel's), the last reads
// past the image's end for the last channel: only that tile (its loop over
// the 2 channels after the loop over the first two tiles) is masked.

// CHECK-LABEL: func.func @masked_last_tile
// CHECK:       %[[FLAT:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1, 2, 3]] : tensor<1x2x9x8xf32> into tensor<144xf32>
// CHECK:       scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (tensor<8x96xf32>)
// CHECK:         scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<8x32xf32>)
// CHECK:           vector.transfer_read %[[FLAT]][%{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<144xf32>, vector<32xf32>
// CHECK:       scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<8x32xf32>)
// CHECK:         vector.transfer_read %[[FLAT]][%{{.*}}], %{{[^ ]*}} : tensor<144xf32>, vector<32xf32>
func.func @masked_last_tile(%x: tensor<1x2x9x8xf32>) -> tensor<1x8x9x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x2x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x9x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x9x8xf32>) -> tensor<1x8x9x8xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x9x8xf32>, tensor<8x2x1x1xf32>) outs(%init : tensor<1x8x9x8xf32>) -> tensor<1x8x9x8xf32>
  return %y : tensor<1x8x9x8xf32>
}

// -----

// The rows the last tile needs widen the padding the input already has (one
// copy of the image, not two); 24 positions, one tile of 32, reads up to 32 +
// 2, 2 more rows of 6. The sum over each channel unrolls the 3 x 3 kernel.

// CHECK-LABEL: func.func @widened_padding
// CHECK:       %[[PAD:.*]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 3, 1]
// CHECK-NOT:   tensor.pad
// CHECK:       tensor.collapse_shape %[[PAD]] {{\[\[}}0, 1, 2, 3]] : tensor<1x2x8x6xf32> into tensor<96xf32>
// CHECK:       scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<8x32xf32>)
// CHECK-COUNT-9: vector.outerproduct
// CHECK:       scf.yield
func.func @widened_padding(%x: tensor<1x2x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x2x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %padded = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x2x4x4xf32> to tensor<1x2x6x6xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%padded, %w : tensor<1x2x6x6xf32>, tensor<8x2x3x3xf32>) outs(%init : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

// A padding of another constant (here -0.0) is widened with that constant:
// the border the outputs read stays as it was; the added rows feed only
// dropped positions.

// CHECK-LABEL: func.func @negative_zero_padding
// CHECK:       %[[NZ:.*]] = arith.constant -0.000000e+00 : f32
// CHECK:       tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 3, 1]
// CHECK-NEXT:  ^bb0
// CHECK-NEXT:    tensor.yield %[[NZ]] : f32
// CHECK-NOT:   tensor.pad
func.func @negative_zero_padding(%x: tensor<1x2x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x2x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %nz = arith.constant -0.0 : f32
  %padded = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %nz : f32
  } : tensor<1x2x4x4xf32> to tensor<1x2x6x6xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%padded, %w : tensor<1x2x6x6xf32>, tensor<8x2x3x3xf32>) outs(%init : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

// What the padded plane does not take goes to an im2col matmul: a dilation
// of 2, a filter that is an argument, two images, a filter count that 8 does
// not divide.

// CHECK-LABEL: func.func @not_on_the_plane
// CHECK-NOT:   vector.outerproduct {{.*}} vector<32xf32>
// CHECK-COUNT-4: linalg.matmul
// AVX2-LABEL: func.func @not_on_the_plane
// AVX2-NOT:   padded_plane
func.func @not_on_the_plane(%x: tensor<1x4x9x9xf32>, %warg: tensor<8x4x3x3xf32>,
                            %x2: tensor<2x4x9x9xf32>)
    -> (tensor<1x8x5x5xf32>, tensor<1x8x7x7xf32>, tensor<2x8x7x7xf32>, tensor<1x12x7x7xf32>) {
  %w = arith.constant dense<0.25> : tensor<8x4x3x3xf32>
  %w12 = arith.constant dense<0.25> : tensor<12x4x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x8x5x5xf32>
  %i0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32>
  %dilated = linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x9x9xf32>, tensor<8x4x3x3xf32>) outs(%i0 : tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32>
  %e1 = tensor.empty() : tensor<1x8x7x7xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x8x7x7xf32>) -> tensor<1x8x7x7xf32>
  %argument = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %warg : tensor<1x4x9x9xf32>, tensor<8x4x3x3xf32>) outs(%i1 : tensor<1x8x7x7xf32>) -> tensor<1x8x7x7xf32>
  %e2 = tensor.empty() : tensor<2x8x7x7xf32>
  %i2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x8x7x7xf32>) -> tensor<2x8x7x7xf32>
  %batch = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x2, %w : tensor<2x4x9x9xf32>, tensor<8x4x3x3xf32>) outs(%i2 : tensor<2x8x7x7xf32>) -> tensor<2x8x7x7xf32>
  %e3 = tensor.empty() : tensor<1x12x7x7xf32>
  %i3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x12x7x7xf32>) -> tensor<1x12x7x7xf32>
  %twelve = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w12 : tensor<1x4x9x9xf32>, tensor<12x4x3x3xf32>) outs(%i3 : tensor<1x12x7x7xf32>) -> tensor<1x12x7x7xf32>
  return %dilated, %argument, %batch, %twelve : tensor<1x8x5x5xf32>, tensor<1x8x7x7xf32>, tensor<2x8x7x7xf32>, tensor<1x12x7x7xf32>
}

// -----

// A stride-2 convolution runs over the image's four phase planes (rows and
// columns even or odd), one copy of the (widened) padded image: 8 rows of 5
// per plane, [C, 2, 2, 8, 5]. Kernel offset (kh, kw) reads phase
// (kh % 2, kw % 2) at row kh / 2, column kw / 2: offset
// ((kh % 2) 2 + kw % 2) 40 + (kh / 2) 5 + kw / 2 in a channel's 160 floats.
// The 20 positions (4 rows of 5, the last of each dropped) are one tile; its
// reads reach 32 + 6, 8 plane rows, so the padding gets 6 more rows at the
// bottom (16 = 2 x 8).

// CHECK-DAG:   #[[PHASE:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (0, d0, d3 * 2 + d1, d4 * 2 + d2)>
// CHECK-LABEL: func.func @phase_planes
// CHECK-DAG:   %[[C160:.*]] = arith.constant 160 : index
// CHECK-DAG:   %[[C40:.*]] = arith.constant 40 : index
// CHECK-DAG:   %[[C81:.*]] = arith.constant 81 : index
// CHECK:       %[[PAD:.*]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 7, 1]
// CHECK:       %[[PHASES:.*]] = linalg.generic {indexing_maps = [#[[PHASE]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%[[PAD]] : tensor<1x2x16x10xf32>) outs(%{{.*}} : tensor<2x2x2x8x5xf32>)
// CHECK:       %[[FLAT:.*]] = tensor.collapse_shape %[[PHASES]] {{\[\[}}0, 1, 2, 3, 4]] : tensor<2x2x2x8x5xf32> into tensor<320xf32>
// CHECK:       scf.for %[[C:.*]] = %c0 to %c2 step %c1
// CHECK:         %[[START:.*]] = arith.muli %[[C]], %[[C160]]
// CHECK:         vector.transfer_read %[[FLAT]][%[[START]]]
// CHECK:         vector.outerproduct
// CHECK:         %[[AT1:.*]] = arith.addi %[[START]], %[[C40]]
// CHECK:         vector.transfer_read %[[FLAT]][%[[AT1]]]
// CHECK-COUNT-4: vector.outerproduct
// CHECK:         %[[AT5:.*]] = arith.addi %[[START]], %[[C81]]
// CHECK:         vector.transfer_read %[[FLAT]][%[[AT5]]]
// CHECK-COUNT-4: vector.outerproduct
// CHECK:         scf.yield
// CHECK:       tensor.extract_slice %{{.*}}[0, 0] [8, 20] [1, 1] : tensor<8x32xf32> to tensor<8x20xf32>
// CHECK:       tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [8, 4, 5]
// CHECK:       tensor.extract_slice %{{.*}}[0, 0, 0] [8, 4, 4] [1, 1, 1] : tensor<8x4x5xf32> to tensor<8x4x4xf32>
// CHECK-NOT:   linalg.conv_2d
// AVX2-LABEL: func.func @phase_planes
// AVX2:       #agn.lowering_config<kernel = padded_plane, tile_sizes = [4, 16]>
func.func @phase_planes(%x: tensor<1x2x8x8xf32>) -> tensor<1x8x4x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x2x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %padded = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x2x8x8xf32> to tensor<1x2x10x10xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%padded, %w : tensor<1x2x10x10xf32>, tensor<8x2x3x3xf32>) outs(%init : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

// A 1x1 kernel of stride 2 reads one phase plane: even rows and columns, a
// quarter of the image, cut from an image without padding (4 rows of 4) and
// then given the 4 zero rows the tile's reads reach (a copy of the plane,
// not of the image).

// CHECK-LABEL: func.func @one_phase
// CHECK:       %[[PLANE:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<1x4x8x8xf32>) outs(%{{.*}} : tensor<4x1x1x4x4xf32>)
// CHECK:       %[[PAD:.*]] = tensor.pad %[[PLANE]] low[0, 0, 0, 0, 0] high[0, 0, 0, 4, 0]
// CHECK:       tensor.collapse_shape %[[PAD]] {{\[\[}}0, 1, 2, 3, 4]] : tensor<4x1x1x8x4xf32> into tensor<128xf32>
// CHECK:       scf.for
// CHECK-COUNT-1: vector.outerproduct
// CHECK:         scf.yield
// CHECK:       tensor.extract_slice %{{.*}}[0, 0] [8, 16] [1, 1] : tensor<8x32xf32> to tensor<8x16xf32>
func.func @one_phase(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x4x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x1x1xf32>) outs(%init : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

// The elementwise ops after the convolution (a bias per filter, a clip to
// [0, 6] by two scalars) are applied to each tile before it is stored: the
// bias a column of the tile's 8 filters, broadcast along its 32 positions;
// no linalg.generic is left. The bias, a constant defined after the
// convolution, is made again in the kernel.

// CHECK-LABEL: func.func @epilogue
// CHECK-DAG:   %[[SIX:.*]] = arith.constant dense<6.000000e+00> : vector<8x32xf32>
// CHECK-DAG:   %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK-DAG:   %[[BIAS:.*]] = arith.constant dense<[0.000000e+00, 1.000000e+00, {{.*}}]> : tensor<16xf32>
// CHECK:       scf.for %[[PANEL:.*]] = %c0 to %c2 step %c1
// CHECK:         %[[FIRST:.*]] = arith.muli %[[PANEL]], %c8
// CHECK:         %[[SUM:.*]] = scf.for
// CHECK:         %[[LANES:.*]] = vector.transfer_read %[[BIAS]][%[[FIRST]]], {{.*}} {in_bounds = [true]} : tensor<16xf32>, vector<8xf32>
// CHECK:         %[[COLUMN:.*]] = vector.shape_cast %[[LANES]] : vector<8xf32> to vector<8x1xf32>
// CHECK:         %[[B:.*]] = vector.broadcast %[[COLUMN]] : vector<8x1xf32> to vector<8x32xf32>
// CHECK:         %[[BIASED:.*]] = arith.addf %[[SUM]], %[[B]] : vector<8x32xf32>
// CHECK:         %[[LOW:.*]] = arith.maximumf %[[BIASED]], %[[ZERO]] : vector<8x32xf32>
// CHECK:         %[[CLIPPED:.*]] = arith.minimumf %[[LOW]], %[[SIX]] : vector<8x32xf32>
// CHECK:         vector.transfer_write %[[CLIPPED]]
// CHECK-NOT:   linalg.generic
#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#channel = affine_map<(n, c, h, w) -> (c)>
#scalar = affine_map<(n, c, h, w) -> ()>
func.func @epilogue(%x: tensor<1x4x6x6xf32>) -> tensor<1x16x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<16x4x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %lo = arith.constant dense<0.0> : tensor<f32>
  %hi = arith.constant dense<6.0> : tensor<f32>
  %e = tensor.empty() : tensor<1x16x6x6xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x16x6x6xf32>) -> tensor<1x16x6x6xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<16x4x1x1xf32>) outs(%init : tensor<1x16x6x6xf32>) -> tensor<1x16x6x6xf32>
  %bias = arith.constant dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]> : tensor<16xf32>
  %biased = linalg.generic {indexing_maps = [#nchw, #channel, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %bias : tensor<1x16x6x6xf32>, tensor<16xf32>) outs(%e : tensor<1x16x6x6xf32>) {
  ^bb0(%in: f32, %b: f32, %out: f32):
    %s = arith.addf %in, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x16x6x6xf32>
  %clipped = linalg.generic {indexing_maps = [#nchw, #scalar, #scalar, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%biased, %lo, %hi : tensor<1x16x6x6xf32>, tensor<f32>, tensor<f32>) outs(%e : tensor<1x16x6x6xf32>) {
  ^bb0(%in: f32, %l: f32, %h: f32, %out: f32):
    %m = arith.maximumf %in, %l : f32
    %n = arith.minimumf %m, %h : f32
    linalg.yield %n : f32
  } -> tensor<1x16x6x6xf32>
  return %clipped : tensor<1x16x6x6xf32>
}

// -----

// The tiles stop applying ops where an op needs more than a tile holds: a
// residual addition reads another whole tensor; a value used twice must be
// stored as it is; an op that reads its position (linalg.index) is not
// elementwise. The bias before the twice-used value is applied; the rest
// stay linalg.generic ops.

// CHECK-LABEL: func.func @epilogue_stops
// CHECK:       linalg.generic {{.*}} ins(%{{.*}}, %arg1 : tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>)
// CHECK:       arith.addf %{{.*}}, %{{.*}} : vector<8x32xf32>
// CHECK:       linalg.generic
// CHECK:       linalg.generic
// CHECK-NOT:   linalg.generic
#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#channel = affine_map<(n, c, h, w) -> (c)>
func.func @epilogue_stops(%x: tensor<1x4x6x6xf32>, %residual: tensor<1x8x6x6xf32>)
    -> (tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>) {
  %w = arith.constant dense<0.5> : tensor<8x4x1x1xf32>
  %bias = arith.constant dense<1.0> : tensor<8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %y0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<8x4x1x1xf32>) outs(%init : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %added = linalg.generic {indexing_maps = [#nchw, #nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y0, %residual : tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%in: f32, %r: f32, %out: f32):
    %s = arith.addf %in, %r : f32
    linalg.yield %s : f32
  } -> tensor<1x8x6x6xf32>
  %y1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<8x4x1x1xf32>) outs(%init : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %biased = linalg.generic {indexing_maps = [#nchw, #channel, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y1, %bias : tensor<1x8x6x6xf32>, tensor<8xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%in: f32, %b: f32, %out: f32):
    %s = arith.addf %in, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x8x6x6xf32>
  %relu = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%biased : tensor<1x8x6x6xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x6x6xf32>
  %y2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<8x4x1x1xf32>) outs(%init : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %positional = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y2 : tensor<1x8x6x6xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 3 : index
    %j = arith.index_cast %i : index to i32
    %f = arith.sitofp %j : i32 to f32
    %s = arith.addf %in, %f : f32
    linalg.yield %s : f32
  } -> tensor<1x8x6x6xf32>
  return %added, %biased, %relu, %positional : tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>
}

// -----

// Nor are these applied: an op whose output map transposes (elementwise
// over its input, but not over the tile's positions), and an op whose
// bias is computed after the convolution (not a constant the kernel could
// create again).

// CHECK-LABEL: func.func @epilogue_not_applied
// CHECK-COUNT-2: vector.outerproduct
// CHECK-NOT:   arith.addf %{{.*}} : vector<8x32xf32>
// CHECK:       linalg.generic
// CHECK:       tensor.extract_slice %arg1
// CHECK:       linalg.generic
#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#nchw_t = affine_map<(n, c, h, w) -> (n, c, w, h)>
#channel = affine_map<(n, c, h, w) -> (c)>
func.func @epilogue_not_applied(%x: tensor<1x4x6x6xf32>, %biases: tensor<16xf32>)
    -> (tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>) {
  %w = arith.constant dense<0.5> : tensor<8x4x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %y0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<8x4x1x1xf32>) outs(%init : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %transposed = linalg.generic {indexing_maps = [#nchw, #nchw_t], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y0 : tensor<1x8x6x6xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x8x6x6xf32>
  %y1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<8x4x1x1xf32>) outs(%init : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %bias = tensor.extract_slice %biases[8] [8] [1] : tensor<16xf32> to tensor<8xf32>
  %biased = linalg.generic {indexing_maps = [#nchw, #channel, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y1, %bias : tensor<1x8x6x6xf32>, tensor<8xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%in: f32, %b: f32, %out: f32):
    %s = arith.addf %in, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x8x6x6xf32>
  return %transposed, %biased : tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>
}
