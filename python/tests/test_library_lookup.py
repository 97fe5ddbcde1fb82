"""Where the package looks for agn's shared libraries, and what it says
when they are missing (agn._library)."""

from __future__ import annotations

import os
import sys

import pytest

from conftest import requires_runtime

from agn import _library


def test_search_order(monkeypatch, tmp_path):
    monkeypatch.setenv("AGN_LIBRARY_DIR", str(tmp_path))
    dirs = _library.search_dirs()
    package = os.path.dirname(os.path.abspath(_library.__file__))
    assert dirs[0] == str(tmp_path)
    assert dirs[1] == os.path.join(package, "lib")
    assert os.path.join(sys.prefix, "lib") in dirs
    # In a source checkout, the build's lib/ comes last.
    assert dirs[-1] == os.path.join(os.path.dirname(os.path.dirname(package)), "build", "lib")
    monkeypatch.delenv("AGN_LIBRARY_DIR")
    assert _library.search_dirs()[0] == os.path.join(package, "lib")


def test_installed_prefix():
    prefix = os.path.join(os.sep, "opt", "agn")
    assert _library._installed_prefix(
        os.path.join(prefix, "lib", "python3", "dist-packages", "agn")) == prefix
    assert _library._installed_prefix(
        os.path.join(prefix, "lib", "python3.11", "site-packages", "agn")) == prefix
    assert _library._installed_prefix(os.path.join(prefix, "src", "python", "agn")) == ""


def test_missing_library_error_lists_every_place(monkeypatch, tmp_path):
    monkeypatch.setenv("AGN_LIBRARY_DIR", str(tmp_path))
    with pytest.raises(_library.LibraryNotFoundError) as error:
        _library.find_library("libagn_nothing.so")
    message = str(error.value)
    for directory in _library.search_dirs():
        assert f"\n  {directory}\n" in message + "\n"
    assert f"AGN_LIBRARY_DIR={tmp_path}" in message
    assert "cmake --install" in message and "scripts/build.sh" in message


@requires_runtime
def test_library_in_package_lib_is_found(monkeypatch, tmp_path):
    # What a wheel that bundles the libraries does: agn/lib/ inside the
    # package, found without AGN_LIBRARY_DIR.
    monkeypatch.delenv("AGN_LIBRARY_DIR", raising=False)
    fake = tmp_path / "agn"
    (fake / "lib").mkdir(parents=True)
    (fake / "lib" / _library.RUNTIME_LIBRARY).write_bytes(b"")
    monkeypatch.setattr(_library, "_package_dir", lambda: str(fake))
    assert _library.find_library(_library.RUNTIME_LIBRARY) == str(
        fake / "lib" / _library.RUNTIME_LIBRARY)
