"""Welder on the GPU, built here (no GPU needed): the four model blocks for a chip, with and without
welder, side by side.

    source tools/env.sh
    python bench/welder/gpu.py                    # sm_90, all four blocks
    python bench/welder/gpu.py --chip sm_80 --models bert --out /tmp/w

Per block: kernel launches of the built artifact (gpu.launch_func in the host code), welder's
modelled global-memory bytes for the chip (--welder-tile-graph{target=chip}, fuse=false vs true),
registers / shared memory / spills per kernel from ptxas, compile time, and the numerics of the
GPU build's own tiles and groups run on the CPU (fourfold.compiler.gpu_emulation_pipeline) against
PyTorch. Times on the device need a lent GPU (bench/harness/gpu.py).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
from common import figures, provenance, rel_error  # noqa: E402


def ptxas_figures(art) -> dict:
    info = "".join(m.ptxas_info or "" for m in art.modules)
    ints = lambda pattern: [int(x) for x in re.findall(pattern, info)]  # noqa: E731
    return {"registers_max": max(ints(r"Used (\d+) registers"), default=0),
            "smem_max": max(ints(r"(\d+) bytes smem"), default=0),
            "spill_bytes": sum(ints(r"(\d+) bytes spill stores")),
            "barriers": info.count("barriers")}


def measure(name, make, chip):
    import fourfold
    from fourfold.compiler import gpu_emulation_pipeline, gpu_pipeline

    prog, _ = make()
    row = {}
    fused, unfused = figures(fourfold, prog.mlir, True, chip), figures(fourfold, prog.mlir, False, chip)
    row.update(bytes_welder=fused["bytes"], bytes_unfused=unfused["bytes"])
    for label, welder in (("welder", True), ("no_welder", False)):
        t = time.perf_counter()
        # rammer off: it would merge every kernel into one launch per rProgram either way.
        art = fourfold.compile(prog.mlir, target=chip, cache=False,
                               pipeline=gpu_pipeline(prog.mlir, chip, welder=welder, rammer=False))
        row[f"{label}_compile_s"] = time.perf_counter() - t
        row[f"{label}_launches"] = art.host_ir.count("gpu.launch_func")
        row[f"{label}_kernels"] = len(art.modules)
        row.update({f"{label}_{k}": v for k, v in ptxas_figures(art).items()})
    full = fourfold.compile(prog.mlir, target=chip, cache=False)
    row["all_passes_launches"] = full.host_ir.count("gpu.launch_func")
    row.update({f"all_passes_{k}": v for k, v in ptxas_figures(full).items()})
    inputs = prog.inputs(seed=0)
    emulated = fourfold.compile(prog.mlir, pipeline=gpu_emulation_pipeline(chip), cache=False)
    row["emulated_rel_error"] = rel_error(emulated(*inputs), prog.reference(*inputs))
    return row


def markdown(result) -> str:
    meta = result["meta"]
    out = [f"# Welder on the GPU ({meta['chip']}): built here, numerics emulated on the CPU", "",
           provenance(meta), "",
           "No GPU was lent, so nothing here ran on a device. Launches: gpu.launch_func in the built host "
           "code. Traffic: welder's model of global-memory bytes for the chip (each kernel reads its inputs "
           "per tile and writes its output; L2 reuse is not modelled, so small tiles of a fused group can "
           "show more bytes than the unfused operators at roller's larger tiles). ptxas: the largest "
           "per-kernel registers and static shared memory. Error: the GPU build's groups and tiles run on "
           "the CPU (gpu_emulation_pipeline) against PyTorch, max relative error. Welder off / on are built "
           "with rammer off (rammer makes one launch per rProgram of whatever kernels there are); the last "
           "column is the default pipeline (all four passes).", "",
           "| block | launches (off -> on) | modelled traffic MB (off -> on) | registers max (off / on) | "
           "smem B max (off / on) | spills | compile s (off / on) | emulated error | all passes: launches, registers, smem B |",
           "|---|---|---|---|---|---|---|---|---|"]
    for name, r in result["rows"].items():
        out.append(
            f"| {name} | {r['no_welder_launches']} -> {r['welder_launches']} | "
            f"{r['bytes_unfused'] / 1e6:.2f} -> {r['bytes_welder'] / 1e6:.2f} "
            f"({r['bytes_unfused'] / max(1, r['bytes_welder']):.2f}x less) | "
            f"{r['no_welder_registers_max']} / {r['welder_registers_max']} | "
            f"{r['no_welder_smem_max']} / {r['welder_smem_max']} | {r['welder_spill_bytes']} | "
            f"{r['no_welder_compile_s']:.2f} / {r['welder_compile_s']:.2f} | {r['emulated_rel_error']:.1e} | "
            f"{r['all_passes_launches']}, {r['all_passes_registers_max']}, {r['all_passes_smem_max']} |")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chip", default="sm_90")
    parser.add_argument("--models", default=None, help="regex over block names")
    parser.add_argument("--smoke", action="store_true", help="tiny blocks (seconds)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(HERE), "results", "welder-gpu"),
                        help="output path without extension (.json and .md are written)")
    args = parser.parse_args()
    from models import MODELS, SMOKE

    rows = {}
    for name, make in (SMOKE if args.smoke else MODELS).items():
        if args.models and not re.search(args.models, name):
            continue
        rows[name] = measure(name, make, args.chip)
        print(name, json.dumps(rows[name]), flush=True)
    import fourfold

    from common import machine

    meta = {"chip": args.chip, "machine": machine() + " (build only)", "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="minutes"),
            "command": "python bench/welder/gpu.py " + " ".join(sys.argv[1:]),
            "versions": {"fourfold": getattr(fourfold, "__version__", "?")}}
    result = {"meta": meta, "rows": rows}
    with open(args.out + ".json", "w") as f:
        json.dump(result, f, indent=1)
    with open(args.out + ".md", "w") as f:
        f.write(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
