// RUN: agn-opt %s -split-input-file --agn-multiversion -verify-diagnostics
// RUN: not agn-opt %s --agn-multiversion=i4-block-size=0 2>&1 | FileCheck %s --check-prefix=BLOCK

// BLOCK: error: agn-multiversion: 'i4-block-size' must be at least 1, got 0

// The versions dispatch on the level the controller grants.
func.func @no_controller(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %acc: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{unit 'fc' has no controller (agn.arbitrate) whose level to dispatch on; run agn-insert-controllers first}}
  %y = agn.unit "fc" levels [i8, f32] policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>):
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<4x16xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
    %mm = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
    agn.yield %mm : tensor<4x16xf32>
  }
  return %y : tensor<4x16xf32>
}

// -----

func.func @no_contraction(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{unit 'fc' has no contraction after its controller (one of matmul, batch_matmul, matvec, conv_2d_nchw_fchw, conv_2d_nhwc_hwcf, conv_2d_nhwc_fhwc, conv_2d_ngchw_gfchw, conv_1d_ncw_fcw, conv_3d_ncdhw_fcdhw, generic on tensors); agn-multiversion versions a unit's contraction, so form units with agn-form-units}}
  %y = agn.unit "fc" levels [i8, f32] policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
      ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>):
    %v = agn.variance %a : tensor<4x8xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
    %g = agn.arbitrate %r, %v
    agn.yield %a : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

func.func @two_contractions(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %acc: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{unit 'fc' has 2 contractions; agn-multiversion versions one per unit (agn-form-units makes one unit per contraction)}}
  %y = agn.unit "fc" levels [i8, f32] policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
      ins(%x, %w, %acc : tensor<4x8xf32>, tensor<8x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x8xf32>, %c: tensor<4x8xf32>):
    %v = agn.variance %a : tensor<4x8xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
    %g = agn.arbitrate %r, %v
    // expected-note @+1 {{contraction here}}
    %m0 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x8xf32>) outs(%c : tensor<4x8xf32>) -> tensor<4x8xf32>
    // expected-note @+1 {{contraction here}}
    %m1 = linalg.matmul ins(%m0, %b : tensor<4x8xf32>, tensor<8x8xf32>) outs(%c : tensor<4x8xf32>) -> tensor<4x8xf32>
    agn.yield %m1 : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// The versions are derived from a float reference accumulating in f32.
func.func @f16_reference(%x: tensor<4x8xf16>, %w: tensor<8x16xf16>, %acc: tensor<4x16xf16>) -> tensor<4x16xf16> {
  // expected-error @+1 {{unit 'fc' has a contraction on ('f16', 'f16') -> 'f16'; agn-multiversion derives the versions from a float reference that accumulates in f32 (convert the model to f32 first)}}
  %y = agn.unit "fc" levels [i8, f32] policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
      ins(%x, %w, %acc : tensor<4x8xf16>, tensor<8x16xf16>, tensor<4x16xf16>) -> tensor<4x16xf16> {
  ^bb0(%a: tensor<4x8xf16>, %b: tensor<8x16xf16>, %c: tensor<4x16xf16>):
    %v = agn.variance %a : tensor<4x8xf16>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
    %g = agn.arbitrate %r, %v
    %mm = linalg.matmul ins(%a, %b : tensor<4x8xf16>, tensor<8x16xf16>) outs(%c : tensor<4x16xf16>) -> tensor<4x16xf16>
    agn.yield %mm : tensor<4x16xf16>
  }
  return %y : tensor<4x16xf16>
}
