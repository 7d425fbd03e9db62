"""Measures what rammer's CPU cost model charges: a parallel region's fork and join, a barrier
between segments, and the dispatch of one rTask, with OpenMP (libomp) on this machine.

Chains of N and 3N tiny parallel kernels (each a 2-tile scf.forall of a few hundred flops) run
with one parallel region per kernel (rammer off) and as one program (rammer on: one region, a
barrier between kernels). The differences of medians between the two lengths give the cost of
one region (fork and join) and of one barrier (with the vEU claim and a tiny rTask).

    python3 bench/rammer/calibrate.py [--kernels 16] [--repeat 2000]
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import fourfold  # noqa: E402
from fourfold.examples.fused import ID2, _Builder, _ew  # noqa: E402


def program(kernels: int, chain: bool, rows: int = 2, cols: int = 64) -> str:
    b = _Builder("cal", [(rows, cols)])
    x, outs = "%arg0", []
    for _ in range(kernels):
        y = _ew(b, x if not chain else (outs[-1] if outs else x), (rows, cols), "neg")
        outs.append(y)
    total = outs[0]
    if not chain:
        # One last kernel sums them, so no kernel is dead.
        args = [(o, (rows, cols), ID2) for o in outs]
        body = "    %s0 = arith.addf %in0, %in1 : f32\n" + "".join(
            f"    %s{i} = arith.addf %s{i - 1}, %in{i + 1} : f32\n" for i in range(1, kernels - 1))
        total = b.generic(args, (rows, cols), body + f"    linalg.yield %s{kernels - 2} : f32")
    else:
        total = outs[-1]
    return b.text(total, (rows, cols))


def median_us(fn, x, repeat):
    for _ in range(50):
        fn(x)
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(x)
        t.append(time.perf_counter() - t0)
    return float(np.median(t)) * 1e6


def measure(kernels: int = 16, repeat: int = 2000, verbose: bool = True) -> tuple[float, float]:
    """(one parallel region's fork + join, one barrier with its vEU claim), in microseconds, with
    the current thread count: the differences between chains of `kernels` and 3 x `kernels`."""
    x = np.random.default_rng(0).standard_normal((2, 64)).astype(np.float32)
    res = {}
    for length in (kernels, 3 * kernels):
        src = program(length, chain=True)
        for mode in ("off", "on"):
            fn = fourfold.compile(src, pipeline=fourfold.Pipeline.cpu(welder=False, rammer=mode == "on"))
            loops = fn.stages["loops"]
            res[(length, mode)] = (median_us(fn, x, repeat), loops.count("omp.parallel"),
                                   loops.count("omp.barrier"))
            if verbose:
                print(f"chain of {length:3d}, rammer {mode:3}: {res[(length, mode)][0]:7.2f} us, "
                      f"{res[(length, mode)][1]} parallel regions, {res[(length, mode)][2]} barriers", flush=True)
    (a_off, ra, _), (b_off, rb, _) = res[(kernels, "off")], res[(3 * kernels, "off")]
    (a_on, _, ba), (b_on, _, bb) = res[(kernels, "on")], res[(3 * kernels, "on")]
    return (b_off - a_off) / (rb - ra), (b_on - a_on) / (bb - ba)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernels", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=2000)
    args = ap.parse_args()
    region, barrier = measure(args.kernels, args.repeat)
    print(f"one parallel region (fork + join): {region:.2f} us")
    print(f"one barrier (+ vEU claim, tiny rTask): {barrier:.2f} us")


if __name__ == "__main__":
    main()
