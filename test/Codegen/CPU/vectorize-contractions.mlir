// RUN: agn-opt %s -split-input-file --agn-split-batch-matmuls --agn-cpu-configure-kernels=k-block=32 --agn-vectorize-contractions | FileCheck %s
// RUN: agn-opt %s -split-input-file --agn-split-batch-matmuls --agn-cpu-configure-kernels="float-tile-sizes=4,16,1 integer-tile-sizes=4,16,1" --agn-vectorize-contractions | FileCheck %s --check-prefix=SIZES
// RUN: agn-opt %s -split-input-file --agn-split-batch-matmuls --agn-cpu-configure-kernels=k-block=0 --agn-vectorize-contractions | FileCheck %s --check-prefix=NOBLOCK
// RUN: agn-opt %s -split-input-file --agn-split-batch-matmuls --agn-cpu-configure-kernels="threads=2 k-block=32" --agn-vectorize-contractions | FileCheck %s --check-prefix=THREADS
// RUN: not agn-opt %s -split-input-file --agn-cpu-configure-kernels=threads=0 2>&1 | FileCheck %s --check-prefix=BADTHREADS
// RUN: agn-opt %s -split-input-file --agn-split-batch-matmuls --agn-cpu-configure-kernels --agn-vectorize-contractions --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --cse --canonicalize --agn-hoist-vector-transfers | FileCheck %s --check-prefix=HOIST

// Float matmuls are tiled into 8x32x1 register tiles and each tile becomes a
// vector.contract (an outer product, K being 1). An outer loop first blocks K
// by 32: the register tiles sweep all of M and N over 32 rows of B at a time.

// CHECK-LABEL: func.func @matmul
// CHECK: scf.for %[[KB:.*]] = %{{.*}} to %c64 step %c32
// CHECK: tensor.extract_slice %{{.*}}[0, %[[KB]]] [16, 32] [1, 1] : tensor<16x64xf32> to tensor<16x32xf32>
// CHECK: tensor.extract_slice %{{.*}}[%[[KB]], 0] [32, 64] [1, 1] : tensor<64x64xf32> to tensor<32x64xf32>
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %c8
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %c32
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %c1
// CHECK: %[[A:.*]] = vector.transfer_read {{.*}} : tensor<8x1xf32>, vector<8x1xf32>
// CHECK: %[[B:.*]] = vector.transfer_read {{.*}} : tensor<1x32xf32>, vector<1x32xf32>
// CHECK: %[[C:.*]] = vector.transfer_read {{.*}} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK: %[[R:.*]] = vector.contract {{.*}} %[[A]], %[[B]], %[[C]] : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK: vector.transfer_write %[[R]]
// CHECK-NOT: linalg.matmul

// SIZES-LABEL: func.func @matmul
// SIZES: vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>

// NOBLOCK-LABEL: func.func @matmul
// NOBLOCK: scf.for %{{.*}} to %c16 step %c8
// NOBLOCK: scf.for %{{.*}} to %c64 step %c32
// NOBLOCK: scf.for %{{.*}} to %c64 step %c1

// With threads=2, an scf.forall first splits N in two chunks of whole
// register tiles (64 / 2 = 32 columns), each blocked and tiled as above.
// THREADS-LABEL: func.func @matmul
// THREADS: scf.forall (%[[J:.*]]) = (0) to (64) step (32) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<16x64xf32>)
// THREADS: tensor.extract_slice %{{.*}}[0, %[[J]]] [64, 32] [1, 1] : tensor<64x64xf32> to tensor<64x32xf32>
// THREADS: tensor.extract_slice %[[OUT]][0, %[[J]]] [16, 32] [1, 1] : tensor<16x64xf32> to tensor<16x32xf32>
// THREADS: scf.for %{{.*}} to %c64 step %c32
// THREADS: vector.contract
// THREADS: scf.forall.in_parallel
// THREADS-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][0, %[[J]]] [16, 32] [1, 1]
// BADTHREADS: agn-cpu-configure-kernels: 'threads' must be at least 1, got 0

// After bufferization the accumulator tile is read before the K loop,
// carried through it in registers and written after it.
// HOIST-LABEL: func.func @matmul
// HOIST: scf.for
// HOIST: scf.for
// HOIST: %[[ACC:.*]] = vector.transfer_read %{{.*}} : memref<16x64xf32>, vector<8x32xf32>
// HOIST: %[[SUM:.*]] = scf.for {{.*}} iter_args(%[[ITER:.*]] = %[[ACC]]) -> (vector<8x32xf32>)
// HOIST: vector.contract {{.*}} %[[ITER]]
// HOIST: }
// HOIST-NEXT: vector.transfer_write %[[SUM]]
func.func @matmul(%a: tensor<16x64xf32>, %b: tensor<64x64xf32>, %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<16x64xf32>, tensor<64x64xf32>) outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// -----

// A K that the block does not divide ends with a shorter block; the register
// tiles stay full (K is tiled by 1 inside the block), so nothing is masked.

// CHECK-LABEL: func.func @remainder
// CHECK: scf.for %[[KB:.*]] = %{{.*}} to %c40 step %c32
// CHECK: %[[LEN:.*]] = affine.min
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[LEN]] step %c1
// CHECK-NOT: vector.mask
// CHECK: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK-NOT: vector.mask
func.func @remainder(%a: tensor<16x40xf32>, %b: tensor<40x64xf32>, %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<16x40xf32>, tensor<40x64xf32>) outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// -----

// The rows the tiles do not cover (17 = 2 x 8 + 1) are split off inside each
// K block, where the block's rows of B the whole tiles just read are still in
// the caches, rather than as a second matmul that reads all of B again.

// CHECK-LABEL: func.func @row_remainder_in_k_block
// CHECK:     scf.for %{{.*}} = %c0 to %c64 step %c32 {{.*}} -> (tensor<17x32xf32>)
// CHECK:       scf.for %{{.*}} = %c0 to %c16 step %c8
// CHECK:         vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK-NOT:   step %c32 {{.*}} -> (tensor<17x32xf32>)
// CHECK:         vector.contract {{.*}} : vector<1x1xf32>, vector<1x32xf32> into vector<1x32xf32>
// CHECK:       %[[ROWS:.*]] = tensor.insert_slice %{{.*}}[16, 0] [1, 32] [1, 1] : tensor<1x32xf32> into tensor<17x32xf32>
// CHECK:       scf.yield %[[ROWS]] : tensor<17x32xf32>
// CHECK-NOT: vector.contract
func.func @row_remainder_in_k_block(%a: tensor<17x64xf32>, %b: tensor<64x32xf32>, %c: tensor<17x32xf32>) -> tensor<17x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<17x64xf32>, tensor<64x32xf32>) outs(%c : tensor<17x32xf32>) -> tensor<17x32xf32>
  return %r : tensor<17x32xf32>
}

// -----

// Static sizes smaller than a register tile clamp it (4x10 instead of
// 8x32): no partial tile, no mask. bf16 operands accumulate in f32.

// CHECK-LABEL: func.func @small
// CHECK-NOT: vector.mask
// CHECK: vector.contract {{.*}} : vector<4x1xbf16>, vector<1x10xbf16> into vector<4x10xf32>
// CHECK-NOT: vector.mask
func.func @small(%a: tensor<4x8xbf16>, %b: tensor<8x10xbf16>, %c: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xbf16>, tensor<8x10xbf16>) outs(%c : tensor<4x10xf32>) -> tensor<4x10xf32>
  return %r : tensor<4x10xf32>
}

// -----

// Static sizes the tiles do not divide are split into a part of whole tiles
// and a static remainder (M = 12: 8 + 4; N = 40: 32 + 8), so that no tile
// is partial: a masked accumulator tile would not stay in registers.

// CHECK-LABEL: func.func @remainders
// CHECK-NOT: vector.mask
// CHECK-DAG: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK-DAG: vector.contract {{.*}} : vector<8x1xf32>, vector<1x8xf32> into vector<8x8xf32>
// CHECK-DAG: vector.contract {{.*}} : vector<4x1xf32>, vector<1x32xf32> into vector<4x32xf32>
// CHECK-DAG: vector.contract {{.*}} : vector<4x1xf32>, vector<1x8xf32> into vector<4x8xf32>
// CHECK-NOT: vector.mask
// CHECK-NOT: linalg.matmul
func.func @remainders(%a: tensor<12x16xf32>, %b: tensor<16x40xf32>, %c: tensor<12x40xf32>) -> tensor<12x40xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<12x16xf32>, tensor<16x40xf32>) outs(%c : tensor<12x40xf32>) -> tensor<12x40xf32>
  return %r : tensor<12x40xf32>
}

// -----

// Dynamic sizes make partial tiles, which are masked; the masks sit inside
// the transfers, ready for bufferization.

// CHECK-LABEL: func.func @partial
// CHECK: %[[M:.*]] = affine.min
// CHECK: %[[AMASK:.*]] = vector.create_mask %[[M]], %c1 : vector<8x1xi1>
// CHECK: vector.transfer_read %{{.*}}[%c0, %c0], %{{.*}}, %[[AMASK]] {{.*}} : tensor<?x1xbf16>, vector<8x1xbf16>
// CHECK: vector.mask %{{.*}} { vector.contract {{.*}} : vector<8x1xbf16>, vector<1x32xbf16> into vector<8x32xf32> }
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%c0, %c0], %{{.*}} {in_bounds = [true, true]} : vector<8x32xf32>, tensor<?x32xf32>
func.func @partial(%a: tensor<?x8xbf16>, %b: tensor<8x32xbf16>, %c: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<?x8xbf16>, tensor<8x32xbf16>) outs(%c : tensor<?x32xf32>) -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

// Signed integer matmuls (agn's i8 versions) are tiled into 4x64x1 register
// tiles (here clamped to N = 16); the contraction keeps its i8 operands and
// i32 accumulator (the outer-product lowering sign-extends them).

// CHECK-LABEL: func.func @integer
// CHECK: scf.for %{{.*}} step %c4
// CHECK: scf.for %{{.*}} step %c16
// CHECK: scf.for %{{.*}} step %c1
// CHECK: %[[A:.*]] = vector.transfer_read {{.*}} : tensor<4x1xi8>, vector<4x1xi8>
// CHECK: %[[B:.*]] = vector.transfer_read {{.*}} : tensor<1x16xi8>, vector<1x16xi8>
// CHECK: vector.contract {{.*}} %[[A]], %[[B]], %{{.*}} : vector<4x1xi8>, vector<1x16xi8> into vector<4x16xi32>
// CHECK-NOT: linalg.matmul

// SIZES-LABEL: func.func @integer
// SIZES: vector.contract {{.*}} : vector<4x1xi8>, vector<1x16xi8> into vector<4x16xi32>
func.func @integer(%a: tensor<4x8xi8>, %b: tensor<8x16xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// -----

// Unsigned matmuls and integer results narrower than the operands stay as
// they are.

// CHECK-LABEL: func.func @unsigned
// CHECK-NOT: vector.
// CHECK: linalg.matmul
func.func @unsigned(%a: tensor<4x8xi8>, %b: tensor<8x16xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %r = linalg.matmul {cast = #linalg.type_fn<cast_unsigned>} ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// An operand narrower than a byte (the i4 versions' weights) is
// sign-extended to i8 first, and the matmul gets the i8 register tiles.

// CHECK-LABEL: func.func @nibbles
// CHECK-SAME: %[[A:.*]]: tensor<4x8xi8>, %[[B:.*]]: tensor<8x16xi4>
// CHECK: %[[WIDE:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<8x16xi4>) outs(%{{.*}} : tensor<8x16xi8>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: i4, %{{.*}}: i8):
// CHECK-NEXT: arith.extsi %[[IN]] : i4 to i8
// CHECK: tensor.extract_slice %[[WIDE]]
// CHECK: vector.contract {{.*}} : vector<{{.*}}xi8>, vector<{{.*}}xi8> into vector<{{.*}}xi32>
// CHECK-NOT: linalg.matmul
func.func @nibbles(%a: tensor<4x8xi8>, %b: tensor<8x16xi4>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi4>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// A transposed operand (Gemm's transB) keeps its map through the widening:
// the tiles read B's rows [16, 1] at (n, k).
// CHECK-LABEL: func.func @nibbles_transposed
// CHECK-SAME: %[[A:.*]]: tensor<4x8xi8>, %[[B:.*]]: tensor<16x8xi4>
// CHECK: %[[WIDE:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<16x8xi4>) outs(%{{.*}} : tensor<16x8xi8>)
// CHECK: tensor.extract_slice %[[WIDE]][%{{.*}}, %{{.*}}] [16, 1] [1, 1]
// CHECK: vector.contract {{.*}} : vector<4x1xi8>, vector<16x1xi8> into vector<4x16xi32>
func.func @nibbles_transposed(%a: tensor<4x8xi8>, %b: tensor<16x8xi4>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : tensor<4x8xi8>, tensor<16x8xi4>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// A constant B read transposed (a fully connected layer's weights, Gemm's
// transB) is transposed at compile time: each K step of a tile reads a row
// of 16 adjacent values instead of gathering a column.
// CHECK-LABEL: func.func @constant_transposed_b
// (Row 0 of the constant: 0.0, 8.0, 16.0, ...)
// CHECK: %[[B:.*]] = arith.constant dense<"0x000000000000004100008041{{[0-9A-F]*}}"> : tensor<8x16xf32>
// CHECK: tensor.extract_slice %[[B]][%{{.*}}, %{{.*}}] [1, 16] [1, 1] : tensor<8x16xf32> to tensor<1x16xf32>
// CHECK: vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK-NOT: linalg.matmul
func.func @constant_transposed_b(%a: tensor<4x8xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %b = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
      [16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0], [24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0],
      [32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0], [40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0],
      [48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0], [56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0],
      [64.0, 65.0, 66.0, 67.0, 68.0, 69.0, 70.0, 71.0], [72.0, 73.0, 74.0, 75.0, 76.0, 77.0, 78.0, 79.0],
      [80.0, 81.0, 82.0, 83.0, 84.0, 85.0, 86.0, 87.0], [88.0, 89.0, 90.0, 91.0, 92.0, 93.0, 94.0, 95.0],
      [96.0, 97.0, 98.0, 99.0, 100.0, 101.0, 102.0, 103.0], [104.0, 105.0, 106.0, 107.0, 108.0, 109.0, 110.0, 111.0],
      [112.0, 113.0, 114.0, 115.0, 116.0, 117.0, 118.0, 119.0], [120.0, 121.0, 122.0, 123.0, 124.0, 125.0, 126.0, 127.0]]> : tensor<16x8xf32>
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : tensor<4x8xf32>, tensor<16x8xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @narrowing
// CHECK-NOT: vector.
// CHECK: linalg.matmul
func.func @narrowing(%a: tensor<4x8xi32>, %b: tensor<8x16xi32>, %c: tensor<4x16xi8>) -> tensor<4x16xi8> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xi32>, tensor<8x16xi32>) outs(%c : tensor<4x16xi8>) -> tensor<4x16xi8>
  return %r : tensor<4x16xi8>
}

// -----

// A float batch_matmul becomes a loop over the batch of linalg.matmul ops
// (the unit-batch tile rank-reduced), each tiled and vectorized as above.
// CHECK-LABEL: func.func @batched
// CHECK: scf.for %[[B:.*]] = %c0 to %c3 step %c1
// CHECK: tensor.extract_slice %{{.*}}[%[[B]], 0, 0] [1, 16, 24] [1, 1, 1]
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<1x16x24xf32> into tensor<16x24xf32>
// CHECK: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK-NOT: linalg.batch_matmul
func.func @batched(%a: tensor<3x16x24xf32>, %b: tensor<3x24x64xf32>, %c: tensor<3x16x64xf32>) -> tensor<3x16x64xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<3x16x24xf32>, tensor<3x24x64xf32>) outs(%c : tensor<3x16x64xf32>) -> tensor<3x16x64xf32>
  return %r : tensor<3x16x64xf32>
}

// -----

// A batch of single-row matmuls stays a loop of linalg.matmul ops (not the
// vecmat of upstream's rank-reducing patterns, which would stay scalar).
// CHECK-LABEL: func.func @batched_rows
// CHECK: vector.contract {{.*}} : vector<1x1xf32>, vector<1x32xf32> into vector<1x32xf32>
// CHECK-NOT: linalg.vecmat
func.func @batched_rows(%a: tensor<3x1x24xf32>, %b: tensor<3x24x64xf32>, %c: tensor<3x1x64xf32>) -> tensor<3x1x64xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<3x1x24xf32>, tensor<3x24x64xf32>) outs(%c : tensor<3x1x64xf32>) -> tensor<3x1x64xf32>
  return %r : tensor<3x1x64xf32>
}

// -----

// An empty matmul is left to the loops.
// CHECK-LABEL: func.func @empty
// CHECK: linalg.matmul
func.func @empty(%a: tensor<0x16xf32>, %b: tensor<16x40xf32>, %c: tensor<0x40xf32>) -> tensor<0x40xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<0x16xf32>, tensor<16x40xf32>) outs(%c : tensor<0x40xf32>) -> tensor<0x40xf32>
  return %r : tensor<0x40xf32>
}

// -----

// On two threads, N = 96 (three tiles of 32) makes two static chunks of one
// tile and the third tile after them (not three chunks of one tile, which
// sweep all of B's rows each; not a chunk of 64 and a partial one).
// THREADS-LABEL: func.func @three_tiles
// THREADS: scf.forall (%{{.*}}) = (0) to (64) step (32)
// THREADS: tensor.extract_slice %{{.*}}[0, 64] [16, 32] [1, 1] : tensor<16x96xf32> to tensor<16x32xf32>
// THREADS: vector.contract
// THREADS-NOT: scf.forall
// THREADS-NOT: vector.mask
func.func @three_tiles(%a: tensor<8x16xf32>, %b: tensor<16x96xf32>, %c: tensor<8x96xf32>) -> tensor<8x96xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x96xf32>) outs(%c : tensor<8x96xf32>) -> tensor<8x96xf32>
  return %r : tensor<8x96xf32>
}

// -----

// More rows than columns, in whole tiles, at least one per thread: the
// threads take rows (each reads half of A and all of B, where columns would
// have each read all of A, the larger operand, and half of B).

// THREADS-LABEL: func.func @rows_for_threads
// THREADS: scf.forall (%[[I:.*]]) = (0) to (64) step (32) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<64x32xf32>)
// THREADS: tensor.extract_slice %{{.*}}[%[[I]], 0] [32, 16] [1, 1] : tensor<64x16xf32> to tensor<32x16xf32>
// THREADS: tensor.extract_slice %[[OUT]][%[[I]], 0] [32, 32] [1, 1] : tensor<64x32xf32> to tensor<32x32xf32>
// THREADS: vector.contract {{.*}} into vector<8x32xf32>
// THREADS: scf.forall.in_parallel
// THREADS-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[I]], 0] [32, 32] [1, 1]
func.func @rows_for_threads(%a: tensor<64x16xf32>, %b: tensor<16x32xf32>, %c: tensor<64x32xf32>) -> tensor<64x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x16xf32>, tensor<16x32xf32>) outs(%c : tensor<64x32xf32>) -> tensor<64x32xf32>
  return %r : tensor<64x32xf32>
}

// -----

// Rows that are not whole tiles stay together: the threads take columns.

// THREADS-LABEL: func.func @rows_not_whole_tiles
// THREADS: scf.forall (%{{.*}}) = (0) to (64) step (32) shared_outs(%{{.*}}) -> (tensor<68x64xf32>)
// THREADS: tensor.extract_slice %{{.*}}[0, %{{.*}}] [16, 32] [1, 1] : tensor<16x64xf32> to tensor<16x32xf32>
func.func @rows_not_whole_tiles(%a: tensor<68x16xf32>, %b: tensor<16x64xf32>, %c: tensor<68x64xf32>) -> tensor<68x64xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<68x16xf32>, tensor<16x64xf32>) outs(%c : tensor<68x64xf32>) -> tensor<68x64xf32>
  return %r : tensor<68x64xf32>
}

// -----

// A float matvec becomes the same contraction as a linalg.generic whose
// addition may be reassociated, so that LLVM vectorizes the sum over K.
// CHECK-LABEL: func.func @matvec
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<16x24xf32>, tensor<24xf32>) outs(%{{.*}} : tensor<16xf32>)
// CHECK: %[[P:.*]] = arith.mulf
// CHECK: arith.addf %{{.*}}, %[[P]] fastmath<reassoc> : f32
// CHECK-NOT: linalg.matvec
func.func @matvec(%a: tensor<16x24xf32>, %x: tensor<24xf32>, %y: tensor<16xf32>) -> tensor<16xf32> {
  %r = linalg.matvec ins(%a, %x : tensor<16x24xf32>, tensor<24xf32>) outs(%y : tensor<16xf32>) -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// -----

// So does a float dot product.
// CHECK-LABEL: func.func @dot
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<24xf32>, tensor<24xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK: %[[P:.*]] = arith.mulf
// CHECK: arith.addf %{{.*}}, %[[P]] fastmath<reassoc> : f32
// CHECK-NOT: linalg.dot
func.func @dot(%a: tensor<24xf32>, %b: tensor<24xf32>, %y: tensor<f32>) -> tensor<f32> {
  %r = linalg.dot ins(%a, %b : tensor<24xf32>, tensor<24xf32>) outs(%y : tensor<f32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// A batched contraction generic (agn's importer writes MatMul with more than
// one batch dimension, or broadcast ones, so: here A's second batch
// dimension is broadcast, a constant 0 in its map) becomes loops over the
// batch dimensions around linalg.matmul ops on the unit-batch slices
// collapsed to matrices, which are then vectorized.
#bmm_a = affine_map<(b0, b1, m, n, k) -> (b0, 0, m, k)>
#bmm_b = affine_map<(b0, b1, m, n, k) -> (b0, b1, k, n)>
#bmm_c = affine_map<(b0, b1, m, n, k) -> (b0, b1, m, n)>
// CHECK-LABEL: func.func @batched_generic
// CHECK: scf.for %[[B0:.*]] = %c0 to %c2 step %c1
// CHECK: scf.for %[[B1:.*]] = %c0 to %c3 step %c1
// CHECK: %[[A:.*]] = tensor.extract_slice %{{.*}}[%[[B0]], 0, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1]
// CHECK: %[[B:.*]] = tensor.extract_slice %{{.*}}[%[[B0]], %[[B1]], 0, 0] [1, 1, 16, 32] [1, 1, 1, 1]
// CHECK: tensor.collapse_shape %[[A]] {{\[\[}}0, 1, 2], [3]] : tensor<1x1x8x16xf32> into tensor<8x16xf32>
// CHECK: tensor.collapse_shape %[[B]] {{\[\[}}0, 1, 2], [3]] : tensor<1x1x16x32xf32> into tensor<16x32xf32>
// CHECK: vector.contract
// CHECK: tensor.expand_shape {{.*}} : tensor<8x32xf32> into tensor<1x1x8x32xf32>
// CHECK-NOT: linalg.generic
func.func @batched_generic(%a: tensor<2x1x8x16xf32>, %b: tensor<2x3x16x32xf32>, %c: tensor<2x3x8x32xf32>) -> tensor<2x3x8x32xf32> {
  %r = linalg.generic {indexing_maps = [#bmm_a, #bmm_b, #bmm_c], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<2x1x8x16xf32>, tensor<2x3x16x32xf32>) outs(%c : tensor<2x3x8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  } -> tensor<2x3x8x32xf32>
  return %r : tensor<2x3x8x32xf32>
}

// -----

// Left alone: a batched generic whose A is transposed (k before m), one whose
// body is not a product sum, and an integer one.
#t_a = affine_map<(b, m, n, k) -> (b, k, m)>
#t_b = affine_map<(b, m, n, k) -> (b, k, n)>
#t_c = affine_map<(b, m, n, k) -> (b, m, n)>
// CHECK-LABEL: func.func @batched_generic_left_alone
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: linalg.matmul
func.func @batched_generic_left_alone(%a: tensor<2x16x8xf32>, %a2: tensor<2x8x16xf32>, %b: tensor<2x16x32xf32>, %c: tensor<2x8x32xf32>,
                                      %ai: tensor<2x8x16xi32>, %bi: tensor<2x16x32xi32>, %ci: tensor<2x8x32xi32>)
    -> (tensor<2x8x32xf32>, tensor<2x8x32xf32>, tensor<2x8x32xi32>) {
  %r0 = linalg.generic {indexing_maps = [#t_a, #t_b, #t_c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<2x16x8xf32>, tensor<2x16x32xf32>) outs(%c : tensor<2x8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x8x32xf32>
  %r1 = linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, #t_b, #t_c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a2, %b : tensor<2x8x16xf32>, tensor<2x16x32xf32>) outs(%c : tensor<2x8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.maximumf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x8x32xf32>
  %r2 = linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, #t_b, #t_c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%ai, %bi : tensor<2x8x16xi32>, tensor<2x16x32xi32>) outs(%ci : tensor<2x8x32xi32>) {
  ^bb0(%x: i32, %y: i32, %acc: i32):
    %p = arith.muli %x, %y : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<2x8x32xi32>
  return %r0, %r1, %r2 : tensor<2x8x32xf32>, tensor<2x8x32xf32>, tensor<2x8x32xi32>
}

// -----

// f16 (and bf16) operands of a matmul with at least 16 rows are converted
// to f32 first, so that the register tiles are the f32 ones (converting in
// registers made every tile convert its rows of B again).
// CHECK-LABEL: func.func @half_operands
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<16x64xf16>) outs(%{{.*}} : tensor<16x64xf32>)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: %[[B:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<64x32xbf16>) outs(%{{.*}} : tensor<64x32xf32>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK-NOT: linalg.matmul
// With one row the kernel is memory-bound: the half-width operands stay,
// converted in registers.
// CHECK-LABEL: func.func @half_operands_one_row
// CHECK-NOT: linalg.generic
// CHECK: vector.contract {{.*}} : vector<1x1xf16>, vector<1x32xf16> into vector<1x32xf32>
func.func @half_operands(%a: tensor<16x64xf16>, %b: tensor<64x32xbf16>, %c: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<16x64xf16>, tensor<64x32xbf16>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  return %r : tensor<16x32xf32>
}

func.func @half_operands_one_row(%a: tensor<1x64xf16>, %b: tensor<64x32xf16>, %c: tensor<1x32xf32>) -> tensor<1x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<1x64xf16>, tensor<64x32xf16>) outs(%c : tensor<1x32xf32>) -> tensor<1x32xf32>
  return %r : tensor<1x32xf32>
}

// -----

// A contraction generic without batch loops whose output is itself a
// collapsed tensor: the matmul takes the operands as they are (no reshape of
// the result back).
#m_a = affine_map<(m, n, k) -> (m, k)>
#m_b = affine_map<(m, n, k) -> (k, n)>
#m_c = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @unbatched_generic
// CHECK: %[[C:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x4x32xf32> into tensor<8x32xf32>
// CHECK: vector.contract
// CHECK-NOT: tensor.expand_shape
// CHECK: return %{{.*}} : tensor<8x32xf32>
func.func @unbatched_generic(%a: tensor<8x16xf32>, %b: tensor<16x32xf32>, %c3: tensor<2x4x32xf32>) -> tensor<8x32xf32> {
  %c = tensor.collapse_shape %c3 [[0, 1], [2]] : tensor<2x4x32xf32> into tensor<8x32xf32>
  %r = linalg.generic {indexing_maps = [#m_a, #m_b, #m_c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<8x16xf32>, tensor<16x32xf32>) outs(%c : tensor<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}
