// RUN: agn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(agn-cpu-collapse-loops))" | FileCheck %s

// A ReLU on NCHW: one loop over every element.

// CHECK-LABEL: func.func @relu
// CHECK:         %[[IN:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : tensor<1x128x28x28xf32> into tensor<100352xf32>
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["parallel"]} ins(%[[IN]] : tensor<100352xf32>)
// CHECK:         tensor.expand_shape %[[R]] {{\[}}[0, 1, 2, 3]] output_shape [1, 128, 28, 28] : tensor<100352xf32> into tensor<1x128x28x28xf32>
#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @relu(%x: tensor<1x128x28x28xf32>) -> tensor<1x128x28x28xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x128x28x28xf32>
  %r = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x128x28x28xf32>) outs(%empty : tensor<1x128x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x128x28x28xf32>
  return %r : tensor<1x128x28x28xf32>
}

// -----

// A bias per channel: the pixels of a channel become one loop; the batch
// and channel loops stay apart (the bias reads the channel only).

// CHECK-DAG:   #[[PIXELS:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG:   #[[CHANNEL:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @bias
// CHECK:         tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : tensor<1x128x28x28xf32> into tensor<1x128x784xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[PIXELS]], #[[CHANNEL]], #[[PIXELS]]], iterator_types = ["parallel", "parallel", "parallel"]}
#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#channel = affine_map<(n, c, h, w) -> (c)>
func.func @bias(%x: tensor<1x128x28x28xf32>, %b: tensor<128xf32>) -> tensor<1x128x28x28xf32> {
  %empty = tensor.empty() : tensor<1x128x28x28xf32>
  %r = linalg.generic {indexing_maps = [#nchw, #channel, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %b : tensor<1x128x28x28xf32>, tensor<128xf32>) outs(%empty : tensor<1x128x28x28xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    linalg.yield %s : f32
  } -> tensor<1x128x28x28xf32>
  return %r : tensor<1x128x28x28xf32>
}

// -----

// Left as they are: an im2col copy (its input map adds loops, which the
// contiguity test does not read), a transposing copy (no run is contiguous
// in both maps), a reduction, an op with dynamic sizes, one that reads its
// indices, one that broadcasts through a constant 0 (an instance norm's
// mean; upstream's collapsing made a collapse_shape of a garbage size).

// CHECK-LABEL: func.func @left_alone
// CHECK-NOT:     tensor.collapse_shape
// CHECK:         return
func.func @left_alone(%x: tensor<1x8x10x10xf32>, %t: tensor<16x32xf32>, %d: tensor<?x8xf32>, %v: tensor<1x2x1x3xf32>, %mean: tensor<1x2x1x1xf32>) -> (tensor<8x3x3x8x8xf32>, tensor<32x16xf32>, tensor<16xf32>, tensor<?x8xf32>, tensor<16x32xf32>, tensor<1x2x1x3xf32>) {
  %centered_init = tensor.empty() : tensor<1x2x1x3xf32>
  %centered = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%v, %mean : tensor<1x2x1x3xf32>, tensor<1x2x1x1xf32>) outs(%centered_init : tensor<1x2x1x3xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %s = arith.subf %in, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x2x1x3xf32>
  %col_init = tensor.empty() : tensor<8x3x3x8x8xf32>
  %col = linalg.generic {indexing_maps = [affine_map<(c, i, j, h, w) -> (0, c, h + i, w + j)>, affine_map<(c, i, j, h, w) -> (c, i, j, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x8x10x10xf32>) outs(%col_init : tensor<8x3x3x8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<8x3x3x8x8xf32>
  %tr_init = tensor.empty() : tensor<32x16xf32>
  %tr = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%t : tensor<16x32xf32>) outs(%tr_init : tensor<32x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<32x16xf32>
  %sum_init = tensor.empty() : tensor<16xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%t : tensor<16x32xf32>) outs(%sum_init : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  %dyn = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%d : tensor<?x8xf32>) outs(%d : tensor<?x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<?x8xf32>
  %ix_init = tensor.empty() : tensor<16x32xf32>
  %ix = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%ix_init : tensor<16x32xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 1 : index
    %c = arith.index_cast %i : index to i32
    %f = arith.sitofp %c : i32 to f32
    linalg.yield %f : f32
  } -> tensor<16x32xf32>
  return %col, %tr, %sum, %dyn, %ix, %centered : tensor<8x3x3x8x8xf32>, tensor<32x16xf32>, tensor<16xf32>, tensor<?x8xf32>, tensor<16x32xf32>, tensor<1x2x1x3xf32>
}

// -----

// Loops merge only where the operands' buffers are contiguous too. A
// padded-plane convolution's result holds W = 30 positions per output row, of
// which the outputs keep 28 (an extract_slice), so rows and columns stay two
// loops (merging them would copy the outputs into a buffer of their own);
// the batch and the channels still merge. A 1x1 convolution's 784 positions
// of 800 computed keep the rows and columns of a channel together: the
// slice cuts only the channel's end.

// CHECK-LABEL: func.func @views_of_a_larger_buffer
// CHECK:         tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2], [3]] : tensor<1x8x28x28xf32> into tensor<8x28x28xf32>
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]
// CHECK:         tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2, 3]] : tensor<1x8x28x28xf32> into tensor<8x784xf32>
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @views_of_a_larger_buffer(%plane: tensor<8x864xf32>, %pointwise: tensor<8x800xf32>)
    -> (tensor<1x8x28x28xf32>, tensor<1x8x28x28xf32>) {
  %zero = arith.constant 0.0 : f32
  %used = tensor.extract_slice %plane[0, 0] [8, 840] [1, 1] : tensor<8x864xf32> to tensor<8x840xf32>
  %rows = tensor.expand_shape %used [[0], [1, 2]] output_shape [8, 28, 30] : tensor<8x840xf32> into tensor<8x28x30xf32>
  %kept = tensor.extract_slice %rows[0, 0, 0] [8, 28, 28] [1, 1, 1] : tensor<8x28x30xf32> to tensor<8x28x28xf32>
  %x = tensor.expand_shape %kept [[0, 1], [2], [3]] output_shape [1, 8, 28, 28] : tensor<8x28x28xf32> into tensor<1x8x28x28xf32>
  %empty = tensor.empty() : tensor<1x8x28x28xf32>
  %r = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x8x28x28xf32>) outs(%empty : tensor<1x8x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x28x28xf32>
  %positions = tensor.extract_slice %pointwise[0, 0] [8, 784] [1, 1] : tensor<8x800xf32> to tensor<8x784xf32>
  %y = tensor.expand_shape %positions [[0, 1], [2, 3]] output_shape [1, 8, 28, 28] : tensor<8x784xf32> into tensor<1x8x28x28xf32>
  %s = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : tensor<1x8x28x28xf32>) outs(%empty : tensor<1x8x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x28x28xf32>
  return %r, %s : tensor<1x8x28x28xf32>, tensor<1x8x28x28xf32>
}
