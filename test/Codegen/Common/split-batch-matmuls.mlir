// RUN: agn-opt %s -split-input-file --agn-split-batch-matmuls | FileCheck %s

// A batch matmul becomes a loop over the batch of rank-reduced matmuls; its
// config goes to the matmul in the loop.
// CHECK-LABEL: func.func @batch
// CHECK: scf.for
// CHECK: tensor.extract_slice {{.*}} : tensor<3x4x8xf32> to tensor<1x4x8xf32>
// CHECK: tensor.collapse_shape {{.*}} : tensor<1x4x8xf32> into tensor<4x8xf32>
// CHECK: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 16, 1]>}
// CHECK-NOT: linalg.batch_matmul
func.func @batch(%a: tensor<3x4x8xf32>, %b: tensor<3x8x16xf32>, %c: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
  %r = linalg.batch_matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 16, 1]>}
      ins(%a, %b : tensor<3x4x8xf32>, tensor<3x8x16xf32>) outs(%c : tensor<3x4x16xf32>) -> tensor<3x4x16xf32>
  return %r : tensor<3x4x16xf32>
}

// -----

// An unsigned integer batch matmul keeps zero-extending (its cast).
// CHECK-LABEL: func.func @unsigned
// CHECK: linalg.matmul {cast = #linalg.type_fn<cast_unsigned>}
func.func @unsigned(%a: tensor<2x4x8xi8>, %b: tensor<2x8x16xi8>, %c: tensor<2x4x16xi32>) -> tensor<2x4x16xi32> {
  %r = linalg.batch_matmul {cast = #linalg.type_fn<cast_unsigned>}
      ins(%a, %b : tensor<2x4x8xi8>, tensor<2x8x16xi8>) outs(%c : tensor<2x4x16xi32>) -> tensor<2x4x16xi32>
  return %r : tensor<2x4x16xi32>
}

// -----

// A batched contraction generic with a broadcast batch dimension (as agn's
// importer writes MatMul): loops over the batch around a matmul.
#lhs = affine_map<(b, m, n, k) -> (b, m, k)>
#rhs = affine_map<(b, m, n, k) -> (0, k, n)>
#out = affine_map<(b, m, n, k) -> (b, m, n)>
// CHECK-LABEL: func.func @broadcast
// CHECK: scf.for
// CHECK: linalg.matmul
// CHECK-NOT: linalg.generic
func.func @broadcast(%a: tensor<2x4x8xf32>, %b: tensor<1x8x16xf32>, %c: tensor<2x4x16xf32>) -> tensor<2x4x16xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<2x4x8xf32>, tensor<1x8x16xf32>) outs(%c : tensor<2x4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x4x16xf32>
  return %r : tensor<2x4x16xf32>
}
