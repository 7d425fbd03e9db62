"""NCHW convolutions of chosen shapes through fourfold and PyTorch eager in one process, 1 thread:
the kernel measurements of bench/results/roller-nchw-narrow-cpu.md.

    source tools/env.sh
    python bench/roller/nchw_shapes.py 14,1024,256,1,1 7,2048,512,1,1 9,512,512,3,1

Each shape is H,C,F,K,S: a square H x H input (already padded), C channels, F filters of K x K,
stride S. Prints GFLOP/s of each (median of 30 calls) and the relative error against PyTorch in
float64.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))


def main(argv):
    import numpy as np
    import torch

    import fourfold
    from common import median_time
    from fourfold.cli import set_threads
    from operators import conv_nchw

    torch.set_num_threads(1)
    set_threads(1)
    rng = np.random.default_rng(0)
    for arg in argv:
        h, c, f, k, s = map(int, arg.split(","))
        src, shapes, ref, flops = conv_nchw(h, h, c, f, k, s)
        fn = fourfold.compile(src, cache=False)
        xs = [rng.standard_normal(shape, dtype=np.float32) for shape in shapes]
        ts = [torch.from_numpy(x) for x in xs]
        with torch.no_grad():
            expected = ref(torch, *[t.double() for t in ts]).numpy()
            error = float(np.abs(fn(*xs) - expected).max() / np.abs(expected).max())
            ours = median_time(lambda: fn(*xs), 30)[0]
            eager = median_time(lambda: ref(torch, *ts), 30)[0]
        print(f"{h}x{h} {c}->{f} k{k}s{s}: fourfold {flops / ours / 1e9:.1f} GFLOP/s, "
              f"PyTorch {flops / eager / 1e9:.1f} ({eager / ours:.2f}x), error {error:.1e}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
