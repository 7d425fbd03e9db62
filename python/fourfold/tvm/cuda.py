"""The CUDA side of the codegen: fourfold's kernels (PTX, and cubins when ptxas is there) and a host
object that replays fourfold's launch plan (fourfold.gpu_plan) for the Relax VM.

The host object exports `__tvm_ffi_<name>` like the CPU one (fourfold.tvm.cabi): it takes the VM's
CUDA tensors (inputs, then the outputs it allocated), loads the embedded kernel images into the
device's primary context on first use, allocates temporaries from TVM's workspace pool
(TVMBackendAllocWorkspace) and launches every kernel of the plan on TVM's current stream
(TVMFFIEnvGetStream), through the CUDA driver API it opens at run time (libcuda.so.1), so the object
links and exports (`export_library`) on machines without CUDA. A temporary the plan returns is the
output tensor itself (no copy).

Why not a TVM `cuda` runtime module: TVM 0.27 constructs one from PTX only through its CUDA runtime
plugin (`ffi.Module.create.cuda`), which is not there without libcuda, while this object builds and
exports anywhere; the kernels are the same.
"""

from __future__ import annotations

import json
import os

import numpy as np
import tvm

from ..errors import FourfoldError
from . import cabi

_DTYPE_MLIR = {"float32": "f32", "float64": "f64", "float16": "f16", "int64": "i64", "int32": "i32",
               "int16": "i16", "int8": "i8", "bool": "i1"}
_SCALAR_C = {"index": "int64_t", "i64": "int64_t", "i32": "int32_t", "i16": "int16_t", "i8": "int8_t",
             "i1": "int8_t", "f32": "float", "f64": "double"}

_PRELUDE = r"""
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <dlfcn.h>
#include <pthread.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/extra/c_env_api.h>

typedef int CUresult;
typedef void *CUmodule, *CUfunction, *CUstream, *CUcontext;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

extern void *TVMBackendAllocWorkspace(int device_type, int device_id, uint64_t nbytes, int code, int bits);
extern int TVMBackendFreeWorkspace(int device_type, int device_id, void *ptr);

static struct {
  CUresult (*Init)(unsigned);
  CUresult (*DeviceGet)(CUdevice *, int);
  CUresult (*CtxGetCurrent)(CUcontext *);
  CUresult (*DevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*CtxSetCurrent)(CUcontext);
  CUresult (*ModuleLoadData)(CUmodule *, const void *);
  CUresult (*ModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*FuncSetAttribute)(CUfunction, int, int);
  CUresult (*LaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                           CUstream, void **, void **);
  CUresult (*MemcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*MemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
  CUresult (*GetErrorName)(CUresult, const char **);
} ff_cu;
static int ff_cu_ready = 0;
static pthread_mutex_t ff_lock = PTHREAD_MUTEX_INITIALIZER;

static int ff_error(const char *fn, const char *what, CUresult r) {
  char buf[512];
  const char *name = "?";
  if (r && ff_cu.GetErrorName) ff_cu.GetErrorName(r, &name);
  if (r) snprintf(buf, sizeof buf, "fourfold function %s: %s failed (%s, CUresult %d)", fn, what, name, r);
  else snprintf(buf, sizeof buf, "fourfold function %s: %s", fn, what);
  TVMFFIErrorSetRaisedFromCStr("RuntimeError", buf);
  return -1;
}

static int ff_load_driver(const char *fn) {
  if (__atomic_load_n(&ff_cu_ready, __ATOMIC_ACQUIRE)) return 0;
  void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (!h) h = dlopen("libcuda.so", RTLD_NOW | RTLD_GLOBAL);
  if (!h) return ff_error(fn, "cannot load the CUDA driver (libcuda.so.1)", 0);
#define FF_SYM(field, name) if (!(*(void **)&ff_cu.field = dlsym(h, name))) return ff_error(fn, "libcuda lacks " name, 0)
  FF_SYM(Init, "cuInit"); FF_SYM(DeviceGet, "cuDeviceGet"); FF_SYM(CtxGetCurrent, "cuCtxGetCurrent");
  FF_SYM(DevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"); FF_SYM(CtxSetCurrent, "cuCtxSetCurrent");
  FF_SYM(ModuleLoadData, "cuModuleLoadData"); FF_SYM(ModuleGetFunction, "cuModuleGetFunction");
  FF_SYM(FuncSetAttribute, "cuFuncSetAttribute"); FF_SYM(LaunchKernel, "cuLaunchKernel");
  FF_SYM(MemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2"); FF_SYM(MemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
  FF_SYM(GetErrorName, "cuGetErrorName");
#undef FF_SYM
  CUresult r = ff_cu.Init(0);
  if (r) return ff_error(fn, "cuInit", r);
  __atomic_store_n(&ff_cu_ready, 1, __ATOMIC_RELEASE);
  return 0;
}

/* The primary context of `device` current on this thread. TVM's CUDA runtime (cudaSetDevice)
   has made it current on a thread that allocated the VM's tensors; otherwise it is retained (once
   per device) and made current. */
static CUcontext ff_primary[32];
static int ff_context(const char *fn, int device) {
  CUcontext ctx = 0, primary = __atomic_load_n(&ff_primary[device], __ATOMIC_ACQUIRE);
  CUresult r = ff_cu.CtxGetCurrent(&ctx);
  if (r) return ff_error(fn, "cuCtxGetCurrent", r);
  if (ctx && (!primary || ctx == primary)) return 0;
  if (!primary) {
    CUdevice dev;
    if ((r = ff_cu.DeviceGet(&dev, device))) return ff_error(fn, "cuDeviceGet", r);
    pthread_mutex_lock(&ff_lock);
    if (!ff_primary[device]) r = ff_cu.DevicePrimaryCtxRetain(&ff_primary[device], dev);
    primary = ff_primary[device];
    pthread_mutex_unlock(&ff_lock);
    if (r) return ff_error(fn, "cuDevicePrimaryCtxRetain", r);
  }
  if ((r = ff_cu.CtxSetCurrent(primary))) return ff_error(fn, "cuCtxSetCurrent", r);
  return 0;
}

static DLTensor *ff_dltensor(const TVMFFIAny *a) {
  if (a->type_index == kTVMFFIDLTensorPtr) return (DLTensor *)a->v_ptr;
  if (a->type_index == kTVMFFITensor) return (DLTensor *)((char *)a->v_obj + sizeof(TVMFFIObject));
  return NULL;
}

static void *ff_check(const TVMFFIAny *arg, const char *fn, int index, int ndim, const int64_t *shape, int code,
                      int bits, int alt_code, int *device, int *err) {
  char buf[512];
  DLTensor *t = ff_dltensor(arg);
  const char *why = 0;
  *err = 0;
  if (!t) why = "expected a tensor";
  else if (t->device.device_type != kDLCUDA) why = "tensor is not on a CUDA device";
  else if (*device >= 0 && t->device.device_id != *device) why = "tensors are on different devices";
  else if (t->ndim != ndim) why = "tensor has the wrong rank";
  else if (!((t->dtype.code == code || t->dtype.code == alt_code) && t->dtype.bits == bits && t->dtype.lanes == 1))
    why = "tensor has the wrong dtype";
  else {
    int64_t expect = 1;
    for (int d = ndim - 1; d >= 0 && !why; --d) {
      if (t->shape[d] != shape[d]) why = "tensor has the wrong shape";
      else if (t->strides && shape[d] != 1 && t->strides[d] != expect) why = "tensor is not contiguous";
      expect *= shape[d];
    }
  }
  if (why) {
    snprintf(buf, sizeof buf, "fourfold function %s: %s (argument #%d)", fn, why, index);
    TVMFFIErrorSetRaisedFromCStr(t && !strstr(why, "dtype") ? "ValueError" : "TypeError", buf);
    *err = 1;
    return NULL;
  }
  *device = t->device.device_id;
  return (char *)t->data + t->byte_offset;
}
"""


def _c_bytes(data: bytes, name: str) -> str:
    body = ",".join(str(b) for b in data)
    return f"static const unsigned char {name}[{len(data) or 1}] __attribute__((aligned(8))) = {{{body or '0'}}};"


def host_source(name: str, plan: dict, images: list[tuple[str, bytes | None, bytes]], args, results) -> str:
    """C source of __tvm_ffi_<name> replaying `plan`. `images`: (module name, cubin or None, PTX)."""
    out = [_PRELUDE]
    mod_index = {m: i for i, (m, _, _) in enumerate(images)}
    for i, (_, cubin, ptx) in enumerate(images):
        out.append(_c_bytes(cubin or b"", f"ff_cubin_{i}"))
        out.append(_c_bytes(ptx.encode() + b"\0", f"ff_ptx_{i}"))
    nmod = len(images)
    cubins = ", ".join(f"{'ff_cubin_' + str(i) if images[i][1] else '0'}" for i in range(nmod))
    ptxs = ", ".join(f"ff_ptx_{i}" for i in range(nmod))
    launches = [s for s in plan["steps"] if s["op"] == "launch"]
    kernel_ids = {}
    for s in launches:
        kernel_ids.setdefault((s["module"], s["kernel"]), len(kernel_ids))
    nk = max(1, len(kernel_ids))
    kmods = ", ".join(str(mod_index[m]) for (m, _) in kernel_ids) or "0"
    knames = ", ".join(f'"{k}"' for (_, k) in kernel_ids) or '""'
    out.append(f"""
static const unsigned char *ff_cubins[{max(1, nmod)}] = {{{cubins or '0'}}};
static const unsigned char *ff_ptxs[{max(1, nmod)}] = {{{ptxs or '0'}}};
static const int ff_kernel_module[{nk}] = {{{kmods}}};
static const char *ff_kernel_name[{nk}] = {{{knames}}};
static CUmodule ff_modules[32][{max(1, nmod)}];
static CUfunction ff_kernels[32][{nk}];

static CUfunction ff_kernel(const char *fn, int device, int k) {{
  CUfunction f = __atomic_load_n(&ff_kernels[device][k], __ATOMIC_ACQUIRE);
  if (f) return f;
  pthread_mutex_lock(&ff_lock);
  int m = ff_kernel_module[k];
  CUresult r = 0;
  if (!ff_modules[device][m]) {{
    r = ff_cubins[m] ? ff_cu.ModuleLoadData(&ff_modules[device][m], ff_cubins[m]) : 1;
    if (r) r = ff_cu.ModuleLoadData(&ff_modules[device][m], ff_ptxs[m]);  /* JIT from PTX */
  }}
  if (!r) r = ff_cu.ModuleGetFunction(&f, ff_modules[device][m], ff_kernel_name[k]);
  pthread_mutex_unlock(&ff_lock);
  if (r) {{ ff_error(fn, "loading a kernel", r); return 0; }}
  __atomic_store_n(&ff_kernels[device][k], f, __ATOMIC_RELEASE);
  return f;
}}
""")
    buffers = plan["buffers"]
    nbytes = [max(1, b["elements"]) * np.dtype(b["dtype"]).itemsize for b in buffers]
    # constants the plan uploads
    for i, b in enumerate(buffers):
        if b["kind"] == "constant":
            data = np.asarray(b["data"], dtype=b["dtype"]).tobytes()
            out.append(_c_bytes(data, f"ff_const_{i}"))
    specs = list(args) + list(results)
    returns = list(plan["returns"])
    freed = {s["buffer"] for s in plan["steps"] if s["op"] == "free"}
    allocated = [s["buffer"] for s in plan["steps"] if s["op"] == "alloc"]
    # a temporary the plan allocates and returns (and never frees) is the output tensor itself
    bound = {}
    for r_i, b in enumerate(returns):
        if b in allocated and b not in freed and b not in bound and buffers[b]["kind"] == "temporary" \
                and nbytes[b] == max(1, int(np.prod(results[r_i][0] or (1,)))) * _itemsize(results[r_i][1]):
            bound[b] = r_i
    body = [f'__attribute__((visibility("default"))) int __tvm_ffi_{name}(void *self, const TVMFFIAny *args, '
            'int32_t n, TVMFFIAny *ret) {',
            "  (void)self; int err = 0, device = -1; CUresult r;",
            f'  static const char fn[] = "{name}";',
            f"  if (n != {len(specs)}) {{",
            f'    TVMFFIErrorSetRaisedFromCStr("TypeError", "fourfold function {name}: expected {len(args)} input '
            f'and {len(results)} output tensor(s)");',
            "    return -1;", "  }",
            f"  CUdeviceptr buf[{max(1, len(buffers))}] = {{0}};",
            f"  void *io[{len(specs)}];"]
    for i, (shape, dtype) in enumerate(specs):
        code, bits = cabi._DL[dtype]
        alt = cabi._DL_BOOL_ALT[0] if dtype == "i1" else code
        shape_init = ", ".join(str(int(d)) for d in shape) or "0"
        body.append(f"  static const int64_t shape{i}[] = {{{shape_init}}};")
        body.append(f"  io[{i}] = ff_check(&args[{i}], fn, {i}, {len(shape)}, shape{i}, {code}, {bits}, {alt}, "
                    "&device, &err);")
        body.append("  if (err) return -1;")
    body += ['  if (device < 0 || device >= 32) return ff_error(fn, "CUDA device ids above 31 are not supported", 0);',
             "  if (ff_load_driver(fn) || ff_context(fn, device)) return -1;",
             "  CUstream stream = (CUstream)TVMFFIEnvGetStream(kDLCUDA, device);"]
    for i, b in enumerate(buffers):
        if b["kind"] == "argument":
            body.append(f"  buf[{i}] = (CUdeviceptr)io[{b['index']}];")
    for b, r_i in bound.items():
        body.append(f"  buf[{b}] = (CUdeviceptr)io[{len(args) + r_i}];  /* returned: the output itself */")
    cleanup = []
    for i, b in enumerate(buffers):
        if b["kind"] == "constant":
            body += [f"  buf[{i}] = (CUdeviceptr)TVMBackendAllocWorkspace(kDLCUDA, device, {nbytes[i]}, 2, 32);",
                     f'  if (!buf[{i}]) return ff_error(fn, "allocating a constant", 0);',
                     f"  if ((r = ff_cu.MemcpyHtoDAsync(buf[{i}], ff_const_{i}, {nbytes[i]}, stream))) "
                     'return ff_error(fn, "uploading a constant", r);']
            cleanup.append(i)
    for s in plan["steps"]:
        op = s["op"]
        if op == "alloc":
            b = s["buffer"]
            if b in bound:
                continue
            body += [f"  buf[{b}] = (CUdeviceptr)TVMBackendAllocWorkspace(kDLCUDA, device, {nbytes[b]}, 2, 32);",
                     f'  if (!buf[{b}]) return ff_error(fn, "allocating a temporary of {nbytes[b]} bytes", 0);']
        elif op == "free":
            b = s["buffer"]
            if b not in bound:
                body.append(f"  TVMBackendFreeWorkspace(kDLCUDA, device, (void *)buf[{b}]); buf[{b}] = 0;")
        elif op == "copy":
            body.append(f"  if ((r = ff_cu.MemcpyDtoDAsync(buf[{s['dst']}], buf[{s['src']}], {int(s['bytes'])}, stream))) "
                        'return ff_error(fn, "cuMemcpyDtoDAsync", r);')
        elif op == "launch":
            k = kernel_ids[(s["module"], s["kernel"])]
            decls, ptrs = [], []
            for j, a in enumerate(s["args"]):
                if "buffer" in a:
                    decls.append(f"void *a{j}p = (void *)buf[{a['buffer']}];")
                    ptrs += [f"&a{j}p", f"&a{j}p"]
                    decls.append(f"int64_t a{j}o = {int(a['offset'])};")
                    ptrs.append(f"&a{j}o")
                    for d, v in enumerate(list(a["shape"]) + list(a["strides"])):
                        decls.append(f"int64_t a{j}m{d} = {int(v)};")
                        ptrs.append(f"&a{j}m{d}")
                else:
                    ctype = _SCALAR_C.get(a["type"])
                    if ctype is None:
                        raise FourfoldError(f"{name}: a kernel argument of type {a['type']} is not supported")
                    decls.append(f"{ctype} a{j}s = ({ctype}){_c_number(a['value'])};")
                    ptrs.append(f"&a{j}s")
            gx, gy, gz = s["grid"]
            bx, by, bz = s["block"]
            smem = int(s.get("shared_bytes", 0))
            body.append("  {")
            body += [f"    {d}" for d in decls]
            body.append(f"    void *params[] = {{{', '.join(ptrs) or '0'}}};")
            body.append(f"    CUfunction f = ff_kernel(fn, device, {k});")
            body.append("    if (!f) return -1;")
            if smem > 48 * 1024:
                body.append(f"    ff_cu.FuncSetAttribute(f, 8 /* MAX_DYNAMIC_SHARED_SIZE_BYTES */, {smem});")
            body.append(f"    if ((r = ff_cu.LaunchKernel(f, {gx}, {gy}, {gz}, {bx}, {by}, {bz}, {smem}, stream, params, 0))) "
                        f'return ff_error(fn, "launching {s["kernel"]}", r);')
            body.append("  }")
    # results that are not the outputs themselves: copy them there
    for r_i, b in enumerate(returns):
        if b in bound and bound[b] == r_i:
            continue
        size = max(1, int(np.prod(results[r_i][0] or (1,)))) * _itemsize(results[r_i][1])
        body.append(f"  if ((r = ff_cu.MemcpyDtoDAsync((CUdeviceptr)io[{len(args) + r_i}], buf[{b}], {size}, stream))) "
                    'return ff_error(fn, "copying a result", r);')
        if b in allocated and b not in freed:
            cleanup.append(b)
    for b in cleanup:
        body.append(f"  TVMBackendFreeWorkspace(kDLCUDA, device, (void *)buf[{b}]);")
    body += ["  ret->type_index = kTVMFFINone; ret->zero_padding = 0; ret->v_int64 = 0;", "  return 0;", "}"]
    out.append("\n".join(body))
    return "\n\n".join(out) + "\n"


def _c_number(value) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return f"{value}LL"
    v = float(value)
    if v != v:
        return "__builtin_nan(\"\")"
    if v in (float("inf"), float("-inf")):
        return ("-" if v < 0 else "") + "__builtin_inf()"
    return repr(v)


def _itemsize(mlir_dtype: str) -> int:
    return {"f32": 4, "f64": 8, "f16": 2, "i64": 8, "i32": 4, "i16": 2, "i8": 1, "i1": 1}[mlir_dtype]


def load_artifact(directory: str) -> tuple[dict, list[tuple[str, bytes | None, str]]]:
    with open(os.path.join(directory, "plan.json")) as f:
        plan = json.load(f)
    images = []
    for mod_name, files in plan["modules"].items():
        with open(os.path.join(directory, files["ptx"])) as f:
            ptx = f.read()
        cubin = None
        if files.get("cubin"):
            with open(os.path.join(directory, files["cubin"]), "rb") as f:
                cubin = f.read()
        images.append((mod_name, cubin, ptx))
    return plan, images


def build_object(name: str, artifact_dir: str, tr, out: str, workdir: str) -> tuple[str, dict, list]:
    """The host object for one offloaded function; returns (path, plan, images)."""
    plan, images = load_artifact(artifact_dir)
    if [list(s) for s, _ in tr.args] != [a["shape"] for a in plan["args"]]:
        raise FourfoldError(f"{name}: the GPU plan's arguments do not match the Relax function's")
    clang = cabi.find_tool("clang", "clang-22", "cc")
    objcopy = cabi.find_tool("llvm-objcopy", "llvm-objcopy-22", "objcopy")
    if not (clang and objcopy):
        raise FourfoldError("fourfold's TVM codegen needs clang and llvm-objcopy (clang-22, llvm-22)")
    stem = os.path.splitext(os.path.basename(out))[0]
    src = os.path.join(workdir, f"{stem}.cuda_host.c")
    with open(src, "w") as f:
        f.write(host_source(name, plan, images, tr.args, tr.results))
    obj = os.path.join(workdir, f"{stem}.cuda_host.o")
    cabi._run([clang, "-c", "-O2", "-fPIC", "-std=gnu11", "-fvisibility=hidden",
               *[f"-I{d}" for d in cabi.include_dirs()], src, "-o", obj], "compiling the CUDA host wrapper")
    cabi._run([objcopy, f"--keep-global-symbol=__tvm_ffi_{name}", obj, out], "localizing symbols")
    return out, plan, images


class CUDAFunction:
    """What the codegen keeps of a CUDA function besides the module: its kernels, for inspection
    (fourfold.tvm.last_build)."""

    def __init__(self, name, plan, images):
        self.name, self.plan, self.images = name, plan, images

    @property
    def ptx(self) -> dict[str, str]:
        return {m: p for m, _, p in self.images}


def cuda_modules(name: str, artifact_dir: str, tr, workdir: str, stem: str) -> tuple[list, CUDAFunction]:
    obj, plan, images = build_object(name, artifact_dir, tr, os.path.join(workdir, f"{stem}.cuda.o"), workdir)
    return [tvm.runtime.load_static_library(obj, [name])], CUDAFunction(name, plan, images)
