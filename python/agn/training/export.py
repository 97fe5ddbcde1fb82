"""Export a model with Granularity Unit layers to ONNX with its policies.

The graph is the plain f32 model (GU layers export as ordinary Conv / Gemm
nodes); each unit's learned controller goes into the model's metadata as
an agn policy (`agn.onnx.policy`, key `agn.policies`) under the name of the
node it became. `agn.import_onnx` attaches it to that node's contraction as
`agn.policy`, and agn compiles the unit with it.
"""

from __future__ import annotations

import io
import os
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Tuple, Union

import onnx
import torch
from torch import nn

from agn.onnx.context import UnitPolicy
from agn.onnx.policy import write_policies
from agn.training.layers import GranularityUnit, units

CONTRACTION_OPS = ("Conv", "Gemm", "MatMul")


def unit_policy(unit: GranularityUnit) -> UnitPolicy:
    """The agn policy of one unit's controller."""
    return UnitPolicy(levels=list(unit.controller.levels),
                      thresholds=unit.controller.thresholds(), hysteresis=0.0,
                      statistic="variance")


def policies(model: nn.Module) -> Dict[str, UnitPolicy]:
    """The policy of every unit, by module name."""
    return {name: unit_policy(unit) for name, unit in units(model)}


@contextmanager
def plain_layers(model: nn.Module) -> Iterator[List[GranularityUnit]]:
    """Runs the units as plain f32 layers inside the block and records the
    order in which they are called."""
    calls: List[GranularityUnit] = []
    saved = [(unit, unit.adaptive) for _, unit in units(model)]
    hooks = [unit.register_forward_hook(lambda m, i, o: calls.append(m)) for unit, _ in saved]
    for unit, _ in saved:
        unit.adaptive = False
    try:
        yield calls
    finally:
        for hook in hooks:
            hook.remove()
        for unit, adaptive in saved:
            unit.adaptive = adaptive


def _match_units(model: nn.Module, nodes: List[onnx.NodeProto],
                 calls: List[GranularityUnit]) -> List[Tuple[onnx.NodeProto, GranularityUnit]]:
    """Which unit each contraction node came from: by the weight's
    initializer name (PyTorch names it after the parameter,
    `<module>.weight`), else by call order."""
    by_weight = {f"{name}.weight": unit for name, unit in units(model)}
    matched = {id(node): by_weight[node.input[1]] for node in nodes
               if len(node.input) > 1 and node.input[1] in by_weight}
    if len(matched) == len(by_weight):
        return [(node, matched[id(node)]) for node in nodes if id(node) in matched]
    # Tracing runs the model more than once; the first pass is the graph's
    # order.
    order: List[GranularityUnit] = []
    for unit in calls:
        if unit in order:
            break
        order.append(unit)
    if len(nodes) != len(order):
        raise RuntimeError(f"the model called {len(order)} Granularity Unit(s) but the ONNX "
                           f"graph has {len(nodes)} contraction node(s); cannot attach the "
                           "policies")
    return list(zip(nodes, order))


def export_onnx(model: nn.Module, example_input: torch.Tensor,
                path: Optional[Union[str, "os.PathLike[str]"]] = None, *,
                input_name: str = "x", output_name: str = "y", opset: int = 13,
                graph_name: Optional[str] = None) -> onnx.ModelProto:
    """Exports `model` (traced on `example_input`, whose shape the graph
    keeps) to ONNX with each unit's policy in the metadata; writes it to
    `path` when given and returns the ModelProto.

    Raises RuntimeError when the units' calls cannot be matched one to one
    with the graph's contraction nodes (a unit called twice, or a
    contraction PyTorch fused away).
    """
    was_training = model.training
    model.eval()
    buffer = io.BytesIO()
    try:
        with plain_layers(model) as calls, torch.no_grad():
            torch.onnx.export(model, example_input, buffer, opset_version=opset,
                              input_names=[input_name], output_names=[output_name],
                              do_constant_folding=True)
    finally:
        model.train(was_training)
    proto = onnx.load_from_string(buffer.getvalue())
    if graph_name:
        proto.graph.name = graph_name
    nodes = [node for node in proto.graph.node if node.op_type in CONTRACTION_OPS]
    for index, node in enumerate(nodes):
        if not node.name:
            node.name = f"{node.op_type.lower()}{index}"
    write_policies(proto, {node.name: unit_policy(unit)
                           for node, unit in _match_units(model, nodes, calls)})
    onnx.checker.check_model(proto)
    if path is not None:
        onnx.save(proto, os.fspath(path))
    return proto
