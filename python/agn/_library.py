"""Finding and loading agn's shared libraries.

The libraries are looked up in `$AGN_LIBRARY_DIR` if set, else in the build
tree next to this package (`<repo>/build/lib`). The runtime
(`libagn_runtime.so`) is loaded first and globally, so that the compiler
library (`libAGNCAPI.so`, which links it) and the JIT-compiled models share
the one process-wide resource manager that `agn.runtime` talks to.
"""

from __future__ import annotations

import ctypes
import os
import threading
from typing import Dict, List

#: The libraries, by the name agn's build gives them.
RUNTIME_LIBRARY = "libagn_runtime.so"
COMPILER_LIBRARY = "libAGNCAPI.so"

_lock = threading.Lock()
_loaded: Dict[str, ctypes.CDLL] = {}


class LibraryNotFoundError(OSError):
    """An agn shared library is missing (agn is not built, or
    AGN_LIBRARY_DIR points elsewhere)."""


def search_dirs() -> List[str]:
    """The directories searched, in order."""
    dirs = []
    env = os.environ.get("AGN_LIBRARY_DIR")
    if env:
        dirs.append(env)
    here = os.path.dirname(os.path.abspath(__file__))
    dirs.append(os.path.normpath(os.path.join(here, "..", "..", "build", "lib")))
    return dirs


def find_library(name: str) -> str:
    """The path of library `name`, or LibraryNotFoundError saying how to get
    it."""
    dirs = search_dirs()
    for directory in dirs:
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise LibraryNotFoundError(
        f"{name} not found in {', '.join(dirs)}: build agn first "
        "(scripts/build.sh), or set AGN_LIBRARY_DIR to the directory holding it")


def load(name: str) -> ctypes.CDLL:
    """Loads library `name` once per process (the runtime before anything
    else, with RTLD_GLOBAL)."""
    with _lock:
        if name in _loaded:
            return _loaded[name]
        if name != RUNTIME_LIBRARY and RUNTIME_LIBRARY not in _loaded:
            _loaded[RUNTIME_LIBRARY] = ctypes.CDLL(find_library(RUNTIME_LIBRARY),
                                                   mode=ctypes.RTLD_GLOBAL)
        library = ctypes.CDLL(find_library(name), mode=ctypes.RTLD_GLOBAL)
        _loaded[name] = library
        return library


def declare(library: ctypes.CDLL, signatures: dict) -> ctypes.CDLL:
    """Sets restype/argtypes of each `name: (restype, argtypes)` entry."""
    for name, (restype, argtypes) in signatures.items():
        function = getattr(library, name)
        function.restype = restype
        function.argtypes = argtypes
    return library
