"""The staged pass-pipeline API."""

import pytest

import fourfold
from fourfold import CompileError, Pipeline

MATMUL = """
func.func @mm(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>, %c: tensor<4x5xf32>) -> tensor<4x5xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x3xf32>, tensor<3x5xf32>) outs(%c : tensor<4x5xf32>) -> tensor<4x5xf32>
  return %r : tensor<4x5xf32>
}
"""


def test_named_stages():
    assert Pipeline.cpu().names == ["frontend", "welder", "roller", "bufferize", "grinder", "rammer", "loops", "llvm"]
    assert Pipeline.cpu(roller=False).names == ["frontend", "welder", "bufferize", "grinder", "rammer", "loops", "llvm"]
    assert Pipeline.cpu(welder=False, roller=False).names == ["frontend", "bufferize", "grinder", "rammer", "loops", "llvm"]
    assert Pipeline.cpu(rammer=False).names == ["frontend", "welder", "roller", "bufferize", "grinder", "loops", "llvm"]
    assert Pipeline.cpu(grinder=False).names == ["frontend", "welder", "roller", "bufferize", "rammer", "loops", "llvm"]
    # Without parallel tiles there is nothing to co-schedule or place over the cores.
    assert "rammer" not in Pipeline.cpu(parallel=False).names
    assert "grinder" not in Pipeline.cpu(parallel=False).names
    assert "roller-construct{target=sm_90}" in Pipeline.cpu(target="sm_90")["roller"].passes
    assert Pipeline.gpu("sm_80").names == ["frontend", "welder", "roller", "bufferize", "grinder", "rammer", "gpu-map", "nvvm", "binary"]
    assert Pipeline.gpu("sm_80", roller=False).names == ["frontend", "bufferize", "grinder", "rammer", "gpu-map", "nvvm", "binary"]
    assert "rammer" not in Pipeline.gpu("sm_80", rammer=False).names
    # sm_86 has no target description: no grid of resident blocks to size.
    assert "rammer" not in Pipeline.gpu("sm_86").names
    assert "rammer-lower{gpu=true target=sm_80}" in Pipeline.gpu("sm_80")["rammer"].passes
    assert Pipeline.gpu("sm_80", lower_host=True).names[-1] == "host"
    assert "chip=sm_80" in Pipeline.gpu("sm_80")["nvvm"].passes
    assert "buffer-results-to-out-params" not in Pipeline.cpu(out_params=False)["bufferize"].passes


def test_run_keeps_each_stage():
    result = Pipeline.cpu().run(MATMUL)
    assert list(result.ir) == ["frontend", "welder", "roller", "bufferize", "grinder", "rammer", "loops", "llvm"]
    assert "linalg.matmul" in result.ir["frontend"]
    assert "welder." not in result.ir["welder"]  # groups are lowered and inlined
    assert "vector.contract" in result.ir["roller"] and "roller." not in result.ir["roller"]
    assert "memref<4x5xf32>" in result.ir["bufferize"]
    assert "scf.for" not in result.ir["loops"] and "linalg." not in result.ir["loops"]
    assert "llvm.func @mm" in result.ir["llvm"]
    assert set(result.timings) == set(result.ir) and result.total_time > 0


def test_edit_pipeline():
    p = Pipeline.cpu().insert_after("frontend", "generalize", "func.func(linalg-generalize-named-ops)")
    assert p.names == ["frontend", "generalize", "welder", "roller", "bufferize", "grinder", "rammer", "loops", "llvm"]
    result = p.run(MATMUL)
    assert "linalg.generic" in result.ir["generalize"] and "linalg.matmul" not in result.ir["generalize"]
    assert p.without("generalize").names == Pipeline.cpu().names
    assert p.replace("generalize", "cse")["generalize"].passes == "cse"
    assert p.text().startswith("builtin.module(func.func(tosa-to-linalg-named")
    with pytest.raises(KeyError, match="no stage 'nope'"):
        p.without("nope")
    with pytest.raises(ValueError, match="repeated: a"):
        Pipeline([("a", "cse"), ("a", "canonicalize")])


def test_custom_stages_and_errors():
    bad = Pipeline([("oops", "no-such-pass")])
    with pytest.raises(CompileError, match="stage 'oops' is not a valid pass pipeline"):
        bad.run(MATMUL)
    # A pass that fails on its input reports the stage and MLIR's diagnostic.
    failing = Pipeline([("ok", "canonicalize"), ("binary", "gpu-module-to-binary")])
    no_target = 'module attributes {gpu.container_module} {\n  gpu.module @k {\n  }\n}'
    with pytest.raises(CompileError, match="stage 'binary' failed") as info:
        failing.run(no_target)
    assert info.value.stage == "binary"
    assert any('loc("-":2:3): the module has no target attributes' in d for d in info.value.diagnostics)


def test_pipeline_options_errors():
    with pytest.raises(ValueError, match="unsupported GPU chip 'sm_75'"):
        Pipeline.gpu("sm_75")
    with pytest.raises(ValueError, match="invalid pipeline options"):
        Pipeline.named("cpu", no_such_option=1)
    with pytest.raises(ValueError, match="unknown pipeline 'tpu'"):
        Pipeline.named("tpu")
    with pytest.raises(ValueError, match="no libdevice"):
        Pipeline.gpu("sm_90", toolkit="/nonexistent")
    assert "sm_90" in fourfold.supported_chips()
