// RUN: agn-opt %s --agn-lower-to-llvm-pipeline -o %t.mlir
// RUN: env AGN_RT_MONITOR=off %mlir_runner %t.mlir -e main -entry-point-result=void -shared-libs=%shlibs \
// RUN: | FileCheck %s
// RUN: env AGN_RT_MONITOR=off AGN_RT_MAX_LEVEL=i8 %mlir_runner %t.mlir -e main -entry-point-result=void -shared-libs=%shlibs \
// RUN: | FileCheck %s --check-prefix=CAPPED

// A unit's controller end to end: the statistic of the input, the policy,
// the runtime's arbitration and the dispatch, lowered and run. Each case of
// the dispatch returns its own level's ordinal (i8 = 1, f32 = 4), so the
// output is the level the unit ran at. With AGN_RT_MAX_LEVEL=i8 the runtime
// caps every unit at i8: the controller still asks for f32 on a high
// variance, and the unit runs at i8.

// Levels i8 and f32 with the threshold 0.5 on the variance.
func.func @plain(%x: tensor<4xf32>, %w: tensor<1xf32>) -> tensor<1xf32> {
  %y = agn.unit "ctl.plain" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
      ins(%x, %w : tensor<4xf32>, tensor<1xf32>) -> tensor<1xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<1xf32>):
    %v = agn.variance %a : tensor<4xf32>
    %l = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
    %g = agn.arbitrate %l, %v
    %r = agn.dispatch %g -> tensor<1xf32>
    case i8 {
      %c = arith.constant dense<1.0> : tensor<1xf32>
      agn.yield %c : tensor<1xf32>
    }
    case f32 {
      %c = arith.constant dense<4.0> : tensor<1xf32>
      agn.yield %c : tensor<1xf32>
    }
    agn.yield %r : tensor<1xf32>
  }
  return %y : tensor<1xf32>
}

// The same with a hysteresis of 0.2, in the form agn-insert-controllers
// gives it: the last selected level lives in a private global, initially
// f32. Up needs a variance of 0.5 * 1.2 = 0.6, down one below 0.5 * 0.8 = 0.4.
memref.global "private" @__agn_level_ctl_sticky : memref<index> = dense<4>

func.func @sticky(%x: tensor<4xf32>, %w: tensor<1xf32>) -> tensor<1xf32> {
  %y = agn.unit "ctl.sticky" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [0.5], hysteresis = 0.2>
      ins(%x, %w : tensor<4xf32>, tensor<1xf32>) -> tensor<1xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<1xf32>):
    %v = agn.variance %a : tensor<4xf32>
    %global = memref.get_global @__agn_level_ctl_sticky : memref<index>
    %previous = memref.load %global[] : memref<index>
    %l = agn.select %v previous %previous policy #agn.policy<levels = [i8, f32], thresholds = [0.5], hysteresis = 0.2>
    memref.store %l, %global[] : memref<index>
    %g = agn.arbitrate %l, %v
    %r = agn.dispatch %g -> tensor<1xf32>
    case i8 {
      %c = arith.constant dense<1.0> : tensor<1xf32>
      agn.yield %c : tensor<1xf32>
    }
    case f32 {
      %c = arith.constant dense<4.0> : tensor<1xf32>
      agn.yield %c : tensor<1xf32>
    }
    agn.yield %r : tensor<1xf32>
  }
  return %y : tensor<1xf32>
}

// [-a, -a, a, a] has variance a^2.
func.func @spread(%a: f32) -> tensor<4xf32> {
  %n = arith.negf %a : f32
  %t = tensor.from_elements %n, %n, %a, %a : tensor<4xf32>
  return %t : tensor<4xf32>
}

func.func @run(%a: f32) {
  %x = func.call @spread(%a) : (f32) -> tensor<4xf32>
  %w = arith.constant dense<0.0> : tensor<1xf32>
  %p = func.call @plain(%x, %w) : (tensor<4xf32>, tensor<1xf32>) -> tensor<1xf32>
  %s = func.call @sticky(%x, %w) : (tensor<4xf32>, tensor<1xf32>) -> tensor<1xf32>
  %c0 = arith.constant 0 : index
  %pl = tensor.extract %p[%c0] : tensor<1xf32>
  %sl = tensor.extract %s[%c0] : tensor<1xf32>
  %pi = arith.fptosi %pl : f32 to i32
  %si = arith.fptosi %sl : f32 to i32
  vector.print str "plain "
  vector.print %pi : i32
  vector.print str "sticky "
  vector.print %si : i32
  return
}

// Variances 0.0625, 0.5184, 0.64, 0.49, 0.36, then NaN:
//   plain:  i8, f32 (>= 0.5), f32, i8 (< 0.5), i8, f32 (NaN)
//   sticky: i8 (< 0.4), i8 (< 0.6), f32 (>= 0.6), f32 (>= 0.4), i8 (< 0.4),
//           f32 (NaN)
// CHECK:      plain 1
// CHECK-NEXT: sticky 1
// CHECK-NEXT: plain 4
// CHECK-NEXT: sticky 1
// CHECK-NEXT: plain 4
// CHECK-NEXT: sticky 4
// CHECK-NEXT: plain 1
// CHECK-NEXT: sticky 4
// CHECK-NEXT: plain 1
// CHECK-NEXT: sticky 1
// CHECK-NEXT: plain 4
// CHECK-NEXT: sticky 4

// Capped at i8, every call runs at i8.
// CAPPED-COUNT-12: {{plain|sticky}} 1
// CAPPED-NOT: 4
func.func @main() {
  %a0 = arith.constant 0.25 : f32
  %a1 = arith.constant 0.72 : f32
  %a2 = arith.constant 0.8 : f32
  %a3 = arith.constant 0.7 : f32
  %a4 = arith.constant 0.6 : f32
  %nan = arith.constant 0x7FC00000 : f32
  func.call @run(%a0) : (f32) -> ()
  func.call @run(%a1) : (f32) -> ()
  func.call @run(%a2) : (f32) -> ()
  func.call @run(%a3) : (f32) -> ()
  func.call @run(%a4) : (f32) -> ()
  func.call @run(%nan) : (f32) -> ()
  return
}
