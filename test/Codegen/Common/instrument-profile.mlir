// RUN: agn-opt %s --agn-instrument-profile="model=net" --split-input-file \
// RUN:   --verify-diagnostics | FileCheck %s
// RUN: agn-opt %s --agn-instrument-profile --split-input-file \
// RUN:   --verify-diagnostics | FileCheck %s --check-prefix=NAME

// Without the option, the model is the module's name, else "model".
// NAME: "model\09function\09\09\09@main\00"
// NAME: "m\09function\09\09\09@groups\00"

// A unit's dispatch as agn-lower leaves it, with its controller in front
// and ops outside it before and after.

llvm.mlir.global internal @__agn_unit_id_fc(-1 : i64) {alignment = 8 : i64} : i64
func.func private @agn_rt_arbitrate(i64, i64, f32) -> i64

// The records: model, group, unit, level and label, tab-separated.
// CHECK-DAG: llvm.mlir.global internal constant @[[FUNCTION:__agn_profile_[0-9]+]]("net\09function\09\09\09@main\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[PAD:__agn_profile_[0-9]+]]("net\09padding\09\09\09padding 4x10xf32 #{{[0-9]+}}\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[STAT:__agn_profile_[0-9]+]]("net\09controller\09net/fc\09\09statistic (reduction f32) #{{[0-9]+}}\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[ARB:__agn_profile_[0-9]+]]("net\09controller\09net/fc\09\09arbitrate #{{[0-9]+}}\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[I8:__agn_profile_[0-9]+]]("net\09unit\09net/fc\09i8\09net/fc @ i8\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[QUANT:__agn_profile_[0-9]+]]("net\09quantize\09net/fc\09i8\09quantize 10x16xi8 #{{[0-9]+}}\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[MATMUL8:__agn_profile_[0-9]+]]("net\09contraction\09net/fc\09i8\09contraction 4x16xi32 #{{[0-9]+}}\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[DEQUANT:__agn_profile_[0-9]+]]("net\09dequantize\09net/fc\09i8\09dequantize 4x16xf32 #{{[0-9]+}}\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[F32:__agn_profile_[0-9]+]]("net\09unit\09net/fc\09f32\09net/fc @ f32\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[FILL:__agn_profile_[0-9]+]]("net\09fill\09net/fc\09f32\09fill 4x16xf32 #{{[0-9]+}}\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[TRANSPOSE:__agn_profile_[0-9]+]]("net\09layout\09\09\09layout 16x4xf32 #{{[0-9]+}}\00")
// CHECK-DAG: func.func private @agn_rt_profile_begin(!llvm.ptr)
// CHECK-DAG: func.func private @agn_rt_profile_end(!llvm.ptr)

// CHECK-LABEL: func.func @main
// The function's span opens first and closes at the return.
// CHECK-NEXT: %[[F:.*]] = llvm.mlir.addressof @[[FUNCTION]]
// CHECK-NEXT: call @agn_rt_profile_begin(%[[F]])
// The pad feeds the unit too: it is timed as padding, not as controller.
// CHECK: %[[P:.*]] = llvm.mlir.addressof @[[PAD]]
// CHECK-NEXT: call @agn_rt_profile_begin(%[[P]])
// CHECK-NEXT: tensor.pad
// CHECK: call @agn_rt_profile_end(%[[P]])
// CHECK: %[[S:.*]] = llvm.mlir.addressof @[[STAT]]
// CHECK-NEXT: call @agn_rt_profile_begin(%[[S]])
// CHECK-NEXT: linalg.reduce
// CHECK: call @agn_rt_profile_end(%[[S]])
// Scalar code is not timed on its own.
// CHECK-NEXT: tensor.extract
// CHECK: %[[A:.*]] = llvm.mlir.addressof @[[ARB]]
// CHECK-NEXT: call @agn_rt_profile_begin(%[[A]])
// CHECK-NEXT: call @agn_rt_arbitrate
// CHECK-NEXT: call @agn_rt_profile_end(%[[A]])
// CHECK: scf.index_switch
// CHECK-NEXT: case 0 {
// CHECK-NEXT: %[[U8:.*]] = llvm.mlir.addressof @[[I8]]
// CHECK-NEXT: call @agn_rt_profile_begin(%[[U8]])
// CHECK: call @agn_rt_profile_begin
// CHECK-NEXT: linalg.generic
// CHECK: call @agn_rt_profile_begin
// CHECK-NEXT: linalg.generic
// CHECK: call @agn_rt_profile_begin
// CHECK-NEXT: linalg.matmul
// CHECK: call @agn_rt_profile_begin
// CHECK-NEXT: linalg.generic
// CHECK: call @agn_rt_profile_end(%[[U8]])
// CHECK-NEXT: scf.yield
// CHECK: default {
// CHECK-NEXT: %[[U32:.*]] = llvm.mlir.addressof @[[F32]]
// CHECK-NEXT: call @agn_rt_profile_begin(%[[U32]])
// CHECK: call @agn_rt_profile_end(%[[U32]])
// CHECK-NEXT: scf.yield
// CHECK: %[[T:.*]] = llvm.mlir.addressof @[[TRANSPOSE]]
// CHECK-NEXT: call @agn_rt_profile_begin(%[[T]])
// CHECK-NEXT: linalg.transpose
// CHECK-NEXT: call @agn_rt_profile_end(%[[T]])
// CHECK-NEXT: call @agn_rt_profile_end(%[[F]])
// CHECK-NEXT: return
func.func @main(%x: tensor<4x8xf32>, %w8: tensor<10x16xf32>,
                %w: tensor<8x16xf32>) -> tensor<16x4xf32> {
  %zero = arith.constant 0.0 : f32
  %padded = tensor.pad %x low[0, 1] high[0, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<4x8xf32> to tensor<4x10xf32>
  %init = tensor.empty() : tensor<f32>
  %sum0 = linalg.fill ins(%zero : f32) outs(%init : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce ins(%x : tensor<4x8xf32>) outs(%sum0 : tensor<f32>)
      dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %statistic = tensor.extract %sum[] : tensor<f32>
  %id = arith.constant 0 : i64
  %requested = arith.constant 4 : i64
  %granted = func.call @agn_rt_arbitrate(%id, %requested, %statistic)
      : (i64, i64, f32) -> i64
  %case = arith.index_cast %granted : i64 to index
  %y = scf.index_switch %case {agn.case_levels = array<i32: 1, 4>,
                               agn.unit_id = @__agn_unit_id_fc,
                               agn.unit_name = "net/fc"} -> tensor<4x16xf32>
  case 0 {
    %q0 = tensor.empty() : tensor<10x16xi8>
    %q = linalg.generic {
        indexing_maps = [affine_map<(i, j) -> (i, j)>,
                         affine_map<(i, j) -> (i, j)>],
        iterator_types = ["parallel", "parallel"]}
        ins(%w8 : tensor<10x16xf32>) outs(%q0 : tensor<10x16xi8>) {
    ^bb0(%in: f32, %out: i8):
      %v = arith.fptosi %in : f32 to i8
      linalg.yield %v : i8
    } -> tensor<10x16xi8>
    %xq0 = tensor.empty() : tensor<4x10xi8>
    %xq = linalg.generic {
        indexing_maps = [affine_map<(i, j) -> (i, j)>,
                         affine_map<(i, j) -> (i, j)>],
        iterator_types = ["parallel", "parallel"]}
        ins(%padded : tensor<4x10xf32>) outs(%xq0 : tensor<4x10xi8>) {
    ^bb0(%in: f32, %out: i8):
      %v = arith.fptosi %in : f32 to i8
      linalg.yield %v : i8
    } -> tensor<4x10xi8>
    %acc0 = tensor.empty() : tensor<4x16xi32>
    %acc = linalg.matmul ins(%xq, %q : tensor<4x10xi8>, tensor<10x16xi8>)
        outs(%acc0 : tensor<4x16xi32>) -> tensor<4x16xi32>
    %out0 = tensor.empty() : tensor<4x16xf32>
    %out = linalg.generic {
        indexing_maps = [affine_map<(i, j) -> (i, j)>,
                         affine_map<(i, j) -> (i, j)>],
        iterator_types = ["parallel", "parallel"]}
        ins(%acc : tensor<4x16xi32>) outs(%out0 : tensor<4x16xf32>) {
    ^bb0(%in: i32, %o: f32):
      %v = arith.sitofp %in : i32 to f32
      linalg.yield %v : f32
    } -> tensor<4x16xf32>
    scf.yield %out : tensor<4x16xf32>
  }
  default {
    %e = tensor.empty() : tensor<4x16xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>)
        -> tensor<4x16xf32>
    %m = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>)
        outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
    scf.yield %m : tensor<4x16xf32>
  }
  %t0 = tensor.empty() : tensor<16x4xf32>
  %t = linalg.transpose ins(%y : tensor<4x16xf32>)
      outs(%t0 : tensor<16x4xf32>) permutation = [1, 0]
  return %t : tensor<16x4xf32>
}

// -----

// Copies that gather through a window are im2col; those that do not are
// layout; reductions through a window are pooling; a loop holding a vector
// contraction is a kernel.

// CHECK-DAG: "net\09im2col\09\09\09im2col 2x3x3xf32 #{{[0-9]+}}\00"
// CHECK-DAG: "net\09pooling\09\09\09pooling 2xf32 #{{[0-9]+}}\00"
// CHECK-DAG: "net\09elementwise\09\09\09elementwise 4xf32 #{{[0-9]+}}\00"
// CHECK-DAG: "net\09contraction\09\09\09contraction 4xf32 #{{[0-9]+}}\00"
// CHECK-DAG: "net\09loop\09\09\09loop 4xf32 #{{[0-9]+}}\00"
module attributes {sym_name = "m"} {
  func.func @groups(%x: tensor<4xf32>, %v: vector<4xf32>,
                    %m: vector<4x4xf32>) -> (tensor<2x3x3xf32>, tensor<2xf32>,
                                             tensor<4xf32>, tensor<4xf32>,
                                             tensor<4xf32>) {
    %e = tensor.empty() : tensor<2x3x3xf32>
    %im2col = linalg.generic {
        indexing_maps = [affine_map<(a, b, c) -> (a + b)>,
                         affine_map<(a, b, c) -> (a, b, c)>],
        iterator_types = ["parallel", "parallel", "parallel"]}
        ins(%x : tensor<4xf32>) outs(%e : tensor<2x3x3xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    } -> tensor<2x3x3xf32>
    %window = tensor.empty() : tensor<3xf32>
    %p0 = tensor.empty() : tensor<2xf32>
    %pool = linalg.generic {
        indexing_maps = [affine_map<(o, k) -> (o + k)>,
                         affine_map<(o, k) -> (k)>,
                         affine_map<(o, k) -> (o)>],
        iterator_types = ["parallel", "reduction"]}
        ins(%x, %window : tensor<4xf32>, tensor<3xf32>)
        outs(%p0 : tensor<2xf32>) {
    ^bb0(%in: f32, %w: f32, %out: f32):
      %mx = arith.maximumf %in, %out : f32
      linalg.yield %mx : f32
    } -> tensor<2xf32>
    %r0 = tensor.empty() : tensor<4xf32>
    %relu = linalg.generic {
        indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
        iterator_types = ["parallel"]}
        ins(%x : tensor<4xf32>) outs(%r0 : tensor<4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %z = arith.constant 0.0 : f32
      %mx = arith.maximumf %in, %z : f32
      linalg.yield %mx : f32
    } -> tensor<4xf32>
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %pad = arith.constant 0.0 : f32
    %kernel = scf.for %i = %c0 to %c2 step %c1 iter_args(%a = %x)
        -> (tensor<4xf32>) {
      %acc = vector.transfer_read %a[%c0], %pad {in_bounds = [true]}
          : tensor<4xf32>, vector<4xf32>
      %r = vector.contract {
          indexing_maps = [affine_map<(i, k) -> (i, k)>,
                           affine_map<(i, k) -> (k)>,
                           affine_map<(i, k) -> (i)>],
          iterator_types = ["parallel", "reduction"],
          kind = #vector.kind<add>} %m, %v, %acc
          : vector<4x4xf32>, vector<4xf32> into vector<4xf32>
      %w = vector.transfer_write %r, %a[%c0] {in_bounds = [true]}
          : vector<4xf32>, tensor<4xf32>
      scf.yield %w : tensor<4xf32>
    }
    %loop = scf.for %i = %c0 to %c2 step %c1 iter_args(%a = %x)
        -> (tensor<4xf32>) {
      scf.yield %a : tensor<4xf32>
    }
    return %im2col, %pool, %relu, %kernel, %loop
        : tensor<2x3x3xf32>, tensor<2xf32>, tensor<4xf32>, tensor<4xf32>,
          tensor<4xf32>
  }
}

// -----

// The runtime's names taken by something else: a located error.

// expected-error @+1 {{agn-instrument-profile}}
func.func private @agn_rt_profile_begin(i64)
func.func @f() {
  return
}
