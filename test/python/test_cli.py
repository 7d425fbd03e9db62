"""The `fourfold` command line: compile, run --check, bench, report (on tiny zoo models)."""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")


def fourfold(*args, cwd=None):
    env = dict(os.environ, FOURFOLD_NO_CACHE="1")
    return subprocess.run([sys.executable, "-m", "fourfold", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)


def test_compile_writes_stages(tmp_path):
    r = fourfold("compile", "mlp", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "compiled for cpu" in r.stdout and "welder" in r.stdout
    for stage in ("import", "welder", "roller", "rammer", "llvm"):
        assert (tmp_path / f"{stage}.mlir").exists()


def test_compile_gpu_artifact(tmp_path):
    r = fourfold("compile", "mlp", "--target", "sm_90", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "plan.json").exists() and (tmp_path / "weights.npz").exists()


def test_run_check_and_switches():
    r = fourfold("run", "resnet-basic", "--check", "--no-welder", "--no-rammer")
    assert r.returncode == 0, r.stderr
    assert "check vs PyTorch eager" in r.stdout and "OK" in r.stdout


def test_run_mlir_file(tmp_path):
    from fourfold import examples

    path = tmp_path / "mlp.mlir"
    path.write_text(examples.source("mlp"))
    r = fourfold("run", str(path), "--save", str(tmp_path / "out.npz"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out.npz").exists()


def test_bad_model_is_an_error_not_a_trace():
    r = fourfold("run", "no-such-model")
    assert r.returncode == 2 and "no model 'no-such-model'" in r.stderr and "Traceback" not in r.stderr


def test_bench_json(tmp_path):
    out = tmp_path / "b.json"
    r = fourfold("bench", "mlp", "--repeat", "3", "--json", str(out))
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert data["rows"][0]["model"] == "mlp" and data["rows"][0]["fourfold_us"] > 0
    assert "bench [" in r.stderr  # the progress display


def test_report(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "r.md"
    r = fourfold("report", "encoder", "--size", "tiny", "--repeat", "3", "-o", str(out))
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "welder" in text and "rammer" in text and "grinder" in text
    pics = tmp_path / "r-files"
    for pic in ("welder.png", "kernels.png", "rammer0.png"):
        assert (pics / pic).stat().st_size > 1000
