// RUN: agn-opt %s -split-input-file --agn-multiversion | FileCheck %s
// RUN: agn-opt %s -split-input-file --agn-multiversion --agn-multiversion | FileCheck %s

// agn-multiversion replaces everything after a unit's agn.arbitrate with an
// agn.dispatch on the granted level, one case per allowed level. The cases
// differ only in the contraction; the epilogue follows it, in f32, in each:
//
//   f32        the reference, as written;
//   f16, bf16  the contraction's operands rounded (agn.quantize with float
//              storage, scales unused), accumulated into the f32 init;
//   i8         activations per row, weights per output channel, an i32
//              contraction into zeros, then one elementwise rescale
//              init + float(acc) * s_act[row] * s_w[channel];
//   i4         i4 weights; per block of 32 along the reduction when the
//              reduction splits into blocks: i32 partial sums per block, then
//              their sum over blocks, each rescaled by its block's scale.
//
// Running the pass twice is running it once: units that dispatch are left
// alone.

// A matmul with a bias + relu epilogue, at every level.

// CHECK-DAG: #[[P_LHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[P_RHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3, d1)>
// CHECK-DAG: #[[P_OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[B_ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[B_ROW:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-DAG: #[[B_SCALE:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[B_OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @matmul_bias_relu
// CHECK:       agn.unit "mm"
// CHECK-NEXT:  ^bb0(%[[A:.*]]: tensor<4x64xf32>, %[[W:.*]]: tensor<64x16xf32>, %[[B:.*]]: tensor<16xf32>):
// CHECK:       %[[G:.*]] = agn.arbitrate
// CHECK-NEXT:  %[[D:.*]] = agn.dispatch %[[G]] -> tensor<4x16xf32>

// i4: i8 activations with a scale per row (4), i4 weights with a scale per
// block of 32 rows of K and per column (2x16). K = 64 splits into 2 x 32: the
// i32 partial sums P[m, n, j] = sum_t qa[m, j, t] qw[j, t, n], then
// y[m, n] = init[m, n] + sum_j float(P[m, n, j]) * s_a[m] * s_w[j, n].
// Both generics carry #agn.blocked_matmul: the contract with the kernel
// passes (agn-vnni-matmuls fuses the pair) is written in the IR.
// CHECK-NEXT:  case i4 {
// CHECK:         %[[ZERO_INIT:.*]] = linalg.fill
// CHECK:         %[[QA:.*]], %[[SA:.*]] = agn.quantize %[[A]] axis 0 : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4xf32>
// CHECK-NEXT:    %[[QW:.*]], %[[SW:.*]] = agn.quantize %[[W]] axis 0 block 32 : tensor<64x16xf32> -> tensor<64x16xi4>, tensor<2x16xf32>
// CHECK-NEXT:    %[[EA:.*]] = tensor.expand_shape %[[QA]] {{\[}}[0], [1, 2]] output_shape [4, 2, 32] : tensor<4x64xi8> into tensor<4x2x32xi8>
// CHECK-NEXT:    %[[EW:.*]] = tensor.expand_shape %[[QW]] {{\[}}[0, 1], [2]] output_shape [2, 32, 16] : tensor<64x16xi4> into tensor<2x32x16xi4>
// CHECK:         %[[PZ:.*]] = linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<4x16x2xi32>)
// CHECK-NEXT:    %[[P:.*]] = linalg.generic {indexing_maps = [#[[P_LHS]], #[[P_RHS]], #[[P_OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME:        ins(%[[EA]], %[[EW]] : tensor<4x2x32xi8>, tensor<2x32x16xi4>) outs(%[[PZ]] : tensor<4x16x2xi32>)
// CHECK-SAME:        attrs = {agn.blocked_matmul = #agn.blocked_matmul<partial_sums, block_size = 32>}
// CHECK-NEXT:    ^bb0(%[[PA:.*]]: i8, %[[PW:.*]]: i4, %[[PO:.*]]: i32):
// CHECK-NEXT:      %[[XA:.*]] = arith.extsi %[[PA]] : i8 to i32
// CHECK-NEXT:      %[[XW:.*]] = arith.extsi %[[PW]] : i4 to i32
// CHECK-NEXT:      %[[PM:.*]] = arith.muli %[[XA]], %[[XW]] : i32
// CHECK-NEXT:      %[[PS:.*]] = arith.addi %[[PO]], %[[PM]] : i32
// CHECK-NEXT:      linalg.yield %[[PS]] : i32
// CHECK:         %[[Y4:.*]] = linalg.generic {indexing_maps = [#[[B_ID]], #[[B_ROW]], #[[B_SCALE]], #[[B_OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:        ins(%[[P]], %[[SA]], %[[SW]] : tensor<4x16x2xi32>, tensor<4xf32>, tensor<2x16xf32>) outs(%[[ZERO_INIT]] : tensor<4x16xf32>)
// CHECK-SAME:        attrs = {agn.blocked_matmul = #agn.blocked_matmul<rescale, block_size = 32>}
// CHECK-NEXT:    ^bb0(%[[RP:.*]]: i32, %[[RSA:.*]]: f32, %[[RSW:.*]]: f32, %[[RO:.*]]: f32):
// CHECK-NEXT:      %[[RF:.*]] = arith.sitofp %[[RP]] : i32 to f32
// CHECK-NEXT:      %[[RS:.*]] = arith.mulf %[[RSA]], %[[RSW]] : f32
// CHECK-NEXT:      %[[RM:.*]] = arith.mulf %[[RF]], %[[RS]] : f32
// CHECK-NEXT:      %[[RA:.*]] = arith.addf %[[RO]], %[[RM]] : f32
// CHECK-NEXT:      linalg.yield %[[RA]] : f32
// CHECK:         %[[BB4:.*]] = linalg.broadcast ins(%[[B]]
// CHECK-NEXT:    %[[SUM4:.*]] = linalg.add ins(%[[Y4]], %[[BB4]] : tensor<4x16xf32>, tensor<4x16xf32>)
// CHECK:         %[[RELU4:.*]] = linalg.max ins(%[[SUM4]]
// CHECK-NEXT:    agn.yield %[[RELU4]] : tensor<4x16xf32>

// i8: i8 x i8 -> i32 matmul into zeros, then the rescale. The f32 init is a
// zero fill, so the rescale does not read it.
// CHECK:       case i8 {
// CHECK-NOT:     linalg.fill ins(%{{.*}} : f32)
// CHECK:         %[[QA:.*]], %[[SA:.*]] = agn.quantize %[[A]] axis 0 : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4xf32>
// CHECK-NEXT:    %[[QW:.*]], %[[SW:.*]] = agn.quantize %[[W]] axis 1 : tensor<64x16xf32> -> tensor<64x16xi8>, tensor<16xf32>
// CHECK-NEXT:    %[[E32:.*]] = tensor.empty() : tensor<4x16xi32>
// CHECK-NEXT:    %[[C0:.*]] = arith.constant 0 : i32
// CHECK-NEXT:    %[[Z32:.*]] = linalg.fill ins(%[[C0]] : i32) outs(%[[E32]] : tensor<4x16xi32>) -> tensor<4x16xi32>
// CHECK-NEXT:    %[[ACC:.*]] = linalg.matmul ins(%[[QA]], %[[QW]] : tensor<4x64xi8>, tensor<64x16xi8>) outs(%[[Z32]] : tensor<4x16xi32>) -> tensor<4x16xi32>
// CHECK-NEXT:    %[[OUT:.*]] = tensor.empty() : tensor<4x16xf32>
// CHECK-NEXT:    %[[Y8:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[ACC]], %[[SA]], %[[SW]] : tensor<4x16xi32>, tensor<4xf32>, tensor<16xf32>) outs(%[[OUT]] : tensor<4x16xf32>)
// CHECK-NEXT:    ^bb0(%[[IA:.*]]: i32, %[[ISA:.*]]: f32, %[[ISW:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[IF:.*]] = arith.sitofp %[[IA]] : i32 to f32
// CHECK-NEXT:      %[[IS:.*]] = arith.mulf %[[ISA]], %[[ISW]] : f32
// CHECK-NEXT:      %[[IM:.*]] = arith.mulf %[[IF]], %[[IS]] : f32
// CHECK-NEXT:      linalg.yield %[[IM]] : f32
// CHECK:         %[[BB8:.*]] = linalg.broadcast ins(%[[B]]
// CHECK-NEXT:    %[[SUM8:.*]] = linalg.add ins(%[[Y8]], %[[BB8]]
// CHECK:         %[[RELU8:.*]] = linalg.max ins(%[[SUM8]]
// CHECK-NEXT:    agn.yield %[[RELU8]] : tensor<4x16xf32>

// bf16: rounded operands, the f32 init, the named op's f32 accumulation.
// CHECK:       case bf16 {
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32)
// CHECK-NEXT:    %[[HA:.*]], %{{.*}} = agn.quantize %[[A]] : tensor<4x64xf32> -> tensor<4x64xbf16>, tensor<f32>
// CHECK-NEXT:    %[[HW:.*]], %{{.*}} = agn.quantize %[[W]] : tensor<64x16xf32> -> tensor<64x16xbf16>, tensor<f32>
// CHECK-NEXT:    %[[MM:.*]] = linalg.matmul ins(%[[HA]], %[[HW]] : tensor<4x64xbf16>, tensor<64x16xbf16>) outs(%[[INIT]] : tensor<4x16xf32>) -> tensor<4x16xf32>
// CHECK:         linalg.add ins(%[[MM]]
// CHECK:         linalg.max
// f16 also scales the activations by a power of two (2^-floor(log2 max|a|),
// from the exponent bits) into its narrow range, and the sum, from zero, back.
// CHECK:       case f16 {
// CHECK:         %[[HW:.*]], %{{.*}} = agn.quantize %[[W]] : tensor<64x16xf32> -> tensor<64x16xf16>, tensor<f32>
// CHECK-NEXT:    %[[M:.*]] = agn.abs_max %[[A]] : tensor<4x64xf32>
// CHECK-NEXT:    arith.bitcast %[[M]] : f32 to i32
// CHECK:         %[[S:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK:         %[[INV:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK:         %[[SA:.*]] = linalg.generic {{.*}} ins(%[[A]] : tensor<4x64xf32>)
// CHECK:           arith.mulf %{{.*}}, %[[S]] : f32
// CHECK:         %[[HA:.*]], %{{.*}} = agn.quantize %[[SA]] : tensor<4x64xf32> -> tensor<4x64xf16>, tensor<f32>
// CHECK:         %[[MM:.*]] = linalg.matmul ins(%[[HA]], %[[HW]] : tensor<4x64xf16>, tensor<64x16xf16>) outs(%{{.*}} : tensor<4x16xf32>) -> tensor<4x16xf32>
// CHECK:         %[[UN:.*]] = linalg.generic {{.*}} ins(%[[MM]] : tensor<4x16xf32>)
// CHECK:           arith.mulf %{{.*}}, %[[INV]] : f32
// CHECK:         linalg.add ins(%[[UN]]
// CHECK:         linalg.max

// f32: the reference.
// CHECK:       case f32 {
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32)
// CHECK-NEXT:    %[[MM:.*]] = linalg.matmul ins(%[[A]], %[[W]] : tensor<4x64xf32>, tensor<64x16xf32>) outs(%[[INIT]] : tensor<4x16xf32>) -> tensor<4x16xf32>
// CHECK-NEXT:    %[[BB:.*]] = linalg.broadcast ins(%[[B]]
// CHECK-NEXT:    %[[SUM:.*]] = linalg.add ins(%[[MM]], %[[BB]]
// CHECK-NEXT:    %[[Z:.*]] = linalg.fill
// CHECK-NEXT:    %[[RELU:.*]] = linalg.max ins(%[[SUM]], %[[Z]]
// CHECK-NEXT:    agn.yield %[[RELU]] : tensor<4x16xf32>
// CHECK-NEXT:  }
// CHECK-NEXT:  agn.yield %[[D]] : tensor<4x16xf32>
func.func @matmul_bias_relu(%x: tensor<4x64xf32>, %w: tensor<64x16xf32>, %bias: tensor<16xf32>) -> tensor<4x16xf32> {
  %y = agn.unit "mm" levels [i4, i8, bf16, f16, f32]
      policy #agn.policy<levels = [i4, i8, bf16, f16, f32], thresholds = [0.01, 0.1, 1.0, 10.0]>
      ins(%x, %w, %bias : tensor<4x64xf32>, tensor<64x16xf32>, tensor<16xf32>) -> tensor<4x16xf32> {
  ^bb0(%a: tensor<4x64xf32>, %b: tensor<64x16xf32>, %c: tensor<16xf32>):
    %v = agn.variance %a : tensor<4x64xf32>
    %r = agn.select %v policy #agn.policy<levels = [i4, i8, bf16, f16, f32], thresholds = [0.01, 0.1, 1.0, 10.0]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<4x16xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
    %mm = linalg.matmul ins(%a, %b : tensor<4x64xf32>, tensor<64x16xf32>)
                        outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
    %bb = linalg.broadcast ins(%c : tensor<16xf32>) outs(%e : tensor<4x16xf32>) dimensions = [0]
    %sum = linalg.add ins(%mm, %bb : tensor<4x16xf32>, tensor<4x16xf32>)
                      outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
    %zeros = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
    %relu = linalg.max ins(%sum, %zeros : tensor<4x16xf32>, tensor<4x16xf32>)
                       outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
    agn.yield %relu : tensor<4x16xf32>
  }
  return %y : tensor<4x16xf32>
}

// -----

// Transposed weights (N x K, as in x @ W^T): the output channel is the
// weights' dimension 0, the reduction their dimension 1; the i8 matmul keeps
// the indexing maps.

// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[RHS_T:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[P_RHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// CHECK-LABEL: func.func @matmul_transpose_b
// CHECK:       ^bb0(%[[A:.*]]: tensor<4x64xf32>, %[[W:.*]]: tensor<16x64xf32>):
// CHECK:       case i4 {
// CHECK:         %[[QW:.*]], %{{.*}} = agn.quantize %[[W]] axis 1 block 32 : tensor<16x64xf32> -> tensor<16x64xi4>, tensor<16x2xf32>
// CHECK:         tensor.expand_shape %[[QW]] {{\[}}[0], [1, 2]] output_shape [16, 2, 32] : tensor<16x64xi4> into tensor<16x2x32xi4>
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #[[P_RHS]], #{{.*}}]
// CHECK:       case i8 {
// CHECK:         %[[QA:.*]], %{{.*}} = agn.quantize %[[A]] axis 0 : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4xf32>
// CHECK-NEXT:    %[[QW:.*]], %{{.*}} = agn.quantize %[[W]] axis 0 : tensor<16x64xf32> -> tensor<16x64xi8>, tensor<16xf32>
// CHECK:         linalg.matmul indexing_maps = [#[[LHS]], #[[RHS_T]], #[[OUT]]] ins(%[[QA]], %[[QW]] : tensor<4x64xi8>, tensor<16x64xi8>) outs(%{{.*}} : tensor<4x16xi32>)
// CHECK:       case f32 {
// CHECK:         linalg.matmul indexing_maps = [#[[LHS]], #[[RHS_T]], #[[OUT]]] ins(%[[A]], %[[W]] : tensor<4x64xf32>, tensor<16x64xf32>)
func.func @matmul_transpose_b(%x: tensor<4x64xf32>, %w: tensor<16x64xf32>) -> tensor<4x16xf32> {
  %y = agn.unit "mm_tb" levels [i4, i8, f32]
      policy #agn.policy<levels = [i4, i8, f32], thresholds = [0.1, 1.0]>
      ins(%x, %w : tensor<4x64xf32>, tensor<16x64xf32>) -> tensor<4x16xf32> {
  ^bb0(%a: tensor<4x64xf32>, %b: tensor<16x64xf32>):
    %v = agn.variance %a : tensor<4x64xf32>
    %r = agn.select %v policy #agn.policy<levels = [i4, i8, f32], thresholds = [0.1, 1.0]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<4x16xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
    %mm = linalg.matmul
        indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%a, %b : tensor<4x64xf32>, tensor<16x64xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
    agn.yield %mm : tensor<4x16xf32>
  }
  return %y : tensor<4x16xf32>
}

// -----

// i4 falls back to a scale per output channel when the block does not divide
// the reduction (K = 48, blocks of 32).

// CHECK-LABEL: func.func @matmul_i4_per_channel
// CHECK:       case i4 {
// CHECK:         %[[QA:.*]], %{{.*}} = agn.quantize %{{.*}} axis 0 : tensor<4x48xf32> -> tensor<4x48xi8>, tensor<4xf32>
// CHECK-NEXT:    %[[QW:.*]], %{{.*}} = agn.quantize %{{.*}} axis 1 : tensor<48x16xf32> -> tensor<48x16xi4>, tensor<16xf32>
// CHECK:         linalg.matmul ins(%[[QA]], %[[QW]] : tensor<4x48xi8>, tensor<48x16xi4>) outs(%{{.*}} : tensor<4x16xi32>)
// CHECK-NOT:     tensor.expand_shape
// CHECK:       case f32 {
func.func @matmul_i4_per_channel(%x: tensor<4x48xf32>, %w: tensor<48x16xf32>) -> tensor<4x16xf32> {
  %y = agn.unit "mm" levels [i4, f32]
      policy #agn.policy<levels = [i4, f32], thresholds = [1.0]>
      ins(%x, %w : tensor<4x48xf32>, tensor<48x16xf32>) -> tensor<4x16xf32> {
  ^bb0(%a: tensor<4x48xf32>, %b: tensor<48x16xf32>):
    %v = agn.variance %a : tensor<4x48xf32>
    %r = agn.select %v policy #agn.policy<levels = [i4, f32], thresholds = [1.0]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<4x16xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
    %mm = linalg.matmul ins(%a, %b : tensor<4x48xf32>, tensor<48x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
    agn.yield %mm : tensor<4x16xf32>
  }
  return %y : tensor<4x16xf32>
}

// -----

// A non-zero init (here the bias, broadcast into the accumulator, as some
// importers emit) is what the integer versions add their rescaled products
// to.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @matmul_bias_init
// CHECK:       case i8 {
// CHECK:         %[[INIT:.*]] = linalg.broadcast
// CHECK:         %[[ACC:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x64xi8>, tensor<64x16xi8>)
// CHECK-NEXT:    %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[ACC]], %{{.*}}, %{{.*}} : tensor<4x16xi32>, tensor<4xf32>, tensor<16xf32>) outs(%[[INIT]] : tensor<4x16xf32>)
// CHECK-NEXT:    ^bb0(%[[IA:.*]]: i32, %[[ISA:.*]]: f32, %[[ISW:.*]]: f32, %[[IO:.*]]: f32):
// CHECK-NEXT:      %[[IF:.*]] = arith.sitofp %[[IA]] : i32 to f32
// CHECK-NEXT:      %[[IS:.*]] = arith.mulf %[[ISA]], %[[ISW]] : f32
// CHECK-NEXT:      %[[IM:.*]] = arith.mulf %[[IF]], %[[IS]] : f32
// CHECK-NEXT:      %[[IR:.*]] = arith.addf %[[IO]], %[[IM]] : f32
// CHECK-NEXT:      linalg.yield %[[IR]] : f32
// CHECK:         agn.yield %[[Y]]
// CHECK:       case f32 {
// CHECK:         %[[INIT:.*]] = linalg.broadcast
// CHECK-NEXT:    linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x64xf32>, tensor<64x16xf32>) outs(%[[INIT]] : tensor<4x16xf32>)
func.func @matmul_bias_init(%x: tensor<4x64xf32>, %w: tensor<64x16xf32>, %bias: tensor<16xf32>) -> tensor<4x16xf32> {
  %y = agn.unit "mm" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
      ins(%x, %w, %bias : tensor<4x64xf32>, tensor<64x16xf32>, tensor<16xf32>) -> tensor<4x16xf32> {
  ^bb0(%a: tensor<4x64xf32>, %b: tensor<64x16xf32>, %c: tensor<16xf32>):
    %v = agn.variance %a : tensor<4x64xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
    %g = agn.arbitrate %r, %v
    %e = tensor.empty() : tensor<4x16xf32>
    %init = linalg.broadcast ins(%c : tensor<16xf32>) outs(%e : tensor<4x16xf32>) dimensions = [0]
    %mm = linalg.matmul ins(%a, %b : tensor<4x64xf32>, tensor<64x16xf32>) outs(%init : tensor<4x16xf32>) -> tensor<4x16xf32>
    agn.yield %mm : tensor<4x16xf32>
  }
  return %y : tensor<4x16xf32>
}

// -----

// Dynamic rows: the activation scales are as many as the rows, and the
// accumulators take their sizes from the init.

// CHECK-LABEL: func.func @matmul_dynamic_rows
// CHECK:       ^bb0(%[[A:.*]]: tensor<?x64xf32>, %{{.*}}: tensor<64x16xf32>):
// CHECK:       case i8 {
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x16xf32>)
// CHECK:         %[[QA:.*]], %[[SA:.*]] = agn.quantize %[[A]] axis 0 : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?xf32>
// CHECK:         %[[ROWS:.*]] = tensor.dim %[[INIT]], %{{.*}} : tensor<?x16xf32>
// CHECK-NEXT:    %[[E32:.*]] = tensor.empty(%[[ROWS]]) : tensor<?x16xi32>
// CHECK:         linalg.matmul ins(%[[QA]], %{{.*}} : tensor<?x64xi8>, tensor<64x16xi8>) outs(%{{.*}} : tensor<?x16xi32>)
// CHECK:         linalg.generic
// CHECK-SAME:        tensor<?x16xi32>, tensor<?xf32>, tensor<16xf32>
func.func @matmul_dynamic_rows(%x: tensor<?x64xf32>, %w: tensor<64x16xf32>) -> tensor<?x16xf32> {
  %y = agn.unit "mm" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
      ins(%x, %w : tensor<?x64xf32>, tensor<64x16xf32>) -> tensor<?x16xf32> {
  ^bb0(%a: tensor<?x64xf32>, %b: tensor<64x16xf32>):
    %v = agn.variance %a : tensor<?x64xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
    %g = agn.arbitrate %r, %v
    %c0 = arith.constant 0 : index
    %m = tensor.dim %a, %c0 : tensor<?x64xf32>
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty(%m) : tensor<?x16xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x16xf32>) -> tensor<?x16xf32>
    %mm = linalg.matmul ins(%a, %b : tensor<?x64xf32>, tensor<64x16xf32>) outs(%acc : tensor<?x16xf32>) -> tensor<?x16xf32>
    agn.yield %mm : tensor<?x16xf32>
  }
  return %y : tensor<?x16xf32>
}

// -----

// A batch_matmul with a dynamic batch: activations get one scale per row
// (along M, shared by the batches), weights one per output channel (along N)
// at i8 and one per (batch, block, channel) at i4. The expanded operands and
// the partial sums keep the dynamic batch.

// CHECK-DAG: #[[P_LHS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
// CHECK-DAG: #[[P_RHS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4, d2)>
// CHECK-DAG: #[[P_OUT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[B_ROW:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-DAG: #[[B_SCALE:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-LABEL: func.func @batch_matmul_dynamic_batch
// CHECK:       ^bb0(%[[A:.*]]: tensor<?x4x64xf32>, %[[W:.*]]: tensor<?x64x16xf32>):
// CHECK:       case i4 {
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x4x16xf32>)
// CHECK:         %[[QA:.*]], %[[SA:.*]] = agn.quantize %[[A]] axis 1 : tensor<?x4x64xf32> -> tensor<?x4x64xi8>, tensor<4xf32>
// CHECK-NEXT:    %[[QW:.*]], %[[SW:.*]] = agn.quantize %[[W]] axis 1 block 32 : tensor<?x64x16xf32> -> tensor<?x64x16xi4>, tensor<?x2x16xf32>
// CHECK:         %[[NA:.*]] = tensor.dim %[[QA]], %{{.*}} : tensor<?x4x64xi8>
// CHECK-NEXT:    %[[EA:.*]] = tensor.expand_shape %[[QA]] {{\[}}[0], [1], [2, 3]] output_shape [%[[NA]], 4, 2, 32] : tensor<?x4x64xi8> into tensor<?x4x2x32xi8>
// CHECK:         %[[NW:.*]] = tensor.dim %[[QW]], %{{.*}} : tensor<?x64x16xi4>
// CHECK-NEXT:    %[[EW:.*]] = tensor.expand_shape %[[QW]] {{\[}}[0], [1, 2], [3]] output_shape [%[[NW]], 2, 32, 16] : tensor<?x64x16xi4> into tensor<?x2x32x16xi4>
// CHECK:         %[[P:.*]] = linalg.generic {indexing_maps = [#[[P_LHS]], #[[P_RHS]], #[[P_OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME:        ins(%[[EA]], %[[EW]] : tensor<?x4x2x32xi8>, tensor<?x2x32x16xi4>) outs(%{{.*}} : tensor<?x4x16x2xi32>)
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #[[B_ROW]], #[[B_SCALE]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME:        ins(%[[P]], %[[SA]], %[[SW]] : tensor<?x4x16x2xi32>, tensor<4xf32>, tensor<?x2x16xf32>) outs(%[[INIT]] : tensor<?x4x16xf32>)
// CHECK:       case i8 {
// CHECK:         %[[QA:.*]], %{{.*}} = agn.quantize %[[A]] axis 1 : tensor<?x4x64xf32> -> tensor<?x4x64xi8>, tensor<4xf32>
// CHECK-NEXT:    %[[QW:.*]], %{{.*}} = agn.quantize %[[W]] axis 2 : tensor<?x64x16xf32> -> tensor<?x64x16xi8>, tensor<16xf32>
// CHECK:         linalg.batch_matmul ins(%[[QA]], %[[QW]] : tensor<?x4x64xi8>, tensor<?x64x16xi8>) outs(%{{.*}} : tensor<?x4x16xi32>)
// CHECK:       case bf16 {
// CHECK:         linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<?x4x64xbf16>, tensor<?x64x16xbf16>) outs(%{{.*}} : tensor<?x4x16xf32>)
// CHECK:       case f32 {
// CHECK:         linalg.batch_matmul ins(%[[A]], %[[W]] : tensor<?x4x64xf32>, tensor<?x64x16xf32>)
func.func @batch_matmul_dynamic_batch(%x: tensor<?x4x64xf32>, %w: tensor<?x64x16xf32>) -> tensor<?x4x16xf32> {
  %y = agn.unit "bmm" levels [i4, i8, bf16, f32]
      policy #agn.policy<levels = [i4, i8, bf16, f32], thresholds = [0.01, 0.1, 1.0]>
      ins(%x, %w : tensor<?x4x64xf32>, tensor<?x64x16xf32>) -> tensor<?x4x16xf32> {
  ^bb0(%a: tensor<?x4x64xf32>, %b: tensor<?x64x16xf32>):
    %v = agn.variance %a : tensor<?x4x64xf32>
    %r = agn.select %v policy #agn.policy<levels = [i4, i8, bf16, f32], thresholds = [0.01, 0.1, 1.0]>
    %g = agn.arbitrate %r, %v
    %c0 = arith.constant 0 : index
    %n = tensor.dim %a, %c0 : tensor<?x4x64xf32>
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty(%n) : tensor<?x4x16xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4x16xf32>) -> tensor<?x4x16xf32>
    %mm = linalg.batch_matmul ins(%a, %b : tensor<?x4x64xf32>, tensor<?x64x16xf32>)
                              outs(%acc : tensor<?x4x16xf32>) -> tensor<?x4x16xf32>
    agn.yield %mm : tensor<?x4x16xf32>
  }
  return %y : tensor<?x4x16xf32>
}

// -----

// A matvec: the matrix is the weight (its rows are the output channels), the
// vector the activations, which have no rows and get one scale. The init is
// the unit's third operand, so the rescale accumulates into it.

// CHECK-DAG: #[[P_W:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[P_X:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[P_OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[B_ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[B_TENSOR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-DAG: #[[B_OUT:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[TENSOR:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @matvec
// CHECK:       ^bb0(%[[X:.*]]: tensor<64xf32>, %[[W:.*]]: tensor<16x64xf32>, %[[INIT:.*]]: tensor<16xf32>):
// CHECK:       case i4 {
// CHECK-NEXT:    %[[QX:.*]], %[[SX:.*]] = agn.quantize %[[X]] : tensor<64xf32> -> tensor<64xi8>, tensor<f32>
// CHECK-NEXT:    %[[QW:.*]], %[[SW:.*]] = agn.quantize %[[W]] axis 1 block 32 : tensor<16x64xf32> -> tensor<16x64xi4>, tensor<16x2xf32>
// CHECK-NEXT:    %[[EX:.*]] = tensor.expand_shape %[[QX]] {{\[}}[0, 1]] output_shape [2, 32] : tensor<64xi8> into tensor<2x32xi8>
// CHECK-NEXT:    %[[EW:.*]] = tensor.expand_shape %[[QW]] {{\[}}[0], [1, 2]] output_shape [16, 2, 32] : tensor<16x64xi4> into tensor<16x2x32xi4>
// CHECK:         %[[P:.*]] = linalg.generic {indexing_maps = [#[[P_W]], #[[P_X]], #[[P_OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:        ins(%[[EW]], %[[EX]] : tensor<16x2x32xi4>, tensor<2x32xi8>) outs(%{{.*}} : tensor<16x2xi32>)
// CHECK:         linalg.generic {indexing_maps = [#[[B_ID]], #[[B_TENSOR]], #[[B_ID]], #[[B_OUT]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:        ins(%[[P]], %[[SX]], %[[SW]] : tensor<16x2xi32>, tensor<f32>, tensor<16x2xf32>) outs(%[[INIT]] : tensor<16xf32>)
// CHECK:       case i8 {
// CHECK-NEXT:    %[[QX:.*]], %[[SX:.*]] = agn.quantize %[[X]] : tensor<64xf32> -> tensor<64xi8>, tensor<f32>
// CHECK-NEXT:    %[[QW:.*]], %[[SW:.*]] = agn.quantize %[[W]] axis 0 : tensor<16x64xf32> -> tensor<16x64xi8>, tensor<16xf32>
// CHECK:         %[[ACC:.*]] = linalg.matvec ins(%[[QW]], %[[QX]] : tensor<16x64xi8>, tensor<64xi8>) outs(%{{.*}} : tensor<16xi32>)
// CHECK-NEXT:    linalg.generic {indexing_maps = [#[[ID]], #[[TENSOR]], #[[ID]], #[[ID]]], iterator_types = ["parallel"]}
// CHECK-SAME:        ins(%[[ACC]], %[[SX]], %[[SW]] : tensor<16xi32>, tensor<f32>, tensor<16xf32>) outs(%[[INIT]] : tensor<16xf32>)
// CHECK:       case f32 {
// CHECK-NEXT:    linalg.matvec ins(%[[W]], %[[X]] : tensor<16x64xf32>, tensor<64xf32>) outs(%[[INIT]] : tensor<16xf32>)
func.func @matvec(%w: tensor<16x64xf32>, %x: tensor<64xf32>, %init: tensor<16xf32>) -> tensor<16xf32> {
  %y = agn.unit "mv" levels [i4, i8, f32]
      policy #agn.policy<levels = [i4, i8, f32], thresholds = [0.1, 1.0]>
      ins(%x, %w, %init : tensor<64xf32>, tensor<16x64xf32>, tensor<16xf32>) -> tensor<16xf32> {
  ^bb0(%a: tensor<64xf32>, %b: tensor<16x64xf32>, %c: tensor<16xf32>):
    %v = agn.variance %a : tensor<64xf32>
    %r = agn.select %v policy #agn.policy<levels = [i4, i8, f32], thresholds = [0.1, 1.0]>
    %g = agn.arbitrate %r, %v
    %mv = linalg.matvec ins(%b, %a : tensor<16x64xf32>, tensor<64xf32>) outs(%c : tensor<16xf32>) -> tensor<16xf32>
    agn.yield %mv : tensor<16xf32>
  }
  return %y : tensor<16xf32>
}

// -----

// An NCHW convolution: a scale per image (the conv's rows) and per filter.
// Its reduction runs over three loops (c, kh, kw), so i4 keeps a scale per
// filter. The filter's innermost dimension (kw = 3) is odd, which i4 storage
// (two values per byte) cannot pack: the filter is quantized as a copy with
// each element doubled along a new innermost dimension (the same groups, the
// same maxima, the same stored values), and the first copy is sliced out,
// widened to i8: a slice of packed i4 values would be a half-byte-strided
// view, which the narrow-type emulation cannot lower.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[IMAGE:.*]] = affine_map<(d0, d1, d2, d3) -> (d0)>
// CHECK-DAG: #[[FILTER:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @conv_2d_nchw_fchw
// CHECK:       ^bb0(%[[X:.*]]: tensor<1x3x8x8xf32>, %[[F:.*]]: tensor<4x3x3x3xf32>):
// CHECK:       case i4 {
// CHECK-NEXT:    %[[QX:.*]], %[[SX:.*]] = agn.quantize %[[X]] axis 0 : tensor<1x3x8x8xf32> -> tensor<1x3x8x8xi8>, tensor<1xf32>
// CHECK-NEXT:    %[[E:.*]] = tensor.empty() : tensor<4x3x3x3x2xf32>
// CHECK-NEXT:    %[[F2:.*]] = linalg.broadcast ins(%[[F]] : tensor<4x3x3x3xf32>) outs(%[[E]] : tensor<4x3x3x3x2xf32>) dimensions = [4]
// CHECK-NEXT:    %[[QF2:.*]], %[[SF:.*]] = agn.quantize %[[F2]] axis 0 : tensor<4x3x3x3x2xf32> -> tensor<4x3x3x3x2xi4>, tensor<4xf32>
// CHECK-NEXT:    %[[WF2:.*]] = arith.extsi %[[QF2]] : tensor<4x3x3x3x2xi4> to tensor<4x3x3x3x2xi8>
// CHECK-NEXT:    %[[QF:.*]] = tensor.extract_slice %[[WF2]][0, 0, 0, 0, 0] [4, 3, 3, 3, 1] [1, 1, 1, 1, 1] : tensor<4x3x3x3x2xi8> to tensor<4x3x3x3xi8>
// CHECK:         %[[ACC:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[QX]], %[[QF]] : tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) outs(%{{.*}} : tensor<1x4x6x6xi32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[IMAGE]], #[[FILTER]], #[[ID]]]
// CHECK-SAME:        ins(%[[ACC]], %[[SX]], %[[SF]] : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>)
// CHECK:       case i8 {
// CHECK-NEXT:    %[[QX:.*]], %[[SX:.*]] = agn.quantize %[[X]] axis 0 : tensor<1x3x8x8xf32> -> tensor<1x3x8x8xi8>, tensor<1xf32>
// CHECK-NEXT:    %[[QF:.*]], %[[SF:.*]] = agn.quantize %[[F]] axis 0 : tensor<4x3x3x3xf32> -> tensor<4x3x3x3xi8>, tensor<4xf32>
// CHECK:         %[[ACC:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[QX]], %[[QF]] : tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) outs(%{{.*}} : tensor<1x4x6x6xi32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[IMAGE]], #[[FILTER]], #[[ID]]]
// CHECK-SAME:        ins(%[[ACC]], %[[SX]], %[[SF]] : tensor<1x4x6x6xi32>, tensor<1xf32>, tensor<4xf32>)
// CHECK:       case f16 {
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x3x8x8xf16>, tensor<4x3x3x3xf16>) outs(%{{.*}} : tensor<1x4x6x6xf32>)
// CHECK:       case f32 {
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} ins(%[[X]], %[[F]] : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>)
func.func @conv_2d_nchw_fchw(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %y = agn.unit "conv" levels [i4, i8, f16, f32]
      policy #agn.policy<levels = [i4, i8, f16, f32], thresholds = [0.01, 0.1, 1.0]>
      ins(%x, %w : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x3x8x8xf32>, %b: tensor<4x3x3x3xf32>):
    %v = agn.variance %a : tensor<1x3x8x8xf32>
    %r = agn.select %v policy #agn.policy<levels = [i4, i8, f16, f32], thresholds = [0.01, 0.1, 1.0]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x4x6x6xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
    %conv = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%a, %b : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) outs(%acc : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
    agn.yield %conv : tensor<1x4x6x6xf32>
  }
  return %y : tensor<1x4x6x6xf32>
}

// -----

// An NHWC convolution with HWCF filters: the filters' channel is their last
// dimension (even here, so i4 packs as it is).

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[IMAGE:.*]] = affine_map<(d0, d1, d2, d3) -> (d0)>
// CHECK-DAG: #[[FILTER:.*]] = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-LABEL: func.func @conv_2d_nhwc_hwcf
// CHECK:       ^bb0(%[[X:.*]]: tensor<1x8x8x3xf32>, %[[F:.*]]: tensor<3x3x3x4xf32>):
// CHECK:       case i4 {
// CHECK-NEXT:    %[[QX:.*]], %[[SX:.*]] = agn.quantize %[[X]] axis 0 : tensor<1x8x8x3xf32> -> tensor<1x8x8x3xi8>, tensor<1xf32>
// CHECK-NEXT:    %[[QF:.*]], %[[SF:.*]] = agn.quantize %[[F]] axis 3 : tensor<3x3x3x4xf32> -> tensor<3x3x3x4xi4>, tensor<4xf32>
// CHECK:         %[[ACC:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[QX]], %[[QF]] : tensor<1x8x8x3xi8>, tensor<3x3x3x4xi4>) outs(%{{.*}} : tensor<1x6x6x4xi32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[IMAGE]], #[[FILTER]], #[[ID]]]
// CHECK-SAME:        ins(%[[ACC]], %[[SX]], %[[SF]] : tensor<1x6x6x4xi32>, tensor<1xf32>, tensor<4xf32>)
// CHECK:       case i8 {
// CHECK:         agn.quantize %[[F]] axis 3 : tensor<3x3x3x4xf32> -> tensor<3x3x3x4xi8>, tensor<4xf32>
// CHECK:         linalg.conv_2d_nhwc_hwcf {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x8x8x3xi8>, tensor<3x3x3x4xi8>) outs(%{{.*}} : tensor<1x6x6x4xi32>)
// CHECK:       case f32 {
// CHECK:         linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[X]], %[[F]] : tensor<1x8x8x3xf32>, tensor<3x3x3x4xf32>)
func.func @conv_2d_nhwc_hwcf(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x3x4xf32>) -> tensor<1x6x6x4xf32> {
  %y = agn.unit "conv" levels [i4, i8, f32]
      policy #agn.policy<levels = [i4, i8, f32], thresholds = [0.1, 1.0]>
      ins(%x, %w : tensor<1x8x8x3xf32>, tensor<3x3x3x4xf32>) -> tensor<1x6x6x4xf32> {
  ^bb0(%a: tensor<1x8x8x3xf32>, %b: tensor<3x3x3x4xf32>):
    %v = agn.variance %a : tensor<1x8x8x3xf32>
    %r = agn.select %v policy #agn.policy<levels = [i4, i8, f32], thresholds = [0.1, 1.0]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x6x6x4xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
    %conv = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%a, %b : tensor<1x8x8x3xf32>, tensor<3x3x3x4xf32>) outs(%acc : tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
    agn.yield %conv : tensor<1x6x6x4xf32>
  }
  return %y : tensor<1x6x6x4xf32>
}

// -----

// A linalg.generic contraction: the float versions keep its body, on operands
// extended to f32; the integer versions get `acc + ext(a) * ext(b)` in i32.

// CHECK-LABEL: func.func @generic_contraction
// CHECK:       case i8 {
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x64xi8>, tensor<64x16xi8>) outs(%{{.*}} : tensor<4x16xi32>)
// CHECK-NEXT:    ^bb0(%[[A:.*]]: i8, %[[B:.*]]: i8, %[[O:.*]]: i32):
// CHECK-NEXT:      %[[XA:.*]] = arith.extsi %[[A]] : i8 to i32
// CHECK-NEXT:      %[[XB:.*]] = arith.extsi %[[B]] : i8 to i32
// CHECK-NEXT:      %[[M:.*]] = arith.muli %[[XA]], %[[XB]] : i32
// CHECK-NEXT:      %[[S:.*]] = arith.addi %[[O]], %[[M]] : i32
// CHECK-NEXT:      linalg.yield %[[S]] : i32
// CHECK:       case f16 {
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x64xf16>, tensor<64x16xf16>) outs(%{{.*}} : tensor<4x16xf32>)
// CHECK-NEXT:    ^bb0(%[[A:.*]]: f16, %[[B:.*]]: f16, %[[O:.*]]: f32):
// CHECK-NEXT:      %[[XA:.*]] = arith.extf %[[A]] : f16 to f32
// CHECK-NEXT:      %[[XB:.*]] = arith.extf %[[B]] : f16 to f32
// CHECK-NEXT:      %[[M:.*]] = arith.mulf %[[XA]], %[[XB]] : f32
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[O]], %[[M]] : f32
// CHECK-NEXT:      linalg.yield %[[S]] : f32
// CHECK:       case f32 {
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x64xf32>, tensor<64x16xf32>) outs(%{{.*}} : tensor<4x16xf32>)
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>
func.func @generic_contraction(%x: tensor<4x64xf32>, %w: tensor<64x16xf32>) -> tensor<4x16xf32> {
  %y = agn.unit "gen" levels [i8, f16, f32]
      policy #agn.policy<levels = [i8, f16, f32], thresholds = [0.1, 1.0]>
      ins(%x, %w : tensor<4x64xf32>, tensor<64x16xf32>) -> tensor<4x16xf32> {
  ^bb0(%a: tensor<4x64xf32>, %b: tensor<64x16xf32>):
    %v = agn.variance %a : tensor<4x64xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f16, f32], thresholds = [0.1, 1.0]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<4x16xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
    %mm = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %b : tensor<4x64xf32>, tensor<64x16xf32>) outs(%acc : tensor<4x16xf32>) {
    ^bb0(%p: f32, %q: f32, %o: f32):
      %m = arith.mulf %p, %q : f32
      %s = arith.addf %o, %m : f32
      linalg.yield %s : f32
    } -> tensor<4x16xf32>
    agn.yield %mm : tensor<4x16xf32>
  }
  return %y : tensor<4x16xf32>
}

// -----

// A layer split in two units (as agn-form-units split=2 makes it): each is
// versioned on its own, from its own controller.

// CHECK-LABEL: func.func @split_layer
// CHECK:       agn.unit "fc.s0"
// CHECK:         %[[G0:.*]] = agn.arbitrate
// CHECK-NEXT:    agn.dispatch %[[G0]] -> tensor<4x8xf32>
// CHECK-NEXT:    case i8 {
// CHECK:           linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x64xi8>, tensor<64x8xi8>)
// CHECK:         case f32 {
// CHECK:       agn.unit "fc.s1"
// CHECK:         %[[G1:.*]] = agn.arbitrate
// CHECK-NEXT:    agn.dispatch %[[G1]] -> tensor<4x8xf32>
// CHECK-NEXT:    case i8 {
// CHECK:           linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x64xi8>, tensor<64x8xi8>)
// CHECK:         case f32 {
// CHECK:       tensor.concat dim(1)
func.func @split_layer(%x: tensor<4x64xf32>, %w0: tensor<64x8xf32>, %w1: tensor<64x8xf32>) -> tensor<4x16xf32> {
  %y0 = agn.unit "fc.s0" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
      ins(%x, %w0 : tensor<4x64xf32>, tensor<64x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x64xf32>, %b: tensor<64x8xf32>):
    %v = agn.variance %a : tensor<4x64xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<4x8xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
    %mm = linalg.matmul ins(%a, %b : tensor<4x64xf32>, tensor<64x8xf32>) outs(%acc : tensor<4x8xf32>) -> tensor<4x8xf32>
    agn.yield %mm : tensor<4x8xf32>
  }
  %y1 = agn.unit "fc.s1" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
      ins(%x, %w1 : tensor<4x64xf32>, tensor<64x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x64xf32>, %b: tensor<64x8xf32>):
    %v = agn.variance %a : tensor<4x64xf32>
    %r = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [1.0]>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<4x8xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
    %mm = linalg.matmul ins(%a, %b : tensor<4x64xf32>, tensor<64x8xf32>) outs(%acc : tensor<4x8xf32>) -> tensor<4x8xf32>
    agn.yield %mm : tensor<4x8xf32>
  }
  %y = tensor.concat dim(1) %y0, %y1 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A controller with hysteresis keeps its level in a global; the load and the
// store stay before the arbitration, outside the versions.

// CHECK-LABEL: func.func @hysteresis
// CHECK:       memref.load
// CHECK:       agn.select
// CHECK:       memref.store
// CHECK:       %[[G:.*]] = agn.arbitrate
// CHECK-NEXT:  agn.dispatch %[[G]]
// CHECK-NOT:   memref.
// CHECK:       return
memref.global "private" @__agn_level_h : memref<index> = dense<4>
func.func @hysteresis(%x: tensor<4x64xf32>, %w: tensor<64x16xf32>) -> tensor<4x16xf32> {
  %y = agn.unit "h" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [1.0], hysteresis = 0.1>
      ins(%x, %w : tensor<4x64xf32>, tensor<64x16xf32>) -> tensor<4x16xf32> {
  ^bb0(%a: tensor<4x64xf32>, %b: tensor<64x16xf32>):
    %v = agn.variance %a : tensor<4x64xf32>
    %m = memref.get_global @__agn_level_h : memref<index>
    %p = memref.load %m[] : memref<index>
    %r = agn.select %v previous %p policy #agn.policy<levels = [i8, f32], thresholds = [1.0], hysteresis = 0.1>
    memref.store %r, %m[] : memref<index>
    %g = agn.arbitrate %r, %v
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<4x16xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
    %mm = linalg.matmul ins(%a, %b : tensor<4x64xf32>, tensor<64x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
    agn.yield %mm : tensor<4x16xf32>
  }
  return %y : tensor<4x16xf32>
}
