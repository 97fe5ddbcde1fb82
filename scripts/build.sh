#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh), configures once and builds agn.
# Usage: scripts/build.sh [ninja targets...]   (default: all)
# Environment: AGN_BUILD_DIR (default: build), AGN_BUILD_TYPE (default: Release),
# AGN_CMAKE_ARGS (more -D options for the first configure; scripts/fuzz.sh
# and scripts/sanitize.sh use it for their own build folders).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${AGN_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh"

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE="${AGN_BUILD_TYPE:-Release}" \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE=/usr/bin/python3 ${AGN_CMAKE_ARGS:-}
fi
ninja -C "$build" "$@"
