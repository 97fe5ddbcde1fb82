"""Shared fixtures: the package on sys.path, and the backends that compile
and run MLIR (agn's C API, and the upstream-MLIR reference backend)."""

from __future__ import annotations

import os
import sys
from typing import Callable, Tuple

import numpy as np
import pytest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(PYTHON_DIR)
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

from agn import _library  # noqa: E402
from agn.testing import upstream  # noqa: E402

Runner = Callable[..., Tuple[np.ndarray, ...]]


def compiler_available() -> bool:
    """Whether libAGNCAPI.so is built."""
    try:
        _library.find_library(_library.COMPILER_LIBRARY)
        return True
    except _library.LibraryNotFoundError:
        return False


def runtime_available() -> bool:
    """Whether libagn_runtime.so is built."""
    try:
        _library.find_library(_library.RUNTIME_LIBRARY)
        return True
    except _library.LibraryNotFoundError:
        return False


def agn_opt_path() -> str:
    """build/bin/agn-opt (or $AGN_OPT)."""
    return os.environ.get("AGN_OPT", os.path.join(REPO_DIR, "build", "bin", "agn-opt"))


requires_compiler = pytest.mark.skipif(
    not compiler_available(), reason="libAGNCAPI.so is not built (scripts/build.sh)")
requires_runtime = pytest.mark.skipif(
    not runtime_available(), reason="libagn_runtime.so is not built (scripts/build.sh)")
requires_agn_opt = pytest.mark.skipif(
    not os.path.exists(agn_opt_path()), reason="build/bin/agn-opt is not built")


def _agn_runner(text: str) -> Runner:
    from agn.compiler import compile_mlir

    return compile_mlir(text).run


BACKENDS = {"agn": _agn_runner, "upstream": upstream.compile_upstream}


@pytest.fixture(params=["agn", "upstream"])
def backend(request) -> Callable[[str], Runner]:
    """Compiles MLIR text to a runner: agn's compiler, and the upstream
    reference backend (each skipped where it is not available)."""
    if request.param == "agn" and not compiler_available():
        pytest.skip("libAGNCAPI.so is not built")
    if request.param == "upstream" and not upstream.available():
        pytest.skip("upstream mlir-opt/mlir-translate/clang not installed")
    return BACKENDS[request.param]


@pytest.fixture
def preferred_backend() -> Callable[[str], Runner]:
    """agn's compiler when it is built, else the upstream reference backend
    (for the heavy cases, which need not run twice)."""
    if compiler_available():
        return BACKENDS["agn"]
    if upstream.available():
        return BACKENDS["upstream"]
    pytest.skip("neither libAGNCAPI.so nor upstream mlir-opt/clang is available")


@pytest.fixture(autouse=True)
def _single_thread():
    """Keeps torch to one thread (the machines are shared)."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    yield
