// RUN: agn-opt %s -split-input-file --agn-sink-padding | FileCheck %s

// A zero padding of a unit's input moves into the unit, and the i8 version
// quantizes the image and pads the i8 values (with 0): the scales are those
// of the padded image (zeros change no largest magnitude).

// CHECK-LABEL: func.func @i8
// CHECK-SAME:    (%[[X:.*]]: tensor<1x8x16x16xf32>, %[[W:.*]]: tensor<4x8x3x3xf32>)
// CHECK-NOT:     tensor.pad
// CHECK:         agn.unit "c" {{.*}} ins(%[[X]], %[[W]] : tensor<1x8x16x16xf32>, tensor<4x8x3x3xf32>)
// CHECK:         ^bb0(%[[A:.*]]: tensor<1x8x16x16xf32>, %{{.*}}: tensor<4x8x3x3xf32>):
// CHECK-DAG:       %[[ZERO:.*]] = arith.constant 0 : i8
// CHECK-DAG:       %[[Q:.*]], %[[S:.*]] = agn.quantize %[[A]] axis 0 : tensor<1x8x16x16xf32> -> tensor<1x8x16x16xi8>, tensor<1xf32>
// CHECK:           %[[P:.*]] = tensor.pad %[[Q]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:             tensor.yield %[[ZERO]] : i8
// CHECK:           } : tensor<1x8x16x16xi8> to tensor<1x8x18x18xi8>
// CHECK:           agn.dequantize %[[P]], %[[S]] axis 0
func.func @i8(%x: tensor<1x8x16x16xf32>, %w: tensor<4x8x3x3xf32>) -> tensor<1x8x18x18xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x16x16xf32> to tensor<1x8x18x18xf32>
  %y = agn.unit "c" levels [i8] policy #agn.policy<levels = [i8], thresholds = []> ins(%p, %w : tensor<1x8x18x18xf32>, tensor<4x8x3x3xf32>) -> tensor<1x8x18x18xf32> {
  ^bb0(%a: tensor<1x8x18x18xf32>, %b: tensor<4x8x3x3xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x8x18x18xf32> -> tensor<1x8x18x18xi8>, tensor<1xf32>
    %d = agn.dequantize %q, %s axis 0 : tensor<1x8x18x18xi8>, tensor<1xf32> -> tensor<1x8x18x18xf32>
    agn.yield %d : tensor<1x8x18x18xf32>
  }
  return %y : tensor<1x8x18x18xf32>
}

// -----

// A grouped convolution's view (the padding, then an expand_shape) moves in
// whole; the quantization goes under both (its axis 0 a dimension of its
// own), bf16 storage included. What else reads the padded image (a
// controller's statistic, the f32 version) reads the padding made inside.

// CHECK-LABEL: func.func @grouped
// CHECK:         agn.unit "g" {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x8x16x16xf32>, tensor<8x1x1x3x3xf32>)
// CHECK:         ^bb0(%[[A:.*]]: tensor<1x8x16x16xf32>,
// CHECK:           %[[F:.*]] = tensor.pad %[[A]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:           } : tensor<1x8x16x16xf32> to tensor<1x8x18x18xf32>
// CHECK:           %[[FE:.*]] = tensor.expand_shape %[[F]] {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 8, 1, 18, 18]
// CHECK:           agn.variance %[[FE]]
// CHECK:           %[[Q:.*]], %[[S:.*]] = agn.quantize %[[A]] axis 0 : tensor<1x8x16x16xf32> -> tensor<1x8x16x16xi8>, tensor<1xf32>
// CHECK:           %[[P:.*]] = tensor.pad %[[Q]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:           } : tensor<1x8x16x16xi8> to tensor<1x8x18x18xi8>
// CHECK:           %[[PE:.*]] = tensor.expand_shape %[[P]] {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 8, 1, 18, 18] : tensor<1x8x18x18xi8> into tensor<1x8x1x18x18xi8>
// CHECK:           agn.dequantize %[[PE]], %[[S]] axis 0
// CHECK:           %[[H:.*]], %{{.*}} = agn.quantize %[[A]] : tensor<1x8x16x16xf32> -> tensor<1x8x16x16xbf16>, tensor<f32>
// CHECK:           tensor.pad %[[H]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:           } : tensor<1x8x16x16xbf16> to tensor<1x8x18x18xbf16>
// CHECK:           agn.yield
func.func @grouped(%x: tensor<1x8x16x16xf32>, %w: tensor<8x1x1x3x3xf32>) -> (tensor<1x8x1x18x18xf32>, tensor<1x8x1x18x18xbf16>, f32) {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x16x16xf32> to tensor<1x8x18x18xf32>
  %e = tensor.expand_shape %p [[0], [1, 2], [3], [4]] output_shape [1, 8, 1, 18, 18] : tensor<1x8x18x18xf32> into tensor<1x8x1x18x18xf32>
  %y:3 = agn.unit "g" levels [i8] policy #agn.policy<levels = [i8], thresholds = []> ins(%e, %w : tensor<1x8x1x18x18xf32>, tensor<8x1x1x3x3xf32>) -> tensor<1x8x1x18x18xf32>, tensor<1x8x1x18x18xbf16>, f32 {
  ^bb0(%a: tensor<1x8x1x18x18xf32>, %b: tensor<8x1x1x3x3xf32>):
    %v = agn.variance %a : tensor<1x8x1x18x18xf32>
    %q, %s = agn.quantize %a axis 0 : tensor<1x8x1x18x18xf32> -> tensor<1x8x1x18x18xi8>, tensor<1xf32>
    %d = agn.dequantize %q, %s axis 0 : tensor<1x8x1x18x18xi8>, tensor<1xf32> -> tensor<1x8x1x18x18xf32>
    %h, %hs = agn.quantize %a : tensor<1x8x1x18x18xf32> -> tensor<1x8x1x18x18xbf16>, tensor<f32>
    agn.yield %d, %h, %v : tensor<1x8x1x18x18xf32>, tensor<1x8x1x18x18xbf16>, f32
  }
  return %y#0, %y#1, %y#2 : tensor<1x8x1x18x18xf32>, tensor<1x8x1x18x18xbf16>, f32
}

// -----

// Left as they are: a padding with another value (a max-pool's -inf), a
// padded image something else reads too; inside a unit, a quantization
// whose axis is padded or that has blocks (its scales would differ), and i4
// storage (two values a byte: the interior would start mid-byte).

// CHECK-LABEL: func.func @kept
// CHECK:         %[[NEG:.*]] = tensor.pad
// CHECK:           tensor.yield %{{.*}} : f32
// CHECK:         %[[SHARED:.*]] = tensor.pad
// CHECK:         agn.unit "neg" {{.*}} ins(%[[NEG]],
// CHECK:         agn.unit "shared" {{.*}} ins(%[[SHARED]],
// CHECK:         agn.unit "axis"
// CHECK:           %[[PA:.*]] = tensor.pad
// CHECK:           agn.quantize %[[PA]] axis 3
// CHECK:         agn.unit "i4"
// CHECK:           %[[P4:.*]] = tensor.pad
// CHECK:           agn.quantize %[[P4]] axis 0 : {{.*}} -> tensor<1x8x18x18xi4>
// CHECK:         agn.unit "block"
// CHECK:           %[[PB:.*]] = tensor.pad
// CHECK:           agn.quantize %[[PB]] axis 1 block 2
// CHECK:         return
func.func @kept(%x: tensor<1x8x16x16xf32>, %w: tensor<4x8x3x3xf32>) -> (f32, f32, f32, f32, f32, tensor<1x8x18x18xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %n = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %ninf : f32
  } : tensor<1x8x16x16xf32> to tensor<1x8x18x18xf32>
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x16x16xf32> to tensor<1x8x18x18xf32>
  %p2 = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x16x16xf32> to tensor<1x8x18x18xf32>
  %p3 = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x16x16xf32> to tensor<1x8x18x18xf32>
  %p4 = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x16x16xf32> to tensor<1x8x18x18xf32>
  %y0 = agn.unit "neg" levels [i8] policy #agn.policy<levels = [i8], thresholds = []> ins(%n, %w : tensor<1x8x18x18xf32>, tensor<4x8x3x3xf32>) -> f32 {
  ^bb0(%a: tensor<1x8x18x18xf32>, %b: tensor<4x8x3x3xf32>):
    %v = agn.variance %a : tensor<1x8x18x18xf32>
    agn.yield %v : f32
  }
  %y1 = agn.unit "shared" levels [i8] policy #agn.policy<levels = [i8], thresholds = []> ins(%p, %w : tensor<1x8x18x18xf32>, tensor<4x8x3x3xf32>) -> f32 {
  ^bb0(%a: tensor<1x8x18x18xf32>, %b: tensor<4x8x3x3xf32>):
    %v = agn.variance %a : tensor<1x8x18x18xf32>
    agn.yield %v : f32
  }
  %y2 = agn.unit "axis" levels [i8] policy #agn.policy<levels = [i8], thresholds = []> ins(%p2, %w : tensor<1x8x18x18xf32>, tensor<4x8x3x3xf32>) -> f32 {
  ^bb0(%a: tensor<1x8x18x18xf32>, %b: tensor<4x8x3x3xf32>):
    %q, %s = agn.quantize %a axis 3 : tensor<1x8x18x18xf32> -> tensor<1x8x18x18xi8>, tensor<18xf32>
    %v = agn.variance %s : tensor<18xf32>
    agn.yield %v : f32
  }
  %y3 = agn.unit "i4" levels [i4] policy #agn.policy<levels = [i4], thresholds = []> ins(%p3, %w : tensor<1x8x18x18xf32>, tensor<4x8x3x3xf32>) -> f32 {
  ^bb0(%a: tensor<1x8x18x18xf32>, %b: tensor<4x8x3x3xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x8x18x18xf32> -> tensor<1x8x18x18xi4>, tensor<1xf32>
    %v = agn.variance %s : tensor<1xf32>
    agn.yield %v : f32
  }
  %y4 = agn.unit "block" levels [i8] policy #agn.policy<levels = [i8], thresholds = []> ins(%p4, %w : tensor<1x8x18x18xf32>, tensor<4x8x3x3xf32>) -> f32 {
  ^bb0(%a: tensor<1x8x18x18xf32>, %b: tensor<4x8x3x3xf32>):
    %q, %s = agn.quantize %a axis 1 block 2 : tensor<1x8x18x18xf32> -> tensor<1x8x18x18xi8>, tensor<1x4x18x18xf32>
    %v = agn.variance %s : tensor<1x4x18x18xf32>
    agn.yield %v : f32
  }
  return %y0, %y1, %y2, %y3, %y4, %p : f32, f32, f32, f32, f32, tensor<1x8x18x18xf32>
}

// -----

// Also left: a -0.0 padding (the rewrites pad with +0.0), i4 storage under
// an expand_shape (the quantization stays where it is: moved alone it gains
// nothing), and a quantization of a padding outside any unit. A nofold
// padding stays nofold.

// CHECK-LABEL: func.func @more_kept
// CHECK:         %[[NEGZERO:.*]] = tensor.pad
// CHECK:         %[[OUT:.*]] = tensor.pad
// CHECK:         agn.unit "negzero" {{.*}} ins(%[[NEGZERO]],
// CHECK:         agn.unit "i4_grouped"
// CHECK:           %[[P:.*]] = tensor.pad
// CHECK:           %[[E:.*]] = tensor.expand_shape %[[P]]
// CHECK:           agn.quantize %[[E]] axis 0 : tensor<1x8x1x18x18xf32> -> tensor<1x8x1x18x18xi4>
// CHECK:         agn.unit "nofold"
// CHECK:           agn.quantize %{{.*}} axis 0 : tensor<1x8x16x16xf32> -> tensor<1x8x16x16xi8>
// CHECK:           tensor.pad {{.*}} nofold
// CHECK:           } : tensor<1x8x16x16xi8> to tensor<1x8x18x18xi8>
// CHECK:         agn.quantize %[[OUT]] axis 0 : tensor<1x8x18x18xf32> -> tensor<1x8x18x18xi8>
func.func @more_kept(%x: tensor<1x8x16x16xf32>, %w: tensor<4x8x3x3xf32>) -> (f32, f32, tensor<1x8x18x18xf32>, tensor<1x8x18x18xi8>) {
  %negzero = arith.constant -0.0 : f32
  %zero = arith.constant 0.0 : f32
  %n = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %negzero : f32
  } : tensor<1x8x16x16xf32> to tensor<1x8x18x18xf32>
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x16x16xf32> to tensor<1x8x18x18xf32>
  %e = tensor.expand_shape %p [[0], [1, 2], [3], [4]] output_shape [1, 8, 1, 18, 18] : tensor<1x8x18x18xf32> into tensor<1x8x1x18x18xf32>
  %f = tensor.pad %x nofold low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x16x16xf32> to tensor<1x8x18x18xf32>
  %o = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x16x16xf32> to tensor<1x8x18x18xf32>
  %y0 = agn.unit "negzero" levels [i8] policy #agn.policy<levels = [i8], thresholds = []> ins(%n, %w : tensor<1x8x18x18xf32>, tensor<4x8x3x3xf32>) -> f32 {
  ^bb0(%a: tensor<1x8x18x18xf32>, %b: tensor<4x8x3x3xf32>):
    %v = agn.variance %a : tensor<1x8x18x18xf32>
    agn.yield %v : f32
  }
  %y1 = agn.unit "i4_grouped" levels [i4] policy #agn.policy<levels = [i4], thresholds = []> ins(%e, %w : tensor<1x8x1x18x18xf32>, tensor<4x8x3x3xf32>) -> f32 {
  ^bb0(%a: tensor<1x8x1x18x18xf32>, %b: tensor<4x8x3x3xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x8x1x18x18xf32> -> tensor<1x8x1x18x18xi4>, tensor<1xf32>
    %v = agn.variance %s : tensor<1xf32>
    agn.yield %v : f32
  }
  %y2 = agn.unit "nofold" levels [i8] policy #agn.policy<levels = [i8], thresholds = []> ins(%f, %w : tensor<1x8x18x18xf32>, tensor<4x8x3x3xf32>) -> tensor<1x8x18x18xf32> {
  ^bb0(%a: tensor<1x8x18x18xf32>, %b: tensor<4x8x3x3xf32>):
    %q, %s = agn.quantize %a axis 0 : tensor<1x8x18x18xf32> -> tensor<1x8x18x18xi8>, tensor<1xf32>
    %d = agn.dequantize %q, %s axis 0 : tensor<1x8x18x18xi8>, tensor<1xf32> -> tensor<1x8x18x18xf32>
    agn.yield %d : tensor<1x8x18x18xf32>
  }
  %q, %s = agn.quantize %o axis 0 : tensor<1x8x18x18xf32> -> tensor<1x8x18x18xi8>, tensor<1xf32>
  return %y0, %y1, %y2, %q : f32, f32, tensor<1x8x18x18xf32>, tensor<1x8x18x18xi8>
}
