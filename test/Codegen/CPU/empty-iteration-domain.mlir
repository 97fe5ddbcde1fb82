// RUN: agn-opt %s --split-input-file --pass-pipeline="builtin.module(agn-set-target{cpu=x86-64-v3},func.func(agn-cpu-configure-kernels,agn-vectorize-convolutions,agn-split-batch-matmuls,agn-cpu-configure-kernels,agn-vnni-pack,agn-vnni-matmuls,agn-vectorize-contractions))" | FileCheck %s

// Contractions with a loop of size 0 compute nothing: the kernel passes
// leave them alone (tiling them crashed in upstream's tile size
// computation; found by the ONNX importer's fuzzer).

// CHECK-LABEL: func.func @batch_matmul_zero_m
// CHECK: linalg.batch_matmul
// CHECK-NOT: lowering_config
func.func @batch_matmul_zero_m(%a: tensor<2x0x5xf32>, %b: tensor<2x5x3xf32>) -> tensor<2x0x3xf32> {
  %empty = tensor.empty() : tensor<2x0x3xf32>
  %c = arith.constant 0.0 : f32
  %fill = linalg.fill ins(%c : f32) outs(%empty : tensor<2x0x3xf32>) -> tensor<2x0x3xf32>
  %mm = linalg.batch_matmul ins(%a, %b : tensor<2x0x5xf32>, tensor<2x5x3xf32>) outs(%fill : tensor<2x0x3xf32>) -> tensor<2x0x3xf32>
  return %mm : tensor<2x0x3xf32>
}

// -----

// CHECK-LABEL: func.func @matmul_zero_k
// CHECK: linalg.matmul
// CHECK-NOT: lowering_config
func.func @matmul_zero_k(%a: tensor<4x0xf32>, %b: tensor<0x8xf32>, %c: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %mm = linalg.matmul ins(%a, %b : tensor<4x0xf32>, tensor<0x8xf32>) outs(%c : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %mm : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @conv_zero_batch
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-NOT: lowering_config
func.func @conv_zero_batch(%x: tensor<0x3x10x10xf32>, %w: tensor<4x3x3x3xf32>, %o: tensor<0x4x8x8xf32>) -> tensor<0x4x8x8xf32> {
  %c = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<0x3x10x10xf32>, tensor<4x3x3x3xf32>) outs(%o : tensor<0x4x8x8xf32>) -> tensor<0x4x8x8xf32>
  return %c : tensor<0x4x8x8xf32>
}
