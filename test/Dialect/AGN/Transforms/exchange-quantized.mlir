// RUN: agn-opt %s -split-input-file --agn-exchange-quantized | FileCheck %s

// A unit fixed at i8 computes a 1x1 convolution's accumulators and
// dequantizes them; a ReLU follows outside the units; the next unit,
// fixed at i8 too, quantizes the result. The quantization moves into the
// producer with the ReLU, and becomes one agn.requantize of the
// accumulators; the consumer takes the values and their scales.

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// CHECK-DAG: #[[N:.*]] = affine_map<(d0, d1, d2, d3) -> (d0)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2, d3) -> ()>
// CHECK-LABEL: func.func @exchange
// CHECK: %[[P:.*]]:2 = agn.unit "p" {{.*}} -> tensor<1x4x6x6xi8>, tensor<1xf32> {
// CHECK:   %[[ACC:.*]] = linalg.conv_2d_nchw_fchw
// CHECK:   %[[Q:.*]], %[[SC:.*]] = agn.requantize %[[ACC]] ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1xf32>, tensor<4xf32>, tensor<f32>) axis 0 maps [#[[N]], #[[C]], #[[S]]] : tensor<1x4x6x6xi32> -> tensor<1x4x6x6xi8>, tensor<1xf32> {
// CHECK:   ^bb0(%[[A:.*]]: i32, %[[X:.*]]: f32, %[[W:.*]]: f32, %[[Z:.*]]: f32):
// CHECK:     %[[F:.*]] = arith.sitofp %[[A]] : i32 to f32
// CHECK:     %[[M:.*]] = arith.mulf %[[X]], %[[W]] : f32
// CHECK:     %[[D:.*]] = arith.mulf %[[F]], %[[M]] : f32
// CHECK:     %[[R:.*]] = arith.maximumf %[[D]], %[[Z]] : f32
// CHECK:     agn.yield %[[R]] : f32
// CHECK:   agn.yield %[[Q]], %[[SC]] : tensor<1x4x6x6xi8>, tensor<1xf32>
// CHECK-NOT: linalg.generic
// CHECK: agn.unit "c" {{.*}} ins(%[[P]]#0, %{{.*}} : tensor<1x4x6x6xi8>, tensor<4x4x1x1xf32>) input_scales(%[[P]]#1 : tensor<1xf32>) -> tensor<1x4x6x6xf32> {
// CHECK:   ^bb0(%[[IN:.*]]: tensor<1x4x6x6xi8>, %{{.*}}: tensor<4x4x1x1xf32>, %[[INS:.*]]: tensor<1xf32>):
// CHECK-NOT: agn.quantize
// CHECK:   linalg.conv_2d_nchw_fchw {{.*}} ins(%[[IN]], %{{.*}} : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>)
// CHECK:   linalg.generic {{.*}} ins(%{{.*}}, %[[INS]], %{{.*}} : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>)
func.func @exchange(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %p = agn.unit "p" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %zero = arith.constant dense<0.000000e+00> : tensor<f32>
  %e = tensor.empty() : tensor<1x4x6x6xf32>
  %r = linalg.generic {indexing_maps = [#id, #s, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%p, %zero : tensor<1x4x6x6xf32>, tensor<f32>) outs(%e : tensor<1x4x6x6xf32>) {
  ^bb0(%i: f32, %z: f32, %o: f32):
    %m = arith.maximumf %i, %z : f32
    linalg.yield %m : f32
  } -> tensor<1x4x6x6xf32>
  %c = agn.unit "c" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%r, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e2 = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e2 : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c : tensor<1x4x6x6xf32>
}

// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// A value with another user (a residual connection) stays f32: the
// consumer quantizes it as before.
// CHECK-LABEL: func.func @residual
// CHECK: agn.unit "p" {{.*}} -> tensor<1x4x6x6xf32> {
// CHECK-NOT: agn.requantize
// CHECK: agn.unit "c" {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
// CHECK: agn.quantize
func.func @residual(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) {
  %p = agn.unit "p" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %zero_r = arith.constant dense<0.000000e+00> : tensor<f32>
  %e_r = tensor.empty() : tensor<1x4x6x6xf32>
  %r = linalg.generic {indexing_maps = [#id, #s, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%p, %zero_r : tensor<1x4x6x6xf32>, tensor<f32>) outs(%e_r : tensor<1x4x6x6xf32>) {
  ^bb0(%i: f32, %z: f32, %o: f32):
    %m = arith.maximumf %i, %z : f32
    linalg.yield %m : f32
  } -> tensor<1x4x6x6xf32>
  %c = agn.unit "c" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%r, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %y = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi8>, tensor<1xf32> -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c, %r : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>
}

// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// A quantization to i4, through no op between the units.
// CHECK-LABEL: func.func @to_i4
// CHECK: %[[P:.*]]:2 = agn.unit "p" {{.*}} -> tensor<1x4x6x6xi4>, tensor<1xf32> {
// CHECK:   agn.requantize %{{.*}} ins({{.*}}) axis 0 maps [{{.*}}] : tensor<1x4x6x6xi32> -> tensor<1x4x6x6xi4>, tensor<1xf32>
// CHECK: agn.unit "c" {{.*}} ins(%[[P]]#0, %{{.*}} : tensor<1x4x6x6xi4>, tensor<4x4x1x1xf32>) input_scales(%[[P]]#1 : tensor<1xf32>)
// CHECK-NOT: agn.quantize
func.func @to_i4(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %p = agn.unit "p" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %c = agn.unit "c" levels [i4] policy #agn.policy<levels = [i4], thresholds = []>
      ins(%p, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi4>, tensor<1xf32>
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %y = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi4>, tensor<1xf32> -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c : tensor<1x4x6x6xf32>
}

// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// An op between the units that is not monotone (a square) keeps them apart.
// CHECK-LABEL: func.func @not_monotone
// CHECK: agn.unit "p" {{.*}} -> tensor<1x4x6x6xf32> {
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-NOT: agn.requantize
// CHECK: agn.unit "c"
// CHECK-NOT: input_scales
// CHECK: agn.quantize
func.func @not_monotone(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %p = agn.unit "p" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %e_r = tensor.empty() : tensor<1x4x6x6xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%p : tensor<1x4x6x6xf32>) outs(%e_r : tensor<1x4x6x6xf32>) {
  ^bb0(%i: f32, %o: f32):
    %m = arith.mulf %i, %i : f32
    linalg.yield %m : f32
  } -> tensor<1x4x6x6xf32>
  %c = agn.unit "c" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%r, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %y = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi8>, tensor<1xf32> -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c : tensor<1x4x6x6xf32>
}

// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// A chain of three units: the middle one is consumer and producer.
// CHECK-LABEL: func.func @chain
// CHECK: %[[A:.*]]:2 = agn.unit "u1" {{.*}} -> tensor<1x4x6x6xi8>, tensor<1xf32>
// CHECK: %[[B:.*]]:2 = agn.unit "u2" {{.*}} ins(%[[A]]#0, %{{.*}} : {{.*}}) input_scales(%[[A]]#1 : tensor<1xf32>) -> tensor<1x4x6x6xi8>, tensor<1xf32>
// CHECK: agn.unit "c" {{.*}} ins(%[[B]]#0, %{{.*}} : {{.*}}) input_scales(%[[B]]#1 : tensor<1xf32>) -> tensor<1x4x6x6xf32>
func.func @chain(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %u1 = agn.unit "u1" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %u2 = agn.unit "u2" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%u1, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %c = agn.unit "c" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%u2, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %y = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi8>, tensor<1xf32> -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c : tensor<1x4x6x6xf32>
}


// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// A consumer that chooses its level at run time measures its float input:
// its quantization stays in its i8 case.
// CHECK-LABEL: func.func @dispatching
// CHECK: agn.unit "p" {{.*}} -> tensor<1x4x6x6xf32> {
// CHECK: agn.dispatch
// CHECK: agn.quantize
func.func @dispatching(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %p = agn.unit "p" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %c = agn.unit "c" levels [i8, f32] policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
      ins(%p, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %level = arith.constant 1 : index
    %y = agn.dispatch %level -> tensor<1x4x6x6xf32>
    case i8 {
      %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
      %d = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi8>, tensor<1xf32> -> tensor<1x4x6x6xf32>
      agn.yield %d : tensor<1x4x6x6xf32>
    }
    case f32 {
      agn.yield %a : tensor<1x4x6x6xf32>
    }
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c : tensor<1x4x6x6xf32>
}

// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// A producer at f32 computes no integer accumulators: nothing to exchange.
// CHECK-LABEL: func.func @float_producer
// CHECK: agn.unit "p" {{.*}} -> tensor<4x4xf32> {
// CHECK-NOT: agn.requantize
// CHECK: agn.quantize
func.func @float_producer(%x: tensor<4x4xf32>, %w: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %p = agn.unit "p" levels [f32] policy #agn.policy<levels = [f32], thresholds = []>
      ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>):
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<4x4xf32>
    %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
    %m = linalg.matmul ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
    agn.yield %m : tensor<4x4xf32>
  }
  %c = agn.unit "c" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%p, %w : tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<4x4xf32> -> tensor<4x4xi8>, tensor<4xf32>
    %d = agn.dequantize %q, %s axis 0 : tensor<4x4xi8>, tensor<4xf32> -> tensor<4x4xf32>
    agn.yield %d : tensor<4x4xf32>
  }
  return %c : tensor<4x4xf32>
}

// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// A depthwise producer computes [1, 4, 1, 6, 6] accumulators (groups of
// one channel) and the image is collapsed to [1, 4, 6, 6] outside the units:
// the requantization runs on the accumulators' shape, its maps over their
// indices (the channel is index 1), and the i8 values are collapsed.
// CHECK-DAG: #[[G:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1)>
// CHECK-DAG: #[[GN:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0)>
// CHECK-LABEL: func.func @grouped
// CHECK: %[[P:.*]]:2 = agn.unit "p" {{.*}} -> tensor<1x4x6x6xi8>, tensor<1xf32> {
// CHECK:   %[[Q:.*]], %[[S:.*]] = agn.requantize %{{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1xf32>, tensor<4xf32>, tensor<4xf32>) axis 0 maps [#[[GN]], #[[G]], #[[G]]] : tensor<1x4x1x6x6xi32> -> tensor<1x4x1x6x6xi8>, tensor<1xf32>
// CHECK:   %[[FLAT:.*]] = tensor.collapse_shape %[[Q]] {{\[\[}}0], [1], [2, 3], [4]] : tensor<1x4x1x6x6xi8> into tensor<1x4x6x6xi8>
// CHECK:   agn.yield %[[FLAT]], %[[S]]
// CHECK: agn.unit "c" {{.*}} input_scales(%[[P]]#1 : tensor<1xf32>)
#g = affine_map<(n, g, c, h, w) -> (n, g, c, h, w)>
#gn = affine_map<(n, g, c, h, w) -> (n)>
#gc = affine_map<(n, g, c, h, w) -> (g)>
func.func @grouped(%x: tensor<1x4x1x8x8xf32>, %dw: tensor<4x1x1x3x3xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %p = agn.unit "p" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %dw : tensor<1x4x1x8x8xf32>, tensor<4x1x1x3x3xf32>) -> tensor<1x4x1x6x6xf32> {
  ^bb0(%a: tensor<1x4x1x8x8xf32>, %b: tensor<4x1x1x3x3xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x1x8x8xf32> -> tensor<1x4x1x8x8xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x1x1x3x3xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %bias = arith.constant dense<1.000000e+00> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x1x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x1x6x6xi32>) -> tensor<1x4x1x6x6xi32>
    %acc = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x1x8x8xi8>, tensor<4x1x1x3x3xi8>) outs(%z : tensor<1x4x1x6x6xi32>) -> tensor<1x4x1x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x1x6x6xf32>
    %y = linalg.generic {indexing_maps = [#g, #gn, #gc, #gc, #g], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws, %bias : tensor<1x4x1x6x6xi32>, tensor<1xf32>, tensor<4xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x1x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %bb: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      %t = arith.addf %d, %bb : f32
      linalg.yield %t : f32
    } -> tensor<1x4x1x6x6xf32>
    agn.yield %y : tensor<1x4x1x6x6xf32>
  }
  %flat = tensor.collapse_shape %p [[0], [1, 2], [3], [4]] : tensor<1x4x1x6x6xf32> into tensor<1x4x6x6xf32>
  %c = agn.unit "c" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%flat, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %y = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi8>, tensor<1xf32> -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c : tensor<1x4x6x6xf32>
}


// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// A value with another user (a residual connection) stays f32: the
// consumer quantizes it as before.
// CHECK-LABEL: func.func @residual
// CHECK: agn.unit "p" {{.*}} -> tensor<1x4x6x6xf32> {
// CHECK-NOT: agn.requantize
// CHECK: agn.unit "c" {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
// CHECK: agn.quantize
func.func @residual(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) {
  %p = agn.unit "p" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %zero_r = arith.constant dense<0.000000e+00> : tensor<f32>
  %e_r = tensor.empty() : tensor<1x4x6x6xf32>
  %r = linalg.generic {indexing_maps = [#id, #s, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%p, %zero_r : tensor<1x4x6x6xf32>, tensor<f32>) outs(%e_r : tensor<1x4x6x6xf32>) {
  ^bb0(%i: f32, %z: f32, %o: f32):
    %m = arith.maximumf %i, %z : f32
    linalg.yield %m : f32
  } -> tensor<1x4x6x6xf32>
  %c = agn.unit "c" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%r, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %y = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi8>, tensor<1xf32> -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c, %r : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>
}

// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// A quantization to i4, through no op between the units.
// CHECK-LABEL: func.func @to_i4
// CHECK: %[[P:.*]]:2 = agn.unit "p" {{.*}} -> tensor<1x4x6x6xi4>, tensor<1xf32> {
// CHECK:   agn.requantize %{{.*}} ins({{.*}}) axis 0 maps [{{.*}}] : tensor<1x4x6x6xi32> -> tensor<1x4x6x6xi4>, tensor<1xf32>
// CHECK: agn.unit "c" {{.*}} ins(%[[P]]#0, %{{.*}} : tensor<1x4x6x6xi4>, tensor<4x4x1x1xf32>) input_scales(%[[P]]#1 : tensor<1xf32>)
// CHECK-NOT: agn.quantize
func.func @to_i4(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %p = agn.unit "p" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %c = agn.unit "c" levels [i4] policy #agn.policy<levels = [i4], thresholds = []>
      ins(%p, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi4>, tensor<1xf32>
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %y = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi4>, tensor<1xf32> -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c : tensor<1x4x6x6xf32>
}

// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// An op between the units that is not monotone (a square) keeps them apart.
// CHECK-LABEL: func.func @not_monotone
// CHECK: agn.unit "p" {{.*}} -> tensor<1x4x6x6xf32> {
// CHECK-NOT: agn.requantize
// CHECK: agn.quantize
func.func @not_monotone(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %p = agn.unit "p" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %e_r = tensor.empty() : tensor<1x4x6x6xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%p : tensor<1x4x6x6xf32>) outs(%e_r : tensor<1x4x6x6xf32>) {
  ^bb0(%i: f32, %o: f32):
    %m = arith.mulf %i, %i : f32
    linalg.yield %m : f32
  } -> tensor<1x4x6x6xf32>
  %c = agn.unit "c" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%r, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %y = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi8>, tensor<1xf32> -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c : tensor<1x4x6x6xf32>
}

// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// A chain of three units: the middle one is consumer and producer.
// CHECK-LABEL: func.func @chain
// CHECK: %[[A:.*]]:2 = agn.unit "u1" {{.*}} -> tensor<1x4x6x6xi8>, tensor<1xf32>
// CHECK: %[[B:.*]]:2 = agn.unit "u2" {{.*}} ins(%[[A]]#0, %{{.*}} : {{.*}}) input_scales(%[[A]]#1 : tensor<1xf32>) -> tensor<1x4x6x6xi8>, tensor<1xf32>
// CHECK: agn.unit "c" {{.*}} ins(%[[B]]#0, %{{.*}} : {{.*}}) input_scales(%[[B]]#1 : tensor<1xf32>) -> tensor<1x4x6x6xf32>
func.func @chain(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %u1 = agn.unit "u1" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %u2 = agn.unit "u2" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%u1, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %c = agn.unit "c" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%u2, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %y = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi8>, tensor<1xf32> -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c : tensor<1x4x6x6xf32>
}

// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// A value with another user (a residual connection) stays f32: the
// consumer quantizes it as before.
// CHECK-LABEL: func.func @residual
// CHECK: agn.unit "p" {{.*}} -> tensor<1x4x6x6xf32> {
// CHECK-NOT: agn.requantize
// CHECK: agn.unit "c" {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
// CHECK: agn.quantize
func.func @residual(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) {
  %p = agn.unit "p" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %zero_r = arith.constant dense<0.000000e+00> : tensor<f32>
  %e_r = tensor.empty() : tensor<1x4x6x6xf32>
  %r = linalg.generic {indexing_maps = [#id, #s, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%p, %zero_r : tensor<1x4x6x6xf32>, tensor<f32>) outs(%e_r : tensor<1x4x6x6xf32>) {
  ^bb0(%i: f32, %z: f32, %o: f32):
    %m = arith.maximumf %i, %z : f32
    linalg.yield %m : f32
  } -> tensor<1x4x6x6xf32>
  %c = agn.unit "c" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%r, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %y = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi8>, tensor<1xf32> -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c, %r : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>
}

// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// A quantization to i4, through no op between the units.
// CHECK-LABEL: func.func @to_i4
// CHECK: %[[P:.*]]:2 = agn.unit "p" {{.*}} -> tensor<1x4x6x6xi4>, tensor<1xf32> {
// CHECK:   agn.requantize %{{.*}} ins({{.*}}) axis 0 maps [{{.*}}] : tensor<1x4x6x6xi32> -> tensor<1x4x6x6xi4>, tensor<1xf32>
// CHECK: agn.unit "c" {{.*}} ins(%[[P]]#0, %{{.*}} : tensor<1x4x6x6xi4>, tensor<4x4x1x1xf32>) input_scales(%[[P]]#1 : tensor<1xf32>)
// CHECK-NOT: agn.quantize
func.func @to_i4(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %p = agn.unit "p" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %c = agn.unit "c" levels [i4] policy #agn.policy<levels = [i4], thresholds = []>
      ins(%p, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi4>, tensor<1xf32>
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %y = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi4>, tensor<1xf32> -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c : tensor<1x4x6x6xf32>
}

// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// An op between the units that is not monotone (a square) keeps them apart.
// CHECK-LABEL: func.func @not_monotone
// CHECK: agn.unit "p" {{.*}} -> tensor<1x4x6x6xf32> {
// CHECK-NOT: agn.requantize
// CHECK: agn.quantize
func.func @not_monotone(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %p = agn.unit "p" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %e_r = tensor.empty() : tensor<1x4x6x6xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%p : tensor<1x4x6x6xf32>) outs(%e_r : tensor<1x4x6x6xf32>) {
  ^bb0(%i: f32, %o: f32):
    %m = arith.mulf %i, %i : f32
    linalg.yield %m : f32
  } -> tensor<1x4x6x6xf32>
  %c = agn.unit "c" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%r, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %y = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi8>, tensor<1xf32> -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c : tensor<1x4x6x6xf32>
}

// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// A chain of three units: the middle one is consumer and producer.
// CHECK-LABEL: func.func @chain
// CHECK: %[[A:.*]]:2 = agn.unit "u1" {{.*}} -> tensor<1x4x6x6xi8>, tensor<1xf32>
// CHECK: %[[B:.*]]:2 = agn.unit "u2" {{.*}} ins(%[[A]]#0, %{{.*}} : {{.*}}) input_scales(%[[A]]#1 : tensor<1xf32>) -> tensor<1x4x6x6xi8>, tensor<1xf32>
// CHECK: agn.unit "c" {{.*}} ins(%[[B]]#0, %{{.*}} : {{.*}}) input_scales(%[[B]]#1 : tensor<1xf32>) -> tensor<1x4x6x6xf32>
func.func @chain(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %u1 = agn.unit "u1" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %u2 = agn.unit "u2" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%u1, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %c = agn.unit "c" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%u2, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %y = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi8>, tensor<1xf32> -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c : tensor<1x4x6x6xf32>
}

// -----

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#n = affine_map<(n, c, h, w) -> (n)>
#c = affine_map<(n, c, h, w) -> (c)>
#s = affine_map<(n, c, h, w) -> ()>

// A ReLU whose zero is a scalar of the function, used in its body: the
// constant is cloned into the producer, which is isolated from above.
// CHECK-LABEL: func.func @captured_scalar
// CHECK: agn.unit "p" {{.*}} -> tensor<1x4x6x6xi8>, tensor<1xf32> {
// CHECK:   %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:   agn.requantize
// CHECK:     arith.maximumf %{{.*}}, %[[ZERO]] : f32
// CHECK: agn.unit "c" {{.*}} input_scales(
func.func @captured_scalar(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %p = agn.unit "p" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %wq = arith.constant dense<1> : tensor<4x4x1x1xi8>
    %ws = arith.constant dense<5.000000e-01> : tensor<4xf32>
    %c0 = arith.constant 0 : i32
    %e = tensor.empty() : tensor<1x4x6x6xi32>
    %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %acc = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%q, %wq : tensor<1x4x6x6xi8>, tensor<4x4x1x1xi8>) outs(%z : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
    %ef = tensor.empty() : tensor<1x4x6x6xf32>
    %y = linalg.generic {indexing_maps = [#id, #n, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %s, %ws : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>) outs(%ef : tensor<1x4x6x6xf32>) {
    ^bb0(%i: i32, %sx: f32, %sw: f32, %o: f32):
      %f = arith.sitofp %i : i32 to f32
      %m = arith.mulf %sx, %sw : f32
      %d = arith.mulf %f, %m : f32
      linalg.yield %d : f32
    } -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  %er = tensor.empty() : tensor<1x4x6x6xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%p : tensor<1x4x6x6xf32>) outs(%er : tensor<1x4x6x6xf32>) {
  ^bb0(%i: f32, %o: f32):
    %m = arith.maximumf %i, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x4x6x6xf32>
  %c = agn.unit "c" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%r, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x4x6x6xf32>, %b: tensor<4x4x1x1xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xi8>, tensor<1xf32>
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %y = agn.dequantize %q, %s axis 0 : tensor<1x4x6x6xi8>, tensor<1xf32> -> tensor<1x4x6x6xf32>
    agn.yield %y : tensor<1x4x6x6xf32>
  }
  return %c : tensor<1x4x6x6xf32>
}
