// RUN: agn-opt %s -split-input-file --agn-multiversion | FileCheck %s

// A depthwise convolution (NGCHW/GFCHW, one filter per group): its weight
// scales follow the groups (4 of them), not the single filter per group, so
// that every channel's weights get their own step; the rescale reads them
// along the result's group dimension (1).

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[IMAGE:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0)>
// CHECK-DAG: #[[GROUP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1)>
// CHECK-LABEL: func.func @depthwise
// CHECK:       case i8 {
// CHECK-NEXT:    %[[QX:.*]], %[[SX:.*]] = agn.quantize %{{.*}} axis 0 : tensor<1x4x1x8x8xf32> -> tensor<1x4x1x8x8xi8>, tensor<1xf32>
// CHECK-NEXT:    %[[QF:.*]], %[[SF:.*]] = agn.quantize %{{.*}} axis 0 : tensor<4x1x1x3x3xf32> -> tensor<4x1x1x3x3xi8>, tensor<4xf32>
// CHECK:         %[[ACC:.*]] = linalg.conv_2d_ngchw_gfchw {{.*}} ins(%[[QX]], %[[QF]] : tensor<1x4x1x8x8xi8>, tensor<4x1x1x3x3xi8>) outs(%{{.*}} : tensor<1x4x1x6x6xi32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[IMAGE]], #[[GROUP]], #[[ID]]]
// CHECK-SAME:        ins(%[[ACC]], %[[SX]], %[[SF]] : tensor<1x4x1x6x6xi32>, tensor<1xf32>, tensor<4xf32>)
// CHECK:       case f32 {
// CHECK:         linalg.conv_2d_ngchw_gfchw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x1x8x8xf32>, tensor<4x1x1x3x3xf32>)
func.func @depthwise(%x: tensor<1x4x1x8x8xf32>, %w: tensor<4x1x1x3x3xf32>) -> tensor<1x4x1x6x6xf32> {
  %y = agn.unit "dw" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [0.1]>
      ins(%x, %w : tensor<1x4x1x8x8xf32>, tensor<4x1x1x3x3xf32>) -> tensor<1x4x1x6x6xf32> {
  ^bb0(%a: tensor<1x4x1x8x8xf32>, %b: tensor<4x1x1x3x3xf32>):
    %v = agn.variance %a : tensor<1x4x1x8x8xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [0.1]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x4x1x6x6xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x1x6x6xf32>) -> tensor<1x4x1x6x6xf32>
    %conv = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%a, %b : tensor<1x4x1x8x8xf32>, tensor<4x1x1x3x3xf32>) outs(%acc : tensor<1x4x1x6x6xf32>) -> tensor<1x4x1x6x6xf32>
    agn.yield %conv : tensor<1x4x1x6x6xf32>
  }
  return %y : tensor<1x4x1x6x6xf32>
}

// -----

// A grouped convolution with more filters per group (4) than groups (2):
// the scales follow the filters (weights' dimension 1, result's 2).

// CHECK-DAG: #[[FILTER:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d2)>
// CHECK-LABEL: func.func @grouped
// CHECK:       case i8 {
// CHECK:         agn.quantize %{{.*}} axis 1 : tensor<2x4x3x3x3xf32> -> tensor<2x4x3x3x3xi8>, tensor<4xf32>
// CHECK:         linalg.conv_2d_ngchw_gfchw
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[FILTER]], #{{.*}}]
func.func @grouped(%x: tensor<1x2x3x8x8xf32>, %w: tensor<2x4x3x3x3xf32>) -> tensor<1x2x4x6x6xf32> {
  %y = agn.unit "grouped" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [0.1]>
      ins(%x, %w : tensor<1x2x3x8x8xf32>, tensor<2x4x3x3x3xf32>) -> tensor<1x2x4x6x6xf32> {
  ^bb0(%a: tensor<1x2x3x8x8xf32>, %b: tensor<2x4x3x3x3xf32>):
    %v = agn.variance %a : tensor<1x2x3x8x8xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [0.1]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x2x4x6x6xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4x6x6xf32>) -> tensor<1x2x4x6x6xf32>
    %conv = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%a, %b : tensor<1x2x3x8x8xf32>, tensor<2x4x3x3x3xf32>) outs(%acc : tensor<1x2x4x6x6xf32>) -> tensor<1x2x4x6x6xf32>
    agn.yield %conv : tensor<1x2x4x6x6xf32>
  }
  return %y : tensor<1x2x4x6x6xf32>
}

// -----

// A 1-D convolution (NCW/FCW): scales per image and per filter.

// CHECK-DAG: #[[FILTER1:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @conv_1d
// CHECK:       case i8 {
// CHECK:         agn.quantize %{{.*}} axis 0 : tensor<1x3x16xf32> -> tensor<1x3x16xi8>, tensor<1xf32>
// CHECK:         agn.quantize %{{.*}} axis 0 : tensor<4x3x3xf32> -> tensor<4x3x3xi8>, tensor<4xf32>
// CHECK:         linalg.conv_1d_ncw_fcw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x3x16xi8>, tensor<4x3x3xi8>) outs(%{{.*}} : tensor<1x4x14xi32>)
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[FILTER1]], #{{.*}}]
func.func @conv_1d(%x: tensor<1x3x16xf32>, %w: tensor<4x3x3xf32>) -> tensor<1x4x14xf32> {
  %y = agn.unit "c1" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [0.1]>
      ins(%x, %w : tensor<1x3x16xf32>, tensor<4x3x3xf32>) -> tensor<1x4x14xf32> {
  ^bb0(%a: tensor<1x3x16xf32>, %b: tensor<4x3x3xf32>):
    %v = agn.variance %a : tensor<1x3x16xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [0.1]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x4x14xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x14xf32>) -> tensor<1x4x14xf32>
    %conv = linalg.conv_1d_ncw_fcw {dilations = dense<1> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>}
        ins(%a, %b : tensor<1x3x16xf32>, tensor<4x3x3xf32>) outs(%acc : tensor<1x4x14xf32>) -> tensor<1x4x14xf32>
    agn.yield %conv : tensor<1x4x14xf32>
  }
  return %y : tensor<1x4x14xf32>
}

// -----

// A 3-D convolution (NCDHW/FCDHW): scales per image and per filter.

// CHECK-LABEL: func.func @conv_3d
// CHECK:       case i8 {
// CHECK:         agn.quantize %{{.*}} axis 0 : tensor<2x3x3x3x3xf32> -> tensor<2x3x3x3x3xi8>, tensor<2xf32>
// CHECK:         linalg.conv_3d_ncdhw_fcdhw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x3x5x5x5xi8>, tensor<2x3x3x3x3xi8>) outs(%{{.*}} : tensor<1x2x3x3x3xi32>)
func.func @conv_3d(%x: tensor<1x3x5x5x5xf32>, %w: tensor<2x3x3x3x3xf32>) -> tensor<1x2x3x3x3xf32> {
  %y = agn.unit "c3" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [0.1]>
      ins(%x, %w : tensor<1x3x5x5x5xf32>, tensor<2x3x3x3x3xf32>) -> tensor<1x2x3x3x3xf32> {
  ^bb0(%a: tensor<1x3x5x5x5xf32>, %b: tensor<2x3x3x3x3xf32>):
    %v = agn.variance %a : tensor<1x3x5x5x5xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [0.1]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x2x3x3x3xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x3x3x3xf32>) -> tensor<1x2x3x3x3xf32>
    %conv = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : tensor<3xi64>, strides = dense<1> : tensor<3xi64>}
        ins(%a, %b : tensor<1x3x5x5x5xf32>, tensor<2x3x3x3x3xf32>) outs(%acc : tensor<1x2x3x3x3xf32>) -> tensor<1x2x3x3x3xf32>
    agn.yield %conv : tensor<1x2x3x3x3xf32>
  }
  return %y : tensor<1x2x3x3x3xf32>
}

// -----

// A grouped 1-D convolution as the importer writes it (no named op: a
// generic convolution over [N, G, C/G, W] and [G, F/G, C/G, K]), with more
// groups (4) than filters per group (2): the weight scales follow the
// groups, as for the named 2-D grouped convolution.

// CHECK-DAG: #[[GROUP1:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @grouped_1d
// CHECK:       case i8 {
// CHECK:         agn.quantize %{{.*}} axis 0 : tensor<1x4x2x10xf32> -> tensor<1x4x2x10xi8>, tensor<1xf32>
// CHECK:         agn.quantize %{{.*}} axis 0 : tensor<4x2x2x3xf32> -> tensor<4x2x2x3xi8>, tensor<4xf32>
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x2x10xi8>, tensor<4x2x2x3xi8>) outs(%{{.*}} : tensor<1x4x2x8xi32>)
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[GROUP1]], #{{.*}}]
#x1d = affine_map<(n, g, f, o, c, k) -> (n, g, c, o + k)>
#w1d = affine_map<(n, g, f, o, c, k) -> (g, f, c, k)>
#y1d = affine_map<(n, g, f, o, c, k) -> (n, g, f, o)>
func.func @grouped_1d(%x: tensor<1x4x2x10xf32>, %w: tensor<4x2x2x3xf32>) -> tensor<1x4x2x8xf32> {
  %y = agn.unit "g1d" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [0.1]>
      ins(%x, %w : tensor<1x4x2x10xf32>, tensor<4x2x2x3xf32>) -> tensor<1x4x2x8xf32> {
  ^bb0(%a: tensor<1x4x2x10xf32>, %b: tensor<4x2x2x3xf32>):
    %v = agn.variance %a : tensor<1x4x2x10xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [0.1]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x4x2x8xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
    %conv = linalg.generic {indexing_maps = [#x1d, #w1d, #y1d],
        iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
        ins(%a, %b : tensor<1x4x2x10xf32>, tensor<4x2x2x3xf32>) outs(%acc : tensor<1x4x2x8xf32>) {
    ^bb1(%in: f32, %flt: f32, %out: f32):
      %m = arith.mulf %in, %flt : f32
      %s = arith.addf %out, %m : f32
      linalg.yield %s : f32
    } -> tensor<1x4x2x8xf32>
    agn.yield %conv : tensor<1x4x2x8xf32>
  }
  return %y : tensor<1x4x2x8xf32>
}
