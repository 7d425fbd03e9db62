"""Pass pipelines as named stages: build, edit, run, and keep the IR after each stage.

    >>> from fourfold.pipeline import Pipeline
    >>> p = Pipeline.cpu()                         # frontend, bufferize, loops, llvm
    >>> p = p.insert_after("frontend", "fuse", "func.func(linalg-fuse-elementwise-ops)")
    >>> result = p.run(module_text)
    >>> print(result.ir["fuse"]); print(result.timings)

The stages of the named pipelines come from the C++ that also registers
`fourfold-cpu-pipeline` / `fourfold-gpu-pipeline` in fourfold-opt, so the
two cannot drift apart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from . import ir, passmanager
from ._mlir_libs import _site_initialize_0 as _native
from .errors import CompileError, format_mlir_error


@dataclass(frozen=True)
class Stage:
    """A named step: `passes` is a textual pass pipeline run on builtin.module."""

    name: str
    passes: str


@dataclass
class PipelineResult:
    """What running a pipeline produced."""

    module: ir.Module
    input_ir: str
    ir: dict[str, str] = field(default_factory=dict)  # stage name -> IR after it
    timings: dict[str, float] = field(default_factory=dict)  # stage name -> seconds

    @property
    def total_time(self) -> float:
        return sum(self.timings.values())


def _options_string(options: dict) -> str:
    parts = []
    for key, value in options.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        value = str(value)
        if any(c in value for c in " ,{}<>") and not (value.startswith("{") and value.endswith("}")):
            value = "{" + value + "}"  # an attribute or path with separators travels braced
        parts.append(f"{key.replace('_', '-') if key != 'O' else key}={value}")
    return " ".join(parts)


def supported_chips() -> list[str]:
    """GPU chips the gpu pipeline accepts."""
    return list(_native.supported_chips())


class Pipeline:
    """An ordered list of named stages."""

    def __init__(self, stages):
        self.stages: list[Stage] = [s if isinstance(s, Stage) else Stage(*s) for s in stages]
        names = [s.name for s in self.stages]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"stage names must be unique; repeated: {', '.join(sorted(duplicates))}")

    # -- the named pipelines -------------------------------------------------
    @classmethod
    def named(cls, name: str, **options) -> "Pipeline":
        """Pipeline `name` ('cpu' or 'gpu') with its options as keywords
        (out_params=False; chip='sm_80', O=3, toolkit='/usr/local/cuda', lower_host=True)."""
        try:
            stages = _native.pipeline_stages(name, _options_string(options))
        except ValueError as e:
            raise ValueError(f"fourfold {name} pipeline: {e}") from None
        return cls(stages)

    @classmethod
    def cpu(cls, **options) -> "Pipeline":
        return cls.named("cpu", **options)

    @classmethod
    def gpu(cls, chip: str = "sm_90", **options) -> "Pipeline":
        return cls.named("gpu", chip=chip, **options)

    # -- editing -----------------------------------------------------------
    def _index(self, name: str) -> int:
        for i, stage in enumerate(self.stages):
            if stage.name == name:
                return i
        raise KeyError(f"no stage '{name}'; stages: {', '.join(self.names)}")

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.stages]

    def __getitem__(self, name: str) -> Stage:
        return self.stages[self._index(name)]

    def insert_after(self, anchor: str, name: str, passes: str) -> "Pipeline":
        i = self._index(anchor)
        return Pipeline(self.stages[: i + 1] + [Stage(name, passes)] + self.stages[i + 1 :])

    def insert_before(self, anchor: str, name: str, passes: str) -> "Pipeline":
        i = self._index(anchor)
        return Pipeline(self.stages[:i] + [Stage(name, passes)] + self.stages[i:])

    def replace(self, name: str, passes: str) -> "Pipeline":
        i = self._index(name)
        return Pipeline(self.stages[:i] + [Stage(name, passes)] + self.stages[i + 1 :])

    def without(self, *names: str) -> "Pipeline":
        for n in names:
            self._index(n)
        return Pipeline([s for s in self.stages if s.name not in names])

    def text(self) -> str:
        """The whole pipeline as one textual pass pipeline (what fourfold-opt --pass-pipeline takes)."""
        return "builtin.module(" + ",".join(s.passes for s in self.stages) + ")"

    def __repr__(self) -> str:
        return f"Pipeline({self.names})"

    # -- running -------------------------------------------------------------
    def run(self, source, *, context: ir.Context | None = None, keep_ir: bool = True,
            verify_each: bool = True) -> PipelineResult:
        """Run on `source` (MLIR text or an ir.Module, which is changed in place).

        Returns the module, the IR after each stage (when keep_ir) and each
        stage's time. A failing stage raises CompileError naming the stage,
        with MLIR's diagnostics."""
        module = parse(source, context=context) if isinstance(source, str) else source
        result = PipelineResult(module=module, input_ir=str(module) if keep_ir else "")
        with module.context:
            for stage in self.stages:
                try:
                    pm = passmanager.PassManager.parse(f"builtin.module({stage.passes})")
                except ValueError as e:
                    raise CompileError(f"stage '{stage.name}' is not a valid pass pipeline: {e}",
                                       stage=stage.name) from None
                pm.enable_verifier(verify_each)
                start = time.perf_counter()
                try:
                    pm.run(module.operation)
                except ir.MLIRError as e:
                    raise CompileError(f"stage '{stage.name}' failed", stage=stage.name,
                                       diagnostics=format_mlir_error(e)) from None
                result.timings[stage.name] = time.perf_counter() - start
                if keep_ir:
                    result.ir[stage.name] = str(module)
        return result


def walk_operations(op):
    """Every operation nested in `op` (not `op` itself), in pre-order."""
    for region in op.regions:
        for block in region.blocks:
            for inner in block.operations:
                yield inner.operation
                yield from walk_operations(inner.operation)


def parse(text: str, *, context: ir.Context | None = None, name: str = "<input>") -> ir.Module:
    """Parse and verify MLIR text; raise CompileError with located diagnostics if it is malformed."""
    ctx = context or ir.Context()
    with ctx, ir.Location.unknown(ctx):
        try:
            return ir.Module.parse(text)
        except ir.MLIRError as e:
            raise CompileError(f"cannot parse {name}", diagnostics=format_mlir_error(e)) from None
