// RUN: agn-opt %s -split-input-file --agn-vnni-pack -verify-diagnostics

// A vnni config pinned by hand on an op the kernels do not take (float
// operands) is an error, not silently ignored.
func.func @pinned_float(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{agn-vnni-pack: cannot compute this op with the VNNI kernels (its agn.lowering_config)}}
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = vnni, tile_sizes = [4, 64, 4]>}
      ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// Weights of dynamic shape cannot be packed into panels.
func.func @pinned_dynamic(%a: tensor<4x8xi8>, %b: tensor<8x?xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  // expected-error @+1 {{agn-vnni-pack: cannot compute this op with the VNNI kernels}}
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = vnni, tile_sizes = [4, 64, 4]>}
      ins(%a, %b : tensor<4x8xi8>, tensor<8x?xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// -----

// The config's K step must be the kernel's (4 for the i8 kernel).
func.func @wrong_step(%a: tensor<4x8xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %b = arith.constant dense<1> : tensor<8x16xi8>
  // expected-error @+1 {{agn-vnni-pack: this kernel takes 4 K values per step, but its agn.lowering_config says 8}}
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = vnni, tile_sizes = [4, 64, 8]>}
      ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// -----

// A `signed_dot` config on weights that hold -128 and an A that may
// (agn_x86.sdot's lowering cannot negate -128 in both operands) is an error.
func.func @signed_dot_minimum(%a: tensor<4x8xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %b = arith.constant dense<-128> : tensor<8x16xi8>
  // expected-error @+1 {{agn-vnni-pack: the 'signed_dot' kernel needs weights or an A that hold no -128}}
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = signed_dot, tile_sizes = [1, 64, 4]>}
      ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// -----

// A `signed_dot` config pinned on an op the kernel does not take (float
// operands) is an error.
func.func @signed_dot_float(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{agn-vnni-pack: cannot compute this op with the 'signed_dot' kernel (its agn.lowering_config)}}
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = signed_dot, tile_sizes = [1, 64, 4]>}
      ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// A `signed_dot` config's K step must be the kernel's too (4 for the i8
// kernel).
func.func @signed_dot_step(%a: tensor<4x8xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %b = arith.constant dense<1> : tensor<8x16xi8>
  // expected-error @+1 {{agn-vnni-pack: this kernel takes 4 K values per step, but its agn.lowering_config says 8}}
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = signed_dot, tile_sizes = [1, 64, 8]>}
      ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}
