"""Writes a module of f32 convolutions with constant filters and their input,
for padded-plane-convolution.test: a padded 3x3 and an unpadded 1x1 one of
stride 1, and of stride 2 a padded 7x7 (a ResNet stem), a padded 3x3, a 1x1
(a downsampling shortcut) and an unpadded 3x3 (whose last output row reads
the image's last row), shapes that leave partial tiles; and a 3x3 one
followed by a bias and a clip to [0, 6] (MobileNet's ReLU6), two
linalg.generic ops the kernel applies to its tiles, whose result a 1x1
convolution reads where it lies (13 kept columns of each row of 15). With
--pin=KIND the convolutions carry that kernel config (e.g. the im2col
matmul to compare with)."""
import argparse

import numpy as np

# (name, filters, kernel size, padding, stride, with a bias and a clip to
# [0, 6] after it, the result it reads or None for the input), the order of
# the results.
CONVOLUTIONS = (("y3", 16, 3, 1, 1, False, None), ("y1", 8, 1, 0, 1, False, None),
                ("y7s", 8, 7, 3, 2, False, None), ("y3s", 16, 3, 1, 2, False, None),
                ("y1s", 8, 1, 0, 2, False, None), ("y3u", 8, 3, 0, 2, False, None),
                ("y3b", 16, 3, 1, 1, True, None), ("y1c", 8, 1, 0, 1, False, "y3b"))
INPUT = (1, 5, 13, 11)


def output_shape(image, filters, kernel, padding, stride):
    return (1, filters) + tuple((size + 2 * padding - kernel) // stride + 1
                                for size in image[2:])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--pin", default="")
    args = parser.parse_args()
    rng = np.random.default_rng(11)
    x = rng.standard_normal(INPUT).astype(np.float32)
    np.save(f"{args.directory}/x.npy", x)

    def type_of(shape):
        return f'tensor<{"x".join(map(str, shape))}xf32>'

    config = ""
    if args.pin:
        config = f"agn.lowering_config = #agn.lowering_config<{args.pin}>, "
    body, results = [], []
    shapes, values = {}, {}
    for name, filters, kernel, padding, stride, clipped, reads in CONVOLUTIONS:
        image = shapes.get(reads, INPUT)
        w = rng.standard_normal((filters, image[1], kernel, kernel)).astype(np.float32)
        np.save(f"{args.directory}/{name}_w.npy", w)
        source = values.get(reads, "%x")
        if padding:
            padded = image[:2] + tuple(size + 2 * padding for size in image[2:])
            body.append(f"""  %{name}_x = tensor.pad {source} low[0, 0, {padding}, {padding}] high[0, 0, {padding}, {padding}] {{
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  }} : {type_of(image)} to {type_of(padded)}""")
            source = f"%{name}_x"
        else:
            padded = image
        shapes[name] = output_shape(image, filters, kernel, padding, stride)
        out = type_of(shapes[name])
        body.append(f"""  %{name}_w = arith.constant dense<"0x{w.tobytes().hex().upper()}"> : {type_of(w.shape)}
  %{name}_e = tensor.empty() : {out}
  %{name}_i = linalg.fill ins(%zero : f32) outs(%{name}_e : {out}) -> {out}
  %{name} = linalg.conv_2d_nchw_fchw {{{config}dilations = dense<1> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}
      ins({source}, %{name}_w : {type_of(padded)}, {type_of(w.shape)}) outs(%{name}_i : {out}) -> {out}""")
        result = f"%{name}"
        if clipped:
            bias = rng.standard_normal(filters).astype(np.float32)
            np.save(f"{args.directory}/{name}_b.npy", bias)
            body.append(f"""  %{name}_b = arith.constant dense<"0x{bias.tobytes().hex().upper()}"> : {type_of(bias.shape)}
  %{name}_biased = linalg.generic {{indexing_maps = [#nchw, #channel, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}}
      ins(%{name}, %{name}_b : {out}, {type_of(bias.shape)}) outs(%{name}_e : {out}) {{
  ^bb0(%in: f32, %b: f32, %o: f32):
    %s = arith.addf %in, %b : f32
    linalg.yield %s : f32
  }} -> {out}
  %{name}_clipped = linalg.generic {{indexing_maps = [#nchw, #scalar, #scalar, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}}
      ins(%{name}_biased, %zero_t, %six_t : {out}, tensor<f32>, tensor<f32>) outs(%{name}_e : {out}) {{
  ^bb0(%in: f32, %lo: f32, %hi: f32, %o: f32):
    %m = arith.maximumf %in, %lo : f32
    %c = arith.minimumf %m, %hi : f32
    linalg.yield %c : f32
  }} -> {out}""")
            result = f"%{name}_clipped"
        values[name] = result
        results.append((result, out))
    print("#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>")
    print("#channel = affine_map<(n, c, h, w) -> (c)>")
    print("#scalar = affine_map<(n, c, h, w) -> ()>")
    print(f"func.func @main(%x: {type_of(INPUT)}) -> ({', '.join(t for _, t in results)}) {{")
    print("  %zero = arith.constant 0.0 : f32")
    print("  %zero_t = arith.constant dense<0.0> : tensor<f32>")
    print("  %six_t = arith.constant dense<6.0> : tensor<f32>")
    print("\n".join(body))
    print(f"  return {', '.join(n for n, _ in results)} : {', '.join(t for _, t in results)}")
    print("}")


if __name__ == "__main__":
    main()
