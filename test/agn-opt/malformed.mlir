// RUN: not agn-opt %s -split-input-file 2>&1 | FileCheck %s
// RUN: agn-opt %s -split-input-file > /dev/null 2>&1; test $? -eq 1

// Malformed input gets a diagnostic with its location and exit status 1,
// never a crash: `not` fails on a crash, and the second RUN line checks the
// exact exit status.

// CHECK: malformed.mlir:[[# @LINE + 2]]:8: error: custom op 'agn.frobnicate' is unknown
func.func @unknown_op(%x: f32) {
  %y = agn.frobnicate %x : f32
  return
}

// -----

// CHECK: malformed.mlir:[[# @LINE + 1]]:54: error: expected ::mlir::agn::Precision to be one of: i4, i8, bf16, f16, f32
func.func @bad_enum() attributes {p = #agn.precision<f64>} {
  return
}

// -----

// CHECK: malformed.mlir:[[# @LINE + 1]]:44: error: unknown attribute `polcy` in dialect `agn`
func.func @bad_attr() attributes {p = #agn.polcy<levels = [f32]>} {
  return
}

// -----

// Truncated op: the region never closes.
// CHECK: malformed.mlir:[[# @LINE + 4]]:23: error: expected operation name in quotes
func.func @truncated(%l: index, %x: f32) -> f32 {
  %r = agn.dispatch %l -> f32
  case i8 {
    agn.yield %x : f32

// -----

// Wrong attribute kind where a policy belongs.
// CHECK: malformed.mlir:[[# @LINE + 2]]:29: error: custom op 'agn.select' invalid kind of attribute specified
func.func @wrong_attr_kind(%s: f32) -> index {
  %l = agn.select %s policy #agn.precision<f32>
  return %l : index
}

// -----

// Operand of the wrong type in custom form.
// CHECK: malformed.mlir:[[# @LINE + 2]]:19: error: use of value '%s' expects different type than prior uses: 'f32' vs 'i32'
func.func @wrong_operand_type(%s: i32) -> index {
  %l = agn.select %s policy #agn.policy<levels = [f32], thresholds = []>
  return %l : index
}

// -----

// CHECK: malformed.mlir:[[# @LINE + 1]]:1: error: custom op 'func.funk' is unknown
func.funk @garbage
