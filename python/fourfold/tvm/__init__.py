"""fourfold as a Relax external codegen (BYOC) for Apache TVM 0.27.

    import tvm, fourfold.tvm
    from tvm import relax
    mod = fourfold.tvm.partition_for_fourfold(mod, target="llvm")   # or {"kind": "cuda", "arch": "sm_90"}
    mod = relax.transform.RunCodegen()(mod)                          # fourfold compiles its part
    ex = relax.build(mod, target="llvm")                             # TVM builds the rest
    vm = relax.VirtualMachine(ex, tvm.cpu())

Importing this package registers the codegen (`relax.ext.fourfold`) and fourfold's patterns
(`fourfold.*` in tvm.relax.backend.pattern_registry). `build(mod, target)` does the three steps.

The TVM process never loads fourfold's libMLIR / libLLVM: the Relax -> linalg translation is pure
Python and the compilation runs in a separate process (isolate=False or FOURFOLD_TVM_ISOLATE=0
compiles in this process instead).
"""

from __future__ import annotations

import tvm
from tvm import relax

from . import codegen as _codegen
from .codegen import last_build  # noqa: F401
from .partition import fold_weights, fourfold_patterns, offloaded_functions, partition_for_fourfold  # noqa: F401
from .partition import register as _register_patterns
from .translate import SymbolicShapeError, UnsupportedError, translate  # noqa: F401

_codegen.register()
_register_patterns()


def build(mod: tvm.IRModule, target="llvm", *, isolate: bool | None = None, opt_level: int = 3,
          relax_pipeline="default"):
    """partition_for_fourfold + RunCodegen + relax.build: the VM executable of `mod` with what
    fourfold supports compiled by fourfold and the rest by TVM."""
    tvm_target = target if isinstance(target, tvm.target.Target) else tvm.target.Target(target)
    mod = partition_for_fourfold(mod, tvm_target)
    options = {"opt_level": opt_level}
    if isolate is not None:
        options["isolate"] = isolate
    mod = relax.transform.RunCodegen({"fourfold": options})(mod)
    return relax.build(mod, target=tvm_target, relax_pipeline=relax_pipeline)


__all__ = ["partition_for_fourfold", "build", "fourfold_patterns", "fold_weights", "offloaded_functions",
           "translate", "UnsupportedError", "SymbolicShapeError", "last_build"]
