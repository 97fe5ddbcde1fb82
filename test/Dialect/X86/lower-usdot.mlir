// RUN: agn-opt %s --agn-set-target=cpu=znver4 --agn-lower-usdot | FileCheck %s --check-prefix=VNNI
// RUN: agn-opt %s --agn-set-target=cpu=x86-64-v3 --agn-lower-usdot | FileCheck %s --check-prefix=PORTABLE
// RUN: agn-opt %s --agn-lower-usdot | FileCheck %s --check-prefix=PORTABLE

// On a target with AVX512-VNNI, 16 lanes become vpdpbusd; other widths (which the zmm
// intrinsic does not take) and everything on other targets (or none) become vector
// arithmetic: lane i adds the products 4i .. 4i+3, gathered by shuffles.

// VNNI-LABEL: func.func @usdot
// VNNI: %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%arg0, %arg1, %arg2) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// VNNI: arith.extui %arg4 : vector<8xi8> to vector<8xi32>
// VNNI-NOT: agn_x86.usdot
// VNNI: return %[[R]]

// PORTABLE-LABEL: func.func @usdot
// PORTABLE: %[[L:.*]] = arith.extui %arg1 : vector<64xi8> to vector<64xi32>
// PORTABLE: %[[R:.*]] = arith.extsi %arg2 : vector<64xi8> to vector<64xi32>
// PORTABLE: %[[P:.*]] = arith.muli %[[L]], %[[R]] : vector<64xi32>
// PORTABLE: %[[P0:.*]] = vector.shuffle %[[P]], %[[P]] [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60]
// PORTABLE: %[[S0:.*]] = arith.addi %arg0, %[[P0]] : vector<16xi32>
// PORTABLE: %[[P1:.*]] = vector.shuffle %[[P]], %[[P]] [1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61]
// PORTABLE: %[[S1:.*]] = arith.addi %[[S0]], %[[P1]] : vector<16xi32>
// PORTABLE: %[[P2:.*]] = vector.shuffle %[[P]], %[[P]] [2, 6, 10, 14, 18, 22, 26, 30, 34, 38, 42, 46, 50, 54, 58, 62]
// PORTABLE: %[[S2:.*]] = arith.addi %[[S1]], %[[P2]] : vector<16xi32>
// PORTABLE: %[[P3:.*]] = vector.shuffle %[[P]], %[[P]] [3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59, 63]
// PORTABLE: %[[S3:.*]] = arith.addi %[[S2]], %[[P3]] : vector<16xi32>
// PORTABLE: vector.shuffle %{{.*}} [0, 4]
// PORTABLE-NOT: agn_x86.usdot
// PORTABLE: return %[[S3]]
func.func @usdot(%acc: vector<16xi32>, %a: vector<64xi8>, %b: vector<64xi8>,
                 %acc2: vector<2xi32>, %a2: vector<8xi8>) -> (vector<16xi32>, vector<2xi32>) {
  %r = agn_x86.usdot %acc, %a, %b : vector<64xi8> into vector<16xi32>
  %r2 = agn_x86.usdot %acc2, %a2, %a2 : vector<8xi8> into vector<2xi32>
  return %r, %r2 : vector<16xi32>, vector<2xi32>
}
