#!/usr/bin/env bash
# Fuzzes agn's front doors with libFuzzer, agn built with ASan and UBSan in
# its own folder (build-fuzz, or AGN_FUZZ_BUILD_DIR):
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS (default 60) per target; TARGETs (default all): mlir, attributes,
# runtime-config (fuzz/CMakeLists.txt says what each feeds). Each starts from
# seeds made from the lit tests and docs (fuzz/make_seeds.py), the kept
# findings (fuzz/regressions/TARGET) and what earlier runs learnt
# (build-fuzz/corpus/TARGET). A finding (crash, sanitizer report, leak,
# timeout, out-of-memory) is written to build-fuzz/findings/ and makes the
# script fail; keep it in fuzz/regressions/TARGET once fixed, where the lit
# suite replays it (test/Fuzz). AGN_FUZZ_SEED fixes libFuzzer's seed (CI's
# smoke run uses 1, so that it mutates the same way every time).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${AGN_FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(mlir attributes runtime-config)
case "$seconds" in
  ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [mlir|attributes|runtime-config ...]" >&2
               exit 2 ;;
esac
for target in "${targets[@]}"; do
  case "$target" in
    mlir|attributes|runtime-config) ;;
    *) echo "fuzz: unknown target '$target' (mlir, attributes, runtime-config)" >&2
       exit 2 ;;
  esac
done

AGN_BUILD_DIR="$build" \
AGN_CMAKE_ARGS="-DAGN_ENABLE_FUZZERS=ON -DAGN_SANITIZERS=address,undefined
  -DAGN_ENABLE_BENCHMARKS=OFF" \
  "$root/scripts/build.sh" "${targets[@]/#/agn-fuzz-}"

# Seeds of this run (runs for different targets may go side by side).
seeds="$(mktemp -d "$build/seeds.XXXXXX")"
trap 'rm -rf "$seeds"' EXIT
/usr/bin/python3 "$root/fuzz/make_seeds.py" "$seeds"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-22/bin/llvm-symbolizer
status=0
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"
  findings="$build/findings/$target"
  regressions="$root/fuzz/regressions/$target"
  mkdir -p "$corpus" "$findings" "$regressions"
  echo "fuzz: $target for ${seconds} s"
  # One process, so that the other core stays free; inputs that take over
  # 20 s or 4 GiB are findings too.
  # Fork mode goes on after a finding, so one run reports them all.
  if ! "$build/bin/agn-fuzz-$target" -max_total_time="$seconds" -timeout=20 \
      -rss_limit_mb=4096 -max_len=16384 -print_final_stats=1 \
      -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
      -seed="${AGN_FUZZ_SEED:-0}" \
      -artifact_prefix="$findings/" "$corpus" "$seeds/$target" "$regressions" \
      2>"$build/fuzz-$target.log"; then
    status=1
  fi
  tail -n 12 "$build/fuzz-$target.log" | grep -E "^stat::|^Done|ERROR|SUMMARY" || true
  if compgen -G "$findings/*" >/dev/null; then
    echo "fuzz: $target: findings in $findings (log: $build/fuzz-$target.log)"
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "fuzz: no findings" || echo "fuzz: FINDINGS" >&2
exit "$status"
