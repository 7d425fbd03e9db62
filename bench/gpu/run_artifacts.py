"""On a machine with a GPU: run each artifact from build_artifacts.py, check it against numpy
(float64), time it against PyTorch on the same device, and write the results as JSON.

    python3 bench/gpu/run_artifacts.py .device/artifacts $OUT/gpu-results.json

Times are medians over repeated runs with CUDA events, inputs already on the device; fourfold's
time includes what its host plan does per call (temporary allocations, launches).
"""

import datetime
import json
import os
import platform
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import common  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "..", "python", "fourfold"))
import cuda_runner  # noqa: E402
from programs import REFERENCES  # noqa: E402

REPEAT = 50


def torch_fn(name, tensors):
    import torch

    t = tensors
    if name.startswith("matmul") and name != "matmul_bias_relu":
        return lambda: t[0] @ t[1]
    if name == "matmul_bias_relu":
        return lambda: torch.relu(t[0] @ t[1] + t[2])
    if name == "conv2d_strided":
        x = t[0].permute(0, 3, 1, 2).contiguous()
        w = t[1].permute(0, 3, 1, 2).contiguous()
        return lambda: torch.nn.functional.conv2d(x, w, stride=2)
    if name == "tanh_erf_exp_chain":
        return lambda: torch.exp(torch.erf(torch.tanh(t[0] * t[1])))
    if name == "mlp":
        def mlp():
            a = t[0] @ t[1] + t[2]
            g = torch.nn.functional.gelu(a, approximate="tanh")
            return g @ t[3] + t[4]
        return mlp
    raise KeyError(name)


def time_cuda(fn):
    return common.time_cuda(fn, REPEAT)


def main(art_dir, out_path):
    import torch

    torch.cuda.init()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    rng = np.random.default_rng(0)
    results = {}
    for name in sorted(os.listdir(art_dir)):
        d = os.path.join(art_dir, name)
        if not os.path.isfile(os.path.join(d, "plan.json")):
            continue
        entry = {}
        try:
            runner = cuda_runner.PlanRunner(d)
            inputs = [rng.standard_normal(a["shape"]).astype(a["dtype"]) * 0.5 for a in runner.plan["args"]]
            out = runner(*inputs)
            ref = REFERENCES[name.split("+")[0]](*inputs)
            err = float(np.max(np.abs(out - ref)) / max(1e-30, float(np.max(np.abs(ref)))))
            entry.update(max_rel_error=err, correct=err < 1e-4)
            ptrs = runner.to_device(inputs)

            def run_ff():
                outs = runner.execute(ptrs)
                for p in outs:
                    if p not in ptrs:
                        cuda_runner.check(cuda_runner.cu.cuMemFree(p))

            torch.cuda.synchronize()
            entry["fourfold_us"] = time_cuda(run_ff)
            runner.free(ptrs)
            tensors = [torch.from_numpy(a).cuda() for a in inputs]
            entry["torch_us"] = time_cuda(torch_fn(name.split("+")[0], tensors))
            entry["fourfold_over_torch"] = entry["fourfold_us"] / entry["torch_us"]
            entry["launches"] = sum(1 for s in runner.plan["steps"] if s["op"] == "launch")
        except Exception as e:  # record and go on: one broken program must not hide the others
            entry["error"] = f"{type(e).__name__}: {e}"
        results[name] = entry
        print(name, json.dumps(entry))
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": torch.cuda.get_device_name(0) + f", {platform.node()}",
        "torch": torch.__version__, "tf32": False, "repeat": REPEAT,
        "command": "python3 bench/gpu/run_artifacts.py .device/artifacts $OUT/gpu-results.json",
    }
    with open(out_path, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
