"""Roller's top-k mode: compile the k best-ranked rTiles of each operator, measure them, keep the fastest.

roller-construct{top-k=k} ranks candidates with the micro-performance model and leaves them on each
operator as `roller.candidates`. Here each operator is cut out into a function of its own, compiled
once per candidate (with that candidate as its `roller.tile`) and timed on random inputs on this CPU;
the fastest becomes the operator's `roller.tile`, and the rest of the pipeline lowers it as usual
(roller-construct keeps a tile that is already there).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

import numpy as np

from . import ir
from .dialects import func as func_d
from .pipeline import Pipeline, walk_operations


@dataclass
class OperatorChoice:
    """What top-k measured for one operator."""

    op: str
    location: str
    candidates: list[str]
    predicted_us: list[float]
    measured_us: list[float]
    chosen: int

    @property
    def model_pick_was_best(self) -> bool:
        return self.chosen == 0


@dataclass
class TuningReport:
    k: int
    target: str
    operators: list[OperatorChoice] = field(default_factory=list)
    seconds: float = 0.0


def _inside(inner, op) -> bool:
    """Whether operation `inner` is nested in `op`."""
    target = op.operation
    parent = inner.parent
    while parent is not None:
        if parent.operation == target:
            return True
        parent = parent.parent
    return False


def _standalone(op, target_attr) -> str:
    """A module whose one function runs `op` on its operands as arguments."""
    with op.context, ir.Location.unknown():
        module = ir.Module.create()
        if target_attr is not None:
            module.operation.attributes["roller.target"] = target_attr
        ftype = ir.FunctionType.get([v.type for v in op.operands], [r.type for r in op.results])
        with ir.InsertionPoint(module.body):
            fn = func_d.FuncOp("kernel", ftype)
            block = fn.add_entry_block()
            with ir.InsertionPoint(block):
                # Constants the op's body uses from outside (canonicalize hoists them to the
                # function's entry) come along, cloned in front of it.
                captured = {}
                for inner in walk_operations(op):
                    for v in inner.operands:
                        owner = getattr(v.owner, "operation", None)  # None for block arguments
                        if owner is not None and owner.name == "arith.constant" and not _inside(owner, op):
                            captured.setdefault(v, owner)
                copies = {v: c.clone() for v, c in captured.items()}
                clone = op.clone()
                for i, arg in enumerate(block.arguments):
                    clone.operands[i] = arg
                if copies:
                    for inner in walk_operations(clone):
                        for i, v in enumerate(inner.operands):
                            if v in copies:
                                inner.operands[i] = copies[v].results[0]
                func_d.ReturnOp(list(clone.results))
        return str(module)


def _random_inputs(specs, rng):
    inputs = []
    for spec in specs:
        if spec.kind == "scalar":
            inputs.append(spec.dtype.type(rng.standard_normal()))
        elif spec.dtype.kind == "f":
            inputs.append(rng.standard_normal(spec.shape).astype(spec.dtype))
        else:
            inputs.append(rng.integers(-8, 8, spec.shape).astype(spec.dtype))
    return inputs


def _time(fn, inputs, repeat):
    fn(*inputs)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*inputs)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def tune(module: ir.Module, k: int = 5, target: str = "host", repeat: int = 5,
         progress=None) -> TuningReport:
    """Choose each operator's rTile among roller's k best by measurement; `module` (linalg on tensors,
    after the frontend) gets the chosen `roller.tile`s and the target. `progress(done, total)` is
    called after each operator."""
    from .compiler import compile as compile_

    start = time.perf_counter()
    report = TuningReport(k=k, target=target)
    Pipeline([("construct", f"roller-construct{{target={target} top-k={k}}}")]).run(module, keep_ir=False)
    target_attr = module.operation.attributes["roller.target"]
    ops = [op for op in walk_operations(module.operation) if "roller.candidates" in op.attributes]
    rng = np.random.default_rng(0)
    for done, op in enumerate(ops):
        candidates = list(ir.ArrayAttr(op.attributes["roller.candidates"]))
        measured = []
        inputs = None
        for cand in candidates:
            op.attributes["roller.tile"] = cand
            fn = compile_(_standalone(op, target_attr), pipeline=Pipeline.cpu(target=target))
            inputs = inputs if inputs is not None else _random_inputs(fn.args, rng)
            measured.append(_time(fn, inputs, repeat) * 1e6)
        best = int(np.argmin(measured))
        op.attributes["roller.tile"] = candidates[best]
        predicted = [float("nan")] * len(candidates)
        if "roller.predicted_us" in op.attributes:
            predicted[0] = ir.FloatAttr(op.attributes["roller.predicted_us"]).value
        del op.attributes["roller.candidates"]
        report.operators.append(OperatorChoice(
            op=op.name, location=str(op.location), candidates=[str(c) for c in candidates],
            predicted_us=predicted, measured_us=measured, chosen=best))
        if progress:
            progress(done + 1, len(ops))
    report.seconds = time.perf_counter() - start
    return report


# --------------------------------------------------------------------------- #
# grinder's top-k mode
# --------------------------------------------------------------------------- #

PLACEMENTS = ("host", "device", "block")


@dataclass
class PlacementChoice:
    """One placement tried by `tune_placements`: every construct placed there."""

    placement: str
    predicted_us: float  # the model's sum over the constructs (their own estimates)
    measured_us: float   # nan where it could not be compiled (device placement illegal)
    error: str = ""


@dataclass
class PlacementReport:
    k: int
    choices: list[PlacementChoice] = field(default_factory=list)
    chosen: str = ""
    seconds: float = 0.0

    @property
    def model_pick_was_best(self) -> bool:
        return bool(self.choices) and self.chosen == self.choices[0].placement


def placement_pipeline(place: str, **options) -> Pipeline:
    """The CPU pipeline with grinder's placement forced to `place` (host, device, block) or left to
    the cost model (auto)."""
    pipe = Pipeline.cpu(**options)
    if place == "auto":
        return pipe
    return pipe.replace("grinder", f"grinder-schedule{{place={place}}},grinder-lower,canonicalize")


@dataclass
class PlacedConstruct:
    """A loop or branch as grinder-schedule left it: its placement and predictions."""

    op: str
    location: str
    place: str                   # host, device or block
    estimate: dict[str, float]   # host_us, device_us, block_us, kernels, utasks


def placed_constructs(source, **options) -> list[PlacedConstruct]:
    """grinder-schedule's decisions on `source`: the CPU pipeline run up to scheduling (before
    lowering drops them), one entry per placed loop or branch."""
    pipe = Pipeline.cpu(**options).replace("grinder", "grinder-schedule")
    head = Pipeline(pipe.stages[: pipe.names.index("grinder") + 1]).run(source, keep_ir=False).module
    from .decisions import placements

    return [PlacedConstruct(**p) for p in placements(head)]


def predicted_placements(source, **options) -> list[tuple[str, float]]:
    """grinder-schedule's predictions summed over the module's constructs, per placement, best
    first (empty for a module without control flow holding kernels)."""
    constructs = placed_constructs(source, **options)
    totals = {p: sum(c.estimate[f"{p}_us"] for c in constructs) for p in PLACEMENTS}
    return sorted(totals.items(), key=lambda kv: kv[1]) if constructs else []


def tune_placements(source: str, k: int = 2, repeat: int = 20, inputs=None, progress=None, **options):
    """grinder's top-k measured mode: rank the placements (every construct on the host, in one
    parallel region, on one core) by the cost model, compile the k best, time them on `inputs`
    (random ones by default) and return (the fastest compiled function, a PlacementReport)."""
    from .compiler import compile as compile_
    from .errors import CompileError

    start = time.perf_counter()
    report = PlacementReport(k=k)
    ranked = predicted_placements(source, **options)[:k]
    best, best_fn = float("inf"), None
    for done, (place, predicted) in enumerate(ranked):
        try:
            fn = compile_(source, pipeline=placement_pipeline(place, **options))
        except CompileError as e:
            report.choices.append(PlacementChoice(place, predicted, float("nan"), str(e).splitlines()[0]))
            continue
        if inputs is None:
            inputs = _random_inputs(fn.args, np.random.default_rng(0))
        us = _time(fn, inputs, repeat) * 1e6
        report.choices.append(PlacementChoice(place, predicted, us))
        if us < best:
            best, best_fn, report.chosen = us, fn, place
        if progress:
            progress(done + 1, len(ranked))
    if best_fn is None:  # nothing to place, or nothing compiled: the model's pipeline as it is
        best_fn, report.chosen = compile_(source, pipeline=Pipeline.cpu(**options)), "auto"
    report.seconds = time.perf_counter() - start
    return best_fn, report
