"""Bundled example programs (MLIR text) and their numpy references."""

from __future__ import annotations

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def source(name: str) -> str:
    path = os.path.join(HERE, f"{name}.mlir")
    if not os.path.exists(path):
        known = sorted(f[:-5] for f in os.listdir(HERE) if f.endswith(".mlir"))
        raise ValueError(f"no bundled example '{name}'; known: {', '.join(known)}")
    with open(path) as f:
        return f.read()


def _gelu_tanh(a):
    return 0.5 * a * (1.0 + np.tanh(0.7978845608 * (a + 0.044715 * a**3)))


def mlp_inputs(rng: np.random.Generator):
    return [rng.standard_normal(s, dtype=np.float32) * scale
            for s, scale in [((8, 64), 1.0), ((64, 256), 0.125), ((256,), 0.1), ((256, 32), 0.0625), ((32,), 0.1)]]


def mlp_reference(x, w1, b1, w2, b2):
    x, w1, b1, w2, b2 = (a.astype(np.float64) for a in (x, w1, b1, w2, b2))
    return _gelu_tanh(x @ w1 + b1) @ w2 + b2


def mlp_torch(torch, x, w1, b1, w2, b2):
    return torch.nn.functional.gelu(x @ w1 + b1, approximate="tanh") @ w2 + b2


EXAMPLES = {"mlp": (mlp_inputs, mlp_reference)}
TORCH = {"mlp": mlp_torch}
