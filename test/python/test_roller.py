"""roller in the CPU pipeline: numerics against numpy for every operator family.

Each program is compiled twice, through the default CPU pipeline (roller's
rTiles: cache/register tiling, peeling, vectorisation) and with
Pipeline.cpu(roller=False) (plain loops), and both must agree with numpy.
Sizes are odd on purpose (primes, 1s, sizes the register tiles do not
divide), so that the peeled remainders run as well as the vector tiles.
"""

import os

import numpy as np
import pytest

import fourfold
from fourfold.compiler import gpu_emulation_pipeline
from fourfold.examples import programs

ID2 = "affine_map<(d0, d1) -> (d0, d1)>"


def check(got, ref, rtol=1e-4):
    """Error within rtol of the largest |ref| (at least 1): sums of random terms cancel."""
    ref = np.asarray(ref)
    assert got.shape == ref.shape
    scale = max(1.0, float(np.max(np.abs(ref)))) if ref.size else 1.0
    err = float(np.max(np.abs(got - ref))) if ref.size else 0.0
    assert err <= rtol * scale, f"max |error| {err:g} > {rtol:g} x {scale:g}"


def both(src, args, ref, rtol=1e-4):
    """Roller on (the default) and off: both must match `ref`; so must roller's sm_90 tiles (blocks,
    threads, staged operands) run on the CPU by gpu_emulation_pipeline."""
    fn = fourfold.compile(src)
    check(fn(*args), ref, rtol)
    plain = fourfold.compile(src, pipeline=fourfold.Pipeline.cpu(roller=False))
    check(plain(*args), ref, rtol)
    gpu = fourfold.compile(src, pipeline=gpu_emulation_pipeline("sm_90", welder=False), cache=False)
    check(gpu(*args), ref, rtol)
    return fn


def rand(rng, *shape):
    return rng.standard_normal(shape, dtype=np.float32)


# --------------------------------------------------------------------------- #
# Contractions
# --------------------------------------------------------------------------- #

def matmul_src(m, n, k):
    return f"""
func.func @matmul(%a: tensor<{m}x{k}xf32>, %b: tensor<{k}x{n}xf32>) -> tensor<{m}x{n}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %r = linalg.matmul ins(%a, %b : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>)
                     outs(%c : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %r : tensor<{m}x{n}xf32>
}}"""


@pytest.mark.parametrize("m,n,k", [(1, 1000, 1), (1, 1, 1), (37, 53, 29), (1, 4096, 512),
                                   (1000, 1, 1000), (17, 16, 1), (1000, 1000, 1000)])
def test_matmul(rng, m, n, k):
    a, b = rand(rng, m, k), rand(rng, k, n)
    fn = both(matmul_src(m, n, k), (a, b), a @ b)
    # Roller lowered the matmul: its full register tiles are vector
    # contractions, and no roller attribute is left after the roller stage.
    roller_ir = fn.stages["roller"]
    assert "vector.contract" in roller_ir
    assert "roller." not in roller_ir


TARGET = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "Dialect", "Roller", "Inputs", "cpu.target")


def test_pipeline_with_a_written_target(rng, monkeypatch):
    """The CPU pipeline's target= takes a #roller.target (in braces, as pass
    options need) or @file, and the tiles come from that description."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # welder: all 4 of testcpu's cores
    text = [line for line in open(TARGET) if line.startswith("#roller.target")][0].strip()
    a, b = rand(rng, 37, 29), rand(rng, 29, 53)
    for target in ("{" + text + "}", "@" + TARGET):
        fn = fourfold.compile(matmul_src(37, 53, 29), pipeline=fourfold.Pipeline.cpu(target=target))
        check(fn(a, b), a @ b)
        # testcpu's register tile for this matmul is 1 x 16 x 8 (construct.mlir).
        assert "vector<8x16xf32>" in fn.stages["roller"]


def test_batch_matmul(rng):
    src = """
func.func @bmm(%a: tensor<3x37x29xf32>, %b: tensor<3x29x53xf32>) -> tensor<3x37x53xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x37x53xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<3x37x53xf32>) -> tensor<3x37x53xf32>
  %r = linalg.batch_matmul ins(%a, %b : tensor<3x37x29xf32>, tensor<3x29x53xf32>)
                           outs(%c : tensor<3x37x53xf32>) -> tensor<3x37x53xf32>
  return %r : tensor<3x37x53xf32>
}"""
    a, b = rand(rng, 3, 37, 29), rand(rng, 3, 29, 53)
    both(src, (a, b), a @ b)


@pytest.mark.parametrize("m,n,k", [(300, 72, 61), (257, 100, 29), (129, 48, 70), (200, 17, 33), (77, 49, 9)])
def test_matmul_column_remainders(rng, m, n, k):
    """Widths the register tile does not divide: the remainder columns run as vector contractions of
    their own static width (they were scalar matmuls over k); all of them must stay exact."""
    a, b = rand(rng, m, k), rand(rng, k, n)
    fn = both(matmul_src(m, n, k), (a, b), a @ b)
    assert "vector.contract" in fn.stages["roller"]


@pytest.mark.parametrize("m,n,k", [(1024, 256, 63), (64, 256, 319), (33, 64, 1031), (16, 32, 7)])
def test_matmul_reduction_remainders(rng, m, n, k):
    """Reductions the cache tile's k step does not divide: the k left over by the register tile's k
    step in the last cache tile (a dynamic count) runs one k at a time on vectors (it ran as scalar
    loops: NeRF's 1024x256x63 layer at 40 GFLOP/s); exact either way."""
    import re

    a, b = rand(rng, m, k), rand(rng, k, n)
    fn = both(matmul_src(m, n, k), (a, b), a @ b)
    if k in (63, 319):
        assert re.search(r"step %c1 iter_args\([^)]*\) -> \(vector<", fn.stages["roller"])


def test_matmul_transposed_b(rng):
    src = """
func.func @mmt(%a: tensor<37x29xf32>, %b: tensor<53x29xf32>) -> tensor<37x53xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x53xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<37x53xf32>) -> tensor<37x53xf32>
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
       ins(%a, %b : tensor<37x29xf32>, tensor<53x29xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}"""
    a, b = rand(rng, 37, 29), rand(rng, 53, 29)
    both(src, (a, b), a @ b.T)


def test_matmul_transposed_a(rng):
    src = """
func.func @mtm(%a: tensor<29x37xf32>, %b: tensor<29x53xf32>) -> tensor<37x53xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x53xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<37x53xf32>) -> tensor<37x53xf32>
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                      affine_map<(m, n, k) -> (k, n)>,
                                      affine_map<(m, n, k) -> (m, n)>]
       ins(%a, %b : tensor<29x37xf32>, tensor<29x53xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}"""
    a, b = rand(rng, 29, 37), rand(rng, 29, 53)
    both(src, (a, b), a.T @ b)


# --------------------------------------------------------------------------- #
# Convolutions and pooling
# --------------------------------------------------------------------------- #

def conv_nhwc_hwcf_ref(x, w, stride, dilation):
    n, h, wd, c = x.shape
    kh, kw, _, f = w.shape
    oh = (h - dilation * (kh - 1) - 1) // stride + 1
    ow = (wd - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((n, oh, ow, f), np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i * dilation: i * dilation + stride * (oh - 1) + 1: stride,
                      j * dilation: j * dilation + stride * (ow - 1) + 1: stride, :]
            out += np.einsum("nhwc,cf->nhwf", patch, w[i, j])
    return out


def pad_hw(x, pad, layout):
    if layout == "nhwc":
        return np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


@pytest.mark.parametrize("stride,dilation", [(2, 2), (1, 1), (2, 1)])
def test_conv_nhwc_hwcf_padded(rng, stride, dilation):
    # 2x11x13x3 padded by 1 to 2x13x15x3; 3x3 window.
    oh = (13 - dilation * 2 - 1) // stride + 1
    ow = (15 - dilation * 2 - 1) // stride + 1
    src = f"""
func.func @conv(%x: tensor<2x11x13x3xf32>, %w: tensor<3x3x3x5xf32>) -> tensor<2x{oh}x{ow}x5xf32> {{
  %z = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {{
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  }} : tensor<2x11x13x3xf32> to tensor<2x13x15x3xf32>
  %e = tensor.empty() : tensor<2x{oh}x{ow}x5xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<2x{oh}x{ow}x5xf32>) -> tensor<2x{oh}x{ow}x5xf32>
  %r = linalg.conv_2d_nhwc_hwcf {{dilations = dense<{dilation}> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}
       ins(%p, %w : tensor<2x13x15x3xf32>, tensor<3x3x3x5xf32>) outs(%c : tensor<2x{oh}x{ow}x5xf32>) -> tensor<2x{oh}x{ow}x5xf32>
  return %r : tensor<2x{oh}x{ow}x5xf32>
}}"""
    x, w = rand(rng, 2, 11, 13, 3), rand(rng, 3, 3, 3, 5)
    both(src, (x, w), conv_nhwc_hwcf_ref(pad_hw(x, 1, "nhwc"), w, stride, dilation))


@pytest.mark.parametrize("stride,dilation", [(2, 2), (1, 1)])
def test_conv_nchw_fchw_padded(rng, stride, dilation):
    # 2x3x11x13 padded by 2 to 2x3x15x17; 3x3 window; 7 filters.
    oh = (15 - dilation * 2 - 1) // stride + 1
    ow = (17 - dilation * 2 - 1) // stride + 1
    src = f"""
func.func @conv(%x: tensor<2x3x11x13xf32>, %w: tensor<7x3x3x3xf32>) -> tensor<2x7x{oh}x{ow}xf32> {{
  %z = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 2, 2] high[0, 0, 2, 2] {{
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  }} : tensor<2x3x11x13xf32> to tensor<2x3x15x17xf32>
  %e = tensor.empty() : tensor<2x7x{oh}x{ow}xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<2x7x{oh}x{ow}xf32>) -> tensor<2x7x{oh}x{ow}xf32>
  %r = linalg.conv_2d_nchw_fchw {{dilations = dense<{dilation}> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}
       ins(%p, %w : tensor<2x3x15x17xf32>, tensor<7x3x3x3xf32>) outs(%c : tensor<2x7x{oh}x{ow}xf32>) -> tensor<2x7x{oh}x{ow}xf32>
  return %r : tensor<2x7x{oh}x{ow}xf32>
}}"""
    x, w = rand(rng, 2, 3, 11, 13), rand(rng, 7, 3, 3, 3)
    xp = pad_hw(x, 2, "nchw").transpose(0, 2, 3, 1)   # to NHWC
    wt = w.transpose(2, 3, 1, 0)                      # FCHW to HWCF
    ref = conv_nhwc_hwcf_ref(xp, wt, stride, dilation).transpose(0, 3, 1, 2)
    both(src, (x, w), ref)


def test_conv_nchw_explicitly_padded_input(rng):
    # The caller pads: stride 2, dilation 2 straight on the input.
    src = programs.conv2d("conv_2d_nchw_fchw", (1, 4, 17, 19), (6, 4, 3, 3), stride=2, dilation=2)
    x, w = rand(rng, 1, 4, 17, 19), rand(rng, 6, 4, 3, 3)
    ref = conv_nhwc_hwcf_ref(x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0), 2, 2)
    both(src, (x, w), ref.transpose(0, 3, 1, 2))


def test_depthwise_conv(rng):
    # 1x13x11x5, 3x3 window per channel, stride 2, dilation 1 -> 1x6x5x5.
    src = """
func.func @dw(%x: tensor<1x13x11x5xf32>, %w: tensor<3x3x5xf32>) -> tensor<1x6x5x5xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x6x5x5xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x6x5x5xf32>) -> tensor<1x6x5x5xf32>
  %r = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %w : tensor<1x13x11x5xf32>, tensor<3x3x5xf32>) outs(%c : tensor<1x6x5x5xf32>) -> tensor<1x6x5x5xf32>
  return %r : tensor<1x6x5x5xf32>
}"""
    x, w = rand(rng, 1, 13, 11, 5), rand(rng, 3, 3, 5)
    ref = np.zeros((1, 6, 5, 5))
    for i in range(3):
        for j in range(3):
            ref += x[:, i: i + 11: 2, j: j + 9: 2, :] * w[i, j]
    both(src, (x, w), ref)


def test_depthwise_conv_dilated(rng):
    # 2x16x18x19 (19 channels: partial vectors), 3x3, stride 1, dilation 2.
    src = """
func.func @dw(%x: tensor<2x16x18x19xf32>, %w: tensor<3x3x19xf32>) -> tensor<2x12x14x19xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x12x14x19xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<2x12x14x19xf32>) -> tensor<2x12x14x19xf32>
  %r = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<2x16x18x19xf32>, tensor<3x3x19xf32>) outs(%c : tensor<2x12x14x19xf32>) -> tensor<2x12x14x19xf32>
  return %r : tensor<2x12x14x19xf32>
}"""
    x, w = rand(rng, 2, 16, 18, 19), rand(rng, 3, 3, 19)
    ref = np.zeros((2, 12, 14, 19))
    for i in range(3):
        for j in range(3):
            ref += x[:, 2 * i: 2 * i + 12, 2 * j: 2 * j + 14, :] * w[i, j]
    both(src, (x, w), ref)


@pytest.mark.parametrize("stride", [1, 2])
def test_max_pooling(rng, stride):
    oh, ow = (13 - 3) // stride + 1, (17 - 3) // stride + 1
    src = f"""
func.func @pool(%x: tensor<2x13x17x19xf32>) -> tensor<2x{oh}x{ow}x19xf32> {{
  %ninf = arith.constant 0xFF800000 : f32
  %win = tensor.empty() : tensor<3x3xf32>
  %e = tensor.empty() : tensor<2x{oh}x{ow}x19xf32>
  %c = linalg.fill ins(%ninf : f32) outs(%e : tensor<2x{oh}x{ow}x19xf32>) -> tensor<2x{oh}x{ow}x19xf32>
  %r = linalg.pooling_nhwc_max {{dilations = dense<1> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}
       ins(%x, %win : tensor<2x13x17x19xf32>, tensor<3x3xf32>) outs(%c : tensor<2x{oh}x{ow}x19xf32>) -> tensor<2x{oh}x{ow}x19xf32>
  return %r : tensor<2x{oh}x{ow}x19xf32>
}}"""
    x = rand(rng, 2, 13, 17, 19)
    ref = np.full((2, oh, ow, 19), -np.inf, np.float32)
    for i in range(3):
        for j in range(3):
            ref = np.maximum(ref, x[:, i: i + stride * (oh - 1) + 1: stride,
                                    j: j + stride * (ow - 1) + 1: stride, :])
    both(src, (x,), ref)


# --------------------------------------------------------------------------- #
# NCHW (PyTorch's layout): register tiles of filter rows x image-row vectors,
# checked against torch.nn.functional (odd sizes: masked partial rows, rows of
# filters and channel blocks the tile does not divide, strides, dilations)
# --------------------------------------------------------------------------- #

def _t(shape):
    return "tensor<" + "x".join(map(str, shape)) + "xf32>"


def nchw_src(op, x_shape, w_shape, out_shape, pad, stride, dilation, init="0.0", window=None):
    """`op` on an input padded by `pad` (rows and columns) inside the function; `window` gives a
    pooling op its window shape (then there is no filter argument)."""
    n, c, h, w = x_shape[0], x_shape[-3], x_shape[-2], x_shape[-1]
    lead = list(x_shape[:-2])
    padded = lead + [h + 2 * pad, w + 2 * pad]
    zeros = ", ".join(["0"] * len(lead))
    low = f"[{zeros}, {pad}, {pad}]"
    idx = ", ".join(f"%i{k}: index" for k in range(len(x_shape)))
    attrs = (f"{{dilations = dense<{dilation}> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}")
    if window is None:
        args, ins, types = f"%x: {_t(x_shape)}, %w: {_t(w_shape)}", "%p, %w", f"{_t(padded)}, {_t(w_shape)}"
        win = ""
    else:
        args, ins, types = f"%x: {_t(x_shape)}", "%p, %win", f"{_t(padded)}, {_t(window)}"
        win = f"%win = tensor.empty() : {_t(window)}"
    return f"""
func.func @f({args}) -> {_t(out_shape)} {{
  %z = arith.constant {init} : f32
  %p = tensor.pad %x low{low} high{low} {{
  ^bb0({idx}):
    tensor.yield %z : f32
  }} : {_t(x_shape)} to {_t(padded)}
  {win}
  %e = tensor.empty() : {_t(out_shape)}
  %c = linalg.fill ins(%z : f32) outs(%e : {_t(out_shape)}) -> {_t(out_shape)}
  %r = linalg.{op} {attrs} ins({ins} : {types}) outs(%c : {_t(out_shape)}) -> {_t(out_shape)}
  return %r : {_t(out_shape)}
}}"""


def _out(size, k, pad, stride, dilation):
    return (size + 2 * pad - dilation * (k - 1) - 1) // stride + 1


@pytest.mark.parametrize("x_shape,f,k,pad,stride,dilation", [
    ((1, 3, 37, 29), 7, 5, 2, 2, 2),     # the brief's odd case: 5x5, stride 2, dilation 2, padded
    ((1, 3, 37, 29), 7, 5, 2, 1, 1),
    ((1, 3, 37, 29), 7, 5, 0, 1, 2),
    ((2, 19, 23, 37), 21, 3, 1, 1, 1),   # 21 filters, 19 channels, 37 columns: every remainder
    ((1, 19, 23, 37), 21, 3, 1, 2, 1),
    ((1, 16, 18, 64), 32, 1, 0, 1, 1),   # 1x1, whole vectors only
    ((1, 5, 20, 70), 9, 3, 1, 2, 3),
])
def test_conv_nchw_vs_torch(rng, x_shape, f, k, pad, stride, dilation):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    n, c, h, w = x_shape
    out = (n, f, _out(h, k, pad, stride, dilation), _out(w, k, pad, stride, dilation))
    src = nchw_src("conv_2d_nchw_fchw", x_shape, (f, c, k, k), out, pad, stride, dilation)
    x, wt = rand(rng, *x_shape), rand(rng, f, c, k, k)
    ref = F.conv2d(torch.from_numpy(x).double(), torch.from_numpy(wt).double(), stride=stride,
                   padding=pad, dilation=dilation).numpy()
    both(src, (x, wt), ref)


@pytest.mark.parametrize("x_shape,k,pad,stride,dilation", [
    ((2, 13, 19, 35), 3, 1, 2, 1),
    ((1, 13, 19, 35), 3, 2, 1, 2),
    ((1, 24, 30, 30), 5, 2, 1, 1),
])
def test_depthwise_conv_nchw_vs_torch(rng, x_shape, k, pad, stride, dilation):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    n, c, h, w = x_shape
    out = (n, c, _out(h, k, pad, stride, dilation), _out(w, k, pad, stride, dilation))
    src = nchw_src("depthwise_conv_2d_nchw_chw", x_shape, (c, k, k), out, pad, stride, dilation)
    x, wt = rand(rng, *x_shape), rand(rng, c, k, k)
    ref = F.conv2d(torch.from_numpy(x).double(), torch.from_numpy(wt).double().unsqueeze(1), stride=stride,
                   padding=pad, dilation=dilation, groups=c).numpy()
    both(src, (x, wt), ref)


@pytest.mark.parametrize("groups,cin,cout,stride,dilation", [(3, 6, 9, 1, 1), (4, 8, 20, 2, 2)])
def test_grouped_conv_nchw_vs_torch(rng, groups, cin, cout, stride, dilation):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    h, w, k, pad = 17, 35, 3, 1
    g = groups
    x_shape = (1, g, cin // g, h, w)
    out = (1, g, cout // g, _out(h, k, pad, stride, dilation), _out(w, k, pad, stride, dilation))
    src = nchw_src("conv_2d_ngchw_gfchw", x_shape, (g, cout // g, cin // g, k, k), out, pad, stride, dilation)
    x, wt = rand(rng, *x_shape), rand(rng, g, cout // g, cin // g, k, k)
    ref = F.conv2d(torch.from_numpy(x).double().reshape(1, cin, h, w),
                   torch.from_numpy(wt).double().reshape(cout, cin // g, k, k), stride=stride, padding=pad,
                   dilation=dilation, groups=g).numpy().reshape(out)
    both(src, (x, wt), ref)


@pytest.mark.parametrize("kind,stride", [("max", 2), ("max", 1), ("sum", 2)])
def test_pooling_nchw_vs_torch(rng, kind, stride):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x_shape, k, pad = (2, 5, 23, 37), 3, 1
    out = (2, 5, _out(23, k, pad, stride, 1), _out(37, k, pad, stride, 1))
    init = "0xFF800000" if kind == "max" else "0.0"
    src = nchw_src(f"pooling_nchw_{kind}", x_shape, None, out, pad, stride, 1, init=init, window=(k, k))
    x = rand(rng, *x_shape)
    xt = torch.from_numpy(x).double()
    if kind == "max":
        ref = F.max_pool2d(xt, k, stride, padding=pad).numpy()
    else:
        ref = F.avg_pool2d(xt, k, stride, padding=pad, count_include_pad=True).numpy() * k * k
    both(src, (x,), ref)


# --------------------------------------------------------------------------- #
# Reductions, softmax, elementwise
# --------------------------------------------------------------------------- #

def reduce_src(shape, dims, kind):
    out = [s for i, s in enumerate(shape) if i not in dims]
    ot = f"tensor<{'x'.join(map(str, out))}xf32>" if out else "tensor<f32>"
    it = f"tensor<{'x'.join(map(str, shape))}xf32>"
    init = "0.0" if kind == "add" else "0xFF800000"
    op = "arith.addf" if kind == "add" else "arith.maximumf"
    return f"""
func.func @red(%x: {it}) -> {ot} {{
  %i = arith.constant {init} : f32
  %e = tensor.empty() : {ot}
  %c = linalg.fill ins(%i : f32) outs(%e : {ot}) -> {ot}
  %r = linalg.reduce ins(%x : {it}) outs(%c : {ot}) dimensions = {list(dims)}
    (%in: f32, %acc: f32) {{ %t = {op} %in, %acc : f32
                            linalg.yield %t : f32 }}
  return %r : {ot}
}}"""


@pytest.mark.parametrize("dims", [(0,), (1,), (0, 1)])
@pytest.mark.parametrize("kind", ["add", "max"])
def test_reduce_2d(rng, dims, kind):
    x = rand(rng, 37, 1001)
    ref = x.sum(axis=dims) if kind == "add" else x.max(axis=dims)
    fn = fourfold.compile(reduce_src((37, 1001), dims, kind))
    got = fn(x)
    check(np.asarray(got), ref)
    plain = fourfold.compile(reduce_src((37, 1001), dims, kind),
                             pipeline=fourfold.Pipeline.cpu(roller=False))
    check(np.asarray(plain(x)), ref)


@pytest.mark.parametrize("dims", [(0, 2), (1, 2), (0, 1, 2)])
def test_reduce_3d(rng, dims):
    x = rand(rng, 5, 37, 53)
    both(reduce_src((5, 37, 53), dims, "add"), (x,), x.sum(axis=dims))


def softmax_src(m, n):
    t, r = f"tensor<{m}x{n}xf32>", f"tensor<{m}xf32>"
    row = "affine_map<(d0, d1) -> (d0)>"
    return f"""
func.func @softmax(%x: {t}) -> {t} {{
  %ninf = arith.constant 0xFF800000 : f32
  %z = arith.constant 0.0 : f32
  %er = tensor.empty() : {r}
  %e = tensor.empty() : {t}
  %m0 = linalg.fill ins(%ninf : f32) outs(%er : {r}) -> {r}
  %m = linalg.generic {{indexing_maps = [{ID2}, {row}], iterator_types = ["parallel", "reduction"]}}
      ins(%x : {t}) outs(%m0 : {r}) {{
  ^bb0(%a: f32, %acc: f32):
    %v = arith.maximumf %a, %acc : f32
    linalg.yield %v : f32
  }} -> {r}
  %x2 = linalg.generic {{indexing_maps = [{ID2}, {row}, {ID2}], iterator_types = ["parallel", "parallel"]}}
      ins(%x, %m : {t}, {r}) outs(%e : {t}) {{
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %v = math.exp %d : f32
    linalg.yield %v : f32
  }} -> {t}
  %s0 = linalg.fill ins(%z : f32) outs(%er : {r}) -> {r}
  %s = linalg.generic {{indexing_maps = [{ID2}, {row}], iterator_types = ["parallel", "reduction"]}}
      ins(%x2 : {t}) outs(%s0 : {r}) {{
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  }} -> {r}
  %y = linalg.generic {{indexing_maps = [{ID2}, {row}, {ID2}], iterator_types = ["parallel", "parallel"]}}
      ins(%x2, %s : {t}, {r}) outs(%e : {t}) {{
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.divf %a, %b : f32
    linalg.yield %v : f32
  }} -> {t}
  return %y : {t}
}}"""


@pytest.mark.parametrize("m,n", [(37, 53), (1, 1000), (64, 1)])
def test_softmax(rng, m, n):
    x = rand(rng, m, n) * 4
    e = np.exp(x - x.max(axis=1, keepdims=True))
    both(softmax_src(m, n), (x,), e / e.sum(axis=1, keepdims=True))


# Reductions along the contiguous dimension (issue 9): vectors along the row,
# vector accumulators, one horizontal reduce per row; odd sizes leave scalar
# remainder columns and rows.
@pytest.mark.parametrize("m,n", [(13, 257), (3 * 197, 197), (8, 16), (5, 1040)])
@pytest.mark.parametrize("kind", ["add", "max"])
def test_row_reduce_contiguous(rng, m, n, kind):
    x = rand(rng, m, n)
    ref = x.sum(axis=1) if kind == "add" else x.max(axis=1)
    both(reduce_src((m, n), (1,), kind), (x,), ref)


@pytest.mark.parametrize("m,n", [(13, 257), (3 * 197, 197), (128, 768)])
def test_softmax_rows(rng, m, n):
    x = rand(rng, m, n) * 4
    e = np.exp(x - x.max(axis=1, keepdims=True))
    both(softmax_src(m, n), (x,), e / e.sum(axis=1, keepdims=True))


@pytest.mark.parametrize("shape", [(3, 197, 197), (13, 257)])
def test_softmax_layernorm_torch_last_dim(rng, shape):
    torch = pytest.importorskip("torch")

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.ln = torch.nn.LayerNorm(shape[-1])

        def forward(self, x):
            return torch.softmax(x, dim=-1) + self.ln(x) + x.sum(dim=-1, keepdim=True)

    m = M().eval()
    with torch.no_grad():
        m.ln.weight.copy_(torch.from_numpy(rand(rng, shape[-1])))
        m.ln.bias.copy_(torch.from_numpy(rand(rng, shape[-1])))
    x = torch.from_numpy(rand(rng, *shape) * 3)
    fn = fourfold.compile(m, (x,), cache=False)
    with torch.no_grad():
        ref = m(x).numpy()
    check(np.asarray(fn(x)), ref, rtol=1e-4)



@pytest.mark.parametrize("shape", [(1, 37, 7, 7), (2, 5, 13, 11), (1, 64, 1, 1), (3, 4, 2, 40)])
def test_global_average_pool_torch(rng, shape):
    """Sums over h and w (adaptive average pooling to 1x1, a mean over (2, 3)): the two reduced
    loops become one contiguous row (roller-construct), remainders included."""
    torch = pytest.importorskip("torch")

    class M(torch.nn.Module):
        def forward(self, x):
            return torch.nn.functional.adaptive_avg_pool2d(x, 1) + x.mean(dim=(2, 3), keepdim=True)

    x = torch.from_numpy(rand(rng, *shape) * 3)
    fn = fourfold.compile(M().eval(), (x,), cache=False)
    with torch.no_grad():
        ref = M()(x).numpy()
    check(np.asarray(fn(x)), ref, rtol=1e-5)

def test_broadcast_elementwise_chain(rng):
    src = f"""
func.func @chain(%x: tensor<37x53xf32>, %row: tensor<53xf32>, %col: tensor<37xf32>) -> tensor<37x53xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x53xf32>
  %a = linalg.generic {{indexing_maps = [{ID2}, affine_map<(d0, d1) -> (d1)>, {ID2}],
                       iterator_types = ["parallel", "parallel"]}}
      ins(%x, %row : tensor<37x53xf32>, tensor<53xf32>) outs(%e : tensor<37x53xf32>) {{
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  }} -> tensor<37x53xf32>
  %b = linalg.generic {{indexing_maps = [{ID2}, affine_map<(d0, d1) -> (d0)>, {ID2}],
                       iterator_types = ["parallel", "parallel"]}}
      ins(%a, %col : tensor<37x53xf32>, tensor<37xf32>) outs(%e : tensor<37x53xf32>) {{
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.mulf %p, %q : f32
    %t = math.tanh %s : f32
    linalg.yield %t : f32
  }} -> tensor<37x53xf32>
  %c = linalg.generic {{indexing_maps = [{ID2}, {ID2}], iterator_types = ["parallel", "parallel"]}}
      ins(%b : tensor<37x53xf32>) outs(%e : tensor<37x53xf32>) {{
  ^bb0(%p: f32, %o: f32):
    %m = arith.maximumf %p, %z : f32
    linalg.yield %m : f32
  }} -> tensor<37x53xf32>
  return %c : tensor<37x53xf32>
}}"""
    x, row, col = rand(rng, 37, 53), rand(rng, 53), rand(rng, 37)
    both(src, (x, row, col), np.maximum(np.tanh((x + row) * col[:, None]), 0))


def erf_src(shape):
    t = f"tensor<{'x'.join(map(str, shape))}xf32>"
    ids = ", ".join(f"d{i}" for i in range(len(shape)))
    m = f"affine_map<({ids}) -> ({ids})>"
    return f"""
func.func @erf(%x: {t}) -> {t} {{
  %e = tensor.empty() : {t}
  %r = linalg.generic {{indexing_maps = [{m}, {m}], iterator_types = [{", ".join(['"parallel"'] * len(shape))}]}}
      ins(%x : {t}) outs(%e : {t}) {{
  ^bb0(%a: f32, %o: f32):
    %v = math.erf %a : f32
    linalg.yield %v : f32
  }} -> {t}
  return %r : {t}
}}"""


ERF_SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 1e-40, -1e-40, 3.5, -3.5,
                        3.9999, 4.0, 4.0001, -4.0, 5.0, -5.0, 10.0, -10.0, 1e30, -1e30, 3e38, -3e38,
                        0.5, 1.0, 2.0, -0.75], dtype=np.float32)


@pytest.mark.parametrize("shape", [(5, 200), (1000,), (3, 7)])
def test_erf_extremes(rng, shape):
    """roller's vector erf (one rational function on a clamped input) against float64 erf, element
    by element: random, large, tiny, +-0, +-inf and nan, in the vector tiles and the remainders."""
    import math

    x = (rand(rng, *shape) * 3).reshape(-1)
    k = min(len(ERF_SPECIAL), x.size // 2)
    x[:k] = ERF_SPECIAL[:k]  # in the first vector tiles
    x[-k:] = ERF_SPECIAL[-k:][::-1]  # in the scalar remainder (where there is one)
    x = x.reshape(shape)
    ref = np.vectorize(math.erf)(x.astype(np.float64))
    for fn in (fourfold.compile(erf_src(shape)),
               fourfold.compile(erf_src(shape), pipeline=fourfold.Pipeline.cpu(roller=False))):
        got = fn(x).astype(np.float64)
        nan = np.isnan(ref)
        assert np.array_equal(np.isnan(got), nan)
        assert np.all(np.abs(got[~nan]) <= 1.0)
        assert np.all(np.abs(got - ref)[~nan] <= 1e-6 * np.abs(ref)[~nan] + 1e-38)
        assert np.array_equal(np.signbit(got[x == 0]), np.signbit(x[x == 0]))


@pytest.mark.parametrize("shape", [(128, 3072), (13, 257)])
def test_gelu_torch(rng, shape):
    """F.gelu (the exact erf form) on random and extreme finite inputs, against PyTorch."""
    torch = pytest.importorskip("torch")
    x = (rand(rng, *shape) * 4).reshape(-1)
    finite = ERF_SPECIAL[np.isfinite(ERF_SPECIAL)]
    scaled = finite[np.abs(finite) < 1e38] * np.float32(1.4142135)  # erf's special points
    x[:len(finite)] = finite
    x[-len(scaled):] = scaled
    x = torch.from_numpy(x.reshape(shape))
    fn = fourfold.compile(torch.nn.GELU().eval(), (x,), cache=False)
    got = np.asarray(fn(x))
    with torch.no_grad():
        ref = torch.nn.functional.gelu(x.double()).numpy()
    assert np.all(np.abs(got - ref) <= 1e-5 * np.abs(ref) + 1e-6)
    check(got, torch.nn.functional.gelu(x).numpy())

def test_transpose_generic(rng):
    src = """
func.func @t(%x: tensor<37x53xf32>) -> tensor<53x37xf32> {
  %e = tensor.empty() : tensor<53x37xf32>
  %r = linalg.transpose ins(%x : tensor<37x53xf32>) outs(%e : tensor<53x37xf32>) permutation = [1, 0]
  return %r : tensor<53x37xf32>
}"""
    x = rand(rng, 37, 53)
    both(src, (x,), x.T)


@pytest.mark.parametrize("shape", [(1,), (1000,), (37, 53), (1, 1, 1)])
def test_fill(shape):
    t = f"tensor<{'x'.join(map(str, shape))}xf32>"
    src = f"""
func.func @fill() -> {t} {{
  %v = arith.constant 2.5 : f32
  %e = tensor.empty() : {t}
  %r = linalg.fill ins(%v : f32) outs(%e : {t}) -> {t}
  return %r : {t}
}}"""
    both(src, (), np.full(shape, 2.5, np.float32))


def test_f64_matmul_and_int_add(rng):
    src = """
func.func @mm(%a: tensor<13x7xf64>, %b: tensor<7x9xf64>) -> tensor<13x9xf64> {
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<13x9xf64>
  %c = linalg.fill ins(%z : f64) outs(%e : tensor<13x9xf64>) -> tensor<13x9xf64>
  %r = linalg.matmul ins(%a, %b : tensor<13x7xf64>, tensor<7x9xf64>) outs(%c : tensor<13x9xf64>) -> tensor<13x9xf64>
  return %r : tensor<13x9xf64>
}"""
    a, b = rng.standard_normal((13, 7)), rng.standard_normal((7, 9))
    both(src, (a, b), a @ b, rtol=1e-12)
    isrc = """
func.func @add(%a: tensor<37x53xi32>, %b: tensor<37x53xi32>) -> tensor<37x53xi32> {
  %e = tensor.empty() : tensor<37x53xi32>
  %r = linalg.add ins(%a, %b : tensor<37x53xi32>, tensor<37x53xi32>) outs(%e : tensor<37x53xi32>) -> tensor<37x53xi32>
  return %r : tensor<37x53xi32>
}"""
    x = rng.integers(-1000, 1000, (37, 53), dtype=np.int32)
    y = rng.integers(-1000, 1000, (37, 53), dtype=np.int32)
    fn = fourfold.compile(isrc)
    np.testing.assert_array_equal(fn(x, y), x + y)


def test_top_k_measures_candidates_and_keeps_the_fastest(rng):
    """top_k: every operator with several ranked rTiles gets each one compiled and timed; the
    fastest is kept and the result is still right."""
    fn = fourfold.compile(matmul_src(37, 53, 29), top_k=3)
    ops = {o.op: o for o in fn.tuning.operators}
    assert "linalg.matmul" in ops
    for o in fn.tuning.operators:
        assert 2 <= len(o.candidates) <= 3 and len(o.measured_us) == len(o.candidates)
        assert all(t > 0 for t in o.measured_us)
        assert o.measured_us[o.chosen] == min(o.measured_us)
    a, b = rand(rng, 37, 29), rand(rng, 29, 53)
    check(fn(a, b), a @ b)
    with pytest.raises(ValueError, match="top_k"):
        fourfold.compile(matmul_src(4, 4, 4), top_k=3, pipeline=fourfold.Pipeline.cpu())
