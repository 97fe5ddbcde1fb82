"""Uses an installed agn package: says where the package and the libraries it
loads were found (relative to argv[1], the install prefix or environment),
then compiles and runs a tiny model."""

import os
import sys

import numpy as np

import agn
from agn import _library

root = os.path.realpath(sys.argv[1])


def shown(path: str) -> str:
    """`path` with the prefix as PREFIX, or as is outside it."""
    path = os.path.realpath(path)
    return "PREFIX" + path[len(root):] if path.startswith(root + os.sep) else path


print("package:", shown(os.path.dirname(agn.__file__)))
for name in (_library.RUNTIME_LIBRARY, _library.COMPILER_LIBRARY):
    print(f"{name}:", shown(os.path.dirname(_library.find_library(name))))
print("levels:", " ".join(agn.levels()))
model = agn.compile("""
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = arith.addf %x, %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
""")
print("result:", model(np.arange(4, dtype=np.float32)).tolist())
