"""roller on the CPU: batch-1 NCHW convolutions as matmuls over their patches (roller-convs-as-matmuls
before welder for the ones that need a copy, roller-construct inside welder's tiles for 1x1 stride-1
ones) and, for narrow rows that stay convolutions, runs along the row pitch (narrowConvsAsRowRuns).
Numerics against PyTorch: odd channel and filter counts, strides, dilation, rows of 1 to 9 pixels,
inside welder's groups (ResNet blocks from PyTorch), and which convolutions must stay convolutions.

The target is the 512-bit test CPU of the lit tests (16 lanes; the patch copy costs 16 / F of the
matmul), so that which convolutions are rewritten does not depend on the machine running the tests.
"""

import os
import re

import numpy as np
import pytest

import fourfold
from conftest import assert_close_to_scale as check
from fourfold.examples import programs as P

TARGET = "@" + os.path.join(os.path.dirname(__file__), "..", "Dialect", "Roller", "Inputs", "cpu512.target")


def _pipeline():
    """The CPU pipeline for TARGET with roller-construct's output kept as a stage of its own."""
    pipeline = fourfold.Pipeline.cpu(target=TARGET)
    construct, lower = pipeline["roller"].passes.split(",roller-lower", 1)
    return pipeline.replace("roller", construct).insert_after("roller", "roller-lower", "roller-lower" + lower)


def _compile(src_or_model, *example):
    return fourfold.compile(src_or_model, *example, pipeline=_pipeline(), cache=False)


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


def _as_matmul(fn):
    """Whether every convolution became a matmul by the roller stage."""
    roller = fn.stages["roller"]
    return "linalg.matmul" in roller and "linalg.conv_2d_nchw_fchw" not in roller


@pytest.mark.parametrize("n,c,h,w,f,stride,as_matmul", [
    (1, 256, 7, 7, 64, 1, True),       # ResNet-50's last stage, narrowed: 49 of 64 lanes vs 7 of 16
    (1, 67, 5, 3, 37, 1, True),        # odd everything
    (1, 19, 5, 3, 37, 1, False),       # 21 kflop: welder splits the 5 rows over the cores; 3 of 16 lanes either way
    (1, 64, 8, 8, 33, 1, True),        # half a vector exactly
    (1, 64, 4, 9, 16, 1, False),       # welder gives each core 2 rows of 9: 18 of 32 lanes either way
    (1, 64, 6, 9, 16, 1, True),        # 3 rows of 9 per core: 27 of 32 lanes vs 9 of 16
    (1, 40, 1, 1, 24, 1, False),       # one pixel: one lane either way
    (1, 64, 16, 16, 24, 1, False),     # rows of 16: every lane either way
    (1, 64, 13, 13, 16, 2, False),     # strided, 16 filters: the copy would cost as much as the matmul
    (1, 64, 13, 13, 128, 2, True),     # strided, 128 filters: the copy is worth it
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
    assert _as_matmul(fn) == as_matmul


@pytest.mark.parametrize("c,h,w,f,k,stride,pad,dilation,as_matmul", [
    (64, 7, 7, 128, 3, 2, 1, 1, True),       # ResNet's 3x3 stride 2 onto 4 x 4
    (16, 7, 7, 64, 3, 1, 2, 2, True),        # dilation 2, padding 2
    (5, 6, 7, 96, (1, 3), 1, 0, 1, True),    # a 1x3 filter, 6 x 5 outputs
    (3, 11, 11, 37, 5, 3, 1, 1, True),       # odd counts, a 5x5 filter, stride 3: 3 x 3 outputs
    (16, 7, 7, 16, 3, 1, 1, 1, False),       # 16 filters: the copy would cost as much as the matmul
    (32, 30, 30, 64, 3, 1, 1, 1, False),     # 30 x 30 outputs of 30 lanes in 32, and 1 MB of patches
])
def test_conv_patches(rng, c, h, w, f, k, stride, pad, dilation, as_matmul):
    torch = pytest.importorskip("torch")
    kh, kw = (k, k) if isinstance(k, int) else k
    x = rng.standard_normal((1, c, h + 2 * pad, w + 2 * pad), dtype=np.float32)
    wt = rng.standard_normal((f, c, kh, kw), dtype=np.float32)
    ref = torch.nn.functional.conv2d(torch.from_numpy(x).double(), torch.from_numpy(wt).double(),
                                     stride=stride, dilation=dilation).numpy()
    fn = _compile(P.conv2d("conv_2d_nchw_fchw", x.shape, wt.shape, stride=stride, dilation=dilation))
    check(fn(x, wt), ref)
    assert _as_matmul(fn) == as_matmul
    assert ("linalg.matmul" in fn.stages["frontend"]) == as_matmul  # taken before welder


@pytest.mark.parametrize("n,c,h,f,k,stride,pad", [
    (3, 64, 7, 128, 3, 2, 1),    # three images, 3x3 stride 2 onto 4 x 4
    (2, 64, 7, 128, 1, 1, 0),    # two images of a 1x1: a copy makes them one matmul
    (5, 19, 5, 37, 3, 1, 1),     # odd counts
])
def test_conv_images(rng, n, c, h, f, k, stride, pad):
    """Several images: the patches of all of them are one matmul's columns, its result transposed
    into NCHW."""
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((n, c, h + 2 * pad, h + 2 * pad), dtype=np.float32)
    wt = rng.standard_normal((f, c, k, k), dtype=np.float32)
    ref = torch.nn.functional.conv2d(torch.from_numpy(x).double(), torch.from_numpy(wt).double(),
                                     stride=stride).numpy()
    fn = _compile(P.conv2d("conv_2d_nchw_fchw", x.shape, wt.shape, stride=stride))
    check(fn(x, wt), ref)
    assert "linalg.matmul" in fn.stages["frontend"] and "linalg.transpose" in fn.stages["frontend"]


@pytest.mark.parametrize("images", [1, 4])
def test_strided_basic_block(rng, images):
    """ResNet's basic block with a stride onto 4 x 4 from PyTorch, on one and on four images: its 3x3
    convolutions and the 1x1 stride-2 downsample are matmuls over copies of their patches (before
    welder, which then groups the batch norms, ReLUs and the residual add around them); same numbers
    as PyTorch."""
    torch = pytest.importorskip("torch")
    from fourfold.examples import torch_models as zoo

    block = _with_random_statistics(zoo.BasicBlock(64, 128, stride=2))
    x = torch.randn(images, 64, 8, 8)
    fn = _compile(block, (x,))
    assert fn.stages["frontend"].count("linalg.matmul") == 3
    with torch.no_grad():
        ref = block(x).numpy()
    check(np.asarray(fn(x)), ref)


def test_bottleneck_at_7x7(rng):
    """ResNet's bottleneck at 7 x 7 through the PyTorch frontend: its two 1x1 convolutions sit in welder
    groups with batch norm, ReLU and the residual add; they become matmuls and the block still matches
    PyTorch."""
    torch = pytest.importorskip("torch")
    from fourfold.examples import torch_models as zoo

    block = _with_random_statistics(zoo.Bottleneck(256, 64))
    x = torch.randn(1, 256, 7, 7)
    fn = _compile(block, (x,))
    # The 3x3 before welder (a patch copy), the 1x1s inside welder's tiles.
    assert fn.stages["frontend"].count("linalg.matmul") == 1
    assert _as_matmul(fn)
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
    (19, 4, 4, 13, 3, 1, 1, True),     # 4 x 4, odd counts (13 filters: too few for a patch copy)
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
    """ResNet's basic block at 7 x 7 from PyTorch with 32 channels (3x3 convolutions with padding,
    batch norm, ReLU, the residual add, welder's groups around them; too few filters for a patch
    copy): row runs, same numbers as PyTorch."""
    torch = pytest.importorskip("torch")
    from fourfold.examples import torch_models as zoo

    block = _with_random_statistics(zoo.BasicBlock(32, 32, stride=1))
    x = torch.randn(1, 32, 7, 7)
    fn = _compile(block, (x,))
    assert _row_run(fn)
    with torch.no_grad():
        ref = block(x).numpy()
    check(np.asarray(fn(x)), ref)
