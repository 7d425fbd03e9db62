"""Grinder on a GPU: device-placed loops as one persistent kernel, built here, run on a lent GPU.

    source tools/env.sh
    python bench/grinder/gpu.py build .device/grinder sm_90        # here: artifacts + inputs + references
    python3 bench/grinder/gpu.py run .device/grinder $OUT/grinder-gpu.json   # on the GPU machine

`build` compiles each model through the GPU pipeline (grinder places its loop; a device placement is
one persistent kernel with grid barriers) into an artifact (launch plan, PTX, cubins) and stores the
inputs and the float64 reference beside it. `run` needs only numpy, the CUDA driver
(cuda-python) and python/fourfold/cuda_runner.py: it runs each plan, checks it, times it with CUDA
events (inputs on the device), and for the LSTM times torch.nn.LSTM (cuDNN) on the same inputs when
PyTorch with CUDA is there. Not measured yet: no GPU was lent when this was written. The
host-driven version (a launch per kernel and step) cannot ship as a launch plan (host control
flow), so it is not in this comparison.
"""

from __future__ import annotations

import json
import os
import statistics
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from common import time_cuda  # noqa: E402


def models():
    from fourfold.examples import control as C
    return {
        "lstm_b64": C.lstm(steps=100, batch=64, name="lstm64"),
        "lstm_b1": C.lstm(steps=100, batch=1, name="lstm1"),
        "nasrnn_b64": C.nasrnn(steps=100, batch=64, name="nasrnn64"),
        "seq2seq_b64": C.seq2seq(batch=64, name="seq2seq64"),
    }


def build(out_dir, chip):
    import fourfold
    for name, prog in models().items():
        inputs = prog.inputs(seed=0)
        ref = prog.reference(*[x.astype(np.float64) for x in inputs])
        art = fourfold.compile(prog.mlir, target=chip, assemble=True)
        d = os.path.join(out_dir, name)
        art.save(d)
        np.savez(os.path.join(d, "data.npz"), ref=ref, *inputs)
        launches = [s for s in art.plan["steps"] if s["op"] == "launch"]
        with open(os.path.join(d, "model.json"), "w") as f:
            json.dump({"launches": [[s["grid"], s["block"]] for s in launches],
                       "notes": {k: v for k, v in prog.notes.items() if isinstance(v, (int, float, str))}}, f)
        print(f"{name}: {len(launches)} launches {[[s['grid'], s['block']] for s in launches]}, "
              f"compiled in {art.compile_time:.2f} s")


def run(art_dir, out_path):
    sys.path.insert(0, os.path.join(HERE, "..", "..", "python", "fourfold"))
    import cuda_runner  # noqa: E402
    import torch
    torch.cuda.init()
    results = {}
    for name in sorted(os.listdir(art_dir)):
        d = os.path.join(art_dir, name)
        if not os.path.isfile(os.path.join(d, "plan.json")):
            continue
        entry = {}
        try:
            data = np.load(os.path.join(d, "data.npz"))
            inputs = [data[f"arr_{i}"] for i in range(len(data.files) - 1)]
            runner = cuda_runner.PlanRunner(d)
            out = runner(*inputs)
            ref = data["ref"]
            err = float(np.max(np.abs(out - ref)) / max(1e-30, float(np.max(np.abs(ref)))))
            entry.update(max_rel_error=err, correct=err < 1e-4)
            ptrs = runner.to_device(inputs)

            def run_ff():
                for p in runner.execute(ptrs):
                    if p not in ptrs:
                        cuda_runner.check(cuda_runner.cu.cuMemFree(p))

            entry["fourfold_us"] = time_cuda(run_ff, 30)
            runner.free(ptrs)
            entry["launches"] = sum(1 for s in runner.plan["steps"] if s["op"] == "launch")
            if name.startswith("lstm"):
                xs, h0, c0, w, u, b = (torch.from_numpy(a).cuda() for a in inputs)
                lstm = torch.nn.LSTM(w.shape[0], h0.shape[1]).cuda()
                with torch.no_grad():
                    lstm.weight_ih_l0.copy_(w.T)
                    lstm.weight_hh_l0.copy_(u.T)
                    lstm.bias_ih_l0.copy_(b)
                    lstm.bias_hh_l0.zero_()
                    entry["nn_lstm_us"] = time_cuda(lambda: lstm(xs, (h0[None], c0[None])), 30)
        except Exception as e:  # record and go on
            entry["error"] = f"{type(e).__name__}: {e}"
        results[name] = entry
        print(name, json.dumps(entry))
    with open(out_path, "w") as f:
        json.dump({"device": torch.cuda.get_device_name(0), "results": results}, f, indent=1)


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("build", "run"):
        sys.exit(__doc__)
    if sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "sm_90")
    else:
        run(sys.argv[2], sys.argv[3])
