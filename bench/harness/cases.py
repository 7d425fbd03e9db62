"""What the harness runs: the model zoo (random-initialised PyTorch modules, no downloads; control
flow through torch's while_loop and torch.cond) and single operators with BERT-base and ResNet-50
shapes.

A case builds, deterministically, (torch.nn.Module, inputs); every system imports the module through
its own frontend (torch.export for fourfold, TVM and IREE). Operators take their weights as inputs (a
compiler sees one operator, as in an operator-tuning comparison); matmul-like ones also say how
numpy runs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

from fourfold.examples import torch_models as zoo


@dataclass
class Case:
    name: str
    kind: str                      # "model" | "operator"
    build: Callable                # () -> (torch.nn.Module, [inputs])
    flops: float | None = None     # operators: for GFLOP/s
    numpy: Callable | None = None  # operators numpy runs (OpenBLAS): f(*arrays)
    notes: dict = field(default_factory=dict)


class Op(torch.nn.Module):
    """One operator as a module whose inputs are all tensors (weights included)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


def _randn(*shapes, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=g) for s in shapes]


def _op(name, fn, shapes, flops, np_fn=None) -> Case:
    return Case(name, "operator", lambda: (Op(fn).eval(), _randn(*shapes)), flops=flops, numpy=np_fn)


def _matmul(name, m, n, k):
    return _op(name, lambda a, b: a @ b, [(m, k), (k, n)], 2.0 * m * n * k, lambda a, b: a @ b)


def _bmm(name, b, m, n, k):
    return _op(name, torch.bmm, [(b, m, k), (b, k, n)], 2.0 * b * m * n * k, lambda x, y: x @ y)


def _conv(name, c, h, f, k, stride, pad):
    oh = (h + 2 * pad - k) // stride + 1
    return _op(name, lambda x, w: F.conv2d(x, w, stride=stride, padding=pad), [(1, c, h, h), (f, c, k, k)],
               2.0 * oh * oh * f * c * k * k)


def operators(smoke: bool) -> list[Case]:
    if smoke:
        return [_matmul("matmul_5x7x3", 5, 7, 3), _conv("conv_3x6x6_k3", 3, 6, 4, 3, 1, 1)]
    d, ff, s, heads = 768, 3072, 128, 12
    return [
        # BERT-base, sequence 128, batch 1
        _matmul("bert_qkv_128x2304x768", s, 3 * d, d),
        _matmul("bert_proj_128x768x768", s, d, d),
        _matmul("bert_ffn1_128x3072x768", s, ff, d),
        _matmul("bert_ffn2_128x768x3072", s, d, ff),
        _bmm("bert_scores_12x128x128x64", heads, s, s, d // heads),
        _bmm("bert_context_12x128x64x128", heads, s, d // heads, s),
        _op("bert_softmax_12x128x128", lambda x: x.softmax(-1), [(heads, s, s)], 5.0 * heads * s * s),
        _op("bert_layernorm_128x768", lambda x, g, b: F.layer_norm(x, (d,), g, b), [(s, d), (d,), (d,)],
            8.0 * s * d),
        _op("bert_gelu_128x3072", F.gelu, [(s, ff)], 8.0 * s * ff),
        # ResNet-50, 224x224, batch 1
        _conv("r50_conv1_7x7s2", 3, 224, 64, 7, 2, 3),
        _conv("r50_s1_3x3_56x64", 64, 56, 64, 3, 1, 1),
        _conv("r50_s1_1x1_56x64x256", 64, 56, 256, 1, 1, 0),
        _conv("r50_s2_3x3s2_56x128", 128, 56, 128, 3, 2, 1),
        _conv("r50_s2_1x1_28x512x128", 512, 28, 128, 1, 1, 0),
        _conv("r50_s3_3x3_14x256", 256, 14, 256, 3, 1, 1),
        _conv("r50_s3_1x1_14x1024x256", 1024, 14, 256, 1, 1, 0),
        _conv("r50_s4_3x3_7x512", 512, 7, 512, 3, 1, 1),
        _op("r50_maxpool_3x3s2_112x64", lambda x: F.max_pool2d(x, 3, 2, 1), [(1, 64, 112, 112)],
            9.0 * 64 * 56 * 56),
        _op("r50_avgpool_7x7x2048", lambda x: F.adaptive_avg_pool2d(x, 1), [(1, 2048, 7, 7)], 2048.0 * 49),
        _op("r50_fc_1x1000x2048", lambda x, w, b: F.linear(x, w, b), [(1, 2048), (1000, 2048), (1000,)],
            2.0 * 2048 * 1000, lambda x, w, b: x @ w.T + b),
        # odd and skinny shapes
        _matmul("matmul_37x53x29", 37, 53, 29),
        _matmul("matmul_1024", 1024, 1024, 1024),
        _matmul("gemv_1x4096x4096", 1, 4096, 4096),
    ]


# Model sizes: smoke (the tests), small (fast; the default) and full (the real networks' shapes).
_SIZE = {"smoke": "tiny", "small": "small", "full": "full"}
# The zoo's models the harness runs ("ops" and the single blocks are test material, not benchmarks).
MODELS = ["mlp", "encoder", "bert-small", "resnet18", "resnet50", "mobilenetv2", "vit-block", "nerf",
          "lstm", "gru", "seq2seq", "blockdrop", "inception-cell", "nasnet-cell", "attention", "resnet-basic",
          "mobilenetv2-block"]
SMOKE_MODELS = ["mlp", "resnet-basic", "seq2seq"]


def _zoo_case(name: str, size: str) -> Case:
    # Blocks without a "full" size are run at "small".
    zsize = _SIZE[size] if _SIZE[size] in zoo._SPECS[name] else "small"
    return Case(name, "model", lambda: zoo.get(name, zsize), notes={"size": zsize})


def cases(size: str, pattern: str = "", kinds=("model", "operator")) -> list[Case]:
    """The cases of `kinds` at `size` whose name matches the regex `pattern` (all when empty)."""
    smoke = size == "smoke"
    out = []
    if "model" in kinds:
        for name in SMOKE_MODELS if smoke else MODELS:
            out.append(_zoo_case(name, size))
    if "operator" in kinds:
        out += operators(smoke)
    return [c for c in out if not pattern or re.search(pattern, c.name)]
