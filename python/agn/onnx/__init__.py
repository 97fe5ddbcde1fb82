"""ONNX -> MLIR import for agn.

    import agn.onnx
    text = agn.onnx.import_onnx("model.onnx")            # MLIR text
    python3 -m agn.onnx model.onnx -o model.mlir         # the same, as a command

The result is a module with one `func.func @main` on static shapes, in
linalg/tensor/arith on tensors, which agn's adaptive pipeline takes as is.
Contractions carry `agn.name` and, for models exported by
`agn.training`, the learned `agn.policy` (see `agn.onnx.policy`).

This package is named `onnx` inside `agn`; its modules import the real
`onnx` package with absolute imports.
"""

from agn.onnx.context import OnnxImportError, UnitPolicy
from agn.onnx.importer import ImportedModel, ImportOptions, import_model, import_onnx
from agn.onnx.policy import METADATA_KEY, read_policies, write_policies
from agn.onnx.registry import supported_ops

__all__ = [
    "ImportOptions",
    "ImportedModel",
    "METADATA_KEY",
    "OnnxImportError",
    "UnitPolicy",
    "import_model",
    "import_onnx",
    "read_policies",
    "supported_ops",
    "write_policies",
]
