// RUN: %mlir_opt %s --load-dialect-plugin=%agn_lib/libAGNPlugin.so --load-pass-plugin=%agn_lib/libAGNPlugin.so --pass-pipeline="builtin.module(agn-adaptive-pipeline{levels=i8,f32 thresholds=0.5})" | FileCheck %s
// RUN: %mlir_opt %s --load-dialect-plugin=%agn_lib/libAGNPlugin.so --load-pass-plugin=%agn_lib/libAGNPlugin.so --pass-pipeline="builtin.module(agn-form-units{levels=i8,f32 thresholds=0.5},agn-report)" -o /dev/null | FileCheck %s --check-prefix=REPORT
// RUN: %mlir_opt %agn_src_root/examples/mlp_units.mlir --load-dialect-plugin=%agn_lib/libAGNPlugin.so | FileCheck %s --check-prefix=DIALECT

// Debian's own mlir-opt 22, not agn-opt, runs agn's passes and parses the
// dialect once libAGNPlugin.so is loaded.

// CHECK-LABEL: func.func @dense
// CHECK: agn.unit "dense.u0" levels [i8, f32]
// CHECK: agn.variance
// CHECK: agn.arbitrate
// CHECK: agn.dispatch
// CHECK: case i8
// CHECK: case f32

// REPORT: dense.u0  i8
// REPORT: 1 unit

// DIALECT: agn.unit "fc1" levels [i4, i8, bf16, f32]

func.func @dense(%x: tensor<4x16xf32>, %w: tensor<16x8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x16xf32>, tensor<16x8xf32>) outs(%acc : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %mm : tensor<4x8xf32>
}
