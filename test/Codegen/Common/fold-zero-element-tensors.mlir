// RUN: agn-opt %s --split-input-file --agn-fold-zero-element-tensors | FileCheck %s

// A pad and an elementwise op on an empty batch compute nothing.

// CHECK-LABEL: func.func @empty_batch
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<0x3x10x10xf32>
// CHECK-NEXT: return %[[E]]
func.func @empty_batch(%x: tensor<0x3x8x8xf32>) -> tensor<0x3x10x10xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<0x3x8x8xf32> to tensor<0x3x10x10xf32>
  %e = tensor.empty() : tensor<0x3x10x10xf32>
  %r = linalg.generic {
      indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>,
                       affine_map<(a, b, c, d) -> (a, b, c, d)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%p : tensor<0x3x10x10xf32>) outs(%e : tensor<0x3x10x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<0x3x10x10xf32>
  return %r : tensor<0x3x10x10xf32>
}

// -----

// A reduction of an empty input has elements (its init): it stays. So do
// ops with a non-empty result and ops of dynamic shape.

// CHECK-LABEL: func.func @kept
// CHECK: linalg.reduce
// CHECK: tensor.pad
// CHECK: return
func.func @kept(%x: tensor<0x4xf32>, %d: tensor<?x4xf32>)
    -> (tensor<4xf32>, tensor<?x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<4xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%init : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.reduce ins(%x : tensor<0x4xf32>) outs(%fill : tensor<4xf32>)
      dimensions = [0]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %p = tensor.pad %d low[0, 1] high[0, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<?x4xf32> to tensor<?x6xf32>
  return %sum, %p : tensor<4xf32>, tensor<?x6xf32>
}

// -----

// An op with memory effects runs even when its result is empty.

// CHECK-LABEL: func.func @effects
// CHECK: bufferization.to_tensor
func.func @effects(%m: memref<0x4xf32>) -> tensor<0x4xf32> {
  %t = bufferization.to_tensor %m restrict : memref<0x4xf32> to tensor<0x4xf32>
  return %t : tensor<0x4xf32>
}
