// RUN: agn-opt %s --agn-lower-to-llvm-pipeline -o %t.mlir
// RUN: not --crash %mlir_runner %t.mlir -e main -entry-point-result=void -shared-libs=%shlibs
// RUN: agn-opt %s --agn-lower | FileCheck %s

// A dynamic size along the block axis that the block does not divide is
// caught at run time (cf.assert: a message through puts, then abort) instead
// of reading out of bounds. The message does not reach the pipe before the
// abort, so the test checks for the abort and, in the IR, for the check.

// CHECK: cf.assert %{{.*}}, "agn: block size 4 does not divide the size of dimension 0"
func.func @quantize(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %q, %s = agn.quantize %x axis 0 block 4 : tensor<?x2xf32> -> tensor<?x2xi8>, tensor<?x2xf32>
  return %s : tensor<?x2xf32>
}

func.func @main() {
  %x = arith.constant dense<1.0> : tensor<6x2xf32>
  %xd = tensor.cast %x : tensor<6x2xf32> to tensor<?x2xf32>
  %s = func.call @quantize(%xd) : (tensor<?x2xf32>) -> tensor<?x2xf32>
  return
}
