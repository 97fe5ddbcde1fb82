// RUN: agn-opt %s | agn-opt | FileCheck %s
// RUN: agn-opt %s --mlir-print-op-generic | agn-opt | FileCheck %s
// RUN: agn-opt %s --emit-bytecode | agn-opt | FileCheck %s

// Every op and attribute of the dialect, in custom form; the RUN lines check
// that the custom, generic and bytecode forms all read back to the same IR.

// CHECK-LABEL: func.func @unit_with_everything
func.func @unit_with_everything(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>,
                                %b: tensor<16xf32>) -> tensor<4x16xf32> {
  // CHECK: agn.unit "fc1" levels [i4, i8, bf16, f16, f32]
  // CHECK-SAME: policy #agn.policy<levels = [i8, bf16, f32], thresholds = [5.000000e-02, 5.000000e-01], hysteresis = 1.000000e-01>
  // CHECK-SAME: costs [#agn.cost<i4, weight_bytes = 64, macs = 512>, #agn.cost<i8, weight_bytes = 128, macs = 512>, #agn.cost<bf16, weight_bytes = 256, macs = 512>, #agn.cost<f16, weight_bytes = 256, macs = 512>, #agn.cost<f32, weight_bytes = 512, macs = 512>]
  // CHECK-SAME: ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %y = agn.unit "fc1" levels [i4, i8, bf16, f16, f32]
      policy #agn.policy<levels = [i8, bf16, f32], thresholds = [0.05, 0.5], hysteresis = 0.1>
      costs [#agn.cost<i4, weight_bytes = 64, macs = 512>,
             #agn.cost<i8, weight_bytes = 128, macs = 512>,
             #agn.cost<bf16, weight_bytes = 256, macs = 512>,
             #agn.cost<f16, weight_bytes = 256, macs = 512>,
             #agn.cost<f32, weight_bytes = 512, macs = 512>]
      ins(%x, %w, %b : tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>)
      -> tensor<4x16xf32> {
  // CHECK: ^bb0(%[[A:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<8x16xf32>, %{{.*}}: tensor<16xf32>):
  ^bb0(%a: tensor<4x8xf32>, %bw: tensor<8x16xf32>, %bb: tensor<16xf32>):
    // CHECK: %[[V:.*]] = agn.variance %[[A]] stride 4 : tensor<4x8xf32>
    %v = agn.variance %a stride 4 : tensor<4x8xf32>
    // CHECK: %[[M:.*]] = agn.abs_max %[[A]] : tensor<4x8xf32>
    %m = agn.abs_max %a : tensor<4x8xf32>
    // CHECK: %[[R:.*]] = agn.select %[[V]] policy #agn.policy<levels = [i8, bf16, f32], thresholds = [5.000000e-02, 5.000000e-01]>
    %r = agn.select %v policy #agn.policy<levels = [i8, bf16, f32], thresholds = [0.05, 0.5]>
    // CHECK: agn.select %[[M]] previous %[[R]] policy #agn.policy<statistic = abs_max, levels = [i4, f32], thresholds = [2.000000e+00], hysteresis = 2.500000e-01>
    %r2 = agn.select %m previous %r policy #agn.policy<statistic = abs_max, levels = [i4, f32], thresholds = [2.0], hysteresis = 0.25>
    // CHECK: %[[G:.*]] = agn.arbitrate %[[R]], %[[V]]
    %g = agn.arbitrate %r, %v
    %e = tensor.empty() : tensor<4x16xf32>
    // CHECK: agn.dispatch %[[G]] -> tensor<4x16xf32>
    %o = agn.dispatch %g -> tensor<4x16xf32>
    // CHECK-NEXT: case i4 {
    case i4 {
      // CHECK: agn.quantize %[[W]] axis 0 block 4 : tensor<8x16xf32> -> tensor<8x16xi4>, tensor<2x16xf32>
      %q, %s = agn.quantize %bw axis 0 block 4
          : tensor<8x16xf32> -> tensor<8x16xi4>, tensor<2x16xf32>
      // CHECK: agn.dequantize %{{.*}}, %{{.*}} axis 0 block 4 : tensor<8x16xi4>, tensor<2x16xf32> -> tensor<8x16xf32>
      %d = agn.dequantize %q, %s axis 0 block 4
          : tensor<8x16xi4>, tensor<2x16xf32> -> tensor<8x16xf32>
      %mm = linalg.matmul ins(%a, %d : tensor<4x8xf32>, tensor<8x16xf32>)
                          outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
      // CHECK: agn.yield %{{.*}} : tensor<4x16xf32>
      agn.yield %mm : tensor<4x16xf32>
    }
    // CHECK: case i8 {
    case i8 {
      // CHECK: agn.quantize %[[W]] axis 1 : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<16xf32>
      %q, %s = agn.quantize %bw axis 1
          : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<16xf32>
      // CHECK: agn.quantize %[[A]] : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<f32>
      %qa, %sa = agn.quantize %a : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<f32>
      agn.yield %e : tensor<4x16xf32>
    }
    // CHECK: case bf16 {
    case bf16 {
      // CHECK: agn.quantize %[[W]] : tensor<8x16xf32> -> tensor<8x16xbf16>, tensor<f32>
      %q, %s = agn.quantize %bw : tensor<8x16xf32> -> tensor<8x16xbf16>, tensor<f32>
      agn.yield %e : tensor<4x16xf32>
    }
    // CHECK: case f16 {
    case f16 {
      agn.yield %e : tensor<4x16xf32>
    }
    // CHECK: case f32 {
    case f32 {
      agn.yield %e : tensor<4x16xf32>
    }
    // CHECK: agn.yield %{{.*}} : tensor<4x16xf32>
    agn.yield %o : tensor<4x16xf32>
  }
  return %y : tensor<4x16xf32>
}


// A unit without bias, costs or results of its own, with a dynamic batch.
// CHECK-LABEL: func.func @unit_minimal
func.func @unit_minimal(%x: tensor<?x8xf32>, %w: tensor<8x16xf32>) -> tensor<?x16xf32> {
  // CHECK: agn.unit "u" levels [f32] policy #agn.policy<levels = [f32], thresholds = []>
  // CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<?x8xf32>, tensor<8x16xf32>) -> tensor<?x16xf32>
  %y = agn.unit "u" levels [f32] policy #agn.policy<levels = [f32], thresholds = []>
      ins(%x, %w : tensor<?x8xf32>, tensor<8x16xf32>) -> tensor<?x16xf32> {
  ^bb0(%a: tensor<?x8xf32>, %bw: tensor<8x16xf32>):
    %c0 = arith.constant 0 : index
    %n = tensor.dim %a, %c0 : tensor<?x8xf32>
    %e = tensor.empty(%n) : tensor<?x16xf32>
    %mm = linalg.matmul ins(%a, %bw : tensor<?x8xf32>, tensor<8x16xf32>)
                        outs(%e : tensor<?x16xf32>) -> tensor<?x16xf32>
    agn.yield %mm : tensor<?x16xf32>
  }
  return %y : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @dispatch_outside_unit
func.func @dispatch_outside_unit(%level: index, %x: f32) -> f32 {
  // CHECK: agn.dispatch %{{.*}} -> f32
  // CHECK-NEXT: case i8 {
  // CHECK: case f32 {
  %r = agn.dispatch %level -> f32
  case i8 {
    agn.yield %x : f32
  }
  case f32 {
    agn.yield %x : f32
  }
  return %r : f32
}

// A dispatch with no results, and the attributes on their own.
// CHECK-LABEL: func.func @dispatch_no_results
// CHECK-SAME: agn.levels = [#agn.precision<i4>, #agn.precision<f32>]
// CHECK-SAME: agn.statistic = #agn.statistic<abs_max>
func.func @dispatch_no_results(%level: index)
    attributes {agn.levels = [#agn.precision<i4>, #agn.precision<f32>],
                agn.statistic = #agn.statistic<abs_max>} {
  // CHECK: agn.dispatch %{{.*}}{{$}}
  // CHECK-NEXT: case f16 {
  agn.dispatch %level
  case f16 {
    agn.yield
  }
  return
}

// CHECK-LABEL: func.func @dynamic_quantization
func.func @dynamic_quantization(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // CHECK: agn.quantize %{{.*}} axis 0 : tensor<?x?xf32> -> tensor<?x?xi8>, tensor<?xf32>
  %q, %s = agn.quantize %x axis 0 : tensor<?x?xf32> -> tensor<?x?xi8>, tensor<?xf32>
  // CHECK: agn.dequantize %{{.*}}, %{{.*}} axis 0 : tensor<?x?xi8>, tensor<?xf32> -> tensor<?x?xf32>
  %d = agn.dequantize %q, %s axis 0 : tensor<?x?xi8>, tensor<?xf32> -> tensor<?x?xf32>
  return %d : tensor<?x?xf32>
}

// The code generation attributes (#agn.lowering_config, #agn.blocked_matmul).
// CHECK-LABEL: func.func @codegen_attributes
func.func @codegen_attributes(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK: agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], k_block = 32, threads = 2, widen_to_f32 = true>
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], k_block = 32, threads = 2, widen_to_f32 = true>}
      ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  // CHECK: agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>
  %s = arith.addf %r, %r {agn.lowering_config = #agn.lowering_config<kernel = im2col, filter_on_right = true>} : tensor<4x16xf32>
  // CHECK: agn.blocked_matmul = #agn.blocked_matmul<rescale, block_size = 32>
  %t = arith.addf %s, %s {agn.blocked_matmul = #agn.blocked_matmul<rescale, block_size = 32>} : tensor<4x16xf32>
  // CHECK: agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [32, 32], block_threads = [16, 16]>
  %u = arith.addf %t, %t {agn.lowering_config = #agn.lowering_config<kernel = gpu_simt, tile_sizes = [32, 32], block_threads = [16, 16]>} : tensor<4x16xf32>
  // CHECK: agn.lowering_config = #agn.lowering_config<kernel = gpu_mma_sync, tile_sizes = [64, 32, 16]>
  %v = arith.addf %u, %u {agn.lowering_config = #agn.lowering_config<kernel = gpu_mma_sync, tile_sizes = [64, 32, 16]>} : tensor<4x16xf32>
  // CHECK: agn.lowering_config = #agn.lowering_config<kernel = padded_plane, tile_sizes = [8, 32], threads = 2>
  %w = arith.addf %v, %v {agn.lowering_config = #agn.lowering_config<kernel = padded_plane, tile_sizes = [8, 32], threads = 2>} : tensor<4x16xf32>
  // CHECK: agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], threads = 2, pack_b = true>
  %x = arith.addf %w, %w {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], threads = 2, pack_b = true>} : tensor<4x16xf32>
  return %x : tensor<4x16xf32>
}

// The inter-layer protocol: a producer requantizes its accumulators through
// a per-channel epilogue, and its consumer takes the values and the scales
// (agn.requantize, agn.unit's input_scales).
// CHECK-LABEL: func.func @requantize
func.func @requantize(%acc: tensor<1x16x8x8xi32>, %sx: tensor<1xf32>,
                      %sw: tensor<16xf32>, %w2: tensor<8x16x1x1xf32>)
    -> tensor<1x8x8x8xf32> {
  // CHECK: %[[Q:.*]], %[[S:.*]] = agn.requantize %{{.*}} ins(%{{.*}}, %{{.*}} : tensor<1xf32>, tensor<16xf32>) axis 0 maps [#{{.*}}, #{{.*}}] : tensor<1x16x8x8xi32> -> tensor<1x16x8x8xi8>, tensor<1xf32> {
  // CHECK: ^bb0(%{{.*}}: i32, %{{.*}}: f32, %{{.*}}: f32):
  // CHECK: arith.maximumf
  // CHECK: agn.yield %{{.*}} : f32
  %q, %s = agn.requantize %acc ins(%sx, %sw : tensor<1xf32>, tensor<16xf32>) axis 0
      maps [affine_map<(n, c, h, w) -> (n)>, affine_map<(n, c, h, w) -> (c)>]
      : tensor<1x16x8x8xi32> -> tensor<1x16x8x8xi8>, tensor<1xf32> {
  ^bb0(%a: i32, %x: f32, %w: f32):
    %f = arith.sitofp %a : i32 to f32
    %m = arith.mulf %x, %w : f32
    %d = arith.mulf %f, %m : f32
    %zero = arith.constant 0.0 : f32
    %r = arith.maximumf %d, %zero : f32
    agn.yield %r : f32
  }
  // CHECK: agn.unit "next" levels [i8] policy #agn.policy<levels = [i8], thresholds = []> ins(%[[Q]], %{{.*}} : tensor<1x16x8x8xi8>, tensor<8x16x1x1xf32>) input_scales(%[[S]] : tensor<1xf32>) -> tensor<1x8x8x8xf32> {
  // CHECK: ^bb0(%{{.*}}: tensor<1x16x8x8xi8>, %{{.*}}: tensor<8x16x1x1xf32>, %{{.*}}: tensor<1xf32>):
  %y = agn.unit "next" levels [i8] policy #agn.policy<levels = [i8], thresholds = []>
      ins(%q, %w2 : tensor<1x16x8x8xi8>, tensor<8x16x1x1xf32>)
      input_scales(%s : tensor<1xf32>) -> tensor<1x8x8x8xf32> {
  ^bb0(%a: tensor<1x16x8x8xi8>, %b: tensor<8x16x1x1xf32>, %c: tensor<1xf32>):
    %e = tensor.empty() : tensor<1x8x8x8xf32>
    agn.yield %e : tensor<1x8x8x8xf32>
  }
  return %y : tensor<1x8x8x8xf32>
}

// Without inputs, with one scale per tensor, to i4.
// CHECK-LABEL: func.func @requantize_plain
func.func @requantize_plain(%acc: tensor<4x6xi32>) -> (tensor<4x6xi4>, tensor<f32>) {
  // CHECK: agn.requantize %{{.*}} : tensor<4x6xi32> -> tensor<4x6xi4>, tensor<f32> {
  %q, %s = agn.requantize %acc : tensor<4x6xi32> -> tensor<4x6xi4>, tensor<f32> {
  ^bb0(%a: i32):
    %f = arith.sitofp %a : i32 to f32
    %n = arith.negf %f : f32
    agn.yield %n : f32
  }
  return %q, %s : tensor<4x6xi4>, tensor<f32>
}
