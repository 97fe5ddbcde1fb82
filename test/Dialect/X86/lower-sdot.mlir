// RUN: agn-opt %s --agn-set-target=cpu=x86-64-v3 --agn-lower-usdot | FileCheck %s --check-prefix=AVX2
// RUN: agn-opt %s --agn-set-target=cpu=x86-64 --agn-lower-usdot | FileCheck %s --check-prefix=PORTABLE
// RUN: agn-opt %s --agn-lower-usdot | FileCheck %s --check-prefix=PORTABLE

// On a target with AVX2, agn_x86.sdot on a multiple of 8 lanes becomes, per
// 256-bit half: |a| (llvm.intr.abs, not poison on -128: |-128| is the
// unsigned byte 128), vpsignb of b by a, vpmaddubsw of the two (exact pair
// sums while b holds no -128), vpmaddwd by ones, and an add. Other widths
// and other targets (or none) get portable arithmetic on sign-extended bytes.

// AVX2-LABEL: func.func @sdot
// AVX2-DAG: %[[ONES:.*]] = arith.constant dense<1> : vector<16xi16>
// AVX2: %[[A0:.*]] = vector.extract_strided_slice %arg1 {offsets = [0], sizes = [32], strides = [1]}
// AVX2: %[[B0:.*]] = vector.extract_strided_slice %arg2 {offsets = [0], sizes = [32], strides = [1]}
// AVX2: %[[ABS0:.*]] = "llvm.intr.abs"(%[[A0]]) <{is_int_min_poison = false}>
// AVX2: %[[SIGNED0:.*]] = llvm.call_intrinsic "llvm.x86.avx2.psign.b"(%[[B0]], %[[A0]])
// AVX2: %[[PAIRS0:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[ABS0]], %[[SIGNED0]]) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// AVX2: %[[QUADS0:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[PAIRS0]], %[[ONES]]) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// AVX2: %[[ACC0:.*]] = vector.extract_strided_slice %arg0 {offsets = [0], sizes = [8], strides = [1]}
// AVX2: %[[SUM0:.*]] = arith.addi %[[ACC0]], %[[QUADS0]] : vector<8xi32>
// AVX2: %[[R0:.*]] = vector.insert_strided_slice %[[SUM0]], %arg0 {offsets = [0], strides = [1]}
// AVX2: vector.extract_strided_slice %arg1 {offsets = [32], sizes = [32], strides = [1]}
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// AVX2: %[[SUM1:.*]] = arith.addi
// AVX2: %[[R1:.*]] = vector.insert_strided_slice %[[SUM1]], %[[R0]] {offsets = [8], strides = [1]}
// AVX2: arith.extsi %arg4 : vector<16xi8> to vector<16xi32>
// AVX2-NOT: agn_x86.sdot
// AVX2: return %[[R1]]

// PORTABLE-LABEL: func.func @sdot
// PORTABLE: %[[L:.*]] = arith.extsi %arg1 : vector<64xi8> to vector<64xi32>
// PORTABLE: %[[R:.*]] = arith.extsi %arg2 : vector<64xi8> to vector<64xi32>
// PORTABLE: %[[P:.*]] = arith.muli %[[L]], %[[R]] : vector<64xi32>
// PORTABLE: %[[P0:.*]] = vector.shuffle %[[P]], %[[P]] [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60]
// PORTABLE: %[[S0:.*]] = arith.addi %arg0, %[[P0]] : vector<16xi32>
// PORTABLE-NOT: llvm.call_intrinsic
// PORTABLE-NOT: agn_x86.sdot
func.func @sdot(%acc: vector<16xi32>, %a: vector<64xi8>, %b: vector<64xi8>,
                %acc4: vector<4xi32>, %a4: vector<16xi8>) -> (vector<16xi32>, vector<4xi32>) {
  %r = agn_x86.sdot %acc, %a, %b : vector<64xi8> into vector<16xi32>
  %r4 = agn_x86.sdot %acc4, %a4, %a4 : vector<16xi8> into vector<4xi32>
  return %r, %r4 : vector<16xi32>, vector<4xi32>
}
