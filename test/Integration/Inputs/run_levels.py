#!/usr/bin/env python3
"""Runs MODEL at each level with agn-run and checks each output's bound.

  run_levels.py MODEL DIR BOUNDS_SCRIPT    (agn-run must be on PATH)
"""

import subprocess
import sys

LEVELS = ["f32", "f16", "bf16", "i8", "i4"]


def main() -> int:
    model, directory, bounds = sys.argv[1:4]
    failed = []
    for level in LEVELS:
        out = f"{directory}/y_{level}.npy"
        subprocess.run(
            ["agn-run", model, "--quiet",
             f"--passes=agn-adaptive-pipeline,agn-specialize{{level={level}}}",
             "-i", f"{directory}/x.npy", "-i", f"{directory}/w.npy", "-o", out],
            check=True)
        result = subprocess.run(
            [sys.executable, bounds, "check", directory, level,
             f"y_{level}.npy"], capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        if result.returncode != 0:
            failed.append(level)
    if failed:
        print(f"outside their bounds: {', '.join(failed)}")
        return 1
    print("all levels within their bounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
