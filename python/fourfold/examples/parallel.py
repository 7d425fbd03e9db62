"""Graphs with inter-operator parallelism (what rammer co-schedules), each with its numpy twin.

Same `Program` form as `fused.py`: MLIR text with one public function, input shapes, a numpy
reference. Rows stand for batch x positions (tokens, pixels); branches are independent operators.
"""

from __future__ import annotations

import random

import numpy as np

from .fused import ID2, Program, _Builder, _bias, _ew, _np_softmax, _row_apply, _row_reduce, _t, softmax_rows


class _Numpy:
    """The few array operations the references use, for numpy; `torch_ops()` gives the same for
    PyTorch, so that a benchmark runs the very same graph eagerly."""
    relu = staticmethod(lambda y: np.maximum(y, 0))
    tanh = staticmethod(np.tanh)
    exp = staticmethod(np.exp)
    cat = staticmethod(lambda ys: np.concatenate(ys, axis=1))
    rowmax = staticmethod(lambda y: y.max(axis=1, keepdims=True))
    softmax = staticmethod(_np_softmax)
    sigmoid = staticmethod(lambda z: 1 / (1 + np.exp(-z)))
    square = staticmethod(np.square)


def torch_ops():
    import torch

    class _Torch:
        relu = staticmethod(torch.relu)
        tanh = staticmethod(torch.tanh)
        exp = staticmethod(torch.exp)
        cat = staticmethod(lambda ys: torch.cat(ys, dim=1))
        rowmax = staticmethod(lambda y: y.amax(dim=1, keepdim=True))
        softmax = staticmethod(lambda y: torch.softmax(y, dim=1))
        sigmoid = staticmethod(torch.sigmoid)
        square = staticmethod(torch.square)
    return _Torch


def _program(name, mlir, shapes, impl, notes=None) -> Program:
    """A Program whose reference is `impl(numpy ops, *args)`; notes["impl"] takes other ops."""
    return Program(name, mlir, list(shapes), lambda *a: impl(_Numpy, *a), dict(notes or {}, impl=impl))


def _concat_cols(b: _Builder, parts: list[tuple[str, int]], rows: int) -> tuple[str, int]:
    """Concatenates (value, width) parts along the columns (tensor.insert_slice)."""
    total = sum(w for _, w in parts)
    cur = b.empty((rows, total))
    off = 0
    for value, width in parts:
        v = b.fresh()
        b.lines.append(f"  {v} = tensor.insert_slice {value} into {cur}[0, {off}] [{rows}, {width}] [1, 1] : "
                       f"{_t((rows, width))} into {_t((rows, total))}")
        cur, off = v, off + width
    return cur, total


def _binary(b: _Builder, x: str, y: str, m: int, n: int, op: str) -> str:
    return b.generic([(x, (m, n), ID2), (y, (m, n), ID2)], (m, n),
                     f"    %r = arith.{op} %in0, %in1 : f32\n    linalg.yield %r : f32")


def _sigmoid(b: _Builder, x: str, m: int, n: int) -> str:
    return b.generic([(x, (m, n), ID2)], (m, n),
                     "    %one = arith.constant 1.0 : f32\n    %e0 = arith.negf %in0 : f32\n"
                     "    %e1 = math.exp %e0 : f32\n    %e2 = arith.addf %one, %e1 : f32\n"
                     "    %r = arith.divf %one, %e2 : f32\n    linalg.yield %r : f32")


class _Params:
    """Hands out argument numbers for weights as the builder asks for them."""

    def __init__(self, b: _Builder, shapes: list[tuple[int, ...]]):
        self.b, self.shapes = b, shapes

    def add(self, shape) -> str:
        self.shapes.append(tuple(shape))
        return f"%arg{len(self.shapes) - 1}"


def _dense_relu(b: _Builder, p: _Params, x: str, m: int, k: int, n: int, relu: bool = True):
    """x @ W + bias (then ReLU): one 1x1 convolution over rows of pixels."""
    w, bias = p.add((k, n)), p.add((n,))
    y = _bias(b, b.matmul(x, w, m, n, k), bias, m, n)
    return (_ew(b, y, (m, n), "relu") if relu else y), (int(w[4:]), int(bias[4:]), relu)


def _np_dense(x, args, spec, xp=_Numpy):
    w, bias, relu = spec
    y = x @ args[w] + args[bias]
    return xp.relu(y) if relu else y


def inception_cell(rows: int = 49, cin: int = 64, widths=(32, 48, 16, 16), name: str = "inception") -> Program:
    """Four branches over the same input, concatenated: 1x1; 1x1 -> 1x1; 1x1 -> 1x1 -> 1x1; a row
    normalisation -> 1x1 (the pooling branch's shape). `rows` = batch x pixels."""
    shapes = [(rows, cin)]
    b = _Builder(name, shapes)
    p = _Params(b, shapes)
    branches, specs = [], []
    depth = [1, 2, 3, 0]
    for width, d in zip(widths, depth):
        x, k, chain = "%arg0", cin, []
        if d == 0:  # pooling stand-in: x - max(x) over the channels, then 1x1
            mx = _row_reduce(b, x, rows, cin, "max")
            x = _row_apply(b, x, mx, rows, cin, "subf")
            chain.append("rowmax")
            d = 1
        for i in range(d):
            out = width if i == d - 1 else max(8, width // 2)
            x, spec = _dense_relu(b, p, x, rows, k, out)
            chain.append(spec)
            k = out
        branches.append((x, width))
        specs.append(chain)
    out, total = _concat_cols(b, branches, rows)
    b.args = shapes

    def impl(xp, *args):
        outs = []
        for chain in specs:
            y = args[0]
            for spec in chain:
                y = y - xp.rowmax(y) if spec == "rowmax" else _np_dense(y, args, spec, xp)
            outs.append(y)
        return xp.cat(outs)

    return _program(name, b.text(out, (rows, total)), shapes, impl)


def nasnet_cell(rows: int = 37, channels: int = 44, name: str = "nasnet") -> Program:
    """A NASNet-style normal cell with odd sizes: two inputs, five blocks each combining two
    operations (separable-conv stand-ins, identity, tanh) of earlier states, the blocks' outputs
    concatenated."""
    shapes = [(rows, channels), (rows, channels)]
    b = _Builder(name, shapes)
    p = _Params(b, shapes)
    states = ["%arg0", "%arg1"]
    plan = [((0, "sep"), (1, "id")), ((1, "sep"), (1, "sep")), ((0, "tanh"), (1, "id")),
            ((1, "tanh"), (0, "tanh")), ((0, "sep"), (0, "sep"))]
    specs = []
    for (ia, opa), (ib, opb) in plan:
        parts = []
        for i, op in ((ia, opa), (ib, opb)):
            if op == "sep":
                y, spec = _dense_relu(b, p, states[i], rows, channels, channels)
                parts.append(y)
                specs.append(("sep", i, spec))
            elif op == "tanh":
                parts.append(_ew(b, states[i], (rows, channels), "tanh"))
                specs.append(("tanh", i, None))
            else:
                parts.append(states[i])
                specs.append(("id", i, None))
        states.append(_binary(b, parts[0], parts[1], rows, channels, "addf"))
    out, total = _concat_cols(b, [(s, channels) for s in states[2:]], rows)
    b.args = shapes

    def impl(xp, *args):
        st = [args[0], args[1]]
        for blk in range(len(plan)):
            ys = []
            for kind, i, spec in specs[2 * blk: 2 * blk + 2]:
                ys.append(_np_dense(st[i], args, spec, xp) if kind == "sep" else xp.tanh(st[i]) if kind == "tanh"
                          else st[i])
            st.append(ys[0] + ys[1])
        return xp.cat(st[2:])

    return _program(name, b.text(out, (rows, total)), shapes, impl)


def mha_heads(tokens: int = 32, dim: int = 64, heads: int = 4, name: str = "mha") -> Program:
    """Multi-head self-attention with every head's projections, scores, softmax and context as
    separate operators, the heads concatenated and projected."""
    dh = dim // heads
    shapes = [(tokens, dim)]
    b = _Builder(name, shapes)
    p = _Params(b, shapes)
    scale = f"{1.0 / np.sqrt(dh):.10e}"
    ctxs, weights = [], []
    for _ in range(heads):
        wq, wk, wv = p.add((dim, dh)), p.add((dim, dh)), p.add((dim, dh))
        weights.append(tuple(int(w[4:]) for w in (wq, wk, wv)))
        q = b.matmul("%arg0", wq, tokens, dh, dim)
        k = b.matmul("%arg0", wk, tokens, dh, dim)
        v = b.matmul("%arg0", wv, tokens, dh, dim)
        s = b.matmul_bt(q, k, tokens, tokens, dh)
        s = b.generic([(s, (tokens, tokens), ID2)], (tokens, tokens),
                      f"    %c = arith.constant {scale} : f32\n    %r = arith.mulf %in0, %c : f32\n    linalg.yield %r : f32")
        prob = softmax_rows(b, s, tokens, tokens)
        ctxs.append((b.matmul(prob, v, tokens, dh, tokens), dh))
    cat, _ = _concat_cols(b, ctxs, tokens)
    wo = p.add((dim, dim))
    out = b.matmul(cat, wo, tokens, dim, dim)
    b.args = shapes

    def impl(xp, x, *params):
        args = (x,) + params
        heads_out = []
        for wq, wk, wv in weights:
            q, k, v = x @ args[wq], x @ args[wk], x @ args[wv]
            heads_out.append(xp.softmax(q @ k.T / np.sqrt(dh)) @ v)
        return xp.cat(heads_out) @ args[int(wo[4:])]

    return _program(name, b.text(out, (tokens, dim)), shapes, impl)


def lstm_cell(batch: int = 1, inputs: int = 64, hidden: int = 64, name: str = "lstm") -> Program:
    """One LSTM step with the four gates as separate operators (x W_g + h U_g + b_g each), then
    c' = s(f) c + s(i) tanh(g), h' = s(o) tanh(c'); returns h'."""
    shapes = [(batch, inputs), (batch, hidden), (batch, hidden)]
    b = _Builder(name, shapes)
    p = _Params(b, shapes)
    gates, gate_args = {}, {}
    for g in "ifgo":
        w, u, bias = p.add((inputs, hidden)), p.add((hidden, hidden)), p.add((hidden,))
        gate_args[g] = tuple(int(a[4:]) for a in (w, u, bias))
        xw = b.matmul("%arg0", w, batch, hidden, inputs)
        hu = b.matmul("%arg1", u, batch, hidden, hidden)
        pre = _bias(b, _binary(b, xw, hu, batch, hidden, "addf"), bias, batch, hidden)
        gates[g] = _ew(b, pre, (batch, hidden), "tanh") if g == "g" else _sigmoid(b, pre, batch, hidden)
    c2 = _binary(b, _binary(b, gates["f"], "%arg2", batch, hidden, "mulf"),
                 _binary(b, gates["i"], gates["g"], batch, hidden, "mulf"), batch, hidden, "addf")
    h2 = _binary(b, gates["o"], _ew(b, c2, (batch, hidden), "tanh"), batch, hidden, "mulf")
    b.args = shapes

    def impl(xp, x, h, c, *params):
        args = (x, h, c) + params
        pre = {g: x @ args[w] + h @ args[u] + args[bb] for g, (w, u, bb) in gate_args.items()}
        c_next = xp.sigmoid(pre["f"]) * c + xp.sigmoid(pre["i"]) * xp.tanh(pre["g"])
        return xp.sigmoid(pre["o"]) * xp.tanh(c_next)

    return _program(name, b.text(h2, (batch, hidden)), shapes, impl)


def random_dag(seed: int, nodes: int = 8, name: str = "dag") -> Program:
    """A random DAG over m x n tensors: each node applies a unary op, a dense layer, a row
    reduction applied back, or adds/multiplies two earlier nodes; the sinks are summed."""
    rng = random.Random(seed)
    m = rng.choice([1, 3, 16, 37])
    n = rng.choice([8, 31, 64])
    shapes = [(m, n)]
    b = _Builder(name, shapes)
    p = _Params(b, shapes)
    values, steps, used = ["%arg0"], [], set()
    for _ in range(nodes):
        kind = rng.choice(["unary", "dense", "dense", "rowred", "binary"])
        i = rng.randrange(len(values))
        used.add(i)
        if kind == "unary":
            op = rng.choice(["relu", "tanh", "neg", "sq"])
            values.append(_ew(b, values[i], (m, n), op))
            steps.append(("unary", i, op))
        elif kind == "dense":
            w = p.add((n, n))
            values.append(b.matmul(values[i], w, m, n, n))
            steps.append(("dense", i, int(w[4:])))
        elif kind == "rowred":
            r = _row_reduce(b, values[i], m, n, "max")
            values.append(_row_apply(b, values[i], r, m, n, "subf"))
            steps.append(("rowred", i))
        else:
            j = rng.randrange(len(values))
            used.add(j)
            op = rng.choice(["addf", "mulf"])
            values.append(_binary(b, values[i], values[j], m, n, op))
            steps.append(("binary", i, j, op))
    sinks = [k for k in range(1, len(values)) if k not in used] or [len(values) - 1]
    out = values[sinks[0]]
    for k in sinks[1:]:
        out = _binary(b, out, values[k], m, n, "addf")
    b.args = shapes
    def impl(xp, *args):
        unary = {"relu": xp.relu, "tanh": xp.tanh, "neg": lambda y: -y, "sq": xp.square}
        vals = [args[0]]
        for s in steps:
            if s[0] == "unary":
                vals.append(unary[s[2]](vals[s[1]]))
            elif s[0] == "dense":
                vals.append(vals[s[1]] @ args[s[2]])
            elif s[0] == "rowred":
                vals.append(vals[s[1]] - xp.rowmax(vals[s[1]]))
            else:
                vals.append(vals[s[1]] + vals[s[2]] if s[3] == "addf" else vals[s[1]] * vals[s[2]])
        y = vals[sinks[0]]
        for k in sinks[1:]:
            y = y + vals[k]
        return y

    return _program(name, b.text(out, (m, n)), shapes, impl, {"steps": steps, "sinks": sinks})
