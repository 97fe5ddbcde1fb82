// RUN: agn-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline="builtin.module(agn-gpu-map-to-launches)" | FileCheck %s

// A block loop of 4 x 2 holding a thread loop of 8 x 16: a launch of 2 x 4
// blocks (x is the last mapped dimension) of 16 x 8 threads.

// CHECK-LABEL: func.func @threads
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[C2]], {{.*}} = %[[C4]], {{.*}} = %{{.*}}) threads({{.*}}) in ({{.*}} = %[[C16]], {{.*}} = %[[C8]], {{.*}} = %{{.*}})
// CHECK: gpu.block_id
// CHECK: gpu.thread_id
// CHECK: memref.store
// CHECK-NOT: scf.forall
func.func @threads(%out: memref<32x32xf32>) {
  %v = arith.constant 1.0 : f32
  scf.forall (%i, %j) in (4, 2) {
    scf.forall (%ti, %tj) in (8, 16) {
      %r = affine.apply affine_map<(d0, d1) -> (d0 * 8 + d1)>(%i, %ti)
      %c = affine.apply affine_map<(d0, d1) -> (d0 * 16 + d1)>(%j, %tj)
      memref.store %v, %out[%r, %c] : memref<32x32xf32>
    } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
  } {mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}

// -----

// Warps of 32 threads along x: a 4 x 4 warp loop needs 128 x 4 threads.

// CHECK-LABEL: func.func @warps
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %[[C128]], {{.*}} = %[[C4]],
func.func @warps(%out: memref<4x4xf32>) {
  %v = arith.constant 1.0 : f32
  scf.forall (%i) in (2) {
    scf.forall (%wi, %wj) in (4, 4) {
      memref.store %v, %out[%wi, %wj] : memref<4x4xf32>
    } {mapping = [#gpu.warp<y>, #gpu.warp<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

func.func @too_many_threads(%out: memref<64x64xf32>) {
  %v = arith.constant 1.0 : f32
  // expected-error @+1 {{agn-gpu-map-to-launches: the thread loops need a block of 64 x 32 x 1 = 2048 threads; a block has at most 1024}}
  scf.forall (%i) in (2) {
    scf.forall (%ti, %tj) in (32, 64) {
      memref.store %v, %out[%ti, %tj] : memref<64x64xf32>
    } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

func.func @dynamic(%out: memref<?xf32>, %n: index) {
  %v = arith.constant 1.0 : f32
  // expected-error @+1 {{agn-gpu-map-to-launches: expected a block loop of static trip counts holding thread or warp loops of static trip counts}}
  scf.forall (%i) in (%n) {
    scf.forall (%t) in (16) {
      memref.store %v, %out[%t] : memref<?xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// With cpu-fallback, the launch runs where agn_gpu_available() finds a
// device; elsewhere a copy of the loops without their mappings runs on the
// CPU.
// RUN: agn-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline="builtin.module(agn-gpu-map-to-launches{cpu-fallback})" | FileCheck %s --check-prefix=FALLBACK

// FALLBACK: func.func private @agn_gpu_available() -> i32
// FALLBACK-LABEL: func.func @fallback
// FALLBACK: %[[AVAILABLE:.*]] = call @agn_gpu_available() : () -> i32
// FALLBACK: %[[USABLE:.*]] = arith.cmpi ne, %[[AVAILABLE]], %{{.*}} : i32
// FALLBACK: scf.if %[[USABLE]] {
// FALLBACK: gpu.launch
// FALLBACK: } else {
// FALLBACK: scf.forall (%{{.*}}) in (2) {
// FALLBACK: scf.forall (%{{.*}}) in (16) {
// FALLBACK-NOT: mapping
func.func @fallback(%out: memref<2x16xf32>) {
  %v = arith.constant 1.0 : f32
  scf.forall (%i) in (2) {
    scf.forall (%t) in (16) {
      memref.store %v, %out[%i, %t] : memref<2x16xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}
