"""Test support: ONNX's backend node tests through agn
(`agn.testing.conformance`) and an independent upstream-MLIR reference
backend (`agn.testing.upstream`)."""
