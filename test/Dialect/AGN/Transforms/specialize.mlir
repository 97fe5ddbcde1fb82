// RUN: agn-opt %s -split-input-file --agn-specialize=level=i8 | FileCheck %s
// RUN: agn-opt %s -split-input-file --agn-specialize="level=i8 units=b" | FileCheck %s --check-prefix=ONLY-B

// agn-specialize fixes units at one level: the unit allows only that level,
// its controller (statistic, selection, hysteresis global, arbitration) is
// gone and the dispatch is replaced by the one version.

memref.global "private" @__agn_level_a : memref<index> = dense<4>

// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @two_units
// CHECK: agn.unit "a" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
// CHECK-SAME: costs [#agn.cost<i8, weight_bytes = 32, macs = 128>]
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4x8xf32>, %{{.*}}: tensor<8x4xf32>):
// CHECK-NOT: agn.variance
// CHECK-NOT: agn.select
// CHECK-NOT: memref
// CHECK-NOT: agn.arbitrate
// CHECK-NOT: agn.dispatch
// CHECK: %[[V:.*]] = arith.constant 8.000000e+00 : f32
// CHECK: %[[S:.*]] = tensor.splat %[[V]]
// CHECK: agn.yield %[[S]]
// CHECK: agn.unit "b" levels [i8]
// CHECK-NOT: agn.dispatch
// CHECK: arith.constant 8.000000e+00

// ONLY-B: memref.global "private" @__agn_level_a
// ONLY-B-LABEL: func.func @two_units
// ONLY-B: agn.unit "a" levels [i8, f32]
// ONLY-B: agn.arbitrate
// ONLY-B: agn.dispatch
// ONLY-B: agn.unit "b" levels [i8] policy
// ONLY-B-NOT: agn.dispatch
func.func @two_units(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %y = agn.unit "a" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [0.5], hysteresis = 0.1>
      costs [#agn.cost<i8, weight_bytes = 32, macs = 128>, #agn.cost<f32, weight_bytes = 128, macs = 128>]
      ins(%x, %w : tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>):
    %v = agn.variance %a : tensor<4x8xf32>
    %m = memref.get_global @__agn_level_a : memref<index>
    %p = memref.load %m[] : memref<index>
    %r = agn.select %v previous %p policy #agn.policy<levels = [i8, f32], thresholds = [0.5], hysteresis = 0.1>
    memref.store %r, %m[] : memref<index>
    %g = agn.arbitrate %r, %v
    %o = agn.dispatch %g -> tensor<4x4xf32>
    case i8 {
      %c = arith.constant 8.0 : f32
      %s = tensor.splat %c : tensor<4x4xf32>
      agn.yield %s : tensor<4x4xf32>
    }
    case f32 {
      %c = arith.constant 32.0 : f32
      %s = tensor.splat %c : tensor<4x4xf32>
      agn.yield %s : tensor<4x4xf32>
    }
    agn.yield %o : tensor<4x4xf32>
  }
  %z = agn.unit "b" levels [i8, f32] policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>):
    %v = agn.variance %a : tensor<4x8xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
    %g = agn.arbitrate %r, %v
    %o = agn.dispatch %g -> tensor<4x4xf32>
    case i8 {
      %c = arith.constant 8.0 : f32
      %s = tensor.splat %c : tensor<4x4xf32>
      agn.yield %s : tensor<4x4xf32>
    }
    case f32 {
      %c = arith.constant 32.0 : f32
      %s = tensor.splat %c : tensor<4x4xf32>
      agn.yield %s : tensor<4x4xf32>
    }
    agn.yield %o : tensor<4x4xf32>
  }
  return %y, %z : tensor<4x4xf32>, tensor<4x4xf32>
}

