// RUN: agn-opt %s --agn-lower-to-llvm-pipeline \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs \
// RUN: | FileCheck %s
// RUN: agn-opt %s --inline --canonicalize --agn-lower-to-llvm-pipeline \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs \
// RUN: | FileCheck %s

// agn.select, lowered and run, with and without hysteresis; the second run
// inlines the calls so that the folder (PolicyAttr::selectBand) decides at
// compile time: both must agree. Levels print as
// ordinals: i4 = 0, i8 = 1, bf16 = 2, f16 = 3, f32 = 4.

// Bands: below 0.25 -> i4, [0.25, 1) -> i8, at or above 1 -> f32.
func.func @bands(%v: f32) -> index {
  %l = agn.select %v policy #agn.policy<levels = [i4, i8, f32], thresholds = [0.25, 1.0]>
  return %l : index
}

// Two levels with a relative hysteresis of 0.2 around 0.5: moving up from i8
// needs v >= 0.5 * 1.2 = 0.6, moving down from f32 needs v < 0.5 * 0.8 = 0.4.
func.func @step(%v: f32, %previous: index) -> index {
  %l = agn.select %v previous %previous policy #agn.policy<levels = [i8, f32], thresholds = [0.5], hysteresis = 0.2>
  return %l : index
}

func.func @print_bands(%v: f32) {
  %l = func.call @bands(%v) : (f32) -> index
  vector.print %l : index
  return
}

func.func @print_step(%v: f32, %previous: index) -> index {
  %l = func.call @step(%v, %previous) : (f32, index) -> index
  vector.print %l : index
  return %l : index
}

func.func @main() {
  // CHECK: 0
  // CHECK-NEXT: 1
  // CHECK-NEXT: 1
  // CHECK-NEXT: 4
  // CHECK-NEXT: 4
  %a = arith.constant 0.1 : f32
  %b = arith.constant 0.25 : f32
  %c = arith.constant 0.99 : f32
  %d = arith.constant 1.0 : f32
  %e = arith.constant 1.0e30 : f32
  func.call @print_bands(%a) : (f32) -> ()
  func.call @print_bands(%b) : (f32) -> ()
  func.call @print_bands(%c) : (f32) -> ()
  func.call @print_bands(%d) : (f32) -> ()
  func.call @print_bands(%e) : (f32) -> ()
  // NaN and both infinities select the most precise level.
  // CHECK-NEXT: 4
  // CHECK-NEXT: 4
  // CHECK-NEXT: 4
  %nan = arith.constant 0x7FC00000 : f32
  %inf = arith.constant 0x7F800000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  func.call @print_bands(%nan) : (f32) -> ()
  func.call @print_bands(%inf) : (f32) -> ()
  func.call @print_bands(%ninf) : (f32) -> ()

  // A sequence through the hysteresis band, each step from the last level
  // (starting at f32):
  //   0.1  : below 0.4, down to i8            -> 1
  //   0.45 : in [0.4, 0.6), stays i8          -> 1
  //   0.59 : still below 0.6, stays i8        -> 1
  //   0.6  : reaches 0.6, up to f32           -> 4
  //   0.45 : in [0.4, 0.6), stays f32         -> 4
  //   0.4  : not below 0.4, stays f32         -> 4
  //   0.39 : below 0.4, down to i8            -> 1
  //   NaN  : most precise                     -> 4
  // CHECK-NEXT: 1
  // CHECK-NEXT: 1
  // CHECK-NEXT: 1
  // CHECK-NEXT: 4
  // CHECK-NEXT: 4
  // CHECK-NEXT: 4
  // CHECK-NEXT: 1
  // CHECK-NEXT: 4
  %f32 = arith.constant 4 : index
  %s0 = arith.constant 0.1 : f32
  %s1 = arith.constant 0.45 : f32
  %s2 = arith.constant 0.59 : f32
  %s3 = arith.constant 0.6 : f32
  %s5 = arith.constant 0.4 : f32
  %s6 = arith.constant 0.39 : f32
  %l0 = func.call @print_step(%s0, %f32) : (f32, index) -> index
  %l1 = func.call @print_step(%s1, %l0) : (f32, index) -> index
  %l2 = func.call @print_step(%s2, %l1) : (f32, index) -> index
  %l3 = func.call @print_step(%s3, %l2) : (f32, index) -> index
  %l4 = func.call @print_step(%s1, %l3) : (f32, index) -> index
  %l5 = func.call @print_step(%s5, %l4) : (f32, index) -> index
  %l6 = func.call @print_step(%s6, %l5) : (f32, index) -> index
  %l7 = func.call @print_step(%nan, %l6) : (f32, index) -> index

  // A previous level that is no policy level maps to the band of the most
  // precise policy level not above it: bf16 (2) and f16 (3) are in i8's band,
  // i4 (0) and out-of-range ordinals below every level in the first band,
  // ordinals above f32 in the last. At v = 0.45 the band stays.
  // CHECK-NEXT: 1
  // CHECK-NEXT: 1
  // CHECK-NEXT: 1
  // CHECK-NEXT: 1
  // CHECK-NEXT: 4
  %bf16 = arith.constant 2 : index
  %f16 = arith.constant 3 : index
  %i4 = arith.constant 0 : index
  %neg = arith.constant -3 : index
  %big = arith.constant 9 : index
  %p0 = func.call @print_step(%s1, %bf16) : (f32, index) -> index
  %p1 = func.call @print_step(%s1, %f16) : (f32, index) -> index
  %p2 = func.call @print_step(%s1, %i4) : (f32, index) -> index
  %p3 = func.call @print_step(%s1, %neg) : (f32, index) -> index
  %p4 = func.call @print_step(%s1, %big) : (f32, index) -> index
  return
}
