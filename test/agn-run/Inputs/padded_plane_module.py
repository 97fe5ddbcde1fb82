"""Writes a module of two f32 convolutions with constant filters (a padded
3x3 one and an unpadded 1x1 one, shapes that leave partial tiles) and their
input, for padded-plane-convolution.test. With --pin=KIND the convolutions
carry that kernel config (e.g. the im2col matmul to compare with)."""
import argparse

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("directory")
parser.add_argument("--pin", default="")
args = parser.parse_args()
rng = np.random.default_rng(11)
x = rng.standard_normal((1, 5, 13, 11)).astype(np.float32)
w3 = rng.standard_normal((16, 5, 3, 3)).astype(np.float32)
w1 = rng.standard_normal((8, 5, 1, 1)).astype(np.float32)
np.save(f"{args.directory}/x.npy", x)
np.save(f"{args.directory}/w3.npy", w3)
np.save(f"{args.directory}/w1.npy", w1)


def dense(a):
    return f'dense<"0x{a.tobytes().hex().upper()}"> : tensor<{"x".join(map(str, a.shape))}xf32>'


config = ""
if args.pin:
    config = f"agn.lowering_config = #agn.lowering_config<{args.pin}>, "
print(f"""func.func @main(%x: tensor<1x5x13x11xf32>) -> (tensor<1x16x13x11xf32>, tensor<1x8x13x11xf32>) {{
  %zero = arith.constant 0.0 : f32
  %w3 = arith.constant {dense(w3)}
  %w1 = arith.constant {dense(w1)}
  %padded = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {{
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  }} : tensor<1x5x13x11xf32> to tensor<1x5x15x13xf32>
  %e3 = tensor.empty() : tensor<1x16x13x11xf32>
  %i3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x16x13x11xf32>) -> tensor<1x16x13x11xf32>
  %y3 = linalg.conv_2d_nchw_fchw {{{config}dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}}
      ins(%padded, %w3 : tensor<1x5x15x13xf32>, tensor<16x5x3x3xf32>) outs(%i3 : tensor<1x16x13x11xf32>) -> tensor<1x16x13x11xf32>
  %e1 = tensor.empty() : tensor<1x8x13x11xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x8x13x11xf32>) -> tensor<1x8x13x11xf32>
  %y1 = linalg.conv_2d_nchw_fchw {{{config}dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}}
      ins(%x, %w1 : tensor<1x5x13x11xf32>, tensor<8x5x1x1xf32>) outs(%i1 : tensor<1x8x13x11xf32>) -> tensor<1x8x13x11xf32>
  return %y3, %y1 : tensor<1x16x13x11xf32>, tensor<1x8x13x11xf32>
}}""")
