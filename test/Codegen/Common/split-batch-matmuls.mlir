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

// -----

// agn's blocked partial sums of a batched i4 product (two batch loops, i4
// weights computed at run time): the weights widened to bytes once, then a
// loop over the batch of unbatched products, each a loop over its blocks of
// i8 matmuls accumulating from zero.
// CHECK-LABEL: func.func @batched_blocked
// CHECK: %[[WIDE:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<1x3x2x8x16xi4>) outs(%{{.*}} : tensor<1x3x2x8x16xi8>)
// CHECK: arith.extsi %{{.*}} : i4 to i8
// CHECK: scf.for %[[B:[a-z0-9]+]] =
// CHECK: scf.for %[[H:[a-z0-9]+]] =
// CHECK: tensor.extract_slice %[[WIDE]][%[[B]], %[[H]], 0, 0, 0] [1, 1, 2, 8, 16]
// CHECK: scf.for %[[J:[a-z0-9]+]] =
// CHECK: linalg.fill
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<5x8xi8>, tensor<8x16xi8>) outs(%{{.*}} : tensor<5x16xi32>)
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, %[[J]]] [5, 16, 1]
// CHECK-NOT: agn.blocked_matmul
#ba = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d4, d5)>
#bw = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d5, d3)>
#bp = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>
func.func @batched_blocked(%a: tensor<1x3x5x2x8xi8>, %w: tensor<1x3x2x8x16xi4>) -> tensor<1x3x5x16x2xi32> {
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x3x5x16x2xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<1x3x5x16x2xi32>) -> tensor<1x3x5x16x2xi32>
  %r = linalg.generic {indexing_maps = [#ba, #bw, #bp], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<1x3x5x2x8xi8>, tensor<1x3x2x8x16xi4>) outs(%f : tensor<1x3x5x16x2xi32>)
      attrs = {agn.blocked_matmul = #agn.blocked_matmul<partial_sums, block_size = 8>} {
  ^bb0(%x: i8, %y: i4, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i4 to i32
    %m = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %m : i32
    linalg.yield %s : i32
  } -> tensor<1x3x5x16x2xi32>
  return %r : tensor<1x3x5x16x2xi32>
}

// -----

// Left alone: a batched blocked product with a config (which its kernel
// carries out) and one whose body zero-extends (not agn's).
// CHECK-LABEL: func.func @batched_blocked_kept
// CHECK-NOT: scf.for
// CHECK: agn.blocked_matmul<partial_sums
// CHECK: agn.blocked_matmul<partial_sums
#ka = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#kw = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4, d2)>
#kp = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
func.func @batched_blocked_kept(%a: tensor<3x5x2x8xi8>, %w: tensor<3x2x8x16xi4>, %f: tensor<3x5x16x2xi32>)
    -> (tensor<3x5x16x2xi32>, tensor<3x5x16x2xi32>) {
  %r = linalg.generic {indexing_maps = [#ka, #kw, #kp], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<3x5x2x8xi8>, tensor<3x2x8x16xi4>) outs(%f : tensor<3x5x16x2xi32>)
      attrs = {agn.blocked_matmul = #agn.blocked_matmul<partial_sums, block_size = 8>,
               agn.lowering_config = #agn.lowering_config<kernel = loops>} {
  ^bb0(%x: i8, %y: i4, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i4 to i32
    %m = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %m : i32
    linalg.yield %s : i32
  } -> tensor<3x5x16x2xi32>
  %u = linalg.generic {indexing_maps = [#ka, #kw, #kp], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<3x5x2x8xi8>, tensor<3x2x8x16xi4>) outs(%f : tensor<3x5x16x2xi32>)
      attrs = {agn.blocked_matmul = #agn.blocked_matmul<partial_sums, block_size = 8>} {
  ^bb0(%x: i8, %y: i4, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extui %y : i4 to i32
    %m = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %m : i32
    linalg.yield %s : i32
  } -> tensor<3x5x16x2xi32>
  return %r, %u : tensor<3x5x16x2xi32>, tensor<3x5x16x2xi32>
}

// -----

// On a target with AVX512-VNNI the batched blocked product is left alone
// too (its unbatched pieces would not be split there).
// CHECK-LABEL: func.func @batched_blocked_vnni
// CHECK-NOT: scf.for
// CHECK: agn.blocked_matmul<partial_sums
module attributes {llvm.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "znver4">} {
  func.func @batched_blocked_vnni(%a: tensor<3x5x2x8xi8>, %w: tensor<3x2x8x16xi4>, %f: tensor<3x5x16x2xi32>) -> tensor<3x5x16x2xi32> {
    %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4, d2)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
        ins(%a, %w : tensor<3x5x2x8xi8>, tensor<3x2x8x16xi4>) outs(%f : tensor<3x5x16x2xi32>)
        attrs = {agn.blocked_matmul = #agn.blocked_matmul<partial_sums, block_size = 8>} {
    ^bb0(%x: i8, %y: i4, %acc: i32):
      %xe = arith.extsi %x : i8 to i32
      %ye = arith.extsi %y : i4 to i32
      %m = arith.muli %xe, %ye : i32
      %s = arith.addi %acc, %m : i32
      linalg.yield %s : i32
    } -> tensor<3x5x16x2xi32>
    return %r : tensor<3x5x16x2xi32>
  }
}
