"""torch.compile(model, backend="fourfold"): each graph TorchDynamo captures is compiled by
fourfold (torch.export -> linalg -> the fourfold pipeline); a graph fourfold cannot compile runs
eagerly, with a warning that says why.

fourfold compiles inference: a call that needs gradients (grad mode on and an input or weight that
requires grad) runs the eager graph, so autograd stays correct.
"""

from __future__ import annotations

import warnings

import torch

from .errors import FourfoldError


def _needs_grad(gm, args) -> bool:
    if not torch.is_grad_enabled():
        return False
    return any(isinstance(a, torch.Tensor) and a.requires_grad for a in args) or \
        any(p.requires_grad for p in gm.parameters())


def fourfold_backend(gm: torch.fx.GraphModule, example_inputs, **options):
    """A TorchDynamo backend. `options` go to fourfold.compile (target, cache, ...)."""
    from .model import compile_model

    tensors = all(isinstance(a, torch.Tensor) for a in example_inputs)
    try:
        if not tensors:
            raise FourfoldError("the graph takes non-tensor inputs (symbolic sizes?)")
        if any(a.device.type != "cpu" for a in example_inputs):
            raise FourfoldError("inputs are not on the CPU")
        compiled = compile_model(gm, tuple(example_inputs), **options)
    except Exception as e:  # anything fourfold cannot do runs eagerly, and says so once
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        warnings.warn(f"fourfold: running a graph eagerly ({first})", stacklevel=2)
        return gm.forward

    def run(*args):
        if _needs_grad(gm, args):
            return gm.forward(*args)
        out = compiled(*args)
        return out if isinstance(out, (tuple, list)) else (out,)

    run.fourfold = compiled  # the CompiledModel, for inspection
    return run


def register() -> None:
    from torch._dynamo.backends.registry import _BACKENDS, register_backend

    if "fourfold" not in _BACKENDS:
        register_backend(name="fourfold")(fourfold_backend)


register()
