// RUN: agn-opt %s --pass-pipeline="builtin.module(agn-gpu-insert-transfers)" | FileCheck %s

// The kernel reads %a, writes %c and reads a strided view %v: each gets a
// device buffer, copied in (%c too: the copy out writes all of it back, and
// what the kernel does not write must come back unchanged); %c is copied
// out; %v goes through a contiguous host copy; the constant the body uses
// moves into it.

// The runtime function @weights (below) calls, declared once, first.
// CHECK: func.func private @agn_gpu_constant(!llvm.ptr, i64) -> !llvm.ptr

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
// CHECK-NEXT: %[[T6:.*]] = gpu.memcpy async [%[[T5]]] %[[DC]], %[[C]]
// CHECK-NEXT: gpu.wait [%[[T6]]]
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

// A constant global the kernel only reads (weights) is copied once per
// process by the runtime, which returns the same device copy every call: no
// gpu.alloc or copy per launch, a descriptor around the device pointer.

// CHECK-LABEL: func.func @weights
// CHECK: %[[W:.*]] = memref.get_global @weight_data : memref<2x4xf32>
// CHECK: %[[ADDRESS:.*]] = memref.extract_aligned_pointer_as_index %[[W]]
// CHECK: %[[I64:.*]] = arith.index_cast %[[ADDRESS]] : index to i64
// CHECK: %[[PTR:.*]] = llvm.inttoptr %[[I64]] : i64 to !llvm.ptr
// CHECK: %[[BYTES:.*]] = arith.constant 32 : i64
// CHECK: %[[DEVICE:.*]] = call @agn_gpu_constant(%[[PTR]], %[[BYTES]]) : (!llvm.ptr, i64) -> !llvm.ptr
// CHECK: llvm.insertvalue %[[DEVICE]], %{{.*}}[0]
// CHECK: llvm.insertvalue %[[DEVICE]], %{{.*}}[1]
// CHECK: %[[VIEW:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<2x4xf32>
// CHECK-NOT: gpu.memcpy {{.*}} %[[W]]
// CHECK: gpu.launch
// CHECK: memref.load %[[VIEW]]
memref.global "private" constant @weight_data : memref<2x4xf32> = dense<1.0>
func.func @weights(%out: memref<2x4xf32>) {
  %one = arith.constant 1 : index
  %w = memref.get_global @weight_data : memref<2x4xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %one, %gy = %one, %gz = %one)
             threads(%tx, %ty, %tz) in (%sx = %one, %sy = %one, %sz = %one) {
    %x = memref.load %w[%tx, %ty] : memref<2x4xf32>
    memref.store %x, %out[%tx, %ty] : memref<2x4xf32>
    gpu.terminator
  }
  return
}

// A buffer the body passes on (arith.select) is copied in and out: the
// analysis cannot tell what is done with it. Two views of one buffer, one
// written, are an error (tested in insert-transfers-invalid.mlir).

// CHECK-LABEL: func.func @select
// CHECK: %[[DX:.*]], %{{.*}} = gpu.alloc async
// CHECK-NEXT: gpu.memcpy async {{.*}} %[[DX]], %arg0
// CHECK: %[[DY:.*]], %{{.*}} = gpu.alloc async
// CHECK-NEXT: gpu.memcpy async {{.*}} %[[DY]], %arg1
// CHECK: gpu.launch
// CHECK: arith.select %{{.*}}, %[[DX]], %[[DY]]
// CHECK: gpu.memcpy async {{.*}} %arg0, %[[DX]]
// CHECK: gpu.memcpy async {{.*}} %arg1, %[[DY]]
func.func @select(%x: memref<4xf32>, %y: memref<4xf32>, %flag: i1) {
  %one = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %one, %gy = %one, %gz = %one)
             threads(%tx, %ty, %tz) in (%sx = %one, %sy = %one, %sz = %one) {
    %m = arith.select %flag, %x, %y : memref<4xf32>
    %v = memref.load %m[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}
