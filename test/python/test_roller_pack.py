"""roller on the CPU: matmul B panels packed per cache tile (roller.pack, PackPanels.cpp), numerics
against numpy.

Whole register tiles read B from contiguous panels as wide as the register tile, copied once per
cache tile and reduction step; partial tiles (k past a whole number of register steps, columns past
a whole number of panels, rows past the register tile) read B in place. Sizes are odd on purpose,
and inputs start at addresses that are not 64-byte aligned (numpy hands such arrays over), so
that every path is exercised: nothing may be dropped or read twice.
"""

import re

import numpy as np
import pytest

import fourfold
from conftest import assert_close_to_scale as check
from fourfold.examples import programs as P

# A panel row copied: vector.transfer_write of nr lanes into the [panels, k, nr] buffer.
PACKED = re.compile(r"vector\.transfer_write %\S+, %\S+\[%\S+, (?:%\S+, )+%c0\] \{in_bounds = \[true\]\} : "
                    r"vector<(\d+)xf32>, tensor<(?:\d+x)+\1xf32>")


def rand(rng, *shape, offset=0):
    """A C-contiguous array whose data starts `offset` floats past a 64-byte boundary."""
    n = int(np.prod(shape))
    base = np.empty(n + 16, dtype=np.float32)
    skip = (-(base.ctypes.data // 4) % 16 + offset) % 16
    out = base[skip:skip + n].reshape(shape)
    out[...] = rng.standard_normal(shape, dtype=np.float32)
    return out


@pytest.mark.parametrize("m,n,k", [(64, 70, 100), (129, 1000, 97), (256, 256, 256), (130, 3072, 77),
                                   (17, 200, 300), (5, 300, 64), (128, 3073, 769), (37, 53, 29)])
def test_matmul(rng, m, n, k):
    a, b = rand(rng, m, k, offset=1), rand(rng, k, n, offset=4)
    fn = fourfold.compile(P.matmul(m, n, k))
    check(fn(a, b), a @ b)


def test_large_matmul_packs_b(rng):
    """Many row tiles reuse every panel: the policy packs B on any host."""
    m = n = k = 256
    fn = fourfold.compile(P.matmul(m, n, k))
    assert PACKED.search(fn.stages["roller"]), "B was not packed"
    a, b = rand(rng, m, k), rand(rng, k, n, offset=3)
    check(fn(a, b), a @ b)


@pytest.mark.parametrize("bt,m,n,k", [(3, 33, 50, 40), (12, 128, 64, 128), (2, 70, 130, 257)])
def test_batch_matmul(rng, bt, m, n, k):
    a, b = rand(rng, bt, m, k, offset=2), rand(rng, bt, k, n, offset=1)
    fn = fourfold.compile(P.batch_matmul(bt, m, n, k))
    check(fn(a, b), a @ b)


def test_matmul_bias_relu_group(rng):
    """A welder group (matmul + epilogue): B is a slice of the group's tile, packed as well."""
    m, n, k = 128, 300, 200
    a, b, bias = rand(rng, m, k), rand(rng, k, n, offset=5), rand(rng, n)
    fn = fourfold.compile(P.matmul_bias_relu(m, n, k))
    check(fn(a, b, bias), np.maximum(a @ b + bias, 0))
