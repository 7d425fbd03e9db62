"""roller on transposes and contractions that read an operand transposed: numerics against numpy.

linalg.transpose (and generic copies with a permuted map) move 16 x 16 blocks through vector
registers; partial blocks (odd sizes) are masked, never dropped. Contractions that read B with k
contiguous (q @ k^T, x @ w.T) and many rows, or a short k, get B transposed once by
roller-fold-transposes and run the outer-product kernel; few rows with a long k stay dot products.
"""

import numpy as np
import pytest

import fourfold
from conftest import assert_close_to_scale as check




def tensor(shape):
    return "tensor<" + "x".join(map(str, shape)) + "xf32>"


def transpose_src(shape, perm):
    out = [shape[p] for p in perm]
    return f"""func.func @f(%a: {tensor(shape)}) -> {tensor(out)} {{
  %e = tensor.empty() : {tensor(out)}
  %t = linalg.transpose ins(%a : {tensor(shape)}) outs(%e : {tensor(out)}) permutation = {list(perm)}
  return %t : {tensor(out)}
}}"""


@pytest.mark.parametrize("shape,perm", [
    ((37, 53), (1, 0)), ((197, 768), (1, 0)), ((5, 3), (1, 0)), ((16, 16), (1, 0)), ((130, 17), (1, 0)),
    ((12, 197, 64), (0, 2, 1)), ((3, 37, 53, 5), (3, 1, 0, 2)), ((2, 19, 3, 21), (0, 3, 2, 1)),
    ((8, 25, 32), (1, 0, 2)),
])
def test_transpose(shape, perm):
    a = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    got = fourfold.compile(transpose_src(shape, perm), cache=False)(a)
    np.testing.assert_array_equal(got, np.transpose(a, perm))


def test_transpose_f64():
    a = np.random.default_rng(1).standard_normal((29, 45))
    src = transpose_src((29, 45), (1, 0)).replace("xf32>", "xf64>")
    np.testing.assert_array_equal(fourfold.compile(src, cache=False)(a), a.T)


def bt_src(m, n, k, batch=None):
    """a[(batch,) m, k] @ b[(batch,) n, k]^T as one linalg.generic (b read with k contiguous)."""
    lead, par = ("h, ", '"parallel", ') if batch else ("", "")
    pre = [batch] if batch else []
    ta, tb, tc = tensor(pre + [m, k]), tensor(pre + [n, k]), tensor(pre + [m, n])
    return f"""func.func @f(%a: {ta}, %b: {tb}) -> {tc} {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : {tc}
  %c = linalg.fill ins(%z : f32) outs(%e : {tc}) -> {tc}
  %r = linalg.generic {{indexing_maps = [affine_map<({lead}i, j, l) -> ({lead}i, l)>,
                        affine_map<({lead}i, j, l) -> ({lead}j, l)>, affine_map<({lead}i, j, l) -> ({lead}i, j)>],
                        iterator_types = [{par}"parallel", "parallel", "reduction"]}}
       ins(%a, %b : {ta}, {tb}) outs(%c : {tc}) {{
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }} -> {tc}
  return %r : {tc}
}}"""


@pytest.mark.parametrize("m,n,k,batch", [
    (256, 256, 32, None), (37, 53, 29, None), (197, 197, 64, None), (4, 100, 64, None), (3, 7, 5, None),
    (17, 33, 70, None), (8, 256, 32, 3), (197, 197, 64, 2), (13, 29, 9, 5),
])
def test_bt_contraction(m, n, k, batch):
    rng = np.random.default_rng(2)
    pre = (batch,) if batch else ()
    a = rng.standard_normal(pre + (m, k), dtype=np.float32)
    b = rng.standard_normal(pre + (n, k), dtype=np.float32)
    got = fourfold.compile(bt_src(m, n, k, batch), cache=False)(a, b)
    check(got, a.astype(np.float64) @ np.swapaxes(b, -1, -2).astype(np.float64))


def test_transpose_then_matmul():
    """The frontend's form of x @ w.T with many rows: transpose + matmul, the transpose vectorised."""
    m, n, k = 41, 77, 53
    src = f"""func.func @f(%a: tensor<{m}x{k}xf32>, %b: tensor<{n}x{k}xf32>) -> tensor<{m}x{n}xf32> {{
  %z = arith.constant 0.0 : f32
  %et = tensor.empty() : tensor<{k}x{n}xf32>
  %bt = linalg.transpose ins(%b : tensor<{n}x{k}xf32>) outs(%et : tensor<{k}x{n}xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %r = linalg.matmul ins(%a, %bt : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) outs(%c : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %r : tensor<{m}x{n}xf32>
}}"""
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((n, k), dtype=np.float32)
    check(fourfold.compile(src, cache=False)(a, b), a.astype(np.float64) @ b.T.astype(np.float64))
