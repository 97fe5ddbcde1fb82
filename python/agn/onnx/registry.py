"""The table of op emitters: ONNX op type -> function writing its MLIR.

Each `ops_*` module registers its emitters with `@emitter("OpType")`; an
emitter reads the current node from the ImportContext, writes ops into the
function and defines the node's outputs.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional

from agn.onnx.context import ImportContext

Emitter = Callable[[ImportContext], None]

_EMITTERS: Dict[str, Emitter] = {}


def emitter(*op_types: str) -> Callable[[Emitter], Emitter]:
    """Registers the decorated function for `op_types` (default domain)."""

    def register(fn: Emitter) -> Emitter:
        for op_type in op_types:
            _EMITTERS[op_type] = fn
        return fn

    return register


def get_emitter(op_type: str) -> Optional[Emitter]:
    """The emitter of `op_type`, or None when the importer lacks one."""
    _load_all()
    return _EMITTERS.get(op_type)


def supported_ops() -> List[str]:
    """The ONNX op types the importer supports, sorted."""
    _load_all()
    return sorted(_EMITTERS)


def _load_all() -> None:
    # Importing the modules runs their @emitter decorators.
    from agn.onnx import (ops_conv_transpose, ops_einsum, ops_elementwise,  # noqa: F401
                          ops_index, ops_linear, ops_logic, ops_math, ops_norm, ops_pool,
                          ops_reduce, ops_resize, ops_shape)
