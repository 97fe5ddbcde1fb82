// RUN: agn-opt %s -split-input-file --agn-emulate-narrow-types | FileCheck %s

// Memrefs of i4 become flat memrefs of bytes holding two values each, the
// first in the low nibble; globals holding compile-time quantized weights
// are packed the same way.

// [1, 2, 3, -1, -8, 7] -> bytes 0x21, 0xF3, 0x78 = 33, -13, 120.
// CHECK: memref.global "private" constant @weights : memref<3xi8> = dense<[33, -13, 120]> {alignment = 64 : i64}
// CHECK-LABEL: func.func @load_global
// CHECK: %[[G:.*]] = memref.get_global @weights : memref<3xi8>
// CHECK: %[[BYTE:.*]] = memref.load %[[G]][%{{.*}}] : memref<3xi8>
// CHECK: %[[SHIFTED:.*]] = arith.shrsi %[[BYTE]], %{{.*}} : i8
// CHECK: %[[V:.*]] = arith.trunci %[[SHIFTED]] : i8 to i4
// CHECK: return %[[V]] : i4
memref.global "private" constant @weights : memref<2x3xi4> = dense<[[1, 2, 3], [-1, -8, 7]]> {alignment = 64 : i64}

func.func @load_global(%i: index, %j: index) -> i4 {
  %g = memref.get_global @weights : memref<2x3xi4>
  %v = memref.load %g[%i, %j] : memref<2x3xi4>
  return %v : i4
}

// -----

// -7 is 0x9: a splat of an even count packs to a splat of 0x99 = -103; an odd
// count rounds up to whole bytes, the last high nibble clear.
// CHECK: memref.global "private" constant @even : memref<2xi8> = dense<-103>
// CHECK: memref.global "private" constant @odd : memref<3xi8> = dense<[-103, -103, 9]>
memref.global "private" constant @even : memref<4xi4> = dense<-7>
memref.global "private" constant @odd : memref<5xi4> = dense<-7>

// -----

// Stores clear, then set, their nibble: outside parallel loops with a plain
// read-modify-write of the byte (load, and, or, store) ...
// CHECK-LABEL: func.func @store
// CHECK: %[[BUF:.*]] = memref.alloc() : memref<32xi8>
// CHECK: %[[OLD:.*]] = memref.load %[[BUF]][%[[BYTE:.*]]] : memref<32xi8>
// CHECK: %[[CLEARED:.*]] = arith.andi %[[OLD]], %{{.*}} : i8
// CHECK: %[[NEW:.*]] = arith.ori %[[CLEARED]], %{{.*}} : i8
// CHECK: memref.store %[[NEW]], %[[BUF]][%[[BYTE]]] : memref<32xi8>
// CHECK-NOT: memref.atomic_rmw
func.func @store(%v: i4, %i: index, %j: index) -> memref<8x8xi4> {
  %buf = memref.alloc() : memref<8x8xi4>
  memref.store %v, %buf[%i, %j] : memref<8x8xi4>
  return %buf : memref<8x8xi4>
}

// -----

// ... and inside a parallel loop, whose iterations may write the byte's
// other nibble at the same time, with atomic read-modify-writes.
// CHECK-LABEL: func.func @parallel_store
// CHECK: scf.forall
// CHECK: memref.atomic_rmw andi %{{.*}}, %{{.*}}[%{{.*}}] : (i8, memref<32xi8>) -> i8
// CHECK: memref.atomic_rmw ori %{{.*}}, %{{.*}}[%{{.*}}] : (i8, memref<32xi8>) -> i8
func.func @parallel_store(%v: i4, %i: index) -> memref<8x8xi4> {
  %buf = memref.alloc() : memref<8x8xi4>
  scf.forall (%j) in (8) {
    memref.store %v, %buf[%i, %j] : memref<8x8xi4>
  }
  return %buf : memref<8x8xi4>
}

// -----

// Wider types are left alone.
// CHECK-LABEL: func.func @bytes
// CHECK: memref.alloc() : memref<8x8xi8>
func.func @bytes() -> memref<8x8xi8> {
  %buf = memref.alloc() : memref<8x8xi8>
  return %buf : memref<8x8xi8>
}

// -----

// A function called from inside a parallel loop keeps the atomic ones too.
// CHECK-LABEL: func.func private @store_element
// CHECK: memref.atomic_rmw andi
// CHECK: memref.atomic_rmw ori
func.func private @store_element(%buf: memref<8x8xi4>, %v: i4, %i: index, %j: index) {
  memref.store %v, %buf[%i, %j] : memref<8x8xi4>
  return
}

func.func @parallel_calls(%v: i4, %i: index) -> memref<8x8xi4> {
  %buf = memref.alloc() : memref<8x8xi4>
  scf.forall (%j) in (8) {
    func.call @store_element(%buf, %v, %i, %j) : (memref<8x8xi4>, i4, index, index) -> ()
  }
  return %buf : memref<8x8xi4>
}

// -----

// ... and so does a function called by one, transitively.
// CHECK-LABEL: func.func private @store_leaf
// CHECK: memref.atomic_rmw andi
// CHECK: memref.atomic_rmw ori
func.func private @store_leaf(%buf: memref<8x8xi4>, %v: i4, %i: index, %j: index) {
  memref.store %v, %buf[%i, %j] : memref<8x8xi4>
  return
}

func.func private @store_middle(%buf: memref<8x8xi4>, %v: i4, %i: index, %j: index) {
  func.call @store_leaf(%buf, %v, %i, %j) : (memref<8x8xi4>, i4, index, index) -> ()
  return
}

func.func @parallel_nested_calls(%v: i4, %i: index) -> memref<8x8xi4> {
  %buf = memref.alloc() : memref<8x8xi4>
  scf.forall (%j) in (8) {
    func.call @store_middle(%buf, %v, %i, %j) : (memref<8x8xi4>, i4, index, index) -> ()
  }
  return %buf : memref<8x8xi4>
}
