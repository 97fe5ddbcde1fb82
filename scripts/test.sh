#!/usr/bin/env bash
# Sets up, builds and runs every agn test: the lit suite (FileCheck tests of
# the dialect, passes and lowering, execution tests, agn-opt's and agn-run's
# diagnostics, and the runtime's gtest cases) and the Python package's pytest
# suite. Ends with both summaries and a plain "N passed, N failed" line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${AGN_BUILD_DIR:-$root/build}"

"$root/scripts/build.sh"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
/usr/lib/llvm-22/bin/lit -sv "$build/test" 2>&1 | tee "$log" || status=$?

# lit's summary has "Passed: N" / "Failed: N" lines.
count() { sed -n "s/^ *$1 *: *\([0-9]*\).*/\1/p" "$log" | tail -n 1; }
passed="$(count Passed)"
failed="$(count Failed)"
skipped="$(count Unsupported)"
passed="${passed:-0}" failed="${failed:-0}" skipped="${skipped:-0}"

# The Python package (python/agn) against the libraries just built.
if [ -d "$root/python/tests" ]; then
  pylog="$(mktemp)"
  pystatus=0
  (cd "$root" && AGN_LIBRARY_DIR="$build/lib" PYTHONPATH="$root/python" \
    /usr/bin/python3 -m pytest -q python/tests) 2>&1 | tee "$pylog" || pystatus=$?
  [ "$status" -ne 0 ] || status=$pystatus
  pycount() {
    local n
    n="$(grep -oE "[0-9]+ $1" "$pylog" | tail -n 1 | cut -d' ' -f1)"
    echo "${n:-0}"
  }
  passed=$((passed + $(pycount passed)))
  failed=$((failed + $(pycount failed) + $(pycount error)))
  skipped=$((skipped + $(pycount skipped)))
  rm -f "$pylog"
fi

echo "agn: $passed passed, $failed failed, $skipped skipped"
exit "$status"
