// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels=threads=2 | FileCheck %s --check-prefixes=CHECK,AVX2
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels=threads=1 | FileCheck %s --check-prefixes=CHECK,ONE
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels="threads=2 signed-dot-filter-on-left=false" | FileCheck %s --check-prefixes=CHECK,RIGHT
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels=threads=2 | FileCheck %s --check-prefixes=CHECK,RIGHT
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels=threads=2 \
// RUN:   --agn-vectorize-convolutions | FileCheck %s --check-prefix=MATMUL
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels=threads=2 \
// RUN:   --agn-vectorize-convolutions --agn-cpu-configure-kernels=threads=2 --agn-vnni-pack --agn-vnni-matmuls \
// RUN: | FileCheck %s --check-prefix=KERNEL

// Where the `signed_dot` kernel (AVX2 without VNNI) computes the integer
// matmuls, NCHW integer convolutions put a filter without -128 on the left
// of their im2col matmul when the output plane fills at least a 64-pixel
// panel per thread, padded by at most an eighth: the product is then NCHW.
// Elsewhere (VNNI targets, the option off) the filter stays on the right.

// A 16x16 plane (four whole panels), a constant filter without -128.
// CHECK-LABEL: func.func @whole_panels
// AVX2: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col>
// ONE: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col>
// RIGHT: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
// The matmul: the filter ([F, C KH KW]) on the left of the im2col copy
// ([C KH KW, OH OW]), its product expanded to NCHW with no transpose.
// MATMUL-LABEL: func.func @whole_panels
// MATMUL-NOT: linalg.transpose
// MATMUL: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<5x18xi8>, tensor<18x256xi8>) outs(%{{.*}} : tensor<5x256xi32>)
// MATMUL-NOT: linalg.transpose
// MATMUL: tensor.expand_shape {{.*}} into tensor<1x5x16x16xi32>
func.func @whole_panels(%x: tensor<1x2x18x18xi8>, %y: tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32> {
  %w = arith.constant dense<-127> : tensor<5x2x3x3xi8>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x18x18xi8>, tensor<5x2x3x3xi8>) outs(%y : tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32>
  return %r : tensor<1x5x16x16xi32>
}

// -----

// A filter that holds -128 (and activations that may) stays on the right.
// CHECK-LABEL: func.func @minimum_filter
// CHECK: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
func.func @minimum_filter(%x: tensor<1x2x18x18xi8>, %y: tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32> {
  %w = arith.constant dense<-128> : tensor<5x2x3x3xi8>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x18x18xi8>, tensor<5x2x3x3xi8>) outs(%y : tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32>
  return %r : tensor<1x5x16x16xi32>
}

// -----

// A 14x14 plane (196 pixels) pads its four panels by a third: the filters
// fill the panels.
// CHECK-LABEL: func.func @padded_panels
// CHECK: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
func.func @padded_panels(%x: tensor<1x2x16x16xi8>, %y: tensor<1x5x14x14xi32>) -> tensor<1x5x14x14xi32> {
  %w = arith.constant dense<3> : tensor<5x2x3x3xi8>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x16x16xi8>, tensor<5x2x3x3xi8>) outs(%y : tensor<1x5x14x14xi32>) -> tensor<1x5x14x14xi32>
  return %r : tensor<1x5x14x14xi32>
}

// -----

// An 8x8 plane is one panel: on the left for one thread, on the right for
// two (a panel per thread).
// CHECK-LABEL: func.func @one_panel
// AVX2: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
// ONE: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col>
// RIGHT: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
func.func @one_panel(%x: tensor<1x2x10x10xi8>, %y: tensor<1x5x8x8xi32>) -> tensor<1x5x8x8xi32> {
  %w = arith.constant dense<3> : tensor<5x2x3x3xi8>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x10x10xi8>, tensor<5x2x3x3xi8>) outs(%y : tensor<1x5x8x8xi32>) -> tensor<1x5x8x8xi32>
  return %r : tensor<1x5x8x8xi32>
}

// -----

// i4 filters hold no -128 whatever their values, constants or not; on the
// left they are sign-extended to bytes (a non-constant one by a
// linalg.generic, which the signed_dot kernel recognizes as such).
// CHECK-LABEL: func.func @i4_filter
// AVX2: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col>
// RIGHT: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
// MATMUL-LABEL: func.func @i4_filter
// MATMUL: %[[W:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<5x2x3x3xi4> into tensor<5x18xi4>
// MATMUL: %[[BYTES:.*]] = linalg.generic {{.*}} ins(%[[W]] : tensor<5x18xi4>)
// MATMUL: arith.extsi %{{.*}} : i4 to i8
// MATMUL: linalg.matmul ins(%[[BYTES]], %{{.*}} : tensor<5x18xi8>, tensor<18x256xi8>)
// The kernel: the widened bytes broadcast as sdot's right operand.
// KERNEL-LABEL: func.func @i4_filter
// KERNEL: %[[FILTER:.*]] = vector.bitcast {{.*}} : vector<16xi32> to vector<64xi8>
// KERNEL-NEXT: agn_x86.sdot %{{.*}}, %{{.*}}, %[[FILTER]]
func.func @i4_filter(%x: tensor<1x2x18x18xi8>, %w: tensor<5x2x3x3xi4>, %y: tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x18x18xi8>, tensor<5x2x3x3xi4>) outs(%y : tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32>
  return %r : tensor<1x5x16x16xi32>
}

// -----

// NHWC convolutions write NHWC from the filter on the right already.
// CHECK-LABEL: func.func @channels_last
// CHECK: linalg.conv_2d_nhwc_hwcf {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
func.func @channels_last(%x: tensor<1x18x18x2xi8>, %y: tensor<1x16x16x5xi32>) -> tensor<1x16x16x5xi32> {
  %w = arith.constant dense<3> : tensor<3x3x2x5xi8>
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x18x18x2xi8>, tensor<3x3x2x5xi8>) outs(%y : tensor<1x16x16x5xi32>) -> tensor<1x16x16x5xi32>
  return %r : tensor<1x16x16x5xi32>
}

// -----

// Groups of 16 filters or more (im2col matmuls per group) decide as
// ungrouped convolutions do. Each group's filter is a slice of the constant
// (at the loop's group offset), which the kernel still knows to hold no
// -128.
// CHECK-LABEL: func.func @grouped
// AVX2: linalg.conv_2d_ngchw_gfchw {agn.lowering_config = #agn.lowering_config<kernel = im2col>
// RIGHT: linalg.conv_2d_ngchw_gfchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
// KERNEL-LABEL: func.func @grouped
// KERNEL: %[[FILTER:.*]] = vector.bitcast {{.*}} : vector<16xi32> to vector<64xi8>
// KERNEL-NEXT: agn_x86.sdot %{{.*}}, %{{.*}}, %[[FILTER]]
func.func @grouped(%x: tensor<1x2x2x18x18xi8>, %y: tensor<1x2x16x16x16xi32>) -> tensor<1x2x16x16x16xi32> {
  %w = arith.constant dense<[[[[[  79, -106,  -82],    [ -67,  -81,   77],    [  94,   21, -117]],   [[-103,  -43,  -17],    [  31,   -5,  -60],    [ -87,   49,   60]]],  [[[-119,  -99,  -12],    [ -28,   99,    4],    [ -20,  -18,   42]],   [[  22,  -83,   61],    [  65,  116,   73],    [ -55,  -46,   38]]],  [[[  38,   50,   94],    [ -53,  112, -127],    [-108,  121,  113]],   [[ -51,  -92,  -47],    [-117,  100,   41],    [  22,  -65,   -7]]],  [[[ -79,   70,   -7],    [-120,  -63,   53],    [   5,  -32,  -63]],   [[-104,   28,   41],    [   5,  110,  109],    [ -75,   28,   33]]],  [[[ -64,  -51,   -3],    [  62,  -53,   57],    [  39,  -72,  -29]],   [[  84,   87,   40],    [-126,   47,  -70],    [  82,  105,  -18]]],  [[[ 117,   66,  -44],    [  97,  -29, -101],    [  24,   89,   40]],   [[ -27,  103,   -5],    [ -29,  -90,  -73],    [  51,   76,  -53]]],  [[[  33,   95,  -90],    [ -57,    6,   16],    [ -26,  -26,  -95]],   [[  29,  110,  -77],    [  76,  -82, -116],    [  63,  -81,   64]]],  [[[ -43,   17,  112],    [ 107,   -6,  -75],    [ -64,   89,   23]],   [[ -84,   98,  118],    [ 120,   32,  121],    [  27,    0,  120]]],  [[[  27,   73,  -41],    [  74,  121, -114],    [   9,  -33, -114]],   [[-106,  -59,  -78],    [  55,  -73,   32],    [  91,   -1,  -95]]],  [[[-111,  -52,  -22],    [  -2,  -50,   89],    [  17,  119,  111]],   [[  53, -121,  -73],    [  63,   11,  113],    [  53,   82, -114]]],  [[[ -52,   46,   34],    [ -34,  -87,   23],    [-105,   43,   77]],   [[  43, -111,    6],    [ -50,   14,   46],    [ -77, -118,   -1]]],  [[[  31,  -96,  108],    [  -5,  119,    9],    [  58,   70,   -1]],   [[ -27,   43, -123],    [  30,    7,  -89],    [ -75, -119,   62]]],  [[[  47,  -28,  116],    [ -30,  -49,  104],    [-107,  -27, -121]],   [[ -39,   58,  -39],    [  -2,   -5, -112],    [-104,  -51,   12]]],  [[[-109,  107,   91],    [  16,   59,   62],    [-125,  114, -115]],   [[  87,   85,   62],    [ -93,   80,  117],    [  82,   49,  -63]]],  [[[  14,   -5,   94],    [ -40,  -23,  -61],    [  -3,   18,  -10]],   [[ -46,   13,   30],    [ -85,   21,   53],    [-101,   30,  -15]]],  [[[ 110,  -28,  -47],    [  53,   94, -105],    [-100,  -84,  -40]],   [[   3,   17,  -24],    [  98,   42,  -85],    [ -43,  -77,  -77]]]], [[[[  88,  110,  -17],    [ -65,   85,  -90],    [ -92,  -56,  -34]],   [[ -41,  -56,  -70],    [  32,    9,   40],    [ 111,  111,  -95]]],  [[[  74,  -22,   82],    [  43, -113,   98],    [ 109,  127, -112]],   [[ -91,   33,   10],    [-104,   97,  -68],    [-114,   92,   23]]],  [[[-121,  -83,   97],    [  68,   94,  112],    [ -51,   10,  -33]],   [[-125,  -67, -111],    [ -98,  -21,  106],    [  89,   37,  -67]]],  [[[ -95,   43,   60],    [ -24,  -93,  -60],    [ 124,   52,   17]],   [[ -49,   92,  -33],    [ -13,   68,  -22],    [  -1, -120,   72]]],  [[[ -55,    4,   12],    [ -87,  -66,  -14],    [-102,   95,  -39]],   [[  17,  -90,  119],    [  -7, -127,  -39],    [ -41,  -67,   69]]],  [[[ 123,   47,  -80],    [  16,  -10,   42],    [  86,   96,   78]],   [[  47,  -12,   12],    [ -82,   16,    3],    [  42,   -9,  -45]]],  [[[   3,   43,  -78],    [  29,  -38,   73],    [  23,   -5, -118]],   [[-121,  -67,    9],    [  -6,   91,  -95],    [  36,  -28,   37]]],  [[[-104,  -28,  -92],    [ -37,  -78,   56],    [  45, -108,  -51]],   [[  93,  103,   96],    [ -98,  118,  -22],    [ -93,   55,  -98]]],  [[[-118,  100,  -98],    [ -25,   96,  -59],    [ -56,  -30,   67]],   [[  41,  -50,  -86],    [ -17,   -3,  -20],    [  41, -101,   56]]],  [[[  10, -124,   43],    [  79,  -35,  -17],    [  20,  -16,    4]],   [[  16,   25,  -56],    [-100,   99,  -12],    [ -73,  127,   11]]],  [[[ -44,  -85, -125],    [  30,   31,  102],    [ 121,   98, -112]],   [[ -93,   23,   32],    [ -74,  100,  112],    [ -76,   37,  -22]]],  [[[  15,   54,    1],    [  61,  -59,  -12],    [ -89,   35,  -28]],   [[  43,  121,  -37],    [  71,   39,   61],    [  20,  -60,   50]]],  [[[ -36,    3,   11],    [ -42,   -5,  -17],    [ -60,  108,  109]],   [[ -80,  -40,  -90],    [ -81, -124,  -32],    [  90,  -76,  125]]],  [[[  88,  -67, -126],    [ -60,  -20,  -77],    [  41,   26,   61]],   [[  -4,   16,   82],    [  25,  -74,   96],    [  96,   15,   -9]]],  [[[  36,   79,   71],    [  77,  -57,  105],    [-120,    0,  -19]],   [[  28,   37,   16],    [-112,  -79,    6],    [   0,  -75,  109]]],  [[[ -89,  104,   33],    [-122,  -31,   42],    [ -86,  -44,   92]],   [[ -93,  112,  -92],    [ -18,   75, -115],    [ 117,   29,    5]]]]]> : tensor<2x16x2x3x3xi8>
  %r = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x2x18x18xi8>, tensor<2x16x2x3x3xi8>) outs(%y : tensor<1x2x16x16x16xi32>) -> tensor<1x2x16x16x16xi32>
  return %r : tensor<1x2x16x16x16xi32>
}

// -----

// A single filter stays on the right: the kernel packs no activations for
// one row of A (packing would not pay).
// CHECK-LABEL: func.func @single_filter
// CHECK: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
func.func @single_filter(%x: tensor<1x2x18x18xi8>, %y: tensor<1x1x16x16xi32>) -> tensor<1x1x16x16xi32> {
  %w = arith.constant dense<3> : tensor<1x2x3x3xi8>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x18x18xi8>, tensor<1x2x3x3xi8>) outs(%y : tensor<1x1x16x16xi32>) -> tensor<1x1x16x16xi32>
  return %r : tensor<1x1x16x16xi32>
}
