"""Turning an ONNX TensorProto into a NumPy array without trusting it.

`onnx.numpy_helper.to_array` believes what a tensor says: dims that lie
about the data make it raise a bare ValueError, an undefined element type a
TypeError, a segment a ValueError, and external data makes it open a file
relative to the current directory. `tensor_to_array` checks all of that
first and raises OnnxImportError naming the tensor, what is wrong and how
to fix it; since it compares the dims with the data that is actually
there, it never allocates more than the model holds.

`load_external_data` loads the data that `*.onnx` files keep in side
files, checking that each file lies under the model's directory and holds
the bytes the tensor claims.
"""

from __future__ import annotations

import os
from typing import Iterator

import numpy as np
import onnx
from onnx import TensorProto, external_data_helper, mapping, numpy_helper

from agn.onnx.context import OnnxImportError
from agn.onnx.limits import element_count, shape_problem

#: Element types the importer reads from a tensor's data. ONNX's others
#: (string, bfloat16, complex, the unsigned wider integers, ...) are
#: refused by name.
_TYPE_NAMES = {value: name for name, value in TensorProto.DataType.items()}


def _type_name(data_type: int) -> str:
    return _TYPE_NAMES.get(data_type, f"unknown ({data_type})")


#: The typed field each storage type keeps its values in.
_FIELDS = ("float_data", "int32_data", "string_data", "int64_data", "double_data",
           "uint64_data")


def tensor_to_array(tensor: TensorProto, where: str) -> np.ndarray:
    """The NumPy array `tensor` holds; `where` names it in errors
    ("initializer 'w'", "Constant node 'c': attribute 'value'").

    Raises OnnxImportError for an undefined or unknown element type,
    strings, a segment, data left in an external file, negative or huge
    dims, and dims that do not match the data (raw_data of another size, or
    another number of values in the typed field)."""
    data_type = tensor.data_type
    if data_type == TensorProto.UNDEFINED:
        raise OnnxImportError(f"{where} has no element type (data_type 0, UNDEFINED); "
                              "set data_type to the type of its values")
    if data_type not in mapping.TENSOR_TYPE_TO_NP_TYPE:
        raise OnnxImportError(f"{where} has an unknown element type ({data_type})")
    if data_type in (TensorProto.STRING, TensorProto.BFLOAT16, TensorProto.COMPLEX64,
                     TensorProto.COMPLEX128):
        raise OnnxImportError(f"{where} has element type {_type_name(data_type)}, which the "
                              "importer does not support")
    if tensor.HasField("segment"):
        raise OnnxImportError(f"{where} is a segment of a larger tensor, which ONNX's loader "
                              "(and so the importer) does not support; store it whole")
    if external_data_helper.uses_external_data(tensor) or tensor.external_data:
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        raise OnnxImportError(
            f"{where} keeps its data in an external file ('{location}') that was not "
            "loaded; import the model from its .onnx path (which loads the files beside "
            "it), or load it with onnx.load(path) first")
    dims = [int(d) for d in tensor.dims]
    problem = shape_problem(dims)
    if problem:
        raise OnnxImportError(f"{where} has dims {dims}: {problem}")
    count = element_count(dims)
    np_dtype = np.dtype(mapping.TENSOR_TYPE_TO_NP_TYPE[data_type])
    storage = mapping.TENSOR_TYPE_TO_STORAGE_TENSOR_TYPE[data_type]
    expected_field = mapping.STORAGE_TENSOR_TYPE_TO_FIELD[storage]
    filled = [f for f in _FIELDS if len(getattr(tensor, f))]
    if tensor.HasField("raw_data"):
        size = len(tensor.raw_data)
        if size != count * np_dtype.itemsize:
            raise OnnxImportError(
                f"{where} has dims {dims} ({count} elements of {_type_name(data_type)}, "
                f"{count * np_dtype.itemsize} bytes) but {size} bytes of raw_data; the "
                "dims or the data are corrupt")
        if filled:
            raise OnnxImportError(f"{where} has both raw_data and {filled[0]}; keep one")
    else:
        wrong = [f for f in filled if f != expected_field]
        if wrong:
            raise OnnxImportError(
                f"{where} is of type {_type_name(data_type)}, whose values belong in "
                f"{expected_field} (or raw_data), but has {wrong[0]}")
        values = len(getattr(tensor, expected_field))
        if values != count:
            raise OnnxImportError(
                f"{where} has dims {dims} ({count} elements) but {values} values in "
                f"{expected_field}; the dims or the data are corrupt")
    try:
        return numpy_helper.to_array(tensor)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:  # checked above
        raise OnnxImportError(f"{where} cannot be read: {exc}") from exc


def _model_tensors(model: onnx.ModelProto) -> Iterator[TensorProto]:
    """The tensors of the main graph: initializers and node attributes."""
    yield from model.graph.initializer
    for node in model.graph.node:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors


def load_external_data(model: onnx.ModelProto, base_dir: str) -> None:
    """Loads the data of the main graph's tensors that live in external
    files under `base_dir` (the model's directory), checking each
    reference: a relative location inside `base_dir`, an existing regular
    file, and an offset and length within it."""
    root = os.path.realpath(base_dir)
    for tensor in _model_tensors(model):
        if not external_data_helper.uses_external_data(tensor):
            continue
        where = f"tensor '{tensor.name}'"
        entries = {e.key: e.value for e in tensor.external_data}
        location = entries.get("location", "")
        path = os.path.realpath(os.path.join(root, location))
        if not location or os.path.isabs(location) or os.path.commonpath([root, path]) != root:
            raise OnnxImportError(
                f"{where} names the external data file '{location}', which is not a "
                "relative path inside the model's directory")
        if not os.path.isfile(path):
            raise OnnxImportError(f"{where} keeps its data in '{location}', which is not a "
                                  f"file beside the model (looked for {path})")
        try:
            offset = int(entries.get("offset") or 0)
            length = int(entries["length"]) if entries.get("length") else None
        except ValueError:
            raise OnnxImportError(f"{where}: external data offset '{entries.get('offset')}' "
                                  f"or length '{entries.get('length')}' is not an integer")
        available = os.path.getsize(path)
        if offset < 0 or (length is not None and length < 0) or offset > available or (
                length is not None and offset + length > available):
            raise OnnxImportError(
                f"{where}: external data at offset {offset} with length {length} does not "
                f"lie within '{location}' ({available} bytes)")
        with open(path, "rb") as f:
            f.seek(offset)
            tensor.raw_data = f.read(length if length is not None else available - offset)
        tensor.data_location = TensorProto.DEFAULT
        del tensor.external_data[:]
