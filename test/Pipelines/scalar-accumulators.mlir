// RUN: agn-opt %s --agn-lower-to-llvm-pipeline | FileCheck %s
// RUN: agn-opt %s '--agn-lower-to-llvm-pipeline=target-cpu=x86-64-v3' \
// RUN: | mlir-translate --mlir-to-llvmir \
// RUN: | opt -O3 -mtriple=x86_64-unknown-linux-gnu -mcpu=x86-64-v3 -S \
// RUN: | FileCheck %s --check-prefix=VEC

// The statistic's accumulators (0-d buffers) live on the stack, not on the
// heap: LLVM then keeps them in registers and vectorizes the reduction
// (measured: the 64x1024 variance from 0.18 ms to 0.004 ms, docs/Benchmarks.md).
// CHECK-LABEL: llvm.func @variance
// CHECK-NOT: llvm.call @{{malloc|_mlir_memref_to_llvm_alloc}}
// CHECK: llvm.alloca
// CHECK: llvm.alloca
// CHECK-NOT: llvm.call @{{malloc|_mlir_memref_to_llvm_alloc}}
// CHECK: llvm.return

// The reduction has a function of its own (agn-outline-loop-nests), which
// keeps its accumulators on its own stack: LLVM vectorizes it there.
// VEC: define internal {{.*}} @variance_nest{{[0-9]+}}(
// VEC-NOT: define
// VEC: fadd reassoc <4 x double>
func.func @variance(%x: tensor<64x1024xf32>) -> f32 {
  %v = agn.variance %x : tensor<64x1024xf32>
  return %v : f32
}
