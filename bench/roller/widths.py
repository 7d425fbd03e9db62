"""Roller on the CPU: matmuls whose width (N, the vector dimension) is not a multiple of the register
tile's, against numpy (OpenBLAS) and PyTorch eager, at 1 thread.

    source tools/env.sh
    python bench/roller/widths.py                      # M=2048, K=512, N in 16..192
    python bench/roller/widths.py --m 256 --k 1024 --n 49 63 196

fourfold's kernel is called with numpy arrays through the compiled module (no PyTorch frontend), so
the times are the kernel's plus the runtime's few microseconds per call; each system is timed in
rounds that alternate between them (medians over the rounds' medians). Outputs are checked against
numpy in float64 first. Prints a Markdown table with the register tile roller chose.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from common import machine, median_time, provenance, rel_error  # noqa: E402

SRC = """
func.func @mm(%a: tensor<{m}x{k}xf32>, %b: tensor<{k}x{n}xf32>) -> tensor<{m}x{n}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %r = linalg.matmul ins(%a, %b : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) outs(%f : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %r : tensor<{m}x{n}xf32>
}}"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--m", type=int, default=2048)
    parser.add_argument("--k", type=int, default=512)
    parser.add_argument("--n", type=int, nargs="+",
                        default=[16, 17, 24, 33, 40, 48, 49, 56, 63, 64, 65, 72, 81, 100, 112, 120, 144, 192])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    import numpy as np
    import torch

    import fourfold
    from fourfold.cli import set_threads
    from fourfold.pipeline import Stage

    torch.set_num_threads(1)
    set_threads(1)
    cpu = fourfold.Pipeline.cpu()
    upto_roller = cpu.names[:cpu.names.index("roller")]
    rng = np.random.default_rng(0)
    meta = {"machine": machine(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command": "python bench/roller/widths.py " + " ".join(sys.argv[1:])}
    print(provenance(meta))
    print()
    print("| M x N x K | roller's register tile (matmul) | fourfold GFLOP/s | numpy GFLOP/s | eager GFLOP/s | "
          "fourfold / numpy |")
    print("|---|---|---|---|---|---|")
    for n in args.n:
        src = SRC.format(m=args.m, n=n, k=args.k)
        fn = fourfold.compile(src, cache=False)
        a = rng.standard_normal((args.m, args.k), dtype=np.float32)
        b = rng.standard_normal((args.k, n), dtype=np.float32)
        err = rel_error(fn(a, b), a.astype(np.float64) @ b)
        if err > 1e-4:
            print(f"| {args.m} x {n} x {args.k} | wrong result ({err:.1e}) | | | | |")
            continue
        constructed = fourfold.Pipeline([cpu[s] for s in upto_roller] +
                                        [Stage("construct", "roller-construct{target=host}")]).run(src)
        tiles = re.findall(r"linalg.matmul \{[^}]*register = (\[[0-9, ]+\])", constructed.ir["construct"])
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        systems = {"fourfold": lambda: fn(a, b), "numpy": lambda: a @ b, "eager": lambda: ta @ tb}
        times = {s: [] for s in systems}
        for _ in range(args.rounds):
            for s, call in systems.items():
                times[s].append(median_time(call, 50, budget_s=0.2)[0])
        flops = 2.0 * args.m * n * args.k
        rate = {s: flops / statistics.median(t) / 1e9 for s, t in times.items()}
        print(f"| {args.m} x {n} x {args.k} | {', '.join(tiles) or '-'} | {rate['fourfold']:.1f} | "
              f"{rate['numpy']:.1f} | {rate['eager']:.1f} | {rate['fourfold'] / rate['numpy']:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
