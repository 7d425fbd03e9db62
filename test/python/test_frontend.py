"""The PyTorch frontend: every zoo model imports, compiles and matches PyTorch (fp32, relative error
under 1e-4) on random inputs; torch.compile(backend="fourfold"); errors that name the op and the
source line; the GPU artifacts of the MLP and the encoder layer."""

import os
import shutil
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fourfold  # noqa: E402
import fourfold.dynamo  # noqa: E402,F401  (registers the torch.compile backend, whatever the import order)
from fourfold.errors import FourfoldError  # noqa: E402
from fourfold.examples import torch_models as zoo  # noqa: E402
from fourfold.frontend import UnsupportedOpError, import_torch  # noqa: E402


def rel_error(got, want) -> float:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))


@pytest.fixture(scope="module")
def compiled():
    """One compile per model for the tests of this file."""
    cache = {}

    def get(name):
        if name not in cache:
            model, inputs = zoo.get(name)
            cache[name] = (model, inputs, fourfold.compile(model, inputs))
        return cache[name]
    return get


@pytest.mark.parametrize("name", zoo.MODELS)
def test_model_matches_pytorch(compiled, name):
    model, inputs, c = compiled(name)
    assert isinstance(c, fourfold.CompiledModel)
    for seed in (1, 2):  # not only the example the model was traced with
        xs = zoo.inputs(name, "tiny", seed)
        keep = [x.clone() for x in xs]
        with torch.no_grad():
            want = model(*xs)
        got = c(*xs)
        assert isinstance(got, torch.Tensor) and got.shape == want.shape and got.dtype == want.dtype
        assert rel_error(got, want) < 1e-4
        for x, k in zip(xs, keep):  # inputs are never written
            assert torch.equal(x, k)


def test_stages_and_timings(compiled):
    _, _, c = compiled("encoder")
    assert list(c.stages)[:3] == ["import", "frontend", "welder"]
    assert "linalg.batch_matmul" in c.stages["import"] and "linalg.matmul" in c.stages["import"]
    for stage in ("import", "welder", "roller", "rammer", "grinder", "llvm"):
        assert stage in c.timings and c.timings[stage] >= 0
    # every op carries the Python line it came from
    assert 'activation.py"' in c.stages["import"] or "transformer.py" in c.stages["import"]


def test_weights_folded_and_bound(compiled):
    model, inputs, c = compiled("resnet-basic")
    prog = c.program
    # three batch norms: a scale and a shift each, computed at import; the raw statistics are gone
    assert sum(n.endswith(".scale") for n in prog.param_names) == 3
    assert not any("running" in n for n in prog.param_names)
    assert "arith.divf" not in prog.mlir and "math.rsqrt" not in prog.mlir
    # weights are arguments: the same compiled code runs other weights of the same architecture
    other, _ = zoo.get("resnet-basic", seed=7)
    c2 = fourfold.compile(other, inputs)
    assert c2.stages["import"] == c.stages["import"]


def test_named_ops_for_the_passes(compiled):
    names = {n: compiled(n)[2].stages["import"] for n in ("mlp", "resnet-bottleneck", "mobilenetv2-block", "ops")}
    assert "linalg.matmul" in names["mlp"]
    assert "linalg.conv_2d_nchw_fchw" in names["resnet-bottleneck"]
    assert "linalg.depthwise_conv_2d_nchw_chw" in names["mobilenetv2-block"]
    assert "linalg.pooling_nchw_max" in names["ops"] and "linalg.pooling_nchw_sum" in names["ops"]


class _Extra(torch.nn.Module):
    """Ops outside the zoo: grouped conv with bias and padding, ceil-mode pooling, log-softmax,
    integer and boolean tensors, embedding lookups, variance, multiple outputs."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(4, 8, 3, padding=2, groups=2)
        self.emb = torch.nn.Embedding(10, 6)
        self.conv1d = torch.nn.Conv1d(6, 5, 3, stride=2)

    def forward(self, x, ids):
        y = torch.nn.functional.max_pool2d(self.conv(x), 3, 2, ceil_mode=True)
        y = torch.nn.functional.avg_pool2d(y, 2, 1, padding=1, count_include_pad=False)
        e = self.emb(ids)                                    # (2, 7, 6)
        c = self.conv1d(e.transpose(1, 2))                   # (2, 5, 3)
        v = torch.var(y, dim=(2, 3)) + (ids > 4).float().sum()
        return y.log_softmax(-1).clamp(min=-3.0), torch.where(c > 0, c, c * 0.1) - v.mean(), ids * 2


def test_more_ops():
    model = _Extra().eval()
    x, ids = torch.randn(2, 4, 9, 9), torch.randint(0, 10, (2, 7))
    c = fourfold.compile(model, (x, ids))
    with torch.no_grad():
        want = model(x, ids)
    got = c(x, ids)
    assert isinstance(got, tuple) and len(got) == 3
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        assert rel_error(g, w) < 1e-4


class _Cumsum(torch.nn.Module):
    def forward(self, x):
        return torch.cumsum(x, dim=0) + 1


def test_unsupported_op_names_op_and_line():
    with pytest.raises(UnsupportedOpError) as e:
        import_torch(_Cumsum(), (torch.randn(4),))
    msg = str(e.value)
    assert "aten.cumsum" in msg
    assert f"{os.path.basename(__file__)}:" in msg  # the user's line, not PyTorch's
    assert e.value.op.startswith("aten.cumsum")


def test_bad_calls():
    model, inputs = zoo.get("mlp")
    c = fourfold.compile(model, inputs)
    with pytest.raises(ValueError, match="shape"):
        c(torch.randn(3, 32))
    with pytest.raises(TypeError, match="dtype"):
        c(inputs[0].double())
    with pytest.raises(TypeError, match="takes 1"):
        c(inputs[0], inputs[0])
    with pytest.raises(FourfoldError, match="torch.export"):
        class DataDependent(torch.nn.Module):
            def forward(self, x):
                return x * 2 if x.sum() > 0 else x
        fourfold.compile(DataDependent(), (torch.randn(3),))


def test_inputs_of_every_layout_give_the_same_answer(compiled):
    """Contiguous CPU tensors go in by address; views, tensors needing grad and numpy arrays take
    the checked path. All must agree, and outputs must not share memory between calls."""
    model, inputs, c = compiled("mlp")
    x = inputs[0]
    want = model(x).detach().numpy()
    wide = torch.randn(x.shape[0], 2 * x.shape[1])
    wide[:, ::2] = x
    variants = [x, x.clone().requires_grad_(True), wide[:, ::2], x.numpy(), x.T.contiguous().T]
    ro = x.numpy().copy()
    ro.flags.writeable = False  # no writable buffer: the address comes the slow way
    variants.append(ro)
    outs = [c(v) for v in variants]
    for out in outs:
        assert rel_error(out.detach().numpy(), want) < 1e-4
    assert outs[0].data_ptr() != outs[1].data_ptr()  # a fresh output per call


def test_torch_compile_backend():
    import torch._dynamo

    torch._dynamo.reset()
    model, inputs = zoo.get("encoder")
    compiled = torch.compile(model, backend="fourfold")
    with torch.no_grad():
        want = model(*inputs)
        got = compiled(*inputs)
        x2 = torch.randn(inputs[0].shape)
        assert rel_error(compiled(x2), model(x2)) < 1e-4
    assert rel_error(got, want) < 1e-4


def test_torch_compile_backend_runs_fourfold():
    import torch._dynamo

    from fourfold import dynamo

    torch._dynamo.reset()
    made = []

    def spy(gm, example_inputs):
        fn = dynamo.fourfold_backend(gm, example_inputs)
        made.append(fn)
        return fn
    model, inputs = zoo.get("mlp")
    with torch.no_grad():
        out = torch.compile(model, backend=spy)(*inputs)
        want = model(*inputs)
    assert made and hasattr(made[0], "fourfold")  # compiled by fourfold, not the eager fallback
    assert rel_error(out, want) < 1e-4


def test_torch_compile_falls_back_to_eager():
    import torch._dynamo

    torch._dynamo.reset()
    model = _Cumsum()
    x = torch.randn(5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with torch.no_grad():
            got = torch.compile(model, backend="fourfold")(x)
    assert torch.allclose(got, model(x))
    assert any("fourfold: running a graph eagerly" in str(w.message) and "cumsum" in str(w.message)
               for w in caught)


def test_gradients_stay_correct_with_backend():
    import torch._dynamo

    torch._dynamo.reset()
    model, inputs = zoo.get("mlp")
    x = inputs[0].clone().requires_grad_(True)
    out = torch.compile(model, backend="fourfold")(x)
    out.sum().backward()  # needs grad: the eager graph ran, autograd works
    assert x.grad is not None and x.grad.shape == x.shape


def test_cache_hit_on_recompile(tmp_path):
    model, inputs = zoo.get("attention")
    first = fourfold.compile(model, inputs, cache=str(tmp_path))
    second = fourfold.compile(model, inputs, cache=str(tmp_path))
    assert not first.compiled.cache_hit and second.compiled.cache_hit
    with torch.no_grad():
        want = model(*inputs)
    assert rel_error(second(*inputs), want) < 1e-4


@pytest.mark.parametrize("name", ["mlp", "encoder"])
def test_gpu_artifact(name, tmp_path):
    if shutil.which("ptxas") is None and not os.environ.get("FOURFOLD_PTXAS"):
        pytest.skip("ptxas not installed")
    model, inputs = zoo.get(name)
    c = fourfold.compile(model, inputs, target="sm_90", assemble=True)
    art = c.compiled
    assert art.modules and all(m.cubin for m in art.modules)  # ptxas accepted every kernel module
    plan = art.plan
    launches = [s for s in plan["steps"] if s["op"] == "launch"]
    kernels = {(m.name) for m in art.modules}
    assert launches and all(s["module"] in kernels for s in launches)
    nargs = len(plan["args"]) if "args" in plan else sum(b["kind"] == "argument" for b in plan["buffers"])
    assert nargs == len(inputs) + len(c.program.params)
    c.save(str(tmp_path))
    with np.load(tmp_path / "weights.npz") as w:
        assert len(w.files) == len(c.program.params)
    assert (tmp_path / "plan.json").exists()
    with pytest.raises(FourfoldError, match="GPU"):
        c(*inputs)


class _MaskedAttention(torch.nn.Module):
    def forward(self, q, k, v, mask):
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def test_attention_softmax_of_masked_rows():
    """scaled_dot_product_attention's _safe_softmax, translated whole (no boolean tensors): a row
    masked throughout gives zeros, a NaN still spreads over its row, as in PyTorch."""
    q, k, v = (torch.randn(1, 2, 5, 8) for _ in range(3))
    mask = torch.zeros(1, 2, 5, 5)
    mask[0, 0, 2, :] = float("-inf")   # every key masked: zeros
    mask[0, 1, 3, 1] = float("-inf")   # one key masked
    model = _MaskedAttention()
    c = fourfold.compile(model, (q, k, v, mask), cache=False)
    assert "xi1>" not in c.stages["frontend"]
    got, want = c(q, k, v, mask), model(q, k, v, mask)
    assert rel_error(got, want) < 1e-4 and not got[0, 0, 2].any()
    q[0, 1, 1, 0] = float("nan")
    assert torch.equal(torch.isnan(c(q, k, v, mask)), torch.isnan(model(q, k, v, mask)))


def test_small_encoder_attention_mask():
    """At d_model=128 x 32 tokens the attention's boolean masks reached roller's vectorised
    tiles, which stored i1 vectors wrongly (5e-2 error); booleans now keep the default lowering."""
    model, inputs = zoo.get("encoder", "small")
    c = fourfold.compile(model, inputs)
    with torch.no_grad():
        assert rel_error(c(*inputs), model(*inputs)) < 1e-4


def test_decisions(compiled):
    _, _, c = compiled("encoder")
    d = c.decisions()
    assert d["welder"] and all(g["bytes"] <= g["unfused_bytes"] for g in d["welder"])
    assert d["roller"] and all(r["tile"].startswith("#roller.rtile") for r in d["roller"])
    assert d["rammer"] and d["rammer"][0]["tasks"]
    assert d["grinder"] == []  # torch.export unrolls loops: nothing to place


def test_control_flow_from_pytorch(compiled):
    """torch's while_loop and torch.cond arrive as scf.while / scf.if on tensors (bodies inlined
    in their regions, weight transposes folded out of the loop), and grinder places them."""
    _, _, c = compiled("seq2seq")
    text = c.stages["import"]
    assert text.count("scf.while") == 1 and "scf.condition" in text
    body = text[text.index("scf.while"):]
    assert "linalg.transpose" not in body  # the Linear weights' transposes were folded at import
    _, _, b = compiled("blockdrop")
    assert b.stages["import"].count("scf.if") == 3
    # At the tiny size no operator is worth a parallel loop, so grinder has nothing to place;
    # at the benchmark size it places the loop and each branch.
    for name, op, count in (("seq2seq", "scf.while", 1), ("blockdrop", "scf.if", 8)):
        model, inputs = zoo.get(name, "small")
        placed = fourfold.compile(model, inputs, cache=False).decisions()["grinder"]
        assert [p["op"] for p in placed] == [op] * count
        assert all(p["place"] in ("host", "device", "block") for p in placed)


def test_control_flow_takes_each_branch():
    """BlockDrop's gates go both ways over a few inputs, and every way matches PyTorch."""
    model, inputs = zoo.get("blockdrop")
    c = fourfold.compile(model, inputs, cache=False)
    taken = set()
    for seed in range(6):
        (x,) = zoo.inputs("blockdrop", "tiny", seed)
        with torch.no_grad():
            taken |= {bool(g(x).sum() > 0) for g in model.gates[:1]}
            assert rel_error(c(x), model(x)) < 1e-4
    assert taken == {True, False}
