// RUN: agn-opt %s -split-input-file --agn-vectorize-contractions | FileCheck %s
// RUN: agn-opt %s -split-input-file --agn-vectorize-contractions=tile-sizes=4,16,1 | FileCheck %s --check-prefix=SIZES
// RUN: agn-opt %s -split-input-file --agn-vectorize-contractions --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --cse --canonicalize --agn-hoist-vector-transfers | FileCheck %s --check-prefix=HOIST

// Float matmuls are tiled into 8x32x1 register tiles and each tile becomes a
// vector.contract (an outer product, K being 1).

// CHECK-LABEL: func.func @matmul
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

// Partial tiles are masked; the masks sit inside the transfers, ready for
// bufferization. bf16 operands accumulate in f32.

// CHECK-LABEL: func.func @partial
// CHECK: %[[M:.*]] = affine.min
// CHECK: %[[N:.*]] = affine.min
// CHECK: %[[AMASK:.*]] = vector.create_mask %[[M]], %c1 : vector<8x1xi1>
// CHECK: vector.transfer_read %{{.*}}[%c0, %c0], %{{.*}}, %[[AMASK]] {{.*}} : tensor<?x1xbf16>, vector<8x1xbf16>
// CHECK: vector.mask %{{.*}} { vector.contract {{.*}} : vector<8x1xbf16>, vector<1x32xbf16> into vector<8x32xf32> }
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%c0, %c0], %{{.*}} {in_bounds = [true, true]} : vector<8x32xf32>, tensor<?x?xf32>
func.func @partial(%a: tensor<4x8xbf16>, %b: tensor<8x10xbf16>, %c: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xbf16>, tensor<8x10xbf16>) outs(%c : tensor<4x10xf32>) -> tensor<4x10xf32>
  return %r : tensor<4x10xf32>
}

// -----

// Integer matmuls stay as they are.

// CHECK-LABEL: func.func @integer
// CHECK-NOT: vector.
// CHECK: linalg.matmul
func.func @integer(%a: tensor<4x8xi8>, %b: tensor<8x16xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}
