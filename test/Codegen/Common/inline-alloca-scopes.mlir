// RUN: agn-opt %s --split-input-file --agn-inline-alloca-scopes | FileCheck %s

// The scopes convert-scf-to-openmp wraps loop bodies in: one without
// allocas is inlined; one with an alloca gives it to the loop body (upstream's
// hoister stops at loops) and is inlined too. agn's kernels make no allocas
// in loops by then (docs/Codegen.md).

// CHECK-LABEL: func.func @scopes
// CHECK-SAME:    (%[[B:.*]]: memref<8xf32>, %[[X:.*]]: f32)
// CHECK-NOT:     memref.alloca_scope
// CHECK:         scf.for %[[I:.*]] =
// CHECK-NEXT:      memref.store %[[X]], %[[B]][%[[I]]]
// CHECK-NEXT:      %[[A:.*]] = memref.alloca() : memref<4xf32>
// CHECK-NEXT:      memref.store %[[X]], %[[A]]
// CHECK-NEXT:    }
// CHECK-NOT:     memref.alloca_scope
// CHECK:         return
func.func @scopes(%b: memref<8xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    memref.alloca_scope {
      memref.store %x, %b[%i] : memref<8xf32>
    }
    memref.alloca_scope {
      %a = memref.alloca() : memref<4xf32>
      memref.store %x, %a[%c0] : memref<4xf32>
    }
  }
  return
}

// -----

// Other ops' patterns do not run (a canonicalizer would erase this loop of
// no iterations); the greedy driver's folding does (the addition of zero).

// CHECK-LABEL: func.func @others
// CHECK:         scf.for
// CHECK-NOT:     arith.addi
// CHECK:         return
func.func @others(%b: memref<8xindex>, %x: index) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c1 to %c0 step %c1 {
    memref.store %x, %b[%i] : memref<8xindex>
  }
  %r = arith.addi %x, %c0 : index
  return %r : index
}
