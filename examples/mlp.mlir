// A two-layer MLP for 8x8 digit images (64 -> 128 -> 10, batch 16), written
// in upstream linalg on tensors the way ONNX and PyTorch importers emit it:
// matmul into a zero-filled accumulator, a broadcast bias add and a relu as
// linalg.generic. Nothing here mentions agn; the adaptive pipeline finds the
// layers itself:
//
//   agn-opt examples/mlp.mlir --agn-adaptive-pipeline --agn-report

#bias = affine_map<(d0, d1) -> (d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>

func.func @mlp(%x: tensor<16x64xf32>, %w1: tensor<64x128xf32>, %b1: tensor<128xf32>,
               %w2: tensor<128x10xf32>, %b2: tensor<10xf32>) -> tensor<16x10xf32> {
  %zero = arith.constant 0.0 : f32

  // Hidden layer: relu(x @ w1 + b1).
  %e1 = tensor.empty() : tensor<16x128xf32>
  %acc1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<16x128xf32>) -> tensor<16x128xf32>
  %mm1 = linalg.matmul ins(%x, %w1 : tensor<16x64xf32>, tensor<64x128xf32>)
                       outs(%acc1 : tensor<16x128xf32>) -> tensor<16x128xf32>
  %h = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm1, %b1 : tensor<16x128xf32>, tensor<128xf32>) outs(%e1 : tensor<16x128xf32>) {
  ^bb0(%v: f32, %b: f32, %out: f32):
    %s = arith.addf %v, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<16x128xf32>

  // Output layer: h @ w2 + b2.
  %e2 = tensor.empty() : tensor<16x10xf32>
  %acc2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<16x10xf32>) -> tensor<16x10xf32>
  %mm2 = linalg.matmul ins(%h, %w2 : tensor<16x128xf32>, tensor<128x10xf32>)
                       outs(%acc2 : tensor<16x10xf32>) -> tensor<16x10xf32>
  %y = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm2, %b2 : tensor<16x10xf32>, tensor<10xf32>) outs(%e2 : tensor<16x10xf32>) {
  ^bb0(%v: f32, %b: f32, %out: f32):
    %s = arith.addf %v, %b : f32
    linalg.yield %s : f32
  } -> tensor<16x10xf32>
  return %y : tensor<16x10xf32>
}
