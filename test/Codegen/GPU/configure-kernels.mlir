// RUN: agn-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline="builtin.module(func.func(agn-gpu-configure-kernels))" | FileCheck %s
// RUN: agn-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline="builtin.module(func.func(agn-gpu-configure-kernels{chip=sm_75 simt-tile-sizes=64,16 simt-block-threads=8,16}))" \
// RUN:   | FileCheck %s --check-prefix=TURING

// f16 and i8 matmuls whose sizes are multiples of the block tile and K step
// get tensor cores (sm_80 and later); f32, bf16 and ragged ones SIMT kernels.

// CHECK-LABEL: func.func @matmuls
// TURING-LABEL: func.func @matmuls
func.func @matmuls(%a16: tensor<128x64xf16>, %b16: tensor<64x64xf16>, %c32: tensor<128x64xf32>,
                   %a8: tensor<128x64xi8>, %b8: tensor<64x64xi8>, %ci: tensor<128x64xi32>,
                   %abf: tensor<128x64xbf16>, %bbf: tensor<64x64xbf16>,
                   %r16: tensor<100x64xf16>, %rc: tensor<100x64xf32>,
                   %af: tensor<128x64xf32>, %bf: tensor<64x64xf32>)
    -> (tensor<128x64xf32>, tensor<128x64xi32>, tensor<128x64xf32>, tensor<100x64xf32>, tensor<128x64xf32>) {
  // CHECK: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_mma_sync, tile_sizes = [64, 32, 16]>}
  // TURING: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [64, 16], block_threads = [8, 16]>}
  %0 = linalg.matmul ins(%a16, %b16 : tensor<128x64xf16>, tensor<64x64xf16>) outs(%c32 : tensor<128x64xf32>) -> tensor<128x64xf32>
  // CHECK: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_mma_sync, tile_sizes = [64, 32, 32]>}
  %zero = arith.constant 0 : i32
  %z = linalg.fill ins(%zero : i32) outs(%ci : tensor<128x64xi32>) -> tensor<128x64xi32>
  %1 = linalg.matmul ins(%a8, %b8 : tensor<128x64xi8>, tensor<64x64xi8>) outs(%z : tensor<128x64xi32>) -> tensor<128x64xi32>
  // CHECK: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [32, 32], block_threads = [16, 16]>}
  %2 = linalg.matmul ins(%abf, %bbf : tensor<128x64xbf16>, tensor<64x64xbf16>) outs(%c32 : tensor<128x64xf32>) -> tensor<128x64xf32>
  // CHECK: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [32, 32], block_threads = [16, 16]>}
  %3 = linalg.matmul ins(%r16, %b16 : tensor<100x64xf16>, tensor<64x64xf16>) outs(%rc : tensor<100x64xf32>) -> tensor<100x64xf32>
  // CHECK: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [32, 32], block_threads = [16, 16]>}
  %4 = linalg.matmul ins(%af, %bf : tensor<128x64xf32>, tensor<64x64xf32>) outs(%c32 : tensor<128x64xf32>) -> tensor<128x64xf32>
  return %0, %1, %2, %3, %4 : tensor<128x64xf32>, tensor<128x64xi32>, tensor<128x64xf32>, tensor<100x64xf32>, tensor<128x64xf32>
}

// -----

// mma.sync's s8 instruction multiplies signed values and saturates its sums
// where linalg's wrap. An i8 matmul runs SIMT when the two could differ: K *
// 128 * 128 past 2^31 - 1, an accumulator that does not start from zeros, or
// an unsigned matmul.

// CHECK-LABEL: func.func @i8_guards
func.func @i8_guards(%a: tensor<64x262144xi8>, %b: tensor<262144x32xi8>, %c: tensor<64x32xi32>,
                     %s: tensor<64x64xi8>, %t: tensor<64x32xi8>) -> (tensor<64x32xi32>, tensor<64x32xi32>, tensor<64x32xi32>) {
  %zero = arith.constant 0 : i32
  %z = linalg.fill ins(%zero : i32) outs(%c : tensor<64x32xi32>) -> tensor<64x32xi32>
  // CHECK: kernel = gpu_simt
  %0 = linalg.matmul ins(%a, %b : tensor<64x262144xi8>, tensor<262144x32xi8>) outs(%z : tensor<64x32xi32>) -> tensor<64x32xi32>
  // CHECK: kernel = gpu_simt
  %1 = linalg.matmul ins(%s, %t : tensor<64x64xi8>, tensor<64x32xi8>) outs(%c : tensor<64x32xi32>) -> tensor<64x32xi32>
  // CHECK: kernel = gpu_simt
  %2 = linalg.matmul {cast = #linalg.type_fn<cast_unsigned>} ins(%s, %t : tensor<64x64xi8>, tensor<64x32xi8>) outs(%z : tensor<64x32xi32>) -> tensor<64x32xi32>
  // (The same matmul, signed and from zeros, gets tensor cores.)
  // CHECK: kernel = gpu_mma_sync
  %3 = linalg.matmul ins(%s, %t : tensor<64x64xi8>, tensor<64x32xi8>) outs(%z : tensor<64x32xi32>) -> tensor<64x32xi32>
  return %0, %1, %2 : tensor<64x32xi32>, tensor<64x32xi32>, tensor<64x32xi32>
}

// -----

// A batched matmul (three parallel loops) gets a SIMT kernel; elementwise
// ops, reductions to one value and dynamic shapes stay on the host; a GPU
// config written by hand is kept, a CPU one replaced.

// CHECK-LABEL: func.func @others
func.func @others(%a: tensor<2x8x16xf32>, %b: tensor<2x16x4xf32>, %c: tensor<2x8x4xf32>,
                  %x: tensor<8x4xf32>, %s: tensor<f32>, %d: tensor<?x16xf32>, %e: tensor<16x4xf32>, %f: tensor<?x4xf32>)
    -> (tensor<2x8x4xf32>, tensor<8x4xf32>, tensor<f32>, tensor<?x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>) {
  // CHECK: linalg.batch_matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt
  %0 = linalg.batch_matmul ins(%a, %b : tensor<2x8x16xf32>, tensor<2x16x4xf32>) outs(%c : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  // CHECK: linalg.add ins
  // CHECK-NOT: agn.lowering_config
  %1 = linalg.add ins(%x, %x : tensor<8x4xf32>, tensor<8x4xf32>) outs(%x : tensor<8x4xf32>) -> tensor<8x4xf32>
  // CHECK: linalg.reduce
  %2 = linalg.reduce ins(%x : tensor<8x4xf32>) outs(%s : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %v = arith.addf %in, %acc : f32
      linalg.yield %v : f32
    }
  // CHECK: linalg.matmul ins
  %3 = linalg.matmul ins(%d, %e : tensor<?x16xf32>, tensor<16x4xf32>) outs(%f : tensor<?x4xf32>) -> tensor<?x4xf32>
  // CHECK: linalg.batch_matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [8, 4], block_threads = [2, 4]>}
  %4 = linalg.batch_matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [8, 4], block_threads = [2, 4]>}
      ins(%a, %b : tensor<2x8x16xf32>, tensor<2x16x4xf32>) outs(%c : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  // CHECK: linalg.batch_matmul {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [32, 32], block_threads = [16, 16]>}
  %5 = linalg.batch_matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1]>}
      ins(%a, %b : tensor<2x8x16xf32>, tensor<2x16x4xf32>) outs(%c : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<2x8x4xf32>, tensor<8x4xf32>, tensor<f32>, tensor<?x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>
}
