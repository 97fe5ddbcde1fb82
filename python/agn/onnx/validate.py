"""Checks of a whole ONNX model before (and as) its nodes are imported.

The emitters assume a well-formed graph: one opset for the default domain,
every value defined once and before it is read, attributes of the types
the ONNX operator declares, graph outputs that exist. A corrupt or
hand-edited model breaks each of these; the checks here find that first
and raise OnnxImportError naming the node, initializer, input or output
concerned, what is wrong, and how to fix it.

`onnx.checker` would find some of these too, but it also refuses models the
importer takes (outputs without a type, for one), and stops at the first
problem with a message that names no node; so the importer checks what it
relies on itself.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import onnx
from onnx import AttributeProto, defs

from agn.onnx.context import ImportContext, OnnxImportError, describe_node

_ATTRIBUTE_TYPE_NAMES = {value: name for name, value in AttributeProto.AttributeType.items()}

#: The types of the attributes the emitters read, for ops (or attributes)
#: that the installed onnx package has no schema for: newer opsets (Gelu,
#: Resize's antialias) and ops imported at an opset before they existed.
#: Names whose type differs between ops (value, min, max, scales, split,
#: shape) are left to the schemas.
_FALLBACK_TYPES = {
    "allowzero": AttributeProto.INT, "alpha": AttributeProto.FLOAT,
    "antialias": AttributeProto.INT, "approximate": AttributeProto.STRING,
    "auto_pad": AttributeProto.STRING, "axes": AttributeProto.INTS,
    "axis": AttributeProto.INT, "beta": AttributeProto.FLOAT,
    "ceil_mode": AttributeProto.INT, "coordinate_transformation_mode": AttributeProto.STRING,
    "count_include_pad": AttributeProto.INT, "cubic_coeff_a": AttributeProto.FLOAT,
    "dilations": AttributeProto.INTS, "end": AttributeProto.INT,
    "epsilon": AttributeProto.FLOAT, "equation": AttributeProto.STRING,
    "exclude_outside": AttributeProto.INT, "extrapolation_value": AttributeProto.FLOAT,
    "gamma": AttributeProto.FLOAT, "group": AttributeProto.INT,
    "keep_aspect_ratio_policy": AttributeProto.STRING, "keepdims": AttributeProto.INT,
    "kernel_shape": AttributeProto.INTS, "mode": AttributeProto.STRING,
    "nearest_mode": AttributeProto.STRING, "noop_with_empty_axes": AttributeProto.INT,
    "num_outputs": AttributeProto.INT, "output_padding": AttributeProto.INTS,
    "output_shape": AttributeProto.INTS, "pads": AttributeProto.INTS,
    "perm": AttributeProto.INTS, "saturate": AttributeProto.INT,
    "stash_type": AttributeProto.INT, "start": AttributeProto.INT,
    "storage_order": AttributeProto.INT, "strides": AttributeProto.INTS,
    "to": AttributeProto.INT, "training_mode": AttributeProto.INT,
    "transA": AttributeProto.INT, "transB": AttributeProto.INT,
}


#: Attribute types accepted where the operator declares another: integers
#: for floats (hand-written models say `scales=[1, 2]`; the value is exact).
_WIDENINGS = {(AttributeProto.INT, AttributeProto.FLOAT),
              (AttributeProto.INTS, AttributeProto.FLOATS)}


def default_opset(model: onnx.ModelProto) -> int:
    """The model's opset of the default ONNX domain, checked: listed at
    most once, and at least 1. IR version 3+ always lists it; older models
    mean opset 1."""
    versions = sorted({int(entry.version) for entry in model.opset_import
                       if entry.domain in ("", "ai.onnx")})
    if len(versions) > 1:
        raise OnnxImportError(f"the model imports the default ONNX domain at several opsets "
                              f"({versions}); keep one opset_import entry for it")
    if not versions:
        return 1
    if versions[0] < 1:
        raise OnnxImportError(f"the model imports the default ONNX domain at opset "
                              f"{versions[0]}; opset versions start at 1 (the model's "
                              "opset_import is corrupt)")
    return versions[0]


def _check_text(value, where: str) -> None:
    # protobuf hands back a string field that is not valid UTF-8 as bytes.
    if isinstance(value, bytes):
        raise OnnxImportError(f"{where} is not valid UTF-8 ({value!r}); the model is "
                              "corrupt")


def check_text(model: onnx.ModelProto) -> None:
    """Raises unless every name and string the importer reads is valid
    UTF-8 (a corrupt file can hold any bytes there, which protobuf returns
    as `bytes` instead of `str`)."""
    _check_text(model.producer_name, "the producer name")
    _check_text(model.producer_version, "the producer version")
    for entry in model.opset_import:
        _check_text(entry.domain, "an opset_import domain")
    for prop in model.metadata_props:
        _check_text(prop.key, "a metadata_props key")
        _check_text(prop.value, f"metadata_props['{prop.key}']")
    graph = model.graph
    _check_text(graph.name, "the graph's name")
    for index, init in enumerate(graph.initializer):
        _check_text(init.name, f"the name of initializer #{index}")
        for entry in init.external_data:
            _check_text(entry.key, f"an external_data key of initializer '{init.name}'")
            _check_text(entry.value, f"external_data['{entry.key}'] of initializer "
                                     f"'{init.name}'")
    for kind, values in (("graph input", graph.input), ("graph output", graph.output)):
        for index, value in enumerate(values):
            _check_text(value.name, f"the name of {kind} #{index}")
            if value.type.HasField("tensor_type"):
                for dim in value.type.tensor_type.shape.dim:
                    _check_text(dim.dim_param, f"a dimension name of {kind} '{value.name}'")
    for index, node in enumerate(graph.node):
        _check_text(node.name, f"the name of node #{index}")
        _check_text(node.op_type, f"the op type of node #{index}")
        label = describe_node(node, index)
        _check_text(node.domain, f"the domain of {label}")
        for name in node.input:
            _check_text(name, f"an input name of {label}")
        for name in node.output:
            _check_text(name, f"an output name of {label}")
        for attribute in node.attribute:
            _check_text(attribute.name, f"an attribute name of {label}")


def _node_error(node: onnx.NodeProto, index: int, detail: str) -> OnnxImportError:
    return OnnxImportError(f"{describe_node(node, index)}: {detail}", node.op_type,
                           node.name or f"#{index}")


def check_graph(graph: onnx.GraphProto) -> None:
    """Raises unless every value of `graph` is defined once (as a graph
    input, an initializer or a node output), every node reads only values
    defined before it (no cycles, topological order), and every graph
    output is defined."""
    defined: Dict[str, str] = {}
    for index, init in enumerate(graph.initializer):
        if not init.name:
            raise OnnxImportError(f"initializer #{index} has no name")
        if init.name in defined:
            raise OnnxImportError(f"initializer '{init.name}' is defined twice; initializer "
                                  "names must be unique")
        defined[init.name] = f"initializer '{init.name}'"
    inputs = set()
    for index, inp in enumerate(graph.input):
        if not inp.name:
            raise OnnxImportError(f"graph input #{index} has no name")
        if inp.name in inputs:
            raise OnnxImportError(f"graph input '{inp.name}' is listed twice")
        inputs.add(inp.name)
        # An initializer listed as an input too is the IR < 4 form (its
        # default value): one value, not two.
        defined.setdefault(inp.name, f"graph input '{inp.name}'")

    producer: Dict[str, int] = {}
    nodes = list(graph.node)
    for index, node in enumerate(nodes):
        for name in node.output:
            if not name:
                continue  # an optional output left out
            if name in defined:
                raise _node_error(node, index, f"output '{name}' is already defined by "
                                  f"{defined[name]}; every ONNX value must have one "
                                  "definition, so rename one of them")
            defined[name] = describe_node(node, index)
            producer[name] = index

    for index, node in enumerate(nodes):
        for name in node.input:
            if not name:
                continue  # an optional input left out
            if name not in defined:
                raise _node_error(node, index, f"uses value '{name}', which no node, "
                                  "initializer or graph input defines")
            later = producer.get(name)
            if later is not None and later >= index:
                raise _node_error(node, index, _ordering_problem(nodes, producer, index,
                                                                 later, name))

    for out in graph.output:
        if out.name not in defined:
            raise OnnxImportError(f"graph output '{out.name}' is not defined by any node, "
                                  "initializer or graph input")


def _ordering_problem(nodes: List[onnx.NodeProto], producer: Dict[str, int], reader: int,
                      writer: int, name: str) -> str:
    """Says why node `reader` may not read `name` of node `writer` (which
    comes at or after it): a cycle, or nodes out of topological order."""
    if reader == writer:
        return (f"reads its own output '{name}', a cycle, which ONNX graphs cannot have "
                "(only Loop and Scan bodies carry state)")
    cycle = _path(nodes, producer, writer, reader)
    if cycle is not None:
        chain = " -> ".join(describe_node(nodes[i], i) for i in [reader] + cycle)
        return (f"reads '{name}' of {describe_node(nodes[writer], writer)}, which depends on "
                f"this node in turn: the graph has a cycle ({chain}), which ONNX graphs "
                "cannot have")
    return (f"reads '{name}', which {describe_node(nodes[writer], writer)} defines later in "
            "the graph; ONNX requires the nodes in topological order, so move the node "
            "after the nodes whose outputs it reads")


def _path(nodes: List[onnx.NodeProto], producer: Dict[str, int], start: int,
          target: int) -> Optional[List[int]]:
    """A chain of node indices from `start` back through the producers of
    its inputs to `target` (start, ..., target), or None."""
    parents: Dict[int, int] = {start: start}
    stack = [start]
    while stack:
        current = stack.pop()
        if current == target:
            chain = [current]
            while chain[-1] != start:
                chain.append(parents[chain[-1]])
            return chain[::-1]
        for name in nodes[current].input:
            source = producer.get(name)
            if source is not None and source not in parents:
                parents[source] = current
                stack.append(source)
    return None


def _schema(op_type: str, opset: int) -> Optional[defs.OpSchema]:
    """ONNX's schema of `op_type` at `opset` (default domain), or None."""
    try:
        return defs.get_schema(op_type, opset, "")
    except Exception:  # SchemaError: no such op (at that opset)
        return None


def check_attributes(ctx: ImportContext) -> None:
    """Raises unless the current node's attributes are well formed: named,
    each once, of a known type, of the type the ONNX operator declares, and
    every attribute the operator requires (at the model's opset) present."""
    node = ctx.node
    assert node is not None
    schema = _schema(node.op_type, ctx.opset)
    # An op imported at an opset before it existed still has its
    # attributes' types checked, against its newest schema.
    typed = schema or _schema(node.op_type, defs.onnx_opset_version())
    seen = set()
    for attribute in node.attribute:
        name = attribute.name
        if not name:
            raise ctx.error("has an attribute with no name")
        if name in seen:
            raise ctx.error(f"attribute '{name}' is given twice")
        seen.add(name)
        kind = attribute.type
        if kind == AttributeProto.UNDEFINED or kind not in _ATTRIBUTE_TYPE_NAMES:
            raise ctx.error(f"attribute '{name}' has no valid type (AttributeProto.type is "
                            f"{kind}); the attribute is corrupt")
        expected = None
        if typed is not None and name in typed.attributes:
            expected = int(typed.attributes[name].type)
        elif name in _FALLBACK_TYPES:
            expected = _FALLBACK_TYPES[name]
        if expected is not None and kind != expected and (kind, expected) not in _WIDENINGS:
            raise ctx.error(f"attribute '{name}' is {_ATTRIBUTE_TYPE_NAMES[kind]}, but "
                            f"{node.op_type} takes {_ATTRIBUTE_TYPE_NAMES.get(expected)}")
    if schema is not None:
        for name, declared in sorted(schema.attributes.items()):
            if declared.required and name not in seen:
                raise ctx.error(f"the {name} attribute is missing ({node.op_type} requires "
                                f"it at opset {ctx.opset})")
