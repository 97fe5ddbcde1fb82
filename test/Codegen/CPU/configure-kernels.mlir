// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels | FileCheck %s --check-prefixes=CHECK,AVX512
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels | FileCheck %s --check-prefixes=CHECK,AVX2
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels="threads=2 k-block=0 float-tile-sizes=6,16,1" | FileCheck %s --check-prefix=OPTIONS
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels="threads=3 override-threads" | FileCheck %s --check-prefix=OVERRIDE

// The kernel of each contraction is decided from the module's target and
// written on the op; the kernel passes only carry it out. Float matmuls get
// register tiles sized for the target's vector registers.
// CHECK-LABEL: func.func @float_matmul
// AVX512: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], k_block = 32>}
// AVX2: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [6, 16, 1], k_block = 32>}
// OPTIONS-LABEL: func.func @float_matmul
// OPTIONS: #agn.lowering_config<kernel = register_tiles, tile_sizes = [6, 16, 1], threads = 2>
func.func @float_matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// i8 weights that are constants: VNNI where the target has it, the integer
// register tiles elsewhere.
// CHECK-LABEL: func.func @int8_matmul
// AVX512: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = vnni, tile_sizes = [4, 64, 4]>}
// AVX2: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 16, 1], k_block = 32>}
func.func @int8_matmul(%a: tensor<4x8xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %b = arith.constant dense<1> : tensor<8x16xi8>
  %r = linalg.matmul ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// -----

// f16 operands into f32 with 16 rows or more are widened to f32 first.
// CHECK-LABEL: func.func @half_matmul
// AVX512: #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], k_block = 32, widen_to_f32 = true>
func.func @half_matmul(%a: tensor<16x8xf16>, %b: tensor<8x16xf16>, %c: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<16x8xf16>, tensor<8x16xf16>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
  return %r : tensor<16x16xf32>
}

// -----

// A float matrix-vector product: a reassociated sum. An unsigned matmul and
// a batch matmul (split first by agn-split-batch-matmuls) get no config.
// CHECK-LABEL: func.func @others
// CHECK: linalg.matvec {agn.lowering_config = #agn.lowering_config<kernel = reassociated_sum>}
// CHECK: linalg.matmul {cast = #linalg.type_fn<cast_unsigned>} ins
// CHECK: linalg.batch_matmul ins
func.func @others(%m: tensor<4x8xf32>, %v: tensor<8xf32>, %o: tensor<4xf32>,
                  %a: tensor<4x8xi8>, %b: tensor<8x16xi8>, %c: tensor<4x16xi32>,
                  %ba: tensor<2x4x8xf32>, %bb: tensor<2x8x16xf32>, %bc: tensor<2x4x16xf32>)
    -> (tensor<4xf32>, tensor<4x16xi32>, tensor<2x4x16xf32>) {
  %r0 = linalg.matvec ins(%m, %v : tensor<4x8xf32>, tensor<8xf32>) outs(%o : tensor<4xf32>) -> tensor<4xf32>
  %r1 = linalg.matmul {cast = #linalg.type_fn<cast_unsigned>} ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  %r2 = linalg.batch_matmul ins(%ba, %bb : tensor<2x4x8xf32>, tensor<2x8x16xf32>) outs(%bc : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  return %r0, %r1, %r2 : tensor<4xf32>, tensor<4x16xi32>, tensor<2x4x16xf32>
}

// -----

// Convolutions: an im2col matmul with the filter on the right from 32
// filters, on the left below; direct loops for depthwise ones.
// CHECK-LABEL: func.func @convolutions
// CHECK: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
// CHECK: linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col>
// CHECK: linalg.conv_2d_ngchw_gfchw {agn.lowering_config = #agn.lowering_config<kernel = direct>
func.func @convolutions(%x: tensor<1x8x10x10xf32>, %w32: tensor<32x8x3x3xf32>, %y32: tensor<1x32x8x8xf32>,
                        %w8: tensor<8x8x3x3xf32>, %y8: tensor<1x8x8x8xf32>,
                        %xg: tensor<1x8x1x10x10xf32>, %wg: tensor<8x1x1x3x3xf32>, %yg: tensor<1x8x1x8x8xf32>)
    -> (tensor<1x32x8x8xf32>, tensor<1x8x8x8xf32>, tensor<1x8x1x8x8xf32>) {
  %r0 = linalg.conv_2d_nchw_fchw ins(%x, %w32 : tensor<1x8x10x10xf32>, tensor<32x8x3x3xf32>) outs(%y32 : tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32>
  %r1 = linalg.conv_2d_nchw_fchw ins(%x, %w8 : tensor<1x8x10x10xf32>, tensor<8x8x3x3xf32>) outs(%y8 : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %r2 = linalg.conv_2d_ngchw_gfchw ins(%xg, %wg : tensor<1x8x1x10x10xf32>, tensor<8x1x1x3x3xf32>) outs(%yg : tensor<1x8x1x8x8xf32>) -> tensor<1x8x1x8x8xf32>
  return %r0, %r1, %r2 : tensor<1x32x8x8xf32>, tensor<1x8x8x8xf32>, tensor<1x8x1x8x8xf32>
}

// -----

// A config written by hand pins the strategy: the pass keeps it, `threads`
// included, unless `override-threads` asks for the option's threads (then
// only kernels that split into threads change, and nothing else does).
// CHECK-LABEL: func.func @pinned
// CHECK: #agn.lowering_config<kernel = register_tiles, tile_sizes = [2, 8, 1]>
// CHECK: #agn.lowering_config<kernel = im2col, filter_on_right = true>
// OPTIONS-LABEL: func.func @pinned
// OPTIONS: #agn.lowering_config<kernel = register_tiles, tile_sizes = [2, 8, 1]>
// OVERRIDE-LABEL: func.func @pinned
// OVERRIDE: #agn.lowering_config<kernel = register_tiles, tile_sizes = [2, 8, 1], threads = 3>
// OVERRIDE: #agn.lowering_config<kernel = im2col, filter_on_right = true>
func.func @pinned(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>,
                  %x: tensor<1x2x8x8xf32>, %f: tensor<4x2x3x3xf32>, %y: tensor<1x4x6x6xf32>)
    -> (tensor<4x16xf32>, tensor<1x4x6x6xf32>) {
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [2, 8, 1]>}
      ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  %s = linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>}
      ins(%x, %f : tensor<1x2x8x8xf32>, tensor<4x2x3x3xf32>) outs(%y : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %r, %s : tensor<4x16xf32>, tensor<1x4x6x6xf32>
}

// -----

// Transposed operands (the importer's Gemm transB) keep the register tiles:
// loops 0 and 1 are M and N whatever the maps.
// CHECK-LABEL: func.func @transposed_b
// AVX512: #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], k_block = 32>
// AVX2: #agn.lowering_config<kernel = register_tiles, tile_sizes = [6, 16, 1], k_block = 32>
func.func @transposed_b(%a: tensor<4x8xf32>, %bt: tensor<16x8xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %bt : tensor<4x8xf32>, tensor<16x8xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}
