// agn_x86's kernel and layout ops written by hand, on weights computed at
// run time (so nothing folds): a layout op whose result leaves its function
// packs every panel in one loop, and a kernel op that reads such packed
// tensors reads them whole; a layout op feeding a kernel op in the same
// function is packed inside the kernel, panel by panel. Integer sums are
// exact and the blocked kernel repeats the reference's float operations in
// order, so every result must equal linalg's bit for bit (f32 printed as
// its bits). Shapes: 5 rows (tiles of 2 and a row left over), K = 10 (A
// padded to 12), N = 70 (a whole panel and a masked one), i4 blocks of 16.
//
// RUN: agn-opt %s --agn-lower-to-llvm-pipeline=target-cpu=x86-64-v3 \
// RUN: | %mlir_runner -e main_reference -entry-point-result=void -shared-libs=%shlibs > %t.reference
// RUN: FileCheck %s < %t.reference
// RUN: grep -v '^Unranked' %t.reference > %t.reference.data
// RUN: agn-opt %s --agn-lower-to-llvm-pipeline=target-cpu=x86-64-v3 \
// RUN: | %mlir_runner -e main_kernels -entry-point-result=void -shared-libs=%shlibs | grep -v '^Unranked' > %t.kernels
// RUN: diff %t.reference.data %t.kernels
// RUN: %if avx512vnni %{ agn-opt %s --agn-lower-to-llvm-pipeline=target-cpu=znver4 \
// RUN: | %mlir_runner -e main_kernels -entry-point-result=void -shared-libs=%shlibs | grep -v '^Unranked' > %t.vnni %}
// RUN: %if avx512vnni %{ diff %t.reference.data %t.vnni %}
//
// The hand-written ops are lowered, the layout op inside @fused_i8 into the
// kernel's panel loop.
// RUN: agn-opt %s --agn-vnni-matmuls | FileCheck %s --check-prefix=LOWERED
// LOWERED-LABEL: func.func @pack_i8
// LOWERED: scf.for
// LOWERED: vector.interleave
// LOWERED: tensor.insert_slice
// LOWERED-NOT: agn_x86.pack_vnni
// LOWERED-LABEL: func.func @fused_i8
// LOWERED-NOT: agn_x86.pack_vnni
// LOWERED: vector.interleave
// LOWERED: agn_x86.usdot
// LOWERED-NOT: agn_x86.vnni_matmul

// CHECK-COUNT-4: rank = 2 offset = 0 sizes = [5, 70]

#map2 = affine_map<(d0, d1) -> (d0, d1)>
#map3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

func.func private @printMemrefI32(memref<*xi32>) attributes {llvm.emit_c_interface}

func.func @print(%y: tensor<5x70xi32>) {
  %u = tensor.cast %y : tensor<5x70xi32> to tensor<*xi32>
  %mem = bufferization.to_buffer %u : tensor<*xi32> to memref<*xi32>
  call @printMemrefI32(%mem) : (memref<*xi32>) -> ()
  return
}

func.func @print_bits(%y: tensor<5x70xf32>) {
  %bits = arith.bitcast %y : tensor<5x70xf32> to tensor<5x70xi32>
  call @print(%bits) : (tensor<5x70xi32>) -> ()
  return
}

// ((a * i + b * j) mod 255) - 127, as the element type.
func.func @values2(%a: i32, %b: i32, %e: tensor<?x?xi32>) -> tensor<?x?xi32> {
  %r = linalg.generic {indexing_maps = [#map2], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<?x?xi32>) {
  ^bb0(%out: i32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %ji = arith.index_cast %j : index to i32
    %x = arith.muli %ii, %a : i32
    %y = arith.muli %ji, %b : i32
    %s = arith.addi %x, %y : i32
    %c255 = arith.constant 255 : i32
    %c127 = arith.constant 127 : i32
    %m = arith.remsi %s, %c255 : i32
    %v = arith.subi %m, %c127 : i32
    linalg.yield %v : i32
  } -> tensor<?x?xi32>
  return %r : tensor<?x?xi32>
}

func.func @bytes2(%a: i32, %b: i32, %rows: index, %cols: index) -> tensor<?x?xi8> {
  %e = tensor.empty(%rows, %cols) : tensor<?x?xi32>
  %v = call @values2(%a, %b, %e) : (i32, i32, tensor<?x?xi32>) -> tensor<?x?xi32>
  %t = arith.trunci %v : tensor<?x?xi32> to tensor<?x?xi8>
  return %t : tensor<?x?xi8>
}

func.func @inputs_i8() -> (tensor<5x10xi8>, tensor<10x70xi8>) {
  %c5 = arith.constant 5 : index
  %c10 = arith.constant 10 : index
  %c70 = arith.constant 70 : index
  %c7 = arith.constant 7 : i32
  %c11 = arith.constant 11 : i32
  %c37 = arith.constant 37 : i32
  %c3 = arith.constant 3 : i32
  %a = call @bytes2(%c7, %c11, %c5, %c10) : (i32, i32, index, index) -> tensor<?x?xi8>
  %w = call @bytes2(%c37, %c3, %c10, %c70) : (i32, i32, index, index) -> tensor<?x?xi8>
  %as = tensor.cast %a : tensor<?x?xi8> to tensor<5x10xi8>
  %ws = tensor.cast %w : tensor<?x?xi8> to tensor<10x70xi8>
  return %as, %ws : tensor<5x10xi8>, tensor<10x70xi8>
}

func.func @zeros_i32() -> tensor<5x70xi32> {
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<5x70xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<5x70xi32>) -> tensor<5x70xi32>
  return %f : tensor<5x70xi32>
}

// The i8 layout, every panel in one loop (the result leaves the function).
func.func @pack_i8(%w: tensor<10x70xi8>) -> (tensor<2x3x256xi8>, tensor<2x64xi32>) {
  %p, %c = agn_x86.pack_vnni %w : tensor<10x70xi8> -> tensor<2x3x256xi8>, tensor<2x64xi32>
  return %p, %c : tensor<2x3x256xi8>, tensor<2x64xi32>
}

// A kernel reading whole packed tensors, with a config: tiles of 2 rows.
func.func @kernel_i8(%a: tensor<5x10xi8>, %p: tensor<2x3x256xi8>, %c: tensor<2x64xi32>) -> tensor<5x70xi32> {
  %init = call @zeros_i32() : () -> tensor<5x70xi32>
  %r = agn_x86.vnni_matmul %a, %p, %c into %init {agn.lowering_config = #agn.lowering_config<kernel = vnni, tile_sizes = [2, 64, 4]>}
      : tensor<5x10xi8>, tensor<2x3x256xi8>, tensor<2x64xi32> into tensor<5x70xi32>
  return %r : tensor<5x70xi32>
}

// The layout op fused into the kernel (no config: 4 rows, 1 thread).
func.func @fused_i8(%a: tensor<5x10xi8>, %w: tensor<10x70xi8>) -> tensor<5x70xi32> {
  %init = call @zeros_i32() : () -> tensor<5x70xi32>
  %p, %c = agn_x86.pack_vnni %w : tensor<10x70xi8> -> tensor<2x3x256xi8>, tensor<2x64xi32>
  %r = agn_x86.vnni_matmul %a, %p, %c into %init
      : tensor<5x10xi8>, tensor<2x3x256xi8>, tensor<2x64xi32> into tensor<5x70xi32>
  return %r : tensor<5x70xi32>
}

func.func @reference_i8(%a: tensor<5x10xi8>, %w: tensor<10x70xi8>) -> tensor<5x70xi32> {
  %init = call @zeros_i32() : () -> tensor<5x70xi32>
  %r = linalg.matmul ins(%a, %w : tensor<5x10xi8>, tensor<10x70xi8>) outs(%init : tensor<5x70xi32>) -> tensor<5x70xi32>
  return %r : tensor<5x70xi32>
}

// Blocked i4: A 5 x 2 x 16, W 2 x 16 x 70 in [-8, 7], sa per row, sw per
// block and column.
func.func @inputs_i4() -> (tensor<5x2x16xi8>, tensor<2x16x70xi4>, tensor<5xf32>, tensor<2x70xf32>) {
  %c5 = arith.constant 5 : index
  %c32 = arith.constant 32 : index
  %c70 = arith.constant 70 : index
  %c13 = arith.constant 13 : i32
  %c5i = arith.constant 5 : i32
  %c29 = arith.constant 29 : i32
  %c17 = arith.constant 17 : i32
  %a = call @bytes2(%c13, %c5i, %c5, %c32) : (i32, i32, index, index) -> tensor<?x?xi8>
  %a2 = tensor.cast %a : tensor<?x?xi8> to tensor<5x32xi8>
  %as = tensor.expand_shape %a2 [[0], [1, 2]] output_shape [5, 2, 16] : tensor<5x32xi8> into tensor<5x2x16xi8>
  %e = tensor.empty(%c32, %c70) : tensor<?x?xi32>
  %v = call @values2(%c29, %c17, %e) : (i32, i32, tensor<?x?xi32>) -> tensor<?x?xi32>
  %v16 = arith.constant dense<16> : tensor<32x70xi32>
  %vs = tensor.cast %v : tensor<?x?xi32> to tensor<32x70xi32>
  %m = arith.remsi %vs, %v16 : tensor<32x70xi32>
  %w32 = arith.trunci %m : tensor<32x70xi32> to tensor<32x70xi4>
  %w = tensor.expand_shape %w32 [[0, 1], [2]] output_shape [2, 16, 70] : tensor<32x70xi4> into tensor<2x16x70xi4>
  %sae = tensor.empty() : tensor<5xf32>
  %sa = linalg.generic {indexing_maps = [affine_map<(m) -> (m)>], iterator_types = ["parallel"]} outs(%sae : tensor<5xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %q = arith.constant 0.37 : f32
    %one = arith.constant 0.5 : f32
    %s = arith.mulf %f, %q : f32
    %r = arith.addf %s, %one : f32
    linalg.yield %r : f32
  } -> tensor<5xf32>
  %swe = tensor.empty() : tensor<2x70xf32>
  %sw = linalg.generic {indexing_maps = [#map2], iterator_types = ["parallel", "parallel"]} outs(%swe : tensor<2x70xf32>) {
  ^bb0(%out: f32):
    %j = linalg.index 0 : index
    %n = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i32
    %ni = arith.index_cast %n : index to i32
    %jf = arith.sitofp %ji : i32 to f32
    %nf = arith.sitofp %ni : i32 to f32
    %q = arith.constant 0.013 : f32
    %h = arith.constant 0.11 : f32
    %x = arith.mulf %nf, %q : f32
    %y = arith.mulf %jf, %h : f32
    %r = arith.addf %x, %y : f32
    linalg.yield %r : f32
  } -> tensor<2x70xf32>
  return %as, %w, %sa, %sw : tensor<5x2x16xi8>, tensor<2x16x70xi4>, tensor<5xf32>, tensor<2x70xf32>
}

func.func @zeros_f32() -> tensor<5x70xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<5x70xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<5x70xf32>) -> tensor<5x70xf32>
  return %f : tensor<5x70xf32>
}

func.func @pack_i4(%w: tensor<2x16x70xi4>) -> (tensor<2x2x2x256xi8>, tensor<2x2x64xi32>) {
  %p, %c = agn_x86.pack_vnni_blocked %w : tensor<2x16x70xi4> -> tensor<2x2x2x256xi8>, tensor<2x2x64xi32>
  return %p, %c : tensor<2x2x2x256xi8>, tensor<2x2x64xi32>
}

func.func @kernel_i4(%a: tensor<5x2x16xi8>, %p: tensor<2x2x2x256xi8>, %c: tensor<2x2x64xi32>,
                     %sa: tensor<5xf32>, %sw: tensor<2x70xf32>) -> tensor<5x70xf32> {
  %init = call @zeros_f32() : () -> tensor<5x70xf32>
  %r = agn_x86.vnni_blocked_matmul %a, %p, %c, %sa, %sw into %init
      : tensor<5x2x16xi8>, tensor<2x2x2x256xi8>, tensor<2x2x64xi32>, tensor<5xf32>, tensor<2x70xf32> into tensor<5x70xf32>
  return %r : tensor<5x70xf32>
}

func.func @fused_i4(%a: tensor<5x2x16xi8>, %w: tensor<2x16x70xi4>, %sa: tensor<5xf32>, %sw: tensor<2x70xf32>) -> tensor<5x70xf32> {
  %init = call @zeros_f32() : () -> tensor<5x70xf32>
  %p, %c = agn_x86.pack_vnni_blocked %w : tensor<2x16x70xi4> -> tensor<2x2x2x256xi8>, tensor<2x2x64xi32>
  %r = agn_x86.vnni_blocked_matmul %a, %p, %c, %sa, %sw into %init {agn.lowering_config = #agn.lowering_config<kernel = vnni, tile_sizes = [3, 64, 8]>}
      : tensor<5x2x16xi8>, tensor<2x2x2x256xi8>, tensor<2x2x64xi32>, tensor<5xf32>, tensor<2x70xf32> into tensor<5x70xf32>
  return %r : tensor<5x70xf32>
}

func.func @reference_i4(%a: tensor<5x2x16xi8>, %w: tensor<2x16x70xi4>, %sa: tensor<5xf32>, %sw: tensor<2x70xf32>) -> tensor<5x70xf32> {
  %zero = arith.constant 0 : i32
  %pe = tensor.empty() : tensor<5x70x2xi32>
  %pf = linalg.fill ins(%zero : i32) outs(%pe : tensor<5x70x2xi32>) -> tensor<5x70x2xi32>
  %partial = linalg.generic {indexing_maps = [affine_map<(m, n, j, t) -> (m, j, t)>, affine_map<(m, n, j, t) -> (j, t, n)>, affine_map<(m, n, j, t) -> (m, n, j)>],
                             iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<5x2x16xi8>, tensor<2x16x70xi4>) outs(%pf : tensor<5x70x2xi32>) {
  ^bb0(%x: i8, %y: i4, %out: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i4 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %out, %p : i32
    linalg.yield %s : i32
  } -> tensor<5x70x2xi32>
  %init = call @zeros_f32() : () -> tensor<5x70xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, j) -> (m, n, j)>, affine_map<(m, n, j) -> (m)>, affine_map<(m, n, j) -> (j, n)>, affine_map<(m, n, j) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%partial, %sa, %sw : tensor<5x70x2xi32>, tensor<5xf32>, tensor<2x70xf32>) outs(%init : tensor<5x70xf32>) {
  ^bb0(%p: i32, %x: f32, %y: f32, %out: f32):
    %pf32 = arith.sitofp %p : i32 to f32
    %s = arith.mulf %x, %y : f32
    %t = arith.mulf %pf32, %s : f32
    %u = arith.addf %out, %t : f32
    linalg.yield %u : f32
  } -> tensor<5x70xf32>
  return %r : tensor<5x70xf32>
}

func.func @main_reference() {
  %a, %w = call @inputs_i8() : () -> (tensor<5x10xi8>, tensor<10x70xi8>)
  %r = call @reference_i8(%a, %w) : (tensor<5x10xi8>, tensor<10x70xi8>) -> tensor<5x70xi32>
  call @print(%r) : (tensor<5x70xi32>) -> ()
  call @print(%r) : (tensor<5x70xi32>) -> ()
  %a4, %w4, %sa, %sw = call @inputs_i4() : () -> (tensor<5x2x16xi8>, tensor<2x16x70xi4>, tensor<5xf32>, tensor<2x70xf32>)
  %r4 = call @reference_i4(%a4, %w4, %sa, %sw) : (tensor<5x2x16xi8>, tensor<2x16x70xi4>, tensor<5xf32>, tensor<2x70xf32>) -> tensor<5x70xf32>
  call @print_bits(%r4) : (tensor<5x70xf32>) -> ()
  call @print_bits(%r4) : (tensor<5x70xf32>) -> ()
  return
}

func.func @main_kernels() {
  %a, %w = call @inputs_i8() : () -> (tensor<5x10xi8>, tensor<10x70xi8>)
  %p, %c = call @pack_i8(%w) : (tensor<10x70xi8>) -> (tensor<2x3x256xi8>, tensor<2x64xi32>)
  %r = call @kernel_i8(%a, %p, %c) : (tensor<5x10xi8>, tensor<2x3x256xi8>, tensor<2x64xi32>) -> tensor<5x70xi32>
  call @print(%r) : (tensor<5x70xi32>) -> ()
  %f = call @fused_i8(%a, %w) : (tensor<5x10xi8>, tensor<10x70xi8>) -> tensor<5x70xi32>
  call @print(%f) : (tensor<5x70xi32>) -> ()
  %a4, %w4, %sa, %sw = call @inputs_i4() : () -> (tensor<5x2x16xi8>, tensor<2x16x70xi4>, tensor<5xf32>, tensor<2x70xf32>)
  %p4, %c4 = call @pack_i4(%w4) : (tensor<2x16x70xi4>) -> (tensor<2x2x2x256xi8>, tensor<2x2x64xi32>)
  %r4 = call @kernel_i4(%a4, %p4, %c4, %sa, %sw) : (tensor<5x2x16xi8>, tensor<2x2x2x256xi8>, tensor<2x2x64xi32>, tensor<5xf32>, tensor<2x70xf32>) -> tensor<5x70xf32>
  call @print_bits(%r4) : (tensor<5x70xf32>) -> ()
  %f4 = call @fused_i4(%a4, %w4, %sa, %sw) : (tensor<5x2x16xi8>, tensor<2x16x70xi4>, tensor<5xf32>, tensor<2x70xf32>) -> tensor<5x70xf32>
  call @print_bits(%f4) : (tensor<5x70xf32>) -> ()
  return
}
