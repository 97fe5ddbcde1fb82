// Integer NCHW convolutions whose filter the `signed_dot` kernel takes on
// the left of the im2col matmul (AVX2 without VNNI): the product is written
// NCHW (no i32 transpose), and since the activations, now the packed
// operand, may hold -128, agn_x86.sdot gets the filter (without -128) as
// its right operand. Run against the same convolutions lowered to loops
// (vectorize=false); integer sums are exact, so the check is equality.
// The input has a channel of -128 only and a row of 127; the i8 filter a
// filter of 127 and one of -127 only (16-bit pair sums of 128 x 127 x 2 =
// 32512, the most vpmaddubsw meets), the i4 filter (widened to bytes at
// compile time) one of -8 and one of 7; the rest is uniform random. Shapes:
// C = 3 (K = 27, padded to 28), F = 5 rows, a 16x16 plane (four whole
// panels of 64 pixels, split between two threads in the last run).
//
// RUN: agn-opt %s --agn-lower-to-llvm-pipeline="target-cpu=x86-64-v3 vectorize=false" \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs | grep -v '^Unranked' > %t.reference
// RUN: FileCheck %s --check-prefix=VALUES < %t.reference
// RUN: agn-opt %s --agn-lower-to-llvm-pipeline=target-cpu=x86-64-v3 \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs | grep -v '^Unranked' > %t.left
// RUN: diff %t.reference %t.left
// The filter on the right (the product transposed), as before:
// RUN: agn-opt %s --agn-lower-to-llvm-pipeline="target-cpu=x86-64-v3 signed-dot-filter-on-left=false" \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs | grep -v '^Unranked' > %t.right
// RUN: diff %t.reference %t.right
// Two threads (OpenMP, -O3):
// RUN: agn-opt %s --agn-lower-to-llvm-pipeline="target-cpu=x86-64-v3 threads=2" \
// RUN: | %mlir_runner -O3 -e main -entry-point-result=void -shared-libs=%shlibs_threads | grep -v '^Unranked' > %t.threads
// RUN: diff %t.reference %t.threads
// The kernels, before their lowering to LLVM:
// RUN: agn-opt %s --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels=threads=2 \
// RUN:   --agn-vectorize-convolutions --agn-cpu-configure-kernels=threads=2 --agn-vnni-pack \
// RUN:   --agn-vnni-matmuls --mlir-elide-elementsattrs-if-larger=32 | FileCheck %s --check-prefix=IR

// The reference's first and last values (the products are not all zero).
// VALUES: [
// VALUES: ]]]]

// Each convolution: the widened filter ([F, C KH KW] bytes, constant) on the
// left of the im2col copy ([C KH KW, OH OW]), no transpose of the product;
// the activations packed a panel at a time inside the kernel, with no column
// sums (signed_dot reads no correction); the packed activations on sdot's
// left, the broadcast filter bytes on its right.
// IR-LABEL: func.func @conv_i8
// IR: arith.constant {{.*}} : tensor<5x27xi8>
// IR-NOT: linalg.transpose
// IR-NOT: arith.extsi
// IR: scf.forall
// IR: %[[COLUMN:.*]] = vector.transfer_read {{.*}} : tensor<7x256xi8>, vector<64xi8>
// IR: %[[FILTER:.*]] = vector.bitcast {{.*}} : vector<16xi32> to vector<64xi8>
// IR-NEXT: agn_x86.sdot %{{.*}}, %[[COLUMN]], %[[FILTER]]
// IR-LABEL: func.func @conv_i4
// IR: arith.constant {{.*}} : tensor<5x27xi8>
// IR-NOT: linalg.transpose
// IR: agn_x86.sdot

func.func private @printMemrefI32(memref<*xi32>) attributes {llvm.emit_c_interface}

func.func @input() -> tensor<1x3x18x18xi8> {
  %x = arith.constant dense<[[[[-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128],   [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128]],  [[  80,   87,   23, -100,   63,   26,  104,   -6,  -84,   24,  -12,   40,  -32,  -50,  -96,  118,   65,   -9],   [ -68,   32,  -23,   34, -105,  -81,   60, -113,   45,  -23, -128,   67,   51,   80,  101,   58,   87, -100],   [ 107,  105,   49,   77,   61,   96,   99,    5,   80,  106,  -52, -117,  -85, -121,  -17, -123,  -62,  -64],   [ 127,  127,  127,  127,  127,  127,  127,  127,  127,  127,  127,  127,  127,  127,  127,  127,  127,  127],   [  17,  112,   91,    9,   36,   79,  -17,   40,  -73,   28,  -68,  -80,   66,   19,  -32, -118,  -68,   77],   [  -9,  117,  102,   90, -124, -116,   20,  -42,   87,  -47,  -89, -100,  -51,   32,  -96,   76,  -51,  -48],   [  41,   92,  -17,   76,  -50,  -95,   84,   68,   64,   97,   -1,  -78,   21,   18,  -30,   35,  -61,   27],   [  75, -104,  -12,   41, -115,   33,  105,   82,   47,   77,  -36,  -45, -107,   56,  -48,   94,   -9,  100],   [ -93,  -87,  -40, -122,   -3,   38,   41,  -74,  -86,   16,   34,  113,  101,  -31,  -87,  -64,   97,  -12],   [ 126,   40,   24, -103,   23,  -31,   87,  -94,  -79,   41,   46,   84,    6,  -32,  -50,  -33,   41,   10],   [ -53,  -73,   53,  -65,  -75,  -44,   90,  -11,   24, -108,  -40,   64,   69,   20,   96,  -52,  -86, -109],   [ -77,   67,  103,  -95,    0,  -94,   88,  -95,   35, -108,   60,  104,   59,  -60,   87,  -50,   64,   85],   [  -4,   30,   90,  -81, -123,  -17,  -82,   98,   93,  -32,  -49,   53,  -12, -104,   41,   58, -111,   70],   [   8,   83,   89,   44,  -43,  -34,   57, -112,  -69,    4,  113,   65,   80,  -80,  -57,  -60,   63,    9],   [ -74,   63,   35,  101,   15,  -96,   99,  -81, -114,   76,  -13,   36,  -95,   56,  -25,  127,   34,  112],   [  74,   87, -106,   70,   26,  -27,  -49,   36,  -78,  -81,   95,   66,   23,   65,  -46,   56,  -76,  -15],   [ -91,  -32,  -41,  -21,   -7, -120,  -41,   88,  -18,   10, -102,  -29,  120,   12, -123,   56,   69,  -31],   [-120,   84,  -64,  107,  -35,  -29,   75,  -93, -121,   66,  109,  126,  -96,  -91,  -42,   54,  105,   83]],  [[ -33,  107,  -63,  -97,  -17, -105,   45,  124, -101,  -99,  -83,  -83,    8,   19,  115,  -14,  109,   64],   [  90,  -80,  -12,  106,   64,  -73,   88,   68,  -91, -111,  -62,   -7,  -89, -120, -100,  -48,  -29,  -49],   [ -14,   56,  -65,  -12,   58, -114,  112,  126,  -54,   99,  -64,  106,   40,  -65, -113,  -28,   62,  -70],   [   3,  -97,  -20, -120,  124,    0,   87,  -97,  -86,  -83,   17,   92,   27,   -5,  113,  -81,  -86,   43],   [  90,  -60,  -62,    6,   71,  -56,   82,    4,   52,   32,   -5,    9,  126,  -27,  113,   74,  -82,   95],   [ -30,  -83,  -64,  -94,  -42, -100,   11,  122,  118,  113,  -66,  -69,   45,  120,   83,  -75,   60,    1],   [ -15,   -1,   11,  106,   74, -118,   67,  -48,  -42,   25,  123, -112,    3,  -68,  105,   -9,   90,   97],   [-103,   66,   74,   84,  124,   66,   85,   53,  -53,   89,   51,   46,  121,   60,  -42,  -51,  -45,  -86],   [-108,   65,   72,  -86,  -28,  107,   86,   24,  120,  -44,   88,  111,   23,  -89,  -53,    3,  -57, -105],   [ -85,  119,  -31,   19,  -16,   77, -103,  -56,   21,   77,  -10,   51,   77,   36,   81,  115,  -73,  -18],   [ -71,  -22, -128,   49,  -68,   85,   56,  -43,  -12,   43,  -22,  -75, -117,   13,    8,   68,  -95, -112],   [  60,   58,   76, -125,   39,  117,   67,   -9,   -7,  -24, -114,   56,    9,    5,  110,   59,  117, -107],   [ 115,   16,  -26,   14, -119,  110,   33, -118,  105,  -13,  -98,   33, -111,   12,   66, -110,   74,   23],   [ -46,  -72, -126,  -78,  -56,   96,    3,  -78,   62,  -12,   85,   64,  110,   53, -101,   13,  -20,   78],   [ -89,   -9,   83,   30, -119,   81,  -35,   45,   39,   36,  -22,  -25, -103,   14,  -54,  -27,  -86,   62],   [ 108,  -31,  -20,   -9, -110,   65,   97,    0, -113,  -42,  -88,   83,   76,  -31,  -32,   88, -106,   73],   [ 118,  -14,   65,   54,  101, -120,   52,  -29,   91,   92,  -55,   20,   -2,   14,   84,   42,   65,   45],   [ -64,   21,  -31,  -21, -100,  -82,  -41,  -54,   34,  -54,  -65,  -18,   17,  127,    2,  -38,  -46,  -14]]]]> : tensor<1x3x18x18xi8>
  return %x : tensor<1x3x18x18xi8>
}

func.func @conv_i8(%x: tensor<1x3x18x18xi8>) -> tensor<1x5x16x16xi32> {
  %w = arith.constant dense<[[[[ 127,  127,  127],   [ 127,  127,  127],   [ 127,  127,  127]],  [[ 127,  127,  127],   [ 127,  127,  127],   [ 127,  127,  127]],  [[ 127,  127,  127],   [ 127,  127,  127],   [ 127,  127,  127]]], [[[-127, -127, -127],   [-127, -127, -127],   [-127, -127, -127]],  [[-127, -127, -127],   [-127, -127, -127],   [-127, -127, -127]],  [[-127, -127, -127],   [-127, -127, -127],   [-127, -127, -127]]], [[[ -81,   59,   24],   [  81,   -2,  -14],   [ -65, -112,  -91]],  [[  47,   20,  -65],   [ -35,   37,  -30],   [ -31,  -59,   35]],  [[ 100,  -62,  -53],   [  -6,  -79,    6],   [  98,   33,  -86]]], [[[ -76, -108,  118],   [ -39,  -54,   92],   [ -49,  -68,  -62]],  [[ -26, -110,   36],   [ -20,  120,   69],   [ -29,   53,   78]],  [[ -78,  -87,  -93],   [-116,  -46,   75],   [  68,  -31,   -3]]], [[[  68,  108,  -56],   [  40,   24,   31],   [  77,   68,  -27]],  [[  64, -114,  -40],   [ -72,  -62,  102],   [ -16, -109,   -3]],  [[-110,  -91,  -30],   [ -15,  -68,   36],   [  -1,  -93,   82]]]]> : tensor<5x3x3x3xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x5x16x16xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x3x18x18xi8>, tensor<5x3x3x3xi8>) outs(%f : tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32>
  return %r : tensor<1x5x16x16xi32>
}

func.func @conv_i4(%x: tensor<1x3x18x18xi8>) -> tensor<1x5x16x16xi32> {
  %w = arith.constant dense<[[[[-8, -8, -8],   [-8, -8, -8],   [-8, -8, -8]],  [[-8, -8, -8],   [-8, -8, -8],   [-8, -8, -8]],  [[-8, -8, -8],   [-8, -8, -8],   [-8, -8, -8]]], [[[ 7,  7,  7],   [ 7,  7,  7],   [ 7,  7,  7]],  [[ 7,  7,  7],   [ 7,  7,  7],   [ 7,  7,  7]],  [[ 7,  7,  7],   [ 7,  7,  7],   [ 7,  7,  7]]], [[[ 7, -8,  6],   [-6, -7, -4],   [-3, -3, -8]],  [[ 5,  5,  2],   [ 6,  7,  7],   [-2,  1,  4]],  [[ 2,  4,  2],   [-2,  1, -5],   [ 7,  6,  1]]], [[[ 4, -3, -2],   [ 0, -4, -8],   [-2,  3, -4]],  [[ 3,  1, -2],   [ 3,  5,  7],   [ 4, -7, -3]],  [[ 0, -7, -2],   [-6,  0, -6],   [-4, -4,  7]]], [[[-1,  0,  6],   [-8, -4, -2],   [ 6,  3,  2]],  [[-2,  5, -6],   [-2, -3, -8],   [-7,  4,  7]],  [[-5, -7, -6],   [-8,  4, -8],   [ 2,  4, -5]]]]> : tensor<5x3x3x3xi4>
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x5x16x16xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x3x18x18xi8>, tensor<5x3x3x3xi4>) outs(%f : tensor<1x5x16x16xi32>) -> tensor<1x5x16x16xi32>
  return %r : tensor<1x5x16x16xi32>
}

func.func @print(%r: tensor<1x5x16x16xi32>) {
  %u = tensor.cast %r : tensor<1x5x16x16xi32> to tensor<*xi32>
  %m = bufferization.to_buffer %u : tensor<*xi32> to memref<*xi32>
  call @printMemrefI32(%m) : (memref<*xi32>) -> ()
  return
}

func.func @main() {
  %x = call @input() : () -> tensor<1x3x18x18xi8>
  %r8 = call @conv_i8(%x) : (tensor<1x3x18x18xi8>) -> tensor<1x5x16x16xi32>
  call @print(%r8) : (tensor<1x5x16x16xi32>) -> ()
  %r4 = call @conv_i4(%x) : (tensor<1x3x18x18xi8>) -> tensor<1x5x16x16xi32>
  call @print(%r4) : (tensor<1x5x16x16xi32>) -> ()
  return
}
