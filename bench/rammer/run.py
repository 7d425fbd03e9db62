"""Rammer on the CPU: graphs with inter-operator parallelism, rammer on vs off, beside PyTorch.

    source tools/env.sh
    python bench/rammer/run.py                 # 1 and 2 threads, every graph
    python bench/rammer/run.py --graphs lstm   # a subset (regex)
    python bench/rammer/run.py --smoke         # seconds: tiny graphs, for the tests

Per graph, at batch 1 and a larger batch: fourfold (default CPU pipeline: welder, roller, rammer),
fourfold with rammer=false (one OpenMP parallel region per parallel kernel), PyTorch eager running
the same graph (the generator's own reference with torch ops), outputs checked first, medians of
repeated runs, each thread count in its own process. Launches = parallel regions entered per run
(omp.parallel in the final IR; serial kernels such as copies open none); barriers = omp.barrier.
TVM Relax is not installed on this machine's bench set-up (see README, Known limits).
"""

from __future__ import annotations

import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from common import bench_main, geomean, median_time, print_row, provenance, rel_error  # noqa: E402


def graphs(smoke: bool):
    from fourfold.examples import parallel as P
    if smoke:
        return {"inception_b1": lambda: P.inception_cell(rows=9, cin=16, widths=(8, 8, 4, 4)),
                "lstm_b1": lambda: P.lstm_cell(batch=1, inputs=16, hidden=16)}
    return {
        "inception_b1": lambda: P.inception_cell(rows=49),
        "inception_b16": lambda: P.inception_cell(rows=49 * 16, name="inception16"),
        "nasnet_b1": lambda: P.nasnet_cell(rows=37, channels=44),
        "nasnet_b16": lambda: P.nasnet_cell(rows=37 * 16, channels=44, name="nasnet16"),
        "mha_heads_t32": lambda: P.mha_heads(tokens=32, dim=64, heads=4),
        "mha_heads_t256": lambda: P.mha_heads(tokens=256, dim=256, heads=8, name="mha256"),
        "lstm_b1": lambda: P.lstm_cell(batch=1, inputs=256, hidden=256),
        "lstm_b64": lambda: P.lstm_cell(batch=64, inputs=256, hidden=256, name="lstm64"),
        **{f"dag_seed{s}": (lambda s=s: P.random_dag(s, nodes=12)) for s in range(4)},
    }


def worker(args):
    import numpy as np
    import torch

    import fourfold
    from fourfold.examples.parallel import torch_ops

    from calibrate import measure

    torch.set_num_threads(args.threads[0])
    tops = torch_ops()
    rows = {}
    # What a launch and a barrier cost at this thread count, to turn counts into overhead.
    region_us, barrier_us = measure(4 if args.smoke else 16, 100 if args.smoke else 1000, verbose=False)
    for name, make in graphs(args.smoke).items():
        if args.graphs and not re.search(args.graphs, name):
            continue
        prog = make()
        inputs = prog.inputs(seed=0)
        expected = prog.reference(*[x.astype(np.float64) for x in inputs])
        row = {"region_us": region_us, "barrier_us": barrier_us}
        for label, rammer in (("fourfold", True), ("no_rammer", False)):
            t = time.perf_counter()
            compiled = fourfold.compile(prog.mlir, pipeline=fourfold.Pipeline.cpu(rammer=rammer))
            row[f"{label}_compile_s"] = time.perf_counter() - t
            loops = compiled.stages["loops"]
            row[f"{label}_launches"] = loops.count("omp.parallel")
            row[f"{label}_barriers"] = loops.count("omp.barrier")
            out = compiled(*inputs)
            err = rel_error(out, expected)
            row[f"{label}_rel_error"] = err
            if err > 1e-4:
                row["error"] = f"{label}: wrong result ({err:.2e})"
                break
            row[f"{label}_s"], _ = median_time(lambda: compiled(*inputs), args.repeat)
            if rammer:
                # Three tables (offsets, operators, rTasks) per program.
                row["programs"] = compiled.stages["rammer"].count("constant @__rammer_") // 3
        if "error" not in row:
            tin = [torch.from_numpy(x) for x in inputs]
            impl = prog.notes["impl"]
            with torch.no_grad():
                got = impl(tops, *tin).numpy()
                row["torch_rel_error"] = rel_error(got, expected)
                row["torch_s"], _ = median_time(lambda: impl(tops, *tin), args.repeat)
        rows[name] = row
        print_row(name, row)
    return rows


def markdown(result):
    meta = result["meta"]
    out = ["# Rammer on the CPU: co-scheduling independent kernels in one parallel region", "",
           provenance(meta),
           f"Versions: {meta['versions']}. Times are medians (us) of one call from Python (about 3-4 us "
           "of that is the call itself).",
           "fourfold: default CPU pipeline (welder, roller, rammer). no-rammer: rammer=false (one OpenMP "
           "parallel region per parallel kernel). Launches: parallel regions per run; barriers: step "
           "barriers inside programs. Scheduling overhead: launches x the measured cost of a parallel "
           "region's fork and join, plus barriers x the measured cost of a barrier with its vEU claim "
           "(bench/rammer/calibrate.py, run at the start of each thread count; costs in the heading).",
           ""]
    for threads, rows in sorted(result["threads"].items()):
        costs = next((r for r in rows.values() if "region_us" in r), {})
        out += [f"## {threads} thread(s)", "",
                f"A parallel region costs {costs.get('region_us', float('nan')):.2f} us, a barrier "
                f"{costs.get('barrier_us', float('nan')):.2f} us at this thread count.", "",
                "| graph | launches (off -> on) | barriers | sched. overhead us (off -> on) | fourfold us | "
                "no-rammer us | PyTorch us | rammer speedup | vs PyTorch | compile s |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        sp, vt, cuts = [], [], []
        for name, r in rows.items():
            if "error" in r:
                out.append(f"| {name} | {r['error']} |" + " |" * 8)
                continue
            s = r["no_rammer_s"] / r["fourfold_s"]
            t = r["torch_s"] / r["fourfold_s"]
            sp.append(s)
            vt.append(t)
            before = r["no_rammer_launches"] * r["region_us"]
            after = r["fourfold_launches"] * r["region_us"] + r["fourfold_barriers"] * r["barrier_us"]
            cut = f"{before / after:.1f}x" if after > 0 else "-"
            if after > 0 and before > 0:
                cuts.append(before / after)
            out.append(f"| {name} | {r['no_rammer_launches']} -> {r['fourfold_launches']} | "
                       f"{r['fourfold_barriers']} | {before:.1f} -> {after:.1f} ({cut}) | "
                       f"{r['fourfold_s'] * 1e6:.1f} | {r['no_rammer_s'] * 1e6:.1f} | "
                       f"{r['torch_s'] * 1e6:.1f} | {s:.2f}x | {t:.2f}x | {r['fourfold_compile_s']:.2f} |")
        out += ["", f"Geomeans (above 1: fourfold with rammer faster): over no-rammer {geomean(sp):.2f}x, "
                f"over PyTorch eager {geomean(vt):.2f}x; scheduling overhead cut {geomean(cuts):.1f}x.", ""]
    return "\n".join(out) + "\n"


def add_arguments(parser):
    parser.add_argument("--graphs", default="")


def main():
    bench_main(__file__, "rammer", worker, markdown, add_arguments, lambda args: ["--graphs", args.graphs])


if __name__ == "__main__":
    main()
