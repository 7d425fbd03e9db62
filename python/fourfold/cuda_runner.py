"""Run a fourfold GPU artifact (plan.json + cubins/PTX) with nothing but numpy and the CUDA driver.

This file imports nothing from fourfold or MLIR, so it can be copied to a machine with a GPU and no
LLVM: `PlanRunner(directory)(*arrays)` returns the results as numpy arrays. It uses the driver API
through cuda-python (`cuda.bindings.driver`, or the older `cuda.cuda`).
"""

from __future__ import annotations

import ctypes
import json
import os

import numpy as np

try:
    from cuda.bindings import driver as cu
except ImportError:  # cuda-python < 12.6
    from cuda import cuda as cu  # type: ignore

_SCALAR = {"index": ctypes.c_int64, "i64": ctypes.c_int64, "i32": ctypes.c_int32, "i16": ctypes.c_int16,
           "i8": ctypes.c_int8, "i1": ctypes.c_bool, "f32": ctypes.c_float, "f64": ctypes.c_double}


def check(result):
    """Unpack a driver call's (error, *values) and raise on an error."""
    err, *rest = result if isinstance(result, tuple) else (result,)
    if int(err) != 0:
        _, name = cu.cuGetErrorName(err)
        raise RuntimeError(f"CUDA driver error {int(err)} ({name.decode() if name else '?'})")
    return rest[0] if len(rest) == 1 else (tuple(rest) if rest else None)


def _memcpy3d(step: dict, live: dict):
    """The CUDA_MEMCPY3D of a plan's copy3d step (gpu_plan.strided_copies; its numpy twin
    gpu_plan.run_copy3d_numpy is what the tests check)."""
    p = cu.CUDA_MEMCPY3D()
    device = cu.CUmemorytype.CU_MEMORYTYPE_DEVICE
    p.srcMemoryType, p.dstMemoryType = device, device
    p.srcDevice = cu.CUdeviceptr(live[step["src"]] + step["src_offset"])
    p.dstDevice = cu.CUdeviceptr(live[step["dst"]] + step["dst_offset"])
    p.srcPitch, p.srcHeight = step["src_pitch"], step["src_height"]
    p.dstPitch, p.dstHeight = step["dst_pitch"], step["dst_height"]
    p.WidthInBytes, p.Height, p.Depth = step["width_bytes"], step["height"], step["depth"]
    return p


class PlanRunner:
    def __init__(self, directory: str, device: int = 0, prefer: str = "cubin"):
        with open(os.path.join(directory, "plan.json")) as f:
            self.plan = json.load(f)
        check(cu.cuInit(0))
        self.device = check(cu.cuDeviceGet(device))
        self.context = check(cu.cuDevicePrimaryCtxRetain(self.device))
        check(cu.cuCtxSetCurrent(self.context))
        self.functions = {}
        self.modules = {}
        for name, files in self.plan["modules"].items():
            kind = prefer if prefer in files else "ptx"
            with open(os.path.join(directory, files[kind]), "rb") as f:
                image = f.read()
            if kind == "ptx":
                image += b"\0"
            self.modules[name] = check(cu.cuModuleLoadData(image))
        for step in self.plan["steps"]:
            if step["op"] == "launch":
                key = (step["module"], step["kernel"])
                if key not in self.functions:
                    self.functions[key] = check(cu.cuModuleGetFunction(self.modules[key[0]], key[1].encode()))
        self.buffers = self.plan["buffers"]
        # A compiled PyTorch model (fourfold.model.CompiledModel.save) brings its weights: they are
        # the last arguments, uploaded once here; calls pass only the model's inputs.
        self.weights = []
        weights = os.path.join(directory, "weights.npz")
        if os.path.exists(weights):
            with np.load(weights) as npz:
                self.weights = [self._upload(npz[k]) for k in sorted(npz.files)]
        self.constants = {}
        for i, b in enumerate(self.buffers):
            if b["kind"] == "constant":
                data = np.asarray(b["data"], dtype=b["dtype"])
                self.constants[i] = self._upload(data)

    # -- memory --------------------------------------------------------------
    def _nbytes(self, i):
        b = self.buffers[i]
        return max(1, b["elements"]) * np.dtype(b["dtype"]).itemsize

    def _upload(self, array: np.ndarray) -> int:
        ptr = int(check(cu.cuMemAlloc(max(1, array.nbytes))))
        check(cu.cuMemcpyHtoD(ptr, np.ascontiguousarray(array).ctypes.data, array.nbytes))
        return ptr

    def to_device(self, arrays):
        args = [b for b in self.buffers if b["kind"] == "argument"]
        count = len(args) - len(self.weights)
        if len(arrays) != count:
            raise TypeError(f"{self.plan['entry']} takes {count} arguments, got {len(arrays)}")
        ptrs = []
        for a, spec in zip(arrays, self.plan["args"][:count]):
            a = np.ascontiguousarray(a, dtype=spec["dtype"])
            if list(a.shape) != spec["shape"]:
                raise ValueError(f"expected shape {spec['shape']}, got {list(a.shape)}")
            ptrs.append(self._upload(a))
        return ptrs

    def free(self, ptrs):
        for p in ptrs:
            check(cu.cuMemFree(p))

    # -- execution -----------------------------------------------------------
    def execute(self, arg_ptrs, stream=0):
        """Run the plan on device pointers; returns the device pointers of the results (the caller
        frees them)."""
        live = dict(self.constants)
        if len(arg_ptrs) + len(self.weights) == len(self.plan["args"]):
            arg_ptrs = list(arg_ptrs) + self.weights
        for b, ptr in zip([i for i, b in enumerate(self.buffers) if b["kind"] == "argument"], arg_ptrs):
            live[b] = ptr
        for step in self.plan["steps"]:
            op = step["op"]
            if op == "alloc":
                live[step["buffer"]] = int(check(cu.cuMemAlloc(self._nbytes(step["buffer"]))))
            elif op == "free":
                check(cu.cuMemFree(live.pop(step["buffer"])))
            elif op == "copy":
                check(cu.cuMemcpyDtoDAsync(live[step["dst"]], live[step["src"]], step.get("bytes", self._nbytes(step["src"])), stream))
            elif op == "copy3d":
                check(cu.cuMemcpy3DAsync(_memcpy3d(step, live), stream))
            elif op == "launch":
                values = []
                for a in step["args"]:
                    if "buffer" in a:
                        ptr = live[a["buffer"]]
                        values += [ctypes.c_void_p(ptr), ctypes.c_void_p(ptr), ctypes.c_int64(a["offset"])]
                        values += [ctypes.c_int64(d) for d in a["shape"]]
                        values += [ctypes.c_int64(s) for s in a["strides"]]
                    else:
                        values.append(_SCALAR[a["type"]](a["value"]))
                params = (ctypes.c_void_p * len(values))(*[ctypes.addressof(v) for v in values])
                gx, gy, gz = step["grid"]
                bx, by, bz = step["block"]
                check(cu.cuLaunchKernel(self.functions[(step["module"], step["kernel"])], gx, gy, gz,
                                        bx, by, bz, step["shared_bytes"], stream, ctypes.addressof(params), 0))
        return [live[i] for i in self.plan["returns"]]

    def __call__(self, *arrays):
        ptrs = self.to_device(arrays)
        try:
            outs = self.execute(ptrs)
            check(cu.cuCtxSynchronize())
            results = []
            for ptr, spec in zip(outs, self.plan["results"]):
                host = np.empty(spec["shape"], dtype=spec["dtype"])
                check(cu.cuMemcpyDtoH(host.ctypes.data, ptr, host.nbytes))
                results.append(host)
            self.free([p for p in outs if p not in ptrs and p not in self.weights])
        finally:
            self.free(ptrs)
        return results[0] if len(results) == 1 else tuple(results)
