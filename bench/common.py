"""What every benchmark under bench/ shares: timing and the machine's description."""

import os
import platform
import statistics
import time


def geomean(xs):
    """Geometric mean (nan for no values): how ratios are summarised in every harness."""
    import math
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else float("nan")


def provenance(meta) -> str:
    """The line every results page opens with: where, when and how it was measured."""
    return f"Machine: {meta['machine']}. Date: {meta['date']}. Command: `{meta['command']}`."


def print_row(name, row, digits=7):
    """One case's measurements as a JSON line on stdout (what a worker reports as it goes)."""
    import json
    print(name, json.dumps({k: (round(v, digits) if isinstance(v, float) else v) for k, v in row.items()}), flush=True)


def rel_error(got, expected) -> float:
    """Largest absolute error relative to the largest |expected|: how every harness checks."""
    import numpy as np
    return float(np.max(np.abs(got - expected)) / max(1e-30, float(np.max(np.abs(expected)))))


def figures(fourfold, mlir: str, fuse: bool, target: str = "host") -> dict:
    """Kernels and welder's modelled global-memory bytes of `mlir` from --welder-tile-graph
    (fuse=false: one kernel per operator; true: welder's groups) for `target` (host, sm_80, sm_90)."""
    import re

    options = f"fuse={'true' if fuse else 'false'} target={target}"
    # After the pipelines' own frontend (einsums as matmuls, folded transposes), as they run it.
    frontend = fourfold.Pipeline.cpu()["frontend"]
    text = fourfold.Pipeline([frontend, ("tg", f"welder-tile-graph{{{options}}}")]).run(mlir).ir["tg"]
    # A one-tile group whose operators hand tiles on in cache runs them apart (welder.kernels).
    groups = text.count('welder.group "') + sum(int(k) - 1 for k in re.findall(r"welder\.kernels = (\d+)", text))
    # Operators outside the tile-graph (reshapes, pads) are kernels of their own either way.
    outside = len(re.findall(r"= (tensor\.pad|tensor\.expand_shape|tensor\.collapse_shape)", text))
    return {"kernels": groups + outside,
            "bytes": sum(int(x) for x in re.findall(r"welder\.bytes = (\d+)", text)),
            "unfused_bytes": sum(int(x) for x in re.findall(r"welder\.unfused_bytes = (\d+)", text))}


def median_time(fn, repeat, budget_s=3.0):
    fn()  # warm-up (and page-in)
    times = []
    start = time.perf_counter()
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if time.perf_counter() - start > budget_s and len(times) >= 3:
            break
    return statistics.median(times), len(times)


def time_cuda(fn, repeat):
    """Median microseconds of `fn` on the GPU over `repeat` runs, timed with CUDA events (after one
    warm-up run)."""
    import torch

    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1e3)
    return statistics.median(times)


def machine():
    from fourfold.cli import _machine

    return _machine()


def run_per_thread_count(script, args, worker_flags, markdown, title_command):
    """Run `script --worker` once per thread count in args.threads (each in its own process, with
    OMP / OpenBLAS / MKL threads set to it), merge the rows, write args.out (JSON) and the
    Markdown `markdown(result)` beside it."""
    import datetime
    import json
    import subprocess
    import sys

    import numpy
    import torch

    import fourfold  # noqa: F401  (fails early if the package is missing)

    result = {"meta": {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(), "load_before": os.getloadavg(),
        "versions": f"numpy {numpy.__version__}, torch {torch.__version__}, python {platform.python_version()}",
        "command": f"{title_command} " + " ".join(sys.argv[1:]),
    }, "threads": {}}
    for threads in args.threads:
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
        tmp = args.out + f".{threads}.part"
        cmd = [sys.executable, script, "--worker", "--threads", str(threads), "--repeat", str(args.repeat),
               "--out", tmp] + worker_flags
        print(f"== {threads} thread(s)", flush=True)
        subprocess.run(cmd, env=env, check=True)
        with open(tmp) as f:
            result["threads"][str(threads)] = json.load(f)
        os.remove(tmp)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    md = args.out.rsplit(".", 1)[0] + ".md"
    with open(md, "w") as f:
        f.write(markdown(result))
    print(f"wrote {args.out} and {md}")


def bench_main(script, name, worker, markdown, add_arguments, worker_flags):
    """The command line every CPU harness shares: --threads, --repeat, --smoke, --out, plus its own
    options (`add_arguments(parser)`, passed on to the worker by `worker_flags(args)`)."""
    import argparse
    import json

    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(script)), "..",
                                                      "results", f"{name}-cpu.json"))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    add_arguments(parser)
    args = parser.parse_args()
    if args.worker:
        rows = worker(args)
        with open(args.out, "w") as f:
            json.dump(rows, f)
        return
    flags = (["--smoke"] if args.smoke else []) + worker_flags(args)
    run_per_thread_count(script, args, flags, markdown, f"python bench/{name}/run.py")
