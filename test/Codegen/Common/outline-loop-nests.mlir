// RUN: agn-opt %s --split-input-file --agn-outline-loop-nests | FileCheck %s
// RUN: agn-opt %s --split-input-file --agn-outline-loop-nests \
// RUN:   --convert-scf-to-cf --finalize-memref-to-llvm --convert-arith-to-llvm \
// RUN:   --convert-cf-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts \
// RUN: | mlir-translate --split-input-file --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// A nest becomes a call. The buffers it uses are arguments in the order of
// first use; the constants (bounds, step, the scale) move into the
// function; the nest inside the nest stays with it.

// CHECK-LABEL: func.func @scale(
// CHECK-SAME: %[[A:.*]]: memref<4x8xf32>, %[[B:.*]]: memref<4x8xf32>)
// CHECK-NEXT: call @scale_nest0(%[[A]], %[[B]]) : (memref<4x8xf32>, memref<4x8xf32>) -> ()
// CHECK-NEXT: return
// CHECK: func.func private @scale_nest0(%[[IN:.*]]: memref<4x8xf32>, %[[OUT:.*]]: memref<4x8xf32>)
// CHECK-SAME: attributes {llvm.linkage = #llvm.linkage<internal>, no_inline, passthrough = ["noinline"]}
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2.0
// CHECK: scf.for %[[I:.*]] = %[[C0]] to %[[C4]] step %[[C1]] {
// CHECK:   scf.for %[[J:.*]] = %[[C0]] to %[[C8]] step %[[C1]] {
// CHECK:     memref.load %[[IN]][%[[I]], %[[J]]]
// CHECK:     arith.mulf %{{.*}}, %[[TWO]]
// CHECK:     memref.store %{{.*}}, %[[OUT]][%[[I]], %[[J]]]
// CHECK: return

// LLVM: define void @scale(
// LLVM: call void @scale_nest0(
// LLVM: define internal void @scale_nest0({{.*}}) #[[ATTRS:[0-9]+]]
// LLVM: attributes #[[ATTRS]] = { noinline }
func.func @scale(%a: memref<4x8xf32>, %b: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c8 step %c1 {
      %v = memref.load %a[%i, %j] : memref<4x8xf32>
      %w = arith.mulf %v, %two : f32
      memref.store %w, %b[%i, %j] : memref<4x8xf32>
    }
  }
  return
}

// -----

// The results of a loop are the function's; a value computed before the
// nest (not a constant) is an argument.

// CHECK-LABEL: func.func @sum(
// CHECK-SAME: %[[A:.*]]: memref<16xf32>, %[[INIT:.*]]: f32)
// CHECK: %[[START:.*]] = arith.mulf %[[INIT]], %[[INIT]]
// CHECK: %[[R:.*]] = call @sum_nest0(%[[START]], %[[A]]) : (f32, memref<16xf32>) -> f32
// CHECK: return %[[R]] : f32
// CHECK: func.func private @sum_nest0(%{{.*}}: f32, %{{.*}}: memref<16xf32>) -> f32
// CHECK: %[[S:.*]] = scf.for {{.*}} iter_args
// CHECK: return %[[S]] : f32
func.func @sum(%a: memref<16xf32>, %init: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %start = arith.mulf %init, %init : f32
  %s = scf.for %i = %c0 to %c16 step %c1 iter_args(%acc = %start) -> f32 {
    %v = memref.load %a[%i] : memref<16xf32>
    %n = arith.addf %acc, %v : f32
    scf.yield %n : f32
  }
  return %s : f32
}

// -----

// Nests at any depth of scf.if (a unit's dispatch) are outlined; the ifs
// stay. Two nests that differ only in their buffers share one function;
// one with another trip count has its own. scf.forall and scf.parallel
// nests are outlined too.

// CHECK-LABEL: func.func @dispatch(
// CHECK-SAME: %[[COND:.*]]: i1, %[[A:.*]]: memref<8xf32>, %[[B:.*]]: memref<8xf32>
// CHECK: scf.if %[[COND]] {
// CHECK-NEXT: call @dispatch_nest0(%[[A]])
// CHECK-NEXT: } else {
// CHECK-NEXT: call @dispatch_nest0(%[[B]])
// CHECK-NEXT: }
// CHECK-NEXT: call @dispatch_nest2(%[[A]])
// CHECK-NEXT: call @dispatch_nest3(%[[B]])
// CHECK-NEXT: call @dispatch_nest4(%[[A]])
// CHECK-NEXT: return
// CHECK: func.func private @dispatch_nest4(
// CHECK: scf.parallel
// CHECK: func.func private @dispatch_nest3(
// CHECK: scf.forall
// CHECK: func.func private @dispatch_nest2(
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C4]]
// CHECK-NOT: func.func private @dispatch_nest1(
// CHECK: func.func private @dispatch_nest0(
// CHECK: %[[C8:.*]] = arith.constant 8 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C8]]
// CHECK-NOT: func.func
func.func @dispatch(%cond: i1, %a: memref<8xf32>, %b: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.if %cond {
    scf.for %i = %c0 to %c8 step %c1 {
      memref.store %zero, %a[%i] : memref<8xf32>
    }
  } else {
    scf.for %i = %c0 to %c8 step %c1 {
      memref.store %zero, %b[%i] : memref<8xf32>
    }
  }
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %zero, %a[%i] : memref<8xf32>
  }
  scf.forall (%i) in (8) {
    memref.store %zero, %b[%i] : memref<8xf32>
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %zero, %a[%i] : memref<8xf32>
  }
  return
}

// -----

// Declarations and functions without loops are left alone.

// CHECK-LABEL: func.func private @external(memref<8xf32>)
// CHECK-LABEL: func.func @no_loops(
// CHECK-NEXT: call @external
// CHECK-NEXT: return
// CHECK-NOT: func.func private @no_loops_nest
func.func private @external(memref<8xf32>)
func.func @no_loops(%a: memref<8xf32>) {
  call @external(%a) : (memref<8xf32>) -> ()
  return
}

// -----

// A reduction into a scalar on the function's stack is outlined with its
// accumulator: the scalar goes in by value and comes back as a result, and
// the function accumulates on a stack of its own (LLVM keeps the
// accumulator in a register and vectorizes the loop only where it sees the
// alloca). The copy after it is outlined as any nest.

// CHECK-LABEL: func.func @stack_sum(
// CHECK-SAME: %[[X:.*]]: memref<64xf32>, %[[Y:.*]]: memref<64xf32>)
// CHECK: %[[ACC:.*]] = memref.alloca() : memref<f32>
// CHECK: memref.store %{{.*}}, %[[ACC]][]
// CHECK: %[[INIT:.*]] = memref.load %[[ACC]][]
// CHECK: %[[SUM:.*]] = call @stack_sum_nest0(%[[X]], %[[INIT]]) : (memref<64xf32>, f32) -> f32
// CHECK: memref.store %[[SUM]], %[[ACC]][]
// CHECK: call @stack_sum_nest1(%[[X]], %[[Y]])
// CHECK: %[[R:.*]] = memref.load %[[ACC]][]
// CHECK: return %[[R]]
// CHECK: func.func private @stack_sum_nest0(%[[IN:.*]]: memref<64xf32>, %[[START:.*]]: f32) -> f32
// CHECK: %[[LOCAL:.*]] = memref.alloca() : memref<f32>
// CHECK: memref.store %[[START]], %[[LOCAL]][]
// CHECK: scf.for
// CHECK:   memref.load %[[LOCAL]][]
// CHECK:   memref.store %{{.*}}, %[[LOCAL]][]
// CHECK: %[[END:.*]] = memref.load %[[LOCAL]][]
// CHECK: return %[[END]] : f32

// LLVM: define float @stack_sum(
// LLVM: call float @stack_sum_nest0(
// LLVM: define internal float @stack_sum_nest0(
// LLVM-NOT: define
// LLVM: alloca float
func.func @stack_sum(%x: memref<64xf32>, %y: memref<64xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %acc = memref.alloca() : memref<f32>
  memref.store %zero, %acc[] : memref<f32>
  scf.for %i = %c0 to %c64 step %c1 {
    %v = memref.load %x[%i] : memref<64xf32>
    %s = memref.load %acc[] : memref<f32>
    %t = arith.addf %s, %v : f32
    memref.store %t, %acc[] : memref<f32>
  }
  scf.for %i = %c0 to %c64 step %c1 {
    %v = memref.load %x[%i] : memref<64xf32>
    memref.store %v, %y[%i] : memref<64xf32>
  }
  %r = memref.load %acc[] : memref<f32>
  return %r : f32
}
