"""The on-disk compile cache (fourfold.cache): hits, misses, corrupt entries, the off switches, GPU."""

import json
import os
import warnings

import numpy as np
import pytest

import fourfold
import fourfold.cache
from fourfold.compiler import find_ptxas
from fourfold.examples import programs

from test_compile_cpu import INPLACE, REDUCTION, matmul_src

with open(os.path.join(os.path.dirname(fourfold.__file__), "examples", "mlp.mlir")) as _f:
    MLP = _f.read()


def gelu(x):
    return 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x**3)))


def mlp_inputs(rng):
    shapes = [(8, 64), (64, 256), (256,), (256, 32), (32,)]
    return [rng.standard_normal(s, dtype=np.float32) for s in shapes]


def mlp_ref(x, w1, b1, w2, b2):
    return gelu(x @ w1 + b1) @ w2 + b2


def entries(directory):
    return sorted(n for n in os.listdir(directory) if not n.startswith(".")) if os.path.isdir(directory) else []


def test_second_compile_hits(tmp_path, rng):
    first = fourfold.compile(MLP, cache=str(tmp_path))
    assert first.cache_hit is False and len(first.cache_key) == 64
    assert entries(tmp_path) == [first.cache_key]
    second = fourfold.compile(MLP, cache=str(tmp_path))
    assert second.cache_hit is True and second.cache_key == first.cache_key
    inputs = mlp_inputs(rng)
    out = second(*inputs)
    np.testing.assert_array_equal(out, first(*inputs))  # the same machine code, the same bits
    np.testing.assert_allclose(out, mlp_ref(*inputs), rtol=1e-4, atol=1e-4)
    # The stages, their timings and the final module come back with the entry.
    assert second.stages == first.stages and second.compilation.input_ir == first.compilation.input_ir
    assert second.compilation.timings == pytest.approx(first.compilation.timings)
    assert str(second.compilation.module) == str(first.compilation.module)
    assert fourfold.cache.info(str(tmp_path))["entries"] == 1


def test_hit_keeps_calling_convention(tmp_path, rng):
    """Several results, a scalar argument, and the caller's arrays untouched on a hit."""
    fourfold.compile(REDUCTION, cache=str(tmp_path))
    fn = fourfold.compile(REDUCTION, cache=str(tmp_path))
    assert fn.cache_hit
    x = rng.standard_normal((13, 257), dtype=np.float32)
    s, m = fn(x)
    np.testing.assert_allclose(s, x.sum(axis=1), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(m, x.max(axis=0))

    fourfold.compile(INPLACE, cache=str(tmp_path))
    fn = fourfold.compile(INPLACE, cache=str(tmp_path))
    assert fn.cache_hit
    x = rng.standard_normal(6, dtype=np.float32)
    before = x.copy()
    np.testing.assert_allclose(fn(x, 2.5), before * 2.5, rtol=1e-6)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("change", ["ir", "opt_level", "target", "name", "threads"])
def test_changes_miss(tmp_path, change, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    base = fourfold.compile(matmul_src(5, 6, 7), cache=str(tmp_path))
    if change == "threads":  # the host target models the cores OpenMP will use
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        other = fourfold.compile(matmul_src(5, 6, 7), cache=str(tmp_path))
    elif change == "ir":
        other = fourfold.compile(matmul_src(5, 6, 8), cache=str(tmp_path))
    elif change == "opt_level":
        other = fourfold.compile(matmul_src(5, 6, 7), opt_level=2, cache=str(tmp_path))
    elif change == "target":
        other = fourfold.compile(matmul_src(5, 6, 7), target="sm_90", assemble=False, cache=str(tmp_path))
    else:  # the same function under another name is other code
        other = fourfold.compile(programs.matmul(5, 6, 7, name="mm"), cache=str(tmp_path))
    assert other.cache_hit is False and other.cache_key != base.cache_key
    assert len(entries(tmp_path)) == 2


def test_whitespace_and_comments_hit(tmp_path):
    """The key reads the parsed IR, so layout and comments of the text do not matter."""
    fourfold.compile(matmul_src(5, 6, 7), cache=str(tmp_path))
    again = fourfold.compile("// the same matmul\n" + matmul_src(5, 6, 7).replace("  ", "    "), cache=str(tmp_path))
    assert again.cache_hit


@pytest.mark.parametrize("damage", ["truncate-so", "flip-so", "truncate-meta", "remove-ir"])
def test_corrupt_entry_is_recompiled(tmp_path, rng, damage):
    first = fourfold.compile(MLP, cache=str(tmp_path))
    entry = tmp_path / first.cache_key
    if damage == "truncate-so":
        size = os.path.getsize(entry / "module.so")
        os.truncate(entry / "module.so", size // 2)
    elif damage == "flip-so":
        data = bytearray((entry / "module.so").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (entry / "module.so").write_bytes(bytes(data))
    elif damage == "truncate-meta":
        os.truncate(entry / "meta.json", 10)
    else:
        os.remove(entry / "ir.json.gz")
    second = fourfold.compile(MLP, cache=str(tmp_path))
    assert second.cache_hit is False and second.cache_key == first.cache_key
    third = fourfold.compile(MLP, cache=str(tmp_path))  # the entry was rewritten whole
    assert third.cache_hit is True
    inputs = mlp_inputs(rng)
    np.testing.assert_allclose(third(*inputs), mlp_ref(*inputs), rtol=1e-4, atol=1e-4)
    assert entries(tmp_path) == [first.cache_key]
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]  # no temporaries left


def test_cache_false_never_writes(tmp_path, monkeypatch):
    monkeypatch.setenv("FOURFOLD_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("FOURFOLD_NO_CACHE", raising=False)
    fn = fourfold.compile(matmul_src(4, 4, 4), cache=False)
    assert fn.cache_hit is False and fn.cache_key is None
    # Nor do the candidates top_k compiles while tuning.
    fn = fourfold.compile(matmul_src(16, 16, 16), top_k=2, cache=False)
    assert fn.cache_hit is False and fn.tuning is not None
    assert os.listdir(tmp_path) == []


def test_environment_switches(tmp_path, monkeypatch):
    monkeypatch.setenv("FOURFOLD_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("FOURFOLD_NO_CACHE", "1")
    assert fourfold.compile(matmul_src(4, 4, 4)).cache_key is None
    assert os.listdir(tmp_path) == []
    monkeypatch.delenv("FOURFOLD_NO_CACHE")
    assert fourfold.cache.default_directory() == str(tmp_path)
    assert fourfold.compile(matmul_src(4, 4, 4)).cache_hit is False
    assert fourfold.compile(matmul_src(4, 4, 4)).cache_hit is True
    monkeypatch.delenv("FOURFOLD_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert fourfold.cache.default_directory() == str(tmp_path / "xdg" / "fourfold" / "compiled")


def test_keep_ir(tmp_path):
    """An entry written without the IR does not serve a compile that wants it (it is rewritten
    with it); one with the IR serves both."""
    lean = fourfold.compile(matmul_src(3, 5, 7), keep_ir=False, cache=str(tmp_path))
    assert lean.stages == {}
    assert fourfold.compile(matmul_src(3, 5, 7), keep_ir=False, cache=str(tmp_path)).cache_hit
    full = fourfold.compile(matmul_src(3, 5, 7), cache=str(tmp_path))
    assert full.cache_hit is False and "llvm" in full.stages
    full = fourfold.compile(matmul_src(3, 5, 7), cache=str(tmp_path))
    assert full.cache_hit and "llvm" in full.stages
    lean = fourfold.compile(matmul_src(3, 5, 7), keep_ir=False, cache=str(tmp_path))
    assert lean.cache_hit and lean.stages == {} and lean.compilation.input_ir == ""


def test_link_failure_warns_and_compiles(tmp_path, monkeypatch, rng):
    def no_linker(*args, **kwargs):
        raise RuntimeError("neither clang nor ld.lld found")

    monkeypatch.setattr(fourfold.cache, "link_shared_library", no_linker)
    with pytest.warns(fourfold.cache.CacheWarning, match="not cached"):
        fn = fourfold.compile(MLP, cache=str(tmp_path))
    inputs = mlp_inputs(rng)
    np.testing.assert_allclose(fn(*inputs), mlp_ref(*inputs), rtol=1e-4, atol=1e-4)
    assert os.listdir(tmp_path) == []  # and no half-written entry


def test_top_k_hit_skips_tuning(tmp_path):
    first = fourfold.compile(matmul_src(16, 16, 16), top_k=2, cache=str(tmp_path))
    assert len(entries(tmp_path)) > 1  # the tuning candidates went to the same directory
    second = fourfold.compile(matmul_src(16, 16, 16), top_k=2, cache=str(tmp_path))
    assert second.cache_hit and second.tuning is not None
    assert [o.chosen for o in second.tuning.operators] == [o.chosen for o in first.tuning.operators]
    a = np.ones((16, 16), np.float32)
    np.testing.assert_allclose(second(a, a), a @ a)


def test_info_and_clear(tmp_path):
    fourfold.compile(matmul_src(2, 3, 4), cache=str(tmp_path))
    fourfold.compile(matmul_src(2, 3, 5), cache=str(tmp_path))
    (tmp_path / "notes.txt").write_text("not the cache's")
    stats = fourfold.cache.info(str(tmp_path))
    assert stats["entries"] == 2 and stats["bytes"] > 0
    assert fourfold.cache.clear(str(tmp_path)) == 2
    assert fourfold.cache.info(str(tmp_path))["entries"] == 0
    assert os.listdir(tmp_path) == ["notes.txt"]


@pytest.mark.skipif(find_ptxas() is None, reason="ptxas (CUDA toolkit) not installed")
def test_gpu_round_trip(tmp_path):
    first = fourfold.compile(MLP, target="sm_90", cache=str(tmp_path))
    assert first.cache_hit is False and all(m.cubin for m in first.modules)
    second = fourfold.compile(MLP, target="sm_90", cache=str(tmp_path))
    assert second.cache_hit is True
    assert second.ptx == first.ptx and second.cubins == first.cubins
    assert [m.ptxas_info for m in second.modules] == [m.ptxas_info for m in first.modules]
    assert second.host_ir == first.host_ir and second.plan == first.plan
    assert second.stages == first.stages
    # The entry is what GPUArtifact.save writes: cuda_runner.py can run it as it is.
    with open(tmp_path / first.cache_key / "plan.json") as f:
        assert set(json.load(f)["modules"]) == {m.name for m in first.modules}


def test_gpu_and_cpu_entries_do_not_mix(tmp_path):
    gpu = fourfold.compile(matmul_src(5, 6, 7), target="sm_90", assemble=False, cache=str(tmp_path))
    again = fourfold.compile(matmul_src(5, 6, 7), target="sm_90", assemble=False, cache=str(tmp_path))
    assert again.cache_hit and again.ptx == gpu.ptx and again.cubins == {m: None for m in gpu.ptx}
    cpu = fourfold.compile(matmul_src(5, 6, 7), cache=str(tmp_path))
    assert cpu.cache_hit is False and cpu.cache_key != gpu.cache_key


def test_concurrent_writers_leave_one_whole_entry(tmp_path):
    """Two processes compiling the same model at once: both succeed, one entry remains."""
    import subprocess
    import sys

    code = ("import sys, fourfold; fn = fourfold.compile(open(sys.argv[1]).read(), cache=sys.argv[2]); "
            "print(fn.cache_key)")
    src = tmp_path / "mlp.mlir"
    src.write_text(MLP)
    cache_dir = tmp_path / "cache"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    procs = [subprocess.Popen([sys.executable, "-c", code, str(src), str(cache_dir)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate() for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    keys = {o[0].strip() for o in outs}
    assert len(keys) == 1
    assert entries(cache_dir) == list(keys)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fourfold.compile(MLP, cache=str(cache_dir)).cache_hit
