#!/usr/bin/env python3
"""Imports an ONNX model with IREE, compiles it for this CPU and times it.

    .venv-iree/bin/python bench/iree_runner.py model.onnx inputs.npz \
        --threads 2 --repeat 20 --out outputs.npz

Runs in IREE's own virtual environment (scripts/setup.sh --peers makes
.venv-iree: IREE's ONNX importer needs a newer onnx than Debian's, and its
runtime a newer ml_dtypes, which the peers' environment must not see).
model_bench.py calls it; it prints one JSON line: {"median_ms", "min_ms",
"compile_s", "calls"} and writes the first call's outputs to --out.

The pipeline is IREE's documented one: iree-import-onnx, then iree-compile
for the llvm-cpu backend with --iree-llvmcpu-target-cpu=host, run by the
local-task driver on --threads worker threads.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("inputs", help=".npz with arrays arr_0, arr_1, ... in input order")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    import iree.runtime as rt

    bin_dir = os.path.dirname(sys.executable)
    with tempfile.TemporaryDirectory(prefix="agn-iree-") as work:
        mlir = os.path.join(work, "model.mlir")
        vmfb = os.path.join(work, "model.vmfb")
        start = time.perf_counter()
        subprocess.run([os.path.join(bin_dir, "iree-import-onnx"), args.model, "-o", mlir],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([os.path.join(bin_dir, "iree-compile"), mlir,
                        "--iree-hal-target-device=local",
                        "--iree-hal-local-target-device-backends=llvm-cpu",
                        "--iree-llvmcpu-target-cpu=host", "-o", vmfb], check=True)
        compile_s = time.perf_counter() - start

        rt.flags.parse_flags(f"--task_topology_max_group_count={args.threads}")
        config = rt.Config("local-task")
        with open(vmfb, "rb") as f:
            module = rt.VmModule.copy_buffer(config.vm_instance, f.read())
        context = rt.SystemContext(config=config)
        context.add_vm_module(module)
        # The graph's function, named after the ONNX graph; IREE adds an
        # "$async" twin and "__init".
        names = [n for n in module.function_names
                 if not n.startswith("__") and not n.endswith("$async")]
        if len(names) != 1:
            raise SystemExit(f"iree_runner: expected one entry function, got {names}")
        main_function = context.modules.module[names[0]]
        arrays = np.load(args.inputs)
        inputs = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]

        def call():
            results = main_function(*inputs)
            if not isinstance(results, (list, tuple)):
                results = [results]
            return [np.asarray(r.to_host()) for r in results]

        outputs = call()
        for _ in range(args.warmup):
            call()
        times = []
        for _ in range(args.repeat):
            begin = time.perf_counter()
            call()
            times.append((time.perf_counter() - begin) * 1e3)
    np.savez(args.out, *outputs)
    print(json.dumps({"median_ms": statistics.median(times), "min_ms": min(times),
                      "compile_s": compile_s, "calls": len(times)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
