"""Single operators from BERT-base (sequence 128, batch 1) and ResNet-50 (224x224, batch 1), plus odd
shapes: MLIR from fourfold.examples.programs, input shapes, a PyTorch reference and the flop count."""

from __future__ import annotations

from fourfold.examples import programs as P


def matmul(m, n, k):
    return P.matmul(m, n, k), [(m, k), (k, n)], lambda t, a, b: a @ b, 2.0 * m * n * k


def batch_matmul(b, m, n, k):
    return P.batch_matmul(b, m, n, k), [(b, m, k), (b, k, n)], lambda t, a, w: t.bmm(a, w), 2.0 * b * m * n * k


def conv_nhwc(h, w, c, f, k, stride):
    """A convolution on an already padded NHWC input (the padding is the producer's job)."""
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1

    def ref(t, x, wt):
        return t.nn.functional.conv2d(x.permute(0, 3, 1, 2), wt.permute(3, 2, 0, 1), stride=stride).permute(0, 2, 3, 1)

    return P.conv2d_nhwc_hwcf(h, w, c, f, k, stride), [(1, h, w, c), (k, k, c, f)], ref, 2.0 * oh * ow * f * k * k * c


def conv_nchw(h, w, c, f, k, stride, groups=1):
    """A PyTorch-layout convolution (NCHW input, FCHW filter) on an already padded input; groups > 1
    is linalg.conv_2d_ngchw_gfchw, groups == c == f the depthwise depthwise_conv_2d_nchw_chw (what
    the PyTorch importer emits)."""
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    flops = 2.0 * oh * ow * f * k * k * (c // groups)
    if groups == 1:
        return (P.conv2d("conv_2d_nchw_fchw", (1, c, h, w), (f, c, k, k), stride=stride), [(1, c, h, w), (f, c, k, k)],
                lambda t, x, wt: t.nn.functional.conv2d(x, wt, stride=stride), flops)
    g = groups
    if g == c == f:
        op, xs, ws, os_ = "depthwise_conv_2d_nchw_chw", (1, c, h, w), (c, k, k), (1, c, oh, ow)
        ref = lambda t, x, wt: t.nn.functional.conv2d(x, wt.unsqueeze(1), stride=stride, groups=g)
    else:
        op, xs, ws, os_ = "conv_2d_ngchw_gfchw", (1, g, c // g, h, w), (g, f // g, c // g, k, k), (1, g, f // g, oh, ow)
        ref = lambda t, x, wt: t.nn.functional.conv2d(x.reshape(1, c, h, w), wt.reshape(f, c // g, k, k), stride=stride,
                                                      groups=g).reshape(os_)
    tt = lambda s: "tensor<" + "x".join(map(str, s)) + "xf32>"
    src = f"""
func.func @conv(%x: {tt(xs)}, %w: {tt(ws)}) -> {tt(os_)} {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : {tt(os_)}
  %c = linalg.fill ins(%z : f32) outs(%e : {tt(os_)}) -> {tt(os_)}
  %r = linalg.{op} {{dilations = dense<1> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}
       ins(%x, %w : {tt(xs)}, {tt(ws)}) outs(%c : {tt(os_)}) -> {tt(os_)}
  return %r : {tt(os_)}
}}"""
    return src, [xs, ws], ref, flops


def maxpool_nchw(h, w, c, k, stride):
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    src = f"""
func.func @maxpool(%x: tensor<1x{c}x{h}x{w}xf32>) -> tensor<1x{c}x{oh}x{ow}xf32> {{
  %ninf = arith.constant 0xFF800000 : f32
  %win = tensor.empty() : tensor<{k}x{k}xf32>
  %e = tensor.empty() : tensor<1x{c}x{oh}x{ow}xf32>
  %c = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x{c}x{oh}x{ow}xf32>) -> tensor<1x{c}x{oh}x{ow}xf32>
  %r = linalg.pooling_nchw_max {{dilations = dense<1> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}
       ins(%x, %win : tensor<1x{c}x{h}x{w}xf32>, tensor<{k}x{k}xf32>) outs(%c : tensor<1x{c}x{oh}x{ow}xf32>) -> tensor<1x{c}x{oh}x{ow}xf32>
  return %r : tensor<1x{c}x{oh}x{ow}xf32>
}}"""
    return src, [(1, c, h, w)], lambda t, x: t.nn.functional.max_pool2d(x, k, stride), 1.0 * oh * ow * c * k * k


def maxpool_nhwc(h, w, c, k, stride):
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1

    def ref(t, x):
        return t.nn.functional.max_pool2d(x.permute(0, 3, 1, 2), k, stride).permute(0, 2, 3, 1)

    return P.maxpool_nhwc(h, w, c, k, stride), [(1, h, w, c)], ref, 1.0 * oh * ow * c * k * k


def row_reduce(rows, cols, kind):
    def ref(t, x):
        return x.sum(dim=1) if kind == "sum" else x.amax(dim=1)

    return P.reduce((rows, cols), (1,), kind), [(rows, cols)], ref, 1.0 * rows * cols


def spatial_mean(h, w, c):
    """Global average pooling's reduction over H and W."""
    return P.reduce((h, w, c), (0, 1)), [(h, w, c)], lambda t, x: x.sum(dim=(0, 1)), 1.0 * h * w * c


def gelu(rows, cols):
    return (P.gelu_tanh(rows, cols), [(rows, cols)],
            lambda t, x: t.nn.functional.gelu(x, approximate="tanh"), 9.0 * rows * cols)


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
        # ResNet-50 / MobileNetV2 in PyTorch's layout (NCHW), as the PyTorch importer emits them
        "r50_nchw_conv1_7x7s2_230x230x3x64": conv_nchw(230, 230, 3, 64, 7, 2),
        "r50_nchw_s1_3x3_58x58x64x64": conv_nchw(58, 58, 64, 64, 3, 1),
        "r50_nchw_s1_1x1_56x56x64x256": conv_nchw(56, 56, 64, 256, 1, 1),
        "r50_nchw_s2_3x3s2_58x58x128x128": conv_nchw(58, 58, 128, 128, 3, 2),
        "r50_nchw_s3_3x3_16x16x256x256": conv_nchw(16, 16, 256, 256, 3, 1),
        "r50_nchw_s3_1x1_14x14x1024x256": conv_nchw(14, 14, 1024, 256, 1, 1),
        "mbv2_nchw_dw_3x3_58x58x96": conv_nchw(58, 58, 96, 96, 3, 1, groups=96),
        "mbv2_nchw_dw_3x3s2_58x58x144": conv_nchw(58, 58, 144, 144, 3, 2, groups=144),
        "rx50_nchw_g32_3x3_30x30x256x256": conv_nchw(30, 30, 256, 256, 3, 1, groups=32),
        "r50_nchw_maxpool_3x3s2_113x113x64": maxpool_nchw(113, 113, 64, 3, 2),
        # square and odd shapes
        "matmul_1024": matmul(1024, 1024, 1024),
        "matmul_37x53x29": matmul(37, 53, 29),
        "gemv_1x4096x4096": matmul(1, 4096, 4096),
        "matmul_1x1000x1": matmul(1, 1000, 1),
    }
