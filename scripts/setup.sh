#!/usr/bin/env bash
# Installs everything agn needs on Debian 12 (idempotent: packages already
# present are not fetched again). Run as root, or with sudo available.
set -euo pipefail

packages=(
  # Toolchain: Debian's LLVM/MLIR 22 (bookworm-security), CMake, Ninja.
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  clang-format-22 cmake ninja-build
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
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
