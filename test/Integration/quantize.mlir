// RUN: agn-opt %s --canonicalize --agn-lower-to-llvm-pipeline \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs \
// RUN: | FileCheck %s

// agn.quantize and agn.dequantize, lowered and run, per tensor, per channel
// and per block, to i8, i4, bf16 and f16. The values are chosen so that every
// scale is a power of two: the expected stored values, scales and round
// trips are exact, and ties (x * qmax / max = n + 0.5) exercise the rounding
// to even. The inputs come in through function arguments, so the quantization
// runs at run time; i4 values live packed two per byte.
//
// The last part checks that run-time quantization is bit for bit the
// compile-time one (the folder of agn.quantize, which --canonicalize applies
// to the constants of @folded_*).

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}

func.func @print(%t: tensor<*xf32>) {
  %m = bufferization.to_buffer %t : tensor<*xf32> to memref<*xf32>
  func.call @printMemrefF32(%m) : (memref<*xf32>) -> ()
  return
}

//===----------------------------------------------------------------------===//
// i8 per tensor
//===----------------------------------------------------------------------===//

// max 127: scale 1, stored = roundeven(x): 127, -63.5 -> -64 (even),
// 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -100.25 -> -100.
// CHECK-LABEL: i8 per tensor
// CHECK: [127,  -64,  0,  2,  2,  -100]
// CHECK: [1]
// CHECK: [127,  -64,  0,  2,  2,  -100]
func.func @i8_per_tensor(%x: tensor<6xf32>) {
  %q, %s = agn.quantize %x : tensor<6xf32> -> tensor<6xi8>, tensor<f32>
  %r = agn.dequantize %q, %s : tensor<6xi8>, tensor<f32> -> tensor<6xf32>
  %qf = arith.sitofp %q : tensor<6xi8> to tensor<6xf32>
  %s1 = tensor.expand_shape %s [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %a = tensor.cast %qf : tensor<6xf32> to tensor<*xf32>
  %b = tensor.cast %s1 : tensor<1xf32> to tensor<*xf32>
  %c = tensor.cast %r : tensor<6xf32> to tensor<*xf32>
  func.call @print(%a) : (tensor<*xf32>) -> ()
  func.call @print(%b) : (tensor<*xf32>) -> ()
  func.call @print(%c) : (tensor<*xf32>) -> ()
  return
}

//===----------------------------------------------------------------------===//
// i8 per channel
//===----------------------------------------------------------------------===//

// Axis 0 (rows). Row 0 [254, 3, -5, 1]: max 254, scale 2, x * 127 / 254 =
// x / 2 = 127, 1.5 -> 2, -2.5 -> -2, 0.5 -> 0; back: 254, 4, -4, 0.
// Row 1 is all zero: scale 1, stored 0.
// CHECK-LABEL: i8 per channel, axis 0
// CHECK: {{\[}}[127,   2,   -2,   0],
// CHECK-NEXT: [0,   0,   0,   0]]
// CHECK: [2,  1]
// CHECK: {{\[}}[254,   4,   -4,   0],
// CHECK-NEXT: [0,   0,   0,   0]]
func.func @i8_per_row(%x: tensor<2x4xf32>) {
  %q, %s = agn.quantize %x axis 0 : tensor<2x4xf32> -> tensor<2x4xi8>, tensor<2xf32>
  %r = agn.dequantize %q, %s axis 0 : tensor<2x4xi8>, tensor<2xf32> -> tensor<2x4xf32>
  %qf = arith.sitofp %q : tensor<2x4xi8> to tensor<2x4xf32>
  %a = tensor.cast %qf : tensor<2x4xf32> to tensor<*xf32>
  %b = tensor.cast %s : tensor<2xf32> to tensor<*xf32>
  %c = tensor.cast %r : tensor<2x4xf32> to tensor<*xf32>
  func.call @print(%a) : (tensor<*xf32>) -> ()
  func.call @print(%b) : (tensor<*xf32>) -> ()
  func.call @print(%c) : (tensor<*xf32>) -> ()
  return
}

// Axis 1 (columns). Column 0 [127/128, -63.5/128]: scale 1/128, stored 127,
// -63.5 -> -64; back 0.9921875, -0.5. Column 1 [-63.5, 31.75]: max 63.5,
// scale 0.5, stored -127, 63.5 -> 64; back -63.5, 32.
// CHECK-LABEL: i8 per channel, axis 1
// CHECK: {{\[}}[127,   -127],
// CHECK-NEXT: [-64,   64]]
// CHECK: [0.0078125,  0.5]
// CHECK: {{\[}}[0.992188,   -63.5],
// CHECK-NEXT: [-0.5,   32]]
func.func @i8_per_column(%x: tensor<2x2xf32>) {
  %q, %s = agn.quantize %x axis 1 : tensor<2x2xf32> -> tensor<2x2xi8>, tensor<2xf32>
  %r = agn.dequantize %q, %s axis 1 : tensor<2x2xi8>, tensor<2xf32> -> tensor<2x2xf32>
  %qf = arith.sitofp %q : tensor<2x2xi8> to tensor<2x2xf32>
  %a = tensor.cast %qf : tensor<2x2xf32> to tensor<*xf32>
  %b = tensor.cast %s : tensor<2xf32> to tensor<*xf32>
  %c = tensor.cast %r : tensor<2x2xf32> to tensor<*xf32>
  func.call @print(%a) : (tensor<*xf32>) -> ()
  func.call @print(%b) : (tensor<*xf32>) -> ()
  func.call @print(%c) : (tensor<*xf32>) -> ()
  return
}

// A NaN makes its row's scale NaN and the row's round trip NaN; the other
// row is unaffected.
// CHECK-LABEL: i8 per channel, NaN
// CHECK: [nan,  1]
// CHECK: {{\[}}[{{-?}}nan,   {{-?}}nan,   {{-?}}nan,   {{-?}}nan],
// CHECK-NEXT: [127,   0,   -1,   0]]
func.func @i8_nan(%x: tensor<2x4xf32>) {
  %q, %s = agn.quantize %x axis 0 : tensor<2x4xf32> -> tensor<2x4xi8>, tensor<2xf32>
  %r = agn.dequantize %q, %s axis 0 : tensor<2x4xi8>, tensor<2xf32> -> tensor<2x4xf32>
  %b = tensor.cast %s : tensor<2xf32> to tensor<*xf32>
  %c = tensor.cast %r : tensor<2x4xf32> to tensor<*xf32>
  func.call @print(%b) : (tensor<*xf32>) -> ()
  func.call @print(%c) : (tensor<*xf32>) -> ()
  return
}

//===----------------------------------------------------------------------===//
// i4
//===----------------------------------------------------------------------===//

// Per tensor [-14, 3, 5, 7]: max 14, scale 2, x * 7 / 14 = x / 2 = -7,
// 1.5 -> 2, 2.5 -> 2, 3.5 -> 4; back -14, 4, 4, 8.
// CHECK-LABEL: i4 per tensor
// CHECK: [-7,  2,  2,  4]
// CHECK: [2]
// CHECK: [-14,  4,  4,  8]
func.func @i4_per_tensor(%x: tensor<4xf32>) {
  %q, %s = agn.quantize %x : tensor<4xf32> -> tensor<4xi4>, tensor<f32>
  %r = agn.dequantize %q, %s : tensor<4xi4>, tensor<f32> -> tensor<4xf32>
  %qf = arith.sitofp %q : tensor<4xi4> to tensor<4xf32>
  %s1 = tensor.expand_shape %s [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %a = tensor.cast %qf : tensor<4xf32> to tensor<*xf32>
  %b = tensor.cast %s1 : tensor<1xf32> to tensor<*xf32>
  %c = tensor.cast %r : tensor<4xf32> to tensor<*xf32>
  func.call @print(%a) : (tensor<*xf32>) -> ()
  func.call @print(%b) : (tensor<*xf32>) -> ()
  func.call @print(%c) : (tensor<*xf32>) -> ()
  return
}

// Per block of 2 along axis 1 (scales 2x2):
//   [7, -3.5]       max 7, scale 1:       7, -3.5 -> -4;   back 7, -4
//   [14, 1]         max 14, scale 2:      7, 0.5 -> 0;     back 14, 0
//   [0, 0]          all zero, scale 1:    0, 0
//   [-0.875, 0.4375] max 7/8, scale 1/8:  -7, 3.5 -> 4;    back -0.875, 0.5
// CHECK-LABEL: i4 per block, axis 1
// CHECK: {{\[}}[7,   -4,   7,   0],
// CHECK-NEXT: [0,   0,   -7,   4]]
// CHECK: {{\[}}[1,   2],
// CHECK-NEXT: [1,   0.125]]
// CHECK: {{\[}}[7,   -4,   14,   0],
// CHECK-NEXT: [0,   0,   -0.875,   0.5]]
func.func @i4_blocks_axis1(%x: tensor<2x4xf32>) {
  %q, %s = agn.quantize %x axis 1 block 2 : tensor<2x4xf32> -> tensor<2x4xi4>, tensor<2x2xf32>
  %r = agn.dequantize %q, %s axis 1 block 2 : tensor<2x4xi4>, tensor<2x2xf32> -> tensor<2x4xf32>
  %qf = arith.sitofp %q : tensor<2x4xi4> to tensor<2x4xf32>
  %a = tensor.cast %qf : tensor<2x4xf32> to tensor<*xf32>
  %b = tensor.cast %s : tensor<2x2xf32> to tensor<*xf32>
  %c = tensor.cast %r : tensor<2x4xf32> to tensor<*xf32>
  func.call @print(%a) : (tensor<*xf32>) -> ()
  func.call @print(%b) : (tensor<*xf32>) -> ()
  func.call @print(%c) : (tensor<*xf32>) -> ()
  return
}

// The same with a dynamic number of rows: the view's sizes come from
// tensor.dim at run time.
// CHECK-LABEL: i4 per block, axis 1, dynamic
// CHECK: {{\[}}[7,   -4,   14,   0],
// CHECK-NEXT: [0,   0,   -0.875,   0.5]]
func.func @i4_blocks_axis1_dynamic(%x: tensor<?x4xf32>) {
  %q, %s = agn.quantize %x axis 1 block 2 : tensor<?x4xf32> -> tensor<?x4xi4>, tensor<?x2xf32>
  %r = agn.dequantize %q, %s axis 1 block 2 : tensor<?x4xi4>, tensor<?x2xf32> -> tensor<?x4xf32>
  %c = tensor.cast %r : tensor<?x4xf32> to tensor<*xf32>
  func.call @print(%c) : (tensor<*xf32>) -> ()
  return
}

// Per block of 2 along axis 0, as weights are quantized (scales 2x2):
//   column 0, rows 0-1 [3.5, -1.75]: scale 0.5, 7, -3.5 -> -4; back 3.5, -2
//   column 0, rows 2-3 [-28, 6]:     scale 4, -7, 1.5 -> 2;    back -28, 8
//   column 1, rows 0-1 [7, 7]:       scale 1, 7, 7;            back 7, 7
//   column 1, rows 2-3 [0, -7/16]:   scale 1/16, 0, -7;        back 0, -0.4375
// CHECK-LABEL: i4 per block, axis 0
// CHECK: {{\[}}[7,   7],
// CHECK-NEXT: [-4,   7],
// CHECK-NEXT: [-7,   0],
// CHECK-NEXT: [2,   -7]]
// CHECK: {{\[}}[0.5,   1],
// CHECK-NEXT: [4,   0.0625]]
// CHECK: {{\[}}[3.5,   7],
// CHECK-NEXT: [-2,   7],
// CHECK-NEXT: [-28,   0],
// CHECK-NEXT: [8,   -0.4375]]
func.func @i4_blocks_axis0(%x: tensor<4x2xf32>) {
  %q, %s = agn.quantize %x axis 0 block 2 : tensor<4x2xf32> -> tensor<4x2xi4>, tensor<2x2xf32>
  %r = agn.dequantize %q, %s axis 0 block 2 : tensor<4x2xi4>, tensor<2x2xf32> -> tensor<4x2xf32>
  %qf = arith.sitofp %q : tensor<4x2xi4> to tensor<4x2xf32>
  %a = tensor.cast %qf : tensor<4x2xf32> to tensor<*xf32>
  %b = tensor.cast %s : tensor<2x2xf32> to tensor<*xf32>
  %c = tensor.cast %r : tensor<4x2xf32> to tensor<*xf32>
  func.call @print(%a) : (tensor<*xf32>) -> ()
  func.call @print(%b) : (tensor<*xf32>) -> ()
  func.call @print(%c) : (tensor<*xf32>) -> ()
  return
}

//===----------------------------------------------------------------------===//
// Float storage
//===----------------------------------------------------------------------===//

// bf16 keeps 8 significant bits: 1 + 2^-8 is a tie between 1 and 1 + 2^-7
// and rounds to the even 1; 1 + 3 * 2^-8 rounds to the even 1 + 2^-6 =
// 1.015625. Scales are 1.
// CHECK-LABEL: bf16 per tensor
// CHECK: [1]
// CHECK: [1,  1,  1.01562,  -3]
func.func @bf16_per_tensor(%x: tensor<4xf32>) {
  %q, %s = agn.quantize %x : tensor<4xf32> -> tensor<4xbf16>, tensor<f32>
  %r = agn.dequantize %q, %s : tensor<4xbf16>, tensor<f32> -> tensor<4xf32>
  %s1 = tensor.expand_shape %s [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %b = tensor.cast %s1 : tensor<1xf32> to tensor<*xf32>
  %c = tensor.cast %r : tensor<4xf32> to tensor<*xf32>
  func.call @print(%b) : (tensor<*xf32>) -> ()
  func.call @print(%c) : (tensor<*xf32>) -> ()
  return
}

// f16 keeps 11 significant bits: 1 + 2^-11 rounds to the even 1, 1 + 3 *
// 2^-11 to the even 1 + 2^-9 = 1.00195; 70000 is above f16's largest finite
// value (65504) and becomes infinite. Per channel, the scales are all 1.
// CHECK-LABEL: f16 per channel
// CHECK: [1,  1]
// CHECK: {{\[}}[1,   1.00195],
// CHECK-NEXT: [inf,   2.5]]
func.func @f16_per_row(%x: tensor<2x2xf32>) {
  %q, %s = agn.quantize %x axis 0 : tensor<2x2xf32> -> tensor<2x2xf16>, tensor<2xf32>
  %r = agn.dequantize %q, %s axis 0 : tensor<2x2xf16>, tensor<2xf32> -> tensor<2x2xf32>
  %b = tensor.cast %s : tensor<2xf32> to tensor<*xf32>
  %c = tensor.cast %r : tensor<2x2xf32> to tensor<*xf32>
  func.call @print(%b) : (tensor<*xf32>) -> ()
  func.call @print(%c) : (tensor<*xf32>) -> ()
  return
}

//===----------------------------------------------------------------------===//
// Run time against compile time
//===----------------------------------------------------------------------===//

// 4x32 values: row 0 has max 127 and ties n + 0.5 everywhere; in row 1 (max
// m = 102.608414) every x * 127 / m is within a few ulps of n + 0.5, where
// x * fl(127 / m) in f32 rounds the other way than the folder's exact
// quotient; row 2 has ties for i4 blocks; row 3 starts with a zero block.
func.func @data() -> tensor<4x32xf32> {
  %x = arith.constant dense<[[127.0, 112.5, 31.5, 46.5, 99.5, 19.5, 69.5, 83.5, -70.5, -112.5, -51.5, -54.5, 94.5, 103.5, -125.5, -0.5, 80.5, -93.5, 74.5, -96.5, -8.5, 79.5, -50.5, -40.5, -56.5, 55.5, -62.5, 123.5, -14.5, -6.5, 0.5, 20.5], [102.608414, -98.9726868, -98.1647415, -97.3568039, -93.3171005, -92.5091629, -90.89328, -87.6615219, -86.045639, -82.8138809, -82.0059357, -81.197998, -77.9662399, -77.1582947, -76.3503571, -72.3106537, -71.5027161, -69.8868332, -66.6550751, -65.8471298, -65.0391922, -63.4233131, -61.8074341, -60.9994888, -60.1915512, -58.5756721, -56.9597893, -56.1518478, -55.3439102, -53.7280312, -52.9200859, -52.1121483], [0.109375, 0.0234375, 0.0859375, 0.0390625, -0.03125, 0.03125, 0.0234375, -0.0859375, -0.1015625, 0.0390625, -0.0234375, 0.0234375, -0.0390625, -0.0625, -0.078125, -0.0234375, 0.0703125, -0.0234375, -0.0234375, 0.015625, 0.109375, -0.0234375, 0.0234375, -0.015625, 0.0234375, -0.015625, 0.03125, 0.0078125, 0.0390625, 0.1015625, -0.078125, 0.015625], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.520872056, -0.195003405, -0.806591809, 0.93565613, -0.569991946, 0.343530327, -0.399159849, 0.748154044, 0.324429482, -0.736768365, 0.690148652, 0.889896333, 0.807833552, 0.139438301, -0.7090801, -0.615073025]]> : tensor<4x32xf32>
  return %x : tensor<4x32xf32>
}

// The same quantizations at run time (of an argument) ...
func.func @quantize_all(%x: tensor<4x32xf32>)
    -> (tensor<4x32xi8>, tensor<4xf32>, tensor<4x32xi4>, tensor<4x2xf32>, tensor<4x32xi8>, tensor<f32>) {
  %q8, %s8 = agn.quantize %x axis 0 : tensor<4x32xf32> -> tensor<4x32xi8>, tensor<4xf32>
  %q4, %s4 = agn.quantize %x axis 1 block 16 : tensor<4x32xf32> -> tensor<4x32xi4>, tensor<4x2xf32>
  %qt, %st = agn.quantize %x : tensor<4x32xf32> -> tensor<4x32xi8>, tensor<f32>
  return %q8, %s8, %q4, %s4, %qt, %st : tensor<4x32xi8>, tensor<4xf32>, tensor<4x32xi4>, tensor<4x2xf32>, tensor<4x32xi8>, tensor<f32>
}

// ... and at compile time (of a constant, folded by --canonicalize).
func.func @quantize_all_folded()
    -> (tensor<4x32xi8>, tensor<4xf32>, tensor<4x32xi4>, tensor<4x2xf32>, tensor<4x32xi8>, tensor<f32>) {
  %x = arith.constant dense<[[127.0, 112.5, 31.5, 46.5, 99.5, 19.5, 69.5, 83.5, -70.5, -112.5, -51.5, -54.5, 94.5, 103.5, -125.5, -0.5, 80.5, -93.5, 74.5, -96.5, -8.5, 79.5, -50.5, -40.5, -56.5, 55.5, -62.5, 123.5, -14.5, -6.5, 0.5, 20.5], [102.608414, -98.9726868, -98.1647415, -97.3568039, -93.3171005, -92.5091629, -90.89328, -87.6615219, -86.045639, -82.8138809, -82.0059357, -81.197998, -77.9662399, -77.1582947, -76.3503571, -72.3106537, -71.5027161, -69.8868332, -66.6550751, -65.8471298, -65.0391922, -63.4233131, -61.8074341, -60.9994888, -60.1915512, -58.5756721, -56.9597893, -56.1518478, -55.3439102, -53.7280312, -52.9200859, -52.1121483], [0.109375, 0.0234375, 0.0859375, 0.0390625, -0.03125, 0.03125, 0.0234375, -0.0859375, -0.1015625, 0.0390625, -0.0234375, 0.0234375, -0.0390625, -0.0625, -0.078125, -0.0234375, 0.0703125, -0.0234375, -0.0234375, 0.015625, 0.109375, -0.0234375, 0.0234375, -0.015625, 0.0234375, -0.015625, 0.03125, 0.0078125, 0.0390625, 0.1015625, -0.078125, 0.015625], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.520872056, -0.195003405, -0.806591809, 0.93565613, -0.569991946, 0.343530327, -0.399159849, 0.748154044, 0.324429482, -0.736768365, 0.690148652, 0.889896333, 0.807833552, 0.139438301, -0.7090801, -0.615073025]]> : tensor<4x32xf32>
  %q8, %s8 = agn.quantize %x axis 0 : tensor<4x32xf32> -> tensor<4x32xi8>, tensor<4xf32>
  %q4, %s4 = agn.quantize %x axis 1 block 16 : tensor<4x32xf32> -> tensor<4x32xi4>, tensor<4x2xf32>
  %qt, %st = agn.quantize %x : tensor<4x32xf32> -> tensor<4x32xi8>, tensor<f32>
  return %q8, %s8, %q4, %s4, %qt, %st : tensor<4x32xi8>, tensor<4xf32>, tensor<4x32xi4>, tensor<4x2xf32>, tensor<4x32xi8>, tensor<f32>
}

// Returns the number of positions where `a` and `b` differ.
func.func @count_int_mismatches(%a: tensor<4x32xi32>, %b: tensor<4x32xi32>) -> i32 {
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<i32>
  %init = linalg.fill ins(%zero : i32) outs(%e : tensor<i32>) -> tensor<i32>
  %r = linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>],
      iterator_types = ["reduction", "reduction"]}
      ins(%a, %b : tensor<4x32xi32>, tensor<4x32xi32>) outs(%init : tensor<i32>) {
  ^bb0(%x: i32, %y: i32, %acc: i32):
    %ne = arith.cmpi ne, %x, %y : i32
    %one = arith.extui %ne : i1 to i32
    %sum = arith.addi %acc, %one : i32
    linalg.yield %sum : i32
  } -> tensor<i32>
  %n = tensor.extract %r[] : tensor<i32>
  return %n : i32
}

// Returns whether the f32 tensors are bitwise equal, as 1 or 0.
func.func @bitwise_equal(%a: tensor<*xf32>, %b: tensor<*xf32>) -> i32 {
  %ar = tensor.cast %a : tensor<*xf32> to tensor<?xf32>
  %br = tensor.cast %b : tensor<*xf32> to tensor<?xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = tensor.dim %ar, %c0 : tensor<?xf32>
  %true = arith.constant 1 : i32
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%eq = %true) -> (i32) {
    %x = tensor.extract %ar[%i] : tensor<?xf32>
    %y = tensor.extract %br[%i] : tensor<?xf32>
    %xi = arith.bitcast %x : f32 to i32
    %yi = arith.bitcast %y : f32 to i32
    %same = arith.cmpi eq, %xi, %yi : i32
    %s = arith.extui %same : i1 to i32
    %both = arith.andi %eq, %s : i32
    scf.yield %both : i32
  }
  return %r : i32
}

// Stored values: the number of mismatches (0); scales: bitwise equal (1).
// CHECK-LABEL: run time against compile time
// CHECK-NEXT: 0
// CHECK-NEXT: 1
// CHECK-NEXT: 0
// CHECK-NEXT: 1
// CHECK-NEXT: 0
// CHECK-NEXT: 1
func.func @compare_with_folder() {
  %x = func.call @data() : () -> tensor<4x32xf32>
  %r:6 = func.call @quantize_all(%x) : (tensor<4x32xf32>)
      -> (tensor<4x32xi8>, tensor<4xf32>, tensor<4x32xi4>, tensor<4x2xf32>, tensor<4x32xi8>, tensor<f32>)
  %f:6 = func.call @quantize_all_folded()
      : () -> (tensor<4x32xi8>, tensor<4xf32>, tensor<4x32xi4>, tensor<4x2xf32>, tensor<4x32xi8>, tensor<f32>)

  %r8 = arith.extsi %r#0 : tensor<4x32xi8> to tensor<4x32xi32>
  %f8 = arith.extsi %f#0 : tensor<4x32xi8> to tensor<4x32xi32>
  %m8 = func.call @count_int_mismatches(%r8, %f8) : (tensor<4x32xi32>, tensor<4x32xi32>) -> i32
  vector.print %m8 : i32
  %rs8 = tensor.cast %r#1 : tensor<4xf32> to tensor<*xf32>
  %fs8 = tensor.cast %f#1 : tensor<4xf32> to tensor<*xf32>
  %e8 = func.call @bitwise_equal(%rs8, %fs8) : (tensor<*xf32>, tensor<*xf32>) -> i32
  vector.print %e8 : i32

  %r4 = arith.extsi %r#2 : tensor<4x32xi4> to tensor<4x32xi32>
  %f4 = arith.extsi %f#2 : tensor<4x32xi4> to tensor<4x32xi32>
  %m4 = func.call @count_int_mismatches(%r4, %f4) : (tensor<4x32xi32>, tensor<4x32xi32>) -> i32
  vector.print %m4 : i32
  %rs4c = tensor.collapse_shape %r#3 [[0, 1]] : tensor<4x2xf32> into tensor<8xf32>
  %fs4c = tensor.collapse_shape %f#3 [[0, 1]] : tensor<4x2xf32> into tensor<8xf32>
  %rs4 = tensor.cast %rs4c : tensor<8xf32> to tensor<*xf32>
  %fs4 = tensor.cast %fs4c : tensor<8xf32> to tensor<*xf32>
  %e4 = func.call @bitwise_equal(%rs4, %fs4) : (tensor<*xf32>, tensor<*xf32>) -> i32
  vector.print %e4 : i32

  %rt = arith.extsi %r#4 : tensor<4x32xi8> to tensor<4x32xi32>
  %ft = arith.extsi %f#4 : tensor<4x32xi8> to tensor<4x32xi32>
  %mt = func.call @count_int_mismatches(%rt, %ft) : (tensor<4x32xi32>, tensor<4x32xi32>) -> i32
  vector.print %mt : i32
  %rst1 = tensor.expand_shape %r#5 [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %fst1 = tensor.expand_shape %f#5 [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %rst = tensor.cast %rst1 : tensor<1xf32> to tensor<*xf32>
  %fst = tensor.cast %fst1 : tensor<1xf32> to tensor<*xf32>
  %et = func.call @bitwise_equal(%rst, %fst) : (tensor<*xf32>, tensor<*xf32>) -> i32
  vector.print %et : i32
  return
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

func.func @main() {
  vector.print str "i8 per tensor\n"
  %a = arith.constant dense<[127.0, -63.5, 0.5, 1.5, 2.5, -100.25]> : tensor<6xf32>
  func.call @i8_per_tensor(%a) : (tensor<6xf32>) -> ()

  vector.print str "i8 per channel, axis 0\n"
  %b = arith.constant dense<[[254.0, 3.0, -5.0, 1.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<2x4xf32>
  func.call @i8_per_row(%b) : (tensor<2x4xf32>) -> ()

  vector.print str "i8 per channel, axis 1\n"
  %c = arith.constant dense<[[0.9921875, -63.5], [-0.49609375, 31.75]]> : tensor<2x2xf32>
  func.call @i8_per_column(%c) : (tensor<2x2xf32>) -> ()

  vector.print str "i8 per channel, NaN\n"
  %d = arith.constant dense<[[1.0, 0x7FC00000, 3.0, 4.0], [127.0, 0.0, -1.0, 0.25]]> : tensor<2x4xf32>
  func.call @i8_nan(%d) : (tensor<2x4xf32>) -> ()

  vector.print str "i4 per tensor\n"
  %e = arith.constant dense<[-14.0, 3.0, 5.0, 7.0]> : tensor<4xf32>
  func.call @i4_per_tensor(%e) : (tensor<4xf32>) -> ()

  vector.print str "i4 per block, axis 1\n"
  %f = arith.constant dense<[[7.0, -3.5, 14.0, 1.0], [0.0, 0.0, -0.875, 0.4375]]> : tensor<2x4xf32>
  func.call @i4_blocks_axis1(%f) : (tensor<2x4xf32>) -> ()

  vector.print str "i4 per block, axis 1, dynamic\n"
  %fd = tensor.cast %f : tensor<2x4xf32> to tensor<?x4xf32>
  func.call @i4_blocks_axis1_dynamic(%fd) : (tensor<?x4xf32>) -> ()

  vector.print str "i4 per block, axis 0\n"
  %g = arith.constant dense<[[3.5, 7.0], [-1.75, 7.0], [-28.0, 0.0], [6.0, -0.4375]]> : tensor<4x2xf32>
  func.call @i4_blocks_axis0(%g) : (tensor<4x2xf32>) -> ()

  vector.print str "bf16 per tensor\n"
  %h = arith.constant dense<[1.0, 1.00390625, 1.01171875, -3.0]> : tensor<4xf32>
  func.call @bf16_per_tensor(%h) : (tensor<4xf32>) -> ()

  vector.print str "f16 per channel\n"
  %i = arith.constant dense<[[1.00048828125, 1.00146484375], [70000.0, 2.5]]> : tensor<2x2xf32>
  func.call @f16_per_row(%i) : (tensor<2x2xf32>) -> ()

  vector.print str "run time against compile time\n"
  func.call @compare_with_folder() : () -> ()
  return
}
