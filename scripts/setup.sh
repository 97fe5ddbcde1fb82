#!/usr/bin/env bash
# Installs everything agn needs on Debian 12 (idempotent: packages already
# present are not fetched again). Run as root, or with sudo available.
#
#   scripts/setup.sh --peers   also makes .venv-peers: a virtual environment
#                              over Debian's Python (its packages visible)
#                              with the benchmark peers from PyPI, pinned
#                              (ONNX Runtime), for the differential tests'
#                              references; see docs/Testing.md. And
#                              .venv-iree: IREE's compiler and runtime and
#                              ONNX Runtime's quantization tools, pinned, in
#                              an environment of their own (they need a
#                              newer onnx, IREE's runtime a newer ml_dtypes,
#                              than Debian's), for bench/model_bench.py.
set -euo pipefail

# The peers, pinned, and what they pull in that Debian does not ship: what
# .venv-peers adds to Debian's packages (numpy, protobuf, sympy and
# packaging come from Debian).
peers=(onnxruntime==1.20.1 coloredlogs==15.0.1 humanfriendly==10.0
  flatbuffers==25.12.19)

# IREE and what it pulls in, pinned; numpy below 2 as Debian's torch wants.
# ONNX Runtime's quantization tools (bench/ort_quantize.py) need the newer
# onnx too.
iree=(iree-base-compiler==3.13.0 iree-base-runtime==3.13.0 onnx==1.17.0
  numpy==1.26.4 ml_dtypes==0.5.4 protobuf==7.36.2 sympy==1.14.0
  mpmath==1.3.0 onnxruntime==1.20.1 coloredlogs==15.0.1 humanfriendly==10.0
  flatbuffers==25.12.19 packaging==25.0)

with_peers=0
for arg in "$@"; do
  case "$arg" in
    --peers) with_peers=1 ;;
    *) echo "usage: scripts/setup.sh [--peers]" >&2; exit 2 ;;
  esac
done

make_peers_venv() {
  local root venv
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  venv="$root/.venv-peers"
  [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${peers[@]}"
  echo "setup: $venv has ${peers[*]} (run Python as $venv/bin/python)"
}

make_iree_venv() {
  local root venv
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  venv="$root/.venv-iree"
  [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${iree[@]}"
  echo "setup: $venv has ${iree[*]}"
}

packages=(
  # Toolchain: Debian's LLVM/MLIR 22 (bookworm-security), CMake, Ninja.
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  clang-format-22 cmake ninja-build
  # libFuzzer and the sanitizer runtimes (scripts/fuzz.sh, scripts/sanitize.sh).
  libclang-rt-22-dev
  # LLVM's OpenMP runtime: it runs the parallel loops of code compiled for
  # more than one thread.
  libomp-22-dev
  # Runtime tests and benchmarks; OpenBLAS is the reference of
  # bench/KernelBench.cpp (agn-bench-kernels).
  libgtest-dev libgmock-dev libbenchmark-dev libopenblas-dev
  # Python: lit, the test helpers, the agn package (ONNX import, training,
  # demo) and its tests, with Debian's numpy, onnx, torch and scikit-learn.
  python3 python3-numpy python3-onnx python3-torch python3-sklearn
  python3-pytest python3-matplotlib python3-torchvision libonnx-testdata
  # The packaging tests (test/Install/pip-install.test) make a venv and
  # pip-install agn into it offline, with Debian's pip and setuptools.
  python3-venv python3-pip python3-setuptools
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
else
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
fi

if [ "$with_peers" -eq 1 ]; then
  make_peers_venv
  make_iree_venv
fi
