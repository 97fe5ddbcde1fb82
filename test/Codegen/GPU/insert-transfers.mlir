// RUN: agn-opt %s --pass-pipeline="builtin.module(func.func(agn-gpu-insert-transfers))" | FileCheck %s

// The kernel reads %a, writes %c and reads a strided view %v: each gets a
// device buffer; %a and %v are copied in, %c out (not in: it is only
// written); %v goes through a contiguous host copy; the constant the body
// uses moves into it.

// CHECK-LABEL: func.func @transfers
// CHECK-SAME: (%[[A:.*]]: memref<8xf32>, %[[C:.*]]: memref<8xf32>, %[[B:.*]]: memref<8x2xf32>)
// CHECK: %[[V:.*]] = memref.subview %[[B]]
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK: %[[DA:.*]], %[[T1:.*]] = gpu.alloc async [%[[T0]]] () : memref<8xf32>
// CHECK: %[[T2:.*]] = gpu.memcpy async [%[[T1]]] %[[DA]], %[[A]]
// CHECK: %[[HV:.*]] = memref.alloc() : memref<8xf32>
// CHECK: memref.copy %[[V]], %[[HV]]
// CHECK: %[[DV:.*]], %[[T3:.*]] = gpu.alloc async [%[[T2]]] () : memref<8xf32>
// CHECK: %[[T4:.*]] = gpu.memcpy async [%[[T3]]] %[[DV]], %[[HV]]
// CHECK: %[[DC:.*]], %[[T5:.*]] = gpu.alloc async [%[[T4]]] () : memref<8xf32>
// CHECK-NEXT: gpu.wait [%[[T5]]]
// CHECK: gpu.launch
// CHECK: arith.constant 2.0
// CHECK: memref.load %[[DA]]
// CHECK: memref.load %[[DV]]
// CHECK: memref.store %{{.*}}, %[[DC]]
// CHECK: %[[U0:.*]] = gpu.wait async
// CHECK: %[[U1:.*]] = gpu.memcpy async [%[[U0]]] %[[C]], %[[DC]]
// CHECK: gpu.dealloc async [%[[U1]]] %[[DA]]
// CHECK: gpu.dealloc async
// CHECK: gpu.dealloc async
// CHECK: gpu.wait [%{{.*}}]
// CHECK: memref.dealloc %[[HV]]
func.func @transfers(%a: memref<8xf32>, %c: memref<8xf32>, %b: memref<8x2xf32>) {
  %one = arith.constant 1 : index
  %eight = arith.constant 8 : index
  %two = arith.constant 2.0 : f32
  %v = memref.subview %b[0, 1] [8, 1] [1, 1] : memref<8x2xf32> to memref<8xf32, strided<[2], offset: 1>>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %one, %gy = %one, %gz = %one)
             threads(%tx, %ty, %tz) in (%sx = %eight, %sy = %one, %sz = %one) {
    %x = memref.load %a[%tx] : memref<8xf32>
    %y = memref.load %v[%tx] : memref<8xf32, strided<[2], offset: 1>>
    %s = arith.addf %x, %y : f32
    %p = arith.mulf %s, %two : f32
    memref.store %p, %c[%tx] : memref<8xf32>
    gpu.terminator
  }
  return
}
