// RUN: agn-opt %s --agn-specialize=level=i8 | FileCheck %s

// A unit that allows only the level to fix needs no dispatch: a single-case
// dispatch was already folded away.
// CHECK-LABEL: func.func @single_level
// CHECK: agn.unit "s" levels [i8]
// CHECK-NOT: agn.arbitrate
func.func @single_level(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> {
  %y = agn.unit "s" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<4xf32>):
    %v = agn.variance %a : tensor<4xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8], thresholds = []>
    %g = agn.arbitrate %r, %v
    %m = arith.mulf %a, %b : tensor<4xf32>
    agn.yield %m : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}
