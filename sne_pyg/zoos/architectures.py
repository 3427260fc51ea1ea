"""Classifier families of the CNN zoos, all for 1x8x8 inputs and 10 outputs.

* ``arch1``: the small CNN of Unterthiner et al. 2020: 3 x Conv2d(16, 3x3, stride 2) + global
  average pooling + Linear(10): 4,970 parameters.
* ``arch2``: another CNN: Conv2d(8, 5x5) + max-pool, Conv2d(12, 3x3) + max-pool, Linear(24), Linear(10):
  2,510 parameters (other depth, widths, kernel sizes, pooling).
* ``transformer``: 2x2 patches embedded by a Conv2d(16), learned positions, one pre-norm
  TransformerEncoderLayer (2 heads, feed-forward 32), mean pooling, Linear(10): 2,730 parameters.
* ``mlp``: 64 -> 32 -> 32 -> 10: 3,466 parameters.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU, "elu": nn.ELU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
}


def arch1(activation: str = "relu", dropout: float = 0.0) -> nn.Module:
    act = ACTIVATIONS[activation]
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1), act(),
        nn.Conv2d(16, 16, 3, stride=2, padding=1), act(),
        nn.Conv2d(16, 16, 3, stride=2, padding=1), act(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(16, 10))


def arch2(activation: str = "relu", dropout: float = 0.0) -> nn.Module:
    act = ACTIVATIONS[activation]
    return nn.Sequential(
        nn.Conv2d(1, 8, 5, padding=2), act(), nn.MaxPool2d(2),
        nn.Conv2d(8, 12, 3, padding=1), act(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(48, 24), act(), nn.Dropout(dropout), nn.Linear(24, 10))


class PatchTransformer(nn.Module):
    """``[B, 1, 8, 8]`` -> 16 tokens (2x2 patches) -> one encoder layer -> mean -> logits."""

    def __init__(self, activation: str = "relu", dropout: float = 0.0, dim: int = 16, heads: int = 2,
                 ff: int = 32) -> None:
        super().__init__()
        self.patch = nn.Conv2d(1, dim, 2, stride=2)
        self.position = nn.Parameter(torch.randn(16, dim) * 0.02)
        self.encoder = nn.TransformerEncoderLayer(dim, heads, ff, dropout, activation=_functional(activation),
                                                  batch_first=True, norm_first=True)
        self.head = nn.Linear(dim, 10)

    def forward(self, x: Tensor) -> Tensor:
        tokens = self.patch(x).flatten(2).transpose(1, 2) + self.position
        return self.head(self.encoder(tokens).mean(1))


def _functional(name: str) -> Callable[[Tensor], Tensor]:
    return {"relu": torch.relu, "elu": nn.functional.elu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
            "gelu": nn.functional.gelu}[name]


def transformer(activation: str = "relu", dropout: float = 0.0) -> nn.Module:
    return PatchTransformer(activation, dropout)


def mlp(activation: str = "relu", dropout: float = 0.0) -> nn.Module:
    act = ACTIVATIONS[activation]
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 32), act(), nn.Dropout(dropout), nn.Linear(32, 32), act(),
                         nn.Dropout(dropout), nn.Linear(32, 10))


def tetris_ffn(activation: str = "relu", dropout: float = 0.0) -> nn.Module:
    """The hyper-representation paper's TETRIS classifier: 4x4 inputs -> 5 hidden -> 4 classes (109 parameters;
    the paper speaks of 100)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 5), ACTIVATIONS[activation](), nn.Dropout(dropout), nn.Linear(5, 4))


ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {"arch1": arch1, "arch2": arch2, "transformer": transformer,
                                                      "mlp": mlp}        # for the 8x8 datasets
SMALL_ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {"tetris_ffn": tetris_ffn}   # for tetris4


def build_classifier(name: str, activation: str = "relu", dropout: float = 0.0) -> nn.Module:
    known = {**ARCHITECTURES, **SMALL_ARCHITECTURES}
    if name not in known:
        raise ValueError(f"unknown architecture {name!r}; available: {sorted(known)}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; available: {sorted(ACTIVATIONS)}")
    return known[name](activation, dropout)
