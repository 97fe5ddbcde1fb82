#!/usr/bin/env python3
"""Feeds truncated copies of an MLIR file to a tool and checks it never crashes.

Usage: truncate_and_parse.py TOOL [ARGS...] FILE [CUTS]

Cuts FILE at CUTS (default 150) evenly spread offsets, plus the boundaries of
every line that mentions an agn op or attribute, runs `TOOL -` on each prefix
and fails if any run ends by a signal, with a status other than 0 or 1, or
takes longer than 20 seconds. Prints one line per failure and a summary.
"""

import re
import subprocess
import sys


def cut_points(text: str, count: int) -> list:
    points = {len(text) * i // count for i in range(1, count)}
    offset = 0
    for line in text.splitlines(keepends=True):
        if re.search(r"agn\.|#agn", line):
            # Cut just before, in the middle of and just after such lines.
            points.update({offset, offset + len(line) // 2, offset + len(line) - 1})
        offset += len(line)
    return sorted(p for p in points if 0 < p < len(text))


def main() -> int:
    # The tool may be a command of several words (`env ... agn-opt` in
    # sanitized builds, see test/lit.cfg.py): everything before FILE.
    args = sys.argv[1:]
    count = 150
    if len(args) > 2 and args[-1].isdigit():
        count = int(args.pop())
    *tool, path = args
    text = open(path, encoding="utf-8").read()
    failures = 0
    points = cut_points(text, count)
    for point in points:
        prefix = text[:point]
        try:
            result = subprocess.run([*tool, "-"], input=prefix.encode(),
                                    capture_output=True, timeout=20)
        except subprocess.TimeoutExpired:
            print(f"hang at offset {point}")
            failures += 1
            continue
        if result.returncode not in (0, 1):
            failures += 1
            print(f"offset {point}: exit status {result.returncode}")
            print(result.stderr.decode(errors="replace")[-2000:])
        elif result.returncode == 1 and b"error:" not in result.stderr:
            failures += 1
            print(f"offset {point}: exit status 1 without a diagnostic")
    print(f"{len(points)} prefixes, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
