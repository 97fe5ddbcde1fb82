// RUN: agn-opt %s --agn-lower-to-llvm-pipeline | FileCheck %s
// RUN: agn-opt %s --agn-lower-to-llvm-pipeline=cache-buffers=false \
// RUN: | FileCheck %s --check-prefix=MALLOC

// Buffers are allocated and freed through MLIR's generic functions, which
// agn's runtime implements with a cache that reuses them across calls;
// cache-buffers=false calls malloc and free.

// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
// CHECK-LABEL: llvm.func @two_steps
// CHECK: llvm.call @_mlir_memref_to_llvm_alloc
// CHECK: llvm.call @_mlir_memref_to_llvm_free
// CHECK-NOT: @malloc
// CHECK-NOT: @free

// MALLOC-NOT: _mlir_memref_to_llvm
// MALLOC-LABEL: llvm.func @two_steps
// MALLOC: llvm.call @malloc
// MALLOC: llvm.call @free
// MALLOC-NOT: _mlir_memref_to_llvm
func.func @two_steps(%x: tensor<256x256xf32>) -> tensor<256x256xf32> {
  %e = tensor.empty() : tensor<256x256xf32>
  %a = linalg.exp ins(%x : tensor<256x256xf32>) outs(%e : tensor<256x256xf32>) -> tensor<256x256xf32>
  // %a is not the result: its buffer is freed.
  %t = tensor.empty() : tensor<256x256xf32>
  %b = linalg.transpose ins(%a : tensor<256x256xf32>) outs(%t : tensor<256x256xf32>) permutation = [1, 0]
  return %b : tensor<256x256xf32>
}
