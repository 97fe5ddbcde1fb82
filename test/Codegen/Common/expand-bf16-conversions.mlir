// RUN: agn-opt %s --agn-set-target=cpu=x86-64-v3 --agn-expand-bf16-conversions | FileCheck %s --check-prefix=EXPAND
// RUN: agn-opt %s --agn-expand-bf16-conversions | FileCheck %s --check-prefix=EXPAND
// RUN: agn-opt %s --agn-set-target=cpu=znver4 --agn-expand-bf16-conversions | FileCheck %s --check-prefix=KEEP

// Without hardware bf16 conversions (x86-64-v3, or no target), f32 -> bf16
// becomes integer arithmetic on the bit patterns: LLVM would otherwise call
// __truncsfbf2, which older C runtimes lack. znver4 has avx512bf16: the
// conversions stay for LLVM to select.
// EXPAND-LABEL: func.func @convert
// EXPAND-NOT: arith.truncf
// EXPAND: arith.bitcast {{.*}} : vector<16xf32> to vector<16xi32>
// EXPAND: arith.shrui
// EXPAND-NOT: arith.truncf
// KEEP-LABEL: func.func @convert
// KEEP: arith.truncf {{.*}} : vector<16xf32> to vector<16xbf16>
func.func @convert(%x: vector<16xf32>) -> vector<16xbf16> {
  %y = arith.truncf %x : vector<16xf32> to vector<16xbf16>
  return %y : vector<16xbf16>
}
