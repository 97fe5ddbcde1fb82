#!/usr/bin/env bash
# Sets up, builds and runs every agn test: the lit suite (FileCheck tests of
# the dialect and passes, agn-opt's diagnostics) and the gtest unit tests,
# which lit runs too. Ends with lit's summary and a plain
# "N passed, N failed" line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${AGN_BUILD_DIR:-$root/build}"

"$root/scripts/build.sh"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
/usr/lib/llvm-22/bin/lit -sv "$build/test" 2>&1 | tee "$log" || status=$?

# lit's summary has "Passed: N" / "Failed: N" lines; say it plainly too.
count() { sed -n "s/^ *$1 *: *\([0-9]*\).*/\1/p" "$log" | tail -n 1; }
passed="$(count Passed)"
failed="$(count Failed)"
unsupported="$(count Unsupported)"
echo "agn: ${passed:-0} passed, ${failed:-0} failed, ${unsupported:-0} skipped"
exit "$status"
