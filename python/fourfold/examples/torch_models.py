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


def _downsample(cin, cout, stride):
    """torchvision's shortcut: a 1x1 conv + batch norm where the shape changes, else the identity."""
    if stride == 1 and cin == cout:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    """ResNet's basic block (torchvision layout): 3x3, 3x3, residual (1x1 downsample where needed)."""

    def __init__(self, cin=16, cout=32, stride=2):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = _downsample(cin, cout, stride)

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
        self.downsample = _downsample(cin, cout, stride)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        return F.relu(self.bn3(self.conv3(y)) + self.downsample(x))


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1x1 expand (none when expand is 1), 3x3 depthwise, 1x1 project
    (ReLU6), residual when the shape is kept."""

    def __init__(self, c=16, expand=6, cout=None, stride=1):
        super().__init__()
        cout = c if cout is None else cout
        h = c * expand
        layers = [nn.Conv2d(c, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU6()] if expand != 1 else []
        self.block = nn.Sequential(
            *layers,
            nn.Conv2d(h, h, 3, stride, 1, groups=h, bias=False), nn.BatchNorm2d(h), nn.ReLU6(),
            nn.Conv2d(h, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and c == cout

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)


class ResNet(nn.Module):
    """torchvision's ResNet-18 / -50 layout (basic or bottleneck blocks), random weights;
    `width` scales the channels (64 is the real network)."""

    def __init__(self, bottleneck=False, layers=(2, 2, 2, 2), width=64, classes=1000):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        blocks, cin = [], width
        for i, n in enumerate(layers):
            planes = width * 2 ** i
            for j in range(n):
                stride = 2 if i > 0 and j == 0 else 1
                if bottleneck:
                    blocks.append(Bottleneck(cin, planes, stride))
                    cin = planes * 4
                else:
                    blocks.append(BasicBlock(cin, planes, stride))
                    cin = planes
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        y = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


class MobileNetV2(nn.Module):
    """torchvision's MobileNetV2 layout (width multiplier 1), random weights."""

    SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1))

    def __init__(self, classes=1000):
        super().__init__()
        layers, cin = [nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6()], 32
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                layers.append(InvertedResidual(cin, t, c, s if i == 0 else 1))
                cin = c
        layers += [nn.Conv2d(cin, 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.ReLU6()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(1280, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


class Inception(nn.Module):
    """An Inception-style cell: four independent branches (1x1; 1x1 -> 3x3; 1x1 -> 5x5; 3x3 max
    pool -> 1x1), concatenated: inter-operator parallelism for rammer."""

    def __init__(self, cin=64, widths=(32, 48, 16, 16)):
        super().__init__()
        a, b, c, d = widths

        def conv(i, o, k):
            return nn.Sequential(nn.Conv2d(i, o, k, 1, k // 2), nn.ReLU())
        self.b1 = conv(cin, a, 1)
        self.b2 = nn.Sequential(conv(cin, b // 2, 1), conv(b // 2, b, 3))
        self.b3 = nn.Sequential(conv(cin, c // 2, 1), conv(c // 2, c, 5))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), conv(cin, d, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], dim=1)


class _SepConv(nn.Sequential):
    def __init__(self, c, k, stride=1):
        super().__init__(nn.ReLU(), nn.Conv2d(c, c, k, stride, k // 2, groups=c, bias=False),
                         nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))


class NASNetCell(nn.Module):
    """A NASNet-A normal cell: five pairwise combinations of separable convs, pooling and identity
    over the two previous states, concatenated (odd spatial sizes in the zoo)."""

    def __init__(self, c=44):
        super().__init__()
        self.pre0 = nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))
        self.pre1 = nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))
        self.s0, self.s1 = _SepConv(c, 5), _SepConv(c, 3)
        self.s2, self.s3 = _SepConv(c, 5), _SepConv(c, 3)
        self.s4 = _SepConv(c, 3)
        self.avg = nn.AvgPool2d(3, 1, 1, count_include_pad=False)

    def forward(self, h0, h1):
        x, y = self.pre0(h0), self.pre1(h1)
        c0 = self.s0(y) + self.s1(x)
        c1 = self.s2(x) + self.s3(x)
        c2 = self.avg(y) + x
        c3 = self.avg(x) + self.avg(x)
        c4 = self.s4(y) + y
        return torch.cat([y, c0, c1, c2, c3, c4], dim=1)


class ViTBlock(nn.Module):
    """A ViT encoder block (pre-norm): LayerNorm, multi-head attention, LayerNorm, GELU MLP."""

    def __init__(self, d=192, heads=3, mlp=4):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(d), Attention(d, heads)
        self.norm2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, mlp * d), nn.GELU(), nn.Linear(mlp * d, d))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class NeRF(nn.Module):
    """NeRF's MLP: 8 ReLU layers of 256 with the encoded input concatenated again after the 4th,
    then density and colour (4 outputs), over a batch of sample points."""

    def __init__(self, d_in=63, width=256, depth=8, skip=4):
        super().__init__()
        self.skip = skip
        self.layers = nn.ModuleList(
            nn.Linear(d_in if i == 0 else width + (d_in if i == skip else 0), width) for i in range(depth))
        self.out = nn.Linear(width, 4)

    def forward(self, x):
        y = x
        for i, layer in enumerate(self.layers):
            if i == self.skip:
                y = torch.cat([y, x], dim=-1)
            y = F.relu(layer(y))
        return self.out(y)


class BertSmall(nn.Module):
    """A small full BERT: token + position embeddings, LayerNorm, `layers` encoder layers, the
    pooler (tanh of a dense layer on the first token) and a classifier. Input: token ids."""

    def __init__(self, vocab=1000, d=256, heads=4, ff=1024, layers=4, max_len=512, classes=2):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(max_len, d)
        self.norm = nn.LayerNorm(d)
        self.layers = nn.ModuleList(_encoder(d, heads, ff, activation="gelu") for _ in range(layers))
        self.pool, self.cls = nn.Linear(d, d), nn.Linear(d, classes)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.norm(self.tok(ids) + self.pos(pos))
        for layer in self.layers:
            x = layer(x)
        return self.cls(torch.tanh(self.pool(x[:, 0])))


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


class Seq2Seq(nn.Module):
    """Cocktailer's Seq2Seq decoder written with torch's while_loop: a greedy RNN decoder that
    stops once every row has emitted the end token (id 0) or after max_len steps. Per step
    h = tanh(e W + h U + b), logits = h V (the end token's logit raised by slope x step, a length
    penalty), the next token the row's argmax as a one-hot, e = one-hot x E. Returns h."""

    def __init__(self, hidden=64, vocab=32, max_len=100, slope=0.02):
        super().__init__()
        self.max_len, self.slope = max_len, slope
        self.w, self.u = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden, bias=False)
        self.v = nn.Linear(hidden, vocab, bias=False)
        self.emb = nn.Parameter(torch.randn(vocab, hidden))
        self.register_buffer("eos", F.one_hot(torch.tensor(0), vocab).float())

    def forward(self, h0):
        from torch._higher_order_ops.while_loop import while_loop

        def cond(t, h, e, done):
            return (t < self.max_len) & (done.min() < 0.5)

        def body(t, h, e, done):
            h = torch.tanh(self.w(e) + self.u(h))
            logits = self.v(h) + (t.float() * self.slope) * self.eos
            onehot = (logits == logits.amax(dim=1, keepdim=True)).float()
            return t + 1, h, onehot @ self.emb, torch.maximum(done, onehot[:, 0])

        start = (torch.zeros((), dtype=torch.int64), h0, torch.zeros_like(h0), h0.new_zeros(h0.shape[0]))
        return while_loop(cond, body, start)[1]


class BlockDrop(nn.Module):
    """BlockDrop / SkipNet style: residual blocks each run only when a gate computed from the
    current activation says so (torch.cond on a tensor value; one decision for the batch)."""

    def __init__(self, dim=64, blocks=8):
        super().__init__()
        self.gates = nn.ModuleList(nn.Linear(dim, 1) for _ in range(blocks))
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim), nn.Tanh())
                                    for _ in range(blocks))

    def forward(self, x):
        for gate, block in zip(self.gates, self.blocks):
            x = torch.cond(gate(x).sum() > 0, lambda y, b=block: y + b(y), lambda y: y.clone(), (x,))
        return x


def _encoder(d, heads, ff, activation="relu"):
    return nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True, activation=activation)


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
    "resnet18": {"tiny": (lambda: ResNet(False, (1, 1, 1, 1), 8, 10), [(1, 3, 32, 32)]),
                 "small": (lambda: ResNet(False, (2, 2, 2, 2), 64), [(1, 3, 112, 112)]),
                 "full": (lambda: ResNet(False, (2, 2, 2, 2), 64), [(1, 3, 224, 224)])},
    "resnet50": {"tiny": (lambda: ResNet(True, (1, 1, 1, 1), 8, 10), [(1, 3, 32, 32)]),
                 "small": (lambda: ResNet(True, (3, 4, 6, 3), 64), [(1, 3, 112, 112)]),
                 "full": (lambda: ResNet(True, (3, 4, 6, 3), 64), [(1, 3, 224, 224)])},
    "mobilenetv2": {"tiny": (lambda: MobileNetV2(10), [(1, 3, 32, 32)]),
                    "small": (lambda: MobileNetV2(), [(1, 3, 112, 112)]),
                    "full": (lambda: MobileNetV2(), [(1, 3, 224, 224)])},
    "inception-cell": {"tiny": (lambda: Inception(8, (8, 8, 4, 4)), [(1, 8, 7, 7)]),
                       "small": (lambda: Inception(), [(1, 64, 14, 14)]),
                       "full": (lambda: Inception(192, (64, 128, 32, 32)), [(1, 192, 28, 28)])},
    "nasnet-cell": {"tiny": (lambda: NASNetCell(8), [(1, 8, 7, 7), (1, 8, 7, 7)]),
                    "small": (lambda: NASNetCell(44), [(1, 44, 21, 21), (1, 44, 21, 21)]),
                    "full": (lambda: NASNetCell(168), [(1, 168, 21, 21), (1, 168, 21, 21)])},
    "vit-block": {"tiny": (lambda: ViTBlock(32, 2), [(1, 9, 32)]),
                  "small": (lambda: ViTBlock(192, 3), [(1, 197, 192)]),
                  "full": (lambda: ViTBlock(768, 12), [(1, 197, 768)])},
    "nerf": {"tiny": (lambda: NeRF(15, 32, 4, 2), [(16, 15)]),
             "small": (lambda: NeRF(), [(1024, 63)]),
             "full": (lambda: NeRF(), [(4096, 63)])},
    "bert-small": {"tiny": (lambda: BertSmall(50, 32, 2, 64, 2, 16), [("ids", 50, (1, 8))]),
                   "small": (lambda: BertSmall(), [("ids", 1000, (1, 128))]),
                   "full": (lambda: BertSmall(30522, 512, 8, 2048, 4), [("ids", 30522, (1, 128))])},
    "seq2seq": {"tiny": (lambda: Seq2Seq(16, 8, 6), [(1, 16)]), "small": (lambda: Seq2Seq(), [(1, 64)]),
                "full": (lambda: Seq2Seq(), [(64, 64)])},
    "blockdrop": {"tiny": (lambda: BlockDrop(16, 3), [(2, 16)]), "small": (lambda: BlockDrop(), [(1, 64)]),
                  "full": (lambda: BlockDrop(), [(64, 64)])},
}
_SPECS["encoder"]["full"] = _SPECS["encoder"]["bert-base"]
_SPECS["lstm"]["full"] = (lambda: Recurrent("lstm", 256, 256), [(1, 100, 256)])
_SPECS["gru"]["full"] = (lambda: Recurrent("gru", 256, 256), [(1, 100, 256)])
_SPECS["attention"]["full"] = (lambda: Attention(768, 12), [(1, 128, 768)])
_SPECS["mlp"]["full"] = (lambda: MLP(1024, 4096, 1024), [(64, 1024)])

MODELS = sorted(_SPECS)


def _spec(name: str, size: str):
    if name not in _SPECS:
        raise ValueError(f"no model '{name}' in the zoo; known: {', '.join(MODELS)}")
    if size not in _SPECS[name]:
        raise ValueError(f"model '{name}' has no size '{size}'; known: {', '.join(_SPECS[name])}")
    return _SPECS[name][size]


def inputs(name: str, size: str = "tiny", seed: int = 0) -> list:
    """Random example inputs for a zoo model; an input spec is a shape (standard normal floats) or
    ("ids", vocab, shape) (token ids)."""
    g = torch.Generator().manual_seed(seed + 1)
    return [torch.randint(0, s[1], s[2], generator=g) if s[0] == "ids" else torch.randn(s, generator=g)
            for s in _spec(name, size)[1]]


def get(name: str, size: str = "tiny", seed: int = 0):
    """(module in eval mode, [example input tensors]) for a zoo model, deterministic per seed."""
    make, _ = _spec(name, size)
    torch.manual_seed(seed)
    return _bn_stats(make(), seed).eval(), inputs(name, size, seed)
