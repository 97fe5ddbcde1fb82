# -*- Python -*-
"""lit configuration for agn's regression tests (FileCheck and friends)."""

import os
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "AGN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.agn_obj_root, "test")

# Unit/ is its own suite (gtest binaries); Inputs/ hold data, not tests.
config.excludes = ["Inputs", "CMakeLists.txt", "README.txt", "lit.cfg.py",
                   "lit.site.cfg.py"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%agn_src_root", config.agn_src_root))
config.substitutions.append(("%agn_obj_root", config.agn_obj_root))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# agn's own tools come first on PATH; FileCheck, not and count come from
# Debian's LLVM.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.agn_tools_dir, append_path=True)

# Debian's own mlir-opt, for the plugin tests.
config.substitutions.append(
    ("%mlir_opt", os.path.join(config.llvm_tools_dir, "mlir-opt")))
config.substitutions.append(("%agn_lib", config.agn_lib_dir))

# The integration tests run lowered code with Debian's mlir-runner, the MLIR
# runner-utils libraries (printing) and agn's runtime.
llvm_lib_dir = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")
config.substitutions.append(
    ("%mlir_runner", os.path.join(config.llvm_tools_dir, "mlir-runner")))
shlibs = [
    os.path.join(llvm_lib_dir, "libmlir_c_runner_utils.so"),
    os.path.join(llvm_lib_dir, "libmlir_runner_utils.so"),
    os.path.join(config.agn_lib_dir, "libagn_runtime.so"),
]
# Longest first: lit substitutes in order.
config.substitutions.append(("%shlibs_async", ",".join(
    shlibs + [os.path.join(llvm_lib_dir, "libmlir_async_runtime.so")])))
config.substitutions.append(("%shlibs", ",".join(shlibs)))

tools = ["agn-opt", "agn-run", "agn-aot", "agn-aot-example", "agn-fuzz-mlir",
         "agn-fuzz-attributes", "agn-fuzz-runtime-config"]
llvm_config.add_tool_substitutions(tools, [config.agn_tools_dir])

# Python (test/Python): `%PYTHON` is the configured interpreter; feature
# `python-numpy` when it imports numpy (agn's package needs it), `pytest` when
# it also has pytest (the python/tests suite).
python_command = config.python_executable
# Sanitized builds (scripts/sanitize.sh): the sanitizers' options reach the
# tests, and Python, which is not built with ASan, preloads the ASan runtime
# agn's libraries need. CPython frees not all of its memory at exit by
# design, so LeakSanitizer is off in Python processes (agn's own leaks show
# in its tools, gtest cases and fuzz targets, which run with it on).
if config.agn_sanitizers:
    llvm_config.with_system_environment(
        ["ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS",
         "ASAN_SYMBOLIZER_PATH"])
    config.available_features.add("sanitizers")
    if config.agn_asan_runtime:
        asan_options = os.environ.get("ASAN_OPTIONS", "")
        python_command = (f"env LD_PRELOAD={config.agn_asan_runtime} "
                          f"ASAN_OPTIONS={asan_options}:detect_leaks=0 "
                          f"{python_command}")
config.substitutions.append(("%PYTHON", python_command))


def python_has(*modules):
    """Whether the configured interpreter imports every one of `modules`."""
    if not config.python_executable:
        return False
    try:
        return subprocess.run(
            [config.python_executable, "-c", "import " + ", ".join(modules)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=120).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


if python_has("numpy"):
    config.available_features.add("python-numpy")
    if python_has("numpy", "pytest"):
        config.available_features.add("pytest")

# CPU features of tests that run code for them (`REQUIRES: avx512vnni`).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        cpu_flags = set(cpuinfo.read().split())
except OSError:
    cpu_flags = set()
if "avx512_vnni" in cpu_flags:
    config.available_features.add("avx512vnni")
