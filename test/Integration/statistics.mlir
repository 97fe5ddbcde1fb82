// RUN: agn-opt %s --agn-lower-to-llvm-pipeline \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs \
// RUN: | FileCheck %s
// RUN: agn-opt %s --inline --canonicalize --agn-lower-to-llvm-pipeline \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs \
// RUN: | FileCheck %s

// agn.variance and agn.abs_max, lowered and run. The inputs come in through
// function arguments so that nothing folds at compile time; the second run
// inlines them so that the constant folders compute the same values at
// compile time, which checks the lowering against the folders.

func.func @variance(%x: tensor<?xf32>) -> f32 {
  %v = agn.variance %x : tensor<?xf32>
  return %v : f32
}

func.func @variance_2d_stride3(%x: tensor<?x4xf32>) -> f32 {
  %v = agn.variance %x stride 3 : tensor<?x4xf32>
  return %v : f32
}

func.func @variance_f16(%x: tensor<?xf16>) -> f32 {
  %v = agn.variance %x : tensor<?xf16>
  return %v : f32
}

func.func @abs_max(%x: tensor<?xf32>) -> f32 {
  %m = agn.abs_max %x : tensor<?xf32>
  return %m : f32
}

func.func @abs_max_f16(%x: tensor<?xf16>) -> f32 {
  %m = agn.abs_max %x : tensor<?xf16>
  return %m : f32
}

func.func @abs_max_f64(%x: tensor<?xf64>) -> f32 {
  %m = agn.abs_max %x : tensor<?xf64>
  return %m : f32
}

func.func @abs_max_2d_stride2(%x: tensor<?x4xf32>) -> f32 {
  %m = agn.abs_max %x stride 2 : tensor<?x4xf32>
  return %m : f32
}

func.func @print_variance(%c: tensor<?xf32>) {
  %v = func.call @variance(%c) : (tensor<?xf32>) -> f32
  vector.print %v : f32
  return
}

func.func @print_abs_max(%c: tensor<?xf32>) {
  %v = func.call @abs_max(%c) : (tensor<?xf32>) -> f32
  vector.print %v : f32
  return
}

func.func @main() {
  // 1..8: mean 4.5, sum of squared deviations 42, variance 42 / 8 = 5.25.
  // CHECK: 5.25
  %a = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %ad = tensor.cast %a : tensor<8xf32> to tensor<?xf32>
  func.call @print_variance(%ad) : (tensor<?xf32>) -> ()

  // 2x4 of 1..8 with stride 3 samples the row-major elements 1, 4, 7:
  // mean 4, variance (9 + 0 + 9) / 3 = 6.
  // CHECK-NEXT: 6
  %a2 = tensor.expand_shape %a [[0, 1]] output_shape [2, 4] : tensor<8xf32> into tensor<2x4xf32>
  %a2d = tensor.cast %a2 : tensor<2x4xf32> to tensor<?x4xf32>
  %v2 = func.call @variance_2d_stride3(%a2d) : (tensor<?x4xf32>) -> f32
  vector.print %v2 : f32

  // A large mean: 1e6 + {0, 1, 2, 3} has variance 1.25, which a sum of
  // squares in f32 (1e12 against a spread of 5) would lose entirely.
  // CHECK-NEXT: 1.25
  %b = arith.constant dense<[1000000.0, 1000001.0, 1000002.0, 1000003.0]> : tensor<4xf32>
  %bd = tensor.cast %b : tensor<4xf32> to tensor<?xf32>
  func.call @print_variance(%bd) : (tensor<?xf32>) -> ()

  // The first element is far from the others (the shift K is an outlier):
  // {100, 0, 0, 0}: mean 25, variance (75^2 + 3 * 25^2) / 4 = 1875.
  // CHECK-NEXT: 1875
  %o = arith.constant dense<[100.0, 0.0, 0.0, 0.0]> : tensor<4xf32>
  %od = tensor.cast %o : tensor<4xf32> to tensor<?xf32>
  func.call @print_variance(%od) : (tensor<?xf32>) -> ()

  // f16 input: {0.5, 1.5}: variance 0.25.
  // CHECK-NEXT: 0.25
  %h = arith.constant dense<[0.5, 1.5]> : tensor<2xf16>
  %hd = tensor.cast %h : tensor<2xf16> to tensor<?xf16>
  %vh = func.call @variance_f16(%hd) : (tensor<?xf16>) -> f32
  vector.print %vh : f32

  // A constant input has variance exactly 0; so has a single element.
  // CHECK-NEXT: 0
  // CHECK-NEXT: 0
  %k = arith.constant dense<0.3> : tensor<5xf32>
  %kd = tensor.cast %k : tensor<5xf32> to tensor<?xf32>
  func.call @print_variance(%kd) : (tensor<?xf32>) -> ()
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = tensor.extract_slice %ad[3] [%c1] [1] : tensor<?xf32> to tensor<?xf32>
  func.call @print_variance(%one) : (tensor<?xf32>) -> ()

  // An empty input has variance 0 and largest magnitude 0.
  // CHECK-NEXT: 0
  // CHECK-NEXT: 0
  %empty = tensor.extract_slice %ad[0] [%c0] [1] : tensor<?xf32> to tensor<?xf32>
  func.call @print_variance(%empty) : (tensor<?xf32>) -> ()
  func.call @print_abs_max(%empty) : (tensor<?xf32>) -> ()

  // NaN and infinities make the variance NaN.
  // CHECK-NEXT: {{-?}}nan
  // CHECK-NEXT: {{-?}}nan
  // CHECK-NEXT: {{-?}}nan
  %n = arith.constant dense<[1.0, 0x7FC00000, 3.0]> : tensor<3xf32>
  %nd = tensor.cast %n : tensor<3xf32> to tensor<?xf32>
  func.call @print_variance(%nd) : (tensor<?xf32>) -> ()
  %i = arith.constant dense<[1.0, 0x7F800000, 3.0]> : tensor<3xf32>
  %id = tensor.cast %i : tensor<3xf32> to tensor<?xf32>
  func.call @print_variance(%id) : (tensor<?xf32>) -> ()
  %fi = arith.constant dense<[0xFF800000, 1.0, 3.0]> : tensor<3xf32>
  %fid = tensor.cast %fi : tensor<3xf32> to tensor<?xf32>
  func.call @print_variance(%fid) : (tensor<?xf32>) -> ()

  // Largest magnitude of {1.5, -7.25, 3, 0.5}: 7.25.
  // CHECK-NEXT: 7.25
  %m = arith.constant dense<[1.5, -7.25, 3.0, 0.5]> : tensor<4xf32>
  %md = tensor.cast %m : tensor<4xf32> to tensor<?xf32>
  func.call @print_abs_max(%md) : (tensor<?xf32>) -> ()

  // 2x4 [[1.5, -7.25, 3, 0.5], [-4, 9, 2.5, -6]] with stride 2 reads
  // 1.5, 3, -4, 2.5 and skips -7.25 and 9: 4.
  // CHECK-NEXT: 4
  %m2 = arith.constant dense<[[1.5, -7.25, 3.0, 0.5], [-4.0, 9.0, 2.5, -6.0]]> : tensor<2x4xf32>
  %m2d = tensor.cast %m2 : tensor<2x4xf32> to tensor<?x4xf32>
  %vm2 = func.call @abs_max_2d_stride2(%m2d) : (tensor<?x4xf32>) -> f32
  vector.print %vm2 : f32

  // NaN wins over every number, wherever it is; an infinity is the largest.
  // CHECK-NEXT: {{-?}}nan
  // CHECK-NEXT: {{-?}}nan
  // CHECK-NEXT: inf
  func.call @print_abs_max(%nd) : (tensor<?xf32>) -> ()
  %nl = arith.constant dense<[1.0, 3.0, 0x7FC00000]> : tensor<3xf32>
  %nld = tensor.cast %nl : tensor<3xf32> to tensor<?xf32>
  func.call @print_abs_max(%nld) : (tensor<?xf32>) -> ()
  func.call @print_abs_max(%fid) : (tensor<?xf32>) -> ()

  // A NaN with the sign bit set, -inf, -0 and the smallest subnormal.
  // CHECK-NEXT: {{-?}}nan
  // CHECK-NEXT: inf
  // CHECK-NEXT: 1.4013e-45
  %nn = arith.constant dense<[2.0, 0xFFC00001, -3.0]> : tensor<3xf32>
  %nnd = tensor.cast %nn : tensor<3xf32> to tensor<?xf32>
  func.call @print_abs_max(%nnd) : (tensor<?xf32>) -> ()
  %ni = arith.constant dense<[2.0, 0xFF800000, -3.0]> : tensor<3xf32>
  %nid = tensor.cast %ni : tensor<3xf32> to tensor<?xf32>
  func.call @print_abs_max(%nid) : (tensor<?xf32>) -> ()
  %sub = arith.constant dense<[-0.0, 0x80000001, 0.0]> : tensor<3xf32>
  %subd = tensor.cast %sub : tensor<3xf32> to tensor<?xf32>
  func.call @print_abs_max(%subd) : (tensor<?xf32>) -> ()

  // f16 and f64 inputs: the magnitudes of their own bit patterns, then f32.
  // CHECK-NEXT: 3.5
  // CHECK-NEXT: {{-?}}nan
  // CHECK-NEXT: 2.5
  %half = arith.constant dense<[-3.5, 2.0, 0.5]> : tensor<3xf16>
  %halfd = tensor.cast %half : tensor<3xf16> to tensor<?xf16>
  %vhalf = func.call @abs_max_f16(%halfd) : (tensor<?xf16>) -> f32
  vector.print %vhalf : f32
  %hn = arith.constant dense<[-3.5, 0xFE00, 0.5]> : tensor<3xf16>
  %hnd = tensor.cast %hn : tensor<3xf16> to tensor<?xf16>
  %vhn = func.call @abs_max_f16(%hnd) : (tensor<?xf16>) -> f32
  vector.print %vhn : f32
  %dd = arith.constant dense<[1.25, -2.5, 0.0]> : tensor<3xf64>
  %ddd = tensor.cast %dd : tensor<3xf64> to tensor<?xf64>
  %vd = func.call @abs_max_f64(%ddd) : (tensor<?xf64>) -> f32
  vector.print %vd : f32
  return
}
