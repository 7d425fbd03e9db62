"""Multi-operator programs (what welder fuses), each with its numpy reference.

Every generator returns a `Program`: MLIR text with one public function, the input shapes and a
numpy function computing the same result, so tests and benchmarks check numerics the same way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

ID2 = "affine_map<(i, j) -> (i, j)>"
ROW2 = "affine_map<(i, j) -> (j)>"   # a vector along the columns, broadcast over rows
COL2 = "affine_map<(i, j) -> (i)>"   # one value per row


@dataclass
class Program:
    name: str
    mlir: str
    shapes: list[tuple[int, ...]]
    reference: Callable[..., np.ndarray]
    notes: dict = field(default_factory=dict)

    def inputs(self, seed: int = 0) -> list[np.ndarray]:
        """Standard normal arrays; notes["scales"] (argument -> factor) scales weights the way a
        model initialises them (1 / sqrt(fan-in)), so that deep recurrences stay well conditioned."""
        rng = np.random.default_rng(seed)
        scales = self.notes.get("scales", {})
        return [(rng.standard_normal(s) * scales.get(i, 1.0)).astype(np.float32)
                for i, s in enumerate(self.shapes)]


def _t(shape) -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + "f32>"


class _Builder:
    """Writes the body of one function, an SSA value per line."""

    def __init__(self, name: str, args: list[tuple[int, ...]]):
        self.name, self.args = name, args
        self.lines: list[str] = ["  %zero = arith.constant 0.0 : f32", "  %ninf = arith.constant 0xFF800000 : f32"]
        self.count = 0

    def fresh(self) -> str:
        self.count += 1
        return f"%v{self.count}"

    def empty(self, shape) -> str:
        v = self.fresh()
        self.lines.append(f"  {v} = tensor.empty() : {_t(shape)}")
        return v

    def fill(self, shape, value="%zero") -> str:
        e = self.empty(shape)
        v = self.fresh()
        self.lines.append(f"  {v} = linalg.fill ins({value} : f32) outs({e} : {_t(shape)}) -> {_t(shape)}")
        return v

    def matmul(self, a, b, m, n, k) -> str:
        c = self.fill((m, n))
        v = self.fresh()
        self.lines.append(f"  {v} = linalg.matmul ins({a}, {b} : {_t((m, k))}, {_t((k, n))}) "
                          f"outs({c} : {_t((m, n))}) -> {_t((m, n))}")
        return v

    def matmul_bt(self, a, b, m, n, k) -> str:
        """a (m x k) times b (n x k) transposed."""
        c = self.fill((m, n))
        v = self.fresh()
        self.lines.append(
            f"  {v} = linalg.generic {{indexing_maps = [affine_map<(i, j, l) -> (i, l)>, "
            f"affine_map<(i, j, l) -> (j, l)>, affine_map<(i, j, l) -> (i, j)>], "
            f"iterator_types = [\"parallel\", \"parallel\", \"reduction\"]}} "
            f"ins({a}, {b} : {_t((m, k))}, {_t((n, k))}) outs({c} : {_t((m, n))}) {{\n"
            f"  ^bb0(%x: f32, %y: f32, %acc: f32):\n"
            f"    %p = arith.mulf %x, %y : f32\n    %s = arith.addf %acc, %p : f32\n"
            f"    linalg.yield %s : f32\n  }} -> {_t((m, n))}")
        return v

    def generic(self, ins: list[tuple[str, tuple, str]], out_shape, body: str, maps_out: str | None = None,
                iterators=None, init: str | None = None) -> str:
        """`ins`: (value, shape, indexing map); `body` uses %in0.. and %out, ends with a yield."""
        rank = len(out_shape)
        iterators = iterators or ["parallel"] * rank
        maps = [m for _, _, m in ins] + [maps_out or _identity(rank)]
        out = init or self.empty(out_shape)
        v = self.fresh()
        bb_args = ", ".join([f"%in{i}: f32" for i in range(len(ins))] + ["%out: f32"])
        ins_text = ", ".join(x for x, _, _ in ins)
        ins_types = ", ".join(_t(s) for _, s, _ in ins)
        out_t = _t(out_shape)
        iters = ", ".join(f'"{it}"' for it in iterators)
        self.lines.append(
            f"  {v} = linalg.generic {{indexing_maps = [{', '.join(maps)}], iterator_types = [{iters}]}} "
            f"ins({ins_text} : {ins_types}) outs({out} : {out_t}) {{\n  ^bb0({bb_args}):\n{body}\n  }} -> {out_t}")
        return v

    def text(self, result: str, result_shape) -> str:
        args = ", ".join(f"%arg{i}: {_t(s)}" for i, s in enumerate(self.args))
        return (f"func.func @{self.name}({args}) -> {_t(result_shape)} {{\n" + "\n".join(self.lines) +
                f"\n  return {result} : {_t(result_shape)}\n}}\n")


def _identity(rank: int) -> str:
    dims = ", ".join(f"d{i}" for i in range(rank))
    return f"affine_map<({dims}) -> ({dims})>"


def _unary(x: str, op: str) -> str:
    """MLIR lines computing op(x) into %r."""
    return {
        "relu": f"    %r = arith.maximumf {x}, %cz : f32",
        "exp": f"    %r = math.exp {x} : f32",
        "tanh": f"    %r = math.tanh {x} : f32",
        "neg": f"    %r = arith.negf {x} : f32",
        "sq": f"    %r = arith.mulf {x}, {x} : f32",
    }[op]


_NP_UNARY = {"relu": lambda x: np.maximum(x, 0), "exp": np.exp, "tanh": np.tanh, "neg": np.negative,
             "sq": np.square}

_CZ = "    %cz = arith.constant 0.0 : f32"


def _ew(b: _Builder, x: str, shape, op: str) -> str:
    return b.generic([(x, shape, _identity(len(shape)))], shape,
                     f"{_CZ}\n{_unary('%in0', op)}\n    linalg.yield %r : f32")


def _bias(b: _Builder, x: str, vec: str, m: int, n: int, op: str = "addf") -> str:
    return b.generic([(x, (m, n), ID2), (vec, (n,), ROW2)], (m, n),
                     f"    %r = arith.{op} %in0, %in1 : f32\n    linalg.yield %r : f32")


def _row_reduce(b: _Builder, x: str, m: int, n: int, kind: str) -> str:
    init = b.fill((m,), "%ninf" if kind == "max" else "%zero")
    op = "arith.maximumf" if kind == "max" else "arith.addf"
    return b.generic([(x, (m, n), ID2)], (m,), f"    %r = {op} %in0, %out : f32\n    linalg.yield %r : f32",
                     maps_out=COL2, iterators=["parallel", "reduction"], init=init)


def _row_apply(b: _Builder, x: str, r: str, m: int, n: int, op: str) -> str:
    return b.generic([(x, (m, n), ID2), (r, (m,), COL2)], (m, n),
                     f"    %r = arith.{op} %in0, %in1 : f32\n    linalg.yield %r : f32")


def _gelu_body(x: str) -> str:
    # 0.5 x (1 + tanh(0.7978845608 (x + 0.044715 x^3)))
    return (f"    %h = arith.constant 0.5 : f32\n    %one = arith.constant 1.0 : f32\n"
            f"    %c0 = arith.constant 0.7978845608 : f32\n    %c1 = arith.constant 0.044715 : f32\n"
            f"    %x2 = arith.mulf {x}, {x} : f32\n    %x3 = arith.mulf %x2, {x} : f32\n"
            f"    %t0 = arith.mulf %c1, %x3 : f32\n    %t1 = arith.addf {x}, %t0 : f32\n"
            f"    %t2 = arith.mulf %c0, %t1 : f32\n    %t3 = math.tanh %t2 : f32\n"
            f"    %t4 = arith.addf %one, %t3 : f32\n    %t5 = arith.mulf %h, {x} : f32\n"
            f"    %r = arith.mulf %t5, %t4 : f32\n    linalg.yield %r : f32")


def _np_gelu(x):
    return 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))


# --------------------------------------------------------------------------- #
# The acceptance programs
# --------------------------------------------------------------------------- #

def matmul_bias_gelu(m: int, n: int, k: int, name: str = "mbg") -> Program:
    b = _Builder(name, [(m, k), (k, n), (n,)])
    mm = b.matmul("%arg0", "%arg1", m, n, k)
    s = _bias(b, mm, "%arg2", m, n)
    g = b.generic([(s, (m, n), ID2)], (m, n), _gelu_body("%in0"))
    return Program(name, b.text(g, (m, n)), [(m, k), (k, n), (n,)],
                   lambda a, w, bias: _np_gelu(a @ w + bias))


def layernorm_rows(b: _Builder, x: str, g: str, beta: str, rows: int, cols: int, eps: float = 1e-5) -> str:
    """Layer normalisation over the columns of `x` (rows x cols), then * g + beta."""
    inv = f"{1.0 / cols:.10e}"
    total = _row_reduce(b, x, rows, cols, "sum")
    mean = b.generic([(total, (rows,), "affine_map<(i) -> (i)>")], (rows,),
                     f"    %c = arith.constant {inv} : f32\n    %r = arith.mulf %in0, %c : f32\n    linalg.yield %r : f32")
    centered = _row_apply(b, x, mean, rows, cols, "subf")
    sq = _ew(b, centered, (rows, cols), "sq")
    var_sum = _row_reduce(b, sq, rows, cols, "sum")
    rstd = b.generic([(var_sum, (rows,), "affine_map<(i) -> (i)>")], (rows,),
                     f"    %c = arith.constant {inv} : f32\n    %e = arith.constant {eps:e} : f32\n"
                     f"    %v = arith.mulf %in0, %c : f32\n    %ve = arith.addf %v, %e : f32\n"
                     f"    %r = math.rsqrt %ve : f32\n    linalg.yield %r : f32")
    norm = _row_apply(b, centered, rstd, rows, cols, "mulf")
    scaled = _bias(b, norm, g, rows, cols, "mulf")
    return _bias(b, scaled, beta, rows, cols, "addf")


def layernorm(rows: int, cols: int, eps: float = 1e-5, name: str = "layernorm") -> Program:
    b = _Builder(name, [(rows, cols), (cols,), (cols,)])
    out = layernorm_rows(b, "%arg0", "%arg1", "%arg2", rows, cols, eps)

    def ref(x, g, beta):
        mu = x.mean(axis=1, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * g + beta

    return Program(name, b.text(out, (rows, cols)), [(rows, cols), (cols,), (cols,)], ref)


def softmax_rows(b: _Builder, x: str, m: int, n: int) -> str:
    mx = _row_reduce(b, x, m, n, "max")
    sub = _row_apply(b, x, mx, m, n, "subf")
    ex = _ew(b, sub, (m, n), "exp")
    total = _row_reduce(b, ex, m, n, "sum")
    return _row_apply(b, ex, total, m, n, "divf")


def _np_softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def attention(tokens: int, dim: int, name: str = "attention") -> Program:
    """softmax(Q K^T / sqrt(d)) V for one head; odd token counts welcome."""
    b = _Builder(name, [(tokens, dim)] * 3)
    s = b.matmul_bt("%arg0", "%arg1", tokens, tokens, dim)
    scale = f"{1.0 / np.sqrt(dim):.10e}"
    scaled = b.generic([(s, (tokens, tokens), ID2)], (tokens, tokens),
                       f"    %c = arith.constant {scale} : f32\n    %r = arith.mulf %in0, %c : f32\n    linalg.yield %r : f32")
    p = softmax_rows(b, scaled, tokens, tokens)
    out = b.matmul(p, "%arg2", tokens, dim, tokens)
    return Program(name, b.text(out, (tokens, dim)), [(tokens, dim)] * 3,
                   lambda q, k, v: _np_softmax(q @ k.T / np.sqrt(dim)) @ v)


def mlp(batch: int, dims: list[int], name: str = "mlp") -> Program:
    """len(dims)-1 dense layers with bias, ReLU between them (none after the last)."""
    shapes = [(batch, dims[0])]
    for i in range(len(dims) - 1):
        shapes += [(dims[i], dims[i + 1]), (dims[i + 1],)]
    b = _Builder(name, shapes)
    x = "%arg0"
    for i in range(len(dims) - 1):
        mm = b.matmul(x, f"%arg{1 + 2 * i}", batch, dims[i + 1], dims[i])
        x = _bias(b, mm, f"%arg{2 + 2 * i}", batch, dims[i + 1])
        if i < len(dims) - 2:
            x = _ew(b, x, (batch, dims[i + 1]), "relu")

    def ref(x, *params):
        for i in range(len(dims) - 1):
            x = x @ params[2 * i] + params[2 * i + 1]
            if i < len(dims) - 2:
                x = np.maximum(x, 0)
        return x

    return Program(name, b.text(x, (batch, dims[-1])), shapes, ref)


def reduce_then_scale(rows: int, cols: int, name: str = "reduce_scale") -> Program:
    """x / sum(|x|) per row: a reduction feeding an elementwise op."""
    b = _Builder(name, [(rows, cols)])
    ab = b.generic([("%arg0", (rows, cols), ID2)], (rows, cols), "    %r = math.absf %in0 : f32\n    linalg.yield %r : f32")
    total = _row_reduce(b, ab, rows, cols, "sum")
    out = _row_apply(b, "%arg0", total, rows, cols, "divf")
    return Program(name, b.text(out, (rows, cols)), [(rows, cols)],
                   lambda x: x / np.abs(x).sum(axis=1, keepdims=True))


def conv_bn_relu(h: int, w: int, c: int, f: int, k: int = 3, residual: bool = True,
                 name: str = "conv_bn_relu") -> Program:
    """NHWC conv (input already padded) + inference batchnorm (scale, shift per channel) + ReLU
    (+ a residual input added before the ReLU)."""
    oh, ow = h - k + 1, w - k + 1
    shapes = [(1, h, w, c), (k, k, c, f), (f,), (f,)] + ([(1, oh, ow, f)] if residual else [])
    b = _Builder(name, shapes)
    out_shape = (1, oh, ow, f)
    acc = b.fill(out_shape)
    conv = b.fresh()
    b.lines.append(
        f"  {conv} = linalg.conv_2d_nhwc_hwcf {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} "
        f"ins(%arg0, %arg1 : {_t(shapes[0])}, {_t(shapes[1])}) outs({acc} : {_t(out_shape)}) -> {_t(out_shape)}")
    id4 = _identity(4)
    ch = "affine_map<(d0, d1, d2, d3) -> (d3)>"
    ins = [(conv, out_shape, id4), ("%arg2", (f,), ch), ("%arg3", (f,), ch)]
    body = "    %s = arith.mulf %in0, %in1 : f32\n    %t = arith.addf %s, %in2 : f32\n"
    if residual:
        ins.append(("%arg4", out_shape, id4))
        body += "    %u = arith.addf %t, %in3 : f32\n"
    else:
        body += "    %u = arith.addf %t, %cz : f32\n"
    body = f"{_CZ}\n" + body + "    %r = arith.maximumf %u, %cz : f32\n    linalg.yield %r : f32"
    out = b.generic(ins, out_shape, body)

    def ref(x, wt, scale, shift, *res):
        y = np.zeros(out_shape, np.float32)
        for i in range(k):
            for j in range(k):
                y += np.einsum("nhwc,cf->nhwf", x[:, i:i + oh, j:j + ow, :], wt[i, j])
        y = y * scale + shift
        if res:
            y = y + res[0]
        return np.maximum(y, 0)

    return Program(name, b.text(out, out_shape), shapes, ref)


def random_chain(seed: int, m: int | None = None, n: int | None = None, length: int = 6,
                 name: str = "chain") -> Program:
    """A random chain over an m x n tensor: unary ops, row/column broadcasts, row reductions
    applied back, and dense layers (square weights), with a numpy twin built alongside."""
    rng = random.Random(seed)
    m = m or rng.choice([1, 3, 16, 37, 64])
    n = n or rng.choice([5, 16, 31, 64, 96])
    shapes = [(m, n)]
    b = _Builder(name, shapes)
    x = "%arg0"
    steps: list[tuple] = []
    for _ in range(length):
        kind = rng.choice(["unary", "bias", "rowred", "dense"])
        if kind == "unary":
            op = rng.choice(["relu", "tanh", "neg", "sq"])
            x = _ew(b, x, (m, n), op)
            steps.append(("unary", op))
        elif kind == "bias":
            shapes.append((n,))
            op = rng.choice(["addf", "mulf", "subf"])
            x = _bias(b, x, f"%arg{len(shapes) - 1}", m, n, op)
            steps.append(("bias", op, len(shapes) - 1))
        elif kind == "rowred":
            red = rng.choice(["max", "sum"])
            r = _row_reduce(b, x, m, n, red)
            op = "subf" if red == "max" else "addf"
            x = _row_apply(b, x, r, m, n, op)
            steps.append(("rowred", red, op))
        else:
            shapes.append((n, n))
            x = b.matmul(x, f"%arg{len(shapes) - 1}", m, n, n)
            steps.append(("dense", len(shapes) - 1))
    b.args = shapes
    npbin = {"addf": np.add, "mulf": np.multiply, "subf": np.subtract}

    def ref(*args):
        y = args[0]
        for step in steps:
            if step[0] == "unary":
                y = _NP_UNARY[step[1]](y)
            elif step[0] == "bias":
                y = npbin[step[1]](y, args[step[2]])
            elif step[0] == "rowred":
                r = y.max(axis=1, keepdims=True) if step[1] == "max" else y.sum(axis=1, keepdims=True)
                y = npbin[step[2]](y, r)
            else:
                y = y @ args[step[1]]
        return y

    return Program(name, b.text(x, (m, n)), list(shapes), ref, {"steps": steps})
