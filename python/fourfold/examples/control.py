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


def lstm(steps: int = 100, batch: int = 1, inputs: int = 64, hidden: int = 64, name: str = "lstm_loop") -> Program:
    """nn.LSTM (one layer) over `steps`: per step gates = x_t W + h U + b (the four gates in one
    matmul each, PyTorch's i, f, g, o order), c' = s(f) c + s(i) tanh(g), h' = s(o) tanh(c').
    Arguments: xs (steps x batch x inputs), h0, c0, W (inputs x 4h), U (h x 4h), b (4h); returns h."""
    H = hidden
    shapes = [(steps, batch, inputs), (batch, H), (batch, H), (inputs, 4 * H), (H, 4 * H), (4 * H,)]
    b = _Builder(name, shapes)
    b.lines.append(_C + f"\n  %cT = arith.constant {steps} : index")
    b.lines.append(f"  %res:2 = scf.for %t = %c0 to %cT step %c1 iter_args(%h = %arg1, %c = %arg2) -> "
                   f"({_t((batch, H))}, {_t((batch, H))}) {{")
    x = _step(b, "%arg0", "%t", steps, batch, inputs)
    gates = _dense2(b, x, "%arg3", "%h", "%arg4", "%arg5", batch, inputs, H, 4 * H)
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
                    {"steps": steps, "batch": batch, "hidden": H, "inputs": inputs})


def nasrnn(steps: int = 100, batch: int = 1, inputs: int = 64, hidden: int = 64, name: str = "nasrnn") -> Program:
    """The NAS recurrent cell (Zoph & Le; TensorFlow's NASCell, Cocktailer's NASRNN) over `steps`:
    eight preactivations x W + h U + b, a tree of sigmoid / relu / tanh combinations."""
    H = hidden
    shapes = [(steps, batch, inputs), (batch, H), (batch, H), (inputs, 8 * H), (H, 8 * H), (8 * H,)]
    b = _Builder(name, shapes)
    b.lines.append(_C + f"\n  %cT = arith.constant {steps} : index")
    b.lines.append(f"  %res:2 = scf.for %t = %c0 to %cT step %c1 iter_args(%h = %arg1, %c = %arg2) -> "
                   f"({_t((batch, H))}, {_t((batch, H))}) {{")
    x = _step(b, "%arg0", "%t", steps, batch, inputs)
    m = _dense2(b, x, "%arg3", "%h", "%arg4", "%arg5", batch, inputs, H, 8 * H)
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

    return _program(name, b.text("%res#0", sh), shapes, impl, {"steps": steps, "batch": batch, "hidden": H})
