"""Helpers that build small ONNX models for the importer tests."""

from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

_ELEM = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE,
         np.dtype(np.int64): TensorProto.INT64, np.dtype(np.int32): TensorProto.INT32,
         np.dtype(np.uint8): TensorProto.UINT8, np.dtype(np.int8): TensorProto.INT8,
         np.dtype(np.float16): TensorProto.FLOAT16, np.dtype(np.bool_): TensorProto.BOOL}


def single_node(op_type: str, inputs: Dict[str, np.ndarray], attrs: Optional[dict] = None,
                initializers: Optional[Dict[str, np.ndarray]] = None, num_outputs: int = 1,
                opset: int = 13, output_shapes: Optional[Sequence[Sequence[int]]] = None,
                node_name: str = "n0") -> onnx.ModelProto:
    """A model of one node: graph inputs `inputs` (example arrays give shapes
    and dtypes), `initializers`, outputs y0, y1, ...; the node's inputs are
    the inputs then the initializers, in order. `output_shapes` declares
    f32 outputs of those shapes (onnx.checker wants them)."""
    initializers = initializers or {}
    outputs = [f"y{i}" for i in range(num_outputs)]
    node = helper.make_node(op_type, list(inputs) + list(initializers), outputs,
                            name=node_name, **(attrs or {}))
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info(n, _ELEM[a.dtype], a.shape) for n, a in inputs.items()],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT,
                                       output_shapes[i] if output_shapes else None)
         if output_shapes else helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None)
         for i, o in enumerate(outputs)],
        [numpy_helper.from_array(a, n) for n, a in initializers.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def graph_model(nodes: Sequence[onnx.NodeProto], inputs: Dict[str, Tuple[Sequence, int]],
                outputs: Sequence[str], initializers: Optional[Dict[str, np.ndarray]] = None,
                opset: int = 13, name: str = "g") -> onnx.ModelProto:
    """A model from nodes; `inputs` maps names to (shape, TensorProto type),
    shapes may hold strings (symbolic dimensions) or None."""
    graph = helper.make_graph(
        list(nodes), name,
        [helper.make_tensor_value_info(n, t, s) for n, (s, t) in inputs.items()],
        [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None) for o in outputs],
        [numpy_helper.from_array(a, n) for n, a in (initializers or {}).items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
