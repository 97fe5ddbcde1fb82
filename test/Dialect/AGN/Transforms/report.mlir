// RUN: agn-opt %s --agn-report -o /dev/null | FileCheck %s --check-prefix=TABLE --match-full-lines --strict-whitespace
// RUN: agn-opt %s --agn-report=format=json -o /dev/null | FileCheck %s --check-prefix=JSON
// RUN: agn-opt %s --agn-report="format=json output=%t.json" -o /dev/null && FileCheck %s --check-prefix=JSON < %t.json
// RUN: agn-opt %s --agn-report | FileCheck %s --check-prefix=IR
// RUN: not agn-opt %s --agn-report=format=xml 2>&1 | FileCheck %s --check-prefix=BAD-FORMAT
// RUN: not agn-opt %s --agn-report=output=/nonexistent/dir/r.txt 2>&1 | FileCheck %s --check-prefix=BAD-OUTPUT

// agn-report prints each unit's levels with weight bytes and MACs (from its
// cost table, or estimated from its types, marked '*'), and its policy.

// TABLE:unit     level    weight bytes            MACs  policy
// TABLE-NEXT:mlp.fc1  i4               4608           65536  variance: i4 < 0.01 <= i8 < 0.1 <= f32, hysteresis 0.1
// TABLE-NEXT:         i8               8704           65536
// TABLE-NEXT:         f32             32768           65536
// TABLE-NEXT:mlp.fc2  i8              1280*           10240  abs_max: i8 < 2 <= f32
// TABLE-NEXT:         f32             5120*           10240
// TABLE-NEXT:2 units
// TABLE-NEXT:* no cost table: stored weight values only (run agn-quantize-weights for exact costs)

// JSON: "units": [
// JSON: "estimated": false,
// JSON: "level": "i4",
// JSON-NEXT: "macs": 65536,
// JSON-NEXT: "weight_bytes": 4608
// JSON: "name": "mlp.fc1",
// JSON: "policy": {
// JSON-NEXT: "hysteresis": {{0\.10*1?}},
// JSON-NEXT: "levels": [
// JSON-NEXT: "i4",
// JSON-NEXT: "i8",
// JSON-NEXT: "f32"
// JSON-NEXT: ],
// JSON-NEXT: "statistic": "variance",
// JSON-NEXT: "thresholds": [
// JSON-NEXT: {{0\.010*1?}},
// JSON-NEXT: {{0\.10*1?$}}
// JSON: "estimated": true,
// JSON: "name": "mlp.fc2",

// The IR is left as it was.
// IR: agn.unit "mlp.fc1"
// IR: agn.unit "mlp.fc2"

// BAD-FORMAT: error: agn-report: unknown 'format' 'xml'; expected table or json
// BAD-OUTPUT: error: agn-report: cannot write '/nonexistent/dir/r.txt'

func.func @mlp(%x: tensor<8x64xf32>, %w1: tensor<64x128xf32>, %w2: tensor<128x10xf32>) -> tensor<8x10xf32> {
  %h = agn.unit "mlp.fc1" levels [i4, i8, f32]
      policy #agn.policy<levels = [i4, i8, f32], thresholds = [0.01, 0.1], hysteresis = 0.1>
      costs [#agn.cost<i4, weight_bytes = 4608, macs = 65536>,
             #agn.cost<i8, weight_bytes = 8704, macs = 65536>,
             #agn.cost<f32, weight_bytes = 32768, macs = 65536>]
      ins(%x, %w1 : tensor<8x64xf32>, tensor<64x128xf32>) -> tensor<8x128xf32> {
  ^bb0(%a: tensor<8x64xf32>, %w: tensor<64x128xf32>):
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<8x128xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x128xf32>) -> tensor<8x128xf32>
    %mm = linalg.matmul ins(%a, %w : tensor<8x64xf32>, tensor<64x128xf32>) outs(%f : tensor<8x128xf32>) -> tensor<8x128xf32>
    agn.yield %mm : tensor<8x128xf32>
  }
  %y = agn.unit "mlp.fc2" levels [i8, f32]
      policy #agn.policy<statistic = abs_max, levels = [i8, f32], thresholds = [2.0]>
      ins(%h, %w2 : tensor<8x128xf32>, tensor<128x10xf32>) -> tensor<8x10xf32> {
  ^bb0(%a: tensor<8x128xf32>, %w: tensor<128x10xf32>):
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<8x10xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x10xf32>) -> tensor<8x10xf32>
    %mm = linalg.matmul ins(%a, %w : tensor<8x128xf32>, tensor<128x10xf32>) outs(%f : tensor<8x10xf32>) -> tensor<8x10xf32>
    agn.yield %mm : tensor<8x10xf32>
  }
  return %y : tensor<8x10xf32>
}
