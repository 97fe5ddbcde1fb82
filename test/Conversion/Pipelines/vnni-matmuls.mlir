// RUN: agn-opt %s -split-input-file --agn-vnni-matmuls=rows=2 --canonicalize --cse | FileCheck %s
// RUN: not agn-opt %s -split-input-file --agn-vnni-matmuls=rows=0 2>&1 | FileCheck %s --check-prefix=ROWS

// ROWS: agn-vnni-matmuls: 'rows' must be at least 1, got 0

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
// CHECK-DAG: %[[BIAS:.*]] = arith.constant dense<[-3200, -3840, 0, {{.*}}]> : tensor<64xi32>
// CHECK-DAG: %[[PANELS:.*]] = arith.constant dense<"0x0103050702040608{{(00)+}}090000000A000000{{(00)+}}"> : tensor<1x2x256xi8>
// CHECK: %[[PADDED:.*]] = tensor.pad %[[A]] low[0, 0] high[0, 3]
// CHECK: : tensor<?x5xi8> to tensor<?x8xi8>
// CHECK: %[[TILED:.*]] = scf.for %[[M:.*]] = %c0 to %{{.*}} step %c2 iter_args(%[[C1:.*]] = %[[C]])
// CHECK: vector.transfer_read %[[BIAS]][%c0], %{{.*}} {in_bounds = [true]} : tensor<64xi32>, vector<16xi32>
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
// CHECK: agn.usdot %{{.*}}, %[[LHS]], %[[B0]] : vector<64xi8> into vector<16xi32>
// CHECK-COUNT-7: agn.usdot
// CHECK: scf.yield
// CHECK: vector.transfer_write %{{.*}}[%[[M]], %c0] : vector<16xi32>, tensor<?x2xi32>
// The rows left over, one at a time.
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1 iter_args(%{{.*}} = %[[TILED]])
// CHECK: scf.for
// CHECK-COUNT-4: agn.usdot
// CHECK-NOT: agn.usdot
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
func.func @whole(%a: tensor<?x16xi8>, %init: tensor<?x128xi32>) -> tensor<?x128xi32> {
  %w = arith.constant dense<1> : tensor<16x128xi8>
  %r = linalg.matmul ins(%a, %w : tensor<?x16xi8>, tensor<16x128xi8>) outs(%init : tensor<?x128xi32>) -> tensor<?x128xi32>
  return %r : tensor<?x128xi32>
}

// -----

// Left alone: weights that are not constants, float and unsigned matmuls,
// other accumulator types, transposed operands.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-5: linalg.matmul
// CHECK-NOT: agn.usdot
func.func @left_alone(%a: tensor<4x8xi8>, %b: tensor<8x16xi8>, %i: tensor<4x16xi32>,
                      %af: tensor<4x8xf32>, %f: tensor<4x16xf32>, %i16: tensor<4x16xi16>)
    -> (tensor<4x16xi32>, tensor<4x16xf32>, tensor<4x16xi32>, tensor<4x16xi16>, tensor<4x16xi32>) {
  %r0 = linalg.matmul ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%i : tensor<4x16xi32>) -> tensor<4x16xi32>
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
