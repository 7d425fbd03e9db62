"""Writes linalg-on-tensors MLIR text, one SSA value per op, with static shapes.

The importers (fourfold.frontend.torch) say what to compute; this module knows how each
computation is spelled in upstream MLIR 22 (named linalg ops where one exists, so welder and roller
recognise matmuls and convolutions; linalg.generic for elementwise work and reductions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_NP_TO_MLIR = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64", np.dtype(np.float16): "f16",
               np.dtype(np.int64): "i64", np.dtype(np.int32): "i32", np.dtype(np.int16): "i16",
               np.dtype(np.int8): "i8", np.dtype(np.uint8): "i8", np.dtype(np.bool_): "i1"}


def is_float(dtype: str) -> bool:
    return dtype in ("f16", "bf16", "f32", "f64")


def bits(dtype: str) -> int:
    return 16 if dtype == "bf16" else int(dtype[1:])


def mlir_dtype(dtype) -> str:
    return _NP_TO_MLIR[np.dtype(dtype)]


def tensor_type(shape, dtype: str) -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + dtype + ">"


def float_literal(value: float, dtype: str) -> str:
    """An MLIR float literal that parses back to the same value of `dtype` (inf / nan as bit
    patterns: MLIR has no spelling for them)."""
    if math.isfinite(value):
        if dtype == "f64":
            return f"{value:.17e}"
        return f"{float(np.float32(value)):.9e}"
    np_type = {"f16": np.float16, "f32": np.float32, "f64": np.float64}[dtype]
    pattern = np.array(value, dtype=np_type).view({"f16": np.uint16, "f32": np.uint32, "f64": np.uint64}[dtype])
    return f"0x{int(pattern):0{bits(dtype) // 4}X}"


def literal(value, dtype: str) -> str:
    if is_float(dtype):
        return float_literal(float(value), dtype)
    if dtype == "i1":
        return "true" if value else "false"
    return str(int(value))


def typed_literal(value, dtype: str) -> str:
    """An arith.constant's value and type (booleans are spelled true / false, untyped)."""
    return literal(value, dtype) + ("" if dtype == "i1" else f" : {dtype}")


@dataclass(frozen=True)
class Value:
    """A tensor SSA value with its static type."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    @property
    def type(self) -> str:
        return tensor_type(self.shape, self.dtype)

    @property
    def rank(self) -> int:
        return len(self.shape)


class Scalar:
    """Writes the scalar body of a linalg.generic: `op` returns the new value's name."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.count = 0

    def _fresh(self) -> str:
        self.count += 1
        return f"%s{self.count}"

    def const(self, value, dtype: str) -> str:
        v = self._fresh()
        self.lines.append(f"    {v} = arith.constant {typed_literal(value, dtype)}")
        return v

    def op(self, name: str, *operands: str, dtype: str, attrs: str = "") -> str:
        v = self._fresh()
        self.lines.append(f"    {v} = {name} {', '.join(operands)}{attrs} : {dtype}")
        return v

    def cmp(self, kind: str, a: str, b: str, dtype: str) -> str:
        """A comparison (eq, ne, lt, le, gt, ge) of two values of `dtype`, giving i1."""
        v = self._fresh()
        if is_float(dtype):
            pred = {"eq": "oeq", "ne": "une", "lt": "olt", "le": "ole", "gt": "ogt", "ge": "oge"}[kind]
            self.lines.append(f"    {v} = arith.cmpf {pred}, {a}, {b} : {dtype}")
        else:
            pred = kind if kind in ("eq", "ne") or dtype == "i1" else "s" + kind
            if dtype == "i1" and kind not in ("eq", "ne"):
                pred = "u" + kind
            self.lines.append(f"    {v} = arith.cmpi {pred}, {a}, {b} : {dtype}")
        return v

    def select(self, cond: str, a: str, b: str, dtype: str) -> str:
        v = self._fresh()
        self.lines.append(f"    {v} = arith.select {cond}, {a}, {b} : {dtype}")
        return v

    def cast(self, x: str, src: str, dst: str) -> str:
        """Converts like PyTorch's .to(dtype): float->int truncates, x->bool is x != 0."""
        if src == dst:
            return x
        v = self._fresh()
        if dst == "i1":
            zero = self.const(0, src)
            return self.cmp("ne", x, zero, src)
        if is_float(src) and is_float(dst):
            op = "arith.extf" if bits(dst) > bits(src) else "arith.truncf"
        elif is_float(src):
            op = "arith.fptosi"
        elif is_float(dst):
            op = "arith.uitofp" if src == "i1" else "arith.sitofp"
        elif bits(dst) > bits(src):
            op = "arith.extui" if src == "i1" else "arith.extsi"
        else:
            op = "arith.trunci"
        self.lines.append(f"    {v} = {op} {x} : {src} to {dst}")
        return v


def _dims(rank: int) -> str:
    return ", ".join(f"d{i}" for i in range(rank))


def affine_map(rank: int, results) -> str:
    return f"affine_map<({_dims(rank)}) -> ({', '.join(results)})>"


def identity_map(rank: int) -> str:
    return affine_map(rank, [f"d{i}" for i in range(rank)])


class FunctionWriter:
    """Accumulates one func.func body. Every method returns the Value it defines; `loc` (an MLIR
    location, e.g. `loc("model.py":12:0)`) is attached to every op written until it changes, so
    diagnostics in any later stage point back at the Python source."""

    def __init__(self, name: str):
        self.name = name
        self.lines: list[str] = []
        self.count = 0
        self.loc = ""

    # -- basics ------------------------------------------------------------------------------
    def fresh(self) -> str:
        self.count += 1
        return f"%{self.count}"

    def emit(self, text: str) -> None:
        self.lines.append(f"  {text}{(' ' + self.loc) if self.loc else ''}")

    def empty(self, shape, dtype: str) -> Value:
        v = Value(self.fresh(), tuple(shape), dtype)
        self.emit(f"{v.name} = tensor.empty() : {v.type}")
        return v

    def scalar_const(self, value, dtype: str) -> str:
        v = self.fresh()
        self.emit(f"{v} = arith.constant {typed_literal(value, dtype)}")
        return v

    def full(self, shape, value, dtype: str) -> Value:
        e = self.empty(shape, dtype)
        c = self.scalar_const(value, dtype)
        v = Value(self.fresh(), tuple(shape), dtype)
        self.emit(f"{v.name} = linalg.fill ins({c} : {dtype}) outs({e.name} : {e.type}) -> {v.type}")
        return v

    # -- elementwise ---------------------------------------------------------------------------
    def _broadcast_operand(self, x: Value, out_shape) -> tuple[Value, str]:
        """x aligned to the right of out_shape (NumPy broadcasting): drops x's size-1 dimensions
        that broadcast, so the indexing map stays a projected permutation (which fusion,
        tiling and vectorisation need). Returns the operand and its map."""
        rank = len(out_shape)
        offset = rank - x.rank
        if offset < 0:
            raise ValueError(f"cannot broadcast {x.shape} to {tuple(out_shape)}")
        keep = [i for i in range(x.rank) if x.shape[i] == out_shape[offset + i]]
        for i in range(x.rank):
            if i not in keep and x.shape[i] != 1:
                raise ValueError(f"cannot broadcast {x.shape} to {tuple(out_shape)}")
        if len(keep) != x.rank:
            x = self.reshape(x, tuple(x.shape[i] for i in keep))
        return x, affine_map(rank, [f"d{offset + i}" for i in keep])

    def generic(self, inputs: list[tuple[Value, str]], out: Value, maps_out: str, iterators: list[str],
                body, result_dtype: str | None = None) -> Value:
        """linalg.generic; `body(scalar, args, out_arg)` writes the body with a Scalar and returns
        the yielded name."""
        lines: list[str] = []
        names = [f"%in{i}" for i in range(len(inputs))]
        result = body(Scalar(lines), names, "%out")
        maps = ", ".join([m for _, m in inputs] + [maps_out])
        iters = ", ".join(f'"{it}"' for it in iterators)
        v = Value(self.fresh(), out.shape, result_dtype or out.dtype)
        ins = ""
        if inputs:
            ins = (f"ins({', '.join(x.name for x, _ in inputs)} : "
                   f"{', '.join(x.type for x, _ in inputs)}) ")
        block_args = ", ".join([f"{n}: {x.dtype}" for n, (x, _) in zip(names, inputs)] + [f"%out: {out.dtype}"])
        body_text = "\n".join(lines)
        self.lines.append(
            f"  {v.name} = linalg.generic {{indexing_maps = [{maps}], iterator_types = [{iters}]}} "
            f"{ins}outs({out.name} : {out.type}) {{\n  ^bb0({block_args}):\n{body_text}\n"
            f"    linalg.yield {result} : {out.dtype}\n  }} -> {v.type}{(' ' + self.loc) if self.loc else ''}")
        return v

    def elementwise(self, operands: list, out_shape, out_dtype: str, fn) -> Value:
        """out[i] = fn(scalar, [operand scalars]) with broadcasting. Operands are Values or Python
        numbers (turned into constants inside the body)."""
        out_shape = tuple(out_shape)
        rank = len(out_shape)
        inputs, slots = [], []
        for o in operands:
            if isinstance(o, Value):
                x, m = self._broadcast_operand(o, out_shape)
                slots.append(("in", len(inputs), x.dtype))
                inputs.append((x, m))
            else:
                slots.append(("const", o, None))
        init = self.empty(out_shape, out_dtype)

        def body(s: Scalar, names, _out):
            args = []
            for kind, what, _ in slots:
                args.append(names[what] if kind == "in" else what)
            return fn(s, args)

        return self.generic(inputs, init, identity_map(rank), ["parallel"] * rank, body)

    # -- reductions ----------------------------------------------------------------------------
    def reduce(self, x: Value, dims, kind: str, keepdim: bool, out_dtype: str | None = None) -> Value:
        """sum / max / min / any / all over `dims`; the result keeps size-1 dims when keepdim.
        "maxnum" (floats): a max that skips NaN (arith.maxnumf), for callers whose result is NaN
        anyway when an input is (softmax)."""
        dims = sorted(d % x.rank for d in dims) if x.rank else []
        dtype = out_dtype or x.dtype
        kept = [i for i in range(x.rank) if i not in dims]
        out_shape = tuple(x.shape[i] for i in kept)
        init_value = {"sum": 0, "any": 0, "all": 1, "maxnum": -math.inf,
                      "max": -math.inf if is_float(dtype) else np.iinfo(np.int64).min,
                      "min": math.inf if is_float(dtype) else np.iinfo(np.int64).max}[kind]
        init = self.full(out_shape, init_value, dtype)

        def body(s: Scalar, names, out):
            a = s.cast(names[0], x.dtype, dtype)
            if kind == "sum":
                return s.op("arith.addf" if is_float(dtype) else "arith.addi", a, out, dtype=dtype)
            if kind in ("any", "all"):
                return s.op("arith.ori" if kind == "any" else "arith.andi", a, out, dtype=dtype)
            if kind == "maxnum":
                return s.op("arith.maxnumf", a, out, dtype=dtype)
            if is_float(dtype):  # maximumf / minimumf propagate NaN like torch.amax
                return s.op("arith.maximumf" if kind == "max" else "arith.minimumf", a, out, dtype=dtype)
            return s.op("arith.maxsi" if kind == "max" else "arith.minsi", a, out, dtype=dtype)

        iters = ["reduction" if i in dims else "parallel" for i in range(x.rank)]
        r = self.generic([(x, identity_map(x.rank))], init, affine_map(x.rank, [f"d{i}" for i in kept]),
                         iters, body)
        if keepdim:
            r = self.reshape(r, tuple(1 if i in dims else x.shape[i] for i in range(x.rank)))
        return r

    # -- shapes ----------------------------------------------------------------------------------
    def reshape(self, x: Value, shape) -> Value:
        """Any reshape of a contiguous tensor: collapse to 1-D (or 0-D), expand to the target;
        canonicalize folds the pair into one collapse / expand where the shapes allow."""
        shape = tuple(shape)
        if shape == x.shape:
            return x
        if int(np.prod(shape)) != int(np.prod(x.shape)):
            raise ValueError(f"cannot reshape {x.shape} to {shape}")
        flat = x
        if x.rank != 1:
            flat = Value(self.fresh(), (int(np.prod(x.shape)),) if shape else (), x.dtype)
            if x.rank == 0:  # 0-D -> 1-D: expand with no reassociation groups
                flat = Value(flat.name, (1,), x.dtype)
                self.emit(f"{flat.name} = tensor.expand_shape {x.name} [] output_shape [1] : {x.type} into {flat.type}")
            else:
                groups = "[[" + ", ".join(str(i) for i in range(x.rank)) + "]]" if shape else "[]"
                self.emit(f"{flat.name} = tensor.collapse_shape {x.name} {groups} : {x.type} into {flat.type}")
        if flat.shape == shape:
            return flat
        v = Value(self.fresh(), shape, x.dtype)
        if not shape:
            self.emit(f"{v.name} = tensor.collapse_shape {flat.name} [] : {flat.type} into {v.type}")
        elif flat.rank == 0:
            self.emit(f"{v.name} = tensor.expand_shape {flat.name} [] output_shape "
                      f"[{', '.join(map(str, shape))}] : {flat.type} into {v.type}")
        else:
            groups = "[[" + ", ".join(str(i) for i in range(len(shape))) + "]]"
            self.emit(f"{v.name} = tensor.expand_shape {flat.name} {groups} output_shape "
                      f"[{', '.join(map(str, shape))}] : {flat.type} into {v.type}")
        return v

    def transpose(self, x: Value, perm) -> Value:
        perm = [p % x.rank for p in perm] if x.rank else []
        if perm == list(range(x.rank)):
            return x
        init = self.empty(tuple(x.shape[p] for p in perm), x.dtype)
        v = Value(self.fresh(), init.shape, x.dtype)
        self.emit(f"{v.name} = linalg.transpose ins({x.name} : {x.type}) outs({init.name} : {init.type}) "
                  f"permutation = [{', '.join(map(str, perm))}]")
        return v

    def cast(self, x: Value, dtype: str) -> Value:
        """x converted elementwise to `dtype` (PyTorch's .to semantics, see Scalar.cast)."""
        if x.dtype == dtype:
            return x
        return self.elementwise([x], x.shape, dtype, lambda s, a: s.cast(a[0], x.dtype, dtype))

    def broadcast_to(self, x: Value, shape) -> Value:
        shape = tuple(shape)
        if x.shape == shape:
            return x
        return self.elementwise([x], shape, x.dtype, lambda s, a: a[0])

    def extract_slice(self, x: Value, offsets, sizes, strides, result_shape=None) -> Value:
        """tensor.extract_slice; `result_shape` (a rank-reduced shape) drops unit dimensions."""
        shape = tuple(result_shape if result_shape is not None else sizes)
        v = Value(self.fresh(), shape, x.dtype)
        self.emit(f"{v.name} = tensor.extract_slice {x.name}[{', '.join(map(str, offsets))}] "
                  f"[{', '.join(map(str, sizes))}] [{', '.join(map(str, strides))}] : {x.type} to {v.type}")
        return v

    def insert_slice(self, src: Value, dest: Value, offsets) -> Value:
        v = Value(self.fresh(), dest.shape, dest.dtype)
        ones = ", ".join("1" for _ in src.shape)
        self.emit(f"{v.name} = tensor.insert_slice {src.name} into {dest.name}[{', '.join(map(str, offsets))}] "
                  f"[{', '.join(map(str, src.shape))}] [{ones}] : {src.type} into {dest.type}")
        return v

    def concat(self, xs: list[Value], dim: int) -> Value:
        """Insert slices into one buffer (bufferizes in place, unlike tensor.concat in 22.1)."""
        shape = list(xs[0].shape)
        shape[dim] = sum(x.shape[dim] for x in xs)
        out = self.empty(shape, xs[0].dtype)
        at = 0
        for x in xs:
            offsets = [0] * len(shape)
            offsets[dim] = at
            out = self.insert_slice(x, out, offsets)
            at += x.shape[dim]
        return out

    def pad(self, x: Value, low, high, value) -> Value:
        if not any(low) and not any(high):
            return x
        shape = tuple(d + lo + hi for d, lo, hi in zip(x.shape, low, high))
        v = Value(self.fresh(), shape, x.dtype)
        c = self.scalar_const(value, x.dtype)
        idx = ", ".join(f"%p{i}: index" for i in range(x.rank))
        self.lines.append(
            f"  {v.name} = tensor.pad {x.name} low[{', '.join(map(str, low))}] high[{', '.join(map(str, high))}] {{\n"
            f"  ^bb0({idx}):\n    tensor.yield {c} : {x.dtype}\n  }} : {x.type} to {v.type}"
            f"{(' ' + self.loc) if self.loc else ''}")
        return v

    # -- named structured ops ------------------------------------------------------------------
    def named(self, op: str, inputs: list[Value], init: Value, attrs: str = "") -> Value:
        v = Value(self.fresh(), init.shape, init.dtype)
        self.emit(f"{v.name} = linalg.{op}{(' ' + attrs) if attrs else ''} "
                  f"ins({', '.join(x.name for x in inputs)} : {', '.join(x.type for x in inputs)}) "
                  f"outs({init.name} : {init.type}) -> {v.type}")
        return v

    def matmul(self, a: Value, b: Value) -> Value:
        """a @ b for 2-D (linalg.matmul) or 3-D batched (linalg.batch_matmul) operands."""
        if a.rank == 2:
            return self.named("matmul", [a, b], self.full((a.shape[0], b.shape[1]), 0, a.dtype))
        return self.named("batch_matmul", [a, b], self.full((a.shape[0], a.shape[1], b.shape[2]), 0, a.dtype))

    # -- the function ------------------------------------------------------------------------------
    def text(self, args: list[tuple[Value, str]], results: list[Value]) -> str:
        """`args`: (value, argument attributes text or "")."""
        params = ", ".join(f"{v.name}: {v.type}{(' ' + a) if a else ''}" for v, a in args)
        rtypes = ", ".join(r.type for r in results)
        if len(results) != 1:
            rtypes = f"({rtypes})"
        body = "\n".join(self.lines)
        return (f"func.func @{self.name}({params}) -> {rtypes} {{\n{body}\n"
                f"  return {', '.join(r.name for r in results)} : {', '.join(r.type for r in results)}\n}}\n")
