"""MLIR text utilities: exact literals, types, maps."""

from __future__ import annotations

import struct

import numpy as np

from agn.onnx.mlir_text import (affine_map, dense_literal, scalar_literal, string_literal,
                                tensor_type)
from agn.pipeline import adaptive_pipeline
import pytest

from conftest import requires_compiler


def test_tensor_types():
    assert tensor_type((2, 3), np.float32) == "tensor<2x3xf32>"
    assert tensor_type((), np.int64) == "tensor<i64>"
    assert tensor_type((4,), np.uint8) == "tensor<4xi8>"


def test_float_literals_are_exact_bit_patterns():
    assert scalar_literal(1.0, np.float32) == "0x3F800000"
    assert scalar_literal(-np.inf, np.float32) == "0xFF800000"
    value = 0.1
    bits = int(scalar_literal(value, np.float32), 16)
    assert struct.unpack("<f", struct.pack("<I", bits))[0] == np.float32(value)
    assert scalar_literal(1.0, np.float16) == "0x3C00"
    assert scalar_literal(255, np.uint8) == "-1"


def test_dense_literals():
    assert dense_literal(np.full((2, 2), 3.0, np.float32)) == "dense<0x40400000>"
    hex_text = dense_literal(np.array([1.0, 2.0], np.float32))
    assert hex_text == 'dense<"0x0000803F00000040">'
    assert dense_literal(np.array([[True, False]])) == "dense<[[true, false]]>"
    assert dense_literal(np.zeros((0, 3), np.float32)) == "dense<>"
    assert (dense_literal(np.array([1, 300], np.int64))
            == 'dense<"0x01000000000000002C01000000000000">')


def test_maps_and_strings():
    assert affine_map(2, ["d0", "0"]) == "affine_map<(d0, d1) -> (d0, 0)>"
    assert string_literal('a"b\\c') == '"a\\"b\\\\c"'


@requires_compiler  # the accepted options come from libAGNCAPI.so
def test_adaptive_pipeline_options():
    assert adaptive_pipeline({}) == "agn-adaptive-pipeline"
    text = adaptive_pipeline(dict(levels=["i8", "f32"], thresholds=[0.5], split=2,
                                  split_along="rows", i4_block_size=64))
    assert text == ("agn-adaptive-pipeline{levels=i8,f32 thresholds=0.5 split=2 "
                    "split-along=rows i4-block-size=64}")
    with pytest.raises(TypeError, match="unknown agn-adaptive-pipeline option"):
        adaptive_pipeline({"level": "i8"})
