"""welder in the CPU pipeline: grouping decisions, numerics, and the IR as an interface.

Every program is compiled through the default CPU pipeline (welder groups, then roller inside
each group tile) and with welder=False, and both must agree with numpy. Sizes are odd on
purpose (37 tokens, 33 rows, prime widths) so that tiles that are not powers of two run too.
"""

import re

import numpy as np
import pytest

import fourfold
from fourfold.examples import fused


def check(got, ref, rtol=1e-4):
    ref = np.asarray(ref, dtype=np.float32)
    assert got.shape == ref.shape
    scale = max(1.0, float(np.max(np.abs(ref))))
    err = float(np.max(np.abs(got - ref)))
    assert err <= rtol * scale, f"max |error| {err:g} > {rtol:g} x {scale:g}"


def tile_graph(mlir: str, **options) -> str:
    opts = " ".join(f"{k.replace('_', '-')}={v}" for k, v in options.items())
    return fourfold.Pipeline([("tg", f"welder-tile-graph{{{opts}}}" if opts else "welder-tile-graph")]).run(mlir).ir["tg"]


def figures(text: str):
    """Kernels (a one-tile group runs its cache-level operators apart: welder.kernels), modelled
    bytes without and with the groups."""
    groups = text.count('welder.group "') + sum(int(k) - 1 for k in re.findall(r"welder.kernels = (\d+)", text))
    after = sum(int(x) for x in re.findall(r"welder.bytes = (\d+)", text))
    before = sum(int(x) for x in re.findall(r"welder.unfused_bytes = (\d+)", text))
    return groups, before, after


PROGRAMS = {
    "matmul_bias_gelu": lambda: fused.matmul_bias_gelu(64, 96, 80),
    "conv_bn_relu_residual": lambda: fused.conv_bn_relu(12, 12, 8, 16, residual=True),
    "conv_bn_relu": lambda: fused.conv_bn_relu(9, 11, 3, 8, residual=False),
    "attention_37_tokens": lambda: fused.attention(37, 64),
    "attention_101_tokens": lambda: fused.attention(101, 32),
    "layernorm": lambda: fused.layernorm(37, 96),
    "mlp_4_layers": lambda: fused.mlp(8, [64, 128, 128, 64, 10]),
    "reduce_then_scale": lambda: fused.reduce_then_scale(33, 70),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_numerics_with_and_without_welder(name):
    prog = PROGRAMS[name]()
    args = prog.inputs(seed=7)
    ref = prog.reference(*args)
    for welder in (True, False):
        module = fourfold.compile(prog.mlir, pipeline=fourfold.Pipeline.named("cpu", welder=welder))
        check(module(*args), ref)


@pytest.mark.parametrize("seed", range(24))
def test_random_chains(seed):
    prog = fused.random_chain(seed, length=7)
    args = prog.inputs(seed=seed)
    check(fourfold.compile(prog.mlir)(*args), prog.reference(*args))


@pytest.mark.parametrize("name,kernels", [
    ("matmul_bias_gelu", 1),          # fill, matmul, bias, gelu
    # 11 operators: statistics, then the normalisation in 37 x 2 tiles (one
    # kernel would recompute each row's statistics per tile to save one
    # 0.2 us barrier; 3 kernels measured 4 us vs 5 us for one, 1 thread)
    ("layernorm", 3),
    # QK^T, scale, softmax (5), PV with its fills. 37 (prime) rows leave
    # one tile or 37: one tile makes no loop, so its operators run apart,
    # and the model prices it so: QK^T's fill and product (one tile, two
    # kernels), the scale and softmax in 37 row tiles, PV's fill, PV.
    ("attention_37_tokens", 5),
    ("reduce_then_scale", 1),
    ("conv_bn_relu_residual", 1),
])
def test_groups_and_modelled_traffic(name, kernels):
    text = tile_graph(PROGRAMS[name]().mlir)
    groups, before, after = figures(text)
    assert groups == kernels
    assert after < before


def test_unfused_baseline_has_a_group_per_operator():
    prog = PROGRAMS["layernorm"]()
    text = tile_graph(prog.mlir, fuse="false")
    groups, before, after = figures(text)
    operators = len(re.findall(r"= linalg\.", prog.mlir))
    assert groups == operators
    assert before == after


def test_welder_ir_round_trips_and_feeds_back():
    """The tile-graph is plain IR: print it, parse it, lower it, run it."""
    prog = PROGRAMS["matmul_bias_gelu"]()
    text = tile_graph(prog.mlir)
    reparsed = str(fourfold.Pipeline([("noop", "canonicalize")]).run(text).module)
    assert "welder.group" in reparsed
    pipeline = fourfold.Pipeline.named("cpu", welder=False).insert_after(
        "frontend", "welder-lower", "welder-lower,canonicalize,cse")
    args = prog.inputs(seed=3)
    check(fourfold.compile(text, pipeline=pipeline)(*args), prog.reference(*args))


def test_hand_edited_tile_is_honoured():
    """Change the group's tile by hand: the lowering tiles by it and numerics still hold."""
    prog = fused.matmul_bias_gelu(64, 96, 80)
    text = tile_graph(prog.mlir)
    edited = re.sub(r'tile \[\d+, \d+\]', "tile [16, 32]", text, count=1)
    lowered = fourfold.Pipeline([("lower", "welder-lower,canonicalize")]).run(edited).ir["lower"]
    assert "step (16, 32)" in lowered
    pipeline = fourfold.Pipeline.named("cpu", welder=False).insert_after(
        "frontend", "welder-lower", "welder-lower,canonicalize,cse")
    args = prog.inputs(seed=5)
    check(fourfold.compile(edited, pipeline=pipeline)(*args), prog.reference(*args))


# --------------------------------------------------------------------------- #
# Row-reduction chains from PyTorch: softmax's exp(x - max) is computed once per
# tile (read by the row sum, then divided in place), layernorm's x - mean is
# recomputed per consumer; results must stay PyTorch's, NaN and infinities included.
# --------------------------------------------------------------------------- #

INF, NAN = float("inf"), float("nan")
SPECIAL_ROWS = [
    [NAN, 1.0, 2.0], [NAN, NAN, NAN], [-INF, -INF, -INF], [-INF, 0.0, 1.0], [INF, 1.0, 2.0],
    [INF, INF, 1.0], [NAN, -INF, INF], [1e30, -1e30, 88.0], [-1e30, -1e30, -1e30], [3e38, 3e38, -3e38],
]


def _rows_with_specials(rng, shape):
    """Standard normal x 8 rows, with rows of NaN / infinities / huge values spread along the
    last dimension (three positions each, so both vector and remainder lanes see them)."""
    x = (rng.standard_normal(shape) * 8).astype(np.float32)
    flat = x.reshape(-1, shape[-1])
    cols = [0, shape[-1] // 2, shape[-1] - 1]
    for i, row in enumerate(SPECIAL_ROWS):
        r = (7 * i + 1) % flat.shape[0]
        flat[r] = rng.standard_normal(shape[-1])
        flat[r, cols] = row
    return x


@pytest.mark.parametrize("shape", [(3, 37, 131), (12, 16, 128), (5, 768), (2, 11, 17)])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_torch_special_rows(shape, fn):
    torch = pytest.importorskip("torch")

    class M(torch.nn.Module):
        def forward(self, x):
            return getattr(x, fn)(-1)

    x = torch.from_numpy(_rows_with_specials(np.random.default_rng(len(shape) * 31 + shape[-1]), shape))
    got = np.asarray(fourfold.compile(M().eval(), (x,), cache=False)(x))
    with torch.no_grad():
        ref = M()(x).numpy()
    assert np.array_equal(np.isnan(got), np.isnan(ref))
    assert np.array_equal(np.isinf(got), np.isinf(ref))
    ok = np.isfinite(ref)
    assert np.array_equal(got[~ok & ~np.isnan(ref)], ref[~ok & ~np.isnan(ref)])
    err = np.abs(got[ok] - ref[ok])
    assert float(err.max()) <= 1e-5 * max(1.0, float(np.abs(ref[ok]).max()))


@pytest.mark.parametrize("shape", [(37, 97), (2, 5, 768), (128, 768), (3, 33)])
def test_layernorm_torch_two_pass(shape):
    """Rows far from zero (mean 1e4, std ~1): E[x^2] - mean^2 would lose every digit in f32, the
    two-pass variance keeps them."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(shape[-1])
    ln = torch.nn.LayerNorm(shape[-1]).eval()
    with torch.no_grad():
        ln.weight.copy_(torch.from_numpy(rng.standard_normal(shape[-1]).astype(np.float32)))
        ln.bias.copy_(torch.from_numpy(rng.standard_normal(shape[-1]).astype(np.float32)))
    x = rng.standard_normal(shape).astype(np.float32)
    x.reshape(-1, shape[-1])[::3] += np.float32(1e4)
    x = torch.from_numpy(x)
    got = np.asarray(fourfold.compile(ln, (x,), cache=False)(x))
    with torch.no_grad():
        ref = torch.nn.functional.layer_norm(x.double(), (shape[-1],), ln.weight.double(),
                                             ln.bias.double()).numpy()
    check(got, ref, rtol=2e-3)
