"""Hypothesis strategies for random networks (MLPs, CNNs, attention) built deterministically from drawn shapes."""
from __future__ import annotations

import os

import torch
from hypothesis import settings
from hypothesis import strategies as st
from torch import nn

# few, reproducible examples: CI time stays small and a failure replays the same way
# (SNE_PYG_EXAMPLES=400 python -m pytest tests -k properties runs a longer search)
PROPERTY_SETTINGS = settings(max_examples=int(os.environ.get("SNE_PYG_EXAMPLES", 25)), deadline=None,
                             derandomize=True, database=None)

ACTIVATIONS = (nn.ReLU, nn.Tanh, nn.GELU)
DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


@st.composite
def mlps(draw) -> nn.Module:
    widths = draw(st.lists(st.integers(1, 9), min_size=2, max_size=5))
    act = draw(st.sampled_from(ACTIVATIONS))
    bias = draw(st.booleans())
    torch.manual_seed(draw(st.integers(0, 10**6)))
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b, bias=bias))
        if i < len(widths) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


@st.composite
def cnns(draw) -> nn.Module:
    channels = draw(st.lists(st.integers(1, 5), min_size=2, max_size=4))
    kernel = draw(st.sampled_from((1, 3)))
    norm = draw(st.booleans())
    torch.manual_seed(draw(st.integers(0, 10**6)))
    layers: list[nn.Module] = []
    for a, b in zip(channels[:-1], channels[1:]):
        layers += [nn.Conv2d(a, b, kernel, padding=kernel // 2)] + ([nn.BatchNorm2d(b)] if norm else []) + [nn.ReLU()]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels[-1], draw(st.integers(1, 4)))]
    model = nn.Sequential(*layers)
    if norm:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.running_mean.normal_()
                    m.running_var.uniform_(0.5, 2.0)
    return model.eval()


@st.composite
def attentions(draw) -> nn.Module:
    heads = draw(st.sampled_from((1, 2)))
    d = heads * draw(st.integers(1, 4))
    torch.manual_seed(draw(st.integers(0, 10**6)))
    layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=draw(st.integers(1, 8)), dropout=0.0,
                                       batch_first=True)
    return nn.TransformerEncoder(layer, draw(st.integers(1, 2)), enable_nested_tensor=False).eval()


def networks() -> st.SearchStrategy[nn.Module]:
    return st.one_of(mlps(), cnns(), attentions())


def example_input(model: nn.Module, batch: int = 3) -> torch.Tensor:
    """An input for a network drawn by :func:`networks`."""
    first = next(m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d, nn.TransformerEncoderLayer)))
    if isinstance(first, nn.Conv2d):
        return torch.randn(batch, first.in_channels, 5, 5)
    if isinstance(first, nn.TransformerEncoderLayer):
        return torch.randn(batch, 4, first.self_attn.embed_dim)
    return torch.randn(batch, first.in_features)
