// RUN: agn-opt %s --split-input-file --agn-hoist-vector-transfers | FileCheck %s

// A matmul split into whole register tiles and a remainder writes both parts
// into one buffer, the remainder through a subview. Upstream's hoisting gives
// up on any buffer with a view anywhere, which left the tile loaded and
// stored on every K step. The buffer is an allocation of its own and the
// loop reads only other buffers: the tile is hoisted.

// CHECK-LABEL: func.func @tile_of_a_buffer_with_views
// CHECK:         %[[C:.*]] = memref.alloc()
// CHECK:         scf.for
// CHECK:           %[[ACC:.*]] = vector.transfer_read %[[C]]
// CHECK:           %[[K:.*]] = scf.for {{.*}} iter_args(%[[ITER:.*]] = %[[ACC]]) -> (vector<8x32xf32>)
// CHECK-NOT:         vector.transfer_write
// CHECK:             vector.contract {{.*}} %[[ITER]]
// CHECK:           vector.transfer_write %[[K]], %[[C]]
// CHECK:         memref.subview %[[C]][16, 0] [1, 32]
func.func @tile_of_a_buffer_with_views(%a: memref<17x64xf32>,
                                       %b: memref<64x32xf32>)
    -> memref<17x32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %f0 = arith.constant 0.0 : f32
  %c = memref.alloc() {alignment = 64 : i64} : memref<17x32xf32>
  scf.for %m = %c0 to %c16 step %c8 {
    scf.for %k = %c0 to %c64 step %c1 {
      %lhs = vector.transfer_read %a[%m, %k], %f0 {in_bounds = [true, true]}
          : memref<17x64xf32>, vector<8x1xf32>
      %rhs = vector.transfer_read %b[%k, %c0], %f0 {in_bounds = [true, true]}
          : memref<64x32xf32>, vector<1x32xf32>
      %acc = vector.transfer_read %c[%m, %c0], %f0 {in_bounds = [true, true]}
          : memref<17x32xf32>, vector<8x32xf32>
      %r = vector.contract {
          indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>,
                           affine_map<(d0, d1, d2) -> (d2, d1)>,
                           affine_map<(d0, d1, d2) -> (d0, d1)>],
          iterator_types = ["parallel", "parallel", "reduction"],
          kind = #vector.kind<add>} %lhs, %rhs, %acc
          : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
      vector.transfer_write %r, %c[%m, %c0] {in_bounds = [true, true]}
          : vector<8x32xf32>, memref<17x32xf32>
    }
  }
  // The remainder row, through a view of the same buffer.
  %last = memref.subview %c[16, 0] [1, 32] [1, 1]
      : memref<17x32xf32> to memref<1x32xf32, strided<[32, 1], offset: 512>>
  linalg.fill ins(%f0 : f32) outs(%last : memref<1x32xf32, strided<[32, 1], offset: 512>>)
  return %c : memref<17x32xf32>
}

// -----

// The tile's buffer is also read in the loop through a view of it (another
// part of the same allocation): the read may see what the tile writes, so
// the tile stays where it is.

// CHECK-LABEL: func.func @operand_is_a_view_of_the_tile_buffer
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK-NOT:         iter_args
// CHECK:             vector.transfer_read
// CHECK:             vector.transfer_write
func.func @operand_is_a_view_of_the_tile_buffer(%b: memref<64x32xf32>)
    -> memref<80x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %f0 = arith.constant 0.0 : f32
  %buffer = memref.alloc() {alignment = 64 : i64} : memref<80x64xf32>
  %a = memref.subview %buffer[16, 0] [64, 64] [1, 1]
      : memref<80x64xf32> to memref<64x64xf32, strided<[64, 1], offset: 1024>>
  scf.for %m = %c0 to %c16 step %c8 {
    scf.for %k = %c0 to %c64 step %c1 {
      %lhs = vector.transfer_read %a[%m, %k], %f0 {in_bounds = [true, true]}
          : memref<64x64xf32, strided<[64, 1], offset: 1024>>, vector<8x1xf32>
      %rhs = vector.transfer_read %b[%k, %c0], %f0 {in_bounds = [true, true]}
          : memref<64x32xf32>, vector<1x32xf32>
      %acc = vector.transfer_read %buffer[%m, %c0], %f0 {in_bounds = [true, true]}
          : memref<80x64xf32>, vector<8x32xf32>
      %r = vector.contract {
          indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>,
                           affine_map<(d0, d1, d2) -> (d2, d1)>,
                           affine_map<(d0, d1, d2) -> (d0, d1)>],
          iterator_types = ["parallel", "parallel", "reduction"],
          kind = #vector.kind<add>} %lhs, %rhs, %acc
          : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
      vector.transfer_write %r, %buffer[%m, %c0] {in_bounds = [true, true]}
          : vector<8x32xf32>, memref<80x64xf32>
    }
  }
  return %buffer : memref<80x64xf32>
}

// -----

// Function arguments may be views of one another: a tile on an argument that
// has a view is not hoisted past a read of another argument.

// CHECK-LABEL: func.func @arguments_may_alias
// CHECK:         scf.for
// CHECK-NOT:       iter_args
// CHECK:           vector.transfer_write
func.func @arguments_may_alias(%a: memref<16x64xf32>, %b: memref<64x32xf32>,
                               %c: memref<17x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f0 = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c64 step %c1 {
    %lhs = vector.transfer_read %a[%c0, %k], %f0 {in_bounds = [true, true]}
        : memref<16x64xf32>, vector<8x1xf32>
    %rhs = vector.transfer_read %b[%k, %c0], %f0 {in_bounds = [true, true]}
        : memref<64x32xf32>, vector<1x32xf32>
    %acc = vector.transfer_read %c[%c0, %c0], %f0 {in_bounds = [true, true]}
        : memref<17x32xf32>, vector<8x32xf32>
    %r = vector.contract {
        indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>,
                         affine_map<(d0, d1, d2) -> (d2, d1)>,
                         affine_map<(d0, d1, d2) -> (d0, d1)>],
        iterator_types = ["parallel", "parallel", "reduction"],
        kind = #vector.kind<add>} %lhs, %rhs, %acc
        : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
    vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]}
        : vector<8x32xf32>, memref<17x32xf32>
  }
  %last = memref.subview %c[16, 0] [1, 32] [1, 1]
      : memref<17x32xf32> to memref<1x32xf32, strided<[32, 1], offset: 512>>
  linalg.fill ins(%f0 : f32) outs(%last : memref<1x32xf32, strided<[32, 1], offset: 512>>)
  return
}

// -----

// Another write in the loop (here a store to a second buffer) may be to
// anything the analysis cannot see: the tile stays.

// CHECK-LABEL: func.func @other_write_in_the_loop
// CHECK:         scf.for
// CHECK-NOT:       iter_args
// CHECK:           memref.store
// CHECK:           vector.transfer_write
func.func @other_write_in_the_loop(%b: memref<64x32xf32>, %out: memref<64xf32>)
    -> memref<17x32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f0 = arith.constant 0.0 : f32
  %c = memref.alloc() {alignment = 64 : i64} : memref<17x32xf32>
  scf.for %k = %c0 to %c64 step %c1 {
    %rhs = vector.transfer_read %b[%k, %c0], %f0 {in_bounds = [true, true]}
        : memref<64x32xf32>, vector<8x32xf32>
    %acc = vector.transfer_read %c[%c0, %c0], %f0 {in_bounds = [true, true]}
        : memref<17x32xf32>, vector<8x32xf32>
    %r = arith.addf %rhs, %acc : vector<8x32xf32>
    memref.store %f0, %out[%k] : memref<64xf32>
    vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]}
        : vector<8x32xf32>, memref<17x32xf32>
  }
  %last = memref.subview %c[16, 0] [1, 32] [1, 1]
      : memref<17x32xf32> to memref<1x32xf32, strided<[32, 1], offset: 512>>
  linalg.fill ins(%f0 : f32) outs(%last : memref<1x32xf32, strided<[32, 1], offset: 512>>)
  return %c : memref<17x32xf32>
}
