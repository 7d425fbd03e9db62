"""The harness on a lent GPU, in one call there: the zoo's models compiled here (this machine has
LLVM; the GPU machine has none, and no network), run there with the CUDA driver only.

    source tools/env.sh
    python bench/harness/gpu.py build .device/harness sm_90 [--size small] [--cases REGEX]   # here
    python3 bench/harness/gpu.py run .device/harness $OUT/harness-gpu.json                    # on the GPU
    python bench/harness/report.py bench/results/harness-cpu.json harness-gpu.json            # merged report

`build` writes, per model, fourfold's GPU artifact (launch plan, PTX, cubins assembled by ptxas,
weights.npz), the example inputs and PyTorch's output (computed here on the CPU, fp32), plus
build.json (what compiled, what did not and why). `run` needs numpy, cuda-python and PyTorch with
CUDA: it checks fourfold's output against PyTorch's, then times fourfold (CUDA events around one
call of the launch plan, inputs already on the device) and PyTorch eager on the same device (TF32
off, the same inputs), medians of repeated runs, and writes the harness's JSON (section "GPU").
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
import common  # noqa: E402

REPEAT = 50
GPU_MODELS = ["mlp", "encoder", "attention", "vit-block", "nerf", "bert-small", "resnet-basic", "resnet18",
              "mobilenetv2-block", "inception-cell", "lstm"]


def _zoo():
    """torch_models.py by path: the GPU machine has the source tree but not the built package."""
    path = os.path.join(ROOT, "python", "fourfold", "examples", "torch_models.py")
    spec = importlib.util.spec_from_file_location("fourfold_zoo", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build(out_dir: str, chip: str, size: str, pattern: str) -> None:
    import re

    import torch

    import fourfold

    zoo = _zoo()
    os.makedirs(out_dir, exist_ok=True)
    summary = {"chip": chip, "size": size, "models": {}}
    for name in GPU_MODELS:
        if pattern and not re.search(pattern, name):
            continue
        zsize = size if size in zoo._SPECS[name] else "small"
        model, inputs = zoo.get(name, zsize)
        entry = {"size": zsize}
        start = time.perf_counter()
        try:
            compiled = fourfold.compile(model, inputs, target=chip, cache=False)
            d = os.path.join(out_dir, name)
            compiled.save(d)
            with torch.no_grad():
                want = model(*inputs)
            np.savez(os.path.join(d, "io.npz"), **{f"in{i}": x.numpy() for i, x in enumerate(inputs)},
                     want=want.numpy())
            entry.update(compile_s=time.perf_counter() - start, kernels=len(compiled.compiled.ptx))
        except Exception as e:  # recorded: the run reports it as not compiled
            entry["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"
        summary["models"][name] = entry
        print(name, json.dumps(entry), flush=True)
    with open(os.path.join(out_dir, "build.json"), "w") as f:
        json.dump(summary, f, indent=1)


def run(art_dir: str, out_path: str) -> None:
    import torch

    sys.path.insert(0, os.path.join(ROOT, "python", "fourfold"))
    import cuda_runner

    zoo = _zoo()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    with open(os.path.join(art_dir, "build.json")) as f:
        built = json.load(f)
    rows = {}
    for name, b in built["models"].items():
        row = {"fourfold": dict(b), "torch-cuda": {"compile_s": 0.0}}
        rows[name] = row
        if "error" in b:
            continue
        d = os.path.join(art_dir, name)
        io = np.load(os.path.join(d, "io.npz"))
        inputs = [io[f"in{i}"] for i in range(len(io.files) - 1)]
        ours = row["fourfold"]
        try:
            runner = cuda_runner.PlanRunner(d)
            got = runner(*inputs)
            got = got[0] if isinstance(got, (list, tuple)) else got
            ours["rel_error"] = err = common.rel_error(np.asarray(got, np.float64), io["want"].astype(np.float64))
            if not err <= 1e-4:
                ours["error"] = f"wrong result: relative error {err:.2e}"
            else:
                ptrs = runner.to_device(inputs)

                def call():
                    for p in runner.execute(ptrs):
                        if p not in ptrs:
                            cuda_runner.check(cuda_runner.cu.cuMemFree(p))
                ours["median_s"] = common.time_cuda(call, REPEAT) * 1e-6
                ours["samples"] = REPEAT
                ours["launches"] = sum(1 for s in runner.plan["steps"] if s["op"] == "launch")
                runner.free(ptrs)
        except Exception as e:
            ours["error"] = f"{type(e).__name__}: {e}"
        theirs = row["torch-cuda"]
        try:
            model, _ = zoo.get(name, b["size"])
            model = model.cuda()
            xs = [torch.from_numpy(x).cuda() for x in inputs]
            with torch.no_grad():
                theirs["rel_error"] = common.rel_error(model(*xs).double().cpu().numpy(),
                                                       io["want"].astype(np.float64))
                theirs["median_s"] = common.time_cuda(lambda: model(*xs), REPEAT) * 1e-6
                theirs["samples"] = REPEAT
        except Exception as e:
            theirs["error"] = f"{type(e).__name__}: {e}"
        print(name, json.dumps(row), flush=True)
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{torch.cuda.get_device_name(0)}, {platform.node()}", "device": torch.cuda.get_device_name(0),
            "load_before": list(os.getloadavg()), "versions": {"torch": torch.__version__, "tf32": "off"},
            "command": "python3 bench/harness/gpu.py run " + " ".join(sys.argv[2:]), "rounds": REPEAT,
            "systems": {"fourfold": f"fourfold ({built['chip']} artifact)", "torch-cuda": "PyTorch eager (CUDA)"},
            "cases": {n: {"kind": "model", "size": b["size"]} for n, b in built["models"].items()}}
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump({"meta": meta, "threads": {"GPU": rows}}, f, indent=1)
    print(f"wrote {out_path}")


def main(argv=None):
    import argparse

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("out_dir")
    b.add_argument("chip", nargs="?", default="sm_90")
    b.add_argument("--size", default="small", choices=["tiny", "small", "full"])
    b.add_argument("--cases", default="")
    r = sub.add_parser("run")
    r.add_argument("art_dir")
    r.add_argument("out")
    args = p.parse_args(argv)
    if args.cmd == "build":
        build(args.out_dir, args.chip, args.size, args.cases)
    else:
        run(args.art_dir, args.out)


if __name__ == "__main__":
    main()
