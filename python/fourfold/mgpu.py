"""A GPU artifact's host code run the way upstream MLIR runs it: gpu-to-llvm lowers the host
function to calls of the mgpu* runtime functions, the ExecutionEngine compiles it, and
libfourfold_cuda_runtime.so (lib/Runtime/CudaRuntimeWrappers.c) carries the calls to the CUDA
driver, opened when first used.

    art = fourfold.compile(source, target="sm_90")      # a GPUArtifact
    run = art.mgpu()                                     # needs a CUDA driver at call time
    y = run(x, w)                                        # numpy in, numpy out

Memory: the host IR's buffers live in memory the host and the device share (gpu.alloc
host_shared: cuMemAllocManaged), the entry's arrays are copied into such buffers on entry and the
results out of them on return, so host code between launches (grinder's host loops, copies)
reads and writes them as it did on the CPU. Launches are synchronous (gpu-to-llvm's default).
That is upstream's model and it is correct for every artifact; fourfold.cuda_runner (the launch
plan, device memory, no LLVM at run time) is the fast path.
"""

from __future__ import annotations

import ctypes
import os
import time

from ._mlir_libs._mlir import ir
from .dialects import arith as arith_d  # noqa: F401  (registers the dialect for parsing)
from .dialects import func as func_d
from .dialects import gpu as gpu_d
from .dialects import memref as memref_d
from .errors import CompileError, FourfoldError
from .passmanager import PassManager

LIBRARY = "libfourfold_cuda_runtime.so"


def runtime_library() -> str:
    """The built runtime library: in the package (installed or build tree)."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "_runtime", LIBRARY)
    if os.path.exists(path):
        return path
    from . import _config

    alt = os.path.join(_config.FOURFOLD_BINARY_DIR, "lib", LIBRARY)
    if os.path.exists(alt):
        return alt
    raise FourfoldError(f"{LIBRARY} is not built (expected at {path}); rebuild fourfold")


def _library() -> ctypes.CDLL:
    lib = ctypes.CDLL(runtime_library())
    lib.fourfold_cuda_error.restype = ctypes.c_char_p
    return lib


def driver_available() -> bool:
    """True when a CUDA driver ($FOURFOLD_LIBCUDA or libcuda.so.1) can be opened."""
    return bool(_library().fourfold_cuda_driver_available())


# --------------------------------------------------------------------------- #
# The host IR, rewritten for shared memory and lowered
# --------------------------------------------------------------------------- #

def _use_cubins(module: ir.Module, cubins: dict[str, bytes]) -> None:
    """Swap each gpu.binary's PTX for the cubin ptxas made of it (mgpuModuleLoad), where there is
    one; PTX without a cubin stays and the driver compiles it at load (mgpuModuleLoadJIT)."""
    for op in module.body.operations:
        if op.operation.name != "gpu.binary":
            continue
        name = ir.StringAttr(op.attributes["sym_name"]).value
        if not cubins.get(name):
            continue
        objects = []
        for obj in ir.ArrayAttr(op.attributes["objects"]):
            old = gpu_d.ObjectAttr(obj)
            objects.append(gpu_d.ObjectAttr.get(old.target, int(gpu_d.CompilationTarget.Binary), cubins[name]))
        op.attributes["objects"] = ir.ArrayAttr.get(objects)


def _walk(op):
    yield op
    for region in op.regions:
        for block in region.blocks:
            for inner in block.operations:
                yield from _walk(inner.operation)


def _previous(op):
    """The operation before `op` in its block, or None."""
    previous = None
    for candidate in op.block.operations:
        if candidate.operation == op:
            return previous
        previous = candidate.operation
    return None


def _users(value):
    return [use.owner for use in value.uses]


def _dealloc(memref, ip_op) -> None:
    """gpu-to-llvm frees only asynchronously: wait, free, wait."""
    token = ir.Type.parse("!gpu.async.token")
    with ir.InsertionPoint(ip_op), ip_op.location:
        start = gpu_d.WaitOp(token, [])
        done = gpu_d.DeallocOp(token, [start.result], memref)
        gpu_d.WaitOp(None, [done.result])


def _shared_alloc(mtype, dynamic_sizes=(), symbols=()):
    return gpu_d.AllocOp(mtype, None, [], list(dynamic_sizes), list(symbols), hostShared=True).result


def _to_shared_memory(module: ir.Module, name: str, num_inputs: int) -> None:
    """Every buffer of the host function @name in host-and-device memory (see the module doc)."""
    fn = next((op for op in module.body.operations
               if op.operation.name == "func.func" and ir.StringAttr(op.attributes["sym_name"]).value == name),
              None)
    if fn is None:
        raise FourfoldError(f"the artifact's host IR has no @{name}")
    block = fn.regions[0].blocks[0]
    returns = []
    allocs = []
    frees = []

    for inner in _walk(fn.operation):
        if inner.name == "func.return":
            returns.append(inner)
        elif inner.name in ("memref.alloc", "memref.get_global"):
            allocs.append(inner)
        elif inner.name == "memref.dealloc":
            frees.append(inner)

    # A result buffer that buffer-results-to-out-params could not write in place (it comes out of a
    # branch or a loop) is copied into the out-parameter before the return; the deallocation
    # pipeline gave its ownership to the caller, so it is freed after that copy.
    for ret in returns:
        op = ret.operation
        while True:
            prev = _previous(op)
            if prev is None or prev.name != "memref.copy":
                break
            src, dst = prev.operands[0], prev.operands[1]
            into_result = isinstance(dst, ir.BlockArgument) and dst.owner == block and dst.arg_number >= num_inputs
            entry_arg = isinstance(src, ir.BlockArgument) and src.owner == block
            constant = isinstance(src, ir.OpResult) and src.owner.name == "memref.get_global"
            if into_result and not entry_arg and not constant:
                with ir.InsertionPoint(ret), ret.location:
                    frees.append(memref_d.DeallocOp(src).operation)
            op = prev

    # Arguments: a shared copy of each, made on entry; results copied out before each return.
    first = block.operations[0]
    staged = []
    for i, arg in enumerate(block.arguments):
        if not isinstance(arg.type, ir.MemRefType):
            continue
        with ir.InsertionPoint(first), fn.location:
            shared = _shared_alloc(ir.MemRefType.get(arg.type.shape, arg.type.element_type))
            users = _users(arg)
            if i < num_inputs:
                memref_d.CopyOp(arg, shared)
        for user in users:
            for k, operand in enumerate(user.operands):
                if operand == arg:
                    user.operands[k] = shared
        staged.append((i, arg, shared))
    for ret in returns:
        for i, arg, shared in staged:
            if i >= num_inputs:
                with ir.InsertionPoint(ret), ret.location:
                    memref_d.CopyOp(shared, arg)
            _dealloc(shared, ret)

    # The function's own buffers (and constants the kernels read) in shared memory too.
    for op in allocs:
        result = op.results[0]
        mtype = ir.MemRefType(result.type)
        with ir.InsertionPoint(op), op.location:
            if op.operation.name == "memref.alloc":
                n_dyn = sum(1 for d in mtype.shape if d == ir.ShapedType.get_dynamic_size())
                operands = list(op.operands)
                shared = _shared_alloc(mtype, operands[:n_dyn], operands[n_dyn:])
            else:
                if not mtype.layout.is_identity:
                    continue
                shared = _shared_alloc(mtype)
        result.replace_all_uses_with(shared)
        if op.operation.name == "memref.get_global":
            # The constant is copied in right after its allocation and freed on return.
            op.operation.move_before(shared.owner)
            with ir.InsertionPoint.after(shared.owner), op.location:
                memref_d.CopyOp(op.results[0], shared)
            for ret in returns:
                _dealloc(shared, ret)
        else:
            op.operation.erase()
    # Every buffer the function frees is now shared (a loop's or a branch's result included).
    for free in frees:
        _dealloc(free.operands[0], free)
        free.erase()


def lower_host(artifact) -> ir.Module:
    """The artifact's host module with shared buffers, lowered to the LLVM dialect (mgpu* calls)."""
    ctx = artifact.compilation.module.context
    with ctx, ir.Location.unknown():
        module = ir.Module.parse(str(artifact.compilation.module))
        PassManager.parse("builtin.module(buffer-results-to-out-params{modify-public-functions=1 hoist-static-allocs=1})").run(
            module.operation)
        _to_shared_memory(module, artifact.name, len(artifact.args))
        _use_cubins(module, artifact.cubins)
        try:
            PassManager.parse("builtin.module(func.func(convert-vector-to-scf{full-unroll=1},convert-scf-to-cf),"
                              "expand-strided-metadata,lower-affine,convert-vector-to-llvm,"
                              "gpu-to-llvm,convert-to-llvm,reconcile-unrealized-casts)").run(module.operation)
        except Exception as e:
            raise CompileError(f"lowering @{artifact.name}'s host code to mgpu calls failed: {e}",
                               stage="gpu-to-llvm") from None
        # gpu.launch_func and gpu.binary stay: their translation to LLVM IR makes the mgpu calls.
        left = sorted({op.name for op in _walk(module.operation)
                       if not op.name.startswith("llvm.") and op.name not in ("builtin.module", "gpu.binary", "gpu.launch_func")})
        if left:
            raise CompileError(f"@{artifact.name}'s host code keeps ops the LLVM lowering does not take: "
                               f"{', '.join(left)}", stage="gpu-to-llvm")
    return module


class MgpuModule:
    """The host code of a GPUArtifact, JIT-compiled for this CPU and calling the CUDA driver
    through the mgpu* runtime. Call it like a CPUModule (numpy in, numpy out); a driver error
    during the call raises FourfoldError with the driver's message."""

    def __init__(self, artifact, opt_level: int = 2):
        from .compiler import CPUModule, _runner_libs
        from .pipeline import PipelineResult
        from .execution_engine import ExecutionEngine

        start = time.perf_counter()
        module = lower_host(artifact)
        libs = [runtime_library()] + [p for p in _runner_libs() if "omp" not in os.path.basename(p)]
        try:
            engine = ExecutionEngine(module, opt_level=opt_level, shared_libs=libs)
        except Exception as e:
            raise CompileError(f"LLVM could not compile @{artifact.name}'s host code: {e}", stage="jit") from None
        address = engine.raw_lookup("_mlir_ciface_" + artifact.name)
        if not address:
            raise CompileError(f"@{artifact.name} has no C interface after lowering", stage="jit")
        self._lib = _library()
        self._initialized = False
        cfunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(address)
        compilation = PipelineResult(module=module, input_ir=artifact.host_ir, ir={"mgpu": str(module)})
        self._engine = engine
        self._call = CPUModule(name=artifact.name, args=artifact.args, results=artifact.results,
                               compilation=compilation, compile_time=time.perf_counter() - start,
                               _engine=engine, _func=cfunc)
        self.name = artifact.name
        self.compile_time = self._call.compile_time

    @property
    def llvm_ir(self) -> str:
        return self._call.compilation.ir["mgpu"]

    def __call__(self, *values):
        self._lib.fourfold_cuda_clear_error()
        if not self._lib.fourfold_cuda_driver_available():
            raise FourfoldError(f"@{self.name} cannot run: {self._lib.fourfold_cuda_error().decode()}")
        if not self._initialized:
            # The global constructors load the kernel modules (mgpuModuleLoad): once, with a driver.
            self._engine.initialize()
            self._initialized = True
        out = self._call(*values)
        error = self._lib.fourfold_cuda_error()
        if error:
            raise FourfoldError(f"@{self.name} failed on the GPU: {error.decode()}")
        return out
