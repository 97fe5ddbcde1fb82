// RUN: agn-opt %s -split-input-file --agn-form-units="split=2 split-along=rows" -verify-diagnostics
// RUN: not agn-opt %s --agn-form-units="levels=i8,i16" 2>&1 | FileCheck %s --check-prefix=LEVEL
// RUN: not agn-opt %s --agn-form-units="levels=f32,i8" 2>&1 | FileCheck %s --check-prefix=ORDER
// RUN: not agn-opt %s --agn-form-units="levels=i8,f32 thresholds=0.1,0.2" 2>&1 | FileCheck %s --check-prefix=THRESHOLDS
// RUN: not agn-opt %s --agn-form-units="ops=matmul,conv" 2>&1 | FileCheck %s --check-prefix=OPS
// RUN: not agn-opt %s --agn-form-units="statistic=median" 2>&1 | FileCheck %s --check-prefix=STAT
// RUN: not agn-opt %s --agn-form-units="split=0" 2>&1 | FileCheck %s --check-prefix=SPLIT
// RUN: not agn-opt %s --agn-form-units="split-along=columns" 2>&1 | FileCheck %s --check-prefix=ALONG
// RUN: not agn-opt %s --agn-form-units="levels=i8,f32 thresholds=0.5 hysteresis=1.5" 2>&1 | FileCheck %s --check-prefix=HYST

// Bad options name the option, the value and what is accepted.
// LEVEL: error: agn-form-units: unknown level 'i16' in 'levels'; expected i4, i8, bf16, f16 or f32
// ORDER: error: agn-form-units: invalid 'levels' option: 'levels' must be strictly increasing (i4 < i8 < bf16 < f16 < f32), but i8 follows f32
// THRESHOLDS: error: agn-form-units: invalid policy: policy 'thresholds' must have one fewer entry than 'levels' (expected 1, got 2)
// OPS: error: agn-form-units: unknown op kind 'conv' in 'ops'; expected one of matmul, batch_matmul, matvec, conv_2d_nchw_fchw, conv_2d_nhwc_hwcf, conv_2d_nhwc_fhwc, conv_2d_ngchw_gfchw, conv_1d_ncw_fcw, conv_3d_ncdhw_fcdhw, generic
// STAT: error: agn-form-units: unknown statistic 'median'; expected variance or abs_max
// SPLIT: error: agn-form-units: 'split' must be at least 1
// ALONG: error: agn-form-units: unknown 'split-along' value 'columns'; expected channels or rows
// HYST: error: agn-form-units: invalid policy: policy 'hysteresis' must be in [0, 1), got 1.500000e+00

// A matvec has no row dimension to split along.
func.func @matvec_rows(%m: tensor<16x8xf32>, %v: tensor<8xf32>, %acc: tensor<16xf32>) -> tensor<16xf32> {
  // expected-error @+1 {{cannot split unit 'matvec_rows.u0' along rows: its matvec has no single rows dimension; use split=1 or the other split-along}}
  %r = linalg.matvec ins(%m, %v : tensor<16x8xf32>, tensor<8xf32>) outs(%acc : tensor<16xf32>) -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// -----

func.func @dynamic_rows(%x: tensor<?x8xf32>, %w: tensor<8x16xf32>, %acc: tensor<?x16xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{cannot split unit 'dynamic_rows.u0' along rows: that dimension is dynamic}}
  %r = linalg.matmul ins(%x, %w : tensor<?x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<?x16xf32>) -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}

// -----

func.func @too_few_rows(%x: tensor<1x8xf32>, %w: tensor<8x16xf32>, %acc: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{cannot split unit 'too_few_rows.u0' into 2 parts: it has only 1 rows}}
  %r = linalg.matmul ins(%x, %w : tensor<1x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<1x16xf32>) -> tensor<1x16xf32>
  return %r : tensor<1x16xf32>
}
