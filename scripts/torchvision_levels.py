#!/usr/bin/env python3
"""Checks one torchvision model at agn's levels against PyTorch in float64.

Usage (after scripts/build.sh):
  AGN_LIBRARY_DIR=build/lib PYTHONPATH=python /usr/bin/python3 \\
      scripts/torchvision_levels.py resnet18 [mobilenet_v2 ...]

Each model (random weights, torch.manual_seed(0), input torch.randn(1, 3,
224, 224), exported to ONNX opset 13) is compiled with agn.compile as
written (f32), adaptively with levels i8,f32 and every unit pinned to f32,
at i8 only and at i4 only; the line per configuration gives
max |y - ref| / max |ref| and the compile time. A quick look, not the
differential harness the correctness issue asks for: no bound is derived.
"""

import sys
import tempfile
import time

import numpy as np
import torch
import torchvision

import agn

CONFIGURATIONS = [
    ("f32 (as written)", {}),
    ("adaptive i8,f32, pinned f32", {"levels": ["i8", "f32"]}),
    ("i8", {"levels": ["i8"]}),
    ("i4", {"levels": ["i4"]}),
]


def check(name: str, directory: str) -> None:
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)().eval()
    x = torch.randn(1, 3, 224, 224)
    path = f"{directory}/{name}.onnx"
    torch.onnx.export(model, x, path, opset_version=13)
    with torch.no_grad():
        reference = model.double()(x.double()).numpy()
    for label, options in CONFIGURATIONS:
        start = time.time()
        compiled = agn.compile(path, name=f"{name}_{len(label)}", **options)
        seconds = time.time() - start
        if "pinned" in label:
            # Units register with the runtime on their first call.
            compiled(x.numpy())
            for unit in agn.runtime.units():
                if unit["name"].startswith(f"{name}_{len(label)}."):
                    agn.runtime.pin_unit(unit["name"], "f32")
        y = compiled(x.numpy())
        y = y[0] if isinstance(y, (list, tuple)) else y
        error = float(np.abs(y - reference).max() / np.abs(reference).max())
        print(f"{name:14s} {label:30s} rel. error {error:.2e}  compile {seconds:.0f} s",
              flush=True)


def main() -> int:
    with tempfile.TemporaryDirectory() as directory:
        for name in sys.argv[1:] or ["resnet18"]:
            check(name, directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
