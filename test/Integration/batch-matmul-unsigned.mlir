// An unsigned i8 batch matmul (cast_unsigned: 0xFF is 255) split into a
// loop of matmuls by agn-split-batch-matmuls (and agn-vnni-matmuls, which
// leaves unsigned ones alone) must keep zero-extending its operands: the
// same sums as linalg's loops (vectorize=false), 8 * 255 * 255 = 520200 in
// every element of batch 0 and 8 * 255 * 1 = 2040 in batch 1.
// RUN: agn-opt %s --agn-lower-to-llvm-pipeline=vectorize=false \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs | FileCheck %s
// RUN: agn-opt %s --agn-lower-to-llvm-pipeline=target-cpu=x86-64-v3 \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs | FileCheck %s
// RUN: agn-opt %s --agn-lower-to-llvm-pipeline=target-cpu=znver4 \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs | FileCheck %s
// RUN: agn-opt %s --agn-split-batch-matmuls | FileCheck %s --check-prefix=SPLIT

// SPLIT: linalg.matmul {cast = #linalg.type_fn<cast_unsigned>}
// SPLIT-NOT: linalg.batch_matmul

func.func private @printMemrefI32(memref<*xi32>) attributes {llvm.emit_c_interface}

func.func @bmm(%a: tensor<2x4x8xi8>, %b: tensor<2x8x16xi8>) -> tensor<2x4x16xi32> {
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<2x4x16xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<2x4x16xi32>) -> tensor<2x4x16xi32>
  %r = linalg.batch_matmul {cast = #linalg.type_fn<cast_unsigned>}
      ins(%a, %b : tensor<2x4x8xi8>, tensor<2x8x16xi8>) outs(%f : tensor<2x4x16xi32>) -> tensor<2x4x16xi32>
  return %r : tensor<2x4x16xi32>
}

func.func @main() {
  %a = arith.constant dense<-1> : tensor<2x4x8xi8>
  %b0 = arith.constant dense<-1> : tensor<1x8x16xi8>
  %b1 = arith.constant dense<1> : tensor<1x8x16xi8>
  %b = tensor.concat dim(0) %b0, %b1 : (tensor<1x8x16xi8>, tensor<1x8x16xi8>) -> tensor<2x8x16xi8>
  %r = call @bmm(%a, %b) : (tensor<2x4x8xi8>, tensor<2x8x16xi8>) -> tensor<2x4x16xi32>
  %u = tensor.cast %r : tensor<2x4x16xi32> to tensor<*xi32>
  %m = bufferization.to_buffer %u : tensor<*xi32> to memref<*xi32>
  call @printMemrefI32(%m) : (memref<*xi32>) -> ()
  return
}

// CHECK: sizes = [2, 4, 16]
// CHECK-NEXT: {{\[\[\[}}520200, 520200,
// CHECK: {{\[\[}}2040, 2040,
// CHECK-NOT: -
