"""ONNX graph -> MLIR text (func + linalg/tensor/arith on tensors).

`import_onnx` walks the graph in its (topological) node order: graph inputs
become arguments of `func.func @main` with static shapes, initializers and
Constant nodes become constants, and each node is handed to the emitter its
op type is registered with (see `agn.onnx.registry`). The function returns
the graph outputs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import onnx
from onnx import numpy_helper

from agn.onnx.context import ImportContext, OnnxImportError, Value
from agn.onnx.mlir_text import FunctionBuilder, is_supported_dtype, string_literal
from agn.onnx.policy import read_policies, sanitize
from agn.onnx.registry import get_emitter, supported_ops

ModelLike = Union[str, "os.PathLike[str]", onnx.ModelProto]


@dataclass
class ImportOptions:
    """How to resolve what an ONNX graph leaves open.

    input_shapes: full static shapes for some graph inputs, by name.
    dim_values: values for symbolic dimensions, by `dim_param` name
        (e.g. {"batch": 32}).
    default_dim: the value of any other unknown dimension (None: error).
    static_inputs: graph inputs to bind to constant arrays, by name (they
        are no longer arguments of the function); needed where an op
        requires a constant operand that a model feeds as an input, such as
        Reshape's target shape.
    name: the prefix of the unit names (default: the graph's name, or the
        file's stem); unit names must be unique per process.
    entry: the name of the function.
    """

    input_shapes: Mapping[str, Sequence[int]] = field(default_factory=dict)
    dim_values: Mapping[str, int] = field(default_factory=dict)
    default_dim: Optional[int] = 1
    static_inputs: Mapping[str, np.ndarray] = field(default_factory=dict)
    name: Optional[str] = None
    entry: str = "main"


@dataclass
class ImportedModel:
    """The result of an import: the MLIR text plus the NumPy dtypes and
    shapes of the function's arguments and results (MLIR's signless
    integers cannot tell uint8 from int8; these can)."""

    mlir: str
    input_names: List[str]
    input_shapes: List[Tuple[int, ...]]
    input_dtypes: List[np.dtype]
    output_names: List[str]
    output_shapes: List[Tuple[int, ...]]
    output_dtypes: List[np.dtype]


def load_model(model: ModelLike) -> onnx.ModelProto:
    """Loads an ONNX model from a path (or returns a ModelProto as is)."""
    if isinstance(model, onnx.ModelProto):
        return model
    path = os.fspath(model)
    if not os.path.exists(path):
        raise OnnxImportError(f"cannot read '{path}': no such file")
    try:
        return onnx.load(path)
    except Exception as exc:  # onnx raises DecodeError and friends
        raise OnnxImportError(f"cannot read '{path}' as an ONNX model: {exc}") from exc


def import_onnx(model: ModelLike, **options) -> str:
    """Imports an ONNX model (path or ModelProto) and returns MLIR text.

    Keyword options are those of `ImportOptions` (input_shapes, dim_values,
    default_dim, static_inputs, name, entry). Raises OnnxImportError naming
    the op and the node for anything unsupported.
    """
    return import_model(model, ImportOptions(**options)).mlir


def import_model(model: ModelLike, options: Optional[ImportOptions] = None) -> ImportedModel:
    """Like `import_onnx`, returning the text together with the signature."""
    options = options or ImportOptions()
    source = model
    model = load_model(model)
    graph = model.graph
    opset = _default_opset(model)
    prefix = options.name if options.name is not None else _default_prefix(graph, source)
    ctx = ImportContext(fb=FunctionBuilder(), opset=opset, unit_prefix=sanitize(prefix),
                        policies=read_policies(model))

    for init in graph.initializer:
        array = numpy_helper.to_array(init)
        if not is_supported_dtype(array.dtype):
            raise OnnxImportError(f"initializer '{init.name}' has dtype {array.dtype}, "
                                  "which the importer does not support")
        ctx.values[init.name] = Value(init.name, array.shape, array.dtype, const=array)

    unknown = set(options.input_shapes) | set(options.static_inputs)
    arguments: List[Value] = []
    for inp in graph.input:
        unknown.discard(inp.name)
        if inp.name in ctx.values:  # an initializer listed as input (IR < 4)
            continue
        if inp.name in options.static_inputs:
            array = np.asarray(options.static_inputs[inp.name])
            ctx.values[inp.name] = Value(inp.name, array.shape, array.dtype, const=array)
            continue
        value = _graph_input(inp, options)
        value.ssa = f"%arg{len(arguments)}"
        ctx.values[inp.name] = value
        arguments.append(value)
    if unknown:
        raise OnnxImportError(f"no graph input named {sorted(unknown)} (inputs: "
                              f"{[i.name for i in graph.input]})")

    for index, node in enumerate(graph.node):
        ctx.node, ctx.node_index = node, index
        if node.domain not in ("", "ai.onnx"):
            raise ctx.error(f"op domain '{node.domain}' is not supported (only the "
                            "default ONNX domain)")
        emit = get_emitter(node.op_type)
        if emit is None:
            raise ctx.error(f"op type '{node.op_type}' is not supported; the importer "
                            f"supports {', '.join(supported_ops())}")
        ctx.fb.comment(f"{ctx.node_label()}")
        emit(ctx)
    ctx.node = None

    results: List[Value] = []
    for out in graph.output:
        value = ctx.get(out.name)
        ctx.ssa(value)
        results.append(value)

    text = _module_text(options.entry, arguments, results, ctx.fb, model)
    return ImportedModel(
        mlir=text,
        input_names=[v.name for v in arguments],
        input_shapes=[v.shape for v in arguments],
        input_dtypes=[v.dtype for v in arguments],
        output_names=[v.name for v in results],
        output_shapes=[v.shape for v in results],
        output_dtypes=[v.dtype for v in results])


#: Graph names exporters give every model; a file name tells models apart better.
_GENERIC_GRAPH_NAMES = {"", "torch_jit", "torch-jit-export", "main_graph", "tf2onnx", "graph",
                        "g", "model"}


def _default_prefix(graph: onnx.GraphProto, source: ModelLike) -> str:
    """The unit-name prefix: the graph's name, or the file's stem when the
    graph has an exporter's generic name (unit names must be unique per
    process, so two models should not share a prefix)."""
    if graph.name not in _GENERIC_GRAPH_NAMES or isinstance(source, onnx.ModelProto):
        return graph.name
    return os.path.splitext(os.path.basename(os.fspath(source)))[0]


def _default_opset(model: onnx.ModelProto) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    # IR version 3+ always lists it; older models mean opset 1.
    return 1


def _graph_input(inp: onnx.ValueInfoProto, options: ImportOptions) -> Value:
    """The argument for graph input `inp`, with its static shape."""
    kind = inp.type.WhichOneof("value")
    if kind != "tensor_type":
        raise OnnxImportError(f"graph input '{inp.name}' is not a tensor (its type is "
                              f"{kind or 'missing'}); only tensors are supported")
    ttype = inp.type.tensor_type
    if ttype.elem_type == onnx.TensorProto.BFLOAT16:
        raise OnnxImportError(f"graph input '{inp.name}' has dtype bfloat16, which the "
                              "importer does not support")
    try:
        dtype = np.dtype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[ttype.elem_type])
    except KeyError:
        raise OnnxImportError(f"graph input '{inp.name}' has an unknown element type "
                              f"({ttype.elem_type})")
    if not is_supported_dtype(dtype):
        raise OnnxImportError(f"graph input '{inp.name}' has dtype {dtype}, which the "
                              "importer does not support")
    if inp.name in options.input_shapes:
        shape = tuple(int(d) for d in options.input_shapes[inp.name])
        if ttype.HasField("shape") and len(ttype.shape.dim) != len(shape):
            raise OnnxImportError(f"input_shapes['{inp.name}'] has rank {len(shape)}, "
                                  f"the model's input has rank {len(ttype.shape.dim)}")
        return Value(inp.name, shape, dtype)
    if not ttype.HasField("shape"):
        raise OnnxImportError(f"graph input '{inp.name}' has no shape; pass "
                              f"input_shapes={{'{inp.name}': [...]}}")
    shape = []
    for i, dim in enumerate(ttype.shape.dim):
        if dim.HasField("dim_value"):
            shape.append(int(dim.dim_value))
        elif dim.HasField("dim_param") and dim.dim_param in options.dim_values:
            shape.append(int(options.dim_values[dim.dim_param]))
        elif options.default_dim is not None:
            shape.append(int(options.default_dim))
        else:
            what = f"'{dim.dim_param}'" if dim.HasField("dim_param") else "unknown"
            raise OnnxImportError(
                f"graph input '{inp.name}' dimension {i} is {what}; pass "
                f"input_shapes= or dim_values=, or a default_dim")
    return Value(inp.name, tuple(shape), dtype)


def _module_text(entry: str, arguments: Sequence[Value], results: Sequence[Value],
                 fb: FunctionBuilder, model: onnx.ModelProto) -> str:
    args = ", ".join(f"{v.ssa}: {v.type} {{onnx.name = {string_literal(v.name)}}}"
                     for v in arguments)
    result_types = ", ".join(v.type for v in results)
    producer = (model.producer_name + " " + model.producer_version).strip() or "unknown"
    header = [
        f"// Imported from ONNX by agn.onnx (producer: {producer}, "
        f"opset {_default_opset(model)}).",
        "module {",
        f"  func.func @{entry}({args}) -> ({result_types}) {{",
    ]
    body = ["  " + line for line in fb.lines]
    ret = "    return " + ", ".join(v.ssa for v in results)
    if results:
        ret += " : " + result_types
    return "\n".join(header + body + [ret, "  }", "}", ""])
