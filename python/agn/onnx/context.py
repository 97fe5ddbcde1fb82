"""The importer's state while it walks one ONNX graph: the value table, the
function being written, the node being imported, and the error type.

Every ONNX value (graph input, initializer, node output) becomes a `Value`:
its static shape and dtype, and either an SSA name in the function or a
NumPy constant (initializers, Constant nodes, inputs bound with
`static_inputs`). Constants are written into the function only when an op
needs them as a tensor operand, so shape operands (Reshape's `shape`) never
appear in the IR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import onnx
from onnx import helper

from agn.onnx.limits import shape_problem
from agn.onnx.mlir_text import ElementKind, FunctionBuilder, tensor_type

Shape = Tuple[int, ...]


class OnnxImportError(Exception):
    """An ONNX model (or one of its nodes) that the importer cannot take.

    The message names the op type, the node and what is not supported.
    `op_type` and `node_name` are set when the error concerns one node.
    """

    def __init__(self, message: str, op_type: Optional[str] = None,
                 node_name: Optional[str] = None) -> None:
        super().__init__(message)
        self.op_type = op_type
        self.node_name = node_name


def describe_node(node: onnx.NodeProto, index: int) -> str:
    """`Conv node 'conv1'`, or `Conv node #3` for an unnamed node."""
    name = f"'{node.name}'" if node.name else f"#{index}"
    return f"{node.op_type} node {name}"


@dataclass
class Value:
    """One ONNX value: static shape, dtype, and its SSA name or constant."""

    name: str
    shape: Shape
    dtype: np.dtype
    ssa: Optional[str] = None
    const: Optional[np.ndarray] = None

    @property
    def type(self) -> str:
        """The MLIR tensor type."""
        return tensor_type(self.shape, self.dtype)

    @property
    def rank(self) -> int:
        """The number of dimensions."""
        return len(self.shape)

    @property
    def kind(self) -> ElementKind:
        """How arithmetic on the element type is spelled."""
        return ElementKind(self.dtype)


@dataclass
class UnitPolicy:
    """A learned or calibrated controller policy for one contraction node,
    as stored in the ONNX model's `agn.policies` metadata (see
    `agn.onnx.policy`)."""

    levels: List[str]
    thresholds: List[float]
    hysteresis: float = 0.0
    statistic: str = "variance"

    def to_mlir(self) -> str:
        """The `#agn.policy<...>` attribute text."""
        levels = ", ".join(self.levels)
        thresholds = ", ".join(repr(float(t)) for t in self.thresholds)
        text = (f"#agn.policy<statistic = {self.statistic}, levels = [{levels}], "
                f"thresholds = [{thresholds}]")
        if self.hysteresis:
            text += f", hysteresis = {float(self.hysteresis)!r}"
        return text + ">"


@dataclass
class ImportContext:
    """Everything the per-op emitters need."""

    fb: FunctionBuilder
    opset: int
    unit_prefix: str = ""
    policies: Dict[str, UnitPolicy] = field(default_factory=dict)
    values: Dict[str, Value] = field(default_factory=dict)
    node: Optional[onnx.NodeProto] = None
    node_index: int = 0
    #: The constants written into the function so far, in order (see `ssa`).
    written_constants: List[Value] = field(default_factory=list)

    # -- Errors ------------------------------------------------------------

    def node_label(self) -> str:
        """`Conv node 'conv1'` (or `Conv node #3` when it has no name)."""
        if self.node is None:
            return "the graph"
        return describe_node(self.node, self.node_index)

    def error(self, detail: str) -> OnnxImportError:
        """Returns an error about the current node: `<op> node '<name>': detail`."""
        op_type = self.node.op_type if self.node is not None else None
        name = (self.node.name or f"#{self.node_index}") if self.node is not None else None
        return OnnxImportError(f"{self.node_label()}: {detail}", op_type, name)

    # -- Attributes --------------------------------------------------------

    def attr(self, name: str, default: Any = None) -> Any:
        """The value of the current node's attribute `name` (bytes decoded to
        str), or `default`."""
        assert self.node is not None
        for attribute in self.node.attribute:
            if attribute.name == name:
                value = helper.get_attribute_value(attribute)
                try:
                    if isinstance(value, bytes):
                        return value.decode("utf-8")
                    if isinstance(value, list) and value and isinstance(value[0], bytes):
                        return [v.decode("utf-8") for v in value]
                except UnicodeDecodeError:
                    raise self.error(f"attribute '{name}' is not valid UTF-8 text")
                return value
        return default

    def check_attrs(self, known: Sequence[str]) -> None:
        """Raises for any attribute of the current node not in `known`."""
        assert self.node is not None
        for attribute in self.node.attribute:
            if attribute.name not in known:
                raise self.error(f"attribute '{attribute.name}' is not supported")

    # -- Values ------------------------------------------------------------

    def input(self, index: int) -> Value:
        """The current node's input `index` (which must be present)."""
        assert self.node is not None
        if index >= len(self.node.input) or not self.node.input[index]:
            raise self.error(f"input #{index} is required")
        return self.get(self.node.input[index])

    def optional_input(self, index: int) -> Optional[Value]:
        """The current node's input `index`, or None when absent."""
        assert self.node is not None
        if index >= len(self.node.input) or not self.node.input[index]:
            return None
        return self.get(self.node.input[index])

    def get(self, name: str) -> Value:
        """The value called `name`."""
        if name not in self.values:
            raise self.error(f"uses value '{name}', which no earlier node, "
                             "initializer or graph input defines")
        return self.values[name]

    def constant_input(self, index: int, what: str) -> np.ndarray:
        """The current node's input `index` as a NumPy array; it must be a
        constant (initializer, Constant node or bound input)."""
        value = self.input(index)
        if value.const is None:
            raise self.error(
                f"{what} (input '{value.name}') must be a constant: an "
                "initializer, a Constant node, or a graph input bound with "
                "static_inputs=")
        return value.const

    def constant_ints(self, index: int, what: str) -> List[int]:
        """The current node's input `index`, a constant of integers (a
        shape, axes, pads, ...), flattened to Python ints. ONNX types these
        int64; floats are taken when they hold whole numbers."""
        array = self.constant_input(index, what).reshape(-1)
        if array.dtype.kind == "f" and not np.all(np.isfinite(array) &
                                                  (array == np.round(array))):
            name = self.node.input[index]
            raise self.error(f"{what} (input '{name}') must hold integers, got "
                             f"{array[:8].tolist()}{' ...' if array.size > 8 else ''}")
        if array.dtype.kind not in "fiub":
            raise self.error(f"{what} (input '{self.node.input[index]}') must hold "
                             f"integers, not {array.dtype}")
        return [int(v) for v in array]

    def ssa(self, value: Value) -> str:
        """The SSA name of `value`, writing its constant first if needed."""
        if value.ssa is None:
            assert value.const is not None
            value.ssa = self.fb.constant_tensor(value.const, hint="cst")
            self.written_constants.append(value)
        return value.ssa

    def define(self, index: int, shape: Sequence[int], dtype: np.dtype,
               ssa: Optional[str] = None,
               const: Optional[np.ndarray] = None) -> Value:
        """Defines the current node's output `index`."""
        assert self.node is not None
        shape = tuple(int(d) for d in shape)
        name = self.node.output[index] if index < len(self.node.output) else ""
        # Shapes come from attributes and constants a corrupt model can set
        # to anything; a huge or negative one is refused here, once for
        # every op.
        problem = shape_problem(shape)
        if problem:
            label = f"'{name}'" if name else f"#{index}"
            raise self.error(f"output {label} would have shape {list(shape)}: {problem}")
        if not name:
            # An unused optional output: nothing to record.
            return Value("", shape, np.dtype(dtype), ssa, const)
        value = Value(name, shape, np.dtype(dtype), ssa, const)
        self.values[name] = value
        return value

    def define_const(self, index: int, array: np.ndarray) -> Value:
        """Defines output `index` as a constant (folded at import time)."""
        array = np.asarray(array)
        return self.define(index, array.shape, array.dtype, const=array)

    def num_outputs(self) -> int:
        """The number of present outputs of the current node."""
        assert self.node is not None
        return sum(1 for o in self.node.output if o)

    # -- Units -------------------------------------------------------------

    def unit_attribute_entries(self) -> List[str]:
        """The `agn.name = ...` and `agn.policy = ...` attribute entries for
        the current node's contraction op."""
        from agn.onnx.policy import unit_name  # local: avoids an import cycle
        from agn.onnx.mlir_text import string_literal

        assert self.node is not None
        name = unit_name(self.unit_prefix, self.node, self.node_index)
        entries = [f"agn.name = {string_literal(name)}"]
        policy = self.policies.get(self.node.name)
        if policy is not None:
            entries.append(f"agn.policy = {policy.to_mlir()}")
        return entries
