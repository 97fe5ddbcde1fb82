#!/usr/bin/env python3
"""Checks at run time that agn.requantize returns the bits of agn.quantize
of the float tensor its body computes, and that agn-exchange-quantized
changes no bit of a model's result.

  requantize_check.py DIR    (agn-run and agn-opt must be on PATH)

1. The op against its two-step form, on accumulators that include the i32
   extremes, with a per-channel multiplier that is negative for some
   channels and zero for one, a bias and a clip: once with finite per-image
   scales (the lowering takes each image's maximum from the ends of each
   channel's range), with an infinite one (NaN inside a range, not at its
   ends) and with a NaN one (the lowering computes the values to find the
   maxima). Values and scales
   are compared bit for bit, NaN payloads included.
2. A model of a 3x3 convolution, a ReLU, a depthwise 3x3 convolution with a
   bias and a clip to [0, 6], and a 1x1 convolution, at i8 and at i4, with
   and without agn-exchange-quantized: the same bits.
"""

import subprocess
import sys

import numpy as np

from float_products import dense_constant, run_agn

I32 = np.iinfo(np.int32)

BODY = """  ^bb0(%ba: i32, %bx: f32, %bw: f32, %bb: f32):
    %f = arith.sitofp %ba : i32 to f32
    %m = arith.mulf %bx, %bw : f32
    %d = arith.mulf %f, %m : f32
    %e = arith.addf %d, %bb : f32
    %lo = arith.constant -3.0e+09 : f32
    %hi = arith.constant 6.0 : f32
    %c = arith.maximumf %e, %lo : f32
    %r = arith.minimumf %c, %hi : f32
"""

MAPS = ("[affine_map<(n, c, h, w) -> (n)>, affine_map<(n, c, h, w) -> (c)>, "
        "affine_map<(n, c, h, w) -> (c)>]")

SHAPE = "4x6x5x7"
SIGNATURE = (f"(%acc: tensor<{SHAPE}xi32>, %x: tensor<4xf32>, %w: tensor<6xf32>, "
             f"%b: tensor<6xf32>) -> (tensor<{SHAPE}xi8>, tensor<4xf32>)")

FUSED = f"""func.func @main{SIGNATURE} {{
  %q, %s = agn.requantize %acc ins(%x, %w, %b : tensor<4xf32>, tensor<6xf32>, tensor<6xf32>)
      axis 0 maps {MAPS} : tensor<{SHAPE}xi32> -> tensor<{SHAPE}xi8>, tensor<4xf32> {{
{BODY}    agn.yield %r : f32
  }}
  return %q, %s : tensor<{SHAPE}xi8>, tensor<4xf32>
}}
"""

TWO_STEPS = f"""#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @main{SIGNATURE} {{
  %e0 = tensor.empty() : tensor<{SHAPE}xf32>
  %y = linalg.generic {{indexing_maps = [#id] + {MAPS} + [#id],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}}
      ins(%acc, %x, %w, %b : tensor<{SHAPE}xi32>, tensor<4xf32>, tensor<6xf32>, tensor<6xf32>)
      outs(%e0 : tensor<{SHAPE}xf32>) {{
{BODY.replace("%bb: f32):", "%bb: f32, %out: f32):")}    linalg.yield %r : f32
  }} -> tensor<{SHAPE}xf32>
  %q, %s = agn.quantize %y axis 0 : tensor<{SHAPE}xf32> -> tensor<{SHAPE}xi8>, tensor<4xf32>
  return %q, %s : tensor<{SHAPE}xi8>, tensor<4xf32>
}}
""".replace("[#id] + [", "[#id, ").replace("] + [#id]", ", #id]")


def run_both_results(path, directory, name, inputs):
    """Runs `path` on `inputs` and returns its two results."""
    command = ["agn-run", path, "--quiet"]
    for index, array in enumerate(inputs):
        file = f"{directory}/{name}_in{index}.npy"
        np.save(file, array)
        command += ["-i", file]
    outputs = [f"{directory}/{name}_out{i}.npy" for i in range(2)]
    for output in outputs:
        command += ["-o", output]
    subprocess.run(command, check=True)
    return [np.load(output) for output in outputs]


def check_op(directory, rng):
    acc = rng.integers(-4_000_000, 4_000_000, (4, 6, 5, 7)).astype(np.int32)
    acc[0, 0, 0, 0], acc[0, 1, 0, 0] = I32.min, I32.max
    # Zeros inside every channel's range: times an infinite scale they are
    # NaN, where the ends of the range give -inf and inf (clipped to finite
    # values), so only a computed y finds the NaN maximum.
    acc[1, :, 2, 3] = 0
    w = rng.uniform(0.5, 2.0, 6).astype(np.float32) * 1e-6
    w[3] = -w[3]
    with_zero = w.copy()
    with_zero[4] = 0.0
    b = rng.standard_normal(6).astype(np.float32)
    paths = {}
    for name, text in (("fused", FUSED), ("two_steps", TWO_STEPS)):
        paths[name] = f"{directory}/{name}.mlir"
        with open(paths[name], "w") as f:
            f.write(text)
    ok = True
    for case, x, weights in (
            ("finite scales", [0.5, 2.0, 1.0, 0.25], with_zero),
            ("an infinite scale", [0.5, np.inf, 1.0, 0.25], w),
            ("a NaN scale", [0.5, 2.0, np.nan, 0.25], w)):
        inputs = [acc, np.array(x, np.float32), weights, b]
        fused = run_both_results(paths["fused"], directory, "fused", inputs)
        steps = run_both_results(paths["two_steps"], directory, "steps", inputs)
        same = (np.array_equal(fused[0], steps[0]) and
                np.array_equal(fused[1].view(np.int32), steps[1].view(np.int32)))
        print(f"agn.requantize, {case}: "
              f"{'bit-identical to agn.quantize' if same else 'DIFFERS'}")
        ok &= same
    return ok


def model(rng):
    w1 = rng.standard_normal((8, 3, 3, 3)).astype(np.float32) * 0.3
    dw = rng.standard_normal((8, 1, 1, 3, 3)).astype(np.float32) * 0.3
    bias = rng.standard_normal(8).astype(np.float32) * 0.1
    w2 = rng.standard_normal((8, 8, 1, 1)).astype(np.float32) * 0.3
    pad = ("low[0, 0, 1, 1] high[0, 0, 1, 1] {\n"
           "  ^bb0(%i: index, %j: index, %k: index, %l: index):\n"
           "    tensor.yield %zero : f32\n  }")
    return f"""#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d1)>
#sc = affine_map<(d0, d1, d2, d3) -> ()>
func.func @main(%x: tensor<1x3x12x12xf32>) -> tensor<1x8x12x12xf32> {{
  %zero = arith.constant 0.0 : f32
  %zt = arith.constant dense<0.0> : tensor<f32>
  %six = arith.constant dense<6.0> : tensor<f32>
  %w1 = {dense_constant(w1, "tensor<8x3x3x3xf32>")}
  %dw = {dense_constant(dw, "tensor<8x1x1x3x3xf32>")}
  %bias = {dense_constant(bias, "tensor<8xf32>")}
  %w2 = {dense_constant(w2, "tensor<8x8x1x1xf32>")}
  %e = tensor.empty() : tensor<1x8x12x12xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x12x12xf32>) -> tensor<1x8x12x12xf32>
  %p0 = tensor.pad %x {pad} : tensor<1x3x12x12xf32> to tensor<1x3x14x14xf32>
  %c1 = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%p0, %w1 : tensor<1x3x14x14xf32>, tensor<8x3x3x3xf32>) outs(%z : tensor<1x8x12x12xf32>) -> tensor<1x8x12x12xf32>
  %r1 = linalg.generic {{indexing_maps = [#id, #sc, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%c1, %zt : tensor<1x8x12x12xf32>, tensor<f32>) outs(%e : tensor<1x8x12x12xf32>) {{
  ^bb0(%i: f32, %l: f32, %o: f32):
    %m = arith.maximumf %i, %l : f32
    linalg.yield %m : f32
  }} -> tensor<1x8x12x12xf32>
  %p1 = tensor.pad %r1 {pad} : tensor<1x8x12x12xf32> to tensor<1x8x14x14xf32>
  %g = tensor.expand_shape %p1 [[0], [1, 2], [3], [4]] output_shape [1, 8, 1, 14, 14] : tensor<1x8x14x14xf32> into tensor<1x8x1x14x14xf32>
  %eg = tensor.empty() : tensor<1x8x1x12x12xf32>
  %zg = linalg.fill ins(%zero : f32) outs(%eg : tensor<1x8x1x12x12xf32>) -> tensor<1x8x1x12x12xf32>
  %c2 = linalg.conv_2d_ngchw_gfchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%g, %dw : tensor<1x8x1x14x14xf32>, tensor<8x1x1x3x3xf32>) outs(%zg : tensor<1x8x1x12x12xf32>) -> tensor<1x8x1x12x12xf32>
  %f2 = tensor.collapse_shape %c2 [[0], [1, 2], [3], [4]] : tensor<1x8x1x12x12xf32> into tensor<1x8x12x12xf32>
  %r2 = linalg.generic {{indexing_maps = [#id, #ch, #sc, #sc, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%f2, %bias, %zt, %six : tensor<1x8x12x12xf32>, tensor<8xf32>, tensor<f32>, tensor<f32>) outs(%e : tensor<1x8x12x12xf32>) {{
  ^bb0(%i: f32, %bb: f32, %l: f32, %h: f32, %o: f32):
    %a = arith.addf %i, %bb : f32
    %m = arith.maximumf %a, %l : f32
    %n = arith.minimumf %m, %h : f32
    linalg.yield %n : f32
  }} -> tensor<1x8x12x12xf32>
  %c3 = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%r2, %w2 : tensor<1x8x12x12xf32>, tensor<8x8x1x1xf32>) outs(%z : tensor<1x8x12x12xf32>) -> tensor<1x8x12x12xf32>
  return %c3 : tensor<1x8x12x12xf32>
}}
"""


def check_model(directory, rng):
    path = f"{directory}/model.mlir"
    with open(path, "w") as f:
        f.write(model(rng))
    x = rng.standard_normal((1, 3, 12, 12)).astype(np.float32)
    ok = True
    for level in ("i8", "i4"):
        pipeline = f"agn-adaptive-pipeline{{levels={level}"
        ir = subprocess.run(
            ["agn-opt", path, f"--pass-pipeline=builtin.module({pipeline}}})"],
            check=True, capture_output=True, text=True).stdout
        # The run below compares the exchanged program, not the same one.
        if "agn.requantize" not in ir or "input_scales(" not in ir:
            print(f"{level}: the units exchanged no quantized activations")
            ok = False
        results = [run_agn(path, directory, [x],
                           passes=f"{pipeline} exchange-quantized={flag}}}")
                   for flag in ("false", "true")]
        same = np.array_equal(results[0], results[1])
        print(f"{level}: model with and without agn-exchange-quantized "
              f"{'bit-identical' if same else 'DIFFER'}")
        ok &= same
    return ok


def main() -> int:
    directory = sys.argv[1]
    rng = np.random.default_rng(5)
    ok = check_op(directory, rng)
    ok &= check_model(directory, rng)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
