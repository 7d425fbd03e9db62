"""Grinder on the CPU: models with control flow, each placement beside PyTorch.

    source tools/env.sh
    python bench/grinder/run.py                  # 1 and 2 threads, every model
    python bench/grinder/run.py --models lstm    # a subset (regex)
    python bench/grinder/run.py --smoke          # seconds: tiny models, for the tests

Per model, at batch 1 and 64: fourfold with grinder's choice (the default CPU pipeline), fourfold
with control flow left on the host (grinder=false: a parallel region per kernel and iteration),
fourfold with every loop forced into one parallel region (device) and onto one core (block), and
PyTorch eager running the same model (the generator's own reference with torch ops; the LSTM also
as torch.nn.LSTM). Outputs are checked first; times are medians of repeated runs, each thread count
in its own process. Regions = OpenMP parallel regions entered per inference (the CPU's launches):
the ones outside the model's loop plus the ones inside it times its trips (a data-dependent while:
the trips this input takes; BlockDrop: every block's branch counted as taken, an upper bound).
"""

from __future__ import annotations

import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from common import bench_main, geomean, median_time, print_row, provenance, rel_error  # noqa: E402

PLACEMENTS = ("auto", "host", "device", "block")


def models(smoke: bool):
    from fourfold.examples import control as C
    if smoke:
        return {"lstm_b1": lambda: C.lstm(steps=4, batch=1, inputs=16, hidden=16),
                "seq2seq_b1": lambda: C.seq2seq(batch=1, hidden=16, vocab=8, max_len=6)}
    rows = {}
    for b in (1, 64):
        rows[f"lstm_b{b}"] = lambda b=b: C.lstm(steps=100, batch=b, name=f"lstm{b}")
        rows[f"nasrnn_b{b}"] = lambda b=b: C.nasrnn(steps=100, batch=b, name=f"nasrnn{b}")
        rows[f"seq2seq_b{b}"] = lambda b=b: C.seq2seq(batch=b, name=f"seq2seq{b}")
        rows[f"blockdrop_b{b}"] = lambda b=b: C.blockdrop(batch=b, name=f"blockdrop{b}")
        rows[f"tree_b{b}"] = lambda b=b: C.tree(depth=4, batch=b, name=f"tree{b}")
    return rows


def _pipeline(place):
    """host: grinder off (the host drives the loop); auto / device / block: grinder's choice or forced."""
    import fourfold
    from fourfold.tuning import placement_pipeline
    return fourfold.Pipeline.cpu(grinder=False) if place == "host" else placement_pipeline(place)


def regions_per_run(ir: str, trips: int) -> int:
    """Parallel regions entered per inference from the IR before the loops stage: scf.forall (one
    region each once lowered) and omp.parallel, outside the function's outermost loop once, inside
    it once per trip."""
    inside = outside = 0
    depth_loop = None
    for line in ir.splitlines():
        indent = len(line) - len(line.lstrip())
        body = line.strip()
        if depth_loop is None and re.search(r"= scf\.(for|while)|^scf\.(for|while)", body) and indent == 4:
            depth_loop = indent
            continue
        if depth_loop is not None and indent == depth_loop and body.startswith("}") and "do {" not in body:
            depth_loop = None
            continue
        n = body.startswith("scf.forall") + body.startswith("omp.parallel")
        if depth_loop is None:
            outside += n
        else:
            inside += n
    return outside + inside * trips


def worker(args):
    import numpy as np
    import torch

    import fourfold
    from fourfold.examples.parallel import torch_ops

    torch.set_num_threads(args.threads[0])
    tops = torch_ops()
    rows = {}
    for name, make in models(args.smoke).items():
        if args.models and not re.search(args.models, name):
            continue
        prog = make()
        inputs = prog.inputs(seed=0)
        as64 = [x.astype(np.float64) for x in inputs]
        expected = prog.reference(*as64)
        notes = prog.notes
        trips = (notes["steps"](*as64) if callable(notes.get("steps")) else notes.get("steps")) or \
            notes.get("blocks", 1)
        row = {"trips": trips}
        for place in PLACEMENTS:
            t = time.perf_counter()
            compiled = fourfold.compile(prog.mlir, pipeline=_pipeline(place))
            row[f"{place}_compile_s"] = time.perf_counter() - t
            row[f"{place}_regions"] = regions_per_run(compiled.stages["rammer"], trips)
            if place == "auto":
                row["placement"] = ",".join(placements(prog)) or "-"
            out = compiled(*inputs)
            err = rel_error(out, expected)
            row[f"{place}_rel_error"] = err
            if err > 1e-3:
                row["error"] = f"{place}: wrong result ({err:.2e})"
                break
            row[f"{place}_s"], _ = median_time(lambda: compiled(*inputs), args.repeat)
        if "error" not in row:
            tin = [torch.from_numpy(x) for x in inputs]
            impl = notes["impl"]
            with torch.no_grad():
                row["torch_rel_error"] = rel_error(impl(tops, *tin).numpy(), expected)
                row["torch_s"], _ = median_time(lambda: impl(tops, *tin), args.repeat)
                if name.startswith("lstm"):
                    lstm = torch.nn.LSTM(notes["inputs"], notes["hidden"])
                    lstm.weight_ih_l0.copy_(tin[3].T)
                    lstm.weight_hh_l0.copy_(tin[4].T)
                    lstm.bias_ih_l0.copy_(tin[5])
                    lstm.bias_hh_l0.zero_()
                    state = (tin[1][None], tin[2][None])
                    row["nn_lstm_rel_error"] = rel_error(lstm(tin[0], state)[1][0][0].numpy(), expected)
                    row["nn_lstm_s"], _ = median_time(lambda: lstm(tin[0], state), args.repeat)
        rows[name] = row
        print_row(name, row)
    return rows


def placements(prog) -> list[str]:
    """grinder's decisions, read from the IR after scheduling (before lowering drops them)."""
    from fourfold.tuning import placed_constructs
    return [c.place for c in placed_constructs(prog.mlir)]


def markdown(result):
    meta = result["meta"]
    out = ["# Grinder on the CPU: loops and branches placed on the host, in one parallel region, or on one core",
           "", provenance(meta),
           f"Versions: {meta['versions']}. Times are medians (us) of one call from Python (about 3-4 us "
           "of that is the call itself).",
           "fourfold: default CPU pipeline (welder, roller, grinder, rammer); host: grinder=false (the host "
           "drives the loop: a parallel region per kernel and iteration); device: every loop in one "
           "parallel region (forced); block: every loop on one core (forced). Regions: parallel regions "
           "entered per inference. PyTorch: eager, the same model as a Python loop; nn.LSTM for the LSTM.",
           ""]
    for threads, rows in sorted(result["threads"].items()):
        out += [f"## {threads} thread(s)", "",
                "| model | trips | grinder's choice | regions host -> fourfold | fourfold us | host us | device us | "
                "block us | PyTorch us | over host | over PyTorch | compile s |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        sp, vt = [], []
        for name, r in rows.items():
            if "error" in r:
                out.append(f"| {name} | {r['error']} |" + " |" * 10)
                continue
            torch_s = min(r["torch_s"], r.get("nn_lstm_s", float("inf")))
            s, t = r["host_s"] / r["auto_s"], torch_s / r["auto_s"]
            sp.append(s)
            vt.append(t)
            torch_cell = f"{r['torch_s'] * 1e6:.1f}" + (f" (nn.LSTM {r['nn_lstm_s'] * 1e6:.1f})" if "nn_lstm_s" in r else "")
            out.append(f"| {name} | {r['trips']} | {r['placement']} | {r['host_regions']} -> {r['auto_regions']} | "
                       f"{r['auto_s'] * 1e6:.1f} | {r['host_s'] * 1e6:.1f} | {r['device_s'] * 1e6:.1f} | "
                       f"{r['block_s'] * 1e6:.1f} | {torch_cell} | {s:.2f}x | {t:.2f}x | {r['auto_compile_s']:.2f} |")
        out += ["", f"Geomeans (above 1: fourfold faster): over control flow on the host {geomean(sp):.2f}x, "
                f"over the faster of PyTorch eager / nn.LSTM {geomean(vt):.2f}x.", ""]
    return "\n".join(out) + "\n"


def add_arguments(parser):
    parser.add_argument("--models", default="")


def main():
    bench_main(__file__, "grinder", worker, markdown, add_arguments, lambda args: ["--models", args.models])


if __name__ == "__main__":
    main()
