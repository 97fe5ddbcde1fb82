// RUN: agn-opt %s -split-input-file --agn-lower -verify-diagnostics

// What agn-lower cannot lower is diagnosed before anything changes.

func.func @wide_input(%x: tensor<4xf128>) -> f32 {
  // expected-error @+1 {{agn-lower cannot lower this op: its input has element type 'f128', wider than the f64 it computes in; convert the input to f64 or f32 first}}
  %v = agn.variance %x : tensor<4xf128>
  return %v : f32
}

// -----

func.func @wide_result(%q: tensor<4xi8>, %s: tensor<f32>) -> tensor<4xf80> {
  // expected-error @+1 {{its result has element type 'f80'}}
  %x = agn.dequantize %q, %s : tensor<4xi8>, tensor<f32> -> tensor<4xf80>
  return %x : tensor<4xf80>
}

// -----

// expected-error @+1 {{symbol 'agn_rt_arbitrate' is reserved for agn's runtime function of type '(i64, i64, f32) -> i64' (include/agn-c/Runtime.h), which agn-lower calls; rename this symbol or declare it with that type}}
func.func private @agn_rt_arbitrate(i64, i64) -> i64

func.func @runtime_symbol_taken(%x: tensor<2xf32>, %w: tensor<2xf32>) -> tensor<2xf32> {
  %y = agn.unit "u" levels [i4, i8] policy #agn.policy<levels = [i4, i8], thresholds = [0.5]>
      ins(%x, %w : tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32> {
  ^bb0(%a: tensor<2xf32>, %b: tensor<2xf32>):
    %v = agn.abs_max %a : tensor<2xf32>
    %l = agn.select %v policy #agn.policy<levels = [i4, i8], thresholds = [0.5]>
    %g = agn.arbitrate %l, %v
    agn.yield %b : tensor<2xf32>
  }
  return %y : tensor<2xf32>
}

// -----

func.func @nul_in_unit_name(%x: tensor<2xf32>, %w: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{agn-lower cannot register this unit with the runtime: its name contains a NUL character; rename the unit}}
  %y = agn.unit "a\00b" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32> {
  ^bb0(%a: tensor<2xf32>, %b: tensor<2xf32>):
    agn.yield %b : tensor<2xf32>
  }
  return %y : tensor<2xf32>
}
