"""Programs the GPU check compiles here and runs on a lent GPU, with their references.

Each entry: name -> (MLIR source, reference(*numpy arrays) -> numpy array(s), input scales).
The references use numpy only, so this file loads both here and on the GPU machine.
"""

import numpy as np





CHAIN = """
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @chain(%x: tensor<300x257xf32>, %w: tensor<257xf32>) -> tensor<300x257xf32> {
  %e = tensor.empty() : tensor<300x257xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %w : tensor<300x257xf32>, tensor<257xf32>) outs(%e : tensor<300x257xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %t = math.tanh %m : f32
    %g = math.erf %t : f32
    %q = math.exp %g : f32
    linalg.yield %q : f32
  } -> tensor<300x257xf32>
  return %r : tensor<300x257xf32>
}"""


def conv_nhwc_fhwc(x, w, stride=2):
    n, h, wd, c = x.shape
    f, kh, kw, _ = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, oh, ow, f))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i : i + stride * oh : stride, j : j + stride * ow : stride, :].astype(np.float64)
            out += np.einsum("nhwc,fc->nhwf", patch, w[:, i, j, :])
    return out


def _erf(x):
    from math import erf

    return np.vectorize(erf)(x)


def _mlp_ref(x, w1, b1, w2, b2):
    a = x.astype(np.float64) @ w1 + b1
    g = 0.5 * a * (1.0 + np.tanh(0.7978845608 * (a + 0.044715 * a**3)))
    return g @ w2 + b2


def programs(mlp_source=None):
    """name -> (MLIR, reference). Builds the MLIR with fourfold (on the machine that compiles); the
    GPU machine only needs REFERENCES."""
    from fourfold.examples.programs import conv2d, matmul as matmul_src, matmul_bias_relu

    progs = {
        "matmul_37x53x29": matmul_src(37, 53, 29),
        "matmul_1024": matmul_src(1024, 1024, 1024),
        "matmul_4096": matmul_src(4096, 4096, 4096),
        "matmul_128x3072x768": matmul_src(128, 3072, 768),
        "matmul_bias_relu": matmul_bias_relu(37, 53, 29),
        "conv2d_strided": conv2d("conv_2d_nhwc_fhwc", (2, 9, 11, 3), (4, 3, 3, 3), stride=2),
        "tanh_erf_exp_chain": CHAIN,
    }
    if mlp_source is not None:
        progs["mlp"] = mlp_source
    return {name: (src, REFERENCES[name]) for name, src in progs.items()}


REFERENCES = {
    "matmul_37x53x29": lambda a, b: a.astype(np.float64) @ b,
    "matmul_1024": lambda a, b: a.astype(np.float64) @ b,
    "matmul_4096": lambda a, b: a.astype(np.float64) @ b,
    "matmul_128x3072x768": lambda a, b: a.astype(np.float64) @ b,
    "matmul_bias_relu": lambda a, b, c: np.maximum(a.astype(np.float64) @ b + c, 0),
    "conv2d_strided": conv_nhwc_fhwc,
    "tanh_erf_exp_chain": lambda x, w: np.exp(_erf(np.tanh(x.astype(np.float64) * w))),
    "mlp": _mlp_ref,
}
