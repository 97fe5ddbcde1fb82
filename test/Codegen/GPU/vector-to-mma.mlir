// RUN: agn-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline="builtin.module(gpu.module(gpu.func(agn-gpu-vector-to-mma)))" | FileCheck %s

// A warp's 16 x 8 x 16 f16 -> f32 step becomes one mma.sync; the SIMT kernel
// beside it, all scalar arithmetic (which upstream's patterns reject), is
// left as it is.

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // CHECK-LABEL: gpu.func @mma
    // CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    // CHECK-NOT: vector.contract
    gpu.func @mma(%a: memref<16x16xf16>, %b: memref<16x8xf16>, %c: memref<16x8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %pa = arith.constant 0.0 : f16
      %pc = arith.constant 0.0 : f32
      %va = vector.transfer_read %a[%c0, %c0], %pa {in_bounds = [true, true]} : memref<16x16xf16>, vector<16x16xf16>
      %vb = vector.transfer_read %b[%c0, %c0], %pa {in_bounds = [true, true]} : memref<16x8xf16>, vector<16x8xf16>
      %vc = vector.transfer_read %c[%c0, %c0], %pc {in_bounds = [true, true]} : memref<16x8xf32>, vector<16x8xf32>
      %r = vector.contract {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                            iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
           %va, %vb, %vc : vector<16x16xf16>, vector<16x8xf16> into vector<16x8xf32>
      vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x8xf32>
      gpu.return
    }

    // CHECK-LABEL: gpu.func @simt
    // CHECK: arith.mulf
    // CHECK-NOT: nvgpu
    gpu.func @simt(%a: memref<4xf32>) kernel {
      %t = gpu.thread_id x
      %x = memref.load %a[%t] : memref<4xf32>
      %y = arith.mulf %x, %x : f32
      memref.store %y, %a[%t] : memref<4xf32>
      gpu.return
    }
  }
}
