"""The benchmark harness keeps working: its smoke mode (tiny operators, seconds) runs end to end."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_roller_bench_smoke(tmp_path):
    pytest.importorskip("torch", reason="the harness compares against PyTorch")
    out = tmp_path / "smoke.json"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "roller", "run.py"), "--smoke", "--threads", "1",
                    "--repeat", "3", "--out", str(out)], check=True, capture_output=True, text=True)
    result = json.loads(out.read_text())
    rows = result["threads"]["1"]
    assert set(rows) == {"matmul_5x7x3", "reduce_3x17", "conv_6x6x2x3_k3"}
    assert all("error" not in r and r["max_rel_error"] <= 1e-4 for r in rows.values())
    assert "machine" in result["meta"] and "date" in result["meta"]
    assert (tmp_path / "smoke.md").read_text().startswith("# Roller on the CPU")


def test_welder_bench_smoke(tmp_path):
    pytest.importorskip("torch", reason="the harness compares against PyTorch")
    out = tmp_path / "welder.json"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "welder", "run.py"), "--smoke", "--threads", "1",
                    "--repeat", "3", "--no-inductor", "--out", str(out)], check=True, capture_output=True, text=True)
    rows = json.loads(out.read_text())["threads"]["1"]
    assert set(rows) == {"bert_layer", "resnet_basic_block", "mobilenet_v2_block", "nerf_mlp"}
    for row in rows.values():
        assert "error" not in row
        assert row["kernels_welder"] < row["kernels_unfused"]
        assert row["bytes_welder"] < row["bytes_unfused"]
    assert (tmp_path / "welder.md").read_text().startswith("# Welder on the CPU")


def test_rammer_bench_smoke(tmp_path):
    pytest.importorskip("torch", reason="the harness compares against PyTorch")
    out = tmp_path / "rammer.json"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "rammer", "run.py"), "--smoke", "--threads", "1",
                    "--repeat", "3", "--out", str(out)], check=True, capture_output=True, text=True)
    rows = json.loads(out.read_text())["threads"]["1"]
    assert set(rows) == {"inception_b1", "lstm_b1"}
    for row in rows.values():
        assert "error" not in row and row["torch_rel_error"] <= 1e-4
        assert row["fourfold_launches"] <= row["no_rammer_launches"]
    # The inception branches stay apart after welder: rammer co-schedules them.
    assert rows["inception_b1"]["fourfold_launches"] < rows["inception_b1"]["no_rammer_launches"]
    assert (tmp_path / "rammer.md").read_text().startswith("# Rammer on the CPU")


def test_grinder_bench_smoke(tmp_path):
    pytest.importorskip("torch", reason="the harness compares against PyTorch")
    out = tmp_path / "grinder.json"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "grinder", "run.py"), "--smoke", "--threads", "1",
                    "--repeat", "3", "--out", str(out)], check=True, capture_output=True, text=True)
    rows = json.loads(out.read_text())["threads"]["1"]
    assert set(rows) == {"lstm_b1", "seq2seq_b1"}
    for row in rows.values():
        assert "error" not in row and row["torch_rel_error"] <= 1e-4
        for place in ("auto", "host", "device", "block"):
            assert row[f"{place}_rel_error"] <= 1e-4
    lstm = rows["lstm_b1"]
    # Host: a region per kernel and step; device: one; block: none.
    assert lstm["host_regions"] > lstm["device_regions"] == 1 and lstm["block_regions"] == 0
    assert (tmp_path / "grinder.md").read_text().startswith("# Grinder on the CPU")


def test_harness_smoke(tmp_path):
    """The side-by-side harness (bench/harness): every system of its smoke set compiles every tiny
    case, matches PyTorch and gets timed; the report and its plots are written from the JSON."""
    pytest.importorskip("torch", reason="the harness compares against PyTorch")
    out = tmp_path / "harness.json"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "harness", "run.py"), "--smoke", "--threads", "1",
                    "--out", str(out)], check=True, capture_output=True, text=True)
    result = json.loads(out.read_text())
    rows = result["threads"]["1"]
    assert set(rows) == {"mlp", "resnet-basic", "seq2seq", "matmul_5x7x3", "conv_3x6x6_k3"}
    for case, systems in rows.items():
        assert set(systems) == {"fourfold", "fourfold-no-welder", "eager", "numpy"}
        for name, r in systems.items():
            if "skipped" in r:  # numpy runs the matmul only; welder has nothing to fuse in one operator
                assert (name == "numpy" and case != "matmul_5x7x3") or \
                    (name == "fourfold-no-welder" and case in ("matmul_5x7x3", "conv_3x6x6_k3"))
                continue
            assert "error" not in r, (case, name, r)
            assert r["rel_error"] <= 1e-4 and r["samples"] >= 2 and r["median_s"] > 0
    # welder's modelled traffic is reported, and the fused residual block moves fewer bytes
    f = rows["resnet-basic"]["fourfold"]
    assert f["bytes"] < f["bytes_unfused"] and f["kernels"] < f["kernels_unfused"]
    assert {"machine", "date", "versions", "command"} <= set(result["meta"])
    md = (tmp_path / "harness.md").read_text()
    assert md.startswith("# fourfold against the alternatives") and "| resnet-basic |" in md
    for picture in ("speedup", "compile", "traffic"):
        assert (tmp_path / f"harness-{picture}.png").stat().st_size > 0


def test_harness_gpu_build(tmp_path):
    """The GPU half of the harness builds here what a lent GPU runs: the artifact, the inputs and
    PyTorch's output per model, and a build record that says what did not compile and why."""
    pytest.importorskip("torch", reason="the harness compares against PyTorch")
    out = tmp_path / "gpu"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "harness", "gpu.py"), "build", str(out), "sm_90",
                    "--size", "tiny", "--cases", "^mlp$"], check=True, capture_output=True, text=True)
    built = json.loads((out / "build.json").read_text())
    assert built["chip"] == "sm_90" and "error" not in built["models"]["mlp"]
    assert built["models"]["mlp"]["kernels"] >= 1
    assert {"plan.json", "weights.npz", "io.npz"} <= {p.name for p in (out / "mlp").iterdir()}
