"""fourfold.compile: MLIR (linalg on tensors, or tosa) in, a CPU callable or GPU PTX/cubin out."""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from . import ir
from .dialects import func as func_d
from .dialects import gpu as gpu_d
from .errors import CompileError, FourfoldError
from .pipeline import Pipeline, PipelineResult, parse, supported_chips

__all__ = ["compile", "CPUModule", "GPUArtifact", "ArgSpec", "find_ptxas", "find_cuda_toolkit"]


# --------------------------------------------------------------------------- #
# Signatures
# --------------------------------------------------------------------------- #

def _element_dtype(t: ir.Type) -> np.dtype:
    if isinstance(t, ir.F32Type):
        return np.dtype(np.float32)
    if isinstance(t, ir.F64Type):
        return np.dtype(np.float64)
    if isinstance(t, ir.F16Type):
        return np.dtype(np.float16)
    if isinstance(t, ir.BF16Type):
        try:
            import ml_dtypes
        except ImportError:  # pragma: no cover - ml_dtypes comes with the bindings' requirements
            raise FourfoldError("bf16 needs the ml_dtypes package") from None
        return np.dtype(ml_dtypes.bfloat16)
    if isinstance(t, ir.IndexType):
        return np.dtype(np.int64)
    if isinstance(t, ir.IntegerType):
        width = ir.IntegerType(t).width
        if width == 1:
            return np.dtype(np.bool_)
        if width in (8, 16, 32, 64):
            unsigned = ir.IntegerType(t).is_unsigned
            return np.dtype(f"{'u' if unsigned else ''}int{width}")
    raise FourfoldError(f"element type {t} has no numpy equivalent")


_SCALAR_CTYPES = {
    np.dtype(np.float32): ctypes.c_float,
    np.dtype(np.float64): ctypes.c_double,
    np.dtype(np.bool_): ctypes.c_bool,
    np.dtype(np.int8): ctypes.c_int8,
    np.dtype(np.int16): ctypes.c_int16,
    np.dtype(np.int32): ctypes.c_int32,
    np.dtype(np.int64): ctypes.c_int64,
    np.dtype(np.uint8): ctypes.c_uint8,
    np.dtype(np.uint16): ctypes.c_uint16,
    np.dtype(np.uint32): ctypes.c_uint32,
    np.dtype(np.uint64): ctypes.c_uint64,
}


@dataclass(frozen=True)
class ArgSpec:
    """One argument or result of the entry function as numpy sees it."""

    kind: str  # "tensor", "memref" or "scalar"
    shape: tuple[int, ...]
    dtype: np.dtype
    mlir_type: str

    def describe(self) -> str:
        if self.kind == "scalar":
            return f"a {self.dtype} scalar"
        return f"an array of shape {self.shape} and dtype {self.dtype}"


def _spec(t: ir.Type, what: str) -> ArgSpec:
    if isinstance(t, ir.RankedTensorType) or isinstance(t, ir.MemRefType):
        shaped = ir.ShapedType(t)
        if not shaped.has_static_shape:
            raise FourfoldError(f"{what} has type {t}: fourfold.compile needs static shapes")
        kind = "tensor" if isinstance(t, ir.RankedTensorType) else "memref"
        return ArgSpec(kind, tuple(shaped.shape), _element_dtype(shaped.element_type), str(t))
    if isinstance(t, ir.ShapedType):
        raise FourfoldError(f"{what} has type {t}: unranked tensors and memrefs are not supported")
    dtype = _element_dtype(t)
    if dtype not in _SCALAR_CTYPES:
        raise FourfoldError(f"{what} has type {t}: not supported as a scalar argument")
    return ArgSpec("scalar", (), dtype, str(t))


def _find_entry(module: ir.Module, entry: str | None) -> func_d.FuncOp:
    candidates = []
    for op in module.body.operations:
        if not isinstance(op, func_d.FuncOp) or op.is_external:
            continue
        name = ir.StringAttr(op.sym_name).value
        private = "sym_visibility" in op.attributes and ir.StringAttr(op.attributes["sym_visibility"]).value == "private"
        if entry is not None and name == entry:
            return op
        if entry is None and not private:
            candidates.append((name, op))
    if entry is not None:
        raise FourfoldError(f"no function @{entry} with a body in the module")
    if not candidates:
        raise FourfoldError("the module has no public func.func with a body to use as entry")
    if len(candidates) > 1:
        names = ", ".join("@" + n for n, _ in candidates)
        raise FourfoldError(f"the module has several public functions ({names}); say which with entry=")
    return candidates[0][1]


def _prepare_entry(fn: func_d.FuncOp):
    """Mark tensor arguments read-only (bufferization copies instead of writing the caller's
    arrays) and ask for the C interface the runtime calls."""
    ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
    ctx = fn.context
    old = fn.attributes["arg_attrs"] if "arg_attrs" in fn.attributes else None
    new = []
    for i, t in enumerate(ftype.inputs):
        entries = {}
        if old is not None:
            d = ir.DictAttr(ir.ArrayAttr(old)[i])
            for j in range(len(d)):
                na = d[j]
                entries[na.name] = na.attr
        if isinstance(t, ir.RankedTensorType):
            entries["bufferization.writable"] = ir.BoolAttr.get(False, context=ctx)
        new.append(ir.DictAttr.get(entries, context=ctx))
    if new:
        fn.attributes["arg_attrs"] = ir.ArrayAttr.get(new, context=ctx)
    fn.attributes["llvm.emit_c_interface"] = ir.UnitAttr.get(ctx)


# --------------------------------------------------------------------------- #
# CPU
# --------------------------------------------------------------------------- #

def _runner_libs() -> list[str]:
    """The MLIR runner utilities (memrefCopy & co.) the lowered code may call."""
    from . import _config

    libs = []
    # libomp runs the parallel tiles (scf.forall -> OpenMP); OMP_NUM_THREADS sets the threads.
    for name in ("libmlir_c_runner_utils.so", "libmlir_runner_utils.so", "libomp.so"):
        path = os.path.join(_config.LLVM_LIBRARY_DIR, name)
        if os.path.exists(path):
            libs.append(path)
    return libs


_DESCRIPTOR_CLASSES: dict[int, type] = {}


def _descriptor_class(rank: int) -> type:
    """The C layout of a ranked memref descriptor (pointers as void*), one class per rank."""
    if rank not in _DESCRIPTOR_CLASSES:
        fields = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p), ("offset", ctypes.c_int64)]
        if rank:
            fields += [("shape", ctypes.c_int64 * rank), ("strides", ctypes.c_int64 * rank)]
        _DESCRIPTOR_CLASSES[rank] = type(f"MemRefDescriptor{rank}", (ctypes.Structure,), {"_fields_": fields})
    return _DESCRIPTOR_CLASSES[rank]


def _static_descriptor(shape: tuple[int, ...]):
    """A descriptor for a C-contiguous array of `shape`; only its data pointer changes per call."""
    desc = _descriptor_class(len(shape))()
    stride = 1
    for d in reversed(range(len(shape))):
        desc.shape[d] = shape[d]
        desc.strides[d] = stride
        stride *= shape[d]
    return desc


@dataclass
class CPUModule:
    """A function compiled for this machine's CPU. Call it with numpy arrays (or scalars)."""

    name: str
    args: list[ArgSpec]
    results: list[ArgSpec]
    compilation: PipelineResult
    compile_time: float
    _engine: object = field(repr=False, default=None)
    _func: object = field(repr=False, default=None)
    tuning: object = None  # a fourfold.tuning.TuningReport when compiled with top_k
    cache_hit: bool = False  # loaded from the compile cache (fourfold.cache) instead of compiled
    cache_key: str | None = None  # the cache entry's key; None when the cache was off

    @property
    def stages(self) -> dict[str, str]:
        """IR after each pipeline stage."""
        return self.compilation.ir

    def _check(self, i: int, spec: ArgSpec, value):
        where = f"{self.name}: argument #{i} ({spec.mlir_type})"
        if spec.kind == "scalar":
            if isinstance(value, np.ndarray) and value.ndim != 0:
                raise ValueError(f"{where} must be {spec.describe()}, got an array of shape {value.shape}")
            arr = np.asarray(value)
            if arr.dtype.kind != spec.dtype.kind and not (spec.dtype.kind == "f" and arr.dtype.kind in "iu"):
                raise TypeError(f"{where} must be {spec.describe()}, got {arr.dtype}")
            return _SCALAR_CTYPES[spec.dtype](arr.astype(spec.dtype).item())
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{where} must be {spec.describe()}, got {type(value).__name__}")
        if value.dtype != spec.dtype:
            raise TypeError(f"{where} must have dtype {spec.dtype}, got {value.dtype}")
        if tuple(value.shape) != spec.shape:
            raise ValueError(f"{where} must have shape {spec.shape}, got {tuple(value.shape)}")
        if spec.kind == "memref":
            if not value.flags.c_contiguous:
                raise ValueError(f"{where} is a memref argument and must be C-contiguous (it may be written)")
            return value
        return np.ascontiguousarray(value)

    def __post_init__(self):
        # The call's argument block is built once: one descriptor (or scalar cell) per argument and
        # result, addressed through the packed interface (pointers to each C-interface argument:
        # memrefs by pointer to descriptor, scalars by value, scalar results last).
        self._cells = []
        pointers = []
        for spec in self.args + [r for r in self.results if r.kind != "scalar"]:
            if spec.kind == "scalar":
                cell = _SCALAR_CTYPES[spec.dtype]()
                pointers.append(ctypes.pointer(cell))
            else:
                cell = _static_descriptor(spec.shape)
                pointers.append(ctypes.pointer(ctypes.pointer(cell)))
            self._cells.append(cell)
        self._scalar_results = [_SCALAR_CTYPES[r.dtype]() for r in self.results if r.kind == "scalar"]
        pointers += [ctypes.pointer(c) for c in self._scalar_results]
        self._pointers = pointers  # keeps the pointer objects alive
        # Each array result's allocator, chosen once (sizes do not change between calls).
        self._allocators = {id(r): _allocator(r.shape, r.dtype) for r in self.results if r.kind != "scalar"}
        self._array_results = None
        if self.results and all(r.kind != "scalar" for r in self.results):
            self._array_results = [(self._allocators[id(r)], cell)
                                   for r, cell in zip(self.results, self._cells[len(self.args):])]
        self._packed = (ctypes.c_void_p * len(pointers))(
            *[ctypes.cast(p, ctypes.c_void_p) for p in pointers])
        self._fast = _fast_caller(self)

    def __call__(self, *values):
        """Run on numpy arrays (and Python / numpy scalars); returns numpy arrays (a tuple for
        several results). Not re-entrant: one call at a time per CPUModule."""
        self._bound_set = False  # the cells of bound arguments are about to be overwritten
        if self._fast is not None:  # exact C-ordered ndarrays of the argument types: in C
            out = self._fast(*values)
            if out is not NotImplemented:
                return out
        if len(values) != len(self.args):
            raise TypeError(f"{self.name} takes {len(self.args)} argument(s) "
                            f"({', '.join(a.mlir_type for a in self.args)}), got {len(values)}")
        return self._run(values)

    def bind(self, first: int, arrays) -> None:
        """Fixes arguments first, first + 1, ... to `arrays` (a model's weights) for every later
        call_bound(): their checks and descriptors are done once, not per call. The arrays are
        kept alive here; the compiled code must not write them (bufferization.writable = false)."""
        if first + len(arrays) != len(self.args):
            raise TypeError(f"{self.name}: binding {len(arrays)} argument(s) from #{first} leaves "
                            f"{len(self.args) - first - len(arrays)} unbound at the end")
        self._bound = (first, [self._check(first + i, self.args[first + i], a) for i, a in enumerate(arrays)])
        self._bound_set = False

    def _set_bound(self, count: int) -> None:
        first, arrays = self._bound
        if count != first:
            raise TypeError(f"{self.name} takes {first} argument(s) besides the bound ones, got {count}")
        if not self._bound_set:
            for i, arr in enumerate(arrays):
                cell = self._cells[first + i]
                if self.args[first + i].kind == "scalar":
                    cell.value = arr.value
                else:
                    cell.allocated = cell.aligned = _address(arr)
            self._bound_set = True

    def call_bound(self, *values):
        """Like calling the module with `values` followed by the arrays given to bind()."""
        self._set_bound(len(values))
        return self._run(values)

    def call_bound_addresses(self, addresses):
        """call_bound() for inputs the caller has already checked against self.args (shape,
        dtype, C-contiguous) and keeps alive for the call: only their data addresses are given.
        The torch path uses it so a tensor goes in without a numpy view."""
        self._set_bound(len(addresses))
        if self._fast is not None:
            return self._fast.call_addresses(addresses)
        cells = self._cells
        for i, address in enumerate(addresses):
            cells[i].allocated = cells[i].aligned = address
        return self._invoke()

    def _run(self, values):
        keep = []  # arrays whose memory the call reads or writes
        cells = self._cells
        for i, (spec, value) in enumerate(zip(self.args, values)):
            cell = cells[i]
            # Fast path: an array already in the argument's layout (the usual call).
            if (type(value) is np.ndarray and spec.kind != "scalar" and value.dtype == spec.dtype
                    and value.shape == spec.shape and value.flags.c_contiguous):
                checked = value
            else:
                checked = self._check(i, spec, value)
                if spec.kind == "scalar":
                    cell.value = checked.value
                    continue
            keep.append(checked)
            cell.allocated = cell.aligned = _address(checked)
        return self._invoke()

    def _invoke(self):
        if self._array_results is not None:  # every result an array: the usual case, kept lean
            outputs = []
            for allocate, cell in self._array_results:
                out = allocate()
                cell.allocated = cell.aligned = _address(out)
                outputs.append(out)
            self._func(self._packed)
            return outputs[0] if len(outputs) == 1 else tuple(outputs)
        outputs = []
        cells = iter(self._cells[len(self.args):])
        scalars = iter(self._scalar_results)
        for spec in self.results:
            if spec.kind == "scalar":
                outputs.append(next(scalars))
                continue
            out = self._allocators[id(spec)]()
            cell = next(cells)
            cell.allocated = cell.aligned = _address(out)
            outputs.append(out)
        self._func(self._packed)
        results = [o.value if isinstance(o, ctypes._SimpleCData) else o for o in outputs]
        return results[0] if len(results) == 1 else tuple(results)


_ALIGN = 64
_ALIGN_FROM = 16 * 1024


def _fast_caller(module):
    """The C call path (fourfold._fastcall, lib/Runtime/FastCall.c) for a module whose arguments
    and results are all arrays; None where it does not apply or was not built."""
    if (module._func is None or len(module.results) > 16
            or any(s.kind == "scalar" for s in module.args + module.results)):
        return None
    try:
        from ._fastcall import Caller
    except ImportError:
        return None
    slots = []
    for spec, cell in zip(module.args + module.results, module._cells):
        nbytes = int(np.prod(spec.shape, dtype=np.int64)) * spec.dtype.itemsize
        # Large results keep the Python allocator (64-byte aligned); numpy's own otherwise.
        allocate = module._allocators.get(id(spec)) if nbytes >= _ALIGN_FROM else None
        slots.append((ctypes.addressof(cell), spec.dtype.num, tuple(spec.shape), allocate))
    n = len(module.args)
    return Caller(ctypes.cast(module._func, ctypes.c_void_p).value, ctypes.addressof(module._packed),
                  slots[:n], slots[n:])


def _allocator(shape, dtype):
    """A function returning a fresh result array the kernel writes: from 16 KiB on, on a
    cache-line boundary (numpy's own are 16 bytes past one, which costs a transposing kernel 1.5x
    at 1024x1024 here); small ones as numpy gives them, where the extra ~1 us of Python would
    show. The size is worked out here, once, not per call."""
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize * int(np.prod(shape))
    if nbytes < _ALIGN_FROM:
        return functools.partial(np.empty, shape, dtype)

    def aligned():
        raw = np.empty(nbytes + _ALIGN, np.uint8)
        start = -_address(raw) % _ALIGN
        return raw[start:start + nbytes].view(dtype).reshape(shape)
    return aligned


def _address(arr: np.ndarray) -> int:
    """The data address of a C-contiguous array. ctypes' from_buffer costs about a quarter of
    arr.ctypes.data (0.2 vs 0.8 us here), which is most of a small model's call; read-only and
    empty arrays (no writable buffer) take the slow way."""
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(arr))
    except (TypeError, ValueError):
        return arr.ctypes.data


def _compile_cpu(module, fn, args, results, pipeline, opt_level, keep_ir, start, pic=False):
    from .execution_engine import ExecutionEngine

    name = ir.StringAttr(fn.sym_name).value
    pipeline = pipeline or Pipeline.cpu()
    compilation = pipeline.run(module, keep_ir=keep_ir)
    # pic: the compile cache links the engine's object file into a shared library, which needs
    # position-independent code.
    extra = {"enable_object_dump": True, "enable_pic": True} if pic else {}
    try:
        engine = ExecutionEngine(compilation.module, opt_level=opt_level, shared_libs=_runner_libs(), **extra)
    except Exception as e:  # the engine reports LLVM errors as RuntimeError
        hint = ""
        if not any(lib.endswith("libomp.so") for lib in _runner_libs()):
            hint = (" (no libomp.so next to LLVM: install libomp-22-dev, or compile with "
                    "pipeline=Pipeline.cpu(parallel=False))")
        raise CompileError(f"LLVM could not compile @{name}: {e}{hint}", stage="jit") from None
    address = engine.raw_lookup("_mlir_ciface_" + name)
    if not address:
        raise CompileError(f"@{name} has no C interface after lowering", stage="jit")
    cfunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(address)
    return CPUModule(name=name, args=args, results=results, compilation=compilation,
                     compile_time=time.perf_counter() - start, _engine=engine, _func=cfunc)


# --------------------------------------------------------------------------- #
# GPU
# --------------------------------------------------------------------------- #

def find_ptxas() -> str | None:
    """ptxas from $FOURFOLD_PTXAS, the PATH, or a CUDA toolkit."""
    explicit = os.environ.get("FOURFOLD_PTXAS")
    if explicit:
        return explicit
    found = shutil.which("ptxas")
    if found:
        return found
    toolkit = find_cuda_toolkit()
    if toolkit and os.path.exists(os.path.join(toolkit, "bin", "ptxas")):
        return os.path.join(toolkit, "bin", "ptxas")
    return None


def find_cuda_toolkit() -> str | None:
    """A CUDA toolkit root holding libdevice: $CUDA_HOME / $CUDA_PATH, /usr/local/cuda*, or the
    toolkit the ptxas on the PATH belongs to (followed through wrapper scripts)."""
    def has_libdevice(root):
        return root and os.path.exists(os.path.join(root, "nvvm", "libdevice", "libdevice.10.bc"))

    for var in ("CUDA_HOME", "CUDA_PATH"):
        if has_libdevice(os.environ.get(var)):
            return os.environ[var]
    candidates = ["/usr/local/cuda"]
    if os.path.isdir("/usr/local"):
        candidates += sorted((os.path.join("/usr/local", d) for d in os.listdir("/usr/local")
                              if d.startswith("cuda-")), reverse=True)
    ptxas = shutil.which("ptxas")
    if ptxas:
        candidates.insert(0, os.path.dirname(os.path.dirname(os.path.realpath(ptxas))))
    for root in candidates:
        if has_libdevice(root):
            return root
    return None


@dataclass
class GPUKernelModule:
    """One gpu.module: its PTX, the cubin ptxas made of it (if ptxas was there) and ptxas's report."""

    name: str
    chip: str
    ptx: str
    cubin: bytes | None = None
    ptxas_info: str = ""


@dataclass
class GPUArtifact:
    """The result of compiling for a GPU: PTX (and cubins) per gpu.module, and the host IR that
    launches them. Running it needs a GPU and a CUDA driver (not on this machine)."""

    name: str
    chip: str
    args: list[ArgSpec]
    results: list[ArgSpec]
    modules: list[GPUKernelModule]
    compilation: PipelineResult
    compile_time: float
    cache_hit: bool = False  # loaded from the compile cache (fourfold.cache) instead of compiled
    cache_key: str | None = None  # the cache entry's key; None when the cache was off

    @property
    def ptx(self) -> dict[str, str]:
        return {m.name: m.ptx for m in self.modules}

    @property
    def cubins(self) -> dict[str, bytes | None]:
        return {m.name: m.cubin for m in self.modules}

    @property
    def stages(self) -> dict[str, str]:
        return self.compilation.ir

    @property
    def host_ir(self) -> str:
        return str(self.compilation.module)

    @property
    def plan(self) -> dict:
        """The launch plan: the host function as data (see fourfold.gpu_plan)."""
        from .gpu_plan import extract_plan

        return extract_plan(self.compilation.module, self.name, self.chip)

    def mgpu(self, opt_level: int = 2):
        """The host code JIT-compiled here, calling the CUDA driver through upstream's mgpu*
        runtime functions (fourfold.mgpu): needs this machine to have a CUDA driver."""
        from .mgpu import MgpuModule

        return MgpuModule(self, opt_level=opt_level)

    def save(self, directory: str) -> str:
        """Write plan.json, PTX and cubins into `directory`; fourfold/cuda_runner.py runs them on a
        machine with a CUDA driver and no LLVM. Returns the plan's path."""
        from .gpu_plan import save_artifact

        return save_artifact(self, directory)


def assemble_ptx(ptx: str, chip: str, ptxas: str | None = None) -> tuple[bytes, str]:
    """Assemble PTX with ptxas; returns (cubin, ptxas -v report). Raises CompileError with ptxas's
    message if it rejects the PTX."""
    ptxas = ptxas or find_ptxas()
    if not ptxas:
        raise FourfoldError("ptxas not found (set FOURFOLD_PTXAS or put it on the PATH)")
    with tempfile.TemporaryDirectory(prefix="fourfold-ptx-") as tmp:
        src, out = os.path.join(tmp, "k.ptx"), os.path.join(tmp, "k.cubin")
        with open(src, "w") as f:
            f.write(ptx)
        proc = subprocess.run([ptxas, f"-arch={chip}", "-v", src, "-o", out],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise CompileError(f"ptxas rejected the PTX for {chip}", stage="ptxas",
                               diagnostics=proc.stderr.strip().splitlines())
        with open(out, "rb") as f:
            return f.read(), proc.stderr.strip()


def gpu_pipeline(source_text: str, chip: str, **options) -> Pipeline:
    """The GPU pipeline for `source_text`: with a CUDA toolkit's libdevice linked when the input
    uses math functions (they become __nv_* calls ptxas cannot resolve otherwise)."""
    if "math." in source_text and "toolkit" not in options:
        toolkit = find_cuda_toolkit()
        if toolkit is None:
            raise FourfoldError("the input uses math functions, which need libdevice from a CUDA "
                                "toolkit; none found (set CUDA_HOME)")
        options["toolkit"] = toolkit
    return Pipeline.gpu(chip, **options)


def gpu_emulation_pipeline(chip: str = "sm_90", **options) -> Pipeline:
    """The GPU pipeline's decisions run on the CPU: welder's groups and roller's block and thread
    tiles for `chip`, bufferized as for the GPU (a group's intermediate tiles allocated per block),
    then lowered by the CPU pipeline's last stages instead of being mapped to a grid. Block loops
    run in parallel and each block's thread loops one after the other, which is what the barriers
    roller-map-gpu puts between them guarantee on the device; so a CPU run checks the numerics of
    the tiling, the fusion and the buffers of a GPU build where no GPU is at hand (not the mapping
    to thread ids, nor device-placed control flow: grinder is off)."""
    gpu = Pipeline.gpu(chip, grinder=False, **options)
    cpu = Pipeline.cpu()
    keep = [gpu[n] for n in gpu.names if n in ("frontend", "welder", "roller")]
    # The CPU's bufferization: results written into the caller's buffers, as its runtime expects.
    return Pipeline(keep + [cpu["bufferize"], cpu["loops"], cpu["llvm"]])


def _compile_gpu(module, fn, args, results, chip, pipeline, keep_ir, start, source_text, assemble):
    name = ir.StringAttr(fn.sym_name).value
    if pipeline is None:
        pipeline = gpu_pipeline(source_text, chip)
    compilation = pipeline.run(module, keep_ir=keep_ir)
    modules = []
    for op in compilation.module.body.operations:
        if op.operation.name != "gpu.binary":
            continue
        binary_name = ir.StringAttr(op.attributes["sym_name"]).value
        for obj in ir.ArrayAttr(op.attributes["objects"]):
            ptx = gpu_d.ObjectAttr(obj).object.decode()
            km = GPUKernelModule(name=binary_name, chip=chip, ptx=ptx)
            if assemble:
                km.cubin, km.ptxas_info = assemble_ptx(ptx, chip)
            modules.append(km)
    if not modules:
        raise CompileError(f"the GPU pipeline produced no kernel for @{name} (nothing to parallelise?)",
                           stage="gpu-map")
    return GPUArtifact(name=name, chip=chip, args=args, results=results, modules=modules,
                       compilation=compilation, compile_time=time.perf_counter() - start)


# --------------------------------------------------------------------------- #
# Entry point
# --------------------------------------------------------------------------- #

def compile(source, target: str = "cpu", *, entry: str | None = None, pipeline: Pipeline | None = None,
            opt_level: int = 3, keep_ir: bool = True, assemble: bool | None = None,
            top_k: int | None = None, progress=None, cache: bool | str | None = None):
    """Compile `source` (MLIR text or an ir.Module holding linalg on tensors or tosa).

    target="cpu": returns a CPUModule; call it with numpy arrays, get numpy arrays back.
    target="sm_80"/"sm_90"/...: returns a GPUArtifact with the PTX of each kernel module, and
    cubins when ptxas is available (assemble=None: when found; True: required; False: never).
    `pipeline` replaces the default pipeline of the target (see fourfold.pipeline.Pipeline).
    top_k=k (CPU): measure roller's k best rTiles of every operator and keep the fastest
    (fourfold.tuning); the result's `.tuning` says what was measured.
    cache: the on-disk compile cache (fourfold.cache). None: on, unless FOURFOLD_NO_CACHE=1;
    False: off; True: on; a string: on, in that directory. The result's `.cache_hit` says whether
    it was loaded from there, `.cache_key` names the entry."""
    from . import cache as cache_mod

    start = time.perf_counter()
    chips = supported_chips()
    if target != "cpu" and target not in chips:
        raise ValueError(f"unsupported target '{target}'; supported: cpu, {', '.join(chips)}")
    if not isinstance(opt_level, int) or not 0 <= opt_level <= 3:
        raise ValueError(f"opt_level must be 0..3, got {opt_level!r}")
    cache_dir = cache_mod.resolve(cache)
    text = source if isinstance(source, str) else str(source)
    module = parse(text)
    with module.context, ir.Location.unknown():
        fn = _find_entry(module, entry)
        ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
        fname = ir.StringAttr(fn.sym_name).value
        args = [_spec(t, f"@{fname} argument #{i}") for i, t in enumerate(ftype.inputs)]
        results = [_spec(t, f"@{fname} result #{i}") for i, t in enumerate(ftype.results)]
        _prepare_entry(fn)
        tuned = target == "cpu" and top_k is not None and top_k > 1
        if tuned and pipeline is not None:
            raise ValueError("top_k tunes the default CPU pipeline; it cannot be combined with pipeline=")
        if target != "cpu":
            if assemble is None:
                assemble = find_ptxas() is not None
            if pipeline is None:
                pipeline = gpu_pipeline(text, target)
        store = key = None
        if cache_dir is not None:
            # The key reads the IR after _prepare_entry and the pipeline before tuning, so a hit
            # skips the tuning too.
            store = cache_mod.Store(cache_dir)
            key = cache_mod.make_key(str(module), (pipeline or Pipeline.cpu()).text(), opt_level=opt_level,
                                     target=target, entry=entry, top_k=top_k, assemble=assemble,
                                     ptxas=find_ptxas() if assemble else None)
            hit = store.load(key, target, args, results, keep_ir, start)
            if hit is not None:
                hit.cache_hit, hit.cache_key = True, key
                return hit
        if target == "cpu":
            tuning = None
            if tuned:
                from .tuning import tune

                default = Pipeline.cpu()
                Pipeline([default["frontend"]]).run(module, keep_ir=False)
                with cache_mod.enclosing(cache_dir):
                    tuning = tune(module, k=top_k, progress=progress)
                pipeline = default.without("frontend")
            compiled = _compile_cpu(module, fn, args, results, pipeline, opt_level, keep_ir, start,
                                    pic=store is not None)
            compiled.tuning = tuning
            if store is not None:
                store.save_cpu(key, compiled, compiled._engine, _runner_libs(), keep_ir)
        else:
            compiled = _compile_gpu(module, fn, args, results, target, pipeline, keep_ir, start, text, assemble)
            if store is not None:
                store.save_gpu(key, compiled, keep_ir)
        compiled.cache_key = key
        return compiled
