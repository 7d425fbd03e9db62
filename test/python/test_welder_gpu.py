"""Welder on the GPU: one kernel per group with its intermediate tiles in shared memory.

No GPU runs here, so numerics are checked on the GPU build's own decisions (welder's groups, roller's
block and thread tiles, the per-block buffers) lowered for the CPU by gpu_emulation_pipeline; the
kernels themselves are assembled by ptxas, and their structure (launches, barriers, shared memory)
read from the IR and from ptxas."""

import re

import pytest

import fourfold
from fourfold.compiler import find_cuda_toolkit, find_ptxas, gpu_emulation_pipeline
from fourfold.examples import fused

from test_welder import PROGRAMS, check

needs_ptxas = pytest.mark.skipif(find_ptxas() is None or find_cuda_toolkit() is None,
                                 reason="ptxas and libdevice (CUDA toolkit) needed")


@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_emulated_numerics(name, chip):
    prog = PROGRAMS[name]()
    args = prog.inputs(seed=3)
    module = fourfold.compile(prog.mlir, pipeline=gpu_emulation_pipeline(chip), cache=False)
    assert "welder" in module.stages
    check(module(*args), prog.reference(*args))


@pytest.mark.parametrize("seed", range(12))
def test_emulated_random_chains(seed):
    prog = fused.random_chain(seed, length=7)
    args = prog.inputs(seed=seed)
    module = fourfold.compile(prog.mlir, pipeline=gpu_emulation_pipeline("sm_90"), cache=False)
    check(module(*args), prog.reference(*args))


def _launches(art):
    return art.host_ir.count("gpu.launch_func")


@needs_ptxas
@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
@pytest.mark.parametrize("name", ["matmul_bias_gelu", "conv_bn_relu_residual", "layernorm", "mlp_4_layers",
                                  "attention_37_tokens"])
def test_fused_kernels_assemble_and_are_fewer(name, chip):
    prog = PROGRAMS[name]()
    # rammer off in both: it would put either build's kernels into one launch.
    fused_art = fourfold.compile(prog.mlir, target=chip, cache=False,
                                 pipeline=fourfold.compiler.gpu_pipeline(prog.mlir, chip, rammer=False))
    apart = fourfold.compile(prog.mlir, target=chip, cache=False,
                             pipeline=fourfold.compiler.gpu_pipeline(prog.mlir, chip, welder=False,
                                                                     rammer=False))
    for art in (fused_art, apart):
        for m in art.modules:
            assert m.cubin and m.cubin[:4] == b"\x7fELF", m.name
    assert _launches(fused_art) < _launches(apart), (_launches(fused_art), _launches(apart))


@needs_ptxas
def test_group_tiles_live_in_shared_memory():
    """matmul + bias + GELU: one kernel whose matmul tile is a workgroup buffer, read after a barrier."""
    prog = PROGRAMS["matmul_bias_gelu"]()
    art = fourfold.compile(prog.mlir, target="sm_90", cache=False)
    assert _launches(art) == 1
    mapped = art.stages["gpu-map"]
    assert re.search(r"workgroup\(%\w+ : memref<\d+xi8, #gpu.address_space<workgroup>>", mapped)
    assert re.search(r"memref.view .* to memref<[0-9x]+xf32, #gpu.address_space<workgroup>>", mapped)
    assert "gpu.barrier" in mapped
    info = "".join(m.ptxas_info for m in art.modules)
    smem = [int(x) for x in re.findall(r"(\d+) bytes smem", info)]
    assert smem and max(smem) > 0 and max(smem) <= 48 * 1024
