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

// -----

// The i8 version of a batched product (as agn-multiversion writes it: the
// inputs sign-extended to the i32 sums) becomes a loop of i8 matmuls, which
// the VNNI kernels or the integer register tiles then take.
// CHECK-LABEL: func.func @sign_extended
// CHECK: scf.for
// CHECK: scf.for
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<128x128xi8>, tensor<128x32xi8>) outs(%{{.*}} : tensor<128x32xi32>)
// CHECK-NOT: linalg.generic
func.func @sign_extended(%p: tensor<1x12x128x128xi8>, %v: tensor<1x12x128x32xi8>, %c: tensor<1x12x128x32xi32>) -> tensor<1x12x128x32xi32> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<1x12x128x128xi8>, tensor<1x12x128x32xi8>) outs(%c : tensor<1x12x128x32xi32>) {
  ^bb0(%a: i8, %b: i8, %o: i32):
    %ea = arith.extsi %a : i8 to i32
    %eb = arith.extsi %b : i8 to i32
    %m = arith.muli %ea, %eb : i32
    %s = arith.addi %o, %m : i32
    linalg.yield %s : i32
  } -> tensor<1x12x128x32xi32>
  return %r : tensor<1x12x128x32xi32>
}

// -----

// Zero-extended inputs are not what a (signed) matmul computes: left alone.
// CHECK-LABEL: func.func @zero_extended
// CHECK: linalg.generic
// CHECK-NOT: linalg.matmul
func.func @zero_extended(%p: tensor<2x4x8xi8>, %v: tensor<2x8x16xi8>, %c: tensor<2x4x16xi32>) -> tensor<2x4x16xi32> {
  %r = linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<2x4x8xi8>, tensor<2x8x16xi8>) outs(%c : tensor<2x4x16xi32>) {
  ^bb0(%a: i8, %b: i8, %o: i32):
    %ea = arith.extui %a : i8 to i32
    %eb = arith.extui %b : i8 to i32
    %m = arith.muli %ea, %eb : i32
    %s = arith.addi %o, %m : i32
    linalg.yield %s : i32
  } -> tensor<2x4x16xi32>
  return %r : tensor<2x4x16xi32>
}
