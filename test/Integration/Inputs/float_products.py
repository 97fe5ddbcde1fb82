"""Shared pieces of the float product checks (matvec_check.py,
batched_matmul_check.py, conv3d_check.py, threads_levels_check.py,
sink_padding_check.py): check that a pass rewrote a module, write constant
weights into one, run it through agn-run on .npy files, and compare a
product with its float64 value within the rounding bound of a K-term f32
sum."""

import subprocess

import numpy as np


def rewrites(path, pass_options, gone, present):
    """Returns whether agn-opt's `pass_options` (a list) leave no `gone` and
    some `present` in the module at `path` (so that the run checks the new
    code, not the op it replaces)."""
    ir = subprocess.run(["agn-opt", path, *pass_options], check=True,
                        capture_output=True, text=True).stdout
    return gone not in ir and present in ir


def dense_constant(values, type_):
    """Returns an arith.constant of `type_` (an MLIR tensor type) holding
    `values` as f32, in the compact hex form."""
    data = "0x" + np.ascontiguousarray(values, dtype="<f4").tobytes().hex().upper()
    return f'arith.constant dense<"{data}"> : {type_}'


def run_agn(path, directory, inputs, passes=None, threads=1, lowering=None):
    """Runs the only function of the module at `path` on `inputs` (saved as
    .npy files in `directory`) with agn-run on `threads` kernel threads,
    after the pass pipeline `passes` if given and with the lowering options
    `lowering` if given; returns its one result."""
    command = ["agn-run", path, "--quiet", f"--kernel-threads={threads}"]
    if passes:
        command.append(f"--passes={passes}")
    if lowering:
        command.append(f"--lowering-options={lowering}")
    for index, array in enumerate(inputs):
        name = f"{directory}/input{index}.npy"
        np.save(name, array)
        command += ["-i", name]
    command += ["-o", f"{directory}/output.npy"]
    subprocess.run(command, check=True)
    return np.load(f"{directory}/output.npy")


def worst_error_over_bound(got, a, b, k):
    """Returns max |got - a b| / bound over the elements of the product a @ b
    (in float64), where bound = gamma_K sum |a| |b|, gamma_K = K u / (1 - K u),
    u = 2^-24: the error of a K-term f32 sum in any order of the additions."""
    want = a.astype(np.float64) @ b.astype(np.float64)
    u = 2.0 ** -24
    bound = k * u / (1 - k * u) * (np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64))
    return float(np.max(np.abs(got.astype(np.float64) - want) / bound))
