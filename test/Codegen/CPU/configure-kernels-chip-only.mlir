// RUN: agn-opt %s --agn-cpu-configure-kernels | FileCheck %s

// A target written with a chip only (features are optional in #llvm.target)
// has the features of that chip: znver4 has avx512vnni and avx512f.
// CHECK-LABEL: func.func @int8_matmul
// CHECK: #agn.lowering_config<kernel = vnni, tile_sizes = [4, 64, 4]>
// CHECK-LABEL: func.func @float_matmul
// CHECK: #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1]>
module attributes {llvm.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "znver4">} {
  func.func @int8_matmul(%a: tensor<4x8xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
    %b = arith.constant dense<1> : tensor<8x16xi8>
    %r = linalg.matmul ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
    return %r : tensor<4x16xi32>
  }
  func.func @float_matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
    %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
    return %r : tensor<4x16xf32>
  }
}
