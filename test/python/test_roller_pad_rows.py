"""roller on the CPU: NCHW convolution filters whose rows share an L1 set, copied once per call into
rows a cache line longer (paddedRowOperands, padRows in Construct.cpp), numerics against PyTorch.

The target is the 2-core, 32-register, 512-bit test CPU of the lit tests, so that the register tiles
span 16 filters (and the copy happens) whatever the machine running the tests; roller=False and
pack=False (no copy) give the same numbers. Odd filter counts leave a partial register tile that reads
the copy too; a 3x3 filter is padded by whole channels. 1x1 convolutions whose rows leave lanes
empty (14 x 14) are matmuls over their pixels by then (roller-convs-as-matmuls), whose filter rows are
padded the same way.
"""

import os
import re

import numpy as np
import pytest

import fourfold
from conftest import assert_close_to_scale as check
from fourfold.examples import programs as P

TARGET = "@" + os.path.join(os.path.dirname(__file__), "..", "Dialect", "Roller", "Inputs", "cpu512.target")
PADDED = re.compile(r"tensor\.empty\(\) : tensor<(\d+)x(\d+)xf32>")


def _torch():
    return pytest.importorskip("torch")


def _without_layout_copies():
    """The CPU pipeline with roller-construct's pack=false: no packed panels, no padded rows."""
    pipeline = fourfold.Pipeline.cpu(target=TARGET)
    roller = next(s for s in pipeline.stages if s.name == "roller").passes
    return pipeline.replace("roller", roller.replace("roller-construct{", "roller-construct{pack=false "))


def _padded_buffers(fn):
    return {tuple(map(int, m)) for m in PADDED.findall(fn.stages["roller"])}


@pytest.mark.parametrize("h,c,f,k,stride,padded", [
    (14, 1024, 256, 1, 1, (256, 1040)),    # ResNet-50's 14x14 1024 -> 256
    (16, 1024, 40, 1, 1, (40, 1040)),      # 40 filters: 2 whole register tiles and 8 rows left
    (29, 1024, 32, 1, 2, (32, 1040)),      # strided (a downsampling shortcut)
    (16, 1024, 32, 3, 1, (32, 9234)),      # 3x3: 2 more channels of 9 elements
    (14, 512, 64, 1, 1, None),             # 8 rows per set: read in place
])
def test_conv_nchw(rng, h, c, f, k, stride, padded):
    torch = _torch()
    x = rng.standard_normal((1, c, h, h), dtype=np.float32)
    w = rng.standard_normal((f, c, k, k), dtype=np.float32)
    ref = torch.nn.functional.conv2d(torch.from_numpy(x).double(), torch.from_numpy(w).double(),
                                     stride=stride).numpy()
    src = P.conv2d("conv_2d_nchw_fchw", x.shape, w.shape, stride=stride)
    fn = fourfold.compile(src, pipeline=fourfold.Pipeline.cpu(target=TARGET), cache=False)
    check(fn(x, w), ref)
    if padded:
        assert padded in _padded_buffers(fn)
    else:
        assert not any(shape[0] == f for shape in _padded_buffers(fn))
    off = fourfold.compile(src, pipeline=_without_layout_copies(), cache=False)
    assert not _padded_buffers(off)
    check(off(x, w), ref)


def test_bottleneck_entry_in_a_welder_group(rng):
    """1x1 conv + batch norm + ReLU from PyTorch: welder fuses them into one group whose tiles slice
    the filter; the filter argument is copied once, outside the group's loop."""
    torch = _torch()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1024, 256, 1, bias=False), torch.nn.BatchNorm2d(256),
                                torch.nn.ReLU()).eval()
    with torch.no_grad():
        model[1].running_mean.normal_()
        model[1].running_var.uniform_(0.5, 2.0)
    x = torch.randn(1, 1024, 14, 14)
    fn = fourfold.compile(model, (x,), pipeline=fourfold.Pipeline.cpu(target=TARGET), cache=False)
    roller = fn.stages["roller"]
    assert (256, 1040) in _padded_buffers(fn)
    # The copy sits before the group's parallel loop, at function level.
    assert roller.index("tensor<256x1040xf32>") < roller.index("scf.forall")
    with torch.no_grad():
        ref = model(x).numpy()
    check(np.asarray(fn(x)), ref)
