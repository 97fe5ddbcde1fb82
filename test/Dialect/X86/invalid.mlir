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
