"""Contractions written as generics in any layout (einsums) against numpy.einsum: roller-normalize-
contractions makes them (batch) matmuls with transposes around; every layout must still compute
the same sum, on the CPU and with roller's sm_90 tiles (emulated on the CPU)."""

import numpy as np
import pytest

import fourfold
from fourfold.compiler import gpu_emulation_pipeline

from conftest import assert_close_to_scale

LETTERS = "abcdefgh"


def einsum_case(seed):
    """Random batch / m / n / k dimensions (0-2 batch, 1-2 of the others), operands and output
    in random dimension orders, a zero or an accumulated init."""
    rng = np.random.default_rng(seed)
    counts = {"batch": int(rng.integers(0, 3)), "m": int(rng.integers(1, 3)),
              "n": int(rng.integers(1, 3)), "k": int(rng.integers(1, 3))}
    dims, sizes, kind = [], {}, {}
    for cls, count in counts.items():
        for _ in range(count):
            d = LETTERS[len(dims)]
            dims.append(d)
            kind[d] = cls
            sizes[d] = int(rng.integers(1, 7)) if cls != "k" else int(rng.integers(2, 9))
    a = [d for d in dims if kind[d] in ("batch", "m", "k")]
    b = [d for d in dims if kind[d] in ("batch", "k", "n")]
    c = [d for d in dims if kind[d] in ("batch", "m", "n")]
    for x in (a, b, c):
        rng.shuffle(x)
    loops = c + [d for d in dims if kind[d] == "k"]
    idx = {d: f"d{i}" for i, d in enumerate(loops)}
    t = lambda xs: "tensor<" + "x".join(str(sizes[d]) for d in xs) + "xf32>"  # noqa: E731
    m = lambda xs: f"affine_map<({', '.join(idx[d] for d in loops)}) -> ({', '.join(idx[d] for d in xs)})>"  # noqa: E731
    iters = ", ".join('"reduction"' if kind[d] == "k" else '"parallel"' for d in loops)
    accumulate = bool(rng.integers(0, 2))
    init = ("%arg2" if accumulate else "%f")
    mlir = f"""
func.func @einsum(%arg0: {t(a)}, %arg1: {t(b)}, %arg2: {t(c)}) -> {t(c)} {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : {t(c)}
  %f = linalg.fill ins(%z : f32) outs(%e : {t(c)}) -> {t(c)}
  %r = linalg.generic {{indexing_maps = [{m(a)}, {m(b)}, {m(c)}], iterator_types = [{iters}]}}
      ins(%arg0, %arg1 : {t(a)}, {t(b)}) outs({init} : {t(c)}) {{
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }} -> {t(c)}
  return %r : {t(c)}
}}"""
    args = [rng.standard_normal([sizes[d] for d in x]).astype(np.float32) for x in (a, b, c)]
    expected = np.einsum(f"{''.join(a)},{''.join(b)}->{''.join(c)}", args[0], args[1])
    if accumulate:
        expected = expected + args[2]
    return mlir, args, expected


@pytest.mark.parametrize("seed", range(20))
def test_einsum_layouts(seed):
    mlir, args, expected = einsum_case(seed)
    cpu = fourfold.compile(mlir, cache=False)
    assert_close_to_scale(cpu(*args), expected)
    gpu = fourfold.compile(mlir, pipeline=gpu_emulation_pipeline("sm_90"), cache=False)
    assert_close_to_scale(gpu(*args), expected)
