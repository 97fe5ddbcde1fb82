# -*- Python -*-
"""lit configuration for agn's regression tests (FileCheck and friends)."""

import os
import shutil
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
# With the runtimes of threads > 1: LLVM's OpenMP runtime (the default) and
# MLIR's async runtime (parallel-runtime=async).
config.substitutions.append(("%shlibs_threads", ",".join(
    shlibs + [os.path.join(llvm_lib_dir, "libomp.so.5"),
              os.path.join(llvm_lib_dir, "libmlir_async_runtime.so")])))
config.substitutions.append(("%shlibs", ",".join(shlibs)))

agn_tool_prefix = ""
# Sanitized builds (scripts/sanitize.sh). agn's binaries and libraries use
# the shared ASan runtime; every process of a test gets it preloaded, since
# upstream tools (mlir-runner, mlir-opt with agn's plugin), Python and CMake
# consumers load agn's libraries without being built with ASan themselves.
# LeakSanitizer is on for agn's own tools (and the gtest cases) and off for
# everything else: uninstrumented programs such as CPython or FileCheck do not
# free all their memory at exit by design, and their leaks are not agn's.
if config.agn_sanitizers:
    llvm_config.with_system_environment(
        ["ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS",
         "ASAN_SYMBOLIZER_PATH"])
    config.available_features.add("sanitizers")
    if config.agn_asan_runtime:
        asan_options = os.environ.get("ASAN_OPTIONS", "")
        config.environment["LD_PRELOAD"] = config.agn_asan_runtime
        config.environment["ASAN_OPTIONS"] = f"{asan_options}:detect_leaks=0"
        agn_tool_prefix = f"env ASAN_OPTIONS={asan_options}:detect_leaks=1 "

# A program built against an installed sanitized agn links the sanitizers'
# runtimes too (test/Install/find-package.test).
sanitizer_link_flags = ""
if config.agn_sanitizers:
    sanitizer_link_flags = f"-fsanitize={config.agn_sanitizers}"
    if config.agn_asan_runtime:
        sanitizer_link_flags += " -shared-libasan"
config.substitutions.append(("%sanitizer_link_flags", sanitizer_link_flags))

tools = ["agn-opt", "agn-run", "agn-aot", "agn-aot-example", "agn-fuzz-mlir",
         "agn-fuzz-attributes", "agn-fuzz-runtime-config"]
if agn_tool_prefix:
    tools = [ToolSubst(tool, command=agn_tool_prefix +
                       os.path.join(config.agn_tools_dir, tool)) for tool in tools]
llvm_config.add_tool_substitutions(tools, [config.agn_tools_dir])

# Python (test/Python): `%PYTHON` is the configured interpreter; feature
# `python-numpy` when it imports numpy (agn's package needs it), `pytest` when
# it also has pytest (the python/tests suite).
python_command = config.python_executable
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

# The CUDA toolkit (`REQUIRES: ptxas`): the GPU pipeline's tests assemble its
# kernels. MLIR finds the toolkit through CUDA_ROOT, CUDA_HOME, CUDA_PATH or
# PATH; they are passed on, with /usr/local/cuda as the fallback.
cuda_root = next((os.environ[name] for name in ("CUDA_ROOT", "CUDA_HOME",
                                                "CUDA_PATH")
                  if os.environ.get(name)), "/usr/local/cuda")
ptxas = shutil.which("ptxas") or os.path.join(cuda_root, "bin", "ptxas")
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
    config.substitutions.append(
        ("%cuda_stub", os.path.join(os.path.dirname(os.path.dirname(ptxas)),
                                    "lib64", "stubs", "libcuda.so")))
    config.environment["CUDA_HOME"] = os.path.dirname(os.path.dirname(ptxas))
