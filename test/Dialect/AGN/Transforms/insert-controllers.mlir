// RUN: agn-opt %s -split-input-file --agn-insert-controllers | FileCheck %s
// RUN: agn-opt %s -split-input-file --agn-insert-controllers --agn-insert-controllers | FileCheck %s
// RUN: agn-opt %s -split-input-file --agn-insert-controllers=stride=8 | FileCheck %s --check-prefix=STRIDE

// Each unit gets its controller at the start of its body: the statistic its
// policy names, measured on the unit's input, the policy's selection, and the
// resource manager's arbitration. Running the pass twice inserts one.

// CHECK-LABEL: func.func @variance_controller
// CHECK: agn.unit "fc" levels [i8, f32]
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4x8xf32>, %{{.*}}: tensor<8x16xf32>):
// CHECK-NEXT: %[[V:.*]] = agn.variance %[[A]] : tensor<4x8xf32>
// CHECK-NEXT: %[[R:.*]] = agn.select %[[V]] policy #agn.policy<levels = [i8, f32], thresholds = [5.000000e-01]>
// CHECK-NEXT: %[[G:.*]] = agn.arbitrate %[[R]], %[[V]]
// CHECK-NOT: agn.arbitrate
// CHECK: linalg.matmul
// STRIDE-LABEL: func.func @variance_controller
// STRIDE: agn.variance %{{.*}} stride 8 : tensor<4x8xf32>
func.func @variance_controller(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %acc: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %y = agn.unit "fc" levels [i8, f32] policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>):
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<4x16xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
    %mm = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
    agn.yield %mm : tensor<4x16xf32>
  }
  return %y : tensor<4x16xf32>
}

// -----

// abs_max policies measure the largest magnitude; with hysteresis the last
// selection lives in a private global per unit (starting at the most precise
// level), read as `previous` and updated on every call. Two units named
// alike get distinct globals.
// CHECK: memref.global "private" @__agn_level_enc_fc_0 : memref<index> = dense<4>
// CHECK: memref.global "private" @__agn_level_enc_fc : memref<index> = dense<2>
// CHECK-LABEL: func.func @abs_max_hysteresis
// CHECK: agn.unit "enc/fc"
// CHECK: %[[M:.*]] = agn.abs_max %{{.*}} : tensor<4x8xf32>
// CHECK-NEXT: %[[G:.*]] = memref.get_global @__agn_level_enc_fc : memref<index>
// CHECK-NEXT: %[[P:.*]] = memref.load %[[G]][] : memref<index>
// CHECK-NEXT: %[[R:.*]] = agn.select %[[M]] previous %[[P]] policy #agn.policy<statistic = abs_max, levels = [i4, bf16], thresholds = [2.000000e+00], hysteresis = 2.000000e-01>
// CHECK-NEXT: memref.store %[[R]], %[[G]][] : memref<index>
// CHECK-NEXT: agn.arbitrate %[[R]], %[[M]]
// CHECK: agn.unit "enc/fc"
// CHECK: memref.get_global @__agn_level_enc_fc_0
func.func @abs_max_hysteresis(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %y = agn.unit "enc/fc" levels [i4, bf16, f32]
      policy #agn.policy<statistic = abs_max, levels = [i4, bf16], thresholds = [2.0], hysteresis = 0.2>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x8xf32>):
    agn.yield %a : tensor<4x8xf32>
  }
  %z = agn.unit "enc/fc" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [1.0], hysteresis = 0.1>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x8xf32>):
    agn.yield %a : tensor<4x8xf32>
  }
  return %y, %z : tensor<4x8xf32>, tensor<4x8xf32>
}
