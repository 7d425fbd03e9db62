"""The on-disk compile cache: a second fourfold.compile of the same input, options and target loads
the earlier result instead of compiling again.

An entry is a directory named by its key (sha256 of the input IR after entry marking, the pipeline
text, opt_level, target, entry, top_k, the GPU assembly options, this machine's CPU and the fourfold
build). A CPU entry holds an ahead-of-time shared library (the ExecutionEngine's object file linked
with clang/lld against the MLIR runner libraries); a GPU entry holds what GPUArtifact.save writes
(plan.json, PTX, cubins). Beside either: meta.json (specs, timings, file checksums) and ir.json.gz
(the IR after each stage when keep_ir, and the final module).

Where: fourfold.compile(cache="dir"), else $FOURFOLD_CACHE_DIR, else
${XDG_CACHE_HOME:-~/.cache}/fourfold/compiled. FOURFOLD_NO_CACHE=1 (or cache=False) turns it off.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import functools
import gzip
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
import time
import uuid
import warnings

from .pipeline import PipelineResult, parse

__all__ = ["CacheWarning", "default_directory", "clear", "info"]

# Bumped when the layout of an entry changes, so old entries are never misread.
FORMAT = 1
_ENTRY_RE = re.compile(r"^[0-9a-f]{64}$")
_LEFTOVER_PREFIXES = (".tmp-", ".trash-")


class CacheWarning(UserWarning):
    """The compile succeeded but its result could not be cached."""


def default_directory() -> str:
    explicit = os.environ.get("FOURFOLD_CACHE_DIR")
    if explicit:
        return os.path.abspath(os.path.expanduser(explicit))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fourfold", "compiled")


# The setting of an enclosing compile: top_k tuning compiles its candidates with cache=None, and
# those follow the outer call (cache=False writes nothing, cache="dir" writes only there).
_enclosing: contextvars.ContextVar = contextvars.ContextVar("fourfold_cache_enclosing")


@contextlib.contextmanager
def enclosing(directory: str | None):
    token = _enclosing.set(directory)
    try:
        yield
    finally:
        _enclosing.reset(token)


def resolve(cache) -> str | None:
    """The directory compile(cache=...) uses, or None when caching is off."""
    if cache is None:
        inherited = _enclosing.get(contextvars.Token.MISSING)
        if inherited is not contextvars.Token.MISSING:
            return inherited
    if cache is False:
        return None
    if isinstance(cache, (str, os.PathLike)):
        return os.path.abspath(os.fspath(cache))
    if cache is None and os.environ.get("FOURFOLD_NO_CACHE", "").strip().lower() in ("1", "true", "yes", "on"):
        return None
    if cache is None or cache is True:
        return default_directory()
    raise TypeError(f"cache must be None, a bool or a directory, got {cache!r}")


# --------------------------------------------------------------------------- #
# The key
# --------------------------------------------------------------------------- #

@functools.lru_cache(maxsize=None)
def build_identity() -> dict:
    """What makes this fourfold produce different code: its version and the native libraries (a
    rebuilt compiler has new sizes/mtimes, so its entries are never mixed with the old ones)."""
    from . import _config

    try:
        from importlib.metadata import version

        package = version("fourfold")
    except Exception:  # running from the build tree, not installed
        package = "dev"
    libs_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_mlir_libs")
    libs = {}
    for name in sorted(os.listdir(libs_dir)) if os.path.isdir(libs_dir) else []:
        if ".so" in name:
            st = os.stat(os.path.join(libs_dir, name))
            libs[name] = [st.st_size, st.st_mtime_ns]
    return {"format": FORMAT, "package": package, "llvm": _config.LLVM_VERSION, "libs": libs}


@functools.lru_cache(maxsize=None)
def host_identity() -> str:
    """The CPU the JIT targets (it uses the host's features): a shared cache directory must not hand
    an AVX-512 library to a machine without AVX-512."""
    text = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "flags", "Features", "CPU part")):
                    text += "\n" + line.strip()
                elif not line.strip():
                    break  # the first processor is enough
    except OSError:
        pass
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ptxas_identity(ptxas: str | None) -> list | None:
    if not ptxas:
        return None
    path = shutil.which(ptxas) or ptxas
    try:
        st = os.stat(path)
        return [os.path.realpath(path), st.st_size, st.st_mtime_ns]
    except OSError:
        return [path]


def make_key(ir_text: str, pipeline_text: str, *, opt_level: int, target: str, entry: str | None,
             top_k: int | None, assemble: bool | None = None, ptxas: str | None = None) -> str:
    fields = {"ir": ir_text, "pipeline": pipeline_text, "opt_level": opt_level, "target": target,
              "entry": entry, "top_k": top_k, "build": build_identity()}
    if target == "cpu":
        fields["host"] = host_identity()
        # roller's "host" target has as many cores as OpenMP will use (Targets.cpp).
        fields["omp_threads"] = os.environ.get("OMP_NUM_THREADS")
    else:
        fields["assemble"] = bool(assemble)
        fields["ptxas"] = _ptxas_identity(ptxas) if assemble else None
    blob = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


# --------------------------------------------------------------------------- #
# A pipeline result read back from an entry
# --------------------------------------------------------------------------- #

class CachedPipelineResult(PipelineResult):
    """A PipelineResult whose IR comes from a cache entry. The compressed IR is held in memory (so
    the entry may be replaced meanwhile) and decompressed, and the final module parsed, on first use."""

    def __init__(self, blob: bytes, timings: dict, keep_ir: bool):
        self._blob = blob
        self._data = None
        self._module = None
        self._keep_ir = keep_ir
        self.timings = dict(timings)

    def _load(self) -> dict:
        if self._data is None:
            self._data = json.loads(gzip.decompress(self._blob))
        return self._data

    @property
    def ir(self) -> dict:
        return self._load()["stages"] if self._keep_ir else {}

    @ir.setter
    def ir(self, value):
        self._data = dict(self._load(), stages=value)

    @property
    def input_ir(self) -> str:
        return self._load()["input"] if self._keep_ir else ""

    @input_ir.setter
    def input_ir(self, value):
        self._data = dict(self._load(), input=value)

    @property
    def module(self):
        if self._module is None:
            self._module = parse(self._load()["module"], name="<cached module>")
        return self._module

    @module.setter
    def module(self, value):
        self._module = value

    def __repr__(self) -> str:
        return f"CachedPipelineResult(stages={list(self.timings)})"


# --------------------------------------------------------------------------- #
# Reading and writing entries
# --------------------------------------------------------------------------- #

def _sha256_file(path: str) -> tuple[str, bytes]:
    with open(path, "rb") as f:
        data = f.read()
    return hashlib.sha256(data).hexdigest(), data


def _spec_json(spec) -> dict:
    return {"kind": spec.kind, "shape": list(spec.shape), "dtype": spec.dtype.name, "type": spec.mlir_type}


def _tuning_json(report):
    if report is None:
        return None
    from dataclasses import asdict

    return asdict(report)


def _tuning_from_json(data):
    if data is None:
        return None
    from .tuning import OperatorChoice, TuningReport

    data = dict(data)
    ops = [OperatorChoice(**o) for o in data.pop("operators")]
    return TuningReport(operators=ops, **data)


def _find_tool(*names: str) -> str | None:
    from . import _config

    for name in names:
        candidate = os.path.join(_config.LLVM_TOOLS_DIR, name)
        if os.path.exists(candidate):
            return candidate
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def link_shared_library(obj: str, out: str, libs: list[str]) -> None:
    """Link the ExecutionEngine's object into a shared library that finds the MLIR runner
    libraries (and libomp) through its rpath. Raises RuntimeError saying why it could not."""
    rpaths = sorted({os.path.dirname(lib) for lib in libs})
    clang = _find_tool("clang", "clang-22")
    if clang:
        # -Bsymbolic: the library's own functions never bind to a same-named symbol elsewhere in
        # the process (every cached library of a function @mlp exports `mlp`).
        cmd = [clang, "-shared", "-fuse-ld=lld", "-o", out, obj, *libs, "-lm",
               "-Wl,-Bsymbolic", "-Wl,--no-undefined", *[f"-Wl,-rpath,{p}" for p in rpaths]]
    else:
        lld = _find_tool("ld.lld", "ld.lld-22")
        if not lld:
            raise RuntimeError("neither clang nor ld.lld found to link the cached library")
        # No C runtime objects without a driver; libc/libm come from the process that loads it.
        cmd = [lld, "-shared", "-o", out, obj, *libs, "-Bsymbolic"]
        for p in rpaths:
            cmd += ["-rpath", p]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{os.path.basename(cmd[0])} failed: {proc.stderr.strip()[-2000:]}")


class Store:
    """One cache directory."""

    def __init__(self, directory: str):
        self.directory = directory

    def path(self, key: str) -> str:
        return os.path.join(self.directory, key)

    # -- reading -----------------------------------------------------------
    def _read(self, key: str, kind: str, keep_ir: bool):
        """meta and {file: bytes} of a valid entry, or None (absent, corrupt, another kind, or
        without the IR a keep_ir compile wants)."""
        entry = self.path(key)
        try:
            with open(os.path.join(entry, "meta.json")) as f:
                meta = json.load(f)
        except FileNotFoundError:
            return None
        if meta.get("format") != FORMAT or meta.get("key") != key or meta.get("kind") != kind:
            return None
        if keep_ir and not meta.get("has_ir"):
            return None  # recompiled, and the entry rewritten with the IR
        files = {}
        for name, digest in meta["files"].items():
            got, data = _sha256_file(os.path.join(entry, name))
            if got != digest:
                return None
            files[name] = data
        return meta, files

    def _read_matching(self, key: str, kind: str, args, results, keep_ir: bool):
        """_read, and None unless the entry's signature is the one asked for."""
        found = self._read(key, kind, keep_ir)
        if found is None:
            return None
        meta, _ = found
        if meta["args"] != [_spec_json(a) for a in args] or meta["results"] != [_spec_json(r) for r in results]:
            return None
        return found

    def load(self, key: str, target: str, args, results, keep_ir: bool, start: float):
        """The CPUModule / GPUArtifact of entry `key`, or None when there is no valid one."""
        try:
            if target == "cpu":
                return self._load_cpu(key, args, results, keep_ir, start)
            return self._load_gpu(key, args, results, keep_ir, start)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
            return None  # a damaged entry is a miss; the compile rewrites it

    def _load_cpu(self, key: str, args, results, keep_ir: bool, start: float):
        from .compiler import CPUModule

        found = self._read_matching(key, "cpu", args, results, keep_ir)
        if found is None:
            return None
        meta, files = found
        lib = ctypes.CDLL(os.path.join(self.path(key), "module.so"))
        address = ctypes.cast(getattr(lib, meta["symbol"]), ctypes.c_void_p).value
        # The packed wrapper, exactly what ExecutionEngine.raw_lookup returns on a compile.
        cfunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(address)
        compilation = CachedPipelineResult(files["ir.json.gz"], meta["timings"], keep_ir)
        module = CPUModule(name=meta["name"], args=list(args), results=list(results),
                           compilation=compilation, compile_time=time.perf_counter() - start,
                           _engine=lib, _func=cfunc)
        module.tuning = _tuning_from_json(meta.get("tuning"))
        return module

    def _load_gpu(self, key: str, args, results, keep_ir: bool, start: float):
        from .compiler import GPUArtifact, GPUKernelModule

        found = self._read_matching(key, "gpu", args, results, keep_ir)
        if found is None:
            return None
        meta, files = found
        modules = []
        for m in meta["modules"]:
            cubin = files[m["cubin"]] if m["cubin"] else None
            modules.append(GPUKernelModule(name=m["name"], chip=m["chip"], ptx=files[m["ptx"]].decode(),
                                           cubin=cubin, ptxas_info=m["ptxas_info"]))
        compilation = CachedPipelineResult(files["ir.json.gz"], meta["timings"], keep_ir)
        return GPUArtifact(name=meta["name"], chip=meta["chip"], args=list(args), results=list(results),
                           modules=modules, compilation=compilation, compile_time=time.perf_counter() - start)

    # -- writing -----------------------------------------------------------
    def _ir_blob(self, compiled, keep_ir: bool) -> bytes:
        c = compiled.compilation
        data = {"input": c.input_ir if keep_ir else "", "stages": dict(c.ir) if keep_ir else {},
                "module": str(c.module)}
        # Level 1: the IR may hold the weights; speed matters more than the last few percent.
        return gzip.compress(json.dumps(data).encode(), compresslevel=1)

    def _commit(self, key: str, tmp: str, meta: dict) -> None:
        """Checksum the files, write meta.json last, and move the whole entry in with one rename."""
        meta["files"] = {}
        for name in sorted(os.listdir(tmp)):
            if name != "meta.json" and os.path.isfile(os.path.join(tmp, name)):
                meta["files"][name] = _sha256_file(os.path.join(tmp, name))[0]
        with open(os.path.join(tmp, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
        final = self.path(key)
        try:
            os.rename(tmp, final)
            return
        except OSError:
            pass
        # An entry is there: a corrupt one, one without IR, or one a concurrent compile just wrote.
        # Move it aside (one rename, so no reader sees half of it) and put ours in; processes that
        # already loaded the old one hold its library mapped and its IR in memory.
        trash = os.path.join(self.directory, f".trash-{uuid.uuid4().hex}")
        try:
            os.rename(final, trash)
        except OSError:
            pass
        try:
            os.rename(tmp, final)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another process got there first: keep theirs
        shutil.rmtree(trash, ignore_errors=True)

    def _base_meta(self, key, kind, compiled, keep_ir, original_time):
        return {"format": FORMAT, "key": key, "kind": kind, "name": compiled.name,
                "args": [_spec_json(a) for a in compiled.args],
                "results": [_spec_json(r) for r in compiled.results],
                "timings": dict(compiled.compilation.timings), "compile_time": original_time,
                "has_ir": bool(keep_ir), "created": time.time()}

    def save_cpu(self, key: str, compiled, engine, libs: list[str], keep_ir: bool) -> None:
        """Write the entry for a CPU compile; warns (never raises) when it cannot."""
        tmp = None
        try:
            os.makedirs(self.directory, exist_ok=True)
            tmp = tempfile.mkdtemp(prefix=".tmp-", dir=self.directory)
            obj = os.path.join(tmp, "module.o")
            engine.dump_to_object_file(obj)
            if not os.path.exists(obj) or os.path.getsize(obj) == 0:
                raise RuntimeError("the ExecutionEngine wrote no object file")
            link_shared_library(obj, os.path.join(tmp, "module.so"), libs)
            os.remove(obj)
            with open(os.path.join(tmp, "ir.json.gz"), "wb") as f:
                f.write(self._ir_blob(compiled, keep_ir))
            meta = self._base_meta(key, "cpu", compiled, keep_ir, compiled.compile_time)
            # ExecutionEngine's packed wrapper of the C interface: void(void **args).
            meta["symbol"] = "_mlir__mlir_ciface_" + compiled.name
            meta["tuning"] = _tuning_json(compiled.tuning)
            self._commit(key, tmp, meta)
            tmp = None
        except Exception as e:
            warnings.warn(f"fourfold: @{compiled.name} compiled, but not cached: {e}", CacheWarning, stacklevel=3)
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)

    def save_gpu(self, key: str, compiled, keep_ir: bool) -> None:
        from .errors import FourfoldError
        from .gpu_plan import save_artifact

        tmp = None
        try:
            names = [m.name for m in compiled.modules]
            if len(set(names)) != len(names):
                raise RuntimeError("two kernel modules share a name")
            os.makedirs(self.directory, exist_ok=True)
            tmp = tempfile.mkdtemp(prefix=".tmp-", dir=self.directory)
            try:
                save_artifact(compiled, tmp)  # plan.json too, so the entry runs with cuda_runner.py
            except FourfoldError:
                # Host code the launch plan does not cover: keep the kernels; .plan re-derives
                # (and reports) from the host IR on use.
                for m in compiled.modules:
                    with open(os.path.join(tmp, f"{m.name}.ptx"), "w") as f:
                        f.write(m.ptx)
                    if m.cubin:
                        with open(os.path.join(tmp, f"{m.name}.cubin"), "wb") as f:
                            f.write(m.cubin)
            with open(os.path.join(tmp, "ir.json.gz"), "wb") as f:
                f.write(self._ir_blob(compiled, keep_ir))
            meta = self._base_meta(key, "gpu", compiled, keep_ir, compiled.compile_time)
            meta["chip"] = compiled.chip
            meta["modules"] = [{"name": m.name, "chip": m.chip, "ptx": f"{m.name}.ptx",
                                "cubin": f"{m.name}.cubin" if m.cubin else None,
                                "ptxas_info": m.ptxas_info} for m in compiled.modules]
            self._commit(key, tmp, meta)
            tmp = None
        except Exception as e:
            warnings.warn(f"fourfold: @{compiled.name} compiled, but not cached: {e}", CacheWarning, stacklevel=3)
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- #
# Housekeeping
# --------------------------------------------------------------------------- #

def _ours(name: str) -> bool:
    """Only names the cache itself makes: clear() must never delete anything else in the folder."""
    return bool(_ENTRY_RE.match(name)) or name.startswith(_LEFTOVER_PREFIXES)


def _size(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def info(directory: str | None = None) -> dict:
    """{'directory', 'entries', 'bytes'} of the cache directory (the default one when None)."""
    directory = directory or default_directory()
    entries = total = 0
    if os.path.isdir(directory):
        for name in os.listdir(directory):
            path = os.path.join(directory, name)
            if _ours(name) and os.path.isdir(path):
                entries += bool(_ENTRY_RE.match(name))
                total += _size(path)
    return {"directory": directory, "entries": entries, "bytes": total}


def clear(directory: str | None = None) -> int:
    """Delete every entry (and leftovers of interrupted writes) in the cache directory (the default
    one when None); returns how many entries were deleted. Other files there are left alone."""
    directory = directory or default_directory()
    removed = 0
    if os.path.isdir(directory):
        for name in os.listdir(directory):
            path = os.path.join(directory, name)
            if _ours(name) and os.path.isdir(path):
                # Rename first so a concurrent reader sees the entry whole or not at all.
                trash = os.path.join(directory, f".trash-{uuid.uuid4().hex}")
                try:
                    os.rename(path, trash)
                except OSError:
                    continue
                shutil.rmtree(trash, ignore_errors=True)
                removed += bool(_ENTRY_RE.match(name))
    return removed
