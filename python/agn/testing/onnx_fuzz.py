"""Runs mutated ONNX models through the importer and the compiler in child
processes, and classifies how each ended: the fuzzing harness of issue 14.

Whatever the input, `agn.import_onnx` must raise `OnnxImportError` and
`agn.compile` `CompileError` (or succeed); any other exception, a crash of
the process, a hang or a huge allocation is a bug. Each case therefore runs
in a child process under a memory limit and a timeout, many cases per
child: a child that dies or hangs is charged to the case it was on (it says
which before starting each), and the rest of its batch goes on in a fresh
child.

    python3 -m agn.testing.onnx_fuzz --seed 1 --cases 5000   # a campaign
    python3 -m agn.testing.onnx_fuzz --seed 1 --index 17 --save case.onnx
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from agn.testing.onnx_mutator import make_case

#: The outcome classes: success, the documented errors, and the rest.
OK, IMPORT_ERROR, COMPILE_ERROR, FAIL = "ok", "import_error", "compile_error", "fail"

#: The child's address-space limit: a few GiB, so that an allocation of a
#: claimed huge size fails fast (as MemoryError or a dead child) instead of
#: swapping the machine.
MEMORY_LIMIT = 4 << 30

#: Marks the importer's last-resort error (an unexpected exception inside
#: an emitter); the fuzzer counts it as a failure.
INTERNAL_MARKER = "internal error"


@dataclass
class Result:
    """How one case ended."""

    index: int
    outcome: str
    stage: str = ""
    error_type: str = ""
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome == FAIL


def _classify(index: int, path: str, compile_too: bool) -> Result:
    """Imports (and compiles) the model at `path` in this process."""
    import agn
    from agn.compiler import CompileError
    from agn.onnx import ImportOptions, OnnxImportError, import_model

    name = f"fuzz{index}"
    stage = "import"
    try:
        import_model(path, ImportOptions(name=name))
        if not compile_too:
            return Result(index, OK)
        stage = "compile"
        agn.compile(path, name=name).close()
        return Result(index, OK)
    except OnnxImportError as exc:
        message = str(exc)
        if not message.strip() or INTERNAL_MARKER in message:
            return Result(index, FAIL, stage, "OnnxImportError",
                          message + "\n" + traceback.format_exc())
        return Result(index, IMPORT_ERROR, stage, "OnnxImportError", message)
    except CompileError as exc:
        message = str(exc)
        if not message.strip():
            return Result(index, FAIL, stage, "CompileError", "empty message")
        return Result(index, COMPILE_ERROR, stage, "CompileError", message)
    except BaseException as exc:  # noqa: B036 - anything else is the finding
        return Result(index, FAIL, stage, type(exc).__name__, traceback.format_exc())


def under_asan() -> bool:
    """Whether this process runs with AddressSanitizer's runtime preloaded
    (scripts/sanitize.sh). ASan reserves terabytes of address space for its
    shadow memory, so an address-space limit stops it from starting; its own
    allocation cap (`max_allocation_size_mb`, set for the children in
    ASAN_OPTIONS) then plays the limit's part."""
    return "asan" in os.environ.get("LD_PRELOAD", "")


def worker_main(directory: str, indices: Sequence[int], compile_too: bool) -> None:
    """The child: runs the cases `<directory>/<index>.onnx` in order, writing
    `start <index>` before each and its result as a JSON line after it."""
    import resource

    if not under_asan():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    # Load everything the cases need before the first one, so that a slow
    # first case is not mistaken for a hang.
    import agn.compiler  # noqa: F401
    from agn.onnx import registry

    registry.supported_ops()
    out = sys.stdout
    for index in indices:
        out.write(f"start {index}\n")
        out.flush()
        result = _classify(index, os.path.join(directory, f"{index}.onnx"), compile_too)
        out.write("result " + json.dumps(result.__dict__) + "\n")
        out.flush()


def _reader(stream, lines: "queue.Queue[Optional[str]]") -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _run_child(directory: str, indices: List[int], compile_too: bool, timeout: float,
               env: Dict[str, str]) -> Tuple[Dict[int, Result], Optional[Result]]:
    """Runs one child on `indices`; returns the results it reported and,
    when it died or hung, the result of the case it was on."""
    command = [sys.executable, "-m", "agn.testing.onnx_fuzz", "--worker", directory,
               "--indices", ",".join(map(str, indices))]
    if not compile_too:
        command.append("--no-compile")
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                env=env)
        lines: "queue.Queue[Optional[str]]" = queue.Queue()
        thread = threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True)
        thread.start()
        results: Dict[int, Result] = {}
        current: Optional[int] = None
        deadline = time.monotonic() + timeout * 3  # start-up: imports numpy, onnx, agn
        culprit: Optional[Result] = None
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                proc.kill()
                proc.wait()
                what = f"case {current}" if current is not None else "start-up"
                culprit = Result(current if current is not None else -1, FAIL, "",
                                 "Timeout", f"no answer within {timeout} s ({what})")
                break
            if line is None:
                proc.wait()
                if current is not None:
                    stderr.seek(0)
                    tail = stderr.read().decode("utf-8", "replace")[-3000:]
                    culprit = Result(current, FAIL, "", "ChildDied",
                                     f"the child process ended with status "
                                     f"{proc.returncode} in this case:\n{tail}")
                elif proc.returncode != 0 and len(results) < len(indices):
                    stderr.seek(0)
                    tail = stderr.read().decode("utf-8", "replace")[-3000:]
                    culprit = Result(-1, FAIL, "", "ChildDied",
                                     f"the child failed to start ({proc.returncode}):\n{tail}")
                break
            if line.startswith("start "):
                current = int(line.split()[1])
                deadline = time.monotonic() + timeout
            elif line.startswith("result "):
                result = Result(**json.loads(line[len("result "):]))
                results[result.index] = result
                current = None
        return results, culprit


def run_cases(cases: Sequence[Tuple[int, bytes]], directory: str, compile_too: bool = True,
              timeout: float = 20.0, batch: int = 100) -> Dict[int, Result]:
    """Runs `cases` ((index, serialized model) pairs) in child processes,
    `batch` per child, each case within `timeout` seconds; a child that
    dies or hangs is charged to the case it was on, and the rest of its
    batch runs in a fresh child. Returns the result of every case."""
    for index, data in cases:
        with open(os.path.join(directory, f"{index}.onnx"), "wb") as f:
            f.write(data)
    env = dict(os.environ)
    if under_asan():
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                               f":allocator_may_return_null=1"
                               f":max_allocation_size_mb={MEMORY_LIMIT >> 20}")
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = package_root + os.pathsep + env.get("PYTHONPATH", "")
    pending = [index for index, _ in cases]
    results: Dict[int, Result] = {}
    while pending:
        chunk, pending = pending[:batch], pending[batch:]
        while chunk:
            done, culprit = _run_child(directory, chunk, compile_too, timeout, env)
            results.update(done)
            if culprit is not None:
                if culprit.index < 0:  # the child could not start: report every case
                    for index in chunk:
                        if index not in results:
                            results[index] = Result(index, FAIL, "", culprit.error_type,
                                                    culprit.message)
                    break
                results[culprit.index] = culprit
            chunk = [index for index in chunk if index not in results]
    return results


def summarize(results: Dict[int, Result]) -> Dict[str, int]:
    """The number of cases of each outcome."""
    counts: Dict[str, int] = {}
    for result in results.values():
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return counts


def main(argv: Optional[List[str]] = None) -> int:
    """The command line: a campaign, one case saved to a file, or (with
    --worker) the child process."""
    parser = argparse.ArgumentParser(prog="python3 -m agn.testing.onnx_fuzz",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--first", type=int, default=0, help="the first case index")
    parser.add_argument("--index", type=int, help="one case (with --save)")
    parser.add_argument("--save", help="write case --index to this .onnx file")
    parser.add_argument("--no-compile", action="store_true", help="import only")
    parser.add_argument("--mutations", help="only these mutations (comma-separated names)")
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--report", help="write every case's result as JSON lines here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--indices", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(args.worker, [int(i) for i in args.indices.split(",") if i],
                    not args.no_compile)
        return 0
    if args.save is not None:
        case = make_case(args.seed, args.index or 0)
        with open(args.save, "wb") as f:
            f.write(case.data)
        print(case.description)
        return 0
    start = time.monotonic()
    mutations = args.mutations.split(",") if args.mutations else None
    cases = [make_case(args.seed, i, mutations)
             for i in range(args.first, args.first + args.cases)]
    by_index = {c.index: c for c in cases}
    with tempfile.TemporaryDirectory(prefix="agn-fuzz-") as directory:
        results = run_cases([(c.index, c.data) for c in cases], directory,
                            not args.no_compile, args.timeout)
    failures = [r for r in results.values() if r.failed]
    for r in sorted(failures, key=lambda r: r.index):
        print(f"FAIL case {r.index} ({by_index[r.index].description}): {r.error_type} "
              f"at {r.stage}\n{r.message}\n")
    if args.report:
        with open(args.report, "w") as f:
            for r in sorted(results.values(), key=lambda r: r.index):
                f.write(json.dumps(dict(r.__dict__,
                                        description=by_index[r.index].description)) + "\n")
    print(f"seed {args.seed}, cases {args.first}..{args.first + args.cases - 1}: "
          f"{summarize(results)} in {time.monotonic() - start:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
