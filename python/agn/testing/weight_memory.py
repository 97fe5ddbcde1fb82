"""Memory that follows the levels: resident weights under a budget, measured.

A compiled model keeps one copy of each unit's weights per level; the
runtime hands the pages of the levels a memory budget rules out back to the
OS (docs/Reliability.md, "Memory that follows the levels"). This module
measures it for one model, either JIT-compiled (`agn.compile`) or built ahead
of time (`agn-aot`, linked into a shared library and loaded here):

1. after the first calls, with no budget;
2. with a budget below the all-f32 footprint, after calls on inputs that ask
   for the top level (so every unit runs at its ceiling);
3. with the budget lifted again.

In each phase it reports, per unit and level, the weight bytes the compiled
code placed and how many of them are mapped into the process
(/proc/self/pagemap, through the runtime), the levels granted, and the Rss
that /proc/self/smaps gives for the mappings that hold the weights. Each mode
runs in a process of its own (unit names are per process):

    python3 -m agn.testing.weight_memory model.onnx --mode jit|aot [--budget-fraction 0.4]

prints one JSON object.
"""

import argparse
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .. import runtime as rt

PAGE = os.sysconf("SC_PAGE_SIZE")


def smaps_rss(ranges: Sequence[Tuple[int, int]]) -> int:
    """Rss in bytes of the /proc/self/smaps entries with these ranges."""
    wanted = set(ranges)
    total, current = 0, None
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            head = line.split()
            if head and "-" in head[0] and not head[0].endswith(":"):
                begin, end = (int(x, 16) for x in head[0].split("-"))
                current = (begin, end)
            elif head and head[0] == "Rss:" and current in wanted:
                total += int(head[1]) * 1024
    return total


def snapshot(weight_mappings: Sequence[Tuple[int, int]]) -> Dict[str, Any]:
    """Per-unit placement, residency and grants, and the mappings' Rss."""
    units = []
    for u in rt.units():
        units.append({
            "name": u["name"],
            "ceiling": u["ceiling"],
            "weight_bytes": u["weight_bytes"],
            "placed": u["placed_weight_bytes"],
            "resident": u["resident_weight_bytes"],
            "granted": {k: v for k, v in u["granted"].items() if v},
        })
    return {
        "units": units,
        "resident_weight_bytes": sum(sum(v or 0 for v in u["resident"].values())
                                     for u in units),
        "ceiling_weight_bytes": sum(u["weight_bytes"][u["ceiling"]] for u in units
                                    if u["ceiling"] in u["weight_bytes"]),
        "all_f32_weight_bytes": sum(max(u["weight_bytes"].values()) for u in units),
        "smaps_rss": smaps_rss(weight_mappings),
    }


def _wild_inputs(shapes: Sequence[Sequence[int]]) -> List[np.ndarray]:
    """Inputs of high variance: every controller asks for its top level."""
    rng = np.random.default_rng(0)
    return [(rng.standard_normal(s) * 100).astype(np.float32) for s in shapes]


def run_phases(call: Callable[[], Any], budget_fraction: float,
               weight_mappings: Callable[[], Sequence[Tuple[int, int]]]) -> Dict[str, Any]:
    """Calls the model through the three phases; returns their snapshots."""
    phases: Dict[str, Any] = {}
    outputs: Dict[str, Any] = {}

    def settle() -> None:
        # Two ticks with calls between: a level counts as in use when it was
        # granted since the previous tick.
        for _ in range(3):
            call()
        rt.tick()
        call()
        rt.tick()

    outputs["free"] = call()
    settle()
    mappings = weight_mappings()
    phases["free"] = snapshot(mappings)
    budget = int(phases["free"]["all_f32_weight_bytes"] * budget_fraction)
    rt.set_memory_budget(budget)
    outputs["budget"] = call()
    settle()
    phases["budget"] = snapshot(mappings)
    phases["budget"]["budget_bytes"] = budget
    rt.set_memory_budget(None)
    settle()
    outputs["lifted"] = call()
    phases["lifted"] = snapshot(mappings)
    # The free and lifted phases run the same levels: the weights read back
    # from the file must give the same answer bit for bit.
    phases["lifted_equals_free"] = all(
        np.array_equal(a, b) for a, b in zip(outputs["free"], outputs["lifted"]))
    return phases


def measure_jit(onnx_path: str, budget_fraction: float) -> Dict[str, Any]:
    """The JIT: agn.compile, weights in the engine's constants file."""
    import agn
    import onnx
    model = agn.compile(onnx_path, adaptive=True, threads=1)
    graph = onnx.load(onnx_path).graph
    inits = {i.name for i in graph.initializer}
    shapes = [[d.dim_value for d in i.type.tensor_type.shape.dim]
              for i in graph.input if i.name not in inits]
    inputs = _wild_inputs(shapes)

    def mappings() -> List[Tuple[int, int]]:
        # The JIT's constants: read-only shared mappings of unnamed files.
        found = []
        with open("/proc/self/maps") as maps:
            for line in maps:
                parts = line.split()
                if len(parts) >= 6 and parts[1] == "r--s" and line.rstrip().endswith("(deleted)"):
                    begin, end = (int(x, 16) for x in parts[0].split("-"))
                    found.append((begin, end))
        return found

    return {"mode": "jit", **run_phases(lambda: model.run(*inputs), budget_fraction, mappings)}


def _memref_type(rank: int) -> type:
    return type(f"_MemRef{rank}", (ctypes.Structure,), {"_fields_": [
        ("allocated", ctypes.POINTER(ctypes.c_float)),
        ("aligned", ctypes.POINTER(ctypes.c_float)),
        ("offset", ctypes.c_int64),
        ("sizes", ctypes.c_int64 * rank),
        ("strides", ctypes.c_int64 * rank),
    ]})


def _descriptor(array: np.ndarray) -> Any:
    kind = _memref_type(array.ndim)
    d = kind()
    pointer = array.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
    d.allocated = d.aligned = pointer
    d.offset = 0
    for i, (size, stride) in enumerate(zip(array.shape, array.strides)):
        d.sizes[i] = size
        d.strides[i] = stride // array.itemsize
    return d


def measure_aot(onnx_path: str, budget_fraction: float, bin_dir: str,
                lib_dir: str) -> Dict[str, Any]:
    """agn-aot: the weights in a shared library's read-only segment."""
    import agn
    import onnx
    graph = onnx.load(onnx_path).graph
    inits = {i.name for i in graph.initializer}
    inputs_info = [i for i in graph.input if i.name not in inits]
    shapes = [[d.dim_value for d in i.type.tensor_type.shape.dim] for i in inputs_info]
    out_shapes = [[d.dim_value for d in o.type.tensor_type.shape.dim] for o in graph.output]
    if len(out_shapes) != 1:
        raise ValueError("measure_aot handles models with one output")
    work = tempfile.mkdtemp(prefix="agn-weight-memory-")
    try:
        mlir = os.path.join(work, "model.mlir")
        with open(mlir, "w") as f:
            f.write(agn.import_onnx(onnx_path))
        subprocess.run([os.path.join(bin_dir, "agn-aot"), mlir, "--entry=main",
                        "--passes=agn-adaptive-pipeline", "--name=model", "-d", work], check=True, capture_output=True)
        library = os.path.join(work, "libmodel.so")
        subprocess.run(["cc", "-shared", "-o", library, os.path.join(work, "model.o"),
                        f"-L{lib_dir}", "-lagn_runtime", f"-Wl,-rpath,{lib_dir}",
                        # Segments at 64 KiB boundaries, so that the 64 KiB
                        # alignment of each level holds in memory too.
                        "-Wl,-z,max-page-size=65536"],
                       check=True, capture_output=True)
        model = ctypes.CDLL(library)
        entry = model._mlir_ciface_main
        inputs = _wild_inputs(shapes)
        descriptors = [_descriptor(a) for a in inputs]
        result_type = _memref_type(len(out_shapes[0]))

        def call() -> List[np.ndarray]:
            result = result_type()
            entry(ctypes.byref(result), *[ctypes.byref(d) for d in descriptors])
            count = int(np.prod(out_shapes[0]))
            data = np.ctypeslib.as_array(result.aligned, shape=(count,)).copy()
            return [data.reshape(out_shapes[0])]

        def mappings() -> List[Tuple[int, int]]:
            found = []
            with open("/proc/self/maps") as maps:
                for line in maps:
                    if line.rstrip().endswith(library):
                        begin, end = (int(x, 16) for x in line.split()[0].split("-"))
                        found.append((begin, end))
            return found

        return {"mode": "aot", **run_phases(call, budget_fraction, mappings)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="ONNX model with static input shapes")
    parser.add_argument("--mode", choices=["jit", "aot"], default="jit")
    parser.add_argument("--budget-fraction", type=float, default=0.4,
                        help="the budget as a fraction of the all-f32 weights")
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", "..", ".."))
    parser.add_argument("--bin-dir", default=os.path.join(repo, "build", "bin"))
    parser.add_argument("--lib-dir", default=os.environ.get(
        "AGN_LIBRARY_DIR", os.path.join(repo, "build", "lib")))
    args = parser.parse_args(argv)
    if args.mode == "jit":
        report = measure_jit(args.model, args.budget_fraction)
    else:
        report = measure_aot(args.model, args.budget_fraction, args.bin_dir, args.lib_dir)
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
