"""Compiles the MLIR text of offloaded Relax functions: CPU objects or GPU artifacts.

fourfold.tvm runs it in the TVM process (isolate=False) or as a separate process, so that TVM's
embedded LLVM and fourfold's libLLVM / libMLIR never meet in one address space, and a crash in the
compiler cannot take the caller down:

    python .../fourfold/tvm/worker.py job.json result.json

This file is run as a script (not `-m fourfold.tvm.worker`, which would import fourfold.tvm and
with it TVM); it imports only fourfold's compiler.

job.json: {"functions": [{"name", "mlir", "target", "file"}], "opt_level", "outdir"}
result.json: {"functions": [{"name", "object" | "artifact", "compile_time"} | {"name", "error"}]}
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import traceback


def _cpu_key(text: str, pipeline_text: str, opt_level: int) -> str:
    from fourfold import cache

    fields = {"kind": "tvm-cpu-object", "ir": text, "pipeline": pipeline_text, "opt_level": opt_level,
              "build": cache.build_identity(), "host": cache.host_identity()}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def compile_cpu_object(name: str, text: str, out: str, opt_level: int = 3) -> dict:
    """Compile func.func @name of `text` for this CPU into the PIC object file `out`, through the
    compile cache (fourfold.cache) when it is on."""
    from fourfold import cache, ir
    from fourfold.compiler import _find_entry, _prepare_entry, _runner_libs
    from fourfold.errors import CompileError
    from fourfold.pipeline import Pipeline, parse

    start = time.perf_counter()
    pipeline = Pipeline.cpu()
    directory = cache.resolve(None)
    store = key = None
    module = parse(text, name=f"<{name}>")
    with module.context, ir.Location.unknown():
        _prepare_entry(_find_entry(module, name))
        prepared = str(module)
    if directory is not None:
        store = cache.Store(directory)
        key = _cpu_key(prepared, pipeline.text(), opt_level)
        try:
            found = store._read(key, "tvm-cpu", keep_ir=False)
        except (OSError, ValueError, KeyError):
            found = None
        if found is not None:
            with open(out, "wb") as f:
                f.write(found[1]["module.o"])
            return {"compile_time": time.perf_counter() - start, "cache_hit": True}
    from fourfold.execution_engine import ExecutionEngine

    compilation = pipeline.run(module, keep_ir=False)
    try:
        engine = ExecutionEngine(compilation.module, opt_level=opt_level, shared_libs=_runner_libs(),
                                 enable_object_dump=True, enable_pic=True)
    except Exception as e:  # LLVM errors arrive as RuntimeError
        raise CompileError(f"LLVM could not compile @{name}: {e}", stage="jit") from None
    if not engine.raw_lookup("_mlir_ciface_" + name):
        raise CompileError(f"@{name} has no C interface after lowering", stage="jit")
    engine.dump_to_object_file(out)
    if not os.path.exists(out) or os.path.getsize(out) == 0:
        raise CompileError(f"the ExecutionEngine wrote no object file for @{name}", stage="jit")
    elapsed = time.perf_counter() - start
    if store is not None:
        tmp = None
        try:
            os.makedirs(directory, exist_ok=True)
            tmp = tempfile.mkdtemp(prefix=".tmp-", dir=directory)
            shutil.copyfile(out, os.path.join(tmp, "module.o"))
            meta = {"format": cache.FORMAT, "key": key, "kind": "tvm-cpu", "name": name, "args": [],
                    "results": [], "timings": dict(compilation.timings), "compile_time": elapsed,
                    "has_ir": False, "created": time.time()}
            store._commit(key, tmp, meta)
            tmp = None
        except OSError:
            pass  # compiled, not cached
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
    return {"compile_time": elapsed, "cache_hit": False, "timings": dict(compilation.timings)}


def compile_gpu_artifact(name: str, text: str, chip: str, directory: str) -> dict:
    """PTX (and cubins, when ptxas is there) plus the launch plan of @name, saved in `directory`."""
    import fourfold
    from fourfold.gpu_plan import save_artifact

    start = time.perf_counter()
    art = fourfold.compile(text, target=chip, entry=name, keep_ir=False)
    save_artifact(art, directory)
    return {"compile_time": time.perf_counter() - start, "cache_hit": bool(art.cache_hit)}


def run_job(job: dict) -> dict:
    results = []
    outdir = job["outdir"]
    for fn in job["functions"]:
        name, target = fn["name"], fn["target"]
        file = fn.get("file", name)  # symbol names can be longer than a file name may be
        try:
            if target == "cpu":
                obj = os.path.join(outdir, f"{file}.o")
                info = compile_cpu_object(name, fn["mlir"], obj, job.get("opt_level", 3))
                results.append({"name": name, "object": obj, **info})
            else:
                where = os.path.join(outdir, file)
                info = compile_gpu_artifact(name, fn["mlir"], target, where)
                results.append({"name": name, "artifact": where, **info})
        except Exception as e:  # reported to the caller with the function's name
            from fourfold.errors import FourfoldError

            detail = str(e) if isinstance(e, FourfoldError) else "".join(traceback.format_exception_only(type(e), e))
            results.append({"name": name, "error": detail.strip(), "kind": type(e).__name__})
    return {"functions": results}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: worker.py job.json result.json", file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        job = json.load(f)
    if os.environ.get("FOURFOLD_TVM_WORKER_CRASH"):  # the tests' way to check crash isolation
        import ctypes

        ctypes.string_at(0)
    result = run_job(job)
    with open(argv[1], "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    # Run as a script: this directory is sys.path[0]; nothing here shadows a top-level package the
    # compiler imports, but drop it anyway so `import tvm` could never resolve to fourfold.tvm.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.exit(main())
