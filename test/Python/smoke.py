# RUN: %PYTHON %s | FileCheck %s
# REQUIRES: python-numpy
"""agn from Python, end to end and fast: the package imports, reads agn's
facts from the libraries, compiles a tiny module and runs it."""

import numpy as np

import agn

# CHECK: levels: i4 i8 bf16 f16 f32
print("levels:", " ".join(agn.levels()))

# CHECK: adaptive options: exchange-quantized hysteresis i4-block-size levels ops split split-along statistic stride thresholds
print("adaptive options:", " ".join(agn.pipeline_options()))

MODULE = """
func.func @main(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) -> tensor<2x2xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x2xf32>) -> tensor<2x2xf32>
  %c = linalg.matmul ins(%a, %b : tensor<2x3xf32>, tensor<3x2xf32>)
                     outs(%init : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %c : tensor<2x2xf32>
}
"""

a = np.array([[1, 2, 3], [4, 5, 6]], np.float32)
b = np.array([[1, 0], [0, 1], [1, 1]], np.float32)
model = agn.compile(MODULE)
# CHECK: matmul: [4.0, 5.0, 10.0, 11.0]
print("matmul:", model(a, b).ravel().tolist())
