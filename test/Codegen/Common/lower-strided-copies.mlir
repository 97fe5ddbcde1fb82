// RUN: agn-opt %s --split-input-file --agn-lower-strided-copies | FileCheck %s

// A copy into the interior of a padded buffer: a linalg.copy, which
// becomes loops instead of a call of MLIR's generic memrefCopy.

// CHECK-LABEL: func.func @into_padded(
// CHECK-SAME: %[[X:.*]]: memref<1x4x6x6xf32>, %[[P:.*]]: memref<1x4x8x8xf32>)
// CHECK: %[[SUB:.*]] = memref.subview %[[P]]
// CHECK-NEXT: linalg.copy ins(%[[X]] : memref<1x4x6x6xf32>) outs(%[[SUB]] : memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: 9>>)
// CHECK-NOT: memref.copy
func.func @into_padded(%x: memref<1x4x6x6xf32>, %p: memref<1x4x8x8xf32>) {
  %sub = memref.subview %p[0, 0, 1, 1] [1, 4, 6, 6] [1, 1, 1, 1]
      : memref<1x4x8x8xf32> to memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: 9>>
  memref.copy %x, %sub : memref<1x4x6x6xf32>
      to memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: 9>>
  return
}

// -----

// Contiguous copies stay: they become a memcpy. That includes a subview
// that is still contiguous (whole rows at an offset) and dynamic shapes
// with identity layouts.

// CHECK-LABEL: func.func @contiguous(
// CHECK-COUNT-3: memref.copy
// CHECK-NOT: linalg.copy
func.func @contiguous(%a: memref<4x8xf32>, %b: memref<4x8xf32>,
                      %big: memref<8x8xf32>, %d: memref<?xf32>,
                      %e: memref<?xf32>) {
  memref.copy %a, %b : memref<4x8xf32> to memref<4x8xf32>
  %rows = memref.subview %big[4, 0] [4, 8] [1, 1]
      : memref<8x8xf32> to memref<4x8xf32, strided<[8, 1], offset: 32>>
  memref.copy %a, %rows : memref<4x8xf32>
      to memref<4x8xf32, strided<[8, 1], offset: 32>>
  memref.copy %d, %e : memref<?xf32> to memref<?xf32>
  return
}

// -----

// Strided on the source side only (a slice of a larger buffer).

// CHECK-LABEL: func.func @from_slice(
// CHECK: linalg.copy ins(%{{.*}} : memref<4x4xf32, strided<[8, 1], offset: 2>>) outs(%{{.*}} : memref<4x4xf32>)
func.func @from_slice(%big: memref<4x8xf32>, %out: memref<4x4xf32>) {
  %slice = memref.subview %big[0, 2] [4, 4] [1, 1]
      : memref<4x8xf32> to memref<4x4xf32, strided<[8, 1], offset: 2>>
  memref.copy %slice, %out : memref<4x4xf32, strided<[8, 1], offset: 2>>
      to memref<4x4xf32>
  return
}
