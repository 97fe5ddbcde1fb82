// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-split-batch-matmuls --agn-cpu-configure-kernels=vnni-rows=2 --agn-vnni-pack --agn-vnni-matmuls --canonicalize --cse | FileCheck %s
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-split-batch-matmuls --agn-cpu-configure-kernels="vnni-rows=2 threads=2" --agn-vnni-pack --agn-vnni-matmuls --canonicalize --cse | FileCheck %s --check-prefix=PAR
// RUN: not agn-opt %s -split-input-file --agn-cpu-configure-kernels=vnni-rows=0 2>&1 | FileCheck %s --check-prefix=ROWS
// RUN: not agn-opt %s -split-input-file --agn-cpu-configure-kernels=threads=0 2>&1 | FileCheck %s --check-prefix=THREADS

// ROWS: agn-cpu-configure-kernels: 'vnni-rows' must be at least 1, got 0
// THREADS: agn-cpu-configure-kernels: 'threads' must be at least 1, got 0

// B (5x2) is packed at compile time into one panel of 64 columns, two groups
// of four K values (K = 5 padded to 8): group 0 holds column 0's K values 0-3
// (1, 3, 5, 7), then column 1's (2, 4, 6, 8); group 1 holds 9 and 10, each
// followed by three zeros. The bias is -128 times each column's sum (25, 30).
// A is padded to K = 8. The tile has 2 rows of 4 accumulators of 16 lanes;
// the rows left over (M is dynamic) go through a one-row loop. Columns past
// N = 2 are masked (no in_bounds on the reads and writes of C).

// CHECK-LABEL: func.func @packed
// CHECK-SAME: (%[[A:.*]]: tensor<?x5xi8>, %[[C:.*]]: tensor<?x2xi32>)
// CHECK-DAG: %[[FLIP:.*]] = arith.constant -2139062144 : i32
// CHECK-DAG: %[[BIAS:.*]] = arith.constant dense<{{\[\[}}-3200, -3840, 0, {{.*}}]]> : tensor<1x64xi32>
// CHECK-DAG: %[[PANELS:.*]] = arith.constant dense<"0x0103050702040608{{(00)+}}090000000A000000{{(00)+}}"> : tensor<1x2x256xi8>
// CHECK: %[[PADDED:.*]] = tensor.pad %[[A]] low[0, 0] high[0, 3]
// CHECK: : tensor<?x5xi8> to tensor<?x8xi8>
// CHECK: %[[TILED:.*]] = scf.for %[[M:.*]] = %c0 to %{{.*}} step %c2 iter_args(%[[C1:.*]] = %[[C]])
// CHECK: vector.transfer_read %[[BIAS]][%c0, %c0], %{{.*}} {in_bounds = [true]} : tensor<1x64xi32>, vector<16xi32>
// CHECK: vector.transfer_read %[[C1]][%[[M]], %c0], %{{.*}} : tensor<?x2xi32>, vector<16xi32>
// CHECK: scf.for %[[G:.*]] = %c0 to %c2 step %c1 iter_args({{.*}}) -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// CHECK: %[[B0:.*]] = vector.transfer_read %[[PANELS]][%c0, %[[G]], %c0], %{{.*}} {in_bounds = [true]} : tensor<1x2x256xi8>, vector<64xi8>
// CHECK: %[[K:.*]] = arith.muli %[[G]], %c4
// CHECK: %[[BYTES:.*]] = vector.transfer_read %[[PADDED]][%[[M]], %[[K]]], %{{.*}} {in_bounds = [true]} : tensor<?x8xi8>, vector<4xi8>
// CHECK: %[[WORD:.*]] = vector.bitcast %[[BYTES]] : vector<4xi8> to vector<1xi32>
// CHECK: %[[SCALAR:.*]] = vector.extract %[[WORD]][0]
// CHECK: %[[UNSIGNED:.*]] = arith.xori %[[SCALAR]], %[[FLIP]] : i32
// CHECK: %[[SPLAT:.*]] = vector.broadcast %[[UNSIGNED]] : i32 to vector<16xi32>
// CHECK: %[[LHS:.*]] = vector.bitcast %[[SPLAT]] : vector<16xi32> to vector<64xi8>
// CHECK: agn_x86.usdot %{{.*}}, %[[LHS]], %[[B0]] : vector<64xi8> into vector<16xi32>
// CHECK-COUNT-7: agn_x86.usdot
// CHECK: scf.yield
// CHECK: vector.transfer_write %{{.*}}[%[[M]], %c0] : vector<16xi32>, tensor<?x2xi32>
// The rows left over, one at a time.
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1 iter_args(%{{.*}} = %[[TILED]])
// CHECK: scf.for
// CHECK-COUNT-4: agn_x86.usdot
// CHECK-NOT: agn_x86.usdot
// CHECK-NOT: linalg.matmul
func.func @packed(%a: tensor<?x5xi8>, %c: tensor<?x2xi32>) -> tensor<?x2xi32> {
  %w = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]> : tensor<5x2xi8>
  %r = linalg.matmul ins(%a, %w : tensor<?x5xi8>, tensor<5x2xi8>) outs(%c : tensor<?x2xi32>) -> tensor<?x2xi32>
  return %r : tensor<?x2xi32>
}

// -----

// Whole panels and K a multiple of 4: no padding, no masks.
// CHECK-LABEL: func.func @whole
// CHECK-NOT: tensor.pad
// CHECK: arith.constant {{.*}} : tensor<2x4x256xi8>
// CHECK-NOT: tensor.pad
// CHECK: vector.transfer_read %{{.*}} {in_bounds = [true]} : tensor<?x128xi32>, vector<16xi32>
// CHECK: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<16xi32>, tensor<?x128xi32>
// With threads=2 the two panels are two chunks of one panel, the iterations
// of an scf.forall that each compute their slice of C (all rows, 64 columns)
// at slice-relative columns.
// PAR-LABEL: func.func @whole
// PAR: scf.forall (%[[P:.*]]) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<?x128xi32>)
// PAR: %[[START:.*]] = arith.muli %[[P]], %c64
// PAR: %[[SLICE:.*]] = tensor.extract_slice %[[OUT]][0, %[[START]]] [%{{.*}}, 64] [1, 1] : tensor<?x128xi32> to tensor<?x64xi32>
// PAR: scf.for %{{.*}} iter_args(%{{.*}} = %[[SLICE]])
// PAR: %[[COLUMN:.*]] = arith.muli %{{.*}}, %c64
// PAR: arith.subi %[[COLUMN]], %[[START]]
// PAR: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<16xi32>, tensor<?x64xi32>
// PAR: scf.forall.in_parallel
// PAR-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][0, %[[START]]] [%{{.*}}, 64] [1, 1]
func.func @whole(%a: tensor<?x16xi8>, %init: tensor<?x128xi32>) -> tensor<?x128xi32> {
  %w = arith.constant dense<1> : tensor<16x128xi8>
  %r = linalg.matmul ins(%a, %w : tensor<?x16xi8>, tensor<16x128xi8>) outs(%init : tensor<?x128xi32>) -> tensor<?x128xi32>
  return %r : tensor<?x128xi32>
}

// -----

// Five panels (N = 300) on two threads: chunks of three panels, the second
// one narrower (300 - 192 = 108 columns), its width a minimum; reads and
// writes of C are masked. The weights are gone (packed).
// PAR-LABEL: func.func @chunks
// PAR-NOT: tensor<4x300xi8>
// PAR: scf.forall (%[[C:.*]]) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<?x300xi32>)
// PAR: %[[FIRST:.*]] = arith.muli %[[C]], %c3
// PAR: %[[LAST:.*]] = arith.minsi %{{.*}}, %c5
// PAR: %[[START:.*]] = arith.muli %[[C]], %c192
// PAR: %[[WIDTH:.*]] = arith.minsi %{{.*}}, %c192
// PAR: %[[SLICE:.*]] = tensor.extract_slice %[[OUT]][0, %[[START]]] [%{{.*}}, %[[WIDTH]]] [1, 1] : tensor<?x300xi32> to tensor<?x?xi32>
// PAR: scf.for %{{.*}} = %[[FIRST]] to %[[LAST]] step %c1 iter_args(%{{.*}} = %[[SLICE]])
// PAR: vector.transfer_read %{{.*}} : tensor<?x?xi32>, vector<16xi32>
// PAR: scf.forall.in_parallel
// PAR-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][0, %[[START]]] [%{{.*}}, %[[WIDTH]]] [1, 1]
func.func @chunks(%a: tensor<?x4xi8>, %init: tensor<?x300xi32>) -> tensor<?x300xi32> {
  %w = arith.constant dense<1> : tensor<4x300xi8>
  %r = linalg.matmul ins(%a, %w : tensor<?x4xi8>, tensor<4x300xi8>) outs(%init : tensor<?x300xi32>) -> tensor<?x300xi32>
  return %r : tensor<?x300xi32>
}

// -----

// A dynamic K in A (B's K is static): agn-vnni-pack casts A to B's K, then
// the kernel pads it to whole groups of 4.
// CHECK-LABEL: func.func @dynamic_k
// CHECK: tensor.cast %{{.*}} : tensor<?x?xi8> to tensor<?x6xi8>
// CHECK: tensor.pad %{{.*}} low[0, 0] high[0, 2]
// CHECK: : tensor<?x6xi8> to tensor<?x8xi8>
// CHECK: agn_x86.usdot
func.func @dynamic_k(%a: tensor<?x?xi8>, %init: tensor<?x8xi32>) -> tensor<?x8xi32> {
  %w = arith.constant dense<1> : tensor<6x8xi8>
  %r = linalg.matmul ins(%a, %w : tensor<?x?xi8>, tensor<6x8xi8>) outs(%init : tensor<?x8xi32>) -> tensor<?x8xi32>
  return %r : tensor<?x8xi32>
}

// -----

// Left alone: weights of a dynamic shape, float and unsigned matmuls,
// other accumulator types, transposed operands.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-5: linalg.matmul
// CHECK-NOT: agn_x86.usdot
func.func @left_alone(%a: tensor<4x8xi8>, %b: tensor<8x?xi8>, %i: tensor<4x16xi32>,
                      %af: tensor<4x8xf32>, %f: tensor<4x16xf32>, %i16: tensor<4x16xi16>)
    -> (tensor<4x16xi32>, tensor<4x16xf32>, tensor<4x16xi32>, tensor<4x16xi16>, tensor<4x16xi32>) {
  %r0 = linalg.matmul ins(%a, %b : tensor<4x8xi8>, tensor<8x?xi8>) outs(%i : tensor<4x16xi32>) -> tensor<4x16xi32>
  %wf = arith.constant dense<1.0> : tensor<8x16xf32>
  %r1 = linalg.matmul ins(%af, %wf : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  %w = arith.constant dense<1> : tensor<8x16xi8>
  %r2 = linalg.matmul {cast = #linalg.type_fn<cast_unsigned>} ins(%a, %w : tensor<4x8xi8>, tensor<8x16xi8>) outs(%i : tensor<4x16xi32>) -> tensor<4x16xi32>
  %r3 = linalg.matmul ins(%a, %w : tensor<4x8xi8>, tensor<8x16xi8>) outs(%i16 : tensor<4x16xi16>) -> tensor<4x16xi16>
  %wt = arith.constant dense<1> : tensor<16x8xi8>
  %r4 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %wt : tensor<4x8xi8>, tensor<16x8xi8>) outs(%i : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r0, %r1, %r2, %r3, %r4 : tensor<4x16xi32>, tensor<4x16xf32>, tensor<4x16xi32>, tensor<4x16xi16>, tensor<4x16xi32>
}

// -----

// agn-multiversion's i4 version (partial sums per block of 8 K values, then
// their rescaled sum; here with one activation scale for the whole tensor)
// becomes one fused kernel. Two i4 weights share a byte: the low nibble from
// K values 8q + t, the high one from 8q + 4 + t. Column 0 of block 0 holds
// -4 .. 3, so its first four bytes are 0x0C, 0x1D, 0x2E, 0x3F; the bias is
// -128 * 16 times the block's column sum (-4): 8192 (0x00002000).
#a3 = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#w3 = affine_map<(d0, d1, d2, d3) -> (d2, d3, d1)>
#o3 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#p3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#t3 = affine_map<(d0, d1, d2) -> ()>
#s3 = affine_map<(d0, d1, d2) -> (d2, d1)>
#c3 = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @blocked_i4
// CHECK-SAME: (%[[A:.*]]: tensor<?x2x8xi8>, %[[SA:.*]]: tensor<f32>, %[[SW:.*]]: tensor<2x4xf32>, %[[C:.*]]: tensor<?x4xf32>)
// CHECK-DAG: %[[HIGH:.*]] = arith.constant dense<-16> : vector<64xi8>
// CHECK-DAG: %[[SHIFT:.*]] = arith.constant dense<4> : vector<32xi16>
// CHECK-DAG: %[[UNSCALE:.*]] = arith.constant dense<4> : vector<16xi32>
// CHECK-DAG: %[[BIAS:.*]] = arith.constant dense<"0x00200000{{.*}}"> : tensor<1x2x64xi32>
// CHECK-DAG: %[[PACKED:.*]] = arith.constant dense<"0x0C1D2E3F{{.*}}"> : tensor<1x2x1x256xi8>
// CHECK: scf.for %[[M:.*]] = %c0 to %{{.*}} step %c2 iter_args
// CHECK: %[[SCALE:.*]] = tensor.extract %[[SA]][] : tensor<f32>
// CHECK: vector.broadcast %[[SCALE]] : f32 to vector<16xf32>
// CHECK: vector.transfer_read %{{.*}}[%[[M]], %c0], %{{.*}} : tensor<?x4xf32>, vector<16xf32>
// CHECK: scf.for %[[J:.*]] = %c0 to %c2 step %c1 iter_args
// CHECK: vector.transfer_read %[[BIAS]][%c0, %[[J]], %c0]
// (one pair of groups per block of 8: canonicalization drops its loop)
// CHECK: %[[BYTES:.*]] = vector.transfer_read %[[PACKED]][%c0, %[[J]], %c0, %c0]
// CHECK: %[[HI:.*]] = arith.andi %[[BYTES]], %[[HIGH]] : vector<64xi8>
// CHECK: %[[WORDS:.*]] = vector.bitcast %[[BYTES]] : vector<64xi8> to vector<32xi16>
// CHECK: %[[SHIFTED:.*]] = arith.shli %[[WORDS]], %[[SHIFT]] : vector<32xi16>
// CHECK: %[[BACK:.*]] = vector.bitcast %[[SHIFTED]] : vector<32xi16> to vector<64xi8>
// CHECK: %[[LO:.*]] = arith.andi %[[BACK]], %[[HIGH]] : vector<64xi8>
// CHECK: vector.transfer_read %[[A]][%[[M]], %[[J]], %{{.*}}]
// CHECK: %[[P:.*]] = agn_x86.usdot %{{.*}}, %{{.*}}, %[[LO]]
// CHECK: agn_x86.usdot %[[P]], %{{.*}}, %[[HI]]
// CHECK: scf.yield
// CHECK: vector.transfer_read %[[SW]][%[[J]], %c0], %{{.*}} : tensor<2x4xf32>, vector<16xf32>
// CHECK: %[[SHR:.*]] = arith.shrsi %{{.*}}, %[[UNSCALE]] : vector<16xi32>
// CHECK: %[[SUM:.*]] = arith.sitofp %[[SHR]] : vector<16xi32> to vector<16xf32>
// CHECK: %[[S:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: %[[Y:.*]] = arith.mulf %[[SUM]], %[[S]] : vector<16xf32>
// CHECK: arith.addf %{{.*}}, %[[Y]] : vector<16xf32>
// CHECK-NOT: linalg.generic
func.func @blocked_i4(%a: tensor<?x2x8xi8>, %sa: tensor<f32>, %sw: tensor<2x4xf32>, %c: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<[[[-4, 0, 0, 0], [-3, 0, 0, 0], [-2, 0, 0, 0], [-1, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0], [2, 0, 0, 0], [3, 0, 0, 0]],
                             [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [7, 7, 7, -8]]]> : tensor<2x8x4xi4>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %a, %c0 : tensor<?x2x8xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty(%m) : tensor<?x4x2xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<?x4x2xi32>) -> tensor<?x4x2xi32>
  %p = linalg.generic {indexing_maps = [#a3, #w3, #o3], iterator_types = ["parallel", "parallel", "parallel", "reduction"],
      agn.blocked_matmul = #agn.blocked_matmul<partial_sums, block_size = 8>}
      ins(%a, %w : tensor<?x2x8xi8>, tensor<2x8x4xi4>) outs(%f : tensor<?x4x2xi32>) {
  ^bb0(%x: i8, %y: i4, %out: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i4 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %out, %xy : i32
    linalg.yield %sum : i32
  } -> tensor<?x4x2xi32>
  %r = linalg.generic {indexing_maps = [#p3, #t3, #s3, #c3], iterator_types = ["parallel", "parallel", "reduction"],
      agn.blocked_matmul = #agn.blocked_matmul<rescale, block_size = 8>}
      ins(%p, %sa, %sw : tensor<?x4x2xi32>, tensor<f32>, tensor<2x4xf32>) outs(%c : tensor<?x4xf32>) {
  ^bb0(%x: i32, %xa: f32, %xw: f32, %out: f32):
    %xf = arith.sitofp %x : i32 to f32
    %sc = arith.mulf %xa, %xw : f32
    %y = arith.mulf %xf, %sc : f32
    %sum = arith.addf %out, %y : f32
    linalg.yield %sum : f32
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// Left alone: blocks of a size that is not a multiple of 8, and a rescaling
// whose operations differ from the reference's (the scale applied first).
#a3 = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#w3 = affine_map<(d0, d1, d2, d3) -> (d2, d3, d1)>
#o3 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#p3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#t3 = affine_map<(d0, d1, d2) -> ()>
#s3 = affine_map<(d0, d1, d2) -> (d2, d1)>
#c3 = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @blocked_left_alone
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT: agn_x86.usdot
func.func @blocked_left_alone(%a: tensor<4x2x4xi8>, %a8: tensor<4x2x8xi8>, %sa: tensor<f32>, %sw: tensor<2x4xf32>, %c: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %w = arith.constant dense<1> : tensor<2x4x4xi4>
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<4x4x2xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<4x4x2xi32>) -> tensor<4x4x2xi32>
  %p = linalg.generic {indexing_maps = [#a3, #w3, #o3], iterator_types = ["parallel", "parallel", "parallel", "reduction"],
      agn.blocked_matmul = #agn.blocked_matmul<partial_sums, block_size = 4>}
      ins(%a, %w : tensor<4x2x4xi8>, tensor<2x4x4xi4>) outs(%f : tensor<4x4x2xi32>) {
  ^bb0(%x: i8, %y: i4, %out: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i4 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %out, %xy : i32
    linalg.yield %sum : i32
  } -> tensor<4x4x2xi32>
  %r = linalg.generic {indexing_maps = [#p3, #t3, #s3, #c3], iterator_types = ["parallel", "parallel", "reduction"],
      agn.blocked_matmul = #agn.blocked_matmul<rescale, block_size = 4>}
      ins(%p, %sa, %sw : tensor<4x4x2xi32>, tensor<f32>, tensor<2x4xf32>) outs(%c : tensor<4x4xf32>) {
  ^bb0(%x: i32, %xa: f32, %xw: f32, %out: f32):
    %xf = arith.sitofp %x : i32 to f32
    %sc = arith.mulf %xa, %xw : f32
    %y = arith.mulf %xf, %sc : f32
    %sum = arith.addf %out, %y : f32
    linalg.yield %sum : f32
  } -> tensor<4x4xf32>
  %w8 = arith.constant dense<1> : tensor<2x8x4xi4>
  %p8 = linalg.generic {indexing_maps = [#a3, #w3, #o3], iterator_types = ["parallel", "parallel", "parallel", "reduction"],
      agn.blocked_matmul = #agn.blocked_matmul<partial_sums, block_size = 8>}
      ins(%a8, %w8 : tensor<4x2x8xi8>, tensor<2x8x4xi4>) outs(%f : tensor<4x4x2xi32>) {
  ^bb0(%x: i8, %y: i4, %out: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i4 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %out, %xy : i32
    linalg.yield %sum : i32
  } -> tensor<4x4x2xi32>
  %r8 = linalg.generic {indexing_maps = [#p3, #t3, #s3, #c3], iterator_types = ["parallel", "parallel", "reduction"],
      agn.blocked_matmul = #agn.blocked_matmul<rescale, block_size = 8>}
      ins(%p8, %sa, %sw : tensor<4x4x2xi32>, tensor<f32>, tensor<2x4xf32>) outs(%c : tensor<4x4xf32>) {
  ^bb0(%x: i32, %xa: f32, %xw: f32, %out: f32):
    %xf = arith.sitofp %x : i32 to f32
    %sc = arith.mulf %xf, %xa : f32
    %y = arith.mulf %sc, %xw : f32
    %sum = arith.addf %out, %y : f32
    linalg.yield %sum : f32
  } -> tensor<4x4xf32>
  return %r, %r8 : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// i4 weights (agn's i4 versions of convolutions, per-channel scales) are
// packed as sign-extended bytes: -8 -> 0xF8, 7 -> 0x07; the bias is -128 times
// the column sums (-8 + 7 + 1 + 1 = 1 -> -128; 0 -> 0).
// CHECK-LABEL: func.func @i4_weights
// CHECK-DAG: arith.constant dense<"0xF8070101{{(00)+}}"> : tensor<1x1x256xi8>
// CHECK-DAG: arith.constant dense<{{\[\[}}-128, 0, {{.*}}]]> : tensor<1x64xi32>
// CHECK: agn_x86.usdot
// CHECK-NOT: linalg.matmul
func.func @i4_weights(%a: tensor<?x4xi8>, %c: tensor<?x2xi32>) -> tensor<?x2xi32> {
  %w = arith.constant dense<[[-8, 0], [7, 0], [1, 0], [1, 0]]> : tensor<4x2xi4>
  %r = linalg.matmul ins(%a, %w : tensor<?x4xi8>, tensor<4x2xi4>) outs(%c : tensor<?x2xi32>) -> tensor<?x2xi32>
  return %r : tensor<?x2xi32>
}

// -----

// Weights that are not constants are packed by vector code on every call,
// each panel of 64 columns (one here, whose loop canonicalization drops)
// right before the kernel's loops over its rows: per group of four K values
// (two: K = 5, the rows past K and the columns past N read as zeros), four
// rows of 64 bytes interleaved into the 256 bytes of the packed layout, and
// their sums accumulated; -128 times the sums are the panel's bias.
// CHECK-LABEL: func.func @runtime_i8
// CHECK-SAME: (%[[A:.*]]: tensor<?x5xi8>, %[[W:.*]]: tensor<5x2xi8>, %[[C:.*]]: tensor<?x2xi32>)
// CHECK-DAG: %[[MINUS128:.*]] = arith.constant dense<-128> : vector<64xi32>
// CHECK-DAG: %[[ZEROS:.*]] = arith.constant dense<0> : vector<64xi32>
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<2x256xi8>
// CHECK: %[[PACKING:.*]]:2 = scf.for %[[G:.*]] = %c0 to %c2 step %c1 iter_args(%[[P:.*]] = %[[EMPTY]], %[[SUM:.*]] = %[[ZEROS]])
// CHECK: %[[K:.*]] = arith.muli %[[G]], %c4
// CHECK: %[[GROUP_ROWS:.*]] = vector.transfer_read %[[W]][%[[K]], %c0], %{{.*}} : tensor<5x2xi8>, vector<4x64xi8>
// CHECK: %[[R0:.*]] = vector.extract %[[GROUP_ROWS]][0]
// CHECK: %[[R1:.*]] = vector.extract %[[GROUP_ROWS]][1]
// CHECK: %[[R2:.*]] = vector.extract %[[GROUP_ROWS]][2]
// CHECK: %[[R3:.*]] = vector.extract %[[GROUP_ROWS]][3]
// CHECK: %[[EVEN:.*]] = vector.interleave %[[R0]], %[[R2]] : vector<64xi8> -> vector<128xi8>
// CHECK: %[[ODD:.*]] = vector.interleave %[[R1]], %[[R3]] : vector<64xi8> -> vector<128xi8>
// CHECK: %[[GROUP:.*]] = vector.interleave %[[EVEN]], %[[ODD]] : vector<128xi8> -> vector<256xi8>
// CHECK: %[[WRITTEN:.*]] = vector.transfer_write %[[GROUP]], %[[P]][%[[G]], %c0] {in_bounds = [true]}
// CHECK-COUNT-4: arith.extsi
// CHECK: %[[SUMS:.*]] = arith.addi
// CHECK: scf.yield %[[WRITTEN]], %[[SUMS]]
// CHECK: %[[CORRECTION:.*]] = arith.muli %[[PACKING]]#1, %[[MINUS128]] : vector<64xi32>
// CHECK: %[[EMPTY_BIAS:.*]] = tensor.empty() : tensor<64xi32>
// CHECK: %[[BIAS:.*]] = vector.transfer_write %[[CORRECTION]], %[[EMPTY_BIAS]][%c0] {in_bounds = [true]}
// CHECK: scf.for
// CHECK: vector.transfer_read %[[BIAS]][%c0]
// CHECK: vector.transfer_read %[[PACKING]]#0[%{{.*}}, %c0]
// CHECK: agn_x86.usdot
// CHECK-NOT: linalg.matmul
func.func @runtime_i8(%a: tensor<?x5xi8>, %w: tensor<5x2xi8>, %c: tensor<?x2xi32>) -> tensor<?x2xi32> {
  %r = linalg.matmul ins(%a, %w : tensor<?x5xi8>, tensor<5x2xi8>) outs(%c : tensor<?x2xi32>) -> tensor<?x2xi32>
  return %r : tensor<?x2xi32>
}

// -----

// The blocked i4 version with its weights an argument, packed one panel at a
// time (one here): per block and pair of groups, eight rows of 64 i4 values
// (unpacked from their bytes into signed bytes: the low nibbles shifted up
// and arithmetically down, the high ones down, interleaved) go into one
// interleaved vector, rows t and t + 4
// into the low and high nibbles; -2048 (-128 * 16) times the block's sums
// are its bias.
#a3 = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#w3 = affine_map<(d0, d1, d2, d3) -> (d2, d3, d1)>
#o3 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#p3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#t3 = affine_map<(d0, d1, d2) -> ()>
#s3 = affine_map<(d0, d1, d2) -> (d2, d1)>
#c3 = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @runtime_i4
// CHECK-SAME: (%[[A:.*]]: tensor<?x2x16xi8>, %[[W:.*]]: tensor<2x16x4xi4>
// CHECK-DAG: %[[LOW:.*]] = arith.constant dense<15> : vector<64xi8>
// CHECK-DAG: %[[FOUR:.*]] = arith.constant dense<4> : vector<64xi8>
// CHECK-DAG: %[[MINUS2048:.*]] = arith.constant dense<-2048> : vector<64xi32>
// CHECK-DAG: tensor.empty() : tensor<2x2x256xi8>
// CHECK-DAG: tensor.empty() : tensor<2x64xi32>
// CHECK: scf.for %[[J:.*]] = %c0 to %c2 step %c1
// CHECK: scf.for %[[Q:.*]] = %c0 to %c2 step %c1
// CHECK: %[[N0:.*]] = vector.transfer_read %[[W]][%[[J]], %{{.*}}, %c0], %{{.*}} : tensor<2x16x4xi4>, vector<64xi4>
// CHECK: %[[BYTES0:.*]] = vector.bitcast %[[N0]] : vector<64xi4> to vector<32xi8>
// CHECK: %[[UP:.*]] = arith.shli %[[BYTES0]], %{{.*}} : vector<32xi8>
// CHECK: %[[EVEN:.*]] = arith.shrsi %[[UP]], %{{.*}} : vector<32xi8>
// CHECK: %[[ODD:.*]] = arith.shrsi %[[BYTES0]], %{{.*}} : vector<32xi8>
// CHECK: %[[B0:.*]] = vector.interleave %[[EVEN]], %[[ODD]] : vector<32xi8> -> vector<64xi8>
// CHECK-COUNT-7: vector.transfer_read %[[W]]
// CHECK: %[[L0:.*]] = arith.andi %[[B0]], %[[LOW]] : vector<64xi8>
// CHECK: %[[H0:.*]] = arith.shli %{{.*}}, %[[FOUR]] : vector<64xi8>
// CHECK: arith.ori %[[L0]], %[[H0]] : vector<64xi8>
// CHECK: vector.interleave
// CHECK: vector.interleave
// CHECK: %[[BYTES:.*]] = vector.interleave {{.*}} : vector<128xi8> -> vector<256xi8>
// CHECK: vector.transfer_write %[[BYTES]], %{{.*}}[%[[J]], %[[Q]], %c0] {in_bounds = [true]}
// CHECK-COUNT-8: arith.extsi %{{.*}} to vector<64xi32>
// CHECK: scf.yield
// CHECK: arith.muli %{{.*}}, %[[MINUS2048]] : vector<64xi32>
// CHECK: vector.transfer_write %{{.*}}[%[[J]], %c0] {in_bounds = [true]} : vector<64xi32>, tensor<2x64xi32>
// CHECK: agn_x86.usdot
// CHECK-NOT: linalg.generic
func.func @runtime_i4(%a: tensor<?x2x16xi8>, %w: tensor<2x16x4xi4>, %sa: tensor<f32>, %sw: tensor<2x4xf32>, %c: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %a, %c0 : tensor<?x2x16xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty(%m) : tensor<?x4x2xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<?x4x2xi32>) -> tensor<?x4x2xi32>
  %p = linalg.generic {indexing_maps = [#a3, #w3, #o3], iterator_types = ["parallel", "parallel", "parallel", "reduction"],
      agn.blocked_matmul = #agn.blocked_matmul<partial_sums, block_size = 16>}
      ins(%a, %w : tensor<?x2x16xi8>, tensor<2x16x4xi4>) outs(%f : tensor<?x4x2xi32>) {
  ^bb0(%x: i8, %y: i4, %out: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i4 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %out, %xy : i32
    linalg.yield %sum : i32
  } -> tensor<?x4x2xi32>
  %r = linalg.generic {indexing_maps = [#p3, #t3, #s3, #c3], iterator_types = ["parallel", "parallel", "reduction"],
      agn.blocked_matmul = #agn.blocked_matmul<rescale, block_size = 16>}
      ins(%p, %sa, %sw : tensor<?x4x2xi32>, tensor<f32>, tensor<2x4xf32>) outs(%c : tensor<?x4xf32>) {
  ^bb0(%x: i32, %xa: f32, %xw: f32, %out: f32):
    %xf = arith.sitofp %x : i32 to f32
    %sc = arith.mulf %xa, %xw : f32
    %y = arith.mulf %xf, %sc : f32
    %sum = arith.addf %out, %y : f32
    linalg.yield %sum : f32
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// Weights packed on every call do not pay for a single row of A (a
// matrix-vector product): it is left to the generic vector code.
// CHECK-LABEL: func.func @runtime_i8_one_row_left_alone
// CHECK: linalg.matmul
// CHECK-NOT: agn_x86.usdot
func.func @runtime_i8_one_row_left_alone(%a: tensor<1x8xi8>, %w: tensor<8x64xi8>, %c: tensor<1x64xi32>) -> tensor<1x64xi32> {
  %r = linalg.matmul ins(%a, %w : tensor<1x8xi8>, tensor<8x64xi8>) outs(%c : tensor<1x64xi32>) -> tensor<1x64xi32>
  return %r : tensor<1x64xi32>
}

// -----

// i4 weights of a plain matmul (agn's i4 batched matmuls, one slice of the
// weights per batch element) are packed on every call too: each of the four
// rows of a group read as 64 i4 values and unpacked to signed bytes.
// CHECK-LABEL: func.func @runtime_i4_matmul
// CHECK: %[[R0:.*]] = vector.transfer_read %{{.*}} : tensor<4x2xi4>, vector<64xi4>
// CHECK: vector.bitcast %[[R0]] : vector<64xi4> to vector<32xi8>
// CHECK-COUNT-3: vector.transfer_read %{{.*}} : tensor<4x2xi4>, vector<64xi4>
// CHECK: vector.interleave
// CHECK: agn_x86.usdot
// CHECK-NOT: linalg.matmul
func.func @runtime_i4_matmul(%a: tensor<?x4xi8>, %w: tensor<4x2xi4>, %c: tensor<?x2xi32>) -> tensor<?x2xi32> {
  %r = linalg.matmul ins(%a, %w : tensor<?x4xi8>, tensor<4x2xi4>) outs(%c : tensor<?x2xi32>) -> tensor<?x2xi32>
  return %r : tensor<?x2xi32>
}

// -----

// ... but not when its rows do not start on whole bytes (odd N) or K is not
// a multiple of 4.
// CHECK-LABEL: func.func @runtime_i4_matmul_left_alone
// CHECK-COUNT-2: linalg.matmul
// CHECK-NOT: agn_x86.usdot
func.func @runtime_i4_matmul_left_alone(%a: tensor<?x4xi8>, %w: tensor<4x3xi4>, %c: tensor<?x3xi32>,
                                        %a6: tensor<?x6xi8>, %w6: tensor<6x2xi4>, %c6: tensor<?x2xi32>) -> (tensor<?x3xi32>, tensor<?x2xi32>) {
  %r = linalg.matmul ins(%a, %w : tensor<?x4xi8>, tensor<4x3xi4>) outs(%c : tensor<?x3xi32>) -> tensor<?x3xi32>
  %r6 = linalg.matmul ins(%a6, %w6 : tensor<?x6xi8>, tensor<6x2xi4>) outs(%c6 : tensor<?x2xi32>) -> tensor<?x2xi32>
  return %r, %r6 : tensor<?x3xi32>, tensor<?x2xi32>
}

// -----

// i4 weights packed at run time are read in rows of 64 values, which start
// on whole bytes only when N is even: an odd N is left to the generic code.
#a3 = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#w3 = affine_map<(d0, d1, d2, d3) -> (d2, d3, d1)>
#o3 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#p3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#t3 = affine_map<(d0, d1, d2) -> ()>
#s3 = affine_map<(d0, d1, d2) -> (d2, d1)>
#c3 = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @runtime_i4_odd_n_left_alone
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT: agn_x86.usdot
func.func @runtime_i4_odd_n_left_alone(%a: tensor<4x2x8xi8>, %w: tensor<2x8x3xi4>, %sa: tensor<f32>, %sw: tensor<2x3xf32>, %c: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<4x3x2xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<4x3x2xi32>) -> tensor<4x3x2xi32>
  %p = linalg.generic {indexing_maps = [#a3, #w3, #o3], iterator_types = ["parallel", "parallel", "parallel", "reduction"],
      agn.blocked_matmul = #agn.blocked_matmul<partial_sums, block_size = 8>}
      ins(%a, %w : tensor<4x2x8xi8>, tensor<2x8x3xi4>) outs(%f : tensor<4x3x2xi32>) {
  ^bb0(%x: i8, %y: i4, %out: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i4 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %out, %xy : i32
    linalg.yield %sum : i32
  } -> tensor<4x3x2xi32>
  %r = linalg.generic {indexing_maps = [#p3, #t3, #s3, #c3], iterator_types = ["parallel", "parallel", "reduction"],
      agn.blocked_matmul = #agn.blocked_matmul<rescale, block_size = 8>}
      ins(%p, %sa, %sw : tensor<4x3x2xi32>, tensor<f32>, tensor<2x3xf32>) outs(%c : tensor<4x3xf32>) {
  ^bb0(%x: i32, %xa: f32, %xw: f32, %out: f32):
    %xf = arith.sitofp %x : i32 to f32
    %sc = arith.mulf %xa, %xw : f32
    %y = arith.mulf %xf, %sc : f32
    %sum = arith.addf %out, %y : f32
    linalg.yield %sum : f32
  } -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}

// -----

// Left alone: empty weights (nothing to compute, no panel to share among
// threads), and i4 weights sliced at a column that may be odd (a row would
// not start on a whole byte). (A slice of whole rows of even length, as a
// batch element of agn's batched matmuls, is packed: see the integration
// test vnni-batched.mlir.)
// CHECK-LABEL: func.func @empty_and_odd_slices_left_alone
// CHECK-COUNT-2: linalg.matmul
// CHECK-NOT: agn_x86.usdot
// PAR-LABEL: func.func @empty_and_odd_slices_left_alone
// PAR-NOT: agn_x86.usdot
func.func @empty_and_odd_slices_left_alone(%a: tensor<8x16xi8>, %w: tensor<16x0xi8>, %c: tensor<8x0xi32>,
                                           %a4: tensor<8x4xi8>, %w4: tensor<4x6xi4>, %k: index, %c4: tensor<8x2xi32>)
    -> (tensor<8x0xi32>, tensor<8x2xi32>) {
  %r = linalg.matmul ins(%a, %w : tensor<8x16xi8>, tensor<16x0xi8>) outs(%c : tensor<8x0xi32>) -> tensor<8x0xi32>
  %s = tensor.extract_slice %w4[0, %k] [4, 2] [1, 1] : tensor<4x6xi4> to tensor<4x2xi4>
  %r4 = linalg.matmul ins(%a4, %s : tensor<8x4xi8>, tensor<4x2xi4>) outs(%c4 : tensor<8x2xi32>) -> tensor<8x2xi32>
  return %r, %r4 : tensor<8x0xi32>, tensor<8x2xi32>
}

// -----

// i4 weights written by a destination-style op into a slice at a column that
// may be odd start where that slice does: left alone too.
// CHECK-LABEL: func.func @odd_destination_left_alone
// CHECK: linalg.matmul
// CHECK-NOT: agn_x86.usdot
func.func @odd_destination_left_alone(%a: tensor<8x4xi8>, %src: tensor<4x2xi4>, %big: tensor<4x6xi4>, %k: index, %c: tensor<8x2xi32>) -> tensor<8x2xi32> {
  %dst = tensor.extract_slice %big[0, %k] [4, 2] [1, 1] : tensor<4x6xi4> to tensor<4x2xi4>
  %w = linalg.copy ins(%src : tensor<4x2xi4>) outs(%dst : tensor<4x2xi4>) -> tensor<4x2xi4>
  %r = linalg.matmul ins(%a, %w : tensor<8x4xi8>, tensor<4x2xi4>) outs(%c : tensor<8x2xi32>) -> tensor<8x2xi32>
  return %r : tensor<8x2xi32>
}

// -----

// The same pair without agn-multiversion's #agn.blocked_matmul markers: the
// contract between the passes is the attribute, not the shape of the ops,
// so the pair is left to the generic code.
#a3 = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#w3 = affine_map<(d0, d1, d2, d3) -> (d2, d3, d1)>
#o3 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#p3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#t3 = affine_map<(d0, d1, d2) -> ()>
#s3 = affine_map<(d0, d1, d2) -> (d2, d1)>
#c3 = affine_map<(d0, d1, d2) -> (d0, d1)>

// CHECK-LABEL: func.func @unmarked_i4
// CHECK-NOT: agn_x86.usdot
// CHECK-COUNT-2: linalg.generic
func.func @unmarked_i4(%a: tensor<?x2x8xi8>, %sa: tensor<f32>, %sw: tensor<2x4xf32>, %c: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<[[[-4, 0, 0, 0], [-3, 0, 0, 0], [-2, 0, 0, 0], [-1, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0], [2, 0, 0, 0], [3, 0, 0, 0]],
                             [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [7, 7, 7, -8]]]> : tensor<2x8x4xi4>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %a, %c0 : tensor<?x2x8xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty(%m) : tensor<?x4x2xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<?x4x2xi32>) -> tensor<?x4x2xi32>
  %p = linalg.generic {indexing_maps = [#a3, #w3, #o3], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x2x8xi8>, tensor<2x8x4xi4>) outs(%f : tensor<?x4x2xi32>) {
  ^bb0(%x: i8, %y: i4, %out: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i4 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %out, %xy : i32
    linalg.yield %sum : i32
  } -> tensor<?x4x2xi32>
  %r = linalg.generic {indexing_maps = [#p3, #t3, #s3, #c3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p, %sa, %sw : tensor<?x4x2xi32>, tensor<f32>, tensor<2x4xf32>) outs(%c : tensor<?x4xf32>) {
  ^bb0(%x: i32, %xa: f32, %xw: f32, %out: f32):
    %xf = arith.sitofp %x : i32 to f32
    %sc = arith.mulf %xa, %xw : f32
    %y = arith.mulf %xf, %sc : f32
    %sum = arith.addf %out, %y : f32
    linalg.yield %sum : f32
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// A C that starts as zeros (a fill of zero, here through the collapse that
// an im2col matmul puts on its convolution's output) is neither filled nor
// read: the accumulators start at the correction alone (vnni) and the tiles
// write into a tensor.empty; the fill is left dead. A C filled with another
// value is read as usual.
// CHECK-LABEL: func.func @zero_filled
// CHECK-NOT:     linalg.fill
// CHECK:         %[[EMPTY:.*]] = tensor.empty({{.*}}) : tensor<?x128xi32>
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[EMPTY]])
// CHECK-NOT:     vector.transfer_read {{.*}} : tensor<?x128xi32>, vector<16xi32>
// CHECK:         vector.transfer_write {{.*}} : vector<16xi32>, tensor<?x128xi32>
// CHECK:         return
// PAR-LABEL: func.func @zero_filled
// PAR-NOT:     linalg.fill
// PAR:         scf.forall
// CHECK-LABEL: func.func @one_filled
// CHECK:         %[[ONES:.*]] = linalg.fill
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[ONES]])
// CHECK:         vector.transfer_read {{.*}} : tensor<?x128xi32>, vector<16xi32>
func.func @zero_filled(%a: tensor<?x16xi8>) -> tensor<?x128xi32> {
  %b = arith.constant dense<1> : tensor<16x128xi8>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %a, %c0 : tensor<?x16xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty(%m) : tensor<?x2x64xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<?x2x64xi32>) -> tensor<?x2x64xi32>
  %init = tensor.collapse_shape %f [[0], [1, 2]] : tensor<?x2x64xi32> into tensor<?x128xi32>
  %r = linalg.matmul ins(%a, %b : tensor<?x16xi8>, tensor<16x128xi8>) outs(%init : tensor<?x128xi32>) -> tensor<?x128xi32>
  return %r : tensor<?x128xi32>
}

func.func @one_filled(%a: tensor<?x16xi8>) -> tensor<?x128xi32> {
  %b = arith.constant dense<1> : tensor<16x128xi8>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %a, %c0 : tensor<?x16xi8>
  %one = arith.constant 1 : i32
  %e = tensor.empty(%m) : tensor<?x128xi32>
  %f = linalg.fill ins(%one : i32) outs(%e : tensor<?x128xi32>) -> tensor<?x128xi32>
  %r = linalg.matmul ins(%a, %b : tensor<?x16xi8>, tensor<16x128xi8>) outs(%f : tensor<?x128xi32>) -> tensor<?x128xi32>
  return %r : tensor<?x128xi32>
}
