#!/usr/bin/env python3
"""Runs padded convolutions at every level through agn-run with and without
agn-sink-padding, and checks the outputs are the same bits.

  sink_padding_check.py DIR    (agn-run must be on PATH)

agn-sink-padding moves a unit input's zero padding into the unit and
quantizes before padding; both are exact rewrites (a zero padding changes
no group's largest magnitude, zero quantizes to zero), so every level must
give the bits it gave with the padding outside. The model: a zero-padded
3x3 convolution (16 -> 16 channels, 14x14), its ReLU, and a zero-padded
depthwise 3x3 convolution (the grouped view: padding, then expand_shape).
"""

import sys

import numpy as np

from float_products import dense_constant, run_agn

LEVELS = ["f32", "f16", "bf16", "i8", "i4"]
FRONT = ("agn-form-units{{levels={level}}},agn-insert-controllers,"
         "agn-quantize-weights,agn-multiversion")
BACK = "canonicalize,cse"


def module(rng: np.random.Generator) -> str:
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32) * 0.1
    d = rng.standard_normal((16, 1, 1, 3, 3)).astype(np.float32) * 0.3
    pad = ("low[0, 0, 1, 1] high[0, 0, 1, 1] {\n"
           "  ^bb0(%i: index, %j: index, %k: index, %l: index):\n"
           "    tensor.yield %zero : f32\n  }")
    return f"""#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @main(%x: tensor<1x16x14x14xf32>) -> tensor<1x16x1x14x14xf32> {{
  %zero = arith.constant 0.0 : f32
  %w = {dense_constant(w, "tensor<16x16x3x3xf32>")}
  %d = {dense_constant(d, "tensor<16x1x1x3x3xf32>")}
  %p = tensor.pad %x {pad} : tensor<1x16x14x14xf32> to tensor<1x16x16x16xf32>
  %e0 = tensor.empty() : tensor<1x16x14x14xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x16x14x14xf32>) -> tensor<1x16x14x14xf32>
  %c = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%p, %w : tensor<1x16x16x16xf32>, tensor<16x16x3x3xf32>) outs(%z0 : tensor<1x16x14x14xf32>) -> tensor<1x16x14x14xf32>
  %r = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%c : tensor<1x16x14x14xf32>) outs(%e0 : tensor<1x16x14x14xf32>) {{
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }} -> tensor<1x16x14x14xf32>
  %q = tensor.pad %r {pad} : tensor<1x16x14x14xf32> to tensor<1x16x16x16xf32>
  %g = tensor.expand_shape %q [[0], [1, 2], [3], [4]] output_shape [1, 16, 1, 16, 16] : tensor<1x16x16x16xf32> into tensor<1x16x1x16x16xf32>
  %e1 = tensor.empty() : tensor<1x16x1x14x14xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x16x1x14x14xf32>) -> tensor<1x16x1x14x14xf32>
  %y = linalg.conv_2d_ngchw_gfchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%g, %d : tensor<1x16x1x16x16xf32>, tensor<16x1x1x3x3xf32>) outs(%z1 : tensor<1x16x1x14x14xf32>) -> tensor<1x16x1x14x14xf32>
  return %y : tensor<1x16x1x14x14xf32>
}}
"""


def main() -> int:
    directory = sys.argv[1]
    rng = np.random.default_rng(11)
    path = f"{directory}/padded.mlir"
    with open(path, "w") as f:
        f.write(module(rng))
    x = rng.standard_normal((1, 16, 14, 14)).astype(np.float32)
    failed = []
    for level in LEVELS:
        outside, inside = (
            run_agn(path, directory, [x], ",".join(
                [FRONT.format(level=level)] +
                (["agn-sink-padding"] if sink else []) + [BACK]))
            for sink in (False, True))
        same = np.array_equal(outside, inside)
        print(f"{level}: padding inside and outside the units "
              f"{'bit-identical' if same else 'DIFFER'}")
        if not same:
            failed.append(level)
    if failed:
        print(f"agn-sink-padding changed the result at: {', '.join(failed)}")
        return 1
    print("every level the same with the padding inside the units")
    return 0


if __name__ == "__main__":
    sys.exit(main())
