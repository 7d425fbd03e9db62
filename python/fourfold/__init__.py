"""fourfold: rammer, roller, welder and grinder as MLIR dialects and passes.

The upstream MLIR Python bindings live in this package too (fourfold.ir,
fourfold.passmanager, fourfold.dialects.*), so fourfold's dialects and
upstream's share one Context.

    import fourfold, numpy as np
    mm = fourfold.compile(open("matmul.mlir").read())       # CPU, through the ExecutionEngine
    c = mm(a, b)
    art = fourfold.compile(text, target="sm_90")              # PTX (+ cubin with ptxas)
    model = fourfold.compile(torch_module, (x,))              # PyTorch, through torch.export
    y = model(x)
"""

import importlib as _importlib
import sys as _sys

from .errors import CompileError, FourfoldError  # noqa: F401

# The compiler, the pipelines and the MLIR bindings behind them load libMLIR / libLLVM; they are
# imported on first use, so a process that only needs fourfold's pure-Python parts (fourfold.tvm's
# Relax translation, which hands compilation to a subprocess) never loads them.
_LAZY = {"CPUModule": ".compiler", "GPUArtifact": ".compiler", "CompiledModel": ".model",
         "Pipeline": ".pipeline", "PipelineResult": ".pipeline", "Stage": ".pipeline",
         "supported_chips": ".pipeline"}


def __getattr__(name):
    if name in _LAZY:
        return getattr(_importlib.import_module(_LAZY[name], __name__), name)
    if not name.startswith("__"):
        try:  # fourfold.ir, fourfold.compiler, ... as attributes, as before they became lazy
            return _importlib.import_module("." + name, __name__)
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def compile(source, *args, **kwargs):
    """Compile MLIR text / an ir.Module (fourfold.compiler.compile: returns a CPUModule or a
    GPUArtifact) or a torch.nn.Module with its example inputs (fourfold.model.compile_model:
    returns a CompiledModel called with torch tensors)."""
    torch = _sys.modules.get("torch")
    if torch is not None and isinstance(source, torch.nn.Module):
        from .model import compile_model

        return compile_model(source, *args, **kwargs)
    from .compiler import compile as _compile_mlir

    return _compile_mlir(source, *args, **kwargs)

# torch.compile(model, backend="fourfold") works once fourfold is imported after torch (or with
# `import fourfold.dynamo`); the entry point in pyproject.toml covers installed packages.
if "torch" in _sys.modules:
    try:
        from . import dynamo as _dynamo  # noqa: F401
    except Exception:  # pragma: no cover - an old torch without dynamo
        pass

__all__ = ["compile", "CompiledModel", "CPUModule", "GPUArtifact", "CompileError", "FourfoldError", "Pipeline",
           "PipelineResult", "Stage", "supported_chips"]
