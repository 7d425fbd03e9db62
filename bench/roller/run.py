"""Roller on the CPU: compile time and kernel speed of single operators, side by side with the
untiled upstream lowering, numpy/OpenBLAS (matmuls) and PyTorch eager, at a fixed thread count.

    source tools/env.sh
    python bench/roller/run.py                    # 1 and 2 threads, all operators
    python bench/roller/run.py --threads 1 --ops 'bert_'   # a subset
    python bench/roller/run.py --smoke            # seconds: tiny operators, for the tests

Each thread count runs in its own process, with OMP_NUM_THREADS / OPENBLAS_NUM_THREADS /
MKL_NUM_THREADS and torch.set_num_threads all set to it (fourfold's outer tiles run on OpenMP).
Outputs are checked against PyTorch (float64) before anything is timed; times are medians.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from common import bench_main, geomean, median_time, print_row, provenance, rel_error  # noqa: E402


def worker(args):
    import numpy as np
    import torch

    import fourfold

    sys.path.insert(0, HERE)
    from operators import operators

    torch.set_num_threads(args.threads[0])
    rng = np.random.default_rng(0)
    ops = operators()
    if args.smoke:
        from operators import matmul, row_reduce, conv_nhwc
        ops = {"matmul_5x7x3": matmul(5, 7, 3), "reduce_3x17": row_reduce(3, 17, "sum"),
               "conv_6x6x2x3_k3": conv_nhwc(6, 6, 2, 3, 3, 1)}
    rows = {}
    for name, (src, shapes, ref, flops) in ops.items():
        if args.ops and not re.search(args.ops, name):
            continue
        inputs = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
        with torch.no_grad():
            t64 = [torch.from_numpy(x.astype(np.float64)) for x in inputs]
            expected = ref(torch, *t64).numpy()
        row = {"flops": flops}
        t = time.perf_counter()
        fn = fourfold.compile(src)
        row["compile_s"] = time.perf_counter() - t
        out = fn(*inputs)
        row["max_rel_error"] = rel_error(out, expected)
        if row["max_rel_error"] > 1e-4:
            row["error"] = "wrong result"
            rows[name] = row
            print(name, json.dumps(row), flush=True)
            continue
        row["fourfold_s"], row["runs"] = median_time(lambda: fn(*inputs), args.repeat)
        if not args.skip_naive:
            naive = fourfold.compile(src, pipeline=fourfold.Pipeline.cpu(roller=False))
            row["naive_s"], _ = median_time(lambda: naive(*inputs), 3, budget_s=1.0)
        tin = [torch.from_numpy(x) for x in inputs]
        with torch.no_grad():
            row["torch_s"], _ = median_time(lambda: ref(torch, *tin), args.repeat)
        if name.startswith(("matmul", "gemv", "bert_qkv", "bert_proj", "bert_ffn", "r50_fc", "bert_scores", "bert_context")):
            row["numpy_s"], _ = median_time(lambda: np.matmul(*inputs), args.repeat)
        rows[name] = row
        print_row(name, row, 6)
    return rows


def markdown(result):
    meta = result["meta"]
    out = [f"# Roller on the CPU: single operators", "",
           provenance(meta),
           f"Versions: {meta['versions']}. Times are medians; GFLOP/s = operator flops / time.",
           "fourfold: default CPU pipeline (roller construct + lower; outer tiles on OpenMP). naive: the same "
           "pipeline with roller=false (upstream convert-linalg-to-loops). numpy: OpenBLAS sgemm "
           "(matmul-like operators only). PyTorch: eager, float32, oneDNN/MKL.", ""]
    for threads, rows in sorted(result["threads"].items()):
        out += [f"## {threads} thread(s), every system", "",
                "| operator | fourfold GFLOP/s | compile s | naive GFLOP/s | numpy GFLOP/s | PyTorch GFLOP/s | fourfold / numpy | fourfold / PyTorch |",
                "|---|---|---|---|---|---|---|---|"]
        ratios_np, ratios_t = [], []
        for name, r in rows.items():
            if "error" in r:
                out.append(f"| {name} | {r['error']} | | | | | | |")
                continue
            g = lambda key: r["flops"] / r[key] / 1e9 if key in r else None
            fmt = lambda v: f"{v:.1f}" if v is not None else "-"
            rn = r["numpy_s"] / r["fourfold_s"] if "numpy_s" in r else None
            rt = r["torch_s"] / r["fourfold_s"]
            if rn:
                ratios_np.append(rn)
            ratios_t.append(rt)
            out.append(f"| {name} | {fmt(g('fourfold_s'))} | {r['compile_s']:.2f} | {fmt(g('naive_s'))} | "
                       f"{fmt(g('numpy_s'))} | {fmt(g('torch_s'))} | {fmt(rn) if rn else '-'}x | {rt:.2f}x |")
        out += ["", f"Speed ratio geomeans (above 1: fourfold faster): vs numpy {geomean(ratios_np):.2f}x over "
                f"{len(ratios_np)} matmuls, vs PyTorch {geomean(ratios_t):.2f}x over {len(ratios_t)} operators.", ""]
    return "\n".join(out) + "\n"


def add_arguments(parser):
    parser.add_argument("--ops", default="")
    parser.add_argument("--skip-naive", action="store_true")


def main():
    bench_main(__file__, "roller", worker, markdown, add_arguments,
               lambda args: ["--ops", args.ops] + (["--skip-naive"] if args.skip_naive else []))


if __name__ == "__main__":
    main()
