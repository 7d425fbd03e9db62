"""grinder-reshape-results: a result that is a view of a computed buffer (a reshape, a flatten) is
written straight into the caller's buffer, with no copy, and stays correct."""

import re

import numpy as np
import pytest

import fourfold

from conftest import assert_close_to_scale

COPY_INTO_RESULT = r"memref.copy %\S+, %arg\d+ :"


def without_pass():
    on = fourfold.Pipeline.cpu()
    return on.replace("bufferize", on["bufferize"].passes.replace("func.func(grinder-reshape-results),", ""))


@pytest.mark.parametrize("out_shape", [(3, 37, 5), (5, 111), (1, 37, 15, 1)])
def test_reshaped_result_in_callers_buffer(rng, out_shape):
    out = "x".join(map(str, out_shape))
    src = f"""
func.func @mm(%a: tensor<37x29xf32>, %b: tensor<29x15xf32>) -> tensor<{out}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x15xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<37x15xf32>) -> tensor<37x15xf32>
  %r = linalg.matmul ins(%a, %b : tensor<37x29xf32>, tensor<29x15xf32>) outs(%f : tensor<37x15xf32>) -> tensor<37x15xf32>
  %flat = tensor.collapse_shape %r [[0, 1]] : tensor<37x15xf32> into tensor<555xf32>
  %v = tensor.expand_shape %flat [{list(range(len(out_shape)))}] output_shape {list(out_shape)} : tensor<555xf32> into tensor<{out}xf32>
  return %v : tensor<{out}xf32>
}}"""
    a, b = rng.standard_normal((37, 29), dtype=np.float32), rng.standard_normal((29, 15), dtype=np.float32)
    ref = (a.astype(np.float64) @ b).reshape(out_shape)
    fn = fourfold.compile(src)
    first, second = fn(a, b), fn(a, b)
    assert_close_to_scale(first, ref)
    assert_close_to_scale(second, ref)
    assert first.ctypes.data != second.ctypes.data  # a fresh result per call
    assert not re.search(COPY_INTO_RESULT, fn.stages["bufferize"])
    # Without the pass the same program copies its result once more (the case it exists for).
    assert re.search(COPY_INTO_RESULT, fourfold.compile(src, pipeline=without_pass(), cache=False).stages["bufferize"])


def test_torch_view_output():
    """A model whose output is a view of a matmul (attention merging its heads does this)."""
    torch = pytest.importorskip("torch")

    class Heads(torch.nn.Module):
        def forward(self, x, w):
            return (x @ w).view(4, 16, 3, 8).transpose(0, 1).reshape(16, 4 * 24)[:, :48].reshape(16, 6, 8)

    x, w = torch.randn(64, 32), torch.randn(32, 24)
    model = fourfold.compile(Heads(), (x, w))
    assert_close_to_scale(model(x, w).numpy(), Heads()(x, w).numpy())

    class Flat(torch.nn.Module):
        def forward(self, x, w):
            return torch.relu(x @ w).flatten()

    model = fourfold.compile(Flat(), (x, w))
    assert_close_to_scale(model(x, w).numpy(), Flat()(x, w).numpy())
    assert not re.search(COPY_INTO_RESULT, model.stages["bufferize"])
