#!/usr/bin/env bash
# Sets up, builds and runs every agn test through lit (check-agn's suite): the
# FileCheck tests of the dialect, passes and lowering, execution tests,
# agn-opt's and agn-run's diagnostics, the runtime's gtest cases, and the
# Python package (test/Python: smoke tests, and python/tests' pytest suite as
# one lit test, test/Python/pytest.test). Ends with lit's summary, pytest's
# counts, and a plain "agn: N passed, N failed, N skipped" line that counts
# each pytest case (not the one lit test that runs them); the exit status is
# non-zero when anything failed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${AGN_BUILD_DIR:-$root/build}"

"$root/scripts/build.sh"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# pytest's per-case results, written by test/Python/pytest.test (pass or
# fail); removed first so that a stale file from an earlier run never counts.
results="$build/test/Python/pytest-results.xml"
rm -f "$results"

status=0
/usr/lib/llvm-22/bin/lit -sv "$build/test" 2>&1 | tee "$log" || status=$?

# lit's summary has "Passed: N" / "Failed: N" lines.
count() { sed -n "s/^ *$1 *: *\([0-9]*\).*/\1/p" "$log" | tail -n 1; }
passed="$(count Passed)"
failed="$(count Failed)"
skipped="$(count Unsupported)"
passed="${passed:-0}" failed="${failed:-0}" skipped="${skipped:-0}"

# Replace the pytest driver's one lit result by pytest's cases.
if [ -f "$results" ]; then
  read -r py_passed py_failed py_skipped < <(/usr/bin/python3 -c '
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
n = {k: 0 for k in ("tests", "failures", "errors", "skipped")}
for suite in suites:
    for k in n:
        n[k] += int(suite.get(k, 0))
bad = n["failures"] + n["errors"]
print(n["tests"] - bad - n["skipped"], bad, n["skipped"])
' "$results")
  echo "pytest (python/tests, run by test/Python/pytest.test):" \
    "$py_passed passed, $py_failed failed, $py_skipped skipped"
  driver="AGN :: Python/pytest.test"
  if grep -q "^FAIL: $driver" "$log"; then
    failed=$((failed - 1))
  elif ! grep -qE "^(UNRESOLVED|TIMEOUT): $driver" "$log"; then
    passed=$((passed - 1))
  fi
  # A driver that failed with no failing case (pytest itself broke) counts as
  # one failure.
  if grep -qE "^(FAIL|UNRESOLVED|TIMEOUT): $driver" "$log" && [ "$py_failed" -eq 0 ]; then
    py_failed=1
  fi
  passed=$((passed + py_passed))
  failed=$((failed + py_failed))
  skipped=$((skipped + py_skipped))
fi

[ "$failed" -eq 0 ] || [ "$status" -ne 0 ] || status=1
echo "agn: $passed passed, $failed failed, $skipped skipped"
exit "$status"
