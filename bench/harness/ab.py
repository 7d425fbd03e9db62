"""Two builds of fourfold side by side on the harness's cases: one worker process per build,
interleaved batches, so that a change is measured against its base in the same minutes (two
harness runs an hour apart moved unchanged operators by 15-28% on this shared machine).

    source tools/env.sh
    cp -r build/python_packages /tmp/pkg_new            # the change, built
    git stash; ninja -C build; cp -r build/python_packages /tmp/pkg_old; git stash pop; ninja -C build
    PYTHONPATH= python bench/harness/ab.py /tmp/pkg_old /tmp/pkg_new --cases 'matmul_|bert-small' --rounds 7

Prints a Markdown table: each case's median time per build (medians of the rounds' 0.2 s batches,
1 thread unless --threads) and the speed-up of the second build over the first.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def worker(package: str, threads: int, names: list[str], conn):
    sys.path[:0] = [package, HERE, os.path.dirname(HERE)]
    import torch

    import fourfold
    from cases import cases
    from common import median_time
    from fourfold.cli import set_threads

    torch.set_num_threads(threads)
    set_threads(threads)
    by_name = {c.name: c for c in cases("small")}
    runs = {}
    for name in names:
        module, inputs = by_name[name].build()
        compiled = fourfold.compile(module, inputs, cache=False)
        runs[name] = lambda compiled=compiled, inputs=inputs: compiled(*inputs)
    conn.send("ready")
    while (name := conn.recv()) is not None:
        with torch.no_grad():
            median, _ = median_time(runs[name], 1_000_000, budget_s=0.2)  # a warm-up, then 0.2 s of calls
        time.sleep(0.1)  # let this build's spinning threads sleep before the other one runs
        conn.send(median)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="the first build's python_packages folder")
    parser.add_argument("change", help="the second build's python_packages folder")
    parser.add_argument("--cases", required=True, help="regular expression over the harness's case names")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    sys.path[:0] = [args.base, HERE, os.path.dirname(HERE)]  # cases.py imports fourfold's zoo
    from cases import cases

    names = [c.name for c in cases("small") if re.search(args.cases, c.name)]
    if not names:
        sys.exit(f"no case matches {args.cases!r}")
    ctx = mp.get_context("spawn")
    conns = []
    for package in (args.base, args.change):
        parent, child = ctx.Pipe()
        ctx.Process(target=worker, args=(package, args.threads, names, child), daemon=True).start()
        conns.append(parent)
    for conn in conns:
        assert conn.recv() == "ready"
    times = {name: ([], []) for name in names}
    for r in range(args.rounds):
        for name in names:
            for i in ((0, 1) if r % 2 == 0 else (1, 0)):
                conns[i].send(name)
                times[name][i].append(conns[i].recv())
    print(f"| case | {args.base} us | {args.change} us | speed-up |")
    print("|---|---|---|---|")
    for name, (base, change) in times.items():
        b, c = statistics.median(base), statistics.median(change)
        print(f"| {name} | {b * 1e6:.1f} | {c * 1e6:.1f} | {b / c:.2f}x |", flush=True)
    for conn in conns:
        conn.send(None)


if __name__ == "__main__":
    main()
