"""The ONNX importer under fuzzing (issue 14): mutated models through
`agn.import_onnx` and `agn.compile` end in OnnxImportError or CompileError
with a message, or succeed; never another exception, a crash, a hang or an
allocation of a claimed huge size.

Two parts:

- a seeded campaign of random mutations (`agn.testing.onnx_mutator`): byte
  level (bit flips, truncation, inserted bytes) and structure aware (dims
  that lie, huge or negative dimensions, wrong element types, deleted
  initializers, dangling names, cycles, duplicate names, attributes of the
  wrong type or missing, empty graphs, absurd opsets), run by
  `agn.testing.onnx_fuzz`. AGN_FUZZ_CASES=N and AGN_FUZZ_SEED=S run a
  longer or another campaign, e.g.

      AGN_FUZZ_CASES=20000 AGN_FUZZ_SEED=7 python3 -m pytest \\
          python/tests/test_importer_fuzz.py -k campaign

  and a failure names its case, which `python3 -m agn.testing.onnx_fuzz
  --seed S --index I --save case.onnx` writes out;
- every finding of past campaigns, as a named, small structure-level
  mutation with the error it must now give.

Every case runs in a child process (several per child) under a memory
limit and a timeout, so that a crash or a hang fails the test instead of
killing pytest.
"""

from __future__ import annotations

import os
from typing import Callable, Dict, List, Optional, Tuple, Union

import numpy as np
import onnx
import pytest
from onnx import AttributeProto, TensorProto, helper, numpy_helper

from agn.testing import onnx_fuzz as fuzz
from agn.testing.onnx_mutator import make_case, seed_models
from conftest import compiler_available

SEED = int(os.environ.get("AGN_FUZZ_SEED", "14"))
CASES = int(os.environ.get("AGN_FUZZ_CASES", "1200"))


def _reproduce(seed: int, index: int) -> str:
    return (f"python3 -m agn.testing.onnx_fuzz --seed {seed} --index {index} "
            f"--save case{index}.onnx")


def test_campaign(tmp_path):
    """CASES random mutations of the seed models, none of which may fail."""
    cases = [make_case(SEED, i) for i in range(CASES)]
    results = fuzz.run_cases([(c.index, c.data) for c in cases], str(tmp_path),
                             compile_too=compiler_available())
    assert len(results) == len(cases)
    failures = [r for r in results.values() if r.failed]
    report = "\n\n".join(
        f"case {r.index} ({cases[r.index].description}): {r.error_type} during {r.stage or '?'}"
        f"\n  reproduce: {_reproduce(SEED, r.index)}\n{r.message}"
        for r in sorted(failures, key=lambda r: r.index)[:10])
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n\n{report}"
    # The campaign must reach past the parser: some models still import.
    counts = fuzz.summarize(results)
    assert counts.get(fuzz.IMPORT_ERROR, 0) > 0 and counts.get(fuzz.OK, 0) > 0, counts


# ---------------------------------------------------------------------------
# Regressions: each finding of the campaigns, as a small named mutation
# ---------------------------------------------------------------------------

Mutated = Union[onnx.ModelProto, bytes]


def _seed(name: str) -> onnx.ModelProto:
    model = onnx.ModelProto()
    model.CopyFrom(seed_models()[name])
    return model


def _init(model: onnx.ModelProto, name: str) -> TensorProto:
    return next(t for t in model.graph.initializer if t.name == name)


def _node(model: onnx.ModelProto, name: str) -> onnx.NodeProto:
    return next(n for n in model.graph.node if n.name == name)


def _set_attribute(node: onnx.NodeProto, attribute: AttributeProto) -> None:
    kept = [a for a in node.attribute if a.name != attribute.name]
    del node.attribute[:]
    node.attribute.extend(kept + [attribute])


def _input_dim(model: onnx.ModelProto, name: str, index: int, value: int) -> onnx.ModelProto:
    inp = next(i for i in model.graph.input if i.name == name)
    inp.type.tensor_type.shape.dim[index].dim_value = value
    return model


def dims_lie() -> Mutated:
    """Conv weights whose dims claim more elements than raw_data holds
    (was: numpy's ValueError 'cannot reshape array')."""
    model = _seed("conv_relu_gemm")
    _init(model, "w").dims[3] = 9
    return model


def huge_initializer_dim() -> Mutated:
    """An initializer claiming 2**40 elements (must not allocate them)."""
    model = _seed("matmul")
    del _init(model, "bias").dims[:]
    _init(model, "bias").dims.extend([2 ** 40])
    return model


def negative_initializer_dim() -> Mutated:
    model = _seed("matmul")
    _init(model, "bias").dims[0] = -5
    return model


def typed_data_count() -> Mutated:
    """Values in float_data that do not match the dims (was: ValueError)."""
    model = _seed("conv_relu_gemm")
    t = _init(model, "b")
    t.ClearField("raw_data")
    t.float_data.extend([1.0, 2.0])
    return model


def data_in_wrong_field() -> Mutated:
    model = _seed("conv_relu_gemm")
    t = _init(model, "b")
    t.ClearField("raw_data")
    t.int64_data.extend([1, 2, 3, 4])
    return model


def undefined_elem_type() -> Mutated:
    """data_type 0 (was: onnx's TypeError)."""
    model = _seed("matmul")
    _init(model, "bias").data_type = TensorProto.UNDEFINED
    return model


def unknown_elem_type() -> Mutated:
    """data_type -1 (was: KeyError: -1)."""
    model = _seed("matmul")
    _init(model, "bias").data_type = -1
    return model


def string_initializer() -> Mutated:
    model = _seed("matmul")
    _init(model, "bias").data_type = TensorProto.STRING
    return model


def segment_initializer() -> Mutated:
    """A tensor segment (was: onnx's ValueError)."""
    model = _seed("matmul")
    _init(model, "bias").segment.end = 1
    return model


def external_missing_file() -> Mutated:
    model = _seed("matmul")
    t = _init(model, "bias")
    t.data_location = TensorProto.EXTERNAL
    t.external_data.add(key="location", value="missing.bin")
    return model


def external_outside_model_dir() -> Mutated:
    model = _seed("matmul")
    t = _init(model, "bias")
    t.data_location = TensorProto.EXTERNAL
    t.external_data.add(key="location", value="../../../../etc/passwd")
    return model


def external_bad_offset() -> Mutated:
    """An offset that is not a number (was: ValueError from int())."""
    model = _seed("matmul")
    t = _init(model, "bias")
    t.data_location = TensorProto.EXTERNAL
    t.external_data.add(key="location", value="0.onnx")  # the case file itself
    t.external_data.add(key="offset", value="abc")
    return model


def deleted_initializer() -> Mutated:
    model = _seed("conv_relu_gemm")
    kept = [t for t in model.graph.initializer if t.name != "fc_w"]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    return model


def duplicate_initializer() -> Mutated:
    model = _seed("matmul")
    model.graph.initializer.add().CopyFrom(_init(model, "bias"))
    return model


def renamed_input() -> Mutated:
    model = _seed("conv_relu_gemm")
    model.graph.input[0].name = "x_renamed"
    return model


def huge_input_dim() -> Mutated:
    return _input_dim(_seed("conv_relu_gemm"), "x", 0, 2 ** 40)


def negative_input_dim() -> Mutated:
    return _input_dim(_seed("conv_relu_gemm"), "x", 1, -3)


def cycle() -> Mutated:
    """relu1 reads the output of flat, which depends on relu1."""
    model = _seed("conv_relu_gemm")
    _node(model, "relu1").input[0] = "f"
    return model


def self_loop() -> Mutated:
    model = _seed("matmul")
    _node(model, "tanh").input[0] = "t"
    return model


def out_of_order() -> Mutated:
    model = _seed("matmul")
    nodes = list(model.graph.node)
    del model.graph.node[:]
    model.graph.node.extend(nodes[::-1])
    return model


def duplicate_output_name() -> Mutated:
    model = _seed("matmul")
    _node(model, "tanh").output[0] = "m"
    return model


def dangling_graph_output() -> Mutated:
    model = _seed("matmul")
    model.graph.output[0].name = "nowhere"
    return model


def attribute_ints_for_int() -> Mutated:
    """axis given as INTS (was: TypeError from int(list))."""
    model = _seed("gather_constant")
    _set_attribute(_node(model, "embed"), helper.make_attribute("axis", [0, 1]))
    return model


def attribute_graph_for_float() -> Mutated:
    """alpha given as a GRAPH (was: TypeError from float(GraphProto))."""
    model = _seed("conv_relu_gemm")
    _set_attribute(_node(model, "fc"), helper.make_attribute(
        "alpha", helper.make_graph([], "sub", [], [])))
    return model


def attribute_without_type() -> Mutated:
    model = _seed("conv_relu_gemm")
    _set_attribute(_node(model, "flat"), AttributeProto(name="axis"))
    return model


def attribute_not_utf8() -> Mutated:
    model = _seed("resize_pad_split")
    _set_attribute(_node(model, "pad"), helper.make_attribute("mode", b"\xff\xfe"))
    return model


def missing_required_attribute() -> Mutated:
    model = _seed("conv_relu_gemm")
    pool = _node(model, "pool1")
    kept = [a for a in pool.attribute if a.name != "kernel_shape"]
    del pool.attribute[:]
    pool.attribute.extend(kept)
    return model


def opset_zero() -> Mutated:
    model = _seed("matmul")
    model.opset_import[0].version = 0
    return model


def opset_twice() -> Mutated:
    model = _seed("matmul")
    model.opset_import.add().CopyFrom(helper.make_opsetid("", 7))
    return model


def opset_999() -> Mutated:
    model = _seed("matmul")
    model.opset_import[0].version = 999
    return model


def empty_graph() -> Mutated:
    model = _seed("matmul")
    del model.graph.node[:]
    del model.graph.output[:]
    return model


def name_not_utf8() -> Mutated:
    """A node name that is not UTF-8, which protobuf returns as bytes (was:
    TypeError in the unit name)."""
    data = _seed("matmul").SerializeToString()
    # NodeProto's name is field 3: tag 0x1A, then the length.
    return data.replace(b"\x1a\x02mm", b"\x1a\x02\xff\xfe", 1)


def name_with_nul() -> Mutated:
    """A node name holding NUL, which ended the MLIR comment naming the node
    (was: CompileError 'expected operation name in quotes')."""
    model = _seed("conv_relu_gemm")
    _node(model, "flat").name = "fl\x00at"
    return model


def zero_size_batch_matmul() -> Mutated:
    """A zero-size input through MatMul: the batch_matmul over an empty
    dimension crashed agn's compiler (SIGSEGV; now nothing is computed for
    an empty result)."""
    return _input_dim(_seed("matmul"), "x", 1, 0)


def zero_size_conv() -> Mutated:
    """A zero batch through Conv's padding (was: CompileError 'offset 0 is
    out-of-bounds')."""
    return _input_dim(_seed("conv_relu_gemm"), "x", 0, 0)


def zero_size_split() -> Mutated:
    return _input_dim(_seed("resize_pad_split"), "x", 1, 0)


def zero_size_conv_transpose() -> Mutated:
    return _input_dim(_seed("convtranspose_logic"), "x", 0, 0)


def huge_constant_of_shape() -> Mutated:
    """ConstantOfShape of 2**40 elements (must not be built)."""
    model = _seed("shape_arith")
    _init(model, "cshape").CopyFrom(numpy_helper.from_array(
        np.array([2 ** 20, 2 ** 20], np.int64), "cshape"))
    return model


def large_folded_expand() -> Mutated:
    """An Expand of a constant to 3 * 2**30 elements: written as IR rather
    than built at import time (12 GiB)."""
    model = _seed("shape_arith")
    _init(model, "eshape").CopyFrom(numpy_helper.from_array(
        np.array([2 ** 28, 12], np.int64), "eshape"))
    kept = [n for n in model.graph.node if n.name not in ("add", "mul", "tile")]
    del model.graph.node[:]
    model.graph.node.extend(kept)
    del model.graph.output[:]
    model.graph.output.add().name = "e"
    return model


def huge_reshape_target() -> Mutated:
    """A Reshape target whose product wraps around int64 (to 0)."""
    model = _seed("reshape_concat_slice")
    _init(model, "shape").CopyFrom(numpy_helper.from_array(
        np.array([2 ** 62, 2 ** 62], np.int64), "shape"))
    return model


def split_without_outputs() -> Mutated:
    """Split with no outputs (a division by zero)."""
    model = _seed("resize_pad_split")
    split = _node(model, "split")
    del split.output[:]
    sig = _node(model, "sig")
    sig.input[0] = "pd"
    rsum = _node(model, "rsum")
    rsum.input[0] = "pd"
    return model


def resize_infinite_scale() -> Mutated:
    model = _seed("resize_pad_split")
    _init(model, "scales").CopyFrom(numpy_helper.from_array(
        np.array([1, 1, np.inf, 1], np.float32), "scales"))
    return model


def resize_huge_scale() -> Mutated:
    """A scale that would make the importer work out a 10**9-entry table."""
    model = _seed("resize_pad_split")
    _init(model, "scales").CopyFrom(numpy_helper.from_array(
        np.array([1, 1, 1e9, 1], np.float32), "scales"))
    return model


def resize_nan_cubic_coefficient() -> Mutated:
    model = _seed("resize_pad_split")
    resize = _node(model, "resize")
    _set_attribute(resize, helper.make_attribute("mode", "cubic"))
    _set_attribute(resize, helper.make_attribute("cubic_coeff_a", float("nan")))
    return model


def pool_huge_pads() -> Mutated:
    """AveragePool with pads of 2**31: the window-count table must not be
    built."""
    model = _seed("pool_norm")
    _set_attribute(_node(model, "avg"), helper.make_attribute("pads", [2 ** 31] * 4))
    return model


def integer_pad_infinite_value() -> Mutated:
    """An integer tensor padded with +inf (was: OverflowError)."""
    model = _seed("reshape_concat_slice")
    model.graph.node.add().CopyFrom(helper.make_node("Pad", ["shape", "pp", "pv"], ["padded"],
                                                     name="ipad"))
    model.graph.initializer.extend([
        numpy_helper.from_array(np.array([1, 1], np.int64), "pp"),
        numpy_helper.from_array(np.array(np.inf), "pv")])
    model.graph.output.add().name = "padded"
    return model


def integer_clip_infinite_bound() -> Mutated:
    """Clip (opset 8) of integers with an infinite bound (was: OverflowError)."""
    model = _seed("legacy_opset")
    model.graph.node.add().CopyFrom(helper.make_node("Cast", ["y"], ["yi"], name="toint",
                                                     to=TensorProto.INT32))
    model.graph.node.add().CopyFrom(helper.make_node("Clip", ["yi"], ["yc"], name="iclip",
                                                     min=float("-inf"), max=3.0))
    model.graph.output.add().name = "yc"
    return model


def dropout_training_vector() -> Mutated:
    """Dropout's training_mode as a 2-element tensor (was: NumPy's 'truth
    value of an array is ambiguous')."""
    model = _seed("matmul")
    model.graph.node.add().CopyFrom(helper.make_node("Dropout", ["y", "", "tm"], ["yd"],
                                                     name="drop"))
    model.graph.initializer.add().CopyFrom(numpy_helper.from_array(
        np.array([False, True]), "tm"))
    model.graph.output.add().name = "yd"
    return model


def layer_norm_scale_mismatch() -> Mutated:
    """A symbolic last dimension (imported as 1) that LayerNormalization's
    Scale of 5 does not fit (was: CompileError from the linalg.generic
    verifier)."""
    model = _seed("pool_norm")
    model.graph.input[0].type.tensor_type.shape.dim[3].dim_param = "w"
    return model


def producer_with_newline() -> Mutated:
    """A producer name holding a newline and NUL, which broke the module's
    header comment (was: CompileError 'unexpected character')."""
    model = _seed("matmul")
    model.producer_name = "evil\nproducer\x00"
    return model


def float_shape_with_nan() -> Mutated:
    """Expand's shape operand as floats holding NaN (was: ValueError from
    int(nan), reported as an internal error)."""
    model = _seed("shape_arith")
    _init(model, "eshape").CopyFrom(numpy_helper.from_array(
        np.array([2, np.nan], np.float32), "eshape"))
    return model


def rank_40_constant_of_shape() -> Mutated:
    """ConstantOfShape of rank 40, beyond NumPy's 32 dimensions (was:
    ValueError from np.full, reported as an internal error)."""
    model = _seed("shape_arith")
    _init(model, "cshape").CopyFrom(numpy_helper.from_array(np.ones(40, np.int64), "cshape"))
    return model


def rank_10_input() -> Mutated:
    """A graph input of rank 10: imported, refused by the compiler (entry
    arguments have at most AGN_MAX_RANK = 8 dimensions)."""
    model = _seed("matmul")
    shape = model.graph.input[0].type.tensor_type.shape
    shape.ClearField("dim")
    for size in [1] * 7 + [2, 3, 4]:
        shape.dim.add().dim_value = size
    return model


#: name -> (the mutated model, the outcome it must give, a regular expression
#: its message must match).
REGRESSIONS: Dict[str, Tuple[Callable[[], Mutated], str, str]] = {
    "dims_lie": (dims_lie, fuzz.IMPORT_ERROR,
                 r"initializer 'w' has dims \[4, 3, 3, 9\] .* but 432 bytes of raw_data"),
    "huge_initializer_dim": (huge_initializer_dim, fuzz.IMPORT_ERROR,
                             r"initializer 'bias' has dims \[1099511627776\]: .*limit"),
    "negative_initializer_dim": (negative_initializer_dim, fuzz.IMPORT_ERROR,
                                 r"initializer 'bias' has dims \[-5\]: dimension 0 is -5"),
    "typed_data_count": (typed_data_count, fuzz.IMPORT_ERROR,
                         r"initializer 'b' has dims \[4\] \(4 elements\) but 2 values in "
                         r"float_data"),
    "data_in_wrong_field": (data_in_wrong_field, fuzz.IMPORT_ERROR,
                            r"initializer 'b' is of type FLOAT, whose values belong in "
                            r"float_data .* but has int64_data"),
    "undefined_elem_type": (undefined_elem_type, fuzz.IMPORT_ERROR,
                            r"initializer 'bias' has no element type"),
    "unknown_elem_type": (unknown_elem_type, fuzz.IMPORT_ERROR,
                          r"initializer 'bias' has an unknown element type \(-1\)"),
    "string_initializer": (string_initializer, fuzz.IMPORT_ERROR,
                           r"initializer 'bias' has element type STRING"),
    "segment_initializer": (segment_initializer, fuzz.IMPORT_ERROR,
                            r"initializer 'bias' is a segment"),
    "external_missing_file": (external_missing_file, fuzz.IMPORT_ERROR,
                              r"tensor 'bias' keeps its data in 'missing.bin', which is not a "
                              r"file"),
    "external_outside_model_dir": (external_outside_model_dir, fuzz.IMPORT_ERROR,
                                   r"tensor 'bias' names the external data file .* not a "
                                   r"relative path inside the model's directory"),
    "external_bad_offset": (external_bad_offset, fuzz.IMPORT_ERROR,
                            r"tensor 'bias': external data offset 'abc'"),
    "deleted_initializer": (deleted_initializer, fuzz.IMPORT_ERROR,
                            r"Gemm node 'fc': uses value 'fc_w', which no node"),
    "duplicate_initializer": (duplicate_initializer, fuzz.IMPORT_ERROR,
                              r"initializer 'bias' is defined twice"),
    "renamed_input": (renamed_input, fuzz.IMPORT_ERROR, r"Conv node 'conv1': uses value 'x'"),
    "huge_input_dim": (huge_input_dim, fuzz.IMPORT_ERROR,
                       r"graph input 'x' has shape \[1099511627776, 3, 6, 6\]: .*limit"),
    "negative_input_dim": (negative_input_dim, fuzz.IMPORT_ERROR,
                           r"graph input 'x' has shape \[1, -3, 6, 6\]: dimension 1 is -3"),
    "cycle": (cycle, fuzz.IMPORT_ERROR,
              r"Relu node 'relu1': reads 'f' of Flatten node 'flat', .* cycle \(Relu node "
              r"'relu1' -> Flatten node 'flat' -> MaxPool node 'pool1' -> Relu node "
              r"'relu1'\)"),
    "self_loop": (self_loop, fuzz.IMPORT_ERROR, r"Tanh node 'tanh': reads its own output 't'"),
    "out_of_order": (out_of_order, fuzz.IMPORT_ERROR,
                     r"MatMul node 'mm2': reads 't', which Tanh node 'tanh' defines later "
                     r".* topological order"),
    "duplicate_output_name": (duplicate_output_name, fuzz.IMPORT_ERROR,
                              r"Tanh node 'tanh': output 'm' is already defined by MatMul "
                              r"node 'mm'"),
    "dangling_graph_output": (dangling_graph_output, fuzz.IMPORT_ERROR,
                              r"graph output 'nowhere' is not defined"),
    "attribute_ints_for_int": (attribute_ints_for_int, fuzz.IMPORT_ERROR,
                               r"Gather node 'embed': attribute 'axis' is INTS, but Gather "
                               r"takes INT"),
    "attribute_graph_for_float": (attribute_graph_for_float, fuzz.IMPORT_ERROR,
                                  r"Gemm node 'fc': attribute 'alpha' is GRAPH, but Gemm "
                                  r"takes FLOAT"),
    "attribute_without_type": (attribute_without_type, fuzz.IMPORT_ERROR,
                               r"Flatten node 'flat': attribute 'axis' has no valid type"),
    "attribute_not_utf8": (attribute_not_utf8, fuzz.IMPORT_ERROR,
                           r"Pad node 'pad': attribute 'mode' is not valid UTF-8"),
    "missing_required_attribute": (missing_required_attribute, fuzz.IMPORT_ERROR,
                                   r"MaxPool node 'pool1': the kernel_shape attribute is "
                                   r"missing"),
    "opset_zero": (opset_zero, fuzz.IMPORT_ERROR, r"at opset 0; opset versions start at 1"),
    "opset_twice": (opset_twice, fuzz.IMPORT_ERROR, r"at several opsets \(\[7, 13\]\)"),
    "opset_999": (opset_999, fuzz.OK, ""),
    "empty_graph": (empty_graph, fuzz.OK, ""),
    "name_not_utf8": (name_not_utf8, fuzz.IMPORT_ERROR,
                      r"the name of node #0 is not valid UTF-8"),
    "name_with_nul": (name_with_nul, fuzz.OK, ""),
    "zero_size_batch_matmul": (zero_size_batch_matmul, fuzz.OK, ""),
    "zero_size_conv": (zero_size_conv, fuzz.OK, ""),
    "zero_size_split": (zero_size_split, fuzz.OK, ""),
    "zero_size_conv_transpose": (zero_size_conv_transpose, fuzz.OK, ""),
    "huge_constant_of_shape": (huge_constant_of_shape, fuzz.IMPORT_ERROR,
                               r"ConstantOfShape node 'cos': the shape \[1048576, 1048576\] "
                               r"is invalid: .*limit"),
    "large_folded_expand": (large_folded_expand, fuzz.OK, ""),
    "huge_reshape_target": (huge_reshape_target, fuzz.IMPORT_ERROR,
                            r"Reshape node 'reshape': shape \[4611686018427387904, "
                            r"4611686018427387904\] is invalid: .*limit"),
    "split_without_outputs": (split_without_outputs, fuzz.IMPORT_ERROR,
                              r"Split node 'split': needs at least one output"),
    "resize_infinite_scale": (resize_infinite_scale, fuzz.IMPORT_ERROR,
                              r"Resize node 'resize': scale inf of axis 2 must be positive "
                              r"and finite"),
    "resize_huge_scale": (resize_huge_scale, fuzz.IMPORT_ERROR,
                          r"Resize node 'resize': axis 2 would be resized from 3 to "
                          r"\d+ elements, more than the importer supports"),
    "resize_nan_cubic_coefficient": (resize_nan_cubic_coefficient, fuzz.IMPORT_ERROR,
                                     r"Resize node 'resize': attribute 'cubic_coeff_a' is nan"),
    "pool_huge_pads": (pool_huge_pads, fuzz.IMPORT_ERROR,
                       r"AveragePool node 'avg': the pooling windows .* too many"),
    "integer_pad_infinite_value": (integer_pad_infinite_value, fuzz.IMPORT_ERROR,
                                   r"Pad node 'ipad': the padding value inf does not fit the "
                                   r"int64 input"),
    "integer_clip_infinite_bound": (integer_clip_infinite_bound, fuzz.OK, ""),
    "layer_norm_scale_mismatch": (layer_norm_scale_mismatch, fuzz.IMPORT_ERROR,
                                  r"LayerNormalization node 'ln': Scale \('ln_s'\) has shape "
                                  r"\[5\], which does not broadcast to the normalized "
                                  r"dimensions \[1\]"),
    "producer_with_newline": (producer_with_newline, fuzz.OK, ""),
    "float_shape_with_nan": (float_shape_with_nan, fuzz.IMPORT_ERROR,
                             r"Expand node 'expand': the shape \(input 'eshape'\) must hold "
                             r"integers, got \[2.0, nan\]"),
    "rank_40_constant_of_shape": (rank_40_constant_of_shape, fuzz.IMPORT_ERROR,
                                  r"ConstantOfShape node 'cos': the shape \[1, 1, .*\] is "
                                  r"invalid: it has 40 dimensions, more than the importer "
                                  r"supports \(32"),
    "rank_10_input": (rank_10_input, fuzz.COMPILE_ERROR, r"rank"),
    "dropout_training_vector": (dropout_training_vector, fuzz.IMPORT_ERROR,
                                r"Dropout node 'drop': training mode is not supported"),
}


@pytest.fixture(scope="module")
def regression_results(tmp_path_factory) -> Dict[str, fuzz.Result]:
    """Runs every regression case in child processes; results by name."""
    names = sorted(REGRESSIONS)
    cases: List[Tuple[int, bytes]] = []
    for index, name in enumerate(names):
        model = REGRESSIONS[name][0]()
        cases.append((index, model if isinstance(model, bytes) else model.SerializeToString()))
    results = fuzz.run_cases(cases, str(tmp_path_factory.mktemp("regressions")),
                             compile_too=compiler_available())
    return {name: results[index] for index, name in enumerate(names)}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_regression(name, regression_results):
    import re

    _, outcome, pattern = REGRESSIONS[name]
    result: Optional[fuzz.Result] = regression_results[name]
    assert result.outcome == outcome, (
        f"{name}: {result.outcome} ({result.error_type} during {result.stage}), expected "
        f"{outcome}:\n{result.message}")
    if pattern:
        assert re.search(pattern, result.message), result.message


# ---------------------------------------------------------------------------
# The safety nets themselves (in process)
# ---------------------------------------------------------------------------


def test_unforeseen_emitter_error_names_the_node(monkeypatch):
    """An exception an emitter did not foresee comes out as OnnxImportError
    naming the node, with the original chained (and the fuzzer counts its
    marker as a failure)."""
    from agn.onnx import OnnxImportError, import_onnx, registry

    def broken(ctx):
        raise ValueError("boom")

    registry.supported_ops()  # loads the emitters
    monkeypatch.setitem(registry._EMITTERS, "Relu", broken)
    with pytest.raises(OnnxImportError, match=r"Relu node 'relu1': internal error of the "
                                              r"importer on this node \(ValueError: boom\)"
                       ) as info:
        import_onnx(seed_models()["conv_relu_gemm"])
    assert isinstance(info.value.__cause__, ValueError)
    assert fuzz.INTERNAL_MARKER in str(info.value)


def test_external_data_still_loads(tmp_path):
    """Checked external data loads as before: weights in a side file."""
    from agn.onnx import import_model

    # save_model moves the data out of `model` itself: compare with a fresh one.
    model = seed_models()["matmul"]
    onnx.save_model(model, str(tmp_path / "m.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="m.bin", size_threshold=0)
    assert (tmp_path / "m.bin").exists()
    assert import_model(str(tmp_path / "m.onnx")).mlir == \
        import_model(seed_models()["matmul"]).mlir


def test_empty_results_are_not_computed():
    """A node whose outputs have no elements writes tensor.empty, not the
    slices and contractions MLIR refuses on empty dimensions."""
    from agn.onnx import import_onnx

    model = zero_size_batch_matmul()
    text = import_onnx(model)
    assert "linalg.batch_matmul" not in text and "linalg.matmul" not in text
    assert "tensor.empty() : tensor<2x0x3xf32>" in text
