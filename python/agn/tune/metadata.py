"""Writing tuned policies into the ONNX model's metadata.

The policies go where `agn.training.export_onnx` puts learned ones and
the importer reads them (`agn.onnx.policy`, key `agn.policies`), keyed by
node name, so `agn.compile("tuned.onnx")` compiles every unit with its
tuned levels and thresholds. A unit with one level compiles without a
controller (a static unit; the runtime does not list it). Next to them,
key `agn.tune` records how they were made (JSON: kind, budget, predicted
mean bits, calibration calls), which the importer ignores.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Mapping, Optional

import onnx

from agn.onnx import UnitPolicy, read_policies, write_policies

#: The metadata_props key of the tuning record.
TUNE_KEY = "agn.tune"


def write(proto: onnx.ModelProto, policies: Mapping[str, UnitPolicy],
          record: Optional[Mapping[str, Any]] = None,
          path: Optional[str] = None) -> onnx.ModelProto:
    """A copy of `proto` holding `policies` (by node name) and the tuning
    `record`; saved to `path` when given."""
    out = onnx.ModelProto()
    out.CopyFrom(proto)
    nodes = {node.name for node in out.graph.node}
    unknown = sorted(set(policies) - nodes)
    if unknown:
        raise ValueError(f"policies name node(s) the graph lacks: {', '.join(unknown)}")
    write_policies(out, policies)
    kept = [p for p in out.metadata_props if p.key != TUNE_KEY]
    del out.metadata_props[:]
    out.metadata_props.extend(kept)
    if record is not None:
        entry = out.metadata_props.add()
        entry.key, entry.value = TUNE_KEY, json.dumps(dict(record), sort_keys=True, default=float)
    onnx.checker.check_model(out)
    if path is not None:
        onnx.save(out, os.fspath(path))
    return out


def read(proto: onnx.ModelProto) -> Dict[str, Any]:
    """The policies and the tuning record stored in `proto`:
    {"policies": {node: UnitPolicy}, "record": dict or None}."""
    record = None
    for prop in proto.metadata_props:
        if prop.key == TUNE_KEY:
            record = json.loads(prop.value)
    return {"policies": read_policies(proto), "record": record}
