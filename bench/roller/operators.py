"""Single operators from BERT-base (sequence 128, batch 1) and ResNet-50 (224x224, batch 1), plus odd
shapes, as linalg-on-tensors MLIR with numpy inputs and a PyTorch reference."""

from __future__ import annotations

import numpy as np


def matmul(m, n, k):
    src = f"""
func.func @op(%a: tensor<{m}x{k}xf32>, %b: tensor<{k}x{n}xf32>) -> tensor<{m}x{n}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %r = linalg.matmul ins(%a, %b : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) outs(%c : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %r : tensor<{m}x{n}xf32>
}}"""
    return src, [(m, k), (k, n)], lambda t, a, b: a @ b, 2.0 * m * n * k


def batch_matmul(b, m, n, k):
    src = f"""
func.func @op(%a: tensor<{b}x{m}x{k}xf32>, %w: tensor<{b}x{k}x{n}xf32>) -> tensor<{b}x{m}x{n}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{b}x{m}x{n}xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<{b}x{m}x{n}xf32>) -> tensor<{b}x{m}x{n}xf32>
  %r = linalg.batch_matmul ins(%a, %w : tensor<{b}x{m}x{k}xf32>, tensor<{b}x{k}x{n}xf32>) outs(%c : tensor<{b}x{m}x{n}xf32>) -> tensor<{b}x{m}x{n}xf32>
  return %r : tensor<{b}x{m}x{n}xf32>
}}"""
    return src, [(b, m, k), (b, k, n)], lambda t, a, w: torch_bmm(t, a, w), 2.0 * b * m * n * k


def torch_bmm(t, a, w):
    return t.bmm(a, w)


def conv_nhwc(h, w, c, f, k, stride):
    """A convolution on an already padded NHWC input (the padding is the producer's job)."""
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    src = f"""
func.func @op(%x: tensor<1x{h}x{w}x{c}xf32>, %w: tensor<{k}x{k}x{c}x{f}xf32>) -> tensor<1x{oh}x{ow}x{f}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x{oh}x{ow}x{f}xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1x{oh}x{ow}x{f}xf32>) -> tensor<1x{oh}x{ow}x{f}xf32>
  %r = linalg.conv_2d_nhwc_hwcf {{dilations = dense<1> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}
       ins(%x, %w : tensor<1x{h}x{w}x{c}xf32>, tensor<{k}x{k}x{c}x{f}xf32>) outs(%c : tensor<1x{oh}x{ow}x{f}xf32>) -> tensor<1x{oh}x{ow}x{f}xf32>
  return %r : tensor<1x{oh}x{ow}x{f}xf32>
}}"""

    def ref(t, x, wt):
        xt = x.permute(0, 3, 1, 2)
        wk = wt.permute(3, 2, 0, 1)
        return t.nn.functional.conv2d(xt, wk, stride=stride).permute(0, 2, 3, 1)

    return src, [(1, h, w, c), (k, k, c, f)], ref, 2.0 * oh * ow * f * k * k * c


def maxpool_nhwc(h, w, c, k, stride):
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    src = f"""
func.func @op(%x: tensor<1x{h}x{w}x{c}xf32>) -> tensor<1x{oh}x{ow}x{c}xf32> {{
  %ninf = arith.constant 0xFF800000 : f32
  %win = tensor.empty() : tensor<{k}x{k}xf32>
  %e = tensor.empty() : tensor<1x{oh}x{ow}x{c}xf32>
  %c = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x{oh}x{ow}x{c}xf32>) -> tensor<1x{oh}x{ow}x{c}xf32>
  %r = linalg.pooling_nhwc_max {{dilations = dense<1> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}
       ins(%x, %win : tensor<1x{h}x{w}x{c}xf32>, tensor<{k}x{k}xf32>) outs(%c : tensor<1x{oh}x{ow}x{c}xf32>) -> tensor<1x{oh}x{ow}x{c}xf32>
  return %r : tensor<1x{oh}x{ow}x{c}xf32>
}}"""

    def ref(t, x):
        return t.nn.functional.max_pool2d(x.permute(0, 3, 1, 2), k, stride).permute(0, 2, 3, 1)

    return src, [(1, h, w, c)], ref, 1.0 * oh * ow * c * k * k


def row_reduce(rows, cols, kind):
    init = "0.0" if kind == "sum" else "0xFF800000"
    op = "arith.addf" if kind == "sum" else "arith.maximumf"
    src = f"""
func.func @op(%x: tensor<{rows}x{cols}xf32>) -> tensor<{rows}xf32> {{
  %i = arith.constant {init} : f32
  %e = tensor.empty() : tensor<{rows}xf32>
  %c = linalg.fill ins(%i : f32) outs(%e : tensor<{rows}xf32>) -> tensor<{rows}xf32>
  %r = linalg.reduce ins(%x : tensor<{rows}x{cols}xf32>) outs(%c : tensor<{rows}xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {{ %t = {op} %in, %acc : f32
                            linalg.yield %t : f32 }}
  return %r : tensor<{rows}xf32>
}}"""

    def ref(t, x):
        return x.sum(dim=1) if kind == "sum" else x.amax(dim=1)

    return src, [(rows, cols)], ref, 1.0 * rows * cols


def spatial_mean(h, w, c):
    """Global average pooling as a reduction over H and W."""
    src = f"""
func.func @op(%x: tensor<{h}x{w}x{c}xf32>) -> tensor<{c}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{c}xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<{c}xf32>) -> tensor<{c}xf32>
  %s = linalg.reduce ins(%x : tensor<{h}x{w}x{c}xf32>) outs(%f : tensor<{c}xf32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {{ %t = arith.addf %in, %acc : f32
                            linalg.yield %t : f32 }}
  return %s : tensor<{c}xf32>
}}"""
    return src, [(h, w, c)], lambda t, x: x.sum(dim=(0, 1)), 1.0 * h * w * c


def gelu(rows, cols):
    src = f"""
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @op(%x: tensor<{rows}x{cols}xf32>) -> tensor<{rows}x{cols}xf32> {{
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
    return src, [(rows, cols)], lambda t, x: t.nn.functional.gelu(x, approximate="tanh"), 9.0 * rows * cols


def operators():
    """name -> (MLIR, input shapes, torch reference, flops). BERT-base: seq 128, hidden 768, 12 heads,
    FFN 3072. ResNet-50: the convolutions of each stage on padded NHWC inputs."""
    return {
        # BERT-base encoder layer
        "bert_qkv_128x2304x768": matmul(128, 2304, 768),
        "bert_proj_128x768x768": matmul(128, 768, 768),
        "bert_ffn1_128x3072x768": matmul(128, 3072, 768),
        "bert_ffn2_128x768x3072": matmul(128, 768, 3072),
        "bert_scores_12x128x128x64": batch_matmul(12, 128, 128, 64),
        "bert_context_12x128x64x128": batch_matmul(12, 128, 64, 128),
        "bert_softmax_max_1536x128": row_reduce(1536, 128, "max"),
        "bert_layernorm_sum_128x768": row_reduce(128, 768, "sum"),
        "bert_gelu_128x3072": gelu(128, 3072),
        # ResNet-50
        "r50_conv1_7x7s2_230x230x3x64": conv_nhwc(230, 230, 3, 64, 7, 2),
        "r50_s1_3x3_58x58x64x64": conv_nhwc(58, 58, 64, 64, 3, 1),
        "r50_s1_1x1_56x56x64x256": conv_nhwc(56, 56, 64, 256, 1, 1),
        "r50_s2_3x3_30x30x128x128": conv_nhwc(30, 30, 128, 128, 3, 1),
        "r50_s2_1x1_28x28x512x128": conv_nhwc(28, 28, 512, 128, 1, 1),
        "r50_s3_3x3_16x16x256x256": conv_nhwc(16, 16, 256, 256, 3, 1),
        "r50_s3_1x1_14x14x1024x256": conv_nhwc(14, 14, 1024, 256, 1, 1),
        "r50_s4_3x3_9x9x512x512": conv_nhwc(9, 9, 512, 512, 3, 1),
        "r50_maxpool_3x3s2_113x113x64": maxpool_nhwc(113, 113, 64, 3, 2),
        "r50_avgpool_sum_7x7x2048": spatial_mean(7, 7, 2048),
        "r50_fc_1x1000x2048": matmul(1, 1000, 2048),
        # square and odd shapes
        "matmul_1024": matmul(1024, 1024, 1024),
        "matmul_37x53x29": matmul(37, 53, 29),
        "gemv_1x4096x4096": matmul(1, 4096, 4096),
        "matmul_1x1000x1": matmul(1, 1000, 1),
    }
