// RUN: agn-opt %s --agn-emit-c-interface | FileCheck %s

// Public functions with a body get a C interface; private functions and
// declarations do not.

// CHECK: func.func private @external(memref<4xf32>)
// CHECK-NOT: llvm.emit_c_interface
func.func private @external(memref<4xf32>)

// CHECK-LABEL: func.func @model
// CHECK-SAME: attributes {llvm.emit_c_interface}
func.func @model(%x: memref<4xf32>) {
  func.call @helper(%x) : (memref<4xf32>) -> ()
  return
}

// CHECK-LABEL: func.func private @helper
// CHECK-NOT: llvm.emit_c_interface
func.func private @helper(%x: memref<4xf32>) {
  return
}
