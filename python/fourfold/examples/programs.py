"""Small linalg-on-tensors programs, written once for the tests, the benchmarks and the examples.

Each function returns MLIR text with one public function `@<name>` (default shown per function).
"""

from __future__ import annotations


def matmul(m: int, n: int, k: int, dtype: str = "f32", name: str = "matmul") -> str:
    """C = A @ B with C zero-filled: A is m x k, B is k x n."""
    return f"""
func.func @{name}(%a: tensor<{m}x{k}x{dtype}>, %b: tensor<{k}x{n}x{dtype}>) -> tensor<{m}x{n}x{dtype}> {{
  %z = arith.constant 0.0 : {dtype}
  %e = tensor.empty() : tensor<{m}x{n}x{dtype}>
  %c = linalg.fill ins(%z : {dtype}) outs(%e : tensor<{m}x{n}x{dtype}>) -> tensor<{m}x{n}x{dtype}>
  %r = linalg.matmul ins(%a, %b : tensor<{m}x{k}x{dtype}>, tensor<{k}x{n}x{dtype}>)
                     outs(%c : tensor<{m}x{n}x{dtype}>) -> tensor<{m}x{n}x{dtype}>
  return %r : tensor<{m}x{n}x{dtype}>
}}"""


def batch_matmul(b: int, m: int, n: int, k: int, name: str = "batch_matmul") -> str:
    return f"""
func.func @{name}(%a: tensor<{b}x{m}x{k}xf32>, %w: tensor<{b}x{k}x{n}xf32>) -> tensor<{b}x{m}x{n}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{b}x{m}x{n}xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<{b}x{m}x{n}xf32>) -> tensor<{b}x{m}x{n}xf32>
  %r = linalg.batch_matmul ins(%a, %w : tensor<{b}x{m}x{k}xf32>, tensor<{b}x{k}x{n}xf32>) outs(%c : tensor<{b}x{m}x{n}xf32>) -> tensor<{b}x{m}x{n}xf32>
  return %r : tensor<{b}x{m}x{n}xf32>
}}"""


def conv2d_nhwc_hwcf(h: int, w: int, c: int, f: int, k: int, stride: int = 1, n: int = 1,
                     name: str = "conv") -> str:
    """A convolution of an already padded NHWC input with an HWCF filter."""
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    return f"""
func.func @{name}(%x: tensor<{n}x{h}x{w}x{c}xf32>, %w: tensor<{k}x{k}x{c}x{f}xf32>) -> tensor<{n}x{oh}x{ow}x{f}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{n}x{oh}x{ow}x{f}xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<{n}x{oh}x{ow}x{f}xf32>) -> tensor<{n}x{oh}x{ow}x{f}xf32>
  %r = linalg.conv_2d_nhwc_hwcf {{dilations = dense<1> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}
       ins(%x, %w : tensor<{n}x{h}x{w}x{c}xf32>, tensor<{k}x{k}x{c}x{f}xf32>) outs(%c : tensor<{n}x{oh}x{ow}x{f}xf32>) -> tensor<{n}x{oh}x{ow}x{f}xf32>
  return %r : tensor<{n}x{oh}x{ow}x{f}xf32>
}}"""


def maxpool_nhwc(h: int, w: int, c: int, k: int, stride: int, name: str = "maxpool") -> str:
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    return f"""
func.func @{name}(%x: tensor<1x{h}x{w}x{c}xf32>) -> tensor<1x{oh}x{ow}x{c}xf32> {{
  %ninf = arith.constant 0xFF800000 : f32
  %win = tensor.empty() : tensor<{k}x{k}xf32>
  %e = tensor.empty() : tensor<1x{oh}x{ow}x{c}xf32>
  %c = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x{oh}x{ow}x{c}xf32>) -> tensor<1x{oh}x{ow}x{c}xf32>
  %r = linalg.pooling_nhwc_max {{dilations = dense<1> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}
       ins(%x, %win : tensor<1x{h}x{w}x{c}xf32>, tensor<{k}x{k}xf32>) outs(%c : tensor<1x{oh}x{ow}x{c}xf32>) -> tensor<1x{oh}x{ow}x{c}xf32>
  return %r : tensor<1x{oh}x{ow}x{c}xf32>
}}"""


def reduce(shape: tuple[int, ...], dims: tuple[int, ...], kind: str = "sum", name: str = "reduce") -> str:
    """Sum or max over `dims` of a tensor of `shape`."""
    init, op = {"sum": ("0.0", "arith.addf"), "max": ("0xFF800000", "arith.maximumf")}[kind]
    t_in = "x".join(map(str, shape)) + "xf32"
    out_shape = [d for i, d in enumerate(shape) if i not in dims]
    t_out = "x".join(map(str, out_shape)) + "xf32" if out_shape else "f32"
    dims_text = ", ".join(map(str, dims))
    return f"""
func.func @{name}(%x: tensor<{t_in}>) -> tensor<{t_out}> {{
  %i = arith.constant {init} : f32
  %e = tensor.empty() : tensor<{t_out}>
  %c = linalg.fill ins(%i : f32) outs(%e : tensor<{t_out}>) -> tensor<{t_out}>
  %r = linalg.reduce ins(%x : tensor<{t_in}>) outs(%c : tensor<{t_out}>) dimensions = [{dims_text}]
    (%in: f32, %acc: f32) {{ %t = {op} %in, %acc : f32
                            linalg.yield %t : f32 }}
  return %r : tensor<{t_out}>
}}"""


def gelu_tanh(rows: int, cols: int, name: str = "gelu") -> str:
    """GELU in its tanh form, elementwise."""
    return f"""
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @{name}(%x: tensor<{rows}x{cols}xf32>) -> tensor<{rows}x{cols}xf32> {{
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  %k0 = arith.constant 0.7978845608 : f32
  %k1 = arith.constant 0.044715 : f32
  %e = tensor.empty() : tensor<{rows}x{cols}xf32>
  %r = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}}
      ins(%x : tensor<{rows}x{cols}xf32>) outs(%e : tensor<{rows}x{cols}xf32>) {{
  ^bb0(%a: f32, %o: f32):
    %a2 = arith.mulf %a, %a : f32
    %a3 = arith.mulf %a2, %a : f32
    %t0 = arith.mulf %a3, %k1 : f32
    %t1 = arith.addf %a, %t0 : f32
    %t2 = arith.mulf %t1, %k0 : f32
    %t3 = math.tanh %t2 : f32
    %t4 = arith.addf %t3, %one : f32
    %t5 = arith.mulf %a, %half : f32
    %y = arith.mulf %t5, %t4 : f32
    linalg.yield %y : f32
  }} -> tensor<{rows}x{cols}xf32>
  return %r : tensor<{rows}x{cols}xf32>
}}"""


_CONV_LAYOUTS = {
    # op: (input dims, filter dims, output dims), named by letter
    "conv_2d_nhwc_hwcf": ("nhwc", "hwcf", "nhwf"),
    "conv_2d_nhwc_fhwc": ("nhwc", "fhwc", "nhwf"),
    "conv_2d_nchw_fchw": ("nchw", "fchw", "nfhw"),
}


def conv2d(op: str, x_shape, w_shape, stride: int = 1, dilation: int = 1, name: str = "conv") -> str:
    """A zero-initialised linalg 2-D convolution `op` (one of _CONV_LAYOUTS) on an already padded
    input; the output shape follows from the layouts, stride and dilation."""
    xl, wl, ol = _CONV_LAYOUTS[op]
    x = dict(zip(xl, x_shape))
    w = dict(zip(wl, w_shape))
    kh, kw = w["h"], w["w"]
    dims = {"n": x["n"], "f": w["f"],
            "h": (x["h"] - dilation * (kh - 1) - 1) // stride + 1,
            "w": (x["w"] - dilation * (kw - 1) - 1) // stride + 1}
    t = lambda shape: "tensor<" + "x".join(map(str, shape)) + "xf32>"
    tx, tw, to = t(x_shape), t(w_shape), t([dims[c] for c in ol])
    return f"""
func.func @{name}(%x: {tx}, %w: {tw}) -> {to} {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : {to}
  %c = linalg.fill ins(%z : f32) outs(%e : {to}) -> {to}
  %r = linalg.{op} {{dilations = dense<{dilation}> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}
       ins(%x, %w : {tx}, {tw}) outs(%c : {to}) -> {to}
  return %r : {to}
}}"""


def matmul_bias_relu(m: int, n: int, k: int, name: str = "mbr") -> str:
    """relu(A @ B + bias), the epilogue as one linalg.generic."""
    return f"""
func.func @{name}(%a: tensor<{m}x{k}xf32>, %b: tensor<{k}x{n}xf32>, %bias: tensor<{n}xf32>) -> tensor<{m}x{n}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %r = linalg.matmul ins(%a, %b : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) outs(%c : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %o = linalg.generic {{indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>,
                                         affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}}
      ins(%r, %bias : tensor<{m}x{n}xf32>, tensor<{n}xf32>) outs(%e : tensor<{m}x{n}xf32>) {{
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    %v = arith.maximumf %s, %z : f32
    linalg.yield %v : f32
  }} -> tensor<{m}x{n}xf32>
  return %o : tensor<{m}x{n}xf32>
}}"""
