"""How far torch-mlir's linalg-on-tensors output gets through fourfold (MLIR 22.1.8) as text.

torch-mlir embeds its own (newer) MLIR, so it never shares a process with fourfold:

  export  (torch-mlir's venv python): for each model, torch_mlir.fx.export_and_import(...,
          output_type="linalg-on-tensors"); writes WORK/NAME.mlir, the inputs and PyTorch's
          reference output (.npy), and WORK/NAME.export.json (ok/error, time, op kinds, weights).
  check   (fourfold's python): fourfold.pipeline.parse(text), fourfold.compile(text) for the CPU,
          run on the saved inputs, rel err = max|a-b|/max|b| against the reference;
          writes WORK/NAME.check.json.
  all     (fourfold's python): runs export and check per model, each in its own subprocess (a
          crash or hang in one model does not take the others down), then writes the Markdown.

  source tools/env.sh
  python bench/frontend/torch_mlir_coverage.py all --tm-python /tmp/tmvenv/bin/python \\
      --work /tmp/tm_work --report bench/results/frontend-torch-mlir.md

Nothing here runs in the tests; torch-mlir is not a dependency of fourfold (install it by hand in a
separate venv: `python3 -m venv --system-site-packages /tmp/tmvenv && /tmp/tmvenv/bin/pip install
--no-deps torch-mlir==20261001`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MATCH_TOL = 1e-4  # rel err at or under this counts as a match (fp32, different summation orders)


# --------------------------------------------------------------------------- #
# Models (torch is imported lazily: the check mode does not need it)
# --------------------------------------------------------------------------- #

def _models():
    """name -> (module, inputs, what). Random init (seeded), eval mode, fp32, small sizes."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(0)

    def randomize_bn(module):
        # Non-trivial running statistics and affine parameters, so BatchNorm is not an identity.
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                with torch.no_grad():
                    m.running_mean.uniform_(-0.5, 0.5)
                    m.running_var.uniform_(0.5, 1.5)
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.5, 0.5)
        return module

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.fc3 = nn.Linear(32, 64), nn.Linear(64, 64), nn.Linear(64, 10)

        def forward(self, x):
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    def conv3x3(cin, cout, stride=1, groups=1):
        return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, groups=groups, bias=False)

    def conv1x1(cin, cout, stride=1):
        return nn.Conv2d(cin, cout, 1, stride=stride, bias=False)

    class BasicBlock(nn.Module):  # torchvision.models.resnet.BasicBlock
        expansion = 1

        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1, self.bn1 = conv3x3(inplanes, planes, stride), nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2, self.bn2 = conv3x3(planes, planes), nn.BatchNorm2d(planes)
            self.downsample = downsample

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            return self.relu(out + identity)

    class Bottleneck(nn.Module):  # torchvision.models.resnet.Bottleneck
        expansion = 4

        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1, self.bn1 = conv1x1(inplanes, planes), nn.BatchNorm2d(planes)
            self.conv2, self.bn2 = conv3x3(planes, planes, stride), nn.BatchNorm2d(planes)
            self.conv3, self.bn3 = conv1x1(planes, planes * 4), nn.BatchNorm2d(planes * 4)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = downsample

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            return self.relu(out + identity)

    class InvertedResidual(nn.Module):  # torchvision.models.mobilenetv2.InvertedResidual, stride 1
        def __init__(self, c, expand=6):
            super().__init__()
            hidden = c * expand
            self.block = nn.Sequential(
                nn.Conv2d(c, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
                conv3x3(hidden, hidden, groups=hidden), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
                nn.Conv2d(hidden, c, 1, bias=False), nn.BatchNorm2d(c))

        def forward(self, x):
            return x + self.block(x)

    class RNNOutput(nn.Module):  # the output sequence only (not the final states)
        def __init__(self, rnn):
            super().__init__()
            self.rnn = rnn

        def forward(self, x):
            return self.rnn(x)[0]

    class Fn(nn.Module):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def forward(self, *xs):
            return self.fn(*xs)

    def r(*shape):
        return torch.randn(*shape, dtype=torch.float32)

    models = {
        "mlp": (MLP(), (r(4, 32),), "3 Linear + ReLU"),
        "transformer_encoder_layer": (
            nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, batch_first=True,
                                       dropout=0.0), (r(2, 16, 64),),
            "nn.TransformerEncoderLayer(64, 4, 128), batch_first, dropout 0"),
        "resnet_basic_block": (
            BasicBlock(16, 32, stride=2, downsample=nn.Sequential(conv1x1(16, 32, 2), nn.BatchNorm2d(32))),
            (r(1, 16, 16, 16),), "BasicBlock 16->32, stride 2, 1x1 conv+BN downsample"),
        "resnet_bottleneck": (
            Bottleneck(32, 16, downsample=nn.Sequential(conv1x1(32, 64), nn.BatchNorm2d(64))),
            (r(1, 32, 16, 16),), "Bottleneck 32->16->64, 1x1 conv+BN downsample"),
        "mobilenetv2_inverted_residual": (
            InvertedResidual(16), (r(1, 16, 16, 16),),
            "expand 1x1 16->96, depthwise 3x3 groups=96, ReLU6, project 1x1, residual"),
        "lstm": (RNNOutput(nn.LSTM(16, 32, batch_first=True)), (r(2, 8, 16),),
                 "nn.LSTM(16, 32, batch_first), output sequence"),
        "gru": (RNNOutput(nn.GRU(16, 32, batch_first=True)), (r(2, 8, 16),),
                "nn.GRU(16, 32, batch_first), output sequence"),
        "sdpa": (Fn(lambda q, k, v: F.scaled_dot_product_attention(q, k, v)),
                 (r(2, 4, 16, 32), r(2, 4, 16, 32), r(2, 4, 16, 32)), "F.scaled_dot_product_attention"),
        "sdpa_causal": (Fn(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True)),
                        (r(2, 4, 16, 32), r(2, 4, 16, 32), r(2, 4, 16, 32)), "SDPA, is_causal=True"),
        "layernorm": (nn.LayerNorm(64), (r(4, 16, 64),), "nn.LayerNorm(64)"),
        "batchnorm2d": (nn.BatchNorm2d(16), (r(2, 16, 8, 8),), "nn.BatchNorm2d(16), eval"),
        "gelu": (nn.GELU(), (r(4, 256),), "nn.GELU() (erf)"),
        "gelu_tanh": (nn.GELU(approximate="tanh"), (r(4, 256),), "nn.GELU('tanh')"),
        "silu": (nn.SiLU(), (r(4, 256),), "nn.SiLU()"),
        "softmax": (nn.Softmax(dim=-1), (r(4, 16, 64),), "softmax over the last dim"),
        "maxpool2d": (nn.MaxPool2d(3, stride=2, padding=1), (r(1, 8, 16, 16),), "MaxPool2d(3, 2, pad 1)"),
        "avgpool2d": (nn.AvgPool2d(2), (r(1, 8, 16, 16),), "AvgPool2d(2)"),
        "adaptive_avgpool2d": (nn.AdaptiveAvgPool2d(1), (r(1, 8, 16, 16),), "AdaptiveAvgPool2d(1)"),
        "cat": (Fn(lambda a, b: torch.cat([a, b], dim=1)), (r(2, 8, 16), r(2, 4, 16)), "torch.cat dim 1"),
        "slice": (Fn(lambda x: x[:, 2:10:2, -4:] * 2.0), (r(2, 16, 16),), "x[:, 2:10:2, -4:] (strided)"),
        "reshape_permute": (Fn(lambda x: x.reshape(2, 8, 4, 16).permute(0, 2, 1, 3).reshape(2, 4, 128)),
                            (r(2, 8, 64),), "reshape, permute(0,2,1,3), reshape"),
    }
    for module, _, _ in models.values():
        randomize_bn(module).eval()
    return models


MODEL_NAMES = ["mlp", "transformer_encoder_layer", "resnet_basic_block", "resnet_bottleneck",
               "mobilenetv2_inverted_residual", "lstm", "gru", "sdpa", "sdpa_causal", "layernorm",
               "batchnorm2d", "gelu", "gelu_tanh", "silu", "softmax", "maxpool2d", "avgpool2d",
               "adaptive_avgpool2d", "cat", "slice", "reshape_permute"]


# --------------------------------------------------------------------------- #
# What the exported text contains
# --------------------------------------------------------------------------- #

_OP = re.compile(r"(?<![\w.%#^!])((?:linalg|tensor|arith|math|scf|tm_tensor|torch|torch_c|ml_program|"
                 r"bufferization|affine|cf|memref|func|complex|stablehlo|tosa)\.[a-z_][a-z_0-9.]*)\b")


def inventory(text: str) -> dict:
    """Op kinds and how the weights are embedded, from the MLIR text."""
    body, _, resources = text.partition("{-#")
    ops: dict[str, int] = {}
    for m in _OP.finditer(body):
        ops[m.group(1)] = ops.get(m.group(1), 0) + 1
    dense_resource = len(re.findall(r"dense_resource<", body))
    dense_splat = len(re.findall(r"arith\.constant dense<(?!\[)", body))
    dense_full = len(re.findall(r"arith\.constant dense<\[", body))
    blobs = re.findall(r':\s*"0x([0-9A-Fa-f]*)"', resources)
    return {
        "ops": dict(sorted(ops.items())),
        "dense_resource_constants": dense_resource,
        "dense_splat_constants": dense_splat,
        "dense_constants": dense_full,
        "resource_blob_bytes": sum(len(b) // 2 for b in blobs),
        "text_bytes": len(text.encode()),
        "body_bytes": len(body.encode()),
    }


def summarize_ops(ops: dict) -> str:
    """The op kinds a reader cares about: the named structured ops, generics, and anything that
    is not plain upstream linalg/tensor/arith/math."""
    keep = []
    for name, n in ops.items():
        if name in ("linalg.yield", "linalg.index", "func.func", "func.return", "tensor.empty",
                    "tensor.yield", "arith.constant", "scf.yield"):
            continue
        if name.startswith("arith.") or name.startswith("math."):
            continue
        keep.append(f"{name} x{n}")
    return ", ".join(keep)


# --------------------------------------------------------------------------- #
# export (torch-mlir's python)
# --------------------------------------------------------------------------- #

def first_line(e: BaseException) -> str:
    lines = [ln.strip() for ln in str(e).strip().splitlines() if ln.strip()]
    return f"{type(e).__name__}: {lines[0] if lines else ''}"


def do_export(work: Path, names: list[str]):
    import numpy as np
    import torch
    import torch_mlir
    from torch_mlir import fx

    work.mkdir(parents=True, exist_ok=True)
    models = _models()
    for name in names:
        module, inputs, what = models[name]
        rec = {"name": name, "what": what, "torch": torch.__version__,
               "torch_mlir": getattr(torch_mlir, "__version__", None)}
        try:
            from importlib.metadata import version
            rec["torch_mlir"] = version("torch-mlir")
        except Exception:
            pass
        with torch.no_grad():
            ref = module(*inputs)
        for i, x in enumerate(inputs):
            np.save(work / f"{name}.in{i}.npy", x.numpy())
        np.save(work / f"{name}.ref.npy", ref.numpy())
        start = time.perf_counter()
        try:
            mlir_module = fx.export_and_import(module, *inputs, output_type="linalg-on-tensors")
            text = str(mlir_module)
            rec.update(export_ok=True, export_s=time.perf_counter() - start)
            (work / f"{name}.mlir").write_text(text)
            rec.update(inventory(text))
        except Exception as e:  # noqa: BLE001 - any failure is a result
            rec.update(export_ok=False, export_s=time.perf_counter() - start, export_error=first_line(e))
        (work / f"{name}.export.json").write_text(json.dumps(rec, indent=1))
        status = "ok" if rec["export_ok"] else rec["export_error"]
        print(f"export {name}: {status} ({rec['export_s']:.2f} s)", flush=True)


# --------------------------------------------------------------------------- #
# check (fourfold's python)
# --------------------------------------------------------------------------- #

def do_check(work: Path, names: list[str]):
    import numpy as np

    import fourfold
    from fourfold import pipeline
    from fourfold.errors import CompileError

    for name in names:
        rec = {"name": name, **_provenance()}
        path = work / f"{name}.mlir"
        if not path.exists():
            rec["skipped"] = "no exported text"
            (work / f"{name}.check.json").write_text(json.dumps(rec, indent=1))
            print(f"check {name}: no exported text", flush=True)
            continue
        text = path.read_text()
        try:
            pipeline.parse(text, name=f"{name}.mlir")
            rec["parse_ok"] = True
        except CompileError as e:
            rec.update(parse_ok=False, parse_error=e.diagnostics[0] if e.diagnostics else str(e))
        except Exception as e:  # noqa: BLE001
            rec.update(parse_ok=False, parse_error=first_line(e))
        if rec["parse_ok"]:
            start = time.perf_counter()
            try:
                compiled = fourfold.compile(text)
                rec.update(compile_ok=True, compile_s=time.perf_counter() - start)
            except CompileError as e:
                diag = next((d for d in e.diagnostics if "error" in d.lower()), None) or \
                    (e.diagnostics[0] if e.diagnostics else "")
                rec.update(compile_ok=False, compile_s=time.perf_counter() - start, compile_stage=e.stage,
                           compile_error=(str(e).splitlines()[0] + (f": {diag.strip()}" if diag else "")))
            except Exception as e:  # noqa: BLE001
                rec.update(compile_ok=False, compile_s=time.perf_counter() - start, compile_error=first_line(e))
            if rec["compile_ok"]:
                inputs = [np.load(p) for p in sorted(work.glob(f"{name}.in*.npy"))]
                ref = np.load(work / f"{name}.ref.npy")
                try:
                    got = compiled(*inputs)
                    if isinstance(got, tuple):
                        got = got[0]
                    if got.shape != ref.shape:
                        rec.update(run_ok=False, run_error=f"shape {got.shape} != reference {ref.shape}")
                    else:
                        err = float(np.max(np.abs(got - ref)) / max(1e-30, float(np.max(np.abs(ref)))))
                        rec.update(run_ok=True, rel_err=err, match=bool(err <= MATCH_TOL))
                except Exception as e:  # noqa: BLE001
                    rec.update(run_ok=False, run_error=first_line(e))
            if not rec.get("match"):
                # Whose fault: the same text through the default pipeline less roller (upstream
                # loops instead of roller's tiled, vectorised nests).
                rec["no_roller"] = _try_pipeline(text, work, name, fourfold.Pipeline.cpu(roller=False))
        (work / f"{name}.check.json").write_text(json.dumps(rec, indent=1))
        print(f"check {name}: {json.dumps({k: v for k, v in rec.items() if k != 'name'})}", flush=True)


def _try_pipeline(text, work, name, pipe) -> str:
    import numpy as np

    import fourfold
    try:
        compiled = fourfold.compile(text, pipeline=pipe)
    except Exception as e:  # noqa: BLE001
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
        return "compile fails: " + " ".join(lines[:2])
    got = compiled(*[np.load(p) for p in sorted(work.glob(f"{name}.in*.npy"))])
    ref = np.load(work / f"{name}.ref.npy")
    err = float(np.max(np.abs(got - ref)) / max(1e-30, float(np.max(np.abs(ref)))))
    return f"{'matches' if err <= MATCH_TOL else 'MISMATCH'} (rel err {err:.1e})"


def _provenance() -> dict:
    import fourfold
    package = Path(fourfold.__file__).parent
    stamp = package.parent / "COMMIT"
    if stamp.exists():
        commit = stamp.read_text().strip() + " (snapshot)"
    else:
        commit = subprocess.run(["git", "-C", str(package.resolve()), "describe", "--always", "--dirty"],
                                capture_output=True, text=True).stdout.strip() or "?"
    return {"fourfold_package": str(package), "fourfold_commit": commit}


def do_snapshot(dest: Path):
    """DEST/fourfold: build/python_packages/fourfold with the Python files of python/fourfold as
    committed at HEAD (not the working tree's), and DEST/COMMIT. For measuring a committed state
    while someone else edits python/fourfold; the native libraries are the build's as they are."""
    import shutil

    root = HERE.parent.parent
    src_tree = root / "python" / "fourfold"
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=True).stdout.strip()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copytree(root / "build" / "python_packages" / "fourfold", dest / "fourfold", symlinks=True)
    for link in sorted((dest / "fourfold").rglob("*")):
        if not link.is_symlink():
            continue
        target = Path(os.readlink(link))
        if not target.is_absolute() or src_tree not in target.parents:
            continue
        rel = target.relative_to(root).as_posix()
        link.unlink()
        shown = subprocess.run(["git", "-C", str(root), "show", f"HEAD:{rel}"], capture_output=True)
        if shown.returncode == 0:
            link.write_bytes(shown.stdout)
    (dest / "COMMIT").write_text(commit + "\n")
    print(f"snapshot of fourfold at {commit} in {dest}")


# --------------------------------------------------------------------------- #
# all: drive both, then the report
# --------------------------------------------------------------------------- #

def _run(cmd, env, timeout, log):
    start = time.perf_counter()
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        log.write(p.stdout + p.stderr)
        return p.returncode, p.stdout + p.stderr, time.perf_counter() - start
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        log.write(out)
        return None, out, time.perf_counter() - start


def _crash_note(rc, out):
    if rc is None:
        return "timed out"
    tail = [ln for ln in out.strip().splitlines() if ln.strip()][-1:] or [""]
    return f"process exited {rc}: {tail[0][:200]}"


def do_all(args):
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    names = args.only or MODEL_NAMES
    me = str(Path(__file__).resolve())
    # torch-mlir's process gets no PYTHONPATH: fourfold's MLIR bindings stay out of it.
    tm_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    ff_env = dict(os.environ)
    if args.fourfold_path:
        ff_env["PYTHONPATH"] = args.fourfold_path
    with open(work / "driver.log", "w") as log:
        for name in names:
            for f in work.glob(f"{name}.*"):
                f.unlink()
            rc, out, _ = _run([args.tm_python, me, "export", "--work", str(work), "--only", name],
                              tm_env, args.timeout, log)
            print(out.strip(), flush=True)
            if rc != 0 and not (work / f"{name}.export.json").exists():
                (work / f"{name}.export.json").write_text(json.dumps(
                    {"name": name, "export_ok": False, "export_error": _crash_note(rc, out)}))
            rc, out, _ = _run([sys.executable, me, "check", "--work", str(work), "--only", name],
                              ff_env, args.timeout, log)
            print(out.strip(), flush=True)
            if rc != 0 and not (work / f"{name}.check.json").exists():
                rec = {"name": name}
                # A crash: say where (after parse or during compile) from what the child printed.
                rec.update(crash=_crash_note(rc, out))
                (work / f"{name}.check.json").write_text(json.dumps(rec))
    if args.report:
        write_report(work, names, Path(args.report), args)


def _cell_ok(b):
    return "yes" if b else "**no**"


def write_report(work: Path, names, report: Path, args):
    import platform

    rows = []
    exports, checks = {}, {}
    for name in names:
        ex = json.loads((work / f"{name}.export.json").read_text())
        ck = json.loads((work / f"{name}.check.json").read_text())
        exports[name], checks[name] = ex, ck
    versions = next((e for e in exports.values() if e.get("torch_mlir")), {})
    package = next((c["fourfold_package"] for c in checks.values() if c.get("fourfold_package")), "?")
    commit = next((c["fourfold_commit"] for c in checks.values() if c.get("fourfold_commit")), "?")
    counts = {"export": 0, "parse": 0, "compile": 0, "match": 0}
    for name in names:
        ex, ck = exports[name], checks[name]
        notes = []
        if not ex.get("export_ok"):
            exp = f"**no**: {ex.get('export_error', '')}"
            parse = comp = match = "-"
        else:
            counts["export"] += 1
            exp = f"yes ({ex['export_s']:.1f} s)"
            if "crash" in ck:
                parse, comp, match = "?", f"**crash**: {ck['crash']}", "-"
            elif not ck.get("parse_ok"):
                parse, comp, match = f"**no**: `{ck.get('parse_error', '')}`", "-", "-"
            else:
                counts["parse"] += 1
                parse = "yes"
                if not ck.get("compile_ok"):
                    comp, match = f"**no**: {ck.get('compile_error', '')}", "-"
                else:
                    counts["compile"] += 1
                    comp = f"yes ({ck['compile_s']:.1f} s)"
                    if not ck.get("run_ok"):
                        match = f"**no**: {ck.get('run_error', '')}"
                    else:
                        counts["match"] += int(ck["match"])
                        match = f"{'yes' if ck['match'] else '**no**'} ({ck['rel_err']:.1e})"
            if ck.get("no_roller"):
                notes.append(f"same text with Pipeline.cpu(roller=False): {ck['no_roller']}")
            notes.append("ops: " + summarize_ops(ex["ops"]))
            w = []
            if ex["dense_resource_constants"]:
                w.append(f"{ex['dense_resource_constants']} dense_resource ({ex['resource_blob_bytes']} B)")
            if ex["dense_constants"]:
                w.append(f"{ex['dense_constants']} dense<[...]>")
            if ex.get("dense_splat_constants"):
                w.append(f"{ex['dense_splat_constants']} splat dense<>")
            notes.append("constants: " + (", ".join(w) if w else "none"))
            notes.append(f"text {ex['text_bytes'] / 1024:.1f} KiB")
        cells = [name, exp, parse, comp, match, "; ".join(n for n in notes if n)]
        rows.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")

    n = len(names)
    lines = [
        "# torch-mlir (linalg-on-tensors text) into fourfold's MLIR 22.1.8",
        "",
        f"Machine: this dev machine, AMD EPYC, 2 cores, x86_64. Date: 2026-11-24. "
        f"Python {platform.python_version()}, torch {versions.get('torch')}, "
        f"torch-mlir {versions.get('torch_mlir')} (in its own venv, installed with `--no-deps` over the "
        f"system torch; it embeds its own MLIR/LLVM 24.0.0git). fourfold: the package at `{package}` "
        f"(commit {commit}).",
        "",
        "Command:",
        "",
        "```sh",
        "python3 -m venv --system-site-packages /tmp/tmvenv",
        "/tmp/tmvenv/bin/pip install --no-deps torch-mlir==20261001",
        "source tools/env.sh",
        *([f"python bench/frontend/torch_mlir_coverage.py snapshot --fourfold-path {args.fourfold_path}"]
          if getattr(args, "fourfold_path", None) else []),
        f"python bench/frontend/torch_mlir_coverage.py all --tm-python {args.tm_python} "
        f"--work {args.work} --report {report}"
        + (f" --fourfold-path {args.fourfold_path}" if getattr(args, "fourfold_path", None) else ""),
        "```",
        "",
        "Per model: `torch_mlir.fx.export_and_import(model, *inputs, output_type=\"linalg-on-tensors\")` "
        "in the venv (export time in brackets), the text saved; then in another process "
        "`fourfold.pipeline.parse(text)` and `fourfold.compile(text)` (CPU, default pipeline, compile time "
        "in brackets), run on the same inputs and compared with PyTorch eager: rel err = "
        f"max|a-b|/max|b|, a match at <= {MATCH_TOL:g}. Models are random-initialised, eval mode, fp32, "
        "small (BatchNorm with random running statistics).",
        "",
        f"Totals: {counts['export']}/{n} export, {counts['parse']}/{n} parse in 22.1.8, "
        f"{counts['compile']}/{n} compile, {counts['match']}/{n} match.",
        "",
        "| model | torch-mlir export | parses in 22.1.8 | fourfold.compile (CPU) | matches (rel err) | notes: "
        "op kinds in torch-mlir's output (arith/math left out), constants (weights are the dense_resource ones), text size |",
        "|---|---|---|---|---|---|",
    ]
    lines += rows
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(lines) + "\n")
    print(f"wrote {report}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["export", "check", "all", "report", "snapshot"])
    ap.add_argument("--work", default="/tmp/tm_work", help="where texts, inputs and results go")
    ap.add_argument("--only", nargs="*", help="these models only (default: all)")
    ap.add_argument("--tm-python", default="/tmp/tmvenv/bin/python", help="python of torch-mlir's venv")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per model and step (all)")
    ap.add_argument("--report", help="Markdown to write (all, report)")
    ap.add_argument("--fourfold-path", help="PYTHONPATH for the check processes (default: as inherited, "
                    "i.e. tools/env.sh's build/python_packages)")
    args = ap.parse_args()
    names = args.only or MODEL_NAMES
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown:
        ap.error(f"unknown model(s) {unknown}; known: {', '.join(MODEL_NAMES)}")
    if args.mode == "snapshot":
        if not args.fourfold_path:
            ap.error("snapshot needs --fourfold-path DIR")
        do_snapshot(Path(args.fourfold_path))
    elif args.mode == "export":
        do_export(Path(args.work), names)
    elif args.mode == "check":
        do_check(Path(args.work), names)
    elif args.mode == "all":
        do_all(args)
    else:
        write_report(Path(args.work), names, Path(args.report), args)


if __name__ == "__main__":
    main()
