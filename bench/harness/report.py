"""The harness's results as Markdown and plots, regenerated from its JSON (never edited by hand).

    python bench/harness/report.py bench/results/harness-cpu.json [more.json ...]

Several JSON files (a CPU run, a GPU run from bench/harness/gpu.py) merge into one report: their
thread-count / device sections sit side by side. Writes <first>.md and <first>-*.png beside it.
"""

from __future__ import annotations

import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from common import geomean  # noqa: E402

ALTERNATIVES = ["eager", "inductor", "tvm", "tvm-fourfold", "tvm-ms", "iree", "numpy", "torch-cuda"]
PASSES = ["welder", "roller", "rammer", "grinder"]


def _ms(r):
    return r["median_s"] * 1e3 if r and "median_s" in r else None


def _cell(r, fmt="{:.3f}"):
    if r is None:
        return "-"
    if "skipped" in r:
        return "n/a"
    if "error" in r:
        return "error"
    v = _ms(r)
    return fmt.format(v) if v is not None else "-"


def _ratio(other, ours):
    a, b = _ms(other), _ms(ours)
    return a / b if a and b else None


def _fmt_ratio(x):
    return f"{x:.2f}x" if x else "-"


def merge(paths):
    """One report from several runs: the first run's meta; one section per run and device / thread
    count (a later run's section of the same name gets the file's name: ratios are only taken
    between systems timed side by side in one run)."""
    results = [json.load(open(p)) for p in paths]
    meta = dict(results[0]["meta"])
    meta["cases"] = {}
    meta["systems"] = {}
    merged = {"meta": meta, "sections": {}, "commands": [r["meta"]["command"] for r in results]}
    for path, res in zip(paths, results):
        meta["cases"].update({k: v for k, v in res["meta"]["cases"].items() if k not in meta["cases"]})
        meta["systems"].update({k: v for k, v in res["meta"]["systems"].items() if k not in meta["systems"]})
        for key, rows in res["threads"].items():
            label = f"{res['meta'].get('device', 'CPU')}, {key} thread(s)" if key.isdigit() else key
            if label in merged["sections"]:
                label += f" ({os.path.basename(path)})"
            merged["sections"][label] = (res["meta"], rows)
    return merged


def _systems(rows, names):
    """The systems of `names` that ran (compiled) on at least one of `rows`."""
    present = {s for r in rows.values() for s, x in r.items() if "skipped" not in x}
    return [s for s in names if s in present]


def markdown(merged, pictures) -> str:
    meta = merged["meta"]
    v = meta.get("versions", {})
    out = ["# fourfold against the alternatives: models and operators", "",
           f"Machine: {meta['machine']}. Date: {meta['date']}. Command(s): " +
           "; ".join(f"`{c}`" for c in merged["commands"]) +
           " (regenerate this page: `python bench/harness/report.py <the JSON file(s)>`).",
           "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
           f"Load average before / after: {', '.join(f'{x:.2f}' for x in meta['load_before'])} / "
           f"{', '.join(f'{x:.2f}' for x in meta.get('load_after', []))}. Wall time {meta.get('wall_s', '?')} s.",
           "",
           "Method: one worker process per system and thread count; outputs checked against PyTorch eager "
           f"(relative error <= {meta.get('tolerance', 1e-4)}) before anything is timed; timing rounds "
           f"interleave the systems ({meta.get('rounds')} rounds, each a warm-up call and about 0.2 s of timed "
           "calls per system and case); times are medians over every timed call, in ms. " +
           (f"A batch during which other processes used more than {meta['foreign']} of a core was measured "
            f"again (up to {meta['retries']} times; the batches still disturbed are listed at the end). "
            if "foreign" in meta else "") +
           "Ratios are the other system's time over fourfold's: above 1, fourfold is faster. "
           "`n/a`: the system does not apply (see the notes at the end); `error`: it failed or was wrong "
           "(listed at the end).",
           "Systems: " + "; ".join(f"`{k}` = {lab}" for k, lab in meta["systems"].items()) + "."]
    if meta.get("missing"):
        out.append("Not installed here, so not run: " + "; ".join(f"{k} ({w})" for k, w in meta["missing"].items()) + ".")
    out.append("")
    for name, path in pictures.items():
        out += [f"![{name}]({os.path.basename(path)})", ""]
    cases = meta["cases"]
    problems = {}
    disturbed = {}
    for section, (smeta, rows) in merged["sections"].items():
        models = {n: r for n, r in rows.items() if cases.get(n, {}).get("kind") != "operator"}
        ops = {n: r for n, r in rows.items() if cases.get(n, {}).get("kind") == "operator"}
        alts = _systems(rows, ALTERNATIVES)
        if models:
            out += [f"## Models: {section}", "",
                    "| model | size | fourfold ms | " + " | ".join(f"{a} ms" for a in alts) + " | " +
                    " | ".join(f"vs {a}" for a in alts) + " |",
                    "|---|---|---|" + "---|" * (2 * len(alts))]
            ratios = {a: [] for a in alts}
            for n, r in models.items():
                ours = r.get("fourfold")
                rs = [_ratio(r.get(a), ours) for a in alts]
                for a, x in zip(alts, rs):
                    if x:
                        ratios[a].append(x)
                out.append(f"| {n} | {cases[n].get('size', '')} | {_cell(ours)} | " +
                           " | ".join(_cell(r.get(a)) for a in alts) + " | " + " | ".join(map(_fmt_ratio, rs)) + " |")
            out += ["", "Geomean of fourfold's speedup: " + ", ".join(
                f"over {a} {geomean(ratios[a]):.2f}x ({len(ratios[a])} models)" for a in alts if ratios[a]) + ".", ""]
            offs = [p for p in PASSES if any(f"fourfold-no-{p}" in r for r in models.values())]
            if offs:
                out += [f"### Each pass off: {section}", "",
                        "Time with the pass off over time with every pass on (above 1: the pass pays).", "",
                        "| model | fourfold ms | " + " | ".join(f"-{p} ms" for p in offs) + " | " +
                        " | ".join(f"{p} gives" for p in offs) + " |",
                        "|---|---|" + "---|" * (2 * len(offs))]
                gains = {p: [] for p in offs}
                for n, r in models.items():
                    ours = r.get("fourfold")
                    rs = [_ratio(r.get(f"fourfold-no-{p}"), ours) for p in offs]
                    for p, x in zip(offs, rs):
                        if x:
                            gains[p].append(x)
                    out.append(f"| {n} | {_cell(ours)} | " + " | ".join(_cell(r.get(f"fourfold-no-{p}")) for p in offs)
                               + " | " + " | ".join(map(_fmt_ratio, rs)) + " |")
                out += ["", "Geomeans: " + ", ".join(f"{p} {geomean(g):.2f}x" for p, g in gains.items() if g) + ".", ""]
        if ops:
            alts_op = _systems(ops, ALTERNATIVES)
            out += [f"## Operators: {section}", "", "GFLOP/s (operator flops / median time).", "",
                    "| operator | fourfold | " + " | ".join(alts_op) + " | " + " | ".join(f"vs {a}" for a in alts_op) + " |",
                    "|---|---|" + "---|" * (2 * len(alts_op))]
            ratios = {a: [] for a in alts_op}
            for n, r in ops.items():
                flops = cases[n].get("flops") or 0

                def gf(x):
                    return "n/a" if x and "skipped" in x else ("error" if x and "error" in x else
                           (f"{flops / x['median_s'] / 1e9:.1f}" if x and "median_s" in x else "-"))
                ours = r.get("fourfold")
                rs = [_ratio(r.get(a), ours) for a in alts_op]
                for a, x in zip(alts_op, rs):
                    if x:
                        ratios[a].append(x)
                out.append(f"| {n} | {gf(ours)} | " + " | ".join(gf(r.get(a)) for a in alts_op) + " | " +
                           " | ".join(map(_fmt_ratio, rs)) + " |")
            out += ["", "Geomean of fourfold's speedup: " + ", ".join(
                f"over {a} {geomean(ratios[a]):.2f}x ({len(ratios[a])} operators)" for a in alts_op if ratios[a]) + ".", ""]
        for n, r in rows.items():
            for s, x in r.items():
                if "error" in x:
                    problems.setdefault((n, s, x["error"]), []).append(section)
                if x.get("disturbed_batches"):
                    disturbed.setdefault(section, []).append(f"{n} / {s} ({x['disturbed_batches']})")
    rows = _first_seen(merged)
    comp = _systems(rows, ["fourfold", "inductor", "tvm", "tvm-fourfold", "tvm-ms", "iree"])
    out += ["## Compile time (s) and kernels", "",
            "Compile: from the module to something callable (fourfold: torch.export, import, every pass, LLVM JIT; "
            "torch.compile: the first call; TVM: from_exported_program + tvm.compile; tvm-fourfold: the same with "
            "fourfold's BYOC partition and codegen; tvm-ms: TVM plus "
            f"MetaSchedule tuning with {meta.get('ms_trials', '?')} trials per operator; IREE: our importer's "
            "linalg + iree-compile). Kernels: fourfold's loop nests before -> after welder (plus its static "
            "count of parallel regions), eager's ATen calls, inductor's generated kernels, TVM's PrimFuncs, "
            "IREE's dispatches. Modelled traffic: welder's model of global-memory bytes without -> with fusion.", "",
            "| case | " + " | ".join(f"{s} s" for s in comp) + " | fourfold kernels | regions | modelled MB | "
            "eager ops | inductor kernels | TVM kernels | IREE dispatches |",
            "|---|" + "---|" * len(comp) + "---|---|---|---|---|---|---|"]
    for n, r in rows.items():
        f = r.get("fourfold", {})

        def k(s, key="kernels"):
            return str(r.get(s, {}).get(key) or "-")
        cells = [f"{r[s]['compile_s']:.2f}" if "compile_s" in r.get(s, {}) else _cell(r.get(s)) for s in comp]
        kern = f"{f['kernels_unfused']} -> {f['kernels']}" if "kernels_unfused" in f else "-"
        mb = (f"{f['bytes_unfused'] / 1e6:.2f} -> {f['bytes'] / 1e6:.2f} ({f['bytes_unfused'] / max(f['bytes'], 1):.2f}x)"
              if "bytes" in f else "-")
        out.append(f"| {n} | " + " | ".join(cells) + f" | {kern} | {f.get('regions', '-')} | {mb} | {k('eager')} | "
                   f"{k('inductor')} | {k('tvm')} | {k('iree')} |")
    out.append("")
    if disturbed:
        out += ["## Disturbed timings", "",
                "Batches still measured while other processes used the CPUs, after the retries "
                "(case / system (batches)); their times are in the medians:", ""]
        out += [f"- {sec}: {', '.join(items)}" for sec, items in disturbed.items()]
        out.append("")
    skips = {}
    for n, r in rows.items():
        for s, x in r.items():
            if "skipped" in x:
                skips.setdefault((s, x["skipped"]), []).append(n)
    if problems or skips:
        out += ["## Errors and skips", ""]
        for (n, s, e), secs in sorted(problems.items()):
            out.append(f"- {n}, {s} ({'; '.join(secs)}): {e}")
        for (s, why), names in sorted(skips.items()):
            out.append(f"- {s} does not apply to {', '.join(names)}: {why}")
        out.append("")
    return "\n".join(out) + "\n"


def _first_seen(merged) -> dict:
    """case -> system -> result, from the first section that has it (compile times and kernels do
    not depend on the thread count; tvm-ms may come from a run of its own)."""
    rows = {}
    for _, (_, sec_rows) in merged["sections"].items():
        for n, r in sec_rows.items():
            for s, x in r.items():
                rows.setdefault(n, {}).setdefault(s, x)
    return rows


def _bars(ax, labels, series: dict, ylabel: str, title: str, rotation=30):
    """Grouped bars, one group per label and one bar per series, on a log axis."""
    width = 0.8 / max(1, len(series))
    for i, (name, ys) in enumerate(series.items()):
        ax.bar([j + i * width for j in range(len(labels))], ys, width, label=name)
    ax.set_yscale("log")
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(labels))])
    ax.set_xticklabels(labels, rotation=rotation, ha="right", fontsize=7 if len(labels) > 18 else 8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.005, 1.0))


def plots(merged, stem) -> dict:
    """speedup per model, compile time per operator (log), modelled traffic per model."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {}
    cases = merged["meta"]["cases"]
    figures = []  # (name, file suffix, figure)
    model_secs = [(s, rows) for s, (_, rows) in merged["sections"].items()
                  if any(cases.get(n, {}).get("kind") != "operator" for n in rows)]
    if model_secs:
        fig, axes = plt.subplots(len(model_secs), 1, figsize=(12, 3.6 * len(model_secs)), squeeze=False)
        for ax, (sec, rows) in zip(axes[:, 0], model_secs):
            models = [n for n in rows if cases.get(n, {}).get("kind") != "operator"]
            alts = [a for a in _systems(rows, ALTERNATIVES) if a != "numpy"]
            _bars(ax, models, {f"vs {a}": [_ratio(rows[n].get(a), rows[n].get("fourfold")) or float("nan")
                                           for n in models] for a in alts},
                  "speedup of fourfold (log)", f"fourfold's speedup per model ({sec}); above 1: fourfold faster")
            ax.axhline(1.0, color="black", lw=0.8)
        figures.append(("speedup per model", "speedup", fig))
    rows = _first_seen(merged)
    ops = [n for n in rows if cases.get(n, {}).get("kind") == "operator"]
    comp = _systems(rows, ["fourfold", "inductor", "tvm", "tvm-fourfold", "tvm-ms", "iree"])
    if ops and comp:
        fig, ax = plt.subplots(figsize=(12, 4))
        _bars(ax, ops, {s: [rows[n].get(s, {}).get("compile_s") or float("nan") for n in ops] for s in comp},
              "compile time, s (log)", "compile time per operator", rotation=40)
        figures.append(("compile time per operator", "compile", fig))
    models = [n for n in rows if cases.get(n, {}).get("kind") != "operator" and "bytes" in rows[n].get("fourfold", {})]
    if models:
        fig, ax = plt.subplots(figsize=(12, 3.6))
        _bars(ax, models, {"one kernel per operator": [rows[n]["fourfold"]["bytes_unfused"] / 1e6 for n in models],
                           "welder's groups": [rows[n]["fourfold"]["bytes"] / 1e6 for n in models]},
              "modelled global traffic, MB (log)", "modelled global-memory traffic per model (welder's model)")
        figures.append(("modelled traffic per model", "traffic", fig))
    paths = {}
    for name, suffix, fig in figures:
        fig.tight_layout()
        paths[name] = f"{stem}-{suffix}.png"
        fig.savefig(paths[name], dpi=110)
        plt.close(fig)
    return paths


def write_report(*paths) -> list[str]:
    merged = merge(paths)
    stem = os.path.splitext(paths[0])[0]
    pictures = plots(merged, stem)
    md = stem + ".md"
    with open(md, "w") as f:
        f.write(markdown(merged, pictures))
    return [md, *pictures.values()]


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for p in write_report(*sys.argv[1:]):
        print(f"wrote {p}")
