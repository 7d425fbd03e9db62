"""fourfold's Relax patterns and `partition_for_fourfold`.

Partitioning, in order:
1. fold weights: operators whose inputs are all constants (the transposed weight of nn.Linear,
   reshapes of biases, inference batch norm's statistics) are evaluated once, in numpy;
2. regions: every operator fourfold translates is grouped with its supported neighbours; a
   region that only moves data (reshapes, transposes, slices) is left to TVM, since offloading it
   costs a call and saves nothing;
3. FuseOpsByPattern with fourfold's patterns (larger patterns first: dense / matmul with bias and
   activation, conv2d with batch norm, residual and ReLU, attention, layer norm, softmax, then
   single operators), weights kept as arguments so the VM passes them;
4. MergeCompositeFunctions: neighbouring composites become one function, `Codegen: fourfold`,
   which fourfold compiles as one MLIR function (welder fuses across the patterns);
5. scalars (a softmax scale, a take index, a fill value) are bound into the functions, so they
   compile to literals.
Operators with symbolic shapes or unsupported element types stay in TVM (with a warning).
"""

from __future__ import annotations

import warnings

import numpy as np
import tvm
from tvm import relax
from tvm.relax.dpl.pattern import is_op, is_tuple_get_item, wildcard
from tvm.relax.transform import PatternCheckContext

from . import translate as T

CODEGEN = "fourfold"
_ATTR_TARGET = "fourfold.target"

# Operators that only move data: a region made of these alone stays in TVM.
MOVEMENT = {"relax.reshape", "relax.permute_dims", "relax.broadcast_to", "relax.expand_dims", "relax.squeeze",
            "relax.flatten", "relax.take", "relax.strided_slice", "relax.concat", "relax.split", "relax.astype",
            "relax.full_like", "relax.zeros_like", "relax.ones_like", "relax.full", "relax.zeros", "relax.ones",
            "relax.nn.dropout"}
# Operators that are patterns' building blocks but never worth a pattern of their own.
_NO_SINGLE = {"relax.full", "relax.zeros", "relax.ones"}
ACTIVATIONS = ("relax.nn.relu", "relax.nn.gelu", "relax.nn.gelu_tanh", "relax.nn.silu", "relax.sigmoid",
               "relax.tanh", "relax.clip")


# --------------------------------------------------------------------------- #
# Which calls fourfold can take
# --------------------------------------------------------------------------- #

def _tensor_ok(ty, what) -> str | None:
    kind = type(ty).__name__
    if kind == "TupleType":
        for f in ty.fields:
            why = _tensor_ok(f, what)
            if why:
                return why
        return None
    if kind != "TensorType":
        return f"{what} is not a tensor ({ty})"
    try:
        T.static_shape(ty, what)
        T.element_type(ty, what)
    except T.UnsupportedError as e:
        return str(e)
    return None


def reject_reason(call) -> str | None:
    """Why fourfold cannot take this Relax call (None: it can)."""
    op = getattr(call.op, "name", None)
    if op not in T.HANDLERS:
        return f"{op}: no translation"
    why = _tensor_ok(call.ty, f"the result of {op}")
    if why:
        return why
    for i, a in enumerate(call.args):
        kind = type(a).__name__
        if kind in ("ShapeExpr", "PrimValue", "FloatImm", "IntImm", "StringImm"):
            if kind == "ShapeExpr":
                try:
                    [int(v.value) for v in a.values]
                except Exception:
                    return f"{op}: a symbolic shape argument"
            continue
        if kind == "Tuple" and op in ("relax.strided_slice",):
            continue
        if hasattr(a, "ty"):
            why = _tensor_ok(a.ty, f"argument #{i} of {op}")
            if why:
                return why
    attrs = call.attrs
    if op == "relax.take" and type(call.args[1]).__name__ not in ("GenericConst", "Constant"):
        return "relax.take: indices known only at run time"
    if op == "relax.matmul":
        if str(call.ty.dtype) not in ("float32", "float64", "float16"):
            return "relax.matmul: integer matmul"
        if any(getattr(a.ty, "ndim", 0) == 1 for a in call.args):
            return "relax.matmul: a vector operand"
    if op == "relax.nn.conv2d":
        if str(attrs.data_layout) != "NCHW" or str(attrs.kernel_layout) != "OIHW" or str(attrs.out_layout) != "NCHW":
            return f"relax.nn.conv2d: layout {attrs.data_layout}/{attrs.kernel_layout}"
    if op in ("relax.nn.max_pool2d", "relax.nn.avg_pool2d"):
        if str(attrs.layout) != "NCHW" or bool(attrs.ceil_mode):
            return f"{op}: layout {attrs.layout} or ceil_mode"
    if op == "relax.nn.adaptive_avg_pool2d":
        if str(attrs.layout) != "NCHW":
            return f"{op}: layout {attrs.layout}"
        try:
            h, w = T.static_shape(call.args[0].ty)[2:]
            oh, ow = T.static_shape(call.ty)[2:]
        except T.UnsupportedError as e:
            return str(e)
        if h % oh or w % ow:
            return f"{op}: output size does not divide the input"
    if op == "relax.nn.layer_norm":
        rank = call.args[0].ty.ndim
        axes = sorted({int(a) % rank for a in attrs.axes})
        if axes != list(range(rank - len(axes), rank)):
            return "relax.nn.layer_norm: axes that are not the last ones"
    if op == "relax.nn.batch_norm" and bool(getattr(attrs, "training", False)):
        return "relax.nn.batch_norm: training mode"
    if op == "relax.strided_slice":
        if len(call.args) > 4 and call.args[4] is not None:
            try:
                if any(int(s) <= 0 for s in T._ints(call.args[4])):
                    return "relax.strided_slice: negative strides"
            except Exception:
                return "relax.strided_slice: symbolic strides"
        try:
            for a in call.args[1:4]:
                T._ints(a)
        except Exception:
            return "relax.strided_slice: symbolic bounds"
    if op in ("relax.sigmoid", "relax.nn.silu", "relax.nn.gelu", "relax.nn.gelu_tanh", "relax.exp", "relax.log",
              "relax.sqrt", "relax.rsqrt", "relax.tanh", "relax.erf", "relax.sin", "relax.cos", "relax.mean",
              "relax.nn.softmax", "relax.nn.log_softmax", "relax.nn.layer_norm", "relax.nn.batch_norm",
              "relax.variance", "relax.power", "relax.divide") and str(call.ty.dtype if hasattr(call.ty, "dtype")
                                                                        else "float32") not in ("float32", "float64", "float16"):
        return f"{op}: on integers"
    return None


# --------------------------------------------------------------------------- #
# 1. Folding weights
# --------------------------------------------------------------------------- #

def _const_array(expr):
    if type(expr).__name__ in ("GenericConst", "Constant"):
        return np.asarray(expr.value.numpy())
    return None


_FOLDABLE = {
    "relax.permute_dims": lambda c, a: np.transpose(a[0], None if c.attrs.axes is None else [int(x) for x in c.attrs.axes]),
    "relax.reshape": lambda c, a: a[0].reshape(T.static_shape(c.ty)),
    "relax.expand_dims": lambda c, a: a[0].reshape(T.static_shape(c.ty)),
    "relax.squeeze": lambda c, a: a[0].reshape(T.static_shape(c.ty)),
    "relax.flatten": lambda c, a: a[0].reshape(T.static_shape(c.ty)),
    "relax.astype": lambda c, a: a[0].astype(str(c.ty.dtype)),
    "relax.add": lambda c, a: a[0] + a[1],
    "relax.subtract": lambda c, a: a[0] - a[1],
    "relax.multiply": lambda c, a: a[0] * a[1],
    "relax.divide": lambda c, a: a[0] / a[1],
    "relax.sqrt": lambda c, a: np.sqrt(a[0]),
    "relax.rsqrt": lambda c, a: 1 / np.sqrt(a[0]),
    "relax.negative": lambda c, a: -a[0],
}


@relax.expr_functor.mutator
class _WeightFolder(relax.PyExprMutator):
    """Evaluates operators on constants (keeping their dtype), and rewrites inference batch norm
    with constant statistics into x * scale + shift."""

    def __init__(self, mod):
        super().__init__(mod)

    def _arg(self, a):
        if type(a).__name__ in ("Var", "DataflowVar"):
            try:
                bound = self.lookup_binding(a)
            except Exception:
                bound = None
            if bound is not None and type(bound).__name__ in ("GenericConst", "Constant"):
                return bound
        return a

    def visit_call_(self, call):
        call = self.visit_expr_post_order(call)
        if not isinstance(getattr(call, "op", None), tvm.ir.Op):
            return call
        args = [self._arg(a) for a in call.args]
        name = call.op.name
        arrays = [_const_array(a) for a in args]
        fold = _FOLDABLE.get(name)
        if fold is not None and all(x is not None for x in arrays) and type(call.ty).__name__ == "TensorType":
            try:
                dtype = str(call.ty.dtype)
                value = np.asarray(fold(call, arrays)).astype(dtype)
                if value.shape == T.static_shape(call.ty):
                    return relax.const(value, dtype)
            except Exception:
                pass
        if any(a is not b for a, b in zip(args, call.args)) and name != "relax.nn.batch_norm":
            call = relax.Call(call.op, args, call.attrs, call.ty_args if hasattr(call, "ty_args") else None)
        return call

    def visit_tuple_getitem_(self, item):
        item = self.visit_expr_post_order(item)
        tup = item.tuple_value
        bound = tup
        if type(tup).__name__ in ("Var", "DataflowVar"):
            try:
                bound = self.lookup_binding(tup)
            except Exception:
                bound = None
        if (item.index == 0 and bound is not None and type(bound).__name__ == "Call"
                and getattr(bound.op, "name", None) == "relax.nn.batch_norm"):
            params = [_const_array(self._arg(a)) for a in bound.args[1:5]]
            at = bound.attrs
            x = bound.args[0]
            if all(p is not None for p in params) and not bool(getattr(at, "training", False)) \
                    and type(x.ty).__name__ == "TensorType" and str(x.ty.dtype) in ("float32", "float64", "float16"):
                gamma, beta, mean, var = (p.astype(np.float64) for p in params)
                rank = x.ty.ndim
                axis = int(at.axis) % rank
                c = gamma.shape[0]
                g = gamma if at.scale else np.ones(c)
                b = beta if at.center else np.zeros(c)
                scale = g / np.sqrt(var + float(at.epsilon))
                shift = b - mean * scale
                per = tuple(c if i == axis else 1 for i in range(rank))
                dtype = str(x.ty.dtype)
                y = relax.op.multiply(x, relax.const(scale.reshape(per).astype(dtype), dtype))
                return relax.op.add(y, relax.const(shift.reshape(per).astype(dtype), dtype))
        return item


def fold_weights(mod: tvm.IRModule) -> tvm.IRModule:
    """Evaluate weight-only computations of every Relax function once, in numpy."""
    folder = _WeightFolder(mod)
    for gv, fn in list(mod.functions.items()):
        if isinstance(fn, relax.Function) and not (fn.attrs and ("Codegen" in fn.attrs or "Composite" in fn.attrs)):
            folder.builder_.update_func(gv, folder.visit_expr(fn))
    mod = folder.builder_.get()
    return relax.transform.DeadCodeElimination()(mod)


# --------------------------------------------------------------------------- #
# 2. Regions: which supported calls are worth offloading
# --------------------------------------------------------------------------- #

def _offload_plan(mod: tvm.IRModule) -> tuple[set, list[str]]:
    """Vars of supported calls to keep in TVM (their region only moves data), and the reasons
    some calls cannot be offloaded at all (symbolic shapes and the like)."""
    keep, reasons = [], []
    for _, fn in mod.functions.items():
        if not isinstance(fn, relax.Function) or (fn.attrs and ("Codegen" in fn.attrs or "Composite" in fn.attrs)):
            continue
        parent: dict = {}
        supported: dict = {}  # var -> op name

        def find(v):
            while parent[v] is not v:
                parent[v] = parent[parent[v]]
                v = parent[v]
            return v

        for block in fn.body.blocks:
            for b in block.bindings:
                if type(b).__name__ != "VarBinding":
                    continue
                value = b.value
                if type(value).__name__ == "TupleGetItem" and value.tuple_value in supported:
                    supported[b.var] = "relax.__getitem__"
                    parent[b.var] = b.var
                    parent[find(b.var)] = find(value.tuple_value)
                    continue
                if type(value).__name__ != "Call" or not isinstance(value.op, tvm.ir.Op):
                    continue
                why = reject_reason(value)
                if why is not None:
                    if value.op.name in T.HANDLERS:
                        reasons.append(why)
                    continue
                supported[b.var] = value.op.name
                parent[b.var] = b.var
                for a in value.args:
                    operands = a.fields if type(a).__name__ == "Tuple" else [a]
                    for o in operands:
                        if o in supported:
                            ra, rb = find(o), find(b.var)
                            if ra is not rb:
                                parent[rb] = ra
        regions: dict = {}
        for v, opname in supported.items():
            regions.setdefault(find(v), []).append((v, opname))
        for members in regions.values():
            if all(opname in MOVEMENT or opname == "relax.__getitem__" for _, opname in members):
                keep += [v for v, _ in members]
    return keep, reasons


# --------------------------------------------------------------------------- #
# 3. Patterns
# --------------------------------------------------------------------------- #

class _Checker:
    """The check of every fourfold pattern: each call fourfold translates, no intermediate value
    escapes the match, and no call belongs to a region left to TVM."""

    def __init__(self):
        self.keep: list = []

    def __call__(self, ctx: PatternCheckContext) -> bool:
        for var, value in ctx.matched_bindings.items():
            if any(var.same_as(k) for k in self.keep):
                return False
            if type(value).__name__ == "Call" and isinstance(value.op, tvm.ir.Op):
                if reject_reason(value) is not None:
                    return False
        root = ctx.value_to_bound_var.get(ctx.matched_expr) if ctx.matched_expr in ctx.value_to_bound_var else None
        defined = list(ctx.matched_bindings.keys())
        for var in defined:
            if root is not None and var.same_as(root):
                continue
            if type(var).__name__ != "DataflowVar":
                return False
            for user in ctx.var_usages.get(var, []):
                if not any(user.same_as(d) for d in defined):
                    return False
        return True


_CHECK = _Checker()


def _either(op_name, a, b):
    return is_op(op_name)(a, b) | is_op(op_name)(b, a)


def _act(x):
    pat = None
    for name in ACTIVATIONS:
        p = is_op(name)(x, varg_default_wildcard=True) if name == "relax.clip" else is_op(name)(x)
        pat = p if pat is None else pat | p
    return pat


def _contraction_patterns() -> list:
    out = []
    x, w, bias = wildcard(), wildcard(), wildcard()
    dense = is_op("relax.matmul")(x, is_op("relax.permute_dims")(w))
    mm = is_op("relax.matmul")(wildcard(), wildcard())
    for stem_name, stem in (("dense", dense), ("matmul", mm)):
        with_bias = _either("relax.add", stem, bias)
        out.append((f"{CODEGEN}.{stem_name}_bias_act", _act(with_bias), {"root": stem}, _CHECK))
        out.append((f"{CODEGEN}.{stem_name}_bias", with_bias, {"root": stem}, _CHECK))
        out.append((f"{CODEGEN}.{stem_name}_act", _act(stem), {"root": stem}, _CHECK))
        out.append((f"{CODEGEN}.{stem_name}", stem, {"root": stem}, _CHECK))
    return out


def _conv_patterns() -> list:
    conv = is_op("relax.nn.conv2d")(wildcard(), wildcard())
    bn_op = is_tuple_get_item(is_op("relax.nn.batch_norm")(conv, wildcard(), wildcard(), wildcard(), wildcard()), 0)
    affine = _either("relax.add", _either("relax.multiply", conv, wildcard()), wildcard())
    bias = _either("relax.add", conv, wildcard())
    out = []
    for norm_name, norm in (("bn", bn_op | affine), ("bias", bias)):
        residual = _either("relax.add", norm, wildcard())
        out.append((f"{CODEGEN}.conv2d_{norm_name}_add_relu", is_op("relax.nn.relu")(residual), {"root": conv}, _CHECK))
        out.append((f"{CODEGEN}.conv2d_{norm_name}_relu", _act(norm), {"root": conv}, _CHECK))
        out.append((f"{CODEGEN}.conv2d_{norm_name}_add", residual, {"root": conv}, _CHECK))
        out.append((f"{CODEGEN}.conv2d_{norm_name}", norm, {"root": conv}, _CHECK))
    out.append((f"{CODEGEN}.conv2d_relu", _act(conv), {"root": conv}, _CHECK))
    out.append((f"{CODEGEN}.conv2d", conv, {"root": conv}, _CHECK))
    return out


def _attention_patterns() -> list:
    q, k, v = wildcard(), wildcard(), wildcard()
    scores = is_op("relax.matmul")(q, k)
    scaled = scores | _either("relax.multiply", scores, wildcard()) | _either("relax.divide", scores, wildcard())
    probs = is_op("relax.nn.softmax")(scaled)
    reshaped = is_op("relax.nn.softmax")(is_op("relax.reshape")(scaled, wildcard()))
    # PyTorch's scaled_dot_product_attention as Relax's importer writes it: softmax over the
    # (reshaped) scores, rows that are all -inf set to zero, reshaped back for the second matmul
    s4 = is_op("relax.reshape")(scaled, wildcard())
    sm = is_op("relax.nn.softmax")(s4)
    is_inf = is_op("relax.logical_not")(is_op("relax.equal")(s4, wildcard()))
    row_any = is_op("relax.astype")(is_op("relax.max")(is_op("relax.astype")(is_inf)))
    masked = is_op("relax.where")(is_op("relax.logical_not")(row_any), is_op("relax.full_like")(sm, wildcard()), sm)
    sdpa_probs = is_op("relax.reshape")(is_op("relax.broadcast_to")(masked, wildcard()), wildcard())
    out = []
    for name, p in (("attention_sdpa", is_op("relax.matmul")(sdpa_probs, v)),
                    ("attention_reshape", is_op("relax.matmul")(is_op("relax.reshape")(reshaped, wildcard()), v)),
                    ("attention", is_op("relax.matmul")(probs, v))):
        out.append((f"{CODEGEN}.{name}", p, {"root": scores}, _CHECK))
    return out


def _norm_patterns() -> list:
    x = wildcard()
    return [(f"{CODEGEN}.layer_norm", is_op("relax.nn.layer_norm")(x, wildcard(), wildcard()), {}, _CHECK),
            (f"{CODEGEN}.softmax", is_op("relax.nn.softmax")(x), {}, _CHECK)]


def _single_patterns() -> list:
    out = []
    for full in sorted(T.HANDLERS):
        if full in _NO_SINGLE:
            continue
        arity = max(1, len(tvm.ir.Op.get(full).arguments))
        p = is_op(full)(*[wildcard() for _ in range(arity)], varg_default_wildcard=True)
        out.append((f"{CODEGEN}.{full[len('relax.'):]}", p, {}, _CHECK))
    # batch norm's output tuple: the composite takes the getitem too
    bn = is_op("relax.nn.batch_norm")(wildcard(), varg_default_wildcard=True)
    out.insert(0, (f"{CODEGEN}.batch_norm_0", is_tuple_get_item(bn, 0), {}, _CHECK))
    return out


def fourfold_patterns() -> list:
    """fourfold's patterns, highest priority first, as (name, pattern, annotations, check)."""
    return _attention_patterns() + _conv_patterns() + _contraction_patterns() + _norm_patterns() + _single_patterns()


_REGISTERED = False


def register() -> None:
    """Register fourfold's patterns with TVM's pattern registry (names `fourfold.*`)."""
    global _REGISTERED
    if _REGISTERED:
        return
    from tvm.relax.backend.pattern_registry import register_patterns

    # the registry gives later entries higher priority
    register_patterns(list(reversed(fourfold_patterns())))
    _REGISTERED = True


# --------------------------------------------------------------------------- #
# 5. Binding scalars
# --------------------------------------------------------------------------- #

def _is_fourfold(fn) -> bool:
    return isinstance(fn, relax.Function) and fn.attrs is not None and "Codegen" in fn.attrs \
        and str(fn.attrs["Codegen"]) == CODEGEN


def _region_name(fn, index: int) -> str:
    """A short symbol for an offloaded function: its index and its first patterns."""
    kinds = []
    for block in fn.body.blocks:
        for b in block.bindings:
            v = b.value
            if type(v).__name__ == "Function" and v.attrs is not None and "Composite" in v.attrs:
                k = str(v.attrs["Composite"]).split(".", 1)[-1]
                if k not in kinds:
                    kinds.append(k)
    name = (f"fourfold_{index}_" + "_".join(kinds[:3]))[:80]
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)  # a C identifier


@relax.expr_functor.mutator
class _ScalarBinder(relax.PyExprMutator):
    """Binds scalar constant arguments of calls to fourfold functions into the functions, gives
    each a short symbol and records the target."""

    def __init__(self, mod, target):
        super().__init__(mod)
        self.mod_ = mod
        self.target = target
        self.replaced = []
        self.count = 0

    def visit_call_(self, call):
        call = self.visit_expr_post_order(call)
        gv = call.op
        if type(gv).__name__ != "GlobalVar":
            return call
        fn = self.mod_[gv]
        if not _is_fourfold(fn):
            return call
        bind, keep = {}, []
        for p, a in zip(fn.params, call.args):
            arr = _const_array(a)
            if arr is not None and arr.size == 1:
                bind[p] = a
            else:
                keep.append(a)
        new_fn = fn.bind_params(bind) if bind else fn
        name = _region_name(fn, self.count)
        self.count += 1
        new_fn = new_fn.with_attr("global_symbol", name).with_attr(_ATTR_TARGET, self.target)
        self.replaced.append(gv)
        new_gv = self.builder_.add_func(new_fn, name)
        return relax.Call(new_gv, keep)


def _bind_scalars(mod: tvm.IRModule, target: str) -> tvm.IRModule:
    binder = _ScalarBinder(mod, target)
    for gv, fn in list(mod.functions.items()):
        if isinstance(fn, relax.Function) and not _is_fourfold(fn) and not (fn.attrs and "Composite" in fn.attrs):
            binder.builder_.update_func(gv, binder.visit_expr(fn))
    out = binder.builder_.get()
    for gv in binder.replaced:
        if gv in out:
            del out[gv]
    return out


# --------------------------------------------------------------------------- #
# The entry point
# --------------------------------------------------------------------------- #

def normalize_target(target) -> str:
    """'cpu' or a GPU chip ('sm_90') from a TVM target (object, dict or string) or a chip name."""
    if target is None:
        return "cpu"
    if isinstance(target, str) and (target == "cpu" or target.startswith("sm_")):
        return target
    if not isinstance(target, tvm.target.Target):
        target = tvm.target.Target(target)
    kind = target.kind.name
    if kind in ("llvm", "c"):
        return "cpu"
    if kind == "cuda":
        arch = target.attrs.get("arch", None) if hasattr(target, "attrs") else None
        arch = str(arch) if arch else "sm_90"
        return arch[:-1] if arch.endswith("a") else arch
    raise ValueError(f"fourfold's TVM codegen supports llvm (CPU) and cuda targets, not '{kind}'")


def partition_for_fourfold(mod: tvm.IRModule, target=None, *, fold: bool = True,
                           patterns: list | None = None) -> tvm.IRModule:
    """Mark what fourfold can compile in `mod` for the `fourfold` codegen.

    target: where the offloaded functions run: a TVM target (llvm -> this CPU, cuda -> its arch,
    sm_90 by default) or 'cpu' / 'sm_90'. Returns the module with functions `Codegen: fourfold`;
    `relax.transform.RunCodegen()` then compiles them (fourfold.tvm registers the codegen) and
    `relax.build` builds the rest with TVM."""
    chip = normalize_target(target)
    register()
    if fold:
        mod = fold_weights(mod)
    keep, reasons = _offload_plan(mod)
    symbolic = [r for r in reasons if "symbolic" in r or "unknown" in r]
    if symbolic:
        warnings.warn(f"fourfold: {len(symbolic)} operator(s) with symbolic shapes stay in TVM "
                      f"(fourfold compiles static shapes only); first: {symbolic[0]}", stacklevel=2)
    _CHECK.keep = keep
    try:
        pats = patterns if patterns is not None else fourfold_patterns()
        fused = relax.transform.FuseOpsByPattern(pats, bind_constants=False, annotate_codegen=False)(mod)
        try:
            mod = relax.transform.MergeCompositeFunctions()(fused)
        except Exception as e:  # TVM 0.27's merge has no rule for some constructs (relax If)
            first = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
            warnings.warn(f"fourfold: MergeCompositeFunctions failed ({first}); each pattern becomes its own "
                          "fourfold function", stacklevel=2)
            mod = relax.transform.FuseOpsByPattern(pats, bind_constants=False, annotate_codegen=True)(mod)
    finally:
        _CHECK.keep = []
    return _bind_scalars(mod, chip)


def offloaded_functions(mod: tvm.IRModule) -> dict:
    """{name: relax.Function} of the functions marked for fourfold."""
    return {(gv.name_hint if hasattr(gv, "name_hint") else gv.name): fn
            for gv, fn in mod.functions.items() if _is_fourfold(fn)}
