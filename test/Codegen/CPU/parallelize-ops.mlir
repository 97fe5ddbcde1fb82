// RUN: agn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(agn-cpu-parallelize-ops{threads=2}))" | FileCheck %s
// RUN: agn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(agn-cpu-parallelize-ops{threads=3}))" | FileCheck %s --check-prefix=THREE
// RUN: agn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(agn-cpu-parallelize-ops))" | FileCheck %s --check-prefix=ONE
// RUN: agn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(agn-cpu-parallelize-ops{threads=2 min-work=1}))" | FileCheck %s --check-prefix=SMALL
// RUN: not agn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(agn-cpu-parallelize-ops{threads=0}))" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: agn-cpu-parallelize-ops: 'threads' must be at least 1 and 'min-work' at least 0, got 0 and 262144

// An elementwise op on 1x64x112x112 (802,816 iterations): two chunks of 32
// channels (the batch loop is shorter than the threads), each the same
// generic on its slices; three threads take chunks of 22, 22 and 20. One
// thread (the default) leaves it whole.

// CHECK-LABEL: func.func @relu
// CHECK:         scf.forall (%[[C:.*]]) = (0) to (64) step (32) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<1x64x112x112xf32>)
// CHECK:           %[[IN:.*]] = tensor.extract_slice %{{.*}}[0, %[[C]], 0, 0] [1, 32, 112, 112] [1, 1, 1, 1]
// CHECK:           %[[INIT:.*]] = tensor.extract_slice %[[OUT]][0, %[[C]], 0, 0] [1, 32, 112, 112] [1, 1, 1, 1]
// CHECK:           %[[R:.*]] = linalg.generic {{.*}} ins(%[[IN]] : tensor<1x32x112x112xf32>) outs(%[[INIT]] : tensor<1x32x112x112xf32>)
// CHECK:             arith.maximumf
// CHECK:           scf.forall.in_parallel
// CHECK-NEXT:        tensor.parallel_insert_slice %[[R]] into %[[OUT]][0, %[[C]], 0, 0] [1, 32, 112, 112] [1, 1, 1, 1]
// THREE-LABEL: func.func @relu
// THREE:         scf.forall (%{{.*}}) = (0) to (64) step (22)
// THREE:           affine.min
// THREE:           linalg.generic
// ONE-LABEL: func.func @relu
// ONE-NOT:       scf.forall
// ONE:           linalg.generic
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @relu(%x: tensor<1x64x112x112xf32>) -> tensor<1x64x112x112xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x64x112x112xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x64x112x112xf32>) outs(%empty : tensor<1x64x112x112xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x64x112x112xf32>
  return %r : tensor<1x64x112x112xf32>
}

// -----

// Three channels do not split evenly in two (chunks of 2 and 1): the rows
// do.

// CHECK-LABEL: func.func @three_channels
// CHECK:         scf.forall (%{{.*}}) = (0) to (448) step (224)
// CHECK:           linalg.generic {{.*}} ins(%{{.*}} : tensor<1x3x224x448xf32>)
func.func @three_channels(%x: tensor<1x3x448x448xf32>) -> tensor<1x3x448x448xf32> {
  %empty = tensor.empty() : tensor<1x3x448x448xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x3x448x448xf32>) outs(%empty : tensor<1x3x448x448xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<1x3x448x448xf32>
  return %r : tensor<1x3x448x448xf32>
}

// -----

// A transposing copy (the layout change after a convolution kernel): the
// outermost loop of the result splits, each chunk reading its columns of
// the input.

// CHECK-LABEL: func.func @transpose
// CHECK:         scf.forall (%[[I:.*]]) = (0) to (64) step (32)
// CHECK:           tensor.extract_slice %{{.*}}[0, %[[I]]] [12544, 32] [1, 1]
// CHECK:           linalg.transpose ins(%{{.*}} : tensor<12544x32xf32>) outs(%{{.*}} : tensor<32x12544xf32>) permutation = [1, 0]
func.func @transpose(%x: tensor<12544x64xf32>) -> tensor<64x12544xf32> {
  %empty = tensor.empty() : tensor<64x12544xf32>
  %t = linalg.transpose ins(%x : tensor<12544x64xf32>) outs(%empty : tensor<64x12544xf32>) permutation = [1, 0]
  return %t : tensor<64x12544xf32>
}

// -----

// An im2col copy (an input map that is not a permutation): its chunks are
// windows of the input, the slices upstream's tiling computes.

// CHECK-LABEL: func.func @im2col
// CHECK:         scf.forall (%{{.*}}) = (0) to (64) step (32)
// CHECK:           linalg.generic {{.*}} outs(%{{.*}} : tensor<32x3x3x56x56xf32>)
func.func @im2col(%x: tensor<1x64x58x58xf32>) -> tensor<64x3x3x56x56xf32> {
  %empty = tensor.empty() : tensor<64x3x3x56x56xf32>
  %col = linalg.generic {indexing_maps = [affine_map<(c, i, j, h, w) -> (0, c, h + i, w + j)>, affine_map<(c, i, j, h, w) -> (c, i, j, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x64x58x58xf32>) outs(%empty : tensor<64x3x3x56x56xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<64x3x3x56x56xf32>
  return %col : tensor<64x3x3x56x56xf32>
}

// -----

// Pooling: the window loops are reductions and stay inside each chunk,
// which reads the rows and columns its windows cover (113 of 114).

// CHECK-LABEL: func.func @max_pool
// CHECK:         scf.forall (%{{.*}}) = (0) to (64) step (32)
// CHECK:           linalg.pooling_nchw_max {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x32x113x113xf32>, tensor<3x3xf32>) outs(%{{.*}} : tensor<1x32x56x56xf32>)
func.func @max_pool(%x: tensor<1x64x114x114xf32>, %init: tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32> {
  %window = tensor.empty() : tensor<3x3xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %window : tensor<1x64x114x114xf32>, tensor<3x3xf32>) outs(%init : tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  return %p : tensor<1x64x56x56xf32>
}

// -----

// A sum over rows: the reduced loop is never split (each output element is
// summed in its chunk, in the same order); the rows are.

// CHECK-LABEL: func.func @row_sums
// CHECK:         scf.forall (%{{.*}}) = (0) to (512) step (256)
// CHECK:           linalg.reduce ins(%{{.*}} : tensor<256x1024xf32>) outs(%{{.*}} : tensor<256xf32>) dimensions = [1]
func.func @row_sums(%x: tensor<512x1024xf32>, %init: tensor<512xf32>) -> tensor<512xf32> {
  %s = linalg.reduce ins(%x : tensor<512x1024xf32>) outs(%init : tensor<512xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  return %s : tensor<512xf32>
}

// -----

// A sum of all elements has no parallel loop: left whole.

// CHECK-LABEL: func.func @total
// CHECK-NOT:     scf.forall (
// CHECK:         linalg.reduce
func.func @total(%x: tensor<512x1024xf32>, %init: tensor<f32>) -> tensor<f32> {
  %s = linalg.reduce ins(%x : tensor<512x1024xf32>) outs(%init : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  return %s : tensor<f32>
}

// -----

// Left whole: ops below min-work (unless it is lowered), ops with a
// kernel config (the kernels split their own work), ops inside an
// scf.forall, ops with dynamic sizes.

// CHECK-LABEL: func.func @left_whole
// CHECK-NOT:     scf.forall (
// CHECK:         linalg.fill
// CHECK:         linalg.matmul {agn.lowering_config
// CHECK:         linalg.generic
// CHECK-NOT:     scf.forall (
// CHECK:         return
// SMALL-LABEL: func.func @left_whole
// SMALL:         scf.forall (%{{.*}}) = (0) to (8) step (4)
// SMALL:           linalg.fill {{.*}} -> tensor<4x16xf32>
// SMALL-NOT:     scf.forall (
// SMALL:         linalg.matmul {agn.lowering_config
// SMALL-NOT:     scf.forall (
// SMALL:         return
func.func @left_whole(%a: tensor<8x4096xf32>, %b: tensor<4096x16xf32>, %d: tensor<?x1024xf32>) -> (tensor<8x16xf32>, tensor<?x1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<8x16xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<8x16xf32>) -> tensor<8x16xf32>
  %mm = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 16, 1], threads = 2>} ins(%a, %b : tensor<8x4096xf32>, tensor<4096x16xf32>) outs(%fill : tensor<8x16xf32>) -> tensor<8x16xf32>
  %neg = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%d : tensor<?x1024xf32>) outs(%d : tensor<?x1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<?x1024xf32>
  return %mm, %neg : tensor<8x16xf32>, tensor<?x1024xf32>
}

// -----

// CHECK-LABEL: func.func @inside_forall
// CHECK:         scf.forall
// CHECK-NOT:     scf.forall (
// CHECK:         linalg.generic
// SMALL-LABEL: func.func @inside_forall
// SMALL:         scf.forall
// SMALL-NOT:     scf.forall (
// SMALL:         linalg.generic
func.func @inside_forall(%x: tensor<2x512x1024xf32>) -> tensor<2x512x1024xf32> {
  %r = scf.forall (%i) in (2) shared_outs(%o = %x) -> tensor<2x512x1024xf32> {
    %s = tensor.extract_slice %x[%i, 0, 0] [1, 512, 1024] [1, 1, 1] : tensor<2x512x1024xf32> to tensor<512x1024xf32>
    %n = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%s : tensor<512x1024xf32>) outs(%s : tensor<512x1024xf32>) {
    ^bb0(%in: f32, %out: f32):
      %m = arith.negf %in : f32
      linalg.yield %m : f32
    } -> tensor<512x1024xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %n into %o[%i, 0, 0] [1, 512, 1024] [1, 1, 1] : tensor<512x1024xf32> into tensor<2x512x1024xf32>
    }
  }
  return %r : tensor<2x512x1024xf32>
}

// -----

// The work is the iterations times the ops of the body: 128 x 1024
// iterations (131,072) of two ops are split, of one op (an addition) left
// whole.
// CHECK-LABEL: func.func @work
// CHECK:         scf.forall (%{{.*}}) = (0) to (128) step (64)
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK-NOT:     scf.forall (
// CHECK:         return
func.func @work(%x: tensor<128x1024xf32>) -> (tensor<128x1024xf32>, tensor<128x1024xf32>) {
  %e = tensor.empty() : tensor<128x1024xf32>
  %two = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<128x1024xf32>) outs(%e : tensor<128x1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    %s = arith.addf %m, %in : f32
    linalg.yield %s : f32
  } -> tensor<128x1024xf32>
  %one = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<128x1024xf32>) outs(%e : tensor<128x1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<128x1024xf32>
  return %two, %one : tensor<128x1024xf32>, tensor<128x1024xf32>
}

// -----

// A large static tensor.pad of a constant becomes a fill of the padded
// tensor and a copy into its interior, each split into the threads (the
// constant, defined in the pad's region, moves out); a small one, or one of
// dynamic shape, stays a tensor.pad.
// CHECK-LABEL: func.func @pads
// CHECK:         scf.forall (%{{.*}}) = (0) to (96) step (48)
// CHECK:           linalg.fill {{.*}} -> tensor<1x48x114x114xf32>
// CHECK:         %[[INTERIOR:.*]] = tensor.extract_slice %{{.*}}[0, 0, 1, 1] [1, 96, 112, 112] [1, 1, 1, 1]
// CHECK:         scf.forall (%{{.*}}) = (0) to (96) step (48)
// CHECK:           linalg.copy
// CHECK:         tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 1, 1] [1, 96, 112, 112] [1, 1, 1, 1]
// CHECK:         tensor.pad %{{.*}} low[0, 1] high[0, 1]
// CHECK:         tensor.pad %{{.*}} low[1] high[1]
// CHECK-NOT:     linalg.copy
// CHECK:         return
func.func @pads(%x: tensor<1x96x112x112xf32>, %small: tensor<4x4xf32>, %d: tensor<?xf32>)
    -> (tensor<1x96x114x114xf32>, tensor<4x6xf32>, tensor<?xf32>) {
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    %zero = arith.constant 0.0 : f32
    tensor.yield %zero : f32
  } : tensor<1x96x112x112xf32> to tensor<1x96x114x114xf32>
  %one = arith.constant 1.0 : f32
  %q = tensor.pad %small low[0, 1] high[0, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %one : f32
  } : tensor<4x4xf32> to tensor<4x6xf32>
  %r = tensor.pad %d low[1] high[1] {
  ^bb0(%i: index):
    tensor.yield %one : f32
  } : tensor<?xf32> to tensor<?xf32>
  return %p, %q, %r : tensor<1x96x114x114xf32>, tensor<4x6xf32>, tensor<?xf32>
}

// -----

// Sub-byte integers stay whole: agn-emulate-narrow-types packs their buffers
// into bytes and cannot take a chunk at a dynamic offset (the i4 levels'
// per-call widening of a 256x1152 filter failed to compile on two threads).
// Neither is a large i4 padding decomposed. i1 (kept a byte each) is split.
// CHECK-LABEL: func.func @sub_byte
// CHECK-NOT:     scf.forall
// CHECK:         arith.extsi
// CHECK:         tensor.pad
// CHECK:         scf.forall
// CHECK:           arith.cmpf
// CHECK:         return
#map = affine_map<(d0) -> (d0)>
func.func @sub_byte(%w: tensor<294912xi4>, %x: tensor<1x96x112x112xi4>,
                    %f: tensor<294912xf32>)
    -> (tensor<294912xi8>, tensor<1x96x114x114xi4>, tensor<294912xi1>) {
  %empty = tensor.empty() : tensor<294912xi8>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%w : tensor<294912xi4>) outs(%empty : tensor<294912xi8>) {
  ^bb0(%in: i4, %out: i8):
    %e = arith.extsi %in : i4 to i8
    linalg.yield %e : i8
  } -> tensor<294912xi8>
  %zero = arith.constant 0 : i4
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : i4
  } : tensor<1x96x112x112xi4> to tensor<1x96x114x114xi4>
  %fzero = arith.constant 0.0 : f32
  %bools = tensor.empty() : tensor<294912xi1>
  %c = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%f : tensor<294912xf32>) outs(%bools : tensor<294912xi1>) {
  ^bb0(%in: f32, %out: i1):
    %lt = arith.cmpf olt, %in, %fzero : f32
    linalg.yield %lt : i1
  } -> tensor<294912xi1>
  return %r, %p, %c : tensor<294912xi8>, tensor<1x96x114x114xi4>, tensor<294912xi1>
}

// -----

// A reduction with no parallel loop to split (a whole tensor's magnitude
// maximum, as per-tensor quantization takes it) whose combining is exact
// (here an unsigned maximum) splits a reduction loop whose range is a
// multiple of the threads: the outermost such one (the 96 channels, in 2 or
// 3 chunks). Each iteration reduces its chunk into
// its own row of partial results, which start at the combiner's neutral
// element; one op then combines the rows into the op's own init, so the
// result is the same, bit for bit.
// CHECK-LABEL: func.func @whole_tensor_maximum
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<1xi32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK:         %[[ROWS:.*]] = linalg.fill ins(%[[ZERO]] : i32) outs(%{{.*}} : tensor<2x1xi32>)
// CHECK:         %[[PARTIAL:.*]] = scf.forall (%[[T:.*]]) in (2) shared_outs(%[[P:.*]] = %[[ROWS]])
// CHECK:           %[[ROW:.*]] = tensor.extract_slice %[[P]][%[[T]], 0] [1, 1] [1, 1] : tensor<2x1xi32> to tensor<1xi32>
// CHECK:           tensor.extract_slice %{{.*}}[0, %{{.*}}, 0, 0] [1, 48, 112, 112] [1, 1, 1, 1] : tensor<1x96x112x112xf32> to tensor<1x48x112x112xf32>
// CHECK:           %[[CHUNK:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction", "reduction"]
// CHECK:             arith.maxui
// CHECK:           tensor.parallel_insert_slice %[[CHUNK]] into %[[P]][%[[T]], 0] [1, 1] [1, 1]
// CHECK:         %[[MERGED:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[PARTIAL]] : tensor<2x1xi32>) outs(%[[INIT]] : tensor<1xi32>)
// CHECK:           arith.maxui
// CHECK:         return %[[MERGED]]
// THREE-LABEL: func.func @whole_tensor_maximum
// THREE:         scf.forall (%{{.*}}) in (3)
// THREE:           tensor.extract_slice %{{.*}}[0, %{{.*}}, 0, 0] [1, 32, 112, 112]
// ONE-LABEL: func.func @whole_tensor_maximum
// ONE-NOT:       scf.forall
func.func @whole_tensor_maximum(%x: tensor<1x96x112x112xf32>) -> tensor<1xi32> {
  %c0 = arith.constant 0 : i32
  %mask = arith.constant 2147483647 : i32
  %e = tensor.empty() : tensor<1xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1xi32>) -> tensor<1xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction", "reduction"]} ins(%x : tensor<1x96x112x112xf32>) outs(%f : tensor<1xi32>) {
  ^bb0(%in: f32, %out: i32):
    %b = arith.bitcast %in : f32 to i32
    %a = arith.andi %b, %mask : i32
    %m = arith.maxui %out, %a : i32
    linalg.yield %m : i32
  } -> tensor<1xi32>
  return %r : tensor<1xi32>
}

// -----

// An image of 3 channels splits its rows (224, a multiple of 2; 3 is not).
// CHECK-LABEL: func.func @odd_channels
// CHECK:         scf.forall (%{{.*}}) in (2)
// CHECK:           tensor.extract_slice %{{.*}}[0, 0, %{{.*}}, 0] [1, 3, 112, 224]
func.func @odd_channels(%x: tensor<1x3x224x224xf32>) -> tensor<1xi32> {
  %c0 = arith.constant 0 : i32
  %mask = arith.constant 2147483647 : i32
  %e = tensor.empty() : tensor<1xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1xi32>) -> tensor<1xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction", "reduction"]} ins(%x : tensor<1x3x224x224xf32>) outs(%f : tensor<1xi32>) {
  ^bb0(%in: f32, %out: i32):
    %b = arith.bitcast %in : f32 to i32
    %a = arith.andi %b, %mask : i32
    %m = arith.maxui %out, %a : i32
    linalg.yield %m : i32
  } -> tensor<1xi32>
  return %r : tensor<1xi32>
}

// -----

// A float sum stays whole: partial sums would round differently.
// CHECK-LABEL: func.func @float_sum
// CHECK-NOT:     scf.forall
// CHECK:         return
func.func @float_sum(%x: tensor<1x96x112x112xf32>) -> tensor<1xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1xf32>
  %f = linalg.fill ins(%c0 : f32) outs(%e : tensor<1xf32>) -> tensor<1xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction", "reduction"]} ins(%x : tensor<1x96x112x112xf32>) outs(%f : tensor<1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  } -> tensor<1xf32>
  return %r : tensor<1xf32>
}

// -----

// A 0-d result (a count, integer addition without overflow flags) splits
// too; one with `nsw` stays whole (a partial sum may overflow where the
// whole one does not).
// CHECK-LABEL: func.func @count
// CHECK:         scf.forall (%{{.*}}) in (2)
// CHECK:           tensor.extract_slice %{{.*}}[%{{.*}}] [1] [1] : tensor<2xi32> to tensor<i32>
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%{{.*}} : tensor<2xi32>) outs(%{{.*}} : tensor<i32>)
// CHECK:           arith.addi
// CHECK-NOT:     scf.forall
// CHECK:         return
func.func @count(%x: tensor<512x1024xi32>) -> (tensor<i32>, tensor<i32>) {
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<i32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<i32>) -> tensor<i32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>], iterator_types = ["reduction", "reduction"]} ins(%x : tensor<512x1024xi32>) outs(%f : tensor<i32>) {
  ^bb0(%in: i32, %out: i32):
    %s = arith.addi %out, %in : i32
    linalg.yield %s : i32
  } -> tensor<i32>
  %n = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>], iterator_types = ["reduction", "reduction"]} ins(%x : tensor<512x1024xi32>) outs(%f : tensor<i32>) {
  ^bb0(%in: i32, %out: i32):
    %s = arith.addi %out, %in overflow<nsw> : i32
    linalg.yield %s : i32
  } -> tensor<i32>
  return %r, %n : tensor<i32>, tensor<i32>
}
