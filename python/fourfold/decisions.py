"""What welder, roller, rammer and grinder decided for a compilation, as plain data.

Each deciding pass writes its decisions into the IR and its lowering consumes them in the same
stage; here the deciding pass alone is re-run on the IR that entered its stage (milliseconds), so the
decisions are exactly the ones the compilation acted on. Used by CompiledModel.decisions(), the
demo and `fourfold report`.
"""

from __future__ import annotations

import re

from . import ir
from .pipeline import Pipeline, walk_operations

_TASK = re.compile(r'rammer\.task "([^"]+)"\[(\d+)\] on (\d+) at (\d+)')
_OPERATOR = re.compile(r'rammer\.operator "([^"]+)" tasks (\d+) duration ([0-9.eE+-]+)')


def _stage_input(compilation, stage: str) -> str | None:
    """The IR that entered `stage` (the previous stage's output, or the pipeline's input)."""
    names = list(compilation.ir)
    if stage not in names:
        return None
    i = names.index(stage)
    return compilation.ir[names[i - 1]] if i else compilation.input_ir


def _float(attr) -> float:
    return ir.FloatAttr(attr).value


def welder(text: str, target: str) -> list[dict]:
    module = Pipeline([("welder", f"welder-tile-graph{{target={target}}}")]).run(text, keep_ir=False).module
    groups = []
    for op in walk_operations(module.operation):
        if op.name != "welder.group":
            continue
        inner = [o.operation.name for o in op.regions[0].blocks[0].operations
                 if o.operation.name.startswith("linalg.")]
        groups.append({"name": ir.StringAttr(op.attributes["sym_name"]).value, "operators": inner,
                       "tile": list(ir.DenseI64ArrayAttr(op.attributes["tile"])),
                       "unfused_bytes": ir.IntegerAttr(op.attributes["welder.unfused_bytes"]).value,
                       "bytes": ir.IntegerAttr(op.attributes["welder.bytes"]).value,
                       "predicted_us": _float(op.attributes["welder.predicted_us"]),
                       "location": str(op.location)})
    return groups


def roller(text: str, target: str) -> list[dict]:
    module = Pipeline([("roller", f"roller-construct{{target={target}}}")]).run(text, keep_ir=False).module
    tiles = []
    for op in walk_operations(module.operation):
        if "roller.tile" in op.attributes:
            tiles.append({"op": op.name, "tile": str(op.attributes["roller.tile"]),
                          "predicted_us": _float(op.attributes["roller.predicted_us"])
                          if "roller.predicted_us" in op.attributes else None,
                          "location": str(op.location)})
    return tiles


def rammer(text: str, target: str) -> list[dict]:
    module = Pipeline([("rammer", f"rammer-schedule{{target={target}}}")]).run(text, keep_ir=False).module
    programs = []
    for op in walk_operations(module.operation):
        if op.name != "rammer.program":
            continue
        body = str(op)
        durations = {name: float(d) for name, _, d in _OPERATOR.findall(body)}
        tasks = [{"operator": name, "index": int(i), "veu": int(v), "step": int(s),
                  "duration_us": durations.get(name, 0.0)} for name, i, v, s in _TASK.findall(body)]
        programs.append({"name": ir.StringAttr(op.attributes["sym_name"]).value,
                         "operators": len(durations), "tasks": tasks,
                         "predicted_us": _float(op.attributes["rammer.predicted_us"]),
                         # launches (GPU kernels / CPU parallel regions) the program replaces
                         "launches_before": ir.IntegerAttr(op.attributes["rammer.launches"]).value
                         if "rammer.launches" in op.attributes else None,
                         "unscheduled_us": _float(op.attributes["rammer.unscheduled_us"])})
    return programs


def grinder(text: str, target: str) -> list[dict]:
    module = Pipeline([("grinder", f"grinder-schedule{{target={target}}}")]).run(text, keep_ir=False).module
    return placements(module)


def placements(module) -> list[dict]:
    """Every construct grinder-schedule placed in `module`: op, location, place, estimate."""
    placed = []
    for op in walk_operations(module.operation):
        if "grinder.place" in op.attributes:
            est = ir.DictAttr(op.attributes["grinder.estimate"])
            placed.append({"op": op.name, "location": str(op.location),
                           "place": str(op.attributes["grinder.place"]).split("<")[1].rstrip(">"),
                           "estimate": {k: (_float(est[k]) if k.endswith("_us") else ir.IntegerAttr(est[k]).value)
                                        for k in ("host_us", "device_us", "block_us", "kernels", "utasks")}})
    return placed


def collect(compilation, target: str = "cpu") -> dict:
    """{"welder": groups, "roller": tiles, "rammer": programs, "grinder": placed constructs} for
    the passes the compilation ran (a pass that was off maps to None)."""
    pass_target = "host" if target == "cpu" else target
    out = {}
    for stage, fn in (("welder", welder), ("roller", roller), ("rammer", rammer), ("grinder", grinder)):
        text = _stage_input(compilation, stage)
        out[stage] = None if text is None else fn(text, pass_target)
    return out
