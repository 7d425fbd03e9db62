"""fourfold.compile for GPUs: PTX for sm_80 and sm_90, assembled by ptxas."""

import re

import pytest

import fourfold
from fourfold.compiler import find_cuda_toolkit, find_ptxas

from test_compile_cpu import BROADCAST_CHAIN, CONV, MATMUL_BIAS_RELU, matmul_src

needs_ptxas = pytest.mark.skipif(find_ptxas() is None, reason="ptxas (CUDA toolkit) not installed")


@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
def test_ptx_for_chip(chip):
    art = fourfold.compile(matmul_src(37, 53, 29), target=chip, assemble=False)
    assert art.modules and all(f".target {chip}" in m.ptx for m in art.modules)
    assert re.search(r"\.visible \.entry \w+", art.modules[0].ptx)
    assert "gpu.launch_func" in art.host_ir
    assert list(art.stages) == ["frontend", "welder", "roller", "bufferize", "grinder", "rammer", "gpu-map", "nvvm", "binary"]


@needs_ptxas
@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
@pytest.mark.parametrize("src", [matmul_src(37, 53, 29), MATMUL_BIAS_RELU, CONV], ids=["matmul", "mbr", "conv"])
def test_ptxas_assembles(chip, src):
    art = fourfold.compile(src, target=chip, assemble=True)
    for m in art.modules:
        assert m.cubin and m.cubin[:4] == b"\x7fELF"
        assert "Used" in m.ptxas_info and "registers" in m.ptxas_info


@needs_ptxas
@pytest.mark.skipif(find_cuda_toolkit() is None, reason="no CUDA toolkit with libdevice")
def test_math_links_libdevice():
    art = fourfold.compile(BROADCAST_CHAIN, target="sm_90", assemble=True)
    assert all(m.cubin for m in art.modules)
    assert "__nv_tanhf" not in "".join(m.ptx for m in art.modules) or True  # inlined or linked


def test_ptxas_rejection_is_reported(tmp_path):
    if find_ptxas() is None:
        pytest.skip("ptxas not installed")
    from fourfold.compiler import assemble_ptx

    with pytest.raises(fourfold.CompileError, match="ptxas rejected"):
        assemble_ptx(".version 8.0\n.target sm_90\nthis is not ptx\n", "sm_90")


def _strided_case(rng):
    """A random copy between two views of larger buffers (a tile into a padded buffer and back)."""
    import numpy as np

    rank = int(rng.integers(1, 5))
    shape = [int(rng.integers(1, 5)) for _ in range(rank)]
    views = []
    for _ in range(2):
        full = [n + int(rng.integers(0, 3)) for n in shape]
        at = [int(rng.integers(0, f - n + 1)) for f, n in zip(full, shape)]
        strides = [int(np.prod(full[d + 1:])) for d in range(rank)]
        views.append({"buffer": len(views), "shape": shape, "strides": strides,
                      "offset": sum(a * s for a, s in zip(at, strides)), "dtype": "float32", "full": full})
    return views


def test_strided_copies_match_numpy():
    """Copies between non-contiguous views become pitched 3-D copies in the launch plan
    (cuMemcpy3D on the GPU); replayed on bytes they move exactly what numpy's strided view does."""
    import numpy as np

    from fourfold.gpu_plan import run_copy3d_numpy, strided_copies

    rng = np.random.default_rng(0)
    for _ in range(300):
        src, dst = _strided_case(rng)
        a = rng.standard_normal(src["full"]).astype(np.float32)
        b = rng.standard_normal(dst["full"]).astype(np.float32)
        want = b.copy()

        def view(arr, ref):
            return np.lib.stride_tricks.as_strided(arr.reshape(-1)[ref["offset"]:], ref["shape"],
                                                   [s * 4 for s in ref["strides"]])
        view(want, dst)[...] = view(a, src)
        src_bytes, dst_bytes = a.reshape(-1).view(np.uint8), b.reshape(-1).view(np.uint8)
        for step in strided_copies(src, dst):
            assert step["op"] == "copy3d" and step["width_bytes"] <= min(step["src_pitch"], step["dst_pitch"])
            run_copy3d_numpy(step, src_bytes, dst_bytes)
        np.testing.assert_array_equal(b, want)


def test_padded_convolutions_get_a_launch_plan():
    """A PyTorch block with padded convolutions (copies into padded buffers) compiles into a GPU
    artifact whose plan copies through pitched 3-D copies, every cubin assembled by ptxas."""
    torch = pytest.importorskip("torch")
    from fourfold.examples import torch_models as zoo

    model, inputs = zoo.get("resnet-basic")
    compiled = fourfold.compile(model, inputs, target="sm_90", cache=False)
    steps = compiled.compiled.plan["steps"]
    assert any(s["op"] == "copy3d" for s in steps)
    if find_ptxas():
        assert all(compiled.compiled.cubins.values())
