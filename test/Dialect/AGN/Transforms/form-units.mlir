// RUN: agn-opt %s -split-input-file --agn-form-units="levels=i8,bf16,f32 thresholds=0.1,1.0" | FileCheck %s
// RUN: agn-opt %s -split-input-file --agn-form-units="levels=i8,bf16,f32 thresholds=0.1,1.0" --agn-form-units | FileCheck %s

// agn-form-units on upstream linalg as frontends write it. The second RUN
// line checks that forming units twice is forming them once.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// A dense layer: matmul, bias add and relu (as linalg.generic) become one
// unit whose operands are the activations, the weights and the bias; the
// zero fill and the empty tensors are rebuilt inside.
// CHECK-LABEL: func.func @dense_bias_relu
// CHECK-SAME: (%[[X:.*]]: tensor<8x64xf32>, %[[W:.*]]: tensor<64x32xf32>, %[[B:.*]]: tensor<32xf32>)
// CHECK: %[[U:.*]] = agn.unit "dense_bias_relu.u0" levels [i8, bf16, f32]
// CHECK-SAME: policy #agn.policy<levels = [i8, bf16, f32], thresholds = [1.000000e-01, 1.000000e+00]>
// CHECK-SAME: ins(%[[X]], %[[W]], %[[B]] : tensor<8x64xf32>, tensor<64x32xf32>, tensor<32xf32>) -> tensor<8x32xf32>
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<8x64xf32>, %[[WA:.*]]: tensor<64x32xf32>, %[[BA:.*]]: tensor<32xf32>):
// CHECK: %[[FILL:.*]] = linalg.fill
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[A]], %[[WA]] : {{.*}}) outs(%[[FILL]] : {{.*}})
// CHECK: %[[ADD:.*]] = linalg.generic {{.*}} ins(%[[MM]], %[[BA]] :
// CHECK: arith.addf
// CHECK: %[[RELU:.*]] = linalg.generic {{.*}} ins(%[[ADD]] :
// CHECK: arith.maximumf
// CHECK: agn.yield %[[RELU]] : tensor<8x32xf32>
// CHECK-NOT: linalg.matmul
// CHECK: return %[[U]]
func.func @dense_bias_relu(%x: tensor<8x64xf32>, %w: tensor<64x32xf32>, %b: tensor<32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<8x64xf32>, tensor<64x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %biased = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<8x32xf32>, tensor<32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%biased : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<8x32xf32>
  return %relu : tensor<8x32xf32>
}

// -----

// Named elementwise ops (linalg.broadcast + linalg.add, linalg.max) and a
// transposed-B matmul (PyTorch's Linear layout), then a second layer: two
// units, the second taking the first's result.
// CHECK-LABEL: func.func @two_layers_named_ops
// CHECK: %[[U0:.*]] = agn.unit "two_layers_named_ops.u0"
// CHECK: linalg.broadcast
// CHECK: linalg.matmul indexing_maps
// CHECK: linalg.add
// CHECK: linalg.max
// CHECK: agn.yield
// CHECK: %[[U1:.*]] = agn.unit "two_layers_named_ops.u1" {{.*}} ins(%[[U0]], %{{.*}} : tensor<4x16xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
// CHECK: linalg.matmul
// CHECK: agn.yield
// CHECK: return %[[U1]]
func.func @two_layers_named_ops(%x: tensor<4x32xf32>, %w1: tensor<16x32xf32>, %b1: tensor<16xf32>,
                                %w2: tensor<16x8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %mm = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w1 : tensor<4x32xf32>, tensor<16x32xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  %bb = linalg.broadcast ins(%b1 : tensor<16xf32>) outs(%e : tensor<4x16xf32>) dimensions = [0]
  %sum = linalg.add ins(%mm, %bb : tensor<4x16xf32>, tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %zeros = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %relu = linalg.max ins(%sum, %zeros : tensor<4x16xf32>, tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %acc2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %out = linalg.matmul ins(%relu, %w2 : tensor<4x16xf32>, tensor<16x8xf32>) outs(%acc2 : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %out : tensor<4x8xf32>
}

// -----

// Elementwise arith/math ops on tensors (gelu-like tanh, sigmoid-like) join
// the epilogue too; a second external tensor (the residual %r) does not fit
// after the bias slot is taken, so the epilogue stops before it.
// CHECK-LABEL: func.func @tensor_arith_epilogue
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<8x8xf32>, %[[B:.*]]: tensor<4x8xf32>, %[[R:.*]]: tensor<4x8xf32>)
// CHECK: %[[U:.*]] = agn.unit {{.*}} ins(%[[X]], %[[W]], %[[B]] :
// CHECK: linalg.matmul
// CHECK: arith.addf
// CHECK: math.tanh
// CHECK: agn.yield
// CHECK: %[[RES:.*]] = arith.addf %[[U]], %[[R]]
// CHECK: return %[[RES]]
func.func @tensor_arith_epilogue(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %b: tensor<4x8xf32>,
                                 %r: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x8xf32>) outs(%acc : tensor<4x8xf32>) -> tensor<4x8xf32>
  %biased = arith.addf %mm, %b : tensor<4x8xf32>
  %act = math.tanh %biased : tensor<4x8xf32>
  %res = arith.addf %act, %r : tensor<4x8xf32>
  return %res : tensor<4x8xf32>
}

// -----

// A bias passed as the accumulator (torch-mlir's addmm form) is the bias.
// CHECK-LABEL: func.func @bias_as_init
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<8x16xf32>, %[[B:.*]]: tensor<16xf32>)
// CHECK: agn.unit {{.*}} ins(%[[X]], %[[W]], %[[B]] : tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>)
// CHECK: ^bb0(%{{.*}}: tensor<4x8xf32>, %{{.*}}: tensor<8x16xf32>, %[[BA:.*]]: tensor<16xf32>):
// CHECK: %[[BB:.*]] = linalg.broadcast ins(%[[BA]]
// CHECK: linalg.matmul {{.*}} outs(%[[BB]] :
func.func @bias_as_init(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x16xf32>
  %bb = linalg.broadcast ins(%b : tensor<16xf32>) outs(%e : tensor<4x16xf32>) dimensions = [0]
  %mm = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%bb : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %mm : tensor<4x16xf32>
}

// -----

// Every contraction kind: batch_matmul, matvec (the matrix is the weight),
// both 2-D convolution layouts, and a linalg.generic contraction.
// CHECK-LABEL: func.func @kinds
// CHECK-SAME: (%[[X3:.*]]: tensor<2x4x8xf32>, %[[W3:.*]]: tensor<2x8x16xf32>, %[[M:.*]]: tensor<16x8xf32>, %[[V:.*]]: tensor<8xf32>,
// CHECK-SAME: %[[IMG:.*]]: tensor<1x3x8x8xf32>, %[[FIL:.*]]: tensor<4x3x3x3xf32>, %[[IMGH:.*]]: tensor<1x8x8x3xf32>, %[[FILH:.*]]: tensor<3x3x3x4xf32>,
// CHECK-SAME: %[[GA:.*]]: tensor<4x8xf32>, %[[GB:.*]]: tensor<8x2xf32>)
// CHECK: agn.unit "kinds.u0" {{.*}} ins(%[[X3]], %[[W3]] :
// CHECK: linalg.batch_matmul
// CHECK: agn.unit "kinds.u1" {{.*}} ins(%[[V]], %[[M]] : tensor<8xf32>, tensor<16x8xf32>)
// CHECK: linalg.matvec
// CHECK: agn.unit "kinds.u2" {{.*}} ins(%[[IMG]], %[[FIL]] :
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK: agn.unit "kinds.u3" {{.*}} ins(%[[IMGH]], %[[FILH]] :
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK: agn.unit "kinds.u4" {{.*}} ins(%[[GA]], %[[GB]] :
// CHECK: linalg.generic
func.func @kinds(%x3: tensor<2x4x8xf32>, %w3: tensor<2x8x16xf32>, %m: tensor<16x8xf32>, %v: tensor<8xf32>,
                 %img: tensor<1x3x8x8xf32>, %fil: tensor<4x3x3x3xf32>,
                 %imgh: tensor<1x8x8x3xf32>, %filh: tensor<3x3x3x4xf32>,
                 %ga: tensor<4x8xf32>, %gb: tensor<8x2xf32>)
    -> (tensor<2x4x16xf32>, tensor<16xf32>, tensor<1x4x6x6xf32>, tensor<1x6x6x4xf32>, tensor<4x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<2x4x16xf32>
  %a0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  %r0 = linalg.batch_matmul ins(%x3, %w3 : tensor<2x4x8xf32>, tensor<2x8x16xf32>) outs(%a0 : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  %e1 = tensor.empty() : tensor<16xf32>
  %a1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<16xf32>) -> tensor<16xf32>
  %r1 = linalg.matvec ins(%m, %v : tensor<16x8xf32>, tensor<8xf32>) outs(%a1 : tensor<16xf32>) -> tensor<16xf32>
  %e2 = tensor.empty() : tensor<1x4x6x6xf32>
  %a2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %r2 = linalg.conv_2d_nchw_fchw ins(%img, %fil : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) outs(%a2 : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %e3 = tensor.empty() : tensor<1x6x6x4xf32>
  %a3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
  %r3 = linalg.conv_2d_nhwc_hwcf ins(%imgh, %filh : tensor<1x8x8x3xf32>, tensor<3x3x3x4xf32>) outs(%a3 : tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
  %e4 = tensor.empty() : tensor<4x2xf32>
  %a4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<4x2xf32>) -> tensor<4x2xf32>
  %r4 = linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (k, j)>, affine_map<(i, j, k) -> (i, j)>],
                        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ga, %gb : tensor<4x8xf32>, tensor<8x2xf32>) outs(%a4 : tensor<4x2xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %mul = arith.mulf %p, %q : f32
    %add = arith.addf %acc, %mul : f32
    linalg.yield %add : f32
  } -> tensor<4x2xf32>
  return %r0, %r1, %r2, %r3, %r4 : tensor<2x4x16xf32>, tensor<16xf32>, tensor<1x4x6x6xf32>, tensor<1x6x6x4xf32>, tensor<4x2xf32>
}

// -----

// Dynamic batch: the empty tensor's size comes from the input and is rebuilt
// inside the unit from its argument.
// CHECK-LABEL: func.func @dynamic_batch
// CHECK: agn.unit {{.*}} -> tensor<?x16xf32>
// CHECK: ^bb0(%[[A:.*]]: tensor<?x8xf32>,
// CHECK: tensor.dim %[[A]]
// CHECK: tensor.empty
// CHECK: linalg.matmul
func.func @dynamic_batch(%x: tensor<?x8xf32>, %w: tensor<8x16xf32>) -> tensor<?x16xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x16xf32>) -> tensor<?x16xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<?x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<?x16xf32>) -> tensor<?x16xf32>
  return %mm : tensor<?x16xf32>
}

// -----

// An agn.name attribute names the unit.
// CHECK-LABEL: func.func @named
// CHECK: agn.unit "encoder.fc1"
func.func @named(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %acc: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %mm = linalg.matmul {agn.name = "encoder.fc1"} ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %mm : tensor<4x16xf32>
}

// -----

// A policy carried by the contraction (learned in training, set by the ONNX
// importer) becomes the unit's; its levels join those of the options.
// CHECK-LABEL: func.func @learned_policy
// CHECK: agn.unit "learned" levels [i4, i8, bf16, f32] policy #agn.policy<levels = [i4, f32], thresholds = [2.500000e-01]>
func.func @learned_policy(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %acc: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %mm = linalg.matmul {agn.name = "learned", agn.policy = #agn.policy<levels = [i4, f32], thresholds = [0.25]>}
      ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %mm : tensor<4x16xf32>
}

// -----

// Grouped (here depthwise), 1-D and 3-D convolutions form units too.
// CHECK-LABEL: func.func @conv_kinds
// CHECK:       agn.unit "conv_kinds.u0"
// CHECK:         linalg.conv_2d_ngchw_gfchw
// CHECK:       agn.unit "conv_kinds.u1"
// CHECK:         linalg.conv_1d_ncw_fcw
// CHECK:       agn.unit "conv_kinds.u2"
// CHECK:         linalg.conv_3d_ncdhw_fcdhw
func.func @conv_kinds(%x: tensor<1x4x1x8x8xf32>, %w: tensor<4x1x1x3x3xf32>,
                      %x1: tensor<1x3x16xf32>, %w1: tensor<4x3x3xf32>,
                      %x3: tensor<1x3x5x5x5xf32>, %w3: tensor<2x3x3x3x3xf32>)
    -> (tensor<1x4x1x6x6xf32>, tensor<1x4x14xf32>, tensor<1x2x3x3x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x1x6x6xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x1x6x6xf32>) -> tensor<1x4x1x6x6xf32>
  %dw = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x1x8x8xf32>, tensor<4x1x1x3x3xf32>) outs(%acc : tensor<1x4x1x6x6xf32>) -> tensor<1x4x1x6x6xf32>
  %e1 = tensor.empty() : tensor<1x4x14xf32>
  %acc1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x4x14xf32>) -> tensor<1x4x14xf32>
  %c1 = linalg.conv_1d_ncw_fcw {dilations = dense<1> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>}
      ins(%x1, %w1 : tensor<1x3x16xf32>, tensor<4x3x3xf32>) outs(%acc1 : tensor<1x4x14xf32>) -> tensor<1x4x14xf32>
  %e3 = tensor.empty() : tensor<1x2x3x3x3xf32>
  %acc3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x3x3x3xf32>) -> tensor<1x2x3x3x3xf32>
  %c3 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : tensor<3xi64>, strides = dense<1> : tensor<3xi64>}
      ins(%x3, %w3 : tensor<1x3x5x5x5xf32>, tensor<2x3x3x3x3xf32>) outs(%acc3 : tensor<1x2x3x3x3xf32>) -> tensor<1x2x3x3x3xf32>
  return %dw, %c1, %c3 : tensor<1x4x1x6x6xf32>, tensor<1x4x14xf32>, tensor<1x2x3x3x3xf32>
}

// -----

// A convolution with no named op (the importer's grouped 1-D and 3-D ones:
// a generic over [N, G, C/G, W] and [G, F/G, C/G, K]) forms a unit too.
// CHECK-LABEL: func.func @generic_convolution
// CHECK:       agn.unit "generic_convolution.u0" {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x2x10xf32>, tensor<4x2x2x3xf32>)
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
func.func @generic_convolution(%x: tensor<1x4x2x10xf32>, %w: tensor<4x2x2x3xf32>) -> tensor<1x4x2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x2x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x2x8xf32>) -> tensor<1x4x2x8xf32>
  %conv = linalg.generic {indexing_maps = [affine_map<(n, g, f, o, c, k) -> (n, g, c, o + k)>,
                                           affine_map<(n, g, f, o, c, k) -> (g, f, c, k)>,
                                           affine_map<(n, g, f, o, c, k) -> (n, g, f, o)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x4x2x10xf32>, tensor<4x2x2x3xf32>) outs(%acc : tensor<1x4x2x8xf32>) {
  ^bb0(%in: f32, %flt: f32, %out: f32):
    %m = arith.mulf %in, %flt : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x4x2x8xf32>
  return %conv : tensor<1x4x2x8xf32>
}

// -----

// Pooling has a convolution's maps but no multiply-accumulate body: no unit
// (a max pool taken for a convolution changed resnet-style models' results).
// CHECK-LABEL: func.func @generic_max_pool
// CHECK-NOT:   agn.unit
// CHECK:       linalg.generic
// CHECK:       arith.maximumf
func.func @generic_max_pool(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  %lowest = arith.constant 0xFF800000 : f32
  %window = tensor.empty() : tensor<2x2xf32>
  %e = tensor.empty() : tensor<1x4x4x4xf32>
  %init = linalg.fill ins(%lowest : f32) outs(%e : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %pool = linalg.generic {indexing_maps = [affine_map<(n, c, h, w, kh, kw) -> (n, c, h * 2 + kh, w * 2 + kw)>,
                                           affine_map<(n, c, h, w, kh, kw) -> (kh, kw)>,
                                           affine_map<(n, c, h, w, kh, kw) -> (n, c, h, w)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %window : tensor<1x4x8x8xf32>, tensor<2x2xf32>) outs(%init : tensor<1x4x4x4xf32>) {
  ^bb0(%in: f32, %unused: f32, %out: f32):
    %m = arith.maximumf %out, %in : f32
    linalg.yield %m : f32
  } -> tensor<1x4x4x4xf32>
  return %pool : tensor<1x4x4x4xf32>
}
