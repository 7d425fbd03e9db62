"""roller on GEMV-like shapes (one or a few rows): numerics against numpy.

x @ B with one row streams B's rows (vectors along n); x @ w.T, linalg.matvec
and the PyTorch importer's F.linear read w's rows as dot products along k
(vectors along k, one horizontal reduction per output), after
roller-fold-transposes has turned transpose + matmul into one matmul. Sizes
are odd on purpose: remainders along n (columns past the register tiles), k
(past a whole number of vectors), m (rows past the 2 x 4 dot-product tile)
and k shorter than a vector must all be computed, none dropped.
"""

import numpy as np
import pytest

import fourfold
from conftest import assert_close_to_scale as check

MAPS_TB = ("indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, "
           "affine_map<(m, n, k) -> (m, n)>]")




def rand(rng, *shape):
    return rng.standard_normal(shape, dtype=np.float32)


def matmul_src(m, n, k, transposed_b=False, transpose_op=False):
    """x[m, k] @ B: B[k, n], or w[n, k] read as w.T (by the matmul's map, or by a linalg.transpose
    feeding a plain matmul when `transpose_op`)."""
    b = f"{n}x{k}" if transposed_b or transpose_op else f"{k}x{n}"
    body = ""
    operand = "%b"
    if transpose_op:
        body = (f"  %te = tensor.empty() : tensor<{k}x{n}xf32>\n"
                f"  %t = linalg.transpose ins(%b : tensor<{n}x{k}xf32>) outs(%te : tensor<{k}x{n}xf32>) "
                f"permutation = [1, 0]\n")
        operand, btype = "%t", f"{k}x{n}"
    else:
        btype = b
    maps = MAPS_TB + " " if transposed_b else ""
    return f"""
func.func @mm(%a: tensor<{m}x{k}xf32>, %b: tensor<{b}xf32>) -> tensor<{m}x{n}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
{body}  %r = linalg.matmul {maps}ins(%a, {operand} : tensor<{m}x{k}xf32>, tensor<{btype}xf32>)
                     outs(%c : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %r : tensor<{m}x{n}xf32>
}}"""


@pytest.mark.parametrize("m,n,k", [(1, 4096, 4096), (1, 4097, 1000), (1, 1000, 1), (1, 37, 53),
                                   (3, 4097, 1000), (2, 33, 17), (4, 1031, 515), (8, 4097, 1000)])
def test_gemv(rng, m, n, k):
    a, b = rand(rng, m, k), rand(rng, k, n)
    fn = fourfold.compile(matmul_src(m, n, k))
    check(fn(a, b), a @ b)


@pytest.mark.parametrize("m,n,k", [(1, 1000, 2048), (1, 37, 53), (1, 1000, 1), (3, 4097, 1000),
                                   (5, 33, 1040), (2, 7, 16), (1, 1, 4113), (16, 9, 31)])
def test_matmul_transposed_b_dot_products(rng, m, n, k):
    a, w = rand(rng, m, k), rand(rng, n, k)
    fn = fourfold.compile(matmul_src(m, n, k, transposed_b=True))
    check(fn(a, w), a @ w.T)
    if k >= 64:
        # Dot products (k of at least 4 vectors): vector accumulators along k, reduced
        # horizontally.
        assert "vector.reduction <add>" in fn.stages["roller"]


@pytest.mark.parametrize("m", [1, 3, 16, 17])
def test_transpose_folded_into_few_row_matmuls(rng, m):
    n, k = 45, 130
    a, w = rand(rng, m, k), rand(rng, n, k)
    fn = fourfold.compile(matmul_src(m, n, k, transpose_op=True))
    check(fn(a, w), a @ w.T)
    # Up to 16 rows w is read in place; with more the transpose stays.
    assert ("linalg.transpose" in fn.stages["frontend"]) == (m > 16)


def test_matvec_and_vecmat(rng):
    src = """
func.func @mv(%a: tensor<1000x2049xf32>, %x: tensor<2049xf32>, %y: tensor<1000xf32>)
    -> (tensor<1000xf32>, tensor<2049xf32>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1000xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1000xf32>) -> tensor<1000xf32>
  %r = linalg.matvec ins(%a, %x : tensor<1000x2049xf32>, tensor<2049xf32>)
                     outs(%c : tensor<1000xf32>) -> tensor<1000xf32>
  %e2 = tensor.empty() : tensor<2049xf32>
  %c2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<2049xf32>) -> tensor<2049xf32>
  %s = linalg.vecmat ins(%y, %a : tensor<1000xf32>, tensor<1000x2049xf32>)
                     outs(%c2 : tensor<2049xf32>) -> tensor<2049xf32>
  return %r, %s : tensor<1000xf32>, tensor<2049xf32>
}"""
    a, x, y = rand(rng, 1000, 2049), rand(rng, 2049), rand(rng, 1000)
    fn = fourfold.compile(src)
    r, s = fn(a, x, y)
    check(r, a @ x)
    check(s, y @ a)


@pytest.mark.parametrize("m,n,k", [(1, 1000, 2048), (1, 1000, 1), (3, 4097, 1000), (1, 37, 53)])
def test_torch_linear(m, n, k):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional

    class Linear(torch.nn.Module):
        def forward(self, x, w, b):
            return F.linear(x, w, b)

    g = torch.Generator().manual_seed(0)
    x, w, b = (torch.randn(s, generator=g) for s in ((m, k), (n, k), (n,)))
    model = fourfold.compile(Linear().eval(), (x, w, b))
    got = model(x, w, b)
    ref = (x.double() @ w.double().T + b.double()).float()
    check(np.asarray(got), ref.numpy())
