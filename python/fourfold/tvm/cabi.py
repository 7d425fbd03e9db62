"""The CPU side of the codegen: one relocatable object per offloaded function, exporting the TVM-FFI
C-ABI symbol the Relax VM calls.

    int __tvm_ffi_<name>(void *self, const TVMFFIAny *args, int32_t n, TVMFFIAny *ret)

takes the function's inputs and then its outputs (the VM allocates them: destination-passing
style) as DLTensors, checks them against the compiled signature, and calls the code fourfold
compiled (`_mlir_ciface_<name>`: memref descriptors, inputs then out-params).

The object has no link-time dependencies beyond libc / libm, so TVM's `export_library` (g++ or
any linker) makes a self-contained shared library:
- OpenMP entry points (`__kmpc_*`, `omp_*`) the parallel code calls are renamed to trampolines that
  jump through a table filled on first call by dlopen-ing LLVM's libomp (the same library
  fourfold's own CPU modules use, so `fourfold.cli.set_threads` sets its threads); at that first
  call TVM_NUM_THREADS, when set and OMP_NUM_THREADS is not, becomes libomp's thread count for the
  calling thread, so that the offloaded code uses as many cores as TVM's own;
- `memrefCopy` (MLIR's runner utilities) is defined here;
- every symbol but `__tvm_ffi_<name>` is made local, so several such objects link together.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from ..errors import FourfoldError

# MLIR element type -> (DLDataTypeCode, bits)
_DL = {"f32": (2, 32), "f64": (2, 64), "f16": (2, 16), "i64": (0, 64), "i32": (0, 32), "i16": (0, 16),
       "i8": (0, 8), "i1": (6, 8)}  # bool: kDLBool, 8 bits
_DL_BOOL_ALT = (1, 8)  # some producers describe bool tensors as uint8


def find_tool(*names: str) -> str | None:
    llvm_bin = "/usr/lib/llvm-22/bin"
    try:
        from .. import _config

        llvm_bin = _config.LLVM_TOOLS_DIR
    except Exception:  # pragma: no cover - running from a tree without the generated config
        pass
    for name in names:
        path = os.path.join(llvm_bin, name)
        if os.path.exists(path):
            return path
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def libomp_path() -> str:
    try:
        from .. import _config

        return os.path.join(_config.LLVM_LIBRARY_DIR, "libomp.so")
    except Exception:  # pragma: no cover
        return "/usr/lib/llvm-22/lib/libomp.so"


def _run(cmd: list[str], what: str) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FourfoldError(f"{what} failed ({os.path.basename(cmd[0])}): {proc.stderr.strip()[-3000:]}")
    return proc.stdout


def undefined_symbols(obj: str) -> list[str]:
    nm = find_tool("llvm-nm", "llvm-nm-22", "nm")
    if not nm:
        raise FourfoldError("llvm-nm not found (install llvm-22-tools)")
    out = _run([nm, "-u", obj], "listing the object's symbols")
    return sorted({line.split()[-1] for line in out.splitlines() if line.strip()})


def _memref_struct(rank: int) -> str:
    if rank == 0:
        return "typedef struct { void *allocated, *aligned; int64_t offset; } ff_memref_0;"
    return (f"typedef struct {{ void *allocated, *aligned; int64_t offset; int64_t sizes[{rank}]; "
            f"int64_t strides[{rank}]; }} ff_memref_{rank};")


_PRELUDE = r"""
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <dlfcn.h>
#include <tvm/ffi/c_api.h>

static DLTensor *ff_dltensor(const TVMFFIAny *a) {
  if (a->type_index == kTVMFFIDLTensorPtr) return (DLTensor *)a->v_ptr;
  if (a->type_index == kTVMFFITensor) return (DLTensor *)((char *)a->v_obj + sizeof(TVMFFIObject));
  return NULL;
}

static int ff_fail(const char *kind, const char *fn, const char *msg, int index) {
  char buf[512];
  snprintf(buf, sizeof buf, "fourfold function %s: %s (argument #%d)", fn, msg, index);
  TVMFFIErrorSetRaisedFromCStr(kind, buf);
  return -1;
}

/* Checks one DLTensor against the compiled signature; returns its data pointer or NULL. */
static void *ff_check(const TVMFFIAny *arg, const char *fn, int index, int ndim, const int64_t *shape,
                      int code, int bits, int alt_code, int *err) {
  DLTensor *t = ff_dltensor(arg);
  *err = 0;
  if (!t) { *err = ff_fail("TypeError", fn, "expected a tensor", index); return NULL; }
  if (t->device.device_type != kDLCPU) { *err = ff_fail("ValueError", fn, "tensor is not on the CPU", index); return NULL; }
  if (t->ndim != ndim) { *err = ff_fail("ValueError", fn, "tensor has the wrong rank", index); return NULL; }
  if (!((t->dtype.code == code || t->dtype.code == alt_code) && t->dtype.bits == bits && t->dtype.lanes == 1)) {
    *err = ff_fail("TypeError", fn, "tensor has the wrong dtype", index); return NULL;
  }
  int64_t expect = 1;
  for (int d = ndim - 1; d >= 0; --d) {
    if (t->shape[d] != shape[d]) { *err = ff_fail("ValueError", fn, "tensor has the wrong shape", index); return NULL; }
    if (t->strides && shape[d] != 1 && t->strides[d] != expect) {
      *err = ff_fail("ValueError", fn, "tensor is not contiguous", index); return NULL;
    }
    expect *= shape[d];
  }
  return (char *)t->data + t->byte_offset;
}

/* MLIR's memrefCopy (runner utilities), for copies between strided memrefs. */
typedef struct { int64_t rank; void *descriptor; } ff_unranked;
void memrefCopy(int64_t elem, ff_unranked *src, ff_unranked *dst) {
  int64_t rank = src->rank;
  char **sp = (char **)src->descriptor, **dp = (char **)dst->descriptor;
  int64_t *sm = (int64_t *)(sp + 2), *dm = (int64_t *)(dp + 2);
  char *s = sp[1] + sm[0] * elem, *d = dp[1] + dm[0] * elem;
  int64_t *sizes = sm + 1, *sst = sm + 1 + rank, *dst_ = dm + 1 + rank;
  if (rank == 0) { memcpy(d, s, elem); return; }
  int64_t idx[64] = {0};
  for (int64_t i = 0; i < rank; ++i) if (sizes[i] == 0) return;
  for (;;) {
    memcpy(d, s, elem);
    int64_t ax = rank - 1;
    for (; ax >= 0; --ax) {
      idx[ax]++; s += sst[ax] * elem; d += dst_[ax] * elem;
      if (idx[ax] < sizes[ax]) break;
      s -= sst[ax] * elem * sizes[ax]; d -= dst_[ax] * elem * sizes[ax]; idx[ax] = 0;
    }
    if (ax < 0) return;
  }
}
"""


def _omp_block(symbols: list[str], libomp: str) -> str:
    """Trampolines for the OpenMP entry points: a jump through a pointer keeps every register and
    the stack as the caller left them (so variadic __kmpc_fork_call works)."""
    if not symbols:
        return "static int ff_resolve_omp(const char *fn) { (void)fn; return 0; }\n"
    lines = [f"void *ff_ptr_{s} = 0;" for s in symbols]
    names = ", ".join(f'"{s}"' for s in symbols)
    ptrs = ", ".join(f"&ff_ptr_{s}" for s in symbols)
    asm_x86 = "".join(f'  ".globl ff_tramp_{s}\\n.type ff_tramp_{s},@function\\nff_tramp_{s}:\\n'
                      f'  jmp *ff_ptr_{s}(%rip)\\n"\n' for s in symbols)
    asm_arm = "".join(f'  ".globl ff_tramp_{s}\\n.type ff_tramp_{s},%function\\nff_tramp_{s}:\\n'
                      f'  adrp x16, ff_ptr_{s}\\n  ldr x16, [x16, :lo12:ff_ptr_{s}]\\n  br x16\\n"\n'
                      for s in symbols)
    return "\n".join(lines) + f"""
static const char *ff_omp_names[] = {{{names}}};
static void **ff_omp_ptrs[] = {{{ptrs}}};
static int ff_omp_ready = 0;
#if defined(__x86_64__)
__asm__(".text\\n"
{asm_x86});
#elif defined(__aarch64__)
__asm__(".text\\n"
{asm_arm});
#else
#error "fourfold's OpenMP trampolines support x86-64 and AArch64"
#endif

static int ff_resolve_omp(const char *fn) {{
  if (__atomic_load_n(&ff_omp_ready, __ATOMIC_ACQUIRE)) return 0;
  static const char *paths[] = {{"{libomp}", "libomp.so.5", "libomp.so"}};
  void *h = 0;
  for (unsigned i = 0; i < sizeof paths / sizeof paths[0] && !h; ++i) h = dlopen(paths[i], RTLD_NOW | RTLD_GLOBAL);
  if (!h) {{
    char buf[512];
    snprintf(buf, sizeof buf, "fourfold function %s: cannot load LLVM's OpenMP runtime (%s)", fn, "{libomp}");
    TVMFFIErrorSetRaisedFromCStr("RuntimeError", buf);
    return -1;
  }}
  for (unsigned i = 0; i < sizeof ff_omp_names / sizeof ff_omp_names[0]; ++i) {{
    void *p = dlsym(h, ff_omp_names[i]);
    if (!p) {{
      char buf[512];
      snprintf(buf, sizeof buf, "fourfold function %s: libomp has no %s", fn, ff_omp_names[i]);
      TVMFFIErrorSetRaisedFromCStr("RuntimeError", buf);
      return -1;
    }}
    *ff_omp_ptrs[i] = p;
  }}
  /* TVM's thread count for our parallel code too, unless OpenMP's own is set: otherwise libomp
     takes every core while TVM_NUM_THREADS=1 asks for one. */
  const char *tvm_threads = getenv("TVM_NUM_THREADS");
  void (*set_threads)(int) = (void (*)(int))dlsym(h, "omp_set_num_threads");
  if (!getenv("OMP_NUM_THREADS") && tvm_threads && atoi(tvm_threads) > 0 && set_threads)
    set_threads(atoi(tvm_threads));
  __atomic_store_n(&ff_omp_ready, 1, __ATOMIC_RELEASE);
  return 0;
}}
"""


def wrapper_source(name: str, args, results, omp_symbols: list[str], libomp: str | None = None) -> str:
    """C source of __tvm_ffi_<name>. `args` / `results`: (shape, MLIR element type) each."""
    libomp = libomp or libomp_path()
    specs = list(args) + list(results)
    ranks = sorted({len(s) for s, _ in specs})
    out = [_PRELUDE]
    out += [_memref_struct(r) for r in ranks]
    out.append(_omp_block(omp_symbols, libomp))
    proto = ", ".join(f"ff_memref_{len(s)} *" for s, _ in specs) or "void"
    out.append(f"extern void _mlir_ciface_{name}({proto});")
    body = [f'__attribute__((visibility("default"))) int __tvm_ffi_{name}(void *self, const TVMFFIAny *args, int32_t n, TVMFFIAny *ret) {{',
            "  (void)self; int err = 0;",
            f'  static const char fn[] = "{name}";',
            f"  if (n != {len(specs)}) {{",
            f'    TVMFFIErrorSetRaisedFromCStr("TypeError", "fourfold function {name}: expected {len(args)} input '
            f'and {len(results)} output tensor(s)");',
            "    return -1;", "  }",
            "  if (ff_resolve_omp(fn)) return -1;"]
    for i, (shape, dtype) in enumerate(specs):
        code, bits = _DL[dtype]
        alt = _DL_BOOL_ALT[0] if dtype == "i1" else code
        rank = len(shape)
        shape_init = ", ".join(str(int(d)) for d in shape) or "0"
        body.append(f"  static const int64_t shape{i}[] = {{{shape_init}}};")
        body.append(f"  void *p{i} = ff_check(&args[{i}], fn, {i}, {rank}, shape{i}, {code}, {bits}, {alt}, &err);")
        body.append("  if (err) return -1;")
        body.append(f"  ff_memref_{rank} m{i}; m{i}.allocated = m{i}.aligned = p{i}; m{i}.offset = 0;")
        stride = 1
        for d in reversed(range(rank)):
            body.append(f"  m{i}.sizes[{d}] = {int(shape[d])}; m{i}.strides[{d}] = {stride};")
            stride *= int(shape[d])
    call_args = ", ".join(f"&m{i}" for i in range(len(specs)))
    body.append(f"  _mlir_ciface_{name}({call_args});")
    body += ["  ret->type_index = kTVMFFINone; ret->zero_padding = 0; ret->v_int64 = 0;", "  return 0;", "}"]
    out.append("\n".join(body))
    return "\n\n".join(out) + "\n"


def include_dirs() -> list[str]:
    import tvm_ffi.libinfo as libinfo

    dirs = [libinfo.find_include_path(), libinfo.find_dlpack_include_path()]
    return list(dict.fromkeys(d for d in dirs if d))


def is_omp_symbol(sym: str) -> bool:
    return sym.startswith("__kmpc_") or sym.startswith("omp_")


def build_object(name: str, mlir_object: str, args, results, out: str, workdir: str) -> str:
    """Combine the MLIR-compiled object with its C-ABI wrapper into one relocatable object `out`
    whose only global symbol is __tvm_ffi_<name>. Returns `out`."""
    clang = find_tool("clang", "clang-22", "clang-21", "cc")
    lld = find_tool("ld.lld", "ld.lld-22")
    objcopy = find_tool("llvm-objcopy", "llvm-objcopy-22", "objcopy")
    if not (clang and lld and objcopy):
        raise FourfoldError("fourfold's TVM codegen needs clang, ld.lld and llvm-objcopy (clang-22, lld-22, llvm-22)")
    omp = [s for s in undefined_symbols(mlir_object) if is_omp_symbol(s)]
    stem = os.path.splitext(os.path.basename(out))[0]
    renamed = os.path.join(workdir, f"{stem}.mlir.o")
    cmd = [objcopy]
    for s in omp:
        cmd += ["--redefine-sym", f"{s}=ff_tramp_{s}"]
    _run(cmd + [mlir_object, renamed], "renaming OpenMP symbols")
    src = os.path.join(workdir, f"{stem}.wrapper.c")
    with open(src, "w") as f:
        f.write(wrapper_source(name, args, results, omp))
    wobj = os.path.join(workdir, f"{stem}.wrapper.o")
    _run([clang, "-c", "-O2", "-fPIC", "-std=gnu11", "-fvisibility=hidden", *[f"-I{d}" for d in include_dirs()],
          src, "-o", wobj], "compiling the C-ABI wrapper")
    combined = os.path.join(workdir, f"{stem}.combined.o")
    _run([lld, "-r", wobj, renamed, "-o", combined], "linking the function's object")
    _run([objcopy, f"--keep-global-symbol=__tvm_ffi_{name}", combined, out], "localizing symbols")
    return out
