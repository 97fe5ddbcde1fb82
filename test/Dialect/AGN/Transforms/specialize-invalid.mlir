// RUN: agn-opt %s -split-input-file --agn-specialize=level=i4 -verify-diagnostics
// RUN: not agn-opt %s --agn-specialize 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not agn-opt %s --agn-specialize=level=fp8 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not agn-opt %s --agn-specialize="level=f32 units=nope" 2>&1 | FileCheck %s --check-prefix=NO-UNIT

// MISSING: error: agn-specialize: 'level' must be one of i4, i8, bf16, f16, f32; got ''
// UNKNOWN: error: agn-specialize: 'level' must be one of i4, i8, bf16, f16, f32; got 'fp8'
// NO-UNIT: error: agn-specialize: no unit named 'nope'

func.func @level_not_allowed(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{cannot specialize unit 'u' at i4: it allows i8, f32; pick one of those or add the level when forming units}}
  %y = agn.unit "u" levels [i8, f32] policy #agn.policy<levels = [f32], thresholds = []>
      ins(%x, %w : tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<4xf32>):
    agn.yield %a : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}

// -----

func.func @not_multiversioned(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{cannot specialize unit 'u' at i4: it has no i4 version yet; run agn-multiversion first}}
  %y = agn.unit "u" levels [i4, f32] policy #agn.policy<levels = [f32], thresholds = []>
      ins(%x, %w : tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<4xf32>):
    agn.yield %a : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}
