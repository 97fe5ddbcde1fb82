"""Finding and loading agn's shared libraries.

agn's Python package is pure Python; the compiler and the runtime are two
shared libraries that agn's CMake build makes: `libagn_runtime.so` (the
runtime resource manager, include/agn-c/Runtime.h) and `libAGNCAPI.so` (the
compiler, include/agn-c/Compiler.h). They are looked up in this order (see
`search_dirs`), and the first directory holding a library wins:

1. `$AGN_LIBRARY_DIR`, when set (a build's `lib/`, or any directory).
2. `agn/lib/` inside the installed package: where a wheel that bundles the
   libraries puts them (copy `libagn_runtime.so` and `libAGNCAPI.so` there
   before building it).
3. The `lib/` of the prefix the package is installed under: `cmake --install
   build --prefix P` puts the package in `P/lib/python3/dist-packages/agn`
   and the libraries in `P/lib` (or `P/lib/<multiarch>`).
4. The Python environment's own `sys.prefix/lib` (a venv or conda
   environment the libraries were installed into).
5. Last, a development checkout's `build/lib` (the package used from
   `python/` in the source tree, next to `scripts/build.sh`'s build).

The runtime is loaded first and globally, so that the compiler library
(which links it) and the JIT-compiled models share the one process-wide
resource manager that `agn.runtime` talks to.
"""

from __future__ import annotations

import ctypes
import os
import sys
import sysconfig
import threading
from typing import Dict, List

#: The libraries, by the name agn's build gives them.
RUNTIME_LIBRARY = "libagn_runtime.so"
COMPILER_LIBRARY = "libAGNCAPI.so"

#: The environment variable naming a directory searched first.
LIBRARY_DIR_VARIABLE = "AGN_LIBRARY_DIR"

_lock = threading.Lock()
_loaded: Dict[str, ctypes.CDLL] = {}


class LibraryNotFoundError(OSError):
    """An agn shared library is missing (agn is not built or not installed,
    or AGN_LIBRARY_DIR points elsewhere)."""


def _package_dir() -> str:
    return os.path.dirname(os.path.abspath(__file__))


def _lib_dirs(prefix: str) -> List[str]:
    """`prefix/lib`, then Debian's multiarch `prefix/lib/<triple>`."""
    dirs = [os.path.join(prefix, "lib")]
    multiarch = sysconfig.get_config_var("MULTIARCH")
    if multiarch:
        dirs.append(os.path.join(prefix, "lib", multiarch))
    return dirs


def _installed_prefix(package_dir: str) -> str:
    """The prefix P of a package installed as P/lib/python*/{site,dist}-packages/agn,
    or "" when the package lies elsewhere (a source checkout)."""
    site = os.path.dirname(package_dir)
    if os.path.basename(site) not in ("site-packages", "dist-packages"):
        return ""
    python = os.path.dirname(site)
    lib = os.path.dirname(python)
    if not os.path.basename(python).startswith("python") or os.path.basename(lib) not in (
            "lib", "lib64"):
        return ""
    return os.path.dirname(lib)


def search_dirs() -> List[str]:
    """The directories searched for the libraries, in order (each once)."""
    package = _package_dir()
    dirs = []
    env = os.environ.get(LIBRARY_DIR_VARIABLE)
    if env:
        dirs.append(os.path.abspath(env))
    dirs.append(os.path.join(package, "lib"))
    prefix = _installed_prefix(package)
    if prefix:
        dirs.extend(_lib_dirs(prefix))
    dirs.extend(_lib_dirs(sys.prefix))
    if not prefix:
        # python/agn in a source checkout: <repo>/build/lib.
        dirs.append(os.path.join(os.path.dirname(os.path.dirname(package)), "build", "lib"))
    unique: List[str] = []
    for directory in map(os.path.normpath, dirs):
        if directory not in unique:
            unique.append(directory)
    return unique


def find_library(name: str) -> str:
    """The path of library `name`, or LibraryNotFoundError listing every
    directory searched and how to fix it."""
    dirs = search_dirs()
    for directory in dirs:
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    searched = "\n".join(f"  {directory}" for directory in dirs)
    env = os.environ.get(LIBRARY_DIR_VARIABLE)
    where = (f"{LIBRARY_DIR_VARIABLE}={env}" if env else f"{LIBRARY_DIR_VARIABLE} is not set")
    raise LibraryNotFoundError(
        f"agn: {name} not found ({where}); searched, in order:\n{searched}\n"
        f"To fix: build agn first (scripts/build.sh puts {RUNTIME_LIBRARY} and "
        f"{COMPILER_LIBRARY} in build/lib) and set {LIBRARY_DIR_VARIABLE} to that "
        f"directory; or install them with `cmake --install build --prefix PREFIX` "
        f"(the package then lives in PREFIX/lib/python3/dist-packages); or copy them "
        f"into {os.path.join(_package_dir(), 'lib')}.")


def available(name: str) -> bool:
    """Whether library `name` can be found (without loading it)."""
    try:
        find_library(name)
        return True
    except LibraryNotFoundError:
        return False


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
