// RUN: agn-opt %s -split-input-file --agn-vectorize-convolutions --agn-vectorize-contractions -verify-diagnostics

// Register tiles pinned on an unsigned integer matmul, which the outer-product
// lowering (it sign-extends) cannot compute: an error.
func.func @unsigned(%a: tensor<4x8xi8>, %b: tensor<8x16xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  // expected-error @+1 {{agn-vectorize-contractions: cannot tile and vectorize this matmul (its agn.lowering_config)}}
  %r = linalg.matmul {cast = #linalg.type_fn<cast_unsigned>,
                      agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 64, 1]>}
      ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%c : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// -----

// An im2col config on a convolution of dynamic shape: an error.
func.func @dynamic_conv(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %y: tensor<?x4x6x6xf32>) -> tensor<?x4x6x6xf32> {
  // expected-error @+1 {{agn-vectorize-convolutions: cannot lower this op as an im2col matmul (its agn.lowering_config)}}
  %r = linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = im2col>}
      ins(%x, %w : tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) outs(%y : tensor<?x4x6x6xf32>) -> tensor<?x4x6x6xf32>
  return %r : tensor<?x4x6x6xf32>
}

// -----

// Direct loops pinned on an ungrouped convolution: an error.
func.func @direct_ungrouped(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %y: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+1 {{agn-vectorize-convolutions: cannot lower this op as direct loops (its agn.lowering_config)}}
  %r = linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = direct>}
      ins(%x, %w : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) outs(%y : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %r : tensor<1x4x6x6xf32>
}

// -----

// Padded-plane tiles pinned on a convolution whose filter is an argument (it
// is packed at compile time): an error.
func.func @padded_plane_argument_filter(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>, %y: tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{agn-vectorize-convolutions: cannot lower this op as padded-plane tiles (its agn.lowering_config)}}
  %r = linalg.conv_2d_nchw_fchw {agn.lowering_config = #agn.lowering_config<kernel = padded_plane, tile_sizes = [8, 32]>}
      ins(%x, %w : tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>) outs(%y : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %r : tensor<1x8x6x6xf32>
}

// -----

// `pack_b` pinned on a matmul whose B is no constant: an error.
func.func @pack_b_not_constant(%a: tensor<20x96xf32>, %b: tensor<96x64xf32>, %c: tensor<20x64xf32>) -> tensor<20x64xf32> {
  // expected-error @+1 {{agn-vectorize-contractions: cannot carry out 'pack_b' on this matmul (its agn.lowering_config)}}
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], pack_b = true>}
      ins(%a, %b : tensor<20x96xf32>, tensor<96x64xf32>) outs(%c : tensor<20x64xf32>) -> tensor<20x64xf32>
  return %r : tensor<20x64xf32>
}
