// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels | FileCheck %s --check-prefixes=CHECK,AVX512
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels | FileCheck %s --check-prefixes=CHECK,AVX2
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels="threads=2 k-block=0 float-tile-sizes=6,16,1" | FileCheck %s --check-prefix=OPTIONS
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels="threads=3 override-threads" | FileCheck %s --check-prefix=OVERRIDE
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels="threads=2" | FileCheck %s --check-prefix=TWO
// RUN: not agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels="k-block=-2" 2>&1 | FileCheck %s --check-prefix=BADKBLOCK
// BADKBLOCK: 'k-block' must be -1 (by size), 0 (off) or positive, got -2

// The kernel of each contraction is decided from the module's target and
// written on the op; the kernel passes only carry it out. Float matmuls get
// register tiles sized for the target's vector registers.
// CHECK-LABEL: func.func @float_matmul
// AVX512: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1]>}
// AVX2: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [6, 16, 1]>}
// OPTIONS-LABEL: func.func @float_matmul
// OPTIONS: #agn.lowering_config<kernel = register_tiles, tile_sizes = [6, 16, 1], threads = 2>
func.func @float_matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// i8 weights that are constants: VNNI where the target has it, the AVX2
// signed-dot kernel (weights without -128) on targets with AVX2 only
// (test/Codegen/X86/signed-dot.mlir has the other cases).
// CHECK-LABEL: func.func @int8_matmul
// AVX512: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = vnni, tile_sizes = [4, 64, 4]>}
// AVX2: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = signed_dot, tile_sizes = [1, 64, 4]>}
func.func @int8_matmul(%a: tensor<4x8xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %b = arith.constant dense<1> : tensor<8x16xi8>
  %r = linalg.matmul ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// -----

// f16 operands into f32 with 16 rows or more are widened to f32 first.
// CHECK-LABEL: func.func @half_matmul
// AVX512: #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], widen_to_f32 = true>
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
// AVX512: #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1]>
// AVX2: #agn.lowering_config<kernel = register_tiles, tile_sizes = [6, 16, 1]>
func.func @transposed_b(%a: tensor<4x8xf32>, %bt: tensor<16x8xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %bt : tensor<4x8xf32>, tensor<16x8xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// The K block by default: none while the columns of B a thread reads fit in
// 512 KiB (576 x 64 f32: 144 KiB), blocks of 32 rows beyond (2048 x 2048:
// 16 MiB; on two threads 8 MiB each), and dynamic sizes blocked. Split over
// two threads, 1024 x 128 f32 (512 KiB) fits on each, 1024 x 256 (1 MiB)
// does not, 512 KiB per thread.
// CHECK-LABEL: func.func @k_blocks
// AVX512: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1]>} ins(%{{.*}}, %{{.*}} : tensor<3136x576xf32>, tensor<576x64xf32>)
// AVX512: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], k_block = 32>} ins(%{{.*}}, %{{.*}} : tensor<256x2048xf32>, tensor<2048x2048xf32>)
// AVX512: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1]>} ins(%{{.*}}, %{{.*}} : tensor<16x1024xf32>, tensor<1024x128xf32>)
// AVX512: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], k_block = 32>} ins(%{{.*}}, %{{.*}} : tensor<16x1024xf32>, tensor<1024x256xf32>)
// AVX512: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], k_block = 32>} ins(%{{.*}}, %{{.*}} : tensor<?x?xf32>, tensor<?x?xf32>)
// OVERRIDE-LABEL: func.func @k_blocks
// OVERRIDE: k_block = 32, threads = 3>} ins(%{{.*}}, %{{.*}} : tensor<256x2048xf32>
// OVERRIDE: tile_sizes = [8, 32, 1], threads = 3>} ins(%{{.*}}, %{{.*}} : tensor<16x1024xf32>, tensor<1024x256xf32>)
func.func @k_blocks(%a: tensor<3136x576xf32>, %b: tensor<576x64xf32>, %c: tensor<3136x64xf32>,
                    %d: tensor<256x2048xf32>, %e: tensor<2048x2048xf32>, %f: tensor<256x2048xf32>,
                    %g: tensor<16x1024xf32>, %h: tensor<1024x128xf32>, %i: tensor<16x128xf32>,
                    %j: tensor<1024x256xf32>, %k: tensor<16x256xf32>,
                    %l: tensor<?x?xf32>, %m: tensor<?x?xf32>, %n: tensor<?x?xf32>)
    -> (tensor<3136x64xf32>, tensor<256x2048xf32>, tensor<16x128xf32>, tensor<16x256xf32>, tensor<?x?xf32>) {
  %r0 = linalg.matmul ins(%a, %b : tensor<3136x576xf32>, tensor<576x64xf32>) outs(%c : tensor<3136x64xf32>) -> tensor<3136x64xf32>
  %r1 = linalg.matmul ins(%d, %e : tensor<256x2048xf32>, tensor<2048x2048xf32>) outs(%f : tensor<256x2048xf32>) -> tensor<256x2048xf32>
  %r2 = linalg.matmul ins(%g, %h : tensor<16x1024xf32>, tensor<1024x128xf32>) outs(%i : tensor<16x128xf32>) -> tensor<16x128xf32>
  %r3 = linalg.matmul ins(%g, %j : tensor<16x1024xf32>, tensor<1024x256xf32>) outs(%k : tensor<16x256xf32>) -> tensor<16x256xf32>
  %r4 = linalg.matmul ins(%l, %m : tensor<?x?xf32>, tensor<?x?xf32>) outs(%n : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %r0, %r1, %r2, %r3, %r4 : tensor<3136x64xf32>, tensor<256x2048xf32>, tensor<16x128xf32>, tensor<16x256xf32>, tensor<?x?xf32>
}
// TWO-LABEL: func.func @k_blocks
// TWO: tile_sizes = [8, 32, 1], threads = 2>} ins(%{{.*}}, %{{.*}} : tensor<3136x576xf32>
// TWO: tile_sizes = [8, 32, 1], k_block = 32, threads = 2>} ins(%{{.*}}, %{{.*}} : tensor<256x2048xf32>
// TWO: tile_sizes = [8, 32, 1], threads = 2>} ins(%{{.*}}, %{{.*}} : tensor<16x1024xf32>, tensor<1024x128xf32>)
// TWO: tile_sizes = [8, 32, 1], threads = 2>} ins(%{{.*}}, %{{.*}} : tensor<16x1024xf32>, tensor<1024x256xf32>)
