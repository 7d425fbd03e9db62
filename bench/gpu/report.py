"""Render a run_artifacts.py result file as a Markdown table (written next to it, same name .md)."""

import json
import sys


def main(path):
    with open(path) as f:
        data = json.load(f)
    meta, rows = data["meta"], data["results"]
    lines = [f"# GPU check: {meta['machine']}", "",
             f"Date {meta['date']}; torch {meta['torch']}; TF32 off; median of {meta['repeat']} runs "
             "(CUDA events, inputs on the device).", f"Command: `{meta['command']}`", "",
             "| program | correct (max rel. error vs numpy fp64) | launches | fourfold us | PyTorch us | time fourfold / PyTorch (above 1: slower) |",
             "|---|---|---|---|---|---|"]
    for name, r in sorted(rows.items()):
        if "error" in r:
            lines.append(f"| {name} | error: {r['error']} | | | | |")
            continue
        lines.append(f"| {name} | {'yes' if r['correct'] else 'NO'} ({r['max_rel_error']:.1e}) | {r['launches']} | "
                     f"{r['fourfold_us']:.1f} | {r['torch_us']:.1f} | {r['fourfold_over_torch']:.2f}x |")
    out = path.rsplit(".", 1)[0] + ".md"
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(out)


if __name__ == "__main__":
    main(sys.argv[1])
