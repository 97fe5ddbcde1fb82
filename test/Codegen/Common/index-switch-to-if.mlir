// RUN: agn-opt %s --split-input-file --agn-index-switch-to-if | FileCheck %s
// RUN: agn-opt %s --split-input-file --agn-index-switch-to-if \
// RUN:   --one-shot-bufferize=bufferize-function-boundaries \
// RUN: | FileCheck %s --check-prefix=BUFFERS

// Two cases and a default: one scf.if per case, the default in the last else.

// CHECK-LABEL: func.func @three_way
// CHECK-SAME: (%[[ARG:.*]]: index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : index
// CHECK: %[[IS2:.*]] = arith.cmpi eq, %[[ARG]], %[[C2]] : index
// CHECK: %[[R:.*]] = scf.if %[[IS2]] -> (tensor<4xf32>) {
// CHECK:   %[[A:.*]] = linalg.fill ins(%{{.*}} : f32)
// CHECK:   scf.yield %[[A]]
// CHECK: } else {
// CHECK:   %[[IS5:.*]] = arith.cmpi eq, %[[ARG]], %[[C5]] : index
// CHECK:   %[[INNER:.*]] = scf.if %[[IS5]] -> (tensor<4xf32>) {
// CHECK:     scf.yield %{{.*}} : tensor<4xf32>
// CHECK:   } else {
// CHECK:     scf.yield %{{.*}} : tensor<4xf32>
// CHECK:   }
// CHECK:   scf.yield %[[INNER]]
// CHECK: }
// CHECK: return %[[R]]
// CHECK-NOT: scf.index_switch
func.func @three_way(%arg: index, %a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %one = arith.constant 1.0 : f32
  %r = scf.index_switch %arg -> tensor<4xf32>
  case 2 {
    %e = tensor.empty() : tensor<4xf32>
    %f = linalg.fill ins(%one : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    scf.yield %f : tensor<4xf32>
  }
  case 5 {
    scf.yield %a : tensor<4xf32>
  }
  default {
    scf.yield %b : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// A switch with only a default region becomes its body.

// CHECK-LABEL: func.func @default_only
// CHECK-NOT: scf.
// CHECK: %[[F:.*]] = linalg.fill
// CHECK: return %[[F]]
func.func @default_only(%arg: index, %a: tensor<4xf32>) -> tensor<4xf32> {
  %one = arith.constant 1.0 : f32
  %r = scf.index_switch %arg -> tensor<4xf32>
  default {
    %f = linalg.fill ins(%one : f32) outs(%a : tensor<4xf32>) -> tensor<4xf32>
    scf.yield %f : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// Switches without tensor results are left alone.

// CHECK-LABEL: func.func @scalar
// CHECK: scf.index_switch
// CHECK-NOT: scf.if
// CHECK: return
func.func @scalar(%arg: index, %x: f32, %y: f32) -> f32 {
  %r = scf.index_switch %arg -> f32
  case 0 {
    scf.yield %x : f32
  }
  default {
    scf.yield %y : f32
  }
  return %r : f32
}

// -----

// The miscompile the pass works around (two units' dispatches after CSE has
// merged their destinations). Straight from scf.index_switch, MLIR 22's
// One-Shot Bufferize writes both fills into one buffer and returns it twice;
// as scf.if, the first fill gets a buffer of its own.

// BUFFERS-LABEL: func.func @shared_destination
// BUFFERS: %[[OUTER:.*]] = memref.alloc()
// BUFFERS: scf.if
// BUFFERS:   %[[OWN:.*]] = memref.alloc()
// BUFFERS:   linalg.fill ins(%{{.*}} : f32) outs(%[[OWN]] :
// BUFFERS: scf.if
// BUFFERS:   linalg.fill ins(%{{.*}} : f32) outs(%[[OUTER]] :
func.func @shared_destination(%sel: index, %a: tensor<4xf32>, %b: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4xf32>
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  %r1 = scf.index_switch %sel -> tensor<4xf32>
  case 0 {
    %f = linalg.fill ins(%one : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    scf.yield %f : tensor<4xf32>
  }
  default {
    scf.yield %a : tensor<4xf32>
  }
  %r2 = scf.index_switch %sel -> tensor<4xf32>
  case 0 {
    %f = linalg.fill ins(%two : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    scf.yield %f : tensor<4xf32>
  }
  default {
    scf.yield %b : tensor<4xf32>
  }
  return %r1, %r2 : tensor<4xf32>, tensor<4xf32>
}
