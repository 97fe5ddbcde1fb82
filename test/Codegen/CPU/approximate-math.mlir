// RUN: agn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(agn-cpu-approximate-math))" | FileCheck %s
// RUN: agn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(agn-cpu-approximate-math{functions=tanh}))" | FileCheck %s --check-prefix=TANH
// RUN: not agn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(agn-cpu-approximate-math{functions=exp,expf}))" 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// UNKNOWN: error: agn-cpu-approximate-math: no approximation of 'expf'; the functions are acos, asin, atan, atan2, cbrt, cos, erf, erfc, exp, expm1, log, log1p, log2, rsqrt, sin, tanh

// The softmax's exp inside an elementwise op: arithmetic only (range
// reduction by ln 2, a polynomial of fmas, the exponent built in the bits),
// no call left for LLVM to scalarize.

// CHECK-LABEL: func.func @softmax_exp
// CHECK:         linalg.generic
// CHECK-NOT:       math.exp
// CHECK:           math.floor
// CHECK:           math.fma
// CHECK:           arith.bitcast
// CHECK:           linalg.yield
// TANH-LABEL:  func.func @softmax_exp
// TANH:          math.exp
func.func @softmax_exp(%x: tensor<1536x128xf32>, %m: tensor<1536xf32>) -> tensor<1536x128xf32> {
  %e = tensor.empty() : tensor<1536x128xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %m : tensor<1536x128xf32>, tensor<1536xf32>) outs(%e : tensor<1536x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %d = arith.subf %a, %b : f32
    %y = math.exp %d : f32
    linalg.yield %y : f32
  } -> tensor<1536x128xf32>
  return %r : tensor<1536x128xf32>
}

// -----

// GELU's erf on a kernel epilogue's vector: the approximation keeps the
// vector type.

// CHECK-LABEL: func.func @gelu_erf_vector
// CHECK-NOT:     math.erf
// CHECK:         math.fma {{.*}} : vector<16xf32>
// CHECK:         return {{.*}} : vector<16xf32>
func.func @gelu_erf_vector(%x: vector<16xf32>) -> vector<16xf32> {
  %y = math.erf %x : vector<16xf32>
  return %y : vector<16xf32>
}

// -----

// Only f32 is approximated; functions not asked for stay as they are.

// CHECK-LABEL: func.func @left_alone
// CHECK:         math.exp %{{.*}} : f16
// CHECK:         math.erf %{{.*}} : f64
// CHECK:         math.tanh %{{.*}} : f32
// TANH-LABEL:  func.func @left_alone
// TANH:          math.exp %{{.*}} : f16
// TANH-NOT:      math.tanh
// TANH:          return
func.func @left_alone(%h: f16, %d: f64, %f: f32) -> (f16, f64, f32) {
  %a = math.exp %h : f16
  %b = math.erf %d : f64
  %c = math.tanh %f : f32
  return %a, %b, %c : f16, f64, f32
}
