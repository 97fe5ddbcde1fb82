// RUN: agn-opt %s -split-input-file --agn-insert-controllers -verify-diagnostics
// RUN: not agn-opt %s --agn-insert-controllers=stride=0 2>&1 | FileCheck %s --check-prefix=STRIDE

// STRIDE: error: agn-insert-controllers: 'stride' must be at least 1, got 0

func.func @integer_input(%x: tensor<4x8xi8>, %w: tensor<8x8xi8>) -> tensor<4x8xi8> {
  // expected-error @+1 {{unit 'q' has a non-float input ('tensor<4x8xi8>'); its controller can only measure float activations}}
  %y = agn.unit "q" levels [i8, f32] policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
      ins(%x, %w : tensor<4x8xi8>, tensor<8x8xi8>) -> tensor<4x8xi8> {
  ^bb0(%a: tensor<4x8xi8>, %b: tensor<8x8xi8>):
    agn.yield %a : tensor<4x8xi8>
  }
  return %y : tensor<4x8xi8>
}
