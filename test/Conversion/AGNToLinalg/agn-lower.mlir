// RUN: agn-opt %s -split-input-file --agn-lower | FileCheck %s

// agn-lower replaces every agn op with upstream ops on tensors: statistics
// and quantization become linalg reductions and elementwise generics, the
// controller arith, the dispatch an scf.index_switch, the arbitration a
// runtime call, and units are inlined.

// The variance: one reduction computing the shifted sums S1 = sum(x - K) and
// S2 = sum((x - K)^2) in f64 (K = the first element), then
// max((S2 - S1^2 / n) / n, 0) rounded to f32.

// CHECK-LABEL: func.func @variance
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1]] : tensor<4x8xf32> into tensor<32xf32>
// CHECK: %[[FIRST:.*]] = tensor.extract %[[FLAT]][%{{.*}}] : tensor<32xf32>
// CHECK: %[[K:.*]] = arith.extf %[[FIRST]] : f32 to f64
// CHECK: %[[SUMS:.*]]:2 = linalg.generic
// CHECK-SAME: iterator_types = ["reduction"]
// CHECK-SAME: ins(%[[FLAT]] : tensor<32xf32>) outs(%{{.*}}, %{{.*}} : tensor<f64>, tensor<f64>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[ACC1:.*]]: f64, %[[ACC2:.*]]: f64):
// CHECK: %[[IN64:.*]] = arith.extf %[[IN]] : f32 to f64
// CHECK: %[[D:.*]] = arith.subf %[[IN64]], %[[K]] : f64
// CHECK: %[[NEW1:.*]] = arith.addf %[[ACC1]], %[[D]] fastmath<reassoc> : f64
// CHECK: %[[SQ:.*]] = arith.mulf %[[D]], %[[D]] : f64
// CHECK: %[[NEW2:.*]] = arith.addf %[[ACC2]], %[[SQ]] fastmath<reassoc> : f64
// CHECK: linalg.yield %[[NEW1]], %[[NEW2]] : f64, f64
// CHECK: %[[S1:.*]] = tensor.extract %[[SUMS]]#0[] : tensor<f64>
// CHECK: %[[S2:.*]] = tensor.extract %[[SUMS]]#1[] : tensor<f64>
// CHECK: %[[N:.*]] = arith.uitofp %{{.*}} : i64 to f64
// CHECK: %[[S1SQ:.*]] = arith.mulf %[[S1]], %[[S1]] : f64
// CHECK: %[[CORR:.*]] = arith.divf %[[S1SQ]], %[[N]] : f64
// CHECK: %[[CENTERED:.*]] = arith.subf %[[S2]], %[[CORR]] : f64
// CHECK: %[[VAR:.*]] = arith.divf %[[CENTERED]], %[[N]] : f64
// CHECK: %[[CLAMPED:.*]] = arith.maximumf %[[VAR]], %{{.*}} : f64
// CHECK: %[[R:.*]] = arith.truncf %[[CLAMPED]] : f64 to f32
// CHECK: return %[[R]] : f32
func.func @variance(%x: tensor<4x8xf32>) -> f32 {
  %v = agn.variance %x : tensor<4x8xf32>
  return %v : f32
}

// -----

// With a stride, a strided slice of the flattening; with a dynamic size, K is
// read only when there is a sample and an empty input reads 0.

// CHECK-LABEL: func.func @variance_strided_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf16>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1]] : tensor<?x8xf16> into tensor<?xf16>
// CHECK: %[[SIZE:.*]] = tensor.dim %[[FLAT]]
// CHECK: %[[COUNT:.*]] = arith.ceildivui %[[SIZE]], %{{.*}} : index
// CHECK: %[[SAMPLED:.*]] = tensor.extract_slice %[[FLAT]][0] [%[[COUNT]]] [3] : tensor<?xf16> to tensor<?xf16>
// CHECK: %[[N:.*]] = tensor.dim %[[SAMPLED]]
// CHECK: %[[NONEMPTY:.*]] = arith.cmpi ugt, %[[N]], %[[ZERO:.*]] : index
// CHECK: %[[FIRST:.*]] = scf.if %[[NONEMPTY]] -> (f16) {
// CHECK: tensor.extract %[[SAMPLED]]
// CHECK: } else {
// CHECK: arith.constant 0.000000e+00 : f16
// CHECK: arith.extf %[[FIRST]] : f16 to f64
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[SAMPLED]] : tensor<?xf16>)
// CHECK: arith.extf %{{.*}} : f16 to f64
// CHECK: %[[VAR:.*]] = arith.maximumf
// CHECK: %[[EMPTY:.*]] = arith.cmpi eq, %[[N]], %[[ZERO]] : index
// CHECK: %[[SEL:.*]] = arith.select %[[EMPTY]], %{{.*}}, %[[VAR]] : f64
// CHECK: arith.truncf %[[SEL]] : f64 to f32
func.func @variance_strided_dynamic(%x: tensor<?x8xf16>) -> f32 {
  %v = agn.variance %x stride 3 : tensor<?x8xf16>
  return %v : f32
}

// -----

// An empty input has variance 0, known at compile time.

// CHECK-LABEL: func.func @variance_empty
// CHECK-NOT: linalg.generic
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: return %[[ZERO]]
func.func @variance_empty(%x: tensor<0x8xf32>) -> f32 {
  %v = agn.variance %x : tensor<0x8xf32>
  return %v : f32
}

// -----

// The largest magnitude: a max-abs reduction from 0 on the bit patterns with
// the sign bit cleared (unsigned order = order of magnitudes, NaN on top).

// CHECK-LABEL: func.func @abs_max
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]]
// CHECK: %[[SAMPLED:.*]] = tensor.extract_slice %[[FLAT]][0] [16] [2] : tensor<32xf32> to tensor<16xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : i32)
// CHECK: %[[MAXBITS:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["reduction"]
// CHECK-SAME: ins(%[[SAMPLED]] : tensor<16xf32>) outs(%[[INIT]] : tensor<i32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[ACC:.*]]: i32):
// CHECK: %[[BITS:.*]] = arith.bitcast %[[IN]] : f32 to i32
// CHECK: %[[MASK:.*]] = arith.constant 2147483647 : i32
// CHECK: %[[ABS:.*]] = arith.andi %[[BITS]], %[[MASK]] : i32
// CHECK: %[[NEW:.*]] = arith.maxui %[[ACC]], %[[ABS]] : i32
// CHECK: linalg.yield %[[NEW]]
// CHECK: %[[MAX:.*]] = linalg.generic
// CHECK-SAME: ins(%[[MAXBITS]] : tensor<i32>) outs(%{{.*}} : tensor<f32>)
// CHECK: arith.bitcast %{{.*}} : i32 to f32
// CHECK: %[[RESULT:.*]] = tensor.extract %[[MAX]][] : tensor<f32>
// CHECK: return %[[RESULT]]
func.func @abs_max(%x: tensor<4x8xf32>) -> f32 {
  %m = agn.abs_max %x stride 2 : tensor<4x8xf32>
  return %m : f32
}

// -----

// A 0-d input is seen as one element.

// CHECK-LABEL: func.func @abs_max_scalar
// CHECK: tensor.expand_shape %{{.*}} [] output_shape [1] : tensor<f64> into tensor<1xf64>
// CHECK: arith.bitcast %{{.*}} : f64 to i64
// CHECK: arith.constant 9223372036854775807 : i64
// CHECK: arith.maxui %{{.*}} : i64
// CHECK: %[[F64:.*]] = arith.bitcast %{{.*}} : i64 to f64
// CHECK: arith.truncf %[[F64]] : f64 to f32
// CHECK: tensor.extract %{{.*}}[] : tensor<f32>
func.func @abs_max_scalar(%x: tensor<f64>) -> f32 {
  %m = agn.abs_max %x : tensor<f64>
  return %m : f32
}

// -----

// Float types whose bit patterns do not order their magnitudes with NaN on
// top (f8E4M3FNUZ's NaN is the pattern of -0) take arith.maximumf on the
// magnitudes, which propagates NaN.

// CHECK-LABEL: func.func @abs_max_f8
// CHECK: ^bb0(%[[IN:.*]]: f8E4M3FNUZ, %[[ACC:.*]]: f32):
// CHECK: %[[ABS:.*]] = math.absf %[[IN]] : f8E4M3FNUZ
// CHECK: %[[WIDE:.*]] = arith.extf %[[ABS]] : f8E4M3FNUZ to f32
// CHECK: arith.maximumf %[[ACC]], %[[WIDE]] fastmath<reassoc> : f32
func.func @abs_max_f8(%x: tensor<8xf8E4M3FNUZ>) -> f32 {
  %m = agn.abs_max %x : tensor<8xf8E4M3FNUZ>
  return %m : f32
}

// -----

// The band is the number of thresholds the statistic reaches (compared in
// f64); NaN and infinities take the last band; the level is looked up from
// the band.

// CHECK-LABEL: func.func @select
// CHECK-SAME: (%[[V:.*]]: f32)
// CHECK: %[[V64:.*]] = arith.extf %[[V]] : f32 to f64
// CHECK: %[[T0:.*]] = arith.constant 2.500000e-01 : f64
// CHECK: %[[GE0:.*]] = arith.cmpf oge, %[[V64]], %[[T0]] : f64
// CHECK: %[[T1:.*]] = arith.constant 1.000000e+00 : f64
// CHECK: %[[GE1:.*]] = arith.cmpf oge, %[[V64]], %[[T1]] : f64
// CHECK: arith.select %[[GE0]]
// CHECK: arith.select %[[GE1]]
// CHECK: %[[BAND:.*]] = arith.addi
// CHECK: %[[ABS:.*]] = math.absf %[[V64]] : f64
// CHECK: %[[INF:.*]] = arith.constant 0x7FF0000000000000 : f64
// CHECK: %[[FINITE:.*]] = arith.cmpf olt, %[[ABS]], %[[INF]] : f64
// CHECK: %[[LAST:.*]] = arith.constant 2 : index
// CHECK: %[[B:.*]] = arith.select %[[FINITE]], %[[BAND]], %[[LAST]] : index
// i4 = 0, i8 = 1, f32 = 4.
// CHECK: %[[I4:.*]] = arith.constant 0 : index
// CHECK: %[[GE1B:.*]] = arith.cmpi uge, %[[B]], %{{.*}} : index
// CHECK: %[[I8:.*]] = arith.constant 1 : index
// CHECK: %[[L1:.*]] = arith.select %[[GE1B]], %[[I8]], %[[I4]] : index
// CHECK: %[[GE2B:.*]] = arith.cmpi uge, %[[B]], %{{.*}} : index
// CHECK: %[[F32:.*]] = arith.constant 4 : index
// CHECK: %[[L:.*]] = arith.select %[[GE2B]], %[[F32]], %[[L1]] : index
// CHECK: return %[[L]]
func.func @select(%v: f32) -> index {
  %l = agn.select %v policy #agn.policy<levels = [i4, i8, f32], thresholds = [0.25, 1.0]>
  return %l : index
}

// -----

// With a previous level: clamp(band of previous, up, down), where up counts
// the thresholds reached with the upward margin (0.5 * 1.25) and down those
// reached with the downward one (0.5 * 0.75).

// CHECK-LABEL: func.func @select_hysteresis
// CHECK-SAME: (%[[V:.*]]: f32, %[[PREV:.*]]: index)
// CHECK: %[[V64:.*]] = arith.extf %[[V]]
// CHECK: %[[UPT:.*]] = arith.constant 6.250000e-01 : f64
// CHECK: arith.cmpf oge, %[[V64]], %[[UPT]] : f64
// CHECK: %[[UP:.*]] = arith.addi
// CHECK: %[[DOWNT:.*]] = arith.constant 3.750000e-01 : f64
// CHECK: arith.cmpf oge, %[[V64]], %[[DOWNT]] : f64
// CHECK: %[[DOWN:.*]] = arith.addi
// The previous level's band: the number of policy levels after the first
// (f32 = 4) not above it.
// CHECK: %[[F32:.*]] = arith.constant 4 : index
// CHECK: arith.cmpi sle, %[[F32]], %[[PREV]] : index
// CHECK: %[[PREVBAND:.*]] = arith.addi
// CHECK: %[[LO:.*]] = arith.maxui %[[PREVBAND]], %[[UP]] : index
// CHECK: %[[BAND:.*]] = arith.minui %[[LO]], %[[DOWN]] : index
// CHECK: arith.select %{{.*}}, %[[BAND]], %{{.*}} : index
func.func @select_hysteresis(%v: f32, %prev: index) -> index {
  %l = agn.select %v previous %prev policy #agn.policy<levels = [i8, f32], thresholds = [0.5], hysteresis = 0.25>
  return %l : index
}

// -----

// The case index is the number of the first n - 1 case levels below the
// level; the most precise case is the default.

// CHECK-LABEL: func.func @dispatch
// CHECK-SAME: (%[[LEVEL:.*]]: index, %[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>, %[[C:.*]]: tensor<4xf32>)
// CHECK: %[[I8:.*]] = arith.constant 1 : index
// CHECK: %[[BELOW0:.*]] = arith.cmpi slt, %[[I8]], %[[LEVEL]] : index
// CHECK: %[[BF16:.*]] = arith.constant 2 : index
// CHECK: %[[BELOW1:.*]] = arith.cmpi slt, %[[BF16]], %[[LEVEL]] : index
// CHECK: arith.select %[[BELOW0]]
// CHECK: arith.select %[[BELOW1]]
// CHECK: %[[INDEX:.*]] = arith.addi
// The level of each case, the default's last, for the passes after this one;
// no unit id without an arbitration.
// CHECK: %[[R:.*]] = scf.index_switch %[[INDEX]] {agn.case_levels = array<i32: 1, 2, 4>} -> tensor<4xf32>
// CHECK-NEXT: case 0 {
// CHECK-NEXT: scf.yield %[[A]] : tensor<4xf32>
// CHECK: case 1 {
// CHECK-NEXT: scf.yield %[[B]] : tensor<4xf32>
// CHECK: default {
// CHECK-NEXT: scf.yield %[[C]] : tensor<4xf32>
// CHECK: return %[[R]]
func.func @dispatch(%level: index, %a: tensor<4xf32>, %b: tensor<4xf32>, %c: tensor<4xf32>) -> tensor<4xf32> {
  %r = agn.dispatch %level -> tensor<4xf32>
  case i8 {
    agn.yield %a : tensor<4xf32>
  }
  case bf16 {
    agn.yield %b : tensor<4xf32>
  }
  case f32 {
    agn.yield %c : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// A unit is inlined. Its arbitration calls the runtime with the unit's id,
// held in a private global and registered, on the first call, with the name
// and the cost table {level, weight_bytes, macs} (i8 = 1, f32 = 4).

// CHECK-DAG: llvm.mlir.global internal constant @__agn_unit_costs_net_fc1(dense<[1, 24, 96, 4, 48, 96]> : tensor<6xi64>) {{{.*}}alignment = 8 : i64} : !llvm.array<6 x i64>
// CHECK-DAG: llvm.mlir.global internal constant @__agn_unit_name_net_fc1("net.fc1\00")
// CHECK-DAG: llvm.mlir.global internal @__agn_unit_id_net_fc1(-1 : i64) {{{.*}}alignment = 8 : i64} : i64
// CHECK-DAG: func.func private @agn_rt_register_unit(!llvm.ptr, !llvm.ptr, i64, f64) -> i64
// CHECK-DAG: func.func private @agn_rt_arbitrate(i64, i64, f32) -> i64
// CHECK-LABEL: func.func @unit
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>, %[[W:.*]]: tensor<4x3xf32>)
// CHECK-NOT: agn.
// CHECK: %[[V:.*]] = arith.truncf %{{.*}} : f64 to f32
// CHECK: %[[ADDR:.*]] = llvm.mlir.addressof @__agn_unit_id_net_fc1 : !llvm.ptr
// CHECK: %[[ID:.*]] = llvm.load %[[ADDR]] atomic monotonic {alignment = 8 : i64} : !llvm.ptr -> i64
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[ID]], %{{.*}} : i64
// CHECK: %[[UID:.*]] = scf.if %[[NEG]] -> (i64) {
// CHECK: %[[NAME:.*]] = llvm.mlir.addressof @__agn_unit_name_net_fc1
// CHECK: %[[COSTS:.*]] = llvm.mlir.addressof @__agn_unit_costs_net_fc1
// CHECK: %[[NUM:.*]] = arith.constant 2 : i64
// CHECK: %[[SENS:.*]] = arith.constant 1.000000e+00 : f64
// CHECK: %[[NEW:.*]] = func.call @agn_rt_register_unit(%[[NAME]], %[[COSTS]], %[[NUM]], %[[SENS]])
// CHECK: llvm.store %[[NEW]], %[[ADDR]] atomic monotonic {alignment = 8 : i64} : i64, !llvm.ptr
// CHECK: scf.yield %[[NEW]] : i64
// CHECK: } else {
// CHECK: scf.yield %[[ID]] : i64
// CHECK: %[[REQ64:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK: %[[G64:.*]] = call @agn_rt_arbitrate(%[[UID]], %[[REQ64]], %[[V]]) : (i64, i64, f32) -> i64
// CHECK: %[[G:.*]] = arith.index_cast %[[G64]] : i64 to index
// The dispatch says which unit it belongs to.
// CHECK: %[[R:.*]] = scf.index_switch %{{.*}} {agn.case_levels = array<i32: 1, 4>, agn.unit_id = @__agn_unit_id_net_fc1, agn.unit_name = "net.fc1"} -> tensor<2x3xf32>
// CHECK: default {
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<2x4xf32>, tensor<4x3xf32>)
// CHECK: scf.yield %[[MM]]
// CHECK: return %[[R]]
func.func @unit(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>) -> tensor<2x3xf32> {
  %y = agn.unit "net.fc1" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
      costs [#agn.cost<i8, weight_bytes = 24, macs = 96>, #agn.cost<f32, weight_bytes = 48, macs = 96>]
      ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32> {
  ^bb0(%a: tensor<2x4xf32>, %b: tensor<4x3xf32>):
    %v = agn.variance %a : tensor<2x4xf32>
    %l = agn.select %v policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
    %g = agn.arbitrate %l, %v
    %e = tensor.empty() : tensor<2x3xf32>
    %r = agn.dispatch %g -> tensor<2x3xf32>
    case i8 {
      agn.yield %e : tensor<2x3xf32>
    }
    case f32 {
      %m = linalg.matmul ins(%a, %b : tensor<2x4xf32>, tensor<4x3xf32>) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
      agn.yield %m : tensor<2x3xf32>
    }
    agn.yield %r : tensor<2x3xf32>
  }
  return %y : tensor<2x3xf32>
}

// -----

// Without a cost table, each allowed level costs 0 bytes and 0 MACs; two
// units with the same sanitized name get distinct globals; runtime
// declarations already present are reused.

// CHECK-DAG: llvm.mlir.global internal constant @__agn_unit_costs_a_b(dense<[0, 0, 0, 1, 0, 0]> : tensor<6xi64>)
// CHECK-DAG: llvm.mlir.global internal constant @__agn_unit_name_a_b("a.b\00")
// CHECK-DAG: llvm.mlir.global internal constant @__agn_unit_name_a_b_1("a-b\00")
// CHECK-DAG: llvm.mlir.global internal @__agn_unit_id_a_b(-1 : i64)
// CHECK-DAG: llvm.mlir.global internal @__agn_unit_id_a_b_1(-1 : i64)
// CHECK-COUNT-1: func.func private @agn_rt_arbitrate
// CHECK-LABEL: func.func @units_without_costs
// CHECK: llvm.mlir.addressof @__agn_unit_id_a_b :
// CHECK: llvm.mlir.addressof @__agn_unit_id_a_b_1 :
func.func private @agn_rt_arbitrate(i64, i64, f32) -> i64

func.func @units_without_costs(%x: tensor<2xf32>, %w: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %y = agn.unit "a.b" levels [i4, i8] policy #agn.policy<levels = [i4, i8], thresholds = [0.5]>
      ins(%x, %w : tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32> {
  ^bb0(%a: tensor<2xf32>, %b: tensor<2xf32>):
    %v = agn.abs_max %a : tensor<2xf32>
    %l = agn.select %v policy #agn.policy<levels = [i4, i8], thresholds = [0.5]>
    %g = agn.arbitrate %l, %v
    agn.yield %b : tensor<2xf32>
  }
  %z = agn.unit "a-b" levels [i4, i8] policy #agn.policy<levels = [i4, i8], thresholds = [0.5]>
      ins(%x, %w : tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32> {
  ^bb0(%a: tensor<2xf32>, %b: tensor<2xf32>):
    %v = agn.abs_max %a : tensor<2xf32>
    %l = agn.select %v policy #agn.policy<levels = [i4, i8], thresholds = [0.5]>
    %g = agn.arbitrate %l, %v
    agn.yield %a : tensor<2xf32>
  }
  return %y, %z : tensor<2xf32>, tensor<2xf32>
}

// -----

// Per tensor: max|x| over everything into a 0-d tensor (as the unsigned
// maximum of the bit patterns without sign, then back to f32), the scale
// max / 127 (1 for 0) rounded from f64, and the stored values
// clamp(roundeven(x * 127 / max), -127, 127) in f64, 0 for an all-zero input.

// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ALL:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @quantize_per_tensor
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK: %[[BITS:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ALL]]], iterator_types = ["reduction", "reduction"]}
// CHECK-SAME: ins(%[[X]] : tensor<4x8xf32>) outs(%{{.*}} : tensor<i32>)
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.andi
// CHECK: arith.maxui
// CHECK: %[[MAX:.*]] = linalg.generic
// CHECK-SAME: ins(%[[BITS]] : tensor<i32>) outs(%{{.*}} : tensor<f32>)
// CHECK: arith.bitcast %{{.*}} : i32 to f32
// CHECK: %[[SCALES:.*]] = linalg.generic
// CHECK-SAME: ins(%[[MAX]] : tensor<f32>) outs(%{{.*}} : tensor<f32>)
// CHECK: %[[M64:.*]] = arith.extf %{{.*}} : f32 to f64
// CHECK: %[[Q:.*]] = arith.constant 1.270000e+02 : f64
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f64
// CHECK: %[[DIV:.*]] = arith.divf %[[M64]], %[[Q]] : f64
// CHECK: %[[ISZERO:.*]] = arith.cmpf oeq, %[[M64]], %[[ZERO]] : f64
// CHECK: %[[S:.*]] = arith.select %[[ISZERO]], %[[ONE]], %[[DIV]] : f64
// CHECK: arith.truncf %[[S]] : f64 to f32
// CHECK: %[[STORED:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ALL]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[MAX]] : tensor<4x8xf32>, tensor<f32>) outs(%{{.*}} : tensor<4x8xi8>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[GMAX:.*]]: f32, %{{.*}}: i8):
// CHECK: %[[X64:.*]] = arith.extf %[[IN]] : f32 to f64
// CHECK: %[[G64:.*]] = arith.extf %[[GMAX]] : f32 to f64
// CHECK: %[[LIMIT:.*]] = arith.constant 1.270000e+02 : f64
// CHECK: %[[SCALED:.*]] = arith.mulf %[[X64]], %[[LIMIT]] : f64
// CHECK: %[[QUOT:.*]] = arith.divf %[[SCALED]], %[[G64]] : f64
// CHECK: %[[ROUNDED:.*]] = math.roundeven %[[QUOT]] : f64
// CHECK: %[[NEGLIMIT:.*]] = arith.constant -1.270000e+02 : f64
// CHECK: %[[LO:.*]] = arith.maxnumf %[[ROUNDED]], %[[NEGLIMIT]] : f64
// CHECK: %[[HI:.*]] = arith.minnumf %[[LO]], %[[LIMIT]] : f64
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f64
// CHECK: %[[ZG:.*]] = arith.cmpf oeq, %[[G64]], %[[Z]] : f64
// CHECK: %[[SEL:.*]] = arith.select %[[ZG]], %[[Z]], %[[HI]] : f64
// CHECK: %[[INT:.*]] = arith.fptosi %[[SEL]] : f64 to i8
// CHECK: linalg.yield %[[INT]] : i8
// CHECK: return %[[STORED]], %[[SCALES]]
func.func @quantize_per_tensor(%x: tensor<4x8xf32>) -> (tensor<4x8xi8>, tensor<f32>) {
  %q, %s = agn.quantize %x : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<f32>
  return %q, %s : tensor<4x8xi8>, tensor<f32>
}

// -----

// Per channel: the reduction keeps the axis parallel.

// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[AXIS1:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @quantize_per_channel
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK: %[[BITS:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[AXIS1]]], iterator_types = ["reduction", "parallel"]}
// CHECK-SAME: outs(%{{.*}} : tensor<8xi32>)
// CHECK: %[[MAX:.*]] = linalg.generic
// CHECK-SAME: ins(%[[BITS]] : tensor<8xi32>) outs(%{{.*}} : tensor<8xf32>)
// CHECK: %[[SCALES:.*]] = linalg.generic
// CHECK-SAME: ins(%[[MAX]] : tensor<8xf32>)
// CHECK: %[[STORED:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[AXIS1]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[MAX]] : tensor<4x8xf32>, tensor<8xf32>) outs(%{{.*}} : tensor<4x8xi8>)
// CHECK: return %[[STORED]], %[[SCALES]]
func.func @quantize_per_channel(%x: tensor<4x8xf32>) -> (tensor<4x8xi8>, tensor<8xf32>) {
  %q, %s = agn.quantize %x axis 1 : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<8xf32>
  return %q, %s : tensor<4x8xi8>, tensor<8xf32>
}

// -----

// Per block: the axis is split into [size / block, block] and the block
// dimension reduced; i4 uses qmax = 7.

// CHECK-DAG: #[[ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[GROUP:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @quantize_per_block
// CHECK-SAME: (%[[X:.*]]: tensor<64x6xf32>)
// CHECK: %[[VIEW:.*]] = tensor.expand_shape %[[X]] {{\[\[}}0, 1], [2]] output_shape [2, 32, 6] : tensor<64x6xf32> into tensor<2x32x6xf32>
// CHECK: %[[BITS:.*]] = linalg.generic {indexing_maps = [#[[ID3]], #[[GROUP]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME: ins(%[[VIEW]] : tensor<2x32x6xf32>) outs(%{{.*}} : tensor<2x6xi32>)
// CHECK: %[[MAX:.*]] = linalg.generic
// CHECK-SAME: ins(%[[BITS]] : tensor<2x6xi32>) outs(%{{.*}} : tensor<2x6xf32>)
// CHECK: %[[SCALES:.*]] = linalg.generic
// CHECK: arith.constant 7.000000e+00 : f64
// CHECK: %[[STORED:.*]] = linalg.generic {indexing_maps = [#[[ID3]], #[[GROUP]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[VIEW]], %[[MAX]] : tensor<2x32x6xf32>, tensor<2x6xf32>) outs(%{{.*}} : tensor<2x32x6xi4>)
// CHECK: arith.constant -7.000000e+00 : f64
// CHECK: arith.fptosi %{{.*}} : f64 to i4
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[STORED]] {{\[\[}}0, 1], [2]] : tensor<2x32x6xi4> into tensor<64x6xi4>
// CHECK: return %[[FLAT]], %[[SCALES]]
func.func @quantize_per_block(%x: tensor<64x6xf32>) -> (tensor<64x6xi4>, tensor<2x6xf32>) {
  %q, %s = agn.quantize %x axis 0 block 32 : tensor<64x6xf32> -> tensor<64x6xi4>, tensor<2x6xf32>
  return %q, %s : tensor<64x6xi4>, tensor<2x6xf32>
}

// -----

// A dynamic size along the block axis is checked at run time.

// CHECK-LABEL: func.func @quantize_per_block_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x6xf32>)
// CHECK: %[[SIZE:.*]] = tensor.dim %[[X]]
// CHECK: %[[REM:.*]] = arith.remui %[[SIZE]], %[[BLOCK:.*]] : index
// CHECK: %[[DIVIDES:.*]] = arith.cmpi eq, %[[REM]], %{{.*}} : index
// CHECK: cf.assert %[[DIVIDES]], "agn: block size 32 does not divide the size of dimension 0"
// CHECK: %[[BLOCKS:.*]] = arith.divui %[[SIZE]], %[[BLOCK]] : index
// CHECK: tensor.expand_shape %[[X]] {{\[\[}}0, 1], [2]] output_shape [%[[BLOCKS]], 32, 6] : tensor<?x6xf32> into tensor<?x32x6xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<?x32x6xi4> into tensor<?x6xi4>
func.func @quantize_per_block_dynamic(%x: tensor<?x6xf32>) -> (tensor<?x6xi4>, tensor<?x6xf32>) {
  %q, %s = agn.quantize %x axis 0 block 32 : tensor<?x6xf32> -> tensor<?x6xi4>, tensor<?x6xf32>
  return %q, %s : tensor<?x6xi4>, tensor<?x6xf32>
}

// -----

// Float storage: a conversion, and scales of 1.

// CHECK-LABEL: func.func @quantize_float
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK: %[[STORED:.*]] = linalg.generic
// CHECK-SAME: ins(%[[X]] : tensor<4x8xf32>) outs(%{{.*}} : tensor<4x8xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[SCALES:.*]] = linalg.fill ins(%[[ONE]] : f32) outs(%{{.*}} : tensor<8xf32>)
// CHECK: return %[[STORED]], %[[SCALES]]
func.func @quantize_float(%x: tensor<4x8xf32>) -> (tensor<4x8xbf16>, tensor<8xf32>) {
  %q, %s = agn.quantize %x axis 1 : tensor<4x8xf32> -> tensor<4x8xbf16>, tensor<8xf32>
  return %q, %s : tensor<4x8xbf16>, tensor<8xf32>
}

// -----

// Float storage of the input's own type is the input itself.

// CHECK-LABEL: func.func @quantize_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: linalg.generic
// CHECK: %[[SCALES:.*]] = linalg.fill
// CHECK: return %[[X]], %[[SCALES]]
func.func @quantize_same_type(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<f32>) {
  %q, %s = agn.quantize %x : tensor<4xf32> -> tensor<4xf32>, tensor<f32>
  return %q, %s : tensor<4xf32>, tensor<f32>
}

// -----

// Dequantization: stored * scale, elementwise, with the scale broadcast
// along its group.

// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[AXIS0:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @dequantize_per_channel
// CHECK-SAME: (%[[Q:.*]]: tensor<4x8xi8>, %[[S:.*]]: tensor<4xf32>)
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[AXIS0]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[Q]], %[[S]] : tensor<4x8xi8>, tensor<4xf32>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK: ^bb0(%[[IN:.*]]: i8, %[[SCALE:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[F:.*]] = arith.sitofp %[[IN]] : i8 to f32
// CHECK: %[[P:.*]] = arith.mulf %[[F]], %[[SCALE]] : f32
// CHECK: linalg.yield %[[P]] : f32
// CHECK: return %[[R]]
func.func @dequantize_per_channel(%q: tensor<4x8xi8>, %s: tensor<4xf32>) -> tensor<4x8xf32> {
  %x = agn.dequantize %q, %s axis 0 : tensor<4x8xi8>, tensor<4xf32> -> tensor<4x8xf32>
  return %x : tensor<4x8xf32>
}

// -----

// CHECK-DAG: #[[ALL:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @dequantize_per_tensor
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[ALL]], #{{.*}}], iterator_types = ["parallel"]}
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<6xi8>, tensor<f32>) outs(%{{.*}} : tensor<6xf16>)
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: arith.mulf
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @dequantize_per_tensor(%q: tensor<6xi8>, %s: tensor<f32>) -> tensor<6xf16> {
  %x = agn.dequantize %q, %s : tensor<6xi8>, tensor<f32> -> tensor<6xf16>
  return %x : tensor<6xf16>
}

// -----

// CHECK-DAG: #[[GROUP:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @dequantize_per_block
// CHECK-SAME: (%[[Q:.*]]: tensor<64x6xi4>, %[[S:.*]]: tensor<2x6xf32>)
// CHECK: %[[VIEW:.*]] = tensor.expand_shape %[[Q]] {{\[\[}}0, 1], [2]] output_shape [2, 32, 6] : tensor<64x6xi4> into tensor<2x32x6xi4>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[GROUP]], #{{.*}}]
// CHECK-SAME: ins(%[[VIEW]], %[[S]] : tensor<2x32x6xi4>, tensor<2x6xf32>) outs(%{{.*}} : tensor<2x32x6xf32>)
// CHECK: arith.sitofp %{{.*}} : i4 to f32
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[R]] {{\[\[}}0, 1], [2]] : tensor<2x32x6xf32> into tensor<64x6xf32>
// CHECK: return %[[FLAT]]
func.func @dequantize_per_block(%q: tensor<64x6xi4>, %s: tensor<2x6xf32>) -> tensor<64x6xf32> {
  %x = agn.dequantize %q, %s axis 0 block 32 : tensor<64x6xi4>, tensor<2x6xf32> -> tensor<64x6xf32>
  return %x : tensor<64x6xf32>
}

// -----

// CHECK-LABEL: func.func @dequantize_float
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.mulf
func.func @dequantize_float(%q: tensor<4x8xf16>, %s: tensor<f32>) -> tensor<4x8xf32> {
  %x = agn.dequantize %q, %s : tensor<4x8xf16>, tensor<f32> -> tensor<4x8xf32>
  return %x : tensor<4x8xf32>
}

// -----

// agn.requantize: the smallest and largest accumulator of each (image,
// channel) cell, each in a reduction of its own over the cell's pixels (one
// loop of 64); the body at both ends of each cell, whose larger magnitude
// is the image's largest |y| when every value of the body is finite there
// (NaN marks a cell where one is not); where an image's maximum is NaN, y is
// computed and its maximum taken as agn.quantize does; then one pass over
// the accumulators evaluates the body and quantizes.
// CHECK-DAG: #[[CELLS:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @requantize
// CHECK-SAME: (%[[ACC:.*]]: tensor<2x16x8x8xi32>, %[[W:.*]]: tensor<16xf32>)
// CHECK: %[[RUNS:.*]] = tensor.collapse_shape %[[ACC]] {{\[\[}}0], [1], [2, 3]] : tensor<2x16x8x8xi32> into tensor<2x16x64xi32>
// CHECK: %[[LOW:.*]] = linalg.generic {{.*}}#[[CELLS]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[RUNS]] : tensor<2x16x64xi32>) outs(%{{.*}} : tensor<2x16xi32>)
// CHECK:   arith.minsi
// CHECK: %[[HIGH:.*]] = linalg.generic {{.*}} ins(%[[RUNS]] : tensor<2x16x64xi32>) outs(%{{.*}} : tensor<2x16xi32>)
// CHECK:   arith.maxsi
// CHECK: %[[ENDS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[LOW]], %[[HIGH]], %[[W]] : tensor<2x16xi32>, tensor<2x16xi32>, tensor<16xf32>) outs(%{{.*}} : tensor<2xf32>)
// CHECK:   arith.sitofp
// CHECK:   arith.cmpf olt
// CHECK:   arith.select
// CHECK:   arith.cmpi sle
// CHECK:   arith.maximumf
// CHECK: %[[ANY:.*]] = linalg.generic {{.*}} ins(%[[ENDS]] : tensor<2xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK: %[[MAX:.*]] = tensor.extract %[[ANY]][]
// CHECK: %[[UNKNOWN:.*]] = arith.cmpf uno, %[[MAX]], %[[MAX]]
// CHECK: %[[MAXIMA:.*]] = scf.if %[[UNKNOWN]] -> (tensor<2xf32>) {
// CHECK:   %[[Y:.*]] = linalg.generic {{.*}} ins(%[[ACC]], %[[W]] : tensor<2x16x8x8xi32>, tensor<16xf32>) outs(%{{.*}} : tensor<2x16x8x8xf32>)
// CHECK:   linalg.generic {{.*}} ins(%[[Y]] : tensor<2x16x8x8xf32>) outs(%{{.*}} : tensor<2xi32>)
// CHECK: } else {
// CHECK:   scf.yield %[[ENDS]] : tensor<2xf32>
// CHECK: linalg.generic {{.*}} ins(%[[MAXIMA]] : tensor<2xf32>) outs(%{{.*}} : tensor<2xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %[[W]], %[[MAXIMA]] : tensor<2x16x8x8xi32>, tensor<16xf32>, tensor<2xf32>) outs(%{{.*}} : tensor<2x16x8x8xi8>)
// CHECK:   arith.sitofp
// CHECK:   arith.divf
// CHECK:   math.roundeven
// CHECK:   arith.fptosi %{{.*}} : f64 to i8
// CHECK-NOT: agn.requantize
func.func @requantize(%acc: tensor<2x16x8x8xi32>, %w: tensor<16xf32>) -> (tensor<2x16x8x8xi8>, tensor<2xf32>) {
  %q, %s = agn.requantize %acc ins(%w : tensor<16xf32>) axis 0
      maps [affine_map<(n, c, h, w) -> (c)>]
      : tensor<2x16x8x8xi32> -> tensor<2x16x8x8xi8>, tensor<2xf32> {
  ^bb0(%a: i32, %x: f32):
    %f = arith.sitofp %a : i32 to f32
    %d = arith.mulf %f, %x : f32
    agn.yield %d : f32
  }
  return %q, %s : tensor<2x16x8x8xi8>, tensor<2xf32>
}
