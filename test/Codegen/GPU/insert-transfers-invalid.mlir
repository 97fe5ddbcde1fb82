// RUN: agn-opt %s --split-input-file --verify-diagnostics --pass-pipeline="builtin.module(agn-gpu-insert-transfers)"

// Two views of one host buffer, one of them written: separate device copies
// could not be merged back.
func.func @aliasing(%buffer: memref<8xf32>) {
  %one = arith.constant 1 : index
  %low = memref.subview %buffer[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %high = memref.subview %buffer[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  // expected-error @+1 {{agn-gpu-insert-transfers: the kernel uses two views of one host buffer and writes one of them}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %one, %gy = %one, %gz = %one)
             threads(%tx, %ty, %tz) in (%sx = %one, %sy = %one, %sz = %one) {
    %v = memref.load %low[%tx] : memref<4xf32, strided<[1]>>
    memref.store %v, %high[%tx] : memref<4xf32, strided<[1], offset: 4>>
    gpu.terminator
  }
  return
}

// -----

// The runtime's symbol taken by another function.
// expected-error @+1 {{symbol 'agn_gpu_constant' is reserved for agn's runtime function of type '(!llvm.ptr, i64) -> !llvm.ptr' (include/agn-c/GpuRuntime.h), which agn-gpu-insert-transfers calls; rename this symbol or declare it with that type}}
func.func private @agn_gpu_constant(i32)
memref.global "private" constant @weight_data : memref<4xf32> = dense<1.0>
func.func @weights(%out: memref<4xf32>) {
  %one = arith.constant 1 : index
  %w = memref.get_global @weight_data : memref<4xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %one, %gy = %one, %gz = %one)
             threads(%tx, %ty, %tz) in (%sx = %one, %sy = %one, %sz = %one) {
    %x = memref.load %w[%tx] : memref<4xf32>
    memref.store %x, %out[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}
