// RUN: agn-opt %s -split-input-file --agn-quantize-weights -verify-diagnostics
// RUN: not agn-opt %s --agn-quantize-weights=i4-block-size=0 2>&1 | FileCheck %s --check-prefix=BLOCK

// BLOCK: error: agn-quantize-weights: 'i4-block-size' must be at least 1, got 0

// NaN or infinite weights have no quantized form and poison every output:
// the model needs fixing, not the compiler.
func.func @nan_weights(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  // expected-note @+1 {{weights defined here}}
  %w = arith.constant dense<[[1.0, 0x7FC00000], [0.5, 2.0]]> : tensor<2x2xf32>
  // expected-error @+1 {{unit 'fc' has weights with NaN or infinite values, which no precision level can represent and which make its outputs NaN; fix the model's weights (retrain or re-export it)}}
  %y = agn.unit "fc" levels [i8, f32] policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
      ins(%x, %w : tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> {
  ^bb0(%a: tensor<2x2xf32>, %b: tensor<2x2xf32>):
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<2x2xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
    %mm = linalg.matmul ins(%a, %b : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
    agn.yield %mm : tensor<2x2xf32>
  }
  return %y : tensor<2x2xf32>
}

// -----

func.func @infinite_weights(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  // expected-note @+1 {{weights defined here}}
  %w = arith.constant dense<[[1.0, 0xFF800000], [0.5, 2.0]]> : tensor<2x2xf32>
  // expected-error @+1 {{unit 'fc' has weights with NaN or infinite values}}
  %y = agn.unit "fc" levels [i8, f32] policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
      ins(%x, %w : tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> {
  ^bb0(%a: tensor<2x2xf32>, %b: tensor<2x2xf32>):
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<2x2xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
    %mm = linalg.matmul ins(%a, %b : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
    agn.yield %mm : tensor<2x2xf32>
  }
  return %y : tensor<2x2xf32>
}

// -----

// Costs come from the unit's contraction.
func.func @no_contraction(%x: tensor<2x2xf32>, %w: tensor<2x2xf32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{unit 'ew' has no contraction to take its costs from (one of matmul, batch_matmul, matvec, conv_2d_nchw_fchw, conv_2d_nhwc_hwcf, conv_2d_nhwc_fhwc, conv_2d_ngchw_gfchw, conv_1d_ncw_fcw, conv_3d_ncdhw_fcdhw, generic on tensors); form units with agn-form-units}}
  %y = agn.unit "ew" levels [i8, f32] policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
      ins(%x, %w : tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> {
  ^bb0(%a: tensor<2x2xf32>, %b: tensor<2x2xf32>):
    %e = tensor.empty() : tensor<2x2xf32>
    %s = linalg.add ins(%a, %b : tensor<2x2xf32>, tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
    agn.yield %s : tensor<2x2xf32>
  }
  return %y : tensor<2x2xf32>
}
