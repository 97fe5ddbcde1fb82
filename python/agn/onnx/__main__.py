"""`python3 -m agn.onnx MODEL.onnx -o OUT.mlir`: import an ONNX model to MLIR.

Exit status 0 on success, 1 with a one-line message naming the op and node
on an unsupported model, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
from typing import Dict, List, Optional


def _parse_shape(text: str) -> Dict[str, List[int]]:
    name, _, dims = text.rpartition("=")
    if not name or not dims:
        raise argparse.ArgumentTypeError(f"expected NAME=D0xD1x..., got '{text}'")
    try:
        return {name: [int(d) for d in dims.split("x")] if dims else []}
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=D0xD1x..., got '{text}'")


def _parse_dim(text: str) -> Dict[str, int]:
    name, _, value = text.partition("=")
    try:
        return {name: int(value)}
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SYMBOL=VALUE, got '{text}'")


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python3 -m agn.onnx",
        description="Import an ONNX model to MLIR (linalg on tensors) for agn.")
    parser.add_argument("model", help="the .onnx file")
    parser.add_argument("-o", "--output", default="-",
                        help="the .mlir file to write ('-': standard output)")
    parser.add_argument("--input-shape", action="append", type=_parse_shape, default=[],
                        metavar="NAME=D0xD1x...",
                        help="static shape of a graph input (repeatable)")
    parser.add_argument("--dim", action="append", type=_parse_dim, default=[],
                        metavar="SYMBOL=VALUE",
                        help="value of a symbolic dimension (repeatable)")
    parser.add_argument("--default-dim", type=int, default=1,
                        help="value of other unknown dimensions (default 1; "
                             "0 makes them an error)")
    parser.add_argument("--name", default=None,
                        help="prefix of the unit names (default: the graph's name)")
    args = parser.parse_args(argv)

    from agn.onnx import OnnxImportError, import_onnx

    shapes: Dict[str, List[int]] = {}
    for entry in args.input_shape:
        shapes.update(entry)
    dims: Dict[str, int] = {}
    for entry in args.dim:
        dims.update(entry)
    try:
        text = import_onnx(args.model, input_shapes=shapes, dim_values=dims,
                           default_dim=args.default_dim or None, name=args.name)
    except OnnxImportError as exc:
        print(f"agn.onnx: error: {exc}", file=sys.stderr)
        return 1
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
