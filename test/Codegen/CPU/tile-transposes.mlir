// RUN: agn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(agn-cpu-tile-transposes))" | FileCheck %s
// RUN: agn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(agn-cpu-tile-transposes{block=8}))" | FileCheck %s --check-prefix=EIGHT
// RUN: not agn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(agn-cpu-tile-transposes{block=0}))" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: agn-cpu-tile-transposes: 'block' must be at least 1, got 0

// The layout change after an im2col kernel: 16x16 blocks.

// CHECK-LABEL: func.func @pixels_to_channels
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %c64 step %c16{{.*}} iter_args
// CHECK:           scf.for %[[J:.*]] = %{{.*}} to %c12544 step %c16{{.*}} iter_args
// CHECK:             %[[IN:.*]] = tensor.extract_slice %{{.*}}[%[[J]], %[[I]]] [16, 16] [1, 1] : tensor<12544x64xf32> to tensor<16x16xf32>
// CHECK:             linalg.transpose ins(%[[IN]] : tensor<16x16xf32>) outs(%{{.*}} : tensor<16x16xf32>) permutation = [1, 0]
// EIGHT-LABEL: func.func @pixels_to_channels
// EIGHT:         linalg.transpose ins(%{{.*}} : tensor<8x8xf32>)
func.func @pixels_to_channels(%x: tensor<12544x64xf32>) -> tensor<64x12544xf32> {
  %empty = tensor.empty() : tensor<64x12544xf32>
  %t = linalg.transpose ins(%x : tensor<12544x64xf32>) outs(%empty : tensor<64x12544xf32>) permutation = [1, 0]
  return %t : tensor<64x12544xf32>
}

// -----

// NHWC to NCHW: blocks of channels and columns, one row (and one image) at
// a time; the same for the generic form of the copy.

// CHECK-LABEL: func.func @nhwc_to_nchw
// CHECK:         linalg.transpose ins(%{{.*}} : tensor<1x1x16x16xf32>) outs(%{{.*}} : tensor<1x16x1x16xf32>) permutation = [0, 3, 1, 2]
// CHECK:         linalg.generic {{.*}} ins(%{{.*}} : tensor<1x1x16x16xf32>) outs(%{{.*}} : tensor<1x16x1x16xf32>)
func.func @nhwc_to_nchw(%x: tensor<1x32x32x64xf32>) -> (tensor<1x64x32x32xf32>, tensor<1x64x32x32xf32>) {
  %empty = tensor.empty() : tensor<1x64x32x32xf32>
  %t = linalg.transpose ins(%x : tensor<1x32x32x64xf32>) outs(%empty : tensor<1x64x32x32xf32>) permutation = [0, 3, 1, 2]
  %g = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, h, w, c)>, affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x32x32x64xf32>) outs(%empty : tensor<1x64x32x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x64x32x32xf32>
  return %t, %g : tensor<1x64x32x32xf32>, tensor<1x64x32x32xf32>
}

// -----

// A remainder: 20 = 16 + 4, the last block partial.

// CHECK-LABEL: func.func @remainder
// CHECK:         affine.min
// CHECK:         linalg.transpose ins(%{{.*}} : tensor<?x16xf32>)
func.func @remainder(%x: tensor<20x32xf32>) -> tensor<32x20xf32> {
  %empty = tensor.empty() : tensor<32x20xf32>
  %t = linalg.transpose ins(%x : tensor<20x32xf32>) outs(%empty : tensor<32x20xf32>) permutation = [1, 0]
  return %t : tensor<32x20xf32>
}

// -----

// Left whole: a permutation that keeps the innermost dimension (whole rows
// are copied), dynamic sizes, a generic that computes, not copies.

// CHECK-LABEL: func.func @left_whole
// CHECK-NOT:     scf.for
// CHECK:         return
func.func @left_whole(%x: tensor<8x16x32xf32>, %d: tensor<?x32xf32>, %e: tensor<32x?xf32>) -> (tensor<16x8x32xf32>, tensor<32x?xf32>, tensor<64x64xf32>) {
  %empty = tensor.empty() : tensor<16x8x32xf32>
  %rows = linalg.transpose ins(%x : tensor<8x16x32xf32>) outs(%empty : tensor<16x8x32xf32>) permutation = [1, 0, 2]
  %dyn = linalg.transpose ins(%d : tensor<?x32xf32>) outs(%e : tensor<32x?xf32>) permutation = [1, 0]
  %m = tensor.empty() : tensor<64x64xf32>
  %y = arith.constant dense<1.0> : tensor<64x64xf32>
  %neg = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<64x64xf32>) outs(%m : tensor<64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<64x64xf32>
  return %rows, %dyn, %neg : tensor<16x8x32xf32>, tensor<32x?xf32>, tensor<64x64xf32>
}
