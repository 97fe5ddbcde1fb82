// REQUIRES: ptxas
// The GPU pipeline down to PTX for every level's matmul, assembled by the
// CUDA toolkit's ptxas for sm_80 and sm_90 (format=bin runs ptxas inside
// gpu-module-to-binary); no GPU is needed.

// RUN: agn-opt %s --split-input-file --agn-lower-to-nvvm-pipeline="format=isa" | FileCheck %s
// RUN: agn-opt %s --split-input-file --agn-lower-to-nvvm-pipeline="format=bin chip=sm_80" | FileCheck %s --check-prefix=BIN
// RUN: agn-opt %s --split-input-file --agn-lower-to-nvvm-pipeline="format=bin chip=sm_90" | FileCheck %s --check-prefix=BIN
// The f16 tensor-core kernel spills no registers.
// RUN: agn-opt %s --split-input-file --agn-lower-to-nvvm-pipeline="format=isa" -o %t.mlir
// RUN: %PYTHON %S/Inputs/extract-ptx.py %t.mlir %t.ptx
// RUN: %ptxas --gpu-name sm_80 -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS

// PTXAS: Compiling entry function 'f16_kernel' for 'sm_80'
// PTXAS: 0 bytes spill stores, 0 bytes spill loads

// Each kernel went through ptxas (ISAToBinaryTimeInMs) into a cubin (ELF).
// BIN-COUNT-4: gpu.binary @{{[a-z0-9]+}}_kernel {{ *}}[#gpu.object<#nvvm.target<O = 3, chip = "sm_{{80|90}}", features = "+ptx80">, properties = {ISAToBinaryTimeInMs = {{.*}} bin = "\7FELF

// Host side: a device buffer per operand, copies in and out, the launch,
// through the mgpu* functions of agn's GPU runtime.
// CHECK-LABEL: llvm.func @f16(
// CHECK: llvm.call @mgpuStreamCreate
// CHECK: llvm.call @mgpuMemAlloc
// CHECK: llvm.call @mgpuMemcpy
// CHECK: gpu.launch_func @f16_kernel::@f16_kernel blocks in ({{.*}}) threads in ({{.*}})
// CHECK: llvm.call @mgpuMemFree
// CHECK: gpu.binary @f16_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">
// CHECK-SAME: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
func.func @f16(%a: tensor<128x64xf16>, %b: tensor<64x64xf16>) -> tensor<128x64xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x64xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<128x64xf32>) -> tensor<128x64xf32>
  %m = linalg.matmul ins(%a, %b : tensor<128x64xf16>, tensor<64x64xf16>) outs(%f : tensor<128x64xf32>) -> tensor<128x64xf32>
  return %m : tensor<128x64xf32>
}

// -----

// i8 on tensor cores: the saturating s8 instruction (K = 64 cannot reach
// the i32 limits, so it agrees with linalg's wrapping sum).
// CHECK: gpu.binary @i8_kernel
// CHECK-SAME: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
func.func @i8(%a: tensor<128x64xi8>, %b: tensor<64x64xi8>) -> tensor<128x64xi32> {
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<128x64xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<128x64xi32>) -> tensor<128x64xi32>
  %m = linalg.matmul ins(%a, %b : tensor<128x64xi8>, tensor<64x64xi8>) outs(%f : tensor<128x64xi32>) -> tensor<128x64xi32>
  return %m : tensor<128x64xi32>
}

// -----

// bf16 and f32: SIMT kernels (multiplies and adds; no contraction to fma
// without fast-math flags), bf16 converted in registers.
// CHECK: gpu.binary @bf16_kernel
// CHECK-NOT: mma.sync
// CHECK-SAME: cvt.f32.bf16
func.func @bf16(%a: tensor<128x64xbf16>, %b: tensor<64x64xbf16>) -> tensor<128x64xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x64xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<128x64xf32>) -> tensor<128x64xf32>
  %m = linalg.matmul ins(%a, %b : tensor<128x64xbf16>, tensor<64x64xbf16>) outs(%f : tensor<128x64xf32>) -> tensor<128x64xf32>
  return %m : tensor<128x64xf32>
}

// -----

// CHECK: gpu.binary @f32_kernel
// CHECK-SAME: mul.rn.f32
func.func @f32(%a: tensor<100x64xf32>, %b: tensor<64x48xf32>) -> tensor<100x48xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<100x48xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<100x48xf32>) -> tensor<100x48xf32>
  %m = linalg.matmul ins(%a, %b : tensor<100x64xf32>, tensor<64x48xf32>) outs(%f : tensor<100x48xf32>) -> tensor<100x48xf32>
  return %m : tensor<100x48xf32>
}
