"""The `fourfold` command line: compile, run, bench, report (and the README's demo).

    fourfold compile encoder --target sm_90 --out art/     # a zoo model, an .mlir file or file.py:fn
    fourfold run encoder --check                           # random inputs, compared with PyTorch
    fourfold bench mlp encoder --threads 1,2               # fourfold vs PyTorch eager, medians
    fourfold report encoder -o report.html                 # decisions and pictures

A MODEL is a name from the zoo (fourfold.examples.torch_models, with --size), a path to an .mlir
file (linalg on tensors or tosa, one public function), or `path/to/file.py:function` where the
function returns (torch.nn.Module, [example inputs]).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time

import numpy as np


# --------------------------------------------------------------------------- #
# Models
# --------------------------------------------------------------------------- #

class Loaded:
    """A model as the commands see it: MLIR text, or a torch module with its inputs."""

    def __init__(self, name, mlir=None, module=None, inputs=None):
        self.name, self.mlir, self.module, self.inputs = name, mlir, module, inputs

    @property
    def is_torch(self) -> bool:
        return self.module is not None


def load(spec: str, size: str = "tiny") -> Loaded:
    if spec.endswith(".mlir"):
        with open(spec) as f:
            return Loaded(os.path.basename(spec)[:-5], mlir=f.read())
    if ":" in spec and spec.split(":")[0].endswith(".py"):
        path, fn = spec.rsplit(":", 1)
        mod_spec = importlib.util.spec_from_file_location("fourfold_user_model", path)
        mod = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(mod)
        module, inputs = getattr(mod, fn)()
        return Loaded(fn, module=module, inputs=list(inputs))
    from .examples import torch_models

    module, inputs = torch_models.get(spec, size)
    return Loaded(spec, module=module, inputs=inputs)


def _pipeline_options(args) -> dict:
    opts = {}
    for p in ("welder", "roller", "rammer", "grinder"):
        if getattr(args, f"no_{p}", False):
            opts[p] = False
    return opts


def compile_loaded(m: Loaded, args):
    import fourfold
    from .pipeline import Pipeline

    options = {}
    off = _pipeline_options(args)
    if off:
        options["pipeline"] = Pipeline.cpu(**off) if args.target == "cpu" else Pipeline.gpu(args.target, **off)
    if getattr(args, "no_cache", False):
        options["cache"] = False
    if m.is_torch:
        return fourfold.compile(m.module, m.inputs, target=args.target, **options)
    return fourfold.compile(m.mlir, target=args.target, **options)


def _random_inputs(compiled, m: Loaded, seed=0):
    if m.is_torch:
        import torch

        g = torch.Generator().manual_seed(seed)
        return [torch.randn(x.shape, generator=g) if x.is_floating_point() else x.clone() for x in m.inputs]
    rng = np.random.default_rng(seed)
    out = []
    for a in compiled.args:
        if a.dtype.kind == "f":
            out.append(rng.standard_normal(a.shape).astype(a.dtype))
        else:
            out.append(rng.integers(0, 4, a.shape).astype(a.dtype))
    return out


from .__main__ import median_time as _median  # noqa: E402  (one median timer for demo and CLI)


class Progress:
    """One status line rewritten in place on a terminal; plain lines otherwise."""

    def __init__(self, what: str, total: int, stream=None):
        self.what, self.total, self.stream = what, total, stream or sys.stderr
        self.tty = self.stream.isatty()
        self.start = time.perf_counter()

    def __call__(self, done: int, total: int | None = None, note: str = ""):
        total = total or self.total
        width = 24
        bar = "#" * int(width * done / max(total, 1))
        line = f"{self.what} [{bar:<{width}}] {done}/{total} {time.perf_counter() - self.start:5.1f}s {note}"
        if self.tty:
            self.stream.write("\r" + line[:120].ljust(120))
            if done >= total:
                self.stream.write("\n")
        elif done >= total or done == 1 or done % max(1, total // 4) == 0:
            self.stream.write(line + "\n")
        self.stream.flush()


# --------------------------------------------------------------------------- #
# Commands
# --------------------------------------------------------------------------- #

def cmd_compile(args) -> int:
    m = load(args.model, args.size)
    c = compile_loaded(m, args)
    compiled = getattr(c, "compiled", c)
    timings = c.timings if m.is_torch else {**compiled.compilation.timings}
    print(f"{m.name}: compiled for {args.target} in {sum(timings.values()) * 1e3:.0f} ms"
          f"{' (cache hit)' if getattr(compiled, 'cache_hit', False) else ''}")
    for stage, sec in timings.items():
        print(f"  {stage:<10} {sec * 1e3:8.1f} ms")
    if args.target != "cpu":
        print(f"  {len(compiled.modules)} kernel module(s), {compiled.host_ir.count('gpu.launch_func')} launch(es)")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        for stage, text in (c.stages if m.is_torch else compiled.stages).items():
            with open(os.path.join(args.out, f"{stage}.mlir"), "w") as f:
                f.write(text)
        if args.target != "cpu":
            (c.save if m.is_torch else compiled.save)(args.out)
        print(f"  wrote the IR after each stage{' and the GPU artifact' if args.target != 'cpu' else ''} to {args.out}")
    return 0


def cmd_run(args) -> int:
    m = load(args.model, args.size)
    args.target = "cpu"
    c = compile_loaded(m, args)
    if args.inputs:
        with np.load(args.inputs) as npz:
            xs = [npz[k] for k in sorted(npz.files)]
        if m.is_torch:
            import torch
            xs = [torch.from_numpy(x) for x in xs]
    else:
        xs = _random_inputs(c, m)
    out = c(*xs)
    outs = out if isinstance(out, (tuple, list)) else [out]
    for i, o in enumerate(outs):
        a = np.asarray(o)
        print(f"output #{i}: shape {tuple(a.shape)} {a.dtype}; mean {a.mean():.6g}, max |x| {np.abs(a).max():.6g}")
    if args.save:
        np.savez(args.save, **{f"out{i}": np.asarray(o) for i, o in enumerate(outs)})
        print(f"saved to {args.save}")
    if args.check:
        if not m.is_torch:
            print("--check: an .mlir model has no reference to compare with", file=sys.stderr)
            return 2
        import torch
        with torch.no_grad():
            want = m.module(*xs)
        wants = want if isinstance(want, (tuple, list)) else [want]
        worst = 0.0
        for g, w in zip(outs, wants):
            g, w = np.asarray(g, np.float64), w.detach().numpy().astype(np.float64)
            worst = max(worst, float(np.abs(g - w).max() / max(np.abs(w).max(), 1e-30)))
        ok = worst < args.tolerance
        print(f"check vs PyTorch eager: max relative error {worst:.2e} ({'OK' if ok else 'MISMATCH'}, "
              f"tolerance {args.tolerance:g})")
        return 0 if ok else 1
    return 0


def bench_one(m: Loaded, args, threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    c = compile_loaded(m, args)
    set_threads(threads)
    xs = _random_inputs(c, m)
    row = {"model": m.name, "threads": threads}
    row["fourfold_us"] = _median(lambda: c(*xs), args.repeat) * 1e6
    if m.is_torch:
        with torch.no_grad():
            row["eager_us"] = _median(lambda: m.module(*xs), args.repeat) * 1e6
        row["speedup_vs_eager"] = row["eager_us"] / row["fourfold_us"]
    row["compile_s"] = sum(c.timings.values()) if m.is_torch else c.compile_time
    return row


def set_threads(n: int) -> None:
    """The OpenMP threads of compiled CPU code. libomp reads OMP_NUM_THREADS once, at its first
    parallel region, so a change later in the process goes through omp_set_num_threads (of LLVM's
    libomp, the one the compiled code calls, not a libgomp that PyTorch may have loaded)."""
    import ctypes

    from . import _config

    os.environ["OMP_NUM_THREADS"] = str(n)
    path = os.path.join(_config.LLVM_LIBRARY_DIR, "libomp.so")
    if os.path.exists(path):
        ctypes.CDLL(path).omp_set_num_threads(ctypes.c_int(n))


def cmd_bench(args) -> int:
    threads = [int(t) for t in args.threads.split(",")]
    jobs = [(name, t) for name in args.models for t in threads]
    progress = Progress("bench", len(jobs))
    rows = []
    for i, (name, t) in enumerate(jobs):
        rows.append(bench_one(load(name, args.size), args, t))
        progress(i + 1, note=f"{name} x{t}")
    print(f"{'model':<20} {'thr':>3} {'fourfold us':>12} {'eager us':>10} {'x eager':>8} {'compile s':>9}")
    for r in rows:
        print(f"{r['model']:<20} {r['threads']:>3} {r['fourfold_us']:>12.1f} {r.get('eager_us', float('nan')):>10.1f} "
              f"{r.get('speedup_vs_eager', float('nan')):>8.2f} {r['compile_s']:>9.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": _machine(), "date": time.strftime("%Y-%m-%d"), "command": " ".join(sys.argv),
                       "repeat": args.repeat, "rows": rows}, f, indent=1)
    return 0


def _machine() -> str:
    """The same description bench/ records (bench/common.py imports this one)."""
    import platform

    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs, {platform.machine()}"


def cmd_report(args) -> int:
    from .report import write_report

    m = load(args.model, args.size)
    args.target = "cpu"
    path = write_report(m, args, compile_loaded, _random_inputs, _median, Progress)
    print(f"wrote {path}")
    return 0


def cmd_demo(args) -> int:
    from .__main__ import demo

    return demo(args)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="fourfold", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def model_args(p, many=False):
        p.add_argument("models" if many else "model", nargs="+" if many else None,
                       help="zoo name, file.mlir or file.py:function")
        p.add_argument("--size", default="tiny", help="zoo size (tiny, small, ...)")
        for name in ("welder", "roller", "rammer", "grinder"):
            p.add_argument(f"--no-{name}", action="store_true", help=f"switch {name} off")
        p.add_argument("--no-cache", action="store_true", help="do not read or write the compile cache")

    p = sub.add_parser("compile", help="compile a model, print the stages' times")
    model_args(p)
    p.add_argument("--target", default="cpu", help="cpu, sm_80, sm_86, sm_89 or sm_90")
    p.add_argument("--out", help="write the IR after each stage (and a GPU artifact) here")
    p.set_defaults(fn=cmd_compile)

    p = sub.add_parser("run", help="compile for the CPU and run on random (or given) inputs")
    model_args(p)
    p.add_argument("--inputs", help=".npz with the inputs (in name order)")
    p.add_argument("--save", help="write the outputs to this .npz")
    p.add_argument("--check", action="store_true", help="compare against PyTorch eager")
    p.add_argument("--tolerance", type=float, default=1e-4)
    p.set_defaults(fn=cmd_run)

    p = sub.add_parser("bench", help="time fourfold against PyTorch eager (medians)")
    model_args(p, many=True)
    p.add_argument("--threads", default="1", help="comma-separated thread counts, e.g. 1,2")
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--json", help="write the results here")
    p.set_defaults(fn=cmd_bench, target="cpu")

    p = sub.add_parser("report", help="write a Markdown or HTML page: decisions and pictures")
    model_args(p)
    p.set_defaults(size="small")  # operators big enough for their measured time to mean something
    p.add_argument("-o", "--output", default="fourfold-report.html", help="report.html or report.md")
    p.add_argument("--repeat", type=int, default=10)
    p.set_defaults(fn=cmd_report)

    p = sub.add_parser("demo", help="the README's main job: a bundled model through the four passes")
    p.add_argument("--example", default="mlp", choices=["mlp"])
    p.add_argument("--chip", default="sm_90")
    p.add_argument("--repeat", type=int, default=50)
    p.set_defaults(fn=cmd_demo)

    args = parser.parse_args(argv)
    from .errors import FourfoldError

    try:
        return args.fn(args)
    except FourfoldError as e:
        print(f"fourfold {args.command}: error: {e}", file=sys.stderr)
        return 1
    except (ValueError, TypeError, FileNotFoundError) as e:
        print(f"fourfold {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
