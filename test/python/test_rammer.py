"""rammer end to end on the CPU: graphs with inter-operator parallelism compiled with rammer on
and off give numpy's answer, and rammer turns runs of kernels into one parallel region."""

import numpy as np
import pytest

import fourfold
from fourfold.examples import parallel as P

GRAPHS = {
    "inception_b1": lambda: P.inception_cell(rows=49),
    "inception_b4": lambda: P.inception_cell(rows=196, name="inception4"),
    "nasnet_odd": lambda: P.nasnet_cell(rows=37, channels=44),
    "mha_heads": lambda: P.mha_heads(tokens=32, dim=64, heads=4),
    "mha_odd": lambda: P.mha_heads(tokens=23, dim=36, heads=3, name="mha_odd"),
    "lstm_b1": lambda: P.lstm_cell(batch=1),
    "lstm_b64": lambda: P.lstm_cell(batch=64, name="lstm64"),
}


def _check(prog, **options):
    xs = prog.inputs()
    ref = prog.reference(*[x.astype(np.float64) for x in xs])
    fn = fourfold.compile(prog.mlir, pipeline=fourfold.Pipeline.cpu(**options))
    out = fn(*xs)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=2e-4, atol=2e-4 * max(1.0, float(np.abs(ref).max())))
    return fn


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_graph_numerics(name):
    prog = GRAPHS[name]()
    on = _check(prog)
    off = _check(prog, rammer=False)
    regions = lambda fn: fn.stages["loops"].count("omp.parallel")  # noqa: E731
    # rammer never adds parallel regions; where it formed a program, the program is in the IR.
    assert regions(on) <= regions(off)
    if "rammer.program" in on.stages["rammer"]:
        pytest.fail("rammer-lower left a rammer.program behind")


@pytest.mark.parametrize("seed", range(12))
def test_random_dags(seed):
    prog = P.random_dag(seed, nodes=10)
    _check(prog)


def test_inception_becomes_one_region():
    """Welder keeps the four branches apart (no shared tile), so rammer co-schedules them: fewer
    parallel regions than kernels, barriers between dependent segments."""
    prog = P.inception_cell(rows=49)
    on, off = _check(prog), _check(prog, rammer=False)
    assert on.stages["loops"].count("omp.parallel") < off.stages["loops"].count("omp.parallel")
    assert "omp.barrier" in on.stages["loops"]
    assert "__rammer_inception.p0_operators" in on.stages["rammer"]


def test_single_thread_runs_every_veu(monkeypatch):
    """A program scheduled for the cores still computes everything when OpenMP gives it one
    thread: each thread claims vEUs until none is left."""
    import subprocess
    import sys
    code = ("import numpy as np, fourfold\nfrom fourfold.examples import parallel as P\n"
            "p = P.nasnet_cell()\nxs = p.inputs()\nout = fourfold.compile(p.mlir)(*xs)\n"
            "ref = p.reference(*[x.astype(np.float64) for x in xs])\n"
            "assert np.allclose(out, ref, rtol=2e-4, atol=2e-4 * np.abs(ref).max()), 'mismatch'\n"
            "print('ok')")
    import os
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-2000:]


def test_policies_and_report(tmp_path):
    """Both policies give correct code; the report option writes the picture."""
    prog = P.mha_heads(tokens=16, dim=32, heads=4, name="mha_small")
    svg = tmp_path / "schedule.svg"
    for policy in ("wavefront", "critical-path"):
        pipe = fourfold.Pipeline.cpu().replace(
            "rammer", f"rammer-schedule{{policy={policy} report={svg}}},rammer-lower,canonicalize")
        xs = prog.inputs()
        out = fourfold.compile(prog.mlir, pipeline=pipe)(*xs)
        ref = prog.reference(*[x.astype(np.float64) for x in xs])
        np.testing.assert_allclose(out, ref, rtol=2e-4, atol=2e-4 * float(np.abs(ref).max()))
        text = svg.read_text()
        assert text.startswith("<svg") and "mha_small.p0" in text and "<rect" in text
