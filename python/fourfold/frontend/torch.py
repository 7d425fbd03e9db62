"""PyTorch -> linalg on tensors: torch.export, core ATen decompositions, then one MLIR op (or a few)
per ATen op, written as text for MLIR 22.

Why our own importer rather than torch-mlir's output: torch-mlir embeds a newer MLIR whose text we
would have to re-parse with 22.1.8, ships no NVPTX target and weighs ~290 MB; bench/results/
frontend-torch-mlir.md has the measured comparison. Ours writes named linalg ops (matmul,
batch_matmul, conv_2d_nchw_fchw, pooling) that welder and roller recognise, keeps weights as
arguments bound at call time (no multi-megabyte constants in the IR), folds what depends only on
weights (transposed weight matrices, batch-norm scale and shift) in PyTorch at import time, and
puts the Python source location of every node on the MLIR it becomes.
"""

from __future__ import annotations

import math
import operator
import os
import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import FourfoldError
from .emit import FunctionWriter, Value, identity_map, is_float, mlir_dtype


class UnsupportedOpError(FourfoldError):
    """An ATen op (or a use of one) the importer cannot translate. `op` is the ATen name,
    `where` the Python source line it came from."""

    def __init__(self, op: str, where: str, detail: str = ""):
        self.op, self.where = op, where
        super().__init__(f"unsupported op {op}{': ' + detail if detail else ''}\n  from {where}\n"
                         f"  (fourfold's importer translates the ops listed in fourfold.frontend.torch.SUPPORTED)")


@dataclass
class ImportedProgram:
    """What the importer produced: MLIR text whose function takes the user inputs first, then the
    parameters (`params`, in order), and how to map PyTorch values in and out."""

    name: str
    mlir: str
    params: list[np.ndarray]
    param_names: list[str]
    input_specs: list[tuple[tuple[int, ...], np.dtype]]
    out_spec: object = None          # pytree spec of the outputs
    in_spec: object = None           # pytree spec of (args, kwargs)
    folded: list[str] = field(default_factory=list)   # nodes computed at import from weights
    ops: dict[str, int] = field(default_factory=dict)  # ATen op -> count

    @property
    def num_inputs(self) -> int:
        return len(self.input_specs)


# --------------------------------------------------------------------------- #
# Source locations
# --------------------------------------------------------------------------- #

_TORCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__import__("torch").__file__)))


def _frame(node) -> tuple[str, int] | None:
    """The innermost frame of the node's stack outside PyTorch itself (the user's line)."""
    trace = node.meta.get("stack_trace") or ""
    frames = []
    for line in trace.splitlines():
        line = line.strip()
        if line.startswith('File "'):
            path, _, rest = line[6:].partition('", line ')
            try:
                frames.append((path, int(rest.split(",")[0])))
            except ValueError:
                continue
    if not frames:
        return None
    # Generated code (a torch.cond / while_loop's graph) is no place to point a user at.
    frames = [f for f in frames if not f[0].startswith("<eval_with_key>")]
    if not frames:
        return None
    user = [f for f in frames if not os.path.abspath(f[0]).startswith(os.path.join(_TORCH_DIR, "torch"))]
    return (user or frames)[-1]


def _module_path(node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return ""
    path = list(stack.values())[-1][0]
    return path.replace("L['self'].", "").replace("L__self__.", "").replace("L__self___", "")


def _where(node) -> str:
    frame = _frame(node)
    module = _module_path(node)
    text = f"{frame[0]}:{frame[1]}" if frame else "<unknown source>"
    return f"{text} (node {node.name}{', module ' + module if module else ''})"


def _mlir_loc(node) -> str:
    frame = _frame(node)
    name = _module_path(node) or node.name
    name = name.replace('"', "'")
    if frame:
        path = frame[0].replace('"', "'")
        return f'loc("{name}"("{path}":{frame[1]}:0))'
    return f'loc("{name}")'


# --------------------------------------------------------------------------- #
# The translation
# --------------------------------------------------------------------------- #

def _dtype_of(meta) -> str:
    import torch

    table = {torch.float32: "f32", torch.float64: "f64", torch.float16: "f16", torch.int64: "i64",
             torch.int32: "i32", torch.bool: "i1", torch.int8: "i8", torch.uint8: "i8", torch.int16: "i16"}
    if meta.dtype not in table:
        raise KeyError(str(meta.dtype))
    return table[meta.dtype]


def _shape_of(meta) -> tuple[int, ...]:
    shape = []
    for d in meta.shape:
        if not isinstance(d, int):
            try:
                d = int(d)
            except Exception:
                raise TypeError(f"symbolic dimension {d}") from None
        shape.append(d)
    return tuple(shape)


def _promote(a: str, b: str) -> str:
    """Result type of a binary op between two tensor element types (PyTorch's categories:
    bool < integer < float; wider wins within one)."""
    def rank(t):
        return (2 if is_float(t) else 0 if t == "i1" else 1, int(t[1:]) if t != "bf16" else 16)
    return a if rank(a) >= rank(b) else b


class _Importer:
    def __init__(self, ep, name: str):
        self.ep = ep
        self.w = FunctionWriter(name)
        self.values: dict[str, object] = {}   # node name -> Value | list[Value|None] | python value
        self.params: dict[str, tuple[np.ndarray, str]] = {}  # argument name -> (weight, its name)
        self.node = None
        self.folded: set[str] = set()  # nodes evaluated at import (_fold_weights)
        self.outer_loc = ""             # in a subgraph: the location of its cond / while_loop

    # -- errors --------------------------------------------------------------------------------
    def unsupported(self, detail: str = "") -> UnsupportedOpError:
        return UnsupportedOpError(str(self.node.target), _where(self.node), detail)

    # -- operands ------------------------------------------------------------------------------
    def v(self, arg):
        """A node argument as a Value (tensors), a list, or a Python value."""
        import torch.fx as fx

        if isinstance(arg, fx.Node):
            return self.values[arg.name]
        if isinstance(arg, (list, tuple)):
            return [self.v(a) for a in arg]
        return arg

    def out_meta(self):
        val = self.node.meta.get("val")
        return val

    def out_type(self, index: int | None = None) -> tuple[tuple[int, ...], str]:
        val = self.out_meta()
        if index is not None:
            val = val[index]
        return _shape_of(val), _dtype_of(val)

    # -- elementwise helpers -------------------------------------------------------------------
    def ew(self, operands, fn, compute: str | None = None):
        """Elementwise op producing this node's output: `fn(scalar, args, dtype)` computes in
        `compute` (default: the output type) on operands cast to it; the result is cast to the
        output type."""
        shape, out_dtype = self.out_type()
        compute = compute or out_dtype

        def body(s, args):
            cast = [s.cast(a, o.dtype, compute) if isinstance(o, Value) else s.const(o, compute)
                    for o, a in zip(operands, args)]
            return s.cast(fn(s, cast, compute), compute, out_dtype)

        return self.w.elementwise(list(operands), shape, out_dtype, body)

    # -- weights -------------------------------------------------------------------------------
    def constant(self, array: np.ndarray, name: str = "folded") -> Value:
        """A new weight argument holding `array` (computed at import from other weights)."""
        array = np.ascontiguousarray(array).reshape(np.shape(array))  # keeps 0-d (ascontiguousarray makes 1-d)
        v = Value(f"%w{len(self.params)}", tuple(array.shape), mlir_dtype(array.dtype))
        self.params[v.name] = (array, name)
        return v

    def array(self, v) -> np.ndarray | None:
        """The weight behind a Value, if it is one."""
        if isinstance(v, Value) and v.name in self.params:
            return self.params[v.name][0]
        return None

    def fold_batch_norm(self, weight, bias, mean, var, eps, shape):
        """Batch norm's per-channel scale and shift, computed once from the weights when they are
        weights (the usual case), else in the program."""
        arrays = [self.array(v) for v in (weight, bias, mean, var)]
        n = shape[0]
        if all(a is not None or v is None for a, v in zip(arrays, (weight, bias, mean, var))):
            w = arrays[0] if arrays[0] is not None else np.ones(n, np.float64)
            b = arrays[1] if arrays[1] is not None else np.zeros(n, np.float64)
            scale = w.astype(np.float64) / np.sqrt(arrays[3].astype(np.float64) + eps)
            shift = b.astype(np.float64) - arrays[2].astype(np.float64) * scale
            dt = arrays[3].dtype
            return (self.constant(scale.astype(dt).reshape(shape), f"{self.node.name}.scale"),
                    self.constant(shift.astype(dt).reshape(shape), f"{self.node.name}.shift"))
        t = mean.dtype
        parts = [self.w.reshape(p, shape) if p is not None else None for p in (weight, bias, mean, var)]
        scale = self.w.elementwise([parts[3]] + ([parts[0]] if parts[0] else []), shape, t, lambda s, a: (
            s.op("arith.mulf", s.op("math.rsqrt", s.op("arith.addf", a[0], s.const(eps, t), dtype=t), dtype=t), a[1], dtype=t)
            if len(a) > 1 else s.op("math.rsqrt", s.op("arith.addf", a[0], s.const(eps, t), dtype=t), dtype=t)))
        shift = self.w.elementwise([parts[2], scale] + ([parts[1]] if parts[1] else []), shape, t, lambda s, a: (
            s.op("arith.subf", a[2] if len(a) > 2 else s.const(0, t), s.op("arith.mulf", a[0], a[1], dtype=t), dtype=t)))
        return scale, shift

    def ew_bool(self, operands, fn):
        """A comparison / logical op: computes in the operands' promoted type, yields i1."""
        types = [o.dtype for o in operands if isinstance(o, Value)]
        compute = types[0]
        for t in types[1:]:
            compute = _promote(compute, t)
        if any(isinstance(o, float) for o in operands) and not is_float(compute):
            compute = "f32"
        shape, _ = self.out_type()

        def body(s, args):
            cast = [s.cast(a, o.dtype, compute) if isinstance(o, Value) else s.const(o, compute)
                    for o, a in zip(operands, args)]
            return fn(s, cast, compute)

        return self.w.elementwise(list(operands), shape, "i1", body)

    # -- the walk ------------------------------------------------------------------------------
    def run(self, placeholders: dict[str, Value], outputs_node):
        self.values.update(placeholders)
        for node in self.ep.graph.nodes:
            if node.op == "get_attr":  # a branch or loop body of torch.cond / while_loop
                self.values.setdefault(node.name, getattr(self.ep.graph_module, node.target))
                continue
            # Folded nodes that only feed other folded nodes are not emitted at all.
            if node.op != "call_function" or node.name in self.values or node.name in self.folded:
                continue
            self.node = node
            self.w.loc = _mlir_loc(node)
            if self.outer_loc and _frame(node) is None:
                # A node of a cond branch / loop body has no user frame: point at the cond / loop.
                self.w.loc = self.outer_loc
            if node.target is operator.getitem:
                src, i = node.args
                got = self.values[src.name][i]
                if got is None:
                    raise self.unsupported(f"output #{i} of {src.target} is used; only its first output is supported")
                self.values[node.name] = got
                continue
            key = str(node.target)
            handler = _HANDLERS.get(key)
            if handler is None:
                raise self.unsupported()
            try:
                self.values[node.name] = handler(self, *self.v(list(node.args)),
                                                 **{k: self.v(a) for k, a in node.kwargs.items()})
            except (UnsupportedOpError, FourfoldError):
                raise
            except (TypeError, KeyError) as e:
                if "symbolic" in str(e):
                    raise FourfoldError(f"{key}: shapes must be static (got {e})\n  from {_where(node)}") from None
                raise UnsupportedOpError(key, _where(node), f"these arguments ({e})") from None
        self.w.loc = ""


# --------------------------------------------------------------------------- #
# ATen ops
# --------------------------------------------------------------------------- #

_HANDLERS = {}


def _op(*names):
    def register(fn):
        for n in names:
            _HANDLERS[n] = fn
        return fn
    return register


def _float_math(name):
    return lambda s, a, t: s.op(name, a[0], dtype=t)


_UNARY_FLOAT = {
    "aten.exp.default": "math.exp", "aten.log.default": "math.log", "aten.tanh.default": "math.tanh",
    "aten.sqrt.default": "math.sqrt", "aten.rsqrt.default": "math.rsqrt", "aten.erf.default": "math.erf",
    "aten.sin.default": "math.sin", "aten.cos.default": "math.cos", "aten.log1p.default": "math.log1p",
    "aten.expm1.default": "math.expm1",
}


def _unary_float(name, mlir):
    @_op(name)
    def handler(imp, x):
        _, t = imp.out_type()
        return imp.ew([x], _float_math(mlir), compute=t if is_float(t) else "f32")


for _n, _m in _UNARY_FLOAT.items():
    _unary_float(_n, _m)


@_op("aten.neg.default")
def _neg(imp, x):
    return imp.ew([x], lambda s, a, t: s.op("arith.negf", a[0], dtype=t) if is_float(t)
                  else s.op("arith.subi", s.const(0, t), a[0], dtype=t))


@_op("aten.abs.default")
def _abs(imp, x):
    return imp.ew([x], lambda s, a, t: s.op("math.absf" if is_float(t) else "math.absi", a[0], dtype=t))


@_op("aten.reciprocal.default")
def _reciprocal(imp, x):
    return imp.ew([x], lambda s, a, t: s.op("arith.divf", s.const(1.0, t), a[0], dtype=t))


@_op("aten.sigmoid.default")
def _sigmoid(imp, x):
    def fn(s, a, t):  # 1 / (1 + exp(-x))
        e = s.op("math.exp", s.op("arith.negf", a[0], dtype=t), dtype=t)
        return s.op("arith.divf", s.const(1.0, t), s.op("arith.addf", s.const(1.0, t), e, dtype=t), dtype=t)
    return imp.ew([x], fn)


@_op("aten.silu.default")
def _silu(imp, x):
    def fn(s, a, t):
        e = s.op("math.exp", s.op("arith.negf", a[0], dtype=t), dtype=t)
        return s.op("arith.divf", a[0], s.op("arith.addf", s.const(1.0, t), e, dtype=t), dtype=t)
    return imp.ew([x], fn)


def _max(s, a, b, t):
    return s.op("arith.maximumf" if is_float(t) else "arith.maxsi", a, b, dtype=t)


def _min(s, a, b, t):
    return s.op("arith.minimumf" if is_float(t) else "arith.minsi", a, b, dtype=t)


@_op("aten.relu.default")
def _relu(imp, x):
    # relu(NaN) is NaN in PyTorch: maximumf propagates it too.
    return imp.ew([x], lambda s, a, t: _max(s, a[0], s.const(0, t), t))


@_op("aten.clamp.default")
def _clamp(imp, x, lo=None, hi=None):
    def fn(s, a, t):
        r = a[0]
        if lo is not None:
            r = _max(s, r, s.const(lo, t), t)
        if hi is not None:
            r = _min(s, r, s.const(hi, t), t)
        return r
    return imp.ew([x], fn)


@_op("aten.hardtanh.default")
def _hardtanh(imp, x, lo=-1.0, hi=1.0):
    return _clamp(imp, x, lo, hi)


@_op("aten.leaky_relu.default")
def _leaky_relu(imp, x, slope=0.01):
    def fn(s, a, t):
        pos = s.cmp("gt", a[0], s.const(0, t), t)
        return s.select(pos, a[0], s.op("arith.mulf", a[0], s.const(slope, t), dtype=t), t)
    return imp.ew([x], fn)


@_op("aten.gelu.default")
def _gelu(imp, x, approximate="none"):
    def fn(s, a, t):
        x = a[0]
        half = s.op("arith.mulf", x, s.const(0.5, t), dtype=t)
        if approximate == "tanh":
            x3 = s.op("arith.mulf", s.op("arith.mulf", x, x, dtype=t), x, dtype=t)
            inner = s.op("arith.addf", x, s.op("arith.mulf", x3, s.const(0.044715, t), dtype=t), dtype=t)
            th = s.op("math.tanh", s.op("arith.mulf", inner, s.const(math.sqrt(2 / math.pi), t), dtype=t), dtype=t)
        else:
            th = s.op("math.erf", s.op("arith.mulf", x, s.const(1 / math.sqrt(2), t), dtype=t), dtype=t)
        return s.op("arith.mulf", half, s.op("arith.addf", s.const(1.0, t), th, dtype=t), dtype=t)
    return imp.ew([x], fn)


def _arith(kind, t):
    f = is_float(t)
    return {"add": "arith.addf" if f else "arith.addi", "sub": "arith.subf" if f else "arith.subi",
            "mul": "arith.mulf" if f else "arith.muli", "div": "arith.divf"}[kind]


def _binary(kind):
    def handler(imp, a, b, alpha=1):
        def fn(s, args, t):
            y = args[1]
            if alpha != 1:
                y = s.op(_arith("mul", t), y, s.const(alpha, t), dtype=t)
            return s.op(_arith(kind, t), args[0], y, dtype=t)
        return imp.ew([a, b], fn)
    return handler


for _k in ("add", "sub", "mul"):
    _op(f"aten.{_k}.Tensor", f"aten.{_k}.Scalar")(_binary(_k))


@_op("aten.rsub.Scalar", "aten.rsub.Tensor")
def _rsub(imp, a, b, alpha=1):
    """b - alpha * a."""
    return _binary("sub")(imp, b, a, alpha)


@_op("aten.div.Tensor", "aten.div.Scalar")
def _div(imp, a, b):
    _, t = imp.out_type()
    if not is_float(t):
        raise imp.unsupported("integer division")
    return imp.ew([a, b], lambda s, x, t: s.op("arith.divf", x[0], x[1], dtype=t))


@_op("aten.pow.Tensor_Scalar")
def _pow(imp, x, p):
    def fn(s, a, t):
        if p == 2:
            return s.op("arith.mulf", a[0], a[0], dtype=t)
        if p == 0.5:
            return s.op("math.sqrt", a[0], dtype=t)
        if p == -0.5:
            return s.op("math.rsqrt", a[0], dtype=t)
        if p == 1:
            return a[0]
        return s.op("math.powf", a[0], s.const(p, t), dtype=t)
    return imp.ew([x], fn)


@_op("aten.pow.Tensor_Tensor")
def _pow_tt(imp, x, y):
    return imp.ew([x, y], lambda s, a, t: s.op("math.powf", a[0], a[1], dtype=t))


@_op("aten.maximum.default")
def _maximum(imp, a, b):
    return imp.ew([a, b], lambda s, x, t: _max(s, x[0], x[1], t))


@_op("aten.minimum.default")
def _minimum(imp, a, b):
    return imp.ew([a, b], lambda s, x, t: _min(s, x[0], x[1], t))


for _c in ("eq", "ne", "lt", "le", "gt", "ge"):
    def _cmp_handler(imp, a, b, _c=_c):
        return imp.ew_bool([a, b], lambda s, x, t: s.cmp(_c, x[0], x[1], t))
    _op(f"aten.{_c}.Scalar", f"aten.{_c}.Tensor")(_cmp_handler)


@_op("aten.logical_not.default")
def _logical_not(imp, x):
    return imp.ew_bool([x], lambda s, a, t: s.cmp("eq", a[0], s.const(0, t), t))


for _l, _mop in (("and", "arith.andi"), ("or", "arith.ori"), ("xor", "arith.xori")):
    def _logical(imp, a, b, _mop=_mop):
        def fn(s, x, t):
            p = [s.cast(v, t, "i1") for v in x]
            return s.op(_mop, p[0], p[1], dtype="i1")
        return imp.ew_bool([a, b], fn)
    _op(f"aten.logical_{_l}.default")(_logical)

    def _bitwise(imp, a, b, _mop=_mop):
        """Bitwise on booleans and integers (the `&` of two loop conditions)."""
        _, t = imp.out_type()
        if is_float(t):
            raise imp.unsupported("bitwise ops on floats")
        return imp.ew([a, b], lambda s, x, t: s.op(_mop, x[0], x[1], dtype=t))
    _op(f"aten.bitwise_{_l}.Tensor", f"aten.bitwise_{_l}.Scalar")(_bitwise)


@_op("aten.where.self", "aten.where.ScalarOther", "aten.where.ScalarSelf", "aten.where.Scalar")
def _where_op(imp, cond, a, b):
    _, t = imp.out_type()

    def body(s, args):
        c = args[0] if isinstance(cond, Value) and cond.dtype == "i1" else s.cast(args[0], cond.dtype, "i1")
        x = s.cast(args[1], a.dtype, t) if isinstance(a, Value) else s.const(a, t)
        y = s.cast(args[2], b.dtype, t) if isinstance(b, Value) else s.const(b, t)
        return s.select(c, x, y, t)
    shape, _ = imp.out_type()
    return imp.w.elementwise([cond, a, b], shape, t, body)


@_op("aten._to_copy.default", "aten.clone.default", "aten.alias.default", "aten.lift_fresh_copy.default",
     "aten.contiguous.default", "aten.detach.default")
def _copy(imp, x, **kwargs):
    return imp.w.cast(x, imp.out_type()[1])


@_op("aten._assert_tensor_metadata.default", "aten._assert_scalar.default", "aten._assert_async.msg",
     "aten.sym_constrain_range_for_size.default")
def _no_op(imp, *args, **kwargs):
    """Checks torch.export leaves in the graph; shapes and dtypes are static here."""
    return None


# ATen op -> the fill value: a constant, or the index of the argument holding it
_FILLS = {"aten.full.default": 1, "aten.full_like.default": 1, "aten.new_full.default": 2,
          "aten.scalar_tensor.default": 0, "aten.zeros.default": ("value", 0),
          "aten.zeros_like.default": ("value", 0), "aten.new_zeros.default": ("value", 0),
          "aten.ones.default": ("value", 1), "aten.ones_like.default": ("value", 1),
          "aten.new_ones.default": ("value", 1)}


@_op(*_FILLS)
def _full(imp, *args, **kwargs):
    where = _FILLS[str(imp.node.target)]
    value = where[1] if isinstance(where, tuple) else args[where]
    shape, t = imp.out_type()
    return imp.w.full(shape, value, t)


# -- shapes --------------------------------------------------------------------------------------

@_op("aten.view.default", "aten._unsafe_view.default", "aten.reshape.default", "aten.squeeze.dims",
     "aten.squeeze.dim", "aten.squeeze.default", "aten.unsqueeze.default", "aten.flatten.using_ints")
def _reshape(imp, x, *args):
    shape, _ = imp.out_type()
    return imp.w.reshape(x, shape)


@_op("aten.permute.default")
def _permute(imp, x, perm):
    return imp.w.transpose(x, perm)


@_op("aten.t.default", "aten.transpose.int")
def _transpose(imp, x, d0=0, d1=1):
    perm = list(range(x.rank))
    if x.rank >= 2:
        perm[d0 % x.rank], perm[d1 % x.rank] = perm[d1 % x.rank], perm[d0 % x.rank]
    return imp.w.transpose(x, perm)


@_op("aten.expand.default")
def _expand(imp, x, sizes, implicit=False):
    shape, _ = imp.out_type()
    return imp.w.broadcast_to(x, shape)


def _slice_bounds(size, start, end, step):
    start = 0 if start is None else start
    end = size if end is None else end
    start = max(0, min(size, start + size if start < 0 else start))
    end = max(start, min(size, end + size if end < 0 else end))
    return start, end, step or 1


@_op("aten.slice.Tensor")
def _slice(imp, x, dim=0, start=None, end=None, step=1):
    dim %= x.rank
    start, end, step = _slice_bounds(x.shape[dim], start, end, step)
    shape, _ = imp.out_type()
    if shape == x.shape:
        return x
    offsets, strides = [0] * x.rank, [1] * x.rank
    offsets[dim], strides[dim] = start, step
    return imp.w.extract_slice(x, offsets, shape, strides)


@_op("aten.select.int")
def _select(imp, x, dim, index):
    dim %= x.rank
    index = index + x.shape[dim] if index < 0 else index
    offsets, sizes = [0] * x.rank, list(x.shape)
    offsets[dim], sizes[dim] = index, 1
    shape, _ = imp.out_type()
    return imp.w.extract_slice(x, offsets, sizes, [1] * x.rank, shape)


@_op("aten.split_with_sizes.default", "aten.split.Tensor", "aten.split_with_sizes_copy.default")
def _split(imp, x, sizes, dim=0):
    dim %= x.rank
    if isinstance(sizes, int):
        sizes = [min(sizes, x.shape[dim] - i) for i in range(0, x.shape[dim], sizes)]
    out, at = [], 0
    for n in sizes:
        offsets, shape = [0] * x.rank, list(x.shape)
        offsets[dim], shape[dim] = at, n
        out.append(imp.w.extract_slice(x, offsets, shape, [1] * x.rank))
        at += n
    return out


@_op("aten.cat.default")
def _cat(imp, xs, dim=0):
    xs = [x for x in xs if not (x.rank == 1 and x.shape[0] == 0)]
    shape, t = imp.out_type()
    dim %= len(shape)
    return imp.w.concat([imp.w.cast(x, t) for x in xs], dim)


@_op("aten.constant_pad_nd.default")
def _constant_pad(imp, x, pad, value=0):
    low, high = [0] * x.rank, [0] * x.rank
    for i in range(len(pad) // 2):
        d = x.rank - 1 - i
        low[d], high[d] = pad[2 * i], pad[2 * i + 1]
    if any(p < 0 for p in low + high):
        raise imp.unsupported("negative padding")
    return imp.w.pad(x, low, high, value)


# -- contractions ----------------------------------------------------------------------------------

@_op("aten.mm.default", "aten.bmm.default")
def _mm(imp, a, b):
    if not is_float(a.dtype):
        raise imp.unsupported("integer matmul")
    return imp.w.matmul(a, b)


@_op("aten.addmm.default")
def _addmm(imp, bias, a, b, beta=1, alpha=1):
    mm = imp.w.matmul(a, b)
    return imp.ew([bias, mm], lambda s, x, t: s.op(
        "arith.addf", x[0] if beta == 1 else s.op("arith.mulf", x[0], s.const(beta, t), dtype=t),
        x[1] if alpha == 1 else s.op("arith.mulf", x[1], s.const(alpha, t), dtype=t), dtype=t))


@_op("aten.convolution.default")
def _convolution(imp, x, w, bias, stride, padding, dilation, transposed, output_padding, groups):
    if transposed:
        raise imp.unsupported("transposed convolution")
    spatial = x.rank - 2
    if spatial not in (1, 2):
        raise imp.unsupported(f"{spatial}-D convolution (1-D and 2-D are supported)")
    stride, padding, dilation = (list(v) * (spatial if len(v) == 1 else 1) for v in (stride, padding, dilation))
    x = imp.w.pad(x, [0, 0] + list(padding), [0, 0] + list(padding), 0)
    shape, t = imp.out_type()
    attrs = (f"{{dilations = dense<[{', '.join(map(str, dilation))}]> : tensor<{spatial}xi64>, "
             f"strides = dense<[{', '.join(map(str, stride))}]> : tensor<{spatial}xi64>}}")
    n, cin = x.shape[:2]
    cout = w.shape[0]
    if groups == 1:
        op = "conv_2d_nchw_fchw" if spatial == 2 else "conv_1d_ncw_fcw"
        y = imp.w.named(op, [x, w], imp.w.full(shape, 0, t), attrs)
    elif spatial == 2 and groups == cin and cout == cin:
        # depthwise, multiplier 1: the filter's unit input-channel dimension goes
        wd = imp.w.reshape(w, (cout,) + w.shape[2:])
        y = imp.w.named("depthwise_conv_2d_nchw_chw", [x, wd], imp.w.full(shape, 0, t), attrs)
    elif spatial == 2:
        g = groups
        xg = imp.w.reshape(x, (n, g, cin // g) + x.shape[2:])
        wg = imp.w.reshape(w, (g, cout // g) + w.shape[1:])
        out = imp.w.full((n, g, cout // g) + shape[2:], 0, t)
        y = imp.w.reshape(imp.w.named("conv_2d_ngchw_gfchw", [xg, wg], out, attrs), shape)
    else:
        raise imp.unsupported("grouped 1-D convolution")
    if bias is not None:
        b = imp.w.reshape(bias, (cout,) + (1,) * spatial)
        y = imp.w.elementwise([y, b], shape, t, lambda s, a: s.op("arith.addf", a[0], a[1], dtype=t))
    return y


def _pool_geometry(imp, x, kernel, stride, padding, dilation, ceil_mode):
    k = list(kernel) * (2 if len(kernel) == 1 else 1)
    stride = list(stride or k) * (2 if len(stride or k) == 1 else 1)
    padding = list(padding) * (2 if len(padding) == 1 else 1)
    dilation = list(dilation) * (2 if len(dilation) == 1 else 1)
    shape, t = imp.out_type(0 if isinstance(imp.out_meta(), (list, tuple)) else None)
    extra = [0, 0]
    for i in range(2):
        # ceil_mode: the last window may start inside the padded input and run past its end
        covered = (shape[2 + i] - 1) * stride[i] + dilation[i] * (k[i] - 1) + 1
        extra[i] = max(0, covered - (x.shape[2 + i] + 2 * padding[i]))
    attrs = (f"{{dilations = dense<[{dilation[0]}, {dilation[1]}]> : tensor<2xi64>, "
             f"strides = dense<[{stride[0]}, {stride[1]}]> : tensor<2xi64>}}")
    return k, stride, padding, extra, shape, t, attrs


@_op("aten.max_pool2d_with_indices.default", "aten.max_pool2d.default")
def _max_pool(imp, x, kernel, stride=(), padding=(0,), dilation=(1,), ceil_mode=False):
    if x.rank != 4:
        raise imp.unsupported("max pooling of a tensor that is not NCHW")
    k, stride, padding, extra, shape, t, attrs = _pool_geometry(imp, x, kernel, stride, padding, dilation, ceil_mode)
    xp = imp.w.pad(x, [0, 0] + padding, [0, 0, padding[0] + extra[0], padding[1] + extra[1]], -math.inf)
    window = imp.w.empty(k, t)
    y = imp.w.named("pooling_nchw_max", [xp, window], imp.w.full(shape, -math.inf, t), attrs)
    return [y, None] if "with_indices" in str(imp.node.target) else y


@_op("aten.avg_pool2d.default")
def _avg_pool(imp, x, kernel, stride=(), padding=(0,), ceil_mode=False, count_include_pad=True,
              divisor_override=None):
    if x.rank != 4:
        raise imp.unsupported("average pooling of a tensor that is not NCHW")
    k, stride, padding, extra, shape, t, attrs = _pool_geometry(imp, x, kernel, stride, padding, (1,), ceil_mode)
    xp = imp.w.pad(x, [0, 0] + padding, [0, 0, padding[0] + extra[0], padding[1] + extra[1]], 0)
    window = imp.w.empty(k, t)
    total = imp.w.named("pooling_nchw_sum", [xp, window], imp.w.full(shape, 0, t), attrs)
    if divisor_override:
        return imp.w.elementwise([total], shape, t, lambda s, a: s.op("arith.divf", a[0], s.const(divisor_override, t), dtype=t))
    if (count_include_pad or not any(padding)) and not any(extra):
        return imp.w.elementwise([total], shape, t, lambda s, a: s.op("arith.divf", a[0], s.const(k[0] * k[1], t), dtype=t))
    # Windows at the border count fewer elements: the divisors are a constant of the geometry.
    import torch
    import torch.nn.functional as F
    ones = torch.ones((1, 1) + x.shape[2:])
    counts = F.avg_pool2d(ones, k, stride, padding, ceil_mode, count_include_pad, divisor_override=1)
    counts_v = imp.constant(counts.numpy()[0, 0])
    return imp.w.elementwise([total, counts_v], shape, t, lambda s, a: s.op("arith.divf", a[0], a[1], dtype=t))


@_op("aten._adaptive_avg_pool2d.default", "aten.adaptive_avg_pool2d.default")
def _adaptive_avg(imp, x, size):
    size = list(size) * (2 if len(size) == 1 else 1)
    h, w = x.shape[2:]
    if h % size[0] or w % size[1]:
        raise imp.unsupported("adaptive average pooling to a size that does not divide the input")
    k = [h // size[0], w // size[1]]
    return _avg_pool(imp, x, k, k)


# -- reductions and normalisations -----------------------------------------------------------------

def _dims(x, dims):
    if dims is None or dims == []:
        return list(range(x.rank))
    if isinstance(dims, int):
        dims = [dims]
    return [d % x.rank for d in dims] if x.rank else []


@_op("aten.sum.dim_IntList", "aten.sum.default")
def _sum(imp, x, dims=None, keepdim=False, dtype=None):
    _, t = imp.out_type()
    return imp.w.reduce(x, _dims(x, dims), "sum", keepdim, t)


@_op("aten.mean.dim", "aten.mean.default")
def _mean(imp, x, dims=None, keepdim=False, dtype=None):
    return _mean_of(imp, x, _dims(x, dims), keepdim, imp.out_type()[1])


@_op("aten.amax.default", "aten.amin.default", "aten.max.default", "aten.min.default")
def _amax(imp, x, dims=(), keepdim=False):
    # max / min without a dim: the whole tensor's, like amax / amin over every dimension.
    kind = "max" if "max" in str(imp.node.target) else "min"
    return imp.w.reduce(x, _dims(x, list(dims)), kind, keepdim)


@_op("aten.any.dim", "aten.any.dims", "aten.any.default", "aten.all.dim", "aten.all.default")
def _any(imp, x, dims=None, keepdim=False):
    kind = "any" if "any" in str(imp.node.target) else "all"
    return imp.w.reduce(imp.w.cast(x, "i1"), _dims(x, dims), kind, keepdim, "i1")


@_op("aten.var.correction", "aten.var.dim")
def _var(imp, x, dims=None, correction=None, keepdim=False, unbiased=None):
    if str(imp.node.target).endswith("var.dim"):
        correction = 1 if (correction is None or correction) else 0
    dims = _dims(x, dims)
    n = int(np.prod([x.shape[d] for d in dims]))
    corr = 1 if correction is None else correction
    shape, t = imp.out_type()
    mean = _mean_of(imp, x, dims)
    centered_sq = imp.w.elementwise([x, mean], x.shape, t, lambda s, a: s.op(
        "arith.mulf", s.op("arith.subf", a[0], a[1], dtype=t), s.op("arith.subf", a[0], a[1], dtype=t), dtype=t))
    total = imp.w.reduce(centered_sq, dims, "sum", keepdim, t)
    return imp.w.elementwise([total], shape, t, lambda s, a: s.op("arith.divf", a[0], s.const(max(n - corr, 0), t), dtype=t))


def _mean_of(imp, x, dims, keepdim: bool = True, dtype: str | None = None) -> Value:
    """The mean over `dims` (by default kept as size-1 dims, so it broadcasts against x)."""
    t = dtype or x.dtype
    n = int(np.prod([x.shape[d] for d in dims]))
    # Divide before restoring the size-1 dims: the reshape then folds into the consumers' reads and
    # welder groups the divide with the sum and its readers (a divide between an expand_shape and a
    # collapse_shape was a kernel of its own, two per layernorm).
    total = imp.w.reduce(x, dims, "sum", False, t)
    mean = imp.w.elementwise([total], total.shape, t, lambda s, a: s.op("arith.divf", a[0], s.const(n, t), dtype=t))
    if keepdim:
        mean = imp.w.reshape(mean, tuple(1 if i in dims else x.shape[i] for i in range(x.rank)))
    return mean


@_op("aten._softmax.default", "aten._log_softmax.default")
def _softmax(imp, x, dim, half_to_float=False):
    t = x.dtype
    dim %= x.rank
    # The row max skips NaN (maxnumf is cheaper on x86 than NaN-propagating maximumf: 67 -> 58 us
    # on 12x128x128, 1 thread): a NaN in the row still makes the whole row NaN, as in torch,
    # through exp(NaN - max) in the sum; rows with -inf / +inf get the same max either way.
    mx = imp.w.reduce(x, [dim], "maxnum" if is_float(t) else "max", True)
    e = imp.w.elementwise([x, mx], x.shape, t, lambda s, a: s.op("math.exp", s.op("arith.subf", a[0], a[1], dtype=t), dtype=t))
    total = imp.w.reduce(e, [dim], "sum", True)
    if "log_softmax" in str(imp.node.target):  # x - max - log(sum)
        return imp.w.elementwise([x, mx, total], x.shape, t, lambda s, a: s.op(
            "arith.subf", s.op("arith.subf", a[0], a[1], dtype=t), s.op("math.log", a[2], dtype=t), dtype=t))
    return imp.w.elementwise([e, total], x.shape, t, lambda s, a: s.op("arith.divf", a[0], a[1], dtype=t))


@_op("aten._safe_softmax.default")
def _safe_softmax(imp, x, dim, dtype=None):
    """scaled_dot_product_attention's softmax: a row that is -inf throughout gives zeros, not NaN.
    Kept from decomposition (_export): torch's decomposition tests x == -inf element by element
    into boolean tensors, five more kernels.
    Here the row max tells: it is -inf exactly when every element is (a NaN-propagating max, so
    that a row holding NaN stays NaN as in torch)."""
    t = x.dtype
    if imp.out_type()[1] != t:
        raise imp.unsupported("_safe_softmax with a dtype conversion")
    dim %= x.rank
    mx = imp.w.reduce(x, [dim], "max", True)
    e = imp.w.elementwise([x, mx], x.shape, t, lambda s, a: s.op("math.exp", s.op("arith.subf", a[0], a[1], dtype=t), dtype=t))
    total = imp.w.reduce(e, [dim], "sum", True)

    def divide(s, a):
        masked = s.cmp("eq", a[2], s.const(-math.inf, t), t)
        return s.select(masked, s.const(0.0, t), s.op("arith.divf", a[0], a[1], dtype=t), t)
    return imp.w.elementwise([e, total, mx], x.shape, t, divide)


@_op("aten.native_layer_norm.default")
def _layer_norm(imp, x, normalized_shape, weight, bias, eps):
    t = x.dtype
    dims = list(range(x.rank - len(normalized_shape), x.rank))
    mean = _mean_of(imp, x, dims)
    # x - mean is recomputed in the variance and in the normalisation (one subtraction) rather than
    # kept as a tensor: with two readers it was written to memory and read twice, between three
    # kernels (128x768, 1 thread: 25 -> 17 us). Same values, still a two-pass variance.

    def squared(s, a):
        d = s.op("arith.subf", a[0], a[1], dtype=t)
        return s.op("arith.mulf", d, d, dtype=t)
    var = _mean_of(imp, imp.w.elementwise([x, mean], x.shape, t, squared), dims)
    operands = [x, mean, var] + [p for p in (weight, bias) if p is not None]

    def fn(s, a):
        centered = s.op("arith.subf", a[0], a[1], dtype=t)
        r = s.op("arith.mulf", centered, s.op("math.rsqrt", s.op("arith.addf", a[2], s.const(eps, t), dtype=t), dtype=t), dtype=t)
        i = 3
        if weight is not None:
            r, i = s.op("arith.mulf", r, a[i], dtype=t), i + 1
        if bias is not None:
            r = s.op("arith.addf", r, a[i], dtype=t)
        return r
    return [imp.w.elementwise(operands, x.shape, t, fn), None, None]


@_op("aten._native_batch_norm_legit_no_training.default", "aten._native_batch_norm_legit_functional.default")
def _batch_norm(imp, x, weight, bias, mean, var, momentum, eps, *rest):
    if "functional" in str(imp.node.target):
        raise imp.unsupported("batch norm in training mode (call model.eval() first)")
    t = x.dtype
    per_channel = (x.shape[1],) + (1,) * (x.rank - 2)
    scale, shift = imp.fold_batch_norm(weight, bias, mean, var, eps, per_channel)
    y = imp.w.elementwise([x, scale, shift], x.shape, t, lambda s, a: s.op(
        "arith.addf", s.op("arith.mulf", a[0], a[1], dtype=t), a[2], dtype=t))
    return [y, None, None]


# --------------------------------------------------------------------------- #
# Control flow: torch.cond and torch while_loop as scf.if / scf.while on tensors (grinder places them)
# --------------------------------------------------------------------------- #

def _subgraph(imp: "_Importer", gm, operands: list) -> list[Value]:
    """Emits the nodes of a cond branch or loop body `gm` (an fx.GraphModule whose placeholders
    take `operands`) at the writer's current position, inside the region being written. Weight
    operands stay weights, so weight-only work in the body (a Linear's transpose) is folded once
    at import instead of being redone every iteration."""
    import types

    import torch

    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != len(operands):
        raise imp.unsupported(f"a subgraph with {len(placeholders)} inputs given {len(operands)}")
    consts, values = {}, {}
    for node, v in zip(placeholders, operands):
        arr = imp.array(v)
        if arr is not None:
            consts[node.name] = torch.from_numpy(np.array(arr))
        values[node.name] = v
    fake = types.SimpleNamespace(graph=gm.graph, graph_module=gm)
    folded = _fold_weights(fake, consts)
    for node in gm.graph.nodes:
        if node.op in ("call_function", "output") and node.name not in consts:
            for a in node.all_input_nodes:
                if a.name in folded and a.name not in values:
                    values[a.name] = imp.constant(consts[a.name].contiguous().numpy(), a.name)
    sub = _Importer(fake, imp.w.name)
    sub.w, sub.params, sub.folded = imp.w, imp.params, set(folded)
    sub.outer_loc = imp.outer_loc or imp.w.loc
    out_node = next(n for n in gm.graph.nodes if n.op == "output")
    outer_node, outer_loc = imp.node, imp.w.loc
    sub.run(values, out_node)
    imp.node, imp.w.loc = outer_node, outer_loc
    outs = out_node.args[0]
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    results = [sub.values.get(o.name) if hasattr(o, "name") else o for o in outs]
    if not all(isinstance(r, Value) for r in results):
        raise imp.unsupported("a branch or loop body that returns something other than tensors it computes")
    return results


def _region_results(imp: "_Importer") -> tuple[str, list[Value]]:
    """The SSA name of a multi-result region op and its results as Values of this node's types."""
    vals = imp.out_meta()
    vals = list(vals) if isinstance(vals, (list, tuple)) else [vals]
    name = imp.w.fresh()
    return name, [Value(f"{name}#{i}" if len(vals) > 1 else name, _shape_of(v), _dtype_of(v))
                  for i, v in enumerate(vals)]


def _scalar_of(imp: "_Importer", pred) -> str:
    """A 0-d boolean tensor (or a Python bool) as an i1 SSA value."""
    if isinstance(pred, Value):
        if pred.shape not in ((), (1,)):
            raise imp.unsupported(f"a predicate of shape {pred.shape} (one boolean is needed)")
        zero_index = imp.w.scalar_const(0, "index") if pred.shape else ""
        c = imp.w.fresh()
        imp.w.emit(f"{c} = tensor.extract {pred.name}[{zero_index}] : {pred.type}")
        if pred.dtype != "i1":
            b = imp.w.fresh()
            zero = imp.w.scalar_const(0, pred.dtype)
            cmp = "arith.cmpf une" if pred.dtype.startswith("f") else "arith.cmpi ne"
            imp.w.emit(f"{b} = {cmp}, {c}, {zero} : {pred.dtype}")
            c = b
        return c
    return imp.w.scalar_const(bool(pred), "i1")


def _open(imp: "_Importer", text: str) -> None:
    """A line that opens a region ("... {", "} else {", a block label): the op's location goes
    after its closing brace, not here."""
    imp.w.lines.append(f"  {text}")


@_op("cond")
def _cond(imp, pred, true_gm, false_gm, operands, *rest):
    operands = list(operands)
    name, results = _region_results(imp)
    types_ = ", ".join(r.type for r in results)
    c = _scalar_of(imp, pred)
    head = f"{name}:{len(results)}" if len(results) > 1 else name
    _open(imp, f"{head} = scf.if {c} -> ({types_}) {{")
    for i, gm in enumerate((true_gm, false_gm)):
        outs = _subgraph(imp, gm, operands)
        imp.w.emit(f"scf.yield {', '.join(o.name for o in outs)} : {', '.join(o.type for o in outs)}")
        if i == 0:
            _open(imp, "} else {")
        else:
            imp.w.emit("}")
    return results


@_op("while_loop")
def _while_loop(imp, cond_gm, body_gm, carried, additional=(), *rest):
    carried, additional = list(carried), list(additional)
    name, results = _region_results(imp)
    types_ = ", ".join(r.type for r in results)
    before = [Value(imp.w.fresh(), r.shape, r.dtype) for r in results]
    after = [Value(imp.w.fresh(), r.shape, r.dtype) for r in results]
    inits = ", ".join(f"{b.name} = {x.name}" for b, x in zip(before, carried))
    head = f"{name}:{len(results)}" if len(results) > 1 else name
    _open(imp, f"{head} = scf.while ({inits}) : ({types_}) -> ({types_}) {{")
    (pred,) = _subgraph(imp, cond_gm, before + additional)
    c = _scalar_of(imp, pred)
    imp.w.emit(f"scf.condition({c}) {', '.join(b.name for b in before)} : {types_}")
    _open(imp, "} do {")
    _open(imp, f"^bb0({', '.join(f'{a.name}: {a.type}' for a in after)}):")
    outs = _subgraph(imp, body_gm, after + additional)
    imp.w.emit(f"scf.yield {', '.join(o.name for o in outs)} : {', '.join(o.type for o in outs)}")
    imp.w.emit("}")
    return results


@_op("aten.embedding.default")
def _embedding(imp, weight, indices, padding_idx=-1, *rest):
    shape, t = imp.out_type()
    rank = len(shape)
    out = imp.w.empty(shape, t)
    idx_map = f"affine_map<({', '.join(f'd{i}' for i in range(rank))}) -> ({', '.join(f'd{i}' for i in range(rank - 1))})>"

    def body(s, names, _out):
        row = s.op("arith.index_cast", names[0], dtype=f"{indices.dtype} to index")
        col = s._fresh()
        s.lines.append(f"    {col} = linalg.index {rank - 1} : index")
        v = s._fresh()
        s.lines.append(f"    {v} = tensor.extract {weight.name}[{row}, {col}] : {weight.type}")
        return v
    return imp.w.generic([(indices, idx_map)], out, identity_map(rank), ["parallel"] * rank, body)


@_op("aten._transformer_encoder_layer_fwd.default")
def _encoder_layer(imp, src, embed_dim, num_heads, qkv_w, qkv_b, proj_w, proj_b, use_gelu, norm_first, eps,
                   n1_w, n1_b, n2_w, n2_b, f1_w, f1_b, f2_w, f2_b, mask=None, mask_type=None):
    """nn.TransformerEncoderLayer's inference fast path (what TorchDynamo captures under no_grad):
    its math written in PyTorch, inlined."""
    if mask is not None:
        raise imp.unsupported("the fused encoder layer with an attention mask")
    if src.rank != 3:
        raise imp.unsupported("the fused encoder layer on a nested or unbatched input")

    def reference(x, qkv_w, qkv_b, proj_w, proj_b, n1_w, n1_b, n2_w, n2_b, f1_w, f1_b, f2_w, f2_b):
        import torch.nn.functional as F

        def attention(x):
            b, s, e = x.shape
            q, k, v = F.linear(x, qkv_w, qkv_b).view(b, s, 3, num_heads, e // num_heads).permute(2, 0, 3, 1, 4)
            y = F.scaled_dot_product_attention(q, k, v)
            return F.linear(y.transpose(1, 2).reshape(b, s, e), proj_w, proj_b)

        def feed_forward(x):
            h = F.linear(x, f1_w, f1_b)
            return F.linear(F.gelu(h) if use_gelu else F.relu(h), f2_w, f2_b)

        def norm(x, w, bias):
            return F.layer_norm(x, (embed_dim,), w, bias, eps)
        if norm_first:
            x = x + attention(norm(x, n1_w, n1_b))
            return x + feed_forward(norm(x, n2_w, n2_b))
        x = norm(x + attention(x), n1_w, n1_b)
        return norm(x + feed_forward(x), n2_w, n2_b)

    return inline(imp, reference, [src, qkv_w, qkv_b, proj_w, proj_b, n1_w, n1_b, n2_w, n2_b, f1_w, f1_b,
                                   f2_w, f2_b])[0]


SUPPORTED = sorted(set(_HANDLERS) | {"getitem"})


# --------------------------------------------------------------------------- #
# Entry point
# --------------------------------------------------------------------------- #

def _export(model, example_inputs, example_kwargs):
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"fourfold.compile takes a torch.nn.Module, got {type(model).__name__}")
    training = model.training
    model.eval()  # inference: batch norm reads running statistics, dropout is off
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ep = torch.export.export(model, tuple(example_inputs), example_kwargs or None)
            # _safe_softmax is translated whole (its decomposition goes through boolean tensors).
            table = torch.export.default_decompositions()
            table.pop(torch.ops.aten._safe_softmax.default, None)
            return ep.run_decompositions(table)
    except Exception as e:  # torch.export's own message says which line and why
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise FourfoldError(f"torch.export could not capture {type(model).__name__}: {first}") from e
    finally:
        model.train(training)


# Tensor factories with constant arguments: folded at import like weight-only nodes.
_FACTORIES = {"aten.arange.default", "aten.arange.start", "aten.arange.start_step", "aten.zeros.default",
              "aten.ones.default", "aten.full.default", "aten.scalar_tensor.default"}


def _fold_weights(ep, consts: dict) -> list[str]:
    """Evaluates, in PyTorch, every node whose inputs are all weights (and which does not grow
    them, like an expand): transposes of weight matrices, reshapes of biases. Returns the names
    of the folded nodes; their values join `consts`."""
    import torch
    import torch.fx as fx

    folded = []
    for node in ep.graph.nodes:
        if node.op != "call_function":
            continue
        inputs = [a for a in node.all_input_nodes]
        if any(a.name not in consts for a in inputs):
            continue
        if not inputs and str(node.target) not in _FACTORIES:
            continue
        if node.target is operator.getitem:
            consts[node.name] = consts[node.args[0].name][node.args[1]]
            continue
        val = node.meta.get("val")
        if not isinstance(val, torch.Tensor):
            continue
        # A factory (arange of position ids) is folded up to a modest size, not a huge zeros().
        biggest = max((consts[a.name].numel() if isinstance(consts[a.name], torch.Tensor) else 1 for a in inputs),
                      default=1 << 16)
        if val.numel() > biggest:
            continue

        def load(a):
            return consts[a.name] if isinstance(a, fx.Node) else a
        args = fx.node.map_arg(node.args, load)
        kwargs = fx.node.map_arg(node.kwargs, load)
        with torch.no_grad():
            consts[node.name] = node.target(*args, **kwargs)
        folded.append(node.name)
    return folded


def _translate(ep, imp: "_Importer", user_values: list[Value]) -> tuple[list[Value], list[str], dict]:
    """Emits the exported program `ep` into `imp`'s function, its user inputs bound to
    `user_values`; returns the result Values, the folded nodes and the op counts."""
    import torch
    from torch.export.graph_signature import InputKind

    sig = ep.graph_signature
    placeholders = [n for n in ep.graph.nodes if n.op == "placeholder"]
    state = dict(ep.state_dict)
    state.update(getattr(ep, "constants", {}) or {})
    consts, users = {}, []
    for spec, node in zip(sig.input_specs, placeholders):
        if spec.kind in (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR):
            consts[node.name] = state[spec.target].detach()
        elif spec.kind == InputKind.USER_INPUT:
            users.append(node)
        else:
            raise FourfoldError(f"unsupported input kind {spec.kind} ({node.name})")
    folded = _fold_weights(ep, consts)
    imp.folded = set(folded)
    values = {node.name: v for node, v in zip(users, user_values)}
    # Weights (original or folded) that the program reads become arguments.
    needed = set()
    for node in ep.graph.nodes:
        if node.op in ("call_function", "output") and node.name not in consts:
            needed.update(a.name for a in node.all_input_nodes if a.name in consts)
    for node in ep.graph.nodes:
        if node.name in needed:
            t = consts[node.name]
            if not isinstance(t, torch.Tensor):
                raise FourfoldError(f"weight {node.name} is not a tensor")
            values[node.name] = imp.constant(t.contiguous().numpy(), node.name)
    imp.values.update({k: v for k, v in consts.items() if k not in values and not isinstance(v, torch.Tensor)})
    out_node = next(n for n in ep.graph.nodes if n.op == "output")
    imp.run(values, out_node)
    results = []
    for o in out_node.args[0]:
        r = imp.values.get(o.name) if hasattr(o, "name") else None
        if not isinstance(r, Value):
            raise FourfoldError(f"output {o} is not a tensor the program computes; fourfold returns tensors")
        results.append(r)
    ops = {}
    for node in ep.graph.nodes:
        if node.op == "call_function" and node.name not in consts:
            ops[str(node.target)] = ops.get(str(node.target), 0) + 1
    return results, folded, ops


def inline(imp: "_Importer", fn, args: list) -> list[Value]:
    """Emits `fn(*args)` (PyTorch code) into the function being written: tensors among `args` are
    Values (weights stay weights, so they fold), others pass through. For fused ATen ops that have
    no decomposition: their reference in PyTorch is exported and translated like the model."""
    import torch

    weights = [imp.array(a) for a in args]

    class Reference(torch.nn.Module):
        def __init__(self):
            super().__init__()
            for i, w in enumerate(weights):
                if w is not None:
                    self.register_buffer(f"w{i}", torch.from_numpy(np.array(w)))

        def forward(self, *xs):
            it = iter(xs)
            full = [getattr(self, f"w{i}") if w is not None else next(it) if isinstance(a, Value) else a
                    for i, (a, w) in enumerate(zip(args, weights))]
            return fn(*full)

    torch_dtype = {"f32": torch.float32, "f64": torch.float64, "i64": torch.int64, "i32": torch.int32,
                   "i1": torch.bool, "f16": torch.float16}
    inputs = [a for a, w in zip(args, weights) if isinstance(a, Value) and w is None]
    examples = [torch.zeros(a.shape, dtype=torch_dtype[a.dtype]) for a in inputs]
    ep = _export(Reference(), examples, None)
    sub = _Importer(ep, imp.w.name)
    sub.w, sub.params = imp.w, imp.params
    outer_loc = imp.w.loc
    results, _, _ = _translate(ep, sub, inputs)
    imp.w.loc = outer_loc
    return results


def import_torch(model, example_inputs, example_kwargs=None, name: str = "forward") -> ImportedProgram:
    """torch.nn.Module + example inputs -> ImportedProgram (linalg-on-tensors MLIR text)."""
    import torch

    ep = _export(model, example_inputs, example_kwargs)
    users = [n for n, spec in zip((n for n in ep.graph.nodes if n.op == "placeholder"), ep.graph_signature.input_specs)
             if spec.kind.name == "USER_INPUT"]
    imp = _Importer(ep, name)
    args, input_specs, user_values = [], [], []
    for i, node in enumerate(users):
        val = node.meta.get("val")
        if not isinstance(val, torch.Tensor):
            raise FourfoldError(f"input {node.name} is not a tensor ({type(val).__name__}); fourfold takes tensors")
        try:
            shape, dtype = _shape_of(val), _dtype_of(val)
        except TypeError as e:
            raise FourfoldError(f"input {node.name}: shapes must be static ({e})") from None
        except KeyError as e:
            raise FourfoldError(f"input {node.name}: unsupported dtype {e}") from None
        v = Value(f"%arg{i}", shape, dtype)
        user_values.append(v)
        args.append((v, "{bufferization.writable = false}"))
        input_specs.append((shape, np.dtype(torch.empty(0, dtype=val.dtype).numpy().dtype)))
    results, folded, ops = _translate(ep, imp, user_values)
    # Arguments: user inputs, then the weights in the order they were made, less those the
    # program no longer reads (batch-norm statistics once folded into a scale and shift).
    body = "\n".join(imp.w.lines) + " ".join(r.name for r in results)
    used = set(re.findall(r"%w\d+\b", body))
    params = {k: v for k, v in imp.params.items() if k in used}
    for pname, (array, _) in params.items():
        args.append((Value(pname, tuple(array.shape), mlir_dtype(array.dtype)), "{bufferization.writable = false}"))
    return ImportedProgram(name=name, mlir=imp.w.text(args, results),
                           params=[a for a, _ in params.values()],
                           param_names=[n for _, n in params.values()], input_specs=input_specs,
                           out_spec=ep.call_spec.out_spec, in_spec=ep.call_spec.in_spec, folded=folded, ops=ops)
