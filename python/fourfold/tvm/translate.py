"""Relax functions (what fourfold's patterns offloaded) to linalg-on-tensors MLIR text.

One Relax function marked `Codegen: fourfold` becomes one func.func. Its body calls composite
functions (one per matched pattern); each is translated inline, so the whole region is one MLIR
function that welder can fuse across. Weights arrive as arguments (the Relax VM passes its
constants); scalars partition_for_fourfold bound into the function are literals.

This module is pure Python: it reads TVM objects and writes text with fourfold.frontend.emit, and
never loads libMLIR, so it runs in the process that owns TVM while compilation can run elsewhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import FourfoldError
from ..frontend.emit import FunctionWriter, Value, is_float, tensor_type, typed_literal

# Relax dtype -> MLIR element type (unsigned types are left to TVM: arith has no unsigned ops).
DTYPES = {"float32": "f32", "float64": "f64", "float16": "f16", "int64": "i64", "int32": "i32",
          "int16": "i16", "int8": "i8", "bool": "i1"}
NUMPY = {"f32": np.float32, "f64": np.float64, "f16": np.float16, "i64": np.int64, "i32": np.int32,
         "i16": np.int16, "i8": np.int8, "i1": np.bool_}


class UnsupportedError(FourfoldError):
    """A Relax construct fourfold does not translate (patterns keep such ops in TVM)."""


class SymbolicShapeError(UnsupportedError):
    """fourfold compiles static shapes only."""


# --------------------------------------------------------------------------- #
# Types
# --------------------------------------------------------------------------- #

def static_shape(ty, what: str = "a value") -> tuple[int, ...]:
    """The static shape of a Relax TensorType; SymbolicShapeError when a dimension is symbolic or
    the rank unknown."""
    shape = getattr(ty, "shape", None)
    values = getattr(shape, "values", None)
    if values is None:
        raise SymbolicShapeError(f"{what} has type {ty}: its shape is unknown; fourfold compiles static shapes only")
    dims = []
    for v in values:
        if not hasattr(v, "value") or type(v).__name__ != "IntImm":
            raise SymbolicShapeError(f"{what} has type {ty}: dimension {v} is symbolic; fourfold compiles "
                                     "static shapes only (bind the shape, or leave this function to TVM)")
        dims.append(int(v.value))
    return tuple(dims)


def element_type(ty, what: str = "a value") -> str:
    dtype = str(getattr(ty, "dtype", ""))
    if dtype not in DTYPES:
        raise UnsupportedError(f"{what} has element type '{dtype}', which fourfold does not compile")
    return DTYPES[dtype]


def tensor_spec(ty, what: str) -> tuple[tuple[int, ...], str]:
    if type(ty).__name__ != "TensorType":
        raise UnsupportedError(f"{what} has type {ty}; fourfold functions take and return tensors")
    return static_shape(ty, what), element_type(ty, what)


# --------------------------------------------------------------------------- #
# Values of the translation
# --------------------------------------------------------------------------- #

@dataclass
class Const:
    """A constant whose value the translation knows (a bound scalar, or a constant the function
    holds); materialised as an arith.constant only where a tensor is needed."""

    array: np.ndarray
    dtype: str

    @property
    def shape(self):
        return tuple(self.array.shape)


@dataclass
class Broadcast:
    """broadcast_to(source, shape), not yet written: a matmul whose operand is a broadcast of a
    matrix multiplies the matrix itself."""

    source: object  # Value | Const
    shape: tuple[int, ...]
    dtype: str


def _int(x) -> int:
    return int(x.value) if hasattr(x, "value") else int(x)


def _ints(xs) -> list[int]:
    if xs is None:
        return None
    if hasattr(xs, "fields"):
        xs = xs.fields
    if hasattr(xs, "values") and not isinstance(xs, (list, tuple)):
        xs = xs.values
    return [_int(x) for x in xs]


def _scalar_value(x):
    """A Python number from a FloatImm / IntImm / PrimValue."""
    if hasattr(x, "value") and not hasattr(x.value, "numpy"):
        v = x.value
        return v if not hasattr(v, "value") else v.value
    raise UnsupportedError(f"expected a constant number, got {x}")


class Translator:
    """Translates one Relax function (with its composite functions) into one func.func."""

    def __init__(self, name: str):
        self.w = FunctionWriter(name)
        self.env: dict = {}     # relax Var -> Value | Const | Broadcast | relax.Function | list
        self.current = None     # the relax Call being translated (for messages)

    # -- errors ----------------------------------------------------------------------------------
    def unsupported(self, detail: str) -> UnsupportedError:
        what = self.current.op.name if self.current is not None and hasattr(self.current.op, "name") else "?"
        return UnsupportedError(f"{what}: {detail}")

    # -- operands --------------------------------------------------------------------------------
    def const_tensor(self, c: Const) -> Value:
        """An arith.constant holding c."""
        v = Value(self.w.fresh(), c.shape, c.dtype)
        flat = c.array.reshape(-1)
        if flat.size and np.all(flat == flat[0]):
            body = _literal(flat[0], c.dtype)
        elif c.dtype != "i1" and flat.size > 16:
            body = '"0x' + np.ascontiguousarray(c.array.astype(NUMPY[c.dtype])).tobytes().hex().upper() + '"'
        else:
            body = _nested(c.array, c.dtype)
        self.w.emit(f"{v.name} = arith.constant dense<{body}> : {v.type}")
        return v

    def tensor(self, x) -> Value:
        """x as an SSA tensor value (writes constants and pending broadcasts)."""
        if isinstance(x, Value):
            return x
        if isinstance(x, Const):
            return self.const_tensor(x)
        if isinstance(x, Broadcast):
            return self.w.broadcast_to(self.tensor(x.source), x.shape)
        raise self.unsupported(f"expected a tensor operand, got {type(x).__name__}")

    def operand(self, expr):
        """The translation's value of a Relax argument expression."""
        kind = type(expr).__name__
        if kind in ("Var", "DataflowVar"):
            if expr not in self.env:
                raise self.unsupported(f"'{expr.name}' is not defined in the offloaded function")
            return self.env[expr]
        if kind in ("GenericConst", "Constant"):
            shape, dtype = tensor_spec(expr.ty, "a constant")
            return Const(np.asarray(expr.value.numpy()).reshape(shape), dtype)
        if kind == "Tuple":
            return [self.operand(f) for f in expr.fields]
        if kind == "TupleGetItem":
            return self.operand(expr.tuple_value)[expr.index]
        if kind == "PrimValue":
            return expr.value
        if kind in ("IntImm", "FloatImm", "BoolImm"):
            return expr.value
        if kind == "ShapeExpr":
            return tuple(_int(v) for v in expr.values)
        raise self.unsupported(f"operand {kind} is not supported")

    # -- the walk -----------------------------------------------------------------------------
    def function(self, fn, args: list) -> object:
        """Translate fn's body with its parameters bound to `args`; returns its result."""
        for p, a in zip(fn.params, args):
            self.env[p] = a
        body = fn.body
        for block in body.blocks:
            for binding in block.bindings:
                if type(binding).__name__ != "VarBinding":
                    raise UnsupportedError(f"{type(binding).__name__} bindings are not supported")
                self.env[binding.var] = self.expr(binding.value)
        return self.expr(body.body)

    def expr(self, e):
        kind = type(e).__name__
        if kind == "Function":
            return e
        if kind != "Call":
            return self.operand(e)
        op = e.op
        if type(op).__name__ in ("Var", "DataflowVar", "GlobalVar"):
            fn = self.env.get(op)
            if type(fn).__name__ != "Function":
                raise UnsupportedError(f"call of {op}, which is not a composite function of this region")
            return self.function(fn, [self.operand(a) for a in e.args])
        name = getattr(op, "name", None)
        handler = HANDLERS.get(name)
        if handler is None:
            raise UnsupportedError(f"{name}: fourfold has no translation for this operator")
        outer, self.current = self.current, e
        try:
            out_shape, out_dtype = None, None
            if type(e.ty).__name__ == "TensorType":
                out_shape, out_dtype = tensor_spec(e.ty, f"the result of {name}")
            return handler(self, e, [self.operand(a) for a in e.args], out_shape, out_dtype)
        finally:
            self.current = outer

    # -- elementwise helpers ---------------------------------------------------------------------
    def ew(self, operands, shape, out_dtype, fn, compute: str | None = None, fn_dtype: str | None = None):
        """Elementwise: `fn(scalar, args, t)` computes in `compute` (default out_dtype) on the
        operands cast to it and yields `fn_dtype` (default compute), cast to out_dtype; scalar
        constants become literals in the body, broadcasts read their source."""
        compute = compute or out_dtype
        fn_dtype = fn_dtype or compute
        tensors, slots = [], []
        for o in operands:
            if isinstance(o, Const) and o.array.size == 1 and len(o.shape) <= len(shape):
                slots.append(("lit", o.array.reshape(-1)[0], o.dtype))
            elif isinstance(o, (Value, Const, Broadcast)):
                t = self.tensor(o.source if isinstance(o, Broadcast) else o)
                slots.append(("in", len(tensors), t.dtype))
                tensors.append(t)
            else:  # a Python number
                slots.append(("lit", o, compute))

        def body(s, args):
            vals = []
            for kind, what, dtype in slots:
                if kind == "in":
                    vals.append(s.cast(args[what], dtype, compute))
                else:
                    vals.append(s.const(_py(what, dtype if dtype != compute else compute), compute))
            return s.cast(fn(s, vals, compute), fn_dtype, out_dtype)

        return self.w.elementwise(tensors, shape, out_dtype, body)


def _py(value, dtype):
    if dtype == "i1":
        return bool(value)
    return float(value) if is_float(dtype) else int(value)


def _literal(value, dtype: str) -> str:
    return typed_literal(_py(value, dtype), dtype).split(" : ")[0]


def _nested(array: np.ndarray, dtype: str) -> str:
    if array.ndim == 0:
        return _literal(array.item(), dtype)
    return "[" + ", ".join(_nested(a, dtype) for a in array) + "]"


# --------------------------------------------------------------------------- #
# Operators
# --------------------------------------------------------------------------- #

HANDLERS: dict = {}


def op(*names):
    def register(fn):
        for n in names:
            HANDLERS["relax." + n] = fn
        return fn
    return register


def _arith(kind: str, t: str) -> str:
    f = is_float(t)
    return {"add": "arith.addf" if f else "arith.addi", "sub": "arith.subf" if f else "arith.subi",
            "mul": "arith.mulf" if f else "arith.muli", "div": "arith.divf" if f else "arith.divsi",
            "max": "arith.maximumf" if f else "arith.maxsi", "min": "arith.minimumf" if f else "arith.minsi"}[kind]


def _binary(kind):
    def handler(tr, call, args, shape, t):
        return tr.ew(args, shape, t, lambda s, a, c: s.op(_arith(kind, c), a[0], a[1], dtype=c))
    return handler


for _name, _kind in (("add", "add"), ("subtract", "sub"), ("multiply", "mul"), ("divide", "div"),
                     ("maximum", "max"), ("minimum", "min")):
    op(_name)(_binary(_kind))


@op("power")
def _power(tr, call, args, shape, t):
    b = args[1]
    if isinstance(b, Const) and b.array.size == 1:
        p = float(b.array.reshape(-1)[0])
        if p == 2:
            return tr.ew(args[:1], shape, t, lambda s, a, c: s.op("arith.mulf", a[0], a[0], dtype=c))
        if p == 0.5:
            return tr.ew(args[:1], shape, t, lambda s, a, c: s.op("math.sqrt", a[0], dtype=c))
    return tr.ew(args, shape, t, lambda s, a, c: s.op("math.powf", a[0], a[1], dtype=c))


def _compare(kind):
    def handler(tr, call, args, shape, t):
        dts = [a.dtype for a in args if isinstance(a, (Value, Const, Broadcast))]
        compute = dts[0] if dts else "f32"
        return tr.ew(args, shape, "i1", lambda s, a, c: s.cmp(kind, a[0], a[1], c), compute=compute, fn_dtype="i1")
    return handler


for _name, _kind in (("equal", "eq"), ("not_equal", "ne"), ("less", "lt"), ("less_equal", "le"),
                     ("greater", "gt"), ("greater_equal", "ge")):
    op(_name)(_compare(_kind))


def _logical(mop):
    def handler(tr, call, args, shape, t):
        return tr.ew(args, shape, "i1", lambda s, a, c: s.op(mop, a[0], a[1], dtype="i1"), compute="i1")
    return handler


for _name, _mop in (("logical_and", "arith.andi"), ("logical_or", "arith.ori"), ("logical_xor", "arith.xori")):
    op(_name)(_logical(_mop))


@op("logical_not")
def _logical_not(tr, call, args, shape, t):
    return tr.ew(args, shape, "i1", lambda s, a, c: s.cmp("eq", a[0], s.const(False, "i1"), "i1"), compute="i1")


def _unary(fn, float_only=True):
    def handler(tr, call, args, shape, t):
        if float_only and not is_float(t):
            raise tr.unsupported(f"on {t} tensors")
        return tr.ew(args[:1], shape, t, fn)
    return handler


_MATH = {"exp": "math.exp", "log": "math.log", "sqrt": "math.sqrt", "rsqrt": "math.rsqrt", "tanh": "math.tanh",
         "erf": "math.erf", "sin": "math.sin", "cos": "math.cos", "floor": "math.floor", "ceil": "math.ceil"}
for _name, _m in _MATH.items():
    op(_name)(_unary(lambda s, a, c, _m=_m: s.op(_m, a[0], dtype=c)))


def _sigmoid_of(s, x, c):
    e = s.op("math.exp", s.op("arith.negf", x, dtype=c), dtype=c)
    return s.op("arith.divf", s.const(1.0, c), s.op("arith.addf", s.const(1.0, c), e, dtype=c), dtype=c)


op("sigmoid")(_unary(lambda s, a, c: _sigmoid_of(s, a[0], c)))
op("nn.silu")(_unary(lambda s, a, c: s.op("arith.mulf", a[0], _sigmoid_of(s, a[0], c), dtype=c)))
op("nn.relu")(_unary(lambda s, a, c: s.op(_arith("max", c), a[0], s.const(0, c), dtype=c), float_only=False))
op("negative")(_unary(lambda s, a, c: s.op("arith.negf", a[0], dtype=c) if is_float(c)
                      else s.op("arith.subi", s.const(0, c), a[0], dtype=c), float_only=False))
op("abs")(_unary(lambda s, a, c: s.op("math.absf" if is_float(c) else "math.absi", a[0], dtype=c), float_only=False))
op("square")(_unary(lambda s, a, c: s.op(_arith("mul", c), a[0], a[0], dtype=c), float_only=False))


def _gelu(tanh: bool):
    def fn(s, a, c):
        x = a[0]
        half = s.op("arith.mulf", x, s.const(0.5, c), dtype=c)
        if tanh:
            x3 = s.op("arith.mulf", s.op("arith.mulf", x, x, dtype=c), x, dtype=c)
            inner = s.op("arith.addf", x, s.op("arith.mulf", x3, s.const(0.044715, c), dtype=c), dtype=c)
            th = s.op("math.tanh", s.op("arith.mulf", inner, s.const(math.sqrt(2 / math.pi), c), dtype=c), dtype=c)
        else:
            th = s.op("math.erf", s.op("arith.mulf", x, s.const(1 / math.sqrt(2), c), dtype=c), dtype=c)
        return s.op("arith.mulf", half, s.op("arith.addf", s.const(1.0, c), th, dtype=c), dtype=c)
    return fn


op("nn.gelu")(_unary(_gelu(False)))
op("nn.gelu_tanh")(_unary(_gelu(True)))


@op("nn.leakyrelu")
def _leaky(tr, call, args, shape, t):
    alpha = float(call.attrs.alpha)

    def fn(s, a, c):
        pos = s.cmp("gt", a[0], s.const(0.0, c), c)
        return s.select(pos, a[0], s.op("arith.mulf", a[0], s.const(alpha, c), dtype=c), c)
    return tr.ew(args[:1], shape, t, fn)


@op("clip")
def _clip(tr, call, args, shape, t):
    lo, hi = _scalar_value(call.args[1]), _scalar_value(call.args[2])

    def fn(s, a, c):
        r = s.op(_arith("max", c), a[0], s.const(_py(lo, c), c), dtype=c)
        return s.op(_arith("min", c), r, s.const(_py(hi, c), c), dtype=c)
    return tr.ew(args[:1], shape, t, fn)


@op("astype")
def _astype(tr, call, args, shape, t):
    x = args[0]
    if isinstance(x, Const):
        return Const(x.array.astype(NUMPY[t]), t)
    return tr.w.cast(tr.tensor(x), t)


@op("where")
def _where(tr, call, args, shape, t):
    cond = args[0]
    # the condition stays i1; both branches in t
    ctype = cond.dtype if isinstance(cond, (Value, Const, Broadcast)) else "i1"
    tensors, slots = [], []
    for i, o in enumerate(args):
        want = ctype if i == 0 else t
        if isinstance(o, Const) and o.array.size == 1:
            slots.append(("lit", o.array.reshape(-1)[0], want))
        else:
            tv = tr.tensor(o)
            slots.append(("in", len(tensors), tv.dtype, want))
            tensors.append(tv)

    def body(s, names):
        vals = []
        for slot in slots:
            if slot[0] == "in":
                vals.append(s.cast(names[slot[1]], slot[2], slot[3]))
            else:
                vals.append(s.const(_py(slot[1], slot[2]), slot[2]))
        c = vals[0] if ctype == "i1" else s.cast(vals[0], ctype, "i1")
        return s.select(c, vals[1], vals[2], t)
    return tr.w.elementwise(tensors, shape, t, body)


@op("full_like", "full")
def _full(tr, call, args, shape, t):
    value = args[1]  # full_like(x, value) and full(shape, value)
    if isinstance(value, Const):
        if value.array.size != 1:
            raise tr.unsupported("a fill value that is not a scalar")
        return tr.w.full(shape, _py(value.array.reshape(-1)[0], t), t)
    # a fill value only known at run time: broadcast the 0-d tensor
    return tr.w.broadcast_to(tr.w.cast(tr.tensor(value), t), shape)


@op("zeros_like", "zeros")
def _zeros(tr, call, args, shape, t):
    return tr.w.full(shape, 0, t)


@op("ones_like", "ones")
def _ones(tr, call, args, shape, t):
    return tr.w.full(shape, 1, t)


# -- shapes -------------------------------------------------------------------------------------------

@op("reshape", "expand_dims", "squeeze", "flatten")
def _reshape(tr, call, args, shape, t):
    x = args[0]
    if isinstance(x, Const):
        return Const(x.array.reshape(shape), t)
    return tr.w.reshape(tr.tensor(x), shape)


@op("permute_dims")
def _permute(tr, call, args, shape, t):
    x = args[0]
    rank = len(shape)
    axes = _ints(call.attrs.axes) if call.attrs.axes is not None else list(reversed(range(rank)))
    if isinstance(x, Const):
        return Const(np.transpose(x.array, axes), t)
    return tr.w.transpose(tr.tensor(x), axes)


@op("broadcast_to")
def _broadcast(tr, call, args, shape, t):
    x = args[0]
    if isinstance(x, (Value, Const)) and tuple(x.shape) == tuple(shape):
        return x
    if isinstance(x, Broadcast):
        x = x.source
    return Broadcast(x, tuple(shape), t)


@op("take")
def _take(tr, call, args, shape, t):
    x, idx = args
    if not isinstance(idx, Const):
        raise tr.unsupported("indices known only at run time (gathers stay in TVM)")
    x = tr.tensor(x)
    axis = _int(call.attrs.axis) % x.rank if call.attrs.axis is not None else None
    if axis is None:
        raise tr.unsupported("take without an axis")
    index = idx.array.astype(np.int64) % x.shape[axis]
    if index.ndim == 0:
        offsets, sizes = [0] * x.rank, list(x.shape)
        offsets[axis], sizes[axis] = int(index), 1
        return tr.w.extract_slice(x, offsets, sizes, [1] * x.rank, shape)
    parts = []
    for i in index.reshape(-1):
        offsets, sizes = [0] * x.rank, list(x.shape)
        offsets[axis], sizes[axis] = int(i), 1
        parts.append(tr.w.extract_slice(x, offsets, sizes, [1] * x.rank))
    joined = tr.w.concat(parts, axis) if len(parts) > 1 else parts[0]
    return tr.w.reshape(joined, shape)


@op("strided_slice")
def _strided_slice(tr, call, args, shape, t):
    x = tr.tensor(args[0])
    axes, begin, end = (_ints(a) for a in call.args[1:4])
    strides = _ints(call.args[4]) if len(call.args) > 4 and call.args[4] is not None else [1] * len(axes)
    offsets, step = [0] * x.rank, [1] * x.rank
    for a, b, s in zip(axes, begin, strides):
        a %= x.rank
        if s <= 0:
            raise tr.unsupported("negative strides")
        n = x.shape[a]
        offsets[a] = max(0, min(n, b + n if b < 0 else b))
        step[a] = s
    return tr.w.extract_slice(x, offsets, shape, step)


@op("concat")
def _concat(tr, call, args, shape, t):
    xs = [tr.w.cast(tr.tensor(x), t) for x in args[0]]
    axis = _int(call.attrs.axis) % len(shape)
    return tr.w.concat(xs, axis)


@op("split")
def _split(tr, call, args, shape, t):
    x = tr.tensor(args[0])
    axis = _int(call.attrs.axis) % x.rank
    out = []
    at = 0
    for field in call.ty.fields:
        fshape, _ = tensor_spec(field, "a split result")
        offsets, sizes = [0] * x.rank, list(fshape)
        offsets[axis] = at
        out.append(tr.w.extract_slice(x, offsets, sizes, [1] * x.rank))
        at += fshape[axis]
    return out


# -- contractions -------------------------------------------------------------------------------------

def _source2d(b):
    """The matrix behind b when b is a broadcast of a matrix along leading dimensions."""
    if isinstance(b, Broadcast) and len(b.source.shape) == 2 and tuple(b.shape[-2:]) == tuple(b.source.shape):
        return b.source
    if isinstance(b, (Value, Const)) and len(b.shape) == 2:
        return b
    return None


@op("matmul")
def _matmul(tr, call, args, shape, t):
    if not is_float(t):
        raise tr.unsupported("integer matmul")
    a, b = args
    a_shape, b_shape = tuple(a.shape), tuple(b.shape)
    if len(a_shape) == 1 or len(b_shape) == 1:
        raise tr.unsupported("matmul with a vector operand")
    m, k = a_shape[-2:]
    n = b_shape[-1]
    w = _source2d(b)
    if w is not None:
        # x @ W with any leading dimensions on x: one (batch*m, k) x (k, n) matmul
        a_src = a.source if isinstance(a, Broadcast) and len(a.source.shape) == len(a_shape) else a
        x = tr.w.cast(tr.tensor(a_src), t)
        rows = int(np.prod(x.shape[:-1]))
        lead = tuple(x.shape[:-2])
        y = tr.w.matmul(tr.w.reshape(x, (rows, k)), tr.w.cast(tr.tensor(w), t))
        y = tr.w.reshape(y, lead + (m, n))
        return tr.w.broadcast_to(y, shape) if tuple(y.shape) != tuple(shape) else y
    batch = tuple(shape[:-2])
    count = int(np.prod(batch)) if batch else 1
    xa = tr.w.cast(tr.tensor(a if tuple(a_shape[:-2]) == batch else Broadcast(a, batch + (m, k), a.dtype)), t)
    xb = tr.w.cast(tr.tensor(b if tuple(b_shape[:-2]) == batch else Broadcast(b, batch + (k, n), b.dtype)), t)
    if not batch:
        return tr.w.matmul(xa, xb)
    y = tr.w.matmul(tr.w.reshape(xa, (count, m, k)), tr.w.reshape(xb, (count, k, n)))
    return tr.w.reshape(y, shape)


# How a batch-1 convolution is written: "im2col" (the patches as a (C*KH*KW, OH*OW) matrix, then
# one matmul with the (F, C*KH*KW) filter, whose result is already NCHW: roller's matmul tiling
# applies) or "direct" (linalg.conv_2d_nchw_fchw).
import os as _os

CONV_LOWERING = _os.environ.get("FOURFOLD_TVM_CONV", "im2col")


def _conv_im2col(tr, x: Value, w: Value, strides, dilation, shape, t):
    _, c, _, _ = x.shape
    f, _, kh, kw = w.shape
    oh, ow = shape[2], shape[3]
    sh, sw = strides
    dh, dw = dilation
    if (kh, kw) == (1, 1) and (sh, sw) == (1, 1):
        cols = tr.w.reshape(x, (c, oh * ow))
    else:
        # cols[c, i, j, y, z] = x[0, c, y*sh + i*dh, z*sw + j*dw]
        x3 = tr.w.reshape(x, x.shape[1:])
        out = tr.w.empty((c, kh, kw, oh, ow), t)
        src = f"affine_map<(d0, d1, d2, d3, d4) -> (d0, d3 * {sh} + d1 * {dh}, d4 * {sw} + d2 * {dw})>"
        patches = tr.w.generic([(x3, src)], out, _identity5(), ["parallel"] * 5, lambda s, a, o: a[0])
        cols = tr.w.reshape(patches, (c * kh * kw, oh * ow))
    y = tr.w.matmul(tr.w.reshape(w, (f, c * kh * kw)), cols)
    return tr.w.reshape(y, shape)


def _identity5():
    return "affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>"


@op("nn.conv2d")
def _conv2d(tr, call, args, shape, t):
    at = call.attrs
    if str(at.data_layout) != "NCHW" or str(at.kernel_layout) != "OIHW" or str(at.out_layout or "NCHW") != "NCHW":
        raise tr.unsupported(f"layout {at.data_layout}/{at.kernel_layout} (NCHW/OIHW is supported)")
    x, w = tr.w.cast(tr.tensor(args[0]), t), tr.w.cast(tr.tensor(args[1]), t)
    strides, dilation = _ints(at.strides), _ints(at.dilation)
    pad = _ints(at.padding)  # top, left, bottom, right
    if len(pad) == 2:
        pad = pad * 2
    groups = _int(at.groups)
    x = tr.w.pad(x, [0, 0, pad[0], pad[1]], [0, 0, pad[2], pad[3]], 0)
    attrs = (f"{{dilations = dense<[{dilation[0]}, {dilation[1]}]> : tensor<2xi64>, "
             f"strides = dense<[{strides[0]}, {strides[1]}]> : tensor<2xi64>}}")
    n, cin = x.shape[:2]
    cout = w.shape[0]
    if groups == 1 and n == 1 and CONV_LOWERING == "im2col":
        return _conv_im2col(tr, x, w, strides, dilation, shape, t)
    if groups == 1:
        return tr.w.named("conv_2d_nchw_fchw", [x, w], tr.w.full(shape, 0, t), attrs)
    if groups == cin and cout == cin:
        wd = tr.w.reshape(w, (cout,) + w.shape[2:])
        return tr.w.named("depthwise_conv_2d_nchw_chw", [x, wd], tr.w.full(shape, 0, t), attrs)
    g = groups
    xg = tr.w.reshape(x, (n, g, cin // g) + x.shape[2:])
    wg = tr.w.reshape(w, (g, cout // g) + w.shape[1:])
    out = tr.w.full((n, g, cout // g) + tuple(shape[2:]), 0, t)
    return tr.w.reshape(tr.w.named("conv_2d_ngchw_gfchw", [xg, wg], out, attrs), shape)


# -- reductions and normalisations ----------------------------------------------------------------------

def _axes(call, rank):
    axis = call.attrs.axis
    if axis is None:
        return list(range(rank))
    return sorted({a % rank for a in _ints(axis)})


def _reduce(tr, x: Value, dims, kind, keepdims, t):
    if not is_float(x.dtype) and x.dtype != "i64":
        # emit.reduce's integer identities are i64's; reduce narrower integers in i64
        r = tr.w.reduce(tr.w.cast(x, "i64"), dims, kind, keepdims, "i64")
        return tr.w.cast(r, t)
    return tr.w.reduce(x, dims, kind, keepdims, t)


def _reduction(kind):
    def handler(tr, call, args, shape, t):
        x = tr.tensor(args[0])
        return _reduce(tr, x, _axes(call, x.rank), kind, bool(call.attrs.keepdims), t)
    return handler


for _name, _kind in (("sum", "sum"), ("max", "max"), ("min", "min")):
    op(_name)(_reduction(_kind))


def _mean_of(tr, x: Value, dims, keepdims=True):
    t = x.dtype
    n = int(np.prod([x.shape[d] for d in dims])) if dims else 1
    total = tr.w.reduce(x, dims, "sum", keepdims, t)
    return tr.w.elementwise([total], total.shape, t, lambda s, a: s.op("arith.divf", a[0], s.const(float(n), t), dtype=t))


@op("mean")
def _mean(tr, call, args, shape, t):
    x = tr.tensor(args[0])
    if not is_float(t):
        raise tr.unsupported("integer mean")
    return _mean_of(tr, x, _axes(call, x.rank), bool(call.attrs.keepdims))


@op("variance")
def _variance(tr, call, args, shape, t):
    x = tr.tensor(args[0])
    dims = _axes(call, x.rank)
    mean = _mean_of(tr, x, dims)
    sq = tr.w.elementwise([x, mean], x.shape, t, lambda s, a: s.op(
        "arith.mulf", s.op("arith.subf", a[0], a[1], dtype=t), s.op("arith.subf", a[0], a[1], dtype=t), dtype=t))
    return _mean_of(tr, sq, dims, bool(call.attrs.keepdims))


@op("nn.softmax", "nn.log_softmax")
def _softmax(tr, call, args, shape, t):
    x = tr.tensor(args[0])
    dim = _int(call.attrs.axis) % x.rank
    mx = tr.w.reduce(x, [dim], "max", True)
    e = tr.w.elementwise([x, mx], x.shape, t, lambda s, a: s.op(
        "math.exp", s.op("arith.subf", a[0], a[1], dtype=t), dtype=t))
    total = tr.w.reduce(e, [dim], "sum", True)
    if call.op.name.endswith("log_softmax"):
        return tr.w.elementwise([x, mx, total], x.shape, t, lambda s, a: s.op(
            "arith.subf", s.op("arith.subf", a[0], a[1], dtype=t), s.op("math.log", a[2], dtype=t), dtype=t))
    return tr.w.elementwise([e, total], x.shape, t, lambda s, a: s.op("arith.divf", a[0], a[1], dtype=t))


@op("nn.layer_norm")
def _layer_norm(tr, call, args, shape, t):
    x = tr.tensor(args[0])
    at = call.attrs
    dims = sorted({a % x.rank for a in _ints(at.axes)})
    if dims != list(range(x.rank - len(dims), x.rank)):
        raise tr.unsupported("normalising axes that are not the last ones")
    eps = float(at.epsilon)
    mean = _mean_of(tr, x, dims)
    centered = tr.w.elementwise([x, mean], x.shape, t, lambda s, a: s.op("arith.subf", a[0], a[1], dtype=t))
    var = _mean_of(tr, tr.w.elementwise([centered], x.shape, t, lambda s, a: s.op("arith.mulf", a[0], a[0], dtype=t)), dims)
    operands = [centered, var]
    if at.scale:
        operands.append(tr.tensor(args[1]))
    if at.center:
        operands.append(tr.tensor(args[2]))

    def fn(s, a):
        r = s.op("arith.mulf", a[0], s.op("math.rsqrt", s.op("arith.addf", a[1], s.const(eps, t), dtype=t), dtype=t), dtype=t)
        i = 2
        if at.scale:
            r, i = s.op("arith.mulf", r, a[i], dtype=t), i + 1
        if at.center:
            r = s.op("arith.addf", r, a[i], dtype=t)
        return r
    return tr.w.elementwise(operands, x.shape, t, fn)


@op("nn.batch_norm")
def _batch_norm(tr, call, args, shape, t):
    at = call.attrs
    if bool(getattr(at, "training", False)):
        raise tr.unsupported("batch norm in training mode")
    x = tr.tensor(args[0])
    t = x.dtype  # the call's result is a tuple: the element type comes from the input
    axis = _int(at.axis) % x.rank
    c = x.shape[axis]
    per = tuple(c if i == axis else 1 for i in range(x.rank))
    gamma, beta, mean, var = args[1:5]
    eps = float(at.epsilon)
    if all(isinstance(p, Const) for p in (gamma, beta, mean, var)):
        g = gamma.array.astype(np.float64) if at.scale else np.ones(c)
        b = beta.array.astype(np.float64) if at.center else np.zeros(c)
        scale = g / np.sqrt(var.array.astype(np.float64) + eps)
        shift = b - mean.array.astype(np.float64) * scale
        sc = tr.tensor(Const(scale.astype(NUMPY[t]).reshape(per), t))
        sh = tr.tensor(Const(shift.astype(NUMPY[t]).reshape(per), t))
        y = tr.w.elementwise([x, sc, sh], x.shape, t, lambda s, a: s.op(
            "arith.addf", s.op("arith.mulf", a[0], a[1], dtype=t), a[2], dtype=t))
    else:
        parts = [tr.w.reshape(tr.tensor(p), per) for p in (gamma, beta, mean, var)]

        def fn(s, a):
            inv = s.op("math.rsqrt", s.op("arith.addf", a[4], s.const(eps, t), dtype=t), dtype=t)
            r = s.op("arith.mulf", s.op("arith.subf", a[0], a[3], dtype=t), inv, dtype=t)
            if at.scale:
                r = s.op("arith.mulf", r, a[1], dtype=t)
            if at.center:
                r = s.op("arith.addf", r, a[2], dtype=t)
            return r
        y = tr.w.elementwise([x] + parts, x.shape, t, fn)
    # (normalised, running mean, running var): inference uses the first
    return [y, tr.tensor(mean), tr.tensor(var)]


# -- pooling -------------------------------------------------------------------------------------------

def _pool_attrs(call):
    at = call.attrs
    if str(at.layout) != "NCHW" or str(getattr(at, "out_layout", "NCHW") or "NCHW") != "NCHW":
        raise UnsupportedError(f"{call.op.name}: layout {at.layout} (NCHW is supported)")
    if bool(at.ceil_mode):
        raise UnsupportedError(f"{call.op.name}: ceil_mode")
    k, strides, dil = _ints(at.pool_size), _ints(at.strides), _ints(at.dilation)
    pad = _ints(at.padding)
    if len(pad) == 2:
        pad = pad * 2
    attrs = (f"{{dilations = dense<[{dil[0]}, {dil[1]}]> : tensor<2xi64>, "
             f"strides = dense<[{strides[0]}, {strides[1]}]> : tensor<2xi64>}}")
    return k, pad, attrs


@op("nn.max_pool2d")
def _max_pool(tr, call, args, shape, t):
    k, pad, attrs = _pool_attrs(call)
    x = tr.w.pad(tr.tensor(args[0]), [0, 0, pad[0], pad[1]], [0, 0, pad[2], pad[3]], -math.inf)
    return tr.w.named("pooling_nchw_max", [x, tr.w.empty(k, t)], tr.w.full(shape, -math.inf, t), attrs)


@op("nn.avg_pool2d")
def _avg_pool(tr, call, args, shape, t):
    k, pad, attrs = _pool_attrs(call)
    src = tr.tensor(args[0])
    x = tr.w.pad(src, [0, 0, pad[0], pad[1]], [0, 0, pad[2], pad[3]], 0)
    total = tr.w.named("pooling_nchw_sum", [x, tr.w.empty(k, t)], tr.w.full(shape, 0, t), attrs)
    if not any(pad) or bool(call.attrs.count_include_pad):
        return tr.w.elementwise([total], shape, t, lambda s, a: s.op("arith.divf", a[0], s.const(float(k[0] * k[1]), t), dtype=t))
    # windows at the border average fewer elements: the divisors are a constant of the geometry
    strides, dil = _ints(call.attrs.strides), _ints(call.attrs.dilation)
    h, w = src.shape[2:]
    counts = np.zeros(shape[2:], dtype=NUMPY[t])
    for oy in range(shape[2]):
        ys = [oy * strides[0] - pad[0] + i * dil[0] for i in range(k[0])]
        ny = sum(0 <= y < h for y in ys)
        for ox in range(shape[3]):
            xs = [ox * strides[1] - pad[1] + j * dil[1] for j in range(k[1])]
            counts[oy, ox] = ny * sum(0 <= x_ < w for x_ in xs)
    divisor = tr.tensor(Const(counts, t))
    return tr.w.elementwise([total, divisor], shape, t, lambda s, a: s.op("arith.divf", a[0], a[1], dtype=t))


@op("nn.adaptive_avg_pool2d")
def _adaptive_avg(tr, call, args, shape, t):
    x = tr.tensor(args[0])
    if str(call.attrs.layout) != "NCHW":
        raise tr.unsupported(f"layout {call.attrs.layout}")
    h, w = x.shape[2:]
    oh, ow = shape[2:]
    if h % oh or w % ow:
        raise tr.unsupported("an output size that does not divide the input")
    if (oh, ow) == (1, 1):
        return _mean_of(tr, x, [2, 3], True)
    kh, kw = h // oh, w // ow
    attrs = (f"{{dilations = dense<[1, 1]> : tensor<2xi64>, strides = dense<[{kh}, {kw}]> : tensor<2xi64>}}")
    total = tr.w.named("pooling_nchw_sum", [x, tr.w.empty((kh, kw), t)], tr.w.full(shape, 0, t), attrs)
    return tr.w.elementwise([total], shape, t, lambda s, a: s.op("arith.divf", a[0], s.const(float(kh * kw), t), dtype=t))


@op("nn.dropout")
def _dropout(tr, call, args, shape, t):
    x = tr.tensor(args[0])  # inference: the identity (and an unused mask)
    return [x, tr.w.full(x.shape, 1, x.dtype)]


# --------------------------------------------------------------------------- #
# Entry
# --------------------------------------------------------------------------- #

@dataclass
class Translation:
    name: str
    mlir: str
    args: list[tuple[tuple[int, ...], str]]     # (shape, MLIR element type) per parameter
    results: list[tuple[tuple[int, ...], str]]  # per output (a tuple result is flattened)


def _flatten(x) -> list:
    if isinstance(x, (list, tuple)):
        out = []
        for i in x:
            out += _flatten(i)
        return out
    return [x]


def translate(fn, name: str) -> Translation:
    """The MLIR text of Relax function `fn` as func.func @name (parameters in order, the result
    tuple flattened into several results)."""
    tr = Translator(name)
    params = []
    for i, p in enumerate(fn.params):
        shape, dtype = tensor_spec(p.ty, f"parameter '{p.name}' of {name}")
        v = Value(f"%arg{i}", shape, dtype)
        params.append(v)
    result = tr.function(fn, params)
    outs = []
    for i, r in enumerate(_flatten(result)):
        if not isinstance(r, (Value, Const, Broadcast)):
            raise UnsupportedError(f"{name}: result #{i} is not a tensor")
        outs.append(tr.tensor(r))
    ret_types = _flatten_types(fn.ret_ty if hasattr(fn, "ret_ty") else None)
    if ret_types is not None:
        for i, (o, ty) in enumerate(zip(outs, ret_types)):
            shape, dtype = tensor_spec(ty, f"result #{i} of {name}")
            if tuple(o.shape) != shape or o.dtype != dtype:
                raise UnsupportedError(f"{name}: result #{i} came out {o.type}, Relax expects {tensor_type(shape, dtype)}")
    # A parameter returned unchanged, or one value returned twice, would alias the caller's
    # buffers: return copies.
    seen = {p.name for p in params}
    final = []
    for o in outs:
        if o.name in seen:
            o = tr.w.elementwise([o], o.shape, o.dtype, lambda s, a: a[0])
        seen.add(o.name)
        final.append(o)
    text = tr.w.text([(p, "") for p in params], final)
    return Translation(name, text, [(p.shape, p.dtype) for p in params], [(o.shape, o.dtype) for o in final])


def _flatten_types(ty):
    if ty is None:
        return None
    if type(ty).__name__ == "TupleType":
        out = []
        for f in ty.fields:
            sub = _flatten_types(f)
            if sub is None:
                return None
            out += sub
        return out
    if type(ty).__name__ == "TensorType":
        return [ty]
    return None
