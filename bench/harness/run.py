"""One benchmark harness: models and operators through fourfold (each pass on and off) and the
alternatives a user would pick on this machine, side by side.

    source tools/env.sh
    python bench/harness/run.py                              # every model and operator, 1 and 2 threads
    python bench/harness/run.py --cases 'resnet|bert' --systems fourfold,eager,inductor
    python bench/harness/run.py --kinds operator --size full
    python bench/harness/run.py --smoke                      # seconds: tiny cases, for the tests
    python bench/harness/report.py bench/results/harness-cpu.json   # regenerate Markdown + plots

How it measures: one worker process per system and thread count (a system's libraries and thread
pools never share a process with another's); every worker compiles every case (timed, nothing else
running), checks its output against PyTorch eager (relative error over the largest |value|, at most
1e-4, else the case is not timed for that system), then the coordinator interleaves timing rounds:
each round visits every case and, in a rotating order, every system, which runs one untimed warm-up
call and a batch of timed calls (about 0.2 s worth). Medians over all rounds. After each batch the
worker idles 0.25 s so that its spinning OpenMP / thread-pool workers go to sleep before the next
system runs. A batch during which other processes kept the CPUs busy (more than --foreign of a core,
from /proc/stat less the worker's own CPU time: another user's build or tests on a 2-core machine
took 2-thread timings 1.5-4x up) is measured again after a pause, up to --retries times; the last
try counts, and the batches still disturbed are reported per case and system. Results: JSON (machine, date, versions, command, load) plus Markdown and plots
(report.py).
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

TOLERANCE = 1e-4
DEFAULT_SYSTEMS = ["fourfold", "fourfold-no-welder", "fourfold-no-roller", "fourfold-no-rammer",
                   "fourfold-no-grinder", "eager", "inductor", "tvm", "tvm-fourfold", "iree", "numpy"]
SMOKE_SYSTEMS = ["fourfold", "fourfold-no-welder", "eager", "numpy"]


def to_numpy_list(out) -> list:
    """Any system's output (torch tensors, numpy arrays, TVM tensors, IREE device arrays, nested
    tuples of them) as a flat list of numpy arrays."""
    import numpy as np
    import torch

    if isinstance(out, torch.Tensor):
        return [out.detach().numpy()]
    if isinstance(out, np.ndarray):
        return [out]
    if hasattr(out, "to_host"):
        return [np.asarray(out.to_host())]
    if hasattr(out, "numpy") and callable(out.numpy):
        return [np.asarray(out.numpy())]
    if isinstance(out, dict):
        out = list(out.values())
    return [a for item in out for a in to_numpy_list(item)]


def check(got, want) -> float:
    from common import rel_error

    got, want = to_numpy_list(got), to_numpy_list(want)
    if len(got) != len(want):
        raise ValueError(f"{len(got)} outputs, PyTorch has {len(want)}")
    errs = []
    for g, w in zip(got, want):
        if g.shape != w.shape:
            raise ValueError(f"output shape {g.shape}, PyTorch's is {w.shape}")
        errs.append(rel_error(g.astype("float64"), w.astype("float64")))
    return max(errs)


# --------------------------------------------------------------------------- #
# the worker: one system, one thread count, in its own process
# --------------------------------------------------------------------------- #

def busy_cpu_s() -> float | None:
    """CPU seconds the machine has been busy, every core and process (/proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def worker(conn, system_name: str, threads: int, size: str, case_names: list[str]):
    import warnings

    warnings.filterwarnings("ignore")
    import torch

    from cases import cases
    from systems import all_systems

    system = all_systems()[system_name]
    system.setup(threads)
    by_name = {c.name: c for c in cases(size, kinds=("model", "operator"))}
    runs = {}
    while True:
        msg = conn.recv()
        if msg[0] == "quit":
            conn.send(None)
            return
        if msg[0] == "prepare":
            name = msg[1]
            case = by_name[name]
            reply = {}
            try:
                reason = system.skip(case)
                if reason:
                    reply["skipped"] = reason
                else:
                    obj, inputs = case.build()
                    with torch.no_grad():
                        want = obj(*inputs)
                        run, info = system.prepare(case, obj, inputs)
                        reply.update(info)
                        t = time.perf_counter()
                        got = run()
                        reply["first_call_s"] = time.perf_counter() - t
                    reply["rel_error"] = err = check(got, want)
                    if not err <= TOLERANCE:
                        reply["error"] = f"wrong result: relative error {err:.2e}"
                    else:
                        runs[name] = run
            except Exception as e:  # reported, not fatal: the other cases go on
                reply["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"
                reply["traceback"] = traceback.format_exc()[-2000:]
            conn.send(reply)
        elif msg[0] == "time":
            _, name, n, foreign_limit, retries = msg
            run = runs[name]
            for attempt in range(retries + 1):
                if attempt:
                    time.sleep(1.0)  # let the other load pass
                with torch.no_grad():
                    run()  # warm-up: caches and thread pools back
                    busy0, own0, wall0 = busy_cpu_s(), own_cpu_s(), time.perf_counter()
                    times = []
                    for _ in range(n):
                        t = time.perf_counter()
                        run()
                        times.append(time.perf_counter() - t)
                    busy1, own1, wall1 = busy_cpu_s(), own_cpu_s(), time.perf_counter()
                # Cores' worth of CPU that other processes used during the batch (jiffies of 10 ms:
                # two are allowed for rounding).
                foreign = (None if busy0 is None else
                           max(0.0, (busy1 - busy0) - (own1 - own0) - 0.02) / max(wall1 - wall0, 1e-3))
                if foreign is None or foreign <= foreign_limit:
                    break
            time.sleep(0.25)  # let this system's spinning threads sleep before another runs
            conn.send({"times": times, "foreign": foreign, "tries": attempt + 1})


# --------------------------------------------------------------------------- #
# the coordinator
# --------------------------------------------------------------------------- #

def versions() -> dict:
    import numpy
    import torch

    out = {"python": platform.python_version(), "numpy": numpy.__version__, "torch": torch.__version__}
    for mod, key in (("tvm", "tvm"), ("iree.compiler", "iree")):
        try:
            m = __import__(mod, fromlist=["x"])
            out[key] = getattr(m, "__version__", None) or getattr(getattr(m, "version", None), "VERSION", "?")
        except Exception:
            pass
    try:
        from importlib import metadata

        out["iree"] = metadata.version("iree-base-compiler")
        out["tvm"] = metadata.version("apache-tvm")
    except Exception:
        pass
    try:
        import subprocess

        out["fourfold"] = "git " + subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                                                  capture_output=True, text=True).stdout.strip()
    except Exception:
        pass
    from fourfold import _config

    out["llvm"] = _config.LLVM_VERSION
    return out


def run_threads(args, threads: int, case_list, system_names) -> dict:
    ctx = mp.get_context("spawn")
    env_keys = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TVM_NUM_THREADS")
    for k in env_keys:  # inherited by the spawned workers
        os.environ[k] = str(threads)
    names = [c.name for c in case_list]
    workers = {}
    for s in system_names:
        parent, child = ctx.Pipe()
        p = ctx.Process(target=worker, args=(child, s, threads, args.size, names), daemon=True)
        p.start()
        workers[s] = (p, parent)
    results = {c.name: {} for c in case_list}

    def ask(s, msg):
        p, conn = workers[s]
        conn.send(msg)
        while not conn.poll(5):
            if not p.is_alive():
                raise RuntimeError(f"the {s} worker died (exit code {p.exitcode})")
        return conn.recv()

    # Compile and check, one system at a time (compile times are measured on a quiet machine).
    for c in case_list:
        for s in system_names:
            try:
                r = ask(s, ("prepare", c.name))
            except RuntimeError as e:
                r = {"error": str(e)}
                p, conn = workers[s]
                parent, child = ctx.Pipe()  # restart the dead worker for the remaining cases
                p2 = ctx.Process(target=worker, args=(child, s, threads, args.size, names), daemon=True)
                p2.start()
                workers[s] = (p2, parent)
            results[c.name][s] = r
            status = r.get("skipped") or r.get("error") or f"ok, compile {r.get('compile_s', 0):.2f} s"
            print(f"  [{threads} thr] {c.name:<28} {s:<22} {status}", flush=True)
    # Timing rounds, interleaved.
    live = [(c.name, s) for c in case_list for s in system_names
            if "error" not in results[c.name][s] and "skipped" not in results[c.name][s]]
    samples = {key: [] for key in live}
    batch = {}
    for key in live:
        first = results[key[0]][key[1]].get("first_call_s") or 1e-3
        batch[key] = max(1, min(args.max_batch, int(args.batch_s / max(first, 1e-7))))
    for rnd in range(args.rounds):
        for c in case_list:
            order = [s for s in system_names if (c.name, s) in samples]
            k = rnd % max(1, len(order))
            for s in order[k:] + order[:k]:
                try:
                    reply = ask(s, ("time", c.name, batch[(c.name, s)], args.foreign, args.retries))
                except RuntimeError as e:
                    results[c.name][s]["error"] = str(e)
                    samples.pop((c.name, s), None)
                    continue
                times = reply["times"]
                samples[(c.name, s)] += times
                r = results[c.name][s]
                r["retried_batches"] = r.get("retried_batches", 0) + (reply["tries"] > 1)
                disturbed = reply["foreign"] is not None and reply["foreign"] > args.foreign
                r["disturbed_batches"] = r.get("disturbed_batches", 0) + disturbed
                batch[(c.name, s)] = max(1, min(args.max_batch, int(args.batch_s / max(statistics.median(times), 1e-7))))
        print(f"  [{threads} thr] round {rnd + 1}/{args.rounds} done", flush=True)
    for (name, s), ts in samples.items():
        r = results[name][s]
        r["median_s"] = statistics.median(ts)
        r["samples"] = len(ts)
        qs = statistics.quantiles(ts, n=4) if len(ts) >= 4 else [min(ts), statistics.median(ts), max(ts)]
        r["q1_s"], r["q3_s"] = qs[0], qs[-1]
        r.pop("traceback", None)
    for s in system_names:
        try:
            ask(s, ("quit",))
        except Exception:
            pass
        workers[s][0].join(timeout=10)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default="", help="regex over case names")
    parser.add_argument("--kinds", default="model,operator", help="model, operator or both")
    parser.add_argument("--systems", default="", help="comma-separated; default: all installed")
    parser.add_argument("--size", default="small", choices=["smoke", "small", "full"])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-s", type=float, default=0.2, help="seconds of timed calls per batch")
    parser.add_argument("--max-batch", type=int, default=200)
    parser.add_argument("--foreign", type=float, default=0.1,
                        help="a batch during which other processes used more than this many cores is disturbed")
    parser.add_argument("--retries", type=int, default=2, help="times a disturbed batch is measured again")
    parser.add_argument("--smoke", action="store_true", help="tiny cases, few systems, seconds")
    parser.add_argument("--out", default=os.path.join(HERE, "..", "results", "harness-cpu.json"))
    parser.add_argument("--ms-trials", type=int, default=64, help="tvm-ms: MetaSchedule trials per case")
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args(argv)
    os.environ["FOURFOLD_BENCH_MS_TRIALS"] = str(args.ms_trials)
    if args.smoke:
        args.size, args.rounds, args.batch_s = "smoke", min(args.rounds, 2), 0.02
        args.retries = 0  # 0.02 s batches are too short to tell
    from cases import cases
    from common import machine
    from systems import all_systems

    systems = all_systems()
    wanted = [s for s in args.systems.split(",") if s] or (SMOKE_SYSTEMS if args.smoke else DEFAULT_SYSTEMS)
    unknown = [s for s in wanted if s not in systems]
    if unknown:
        parser.error(f"unknown system(s) {unknown}; known: {', '.join(systems)}")
    missing = {s: systems[s].missing() for s in wanted if systems[s].missing()}
    for s, why in missing.items():
        print(f"skipping {s}: {why}")
    system_names = [s for s in wanted if s not in missing]
    case_list = cases(args.size, args.cases, tuple(args.kinds.split(",")))
    if not case_list:
        parser.error("no case matches")
    result = {"meta": {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(), "load_before": os.getloadavg(), "versions": versions(),
        "command": "python bench/harness/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "size": args.size, "rounds": args.rounds, "foreign": args.foreign, "retries": args.retries,
        "ms_trials": args.ms_trials, "tolerance": TOLERANCE,
        "systems": {s: systems[s].label for s in system_names}, "missing": missing,
        "cases": {c.name: {"kind": c.kind, "flops": c.flops, **c.notes} for c in case_list},
    }, "threads": {}}
    start = time.time()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    for t in [int(x) for x in args.threads.split(",")]:
        print(f"== {t} thread(s): {len(case_list)} case(s) x {len(system_names)} system(s)", flush=True)
        result["threads"][str(t)] = run_threads(args, t, case_list, system_names)
        result["meta"]["load_after"] = os.getloadavg()
        result["meta"]["wall_s"] = round(time.time() - start, 1)
        with open(args.out, "w") as f:  # after each thread count: a long run keeps what it measured
            json.dump(result, f, indent=1)
        print(f"wrote {args.out}")
    if not args.no_report:
        from report import write_report

        for path in write_report(args.out):
            print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
