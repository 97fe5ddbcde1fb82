#!/usr/bin/env bash
# Sets up and builds agn, then runs the main job on the bundled example models:
# an MLP written in upstream linalg and a CNN written in TOSA (lowered by
# upstream MLIR's TOSA pipeline) go through agn's adaptive pipeline, which
# forms Granularity Units, gives each a controller, quantizes constant weights
# at compile time and emits one kernel version per precision level. agn-report
# prints each unit's levels with weight bytes and MACs, and its policy.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${AGN_BUILD_DIR:-$root/build}"
opt="$build/bin/agn-opt"

"$root/scripts/build.sh"
out="$build/examples"
mkdir -p "$out"

echo
echo "== examples/mlp.mlir (linalg) --agn-adaptive-pipeline"
"$opt" "$root/examples/mlp.mlir" --agn-adaptive-pipeline --agn-report \
  -o "$out/mlp.agn.mlir"

echo
echo "== examples/cnn.mlir (linalg, from TOSA) --agn-adaptive-pipeline"
"$opt" "$root/examples/cnn.mlir" --agn-adaptive-pipeline --agn-report \
  -o "$out/cnn.agn.mlir"

echo
echo "== one unit of the MLP after the pipeline (controller and versions):"
grep -E 'agn\.(unit|variance|select|arbitrate|dispatch)|^ *case ' \
  "$out/mlp.agn.mlir" | sed -E 's/ policy #agn.*//; s/ ins\(.*//; s/^ +/  /' | head -n 12
echo
echo "Compiled IR: $out/mlp.agn.mlir, $out/cnn.agn.mlir"

echo
echo "== the digits demo: train a small CNN with and without the granularity"
echo "   penalty, compile with agn, run the test split adaptively"
(cd "$root" && AGN_LIBRARY_DIR="$build/lib" PYTHONPATH="$root/python" \
  /usr/bin/python3 -m agn.demo)
