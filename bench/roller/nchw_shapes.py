"""NCHW convolutions of chosen shapes through fourfold and PyTorch eager in one process, 1 thread:
the kernel measurements of bench/results/roller-nchw-narrow-cpu.md and
bench/results/roller-convs-as-matmuls-cpu.md.

    source tools/env.sh
    python bench/roller/nchw_shapes.py 14,1024,256,1,1 7,2048,512,1,1 9,512,512,3,1
    python bench/roller/nchw_shapes.py --compare 9,512,512,3,2 30,64,64,3,1

Each shape is H,C,F,K,S: a square H x H input (already padded), C channels, F filters of K x K,
stride S. Prints GFLOP/s of each (median of 30 calls) and the relative error against PyTorch in
float64. --compare also compiles each with the convolution-as-matmul rewrites off (no
roller-convs-as-matmuls, roller-construct{convs-as-matmuls=false}) and says which form the default
took.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))


def _without_matmul_convs(fourfold):
    """The default CPU pipeline with every convolution kept a convolution."""
    import re

    pipeline = fourfold.Pipeline.cpu()
    frontend = re.sub(r",roller-convs-as-matmuls\{[^}]*\}", "", pipeline["frontend"].passes)
    roller = pipeline["roller"].passes.replace("roller-construct{", "roller-construct{convs-as-matmuls=false ")
    return pipeline.replace("frontend", frontend).replace("roller", roller)


def main(argv):
    import numpy as np
    import torch

    import fourfold
    from common import median_time
    from fourfold.cli import set_threads
    from operators import conv_nchw

    torch.set_num_threads(1)
    set_threads(1)
    compare = "--compare" in argv
    argv = [a for a in argv if a != "--compare"]
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
        line = (f"{h}x{h} {c}->{f} k{k}s{s}: fourfold {flops / ours / 1e9:.1f} GFLOP/s, "
                f"PyTorch {flops / eager / 1e9:.1f} ({eager / ours:.2f}x), error {error:.1e}")
        if compare:
            conv = fourfold.compile(src, pipeline=_without_matmul_convs(fourfold), cache=False)
            assert np.abs(conv(*xs) - expected).max() <= 1e-4 * np.abs(expected).max()
            as_conv = median_time(lambda: conv(*xs), 30)[0]
            constructed = fourfold.Pipeline([("c", "roller-construct{target=host}")]).run(fn.stages["welder"])
            form = "matmul" if "linalg.matmul" in constructed.ir["c"] else "conv"
            line += f"; as a convolution {flops / as_conv / 1e9:.1f} (default took: {form})"
        print(line, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
