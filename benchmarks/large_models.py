"""Locally built, randomly initialised stand-ins of well-known large networks (nothing is downloaded).

* :func:`gpt2` -- GPT-2 small's shapes (vocabulary 50,257, context 1,024, width 768, 12 blocks of 12 heads,
  tied input/output embedding): 124,439,808 parameters.
* :func:`resnet50` -- ResNet-50's shapes (bottleneck blocks 3-4-6-3, widths 64-2048, BatchNorm, 1,000
  classes): 25,557,032 parameters.
* :func:`square_mlp` -- an MLP of ``depth`` square layers, for scaling curves.

``scale`` shrinks every width (and the vocabulary / context) for smoke runs.
"""
from __future__ import annotations

import torch
from torch import nn


class CausalSelfAttention(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = (z.view(b, t, self.heads, -1).transpose(1, 2) for z in self.qkv(x).split(d, dim=-1))
        out = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(out.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = CausalSelfAttention(d, heads)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab: int, context: int, d: int, layers: int, heads: int) -> None:
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(context, d)
        self.blocks = nn.Sequential(*(Block(d, heads) for _ in range(layers)))
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.wte.weight            # tied, as in GPT-2

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.wte(tokens) + self.wpe(torch.arange(tokens.size(1), device=tokens.device))
        return self.lm_head(self.ln_f(self.blocks(x)))


def gpt2(scale: float = 1.0, seed: int = 0) -> GPT:
    torch.manual_seed(seed)
    d = max(int(768 * scale) // 12 * 12, 12)
    return GPT(vocab=max(int(50257 * scale), 16), context=max(int(1024 * scale), 8), d=d,
               layers=12 if scale >= 1 else 2, heads=12)


class Bottleneck(nn.Module):
    def __init__(self, cin: int, width: int, stride: int) -> None:
        super().__init__()
        cout = 4 * width
        self.body = nn.Sequential(
            nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = (nn.Identity() if stride == 1 and cin == cout else
                         nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


def resnet50(scale: float = 1.0, seed: int = 0, classes: int = 1000) -> nn.Module:
    torch.manual_seed(seed)
    w = max(int(64 * scale), 4)
    layers = [nn.Conv2d(3, w, 7, 2, 3, bias=False), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = w
    for stage, blocks in enumerate((3, 4, 6, 3) if scale >= 1 else (1, 1, 1, 1)):
        width = w * 2 ** stage
        for b in range(blocks):
            layers.append(Bottleneck(cin, width, 2 if b == 0 and stage > 0 else 1))
            cin = 4 * width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def square_mlp(width: int, depth: int = 3, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())     # tied tensors count once
