// RUN: agn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(agn-cpu-vectorize-row-reductions))" | FileCheck %s

// A softmax's row sums (12 heads x 128 rows of 128): blocks of 16 rows x 16
// elements, transposed in registers (one shuffle), then the 16 columns added
// to the rows' accumulators one after the other, starting from the init.

// CHECK-LABEL: func.func @softmax_sums
// CHECK:         scf.for
// CHECK:           scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// CHECK:             scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// CHECK:               %[[X:.*]] = vector.transfer_read {{.*}} vector<1x1x16x16xf32>
// CHECK:               %[[ACC:.*]] = vector.transfer_read {{.*}} vector<1x1x16xf32>
// CHECK:               vector.shuffle
// CHECK:               %[[ACC16:.*]] = vector.shape_cast %[[ACC]] : vector<1x1x16xf32> to vector<16xf32>
// CHECK:               %[[C0:.*]] = vector.extract %{{.*}}[0, 0, 0]
// CHECK:               %[[S0:.*]] = arith.addf %[[C0]], %[[ACC16]] : vector<16xf32>
// CHECK:               %[[C1:.*]] = vector.extract %{{.*}}[1, 0, 0]
// CHECK:               arith.addf %[[C1]], %[[S0]] : vector<16xf32>
// CHECK-NOT:           vector.reduction
// CHECK-NOT:           vector.multi_reduction
// CHECK:               vector.transfer_write
// CHECK-NOT:     linalg.generic
func.func @softmax_sums(%x: tensor<1x12x128x128xf32>, %init: tensor<1x12x128xf32>) -> tensor<1x12x128xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x : tensor<1x12x128x128xf32>) outs(%init : tensor<1x12x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  } -> tensor<1x12x128xf32>
  return %r : tensor<1x12x128xf32>
}

// -----

// The row maxima the same way (maximumf, either operand order).

// CHECK-LABEL: func.func @row_max
// CHECK:         vector.shuffle
// CHECK:         arith.maximumf {{.*}} : vector<16xf32>
// CHECK-NOT:     linalg.generic
func.func @row_max(%x: tensor<32x384xf32>, %init: tensor<32xf32>) -> tensor<32xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<32x384xf32>) outs(%init : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<32xf32>
  return %r : tensor<32xf32>
}

// -----

// Left as they are: rows or a reduction that are not multiples of 16, a
// reduction over an outer loop, a body that is not one commutative combine
// (a sum of squares), two inputs.

// CHECK-LABEL: func.func @not_taken
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT:     vector.
func.func @not_taken(%a: tensor<20x64xf32>, %b: tensor<16x49xf32>, %c: tensor<64x32xf32>,
                     %d: tensor<16x64xf32>, %i20: tensor<20xf32>, %i16: tensor<16xf32>,
                     %i32: tensor<32xf32>) -> (tensor<20xf32>, tensor<16xf32>, tensor<32xf32>, tensor<16xf32>, tensor<16xf32>) {
  %r0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%a : tensor<20x64xf32>) outs(%i20 : tensor<20xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  } -> tensor<20xf32>
  %r1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%b : tensor<16x49xf32>) outs(%i16 : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  %r2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%c : tensor<64x32xf32>) outs(%i32 : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  } -> tensor<32xf32>
  %r3 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%d : tensor<16x64xf32>) outs(%i16 : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %q = arith.mulf %in, %in : f32
    %s = arith.addf %out, %q : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  %r4 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%d, %d : tensor<16x64xf32>, tensor<16x64xf32>) outs(%i16 : tensor<16xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %r0, %r1, %r2, %r3, %r4 : tensor<20xf32>, tensor<16xf32>, tensor<32xf32>, tensor<16xf32>, tensor<16xf32>
}
