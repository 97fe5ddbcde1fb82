// RUN: agn-opt %s --split-input-file --agn-hoist-vector-transfers | FileCheck %s

// The pass hoists one loop nest at a time (upstream's walk over a whole
// model's function is quadratic). Each nest, wherever it sits (here in the
// branches of a level's dispatch), gets its accumulator hoisted out of its
// K loop, and nothing of the temporary region around a nest is left.

// CHECK-LABEL: func.func @nests_in_branches
// CHECK-NOT:   scf.execute_region
// CHECK:       scf.if
// CHECK:         scf.for
// CHECK:           %[[ACC0:.*]] = vector.transfer_read %arg2
// CHECK:           %[[K0:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[ACC0]]) -> (vector<8xf32>)
// CHECK-NOT:         vector.transfer_write
// CHECK:           vector.transfer_write %[[K0]], %arg2
// CHECK:       } else {
// CHECK:         scf.for
// CHECK:           %[[ACC1:.*]] = vector.transfer_read %arg3
// CHECK:           %[[K1:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[ACC1]]) -> (vector<8xf32>)
// CHECK-NOT:         vector.transfer_write
// CHECK:           vector.transfer_write %[[K1]], %arg3
func.func @nests_in_branches(%a: memref<16x32xf32>, %b: memref<32xf32>,
                             %c0buf: memref<16xf32>, %c1buf: memref<16xf32>,
                             %cond: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %f0 = arith.constant 0.0 : f32
  scf.if %cond {
    scf.for %i = %c0 to %c16 step %c8 {
      scf.for %k = %c0 to %c32 step %c1 {
        %acc = vector.transfer_read %c0buf[%i], %f0 {in_bounds = [true]} : memref<16xf32>, vector<8xf32>
        %x = vector.transfer_read %a[%i, %k], %f0 {in_bounds = [true], permutation_map = affine_map<(d0, d1) -> (d0)>} : memref<16x32xf32>, vector<8xf32>
        %sum = arith.addf %acc, %x : vector<8xf32>
        vector.transfer_write %sum, %c0buf[%i] {in_bounds = [true]} : vector<8xf32>, memref<16xf32>
      }
    }
  } else {
    scf.for %i = %c0 to %c16 step %c8 {
      scf.for %k = %c0 to %c32 step %c1 {
        %acc = vector.transfer_read %c1buf[%i], %f0 {in_bounds = [true]} : memref<16xf32>, vector<8xf32>
        %x = vector.transfer_read %a[%i, %k], %f0 {in_bounds = [true], permutation_map = affine_map<(d0, d1) -> (d0)>} : memref<16x32xf32>, vector<8xf32>
        %sum = arith.addf %acc, %x : vector<8xf32>
        vector.transfer_write %sum, %c1buf[%i] {in_bounds = [true]} : vector<8xf32>, memref<16xf32>
      }
    }
  }
  return
}

// -----

// A pair that is invariant in the outermost loop itself leaves the nest: the
// loop is replaced by one that carries the value, and the nest's own results
// (a sum carried by the loop) still reach their users.

// CHECK-LABEL: func.func @outermost_loop_replaced
// CHECK-NOT:   scf.execute_region
// CHECK:       %[[ACC:.*]] = vector.transfer_read %arg1[%c0]
// CHECK:       %[[LOOP:.*]]:2 = scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %[[ACC]]) -> (f32, vector<8xf32>)
// CHECK-NOT:     vector.transfer_write
// CHECK:       }
// CHECK:       vector.transfer_write %[[LOOP]]#1, %arg1[%c0]
// CHECK:       return %[[LOOP]]#0 : f32
func.func @outermost_loop_replaced(%a: memref<32xf32>, %acc: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %f0 = arith.constant 0.0 : f32
  %total = scf.for %k = %c0 to %c32 step %c1 iter_args(%s = %f0) -> (f32) {
    %v = vector.transfer_read %acc[%c0], %f0 {in_bounds = [true]} : memref<8xf32>, vector<8xf32>
    %x = memref.load %a[%k] : memref<32xf32>
    %xs = vector.broadcast %x : f32 to vector<8xf32>
    %next = arith.addf %v, %xs : vector<8xf32>
    vector.transfer_write %next, %acc[%c0] {in_bounds = [true]} : vector<8xf32>, memref<8xf32>
    %s2 = arith.addf %s, %x : f32
    scf.yield %s2 : f32
  }
  return %total : f32
}
