"""The importer's errors and its handling of shapes, names and the command
line."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import agn
from agn.onnx import ImportOptions, OnnxImportError, import_model, import_onnx, supported_ops
from conftest import PYTHON_DIR, agn_opt_path, requires_agn_opt
from onnx_builders import graph_model, single_node

X = np.zeros((2, 3), np.float32)


def test_unsupported_op_names_op_and_node():
    model = single_node("NonMaxSuppression", {"x": X}, node_name="mix/nms")
    with pytest.raises(OnnxImportError) as info:
        import_onnx(model)
    message = str(info.value)
    assert "NonMaxSuppression node 'mix/nms'" in message and "not supported" in message
    assert info.value.op_type == "NonMaxSuppression" and info.value.node_name == "mix/nms"


def test_unnamed_node_is_named_by_index():
    model = single_node("NonMaxSuppression", {"x": X}, node_name="")
    with pytest.raises(OnnxImportError, match=r"NonMaxSuppression node #0"):
        import_onnx(model)


def test_unsupported_attribute_value():
    model = single_node("Conv", {"x": np.zeros((1, 1, 4, 4), np.float32)},
                        {"auto_pad": "BOGUS"},
                        initializers={"w": np.zeros((1, 1, 3, 3), np.float32)},
                        node_name="c1")
    with pytest.raises(OnnxImportError, match=r"Conv node 'c1': auto_pad 'BOGUS'"):
        import_onnx(model)


def test_unknown_attribute():
    model = single_node("Relu", {"x": X}, {"mystery": 1}, node_name="r")
    with pytest.raises(OnnxImportError, match=r"Relu node 'r': attribute 'mystery'"):
        import_onnx(model)


def test_batchnorm_training_mode_is_refused():
    x = np.zeros((2, 3, 4), np.float32)
    params = {k: np.ones(3, np.float32) for k in ("s", "b", "m", "v")}
    model = single_node("BatchNormalization", {"x": x}, {"training_mode": 1},
                        initializers=params, node_name="bn")
    with pytest.raises(OnnxImportError, match="training mode"):
        import_onnx(model)


def test_reshape_needs_constant_shape_unless_bound():
    model = single_node("Reshape", {"x": X, "shape": np.array([3, 2], np.int64)},
                        node_name="rs")
    with pytest.raises(OnnxImportError, match=r"Reshape node 'rs': the target shape .* "
                                              r"must be a constant"):
        import_onnx(model)
    text = import_onnx(model, static_inputs={"shape": np.array([3, 2], np.int64)})
    assert "tensor<3x2xf32>" in text and "%arg1" not in text


def test_symbolic_dimensions():
    model = graph_model([helper.make_node("Relu", ["x"], ["y"])],
                        {"x": (["batch", 4], TensorProto.FLOAT)}, ["y"])
    assert "tensor<1x4xf32>" in import_onnx(model)
    assert "tensor<8x4xf32>" in import_onnx(model, dim_values={"batch": 8})
    assert "tensor<5x4xf32>" in import_onnx(model, input_shapes={"x": [5, 4]})
    with pytest.raises(OnnxImportError, match="dimension 0 is 'batch'"):
        import_onnx(model, default_dim=None)


def test_unknown_input_name_in_options():
    model = single_node("Relu", {"x": X})
    with pytest.raises(OnnxImportError, match="no graph input named"):
        import_onnx(model, input_shapes={"nope": [1]})


def test_non_tensor_input():
    seq = helper.make_tensor_sequence_value_info("s", TensorProto.FLOAT, [2])
    graph = helper.make_graph([helper.make_node("Identity", ["s"], ["y"])], "g", [seq],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    with pytest.raises(OnnxImportError, match="'s' is not a tensor"):
        import_onnx(helper.make_model(graph))


def test_missing_file():
    with pytest.raises(OnnxImportError, match="no such file"):
        import_onnx("/nonexistent/model.onnx")


def test_signature_and_unit_names():
    model = single_node("MatMul", {"a": X}, initializers={"w": np.ones((3, 4), np.float32)},
                        node_name="/fc1/MatMul")
    model.graph.name = "net"
    imported = import_model(model)
    assert imported.input_names == ["a"] and imported.input_shapes == [(2, 3)]
    assert imported.output_shapes == [(2, 4)]
    assert 'agn.name = "net.fc1_MatMul"' in imported.mlir
    assert "func.func @main(" in imported.mlir
    other = import_model(model, ImportOptions(name="m2", entry="forward"))
    assert 'agn.name = "m2.fc1_MatMul"' in other.mlir and "@forward(" in other.mlir


def test_supported_ops_cover_the_issue_list():
    from agn.testing.conformance import OPS

    assert set(OPS) <= set(supported_ops())


@requires_agn_opt
def test_imported_module_verifies_with_agn_opt(tmp_path):
    model = single_node("Conv", {"x": np.zeros((1, 2, 5, 5), np.float32)},
                        {"pads": [1, 1, 1, 1], "group": 2},
                        initializers={"w": np.ones((4, 1, 3, 3), np.float32),
                                      "b": np.ones(4, np.float32)})
    path = tmp_path / "m.mlir"
    path.write_text(import_onnx(model))
    proc = subprocess.run([agn_opt_path(), str(path), "-o", os.devnull], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr


def _cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    return subprocess.run([sys.executable, "-m", "agn.onnx", *args], capture_output=True,
                          text=True, env=env, cwd=cwd)


def test_command_line(tmp_path):
    model = single_node("Relu", {"x": X})
    onnx.save(model, tmp_path / "m.onnx")
    proc = _cli(str(tmp_path / "m.onnx"), "-o", str(tmp_path / "m.mlir"))
    assert proc.returncode == 0, proc.stderr
    assert "func.func @main" in (tmp_path / "m.mlir").read_text()
    proc = _cli(str(tmp_path / "m.onnx"), "--input-shape", "x=5x3")
    assert proc.returncode == 0 and "tensor<5x3xf32>" in proc.stdout


def test_command_line_error(tmp_path):
    onnx.save(single_node("NonMaxSuppression", {"x": X}, node_name="e1"), tmp_path / "bad.onnx")
    proc = _cli(str(tmp_path / "bad.onnx"), "-o", str(tmp_path / "bad.mlir"))
    assert proc.returncode == 1
    assert "agn.onnx: error: NonMaxSuppression node 'e1'" in proc.stderr
    assert not (tmp_path / "bad.mlir").exists()


def test_package_level_import_onnx():
    assert agn.import_onnx(single_node("Relu", {"x": X})).startswith("// Imported from ONNX")
