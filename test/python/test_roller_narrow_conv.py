"""roller on the CPU: 1x1, stride-1 NCHW convolutions with narrow image rows (at most half a vector)
rewritten by roller-construct as matmuls over the pixels (narrowConvsAsMatmuls in Construct.cpp),
numerics against PyTorch: odd channel and filter counts, rows of 1 to 8 pixels, inside welder's
groups (a ResNet bottleneck at 7 x 7 from PyTorch), and the cases that must stay convolutions.

The target is the 512-bit test CPU of the lit tests (16 lanes), so that which convolutions are
rewritten does not depend on the machine running the tests.
"""

import os
import re

import numpy as np
import pytest

import fourfold
from conftest import assert_close_to_scale as check
from fourfold.examples import programs as P

TARGET = "@" + os.path.join(os.path.dirname(__file__), "..", "Dialect", "Roller", "Inputs", "cpu512.target")


def _compile(src_or_model, *example):
    return fourfold.compile(src_or_model, *example, pipeline=fourfold.Pipeline.cpu(target=TARGET),
                            cache=False)


def _with_random_statistics(block):
    """`block` in eval mode with batch norms whose running statistics are not the identity."""
    import torch

    torch.manual_seed(0)
    block = block.eval()
    for m in block.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2.0)
    return block


def _pixels_as_rows(fn, c):
    """Whether the roller stage views an image (or a welder tile of whole rows of one) of c channels
    as [c, pixels], the matmul's B."""
    return re.search(rf"tensor<1x{c}x\d+x\d+xf32> into tensor<{c}x\d+xf32>", fn.stages["roller"]) is not None


@pytest.mark.parametrize("n,c,h,w,f,stride,as_matmul", [
    (1, 256, 7, 7, 64, 1, True),       # ResNet-50's last stage, narrowed
    (1, 19, 5, 3, 37, 1, True),        # odd everything
    (1, 64, 8, 8, 33, 1, True),        # half a vector exactly
    (1, 40, 1, 1, 24, 1, True),        # one pixel
    (1, 64, 4, 9, 16, 1, False),       # rows of 9: a convolution
    (1, 64, 13, 13, 16, 2, False),     # strided
    (2, 32, 7, 7, 16, 1, True),        # two images: welder's tiles take one each
])
def test_conv1x1(rng, n, c, h, w, f, stride, as_matmul):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((n, c, h, w), dtype=np.float32)
    wt = rng.standard_normal((f, c, 1, 1), dtype=np.float32)
    ref = torch.nn.functional.conv2d(torch.from_numpy(x).double(), torch.from_numpy(wt).double(),
                                     stride=stride).numpy()
    fn = _compile(P.conv2d("conv_2d_nchw_fchw", x.shape, wt.shape, stride=stride))
    check(fn(x, wt), ref)
    assert _pixels_as_rows(fn, c) == as_matmul


def test_bottleneck_at_7x7(rng):
    """ResNet's bottleneck at 7 x 7 through the PyTorch frontend: its two 1x1 convolutions sit in welder
    groups with batch norm, ReLU and the residual add; they become matmuls and the block still matches
    PyTorch."""
    torch = pytest.importorskip("torch")
    from fourfold.examples import torch_models as zoo

    block = _with_random_statistics(zoo.Bottleneck(256, 64))
    x = torch.randn(1, 256, 7, 7)
    fn = _compile(block, (x,))
    assert _pixels_as_rows(fn, 256) or _pixels_as_rows(fn, 64)
    with torch.no_grad():
        ref = block(x).numpy()
    check(np.asarray(fn(x)), ref)


# --------------------------------------------------------------------------- #
# Filters wider than 1x1: runs along the row pitch (narrowConvsAsRowRuns)
# --------------------------------------------------------------------------- #

def _row_run(fn):
    """Whether the roller stage computes a convolution into a [F, OH x IW] buffer (the row-run form)."""
    return re.search(r"tensor<1x\d+x\d+x\d+xf32> into tensor<\d+x\d+xf32>", fn.stages["roller"]) is not None \
        and "output_shape" in fn.stages["roller"]


@pytest.mark.parametrize("c,h,w,f,k,pad,dilation,row_run", [
    (64, 7, 7, 32, 3, 1, 1, True),     # ResNet-50's last stage, narrowed
    (19, 4, 4, 37, 3, 1, 1, True),     # 4 x 4 (ResNet-50 at 112 x 112), odd counts
    (8, 11, 7, 12, 5, 2, 2, True),     # 5x5, dilation 2: rows of 3
    (16, 6, 3, 16, 3, 0, 1, True),     # one output column
    (3, 9, 9, 5, (1, 3), 0, 1, True),  # a 1x3 filter
    (16, 14, 14, 16, 3, 1, 1, False),  # rows of 14: a convolution
])
def test_conv_row_runs(rng, c, h, w, f, k, pad, dilation, row_run):
    torch = pytest.importorskip("torch")
    kh, kw = (k, k) if isinstance(k, int) else k
    x = rng.standard_normal((1, c, h + 2 * pad, w + 2 * pad), dtype=np.float32)
    wt = rng.standard_normal((f, c, kh, kw), dtype=np.float32)
    ref = torch.nn.functional.conv2d(torch.from_numpy(x).double(), torch.from_numpy(wt).double(),
                                     dilation=dilation).numpy()
    fn = _compile(P.conv2d("conv_2d_nchw_fchw", x.shape, wt.shape, dilation=dilation))
    check(fn(x, wt), ref)
    assert _row_run(fn) == row_run


def test_tile_with_accumulators_in_memory(rng):
    """48 filters on 33-wide rows: once a tile whose padded accumulators overflowed the registers and
    crashed roller-lower; now a smaller tile, and the same numbers."""
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((1, 32, 3, 35), dtype=np.float32)
    wt = rng.standard_normal((48, 32, 3, 3), dtype=np.float32)
    ref = torch.nn.functional.conv2d(torch.from_numpy(x).double(), torch.from_numpy(wt).double()).numpy()
    for pipeline in (fourfold.Pipeline.cpu(target=TARGET), fourfold.Pipeline.cpu()):
        fn = fourfold.compile(P.conv2d("conv_2d_nchw_fchw", x.shape, wt.shape), pipeline=pipeline, cache=False)
        check(fn(x, wt), ref)


def test_basic_block_at_7x7(rng):
    """ResNet's basic block at 7 x 7 from PyTorch (3x3 convolutions with padding, batch norm, ReLU,
    the residual add, welder's groups around them): row runs, same numbers as PyTorch."""
    torch = pytest.importorskip("torch")
    from fourfold.examples import torch_models as zoo

    block = _with_random_statistics(zoo.BasicBlock(64, 64, stride=1))
    x = torch.randn(1, 64, 7, 7)
    fn = _compile(block, (x,))
    assert _row_run(fn)
    with torch.no_grad():
        ref = block(x).numpy()
    check(np.asarray(fn(x)), ref)
