"""ONNX graph -> MLIR text (func + linalg/tensor/arith on tensors).

`import_onnx` walks the graph in its (topological) node order: graph inputs
become arguments of `func.func @main` with static shapes, initializers and
Constant nodes become constants, and each node is handed to the emitter its
op type is registered with (see `agn.onnx.registry`). The function returns
the graph outputs.

Nothing in the model is trusted: before any node is imported, the graph's
names, definitions and order are checked (`agn.onnx.validate`), tensors are
read only when their dims match their data (`agn.onnx.tensor_data`), and
shapes are held to the limits of `agn.onnx.limits`; so a corrupt model
ends in an OnnxImportError naming what is wrong, not in a NumPy error or
an allocation of whatever size it claims.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import onnx

from agn.onnx.context import ImportContext, OnnxImportError, Value
from agn.onnx.limits import element_count, shape_problem
from agn.onnx.mlir_text import (FunctionBuilder, comment_text, is_supported_dtype,
                                string_literal)
from agn.onnx.policy import read_policies, sanitize
from agn.onnx.registry import get_emitter, supported_ops
from agn.onnx.tensor_data import load_external_data, tensor_to_array
from agn.onnx.validate import check_attributes, check_graph, check_text, default_opset

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
        # External data is loaded below, after its references are checked.
        model = onnx.load(path, load_external_data=False)
    except Exception as exc:  # onnx raises DecodeError and friends
        raise OnnxImportError(f"cannot read '{path}' as an ONNX model: {exc}") from exc
    check_text(model)
    load_external_data(model, os.path.dirname(os.path.abspath(path)))
    return model


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
    check_text(model)
    opset = default_opset(model)
    check_graph(graph)
    prefix = options.name if options.name is not None else _default_prefix(graph, source)
    ctx = ImportContext(fb=FunctionBuilder(), opset=opset, unit_prefix=sanitize(prefix),
                        policies=read_policies(model))

    for init in graph.initializer:
        array = tensor_to_array(init, f"initializer '{init.name}'")
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
            if not is_supported_dtype(array.dtype):
                raise OnnxImportError(f"static_inputs['{inp.name}'] has dtype {array.dtype}, "
                                      "which the importer does not support")
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
        check_attributes(ctx)
        ctx.fb.comment(f"{ctx.node_label()}")
        _emit_node(ctx, emit)
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


#: Exceptions an emitter may raise on a node it did not foresee (NumPy and
#: Python errors on values that no check caught).
_UNFORESEEN = (ArithmeticError, LookupError, ValueError, TypeError, AttributeError,
               AssertionError, RecursionError)


def _emit_node(ctx: ImportContext, emit) -> None:
    """Runs the emitter of the current node. The emitters check what they
    rely on and raise OnnxImportError; anything else they raise is a bug of
    the importer on a node it did not foresee, reported against the node
    (with the original exception chained) rather than as a bare NumPy or
    Python error."""
    mark = (len(ctx.fb.lines), len(ctx.written_constants))
    try:
        emit(ctx)
    except OnnxImportError:
        raise
    except _UNFORESEEN as exc:
        raise ctx.error(f"internal error of the importer on this node "
                        f"({type(exc).__name__}: {exc}); the node is probably malformed "
                        "(check its inputs' shapes and its attributes), and the importer "
                        "should have said how; please report it") from exc
    _drop_empty_computation(ctx, *mark)


def _drop_empty_computation(ctx: ImportContext, lines: int, constants: int) -> None:
    """When every output of the current node has no elements, replaces what
    its emitter wrote (the function's lines from `lines` on) with one
    `tensor.empty` per output: a value with no elements needs no
    computation, and the ops that would compute it (slices at offsets into
    empty dimensions, pads of empty tensors, contractions over them) are
    refused by MLIR's verifiers or break its lowering. The constants the
    emitter wrote (from `constants` on in `written_constants`) go too, to
    be written again where a later node needs them."""
    outputs = [ctx.values.get(name) for name in ctx.node.output if name]
    if (not outputs or len(ctx.fb.lines) == lines or
            any(v is None or element_count(v.shape) for v in outputs)):
        return
    del ctx.fb.lines[lines:]
    for value in ctx.written_constants[constants:]:
        value.ssa = None
    del ctx.written_constants[constants:]
    for value in outputs:
        if value.const is not None:
            value.ssa = None
        else:
            value.ssa = ctx.fb.empty(value.shape, value.dtype)


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
        problem = shape_problem(shape)
        if problem:
            raise OnnxImportError(f"input_shapes['{inp.name}'] is {list(shape)}: {problem}")
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
    problem = shape_problem(shape)
    if problem:
        raise OnnxImportError(f"graph input '{inp.name}' has shape {shape}: {problem}; "
                              f"fix the model's input, or pass input_shapes={{'{inp.name}': "
                              "[...]}")
    return Value(inp.name, tuple(shape), dtype)


def _module_text(entry: str, arguments: Sequence[Value], results: Sequence[Value],
                 fb: FunctionBuilder, model: onnx.ModelProto) -> str:
    args = ", ".join(f"{v.ssa}: {v.type} {{onnx.name = {string_literal(v.name)}}}"
                     for v in arguments)
    result_types = ", ".join(v.type for v in results)
    producer = (model.producer_name + " " + model.producer_version).strip() or "unknown"
    header = [
        f"// Imported from ONNX by agn.onnx (producer: {comment_text(producer)}, "
        f"opset {default_opset(model)}).",
        "module {",
        f"  func.func @{entry}({args}) -> ({result_types}) {{",
    ]
    body = ["  " + line for line in fb.lines]
    ret = "    return " + ", ".join(v.ssa for v in results)
    if results:
        ret += " : " + result_types
    return "\n".join(header + body + [ret, "  }", "}", ""])
