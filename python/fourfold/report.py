"""`fourfold report`: one page (HTML or Markdown, pictures beside it) on what fourfold did to a
model: welder's fusion groups and modelled traffic, roller's per-operator predicted vs measured time,
rammer's schedule, grinder's placements, the stage times and the end-to-end time against PyTorch."""

from __future__ import annotations

import html
import os
import time


def _plt():
    try:
        import matplotlib
    except ImportError:
        raise RuntimeError("fourfold report draws with matplotlib: pip install matplotlib") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw_welder(groups, path):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(groups) + 2), 3.6))
    xs = range(len(groups))
    ax.bar([x - 0.2 for x in xs], [g["unfused_bytes"] for g in groups], 0.4, label="unfused (one kernel per op)")
    ax.bar([x + 0.2 for x in xs], [g["bytes"] for g in groups], 0.4, label="fused (welder)")
    ax.set_yscale("log")
    ax.set_ylabel("modelled global-memory bytes")
    ax.set_xticks(list(xs), [f"{g['name'].split('_')[-1]}\n{len(g['operators'])} op" for g in groups], fontsize=7)
    ax.set_title("welder: fusion groups (tile graph), traffic before and after")
    ax.legend(fontsize=8)
    _save(plt, fig, path)


def draw_rammer(program, path):
    plt = _plt()
    tasks = program["tasks"]
    veus = max(t["veu"] for t in tasks) + 1
    steps = max(t["step"] for t in tasks) + 1
    # a step lasts as long as its longest task (a barrier closes every step)
    step_len = [0.0] * steps
    for t in tasks:
        step_len[t["step"]] = max(step_len[t["step"]], t["duration_us"])
    start = [sum(step_len[:i]) for i in range(steps)]
    fig, ax = plt.subplots(figsize=(9, 0.5 * veus + 1.6))
    names = sorted({t["operator"] for t in tasks})
    cmap = plt.get_cmap("tab20")
    for t in tasks:
        color = cmap(names.index(t["operator"]) % 20)
        ax.barh(t["veu"], t["duration_us"], left=start[t["step"]], color=color, edgecolor="black", linewidth=0.3)
    for s in start[1:]:
        ax.axvline(s, color="grey", linewidth=0.4, linestyle=":")
    ax.set_yticks(range(veus), [f"vEU {v}" for v in range(veus)])
    overhead = program["predicted_us"] - sum(step_len)
    ax.set_xlabel(f"predicted task time (us); dotted lines: barriers (barriers and the region's start add "
                  f"{overhead:.1f} us more)", fontsize=8)
    ax.set_title(f"rammer: {program['name']}: {len(tasks)} rTasks of {program['operators']} operators, "
                 f"predicted {program['predicted_us']:.1f} us vs {program['unscheduled_us']:.1f} us one region each",
                 fontsize=9)
    _save(plt, fig, path)


def draw_kernels(ops, path):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 4.4))
    pred = [o["predicted_us"] for o in ops]
    meas = [o["measured_us"] for o in ops]
    ax.scatter(pred, meas, s=14)
    lo = min(pred + meas) * 0.8
    hi = max(pred + meas) * 1.25
    ax.plot([lo, hi], [lo, hi], color="grey", linewidth=0.8, label="measured = predicted")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("roller's predicted time (us)")
    ax.set_ylabel("measured time (us, median)")
    ax.set_title("per operator: predicted vs measured")
    ax.legend(fontsize=8)
    _save(plt, fig, path)


def draw_grinder(placed, path):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(placed) + 1.6))
    for i, p in enumerate(placed):
        for j, (k, color) in enumerate((("host_us", "C0"), ("device_us", "C1"), ("block_us", "C2"))):
            ax.barh(i + (j - 1) * 0.25, p["estimate"][k], 0.25, color=color,
                    label=k.replace("_us", "") if i == 0 else None)
    ax.set_yticks(range(len(placed)), [f"{p['op']} -> {p['place']}" for p in placed], fontsize=8)
    ax.set_xlabel("predicted us per run")
    ax.set_title("grinder: placement of each loop / branch")
    ax.legend(fontsize=8)
    _save(plt, fig, path)


def _measure_operators(text, progress):
    """Every operator compiled alone and timed at roller's pick (and its runner-up: top-k=2, the
    smallest k for which roller leaves candidates to measure): predicted vs measured."""
    from .pipeline import parse
    from .tuning import tune

    module = parse(text)
    report = tune(module, k=2, repeat=5, progress=progress)
    return [{"op": o.op, "predicted_us": o.predicted_us[0], "measured_us": o.measured_us[0],
             "pick_was_best": o.chosen == 0}
            for o in report.operators if o.predicted_us[0] == o.predicted_us[0] and o.predicted_us[0] > 0]


def write_report(m, args, compile_loaded, random_inputs, median, Progress) -> str:
    out = args.output
    base = os.path.splitext(out)[0]
    pics_dir = base + "-files"
    os.makedirs(pics_dir, exist_ok=True)
    rel = os.path.basename(pics_dir)
    start = time.perf_counter()
    c = compile_loaded(m, args)
    compiled = getattr(c, "compiled", c)
    decisions = c.decisions() if hasattr(c, "decisions") else __import__(
        "fourfold.decisions", fromlist=["collect"]).collect(compiled.compilation, "cpu")
    xs = random_inputs(c, m)
    ours = median(lambda: c(*xs), args.repeat) * 1e6
    eager = None
    if m.is_torch:
        import torch
        with torch.no_grad():
            eager = median(lambda: m.module(*xs), args.repeat) * 1e6
    ops = []
    roller_input = compiled.compilation.ir.get("welder") or compiled.compilation.ir.get("frontend")
    if roller_input is not None and decisions.get("roller"):
        ops = _measure_operators(compiled.compilation.ir["frontend"], Progress("measuring operators", 1))
    timings = c.timings if hasattr(c, "timings") else compiled.compilation.timings

    sections = []  # (title, picture file or None, text lines, table rows)
    sections.append(("Summary", None, [
        f"model: {m.name}; target: CPU ({os.cpu_count()} cores); date {time.strftime('%Y-%m-%d %H:%M')}",
        f"compile time: {sum(timings.values()) * 1e3:.0f} ms "
        f"({', '.join(f'{k} {v * 1e3:.0f}' for k, v in timings.items())} ms)",
        f"run time (median of {args.repeat}): fourfold {ours:.1f} us" +
        (f"; PyTorch eager {eager:.1f} us ({eager / ours:.2f}x)" if eager else ""),
    ], None))
    welder = decisions.get("welder") or []
    if welder:
        draw_welder(welder, os.path.join(pics_dir, "welder.png"))
        total_before = sum(g["unfused_bytes"] for g in welder)
        total_after = sum(g["bytes"] for g in welder)
        sections.append(("welder: tile graph and fusion", "welder.png", [
            f"{sum(len(g['operators']) for g in welder)} operators in {len(welder)} fusion groups; modelled "
            f"global traffic {total_before / 1e3:.1f} kB unfused -> {total_after / 1e3:.1f} kB fused "
            f"({total_before / max(total_after, 1):.2f}x less)"],
            [("group", "operators", "tile", "bytes unfused", "bytes fused", "predicted us")] +
            [(g["name"], ", ".join(o.replace("linalg.", "") for o in g["operators"]), str(g["tile"]),
              g["unfused_bytes"], g["bytes"], f"{g['predicted_us']:.2f}") for g in welder]))
    roller = decisions.get("roller") or []
    if ops:
        draw_kernels(ops, os.path.join(pics_dir, "kernels.png"))
        ratio = sorted(o["measured_us"] / o["predicted_us"] for o in ops)
        sections.append(("roller: rTiles, predicted vs measured per operator", "kernels.png", [
            f"{len(roller)} operators tiled; {len(ops)} measured alone at their chosen rTile; measured / "
            f"predicted: median {ratio[len(ratio) // 2]:.2f}, range {ratio[0]:.2f} .. {ratio[-1]:.2f}; "
            f"roller's pick beat its runner-up on {sum(o['pick_was_best'] for o in ops)} of {len(ops)}",
            "measured: the operator alone as a compiled function called from Python, so tiny operators "
            "show the call's few microseconds of overhead rather than their own time"],
            [("operator", "rTile", "predicted us")] +
            [(r["op"], r["tile"].replace("#roller.rtile", ""), f"{r['predicted_us']:.2f}" if r["predicted_us"] else "")
             for r in roller[:40]]))
    for i, prog in enumerate(decisions.get("rammer") or []):
        if prog["tasks"]:
            pic = f"rammer{i}.png"
            draw_rammer(prog, os.path.join(pics_dir, pic))
            sections.append((f"rammer: schedule {prog['name']}", pic, [
                f"{prog['operators']} operators, {len(prog['tasks'])} rTasks on "
                f"{max(t['veu'] for t in prog['tasks']) + 1} vEUs in "
                f"{max(t['step'] for t in prog['tasks']) + 1} steps; predicted {prog['predicted_us']:.2f} us "
                f"vs {prog['unscheduled_us']:.2f} us with one parallel region per kernel" +
                (f"; launches {prog['launches_before']} -> 1" if prog.get("launches_before") else "")],
                None))
    placed = decisions.get("grinder") or []
    if placed:
        draw_grinder(placed, os.path.join(pics_dir, "grinder.png"))
        sections.append(("grinder: control flow placements", "grinder.png", [],
                         [("construct", "location", "placement", "host us", "device us", "one core us")] +
                         [(p["op"], p["location"], p["place"], f"{p['estimate']['host_us']:.1f}",
                           f"{p['estimate']['device_us']:.1f}", f"{p['estimate']['block_us']:.1f}") for p in placed]))
    else:
        sections.append(("grinder: control flow placements", None,
                         ["no loop or branch holding kernels in this model (nothing to place)"], None))
    elapsed = time.perf_counter() - start
    if out.endswith(".md"):
        text = _markdown(m.name, sections, rel, elapsed)
    else:
        text = _html(m.name, sections, rel, elapsed)
    with open(out, "w") as f:
        f.write(text)
    return out


def _markdown(name, sections, rel, elapsed):
    lines = [f"# fourfold report: {name}", ""]
    for title, pic, text, table in sections:
        lines += [f"## {title}", ""] + [f"{t}  " for t in text] + [""]
        if pic:
            lines += [f"![{title}]({rel}/{pic})", ""]
        if table:
            lines.append("| " + " | ".join(map(str, table[0])) + " |")
            lines.append("|" + "---|" * len(table[0]))
            lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in table[1:]]
            lines.append("")
    lines.append(f"_generated by `fourfold report` in {elapsed:.1f} s_")
    return "\n".join(lines) + "\n"


def _html(name, sections, rel, elapsed):
    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>fourfold report: {e(name)}</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;}table{border-collapse:collapse;"
             "font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}img{max-width:100%}</style></head><body>",
             f"<h1>fourfold report: {e(name)}</h1>"]
    for title, pic, text, table in sections:
        parts.append(f"<h2>{e(title)}</h2>")
        parts += [f"<p>{e(t)}</p>" for t in text]
        if pic:
            parts.append(f"<img src='{e(rel)}/{e(pic)}' alt='{e(title)}'>")
        if table:
            parts.append("<table><tr>" + "".join(f"<th>{e(str(c))}</th>" for c in table[0]) + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in table[1:]]
            parts.append("</table>")
    parts.append(f"<p><i>generated by fourfold report in {elapsed:.1f} s</i></p></body></html>")
    return "\n".join(parts)
