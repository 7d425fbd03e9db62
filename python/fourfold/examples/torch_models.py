"""Random-initialised PyTorch modules (no downloaded weights) for the frontend's tests, the demo and
the benchmarks. `MODELS[name](size)` returns (module in eval mode, example inputs); size "tiny" is
what the tests use, "small" what the demo and the benchmarks use."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self, d_in=64, hidden=256, d_out=32):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(d_in, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, d_out)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.gelu(self.fc1(x)))))


class BasicBlock(nn.Module):
    """ResNet's basic block (torchvision layout): 3x3, 3x3, residual with a 1x1 downsample."""

    def __init__(self, cin=16, cout=32, stride=2):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.downsample(x))


class Bottleneck(nn.Module):
    """ResNet's bottleneck block: 1x1 reduce, 3x3, 1x1 expand, residual."""

    def __init__(self, cin=32, width=16, stride=1, expansion=4):
        super().__init__()
        cout = width * expansion
        self.conv1, self.bn1 = nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout)
        self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        return F.relu(self.bn3(self.conv3(y)) + self.downsample(x))


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1x1 expand, 3x3 depthwise, 1x1 project (ReLU6), residual."""

    def __init__(self, c=16, expand=6):
        super().__init__()
        h = c * expand
        self.block = nn.Sequential(
            nn.Conv2d(c, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU6(),
            nn.Conv2d(h, h, 3, 1, 1, groups=h, bias=False), nn.BatchNorm2d(h), nn.ReLU6(),
            nn.Conv2d(h, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return x + self.block(x)


class Attention(nn.Module):
    """Multi-head self-attention through F.scaled_dot_product_attention."""

    def __init__(self, d=64, heads=4):
        super().__init__()
        self.heads, self.qkv, self.out = heads, nn.Linear(d, 3 * d), nn.Linear(d, d)

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(x).view(b, s, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v)
        return self.out(y.transpose(1, 2).reshape(b, s, d))


class Recurrent(nn.Module):
    """nn.LSTM / nn.GRU over a sequence; returns every step's output."""

    def __init__(self, kind="lstm", d_in=16, hidden=32, layers=1):
        super().__init__()
        self.rnn = (nn.LSTM if kind == "lstm" else nn.GRU)(d_in, hidden, layers, batch_first=True)

    def forward(self, x):
        return self.rnn(x)[0]


class Ops(nn.Module):
    """The remaining listed ops in one graph: layer norm, softmax, SiLU, GELU, pooling, concat,
    slicing, reshapes."""

    def __init__(self, c=8):
        super().__init__()
        self.norm = nn.LayerNorm(16)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):  # x: (n, c, 16, 16)
        y = torch.cat([F.max_pool2d(x, 2), F.avg_pool2d(self.bn(x), 2)], dim=1)       # n, 2c, 8, 8
        y = F.silu(y[:, :, 1:7, ::2]) + F.gelu(y[:, :, :6, 1::2])                      # n, 2c, 6, 4
        z = self.norm(x).softmax(dim=-1).mean(dim=(2, 3), keepdim=True)                 # n, c, 1, 1
        pooled = F.adaptive_avg_pool2d(x, 1)                                            # n, c, 1, 1
        return torch.cat([y.flatten(1), (z * pooled).reshape(x.shape[0], -1)], dim=1)


def _encoder(d, heads, ff):
    return nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True)


def _bn_stats(module: nn.Module, seed: int) -> nn.Module:
    """Non-trivial running statistics, so batch norm's folding is exercised, not the identity."""
    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)
    return module


# name -> size -> (constructor, input shapes)
_SPECS = {
    "mlp": {"tiny": (lambda: MLP(32, 64, 16), [(4, 32)]), "small": (lambda: MLP(), [(8, 64)])},
    "encoder": {"tiny": (lambda: _encoder(32, 4, 64), [(2, 8, 32)]),
                "small": (lambda: _encoder(128, 4, 512), [(1, 32, 128)]),
                "bert-base": (lambda: _encoder(768, 12, 3072), [(1, 128, 768)])},
    "resnet-basic": {"tiny": (lambda: BasicBlock(8, 16, 2), [(1, 8, 12, 12)]),
                     "small": (lambda: BasicBlock(), [(1, 16, 32, 32)])},
    "resnet-bottleneck": {"tiny": (lambda: Bottleneck(16, 8, 1), [(1, 16, 8, 8)]),
                          "small": (lambda: Bottleneck(), [(1, 32, 16, 16)])},
    "mobilenetv2-block": {"tiny": (lambda: InvertedResidual(8, 4), [(1, 8, 8, 8)]),
                          "small": (lambda: InvertedResidual(), [(1, 16, 28, 28)])},
    "attention": {"tiny": (lambda: Attention(32, 4), [(2, 8, 32)]), "small": (lambda: Attention(), [(1, 32, 64)])},
    "lstm": {"tiny": (lambda: Recurrent("lstm", 8, 16), [(2, 5, 8)]),
             "small": (lambda: Recurrent("lstm"), [(1, 16, 16)])},
    "gru": {"tiny": (lambda: Recurrent("gru", 8, 16), [(2, 5, 8)]), "small": (lambda: Recurrent("gru"), [(1, 16, 16)])},
    "ops": {"tiny": (lambda: Ops(4), [(2, 4, 16, 16)]), "small": (lambda: Ops(8), [(4, 8, 16, 16)])},
}

MODELS = sorted(_SPECS)


def get(name: str, size: str = "tiny", seed: int = 0):
    """(module in eval mode, [example input tensors]) for a zoo model, deterministic per seed."""
    if name not in _SPECS:
        raise ValueError(f"no model '{name}' in the zoo; known: {', '.join(MODELS)}")
    if size not in _SPECS[name]:
        raise ValueError(f"model '{name}' has no size '{size}'; known: {', '.join(_SPECS[name])}")
    make, shapes = _SPECS[name][size]
    torch.manual_seed(seed)
    module = _bn_stats(make(), seed).eval()
    g = torch.Generator().manual_seed(seed + 1)
    return module, [torch.randn(s, generator=g) for s in shapes]
