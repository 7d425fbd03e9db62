"""Bad input and bad calls give one clear Python error, never a crash."""

import numpy as np
import pytest

import fourfold
from fourfold import CompileError, FourfoldError

from test_compile_cpu import matmul_src


@pytest.fixture(scope="module")
def mm():
    return fourfold.compile(matmul_src(4, 6, 5))


def test_wrong_argument_count(mm):
    a = np.zeros((4, 5), np.float32)
    with pytest.raises(TypeError, match=r"matmul takes 2 argument\(s\) .* got 1"):
        mm(a)
    with pytest.raises(TypeError, match="got 3"):
        mm(a, a, a)


def test_wrong_dtype(mm):
    with pytest.raises(TypeError, match=r"argument #1 .* must have dtype float32, got float64"):
        mm(np.zeros((4, 5), np.float32), np.zeros((5, 6), np.float64))


def test_wrong_shape(mm):
    with pytest.raises(ValueError, match=r"argument #0 .* must have shape \(4, 5\), got \(5, 4\)"):
        mm(np.zeros((5, 4), np.float32), np.zeros((5, 6), np.float32))


def test_not_an_array(mm):
    with pytest.raises(TypeError, match="argument #0 .* must be an array .* got list"):
        mm([[0.0] * 5] * 4, np.zeros((5, 6), np.float32))


def test_malformed_ir_has_a_location():
    with pytest.raises(CompileError, match=r'cannot parse <input>\n  loc\("-":2:'):
        fourfold.compile("func.func @f() {\n  %x = arith.addf\n}")


def test_verifier_error_is_reported():
    bad = matmul_src(4, 6, 5).replace("tensor<4x6xf32>) -> tensor<4x6xf32>\n  return", "tensor<4x6xf32>) -> tensor<4x7xf32>\n  return")
    with pytest.raises(CompileError):
        fourfold.compile(bad)


def test_unsupported_target():
    with pytest.raises(ValueError, match="unsupported target 'sm_75'; supported: cpu, sm_80"):
        fourfold.compile(matmul_src(2, 2, 2), target="sm_75")
    with pytest.raises(ValueError, match="opt_level"):
        fourfold.compile(matmul_src(2, 2, 2), opt_level=7)


def test_entry_selection():
    two = matmul_src(2, 2, 2) + matmul_src(3, 3, 3).replace("@matmul", "@other")
    with pytest.raises(FourfoldError, match="several public functions"):
        fourfold.compile(two)
    fn = fourfold.compile(two, entry="other")
    x = np.eye(3, dtype=np.float32)
    np.testing.assert_array_equal(fn(x, x), x)
    with pytest.raises(FourfoldError, match="no function @missing"):
        fourfold.compile(two, entry="missing")


def test_dynamic_shapes_are_rejected_clearly():
    src = """
    func.func @f(%a: tensor<?xf32>) -> tensor<?xf32> {
      return %a : tensor<?xf32>
    }"""
    with pytest.raises(FourfoldError, match=r"argument #0 has type tensor<\?xf32>: .*static shapes"):
        fourfold.compile(src)
