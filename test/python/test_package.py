"""One package, one Context: upstream MLIR and fourfold's dialects together."""

import pytest

from fourfold import ir, passmanager
from fourfold.dialects import arith, func, grinder, linalg, rammer, roller, tensor, welder  # noqa: F401

TARGET = (
    '#roller.target<"sm_80", gpu, units = 108, blocks_per_unit = 32, threads_per_unit = 2048, '
    "warp = 32, regs_per_unit = 65536, vector_bits = 128, "
    'levels = [#roller.level<"global", capacity = 42949672960, bandwidth = 1555, transaction = 32>, '
    '#roller.level<"shared", capacity = 167936, bandwidth = 19490, transaction = 128, banks = 32>], '
    "peak = {f32 = 19500.0 : f64}>"
)


def test_all_dialects_in_one_context():
    with ir.Context() as ctx, ir.Location.unknown():
        for name in ("roller", "welder", "rammer", "grinder", "linalg", "tensor", "gpu", "nvvm", "tosa"):
            assert ctx.dialects[name] is not None
        m = ir.Module.parse(f"""
          module attributes {{roller.target = {TARGET}}} {{
            func.func @f(%a: tensor<8x8xf32>, %b: tensor<8x8xf32>, %c: tensor<8x8xf32>) -> tensor<8x8xf32> {{
              %r = linalg.matmul {{roller.tile = #roller.rtile<shared = [8, 8, 4], register = [2, 2, 1]>}}
                   ins(%a, %b : tensor<8x8xf32>, tensor<8x8xf32>) outs(%c : tensor<8x8xf32>) -> tensor<8x8xf32>
              return %r : tensor<8x8xf32>
            }}
          }}""")
        assert m.operation.verify()
        assert "#roller.rtile<shared = [8, 8, 4], register = [2, 2, 1]>" in str(m)


def test_enums_are_bound():
    assert grinder.Placement.device.name == "device"
    assert welder.MemoryLevel.Register.name == "Register"
    assert roller.TargetKind.cpu.name == "cpu"


def test_build_welder_group_from_python():
    with ir.Context(), ir.Location.unknown():
        m = ir.Module.create()
        t = ir.RankedTensorType.get([4], ir.F32Type.get())
        with ir.InsertionPoint(m.body):
            f = func.FuncOp("g", ir.FunctionType.get([t], [t]))
            with ir.InsertionPoint(f.add_entry_block()):
                group = welder.GroupOp([t], "g0", [f.arguments[0]])
                block = group.body.blocks.append(t)
                with ir.InsertionPoint(block):
                    welder.YieldOp([block.arguments[0]])
                func.ReturnOp([group.results[0]])
        assert m.operation.verify()
        assert 'welder.group "g0"' in str(m)


def test_verifier_messages_reach_python():
    with ir.Context(), ir.Location.unknown():
        with pytest.raises(ir.MLIRError, match="threads_per_unit"):
            ir.Attribute.parse(TARGET.replace("threads_per_unit = 2048", "threads_per_unit = 2047"))


def test_fourfold_pipelines_are_registered():
    with ir.Context():
        passmanager.PassManager.parse("builtin.module(fourfold-cpu-pipeline)")
        passmanager.PassManager.parse("builtin.module(fourfold-gpu-pipeline{chip=sm_80})")
        with pytest.raises(ValueError, match="unsupported GPU chip 'sm_75'"):
            passmanager.PassManager.parse("builtin.module(fourfold-gpu-pipeline{chip=sm_75})")
