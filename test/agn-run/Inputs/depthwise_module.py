"""Writes a module of depthwise convolutions as agn's ONNX importer writes
them (padding, channels split into groups, a grouped convolution from a fill,
groups merged back), each followed by its bias and a clip to [0, 6]
(MobileNet's ReLU6), and their input, for depthwise-epilogue.test: 3x3
kernels of stride 1 on a 7x7 and a 13x11 image (one and three vectors of 64
per channel), and of stride 2."""
import argparse

import numpy as np

# (name, channels, height, width, stride), the order of the results.
CONVOLUTIONS = (("small", 24, 7, 7, 1), ("large", 16, 13, 11, 1), ("strided", 16, 13, 11, 2))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    args = parser.parse_args()
    rng = np.random.default_rng(5)

    def type_of(shape):
        return f'tensor<{"x".join(map(str, shape))}xf32>'

    def dense(array):
        return f'dense<"0x{array.tobytes().hex().upper()}"> : {type_of(array.shape)}'

    arguments, body, results = [], [], []
    for name, c, h, w, stride in CONVOLUTIONS:
        x = rng.standard_normal((1, c, h, w)).astype(np.float32)
        np.save(f"{args.directory}/{name}.npy", x)
        filt = rng.standard_normal((c, 1, 1, 3, 3)).astype(np.float32)
        bias = rng.standard_normal(c).astype(np.float32)
        oh, ow = (h - 1) // stride + 1, (w - 1) // stride + 1
        out4, out5 = (1, c, oh, ow), (1, c, 1, oh, ow)
        arguments.append(f"%{name}: {type_of(x.shape)}")
        body.append(f"""  %{name}_p = tensor.pad %{name} low[0, 0, 1, 1] high[0, 0, 1, 1] {{
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  }} : {type_of(x.shape)} to {type_of((1, c, h + 2, w + 2))}
  %{name}_g = tensor.expand_shape %{name}_p [[0], [1, 2], [3], [4]] output_shape [1, {c}, 1, {h + 2}, {w + 2}] : {type_of((1, c, h + 2, w + 2))} into {type_of((1, c, 1, h + 2, w + 2))}
  %{name}_w = arith.constant {dense(filt)}
  %{name}_b = arith.constant {dense(bias)}
  %{name}_e5 = tensor.empty() : {type_of(out5)}
  %{name}_i = linalg.fill ins(%zero : f32) outs(%{name}_e5 : {type_of(out5)}) -> {type_of(out5)}
  %{name}_y = linalg.conv_2d_ngchw_gfchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}
      ins(%{name}_g, %{name}_w : {type_of((1, c, 1, h + 2, w + 2))}, {type_of(filt.shape)}) outs(%{name}_i : {type_of(out5)}) -> {type_of(out5)}
  %{name}_c = tensor.collapse_shape %{name}_y [[0], [1, 2], [3], [4]] : {type_of(out5)} into {type_of(out4)}
  %{name}_e4 = tensor.empty() : {type_of(out4)}
  %{name}_biased = linalg.generic {{indexing_maps = [#nchw, #channel, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}}
      ins(%{name}_c, %{name}_b : {type_of(out4)}, {type_of(bias.shape)}) outs(%{name}_e4 : {type_of(out4)}) {{
  ^bb0(%in: f32, %b: f32, %o: f32):
    %s = arith.addf %in, %b : f32
    linalg.yield %s : f32
  }} -> {type_of(out4)}
  %{name}_clipped = linalg.generic {{indexing_maps = [#nchw, #scalar, #scalar, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}}
      ins(%{name}_biased, %zero_t, %six_t : {type_of(out4)}, tensor<f32>, tensor<f32>) outs(%{name}_e4 : {type_of(out4)}) {{
  ^bb0(%in: f32, %lo: f32, %hi: f32, %o: f32):
    %m = arith.maximumf %in, %lo : f32
    %k = arith.minimumf %m, %hi : f32
    linalg.yield %k : f32
  }} -> {type_of(out4)}""")
        results.append((f"%{name}_clipped", type_of(out4)))
    print("#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>")
    print("#channel = affine_map<(n, c, h, w) -> (c)>")
    print("#scalar = affine_map<(n, c, h, w) -> ()>")
    print(f"func.func @main({', '.join(arguments)}) -> ({', '.join(t for _, t in results)}) {{")
    print("  %zero = arith.constant 0.0 : f32")
    print("  %zero_t = arith.constant dense<0.0> : tensor<f32>")
    print("  %six_t = arith.constant dense<6.0> : tensor<f32>")
    print("\n".join(body))
    print(f"  return {', '.join(n for n, _ in results)} : {', '.join(t for _, t in results)}")
    print("}")


if __name__ == "__main__":
    main()
