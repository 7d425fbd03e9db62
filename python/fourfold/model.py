"""PyTorch modules through fourfold: import (fourfold.frontend.torch), compile, and call with torch
tensors.

    model = fourfold.compile(torch_module, (x,))          # CPU
    y = model(x)                                          # torch tensors in and out
    model.stages["welder"], model.timings, model.decisions()
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from .errors import FourfoldError


def _to_numpy(value, spec, i: int):
    """A torch tensor (CPU) or array as numpy without a copy where the layout allows."""
    import torch

    if type(value) is torch.Tensor and not value.requires_grad and value.is_cpu and value.is_contiguous():
        arr = value.numpy()  # the common case, without detach() / copies
    else:
        if isinstance(value, torch.Tensor):
            if value.device.type != "cpu":
                raise ValueError(f"input #{i} is on {value.device}; fourfold's CPU runtime takes CPU tensors")
            value = value.detach()
            value = value.numpy() if value.is_contiguous() else value.contiguous().numpy()
        arr = np.asarray(value)
    shape, dtype = spec
    if tuple(arr.shape) != tuple(shape):
        raise ValueError(f"input #{i} must have shape {tuple(shape)} (the example's), got {tuple(arr.shape)}")
    if arr.dtype != dtype:
        raise TypeError(f"input #{i} must have dtype {dtype}, got {arr.dtype}")
    return arr


@dataclass
class CompiledModel:
    """A torch.nn.Module compiled by fourfold. Call it like the module (positional tensors of the
    example's shapes and dtypes); outputs come back as torch tensors in the module's structure.

    `program` is the imported linalg program (its weights bound here), `compiled` the CPUModule
    (target "cpu") or GPUArtifact, `stages` the IR after the import and after every stage,
    `timings` seconds per step (export, import, each pipeline stage, jit)."""

    name: str
    target: str
    program: object           # fourfold.frontend.ImportedProgram
    compiled: object          # CPUModule | GPUArtifact
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def stages(self) -> dict[str, str]:
        return {"import": self.program.mlir, **self.compiled.stages}

    @property
    def compile_time(self) -> float:
        return sum(self.timings.values())

    def decisions(self) -> dict:
        """What welder, roller, rammer and grinder decided (fourfold.decisions)."""
        from .decisions import collect

        return collect(self.compiled.compilation, self.target)

    def numpy_inputs(self, *args) -> list[np.ndarray]:
        if len(args) != self.program.num_inputs:
            raise TypeError(f"{self.name} takes {self.program.num_inputs} tensor input(s), got {len(args)}")
        return [_to_numpy(a, spec, i) for i, (a, spec) in enumerate(zip(args, self.program.input_specs))]

    def __call__(self, *args):
        if self.target != "cpu":
            raise FourfoldError(f"a model compiled for {self.target} runs on a GPU: save() it and run it "
                                "there with fourfold.cuda_runner.PlanRunner")
        fast = getattr(self, "_fast", None)
        if fast is None:
            fast = self._prepare_call()
        torch, specs, tree_unflatten, structure, by_address = fast
        if len(args) != len(specs):
            raise TypeError(f"{self.name} takes {len(specs)} tensor input(s), got {len(args)}")
        # Fast path: CPU tensors already in the example's layout go in by address (no numpy view,
        # no second check); anything else takes numpy_inputs' checks and conversions.
        tensor = torch.Tensor
        addresses = [] if by_address else None
        for a, (shape, dtype) in zip(args, specs) if by_address else ():
            if (type(a) is tensor and a.dtype == dtype and a.shape == shape and a.is_cpu
                    and a.is_contiguous() and not a.requires_grad):
                addresses.append(a.data_ptr())
            else:
                addresses = None
                break
        if addresses is not None:
            outs = self.compiled.call_bound_addresses(addresses)
        else:
            outs = self.compiled.call_bound(*self.numpy_inputs(*args))
        if structure is None:  # one result, returned as it is
            return torch.from_numpy(outs)
        if not isinstance(outs, tuple):
            outs = (outs,)
        tensors = [torch.from_numpy(o) for o in outs]
        if structure is False:
            return tensors[0] if len(tensors) == 1 else tuple(tensors)
        if len(tensors) == 1 and structure.is_leaf():
            return tensors[0]
        return tree_unflatten(tensors, structure)

    def _prepare_call(self):
        import torch
        from torch.utils._pytree import tree_unflatten

        # The weights' checks and descriptors once, not per call (they are read-only).
        self.compiled.bind(self.program.num_inputs, list(self.program.params))
        specs = [(torch.Size(shape), torch.from_numpy(np.empty(0, dtype)).dtype)
                 for shape, dtype in self.program.input_specs]
        # Tensors go in by address only where no example is empty (an empty tensor's data
        # pointer may be null); a shape equal to a non-empty example's is then non-empty.
        by_address = not any(0 in shape for shape, _ in specs)
        # How results come back, decided once: None for one array result (the usual case), False
        # for a flat tuple, else the pytree spec.
        spec = self.program.out_spec
        results = getattr(self.compiled, "results", None)
        one_array = results is not None and len(results) == 1 and results[0].kind != "scalar"
        if one_array and (spec is None or spec.is_leaf()):
            structure = None
        else:
            structure = False if spec is None else spec
        self._fast = (torch, specs, tree_unflatten, structure, by_address)
        return self._fast

    def save(self, directory: str) -> str:
        """GPU: the artifact (plan.json, PTX, cubins) plus weights.npz, which
        fourfold.cuda_runner.PlanRunner appends to the inputs, uploading them once."""
        if self.target == "cpu":
            raise FourfoldError("save() writes a GPU artifact; this model was compiled for the CPU")
        path = self.compiled.save(directory)
        np.savez(os.path.join(directory, "weights.npz"),
                 **{f"w{i:04d}": p for i, p in enumerate(self.program.params)})
        return path


def compile_model(model, example_inputs, *, target: str = "cpu", example_kwargs=None, **options) -> CompiledModel:
    """Import `model` with torch.export and compile it for `target` (see fourfold.compile)."""
    from .compiler import compile as compile_mlir
    from .frontend.torch import import_torch

    if not isinstance(example_inputs, (tuple, list)):
        example_inputs = (example_inputs,)
    start = time.perf_counter()
    program = import_torch(model, example_inputs, example_kwargs, name="forward")
    imported = time.perf_counter()
    compiled = compile_mlir(program.mlir, target=target, entry="forward", **options)
    timings = {"import": imported - start}
    stage_times = dict(getattr(compiled.compilation, "timings", {}) or {})
    timings.update(stage_times)
    rest = compiled.compile_time - sum(stage_times.values())
    timings["jit" if target == "cpu" else "ptx"] = max(rest, 0.0)
    return CompiledModel(name=type(model).__name__, target=target, program=program, compiled=compiled,
                         timings=timings)
