// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels="vnni-rows=2 threads=2" --agn-vnni-pack | FileCheck %s

// Constant weights: the layout op folds (packed at compile time), and the
// kernel op carries the matmul's config.
// CHECK-LABEL: func.func @constant_weights
// CHECK-DAG: %[[P:.*]] = arith.constant dense<"0x{{.*}}"> : tensor<1x2x256xi8>
// CHECK-DAG: %[[C:.*]] = arith.constant dense<{{.*}}> : tensor<1x64xi32>
// CHECK-NOT: agn_x86.pack_vnni
// CHECK: %[[R:.*]] = agn_x86.vnni_matmul %{{.*}}, %[[P]], %[[C]] into %{{.*}} {agn.lowering_config = #agn.lowering_config<kernel = vnni, tile_sizes = [2, 64, 4], threads = 2>} : tensor<?x8xi8>, tensor<1x2x256xi8>, tensor<1x64xi32> into tensor<?x16xi32>
// CHECK-NOT: linalg.matmul
// CHECK: return %[[R]]
func.func @constant_weights(%a: tensor<?x8xi8>, %init: tensor<?x16xi32>) -> tensor<?x16xi32> {
  %w = arith.constant dense<3> : tensor<8x16xi8>
  %r = linalg.matmul ins(%a, %w : tensor<?x8xi8>, tensor<8x16xi8>) outs(%init : tensor<?x16xi32>) -> tensor<?x16xi32>
  return %r : tensor<?x16xi32>
}

// -----

// Weights computed at run time: the layout op stays, for agn-vnni-matmuls
// to pack panel by panel; a dynamic K of A is cast to B's.
// CHECK-LABEL: func.func @argument_weights
// CHECK: %[[P:.*]], %[[C:.*]] = agn_x86.pack_vnni %{{.*}} : tensor<6x100xi8> -> tensor<2x2x256xi8>, tensor<2x64xi32>
// CHECK: %[[A:.*]] = tensor.cast %{{.*}} : tensor<?x?xi8> to tensor<?x6xi8>
// CHECK: agn_x86.vnni_matmul %[[A]], %[[P]], %[[C]] into %{{.*}} {agn.lowering_config = {{.*}}} : tensor<?x6xi8>, tensor<2x2x256xi8>, tensor<2x64xi32> into tensor<?x100xi32>
func.func @argument_weights(%a: tensor<?x?xi8>, %w: tensor<6x100xi8>, %init: tensor<?x100xi32>) -> tensor<?x100xi32> {
  %r = linalg.matmul ins(%a, %w : tensor<?x?xi8>, tensor<6x100xi8>) outs(%init : tensor<?x100xi32>) -> tensor<?x100xi32>
  return %r : tensor<?x100xi32>
}

// -----

// A dynamic N in C (B's N is static): C is cast to it and the result back.
// CHECK-LABEL: func.func @dynamic_n
// CHECK: %[[INIT:.*]] = tensor.cast %{{.*}} : tensor<?x?xi32> to tensor<?x16xi32>
// CHECK: %[[R:.*]] = agn_x86.vnni_matmul {{.*}} into %[[INIT]]
// CHECK: %[[BACK:.*]] = tensor.cast %[[R]] : tensor<?x16xi32> to tensor<?x?xi32>
// CHECK: return %[[BACK]]
func.func @dynamic_n(%a: tensor<?x8xi8>, %init: tensor<?x?xi32>) -> tensor<?x?xi32> {
  %w = arith.constant dense<3> : tensor<8x16xi8>
  %r = linalg.matmul ins(%a, %w : tensor<?x8xi8>, tensor<8x16xi8>) outs(%init : tensor<?x?xi32>) -> tensor<?x?xi32>
  return %r : tensor<?x?xi32>
}

// -----

// agn-multiversion's blocked i4 matmul: both ops become one kernel op on
// the blocked layout, with the partial sums' config.
// CHECK-LABEL: func.func @blocked_i4
// CHECK-DAG: %[[P:.*]] = arith.constant dense<"0x{{.*}}"> : tensor<1x2x2x256xi8>
// CHECK-DAG: %[[C:.*]] = arith.constant dense<{{.*}}> : tensor<1x2x64xi32>
// CHECK: agn_x86.vnni_blocked_matmul %{{.*}}, %[[P]], %[[C]], %{{.*}}, %{{.*}} into %{{.*}} {agn.lowering_config = #agn.lowering_config<kernel = vnni, tile_sizes = [2, 64, 8], threads = 2>} : tensor<?x2x16xi8>, tensor<1x2x2x256xi8>, tensor<1x2x64xi32>, tensor<?xf32>, tensor<2x32xf32> into tensor<?x32xf32>
// CHECK-NOT: linalg.generic
func.func @blocked_i4(%a: tensor<?x2x16xi8>, %sa: tensor<?xf32>, %sw: tensor<2x32xf32>, %init: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %a, %c0 : tensor<?x2x16xi8>
  %w = arith.constant dense<-3> : tensor<2x16x32xi4>
  %zero = arith.constant 0 : i32
  %pe = tensor.empty(%m) : tensor<?x32x2xi32>
  %pf = linalg.fill ins(%zero : i32) outs(%pe : tensor<?x32x2xi32>) -> tensor<?x32x2xi32>
  %partial = linalg.generic {indexing_maps = [affine_map<(m, n, j, t) -> (m, j, t)>, affine_map<(m, n, j, t) -> (j, t, n)>, affine_map<(m, n, j, t) -> (m, n, j)>],
                             iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x2x16xi8>, tensor<2x16x32xi4>) outs(%pf : tensor<?x32x2xi32>) attrs = {agn.blocked_matmul = #agn.blocked_matmul<partial_sums, block_size = 16>} {
  ^bb0(%x: i8, %y: i4, %out: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i4 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %out, %p : i32
    linalg.yield %s : i32
  } -> tensor<?x32x2xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, j) -> (m, n, j)>, affine_map<(m, n, j) -> (m)>, affine_map<(m, n, j) -> (j, n)>, affine_map<(m, n, j) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%partial, %sa, %sw : tensor<?x32x2xi32>, tensor<?xf32>, tensor<2x32xf32>) outs(%init : tensor<?x32xf32>) attrs = {agn.blocked_matmul = #agn.blocked_matmul<rescale, block_size = 16>} {
  ^bb0(%p: i32, %x: f32, %y: f32, %out: f32):
    %pf32 = arith.sitofp %p : i32 to f32
    %s = arith.mulf %x, %y : f32
    %t = arith.mulf %pf32, %s : f32
    %u = arith.addf %out, %t : f32
    linalg.yield %u : f32
  } -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

// Unconfigured matmuls (float ones here) are left alone.
// CHECK-LABEL: func.func @float_matmul
// CHECK: linalg.matmul
// CHECK-NOT: agn_x86
func.func @float_matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}
