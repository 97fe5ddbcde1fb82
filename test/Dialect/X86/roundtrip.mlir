// RUN: agn-opt %s | FileCheck %s
// RUN: agn-opt %s | agn-opt | FileCheck %s
// RUN: agn-opt %s --mlir-print-op-generic | agn-opt | FileCheck %s

// CHECK-LABEL: func.func @usdot
func.func @usdot(%acc: vector<16xi32>, %a: vector<64xi8>, %b: vector<64xi8>,
                 %acc4: vector<4xi32>, %a4: vector<16xi8>) -> (vector<16xi32>, vector<4xi32>) {
  // CHECK: agn_x86.usdot %{{.*}}, %{{.*}}, %{{.*}} : vector<64xi8> into vector<16xi32>
  %r = agn_x86.usdot %acc, %a, %b : vector<64xi8> into vector<16xi32>
  // CHECK: agn_x86.usdot %{{.*}}, %{{.*}}, %{{.*}} : vector<16xi8> into vector<4xi32>
  %r4 = agn_x86.usdot %acc4, %a4, %a4 : vector<16xi8> into vector<4xi32>
  return %r, %r4 : vector<16xi32>, vector<4xi32>
}

// CHECK-LABEL: func.func @layouts
func.func @layouts(%w: tensor<10x70xi8>, %w4: tensor<10x70xi4>, %b: tensor<2x16x70xi4>)
    -> (tensor<2x3x256xi8>, tensor<2x64xi32>, tensor<2x3x256xi8>, tensor<2x64xi32>, tensor<2x2x2x256xi8>, tensor<2x2x64xi32>) {
  // CHECK: agn_x86.pack_vnni %{{.*}} : tensor<10x70xi8> -> tensor<2x3x256xi8>, tensor<2x64xi32>
  %p, %c = agn_x86.pack_vnni %w : tensor<10x70xi8> -> tensor<2x3x256xi8>, tensor<2x64xi32>
  // CHECK: agn_x86.pack_vnni %{{.*}} : tensor<10x70xi4> -> tensor<2x3x256xi8>, tensor<2x64xi32>
  %p4, %c4 = agn_x86.pack_vnni %w4 : tensor<10x70xi4> -> tensor<2x3x256xi8>, tensor<2x64xi32>
  // CHECK: agn_x86.pack_vnni_blocked %{{.*}} : tensor<2x16x70xi4> -> tensor<2x2x2x256xi8>, tensor<2x2x64xi32>
  %pb, %cb = agn_x86.pack_vnni_blocked %b : tensor<2x16x70xi4> -> tensor<2x2x2x256xi8>, tensor<2x2x64xi32>
  return %p, %c, %p4, %c4, %pb, %cb : tensor<2x3x256xi8>, tensor<2x64xi32>, tensor<2x3x256xi8>, tensor<2x64xi32>, tensor<2x2x2x256xi8>, tensor<2x2x64xi32>
}

// CHECK-LABEL: func.func @kernels
func.func @kernels(%a: tensor<?x10xi8>, %p: tensor<2x3x256xi8>, %c: tensor<2x64xi32>, %init: tensor<?x70xi32>,
                   %a4: tensor<?x2x16xi8>, %pb: tensor<2x2x2x256xi8>, %cb: tensor<2x2x64xi32>,
                   %sa: tensor<?xf32>, %s: tensor<f32>, %sw: tensor<2x70xf32>, %finit: tensor<?x70xf32>)
    -> (tensor<?x70xi32>, tensor<?x70xf32>, tensor<?x70xf32>) {
  // CHECK: agn_x86.vnni_matmul %{{.*}}, %{{.*}}, %{{.*}} into %{{.*}} {agn.lowering_config = #agn.lowering_config<kernel = vnni, tile_sizes = [2, 64, 4]>} : tensor<?x10xi8>, tensor<2x3x256xi8>, tensor<2x64xi32> into tensor<?x70xi32>
  %r = agn_x86.vnni_matmul %a, %p, %c into %init {agn.lowering_config = #agn.lowering_config<kernel = vnni, tile_sizes = [2, 64, 4]>}
      : tensor<?x10xi8>, tensor<2x3x256xi8>, tensor<2x64xi32> into tensor<?x70xi32>
  // CHECK: agn_x86.vnni_blocked_matmul %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} into %{{.*}} : tensor<?x2x16xi8>, tensor<2x2x2x256xi8>, tensor<2x2x64xi32>, tensor<?xf32>, tensor<2x70xf32> into tensor<?x70xf32>
  %f = agn_x86.vnni_blocked_matmul %a4, %pb, %cb, %sa, %sw into %finit
      : tensor<?x2x16xi8>, tensor<2x2x2x256xi8>, tensor<2x2x64xi32>, tensor<?xf32>, tensor<2x70xf32> into tensor<?x70xf32>
  // CHECK: agn_x86.vnni_blocked_matmul {{.*}} : tensor<?x2x16xi8>, tensor<2x2x2x256xi8>, tensor<2x2x64xi32>, tensor<f32>, tensor<2x70xf32> into tensor<?x70xf32>
  %g = agn_x86.vnni_blocked_matmul %a4, %pb, %cb, %s, %sw into %finit
      : tensor<?x2x16xi8>, tensor<2x2x2x256xi8>, tensor<2x2x64xi32>, tensor<f32>, tensor<2x70xf32> into tensor<?x70xf32>
  return %r, %f, %g : tensor<?x70xi32>, tensor<?x70xf32>, tensor<?x70xf32>
}

// CHECK-LABEL: func.func @sdot
func.func @sdot(%acc: vector<16xi32>, %a: vector<64xi8>, %b: vector<64xi8>) -> vector<16xi32> {
  // CHECK: agn_x86.sdot %{{.*}}, %{{.*}}, %{{.*}} : vector<64xi8> into vector<16xi32>
  %r = agn_x86.sdot %acc, %a, %b : vector<64xi8> into vector<16xi32>
  return %r : vector<16xi32>
}
