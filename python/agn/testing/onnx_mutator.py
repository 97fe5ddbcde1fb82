"""A seeded, deterministic mutator of ONNX models, for fuzzing the importer.

Fuzzing the importer means handing it broken models: bits flipped in the
serialized bytes, truncated files, initializers whose dims lie about their
data, huge or negative dimensions, deleted initializers, dangling names,
cycles, duplicate names, attributes of the wrong type or missing, empty
graphs, absurd opset versions. `seed_models` are small valid models;
`MUTATIONS` (structure aware) and `BYTE_MUTATIONS` break them.

A case is fully determined by (seed, index): `make_case` rebuilds it, so a
failure is reproduced from its two numbers (`python3 -m
agn.testing.onnx_fuzz --seed S --index I --save case.onnx`).
`agn.testing.onnx_fuzz` runs the cases.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import onnx
from onnx import AttributeProto, TensorProto, helper, numpy_helper

# ---------------------------------------------------------------------------
# Seeds: small valid models the mutations start from
# ---------------------------------------------------------------------------


def _model(nodes: Sequence[onnx.NodeProto], inputs: Dict[str, Tuple[Sequence[int], int]],
           outputs: Sequence[str], initializers: Dict[str, np.ndarray],
           opset: int = 13, name: str = "seed") -> onnx.ModelProto:
    graph = helper.make_graph(
        list(nodes), name,
        [helper.make_tensor_value_info(n, t, s) for n, (s, t) in inputs.items()],
        [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None) for o in outputs],
        [numpy_helper.from_array(np.asarray(a), n) for n, a in initializers.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _weights(rng: np.random.RandomState, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def seed_models() -> Dict[str, onnx.ModelProto]:
    """The seeds, by name: small valid models covering the common op
    families (each imports and compiles as is)."""
    rng = np.random.RandomState(0)
    f32 = TensorProto.FLOAT
    seeds: Dict[str, onnx.ModelProto] = {}
    n = helper.make_node

    seeds["conv_relu_gemm"] = _model(
        [n("Conv", ["x", "w", "b"], ["c"], name="conv1", pads=[1, 1, 1, 1], strides=[1, 1]),
         n("Relu", ["c"], ["r"], name="relu1"),
         n("MaxPool", ["r"], ["p"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
         n("Flatten", ["p"], ["f"], name="flat", axis=1),
         n("Gemm", ["f", "fc_w", "fc_b"], ["g"], name="fc", transB=1, alpha=1.0),
         n("Softmax", ["g"], ["y"], name="soft", axis=-1)],
        {"x": ([1, 3, 6, 6], f32)}, ["y"],
        {"w": _weights(rng, 4, 3, 3, 3), "b": _weights(rng, 4),
         "fc_w": _weights(rng, 5, 36), "fc_b": _weights(rng, 5)}, name="convnet")

    seeds["matmul"] = _model(
        [n("MatMul", ["x", "w"], ["m"], name="mm"),
         n("Add", ["m", "bias"], ["a"], name="add"),
         n("Tanh", ["a"], ["t"], name="tanh"),
         n("MatMul", ["t", "x2"], ["y"], name="mm2")],
        {"x": ([2, 3, 4], f32), "x2": ([2, 5, 3], f32)}, ["y"],
        {"w": _weights(rng, 4, 5), "bias": _weights(rng, 5)}, name="matmuls")

    seeds["reshape_concat_slice"] = _model(
        [n("Reshape", ["x", "shape"], ["r"], name="reshape"),
         n("Concat", ["r", "extra"], ["c"], name="concat", axis=0),
         n("Slice", ["c", "starts", "ends", "axes", "steps"], ["s"], name="slice"),
         n("Transpose", ["s"], ["t"], name="transpose", perm=[1, 0]),
         n("Unsqueeze", ["t", "uaxes"], ["u"], name="unsqueeze"),
         n("Squeeze", ["u", "uaxes"], ["y"], name="squeeze")],
        {"x": ([2, 6], f32)}, ["y"],
        {"shape": np.array([3, 4], np.int64), "extra": _weights(rng, 1, 4),
         "starts": np.array([1, 0], np.int64), "ends": np.array([4, 3], np.int64),
         "axes": np.array([0, 1], np.int64), "steps": np.array([1, 2], np.int64),
         "uaxes": np.array([0], np.int64)}, name="shapes")

    # The shape arithmetic exporters write, folded at import time.
    seeds["shape_arith"] = _model(
        [n("Shape", ["x"], ["shp"], name="shape"),
         n("Gather", ["shp", "i0"], ["d0"], name="gather", axis=0),
         n("Unsqueeze", ["d0", "ax0"], ["d0u"], name="unsq"),
         n("Concat", ["d0u", "minus1"], ["target"], name="cat", axis=0),
         n("Reshape", ["x", "target"], ["r"], name="reshape"),
         n("ConstantOfShape", ["cshape"], ["ones"], name="cos",
           value=numpy_helper.from_array(np.ones(1, np.float32))),
         n("Range", ["rs", "rl", "rd"], ["rng"], name="range"),
         n("Cast", ["rng"], ["rngf"], name="cast", to=f32),
         n("Expand", ["rngf", "eshape"], ["e"], name="expand"),
         n("Add", ["r", "e"], ["a"], name="add"),
         n("Mul", ["a", "ones"], ["m"], name="mul"),
         n("Tile", ["m", "reps"], ["y"], name="tile")],
        {"x": ([2, 3, 4], f32)}, ["y"],
        {"i0": np.array(0, np.int64), "ax0": np.array([0], np.int64),
         "minus1": np.array([-1], np.int64), "cshape": np.array([2, 12], np.int64),
         "rs": np.array(0, np.int64), "rl": np.array(12, np.int64),
         "rd": np.array(1, np.int64), "eshape": np.array([2, 12], np.int64),
         "reps": np.array([1, 2], np.int64)}, name="shapearith")

    seeds["pool_norm"] = _model(
        [n("BatchNormalization", ["x", "s", "bb", "mean", "var"], ["bn"], name="bn",
           epsilon=1e-5),
         n("AveragePool", ["bn"], ["ap"], name="avg", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
           strides=[2, 2], count_include_pad=0),
         n("InstanceNormalization", ["ap", "s", "bb"], ["inorm"], name="inorm"),
         n("GlobalAveragePool", ["inorm"], ["gap"], name="gap"),
         n("LayerNormalization", ["x", "ln_s", "ln_b"], ["ln"], name="ln", axis=-1),
         n("ReduceMean", ["ln"], ["rm"], name="rmean", axes=[2, 3], keepdims=1)],
        {"x": ([1, 2, 5, 5], f32)}, ["gap", "rm"],
        {"s": _weights(rng, 2), "bb": _weights(rng, 2), "mean": _weights(rng, 2),
         "var": np.abs(_weights(rng, 2)) + 1, "ln_s": _weights(rng, 5),
         "ln_b": _weights(rng, 5)}, opset=17, name="poolnorm")

    seeds["resize_pad_split"] = _model(
        [n("Resize", ["x", "", "scales"], ["rz"], name="resize", mode="linear"),
         n("Pad", ["rz", "pads", "pval"], ["pd"], name="pad", mode="constant"),
         n("Split", ["pd", "split"], ["s0", "s1"], name="split", axis=2),
         n("ReduceSum", ["s0", "raxes"], ["rs"], name="rsum", keepdims=0),
         n("Sigmoid", ["s1"], ["y1"], name="sig")],
        {"x": ([1, 1, 3, 4], f32)}, ["rs", "y1"],
        {"scales": np.array([1, 1, 2, 1.5], np.float32),
         "pads": np.array([0, 0, 1, 0, 0, 0, 1, 2], np.int64),
         "pval": np.array(0.5, np.float32), "split": np.array([3, 5], np.int64),
         "raxes": np.array([3], np.int64)}, opset=13, name="resizes")

    seeds["attention"] = _model(
        [n("Einsum", ["q", "k"], ["sc"], name="scores", equation="bid,bjd->bij"),
         n("Div", ["sc", "scale"], ["sd"], name="div"),
         n("Softmax", ["sd"], ["p"], name="softmax", axis=-1),
         n("MatMul", ["p", "v"], ["o"], name="ctx"),
         n("Where", ["mask", "o", "zero"], ["y"], name="where")],
        {"q": ([2, 3, 4], f32), "k": ([2, 3, 4], f32), "v": ([2, 3, 4], f32),
         "mask": ([2, 3, 4], TensorProto.BOOL)}, ["y"],
        {"scale": np.array(2.0, np.float32), "zero": np.array(0.0, np.float32)},
        name="attention")

    seeds["legacy_opset"] = _model(
        [n("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3], group=2,
           auto_pad="SAME_UPPER"),
         n("Clip", ["c"], ["cl"], name="clip", min=-1.0, max=1.0),
         n("Upsample", ["cl"], ["up"], name="up", mode="nearest", scales=[1.0, 1.0, 2.0]),
         n("Slice", ["up"], ["y"], name="slice", starts=[1], ends=[5], axes=[2])],
        {"x": ([1, 4, 6], f32)}, ["y"], {"w": _weights(rng, 4, 2, 3)}, opset=8,
        name="legacy")

    seeds["convtranspose_logic"] = _model(
        [n("ConvTranspose", ["x", "w"], ["ct"], name="deconv", strides=[2, 2],
           pads=[0, 0, 1, 1]),
         n("Greater", ["ct", "thr"], ["g"], name="gt"),
         n("Not", ["g"], ["ng"], name="not"),
         n("Cast", ["ng"], ["ngf"], name="cast", to=TensorProto.FLOAT),
         n("Max", ["ngf", "ct"], ["mx"], name="max"),
         n("ReduceMax", ["mx"], ["y"], name="rmax", axes=[1], keepdims=0)],
        {"x": ([1, 2, 3, 3], f32)}, ["y"],
        {"w": _weights(rng, 2, 3, 3, 3), "thr": np.array(0.1, np.float32)}, name="deconv")

    seeds["gather_constant"] = _model(
        [n("Constant", [], ["table"], name="const",
           value=numpy_helper.from_array(_weights(rng, 6, 4))),
         n("Gather", ["table", "ids"], ["emb"], name="embed", axis=0),
         n("Gather", ["emb", "idx"], ["y"], name="pick", axis=1)],
        {"ids": ([2, 3], TensorProto.INT64)}, ["y"],
        {"idx": np.array([0, -1], np.int64)}, name="gathers")
    return seeds


# ---------------------------------------------------------------------------
# Mutations
# ---------------------------------------------------------------------------

#: Values a mutated dimension or integer takes: 0, negative, off by one,
#: and huge (an allocation of the claimed size would exhaust memory).
_INTERESTING_INTS = [0, 1, -1, -2, 2, 3, 7, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 62,
                     2 ** 63 - 1, -(2 ** 63), -(2 ** 31)]
_INTERESTING_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 1e30, -1e30, float("inf"), float("-inf"),
                       float("nan"), 1e-45]


def _pick_int(rng: random.Random) -> int:
    return rng.choice(_INTERESTING_INTS) if rng.random() < 0.7 else rng.randint(-10, 100)


def _tensors(model: onnx.ModelProto) -> List[TensorProto]:
    """The initializers and the tensors of Constant-like attributes."""
    tensors = list(model.graph.initializer)
    for node in model.graph.node:
        for attr in node.attribute:
            if attr.type == AttributeProto.TENSOR:
                tensors.append(attr.t)
    return tensors


def _value_names(model: onnx.ModelProto) -> List[str]:
    graph = model.graph
    names = [i.name for i in graph.input] + [i.name for i in graph.initializer]
    for node in graph.node:
        names.extend(o for o in node.output if o)
    return names


Mutation = Callable[[onnx.ModelProto, random.Random], Optional[str]]
MUTATIONS: Dict[str, Mutation] = {}


def mutation(fn: Mutation) -> Mutation:
    """Registers a structure-aware mutation; it changes the model in place
    and returns a description, or None where it does not apply."""
    MUTATIONS[fn.__name__] = fn
    return fn


@mutation
def tensor_dims_lie(model, rng):
    """An initializer (or Constant value) whose dims no longer match its
    data: one dimension changed, added or dropped."""
    tensors = _tensors(model)
    if not tensors:
        return None
    t = rng.choice(tensors)
    dims = list(t.dims)
    how = rng.choice(["change", "add", "drop"]) if dims else "add"
    if how == "change":
        dims[rng.randrange(len(dims))] = _pick_int(rng)
    elif how == "add":
        dims.insert(rng.randint(0, len(dims)), _pick_int(rng))
    else:
        dims.pop(rng.randrange(len(dims)))
    del t.dims[:]
    t.dims.extend(dims)
    return f"tensor '{t.name}' dims -> {dims}"


@mutation
def tensor_elem_type(model, rng):
    """An initializer (or Constant value) of another element type,
    including undefined, string, bfloat16, complex and unknown ones."""
    tensors = _tensors(model)
    if not tensors:
        return None
    t = rng.choice(tensors)
    t.data_type = rng.choice(list(range(0, 17)) + [17, 99, -1])
    return f"tensor '{t.name}' data_type -> {t.data_type}"


@mutation
def tensor_data_truncate(model, rng):
    """An initializer's raw_data cut short (or grown)."""
    tensors = [t for t in _tensors(model) if t.HasField("raw_data")]
    if not tensors:
        return None
    t = rng.choice(tensors)
    data = t.raw_data
    cut = rng.randint(0, len(data))
    t.raw_data = data[:cut] if rng.random() < 0.7 else data + b"\x01" * rng.randint(1, 9)
    return f"tensor '{t.name}' raw_data {len(data)} -> {len(t.raw_data)} bytes"


@mutation
def tensor_typed_data(model, rng):
    """An initializer whose data moves from raw_data to the typed fields,
    with a wrong count, or to a field of another type."""
    tensors = _tensors(model)
    if not tensors:
        return None
    t = rng.choice(tensors)
    t.ClearField("raw_data")
    count = rng.choice([0, 1, 3, 64])
    fld = rng.choice(["float_data", "int32_data", "int64_data", "double_data",
                      "string_data", "uint64_data"])
    if fld == "string_data":
        getattr(t, fld).extend([b"x"] * count)
    elif fld in ("float_data", "double_data"):
        getattr(t, fld).extend([1.5] * count)
    else:
        getattr(t, fld).extend([rng.randint(0, 100)] * count)
    return f"tensor '{t.name}' data -> {count} x {fld}"


@mutation
def tensor_values(model, rng):
    """An integer initializer (a shape, axes, pads, indices, ...) with other
    values: huge, negative, zero (shapes that lie)."""
    tensors = [t for t in model.graph.initializer if t.data_type == TensorProto.INT64]
    if not tensors:
        return None
    t = rng.choice(tensors)
    array = numpy_helper.to_array(t).copy()
    if array.size:
        flat = array.reshape(-1)
        flat[rng.randrange(flat.size)] = _pick_int(rng)
    t.CopyFrom(numpy_helper.from_array(array, t.name))
    return f"tensor '{t.name}' values -> {array.tolist()}"


@mutation
def tensor_float_values(model, rng):
    """A float initializer with NaN, infinities or huge values."""
    tensors = [t for t in model.graph.initializer if t.data_type == TensorProto.FLOAT]
    if not tensors:
        return None
    t = rng.choice(tensors)
    array = numpy_helper.to_array(t).copy()
    if array.size:
        array.reshape(-1)[rng.randrange(array.size)] = rng.choice(_INTERESTING_FLOATS)
    t.CopyFrom(numpy_helper.from_array(array, t.name))
    return f"tensor '{t.name}' float values changed"


@mutation
def tensor_external(model, rng):
    """An initializer that claims its data lives in an external file."""
    tensors = list(model.graph.initializer)
    if not tensors:
        return None
    t = rng.choice(tensors)
    t.data_location = TensorProto.EXTERNAL
    del t.external_data[:]
    location = rng.choice(["missing.bin", "../../etc/passwd", "/dev/zero", ""])
    entries = {"location": location}
    if rng.random() < 0.5:
        entries["length"] = str(rng.choice([4, 2 ** 40, -1]))
    if rng.random() < 0.3:
        entries["offset"] = rng.choice(["0", "abc", "-5"])
    for key, value in entries.items():
        entry = t.external_data.add()
        entry.key, entry.value = key, value
    return f"tensor '{t.name}' external data {entries}"


@mutation
def tensor_segment(model, rng):
    """An initializer with a `segment` (not supported by ONNX's loader)."""
    tensors = list(model.graph.initializer)
    if not tensors:
        return None
    t = rng.choice(tensors)
    t.segment.begin, t.segment.end = 0, 1
    return f"tensor '{t.name}' has a segment"


@mutation
def initializer_delete(model, rng):
    """An initializer removed: the node that reads it dangles."""
    inits = model.graph.initializer
    if not inits:
        return None
    index = rng.randrange(len(inits))
    name = inits[index].name
    del inits[index]
    return f"initializer '{name}' deleted"


@mutation
def initializer_duplicate(model, rng):
    """An initializer listed twice (with other dims)."""
    inits = model.graph.initializer
    if not inits:
        return None
    copy = inits.add()
    copy.CopyFrom(rng.choice(inits[:-1]))
    copy.dims.append(2)
    return f"initializer '{copy.name}' duplicated"


@mutation
def input_rename(model, rng):
    """A graph input renamed: the nodes reading it dangle."""
    inputs = model.graph.input
    if not inputs:
        return None
    inp = rng.choice(inputs)
    old = inp.name
    inp.name = rng.choice([old + "_renamed", "", old.upper() + "!"])
    return f"input '{old}' renamed to '{inp.name}'"


@mutation
def input_shape(model, rng):
    """A graph input with a huge, negative or zero dimension, a symbolic
    one, a rank change, or no shape at all."""
    inputs = model.graph.input
    if not inputs:
        return None
    inp = rng.choice(inputs)
    ttype = inp.type.tensor_type
    dims = ttype.shape.dim
    how = rng.choice(["value", "value", "param", "add", "drop", "none", "empty"])
    if how == "value" and dims:
        dims[rng.randrange(len(dims))].dim_value = _pick_int(rng)
    elif how == "param" and dims:
        dims[rng.randrange(len(dims))].dim_param = rng.choice(["batch", "", "N"])
    elif how == "add":
        dims.add().dim_value = _pick_int(rng)
    elif how == "drop" and dims:
        del dims[rng.randrange(len(dims))]
    elif how == "none":
        ttype.ClearField("shape")
    elif how == "empty" and dims:
        dims[rng.randrange(len(dims))].Clear()
    return f"input '{inp.name}' shape mutated ({how})"


@mutation
def input_dims_small(model, rng):
    """A graph input with other small dimensions (0 to 6) or another rank:
    every tensor stays valid, but the shapes no longer fit together, which
    takes the case past the checks into the emitters."""
    inputs = model.graph.input
    if not inputs:
        return None
    inp = rng.choice(inputs)
    shape = inp.type.tensor_type.shape
    rank = len(shape.dim) if rng.random() < 0.7 else rng.randint(0, 5)
    shape.ClearField("dim")
    dims = [rng.randint(0, 6) if rng.random() < 0.9 else 1 for _ in range(rank)]
    for d in dims:
        shape.dim.add().dim_value = d
    return f"input '{inp.name}' dims -> {dims}"


@mutation
def initializer_reshaped(model, rng):
    """An initializer replaced by a valid tensor of another small shape,
    maybe of another type (float, int64, int32, bool)."""
    inits = model.graph.initializer
    if not inits:
        return None
    t = rng.choice(inits)
    shape = [rng.randint(0, 5) for _ in range(rng.randint(0, 4))]
    dtype = rng.choice([np.float32, np.float32, np.int64, np.int32, np.bool_, np.float16])
    values = np.random.RandomState(rng.randrange(2 ** 31)).randint(-3, 6, size=shape)
    t.CopyFrom(numpy_helper.from_array(values.astype(dtype), t.name))
    return f"initializer '{t.name}' -> {np.dtype(dtype).name} {shape}"


@mutation
def input_type(model, rng):
    """A graph input of another element type, or not a tensor at all."""
    inputs = model.graph.input
    if not inputs:
        return None
    inp = rng.choice(inputs)
    how = rng.choice(["elem", "elem", "sequence", "clear"])
    if how == "elem":
        inp.type.tensor_type.elem_type = rng.choice(list(range(0, 17)) + [99])
    elif how == "sequence":
        inp.type.sequence_type.elem_type.tensor_type.elem_type = TensorProto.FLOAT
    else:
        inp.ClearField("type")
    return f"input '{inp.name}' type mutated ({how})"


@mutation
def node_cycle(model, rng):
    """Two nodes that read each other's outputs (A -> B -> A)."""
    nodes = model.graph.node
    candidates = [i for i, node in enumerate(nodes) if node.input and node.output]
    if len(candidates) < 2:
        return None
    a, b = sorted(rng.sample(candidates, 2))
    nodes[a].input[0] = nodes[b].output[0]
    return (f"node '{nodes[a].name}' reads '{nodes[b].output[0]}' of the later node "
            f"'{nodes[b].name}'")


@mutation
def node_self_loop(model, rng):
    """A node that reads its own output."""
    nodes = [n for n in model.graph.node if n.input and n.output]
    if not nodes:
        return None
    node = rng.choice(nodes)
    node.input[rng.randrange(len(node.input))] = node.output[0]
    return f"node '{node.name}' reads its own output"


@mutation
def node_shuffle(model, rng):
    """The nodes out of topological order."""
    nodes = list(model.graph.node)
    if len(nodes) < 2:
        return None
    rng.shuffle(nodes)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return "nodes shuffled"


@mutation
def duplicate_output_name(model, rng):
    """A node output that reuses the name of another value (a graph input,
    an initializer or another node's output)."""
    nodes = [n for n in model.graph.node if n.output]
    names = _value_names(model)
    if not nodes or len(names) < 2:
        return None
    node = rng.choice(nodes)
    old = node.output[0]
    node.output[0] = rng.choice([n for n in names if n != old] or [old])
    return f"node '{node.name}' output '{old}' renamed to '{node.output[0]}'"


@mutation
def graph_outputs(model, rng):
    """Graph outputs that dangle, repeat, name an input, or are gone."""
    graph = model.graph
    how = rng.choice(["dangle", "repeat", "input", "none"])
    if how == "dangle" and graph.output:
        graph.output[0].name = "nowhere"
    elif how == "repeat" and graph.output:
        graph.output.add().CopyFrom(graph.output[0])
    elif how == "input" and graph.input:
        graph.output.add().name = graph.input[0].name
    else:
        del graph.output[:]
    return f"graph outputs mutated ({how})"


def _attribute_of_type(name: str, kind: int, rng: random.Random) -> AttributeProto:
    attr = AttributeProto(name=name, type=kind)
    if kind == AttributeProto.FLOAT:
        attr.f = rng.choice(_INTERESTING_FLOATS)
    elif kind == AttributeProto.INT:
        attr.i = _pick_int(rng)
    elif kind == AttributeProto.STRING:
        attr.s = rng.choice([b"", b"NOTSET", b"\xff\xfe", b"abc"])
    elif kind == AttributeProto.TENSOR:
        attr.t.CopyFrom(numpy_helper.from_array(np.array([_pick_int(rng)], np.int64)))
    elif kind == AttributeProto.GRAPH:
        attr.g.CopyFrom(helper.make_graph([], "sub", [], []))
    elif kind == AttributeProto.FLOATS:
        attr.floats.extend([rng.choice(_INTERESTING_FLOATS) for _ in range(rng.randint(0, 4))])
    elif kind == AttributeProto.INTS:
        attr.ints.extend([_pick_int(rng) for _ in range(rng.randint(0, 6))])
    elif kind == AttributeProto.STRINGS:
        attr.strings.extend([b"a", b"\xff"][:rng.randint(0, 2)])
    elif kind == AttributeProto.TENSORS:
        attr.tensors.add().CopyFrom(numpy_helper.from_array(np.zeros(2, np.float32)))
    return attr


_ATTRIBUTE_TYPES = [AttributeProto.UNDEFINED, AttributeProto.FLOAT, AttributeProto.INT,
                    AttributeProto.STRING, AttributeProto.TENSOR, AttributeProto.GRAPH,
                    AttributeProto.FLOATS, AttributeProto.INTS, AttributeProto.STRINGS,
                    AttributeProto.TENSORS]


@mutation
def attribute_type(model, rng):
    """An attribute of the wrong type (an int given as a string, ints as a
    float, ...), or of no type."""
    nodes = [n for n in model.graph.node if n.attribute]
    if not nodes:
        return None
    node = rng.choice(nodes)
    index = rng.randrange(len(node.attribute))
    name = node.attribute[index].name
    kind = rng.choice(_ATTRIBUTE_TYPES)
    node.attribute[index].CopyFrom(_attribute_of_type(name, kind, rng))
    return f"node '{node.name}' attribute '{name}' -> type {kind}"


@mutation
def attribute_value(model, rng):
    """An attribute of the right type with an absurd value: huge, negative,
    zero, NaN, empty or longer lists."""
    nodes = [n for n in model.graph.node if n.attribute]
    if not nodes:
        return None
    node = rng.choice(nodes)
    attr = rng.choice(node.attribute)
    if attr.type == AttributeProto.INT:
        attr.i = _pick_int(rng)
    elif attr.type == AttributeProto.FLOAT:
        attr.f = rng.choice(_INTERESTING_FLOATS)
    elif attr.type == AttributeProto.INTS:
        values = list(attr.ints)
        if values and rng.random() < 0.7:
            values[rng.randrange(len(values))] = _pick_int(rng)
        else:
            values = [_pick_int(rng) for _ in range(rng.randint(0, 5))]
        del attr.ints[:]
        attr.ints.extend(values)
    elif attr.type == AttributeProto.FLOATS:
        attr.floats.append(rng.choice(_INTERESTING_FLOATS))
    elif attr.type == AttributeProto.STRING:
        attr.s = rng.choice([b"", b"BOGUS", b"\xff", attr.s.upper()])
    elif attr.type == AttributeProto.TENSOR:
        attr.t.CopyFrom(numpy_helper.from_array(
            np.full(rng.choice([(0,), (3,), (2, 2)]), _pick_int(rng), np.int64)))
    else:
        return None
    return f"node '{node.name}' attribute '{attr.name}' value changed"


@mutation
def attribute_delete(model, rng):
    """A (possibly required) attribute removed."""
    nodes = [n for n in model.graph.node if n.attribute]
    if not nodes:
        return None
    node = rng.choice(nodes)
    index = rng.randrange(len(node.attribute))
    name = node.attribute[index].name
    del node.attribute[index]
    return f"node '{node.name}' attribute '{name}' deleted"


@mutation
def attribute_add(model, rng):
    """An extra attribute: unknown, or a known one that does not belong."""
    nodes = list(model.graph.node)
    if not nodes:
        return None
    node = rng.choice(nodes)
    name = rng.choice(["axis", "axes", "perm", "pads", "kernel_shape", "to", "value",
                       "mystery", "group", "keepdims", "shape", "split"])
    node.attribute.append(_attribute_of_type(name, rng.choice(_ATTRIBUTE_TYPES[1:]), rng))
    return f"node '{node.name}' attribute '{name}' added"


@mutation
def node_op_type(model, rng):
    """A node of another (supported) op type, with the same inputs and
    attributes."""
    from agn.onnx import supported_ops

    nodes = list(model.graph.node)
    if not nodes:
        return None
    node = rng.choice(nodes)
    old = node.op_type
    node.op_type = rng.choice(supported_ops() + ["", "Bogus"])
    return f"node '{node.name}' op_type {old} -> {node.op_type}"


@mutation
def node_inputs(model, rng):
    """A node with an input dropped, emptied, added or renamed."""
    nodes = list(model.graph.node)
    if not nodes:
        return None
    node = rng.choice(nodes)
    how = rng.choice(["drop", "empty", "add", "rename", "clear"])
    inputs = list(node.input)
    if how == "drop" and inputs:
        inputs.pop(rng.randrange(len(inputs)))
    elif how == "empty" and inputs:
        inputs[rng.randrange(len(inputs))] = ""
    elif how == "add":
        inputs.append(rng.choice(_value_names(model) + ["ghost"]))
    elif how == "rename" and inputs:
        inputs[rng.randrange(len(inputs))] = rng.choice(_value_names(model) + ["ghost"])
    else:
        inputs = []
    del node.input[:]
    node.input.extend(inputs)
    return f"node '{node.name}' inputs -> {inputs}"


@mutation
def node_outputs(model, rng):
    """A node with an output dropped, emptied or added."""
    nodes = list(model.graph.node)
    if not nodes:
        return None
    node = rng.choice(nodes)
    how = rng.choice(["drop", "empty", "add"])
    outputs = list(node.output)
    if how == "drop" and outputs:
        outputs.pop()
    elif how == "empty" and outputs:
        outputs[0] = ""
    else:
        outputs.append(node.name + "_extra")
    del node.output[:]
    node.output.extend(outputs)
    return f"node '{node.name}' outputs -> {outputs}"


@mutation
def node_domain(model, rng):
    """A node in another domain."""
    nodes = list(model.graph.node)
    if not nodes:
        return None
    node = rng.choice(nodes)
    node.domain = rng.choice(["com.microsoft", "ai.onnx.ml", "ai.onnx"])
    return f"node '{node.name}' domain '{node.domain}'"


@mutation
def empty_graph(model, rng):
    """A graph with no nodes (and maybe no outputs, inputs or initializers)."""
    graph = model.graph
    del graph.node[:]
    if rng.random() < 0.5:
        del graph.output[:]
    if rng.random() < 0.3:
        del graph.input[:]
        del graph.initializer[:]
    return "empty graph"


@mutation
def zero_size(model, rng):
    """A consistent zero-size tensor: an initializer or a graph input with
    a dimension of 0."""
    if model.graph.initializer and rng.random() < 0.5:
        t = rng.choice(model.graph.initializer)
        array = numpy_helper.to_array(t)
        shape = list(array.shape) or [1]
        shape[rng.randrange(len(shape))] = 0
        t.CopyFrom(numpy_helper.from_array(np.zeros(shape, array.dtype), t.name))
        return f"initializer '{t.name}' -> shape {shape}"
    inputs = [i for i in model.graph.input if i.type.tensor_type.shape.dim]
    if not inputs:
        return None
    inp = rng.choice(inputs)
    dims = inp.type.tensor_type.shape.dim
    dims[rng.randrange(len(dims))].dim_value = 0
    return f"input '{inp.name}' has a zero dimension"


@mutation
def opset(model, rng):
    """An absurd opset: 0, negative, 999, missing, or listed twice."""
    how = rng.choice(["zero", "negative", "huge", "missing", "twice", "old"])
    if how == "missing":
        del model.opset_import[:]
    elif how == "twice":
        model.opset_import.add().CopyFrom(helper.make_opsetid("", 7))
    else:
        version = {"zero": 0, "negative": -3, "huge": 999, "old": 1}[how]
        for entry in model.opset_import:
            entry.version = version
    return f"opset mutated ({how})"


@mutation
def ir_version(model, rng):
    """Another ir_version (old, huge, negative)."""
    model.ir_version = rng.choice([0, 1, 3, 99, -1])
    return f"ir_version -> {model.ir_version}"


@mutation
def policy_metadata(model, rng):
    """agn policy metadata that is not valid."""
    entry = model.metadata_props.add()
    entry.key = "agn.policies"
    entry.value = rng.choice([
        "{", "[]", '{"units": 3}', '{"units": {"fc": {"levels": ["f32"], "thresholds": []}}}',
        '{"units": {"fc": {"levels": ["i8", "f32"], "thresholds": ["x"]}}}',
        '{"units": {"fc": {"levels": "f32"}}}', '{"units": {"fc": null}}'])
    return f"agn.policies = {entry.value}"


def _bit_flips(data: bytes, rng: random.Random) -> Tuple[bytes, str]:
    buf = bytearray(data)
    count = rng.randint(1, 8)
    for _ in range(count):
        i = rng.randrange(len(buf))
        buf[i] ^= 1 << rng.randrange(8)
    return bytes(buf), f"{count} bit flips"


def _truncate(data: bytes, rng: random.Random) -> Tuple[bytes, str]:
    cut = rng.randrange(len(data))
    return data[:cut], f"truncated to {cut} of {len(data)} bytes"


def _insert(data: bytes, rng: random.Random) -> Tuple[bytes, str]:
    i = rng.randrange(len(data) + 1)
    count = rng.randint(1, 16)
    junk = bytes(rng.randrange(256) for _ in range(count))
    return data[:i] + junk + data[i:], f"{count} bytes inserted at {i}"


def _overwrite(data: bytes, rng: random.Random) -> Tuple[bytes, str]:
    buf = bytearray(data)
    i = rng.randrange(len(buf))
    value = rng.choice([0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)])
    buf[i] = value
    return bytes(buf), f"byte {i} set to {value:#x}"


#: Byte-level mutations of the serialized model.
BYTE_MUTATIONS = {"bit_flips": _bit_flips, "truncate": _truncate, "insert": _insert,
                  "overwrite": _overwrite}


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------


@dataclass
class Case:
    """One mutated model: its serialized bytes and how it was made."""

    index: int
    seed_name: str
    steps: List[str]
    data: bytes

    @property
    def description(self) -> str:
        return f"seed model '{self.seed_name}': " + "; ".join(self.steps)


_SEEDS: Optional[Dict[str, onnx.ModelProto]] = None


def _seeds() -> Dict[str, onnx.ModelProto]:
    global _SEEDS
    if _SEEDS is None:
        _SEEDS = seed_models()
    return _SEEDS


def make_case(seed: int, index: int, mutations: Optional[Sequence[str]] = None) -> Case:
    """Case `index` of the campaign `seed`: a seed model with one to three
    structure-aware mutations, byte-level mutations, or both; with
    `mutations`, only those (by name, structure-aware or byte-level)."""
    rng = random.Random(f"agn-onnx-fuzz:{seed}:{index}")
    seeds = _seeds()
    seed_name = rng.choice(sorted(seeds))
    model = onnx.ModelProto()
    model.CopyFrom(seeds[seed_name])
    steps: List[str] = []
    # Mostly one structural mutation (which gets past the protobuf parser
    # and the first checks, to the emitters and the compiler), some stacked,
    # some byte-level (which mostly exercise the parser).
    structural = sorted(m for m in (mutations or MUTATIONS) if m in MUTATIONS)
    byte_level = sorted(m for m in (mutations or BYTE_MUTATIONS) if m in BYTE_MUTATIONS)
    kind = rng.random() if structural and byte_level else 0.0 if structural else 1.0
    if kind < 0.75:
        for _ in range(rng.choice([1, 1, 1, 1, 1, 1, 1, 2, 2, 3])):
            name = rng.choice(structural)
            try:
                step = MUTATIONS[name](model, rng)
            except Exception:  # an earlier mutation left nothing it can read
                step = None
            if step:
                steps.append(f"{name}: {step}")
    data = model.SerializeToString()
    if byte_level and (kind >= 0.65 or not steps):
        for _ in range(rng.choice([1, 1, 2])):
            name = rng.choice(byte_level)
            if data:
                data, step = BYTE_MUTATIONS[name](data, rng)
                steps.append(f"{name}: {step}")
    return Case(index, seed_name, steps, data)
