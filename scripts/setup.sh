#!/usr/bin/env bash
# Installs everything agn needs on Debian 12 (idempotent: packages already
# present are not fetched again). Run as root, or with sudo available.
set -euo pipefail

packages=(
  # Toolchain: Debian's LLVM/MLIR 22 (bookworm-security), CMake, Ninja.
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  clang-format-22 cmake ninja-build
  # Runtime tests and benchmarks.
  libgtest-dev libgmock-dev libbenchmark-dev
  # Python used by lit and the test helpers.
  python3 python3-numpy
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
