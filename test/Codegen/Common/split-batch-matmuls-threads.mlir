// RUN: agn-opt %s -split-input-file --agn-split-batch-matmuls=threads=2 --agn-cpu-configure-kernels=threads=2 | FileCheck %s
// RUN: not agn-opt %s -split-input-file --agn-split-batch-matmuls=threads=0 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: agn-split-batch-matmuls: 'threads' must be at least 1, got 0

// With two threads, a batch of 4 matrices is two chunks of 2 (an
// scf.forall), each a loop over its matrices; the matmuls inside stay on
// their chunk's thread (a config without threads).
// CHECK-LABEL: func.func @batch
// CHECK: scf.forall (%{{.*}}) = (0) to (4) step (2)
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1
// CHECK: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1]>}
// CHECK-SAME: tensor<16x8xf32>, tensor<8x32xf32>
// CHECK: scf.forall.in_parallel
func.func @batch(%a: tensor<4x16x8xf32>, %b: tensor<4x8x32xf32>, %c: tensor<4x16x32xf32>) -> tensor<4x16x32xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<4x16x8xf32>, tensor<4x8x32xf32>) outs(%c : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  return %r : tensor<4x16x32xf32>
}

// -----

// Attention's products as the importer writes them (batch 1 x 12 heads): the
// first batch loop long enough, the heads, splits into 2 chunks of 6.
// CHECK-LABEL: func.func @heads
// CHECK: scf.forall (%{{.*}}) = (0) to (12) step (6)
// CHECK: scf.for %{{.*}} = %{{.*}} to %c6 step
// CHECK: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1]>}
// CHECK-SAME: tensor<128x32xf32>, tensor<32x128xf32>
func.func @heads(%q: tensor<1x12x128x32xf32>, %k: tensor<1x12x32x128xf32>, %c: tensor<1x12x128x128xf32>) -> tensor<1x12x128x128xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<1x12x128x32xf32>, tensor<1x12x32x128xf32>) outs(%c : tensor<1x12x128x128xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x12x128x128xf32>
  return %r : tensor<1x12x128x128xf32>
}

// -----

// A batch of one matrix stays a loop; its matmul splits into the threads.
// CHECK-LABEL: func.func @one
// CHECK-NOT: scf.forall
// CHECK: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], threads = 2>}
func.func @one(%a: tensor<1x16x8xf32>, %b: tensor<1x8x32xf32>, %c: tensor<1x16x32xf32>) -> tensor<1x16x32xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<1x16x8xf32>, tensor<1x8x32xf32>) outs(%c : tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
  return %r : tensor<1x16x32xf32>
}

// -----

// A batch of 5 splits into chunks of 3 and 2 (at most a quarter above an
// even share); a batch of 3 would make chunks of 2 and 1 and stays a loop,
// its matmuls on both threads.
// CHECK-LABEL: func.func @uneven
// CHECK: scf.forall (%{{.*}}) = (0) to (5) step (3)
// CHECK: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1]>}
// CHECK: scf.forall.in_parallel
// CHECK-NOT: scf.forall
// CHECK: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], threads = 2>}
func.func @uneven(%a: tensor<5x16x8xf32>, %b: tensor<5x8x32xf32>, %c: tensor<5x16x32xf32>,
                  %d: tensor<3x16x8xf32>, %e: tensor<3x8x32xf32>, %f: tensor<3x16x32xf32>) -> (tensor<5x16x32xf32>, tensor<3x16x32xf32>) {
  %r = linalg.batch_matmul ins(%a, %b : tensor<5x16x8xf32>, tensor<5x8x32xf32>) outs(%c : tensor<5x16x32xf32>) -> tensor<5x16x32xf32>
  %s = linalg.batch_matmul ins(%d, %e : tensor<3x16x8xf32>, tensor<3x8x32xf32>) outs(%f : tensor<3x16x32xf32>) -> tensor<3x16x32xf32>
  return %r, %s : tensor<5x16x32xf32>, tensor<3x16x32xf32>
}
