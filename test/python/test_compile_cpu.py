"""fourfold.compile on the CPU: numerics against numpy on random inputs, and the calling contract."""

import numpy as np
import pytest

import fourfold
from fourfold.examples import programs



def matmul_src(m, n, k, dtype="f32"):
    return programs.matmul(m, n, k, dtype)


@pytest.mark.parametrize("m,n,k", [(37, 53, 29), (1, 1000, 1), (1, 1, 1), (64, 64, 64), (5, 3, 128)])
def test_matmul_odd_sizes(rng, m, n, k):
    fn = fourfold.compile(matmul_src(m, n, k))
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    np.testing.assert_allclose(fn(a, b), a @ b, rtol=1e-4, atol=1e-4)


def test_matmul_f64(rng):
    fn = fourfold.compile(matmul_src(7, 9, 11, "f64"))
    a, b = rng.standard_normal((7, 11)), rng.standard_normal((11, 9))
    np.testing.assert_allclose(fn(a, b), a @ b, rtol=1e-12)


MATMUL_BIAS_RELU = programs.matmul_bias_relu(37, 53, 29)


def test_matmul_bias_relu(rng):
    fn = fourfold.compile(MATMUL_BIAS_RELU)
    a = rng.standard_normal((37, 29), dtype=np.float32)
    b = rng.standard_normal((29, 53), dtype=np.float32)
    bias = rng.standard_normal(53, dtype=np.float32)
    np.testing.assert_allclose(fn(a, b, bias), np.maximum(a @ b + bias, 0), rtol=1e-4, atol=1e-5)


REDUCTION = """
func.func @rowsum_max(%x: tensor<13x257xf32>) -> (tensor<13xf32>, tensor<257xf32>) {
  %z = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<13xf32>
  %s0 = linalg.fill ins(%z : f32) outs(%e : tensor<13xf32>) -> tensor<13xf32>
  %s = linalg.reduce ins(%x : tensor<13x257xf32>) outs(%s0 : tensor<13xf32>) dimensions = [1]
    (%in: f32, %acc: f32) { %t = arith.addf %in, %acc : f32
                            linalg.yield %t : f32 }
  %e2 = tensor.empty() : tensor<257xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%e2 : tensor<257xf32>) -> tensor<257xf32>
  %m = linalg.reduce ins(%x : tensor<13x257xf32>) outs(%m0 : tensor<257xf32>) dimensions = [0]
    (%in: f32, %acc: f32) { %t = arith.maximumf %in, %acc : f32
                            linalg.yield %t : f32 }
  return %s, %m : tensor<13xf32>, tensor<257xf32>
}"""


def test_reductions_two_results(rng):
    fn = fourfold.compile(REDUCTION)
    x = rng.standard_normal((13, 257), dtype=np.float32)
    s, m = fn(x)
    np.testing.assert_allclose(s, x.sum(axis=1), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(m, x.max(axis=0))


BROADCAST_CHAIN = """
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d2)>
#col = affine_map<(d0, d1, d2) -> (d0, 0, 0)>
func.func @chain(%x: tensor<3x5x7xf32>, %w: tensor<7xf32>, %v: tensor<3x1x1xf32>) -> tensor<3x5x7xf32> {
  %e = tensor.empty() : tensor<3x5x7xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #col, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %w, %v : tensor<3x5x7xf32>, tensor<7xf32>, tensor<3x1x1xf32>) outs(%e : tensor<3x5x7xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.subf %m, %c : f32
    %t = math.tanh %s : f32
    %g = math.erf %t : f32
    %q = math.exp %g : f32
    linalg.yield %q : f32
  } -> tensor<3x5x7xf32>
  return %r : tensor<3x5x7xf32>
}"""


def test_broadcast_elementwise_chain(rng):
    from math import erf

    fn = fourfold.compile(BROADCAST_CHAIN)
    x = rng.standard_normal((3, 5, 7), dtype=np.float32)
    w = rng.standard_normal(7, dtype=np.float32)
    v = rng.standard_normal((3, 1, 1), dtype=np.float32)
    t = np.tanh(x * w - v)
    ref = np.exp(np.vectorize(erf)(t))
    np.testing.assert_allclose(fn(x, w, v), ref, rtol=1e-5, atol=1e-6)


CONV = programs.conv2d("conv_2d_nhwc_fhwc", (2, 9, 11, 3), (4, 3, 3, 3), stride=2)


def conv_nhwc_fhwc(x, w, stride):
    n, h, wd, c = x.shape
    f, kh, kw, _ = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, oh, ow, f), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i : i + stride * oh : stride, j : j + stride * ow : stride, :]
            out += np.einsum("nhwc,fc->nhwf", patch, w[:, i, j, :])
    return out


def test_conv2d_strided(rng):
    fn = fourfold.compile(CONV)
    x = rng.standard_normal((2, 9, 11, 3), dtype=np.float32)
    w = rng.standard_normal((4, 3, 3, 3), dtype=np.float32)
    np.testing.assert_allclose(fn(x, w), conv_nhwc_fhwc(x, w, 2), rtol=1e-4, atol=1e-4)


TOSA = """
func.func @tosa_mlp(%x: tensor<1x6x8xf32>, %w: tensor<1x8x5xf32>, %b: tensor<1x1x5xf32>) -> tensor<1x6x5xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %m = tosa.matmul %x, %w, %zp, %zp : (tensor<1x6x8xf32>, tensor<1x8x5xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x6x5xf32>
  %a = tosa.add %m, %b : (tensor<1x6x5xf32>, tensor<1x1x5xf32>) -> tensor<1x6x5xf32>
  %r = tosa.clamp %a {min_val = 0.0 : f32, max_val = 3.0e38 : f32} : (tensor<1x6x5xf32>) -> tensor<1x6x5xf32>
  return %r : tensor<1x6x5xf32>
}"""


def test_tosa_program(rng):
    fn = fourfold.compile(TOSA)
    x = rng.standard_normal((1, 6, 8), dtype=np.float32)
    w = rng.standard_normal((1, 8, 5), dtype=np.float32)
    b = rng.standard_normal((1, 1, 5), dtype=np.float32)
    np.testing.assert_allclose(fn(x, w, b), np.maximum(x @ w + b, 0), rtol=1e-4, atol=1e-5)


INPLACE = f"""
func.func @scale(%x: tensor<6xf32>, %s: f32) -> tensor<6xf32> {{
  %r = linalg.generic {{indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}}
      outs(%x : tensor<6xf32>) {{
  ^bb0(%o: f32):
    %m = arith.mulf %o, %s : f32
    linalg.yield %m : f32
  }} -> tensor<6xf32>
  return %r : tensor<6xf32>
}}"""


def test_inputs_are_never_written_and_scalars_pass(rng):
    fn = fourfold.compile(INPLACE)
    x = rng.standard_normal(6, dtype=np.float32)
    before = x.copy()
    np.testing.assert_allclose(fn(x, 2.5), before * 2.5, rtol=1e-6)
    np.testing.assert_array_equal(x, before)  # the caller's array is untouched
    np.testing.assert_allclose(fn(x, 3), before * 3, rtol=1e-6)  # an int for an f32 scalar is fine


def test_non_contiguous_inputs(rng):
    fn = fourfold.compile(matmul_src(4, 6, 5))
    a = rng.standard_normal((5, 4), dtype=np.float32).T  # a transposed view
    b = rng.standard_normal((6, 5), dtype=np.float32).T
    np.testing.assert_allclose(fn(a, b), a @ b, rtol=1e-5, atol=1e-5)


def test_read_only_and_fresh_outputs(rng):
    fn = fourfold.compile(matmul_src(4, 6, 5))
    a = rng.standard_normal((4, 5), dtype=np.float32)
    b = rng.standard_normal((5, 6), dtype=np.float32)
    a.flags.writeable = False  # read-only inputs have no writable buffer to take the address of
    first, second = fn(a, b), fn(a, b)
    np.testing.assert_allclose(first, a @ b, rtol=1e-5, atol=1e-5)
    assert not np.shares_memory(first, second)


def test_c_call_path(rng):
    """Exact C-ordered ndarrays go through fourfold._fastcall (lib/Runtime/FastCall.c); it must give
    what the Python path gives, and anything else must still reach the Python path's checks."""
    fn = fourfold.compile(matmul_src(37, 53, 29))
    assert fn._fast is not None, "fourfold._fastcall was not built"
    a = rng.standard_normal((37, 29), dtype=np.float32)
    b = rng.standard_normal((29, 53), dtype=np.float32)
    fast, slow = fn(a, b), fn._run((a, b))
    np.testing.assert_array_equal(fast, slow)
    assert fast.flags.c_contiguous and fast.flags.owndata and not np.shares_memory(fast, fn(a, b))
    with pytest.raises(TypeError, match="dtype"):
        fn(a.astype(np.float64), b)
    with pytest.raises(ValueError, match="shape"):
        fn(a[:36], b)
    with pytest.raises(TypeError, match="takes 2"):
        fn(a)
    np.testing.assert_allclose(fn(np.asfortranarray(a), b), a @ b, rtol=1e-4, atol=1e-4)
    # Results of 16 KiB and more come from the 64-byte aligned allocator in C too.
    big = fourfold.compile(matmul_src(64, 128, 8))
    x = rng.standard_normal((64, 8), dtype=np.float32)
    y = rng.standard_normal((8, 128), dtype=np.float32)
    outs = [big(x, y) for _ in range(4)]
    assert all(o.ctypes.data % 64 == 0 for o in outs)
    np.testing.assert_allclose(outs[0], x @ y, rtol=1e-4, atol=1e-4)


def test_scalar_result_and_rank0():
    src = """
    func.func @dot(%a: tensor<5xf32>, %b: tensor<5xf32>) -> (f32, tensor<f32>) {
      %z = arith.constant 0.0 : f32
      %e = tensor.empty() : tensor<f32>
      %c = linalg.fill ins(%z : f32) outs(%e : tensor<f32>) -> tensor<f32>
      %d = linalg.dot ins(%a, %b : tensor<5xf32>, tensor<5xf32>) outs(%c : tensor<f32>) -> tensor<f32>
      %s = tensor.extract %d[] : tensor<f32>
      return %s, %d : f32, tensor<f32>
    }"""
    fn = fourfold.compile(src)
    a = np.arange(5, dtype=np.float32)
    s, d = fn(a, a)
    assert s == pytest.approx(30.0) and d.shape == () and float(d) == pytest.approx(30.0)


def test_integer_types():
    src = """
    func.func @addi(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
      %e = tensor.empty() : tensor<4xi32>
      %r = linalg.add ins(%a, %b : tensor<4xi32>, tensor<4xi32>) outs(%e : tensor<4xi32>) -> tensor<4xi32>
      return %r : tensor<4xi32>
    }"""
    fn = fourfold.compile(src)
    a = np.array([1, -2, 3, 2**30], dtype=np.int32)
    np.testing.assert_array_equal(fn(a, a), a + a)


def test_keeps_stages_and_timing():
    fn = fourfold.compile(matmul_src(3, 3, 3))
    assert list(fn.stages) == ["frontend", "welder", "roller", "bufferize", "grinder", "rammer", "loops", "llvm"]
    assert fn.compile_time > 0 and fn.compilation.total_time <= fn.compile_time


def test_bound_weights(rng):
    """bind() fixes trailing arguments (a model's weights) once; call_bound() then takes only the
    leading ones, and a full call in between does not leave stale descriptors behind."""
    c = fourfold.compile(MATMUL_BIAS_RELU, cache=False)
    a, b, bias = (rng.standard_normal(s).astype(np.float32) for s in ((37, 29), (29, 53), (53,)))
    c.bind(1, [b, bias])
    want = np.maximum(a @ b + bias, 0)
    np.testing.assert_allclose(c.call_bound(a), want, rtol=1e-4, atol=1e-4)
    b2 = rng.standard_normal((29, 53)).astype(np.float32)
    np.testing.assert_allclose(c(a, b2, bias), np.maximum(a @ b2 + bias, 0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(c.call_bound(a), want, rtol=1e-4, atol=1e-4)  # the bound b again
    with pytest.raises(TypeError, match="besides the bound"):
        c.call_bound(a, b)
    with pytest.raises(TypeError, match="unbound"):
        c.bind(0, [a])
    with pytest.raises(ValueError, match="shape"):
        c.bind(1, [b.T.copy(), bias])
