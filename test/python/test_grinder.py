"""grinder end to end on the CPU: models with loops, a data-dependent while, branches and unrolled
recursion compile through the whole pipeline and give PyTorch's answer at batch 1 and 64, under
every placement; a device-placed loop is one parallel region instead of one per kernel and step."""

import re

import numpy as np
import pytest

import fourfold
from fourfold.examples import control as C
from fourfold.examples.parallel import torch_ops

torch = pytest.importorskip("torch")

MODELS = {
    "lstm": lambda b: C.lstm(steps=100, batch=b, name=f"lstm{b}"),
    "nasrnn": lambda b: C.nasrnn(steps=100, batch=b, name=f"nasrnn{b}"),
    "seq2seq": lambda b: C.seq2seq(batch=b, name=f"seq2seq{b}"),
    "blockdrop": lambda b: C.blockdrop(batch=b, name=f"blockdrop{b}"),
    "tree": lambda b: C.tree(depth=4, batch=b, name=f"tree{b}"),
}


def _pipeline(place="auto", **options):
    from fourfold.tuning import placement_pipeline
    return placement_pipeline(place, **options)


def _inputs(prog):
    """Seed 0, or for a greedy decoder the first seed whose decisions are nowhere near a tie (two
    logits within float32 rounding of each other would let any two correct implementations part)."""
    for seed in range(50):
        xs = prog.inputs(seed)
        if "margin" not in prog.notes or prog.notes["margin"](*[x.astype(np.float64) for x in xs]) > 1e-4:
            return xs
    pytest.fail("no seed without a near-tie")


def _torch_reference(prog, xs):
    with torch.no_grad():
        out = prog.notes["impl"](torch_ops(), *[torch.from_numpy(x) for x in xs])
    return out.numpy()


def _close(out, ref):
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=2e-4, atol=2e-4 * max(1.0, float(np.abs(ref).max())))


@pytest.mark.parametrize("batch", [1, 64])
@pytest.mark.parametrize("model", sorted(MODELS))
def test_model_matches_pytorch(model, batch):
    prog = MODELS[model](batch)
    xs = _inputs(prog)
    fn = fourfold.compile(prog.mlir, pipeline=_pipeline())
    out = fn(*xs)
    _close(out, _torch_reference(prog, xs))
    _close(out, prog.reference(*[x.astype(np.float64) for x in xs]))


@pytest.mark.parametrize("batch", [1, 64])
def test_lstm_matches_nn_lstm(batch):
    prog = C.lstm(steps=100, batch=batch, name=f"lstm_nn{batch}")
    xs, h0, c0, w, u, b = prog.inputs()
    lstm = torch.nn.LSTM(prog.notes["inputs"], prog.notes["hidden"])
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(w.T.copy()))
        lstm.weight_hh_l0.copy_(torch.from_numpy(u.T.copy()))
        lstm.bias_ih_l0.copy_(torch.from_numpy(b))
        lstm.bias_hh_l0.zero_()
        _, (h, _) = lstm(torch.from_numpy(xs), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    out = fourfold.compile(prog.mlir, pipeline=_pipeline())(xs, h0, c0, w, u, b)
    _close(out, h[0].numpy())


@pytest.mark.parametrize("place", ["host", "device", "block"])
@pytest.mark.parametrize("model", ["lstm", "seq2seq", "blockdrop"])
def test_every_placement_gives_the_same_answer(model, place):
    prog = MODELS[model](64) if model != "lstm" else C.lstm(steps=12, batch=64, name="lstm_short")
    xs = _inputs(prog)
    out = fourfold.compile(prog.mlir, pipeline=_pipeline(place))(*xs)
    _close(out, prog.reference(*[x.astype(np.float64) for x in xs]))


def _regions(fn):
    return fn.stages["loops"].count("omp.parallel")


def test_device_placement_is_one_region_per_loop():
    prog = C.lstm(steps=12, batch=64, name="lstm_regions")
    device = fourfold.compile(prog.mlir, pipeline=_pipeline("device"))
    host = fourfold.compile(prog.mlir, pipeline=_pipeline(grinder=False))
    # Host: one region per kernel of the body, each opened every step; device: one for all.
    assert _regions(device) == 1
    assert _regions(host) > 4
    grinder_ir = device.stages["grinder"]
    assert "omp.wsloop" in grinder_ir and "grinder.place" not in grinder_ir
    assert "scf.forall" not in grinder_ir.split("omp.parallel", 1)[1]


def test_block_placement_has_no_region():
    prog = C.lstm(steps=12, batch=1, name="lstm_block")
    fn = fourfold.compile(prog.mlir, pipeline=_pipeline("block"))
    assert _regions(fn) == 0


def test_schedule_writes_its_predictions():
    prog = C.lstm(steps=12, batch=64, name="lstm_estimate")
    fn = fourfold.compile(prog.mlir, pipeline=_pipeline().replace(
        "grinder", "grinder-schedule,canonicalize"))  # keep the decision visible (not lowered)
    ir = fn.stages["grinder"]
    assert "grinder.estimate" in ir and "grinder.place = #grinder.place<" in ir


def test_seq2seq_exits_early():
    prog = C.seq2seq(batch=1, max_len=100)
    xs = _inputs(prog)
    steps = prog.notes["steps"](*[x.astype(np.float64) for x in xs])
    assert 1 < steps < 100  # the exit is data-dependent, not the bound


def test_blockdrop_takes_and_skips_blocks():
    prog = C.blockdrop(batch=1)
    xs = prog.inputs()
    taken = prog.notes["taken"](*[x.astype(np.float64) for x in xs])
    assert 0 < taken < prog.notes["blocks"]


def test_top_k_measures_the_best_ranked_placements():
    from fourfold.tuning import predicted_placements, tune_placements

    prog = C.lstm(steps=12, batch=8, name="lstm_topk")
    ranked = predicted_placements(prog.mlir)
    assert [p for p, _ in ranked] and sorted(p for p, _ in ranked) == ["block", "device", "host"]
    assert [us for _, us in ranked] == sorted(us for _, us in ranked)
    xs = prog.inputs()
    fn, report = tune_placements(prog.mlir, k=2, repeat=3, inputs=xs)
    assert [c.placement for c in report.choices] == [p for p, _ in ranked[:2]]
    assert report.chosen in {c.placement for c in report.choices}
    chosen = next(c for c in report.choices if c.placement == report.chosen)
    assert chosen.measured_us == min(c.measured_us for c in report.choices)
    _close(fn(*xs), prog.reference(*[x.astype(np.float64) for x in xs]))


def test_top_k_without_control_flow_keeps_the_pipeline():
    from fourfold.tuning import tune_placements

    prog = C.tree(depth=2, batch=2, name="tree_topk")
    fn, report = tune_placements(prog.mlir, k=2, repeat=2)
    assert report.choices == [] and report.chosen == "auto"
    xs = prog.inputs()
    _close(fn(*xs), prog.reference(*[x.astype(np.float64) for x in xs]))


# --------------------------------------------------------------------------- #
# GPU: a device-placed loop is one persistent kernel (PTX assembled by ptxas)
# --------------------------------------------------------------------------- #

from fourfold.compiler import find_ptxas  # noqa: E402

needs_ptxas = pytest.mark.skipif(find_ptxas() is None, reason="ptxas (CUDA toolkit) not installed")


def _gpu_launches(prog, chip="sm_90"):
    art = fourfold.compile(prog.mlir, target=chip)
    for m in art.modules:
        assert m.cubin, f"{m.name}: ptxas produced no cubin"
    return art, art.host_ir.count("gpu.launch_func")


def _grids(art):
    return re.findall(r"gpu.launch_func.*blocks in \((%c\d+)", art.host_ir)


@needs_ptxas
@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
def test_gpu_loop_is_one_launch_whatever_the_steps(chip):
    _, short = _gpu_launches(C.lstm(steps=3, batch=64, name="lstm_gpu3"), chip)
    art, long = _gpu_launches(C.lstm(steps=100, batch=64, name="lstm_gpu100"), chip)
    # The persistent kernel alone (its barrier counter is a module global: no fill launch); no
    # host loop at all.
    assert short == long == 1
    assert "scf.for" not in art.host_ir and "cf.br" not in art.host_ir
    # Device placement: one block per SM, kernels separated by the grid barrier.
    units = {"sm_80": 108, "sm_90": 132}[chip]
    assert f"%c{units}" in _grids(art)
    kernel = max(art.modules, key=lambda m: len(m.ptx))
    assert "atom.global.add" in kernel.ptx and "bar.sync" in kernel.ptx and "membar.gl" in kernel.ptx
    # Ships as an artifact: straight-line host code, so the launch plan exists.
    assert [s for s in art.plan["steps"] if s.get("kind", s.get("op")) == "launch"]


@needs_ptxas
def test_gpu_small_loop_runs_in_one_block():
    art, launches = _gpu_launches(C.lstm(steps=100, batch=4, name="lstm_gpu_b4"))
    assert launches == 1 and _grids(art) == ["%c1"]
    kernel = max(art.modules, key=lambda m: len(m.ptx))
    assert "atom.global" not in kernel.ptx and "bar.sync" in kernel.ptx  # block barriers only


@needs_ptxas
def test_gpu_while_condition_is_read_on_the_device():
    art, launches = _gpu_launches(C.seq2seq(batch=4, name="seq2seq_gpu"))
    assert "scf.while" not in art.host_ir and "cf.cond_br" not in art.host_ir
    assert launches <= 3  # initial fills and the persistent kernel, not one per decoded token
    assert art.plan["steps"]


@needs_ptxas
def test_gpu_branch_loop_is_one_kernel():
    # BlockDrop: a loop over gated blocks, the skip branch handing the old value on; the value is
    # updated in place, so the loop and its branches run in one kernel.
    art, launches = _gpu_launches(C.blockdrop(batch=64, name="bd_gpu"))
    assert launches == 1  # the kernel with the loop and its branches
    assert "scf.for" not in art.host_ir and "cf.cond_br" not in art.host_ir
