// RUN: agn-opt %s -split-input-file --agn-vnni-matmuls | FileCheck %s

// A layout op of constant weights left unfolded (written by hand, no
// canonicalization): agn-vnni-matmuls folds it, and the kernel reads the
// packed constants.
// CHECK-LABEL: func.func @constant_weights
// CHECK-NOT: agn_x86.pack_vnni
// CHECK-DAG: arith.constant dense<"0x{{.*}}"> : tensor<1x2x256xi8>
// CHECK-NOT: vector.interleave
// CHECK: agn_x86.usdot
// CHECK-NOT: agn_x86.vnni_matmul
func.func @constant_weights(%a: tensor<4x8xi8>, %init: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %w = arith.constant dense<3> : tensor<8x16xi8>
  %p, %c = agn_x86.pack_vnni %w : tensor<8x16xi8> -> tensor<1x2x256xi8>, tensor<1x64xi32>
  %r = agn_x86.vnni_matmul %a, %p, %c into %init : tensor<4x8xi8>, tensor<1x2x256xi8>, tensor<1x64xi32> into tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// -----

// A layout op no kernel reads packs every panel in one loop, each panel
// inserted into the whole packed tensors.
// CHECK-LABEL: func.func @pack_only
// CHECK: %[[LOOP:.*]]:2 = scf.for %[[PANEL:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK:   vector.interleave
// CHECK:   tensor.insert_slice %{{.*}} into %{{.*}}[%[[PANEL]], 0, 0] [1, 2, 256] [1, 1, 1] : tensor<2x256xi8> into tensor<2x2x256xi8>
// CHECK:   tensor.insert_slice %{{.*}} into %{{.*}}[%[[PANEL]], 0] [1, 64] [1, 1] : tensor<64xi32> into tensor<2x64xi32>
// CHECK: return %[[LOOP]]#0, %[[LOOP]]#1
func.func @pack_only(%w: tensor<8x100xi8>) -> (tensor<2x2x256xi8>, tensor<2x64xi32>) {
  %p, %c = agn_x86.pack_vnni %w : tensor<8x100xi8> -> tensor<2x2x256xi8>, tensor<2x64xi32>
  return %p, %c : tensor<2x2x256xi8>, tensor<2x64xi32>
}
