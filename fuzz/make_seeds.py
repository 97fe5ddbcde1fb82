#!/usr/bin/env python3
"""Writes the seed corpora of agn's fuzz targets from the lit tests and docs.

    make_seeds.py OUT_DIR

OUT_DIR/mlir: every split (`// -----`) of every test/**/*.mlir file;
OUT_DIR/attributes: every `#agn.<name><...>` attribute written in the tests
and docs, without the `#agn.` (the target adds it);
OUT_DIR/runtime-config: configuration files, environments and option calls
built from docs/Runtime.md's table of keys, one input per front door (the
first byte picks it, see RuntimeConfigFuzzer.cpp).
"""

from __future__ import annotations

import hashlib
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def write(directory: pathlib.Path, data: bytes) -> None:
    """Stores `data` under its hash, as libFuzzer names corpus files."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def mlir_seeds(out: pathlib.Path) -> int:
    count = 0
    for path in sorted((ROOT / "test").rglob("*.mlir")):
        for split in re.split(r"^// -----\s*$", path.read_text(), flags=re.M):
            # RUN and CHECK lines are comments to the parser; dropping them
            # keeps the seeds small.
            text = "\n".join(line for line in split.splitlines()
                             if not line.lstrip().startswith("//"))
            if text.strip():
                write(out, text.encode())
                count += 1
    return count


def balanced_attribute(text: str, start: int) -> str:
    """The `name<...>` (or bare `name`) at `start`, angle brackets balanced."""
    match = re.compile(r"[a-z_]+").match(text, start)
    if not match:
        return ""
    end = match.end()
    if end >= len(text) or text[end] != "<":
        return text[start:end]
    depth = 0
    for index in range(end, len(text)):
        depth += {"<": 1, ">": -1}.get(text[index], 0)
        if depth == 0:
            return text[start:index + 1]
    return ""


def attribute_seeds(out: pathlib.Path) -> int:
    seen = set()
    sources = list((ROOT / "test").rglob("*.mlir")) + list((ROOT / "docs").rglob("*.md"))
    for path in sorted(sources):
        text = path.read_text()
        for match in re.finditer(r"#agn\.", text):
            attribute = balanced_attribute(text, match.end())
            if attribute and attribute not in seen:
                seen.add(attribute)
                write(out, attribute.encode())
    return len(seen)


def runtime_config_seeds(out: pathlib.Path) -> int:
    """Each documented key with its documented default as a file line, an
    environment entry and an option call, and the example file."""
    table = (ROOT / "docs" / "Runtime.md").read_text()
    rows = re.findall(r"^\| `([a-z_]+)` \| `(AGN_RT_[A-Z_]+)` \|[^|]*\| ([^|]*) \|$", table,
                      flags=re.M)
    file_lines, env_lines, api_lines = [], [], []
    for key, env, default in rows:
        value = default.strip().strip("`").split("`")[0] or "off"
        file_lines.append(f"{key} = {value}")
        env_lines.append(f"{env}={value}")
        api_lines.append(f"{key}\t{value}")
    example = re.search(r"```\n(# One `key = value`.*?)```", table, flags=re.S)
    inputs = [b"\0" + "\n".join(file_lines).encode(), b"\1" + "\n".join(env_lines).encode(),
              b"\2" + "\n".join(api_lines).encode(), b"\3" + "\n".join(api_lines).encode()]
    if example:
        inputs.append(b"\0" + example.group(1).encode())
    for data in inputs:
        write(out, data)
    return len(inputs)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = pathlib.Path(sys.argv[1])
    counts = {"mlir": mlir_seeds(out / "mlir"),
              "attributes": attribute_seeds(out / "attributes"),
              "runtime-config": runtime_config_seeds(out / "runtime-config")}
    print("seeds: " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
