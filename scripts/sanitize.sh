#!/usr/bin/env bash
# Builds agn with sanitizers in folders of their own and runs its tests there:
#
#   scripts/sanitize.sh [address|thread]...   (default: both)
#
# address: agn (compiler, runtime, tools, libraries) with AddressSanitizer,
#   LeakSanitizer and UndefinedBehaviorSanitizer in build-asan, then the
#   whole lit suite there: FileCheck and execution tests, the gtest cases
#   (two compiled models called from two threads each among them:
#   unittests/CAPI), the replayed fuzz findings and the pytest suite (Python
#   preloads the ASan runtime; see test/lit.cfg.py).
# thread: the runtime and its gtest cases with ThreadSanitizer in build-tsan
#   (the runtime is what calls from many threads share: arbitration,
#   monitors, telemetry, the buffer cache). The compiler is not built with
#   TSan: LLVM and MLIR come from Debian uninstrumented, and TSan reports
#   races through synchronization it cannot see.
#
# Any report fails the run (-fno-sanitize-recover=all; halt_on_error). There
# are no suppressions.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(address thread)
symbolizer=/usr/lib/llvm-22/bin/llvm-symbolizer
export ASAN_SYMBOLIZER_PATH="$symbolizer"

status=0
for kind in "${kinds[@]}"; do
  case "$kind" in
    address)
      build="$root/build-asan"
      AGN_BUILD_DIR="$build" \
      AGN_CMAKE_ARGS="-DAGN_SANITIZERS=address,undefined -DAGN_ENABLE_BENCHMARKS=OFF" \
        "$root/scripts/build.sh"
      export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1"
      export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
      echo "sanitize: lit (ASan, LSan, UBSan) in $build"
      /usr/lib/llvm-22/bin/lit -sv "$build/test" || status=1
      ;;
    thread)
      build="$root/build-tsan"
      AGN_BUILD_DIR="$build" \
      AGN_CMAKE_ARGS="-DAGN_SANITIZERS=thread -DAGN_ENABLE_COMPILER=OFF -DAGN_ENABLE_BENCHMARKS=OFF" \
        "$root/scripts/build.sh"
      export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:external_symbolizer_path=$symbolizer"
      echo "sanitize: runtime gtest cases (TSan) in $build"
      "$build/unittests/Runtime/AGNRuntimeTests" || status=1
      ;;
    *) echo "usage: scripts/sanitize.sh [address|thread]..." >&2; exit 2 ;;
  esac
done
[ "$status" -eq 0 ] && echo "sanitize: clean" || echo "sanitize: REPORTS (see above)" >&2
exit "$status"
