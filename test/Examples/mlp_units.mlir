// RUN: agn-opt %agn_src_root/examples/mlp_units.mlir --canonicalize | FileCheck %s

// The bundled example of the README's main command parses, verifies and keeps
// both units with their levels.

// CHECK-LABEL: func.func @mlp
// CHECK: agn.unit "fc1" levels [i4, i8, bf16, f32]
// CHECK: agn.unit "fc2" levels [i8, f32]
