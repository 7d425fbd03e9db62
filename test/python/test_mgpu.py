"""The mgpu* runtime (lib/Runtime/CudaRuntimeWrappers.c) under upstream gpu-to-llvm host code, on
this GPU-less machine: a stand-in driver (fake_cuda/libcuda.c) does the memory calls on host
memory and logs module loads and launches, so the tests check what the host code asks of the
driver (every kernel module loaded, every launch with the plan's grid and block, every buffer
freed) and that driver errors come back as Python errors. Kernels do not run here; numerics on a
GPU are for a lent device. Each scenario runs in its own process: the driver is chosen once per
process."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import fourfold
from fourfold import mgpu

HERE = os.path.dirname(os.path.abspath(__file__))

SCENARIO = textwrap.dedent("""
    import json, sys
    import numpy as np
    import fourfold
    from fourfold.errors import FourfoldError
    from fourfold.examples import torch_models as zoo

    name, assemble = sys.argv[1], sys.argv[2] == "1"
    model, inputs = zoo.get(name)
    compiled = fourfold.compile(model, inputs, target="sm_90", assemble=assemble, cache=False)
    art = compiled.compiled
    arrays = compiled.numpy_inputs(*inputs) + list(compiled.program.params)
    try:
        launches = [(s["grid"], s["block"]) for s in art.plan["steps"] if s["op"] == "launch"]
    except FourfoldError:  # host control flow: no flat plan
        launches = None
    try:
        out = art.mgpu()(*arrays)
        result = {"ok": True, "shape": list(np.shape(out if not isinstance(out, tuple) else out[0]))}
    except FourfoldError as e:
        result = {"ok": False, "error": str(e)}
    result.update(modules=len(art.modules), launches=launches)
    print("RESULT " + json.dumps(result))
""")


@pytest.fixture(scope="module")
def fake_driver(tmp_path_factory):
    clang = shutil.which("clang-22") or shutil.which("clang")
    if clang is None:
        pytest.skip("no clang to build the stand-in driver")
    out = str(tmp_path_factory.mktemp("fake_cuda") / "libcuda.so")
    subprocess.run([clang, "-std=c11", "-shared", "-fPIC", "-O1", os.path.join(HERE, "fake_cuda", "libcuda.c"),
                    "-o", out], check=True)
    return out


def run_scenario(tmp_path, driver, model="mlp", assemble=True, fail=None):
    log = tmp_path / "driver.log"
    env = dict(os.environ, FOURFOLD_LIBCUDA=driver, FAKE_CUDA_LOG=str(log), FOURFOLD_NO_CACHE="1")
    if fail:
        env["FAKE_CUDA_FAIL"] = fail
    proc = subprocess.run([sys.executable, "-c", SCENARIO, model, "1" if assemble else "0"],
                          capture_output=True, text=True, env=env, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout + proc.stderr
    import json

    calls = log.read_text().splitlines() if log.exists() else []
    return json.loads(lines[-1][len("RESULT "):]), calls, proc.stderr


def test_runtime_library_is_built():
    assert os.path.exists(mgpu.runtime_library())


@pytest.mark.parametrize("model", ["mlp", "encoder"])
def test_host_code_drives_every_launch_of_the_plan(tmp_path, fake_driver, model):
    result, calls, _ = run_scenario(tmp_path, fake_driver, model)
    assert result["ok"], result
    loads = [c for c in calls if c.startswith("load")]
    assert loads == ["load cubin"] * result["modules"]  # every gpu.binary, as ptxas's cubin
    launched = [tuple(map(int, c.split()[2:8])) for c in calls if c.startswith("launch ")]
    planned = [tuple(g) + tuple(b) for g, b in result["launches"]]
    assert launched == planned  # the same kernels, grids and blocks, in the plan's order
    assert all(c.endswith(" params") for c in calls if c.startswith("launch "))
    allocated = sum(c.startswith("managed") for c in calls)
    assert allocated and allocated == sum(c == "free" for c in calls)  # every buffer freed
    assert sum(c == "unload" for c in calls) == result["modules"]


def test_ptx_is_compiled_by_the_driver_without_cubins(tmp_path, fake_driver):
    result, calls, _ = run_scenario(tmp_path, fake_driver, assemble=False)
    assert result["ok"], result
    assert [c for c in calls if c.startswith("load")] == ["loadjit ptx"] * result["modules"]


def test_driver_errors_raise(tmp_path, fake_driver):
    result, _, stderr = run_scenario(tmp_path, fake_driver, fail="cuLaunchKernel")
    assert not result["ok"]
    assert "cuLaunchKernel" in result["error"] and "CUDA_ERROR_ILLEGAL_ADDRESS" in result["error"]
    assert "failed on the GPU" in result["error"]


def test_no_driver_is_an_error_not_a_crash(tmp_path):
    result, calls, _ = run_scenario(tmp_path, str(tmp_path / "no-such-libcuda.so"))
    assert not result["ok"] and "no CUDA driver" in result["error"]
    assert calls == []


@pytest.mark.parametrize("model", ["seq2seq", "blockdrop"])
def test_host_control_flow_runs_on_shared_buffers(tmp_path, fake_driver, model):
    """Loops and branches left on the host read kernel results from shared buffers between
    launches; with the stand-in driver the kernels do not run, so only the host side is checked:
    it lowers, runs, loads every module and frees every buffer."""
    result, calls, _ = run_scenario(tmp_path, fake_driver, model)
    assert result["ok"], result
    assert [c for c in calls if c.startswith("load")] == ["load cubin"] * result["modules"]
    assert any(c.startswith("launch ") for c in calls)
    assert sum(c.startswith("managed") for c in calls) == sum(c == "free" for c in calls)
