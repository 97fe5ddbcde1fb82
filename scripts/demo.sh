#!/usr/bin/env bash
# Sets up and builds agn, then runs the main job on the bundled example: a
# small MLP whose layers are Granularity Units, printed with their levels and
# policies by agn-opt.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${AGN_BUILD_DIR:-$root/build}"

"$root/scripts/build.sh" agn-opt

example="$root/examples/mlp_units.mlir"
echo "== agn-opt $example --canonicalize"
"$build/bin/agn-opt" "$example" --canonicalize
