"""The Relax external codegen `relax.ext.fourfold`.

RunCodegen calls it with the functions partition_for_fourfold marked; each becomes linalg on
tensors (fourfold.tvm.translate), goes through fourfold's pipeline (welder, roller, rammer,
grinder) and comes back as a runtime module:
- CPU: a static library (one relocatable object per function exporting `__tvm_ffi_<name>`, see
  fourfold.tvm.cabi); it survives `export_library` and runs in the Relax VM;
- CUDA: the kernels' PTX / cubins in a module TVM's CUDA runtime launches, driven by a host
  object that replays fourfold's launch plan (fourfold.tvm.cuda).

Options (RunCodegen({"fourfold": {...}}) or the environment):
  target     "cpu" / "sm_90" ..., overriding what partition_for_fourfold recorded
  isolate    compile in a separate process (default; FOURFOLD_TVM_ISOLATE=0 turns it off), so
             TVM's embedded LLVM and fourfold's libLLVM/libMLIR never share a process
  opt_level  LLVM optimisation level of the CPU code (default 3)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import tvm

from ..errors import CompileError, FourfoldError
from . import cabi
from .partition import _ATTR_TARGET
from .translate import translate

# The last build's record (names, targets, compile times), for tests and benchmarks.
last_build: list[dict] = []


def _truthy(value) -> bool:
    return str(value).strip().lower() not in ("0", "false", "no", "off", "")


def isolate_default() -> bool:
    return _truthy(os.environ.get("FOURFOLD_TVM_ISOLATE", "1"))


def _package_root() -> str:
    import fourfold

    return os.path.dirname(os.path.dirname(os.path.abspath(fourfold.__file__)))


def compile_jobs(functions: list[dict], outdir: str, opt_level: int = 3, isolate: bool | None = None) -> list[dict]:
    """Run fourfold.tvm.worker on `functions` ({"name", "mlir", "target", "file"}); returns its
    per-function results, raising CompileError for a function that did not compile."""
    isolate = isolate_default() if isolate is None else isolate
    job = {"functions": functions, "opt_level": opt_level, "outdir": outdir}
    if not isolate:
        from . import worker

        result = worker.run_job(job)
    else:
        job_path, result_path = os.path.join(outdir, "job.json"), os.path.join(outdir, "result.json")
        with open(job_path, "w") as f:
            json.dump(job, f)
        env = dict(os.environ)
        root = _package_root()
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
        proc = subprocess.run([sys.executable, script, job_path, result_path], env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0 or not os.path.exists(result_path):
            if proc.returncode < 0:
                try:
                    why = f"was killed by {signal.Signals(-proc.returncode).name}"
                except ValueError:
                    why = f"was killed by signal {-proc.returncode}"
            else:
                why = f"exited with status {proc.returncode}"
            names = ", ".join(fn["name"] for fn in functions)
            raise CompileError(f"fourfold's compiler process {why} while compiling {names}; the TVM "
                               "process is unaffected",
                               stage="worker", diagnostics=proc.stderr.strip().splitlines()[-20:])
        with open(result_path) as f:
            result = json.load(f)
    for r in result["functions"]:
        if "error" in r:
            raise CompileError(f"fourfold could not compile the Relax function {r['name']}: {r['error']}",
                               stage="fourfold")
    return result["functions"]


def _target_of(fn, options) -> str:
    if options.get("target"):
        from .partition import normalize_target

        return normalize_target(options["target"])
    if fn.attrs is not None and _ATTR_TARGET in fn.attrs:
        return str(fn.attrs[_ATTR_TARGET])
    return "cpu"


def build_modules(functions, options=None) -> list:
    """The runtime modules for `functions` (what relax.ext.fourfold returns)."""
    options = {k: (v.value if hasattr(v, "value") else v) for k, v in dict(options or {}).items()}
    isolate = _truthy(options["isolate"]) if "isolate" in options else None
    opt_level = int(options.get("opt_level", 3))
    start = time.perf_counter()
    jobs, translations = [], []
    for i, fn in enumerate(functions):
        name = str(fn.attrs["global_symbol"])
        target = _target_of(fn, options)
        tr = translate(fn, name)
        translations.append(tr)
        jobs.append({"name": name, "mlir": tr.mlir, "target": target, "file": f"f{i}"})
    if not jobs:
        return []
    translate_time = time.perf_counter() - start
    workdir = tempfile.mkdtemp(prefix="fourfold-tvm-")
    try:
        results = compile_jobs(jobs, workdir, opt_level, isolate)
        modules = []
        record = []
        for job, tr, res in zip(jobs, translations, results):
            entry = {"name": job["name"], "target": job["target"], "compile_time": res.get("compile_time"),
                     "cache_hit": res.get("cache_hit", False), "args": tr.args, "results": tr.results}
            if job["target"] == "cpu":
                obj = cabi.build_object(job["name"], res["object"], tr.args, tr.results,
                                        os.path.join(workdir, f"{job['file']}.tvm.o"), workdir)
                modules.append(tvm.runtime.load_static_library(obj, [job["name"]]))
            else:
                from .cuda import cuda_modules

                mods, info = cuda_modules(job["name"], res["artifact"], tr, workdir, job["file"])
                modules.extend(mods)
                entry["ptx"] = info.ptx
                entry["kernels"] = sum(1 for s in info.plan["steps"] if s["op"] == "launch")
            record.append(entry)
        last_build[:] = record
        last_build.append({"translate_time": translate_time, "total_time": time.perf_counter() - start})
        return modules
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _codegen(functions, options, constant_names):  # noqa: ARG001 - weights arrive as arguments
    try:
        return build_modules(list(functions), options)
    except FourfoldError:
        raise
    except Exception as e:  # an unexpected failure still names fourfold
        raise FourfoldError(f"fourfold's TVM codegen failed: {type(e).__name__}: {e}") from e


def register() -> None:
    tvm.register_global_func("relax.ext.fourfold", _codegen, override=True)
