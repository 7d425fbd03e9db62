"""Models with control flow (what grinder places): loops, a data-dependent while, branches and bounded
recursion, each with a numpy reference and a PyTorch twin (`notes["impl"](xp, *args)` with
`parallel.torch_ops()`; the LSTM also against `torch.nn.LSTM`).

Same `Program` form as `fused.py`: MLIR text with one public function, input shapes, a reference.
"""

from __future__ import annotations

import numpy as np

from .fused import ID2, Program, _Builder, _bias, _ew, _t
from .parallel import _Numpy, _Params, _binary, _program, _sigmoid

_C = "  %c0 = arith.constant 0 : index\n  %c1 = arith.constant 1 : index"


def _fan_in(shapes, *args) -> dict[int, float]:
    """PyTorch's initialisation scale for weight arguments: 1 / sqrt(fan-in) (the second-to-last
    dimension of a weight matrix; a bias takes its layer's)."""
    return {i: 1.0 / np.sqrt(shapes[i][-2] if len(shapes[i]) >= 2 else shapes[i][-1]) for i in args}


def _slice_cols(b: _Builder, x: str, rows: int, cols: int, off: int, width: int) -> str:
    v = b.fresh()
    b.lines.append(f"  {v} = tensor.extract_slice {x}[0, {off}] [{rows}, {width}] [1, 1] : "
                   f"{_t((rows, cols))} to {_t((rows, width))}")
    return v


def _step(b: _Builder, xs: str, t: str, steps: int, rows: int, cols: int) -> str:
    """xs[t] of a steps x rows x cols tensor."""
    v = b.fresh()
    b.lines.append(f"  {v} = tensor.extract_slice {xs}[{t}, 0, 0] [1, {rows}, {cols}] [1, 1, 1] : "
                   f"{_t((steps, rows, cols))} to {_t((rows, cols))}")
    return v


def _dense2(b: _Builder, x: str, w: str, h: str, u: str, bias: str, rows: int, i: int, hidden: int,
            n: int) -> str:
    """x @ w + h @ u + bias: (rows x n)."""
    return _bias(b, _binary(b, b.matmul(x, w, rows, n, i), b.matmul(h, u, rows, n, hidden), rows, n, "addf"),
                 bias, rows, n)


def _recurrence(name, steps, batch, inputs, hidden, gates):
    """The loop of a recurrent cell: xs (steps x batch x inputs), h0, c0, W (inputs x gates*h),
    U (h x gates*h), b; opens `scf.for %t` carrying (%h, %c) and computes x_t W + h U + b."""
    H = hidden
    shapes = [(steps, batch, inputs), (batch, H), (batch, H), (inputs, gates * H), (H, gates * H), (gates * H,)]
    b = _Builder(name, shapes)
    b.lines.append(_C + f"\n  %cT = arith.constant {steps} : index")
    b.lines.append(f"  %res:2 = scf.for %t = %c0 to %cT step %c1 iter_args(%h = %arg1, %c = %arg2) -> "
                   f"({_t((batch, H))}, {_t((batch, H))}) {{")
    x = _step(b, "%arg0", "%t", steps, batch, inputs)
    return b, shapes, _dense2(b, x, "%arg3", "%h", "%arg4", "%arg5", batch, inputs, H, gates * H)


def lstm(steps: int = 100, batch: int = 1, inputs: int = 64, hidden: int = 64, name: str = "lstm_loop") -> Program:
    """nn.LSTM (one layer) over `steps`: per step gates = x_t W + h U + b (the four gates in one
    matmul each, PyTorch's i, f, g, o order), c' = s(f) c + s(i) tanh(g), h' = s(o) tanh(c').
    Arguments: xs (steps x batch x inputs), h0, c0, W (inputs x 4h), U (h x 4h), b (4h); returns h."""
    H = hidden
    b, shapes, gates = _recurrence(name, steps, batch, inputs, H, 4)
    i, f, g, o = (_slice_cols(b, gates, batch, 4 * H, k * H, H) for k in range(4))
    i, f, o = (_sigmoid(b, v, batch, H) for v in (i, f, o))
    g = _ew(b, g, (batch, H), "tanh")
    c2 = _binary(b, _binary(b, f, "%c", batch, H, "mulf"), _binary(b, i, g, batch, H, "mulf"), batch, H, "addf")
    h2 = _binary(b, o, _ew(b, c2, (batch, H), "tanh"), batch, H, "mulf")
    b.lines.append(f"  scf.yield {h2}, {c2} : {_t((batch, H))}, {_t((batch, H))}\n  }}")

    def impl(xp, xs, h, c, w, u, bias):
        for t in range(steps):
            z = xs[t] @ w + h @ u + bias
            i, f, g, o = (z[:, k * H:(k + 1) * H] for k in range(4))
            c = xp.sigmoid(f) * c + xp.sigmoid(i) * xp.tanh(g)
            h = xp.sigmoid(o) * xp.tanh(c)
        return h

    return _program(name, b.text("%res#0", (batch, H)), shapes, impl,
                    {"steps": steps, "batch": batch, "hidden": H, "inputs": inputs, "scales": _fan_in(shapes, 3, 4, 5)})


def nasrnn(steps: int = 100, batch: int = 1, inputs: int = 64, hidden: int = 64, name: str = "nasrnn") -> Program:
    """The NAS recurrent cell (Zoph & Le; TensorFlow's NASCell, Cocktailer's NASRNN) over `steps`:
    eight preactivations x W + h U + b, a tree of sigmoid / relu / tanh combinations."""
    H = hidden
    b, shapes, m = _recurrence(name, steps, batch, inputs, H, 8)
    p = [_slice_cols(b, m, batch, 8 * H, k * H, H) for k in range(8)]
    sh = (batch, H)
    act = ["sig", "relu", "sig", "relu", "tanh", "sig", "tanh", "sig"]
    l1 = [_sigmoid(b, v, batch, H) if a == "sig" else _ew(b, v, sh, a) for v, a in zip(p, act)]
    l2_0 = _ew(b, _binary(b, l1[0], l1[1], batch, H, "mulf"), sh, "tanh")
    l2_1 = _ew(b, _binary(b, l1[2], l1[3], batch, H, "addf"), sh, "tanh")
    l2_2 = _ew(b, _binary(b, l1[4], l1[5], batch, H, "mulf"), sh, "tanh")
    l2_3 = _sigmoid(b, _binary(b, l1[6], l1[7], batch, H, "addf"), batch, H)
    l2_0 = _ew(b, _binary(b, l2_0, "%c", batch, H, "addf"), sh, "tanh")
    c2 = _binary(b, l2_0, l2_1, batch, H, "mulf")
    l3_1 = _ew(b, _binary(b, l2_2, l2_3, batch, H, "addf"), sh, "tanh")
    h2 = _ew(b, _binary(b, c2, l3_1, batch, H, "mulf"), sh, "tanh")
    b.lines.append(f"  scf.yield {h2}, {c2} : {_t(sh)}, {_t(sh)}\n  }}")

    def impl(xp, xs, h, c, w, u, bias):
        for t in range(steps):
            z = xs[t] @ w + h @ u + bias
            p = [z[:, k * H:(k + 1) * H] for k in range(8)]
            f = {"sig": xp.sigmoid, "relu": xp.relu, "tanh": xp.tanh}
            l1 = [f[a](v) for v, a in zip(p, act)]
            l2_0 = xp.tanh(xp.tanh(l1[0] * l1[1]) + c)
            l2_1 = xp.tanh(l1[2] + l1[3])
            l2_2 = xp.tanh(l1[4] * l1[5])
            l2_3 = xp.sigmoid(l1[6] + l1[7])
            c = l2_0 * l2_1
            h = xp.tanh(c * xp.tanh(l2_2 + l2_3))
        return h

    return _program(name, b.text("%res#0", sh), shapes, impl,
                    {"steps": steps, "batch": batch, "hidden": H, "scales": _fan_in(shapes, 3, 4, 5)})


def _reduce_all(b: _Builder, x: str, shape, kind: str) -> str:
    """A 0-d tensor: max / min / sum of every element of `x` (rank 1 or 2)."""
    init = b.fill((), {"max": "%ninf", "min": "%pinf", "sum": "%zero"}[kind])
    op = {"max": "arith.maximumf", "min": "arith.minimumf", "sum": "arith.addf"}[kind]
    dims = ", ".join(f"d{i}" for i in range(len(shape)))
    return b.generic([(x, shape, f"affine_map<({dims}) -> ({dims})>")], (),
                     f"    %r = {op} %in0, %out : f32\n    linalg.yield %r : f32",
                     maps_out=f"affine_map<({dims}) -> ()>", iterators=["reduction"] * len(shape), init=init)


def _scalar(b: _Builder, x: str) -> str:
    v = b.fresh()
    b.lines.append(f"  {v} = tensor.extract {x}[] : tensor<f32>")
    return v


def seq2seq(batch: int = 1, hidden: int = 64, vocab: int = 32, max_len: int = 100, eos_slope: float = 0.02,
            name: str = "seq2seq") -> Program:
    """A greedy RNN decoder with an early exit (Cocktailer's Seq2Seq): per step
    h = tanh(e W + h U + b), logits = h V (the end token's logit raised by eos_slope x step, a length
    penalty), the next token the row's argmax (one-hot), e = one-hot x E; a row is done once it
    emits the end token (id 0); the loop stops when every row is done or after max_len steps.
    Arguments: h0 (batch x h), E (vocab x h), W, U (h x h), b (h), V (h x vocab); returns h."""
    B, H, V = batch, hidden, vocab
    shapes = [(B, H), (V, H), (H, H), (H, H), (H,), (H, V)]
    b = _Builder(name, shapes)
    b.lines.append(_C + f"\n  %cL = arith.constant {max_len} : index\n  %pinf = arith.constant 0x7F800000 : f32\n"
                   f"  %half = arith.constant 0.5 : f32\n  %slope = arith.constant {eos_slope!r} : f32")
    e0 = b.fill((B, H))
    d0 = b.fill((B,))
    sh, sv, sb = _t((B, H)), _t((B, V)), _t((B,))
    b.lines.append(f"  %res:4 = scf.while (%h = %arg0, %e = {e0}, %done = {d0}, %t = %c0) : ({sh}, {sh}, {sb}, index) -> "
                   f"({sh}, {sh}, {sb}, index) {{")
    least = _scalar(b, _reduce_all(b, "%done", (B,), "min"))
    b.lines.append(f"  %more = arith.cmpi ult, %t, %cL : index\n  %open = arith.cmpf olt, {least}, %half : f32\n"
                   f"  %go = arith.andi %more, %open : i1\n"
                   f"  scf.condition(%go) %h, %e, %done, %t : {sh}, {sh}, {sb}, index\n  }} do {{\n"
                   f"  ^bb0(%h: {sh}, %e: {sh}, %done: {sb}, %t: index):")
    h2 = _ew(b, _dense2(b, "%e", "%arg2", "%h", "%arg3", "%arg4", B, H, H, H), (B, H), "tanh")
    logits = b.matmul(h2, "%arg5", B, V, H)
    b.lines.append("  %ti = arith.index_cast %t : index to i32\n  %tf = arith.sitofp %ti : i32 to f32\n"
                   "  %pen = arith.mulf %tf, %slope : f32")
    logits = b.generic([(logits, (B, V), ID2)], (B, V),
                       "    %j = linalg.index 1 : index\n    %c0i = arith.constant 0 : index\n"
                       "    %is = arith.cmpi eq, %j, %c0i : index\n    %p = arith.addf %in0, %pen : f32\n"
                       "    %r = arith.select %is, %p, %in0 : f32\n    linalg.yield %r : f32")
    mx = b.generic([(logits, (B, V), ID2)], (B,), "    %r = arith.maximumf %in0, %out : f32\n    linalg.yield %r : f32",
                   maps_out="affine_map<(d0, d1) -> (d0)>", iterators=["parallel", "reduction"], init=b.fill((B,), "%ninf"))
    onehot = b.generic([(logits, (B, V), ID2), (mx, (B,), "affine_map<(d0, d1) -> (d0)>")], (B, V),
                       "    %one = arith.constant 1.0 : f32\n    %z = arith.constant 0.0 : f32\n"
                       "    %is = arith.cmpf oeq, %in0, %in1 : f32\n    %r = arith.select %is, %one, %z : f32\n"
                       "    linalg.yield %r : f32")
    e2 = b.matmul(onehot, "%arg1", B, H, V)
    done2 = b.generic([("%done", (B,), "affine_map<(d0) -> (d0)>"), (onehot, (B, V), "affine_map<(d0) -> (d0, 0)>")],
                      (B,), "    %r = arith.maximumf %in0, %in1 : f32\n    linalg.yield %r : f32")
    b.lines.append(f"  %t2 = arith.addi %t, %c1 : index\n  scf.yield {h2}, {e2}, {done2}, %t2 : {sh}, {sh}, {sb}, index\n  }}")

    def run(xp, h, E, W, U, bias, Vout):
        e, done, t, margin = h * 0, np.zeros(B, dtype=bool), 0, np.inf
        while t < max_len and not done.all():
            h = xp.tanh(e @ W + h @ U + bias)
            logits = h @ Vout
            logits[:, 0] += eos_slope * t
            tok = np.asarray(logits.argmax(1)).astype(np.int64)
            top2 = np.sort(np.asarray(logits, dtype=np.float64), axis=1)[:, -2:]
            margin = min(margin, float((top2[:, 1] - top2[:, 0]).min()))  # how near a tie a decision came
            e = E[tok]
            done |= tok == 0
            t += 1
        return h, t, margin

    return _program(name, b.text("%res#0", (B, H)), shapes, lambda xp, *a: run(xp, *a)[0],
                    {"steps": lambda *a: run(_Numpy, *a)[1], "margin": lambda *a: run(_Numpy, *a)[2],
                     "batch": B, "hidden": H, "vocab": V, "max_len": max_len, "scales": _fan_in(shapes, 2, 3, 4, 5)})


def blockdrop(batch: int = 1, dim: int = 64, blocks: int = 8, name: str = "blockdrop") -> Program:
    """BlockDrop / SkipNet style: `blocks` residual blocks x + tanh(relu(x W1_i) W2_i), each run only
    when its gate says so (the gate: the sign of sum(x g_i), one decision for the whole batch, an
    scf.if on a value computed on the device), in a loop over the blocks.
    Arguments: x (batch x dim), G (blocks x dim), W1, W2 (blocks x dim x dim); returns x."""
    B, D, N = batch, dim, blocks
    shapes = [(B, D), (N, D), (N, D, D), (N, D, D)]
    b = _Builder(name, shapes)
    b.lines.append(_C + f"\n  %cN = arith.constant {N} : index\n  %pinf = arith.constant 0x7F800000 : f32")
    sx = _t((B, D))
    b.lines.append(f"  %res = scf.for %i = %c0 to %cN step %c1 iter_args(%x = %arg0) -> ({sx}) {{")
    g = b.fresh()
    b.lines.append(f"  {g} = tensor.extract_slice %arg1[%i, 0] [1, {D}] [1, 1] : {_t((N, D))} to {_t((D,))}")
    gx = b.generic([("%x", (B, D), ID2), (g, (D,), "affine_map<(d0, d1) -> (d1)>")], (B, D),
                   "    %r = arith.mulf %in0, %in1 : f32\n    linalg.yield %r : f32")
    score = _scalar(b, _reduce_all(b, gx, (B, D), "sum"))
    b.lines.append(f"  %keep = arith.cmpf ogt, {score}, %zero : f32\n  %y = scf.if %keep -> ({sx}) {{")
    w1, w2 = b.fresh(), b.fresh()
    for w, arg in ((w1, "%arg2"), (w2, "%arg3")):
        b.lines.append(f"  {w} = tensor.extract_slice {arg}[%i, 0, 0] [1, {D}, {D}] [1, 1, 1] : "
                       f"{_t((N, D, D))} to {_t((D, D))}")
    inner = _ew(b, b.matmul(_ew(b, b.matmul("%x", w1, B, D, D), (B, D), "relu"), w2, B, D, D), (B, D), "tanh")
    y = _binary(b, "%x", inner, B, D, "addf")
    b.lines.append(f"  scf.yield {y} : {sx}\n  }} else {{\n  scf.yield %x : {sx}\n  }}\n  scf.yield %y : {sx}\n  }}")

    def run(xp, x, G, W1, W2):
        taken = 0
        for i in range(N):
            if float((x * G[i]).sum()) > 0:
                x = x + xp.tanh(xp.relu(x @ W1[i]) @ W2[i])
                taken += 1
        return x, taken

    return _program(name, b.text("%res", (B, D)), shapes, lambda xp, *a: run(xp, *a)[0],
                    {"taken": lambda *a: run(_Numpy, *a)[1], "batch": B, "dim": D, "blocks": N,
                     "scales": _fan_in(shapes, 2, 3)})


def tree(depth: int = 4, batch: int = 1, hidden: int = 64, name: str = "tree") -> Program:
    """A recursive tree model (RAE / Tree-RNN style) over a complete binary tree of `depth`, the
    recursion unrolled: node = tanh(left Wl + right Wr + b), level by level (each level one
    batched operator over its nodes). Arguments: leaves (2^depth x batch x h), Wl, Wr (h x h),
    b (h); returns the root (batch x h)."""
    B, H, n = batch, hidden, 2 ** depth
    shapes = [(n, B, H), (H, H), (H, H), (H,)]
    b = _Builder(name, shapes)
    level = b.fresh()
    b.lines.append(f"  {level} = tensor.collapse_shape %arg0 [[0, 1], [2]] : {_t((n, B, H))} into {_t((n * B, H))}")
    while n > 1:
        half = n // 2
        pairs = b.fresh()
        b.lines.append(f"  {pairs} = tensor.expand_shape {level} [[0, 1, 2], [3]] output_shape [{half}, 2, {B}, {H}] : "
                       f"{_t((n * B, H))} into {_t((half, 2, B, H))}")
        sides = []
        for s in (0, 1):
            v, w = b.fresh(), b.fresh()
            b.lines.append(f"  {v} = tensor.extract_slice {pairs}[0, {s}, 0, 0] [{half}, 1, {B}, {H}] [1, 1, 1, 1] : "
                           f"{_t((half, 2, B, H))} to {_t((half, B, H))}")
            b.lines.append(f"  {w} = tensor.collapse_shape {v} [[0, 1], [2]] : {_t((half, B, H))} into {_t((half * B, H))}")
            sides.append(w)
        rows = half * B
        level = _ew(b, _dense2(b, sides[0], "%arg1", sides[1], "%arg2", "%arg3", rows, H, H, H), (rows, H), "tanh")
        n = half

    def impl(xp, leaves, wl, wr, bias):
        nodes = [leaves[i] for i in range(leaves.shape[0])]
        while len(nodes) > 1:
            nodes = [xp.tanh(nodes[2 * k] @ wl + nodes[2 * k + 1] @ wr + bias) for k in range(len(nodes) // 2)]
        return nodes[0]

    return _program(name, b.text(level, (B, H)), shapes, impl,
                    {"depth": depth, "batch": B, "hidden": H, "scales": _fan_in(shapes, 1, 2, 3)})
