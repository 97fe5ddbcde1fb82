// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels | FileCheck %s --check-prefix=CONFIG
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels=signed-dot-rows=2 --agn-vnni-pack --agn-vnni-matmuls --canonicalize --cse | FileCheck %s
// RUN: not agn-opt %s -split-input-file --agn-cpu-configure-kernels=signed-dot-rows=0 2>&1 | FileCheck %s --check-prefix=ROWS
// RUN: not agn-opt %s -split-input-file --agn-cpu-configure-kernels=signed-dot-i4-rows=0 2>&1 | FileCheck %s --check-prefix=I4ROWS
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64-v3 --agn-cpu-configure-kernels=signed-dot=false | FileCheck %s --check-prefix=OFF
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=x86-64 --agn-cpu-configure-kernels | FileCheck %s --check-prefix=NOAVX2
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=skylake-avx512 --agn-cpu-configure-kernels | FileCheck %s --check-prefix=AVX512

// ROWS: agn-cpu-configure-kernels: 'signed-dot-rows' must be at least 1, got 0
// I4ROWS: agn-cpu-configure-kernels: 'signed-dot-i4-rows' must be at least 1, got 0

// On a target with AVX2 and no VNNI (x86-64-v3), an i8 matmul whose constant
// weights hold no -128 (agn's quantized weights are in [-127, 127]) gets the
// `signed_dot` kernel: the VNNI kernel's packed panels and loops, each step
// an agn_x86.sdot of A as it is (no sign flip) and the panel, the
// accumulators starting at C (no sign-flip correction).

// CONFIG-LABEL: func.func @constant_weights
// CONFIG: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = signed_dot, tile_sizes = [1, 64, 4]>}

// Not with `signed-dot=false`, nor on targets without AVX2 (x86-64), nor on
// those with AVX-512F (without VNNI; the kernel is measured against 256-bit
// integer tiles only): the integer register tiles.
// OFF-LABEL: func.func @constant_weights
// OFF: #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 16, 1]>
// NOAVX2-LABEL: func.func @constant_weights
// NOAVX2: #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 16, 1]>
// AVX512-LABEL: func.func @constant_weights
// AVX512: #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 64, 1]>

// CHECK-LABEL: func.func @constant_weights
// CHECK-SAME: (%[[A:.*]]: tensor<?x8xi8>, %[[C:.*]]: tensor<?x2xi32>)
// CHECK-DAG: %[[PANELS:.*]] = arith.constant dense<"0x0103050702040608{{(00)+}}090B0D0F0A0C0E10{{(00)+}}"> : tensor<1x2x256xi8>
// CHECK: scf.for %[[M:.*]] = %c0 to %{{.*}} step %c2 iter_args(%[[C1:.*]] = %[[C]])
// CHECK-NOT: tensor<1x64xi32>
// CHECK: %[[INIT:.*]] = vector.transfer_read %[[C1]][%[[M]], %c0], %{{.*}} : tensor<?x2xi32>, vector<16xi32>
// CHECK: scf.for %[[G:.*]] = %c0 to %c2 step %c1 iter_args(%[[ACC:.*]] = %[[INIT]],
// CHECK: %[[B0:.*]] = vector.transfer_read %[[PANELS]][%c0, %[[G]], %c0]
// CHECK: %[[K:.*]] = arith.muli %[[G]], %c4
// CHECK: %[[BYTES:.*]] = vector.transfer_read %{{.*}}[%[[M]], %[[K]]], %{{.*}} {in_bounds = [true]} : tensor<?x8xi8>, vector<4xi8>
// CHECK: %[[WORD:.*]] = vector.bitcast %[[BYTES]] : vector<4xi8> to vector<1xi32>
// CHECK: %[[SCALAR:.*]] = vector.extract %[[WORD]][0]
// CHECK-NOT: arith.xori
// CHECK: %[[SPLAT:.*]] = vector.broadcast %[[SCALAR]] : i32 to vector<16xi32>
// CHECK: %[[LHS:.*]] = vector.bitcast %[[SPLAT]] : vector<16xi32> to vector<64xi8>
// CHECK: agn_x86.sdot %[[ACC]], %[[LHS]], %[[B0]] : vector<64xi8> into vector<16xi32>
// CHECK-NOT: agn_x86.usdot
// CHECK-NOT: agn_x86.vnni_matmul
func.func @constant_weights(%a: tensor<?x8xi8>, %c: tensor<?x2xi32>) -> tensor<?x2xi32> {
  %b = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12], [13, 14], [15, 16]]> : tensor<8x2xi8>
  %r = linalg.matmul ins(%a, %b : tensor<?x8xi8>, tensor<8x2xi8>) outs(%c : tensor<?x2xi32>) -> tensor<?x2xi32>
  return %r : tensor<?x2xi32>
}

// -----

// Weights that hold -128 (vpsignb cannot negate it; a splat and one value
// among others) and weights computed at run time (whose values are not
// known) keep the integer register tiles; i4 weights (-8 to 7, widened to
// bytes) take the kernel.
// CONFIG-LABEL: func.func @others
// CONFIG: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 16, 1]>} ins(%{{.*}}, %{{.*}} : tensor<4x8xi8>, tensor<8x16xi8>)
// CONFIG: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 16, 1]>} ins(%{{.*}}, %{{.*}} : tensor<4x8xi8>, tensor<8x2xi8>)
// CONFIG: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 16, 1]>} ins(%{{.*}}, %{{.*}} : tensor<4x8xi8>, tensor<8x16xi8>)
// CONFIG: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = signed_dot, tile_sizes = [1, 64, 4]>} ins(%{{.*}}, %{{.*}} : tensor<4x8xi8>, tensor<8x16xi4>)
// CHECK-LABEL: func.func @others
// CHECK: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles
// CHECK: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles
// CHECK: linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles
// CHECK: agn_x86.sdot
func.func @others(%a: tensor<4x8xi8>, %b: tensor<8x16xi8>, %c: tensor<4x16xi32>, %c2: tensor<4x2xi32>)
    -> (tensor<4x16xi32>, tensor<4x2xi32>, tensor<4x16xi32>, tensor<4x16xi32>) {
  %min = arith.constant dense<-128> : tensor<8x16xi8>
  %r0 = linalg.matmul ins(%a, %min : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  %one = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, -128], [9, 10], [11, 12], [13, 14], [15, 16]]> : tensor<8x2xi8>
  %r3 = linalg.matmul ins(%a, %one : tensor<4x8xi8>, tensor<8x2xi8>) outs(%c2 : tensor<4x2xi32>) -> tensor<4x2xi32>
  %r1 = linalg.matmul ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  %w4 = arith.constant dense<-8> : tensor<8x16xi4>
  %r2 = linalg.matmul ins(%a, %w4 : tensor<4x8xi8>, tensor<8x16xi4>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r0, %r3, %r1, %r2 : tensor<4x16xi32>, tensor<4x2xi32>, tensor<4x16xi32>, tensor<4x16xi32>
}

// -----

// The block-scaled i4 kernel (agn-multiversion's i4 matmul, here its kernel
// op written by hand) with a `signed_dot` config: the partial sums start at
// 0 (no sign-flip correction is read), A is read as it is, each packed byte
// is unpacked into its two nibbles' values by arithmetic shifts of bytes
// (the low one moved up by a 16-bit shift first), and the sums are
// converted without the usdot kernel's shift by 4.
// CHECK-LABEL: func.func @blocked
// CHECK-SAME: %[[P:[^:]*]]: tensor<2x2x2x256xi8>
// CHECK-DAG: %[[NIBBLE:.*]] = arith.constant dense<4> : vector<64xi8>
// CHECK-DAG: %[[ZERO:.*]] = arith.constant dense<0> : vector<16xi32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]])
// CHECK: %[[BYTES:.*]] = vector.transfer_read %[[P]]
// CHECK: %[[WORDS:.*]] = vector.bitcast %[[BYTES]] : vector<64xi8> to vector<32xi16>
// CHECK: %[[UP:.*]] = arith.shli %[[WORDS]]
// CHECK: %[[UPBYTES:.*]] = vector.bitcast %[[UP]] : vector<32xi16> to vector<64xi8>
// CHECK: %[[LOW16:.*]] = arith.andi %[[UPBYTES]]
// CHECK: %[[HIGH:.*]] = arith.shrsi %[[BYTES]], %[[NIBBLE]] : vector<64xi8>
// CHECK: %[[LOW:.*]] = arith.shrsi %[[LOW16]], %[[NIBBLE]] : vector<64xi8>
// CHECK-NOT: arith.xori
// CHECK: %[[LO:.*]] = agn_x86.sdot %{{.*}}, %{{.*}}, %[[LOW]]
// CHECK: agn_x86.sdot %[[LO]], %{{.*}}, %[[HIGH]]
// CHECK-NOT: tensor<2x2x64xi32>
// CHECK-NOT: arith.shrsi %{{.*}} : vector<16xi32>
// CHECK: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
func.func @blocked(%a: tensor<?x2x16xi8>, %p: tensor<2x2x2x256xi8>, %c: tensor<2x2x64xi32>,
                   %sa: tensor<?xf32>, %sw: tensor<2x70xf32>, %init: tensor<?x70xf32>) -> tensor<?x70xf32> {
  %r = agn_x86.vnni_blocked_matmul %a, %p, %c, %sa, %sw into %init {agn.lowering_config = #agn.lowering_config<kernel = signed_dot, tile_sizes = [1, 64, 8]>}
      : tensor<?x2x16xi8>, tensor<2x2x2x256xi8>, tensor<2x2x64xi32>, tensor<?xf32>, tensor<2x70xf32> into tensor<?x70xf32>
  return %r : tensor<?x70xf32>
}

// -----

// Weights computed at run time take the kernel when they are bytes
// sign-extended from i4 by an elementwise linalg.generic (as
// agn-split-batch-matmuls widens attention's i4 values); any other
// computation (here the widened value plus one, which could be -128 if it
// wrapped) keeps the register tiles.
// CONFIG-LABEL: func.func @widened_weights
// CONFIG: #agn.lowering_config<kernel = signed_dot, tile_sizes = [1, 64, 4]>} ins(%{{.*}}, %[[WIDE:.*]] : tensor<4x8xi8>, tensor<8x16xi8>)
// CONFIG: #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 16, 1]>} ins(%{{.*}}, %{{.*}} : tensor<4x8xi8>, tensor<8x16xi8>)
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @widened_weights(%a: tensor<4x8xi8>, %w: tensor<8x16xi4>, %c: tensor<4x16xi32>) -> (tensor<4x16xi32>, tensor<4x16xi32>) {
  %e = tensor.empty() : tensor<8x16xi8>
  %wide = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<8x16xi4>) outs(%e : tensor<8x16xi8>) {
  ^bb0(%x: i4, %out: i8):
    %y = arith.extsi %x : i4 to i8
    linalg.yield %y : i8
  } -> tensor<8x16xi8>
  %r0 = linalg.matmul ins(%a, %wide : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  %plus = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<8x16xi4>) outs(%e : tensor<8x16xi8>) {
  ^bb0(%x: i4, %out: i8):
    %y = arith.extsi %x : i4 to i8
    %one = arith.constant 1 : i8
    %z = arith.addi %y, %one : i8
    linalg.yield %z : i8
  } -> tensor<8x16xi8>
  %r1 = linalg.matmul ins(%a, %plus : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r0, %r1 : tensor<4x16xi32>, tensor<4x16xi32>
}
