// RUN: agn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(agn-fuse-elementwise))" | FileCheck %s

// A convolution's bias, the residual addition and the ReLU: one op, each
// element computed by the same operations in the same order.

// CHECK-LABEL: func.func @bias_add_relu
// CHECK:         %[[R:.*]] = linalg.generic
// CHECK-SAME:      ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x64x56x56xf32>, tensor<64xf32>, tensor<1x64x56x56xf32>)
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[B:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[XB:.*]] = arith.addf %[[X]], %[[B]] : f32
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %[[XB]], %[[S]] : f32
// CHECK-NEXT:      %[[RELU:.*]] = arith.maximumf %[[SUM]], %{{.*}} : f32
// CHECK-NEXT:      linalg.yield %[[RELU]] : f32
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]]
#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#bias = affine_map<(n, c, h, w) -> (c)>
func.func @bias_add_relu(%x: tensor<1x64x56x56xf32>, %b: tensor<64xf32>, %skip: tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x64x56x56xf32>
  %biased = linalg.generic {indexing_maps = [#nchw, #bias, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %b : tensor<1x64x56x56xf32>, tensor<64xf32>) outs(%empty : tensor<1x64x56x56xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    linalg.yield %s : f32
  } -> tensor<1x64x56x56xf32>
  %sum = linalg.generic {indexing_maps = [#nchw, #nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%biased, %skip : tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>) outs(%empty : tensor<1x64x56x56xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %s = arith.addf %in, %in2 : f32
    linalg.yield %s : f32
  } -> tensor<1x64x56x56xf32>
  %relu = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%sum : tensor<1x64x56x56xf32>) outs(%empty : tensor<1x64x56x56xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x64x56x56xf32>
  return %relu : tensor<1x64x56x56xf32>
}

// -----

// Not fused: a result with a second use (fusing would compute it twice), a
// producer with a discardable attribute (fusion would drop it), a consumer
// with a reduction (a unit's statistic).

// CHECK-LABEL: func.func @left_apart
// CHECK-COUNT-6: linalg.generic
// CHECK-NOT:     linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @left_apart(%x: tensor<64x64xf32>) -> (tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64xf32>) {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<64x64xf32>
  %twice = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<64x64xf32>) outs(%empty : tensor<64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<64x64xf32>
  %neg = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%twice : tensor<64x64xf32>) outs(%empty : tensor<64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<64x64xf32>
  %marked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<64x64xf32>) outs(%empty : tensor<64x64xf32>) attrs = {agn.marker} {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<64x64xf32>
  %abs = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%marked : tensor<64x64xf32>) outs(%empty : tensor<64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = math.absf %in : f32
    linalg.yield %a : f32
  } -> tensor<64x64xf32>
  %squares = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<64x64xf32>) outs(%empty : tensor<64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %q = arith.mulf %in, %in : f32
    linalg.yield %q : f32
  } -> tensor<64x64xf32>
  %init = tensor.empty() : tensor<64xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%init : tensor<64xf32>) -> tensor<64xf32>
  %sums = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%squares : tensor<64x64xf32>) outs(%fill : tensor<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  return %twice, %neg, %abs, %sums : tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64xf32>
}

// -----

// Not fused either: consumers that read an element of the producer more than
// once. An im2col gather (the quantization of a 3x3 convolution's input,
// fused into it, ran 9 times per element) and a broadcast.

// CHECK-LABEL: func.func @read_more_than_once
// CHECK:         %[[Q:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<1x4x6x6xf32>) outs(%{{.*}} : tensor<1x4x6x6xi8>)
// CHECK:           arith.fptosi
// CHECK:         linalg.generic {{.*}} ins(%[[Q]] : tensor<1x4x6x6xi8>) outs(%{{.*}} : tensor<4x4x4x3x3xi8>)
// CHECK-NOT:       arith.fptosi
// CHECK:         %[[N:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<8xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[N]] : tensor<8xf32>) outs(%{{.*}} : tensor<8x16xf32>)
#nchw4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#window = affine_map<(oh, ow, c, kh, kw) -> (0, c, oh + kh, ow + kw)>
#patch = affine_map<(oh, ow, c, kh, kw) -> (oh, ow, c, kh, kw)>
#vec = affine_map<(i, j) -> (i)>
#mat = affine_map<(i, j) -> (i, j)>
#one = affine_map<(i) -> (i)>
func.func @read_more_than_once(%x: tensor<1x4x6x6xf32>, %v: tensor<8xf32>) -> (tensor<4x4x4x3x3xi8>, tensor<8x16xf32>) {
  %e = tensor.empty() : tensor<1x4x6x6xi8>
  %q = linalg.generic {indexing_maps = [#nchw4, #nchw4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x4x6x6xf32>) outs(%e : tensor<1x4x6x6xi8>) {
  ^bb0(%in: f32, %out: i8):
    %i = arith.fptosi %in : f32 to i8
    linalg.yield %i : i8
  } -> tensor<1x4x6x6xi8>
  %pe = tensor.empty() : tensor<4x4x4x3x3xi8>
  %patches = linalg.generic {indexing_maps = [#window, #patch], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%q : tensor<1x4x6x6xi8>) outs(%pe : tensor<4x4x4x3x3xi8>) {
  ^bb0(%in: i8, %out: i8):
    linalg.yield %in : i8
  } -> tensor<4x4x4x3x3xi8>
  %ve = tensor.empty() : tensor<8xf32>
  %neg = linalg.generic {indexing_maps = [#one, #one], iterator_types = ["parallel"]} ins(%v : tensor<8xf32>) outs(%ve : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<8xf32>
  %me = tensor.empty() : tensor<8x16xf32>
  %wide = linalg.generic {indexing_maps = [#vec, #mat], iterator_types = ["parallel", "parallel"]} ins(%neg : tensor<8xf32>) outs(%me : tensor<8x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<8x16xf32>
  return %patches, %wide : tensor<4x4x4x3x3xi8>, tensor<8x16xf32>
}
