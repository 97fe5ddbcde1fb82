#!/usr/bin/env bash
# The whole differential corpus (agn.testing.corpus): torchvision models and
# libonnx-testdata's PyTorch suites at every level, after scripts/build.sh.
# Writes the table to docs/Corpus.md (or $1). About 20 minutes on two cores;
# CI runs a slice of it (python/tests/test_differential.py).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export AGN_LIBRARY_DIR="$PWD/build/lib" PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}"
exec /usr/bin/python3 -m agn.testing.corpus --torchvision --onnx-testdata \
  --markdown "${1:-docs/Corpus.md}"
