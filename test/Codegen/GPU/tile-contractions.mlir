// RUN: agn-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline="builtin.module(func.func(agn-gpu-tile-contractions))" | FileCheck %s

// gpu_simt: blocks of 32 x 32 outputs, 16 x 16 threads sharing each block's
// tile; the config is gone once carried out.

// CHECK-LABEL: func.func @simt
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (4, 2)
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (16, 16)
// CHECK: linalg.matmul ins
// CHECK-NOT: agn.lowering_config
// CHECK: mapping = [#gpu.thread<y>, #gpu.thread<x>]
// CHECK: mapping = [#gpu.block<y>, #gpu.block<x>]
func.func @simt(%a: tensor<100x64xf32>, %b: tensor<64x48xf32>, %c: tensor<100x48xf32>) -> tensor<100x48xf32> {
  %0 = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [32, 32], block_threads = [16, 16]>}
      ins(%a, %b : tensor<100x64xf32>, tensor<64x48xf32>) outs(%c : tensor<100x48xf32>) -> tensor<100x48xf32>
  return %0 : tensor<100x48xf32>
}

// -----

// A batched matmul: one batch per block along z.

// CHECK-LABEL: func.func @batched
// CHECK: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (2, 1, 1)
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (2, 4)
// CHECK: linalg.batch_matmul ins({{.*}} : tensor<1x4x16xf32>, tensor<1x16x1xf32>)
// CHECK: mapping = [#gpu.block<z>, #gpu.block<y>, #gpu.block<x>]
func.func @batched(%a: tensor<2x8x16xf32>, %b: tensor<2x16x4xf32>, %c: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  %0 = linalg.batch_matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [8, 4], block_threads = [2, 4]>}
      ins(%a, %b : tensor<2x8x16xf32>, tensor<2x16x4xf32>) outs(%c : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

// gpu_mma_sync: blocks of 64 x 32, warps of 16 x 8, K steps of 16 whose
// f16 x f16 -> f32 product is one mixed-precision vector.contract.

// CHECK-LABEL: func.func @mma
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (2, 2)
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (4, 4)
// The accumulator is read once, carried by the K loop in registers and
// written once.
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<16x8xf32>, vector<16x8xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %[[SUM:.*]] = %[[ACC]]) -> (tensor<16x8xf32>, vector<16x8xf32>)
// CHECK-DAG: vector.transfer_read {{.*}} : tensor<16x16xf16>, vector<16x16xf16>
// CHECK-DAG: vector.transfer_read {{.*}} : tensor<16x8xf16>, vector<16x8xf16>
// CHECK: vector.contract {{.*}}, %[[SUM]] : vector<16x16xf16>, vector<16x8xf16> into vector<16x8xf32>
// CHECK: scf.yield
// CHECK: vector.transfer_write
// CHECK: mapping = [#gpu.warp<y>, #gpu.warp<x>]
// CHECK: mapping = [#gpu.block<y>, #gpu.block<x>]
func.func @mma(%a: tensor<128x64xf16>, %b: tensor<64x64xf16>, %c: tensor<128x64xf32>) -> tensor<128x64xf32> {
  %0 = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_mma_sync, tile_sizes = [64, 32, 16]>}
      ins(%a, %b : tensor<128x64xf16>, tensor<64x64xf16>) outs(%c : tensor<128x64xf32>) -> tensor<128x64xf32>
  return %0 : tensor<128x64xf32>
}

// -----

// A contraction whose reduction loop comes first: blocks and threads tile
// its two parallel loops, wherever they are.

// CHECK-LABEL: func.func @reduction_first
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (2, 2)
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (2, 4)
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "parallel"]
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<32x4xf32>, tensor<32x2xf32>)
func.func @reduction_first(%a: tensor<32x16xf32>, %b: tensor<32x16xf32>, %c: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %0 = linalg.generic {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [8, 8], block_threads = [2, 4]>,
      indexing_maps = [affine_map<(k, m, n) -> (k, m)>, affine_map<(k, m, n) -> (k, n)>, affine_map<(k, m, n) -> (m, n)>],
      iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%a, %b : tensor<32x16xf32>, tensor<32x16xf32>) outs(%c : tensor<16x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x16xf32>
  return %0 : tensor<16x16xf32>
}

// -----

func.func @mma_not_matmul(%a: tensor<2x64x64xf16>, %b: tensor<2x64x64xf16>, %c: tensor<2x64x64xf32>) -> tensor<2x64x64xf32> {
  // expected-error @+1 {{agn-gpu-tile-contractions: cannot carry out #agn.lowering_config<kernel = gpu_mma_sync, tile_sizes = [64, 32, 16]>: expected a linalg op on tensors with two or three parallel loops (a gpu_mma_sync kernel: a linalg.matmul)}}
  %0 = linalg.batch_matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_mma_sync, tile_sizes = [64, 32, 16]>}
      ins(%a, %b : tensor<2x64x64xf16>, tensor<2x64x64xf16>) outs(%c : tensor<2x64x64xf32>) -> tensor<2x64x64xf32>
  return %0 : tensor<2x64x64xf32>
}

// -----

func.func @mma_wrong_step(%a: tensor<128x64xf16>, %b: tensor<64x64xf16>, %c: tensor<128x64xf32>) -> tensor<128x64xf32> {
  // expected-error @+1 {{agn-gpu-tile-contractions: cannot carry out #agn.lowering_config<kernel = gpu_mma_sync, tile_sizes = [64, 32, 32]>: mma.sync takes f16 x f16 -> f32 with a K step of 16 or i8 x i8 -> i32 with a K step of 32, on static sizes that are multiples of the tiles}}
  %0 = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_mma_sync, tile_sizes = [64, 32, 32]>}
      ins(%a, %b : tensor<128x64xf16>, tensor<64x64xf16>) outs(%c : tensor<128x64xf32>) -> tensor<128x64xf32>
  return %0 : tensor<128x64xf32>
}
