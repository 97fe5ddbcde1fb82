"""agn controller policies stored in an ONNX model.

A model trained with `agn.training` carries its learned policies in the
ONNX model's `metadata_props` (which `onnx.checker` accepts and every ONNX
tool keeps): one entry, key `agn.policies`, whose value is JSON::

    {"version": 1,
     "units": {"<node name>": {"levels": ["i8", "f32"],
                               "thresholds": [0.31],
                               "hysteresis": 0.0,
                               "statistic": "variance"}}}

Keys of `units` are the names of the contraction nodes (MatMul, Gemm,
Conv). The importer attaches each policy to that node's contraction op as
`agn.policy = #agn.policy<...>`, next to `agn.name`, which agn-form-units
takes as the unit's name (and, for the policy, as the unit's controller
policy).
"""

from __future__ import annotations

import json
import re
from typing import Dict, Mapping

import onnx

from agn.onnx.context import OnnxImportError, UnitPolicy
from agn.runtime import known_levels

#: The metadata_props key holding the policies.
METADATA_KEY = "agn.policies"


def validate_policy(node: str, policy: UnitPolicy) -> None:
    """Raises OnnxImportError unless `policy` is well formed: known levels in
    increasing order, one fewer strictly increasing, finite, non-negative
    thresholds, hysteresis in [0, 1)."""
    where = f"agn policy of node '{node}'"
    # The runtime's levels (least to most precise) when agn is built; the
    # importer also runs without it.
    levels = known_levels()
    if not policy.levels:
        raise OnnxImportError(f"{where}: 'levels' is empty")
    for level in policy.levels:
        if level not in levels:
            raise OnnxImportError(f"{where}: unknown level '{level}' "
                                  f"(expected one of {', '.join(levels)})")
    order = [levels.index(level) for level in policy.levels]
    if order != sorted(set(order)):
        raise OnnxImportError(f"{where}: levels must be strictly increasing "
                              f"({' < '.join(levels)}), got {policy.levels}")
    if len(policy.thresholds) != len(policy.levels) - 1:
        raise OnnxImportError(f"{where}: {len(policy.levels)} levels need "
                              f"{len(policy.levels) - 1} thresholds, got "
                              f"{len(policy.thresholds)}")
    previous = -1.0
    for t in policy.thresholds:
        if not (t >= 0.0 and t < float("inf")) or t <= previous:
            raise OnnxImportError(f"{where}: thresholds must be finite, "
                                  f"non-negative and strictly increasing, got "
                                  f"{policy.thresholds}")
        previous = t
    if not 0.0 <= policy.hysteresis < 1.0:
        raise OnnxImportError(f"{where}: hysteresis must be in [0, 1), got "
                              f"{policy.hysteresis}")
    if policy.statistic not in ("variance", "abs_max"):
        raise OnnxImportError(f"{where}: statistic must be 'variance' or "
                              f"'abs_max', got '{policy.statistic}'")


def read_policies(model: onnx.ModelProto) -> Dict[str, UnitPolicy]:
    """Returns the policies stored in `model`, by node name ({} if none)."""
    for prop in model.metadata_props:
        if prop.key != METADATA_KEY:
            continue
        try:
            data = json.loads(prop.value)
            units = data["units"]
            policies = {
                str(node): UnitPolicy(
                    levels=[str(level) for level in entry["levels"]],
                    thresholds=[float(t) for t in entry.get("thresholds", [])],
                    hysteresis=float(entry.get("hysteresis", 0.0)),
                    statistic=str(entry.get("statistic", "variance")))
                for node, entry in units.items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise OnnxImportError(
                f"metadata '{METADATA_KEY}' is not valid agn policy JSON: {exc}") from exc
        for node, policy in policies.items():
            validate_policy(node, policy)
        return policies
    return {}


def write_policies(model: onnx.ModelProto, policies: Mapping[str, UnitPolicy]) -> None:
    """Stores `policies` (by node name) in `model`'s metadata, replacing any
    stored before."""
    for node, policy in policies.items():
        validate_policy(node, policy)
    kept = [p for p in model.metadata_props if p.key != METADATA_KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    payload = {
        "version": 1,
        "units": {node: {"levels": list(p.levels),
                         "thresholds": [float(t) for t in p.thresholds],
                         "hysteresis": float(p.hysteresis),
                         "statistic": p.statistic}
                  for node, p in policies.items()},
    }
    entry = model.metadata_props.add()
    entry.key = METADATA_KEY
    entry.value = json.dumps(payload, sort_keys=True)


def sanitize(text: str) -> str:
    """Keeps letters, digits, '_' and '.'; maps the rest to '_' and trims
    leading/trailing '_' (ONNX names such as "/fc1/Gemm" -> "fc1_Gemm")."""
    return re.sub(r"[^A-Za-z0-9_.]", "_", text).strip("_")


def unit_name(prefix: str, node: onnx.NodeProto, index: int) -> str:
    """The unit name for a contraction node: `<prefix>.<node name>` (or the
    op type and index when the node has no name). Unit names must be unique
    per process in the runtime, hence the model-name prefix."""
    base = sanitize(node.name) or f"{node.op_type.lower()}{index}"
    return f"{prefix}.{base}" if prefix else base
