// RUN: agn-opt %s -split-input-file --agn-vnni-matmuls -verify-diagnostics

// A kernel op takes only a `vnni` (or `signed_dot`) config.
func.func @other_kernel(%a: tensor<4x8xi8>, %p: tensor<1x2x256xi8>, %c: tensor<1x64xi32>, %init: tensor<4x16xi32>) -> tensor<4x16xi32> {
  // expected-error @+1 {{agn-vnni-matmuls: a VNNI kernel op takes only a 'vnni' or 'signed_dot' agn.lowering_config, got #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 64, 1]>}}
  %r = agn_x86.vnni_matmul %a, %p, %c into %init {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 64, 1]>}
      : tensor<4x8xi8>, tensor<1x2x256xi8>, tensor<1x64xi32> into tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// -----

// The config's K step must be the kernel's (8 for the blocked i4 kernel).
func.func @wrong_step(%a: tensor<4x2x16xi8>, %p: tensor<1x2x2x256xi8>, %c: tensor<1x2x64xi32>,
                      %sa: tensor<f32>, %sw: tensor<2x16xf32>, %init: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{agn-vnni-matmuls: this kernel takes 8 K values per step, but its agn.lowering_config says 4}}
  %r = agn_x86.vnni_blocked_matmul %a, %p, %c, %sa, %sw into %init {agn.lowering_config = #agn.lowering_config<kernel = vnni, tile_sizes = [2, 64, 4]>}
      : tensor<4x2x16xi8>, tensor<1x2x2x256xi8>, tensor<1x2x64xi32>, tensor<f32>, tensor<2x16xf32> into tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// i4 weights packed on every call are read in whole bytes: an odd N cannot
// be.
func.func @odd_columns(%a: tensor<4x8xi8>, %w: tensor<8x15xi4>, %init: tensor<4x15xi32>) -> tensor<4x15xi32> {
  // expected-error @+1 {{agn-vnni-matmuls: cannot pack these i4 weights on every call}}
  %p, %c = agn_x86.pack_vnni %w : tensor<8x15xi4> -> tensor<1x2x256xi8>, tensor<1x64xi32>
  %r = agn_x86.vnni_matmul %a, %p, %c into %init : tensor<4x8xi8>, tensor<1x2x256xi8>, tensor<1x64xi32> into tensor<4x15xi32>
  return %r : tensor<4x15xi32>
}

// -----

// A `signed_dot` config's K step must be the kernel's too.
func.func @signed_dot_blocked_step(%a: tensor<4x2x16xi8>, %p: tensor<1x2x2x256xi8>, %c: tensor<1x2x64xi32>,
                                   %sa: tensor<f32>, %sw: tensor<2x16xf32>, %init: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{agn-vnni-matmuls: this kernel takes 8 K values per step, but its agn.lowering_config says 4}}
  %r = agn_x86.vnni_blocked_matmul %a, %p, %c, %sa, %sw into %init {agn.lowering_config = #agn.lowering_config<kernel = signed_dot, tile_sizes = [1, 64, 4]>}
      : tensor<4x2x16xi8>, tensor<1x2x2x256xi8>, tensor<1x2x64xi32>, tensor<f32>, tensor<2x16xf32> into tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// The i8 `signed_dot` kernel takes weights or an A that hold no -128
// (vpsignb cannot negate it), known only of constants and i4 values.
func.func @signed_dot_unknown_weights(%a: tensor<4x8xi8>, %w: tensor<8x16xi8>, %init: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %p, %c = agn_x86.pack_vnni %w : tensor<8x16xi8> -> tensor<1x2x256xi8>, tensor<1x64xi32>
  // expected-error @+1 {{agn-vnni-matmuls: the 'signed_dot' kernel needs packed weights or an A that hold no -128}}
  %r = agn_x86.vnni_matmul %a, %p, %c into %init {agn.lowering_config = #agn.lowering_config<kernel = signed_dot, tile_sizes = [1, 64, 4]>}
      : tensor<4x8xi8>, tensor<1x2x256xi8>, tensor<1x64xi32> into tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// -----

// Packed weights that are a constant are checked byte by byte.
func.func @signed_dot_packed_minimum(%a: tensor<4x8xi8>, %c: tensor<1x64xi32>, %init: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %p = arith.constant dense<-128> : tensor<1x2x256xi8>
  // expected-error @+1 {{agn-vnni-matmuls: the 'signed_dot' kernel needs packed weights or an A that hold no -128}}
  %r = agn_x86.vnni_matmul %a, %p, %c into %init {agn.lowering_config = #agn.lowering_config<kernel = signed_dot, tile_sizes = [1, 64, 4]>}
      : tensor<4x8xi8>, tensor<1x2x256xi8>, tensor<1x64xi32> into tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}
