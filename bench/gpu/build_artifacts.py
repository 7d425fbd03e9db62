"""Compile the GPU check's programs here (no GPU needed): one directory per program with plan.json,
PTX and cubins, for bench/gpu/run_artifacts.py on a machine with a GPU.

    python bench/gpu/build_artifacts.py .device/artifacts sm_90
"""

import json
import os
import sys

import fourfold
from fourfold import examples
from fourfold.compiler import gpu_pipeline

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from programs import programs  # noqa: E402


def main(out_dir, chip):
    summary = {}
    for base, (src, _) in programs(examples.source("mlp")).items():
        # Each program twice: upstream's 16x16 mapping, and roller's GPU rTiles.
        for variant, roller in (("", False), ("+roller", True)):
            name = base + variant
            pipeline = gpu_pipeline(src, chip, roller=roller)
            try:
                art = fourfold.compile(src, target=chip, assemble=True, pipeline=pipeline)
                art.save(os.path.join(out_dir, name))
            except Exception as e:  # report and go on: one program must not hide the others
                print(f"{name}: not built: {str(e).splitlines()[0]}")
                continue
            launches = [s for s in art.plan["steps"] if s["op"] == "launch"]
            summary[name] = {"compile_s": round(art.compile_time, 3), "kernels": len(launches),
                             "launches": [[s["grid"], s["block"]] for s in launches]}
            print(f"{name}: {len(launches)} launches, compiled in {art.compile_time:.2f} s")
    with open(os.path.join(out_dir, "build.json"), "w") as f:
        json.dump({"chip": chip, "programs": summary}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "sm_90")
