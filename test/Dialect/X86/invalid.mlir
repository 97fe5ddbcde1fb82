// RUN: agn-opt %s --split-input-file --verify-diagnostics

func.func @usdot_bytes_per_lane(%acc: vector<16xi32>, %a: vector<32xi8>) -> vector<16xi32> {
  // expected-error @+1 {{'agn_x86.usdot' op expects four bytes per i32 lane: 32 bytes for 16 lanes (need 64)}}
  %r = agn_x86.usdot %acc, %a, %a : vector<32xi8> into vector<16xi32>
  return %r : vector<16xi32>
}

// -----

func.func @usdot_operand_types(%acc: vector<16xi32>, %a: vector<64xi8>, %b: vector<64xi16>) -> vector<16xi32> {
  // expected-error @+1 {{'agn_x86.usdot' op operand #2 must be vector of 8-bit signless integer values of ranks 1}}
  %r = "agn_x86.usdot"(%acc, %a, %b) : (vector<16xi32>, vector<64xi8>, vector<64xi16>) -> vector<16xi32>
  return %r : vector<16xi32>
}

// -----

func.func @usdot_scalable(%acc: vector<[4]xi32>, %a: vector<[16]xi8>) -> vector<[4]xi32> {
  // expected-error @+1 {{'agn_x86.usdot' op expects fixed-length vectors}}
  %r = agn_x86.usdot %acc, %a, %a : vector<[16]xi8> into vector<[4]xi32>
  return %r : vector<[4]xi32>
}

// -----

func.func @pack_dynamic(%w: tensor<?x70xi8>) -> (tensor<2x3x256xi8>, tensor<2x64xi32>) {
  // expected-error @+1 {{'agn_x86.pack_vnni' op expects statically shaped weights, got 'tensor<?x70xi8>'}}
  %p, %c = agn_x86.pack_vnni %w : tensor<?x70xi8> -> tensor<2x3x256xi8>, tensor<2x64xi32>
  return %p, %c : tensor<2x3x256xi8>, tensor<2x64xi32>
}

// -----

func.func @pack_layout(%w: tensor<10x70xi8>) -> (tensor<2x2x256xi8>, tensor<2x64xi32>) {
  // expected-error @+1 {{'agn_x86.pack_vnni' op expects results of types 'tensor<2x3x256xi8>' and 'tensor<2x64xi32>' (the layout of its weights), got 'tensor<2x2x256xi8>' and 'tensor<2x64xi32>'}}
  %p, %c = agn_x86.pack_vnni %w : tensor<10x70xi8> -> tensor<2x2x256xi8>, tensor<2x64xi32>
  return %p, %c : tensor<2x2x256xi8>, tensor<2x64xi32>
}

// -----

func.func @pack_element_type(%w: tensor<10x70xi16>) -> (tensor<2x3x256xi8>, tensor<2x64xi32>) {
  // expected-error @+1 {{'agn_x86.pack_vnni' op operand #0 must be 2D tensor of 8-bit signless integer or 4-bit signless integer values}}
  %p, %c = "agn_x86.pack_vnni"(%w) : (tensor<10x70xi16>) -> (tensor<2x3x256xi8>, tensor<2x64xi32>)
  return %p, %c : tensor<2x3x256xi8>, tensor<2x64xi32>
}

// -----

func.func @pack_blocked_block_size(%w: tensor<2x12x70xi4>) -> (tensor<2x2x1x256xi8>, tensor<2x2x64xi32>) {
  // expected-error @+1 {{'agn_x86.pack_vnni_blocked' op expects blocks of a multiple of 8 K values below 131072, got 12}}
  %p, %c = agn_x86.pack_vnni_blocked %w : tensor<2x12x70xi4> -> tensor<2x2x1x256xi8>, tensor<2x2x64xi32>
  return %p, %c : tensor<2x2x1x256xi8>, tensor<2x2x64xi32>
}

// -----

func.func @pack_blocked_correction_rank(%w: tensor<2x16x70xi4>) -> (tensor<2x2x2x256xi8>, tensor<2x64xi32>) {
  // expected-error @+1 {{'agn_x86.pack_vnni_blocked' op result #1 must be 3D tensor of 32-bit signless integer values, but got 'tensor<2x64xi32>'}}
  %p, %c = "agn_x86.pack_vnni_blocked"(%w) : (tensor<2x16x70xi4>) -> (tensor<2x2x2x256xi8>, tensor<2x64xi32>)
  return %p, %c : tensor<2x2x2x256xi8>, tensor<2x64xi32>
}

// -----

func.func @matmul_dynamic_k(%a: tensor<4x?xi8>, %p: tensor<2x3x256xi8>, %c: tensor<2x64xi32>, %init: tensor<4x70xi32>) -> tensor<4x70xi32> {
  // expected-error @+1 {{'agn_x86.vnni_matmul' op expects a static number of K values in 'lhs'}}
  %r = agn_x86.vnni_matmul %a, %p, %c into %init : tensor<4x?xi8>, tensor<2x3x256xi8>, tensor<2x64xi32> into tensor<4x70xi32>
  return %r : tensor<4x70xi32>
}

// -----

func.func @matmul_dynamic_n(%a: tensor<4x10xi8>, %p: tensor<2x3x256xi8>, %c: tensor<2x64xi32>, %init: tensor<4x?xi32>) -> tensor<4x?xi32> {
  // expected-error @+1 {{'agn_x86.vnni_matmul' op expects a static number of columns (N)}}
  %r = agn_x86.vnni_matmul %a, %p, %c into %init : tensor<4x10xi8>, tensor<2x3x256xi8>, tensor<2x64xi32> into tensor<4x?xi32>
  return %r : tensor<4x?xi32>
}

// -----

func.func @matmul_packed_shape(%a: tensor<4x10xi8>, %p: tensor<2x3x256xi8>, %c: tensor<2x64xi32>, %init: tensor<4x130xi32>) -> tensor<4x130xi32> {
  // expected-error @+1 {{'agn_x86.vnni_matmul' op expects packed weights of shape [3, 3, 256] and corrections of shape [3, 64] for 130 columns, got 'tensor<2x3x256xi8>' and 'tensor<2x64xi32>'}}
  %r = agn_x86.vnni_matmul %a, %p, %c into %init : tensor<4x10xi8>, tensor<2x3x256xi8>, tensor<2x64xi32> into tensor<4x130xi32>
  return %r : tensor<4x130xi32>
}

// -----

func.func @matmul_rows(%a: tensor<4x10xi8>, %p: tensor<2x3x256xi8>, %c: tensor<2x64xi32>, %init: tensor<5x70xi32>) -> tensor<5x70xi32> {
  // expected-error @+1 {{'agn_x86.vnni_matmul' op expects as many rows in 'lhs' as in 'init', got 4 and 5}}
  %r = agn_x86.vnni_matmul %a, %p, %c into %init : tensor<4x10xi8>, tensor<2x3x256xi8>, tensor<2x64xi32> into tensor<5x70xi32>
  return %r : tensor<5x70xi32>
}

// -----

func.func @blocked_block_size(%a: tensor<4x2x12xi8>, %p: tensor<2x2x1x256xi8>, %c: tensor<2x2x64xi32>,
                              %sa: tensor<4xf32>, %sw: tensor<2x70xf32>, %init: tensor<4x70xf32>) -> tensor<4x70xf32> {
  // expected-error @+1 {{'agn_x86.vnni_blocked_matmul' op expects blocks of a multiple of 8 K values below 131072, got 12}}
  %r = agn_x86.vnni_blocked_matmul %a, %p, %c, %sa, %sw into %init
      : tensor<4x2x12xi8>, tensor<2x2x1x256xi8>, tensor<2x2x64xi32>, tensor<4xf32>, tensor<2x70xf32> into tensor<4x70xf32>
  return %r : tensor<4x70xf32>
}

// -----

func.func @blocked_weight_scales(%a: tensor<4x2x16xi8>, %p: tensor<2x2x2x256xi8>, %c: tensor<2x2x64xi32>,
                                 %sa: tensor<4xf32>, %sw: tensor<3x70xf32>, %init: tensor<4x70xf32>) -> tensor<4x70xf32> {
  // expected-error @+1 {{'agn_x86.vnni_blocked_matmul' op expects one weight scale per block and column (2x70), got 'tensor<3x70xf32>'}}
  %r = agn_x86.vnni_blocked_matmul %a, %p, %c, %sa, %sw into %init
      : tensor<4x2x16xi8>, tensor<2x2x2x256xi8>, tensor<2x2x64xi32>, tensor<4xf32>, tensor<3x70xf32> into tensor<4x70xf32>
  return %r : tensor<4x70xf32>
}

// -----

func.func @blocked_activation_scales(%a: tensor<4x2x16xi8>, %p: tensor<2x2x2x256xi8>, %c: tensor<2x2x64xi32>,
                                     %sa: tensor<5xf32>, %sw: tensor<2x70xf32>, %init: tensor<4x70xf32>) -> tensor<4x70xf32> {
  // expected-error @+1 {{'agn_x86.vnni_blocked_matmul' op expects one activation scale per row of 'lhs' (or one for all), got 'tensor<5xf32>'}}
  %r = agn_x86.vnni_blocked_matmul %a, %p, %c, %sa, %sw into %init
      : tensor<4x2x16xi8>, tensor<2x2x2x256xi8>, tensor<2x2x64xi32>, tensor<5xf32>, tensor<2x70xf32> into tensor<4x70xf32>
  return %r : tensor<4x70xf32>
}

// -----

func.func @blocked_packed_shape(%a: tensor<4x2x16xi8>, %p: tensor<2x2x1x256xi8>, %c: tensor<2x2x64xi32>,
                                %sa: tensor<4xf32>, %sw: tensor<2x70xf32>, %init: tensor<4x70xf32>) -> tensor<4x70xf32> {
  // expected-error @+1 {{'agn_x86.vnni_blocked_matmul' op expects packed weights of shape [2, 2, 2, 256] and corrections of shape [2, 2, 64] for 70 columns}}
  %r = agn_x86.vnni_blocked_matmul %a, %p, %c, %sa, %sw into %init
      : tensor<4x2x16xi8>, tensor<2x2x1x256xi8>, tensor<2x2x64xi32>, tensor<4xf32>, tensor<2x70xf32> into tensor<4x70xf32>
  return %r : tensor<4x70xf32>
}

// -----

func.func @sdot_bytes_per_lane(%acc: vector<8xi32>, %a: vector<64xi8>) -> vector<8xi32> {
  // expected-error @+1 {{'agn_x86.sdot' op expects four bytes per i32 lane: 64 bytes for 8 lanes (need 32)}}
  %r = agn_x86.sdot %acc, %a, %a : vector<64xi8> into vector<8xi32>
  return %r : vector<8xi32>
}

// -----

func.func @sdot_scalable(%acc: vector<[4]xi32>, %a: vector<[16]xi8>) -> vector<[4]xi32> {
  // expected-error @+1 {{'agn_x86.sdot' op expects fixed-length vectors}}
  %r = agn_x86.sdot %acc, %a, %a : vector<[16]xi8> into vector<[4]xi32>
  return %r : vector<[4]xi32>
}
