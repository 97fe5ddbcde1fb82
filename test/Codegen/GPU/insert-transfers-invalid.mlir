// RUN: agn-opt %s --verify-diagnostics --pass-pipeline="builtin.module(agn-gpu-insert-transfers)"

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
