#!/usr/bin/env python3
"""Quantizes an ONNX model with ONNX Runtime's own tools, for model_bench.py.

    .venv-iree/bin/python bench/ort_quantize.py model.onnx --int8 out.onnx \
        [--int4 out4.onnx]

--int8: quantize_dynamic with QInt8 weights, or QUInt8 with
--unsigned-weights (activations quantized at run time: MatMulInteger,
ConvInteger; ORT's CPU ConvInteger has no int8-weight kernel). --int4: MatMul4BitsQuantizer (block 32,
symmetric): MatMul weights in 4 bits, MatMulNBits. Runs in .venv-iree
because ORT's quantization tools import onnx.reference, which Debian's onnx
1.12 lacks; the quantized models are then timed by the ORT of .venv-peers
(the same version).
"""

import argparse
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--int8")
    parser.add_argument("--int4")
    parser.add_argument("--unsigned-weights", action="store_true",
                        help="QUInt8 weights: ORT's CPU ConvInteger takes only uint8 ones")
    args = parser.parse_args()
    if args.int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        weight_type = QuantType.QUInt8 if args.unsigned_weights else QuantType.QInt8
        quantize_dynamic(args.model, args.int8, weight_type=weight_type)
    if args.int4:
        import onnx
        from onnxruntime.quantization.matmul_4bits_quantizer import MatMul4BitsQuantizer

        quantizer = MatMul4BitsQuantizer(onnx.load(args.model), block_size=32,
                                         is_symmetric=True)
        quantizer.process()
        quantizer.model.save_model_to_file(args.int4)
    return 0


if __name__ == "__main__":
    sys.exit(main())
