"""rammer on the GPU (issue 4): the harness's graphs with inter-operator parallelism (bench/rammer)
compiled for sm_80 and sm_90 with the default GPU pipeline. Every rProgram is one kernel: every
cubin assembles with ptxas, the launches go down against rammer=False (and the launch plan counts
both), and the grid of each rammer kernel fits on the GPU at once as ptxas allocated it (a grid
barrier waits for every block).
Numerics need a GPU and are not run here."""

import re

import pytest

import fourfold
from fourfold.compiler import find_ptxas, gpu_pipeline
from fourfold.examples import parallel as P

needs_ptxas = pytest.mark.skipif(find_ptxas() is None, reason="ptxas (CUDA toolkit) not installed")

# bench/rammer/run.py's graphs at batch 1 (the batched ones compile alike, only slower).
GRAPHS = {
    "inception_b1": lambda: P.inception_cell(rows=49),
    "nasnet_b1": lambda: P.nasnet_cell(rows=37, channels=44),
    "mha_heads_t32": lambda: P.mha_heads(tokens=32, dim=64, heads=4),
    "lstm_b1": lambda: P.lstm_cell(batch=1, inputs=256, hidden=256),
    **{f"dag_seed{s}": (lambda s=s: P.random_dag(s, nodes=12)) for s in range(4)},
}
# The graphs rammer exists for: independent branches it must co-schedule into one launch.
BRANCHY = {"inception_b1", "nasnet_b1", "mha_heads_t32", "lstm_b1"}
UNITS = {"sm_80": 108, "sm_90": 132}


def _launches(art):
    return art.host_ir.count("gpu.launch_func")


def _rammer_modules(art):
    return [m for m in art.modules if m.name.endswith("_rammer")]


def _grid(art, module):
    match = re.search(rf"gpu.launch_func\s+@{module}::@\w+ blocks in \(%c(\d+)", art.host_ir)
    return int(match.group(1))


@needs_ptxas
@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_one_kernel_per_program(name, chip):
    prog = GRAPHS[name]()
    on = fourfold.compile(prog.mlir, target=chip, cache=False, assemble=True)
    assert "rammer" in on.stages
    for m in on.modules:
        assert m.cubin and m.cubin[:4] == b"\x7fELF", m.name
    rammer = _rammer_modules(on)
    if name in BRANCHY:
        assert rammer, f"{name}: no rProgram formed"
    try:
        off = fourfold.compile(prog.mlir, target=chip, cache=False, assemble=False,
                               pipeline=gpu_pipeline(prog.mlir, chip, rammer=False))
    except fourfold.CompileError:
        off = None  # the build without rammer fails on its own (not rammer's doing)
    if off is not None:
        assert _launches(on) <= _launches(off)
        if rammer:
            assert _launches(on) < _launches(off), (_launches(on), _launches(off))
        # The launch plan says both: each rammer launch records the launches it replaces.
        plan = on.plan
        assert (plan["launches"], plan["launches_without_rammer"]) == (_launches(on), _launches(off))
    for m in rammer:
        # Residency: the grid never exceeds what the SMs hold at once with the registers and
        # shared memory ptxas allocated (registers per warp in units of 256).
        threads = int(re.search(r"\.maxntid (\d+)", m.ptx).group(1))
        per_sm = int(re.search(r"\.minnctapersm (\d+)", m.ptx).group(1))
        regs = int(re.search(r"Used (\d+) registers", m.ptxas_info).group(1))
        smem = re.search(r"(\d+) bytes smem", m.ptxas_info)
        warps = -(-threads // 32)
        assert warps * (-(-regs * 32 // 256) * 256) * per_sm <= 65536, m.ptxas_info
        if smem:
            assert (int(smem.group(1)) + 1024) * per_sm <= 228 * 1024
        assert _grid(on, m.name) <= UNITS[chip] * per_sm
        if "atom.global.add" in m.ptx:  # grid barriers: on the module's own counter
            assert "__fourfold_grid_barrier" in m.ptx


@needs_ptxas
def test_inception_dispatch_and_plan():
    """The inception cell's four branches and their concatenation: one launch of sm_90's
    resident blocks, rTasks read from constant tables, grid barriers between dependent
    segments only, and a host side that is a launch plan (straight-line, runnable by
    fourfold/cuda_runner.py on a machine with a GPU)."""
    prog = P.inception_cell(rows=49)
    art = fourfold.compile(prog.mlir, target="sm_90", cache=False, assemble=True)
    (kernel,) = _rammer_modules(art)
    ptx = kernel.ptx
    assert re.search(r"__rammer_inception\S*_offsets", ptx) and re.search(r"__rammer_inception\S*_tasks", ptx)
    assert "bar.sync" in ptx and "membar.gl" in ptx
    lowered = art.stages["rammer"]
    assert "rammer.program" not in lowered and "scf.forall" not in lowered
    # One switch over the operators per segment, one grid barrier (a spin loop) between two.
    segments = lowered.count("scf.index_switch")
    assert segments >= 2 and lowered.count("scf.while") == segments - 1
    steps = [s for s in art.plan["steps"] if s["op"] == "launch"]
    assert any(s["kernel"] == kernel.name for s in steps)
