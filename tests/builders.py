"""Small networks of every family the converter must handle, built deterministically."""
from __future__ import annotations

import torch
from torch import nn


def mlp(seed: int = 0, widths=(3, 7, 5, 2)) -> nn.Module:
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(widths) - 2 else [])
    return nn.Sequential(*layers)


def cnn_bn(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.Conv2d(4, 6, 3, stride=2), nn.BatchNorm2d(6), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 3))
    with torch.no_grad():  # non-trivial running statistics
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2.0)
                m.num_batches_tracked.fill_(7)
    return model


def transformer_encoder(seed: int = 0, d_model: int = 16, layers: int = 2) -> nn.Module:
    torch.manual_seed(seed)
    layer = nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=2 * d_model, batch_first=True,
                                       dropout=0.0)
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


class Conv1D(nn.Module):
    """GPT-2's linear layer: weight stored ``in x out``, ``y = x W + b``."""

    def __init__(self, nf: int, nx: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(nx, nf) * 0.02)
        self.bias = nn.Parameter(torch.randn(nf) * 0.02)

    def forward(self, x):
        return x @ self.weight + self.bias


class GPT2Attention(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.c_attn = Conv1D(3 * d, d)
        self.c_proj = Conv1D(d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=-1)
        split = (lambda z: z.view(b, t, self.heads, d // self.heads).transpose(1, 2))
        out = nn.functional.scaled_dot_product_attention(split(q), split(k), split(v), is_causal=True)
        return self.c_proj(out.transpose(1, 2).reshape(b, t, d))


class GPT2Block(nn.Module):
    def __init__(self, d: int = 16, heads: int = 4) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = GPT2Attention(d, heads)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.ModuleDict(dict(c_fc=Conv1D(4 * d, d), c_proj=Conv1D(d, 4 * d)))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        h = self.mlp["c_proj"](nn.functional.gelu(self.mlp["c_fc"](self.ln_2(x))))
        return x + h


def gpt2_block(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return GPT2Block()


ALL = {"mlp": mlp, "cnn_bn": cnn_bn, "transformer": transformer_encoder, "gpt2_block": gpt2_block}


def permute_mlp_hidden(model: nn.Sequential, seed: int = 0, wrong: bool = False) -> nn.Sequential:
    """A copy of a Linear/activation MLP with every hidden layer's neurons permuted.

    ``wrong=True`` permutes the rows of each hidden layer but not the next layer's columns,
    which changes the function (for tests that must be able to fail).
    """
    import copy
    generator = torch.Generator().manual_seed(seed)
    out = copy.deepcopy(model)
    linears = [m for m in out if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for a, b in zip(linears[:-1], linears[1:]):
            perm = torch.randperm(a.out_features, generator=generator)
            a.weight.copy_(a.weight[perm])
            a.bias.copy_(a.bias[perm])
            if not wrong:
                b.weight.copy_(b.weight[:, perm])
    return out


def stop_at(epoch: int):
    """An ``on_epoch`` callback of ``fit`` that stops the training at ``epoch`` as a user or a kill would (before
    that epoch's checkpoint is written)."""
    def on_epoch(current: int, value: float) -> None:
        if current == epoch:
            raise KeyboardInterrupt(f"stopped at epoch {epoch}")
    return on_epoch


def stop_ssl_at(epoch: int, monitor=None):
    """A ``monitor`` of ``fit_ssl`` that stops the training at ``epoch`` as a user or a kill would (before that
    epoch's checkpoint is written); before, it returns what ``monitor`` does (nothing without one)."""
    calls = []

    def stopping(objective) -> dict:
        calls.append(len(calls))
        if calls[-1] == epoch:
            raise KeyboardInterrupt(f"stopped at epoch {epoch}")
        return monitor(objective) if monitor is not None else {}
    return stopping


def stopped_and_resumed(main, flags: list[str], folder, monkeypatch, owner, function: str, stop: dict,
                        key: str) -> tuple:
    """Run an example's ``main`` whole (into ``folder/whole``), then into ``folder/out`` with ``owner.function``
    given the keyword arguments ``stop`` (which stop its training mid-way with a ``KeyboardInterrupt``), then again
    unpatched. Checks that the stopped run left the epoch checkpoint of cache key ``key`` and no result, and that the
    rerun removed it. Returns ``(whole result, resumed result)``."""
    import pytest
    whole = main(flags + ["--out", str(folder / "whole")])
    original = getattr(owner, function)
    monkeypatch.setattr(owner, function, lambda *a, **k: original(*a, **{**k, **stop}))
    out = folder / "out"
    with pytest.raises(KeyboardInterrupt):
        main(flags + ["--out", str(out)])
    checkpoint = out / "cache" / f"{key}.checkpoint.pt"
    assert checkpoint.exists() and not (out / "cache" / f"{key}.json").exists()
    monkeypatch.setattr(owner, function, original)
    resumed = main(flags + ["--out", str(out)])
    assert not checkpoint.exists()
    return whole, resumed


def recorded(monkeypatch, owner, function: str) -> list:
    """Patch ``owner.function`` to append every value it returns to the returned list."""
    original, calls = getattr(owner, function), []

    def recording(*args, **kwargs):
        calls.append(original(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(owner, function, recording)
    return calls


def flat_scores(scores, prefix: str = "") -> dict:
    """``{"a.b.c": value}`` for every number in nested dicts and lists of scores."""
    if isinstance(scores, dict):
        return {k: v for key, value in scores.items() for k, v in flat_scores(value, f"{prefix}{key}.").items()}
    if isinstance(scores, list):
        return {k: v for i, value in enumerate(scores) for k, v in flat_scores(value, f"{prefix}{i}.").items()}
    return {prefix.rstrip("."): scores}


def assert_same_scores(first: dict, second: dict) -> None:
    """Equal keys and equal numbers, up to the rounding noise of a probe's linear algebra. A probe of a target
    that is constant up to rounding (tiny zoos) turns last-bit differences of a BLAS reduction into large
    relative ones in R² on that split, so numbers match to 1e-3 relative or 1e-9 absolute; what was trained is
    compared exactly elsewhere (the embeddings)."""
    import numpy as np
    a, b = flat_scores(first), flat_scores(second)
    assert a.keys() == b.keys()
    numbers = [k for k in a if isinstance(a[k], float)]
    assert {k: a[k] for k in a if k not in numbers} == {k: b[k] for k in b if k not in numbers}
    close = np.isclose([b[k] for k in numbers], [a[k] for k in numbers], rtol=1e-3, atol=1e-9, equal_nan=True)
    assert close.all(), {k: (a[k], b[k]) for k, ok in zip(numbers, close) if not ok}


def load_script(relative_path: str):
    """Import a script of the repository (examples/, converters/) as a module."""
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).parents[1] / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
