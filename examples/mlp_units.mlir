// A two-layer MLP (64 -> 128 -> 10, batch 8) written directly as Granularity
// Units: each layer is an agn.unit with its allowed levels and the policy its
// controller applies to the variance of the layer's input. The reference
// (f32) computation sits in each unit's body.
//
//   agn-opt examples/mlp_units.mlir

func.func @mlp(%x: tensor<8x64xf32>, %w1: tensor<64x128xf32>, %b1: tensor<128xf32>,
               %w2: tensor<128x10xf32>, %b2: tensor<10xf32>) -> tensor<8x10xf32> {
  // Hidden layer: matmul + bias + relu; may drop to i4 on calm inputs.
  %h = agn.unit "fc1" levels [i4, i8, bf16, f32]
      policy #agn.policy<levels = [i4, i8, bf16, f32], thresholds = [0.01, 0.1, 1.0], hysteresis = 0.1>
      costs [#agn.cost<i4, weight_bytes = 4608, macs = 65536>,
             #agn.cost<i8, weight_bytes = 8704, macs = 65536>,
             #agn.cost<bf16, weight_bytes = 16384, macs = 65536>,
             #agn.cost<f32, weight_bytes = 32768, macs = 65536>]
      ins(%x, %w1, %b1 : tensor<8x64xf32>, tensor<64x128xf32>, tensor<128xf32>)
      -> tensor<8x128xf32> {
  ^bb0(%a: tensor<8x64xf32>, %w: tensor<64x128xf32>, %b: tensor<128xf32>):
    %zero = arith.constant 0.0 : f32
    %init = tensor.empty() : tensor<8x128xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<8x128xf32>) -> tensor<8x128xf32>
    %mm = linalg.matmul ins(%a, %w : tensor<8x64xf32>, tensor<64x128xf32>)
                        outs(%acc : tensor<8x128xf32>) -> tensor<8x128xf32>
    %bias = linalg.broadcast ins(%b : tensor<128xf32>) outs(%init : tensor<8x128xf32>) dimensions = [0]
    %sum = linalg.add ins(%mm, %bias : tensor<8x128xf32>, tensor<8x128xf32>)
                      outs(%init : tensor<8x128xf32>) -> tensor<8x128xf32>
    %zeros = linalg.fill ins(%zero : f32) outs(%init : tensor<8x128xf32>) -> tensor<8x128xf32>
    %relu = linalg.max ins(%sum, %zeros : tensor<8x128xf32>, tensor<8x128xf32>)
                       outs(%init : tensor<8x128xf32>) -> tensor<8x128xf32>
    agn.yield %relu : tensor<8x128xf32>
  }
  // Output layer: keeps at least i8, since logits are sensitive.
  %y = agn.unit "fc2" levels [i8, f32]
      policy #agn.policy<levels = [i8, f32], thresholds = [0.5]>
      costs [#agn.cost<i8, weight_bytes = 1320, macs = 10240>,
             #agn.cost<f32, weight_bytes = 5120, macs = 10240>]
      ins(%h, %w2, %b2 : tensor<8x128xf32>, tensor<128x10xf32>, tensor<10xf32>)
      -> tensor<8x10xf32> {
  ^bb0(%a: tensor<8x128xf32>, %w: tensor<128x10xf32>, %b: tensor<10xf32>):
    %zero = arith.constant 0.0 : f32
    %init = tensor.empty() : tensor<8x10xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<8x10xf32>) -> tensor<8x10xf32>
    %mm = linalg.matmul ins(%a, %w : tensor<8x128xf32>, tensor<128x10xf32>)
                        outs(%acc : tensor<8x10xf32>) -> tensor<8x10xf32>
    %bias = linalg.broadcast ins(%b : tensor<10xf32>) outs(%init : tensor<8x10xf32>) dimensions = [0]
    %sum = linalg.add ins(%mm, %bias : tensor<8x10xf32>, tensor<8x10xf32>)
                      outs(%init : tensor<8x10xf32>) -> tensor<8x10xf32>
    agn.yield %sum : tensor<8x10xf32>
  }
  return %y : tensor<8x10xf32>
}
