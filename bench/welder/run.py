"""Welder on the CPU: model blocks with and without welder's fusion, side by side with PyTorch.

    source tools/env.sh
    python bench/welder/run.py                     # 1 and 2 threads, all four blocks
    python bench/welder/run.py --models bert       # a subset (regex)
    python bench/welder/run.py --no-inductor       # skip torch.compile (slow to compile here)
    python bench/welder/run.py --smoke             # seconds: tiny blocks, for the tests

Per block: fourfold (default CPU pipeline: welder + roller), fourfold with welder=false (roller
only, one loop nest per operator), PyTorch eager and torch.compile (inductor), each in the same
process per thread count, outputs checked against PyTorch first, medians of repeated runs.
Kernels and modelled global-memory bytes come from --welder-tile-graph (fuse=false: one kernel
per operator; the default: welder's groups).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from common import bench_main, figures, geomean, median_time, print_row, provenance, rel_error  # noqa: E402


def worker(args):
    import numpy as np
    import torch

    import fourfold

    sys.path.insert(0, HERE)
    from models import MODELS, SMOKE

    torch.set_num_threads(args.threads[0])
    table = SMOKE if args.smoke else MODELS
    rows = {}
    for name, make in table.items():
        if args.models and not re.search(args.models, name):
            continue
        prog, fn = make()
        inputs = prog.inputs(seed=0)
        expected = prog.reference(*inputs)
        row = {}
        fused, unfused = figures(fourfold, prog.mlir, True), figures(fourfold, prog.mlir, False)
        row.update(kernels_welder=fused["kernels"], kernels_unfused=unfused["kernels"],
                   bytes_welder=fused["bytes"], bytes_unfused=unfused["bytes"])
        for label, welder in (("fourfold", True), ("no_welder", False)):
            t = time.perf_counter()
            compiled = fourfold.compile(prog.mlir, pipeline=fourfold.Pipeline.named("cpu", welder=welder))
            row[f"{label}_compile_s"] = time.perf_counter() - t
            out = compiled(*inputs)
            err = rel_error(out, expected)
            row[f"{label}_rel_error"] = err
            if err > 1e-4:
                row["error"] = f"{label}: wrong result ({err:.2e})"
                break
            row[f"{label}_s"], _ = median_time(lambda: compiled(*inputs), args.repeat)
        if "error" in row:
            rows[name] = row
            print(name, json.dumps(row), flush=True)
            continue
        tin = [torch.from_numpy(x) for x in inputs]
        with torch.no_grad():
            row["torch_s"], _ = median_time(lambda: fn(*tin), args.repeat)
            if not args.no_inductor:
                t = time.perf_counter()
                compiled_fn = torch.compile(fn)
                got = compiled_fn(*tin).numpy()
                row["inductor_compile_s"] = time.perf_counter() - t
                row["inductor_rel_error"] = rel_error(got, expected)
                row["inductor_s"], _ = median_time(lambda: compiled_fn(*tin), args.repeat)
        if not args.no_tvm:
            row.update(_tvm(fn, tin, args.threads[0], args.repeat, expected))
        rows[name] = row
        print_row(name, row, 6)
    return rows


def _tvm(fn, tin, threads, repeat, expected):
    """TVM Relax's default build of the same PyTorch function (the harness's TVM system)."""
    import torch

    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "harness"))
    try:
        from systems import TVM
    except ImportError as e:
        return {"tvm_error": str(e)}
    system = TVM()
    if system.missing():
        return {"tvm_error": system.missing()}

    class Wrapped(torch.nn.Module):
        def forward(self, *xs):
            return fn(*xs)

    try:
        system.setup(threads)
        run, info = system.prepare(None, Wrapped(), tin)
        got = run()
        while not hasattr(got, "numpy"):  # the VM returns a tuple of one tensor
            got = got[0]
        row = {"tvm_compile_s": info["compile_s"], "tvm_rel_error": rel_error(got.numpy(), expected)}
        row["tvm_s"], _ = median_time(run, repeat)
        return row
    except Exception as e:  # an importer or build failure is a result too
        return {"tvm_error": f"{type(e).__name__}: {str(e)[:200]}"}


def markdown(result):
    meta = result["meta"]
    out = ["# Welder on the CPU: model blocks with and without fusion", "",
           provenance(meta),
           f"Versions: {meta['versions']}. Times are medians (ms).",
           "fourfold: the default CPU pipeline (welder groups, roller inside each group tile). no-welder: "
           "the same with welder=false (one roller loop nest per operator). Kernels: parallel loop nests "
           "(groups, plus reshapes/pads that stay on their own). Traffic: welder's model of global-memory "
           "bytes (each kernel streams its inputs per tile and writes its output).", ""]
    for threads, rows in sorted(result["threads"].items()):
        out += [f"## {threads} thread(s), every system", "",
                "| block | kernels (off -> on) | modelled traffic MB (off -> on) | fourfold ms | no-welder ms | "
                "PyTorch ms | torch.compile ms | TVM Relax ms | welder speedup | vs PyTorch | vs torch.compile | "
                "vs TVM | compile s |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        sp, vt, vi, vv = [], [], [], []
        ms = lambda v: f"{v * 1e3:.3f}" if v else "-"  # noqa: E731
        for name, r in rows.items():
            if "error" in r:
                out.append(f"| {name} | {r['error']} |" + " |" * 11)
                continue
            s = r["no_welder_s"] / r["fourfold_s"]
            t = r["torch_s"] / r["fourfold_s"]
            sp.append(s)
            vt.append(t)
            ind, tvm = r.get("inductor_s"), r.get("tvm_s")
            i = ind / r["fourfold_s"] if ind else None
            v = tvm / r["fourfold_s"] if tvm else None
            if i:
                vi.append(i)
            if v:
                vv.append(v)
            out.append(
                f"| {name} | {r['kernels_unfused']} -> {r['kernels_welder']} | "
                f"{r['bytes_unfused'] / 1e6:.2f} -> {r['bytes_welder'] / 1e6:.2f} "
                f"({r['bytes_unfused'] / max(1, r['bytes_welder']):.2f}x less) | {ms(r['fourfold_s'])} | "
                f"{ms(r['no_welder_s'])} | {ms(r['torch_s'])} | {ms(ind)} | "
                f"{ms(tvm) if tvm else r.get('tvm_error', '-')[:60]} | {s:.2f}x | {t:.2f}x | "
                f"{(f'{i:.2f}x' if i else '-')} | {(f'{v:.2f}x' if v else '-')} | {r['fourfold_compile_s']:.2f} |")
        out += ["", f"Geomeans (above 1: fourfold with welder faster): over no-welder {geomean(sp):.2f}x, "
                f"over PyTorch eager {geomean(vt):.2f}x, over torch.compile {geomean(vi):.2f}x, "
                f"over TVM Relax {geomean(vv):.2f}x.", ""]
    return "\n".join(out) + "\n"


def add_arguments(parser):
    parser.add_argument("--models", default="")
    parser.add_argument("--no-inductor", action="store_true")
    parser.add_argument("--no-tvm", action="store_true")


def main():
    bench_main(__file__, "welder", worker, markdown, add_arguments,
               lambda args: ["--models", args.models] + (["--no-inductor"] if args.no_inductor else [])
               + (["--no-tvm"] if args.no_tvm else []))


if __name__ == "__main__":
    main()
