// RUN: agn-opt %s --agn-lower-to-llvm-pipeline \
// RUN: | %mlir_runner -e main -entry-point-result=void -shared-libs=%shlibs \
// RUN: | FileCheck %s

// Two dispatches whose cases write into one tensor.empty from outside them,
// as two units' dispatches are after agn-lower and CSE (CSE merges the equal
// destinations). Both results are live at the end. Before
// agn-index-switch-to-if, One-Shot Bufferize gave both dispatches the same
// buffer, so the first result came back as the second (resnet18's
// adaptive pipeline pinned at f32 was 25 % off for that reason).

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}

func.func @print(%t: tensor<4xf32>) {
  %u = tensor.cast %t : tensor<4xf32> to tensor<*xf32>
  %m = bufferization.to_buffer %u : tensor<*xf32> to memref<*xf32>
  func.call @printMemrefF32(%m) : (memref<*xf32>) -> ()
  return
}

#id = affine_map<(d0) -> (d0)>

func.func @two_units(%level: index, %x: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4xf32>
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  // x + 1 at f32, 1 at i8.
  %a = agn.dispatch %level -> tensor<4xf32>
  case i8 {
    %f = linalg.fill ins(%one : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    agn.yield %f : tensor<4xf32>
  }
  case f32 {
    %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
        ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.addf %in, %one : f32
      linalg.yield %s : f32
    } -> tensor<4xf32>
    agn.yield %g : tensor<4xf32>
  }
  // x * 2 at f32, 2 at i8.
  %b = agn.dispatch %level -> tensor<4xf32>
  case i8 {
    %f = linalg.fill ins(%two : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    agn.yield %f : tensor<4xf32>
  }
  case f32 {
    %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
        ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %p = arith.mulf %in, %two : f32
      linalg.yield %p : f32
    } -> tensor<4xf32>
    agn.yield %g : tensor<4xf32>
  }
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}

func.func @main() {
  %x = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  // Levels print as ordinals: i8 = 1, f32 = 4.
  %i8 = arith.constant 1 : index
  %f32 = arith.constant 4 : index
  // CHECK: [2,  3,  4,  5]
  // CHECK: [2,  4,  6,  8]
  %a, %b = func.call @two_units(%f32, %x)
      : (index, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  func.call @print(%a) : (tensor<4xf32>) -> ()
  func.call @print(%b) : (tensor<4xf32>) -> ()
  // CHECK: [1,  1,  1,  1]
  // CHECK: [2,  2,  2,  2]
  %c, %d = func.call @two_units(%i8, %x)
      : (index, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  func.call @print(%c) : (tensor<4xf32>) -> ()
  func.call @print(%d) : (tensor<4xf32>) -> ()
  return
}
