"""The welder benchmark's model blocks, as linalg-on-tensors MLIR plus a PyTorch twin.

Each builder returns (Program, torch_fn): the Program's numpy reference is the torch function
run on numpy inputs, so the harness checks fourfold against PyTorch before timing anything.
Layouts: activations NHWC / (tokens, features); batchnorm is in inference form (a scale and a
shift per channel, as it is after folding).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from fourfold.examples.fused import (ID2, Program, _bias, _Builder, _gelu_body, _identity, _t,
                                     layernorm_rows, mlp)


def _torch_ref(fn):
    def ref(*arrays):
        with torch.no_grad():
            return fn(*[torch.from_numpy(a) for a in arrays]).numpy()
    return ref


# --------------------------------------------------------------------------- #
# NeRF MLP: 8 x 256 ReLU layers over a batch of sample points
# --------------------------------------------------------------------------- #

def nerf_mlp(points: int = 1024):
    dims = [64] + [256] * 8 + [4]
    prog = mlp(points, dims, name="nerf")

    def fn(x, *params):
        for i in range(len(dims) - 1):
            x = x @ params[2 * i] + params[2 * i + 1]
            if i < len(dims) - 2:
                x = torch.relu(x)
        return x
    prog.reference = _torch_ref(fn)
    return prog, fn


# --------------------------------------------------------------------------- #
# BERT encoder layer (post-norm, GELU-tanh FFN), heads as a loop dimension
# --------------------------------------------------------------------------- #

def _add(b: _Builder, x: str, y: str, shape) -> str:
    idm = _identity(len(shape))
    return b.generic([(x, shape, idm), (y, shape, idm)], shape,
                     "    %r = arith.addf %in0, %in1 : f32\n    linalg.yield %r : f32")


def bert_layer(tokens: int = 128, d: int = 768, heads: int = 12, ffn: int = 3072):
    dh = d // heads
    shapes = [(tokens, d),                      # x
              (d, d), (d,), (d, d), (d,), (d, d), (d,),   # Wq bq Wk bk Wv bv
              (d, d), (d,),                     # Wo bo
              (d,), (d,),                       # ln1 gamma beta
              (d, ffn), (ffn,), (ffn, d), (d,),  # W1 b1 W2 b2
              (d,), (d,)]                       # ln2 gamma beta
    b = _Builder("bert", shapes)
    a = lambda i: f"%arg{i}"
    q = _bias(b, b.matmul(a(0), a(1), tokens, d, d), a(2), tokens, d)
    k = _bias(b, b.matmul(a(0), a(3), tokens, d, d), a(4), tokens, d)
    v = _bias(b, b.matmul(a(0), a(5), tokens, d, d), a(6), tokens, d)
    # Heads as a dimension of their own (a reshape: no data moves).
    def split(x, shape_in, shape_out, groups):
        r = b.fresh()
        out = ", ".join(str(v) for v in shape_out)
        b.lines.append(f"  {r} = tensor.expand_shape {x} {groups} output_shape [{out}] : "
                       f"{_t(shape_in)} into {_t(shape_out)}")
        return r
    t3 = (tokens, heads, dh)
    q = split(q, (tokens, d), t3, "[[0], [1, 2]]")
    k = split(k, (tokens, d), t3, "[[0], [1, 2]]")
    v = split(v, (tokens, d), t3, "[[0], [1, 2]]")
    wo = split(a(7), (d, d), (heads, dh, d), "[[0, 1], [2]]")
    # scores[h, i, j] = sum_e q[i, h, e] k[j, h, e] / sqrt(dh)
    s_shape = (heads, tokens, tokens)
    acc = b.fill(s_shape)
    scale = f"{1.0 / np.sqrt(dh):.10e}"
    s = b.generic([(q, t3, "affine_map<(h, i, j, e) -> (i, h, e)>"),
                   (k, t3, "affine_map<(h, i, j, e) -> (j, h, e)>")], s_shape,
                  "    %p = arith.mulf %in0, %in1 : f32\n    %r = arith.addf %out, %p : f32\n    linalg.yield %r : f32",
                  maps_out="affine_map<(h, i, j, e) -> (h, i, j)>",
                  iterators=["parallel", "parallel", "parallel", "reduction"], init=acc)
    id3 = _identity(3)
    red3 = "affine_map<(h, i, j) -> (h, i)>"
    scaled = b.generic([(s, s_shape, id3)], s_shape,
                       f"    %c = arith.constant {scale} : f32\n    %r = arith.mulf %in0, %c : f32\n    linalg.yield %r : f32")
    mx = b.generic([(scaled, s_shape, id3)], (heads, tokens),
                   "    %r = arith.maximumf %in0, %out : f32\n    linalg.yield %r : f32",
                   maps_out=red3, iterators=["parallel", "parallel", "reduction"],
                   init=b.fill((heads, tokens), "%ninf"))
    ex = b.generic([(scaled, s_shape, id3), (mx, (heads, tokens), red3)], s_shape,
                   "    %d = arith.subf %in0, %in1 : f32\n    %r = math.exp %d : f32\n    linalg.yield %r : f32")
    sm = b.generic([(ex, s_shape, id3)], (heads, tokens),
                   "    %r = arith.addf %in0, %out : f32\n    linalg.yield %r : f32",
                   maps_out=red3, iterators=["parallel", "parallel", "reduction"], init=b.fill((heads, tokens)))
    p = b.generic([(ex, s_shape, id3), (sm, (heads, tokens), red3)], s_shape,
                  "    %r = arith.divf %in0, %in1 : f32\n    linalg.yield %r : f32")
    # ctx[h, i, e] = sum_j p[h, i, j] v[j, h*dh+e]
    c_shape = (heads, tokens, dh)
    ctx = b.generic([(p, s_shape, "affine_map<(h, i, e, j) -> (h, i, j)>"),
                     (v, t3, "affine_map<(h, i, e, j) -> (j, h, e)>")], c_shape,
                    "    %m = arith.mulf %in0, %in1 : f32\n    %r = arith.addf %out, %m : f32\n    linalg.yield %r : f32",
                    maps_out="affine_map<(h, i, e, j) -> (h, i, e)>",
                    iterators=["parallel", "parallel", "parallel", "reduction"], init=b.fill(c_shape))
    # attn[i, n] = sum_{h, e} ctx[h, i, e] Wo[h*dh+e, n]
    attn = b.generic([(ctx, c_shape, "affine_map<(i, n, h, e) -> (h, i, e)>"),
                      (wo, (heads, dh, d), "affine_map<(i, n, h, e) -> (h, e, n)>")], (tokens, d),
                     "    %m = arith.mulf %in0, %in1 : f32\n    %r = arith.addf %out, %m : f32\n    linalg.yield %r : f32",
                     maps_out="affine_map<(i, n, h, e) -> (i, n)>",
                     iterators=["parallel", "parallel", "reduction", "reduction"], init=b.fill((tokens, d)))
    attn = _bias(b, attn, a(8), tokens, d)
    h1 = layernorm_rows(b, _add(b, attn, a(0), (tokens, d)), a(9), a(10), tokens, d)
    f1 = _bias(b, b.matmul(h1, a(11), tokens, ffn, d), a(12), tokens, ffn)
    g = b.generic([(f1, (tokens, ffn), ID2)], (tokens, ffn), _gelu_body("%in0"))
    f2 = _bias(b, b.matmul(g, a(13), tokens, d, ffn), a(14), tokens, d)
    out = layernorm_rows(b, _add(b, f2, h1, (tokens, d)), a(15), a(16), tokens, d)

    def fn(x, wq, bq, wk, bk, wv, bv, wo, bo, g1, be1, w1, b1, w2, b2, g2, be2):
        def heads_of(t):
            return t.view(tokens, heads, dh).transpose(0, 1)
        qh, kh, vh = heads_of(x @ wq + bq), heads_of(x @ wk + bk), heads_of(x @ wv + bv)
        att = torch.softmax(qh @ kh.transpose(1, 2) / np.sqrt(dh), dim=-1) @ vh
        att = att.transpose(0, 1).reshape(tokens, d) @ wo + bo
        h = F.layer_norm(att + x, (d,), g1, be1, 1e-5)
        f = F.gelu(h @ w1 + b1, approximate="tanh") @ w2 + b2
        return F.layer_norm(f + h, (d,), g2, be2, 1e-5)

    prog = Program("bert", b.text(out, (tokens, d)), shapes, _torch_ref(fn))
    return prog, fn


# --------------------------------------------------------------------------- #
# Convolutional blocks (NHWC)
# --------------------------------------------------------------------------- #

def _pad(b: _Builder, x: str, shape, p: int) -> tuple[str, tuple]:
    n, h, w, c = shape
    out = (n, h + 2 * p, w + 2 * p, c)
    v = b.fresh()
    b.lines.append(f"  {v} = tensor.pad {x} low[0, {p}, {p}, 0] high[0, {p}, {p}, 0] {{\n"
                   f"  ^bb0(%p0: index, %p1: index, %p2: index, %p3: index):\n"
                   f"    tensor.yield %zero : f32\n  }} : {_t(shape)} to {_t(out)}")
    return v, out


def _conv(b: _Builder, x: str, xs, w: str, k: int, f: int, stride: int = 1) -> tuple[str, tuple]:
    n, h, wd, c = xs
    out = (n, (h - k) // stride + 1, (wd - k) // stride + 1, f)
    acc = b.fill(out)
    v = b.fresh()
    b.lines.append(
        f"  {v} = linalg.conv_2d_nhwc_hwcf {{dilations = dense<1> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}} "
        f"ins({x}, {w} : {_t(xs)}, {_t((k, k, c, f))}) outs({acc} : {_t(out)}) -> {_t(out)}")
    return v, out


def _depthwise(b: _Builder, x: str, xs, w: str, k: int) -> tuple[str, tuple]:
    n, h, wd, c = xs
    out = (n, h - k + 1, wd - k + 1, c)
    acc = b.fill(out)
    v = b.fresh()
    b.lines.append(
        f"  {v} = linalg.depthwise_conv_2d_nhwc_hwc {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} "
        f"ins({x}, {w} : {_t(xs)}, {_t((k, k, c))}) outs({acc} : {_t(out)}) -> {_t(out)}")
    return v, out


def _bn_act(b: _Builder, x: str, shape, scale: str, shift: str, act: str | None, residual: str | None = None) -> str:
    id4 = _identity(4)
    ch = "affine_map<(d0, d1, d2, d3) -> (d3)>"
    ins = [(x, shape, id4), (scale, (shape[3],), ch), (shift, (shape[3],), ch)]
    body = "    %s = arith.mulf %in0, %in1 : f32\n    %u = arith.addf %s, %in2 : f32\n"
    if residual:
        ins.append((residual, shape, id4))
        body += "    %u2 = arith.addf %u, %in3 : f32\n"
    else:
        body += "    %u2 = arith.addf %u, %cz : f32\n"
    body = "    %cz = arith.constant 0.0 : f32\n    %c6 = arith.constant 6.0 : f32\n" + body
    if act == "relu":
        body += "    %r = arith.maximumf %u2, %cz : f32\n"
    elif act == "relu6":
        body += "    %r0 = arith.maximumf %u2, %cz : f32\n    %r = arith.minimumf %r0, %c6 : f32\n"
    else:
        body += "    %r = arith.addf %u2, %cz : f32\n"
    return b.generic(ins, shape, body + "    linalg.yield %r : f32")


def _nchw(t):
    return t.permute(0, 3, 1, 2)


def _nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous()


def _oihw(w):  # HWCF -> FCHW
    return w.permute(3, 2, 0, 1)


def resnet_basic_block(h: int = 56, c: int = 64):
    xs = (1, h, h, c)
    shapes = [xs, (3, 3, c, c), (c,), (c,), (3, 3, c, c), (c,), (c,)]
    b = _Builder("resnet_block", shapes)
    p1, ps = _pad(b, "%arg0", xs, 1)
    c1, cs = _conv(b, p1, ps, "%arg1", 3, c)
    r1 = _bn_act(b, c1, cs, "%arg2", "%arg3", "relu")
    p2, ps2 = _pad(b, r1, cs, 1)
    c2, cs2 = _conv(b, p2, ps2, "%arg4", 3, c)
    out = _bn_act(b, c2, cs2, "%arg5", "%arg6", "relu", residual="%arg0")

    def fn(x, w1, s1, t1, w2, s2, t2):
        y = F.conv2d(_nchw(x), _oihw(w1), padding=1)
        y = torch.relu(y * s1.view(1, -1, 1, 1) + t1.view(1, -1, 1, 1))
        y = F.conv2d(y, _oihw(w2), padding=1)
        y = torch.relu(y * s2.view(1, -1, 1, 1) + t2.view(1, -1, 1, 1) + _nchw(x))
        return _nhwc(y)

    return Program("resnet_block", b.text(out, cs2), shapes, _torch_ref(fn)), fn


def mobilenet_v2_block(h: int = 28, c: int = 32, expand: int = 6):
    e = c * expand
    xs = (1, h, h, c)
    shapes = [xs, (1, 1, c, e), (e,), (e,), (3, 3, e), (e,), (e,), (1, 1, e, c), (c,), (c,)]
    b = _Builder("mbv2_block", shapes)
    c1, cs = _conv(b, "%arg0", xs, "%arg1", 1, e)
    r1 = _bn_act(b, c1, cs, "%arg2", "%arg3", "relu6")
    p, ps = _pad(b, r1, cs, 1)
    d, ds = _depthwise(b, p, ps, "%arg4", 3)
    r2 = _bn_act(b, d, ds, "%arg5", "%arg6", "relu6")
    c3, cs3 = _conv(b, r2, ds, "%arg7", 1, c)
    out = _bn_act(b, c3, cs3, "%arg8", "%arg9", None, residual="%arg0")

    def fn(x, w1, s1, t1, wd, s2, t2, w3, s3, t3):
        y = F.conv2d(_nchw(x), _oihw(w1))
        y = torch.clamp(y * s1.view(1, -1, 1, 1) + t1.view(1, -1, 1, 1), 0, 6)
        y = F.conv2d(y, wd.permute(2, 0, 1).unsqueeze(1), padding=1, groups=e)
        y = torch.clamp(y * s2.view(1, -1, 1, 1) + t2.view(1, -1, 1, 1), 0, 6)
        y = F.conv2d(y, _oihw(w3))
        y = y * s3.view(1, -1, 1, 1) + t3.view(1, -1, 1, 1) + _nchw(x)
        return _nhwc(y)

    return Program("mbv2_block", b.text(out, cs3), shapes, _torch_ref(fn)), fn


MODELS = {
    "bert_layer": bert_layer,
    "resnet_basic_block": resnet_basic_block,
    "mobilenet_v2_block": mobilenet_v2_block,
    "nerf_mlp": nerf_mlp,
}

SMOKE = {
    "bert_layer": lambda: bert_layer(tokens=9, d=32, heads=2, ffn=64),
    "resnet_basic_block": lambda: resnet_basic_block(h=6, c=8),
    "mobilenet_v2_block": lambda: mobilenet_v2_block(h=6, c=4, expand=2),
    "nerf_mlp": lambda: nerf_mlp(points=16),
}
