"""agn policies in ONNX metadata, and their way into the imported IR."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from agn.onnx import (METADATA_KEY, OnnxImportError, UnitPolicy, import_onnx, read_policies,
                      write_policies)
from onnx_builders import single_node


def _model():
    return single_node("Gemm", {"x": np.zeros((1, 8), np.float32)}, {"transB": 1},
                       initializers={"w": np.ones((4, 8), np.float32),
                                     "b": np.zeros(4, np.float32)},
                       node_name="/fc/Gemm", output_shapes=[[1, 4]])


def test_roundtrip_and_checker():
    model = _model()
    policy = UnitPolicy(levels=["i4", "i8", "f32"], thresholds=[0.01, 0.25], hysteresis=0.1)
    write_policies(model, {"/fc/Gemm": policy})
    onnx.checker.check_model(model)
    again = onnx.load_from_string(model.SerializeToString())
    assert read_policies(again) == {"/fc/Gemm": policy}
    # Writing again replaces the entry.
    write_policies(again, {})
    assert [p.key for p in again.metadata_props].count(METADATA_KEY) == 1
    assert read_policies(again) == {}


def test_policy_reaches_the_contraction():
    model = _model()
    write_policies(model, {"/fc/Gemm": UnitPolicy(["i8", "f32"], [0.5])})
    text = import_onnx(model, name="net")
    line = next(l for l in text.splitlines() if "linalg.matmul" in l)
    assert 'agn.name = "net.fc_Gemm"' in line
    assert ("agn.policy = #agn.policy<statistic = variance, levels = [i8, f32], "
            "thresholds = [0.5]>") in line


@pytest.mark.parametrize("policy,message", [
    (UnitPolicy(["i8", "i4"], [0.1]), "strictly increasing"),
    (UnitPolicy(["i8", "f32"], [0.1, 0.2]), "need 1 thresholds"),
    (UnitPolicy(["i8", "f32"], [-1.0]), "non-negative"),
    (UnitPolicy(["i7", "f32"], [0.1]), "unknown level 'i7'"),
    (UnitPolicy(["i8", "f32"], [0.1], hysteresis=1.0), "hysteresis"),
])
def test_invalid_policies(policy, message):
    with pytest.raises(OnnxImportError, match=message):
        write_policies(_model(), {"n": policy})


def test_malformed_metadata():
    model = _model()
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, "{not json"
    with pytest.raises(OnnxImportError, match="not valid agn policy JSON"):
        import_onnx(model)


@pytest.mark.parametrize("a_shape,b_shape,op", [
    ((8, 4), (4, 3), "linalg.matmul"),
    ((2, 8, 4), (2, 4, 3), "linalg.batch_matmul"),
    # Attention's 4-D products (heads x tokens): a contraction linalg.generic.
    ((1, 4, 8, 8), (1, 4, 8, 8), "linalg.generic"),
    ((1, 4, 8, 8), (4, 8, 8), "linalg.generic"),
])
def test_every_contraction_is_named(a_shape, b_shape, op):
    """Every contraction carries its unit's name with the model's prefix:
    agn-form-units otherwise names it after the function (`main.u0`), which
    collides between models in one process and escapes pinning by prefix."""
    model = single_node("MatMul", {"a": np.zeros(a_shape, np.float32),
                                   "b": np.zeros(b_shape, np.float32)},
                        node_name="/attn/MatMul")
    text = import_onnx(model, name="net")
    assert any(op in line and 'agn.name = "net.attn_MatMul"' in line
               for line in text.splitlines()), text
