"""Each importer op against a NumPy reference, compiled and run by agn (and
by the upstream reference backend, which checks the importer on its own)."""

from __future__ import annotations

import numpy as np
import pytest

from agn.onnx import import_model
from onnx_builders import single_node

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return np.asarray(RNG.standard_normal(shape), dtype=dtype)


def run(backend, model, *args, **options):
    """Imports `model`, compiles it with `backend`, returns its results."""
    from agn.onnx import ImportOptions

    imported = import_model(model, ImportOptions(**options))
    return backend(imported.mlir)(*args)


def close(got, want, rtol=1e-5, atol=1e-5):
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


# -- NumPy references --------------------------------------------------------


def conv_ref(x, w, b=None, strides=None, pads=None, dilations=None, group=1):
    n_sp = x.ndim - 2
    strides = strides or [1] * n_sp
    dilations = dilations or [1] * n_sp
    pads = pads or [0] * (2 * n_sp)
    x = np.pad(x, [(0, 0), (0, 0)] + [(pads[i], pads[i + n_sp]) for i in range(n_sp)])
    n, c = x.shape[:2]
    f = w.shape[0]
    k = w.shape[2:]
    out_sp = [(x.shape[2 + i] - dilations[i] * (k[i] - 1) - 1) // strides[i] + 1
              for i in range(n_sp)]
    y = np.zeros((n, f, *out_sp), np.float64)
    cg, fg = c // group, f // group
    for idx in np.ndindex(*out_sp):
        window = tuple(slice(idx[i] * strides[i],
                             idx[i] * strides[i] + dilations[i] * (k[i] - 1) + 1, dilations[i])
                       for i in range(n_sp))
        for g in range(group):
            patch = x[(slice(None), slice(g * cg, (g + 1) * cg)) + window]
            axes = list(range(1, 2 + n_sp))
            y[(slice(None), slice(g * fg, (g + 1) * fg)) + idx] = np.tensordot(
                patch, w[g * fg:(g + 1) * fg], axes=(axes, axes))
    if b is not None:
        y += b.reshape((1, -1) + (1,) * n_sp)
    return y.astype(np.float32)


def pool_ref(x, kernel, strides, pads, op, include_pad=False):
    n_sp = len(kernel)
    fill = -np.inf if op == "max" else 0.0
    xp = np.pad(x, [(0, 0), (0, 0)] + [(pads[i], pads[i + n_sp]) for i in range(n_sp)],
                constant_values=fill)
    ones = np.pad(np.ones(x.shape[2:]), [(pads[i], pads[i + n_sp]) for i in range(n_sp)])
    out_sp = [(xp.shape[2 + i] - kernel[i]) // strides[i] + 1 for i in range(n_sp)]
    y = np.zeros(x.shape[:2] + tuple(out_sp), np.float32)
    for idx in np.ndindex(*out_sp):
        window = tuple(slice(idx[i] * strides[i], idx[i] * strides[i] + kernel[i])
                       for i in range(n_sp))
        patch = xp[(slice(None), slice(None)) + window]
        if op == "max":
            y[(slice(None), slice(None)) + idx] = patch.max(axis=tuple(range(2, 2 + n_sp)))
        else:
            count = np.prod(kernel) if include_pad else ones[window].sum()
            y[(slice(None), slice(None)) + idx] = patch.sum(axis=tuple(range(2, 2 + n_sp))) / count
    return y


# -- Contractions --------------------------------------------------------------


@pytest.mark.parametrize("a_shape,b_shape", [
    ((4, 3), (3, 5)),          # linalg.matmul
    ((2, 4, 3), (3, 5)),       # collapsed into one matmul
    ((2, 4, 3), (2, 3, 5)),    # linalg.batch_matmul
    ((2, 1, 4, 3), (3, 3, 5)),  # broadcast batch: contraction generic
    ((3,), (3, 5)),
    ((4, 3), (3,)),
    ((3,), (3,)),
])
def test_matmul(backend, a_shape, b_shape):
    a, b = rand(*a_shape), rand(*b_shape)
    (y,) = run(backend, single_node("MatMul", {"a": a, "b": b}), a, b)
    close(y, np.matmul(a, b))


def test_matmul_int32_weights_constant(backend):
    a = RNG.integers(-5, 5, (3, 4)).astype(np.int32)
    w = RNG.integers(-5, 5, (4, 2)).astype(np.int32)
    (y,) = run(backend, single_node("MatMul", {"a": a}, initializers={"w": w}), a)
    np.testing.assert_array_equal(y, a @ w)


@pytest.mark.parametrize("trans_a,trans_b,alpha,beta,c_shape", [
    (0, 0, 1.0, 1.0, (5,)), (1, 0, 0.5, 2.0, (4, 5)), (0, 1, 1.0, 0.25, (1, 5)),
    (1, 1, 2.0, 1.0, ()), (0, 0, 1.5, 1.0, None)])
def test_gemm(backend, trans_a, trans_b, alpha, beta, c_shape):
    a = rand(3, 4) if trans_a else rand(4, 3)
    b = rand(5, 3) if trans_b else rand(3, 5)
    inputs = {"a": a, "b": b}
    if c_shape is not None:
        inputs["c"] = rand(*c_shape)
    model = single_node("Gemm", inputs, dict(transA=trans_a, transB=trans_b, alpha=alpha,
                                              beta=beta))
    (y,) = run(backend, model, *inputs.values())
    want = alpha * ((a.T if trans_a else a) @ (b.T if trans_b else b))
    if c_shape is not None:
        want = want + beta * inputs["c"]
    close(y, want.astype(np.float32))


@pytest.mark.parametrize("x_shape,w_shape,attrs", [
    ((1, 3, 7, 6), (4, 3, 3, 3), dict(pads=[1, 0, 2, 1], strides=[2, 1], dilations=[1, 2])),
    ((2, 4, 5, 5), (6, 2, 3, 3), dict(group=2, pads=[1, 1, 1, 1])),
    ((1, 3, 6, 6), (3, 1, 3, 3), dict(group=3, strides=[2, 2])),          # depthwise
    ((2, 3, 9), (4, 3, 3), dict(pads=[2, 1], dilations=[2])),              # 1-D
    ((1, 4, 4, 5, 3), (2, 2, 2, 3, 1), dict(group=2, strides=[1, 2, 1])),  # 3-D grouped
])
def test_conv(backend, x_shape, w_shape, attrs):
    x, w, b = rand(*x_shape), rand(*w_shape), rand(w_shape[0])
    model = single_node("Conv", {"x": x}, attrs, initializers={"w": w, "b": b})
    (y,) = run(backend, model, x)
    close(y, conv_ref(x, w, b, attrs.get("strides"), attrs.get("pads"),
                      attrs.get("dilations"), attrs.get("group", 1)), rtol=1e-4, atol=1e-4)


def test_conv_same_upper_weights_as_input(backend):
    x, w = rand(1, 2, 5, 6), rand(3, 2, 3, 2)
    model = single_node("Conv", {"x": x, "w": w}, dict(auto_pad="SAME_UPPER", strides=[2, 2]))
    (y,) = run(backend, model, x, w)
    # out = ceil(in / stride); total padding split with the extra at the end.
    close(y, conv_ref(x, w, None, [2, 2], [1, 0, 1, 0]), rtol=1e-4, atol=1e-4)


# -- Elementwise -----------------------------------------------------------------


@pytest.mark.parametrize("op,attrs,ref", [
    ("Relu", {}, lambda x: np.maximum(x, 0)),
    ("LeakyRelu", {"alpha": 0.2}, lambda x: np.where(x < 0, 0.2 * x, x)),
    ("LeakyRelu", {}, lambda x: np.where(x < 0, 0.01 * x, x)),
    ("Sigmoid", {}, lambda x: 1 / (1 + np.exp(-x))),
    ("Tanh", {}, np.tanh),
])
def test_activation(backend, op, attrs, ref):
    x = rand(2, 3, 4) * 4
    (y,) = run(backend, single_node(op, {"x": x}, attrs), x)
    close(y, ref(x).astype(np.float32))


@pytest.mark.parametrize("op,ref", [("Add", np.add), ("Sub", np.subtract),
                                    ("Mul", np.multiply), ("Div", np.divide)])
@pytest.mark.parametrize("a_shape,b_shape", [((3, 1, 5), (4, 1)), ((2, 3), ()), ((5,), (2, 5))])
def test_binary_broadcast(backend, op, ref, a_shape, b_shape):
    a = rand(*a_shape)
    b = np.asarray(rand(*b_shape) + (3.0 if op == "Div" else 0.0), np.float32)
    (y,) = run(backend, single_node(op, {"a": a, "b": b}), a, b)
    close(y, ref(a, b).astype(np.float32))


def test_integer_division_truncates(backend):
    a = np.array([7, -7, 7, -7, 0], np.int32)
    b = np.array([2, 2, -2, -2, 3], np.int32)
    (y,) = run(backend, single_node("Div", {"a": a, "b": b}), a, b)
    np.testing.assert_array_equal(y, np.array([3, -3, -3, 3, 0], np.int32))


def test_uint8_add_wraps(backend):
    a = np.array([250, 3], np.uint8)
    b = np.array([10, 4], np.uint8)
    (y,) = run(backend, single_node("Add", {"a": a, "b": b}), a.view(np.int8), b.view(np.int8))
    np.testing.assert_array_equal(y.view(np.uint8), (a + b).astype(np.uint8))


def test_constant_operands_fold(backend):
    a, b = rand(3), rand(3)
    model = single_node("Add", {}, initializers={"a": a, "b": b})
    (y,) = run(backend, model)
    close(y, a + b)


@pytest.mark.parametrize("constant_params", [True, False])
def test_batch_normalization(backend, constant_params):
    x = rand(2, 3, 4, 5)
    scale, bias, mean = rand(3), rand(3), rand(3)
    var = np.abs(rand(3)) + 0.5
    params = {"s": scale, "bias": bias, "mean": mean, "var": var}
    if constant_params:
        model = single_node("BatchNormalization", {"x": x}, {"epsilon": 1e-3},
                            initializers=params)
        args = (x,)
    else:
        model = single_node("BatchNormalization", {"x": x, **params}, {"epsilon": 1e-3})
        args = (x, *params.values())
    (y,) = run(backend, model, *args)
    c = (1, 3, 1, 1)
    want = (x - mean.reshape(c)) / np.sqrt(var.reshape(c) + 1e-3) * scale.reshape(c) + \
        bias.reshape(c)
    close(y, want.astype(np.float32), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("axis,opset", [(1, 13), (-1, 13), (0, 13), (1, 11)])
def test_softmax(backend, axis, opset):
    x = rand(2, 3, 4) * 10
    (y,) = run(backend, single_node("Softmax", {"x": x}, {"axis": axis}, opset=opset), x)
    if opset >= 13:
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        want = e / e.sum(axis=axis, keepdims=True)
    else:  # coerced to 2-D at `axis`
        flat = x.reshape(int(np.prod(x.shape[:axis])), -1)
        e = np.exp(flat - flat.max(axis=1, keepdims=True))
        want = (e / e.sum(axis=1, keepdims=True)).reshape(x.shape)
    close(y, want.astype(np.float32))


# -- Pooling -----------------------------------------------------------------------


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
@pytest.mark.parametrize("include_pad", [0, 1])
def test_pool(backend, op, include_pad):
    x = rand(1, 2, 7, 6)
    attrs = dict(kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 1, 1])
    if op == "AveragePool":
        attrs["count_include_pad"] = include_pad
    elif include_pad:
        pytest.skip("count_include_pad is an AveragePool attribute")
    (y,) = run(backend, single_node(op, {"x": x}, attrs), x)
    close(y, pool_ref(x, [3, 2], [2, 1], [1, 0, 1, 1], "max" if op == "MaxPool" else "avg",
                      bool(include_pad)))


def test_maxpool_indices(backend):
    x = rand(2, 3, 4, 4)
    model = single_node("MaxPool", {"x": x}, dict(kernel_shape=[2, 2], strides=[2, 2]),
                        num_outputs=2)
    values, indices = run(backend, model, x)
    close(values, pool_ref(x, [2, 2], [2, 2], [0, 0, 0, 0], "max"))
    np.testing.assert_array_equal(x.reshape(-1)[indices], values)


def test_global_average_pool(backend):
    x = rand(2, 3, 4, 5)
    (y,) = run(backend, single_node("GlobalAveragePool", {"x": x}), x)
    close(y, x.mean(axis=(2, 3), keepdims=True))


# -- Data movement -------------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 2, -1])
def test_flatten(backend, axis):
    x = rand(2, 3, 4)
    (y,) = run(backend, single_node("Flatten", {"x": x}, {"axis": axis}), x)
    a = axis % 3 if axis < 0 else axis
    close(y, x.reshape(int(np.prod(x.shape[:a])), -1))


@pytest.mark.parametrize("shape,want", [([0, -1], (2, 12)), ([4, 0, 2], (4, 3, 2)),
                                        ([24], (24,)), ([1, 2, 1, 12], (1, 2, 1, 12))])
def test_reshape(backend, shape, want):
    x = rand(2, 3, 4)
    model = single_node("Reshape", {"x": x},
                        initializers={"shape": np.array(shape, np.int64)})
    (y,) = run(backend, model, x)
    ref = x.reshape(want) if shape[:2] != [4, 0] else x.reshape(4, 3, 2)
    close(y, ref)


def test_transpose(backend):
    x = rand(2, 3, 4)
    (y,) = run(backend, single_node("Transpose", {"x": x}, {"perm": [1, 2, 0]}), x)
    close(y, x.transpose(1, 2, 0))
    (y,) = run(backend, single_node("Transpose", {"x": x}), x)
    close(y, x.transpose())


def test_concat_with_constant(backend):
    a, c = rand(2, 3), rand(2, 2)
    model = single_node("Concat", {"a": a}, {"axis": -1}, initializers={"c": c})
    (y,) = run(backend, model, a)
    close(y, np.concatenate([a, c], axis=-1))


def test_identity_and_constant(backend):
    from onnx import helper, numpy_helper, TensorProto
    from onnx_builders import graph_model

    value = rand(2, 2)
    nodes = [helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(value)),
             helper.make_node("Identity", ["x"], ["i"]),
             helper.make_node("Add", ["i", "k"], ["y"])]
    model = graph_model(nodes, {"x": ([2, 2], TensorProto.FLOAT)}, ["y"])
    x = rand(2, 2)
    (y,) = run(backend, model, x)
    close(y, x + value)


def test_small_cnn_end_to_end(backend):
    """Conv -> Relu -> MaxPool -> Flatten -> Gemm -> Softmax, as exporters
    write it."""
    from onnx import helper, TensorProto
    from onnx_builders import graph_model

    w, b = rand(4, 1, 3, 3), rand(4)
    fw, fb = rand(10, 36), rand(10)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], name="conv"),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p"], ["f"]),
             helper.make_node("Gemm", ["f", "fw", "fb"], ["g"], transB=1, name="fc"),
             helper.make_node("Softmax", ["g"], ["y"], axis=1)]
    model = graph_model(nodes, {"x": ([2, 1, 6, 6], TensorProto.FLOAT)}, ["y"],
                        {"w": w, "b": b, "fw": fw, "fb": fb})
    x = rand(2, 1, 6, 6)
    (y,) = run(backend, model, x)
    h = np.maximum(conv_ref(x, w, b, pads=[1, 1, 1, 1]), 0)
    h = pool_ref(h, [2, 2], [2, 2], [0, 0, 0, 0], "max").reshape(2, -1)
    logits = h @ fw.T + fb
    e = np.exp(logits - logits.max(1, keepdims=True))
    close(y, (e / e.sum(1, keepdims=True)).astype(np.float32), rtol=1e-4, atol=1e-6)


# -- Comparisons, logic and Where ----------------------------------------------


@pytest.mark.parametrize("op,fn", [("Equal", np.equal), ("Less", np.less),
                                   ("LessOrEqual", np.less_equal), ("Greater", np.greater),
                                   ("GreaterOrEqual", np.greater_equal)])
def test_comparisons_broadcast_and_nan(backend, op, fn):
    a = rand(2, 3)
    a[0, 0] = np.nan  # Every comparison with NaN is false.
    b = rand(3)
    b[1] = a[1, 1]
    (y,) = run(backend, single_node(op, {"a": a, "b": b}), a, b)
    assert y.dtype == np.bool_
    np.testing.assert_array_equal(y, fn(a, b))


def test_logic_and_where(backend):
    c = RNG.standard_normal((2, 3)) > 0
    d = RNG.standard_normal((3,)) > 0
    for op, fn in [("And", np.logical_and), ("Or", np.logical_or),
                   ("Xor", np.logical_xor)]:
        (y,) = run(backend, single_node(op, {"c": c, "d": d}), c, d)
        np.testing.assert_array_equal(y, fn(c, d))
    (y,) = run(backend, single_node("Not", {"c": c}), c)
    np.testing.assert_array_equal(y, ~c)
    # A mask broadcast over rows picks between a tensor and a row.
    x, z = rand(2, 3), rand(3)
    (y,) = run(backend, single_node("Where", {"d": d, "x": x, "z": z}), d, x, z)
    close(y, np.where(d, x, z))


def test_logic_rejects_numbers():
    from agn.onnx import OnnxImportError

    with pytest.raises(OnnxImportError, match="takes booleans"):
        import_model(single_node("And", {"a": rand(2), "b": rand(2)}))


# -- Normalizations ------------------------------------------------------------


def test_layer_normalization_with_statistics(backend):
    x, scale, bias = rand(2, 3, 4), rand(3, 4), rand(4)
    model = single_node("LayerNormalization", {"x": x, "s": scale, "b": bias},
                        {"axis": 1, "epsilon": 1e-3}, num_outputs=3, opset=17)
    y, mean, inv = run(backend, model, x, scale, bias)
    want_mean = x.mean(axis=(1, 2), keepdims=True)
    want_inv = 1 / np.sqrt(x.var(axis=(1, 2), keepdims=True) + 1e-3)
    close(mean, want_mean)
    close(inv, want_inv)
    close(y, (x - want_mean) * want_inv * scale + bias)


def test_instance_normalization(backend):
    x, scale, bias = rand(2, 3, 5, 4), rand(3), rand(3)
    (y,) = run(backend, single_node("InstanceNormalization", {"x": x, "s": scale, "b": bias}),
               x, scale, bias)
    mean = x.mean(axis=(2, 3), keepdims=True)
    want = (x - mean) / np.sqrt(x.var(axis=(2, 3), keepdims=True) + 1e-5)
    close(y, want * scale[:, None, None] + bias[:, None, None])


# -- Reductions ------------------------------------------------------------------

#: Each reduction against NumPy over `axes` (a tuple, None for all).
REDUCTIONS = {
    "ReduceL1": lambda x, axes: np.abs(x).sum(axis=axes),
    "ReduceL2": lambda x, axes: np.sqrt((x * x).sum(axis=axes)),
    "ReduceSumSquare": lambda x, axes: (x * x).sum(axis=axes),
    "ReduceLogSum": lambda x, axes: np.log(x.sum(axis=axes)),
    "ReduceLogSumExp": lambda x, axes: np.log(np.exp(x).sum(axis=axes)),
    "ReduceMean": lambda x, axes: x.mean(axis=axes),
}


@pytest.mark.parametrize("op", sorted(REDUCTIONS))
@pytest.mark.parametrize("opset,axes,keepdims", [
    (13, [2, -3], 1),     # axes attribute
    (13, None, 0),        # all axes
    (18, [1], 0),         # axes input
    (18, None, 1),
])
def test_reductions(backend, op, opset, axes, keepdims):
    x = np.abs(rand(2, 3, 4)) + 0.5 if op == "ReduceLogSum" else rand(2, 3, 4)
    attrs, inits = {"keepdims": keepdims}, {}
    if axes is not None and opset < 18:
        attrs["axes"] = axes
    elif axes is not None:
        inits["axes"] = np.array(axes, np.int64)
    (y,) = run(backend, single_node(op, {"x": x}, attrs, initializers=inits, opset=opset), x)
    norm = None if axes is None else tuple(a % x.ndim for a in axes)
    want = REDUCTIONS[op](x.astype(np.float64), norm)
    if keepdims:
        want = np.expand_dims(want, norm if norm is not None else tuple(range(x.ndim)))
    close(y, want)


@pytest.mark.parametrize("op,want", [
    ("ReduceL1", np.abs), ("ReduceL2", np.abs), ("ReduceSumSquare", np.square),
    ("ReduceLogSum", np.log), ("ReduceLogSumExp", lambda x: x),
    ("ReduceMean", lambda x: x), ("ReduceSum", lambda x: x),
])
def test_reduction_noop_applies_the_rest(backend, op, want):
    """noop_with_empty_axes and no axes: no reduction, "but other operations
    will be performed" (ReduceSumSquare squares)."""
    x = np.abs(rand(2, 3)) + 0.5
    (y,) = run(backend, single_node(op, {"x": x}, {"noop_with_empty_axes": 1}, opset=18), x)
    close(y, want(x.astype(np.float64)))


def test_reduce_log_sum_exp_is_stable(backend):
    """exp(100) overflows f32; the maximum is shifted out first. An axis of
    -inf only (empty in effect) gives -inf, not NaN."""
    x = np.array([[100.0, 99.0, 98.0], [-np.inf, -np.inf, -np.inf]], np.float32)
    (y,) = run(backend, single_node("ReduceLogSumExp", {"x": x}, {"axes": [1],
                                                                   "keepdims": 0}), x)
    want = 100 + np.log(1 + np.exp(-1.0) + np.exp(-2.0))
    close(y, np.array([want, -np.inf]))


def test_reductions_integers(backend):
    x = RNG.integers(-9, 9, (3, 4)).astype(np.int32)
    for op, want in [("ReduceL1", np.abs(x).sum(1)), ("ReduceSumSquare", (x * x).sum(1))]:
        (y,) = run(backend, single_node(op, {"x": x}, {"axes": [1], "keepdims": 0}), x)
        np.testing.assert_array_equal(y, want)


def test_reductions_reject_integers_where_they_need_floats():
    from agn.onnx import OnnxImportError

    x = np.zeros((2, 3), np.int32)
    for op in ("ReduceL2", "ReduceLogSum", "ReduceLogSumExp"):
        with pytest.raises(OnnxImportError, match=f"{op} node 'r': {op} of integers"):
            import_model(single_node(op, {"x": x}, node_name="r"))


# -- Shared by the tests of the ops below --------------------------------------

#: The unit roundoff of f32.
U32 = 2.0 ** -24


def export_torch(module, *inputs, opset=13):
    """`module` (in eval mode) exported by torch.onnx.export at `opset`."""
    import io

    import onnx
    import torch

    buffer = io.BytesIO()
    torch.onnx.export(module.eval(), tuple(torch.from_numpy(x) for x in inputs), buffer,
                      opset_version=opset)
    return onnx.load_from_string(buffer.getvalue())


def within(got, want, bound):
    """|got - want| <= bound elementwise (shapes must agree)."""
    assert got.shape == want.shape, (got.shape, want.shape)
    excess = np.abs(got.astype(np.float64) - want) - bound
    if not np.all(excess <= 0):  # NaN fails too
        worst = np.unravel_index(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)),
                                 excess.shape)
        raise AssertionError(f"exceeds the bound by {excess[worst]} at {worst}")


# -- Resize ----------------------------------------------------------------------


def cubic_kernel(d, a):
    """Keys' cubic convolution kernel at distance d with coefficient a."""
    d = abs(d)
    if d <= 1:
        return (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1
    if d < 2:
        return a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a
    return 0.0


def resize_ref(x, scales=None, sizes=None, axes=None, mode="nearest", ctm="half_pixel",
               nearest_mode="round_prefer_floor", a=-0.75, exclude_outside=False,
               policy="stretch"):
    """ONNX Resize in float64, written from the operator's definition, one
    axis after the other. nearest_mode "simple" is opset 10's (down when
    upsampling, up when downsampling)."""
    axes = list(range(x.ndim)) if axes is None else [ax % x.ndim for ax in axes]
    if sizes is not None and policy != "stretch":
        ratios = [size / x.shape[ax] for ax, size in zip(axes, sizes)]
        common = min(ratios) if policy == "not_larger" else max(ratios)
    y = x.astype(np.float64)
    for i, ax in enumerate(axes):
        n = x.shape[ax]
        if scales is not None:
            s = float(np.float32(scales[i]))
            out = int(np.floor(np.float32(n) * np.float32(scales[i])))
            length = n * s  # the target length, fractional for some scales
        elif policy == "stretch":
            out, s, length = sizes[i], sizes[i] / n, sizes[i]
        else:
            s, length = common, n * common
            out = int(np.floor(n * common + 0.5))
        rows = []
        for o in range(out):
            if ctm == "half_pixel":
                c = (o + 0.5) / s - 0.5
            elif ctm == "pytorch_half_pixel":
                c = (o + 0.5) / s - 0.5 if length > 1 else 0.0
            elif ctm == "align_corners":
                c = 0.0 if length == 1 else o * (n - 1) / (length - 1)
            elif ctm == "asymmetric":
                c = o / s
            elif ctm == "tf_half_pixel_for_nn":
                c = (o + 0.5) / s
            else:  # half_pixel_symmetric
                c = n / 2 * (1 - out / length) + (o + 0.5) / s - 0.5
            if mode == "nearest":
                rounding = {"round_prefer_floor": lambda v: np.ceil(v - 0.5),
                            "round_prefer_ceil": lambda v: np.floor(v + 0.5),
                            "floor": np.floor, "ceil": np.ceil,
                            "simple": np.ceil if s < 1 else np.floor}[nearest_mode]
                taps = {int(rounding(c)): 1.0}
            elif mode == "linear":
                j = int(np.floor(c))
                taps = {j: 1 - (c - j), j + 1: c - j}
            else:
                j = int(np.floor(c))
                taps = {k: cubic_kernel(c - k, a) for k in range(j - 1, j + 3)}
            if exclude_outside:
                taps = {k: w for k, w in taps.items() if 0 <= k < n}
                total = sum(taps.values())
                taps = {k: w / total for k, w in taps.items()}
            rows.append([(min(max(k, 0), n - 1), w) for k, w in taps.items()])
        y = np.stack([sum(w * np.take(y, k, axis=ax) for k, w in row) for row in rows],
                     axis=ax)
    return y


def resize_bound(mode, x, n_axes, a=-0.75):
    """The f32 error of resizing `x` along `n_axes` axes: per axis, a sum of
    `taps` weighted terms (taps + 1 roundings, the weights' own included) of
    at most gain * max|x|, where gain is the largest sum of |weights| (1 for
    linear, about 1.375 for cubic, whose kernel has negative lobes); each
    axis also carries the earlier axes' error, scaled by the gain."""
    taps = {"nearest": 0, "linear": 2, "cubic": 4}[mode]
    gain = 1.0
    if mode == "cubic":
        gain = max(sum(abs(cubic_kernel(t - k, a)) for k in (-1, 0, 1, 2))
                   for t in np.linspace(0, 1, 101))
    return n_axes * (taps + 1) * U32 * gain ** n_axes * float(np.abs(x).max())


def torch_interpolate(**kwargs):
    """A module calling F.interpolate with `kwargs` (for torch.onnx.export)."""
    torch = pytest.importorskip("torch")

    class Interpolate(torch.nn.Module):
        def forward(self, x):
            return torch.nn.functional.interpolate(x, **kwargs)

    return Interpolate()


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch.onnx.export's
@pytest.mark.parametrize("opset,shape,kwargs", [
    (13, (1, 2, 3, 4), dict(scale_factor=2, mode="nearest")),
    (11, (1, 2, 3, 4), dict(size=(5, 7), mode="nearest")),        # sizes via Shape/Concat
    (10, (1, 2, 3, 4), dict(scale_factor=3, mode="nearest")),     # opset 10 form
    (13, (1, 1, 2, 3, 2), dict(scale_factor=2, mode="nearest")),  # 3-D
    (13, (1, 2, 3, 4), dict(scale_factor=2, mode="bilinear", align_corners=False)),
    (11, (1, 2, 6, 8), dict(scale_factor=0.5, mode="bilinear", align_corners=False)),
    (13, (1, 1, 5, 4), dict(scale_factor=1.5, mode="bilinear", align_corners=False)),
    (13, (1, 2, 3, 4), dict(size=(5, 7), mode="bilinear", align_corners=True)),
    (13, (2, 3, 5), dict(scale_factor=2, mode="linear", align_corners=False)),  # 1-D
    (13, (1, 1, 2, 3, 2), dict(scale_factor=2, mode="trilinear", align_corners=True)),
    (13, (1, 2, 4, 3), dict(scale_factor=2, mode="bicubic", align_corners=False)),
    (11, (1, 2, 4, 5), dict(size=(7, 6), mode="bicubic", align_corners=True)),
    (13, (1, 1, 8, 6), dict(scale_factor=0.5, mode="bicubic", align_corners=False)),
])
def test_resize_matches_torch(backend, opset, shape, kwargs):
    """F.interpolate as torch.onnx.export writes it (Resize with scales or
    sizes), against PyTorch in float64: nearest exactly, the weighted modes
    within the f32 rounding of their sums."""
    torch = pytest.importorskip("torch")
    module = torch_interpolate(**kwargs)
    x = rand(*shape)
    (y,) = run(backend, export_torch(module, x, opset=opset), x)
    with torch.no_grad():
        want = module(torch.from_numpy(x).double()).numpy()
    if kwargs["mode"] == "nearest":
        np.testing.assert_array_equal(y, want.astype(np.float32))
        return
    mode = "cubic" if kwargs["mode"] == "bicubic" else "linear"
    within(y, want, resize_bound(mode, x, len(shape) - 2))


@pytest.mark.parametrize("attrs,shape,scales,sizes,opset,ref", [
    # nearest: each rounding mode, ties included (x / 2 lands on .5)
    (dict(coordinate_transformation_mode="asymmetric", nearest_mode="round_prefer_ceil"),
     (1, 2, 3, 4), [1, 1, 2, 1.5], None, 13,
     dict(ctm="asymmetric", nearest_mode="round_prefer_ceil")),
    (dict(nearest_mode="ceil"), (1, 2, 3, 4), None, [1, 2, 5, 7], 13,
     dict(nearest_mode="ceil")),
    (dict(coordinate_transformation_mode="align_corners"), (1, 1, 6, 8),
     [1, 1, 0.5, 0.75], None, 11, dict(ctm="align_corners")),
    (dict(coordinate_transformation_mode="tf_half_pixel_for_nn", nearest_mode="floor"),
     (1, 1, 4, 4), None, [1, 1, 3, 2], 11, dict(ctm="tf_half_pixel_for_nn",
                                                nearest_mode="floor")),
    # linear
    (dict(mode="linear", coordinate_transformation_mode="asymmetric"), (1, 2, 4, 6),
     [1, 1, 1.5, 0.5], None, 13, dict(mode="linear", ctm="asymmetric")),
    # align_corners on a fractional target length (2 * 0.6 = 1.2), as ONNX's
    # own node tests define it
    (dict(mode="linear", coordinate_transformation_mode="align_corners"), (1, 1, 2, 4),
     [1, 1, 0.6, 0.6], None, 13, dict(mode="linear", ctm="align_corners")),
    # an output of length 1: pytorch_half_pixel samples 0
    (dict(mode="linear", coordinate_transformation_mode="pytorch_half_pixel"), (1, 2, 5),
     None, [1, 2, 1], 13, dict(mode="linear", ctm="pytorch_half_pixel")),
    # cubic
    (dict(mode="cubic", cubic_coeff_a=-0.5, exclude_outside=1), (1, 1, 5, 4),
     [1, 1, 0.8, 1.25], None, 13, dict(mode="cubic", a=-0.5, exclude_outside=True)),
    (dict(mode="cubic", coordinate_transformation_mode="asymmetric"), (1, 1, 4, 5),
     None, [1, 1, 6, 3], 13, dict(mode="cubic", ctm="asymmetric")),
    # opset 18: axes (negative too) and keep_aspect_ratio_policy
    (dict(mode="linear", axes=[-1, 2]), (1, 2, 3, 4), [2, 0.5], None, 18,
     dict(mode="linear", axes=[-1, 2])),
    (dict(mode="linear", axes=[2, 3], keep_aspect_ratio_policy="not_larger"), (1, 1, 4, 6),
     None, [7, 7], 18, dict(mode="linear", axes=[2, 3], policy="not_larger")),
    (dict(axes=[3], keep_aspect_ratio_policy="not_smaller"), (1, 1, 4, 6), None, [4], 18,
     dict(axes=[3], policy="not_smaller")),
    (dict(mode="linear", coordinate_transformation_mode="half_pixel_symmetric"),
     (1, 1, 5, 3), [1, 1, 1.7, 0.7], None, 19, dict(mode="linear",
                                                    ctm="half_pixel_symmetric")),
    # opset 10: asymmetric; nearest rounds up when downsampling
    (dict(mode="linear"), (1, 2, 3, 4), [1, 1, 2, 1.5], None, 10,
     dict(mode="linear", ctm="asymmetric")),
    (dict(), (1, 1, 6, 8), [1, 1, 0.5, 0.75], None, 10,
     dict(ctm="asymmetric", nearest_mode="simple")),
])
def test_resize_matches_onnx_definition(backend, attrs, shape, scales, sizes, opset, ref):
    """Resize against a float64 NumPy implementation of the ONNX definition,
    for the modes PyTorch does not export."""
    x = rand(*shape)
    inits = {}
    if opset >= 11:
        inits["roi"] = np.zeros(0, np.float32)
    inits["scales"] = np.array(scales if scales is not None else [], np.float32)
    if sizes is not None:
        inits["sizes"] = np.array(sizes, np.int64)
    (y,) = run(backend, single_node("Resize", {"x": x}, attrs, initializers=inits,
                                    opset=opset), x)
    want = resize_ref(x, scales, sizes, **ref)
    mode = ref.get("mode", "nearest")
    if mode == "nearest":
        np.testing.assert_array_equal(y, want.astype(np.float32))
    else:
        # Every case changes the size of each axis it resizes.
        n_axes = sum(1 for a, b in zip(x.shape, want.shape) if a != b)
        within(y, want, resize_bound(mode, x, n_axes, ref.get("a", -0.75)))


def test_resize_nearest_gathers_integers_exactly(backend):
    x = RNG.integers(-100, 100, (1, 2, 3, 4)).astype(np.int32)
    model = single_node("Resize", {"x": x}, {"nearest_mode": "round_prefer_ceil"},
                        initializers={"roi": np.zeros(0, np.float32),
                                      "scales": np.array([1, 1, 1.5, 2], np.float32)})
    (y,) = run(backend, model, x)
    want = resize_ref(x, [1, 1, 1.5, 2], nearest_mode="round_prefer_ceil")
    np.testing.assert_array_equal(y, want.astype(np.int32))


@pytest.mark.parametrize("attrs,opset,match", [
    ({"coordinate_transformation_mode": "tf_crop_and_resize"}, 13,
     r"Resize node 'rs': coordinate_transformation_mode 'tf_crop_and_resize' is not "
     "supported"),
    ({"antialias": 1, "mode": "linear"}, 18, r"Resize node 'rs': antialias=1 is not supported"),
    ({"mode": "area"}, 13, r"Resize node 'rs': mode 'area' is not supported"),
])
def test_resize_rejects_unsupported_attributes(attrs, opset, match):
    from agn.onnx import OnnxImportError

    x = rand(1, 1, 2, 2)
    model = single_node("Resize", {"x": x}, attrs, opset=opset, node_name="rs",
                        initializers={"roi": np.zeros(0, np.float32),
                                      "scales": np.array([1, 1, 2, 2], np.float32)})
    with pytest.raises(OnnxImportError, match=match):
        import_model(model)


def test_resize_needs_constant_scales():
    from agn.onnx import OnnxImportError

    x, scales = rand(1, 1, 2, 2), np.array([1, 1, 2, 2], np.float32)
    model = single_node("Resize", {"x": x, "roi": np.zeros(0, np.float32), "s": scales},
                        node_name="rs")
    with pytest.raises(OnnxImportError, match=r"Resize node 'rs': scales .* must be a constant"):
        import_model(model)


@pytest.mark.parametrize("opset,mode,shape,scales", [
    (7, "nearest", (1, 2, 3, 4), [1, 1, 2, 3]),     # scales attribute
    (9, "nearest", (1, 2, 3, 4), [1, 1, 2.5, 2]),   # scales input; fractional
    (7, "linear", (1, 2, 3, 4), [1, 1, 2, 2]),
    (9, "linear", (2, 3, 5), [1, 2, 1.5]),          # every axis may scale
])
def test_upsample(backend, opset, mode, shape, scales):
    """Upsample is Resize of opset 10: asymmetric coordinates, nearest
    rounding down."""
    x = rand(*shape)
    scales32 = np.array(scales, np.float32)
    if opset < 9:
        model = single_node("Upsample", {"x": x}, {"mode": mode, "scales": scales},
                            opset=opset)
    else:
        model = single_node("Upsample", {"x": x}, {"mode": mode},
                            initializers={"scales": scales32}, opset=opset)
    (y,) = run(backend, model, x)
    want = resize_ref(x, scales32, mode=mode, ctm="asymmetric", nearest_mode="simple")
    if mode == "nearest":
        np.testing.assert_array_equal(y, want.astype(np.float32))
    else:
        n_axes = sum(1 for a, b in zip(x.shape, want.shape) if a != b)
        within(y, want, resize_bound(mode, x, n_axes, -0.75))


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch.onnx.export's
def test_upsample_matches_torch(backend):
    """F.interpolate(nearest) as torch.onnx.export writes it at opset 9:
    Upsample with a Constant for the scales."""
    torch = pytest.importorskip("torch")
    module = torch_interpolate(scale_factor=2, mode="nearest")
    x = rand(1, 2, 3, 4)
    model = export_torch(module, x, opset=9)
    assert [n.op_type for n in model.graph.node if n.op_type == "Upsample"] == ["Upsample"]
    (y,) = run(backend, model, x)
    with torch.no_grad():
        want = module(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(y, want)


@pytest.mark.parametrize("attrs,opset,match", [
    ({"mode": "cubic", "scales": [1.0, 2.0]}, 7, r"Upsample node 'up': mode 'cubic' is not "
     "supported"),
    ({"mode": "nearest", "scales": [2.0]}, 7, r"Upsample node 'up': scales has 1 values; "
     "expected 2"),
    ({"mode": "nearest"}, 7, r"Upsample node 'up': the scales attribute is missing"),
])
def test_upsample_rejects(attrs, opset, match):
    from agn.onnx import OnnxImportError

    model = single_node("Upsample", {"x": rand(2, 3)}, attrs, opset=opset, node_name="up")
    with pytest.raises(OnnxImportError, match=match):
        import_model(model)


# -- ConvTranspose -----------------------------------------------------------------


def conv_transpose_ref(x, w, b, strides, dilations, begin, out_sizes, group=1):
    """ConvTranspose in float64 from its definition: x[i] * w[k] lands on
    y[i * stride + k * dilation - begin]; positions outside the full
    scatter (output_padding, or negative pads) stay 0 before the bias."""
    n_sp = x.ndim - 2
    c, fg = w.shape[0], w.shape[1]
    k = w.shape[2:]
    full_sizes = [(x.shape[2 + i] - 1) * strides[i] + dilations[i] * (k[i] - 1) + 1
                  for i in range(n_sp)]
    full = np.zeros((x.shape[0], fg * group, *full_sizes))
    cg = c // group
    for g in range(group):
        xs = x[:, g * cg:(g + 1) * cg].astype(np.float64)
        for kk in np.ndindex(*k):
            # [N, C/g] x [C/g, F/g] for this kernel tap, scattered with stride.
            contrib = np.einsum("nc...,cf->nf...", xs, w[g * cg:(g + 1) * cg, :, *kk])
            window = tuple(slice(kk[i] * dilations[i],
                                 kk[i] * dilations[i] + (x.shape[2 + i] - 1) * strides[i] + 1,
                                 strides[i]) for i in range(n_sp))
            full[(slice(None), slice(g * fg, (g + 1) * fg)) + window] += contrib
    y = np.zeros((x.shape[0], fg * group, *out_sizes))
    src, dst = [], []
    for i in range(n_sp):
        lo = max(0, -begin[i])
        hi = min(out_sizes[i], full_sizes[i] - begin[i])
        dst.append(slice(lo, hi))
        src.append(slice(lo + begin[i], hi + begin[i]))
    y[(slice(None), slice(None)) + tuple(dst)] = full[(slice(None), slice(None)) + tuple(src)]
    if b is not None:
        y += b.reshape((1, -1) + (1,) * n_sp)
    return y


def torch_bound(module, x):
    """The f32 error bound of a torch convolution module on `x`: each output
    sums n = C/group * prod(kernel) products, so its error is at most
    (n + 1) * 2^-24 * (|W| * |x|) (the bias adds one more rounding of |y|)."""
    import copy

    import torch

    magnitude = copy.deepcopy(module).double()
    with torch.no_grad():
        magnitude.weight.abs_()
        if magnitude.bias is not None:
            magnitude.bias.abs_()
        n = module.weight.shape[0] // module.groups * int(np.prod(module.weight.shape[2:]))
        return (n + 2) * U32 * magnitude(torch.from_numpy(np.abs(x)).double()).numpy()


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("shape,layer,kwargs", [
    ((1, 3, 4, 5), "ConvTranspose2d", dict(in_channels=3, out_channels=4, kernel_size=3,
                                           stride=2, padding=1, output_padding=1)),
    ((2, 4, 3, 4), "ConvTranspose2d", dict(in_channels=4, out_channels=6, kernel_size=(3, 2),
                                           stride=(2, 3), padding=(2, 0), dilation=(2, 1),
                                           output_padding=(1, 2), groups=2, bias=False)),
    ((1, 2, 4, 4), "ConvTranspose2d", dict(in_channels=2, out_channels=3, kernel_size=2)),
    ((1, 2, 7, 6), "ConvTranspose2d", dict(in_channels=2, out_channels=2, kernel_size=3,
                                           padding=(3, 1))),   # crops: pads > kernel reach
    ((1, 3, 5), "ConvTranspose1d", dict(in_channels=3, out_channels=2, kernel_size=4,
                                        stride=3, padding=1, output_padding=2)),
    ((1, 3, 6), "ConvTranspose1d", dict(in_channels=3, out_channels=3, kernel_size=3,
                                        stride=2, groups=3)),  # depthwise
    ((1, 2, 3, 2, 3), "ConvTranspose3d", dict(in_channels=2, out_channels=2,
                                              kernel_size=(2, 3, 2), stride=(1, 2, 2),
                                              padding=(0, 1, 1), output_padding=(0, 1, 0))),
    ((1, 4, 2, 3, 2), "ConvTranspose3d", dict(in_channels=4, out_channels=2, kernel_size=2,
                                              stride=2, groups=2)),
])
def test_conv_transpose_matches_torch(backend, shape, layer, kwargs):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = getattr(torch.nn, layer)(**kwargs)
    x = rand(*shape)
    (y,) = run(backend, export_torch(module, x), x)
    with torch.no_grad():
        want = module.double()(torch.from_numpy(x).double()).numpy()
        within(y, want, torch_bound(module, x))


@pytest.mark.parametrize("x_shape,w_shape,attrs,begin,out_sizes", [
    # output_shape: total padding 9 - 10 = -1, split as begin 0 / end -1
    ((1, 1, 3, 3), (1, 2, 3, 3), dict(strides=[3, 2], output_shape=[10, 8]), [0, 0], [10, 8]),
    # an odd total (1) goes first unless auto_pad is SAME_UPPER
    ((1, 2, 4), (2, 3, 3), dict(strides=[2], output_shape=[8]), [1], [8]),
    ((1, 2, 4), (2, 3, 3), dict(strides=[2], output_shape=[1, 3, 8], auto_pad="SAME_UPPER"),
     [0], [8]),
    ((1, 2, 3, 3), (2, 2, 3, 2), dict(strides=[2, 2], auto_pad="SAME_UPPER"), [0, 0], [6, 6]),
    ((1, 2, 3, 3), (2, 2, 3, 2), dict(strides=[2, 2], auto_pad="SAME_LOWER"), [1, 0], [6, 6]),
    ((1, 4, 3, 2), (4, 1, 2, 2), dict(strides=[2, 1], auto_pad="VALID", group=2,
                                      dilations=[1, 2]), [0, 0], [6, 4]),
])
def test_conv_transpose_output_shape_and_auto_pad(backend, x_shape, w_shape, attrs, begin,
                                                 out_sizes):
    """Pads derived from output_shape or auto_pad as the ONNX definition
    states (the expected `begin` is worked out by hand in each case)."""
    x, w, b = rand(*x_shape), rand(*w_shape), rand(w_shape[1] * attrs.get("group", 1))
    model = single_node("ConvTranspose", {"x": x}, attrs, initializers={"w": w, "b": b})
    (y,) = run(backend, model, x)
    n_sp = len(x_shape) - 2
    want = conv_transpose_ref(x, w, b, attrs["strides"], attrs.get("dilations", [1] * n_sp),
                              begin, out_sizes, attrs.get("group", 1))
    magnitude = conv_transpose_ref(np.abs(x), np.abs(w), np.abs(b), attrs["strides"],
                                   attrs.get("dilations", [1] * n_sp), begin, out_sizes,
                                   attrs.get("group", 1))
    n = w_shape[0] // attrs.get("group", 1) * int(np.prod(w_shape[2:]))
    within(y, want, (n + 2) * U32 * magnitude)


def test_conv_transpose_is_a_quantizable_unit():
    """The 2-D ConvTranspose becomes linalg.conv_2d_nchw_fchw with the unit's
    name, which the adaptive pipeline turns into an agn.unit (here pinned
    to i8)."""
    import agn
    from agn.onnx import ImportOptions
    from conftest import compiler_available

    x, w = rand(1, 3, 5, 5), rand(3, 4, 3, 3)
    model = single_node("ConvTranspose", {"x": x}, dict(strides=[2, 2], pads=[1, 1, 1, 1]),
                        initializers={"w": w}, node_name="up")
    text = import_model(model, ImportOptions(name="ct_unit")).mlir
    assert "linalg.conv_2d_nchw_fchw" in text and 'agn.name = "ct_unit.up"' in text
    if not compiler_available():
        pytest.skip("libAGNCAPI.so is not built")
    compiled = agn.compile(model, name="ct_unit", levels=["i8", "f32"], thresholds=[1e9])
    assert "agn.unit" in compiled.ir
    want = conv_transpose_ref(x, w, None, [2, 2], [1, 1], [1, 1], [9, 9])
    # i8 weights and activations with per-channel scales: about 1% here.
    assert np.linalg.norm(compiled(x) - want) / np.linalg.norm(want) < 0.03


def test_conv_transpose_rejects_unsupported():
    from agn.onnx import OnnxImportError

    x, w = rand(1, 2, 3, 3), rand(2, 2, 3, 3)
    model = single_node("ConvTranspose", {"x": x, "w": w}, node_name="ct")
    with pytest.raises(OnnxImportError, match=r"ConvTranspose node 'ct': the weight W .* must "
                                              "be a constant"):
        import_model(model)
    model = single_node("ConvTranspose", {"x": x}, {"auto_pad": "BOGUS"},
                        initializers={"w": w}, node_name="ct")
    with pytest.raises(OnnxImportError, match=r"ConvTranspose node 'ct': auto_pad 'BOGUS'"):
        import_model(model)


# -- Gelu, Range, Einsum ---------------------------------------------------------


@pytest.mark.parametrize("approximate", [None, "none", "tanh"])
def test_gelu(backend, approximate):
    """Gelu (opset 20) against PyTorch in float64. Bound: about five f32
    roundings, each at most |x| * 2^-24 (the factor 0.5 * (1 + t) is at
    most 1), plus erf or tanh to a few ulps: 8 |x| 2^-24."""
    torch = pytest.importorskip("torch")
    x = np.linspace(-6, 6, 241).astype(np.float32)
    attrs = {} if approximate is None else {"approximate": approximate}
    (y,) = run(backend, single_node("Gelu", {"x": x}, attrs, opset=20), x)
    want = torch.nn.functional.gelu(torch.from_numpy(x).double(),
                                    approximate=approximate or "none").numpy()
    within(y, want, 8 * U32 * np.abs(x))


def test_gelu_rejects_unknown_approximation():
    from agn.onnx import OnnxImportError

    model = single_node("Gelu", {"x": rand(3)}, {"approximate": "fast"}, opset=20,
                        node_name="g")
    with pytest.raises(OnnxImportError, match=r"Gelu node 'g': approximate 'fast'"):
        import_model(model)


@pytest.mark.parametrize("start,limit,delta,dtype", [
    (1.5, 4.0, 0.3, np.float32), (10, -8, -3, np.int32), (2, 2, 1, np.int64),
    (5, 1, 2, np.int64), (-1.0, 1.0, 0.25, np.float64)])
def test_range(backend, start, limit, delta, dtype):
    """max(ceil((limit - start) / delta), 0) elements start + i * delta; the
    constant result is the graph's output."""
    inits = {n: np.array(v, dtype) for n, v in (("s", start), ("l", limit), ("d", delta))}
    (y,) = run(backend, single_node("Range", {}, initializers=inits))
    count = max(int(np.ceil((limit - start) / delta)), 0)
    want = start + np.arange(count) * np.float64(delta)
    assert y.dtype == dtype and y.shape == (count,)
    # Floats: i * delta and the sum are each rounded once, by at most eps / 2.
    eps = 0.0 if np.dtype(dtype).kind == "i" else float(np.finfo(dtype).eps)
    within(y, want, eps * (abs(start) + np.abs(np.arange(count) * delta)))


def test_range_needs_constant_operands():
    from agn.onnx import OnnxImportError

    model = single_node("Range", {"s": np.array(0, np.int64)},
                        initializers={"l": np.array(5, np.int64), "d": np.array(1, np.int64)},
                        node_name="r")
    with pytest.raises(OnnxImportError, match=r"Range node 'r': start .* must be a constant"):
        import_model(model)


@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhid,bhjd->bhij", [(2, 3, 4, 5), (2, 3, 6, 5)]),   # attention scores
    ("bhij,bhjd->bhid", [(2, 3, 4, 6), (2, 3, 6, 5)]),   # attention output
    ("ij,kj->ik", [(3, 4), (5, 4)]),                     # x @ W^T
    ("ji,jk->ik", [(4, 3), (4, 5)]),
    ("i,i->", [(7,), (7,)]),
    ("ij,jk", [(3, 4), (4, 2)]),                         # implicit output: "ik"
    ("i j , j k -> k i", [(3, 4), (4, 2)]),              # spaces; transposed output
    ("ij->ji", [(3, 4)]),
    ("ij->i", [(3, 4)]),
    ("ii->i", [(3, 3)]),                                 # diagonal
])
def test_einsum(backend, equation, shapes):
    """Against NumPy in float64; bound: each output sums n products, so
    (n + 1) * 2^-24 * (the einsum of the magnitudes)."""
    operands = [rand(*s) for s in shapes]
    names = [f"x{i}" for i in range(len(operands))]
    model = single_node("Einsum", dict(zip(names, operands)), {"equation": equation},
                        opset=12)
    (y,) = run(backend, model, *operands)
    want = np.einsum(equation.replace(" ", ""), *[o.astype(np.float64) for o in operands])
    magnitude = np.einsum(equation.replace(" ", ""), *[np.abs(o.astype(np.float64))
                                                       for o in operands])
    # Each output element sums as many products as the einsum of ones counts.
    n = np.einsum(equation.replace(" ", ""), *[np.ones(s) for s in shapes])
    within(y, np.asarray(want), (n + 1) * U32 * np.asarray(magnitude))


def test_einsum_integers_and_unit_attributes(backend):
    """An int32 product is exact; a two-operand Einsum carries the unit's
    name like MatMul."""
    a = RNG.integers(-9, 9, (2, 3, 4)).astype(np.int32)
    b = RNG.integers(-9, 9, (2, 5, 4)).astype(np.int32)
    model = single_node("Einsum", {"a": a, "b": b}, {"equation": "bik,bjk->bij"}, opset=12,
                        node_name="scores")
    assert 'agn.name = "g.scores"' in import_model(model).mlir
    (y,) = run(backend, model, a, b)
    np.testing.assert_array_equal(y, np.einsum("bik,bjk->bij", a, b))


def test_einsum_rejects_ellipsis():
    from agn.onnx import OnnxImportError

    model = single_node("Einsum", {"a": rand(2, 3, 4), "b": rand(2, 4, 5)},
                        {"equation": "...ij,...jk->...ik"}, opset=12, node_name="e")
    with pytest.raises(OnnxImportError, match=r"Einsum node 'e': equation '...ij,...jk->...ik':"
                                              r" ellipsis"):
        import_model(model)
