"""Launch plans: the host side of a GPU compilation as data, so that it runs with only a CUDA driver.

After the GPU pipeline the host function is a straight line of memref.alloc / memref.get_global /
gpu.launch_func / memref.copy / memref.dealloc. `extract_plan` turns it into a JSON-able dict;
`fourfold/cuda_runner.py` (numpy + the CUDA driver API, no LLVM) replays it on a device. Host code
with control flow or other ops is rejected with the op's name and location.

Kernel arguments follow the upstream GPU-to-NVVM calling convention: an index is an i64, a float
its own width, and a memref expands to (allocated pointer, aligned pointer, offset, sizes...,
strides...).
"""

from __future__ import annotations

import json
import os

import numpy as np

from . import ir
from .errors import FourfoldError


def _dtype_name(t: ir.Type) -> str:
    from .compiler import _element_dtype

    return _element_dtype(t).name


def _memref_layout(t: ir.MemRefType) -> tuple[list[int], list[int], int]:
    shape = list(t.shape)
    strides, offset = t.get_strides_and_offset()
    if any(s < 0 for s in strides) or offset < 0 or any(d < 0 for d in shape):
        raise FourfoldError(f"launch plan: dynamic layout {t} is not supported")
    return shape, list(strides), offset


def _contiguous(ref: dict) -> bool:
    expected, stride = [], 1
    for d in reversed(ref["shape"]):
        expected.insert(0, stride)
        stride *= d
    return ref["offset"] == 0 and all(s == e or d == 1 for s, e, d in zip(ref["strides"], expected, ref["shape"]))


def _merged_dims(shape, *strides_list):
    """The copy's dimensions with unit ones dropped and neighbours merged where every layout walks
    them as one (stride[d] == stride[d + 1] * shape[d + 1]): [(size, [stride per layout])]."""
    dims = [(n, [s[d] for s in strides_list]) for d, n in enumerate(shape) if n != 1]
    merged = []
    for n, st in dims:
        if merged and all(prev == cur * n for prev, cur in zip(merged[-1][1], st)):
            merged[-1] = (merged[-1][0] * n, st)
        else:
            merged.append((n, st))
    return merged


def strided_copies(src: dict, dst: dict) -> list[dict]:
    """A copy between strided views (a tile into a padded buffer, a slice of a concatenation) as
    3-D pitched copies (cuMemcpy3D: rows of contiguous bytes, rows at a pitch, slices at pitch x
    height), one per index of the dimensions that do not fit in those three."""
    itemsize = np.dtype(src["dtype"]).itemsize
    dims = _merged_dims(src["shape"], src["strides"], dst["strides"])
    if not dims or dims[-1][1] != [1, 1]:
        # Not contiguous on one side (a channel column of 1x1 images into a padded buffer): rows of
        # one element each.
        dims.append((1, [1, 1]))
    width = dims[-1][0]
    rest = dims[:-1]
    height, hstr = rest.pop() if rest else (1, [width, width])
    depth, dstr = rest.pop() if rest else (1, [height * hstr[0], height * hstr[1]])
    if any(d % h for d, h in zip(dstr, hstr)):
        # Slices not a whole number of rows apart on some side: one 2-D copy per slice.
        rest.append((depth, dstr))
        depth, dstr = 1, [height * hstr[0], height * hstr[1]]
    steps = []
    for index in np.ndindex(*[n for n, _ in rest]):
        off = [sum(i * st[side] for i, (_, st) in zip(index, rest)) for side in (0, 1)]
        steps.append({"op": "copy3d", "src": src["buffer"], "dst": dst["buffer"],
                      "src_offset": (src["offset"] + off[0]) * itemsize, "dst_offset": (dst["offset"] + off[1]) * itemsize,
                      "width_bytes": width * itemsize, "height": height, "depth": depth,
                      "src_pitch": hstr[0] * itemsize, "src_height": dstr[0] // hstr[0],
                      "dst_pitch": hstr[1] * itemsize, "dst_height": dstr[1] // hstr[1]})
    return steps


def run_copy3d_numpy(step: dict, src: np.ndarray, dst: np.ndarray) -> None:
    """What one copy3d step does, on flat byte arrays: the reference the CUDA runner's
    cuMemcpy3D must match (used by the tests, which have no GPU)."""
    for z in range(step["depth"]):
        for y in range(step["height"]):
            s = step["src_offset"] + (z * step["src_height"] + y) * step["src_pitch"]
            d = step["dst_offset"] + (z * step["dst_height"] + y) * step["dst_pitch"]
            dst[d:d + step["width_bytes"]] = src[s:s + step["width_bytes"]]


def _constant(op) -> dict:
    value = op.attributes["value"]
    t = op.results[0].type
    if isinstance(t, ir.IndexType):
        return {"type": "index", "value": ir.IntegerAttr(value).value}
    if isinstance(t, ir.IntegerType):
        return {"type": f"i{ir.IntegerType(t).width}", "value": ir.IntegerAttr(value).value}
    if isinstance(t, (ir.F32Type, ir.F64Type, ir.F16Type)):
        width = {ir.F32Type: 32, ir.F64Type: 64, ir.F16Type: 16}[type(t)]
        return {"type": f"f{width}", "value": ir.FloatAttr(value).value}
    raise FourfoldError(f"launch plan: constant of type {t} is not supported")


def extract_plan(module: ir.Module, entry: str, chip: str) -> dict:
    """The launch plan of host function `entry` in a module the GPU pipeline produced."""
    fn = None
    globals_ = {}
    for op in module.body.operations:
        name = op.operation.name
        if name == "func.func" and ir.StringAttr(op.attributes["sym_name"]).value == entry:
            fn = op
        elif name == "memref.global":
            globals_[ir.StringAttr(op.attributes["sym_name"]).value] = op
    if fn is None:
        raise FourfoldError(f"launch plan: no host function @{entry}")
    block = fn.regions[0].blocks[0]
    if len(fn.regions[0].blocks) != 1:
        raise FourfoldError(f"launch plan: @{entry} has control flow on the host")

    values: dict = {}  # ir.Value -> {"const": ...} or {"buffer": id, layout...}
    buffers: list[dict] = []
    steps: list[dict] = []

    def new_buffer(t: ir.MemRefType, **extra) -> dict:
        shape, strides, offset = _memref_layout(t)
        ref = {"buffer": len(buffers), "shape": shape, "strides": strides, "offset": offset,
               "dtype": _dtype_name(t.element_type)}
        size = int(np.prod(shape)) if shape else 1
        buffers.append({"dtype": ref["dtype"], "elements": size, **extra})
        return ref

    for i, arg in enumerate(block.arguments):
        if not isinstance(arg.type, ir.MemRefType):
            raise FourfoldError(f"launch plan: argument #{i} of @{entry} is {arg.type}; only memrefs are supported")
        values[arg] = new_buffer(arg.type, kind="argument", index=i)

    returns = []
    for op in block.operations:
        name = op.operation.name
        where = f"{name} at {op.location}"
        if name == "arith.constant":
            values[op.results[0]] = {"const": _constant(op)}
        elif name == "memref.alloc":
            if len(op.operands):
                raise FourfoldError(f"launch plan: {where}: dynamic allocation is not supported")
            ref = new_buffer(op.results[0].type, kind="temporary")
            values[op.results[0]] = ref
            steps.append({"op": "alloc", "buffer": ref["buffer"]})
        elif name == "memref.get_global":
            sym = ir.FlatSymbolRefAttr(op.attributes["name"]).value
            g = globals_[sym]
            init = g.attributes["initial_value"] if "initial_value" in g.attributes else None
            if init is None or not isinstance(init, ir.DenseElementsAttr):
                raise FourfoldError(f"launch plan: {where}: global @{sym} has no dense initial value")
            data = np.array(init)
            ref = new_buffer(op.results[0].type, kind="constant")
            buffers[ref["buffer"]]["data"] = data.reshape(-1).tolist()
            values[op.results[0]] = ref
        elif name in ("memref.expand_shape", "memref.collapse_shape", "memref.subview", "memref.cast",
                      "memref.reinterpret_cast") and all(v in values for v in op.operands):
            # A view: the same buffer under the layout of the result's (static) type.
            if name in ("memref.subview", "memref.reinterpret_cast") and len(op.operands) > 1:
                raise FourfoldError(f"launch plan: {where}: views with dynamic offsets are not supported")
            src = values[op.operands[0]]
            shape, strides, offset = _memref_layout(op.results[0].type)
            values[op.results[0]] = {**src, "shape": shape, "strides": strides, "offset": offset,
                                     "dtype": _dtype_name(op.results[0].type.element_type)}
        elif name == "memref.dealloc":
            steps.append({"op": "free", "buffer": values[op.operands[0]]["buffer"]})
        elif name == "memref.copy":
            src, dst = (values[v] for v in op.operands)
            if _contiguous(src) and _contiguous(dst):
                # views may cover part of a buffer: copy the view's bytes, not the buffer's
                count = int(np.prod(src["shape"])) if src["shape"] else 1
                steps.append({"op": "copy", "src": src["buffer"], "dst": dst["buffer"],
                              "bytes": count * np.dtype(src["dtype"]).itemsize})
            else:
                steps += strided_copies(src, dst)
        elif name == "gpu.launch_func":
            kernel = ir.SymbolRefAttr(op.attributes["kernel"])
            module_name, kernel_name = kernel.value if hasattr(kernel, "value") else str(kernel).split("::")
            dims = []
            for v in list(op.operands)[:6]:
                c = values.get(v, {}).get("const")
                if c is None:
                    raise FourfoldError(f"launch plan: {where}: grid and block sizes must be constants")
                dims.append(int(c["value"]))
            launch_args = []
            for v in op.kernelOperands:
                ref = values.get(v)
                if ref is None:
                    raise FourfoldError(f"launch plan: {where}: operand {v.get_name()} is not a constant or buffer")
                launch_args.append(ref if "buffer" in ref else ref["const"])
            smem = 0
            if op.dynamicSharedMemorySize is not None:
                smem = int(values[op.dynamicSharedMemorySize]["const"]["value"])
            step = {"op": "launch", "module": str(module_name).lstrip("@"),
                    "kernel": str(kernel_name).lstrip("@"), "grid": dims[:3], "block": dims[3:6],
                    "shared_bytes": smem, "args": launch_args}
            if "rammer.launches" in op.attributes:
                # an rProgram's kernel: the launches its operators took one by one
                step["replaces_launches"] = ir.IntegerAttr(op.attributes["rammer.launches"]).value
            steps.append(step)
        elif name == "func.return":
            returns = [values[v]["buffer"] for v in op.operands]
        else:
            raise FourfoldError(f"launch plan: host op {where} is not supported")
    launches = [s for s in steps if s["op"] == "launch"]
    return {"version": 1, "entry": entry, "chip": chip, "buffers": buffers, "steps": steps, "returns": returns,
            # kernel launches per call, and as many as there would be with one launch per kernel
            # (rammer's rPrograms taken apart)
            "launches": len(launches),
            "launches_without_rammer": sum(s.get("replaces_launches", 1) for s in launches)}


def save_artifact(artifact, directory: str) -> str:
    """Write a GPUArtifact as plan.json plus one .ptx (and .cubin, if assembled) per kernel module."""
    os.makedirs(directory, exist_ok=True)
    plan = dict(artifact.plan)
    plan["modules"] = {}
    for m in artifact.modules:
        entry = {"ptx": f"{m.name}.ptx"}
        with open(os.path.join(directory, entry["ptx"]), "w") as f:
            f.write(m.ptx)
        if m.cubin:
            entry["cubin"] = f"{m.name}.cubin"
            with open(os.path.join(directory, entry["cubin"]), "wb") as f:
                f.write(m.cubin)
        plan["modules"][m.name] = entry
    plan["args"] = [{"shape": list(a.shape), "dtype": a.dtype.name} for a in artifact.args]
    plan["results"] = [{"shape": list(r.shape), "dtype": r.dtype.name} for r in artifact.results]
    path = os.path.join(directory, "plan.json")
    with open(path, "w") as f:
        json.dump(plan, f, indent=1)
    return path
