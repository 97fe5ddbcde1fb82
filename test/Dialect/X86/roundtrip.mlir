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
