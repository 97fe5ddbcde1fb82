// Each level on its own (agn-specialize), then adaptively, where each unit's
// controller picks the level from its input's variance and asks the runtime.
// The adaptive pipeline wraps only linalg.matmul (ops=matmul) so that the f64
// references, written as linalg.generic contractions, stay as written.
//
// RUN: agn-opt %s --agn-adaptive-pipeline=ops=matmul --agn-specialize=level=i4 --agn-lower-to-llvm-pipeline \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs | FileCheck %s --check-prefixes=CHECK,I4
// RUN: agn-opt %s --agn-adaptive-pipeline=ops=matmul --agn-specialize=level=i8 --agn-lower-to-llvm-pipeline \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs | FileCheck %s --check-prefixes=CHECK,I8
// RUN: agn-opt %s --agn-adaptive-pipeline=ops=matmul --agn-specialize=level=bf16 --agn-lower-to-llvm-pipeline \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs | FileCheck %s --check-prefixes=CHECK,BF16
// RUN: agn-opt %s --agn-adaptive-pipeline=ops=matmul --agn-specialize=level=f16 --agn-lower-to-llvm-pipeline \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs | FileCheck %s --check-prefixes=CHECK,F16
// RUN: agn-opt %s --agn-adaptive-pipeline=ops=matmul --agn-specialize=level=f32 --agn-lower-to-llvm-pipeline \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs | FileCheck %s --check-prefixes=CHECK,F32
// The scalar lowering of the float contractions (without the tiling and
// vectorization) computes the same.
// RUN: agn-opt %s --agn-adaptive-pipeline=ops=matmul --agn-specialize=level=bf16 --agn-lower-to-llvm-pipeline=vectorize=false \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs | FileCheck %s --check-prefixes=CHECK,BF16
// RUN: agn-opt %s --agn-adaptive-pipeline=ops=matmul --agn-lower-to-llvm-pipeline -o %t.adaptive.mlir
// RUN: env AGN_RT_MONITOR=off AGN_RT_TELEMETRY=%t.telemetry.json \
// RUN:   %mlir_runner %t.adaptive.mlir -e main -entry-point-result=void -shared-libs=%shlibs \
// RUN: | FileCheck %s --check-prefixes=CHECK,ADAPTIVE
// RUN: FileCheck %s --check-prefix=TELEMETRY --input-file=%t.telemetry.json

// The MLP of examples/mlp.mlir (64 -> 128 -> 10, batch 16) and its first
// layer alone (@dense), compiled through agn's passes and run, against f64
// references of the same f32 inputs.
//
// Two checks:
//
// 1. The largest error against the f64 reference is within a bound derived
//    from the level's quantization step (i8: half of max / 127 per row of
//    activations and per column of weights; i4: half of max / 7 per block of
//    32 weights; f16 and bf16: half an ulp, u = 2^-11 and 2^-8; f32: the sum's
//    rounding, gamma_K = K 2^-24 / (1 - K 2^-24)), propagated through both
//    layers in the worst case (every error adding up with the same sign).
//    test/Integration/Inputs/mlp_bounds.py derives the bounds (formulas in its
//    docstring) from the same inputs and prints them; they are rounded up to 4
//    digits here. Worst-case bounds are loose for the integer levels of a
//    two-layer network (the errors of 64 and 128 terms mostly cancel): they
//    catch gross errors, while check 2 catches small ones.
//
//    Bounds (max over the outputs):   @mlp       @dense
//      i4                             9.888      0.5442
//      i8                             0.9425     0.05621
//      bf16                           0.4723     0.02973
//      f16                            0.05879    0.003724
//      f32                            0.0002401  1.452e-05
//      adaptive (f16, then i8)        0.1448
//
// 2. @dense (one unit) at each level against the exact arithmetic of that
//    level: relu(A~ B~ + b) in f64, where A~ and B~ are the operands as the
//    level's version sees them, dequantized: the activations per row to i8
//    (i8, i4) or rounded to f16/bf16, the weights per column to i8, per block
//    of 32 rows to i4, or rounded. The only difference left is f32 rounding,
//    bounded elementwise by (gamma_K + 3 * 2^-24) (|A~| |B~|) + 2^-24 |A~ B~ + b|
//    (the f32 sum; the scale product, rescale and bias add roundings). This
//    holds to the last bits, so a wrong scale, axis, block, rounding or i4
//    packing shows.
//
// Inputs (exact f32 formulas, mirrored in mlp_bounds.py):
//   x[m, k]  = (((13 m + 7 k) mod 17) - 8) / 7      16 x 64
//   w1[k, n] = (((5 k + 3 n) mod 23) - 11) / 60     64 x 128
//   b1[n]    = ((n mod 7) - 3) / 10
//   w2[n, o] = (((7 n + 5 o) mod 19) - 9) / 40      128 x 10
//   b2[o]    = (o - 5) / 4
// Adaptively, var(x) = 0.49 selects f16 for mlp.u0 and dense.u0 (band
// [0.32, 1.28)) and the hidden layer's variance 0.065 selects i8 for mlp.u1
// (band [0.02, 0.08)).

#bias = affine_map<(d0, d1) -> (d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>

//===----------------------------------------------------------------------===//
// The model (examples/mlp.mlir) and its first layer
//===----------------------------------------------------------------------===//

func.func @mlp(%x: tensor<16x64xf32>, %w1: tensor<64x128xf32>, %b1: tensor<128xf32>,
               %w2: tensor<128x10xf32>, %b2: tensor<10xf32>) -> tensor<16x10xf32> {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<16x128xf32>
  %acc1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<16x128xf32>) -> tensor<16x128xf32>
  %mm1 = linalg.matmul ins(%x, %w1 : tensor<16x64xf32>, tensor<64x128xf32>)
                       outs(%acc1 : tensor<16x128xf32>) -> tensor<16x128xf32>
  %h = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm1, %b1 : tensor<16x128xf32>, tensor<128xf32>) outs(%e1 : tensor<16x128xf32>) {
  ^bb0(%v: f32, %b: f32, %out: f32):
    %s = arith.addf %v, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<16x128xf32>
  %e2 = tensor.empty() : tensor<16x10xf32>
  %acc2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<16x10xf32>) -> tensor<16x10xf32>
  %mm2 = linalg.matmul ins(%h, %w2 : tensor<16x128xf32>, tensor<128x10xf32>)
                       outs(%acc2 : tensor<16x10xf32>) -> tensor<16x10xf32>
  %y = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm2, %b2 : tensor<16x10xf32>, tensor<10xf32>) outs(%e2 : tensor<16x10xf32>) {
  ^bb0(%v: f32, %b: f32, %out: f32):
    %s = arith.addf %v, %b : f32
    linalg.yield %s : f32
  } -> tensor<16x10xf32>
  return %y : tensor<16x10xf32>
}

func.func @dense(%x: tensor<16x64xf32>, %w: tensor<64x128xf32>, %b: tensor<128xf32>) -> tensor<16x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x128xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<16x128xf32>) -> tensor<16x128xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x64xf32>, tensor<64x128xf32>)
                      outs(%acc : tensor<16x128xf32>) -> tensor<16x128xf32>
  %h = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<16x128xf32>, tensor<128xf32>) outs(%e : tensor<16x128xf32>) {
  ^bb0(%v: f32, %bb: f32, %out: f32):
    %s = arith.addf %v, %bb : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<16x128xf32>
  return %h : tensor<16x128xf32>
}

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

// t[i, j] = (((a i + b j) mod p) - offset) / denominator, in f32.
func.func @pattern(%rows: index, %cols: index, %a: index, %b: index, %p: index,
                   %offset: index, %denominator: f32) -> tensor<?x?xf32> {
  %e = tensor.empty(%rows, %cols) : tensor<?x?xf32>
  %t = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<?x?xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ai = arith.muli %a, %i : index
    %bj = arith.muli %b, %j : index
    %s = arith.addi %ai, %bj : index
    %r = arith.remui %s, %p : index
    %c = arith.subi %r, %offset : index
    %ci = arith.index_cast %c : index to i64
    %cf = arith.sitofp %ci : i64 to f32
    %v = arith.divf %cf, %denominator : f32
    linalg.yield %v : f32
  } -> tensor<?x?xf32>
  return %t : tensor<?x?xf32>
}

// t[n] = ((n mod p) - offset) / denominator, in f32.
func.func @pattern1d(%size: index, %p: index, %offset: index, %denominator: f32) -> tensor<?xf32> {
  %c1 = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  %t = func.call @pattern(%c1, %size, %c0, %c1, %p, %offset, %denominator)
      : (index, index, index, index, index, index, f32) -> tensor<?x?xf32>
  %v = tensor.collapse_shape %t [[0, 1]] : tensor<?x?xf32> into tensor<?xf32>
  return %v : tensor<?xf32>
}

//===----------------------------------------------------------------------===//
// f64 helpers
//===----------------------------------------------------------------------===//

func.func @to_f64(%t: tensor<?x?xf32>) -> tensor<?x?xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d0 = tensor.dim %t, %c0 : tensor<?x?xf32>
  %d1 = tensor.dim %t, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%d0, %d1) : tensor<?x?xf64>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<?x?xf32>) outs(%e : tensor<?x?xf64>) {
  ^bb0(%v: f32, %out: f64):
    %w = arith.extf %v : f32 to f64
    linalg.yield %w : f64
  } -> tensor<?x?xf64>
  return %r : tensor<?x?xf64>
}

func.func @to_f64_1d(%t: tensor<?xf32>) -> tensor<?xf64> {
  %c0 = arith.constant 0 : index
  %d0 = tensor.dim %t, %c0 : tensor<?xf32>
  %e = tensor.empty(%d0) : tensor<?xf64>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]}
      ins(%t : tensor<?xf32>) outs(%e : tensor<?xf64>) {
  ^bb0(%v: f32, %out: f64):
    %w = arith.extf %v : f32 to f64
    linalg.yield %w : f64
  } -> tensor<?xf64>
  return %r : tensor<?xf64>
}

// a @ b in f64 (|a| @ |b| with %abs), as a generic contraction.
func.func @matmul_f64(%a: tensor<?x?xf64>, %b: tensor<?x?xf64>, %abs: i1) -> tensor<?x?xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %m = tensor.dim %a, %c0 : tensor<?x?xf64>
  %n = tensor.dim %b, %c1 : tensor<?x?xf64>
  %e = tensor.empty(%m, %n) : tensor<?x?xf64>
  %init = linalg.fill ins(%zero : f64) outs(%e : tensor<?x?xf64>) -> tensor<?x?xf64>
  %r = linalg.generic {
      indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (k, j)>,
                       affine_map<(i, j, k) -> (i, j)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x?xf64>, tensor<?x?xf64>) outs(%init : tensor<?x?xf64>) {
  ^bb0(%x: f64, %y: f64, %acc: f64):
    %ax = math.absf %x : f64
    %ay = math.absf %y : f64
    %xx = arith.select %abs, %ax, %x : f64
    %yy = arith.select %abs, %ay, %y : f64
    %p = arith.mulf %xx, %yy : f64
    %s = arith.addf %acc, %p : f64
    linalg.yield %s : f64
  } -> tensor<?x?xf64>
  return %r : tensor<?x?xf64>
}

// a + bias (broadcast along rows), then relu when %relu.
func.func @bias_f64(%a: tensor<?x?xf64>, %bias: tensor<?xf64>, %relu: i1) -> tensor<?x?xf64> {
  %zero = arith.constant 0.0 : f64
  %r = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %bias : tensor<?x?xf64>, tensor<?xf64>) outs(%a : tensor<?x?xf64>) {
  ^bb0(%v: f64, %b: f64, %out: f64):
    %s = arith.addf %v, %b : f64
    %m = arith.maximumf %s, %zero : f64
    %o = arith.select %relu, %m, %s : f64
    linalg.yield %o : f64
  } -> tensor<?x?xf64>
  return %r : tensor<?x?xf64>
}

// max |y - ref|.
func.func @max_abs_error(%y: tensor<?x?xf32>, %ref: tensor<?x?xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<f64>
  %init = linalg.fill ins(%zero : f64) outs(%e : tensor<f64>) -> tensor<f64>
  %r = linalg.generic {indexing_maps = [#id, #id, affine_map<(d0, d1) -> ()>],
                       iterator_types = ["reduction", "reduction"]}
      ins(%y, %ref : tensor<?x?xf32>, tensor<?x?xf64>) outs(%init : tensor<f64>) {
  ^bb0(%v: f32, %w: f64, %acc: f64):
    %v64 = arith.extf %v : f32 to f64
    %d = arith.subf %v64, %w : f64
    %a = math.absf %d : f64
    %m = arith.maximumf %acc, %a : f64
    linalg.yield %m : f64
  } -> tensor<f64>
  %max = tensor.extract %r[] : tensor<f64>
  return %max : f64
}

//===----------------------------------------------------------------------===//
// Check 2: @dense against the exact arithmetic of each level
//===----------------------------------------------------------------------===//

// Whether relu(a~ @ b~ + bias) - y is within the f32 rounding bound
// (gamma_K + 3u) (|a~| @ |b~|) + u |a~ @ b~ + bias| everywhere.
func.func @matches_model(%y: tensor<16x128xf32>, %a: tensor<16x64xf64>, %b: tensor<64x128xf64>,
                         %bias: tensor<?xf64>) -> i1 {
  %true = arith.constant true
  %false = arith.constant false
  %ad = tensor.cast %a : tensor<16x64xf64> to tensor<?x?xf64>
  %bd = tensor.cast %b : tensor<64x128xf64> to tensor<?x?xf64>
  %prod = func.call @matmul_f64(%ad, %bd, %false) : (tensor<?x?xf64>, tensor<?x?xf64>, i1) -> tensor<?x?xf64>
  %mags = func.call @matmul_f64(%ad, %bd, %true) : (tensor<?x?xf64>, tensor<?x?xf64>, i1) -> tensor<?x?xf64>
  %pre = func.call @bias_f64(%prod, %bias, %false) : (tensor<?x?xf64>, tensor<?xf64>, i1) -> tensor<?x?xf64>
  // u = 2^-24; gamma_64 = 64 u / (1 - 64 u).
  %u = arith.constant 5.9604644775390625E-8 : f64
  %gamma = arith.constant 3.8147118070307e-06 : f64
  %three = arith.constant 3.0 : f64
  %zero = arith.constant 0.0 : f64
  %u3 = arith.mulf %three, %u : f64
  %rel = arith.addf %gamma, %u3 : f64
  %yd = tensor.cast %y : tensor<16x128xf32> to tensor<?x?xf32>
  %e = tensor.empty() : tensor<i1>
  %init = linalg.fill ins(%true : i1) outs(%e : tensor<i1>) -> tensor<i1>
  %r = linalg.generic {indexing_maps = [#id, #id, #id, affine_map<(d0, d1) -> ()>],
                       iterator_types = ["reduction", "reduction"]}
      ins(%yd, %pre, %mags : tensor<?x?xf32>, tensor<?x?xf64>, tensor<?x?xf64>) outs(%init : tensor<i1>) {
  ^bb0(%v: f32, %p: f64, %mag: f64, %acc: i1):
    %model = arith.maximumf %p, %zero : f64
    %v64 = arith.extf %v : f32 to f64
    %d = arith.subf %v64, %model : f64
    %ad2 = math.absf %d : f64
    %ap = math.absf %p : f64
    %t1 = arith.mulf %rel, %mag : f64
    %t2 = arith.mulf %u, %ap : f64
    %tol = arith.addf %t1, %t2 : f64
    %ok = arith.cmpf ole, %ad2, %tol : f64
    %all = arith.andi %acc, %ok : i1
    linalg.yield %all : i1
  } -> tensor<i1>
  %res = tensor.extract %r[] : tensor<i1>
  return %res : i1
}

// The operands as each level's version sees them, dequantized to f64.
func.func @operands_f32(%x: tensor<16x64xf32>, %w: tensor<64x128xf32>) -> (tensor<16x64xf64>, tensor<64x128xf64>) {
  %one = arith.constant dense<1.0> : tensor<f32>
  %a = agn.dequantize %x, %one : tensor<16x64xf32>, tensor<f32> -> tensor<16x64xf64>
  %b = agn.dequantize %w, %one : tensor<64x128xf32>, tensor<f32> -> tensor<64x128xf64>
  return %a, %b : tensor<16x64xf64>, tensor<64x128xf64>
}

func.func @operands_f16(%x: tensor<16x64xf32>, %w: tensor<64x128xf32>) -> (tensor<16x64xf64>, tensor<64x128xf64>) {
  %qx, %sx = agn.quantize %x : tensor<16x64xf32> -> tensor<16x64xf16>, tensor<f32>
  %qw, %sw = agn.quantize %w : tensor<64x128xf32> -> tensor<64x128xf16>, tensor<f32>
  %a = agn.dequantize %qx, %sx : tensor<16x64xf16>, tensor<f32> -> tensor<16x64xf64>
  %b = agn.dequantize %qw, %sw : tensor<64x128xf16>, tensor<f32> -> tensor<64x128xf64>
  return %a, %b : tensor<16x64xf64>, tensor<64x128xf64>
}

func.func @operands_bf16(%x: tensor<16x64xf32>, %w: tensor<64x128xf32>) -> (tensor<16x64xf64>, tensor<64x128xf64>) {
  %qx, %sx = agn.quantize %x : tensor<16x64xf32> -> tensor<16x64xbf16>, tensor<f32>
  %qw, %sw = agn.quantize %w : tensor<64x128xf32> -> tensor<64x128xbf16>, tensor<f32>
  %a = agn.dequantize %qx, %sx : tensor<16x64xbf16>, tensor<f32> -> tensor<16x64xf64>
  %b = agn.dequantize %qw, %sw : tensor<64x128xbf16>, tensor<f32> -> tensor<64x128xf64>
  return %a, %b : tensor<16x64xf64>, tensor<64x128xf64>
}

func.func @operands_i8(%x: tensor<16x64xf32>, %w: tensor<64x128xf32>) -> (tensor<16x64xf64>, tensor<64x128xf64>) {
  %qx, %sx = agn.quantize %x axis 0 : tensor<16x64xf32> -> tensor<16x64xi8>, tensor<16xf32>
  %qw, %sw = agn.quantize %w axis 1 : tensor<64x128xf32> -> tensor<64x128xi8>, tensor<128xf32>
  %a = agn.dequantize %qx, %sx axis 0 : tensor<16x64xi8>, tensor<16xf32> -> tensor<16x64xf64>
  %b = agn.dequantize %qw, %sw axis 1 : tensor<64x128xi8>, tensor<128xf32> -> tensor<64x128xf64>
  return %a, %b : tensor<16x64xf64>, tensor<64x128xf64>
}

func.func @operands_i4(%x: tensor<16x64xf32>, %w: tensor<64x128xf32>) -> (tensor<16x64xf64>, tensor<64x128xf64>) {
  %qx, %sx = agn.quantize %x axis 0 : tensor<16x64xf32> -> tensor<16x64xi8>, tensor<16xf32>
  %qw, %sw = agn.quantize %w axis 0 block 32 : tensor<64x128xf32> -> tensor<64x128xi4>, tensor<2x128xf32>
  %a = agn.dequantize %qx, %sx axis 0 : tensor<16x64xi8>, tensor<16xf32> -> tensor<16x64xf64>
  %b = agn.dequantize %qw, %sw axis 0 block 32 : tensor<64x128xi4>, tensor<2x128xf32> -> tensor<64x128xf64>
  return %a, %b : tensor<16x64xf64>, tensor<64x128xf64>
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

// CHECK-LABEL: mlp max abs error:
// I4:       mlp within i4 bound: 1
// I8:       mlp within i8 bound: 1
// BF16:     mlp within bf16 bound: 1
// F16:      mlp within f16 bound: 1
// F32:      mlp within f32 bound: 1
// ADAPTIVE: mlp within adaptive bound: 1
// CHECK-LABEL: dense max abs error:
// I4:       dense within i4 bound: 1
// I8:       dense within i8 bound: 1
// BF16:     dense within bf16 bound: 1
// F16:      dense within f16 bound: 1
// F32:      dense within f32 bound: 1
// ADAPTIVE: dense within f16 bound: 1
// I4:       dense matches i4 model: 1
// I8:       dense matches i8 model: 1
// BF16:     dense matches bf16 model: 1
// F16:      dense matches f16 model: 1
// ADAPTIVE: dense matches f16 model: 1
// F32:      dense matches f32 model: 1

// The runtime granted what the controllers asked: f16 for the first layers,
// i8 for the second (one call each; units register on their first call).
// TELEMETRY: "name": "mlp.u0"
// TELEMETRY: "granted": {
// TELEMETRY-NEXT: "i4": 0,
// TELEMETRY-NEXT: "i8": 0,
// TELEMETRY-NEXT: "bf16": 0,
// TELEMETRY-NEXT: "f16": 1,
// TELEMETRY-NEXT: "f32": 0
// TELEMETRY: "name": "mlp.u1"
// TELEMETRY: "granted": {
// TELEMETRY-NEXT: "i4": 0,
// TELEMETRY-NEXT: "i8": 1,
// TELEMETRY-NEXT: "bf16": 0,
// TELEMETRY-NEXT: "f16": 0,
// TELEMETRY-NEXT: "f32": 0
// TELEMETRY: "name": "dense.u0"
// TELEMETRY: "granted": {
// TELEMETRY-NEXT: "i4": 0,
// TELEMETRY-NEXT: "i8": 0,
// TELEMETRY-NEXT: "bf16": 0,
// TELEMETRY-NEXT: "f16": 1,
// TELEMETRY-NEXT: "f32": 0
func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %c8 = arith.constant 8 : index
  %c9 = arith.constant 9 : index
  %c10 = arith.constant 10 : index
  %c11 = arith.constant 11 : index
  %c13 = arith.constant 13 : index
  %c16 = arith.constant 16 : index
  %c17 = arith.constant 17 : index
  %c19 = arith.constant 19 : index
  %c23 = arith.constant 23 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %c1000 = arith.constant 1000 : index
  %f4 = arith.constant 4.0 : f32
  %f7 = arith.constant 7.0 : f32
  %f10 = arith.constant 10.0 : f32
  %f40 = arith.constant 40.0 : f32
  %f60 = arith.constant 60.0 : f32
  %true = arith.constant true
  %false = arith.constant false

  %xd = func.call @pattern(%c16, %c64, %c13, %c7, %c17, %c8, %f7) : (index, index, index, index, index, index, f32) -> tensor<?x?xf32>
  %w1d = func.call @pattern(%c64, %c128, %c5, %c3, %c23, %c11, %f60) : (index, index, index, index, index, index, f32) -> tensor<?x?xf32>
  %b1d = func.call @pattern1d(%c128, %c7, %c3, %f10) : (index, index, index, f32) -> tensor<?xf32>
  %w2d = func.call @pattern(%c128, %c10, %c7, %c5, %c19, %c9, %f40) : (index, index, index, index, index, index, f32) -> tensor<?x?xf32>
  %b2d = func.call @pattern1d(%c10, %c1000, %c5, %f4) : (index, index, index, f32) -> tensor<?xf32>
  %x = tensor.cast %xd : tensor<?x?xf32> to tensor<16x64xf32>
  %w1 = tensor.cast %w1d : tensor<?x?xf32> to tensor<64x128xf32>
  %b1 = tensor.cast %b1d : tensor<?xf32> to tensor<128xf32>
  %w2 = tensor.cast %w2d : tensor<?x?xf32> to tensor<128x10xf32>
  %b2 = tensor.cast %b2d : tensor<?xf32> to tensor<10xf32>

  // The f64 references.
  %x64 = func.call @to_f64(%xd) : (tensor<?x?xf32>) -> tensor<?x?xf64>
  %w164 = func.call @to_f64(%w1d) : (tensor<?x?xf32>) -> tensor<?x?xf64>
  %w264 = func.call @to_f64(%w2d) : (tensor<?x?xf32>) -> tensor<?x?xf64>
  %b164 = func.call @to_f64_1d(%b1d) : (tensor<?xf32>) -> tensor<?xf64>
  %b264 = func.call @to_f64_1d(%b2d) : (tensor<?xf32>) -> tensor<?xf64>
  %p1 = func.call @matmul_f64(%x64, %w164, %false) : (tensor<?x?xf64>, tensor<?x?xf64>, i1) -> tensor<?x?xf64>
  %h64 = func.call @bias_f64(%p1, %b164, %true) : (tensor<?x?xf64>, tensor<?xf64>, i1) -> tensor<?x?xf64>
  %p2 = func.call @matmul_f64(%h64, %w264, %false) : (tensor<?x?xf64>, tensor<?x?xf64>, i1) -> tensor<?x?xf64>
  %y64 = func.call @bias_f64(%p2, %b264, %false) : (tensor<?x?xf64>, tensor<?xf64>, i1) -> tensor<?x?xf64>

  // Check 1, @mlp.
  %y = func.call @mlp(%x, %w1, %b1, %w2, %b2)
      : (tensor<16x64xf32>, tensor<64x128xf32>, tensor<128xf32>, tensor<128x10xf32>, tensor<10xf32>) -> tensor<16x10xf32>
  %yd = tensor.cast %y : tensor<16x10xf32> to tensor<?x?xf32>
  %err = func.call @max_abs_error(%yd, %y64) : (tensor<?x?xf32>, tensor<?x?xf64>) -> f64
  vector.print str "mlp max abs error: "
  vector.print %err : f64
  %mlp_bound_i4 = arith.constant 9.888 : f64
  %mlp_ok_i4 = arith.cmpf ole, %err, %mlp_bound_i4 : f64
  vector.print str "mlp within i4 bound: "
  vector.print %mlp_ok_i4 : i1
  %mlp_bound_i8 = arith.constant 0.9425 : f64
  %mlp_ok_i8 = arith.cmpf ole, %err, %mlp_bound_i8 : f64
  vector.print str "mlp within i8 bound: "
  vector.print %mlp_ok_i8 : i1
  %mlp_bound_bf16 = arith.constant 0.4723 : f64
  %mlp_ok_bf16 = arith.cmpf ole, %err, %mlp_bound_bf16 : f64
  vector.print str "mlp within bf16 bound: "
  vector.print %mlp_ok_bf16 : i1
  %mlp_bound_f16 = arith.constant 0.05879 : f64
  %mlp_ok_f16 = arith.cmpf ole, %err, %mlp_bound_f16 : f64
  vector.print str "mlp within f16 bound: "
  vector.print %mlp_ok_f16 : i1
  %mlp_bound_f32 = arith.constant 0.0002401 : f64
  %mlp_ok_f32 = arith.cmpf ole, %err, %mlp_bound_f32 : f64
  vector.print str "mlp within f32 bound: "
  vector.print %mlp_ok_f32 : i1
  %mlp_bound_adaptive = arith.constant 0.1448 : f64
  %mlp_ok_adaptive = arith.cmpf ole, %err, %mlp_bound_adaptive : f64
  vector.print str "mlp within adaptive bound: "
  vector.print %mlp_ok_adaptive : i1

  // Check 1, @dense.
  %h = func.call @dense(%x, %w1, %b1) : (tensor<16x64xf32>, tensor<64x128xf32>, tensor<128xf32>) -> tensor<16x128xf32>
  %hd = tensor.cast %h : tensor<16x128xf32> to tensor<?x?xf32>
  %herr = func.call @max_abs_error(%hd, %h64) : (tensor<?x?xf32>, tensor<?x?xf64>) -> f64
  vector.print str "dense max abs error: "
  vector.print %herr : f64
  %dense_bound_i4 = arith.constant 0.5442 : f64
  %dense_ok_i4 = arith.cmpf ole, %herr, %dense_bound_i4 : f64
  vector.print str "dense within i4 bound: "
  vector.print %dense_ok_i4 : i1
  %dense_bound_i8 = arith.constant 0.05621 : f64
  %dense_ok_i8 = arith.cmpf ole, %herr, %dense_bound_i8 : f64
  vector.print str "dense within i8 bound: "
  vector.print %dense_ok_i8 : i1
  %dense_bound_bf16 = arith.constant 0.02973 : f64
  %dense_ok_bf16 = arith.cmpf ole, %herr, %dense_bound_bf16 : f64
  vector.print str "dense within bf16 bound: "
  vector.print %dense_ok_bf16 : i1
  %dense_bound_f16 = arith.constant 0.003724 : f64
  %dense_ok_f16 = arith.cmpf ole, %herr, %dense_bound_f16 : f64
  vector.print str "dense within f16 bound: "
  vector.print %dense_ok_f16 : i1
  %dense_bound_f32 = arith.constant 1.452e-05 : f64
  %dense_ok_f32 = arith.cmpf ole, %herr, %dense_bound_f32 : f64
  vector.print str "dense within f32 bound: "
  vector.print %dense_ok_f32 : i1

  // Check 2, @dense.
  %a0, %bw0 = func.call @operands_i4(%x, %w1) : (tensor<16x64xf32>, tensor<64x128xf32>) -> (tensor<16x64xf64>, tensor<64x128xf64>)
  %m0 = func.call @matches_model(%h, %a0, %bw0, %b164) : (tensor<16x128xf32>, tensor<16x64xf64>, tensor<64x128xf64>, tensor<?xf64>) -> i1
  vector.print str "dense matches i4 model: "
  vector.print %m0 : i1
  %a1, %bw1 = func.call @operands_i8(%x, %w1) : (tensor<16x64xf32>, tensor<64x128xf32>) -> (tensor<16x64xf64>, tensor<64x128xf64>)
  %m1 = func.call @matches_model(%h, %a1, %bw1, %b164) : (tensor<16x128xf32>, tensor<16x64xf64>, tensor<64x128xf64>, tensor<?xf64>) -> i1
  vector.print str "dense matches i8 model: "
  vector.print %m1 : i1
  %a2, %bw2 = func.call @operands_bf16(%x, %w1) : (tensor<16x64xf32>, tensor<64x128xf32>) -> (tensor<16x64xf64>, tensor<64x128xf64>)
  %m2 = func.call @matches_model(%h, %a2, %bw2, %b164) : (tensor<16x128xf32>, tensor<16x64xf64>, tensor<64x128xf64>, tensor<?xf64>) -> i1
  vector.print str "dense matches bf16 model: "
  vector.print %m2 : i1
  %a3, %bw3 = func.call @operands_f16(%x, %w1) : (tensor<16x64xf32>, tensor<64x128xf32>) -> (tensor<16x64xf64>, tensor<64x128xf64>)
  %m3 = func.call @matches_model(%h, %a3, %bw3, %b164) : (tensor<16x128xf32>, tensor<16x64xf64>, tensor<64x128xf64>, tensor<?xf64>) -> i1
  vector.print str "dense matches f16 model: "
  vector.print %m3 : i1
  %a4, %bw4 = func.call @operands_f32(%x, %w1) : (tensor<16x64xf32>, tensor<64x128xf32>) -> (tensor<16x64xf64>, tensor<64x128xf64>)
  %m4 = func.call @matches_model(%h, %a4, %bw4, %b164) : (tensor<16x128xf32>, tensor<16x64xf64>, tensor<64x128xf64>, tensor<?xf64>) -> i1
  vector.print str "dense matches f32 model: "
  vector.print %m4 : i1
  return
}
