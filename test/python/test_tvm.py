"""fourfold as a TVM Relax external codegen (fourfold.tvm, issue 7): PyTorch zoo models imported
with relax.frontend.torch, partitioned for fourfold, built for llvm, run in the Relax VM and compared
with PyTorch and with TVM's own build; export / reload; what stays in TVM; compile isolation; the
CUDA build's kernels through ptxas."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

tvm = pytest.importorskip("tvm")
torch = pytest.importorskip("torch")

from tvm import relax  # noqa: E402
from tvm.relax.frontend.torch import from_exported_program  # noqa: E402

import fourfold.tvm as ft  # noqa: E402
from fourfold.compiler import find_ptxas  # noqa: E402
from fourfold.examples import torch_models  # noqa: E402


def _import(module, inputs):
    with torch.no_grad():
        ep = torch.export.export(module, tuple(inputs))
    return from_exported_program(ep, keep_params_as_input=False)


def _zoo(name, size="tiny"):
    module, inputs = torch_models.get(name, size)
    return module, inputs, _import(module, inputs)


def _run(ex, inputs):
    vm = relax.VirtualMachine(ex, tvm.cpu())
    out = vm["main"](*[tvm.runtime.tensor(x.numpy()) for x in inputs])
    if hasattr(out, "numpy"):
        return out.numpy()
    return out[0].numpy()


def _composites(fn):
    names = []
    for block in fn.body.blocks:
        for b in block.bindings:
            if type(b.value).__name__ == "Function" and b.value.attrs is not None and "Composite" in b.value.attrs:
                names.append(str(b.value.attrs["Composite"]))
    return names


def _close(got, want, rtol=1e-4):
    scale = max(float(np.abs(want).max()), 1e-6)
    err = float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max())
    assert err <= rtol * scale, f"max error {err:.3g} vs scale {scale:.3g}"


# --------------------------------------------------------------------------- #
# The three models
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("name,patterns", [
    ("mlp", {"fourfold.matmul_bias_act", "fourfold.matmul_bias"}),
    ("encoder", {"fourfold.layer_norm", "fourfold.attention_sdpa", "fourfold.matmul_bias"}),
    ("resnet-basic", {"fourfold.conv2d_bn_relu", "fourfold.conv2d_bn_add_relu"}),
])
def test_model_matches_pytorch_and_tvm(name, patterns):
    module, inputs, mod = _zoo(name)
    with torch.no_grad():
        want = module(*inputs).numpy()
    reference = _run(relax.build(mod, target="llvm"), inputs)  # TVM alone

    part = ft.partition_for_fourfold(mod, target="llvm")
    offloaded = ft.offloaded_functions(part)
    assert len(offloaded) == 1, list(offloaded)  # the whole model is one fourfold function
    fn = next(iter(offloaded.values()))
    found = set(_composites(fn))
    assert patterns <= found, found
    assert "relax.nn" not in part["main"].script()  # nothing computes in TVM any more

    ex = relax.build(relax.transform.RunCodegen()(part), target="llvm")
    got = _run(ex, inputs)
    _close(got, want)
    _close(got, reference)
    assert ft.last_build[0]["target"] == "cpu"


@pytest.mark.parametrize("name", ["attention", "resnet-bottleneck", "mobilenetv2-block", "ops", "inception-cell",
                                  "nasnet-cell", "lstm"])
def test_more_zoo_models(name):
    """Slices, clip (ReLU6), depthwise convolutions, pooling with and without padding in the
    average, concatenation, unrolled recurrences: all offloaded, all right."""
    module, inputs, mod = _zoo(name)
    part = ft.partition_for_fourfold(mod, target="llvm")
    assert len(ft.offloaded_functions(part)) == 1
    got = _run(relax.build(relax.transform.RunCodegen()(part), target="llvm"), inputs)
    with torch.no_grad():
        want = module(*inputs)
    _close(got, (want if isinstance(want, torch.Tensor) else want[0]).numpy())


def test_weights_as_inputs_of_main():
    """keep_params_as_input=True: nothing to fold (batch norm's statistics arrive at run time)."""
    from tvm.relax.frontend import detach_params

    module, inputs = torch_models.get("resnet-basic", "tiny")
    with torch.no_grad():
        mod = from_exported_program(torch.export.export(module, tuple(inputs)), keep_params_as_input=True)
        want = module(*inputs).numpy()
    mod, params = detach_params(mod)
    vm = relax.VirtualMachine(ft.build(mod, "llvm"), tvm.cpu())
    args = [tvm.runtime.tensor(inputs[0].numpy())] + [tvm.runtime.tensor(p.numpy()) for p in params["main"]]
    _close(vm["main"](*args)[0].numpy(), want)


def test_partition_keeps_weights_as_arguments():
    _, _, mod = _zoo("mlp")
    part = ft.partition_for_fourfold(mod, "llvm")
    fn = next(iter(ft.offloaded_functions(part).values()))
    # x plus three weights and three biases, the transposes folded at partition time
    assert len(fn.params) == 7
    assert "permute_dims" not in fn.script()


# --------------------------------------------------------------------------- #
# Export / reload
# --------------------------------------------------------------------------- #

def test_export_and_reload_without_fourfold(tmp_path):
    module, inputs, mod = _zoo("encoder")
    ex = ft.build(mod, "llvm")
    lib = tmp_path / "encoder.so"
    ex.export_library(str(lib))
    x = tmp_path / "x.npy"
    np.save(x, inputs[0].numpy())
    with torch.no_grad():
        want = module(*inputs).numpy()
    # A fresh process that never imports fourfold: the library carries everything it needs.
    script = textwrap.dedent(f"""
        import sys, numpy as np, tvm
        from tvm import relax
        vm = relax.VirtualMachine(tvm.runtime.load_module({str(lib)!r}), tvm.cpu())
        out = vm["main"](tvm.runtime.tensor(np.load({str(x)!r})))
        np.save({str(tmp_path / 'got.npy')!r}, out[0].numpy())
        assert "fourfold" not in sys.modules
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    _close(np.load(tmp_path / "got.npy"), want)


# --------------------------------------------------------------------------- #
# What stays in TVM
# --------------------------------------------------------------------------- #

class _WithCumsum(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(16, 32), torch.nn.Linear(32, 8)

    def forward(self, x):
        return self.fc2(torch.cumsum(torch.relu(self.fc1(x)), dim=1))


def test_unsupported_operator_stays_in_tvm():
    torch.manual_seed(0)
    module = _WithCumsum().eval()
    inputs = [torch.randn(4, 16)]
    mod = _import(module, inputs)
    part = ft.partition_for_fourfold(mod, "llvm")
    main = part["main"].script()
    assert "R.cumsum" in main  # TVM computes it
    assert len(ft.offloaded_functions(part)) == 2  # fc1 + relu, and fc2, around it
    got = _run(relax.build(relax.transform.RunCodegen()(part), "llvm"), inputs)
    with torch.no_grad():
        _close(got, module(*inputs).numpy())


def test_data_movement_alone_is_not_offloaded():
    from tvm.script import ir as I
    from tvm.script import relax as R

    @I.ir_module
    class Moves:
        @R.function
        def main(x: R.Tensor((4, 8), "float32")):
            with R.dataflow():
                y = R.permute_dims(x, axes=[1, 0])
                z = R.reshape(y, (32,))
                w = R.cumsum(z, axis=0)
                R.output(w)
            return w

    part = ft.partition_for_fourfold(Moves, "llvm")
    assert not ft.offloaded_functions(part)


def test_symbolic_shapes_stay_in_tvm_with_a_warning():
    from tvm.script import ir as I
    from tvm.script import relax as R

    @I.ir_module
    class Dyn:
        @R.function
        def main(x: R.Tensor(("n", 8), "float32"), w: R.Tensor((8, 8), "float32")):
            with R.dataflow():
                y = R.nn.relu(R.matmul(x, w))
                R.output(y)
            return y

    with pytest.warns(UserWarning, match="symbolic shapes"):
        part = ft.partition_for_fourfold(Dyn, "llvm")
    assert not ft.offloaded_functions(part)

    # Handing such a function to the codegen directly is an error that says why.
    fn = Dyn["main"]
    with pytest.raises(ft.SymbolicShapeError, match="static shapes"):
        ft.translate(fn, "dyn")


# --------------------------------------------------------------------------- #
# Compilation in a separate process
# --------------------------------------------------------------------------- #

def test_tvm_process_never_loads_libmlir(tmp_path):
    script = textwrap.dedent("""
        import sys, numpy as np, torch, tvm
        from tvm import relax
        from tvm.relax.frontend.torch import from_exported_program
        import fourfold.tvm as ft
        from fourfold.examples import torch_models
        m, xs = torch_models.get("mlp", "tiny")
        mod = from_exported_program(torch.export.export(m, tuple(xs)), keep_params_as_input=False)
        ex = ft.build(mod, "llvm")
        vm = relax.VirtualMachine(ex, tvm.cpu())
        got = vm["main"](tvm.runtime.tensor(xs[0].numpy()))[0].numpy()
        with torch.no_grad():
            assert np.abs(got - m(*xs).numpy()).max() < 1e-4
        maps = open("/proc/self/maps").read()
        assert "libMLIR" not in maps and "fourfold/_mlir_libs" not in maps, "libMLIR in the TVM process"
        assert "fourfold.compiler" not in sys.modules
        print("ok")
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    env.pop("FOURFOLD_TVM_ISOLATE", None)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-3000:]


def test_tvm_num_threads_sets_the_offloaded_codes_threads():
    """TVM_NUM_THREADS (without OMP_NUM_THREADS) is the thread count of fourfold's parallel code in the
    TVM process too: libomp's own default would be every core whatever TVM was told. 3, so that the
    check does not depend on the machine's core count."""
    script = textwrap.dedent("""
        import ctypes, numpy as np, torch, tvm
        from tvm import relax
        from tvm.relax.frontend.torch import from_exported_program
        import fourfold.tvm as ft
        from fourfold.examples import torch_models
        m, xs = torch_models.get("resnet-basic", "tiny")
        mod = from_exported_program(torch.export.export(m, tuple(xs)), keep_params_as_input=False)
        vm = relax.VirtualMachine(ft.build(mod, "llvm"), tvm.cpu())
        vm["main"](tvm.runtime.tensor(xs[0].numpy()))
        print("threads", ctypes.CDLL(ft.cabi.libomp_path()).omp_get_max_threads())
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p), TVM_NUM_THREADS="3")
    env.pop("OMP_NUM_THREADS", None)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and "threads 3" in proc.stdout, (proc.stdout[-500:], proc.stderr[-3000:])


def test_compiler_crash_is_an_error_not_a_crash(monkeypatch):
    _, _, mod = _zoo("mlp")
    part = ft.partition_for_fourfold(mod, "llvm")
    monkeypatch.setenv("FOURFOLD_TVM_WORKER_CRASH", "1")
    with pytest.raises(Exception, match="compiler process was killed by SIGSEGV"):
        relax.transform.RunCodegen({"fourfold": {"isolate": True}})(part)
    monkeypatch.delenv("FOURFOLD_TVM_WORKER_CRASH")
    # and the process goes on building
    relax.transform.RunCodegen({"fourfold": {"isolate": True}})(part)


def test_in_process_compilation():
    module, inputs, mod = _zoo("mlp")
    ex = ft.build(mod, "llvm", isolate=False)
    with torch.no_grad():
        _close(_run(ex, inputs), module(*inputs).numpy())


def test_wrong_input_is_a_python_error():
    module, inputs, mod = _zoo("mlp")
    part = ft.partition_for_fourfold(mod, "llvm")
    name = next(iter(ft.offloaded_functions(part)))
    ex = relax.build(relax.transform.RunCodegen()(part), "llvm")
    # call the offloaded function directly with a wrongly shaped input
    fn = ex.jit().get_function(name, query_imports=True)
    args = [tvm.runtime.tensor(np.zeros(s, np.float32)) for s, _ in ft.last_build[0]["args"]]
    args[0] = tvm.runtime.tensor(np.zeros((5, 32), np.float32))
    out = tvm.runtime.tensor(np.zeros((4, 16), np.float32))
    with pytest.raises(ValueError, match=f"fourfold function {name}: tensor has the wrong shape"):
        fn(*args, out)


# --------------------------------------------------------------------------- #
# Patterns
# --------------------------------------------------------------------------- #

def test_patterns_are_registered():
    from tvm.relax.backend.pattern_registry import get_patterns_with_prefix

    names = [p.name for p in get_patterns_with_prefix("fourfold")]
    for expected in ("fourfold.dense_bias_act", "fourfold.conv2d_bn_add_relu", "fourfold.attention",
                     "fourfold.layer_norm", "fourfold.softmax", "fourfold.add"):
        assert expected in names
    assert names.index("fourfold.attention") < names.index("fourfold.matmul")  # larger first


# --------------------------------------------------------------------------- #
# CUDA
# --------------------------------------------------------------------------- #

@pytest.mark.skipif(find_ptxas() is None, reason="ptxas not installed")
@pytest.mark.parametrize("name", ["mlp", "encoder"])
def test_cuda_build_kernels_pass_ptxas(name, tmp_path):
    from fourfold.compiler import assemble_ptx

    _, _, mod = _zoo(name)
    target = tvm.target.Target({"kind": "cuda", "arch": "sm_90"}, host="llvm")
    part = ft.partition_for_fourfold(mod, target)
    assert len(ft.offloaded_functions(part)) == 1
    built = relax.transform.RunCodegen()(part)
    ext = list(built.attrs["external_mods"])
    assert [m.kind for m in ext] == ["static_library"]  # the host object with the kernels inside
    record = ft.last_build[0]
    assert record["target"] == "sm_90" and record["kernels"] >= 1
    for module_name, ptx in record["ptx"].items():
        assert ".entry" in ptx and ".target sm_90" in ptx
        assemble_ptx(ptx, "sm_90")  # raises with ptxas's message if it rejects the PTX
    # the host side builds and exports with the rest of the model (running it needs a GPU)
    ex = relax.build(built, target=target)
    ex.export_library(str(tmp_path / "cuda.so"))
    assert os.path.getsize(tmp_path / "cuda.so") > 0


