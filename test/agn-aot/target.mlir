// agn-aot compiles for the module's llvm.target (here another x86 CPU than
// this one) and says which; a target LLVM cannot build is an error that
// names it.

// RUN: rm -rf %t && agn-aot %s --entry=scale -d %t | FileCheck %s
// CHECK: agn-aot: wrote {{.*}}scale.o and {{.*}}scale.h for x86_64-unknown-linux-gnu, cpu x86-64-v3

// --target-cpu replaces the module's target: the object is for that CPU.
// RUN: rm -rf %t.znver4 && agn-aot %s --entry=scale --target-cpu=znver4 -d %t.znver4 | FileCheck %s --check-prefix=ZNVER4
// ZNVER4: agn-aot: wrote {{.*}}scale.o and {{.*}}scale.h for {{.*}}, cpu znver4
// RUN: not agn-aot %s --entry=scale --target-cpu=pentium9 -d %t.znver4 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: unknown x86 CPU 'pentium9'

// RUN: sed 's/x86_64-unknown-linux-gnu/bogus-unknown-nowhere/' %s > %t.bogus.mlir
// RUN: not agn-aot %t.bogus.mlir --entry=scale -d %t 2>&1 | FileCheck %s --check-prefix=BOGUS
// BOGUS: agn-aot: error: cannot create a target machine for triple 'bogus-unknown-nowhere', chip 'x86-64-v3'

module attributes {llvm.target = #llvm.target<
    triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v3",
    features = #llvm.target_features<["+avx2", "+fma"]>>} {
  func.func @scale(%x: tensor<8xf32>) -> tensor<8xf32> {
    %0 = arith.addf %x, %x : tensor<8xf32>
    return %0 : tensor<8xf32>
  }
}
