"""The systems the harness compares, each prepared and run inside its own worker process.

A system's `prepare(case, obj, inputs)` compiles (timed) and returns (run, info): `run()` computes the
case once and returns its output(s); `info` holds the compile time and what the system can say about
its code (kernels, modelled traffic). `skip(case)` names why a system does not apply to a case (None
when it does); `missing()` why it cannot run on this machine at all (None when it can).
"""

from __future__ import annotations

import os
import re
import time

import numpy as np
import torch


def _as_numpy(inputs):
    return [x.detach().numpy() for x in inputs]


class System:
    name = ""
    label = ""

    def missing(self) -> str | None:
        return None

    def skip(self, case) -> str | None:
        return None

    def setup(self, threads: int) -> None:
        """Called once in the worker, before anything is prepared."""

    def prepare(self, case, obj, inputs):
        raise NotImplementedError


class Eager(System):
    name, label = "eager", "PyTorch eager"

    def setup(self, threads):
        torch.set_num_threads(threads)

    def prepare(self, case, obj, inputs):
        return (lambda: obj(*inputs)), {"compile_s": 0.0, "kernels": _aten_ops(obj, inputs)}


def _aten_ops(module, inputs) -> int | None:
    """ATen calls one eager run dispatches (the exported graph's calls, views excluded): eager's kernels."""
    try:
        ep = torch.export.export(module, tuple(inputs))
    except Exception:
        return None
    views = ("view", "reshape", "unsqueeze", "squeeze", "expand", "permute", "transpose", "t.", "getitem",
             "alias", "detach", "slice", "select", "flatten", "contiguous")
    return sum(1 for n in ep.graph.nodes
               if n.op == "call_function" and not any(v in str(n.target) for v in views))


class Inductor(System):
    name, label = "inductor", "torch.compile"

    def setup(self, threads):
        torch.set_num_threads(threads)

    def prepare(self, case, obj, inputs):
        import torch._inductor.config as config
        from torch._inductor import metrics

        # Compile for real: no on-disk FX-graph / autotuning cache from an earlier run.
        config.fx_graph_cache = False
        config.autotune_local_cache = False

        # Every case's compiled code must stay cached side by side (the harness interleaves them):
        # no dynamo reset between cases, and room for many entries per code object (the operator
        # cases share Op.forward; past the default limit of 8 dynamo silently falls back to eager).
        torch._dynamo.config.recompile_limit = 1024
        torch._dynamo.config.accumulated_recompile_limit = 1 << 16
        fn = torch.compile(obj)
        metrics.reset()
        start = time.perf_counter()
        fn(*inputs)  # compiles
        info = {"compile_s": time.perf_counter() - start, "kernels": metrics.generated_kernel_count or None}
        return (lambda: fn(*inputs)), info


class Fourfold(System):
    """fourfold's default CPU pipeline, or the same with some of its passes off."""

    PASSES = ("welder", "roller", "rammer", "grinder")

    def __init__(self, off: tuple[str, ...] = ()):
        self.off = tuple(off)
        self.name = "fourfold" + "".join(f"-no-{p}" for p in self.off)
        self.label = "fourfold" + "".join(f" -{p}" for p in self.off)

    def skip(self, case):
        if case.kind == "operator" and self.off and self.off != ("roller",):
            return "a single operator: nothing to fuse, co-schedule or place"
        return None

    def setup(self, threads):
        from fourfold.cli import set_threads

        torch.set_num_threads(threads)
        set_threads(threads)

    def prepare(self, case, obj, inputs):
        import fourfold

        pipeline = fourfold.Pipeline.cpu(**{p: False for p in self.off})
        start = time.perf_counter()
        compiled = fourfold.compile(obj, inputs, pipeline=pipeline, cache=False)
        info = {"compile_s": time.perf_counter() - start}
        stages = compiled.stages
        if "loops" in stages:
            info["regions"] = stages["loops"].count("omp.parallel")  # static: a loop's body counts once
        if not self.off:
            info.update(_traffic(compiled.stages["import"]))
        return (lambda: compiled(*inputs)), info


def _traffic(mlir: str) -> dict:
    """Kernels and welder's modelled global-memory bytes without and with welder's fusion."""
    import fourfold
    from common import figures

    text = fourfold.Pipeline([fourfold.Pipeline.cpu()["frontend"]]).run(mlir).ir["frontend"]
    fused, unfused = figures(fourfold, text, True), figures(fourfold, text, False)
    return {"kernels": fused["kernels"], "kernels_unfused": unfused["kernels"], "bytes": fused["bytes"],
            "bytes_unfused": unfused["bytes"]}


class Numpy(System):
    name, label = "numpy", "numpy (OpenBLAS)"

    def skip(self, case):
        return None if case.numpy is not None else "no numpy formulation"

    def prepare(self, case, obj, inputs):
        arrays = _as_numpy(inputs)
        return (lambda: case.numpy(*arrays)), {"compile_s": 0.0}


class TVM(System):
    """TVM Relax's default build (no tuning) for the host CPU, through Relax's own torch importer."""

    name, label = "tvm", "TVM Relax"

    def missing(self):
        try:
            import tvm  # noqa: F401
        except ImportError:
            return "apache-tvm is not installed"
        return None

    def setup(self, threads):
        os.environ["TVM_NUM_THREADS"] = str(threads)
        torch.set_num_threads(threads)

    def prepare(self, case, obj, inputs):
        """Relax's torch importer, then `build` (each TVM system's own), then the Relax VM."""
        import tvm
        import tvm.target.codegen as codegen
        from tvm import relax
        from tvm.relax.frontend.torch import from_exported_program

        start = time.perf_counter()
        mod = from_exported_program(torch.export.export(obj, tuple(inputs)))
        target = tvm.target.Target({"kind": "llvm", "mcpu": codegen.llvm_get_system_cpu(), **self.target_options()})
        executable, info = self.build(mod, target)
        vm = relax.VirtualMachine(executable, tvm.cpu())
        info["compile_s"] = time.perf_counter() - start
        args = [tvm.runtime.tensor(a) for a in _as_numpy(inputs)]
        main = vm["main"]
        return (lambda: main(*args)), info

    def target_options(self) -> dict:
        return {}

    def build(self, mod, target):
        import tvm

        return tvm.compile(mod, target=target), {"kernels": _tvm_kernels(mod, target)}


class TVMFourfold(TVM):
    """TVM Relax with fourfold as its external codegen (fourfold.tvm: partition_for_fourfold,
    RunCodegen, relax.build): what a TVM user gets by handing fourfold the parts it supports."""

    name, label = "tvm-fourfold", "TVM Relax + fourfold (BYOC)"

    def setup(self, threads):
        from fourfold.cli import set_threads

        super().setup(threads)
        set_threads(threads)  # the offloaded code's OpenMP threads (libomp's default is every core)

    def build(self, mod, target):
        import fourfold.tvm as ftvm

        return ftvm.build(mod, target), {}


class MetaSchedule(TVM):
    """TVM Relax with every operator's kernel tuned by MetaSchedule (evolutionary search, XGBoost
    cost model), `trials` measured candidates in all (FOURFOLD_BENCH_MS_TRIALS, default 64). For
    single operators: its compile time is the tuning time, the number to hold roller's against."""

    name, label = "tvm-ms", "TVM MetaSchedule-tuned"

    def missing(self):
        for mod, pkg in (("tvm", "apache-tvm"), ("xgboost", "xgboost-cpu"), ("psutil", "psutil")):
            try:
                __import__(mod)
            except ImportError:
                return f"{pkg} is not installed"
        return None

    def skip(self, case):
        return None if case.kind == "operator" else "tuned on single operators only (a model's tuning budget is hours)"

    def setup(self, threads):
        super().setup(threads)
        self.threads = threads
        self.trials = int(os.environ.get("FOURFOLD_BENCH_MS_TRIALS", "64"))

    def target_options(self):
        return {"num-cores": self.threads}

    def build(self, mod, target):
        import tempfile

        import tvm
        import tvm.s_tir.meta_schedule as ms
        from tvm import relax

        mod = tvm.ir.transform.Sequential([relax.transform.LegalizeOps(), relax.transform.AnnotateTIROpPattern(),
                                           relax.transform.FuseOps(), relax.transform.FuseTIR()])(mod)
        with tempfile.TemporaryDirectory() as work_dir:
            # One build worker with a long timeout: each worker imports TVM's tensor intrinsics
            # first (40-60 s here), which the default 30 s timeout cuts off.
            db = ms.relax_integration.tune_relax(
                mod, {}, target, work_dir, max_trials_global=self.trials, num_trials_per_iter=16,
                builder=ms.builder.LocalBuilder(max_workers=1, timeout_sec=300),
                runner=ms.runner.LocalRunner(timeout_sec=60))
            return ms.relax_integration.compile_relax(db, mod, target, None), {"trials": self.trials}


def _tvm_kernels(mod, target) -> int | None:
    """PrimFuncs after Relax's default build pipeline (its fused kernels)."""
    try:
        import tvm
        from tvm import relax

        with target:
            lowered = relax.get_default_pipeline(target)(mod)
        return sum(1 for _, f in lowered.functions.items() if not isinstance(f, relax.Function))
    except Exception:
        return None


class IREE(System):
    """IREE (iree-base-compiler / -runtime) on the CPU (llvm-cpu, the host's CPU features), fed the
    same linalg-on-tensors MLIR that fourfold's importer writes: the closest peer, linalg in."""

    name, label = "iree", "IREE"

    def missing(self):
        try:
            import iree.compiler  # noqa: F401
            import iree.runtime  # noqa: F401
        except ImportError:
            return "iree-base-compiler / iree-base-runtime are not installed"
        return None

    def setup(self, threads):
        import iree.runtime as rt

        torch.set_num_threads(threads)
        rt.flags.parse_flags(f"--task_topology_max_group_count={threads}")
        self.config = rt.Config("local-task")

    def prepare(self, case, obj, inputs):
        import iree.compiler as ic
        import iree.runtime as rt

        start = time.perf_counter()
        from fourfold.frontend.torch import import_torch

        program = import_torch(obj, inputs, name="forward")
        mlir, entry, args = program.mlir, "forward", _as_numpy(inputs) + list(program.params)
        vmfb = ic.compile_str(mlir, target_backends=["llvm-cpu"], extra_args=["--iree-llvmcpu-target-cpu=host"])
        info = {"compile_s": time.perf_counter() - start}
        try:
            flow = ic.compile_str(mlir, target_backends=["llvm-cpu"],
                                  extra_args=["--iree-llvmcpu-target-cpu=host", "--compile-to=flow"])
            info["kernels"] = len(re.findall(rb"flow\.executable private @", flow)) or None
        except Exception:
            pass
        ctx = rt.SystemContext(config=self.config)
        ctx.add_vm_module(rt.VmModule.copy_buffer(ctx.instance, vmfb))
        fn = ctx.modules.module[entry]
        device_args = [rt.asdevicearray(ctx.config.device, a) for a in args]
        self._keep = getattr(self, "_keep", []) + [ctx]
        return (lambda: fn(*device_args)), info


def all_systems() -> dict[str, System]:
    systems = [Fourfold(), *(Fourfold((p,)) for p in Fourfold.PASSES), Eager(), Inductor(), TVM(), TVMFourfold(),
               MetaSchedule(), IREE(), Numpy()]
    return {s.name: s for s in systems}
