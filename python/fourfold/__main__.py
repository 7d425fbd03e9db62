"""`python -m fourfold demo`: compile a bundled model, run it, say what happened.

`python -m fourfold compile|run|bench|report ...` is the command line (fourfold.cli); `demo` is the
README's main job.
"""

from __future__ import annotations

import argparse
import collections
import re
import statistics
import sys
import time

import numpy as np

OP_RE = re.compile(r'^\s*(?:%[^=]+=\s*)?"?([a-z_][a-z0-9_]*\.[a-z0-9_.]+)', re.M)


def op_counts(text: str) -> collections.Counter:
    return collections.Counter(m.group(1) for m in OP_RE.finditer(text))


def summarize(counts: collections.Counter, top: int = 4) -> str:
    return ", ".join(f"{n} {name}" for name, n in counts.most_common(top))


def median_time(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def demo(args) -> int:
    import fourfold
    from fourfold import decisions, examples
    from fourfold.compiler import find_ptxas

    make_inputs, reference = examples.EXAMPLES[args.example]
    src = examples.source(args.example)
    print(f"fourfold demo: '{args.example}' ({examples.HERE}/{args.example}.mlir)")
    print(f"  input: {summarize(op_counts(src), 6)}")
    print("  fourfold passes in this run: welder (CPU), roller (CPU and GPU), rammer (CPU), grinder (CPU,")
    print("  on a model with a loop below).\n")

    # What welder decides: fusion groups, each one loop nest with its intermediates in cache.
    groups = decisions.welder(src, "host")
    print(f"welder: {sum(len(g['operators']) for g in groups)} operators in {len(groups)} kernel(s) "
          "(tile per group; modelled global bytes)")
    for g in groups:
        print(f"  {g['name']:<14} {len(g['operators'])} operator(s), tile {g['tile']}: "
              f"{g['unfused_bytes']} B unfused -> {g['bytes']} B fused")
    print()

    # What roller decides, before it lowers: one rTile per operator.
    print("roller: rTiles for this machine (levels outermost first; predicted time from the model)")
    for t in decisions.roller(src, "host"):
        print(f"  {t['op']:<16} {t['tile']}  {t['predicted_us']:8.2f} us")
    print()

    fn = fourfold.compile(src, target="cpu")
    print(f"CPU: compiled @{fn.name} in {fn.compile_time * 1e3:.0f} ms")
    print(f"  {'stage':<10} {'time':>9}  ops after the stage")
    for stage, seconds in fn.compilation.timings.items():
        print(f"  {stage:<10} {seconds * 1e3:7.1f}ms  {summarize(op_counts(fn.stages[stage]))}")
    jit = fn.compile_time - fn.compilation.total_time
    print(f"  {'LLVM JIT':<10} {jit * 1e3:7.1f}ms  (ExecutionEngine, -O3, host CPU)")

    # What rammer decides on the bufferized kernels: runs of kernels co-scheduled in one region.
    programs = decisions.rammer(fn.stages["bufferize"], "host")
    print(f"rammer: {len(programs)} program(s) (one OpenMP region each instead of one per parallel kernel)")
    for p in programs:
        print(f"  {p['name']}: {p['operators']} operators, {len(p['tasks'])} rTasks; "
              f"predicted {p['predicted_us']:.2f} us vs {p['unscheduled_us']:.2f} us one launch each")
    print()

    rng = np.random.default_rng(0)
    inputs = make_inputs(rng)
    out = fn(*inputs)
    ref = reference(*inputs)
    err = float(np.max(np.abs(out - ref)) / max(1e-30, float(np.max(np.abs(ref)))))
    ok = err < 1e-4
    print(f"  run: output {out.shape} {out.dtype}; max error vs numpy float64 reference, relative to "
          f"max |ref|: {err:.2e} ({'OK' if ok else 'MISMATCH'})")
    f32 = [a.astype(np.float32) for a in inputs]
    t_ff = median_time(lambda: fn(*inputs), args.repeat)
    t_np = median_time(lambda: reference(*f32), args.repeat)
    line = (f"  time (median of {args.repeat}, 1 call): fourfold {t_ff * 1e6:.0f} us; numpy float32 "
            f"{t_np * 1e6:.0f} us ({t_np / t_ff:.2f}x)")
    torch_ref = examples.TORCH.get(args.example)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None and torch_ref is not None:
        tin = [torch.from_numpy(a) for a in f32]
        with torch.no_grad():
            t_pt = median_time(lambda: torch_ref(torch, *tin), args.repeat)
        line += f"; PyTorch eager {t_pt * 1e6:.0f} us ({t_pt / t_ff:.2f}x, {torch.get_num_threads()} threads)"
    print(line + "\n  (in parentheses: how many times faster fourfold is)\n")

    ok = grinder_demo(args.repeat) and ok
    ok = torch_demo(args.repeat) and ok

    if find_ptxas() is None:
        print("GPU: skipped (ptxas not found)")
    else:
        art = fourfold.compile(src, target=args.chip)
        print(f"GPU {args.chip}: compiled in {art.compile_time * 1e3:.0f} ms: "
              f"{len(art.modules)} kernel module(s), {art.host_ir.count('gpu.launch_func')} launches")
        for m in art.modules:
            regs = re.findall(r"Used (\d+) registers", m.ptxas_info)
            print(f"  {m.name}: {m.ptx.count('.entry')} kernel(s), {len(m.ptx.splitlines())} PTX lines, "
                  f"cubin {len(m.cubin or b'')} bytes, registers per kernel {regs}")
        from fourfold.examples import control
        lstm = fourfold.compile(control.lstm(steps=100, batch=64, name="lstm64").mlir, target=args.chip)
        grids = re.findall(r"gpu.launch_func.*blocks in \((%c\d+)", lstm.host_ir)
        print(f"  grinder: the 100-step LSTM at batch 64 is {len(grids)} launches (grids {grids}): the "
              "loop runs in one persistent kernel\n  with grid barriers, instead of 14 launches per step")
        print("  (not run: no GPU on this machine)")
    return 0 if ok else 1


def torch_demo(repeat: int) -> bool:
    """A PyTorch module through fourfold.compile (torch.export -> linalg -> the four passes)."""
    try:
        import torch
    except ImportError:
        print("PyTorch: skipped (torch not installed)\n")
        return True
    import fourfold
    from fourfold.examples import torch_models

    model, inputs = torch_models.get("encoder", "small")
    print("PyTorch: nn.TransformerEncoderLayer(d_model=128, nhead=4, dim_feedforward=512), batch 1 x 32 "
          "tokens, through fourfold.compile(model, inputs)")
    c = fourfold.compile(model, inputs)
    ops = sum(c.program.ops.values())
    print(f"  import: torch.export -> {ops} core ATen ops -> {len(op_counts(c.stages['import']))} kinds of MLIR op "
          f"({summarize(op_counts(c.stages['import']), 4)}); {len(c.program.params)} weight arguments "
          f"({len(c.program.folded)} weight-only nodes folded at import)")
    d = c.decisions()
    w, r, ram, g = d["welder"] or [], d["roller"] or [], d["rammer"] or [], d["grinder"] or []
    before, after = sum(x["unfused_bytes"] for x in w), sum(x["bytes"] for x in w)
    print(f"  welder: {sum(len(x['operators']) for x in w)} operators in {len(w)} fusion groups; modelled "
          f"global traffic {before / 1e3:.0f} kB -> {after / 1e3:.0f} kB")
    print(f"  roller: {len(r)} rTiles chosen by the model (no measurement)")
    for p in ram:
        print(f"  rammer: {p['name']}: {p['operators']} kernels as {len(p['tasks'])} rTasks in one parallel region; "
              f"predicted {p['predicted_us']:.1f} us vs {p['unscheduled_us']:.1f} us one region each")
    print(f"  grinder: {len(g)} loop(s)/branch(es) to place (torch.export unrolls Python loops)")
    print(f"  compile: {c.compile_time * 1e3:.0f} ms ({', '.join(f'{k} {v * 1e3:.0f}' for k, v in c.timings.items())} ms)")
    with torch.no_grad():
        want = model(*inputs)
        got = c(*inputs)
        err = float((got - want).abs().max() / want.abs().max())
        t_ff = median_time(lambda: c(*inputs), repeat)
        t_pt = median_time(lambda: model(*inputs), repeat)
    ok = err < 1e-4
    print(f"  run: max error vs PyTorch, relative to max |ref|: {err:.2e} ({'OK' if ok else 'MISMATCH'}); "
          f"fourfold {t_ff * 1e6:.0f} us, PyTorch eager {t_pt * 1e6:.0f} us ({t_pt / t_ff:.2f}x, "
          f"{torch.get_num_threads()} threads)\n")
    return ok


def grinder_demo(repeat: int) -> bool:
    """grinder on a model with a loop: an LSTM over 100 steps (batch 1 and 64), placed by the cost
    model, against the same loop driven from the host and PyTorch eager."""
    import fourfold
    from fourfold.examples import control
    from fourfold.pipeline import Pipeline
    from fourfold.tuning import placed_constructs

    print("grinder: nn.LSTM-style loop over 100 steps (python/fourfold/examples/control.py)")
    ok = True
    for batch in (1, 64):
        prog = control.lstm(steps=100, batch=batch, name=f"lstm{batch}")
        xs = prog.inputs()
        ref = prog.reference(*[x.astype(np.float64) for x in xs])
        loop = placed_constructs(prog.mlir)[0]
        est, place = loop.estimate, f"#grinder.place<{loop.place}>"
        fn = fourfold.compile(prog.mlir)
        host = fourfold.compile(prog.mlir, pipeline=Pipeline.cpu(grinder=False))
        err = float(np.max(np.abs(fn(*xs) - ref)) / max(1e-30, float(np.max(np.abs(ref)))))
        ok = ok and err < 1e-4
        t_ff = median_time(lambda: fn(*xs), repeat)
        t_host = median_time(lambda: host(*xs), repeat)
        line = (f"  batch {batch:>2}: {place}; predicted per run: host "
                f"{est['host_us']:.0f} us, device {est['device_us']:.0f} us, "
                f"one core {est['block_us']:.0f} us ({est['kernels']} "
                f"kernels per step)\n    error {err:.1e}; fourfold {t_ff * 1e6:.0f} us, loop on the host "
                f"{t_host * 1e6:.0f} us ({t_host / t_ff:.2f}x)")
        try:
            import torch
            from fourfold.examples.parallel import torch_ops
            tin = [torch.from_numpy(x) for x in xs]
            with torch.no_grad():
                t_pt = median_time(lambda: prog.notes["impl"](torch_ops(), *tin), repeat)
            line += f", PyTorch eager {t_pt * 1e6:.0f} us ({t_pt / t_ff:.2f}x)"
        except ImportError:
            pass
        print(line)
    print()
    return ok


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("compile", "run", "bench", "report"):
        from .cli import main as cli_main

        return cli_main(argv)
    parser = argparse.ArgumentParser(prog="python -m fourfold")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="compile and run a bundled example, printing what each stage did")
    p.add_argument("--example", default="mlp", choices=["mlp"])
    p.add_argument("--chip", default="sm_90")
    p.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)
    return demo(args)


if __name__ == "__main__":
    sys.exit(main())
