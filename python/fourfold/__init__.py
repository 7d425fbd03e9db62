"""fourfold: rammer, roller, welder and grinder as MLIR dialects and passes.

The upstream MLIR Python bindings live in this package too (fourfold.ir,
fourfold.passmanager, fourfold.dialects.*), so fourfold's dialects and
upstream's share one Context.

    import fourfold, numpy as np
    mm = fourfold.compile(open("matmul.mlir").read())       # CPU, through the ExecutionEngine
    c = mm(a, b)
    art = fourfold.compile(text, target="sm_90")              # PTX (+ cubin with ptxas)
"""

from .compiler import CPUModule, GPUArtifact, compile  # noqa: F401
from .errors import CompileError, FourfoldError  # noqa: F401
from .pipeline import Pipeline, PipelineResult, Stage, supported_chips  # noqa: F401

__all__ = ["compile", "CPUModule", "GPUArtifact", "CompileError", "FourfoldError", "Pipeline",
           "PipelineResult", "Stage", "supported_chips"]
