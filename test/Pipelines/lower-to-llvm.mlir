// RUN: agn-opt %s --agn-lower-to-llvm-pipeline | FileCheck %s
// RUN: agn-opt %s --agn-lower-to-llvm-pipeline=vectorize=false | FileCheck %s --check-prefix=SCALAR

// agn-lower-to-llvm-pipeline takes a module of agn units on tensors all the
// way to the LLVM dialect: nothing else is left, public functions get a C
// interface, the runtime is called through plain C functions, the unit's id
// and cost table are LLVM globals, and i4 weights quantized at compile time
// are a packed byte array.

// CHECK-NOT: agn.
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK-DAG: llvm.mlir.global internal @__agn_unit_id_fc(-1 : i64)
// CHECK-DAG: llvm.mlir.global internal constant @__agn_unit_costs_fc(dense<[0, 32, 64, 4, 128, 64]> : tensor<6xi64>)
// The i4 weight, rows of 7 (0x7) and -7 (0x9) per block (rows of 0.5 and
// -0.5; not a splat, which canonicalization folds into the loops), packed
// two per byte: 4 bytes 0x77, 4 bytes 0x99, and so on, 32 bytes.
// CHECK-DAG: llvm.mlir.global private constant @{{.*}}(dense<[119, 119, 119, 119, -103, -103, -103, -103, 119, {{.*}}, -103]> : tensor<32xi8>)
// CHECK-DAG: llvm.func @agn_rt_arbitrate(i64, i64, f32) -> i64
// CHECK-DAG: llvm.func @agn_rt_register_unit(!llvm.ptr, !llvm.ptr, i64, f64) -> i64
// CHECK-DAG: llvm.func @fc(
// CHECK-DAG: llvm.func @_mlir_ciface_fc(
// The f32 version's matmul is vectorized: LLVM vector FMAs on the 8 lanes
// of its 4x8 tile (the 8x32 register tile clamped to the matmul's size).
// CHECK-DAG: llvm.intr.fmuladd({{.*}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// SCALAR-NOT: vector<8xf32>
func.func @fc(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<[[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [-0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [-0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [-0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [-0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5]]> : tensor<8x8xf32>
  %y = agn.unit "fc" levels [i4, f32]
      policy #agn.policy<levels = [i4, f32], thresholds = [0.5]>
      costs [#agn.cost<i4, weight_bytes = 32, macs = 64>, #agn.cost<f32, weight_bytes = 128, macs = 64>]
      ins(%x, %w : tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x8xf32>):
    %v = agn.variance %a : tensor<4x8xf32>
    %l = agn.select %v policy #agn.policy<levels = [i4, f32], thresholds = [0.5]>
    %g = agn.arbitrate %l, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<4x8xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
    %r = agn.dispatch %g -> tensor<4x8xf32>
    case i4 {
      %q, %s = agn.quantize %b axis 0 block 4 : tensor<8x8xf32> -> tensor<8x8xi4>, tensor<2x8xf32>
      %d = agn.dequantize %q, %s axis 0 block 4 : tensor<8x8xi4>, tensor<2x8xf32> -> tensor<8x8xf32>
      %m = linalg.matmul ins(%a, %d : tensor<4x8xf32>, tensor<8x8xf32>) outs(%acc : tensor<4x8xf32>) -> tensor<4x8xf32>
      agn.yield %m : tensor<4x8xf32>
    }
    case f32 {
      %m = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x8xf32>) outs(%acc : tensor<4x8xf32>) -> tensor<4x8xf32>
      agn.yield %m : tensor<4x8xf32>
    }
    agn.yield %r : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}
