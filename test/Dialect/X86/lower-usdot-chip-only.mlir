// RUN: agn-opt %s --agn-lower-usdot | FileCheck %s

// A target written with a chip only has that chip's features (the same
// query as the kernel configuration's): znver4 has AVX512-VNNI.
// CHECK-LABEL: func.func @usdot
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
module attributes {llvm.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "znver4">} {
  func.func @usdot(%acc: vector<16xi32>, %a: vector<64xi8>, %b: vector<64xi8>) -> vector<16xi32> {
    %r = agn_x86.usdot %acc, %a, %b : vector<64xi8> into vector<16xi32>
    return %r : vector<16xi32>
  }
}
