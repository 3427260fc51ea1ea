r"""HyperRep: self-supervised hyper-representations of model zoos (Schürholt, Kostadinov & Borth, NeurIPS 2021).

A network of a fixed architecture is a sequence of *neuron tokens*: one per row of every layer (an
output neuron or conv channel: its incoming weights and its bias; a norm layer's per-channel values),
read straight from :class:`~sne_pyg.data.NetworkData` (:func:`neuron_tokens`, no second copy of the
weights). Each layer's tokens pass through their own linear embedding to width :math:`d`:

.. math::
    h &= [\,c;\ E_1 t_1;\ \dots;\ E_T t_T\,] + p, \qquad
    z = \tanh\big(W_z\,\mathrm{Enc}(h)_0\big) \in \mathbb{R}^{L} \quad \text{(compression token } c\text{)} \\
    \hat t &= D_\ell\ \mathrm{Dec}\big(\mathrm{reshape}(W_d z) + p'\big) \quad \text{(a symmetric decoder)},

with pre-LayerNorm transformer blocks, learned absolute positions :math:`p, p'`, and a projection
head (Linear + BatchNorm + ReLU) used only by the contrastive loss. The ``"flatten"`` variant has
no compression token: :math:`z = \tanh(W_z\,\mathrm{flatten}(\mathrm{Enc}(h)))`.

Every value enters relative to its layer's RMS in that network, with the log RMS as one more
feature of each token (the scale-relative features every model of the package reads), and the
decoder reconstructs the relative values, so small and large layers weigh alike in the MSE.

``encode`` returns :math:`z` (``hidden`` = the latent size), so the shared prediction head, the
training loop, :func:`~sne_pyg.train.embed` and the linear probes treat HyperRep like any encoder.
Self-supervised training: :func:`sne_pyg.ssl.fit_ssl`.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..data.network_data import NetworkData
from .encoder import NetworkEncoder
from .features import module_dtype


def token_layout(data: NetworkData) -> list[tuple[int, int]]:
    """``[(rows, cols), ...]`` of the first network's layers: the token shape of each layer."""
    count = int(data.net_num_layers[0])
    return list(zip(data.layer_rows[:count].tolist(), data.layer_cols[:count].tolist()))


def neuron_tokens(data: NetworkData) -> list[Tensor]:
    """Per layer ``[B, rows, cols]`` values of every network of a batch of one architecture.

    Raises ``ValueError`` for a batch mixing architectures: the token sequence is fixed by the architecture.
    """
    b = data.num_networks
    layers = token_layout(data)
    shape = (b, len(layers))
    if data.num_layers != b * len(layers) or not (
            torch.equal(data.layer_rows.view(shape), data.layer_rows[:len(layers)].expand(shape))
            and torch.equal(data.layer_cols.view(shape), data.layer_cols[:len(layers)].expand(shape))):
        raise ValueError("HyperRep reads zoos of one architecture (its token sequence is fixed by the "
                         "architecture); this batch mixes networks of different layouts")
    values = data.chunks[data.chunk_mask].view(b, -1)
    out, start = [], 0
    for rows, cols in layers:
        out.append(values[:, start:start + rows * cols].view(b, rows, cols))
        start += rows * cols
    return out


def _relative(tokens: list[Tensor], dtype: torch.dtype) -> tuple[list[Tensor], list[Tensor]]:
    """Each layer's values over its RMS (per network) and the log RMS ``[B, 1, 1]``."""
    scaled, scales = [], []
    for t in tokens:
        t = t.to(dtype)
        rms = t.pow(2).mean(dim=(1, 2), keepdim=True).sqrt().clamp_min(1e-12)
        scaled.append(t / rms)
        scales.append(rms.log())
    return scaled, scales


class HyperRep(NetworkEncoder, name="hyperrep"):
    """Transformer autoencoder over neuron tokens with a compression token; ``encode`` gives ``z``.

    Args:
        hidden: latent size ``L`` of the hyper-representation ``z``.
        out_dim: outputs of the shared prediction head (``None``: ``forward`` returns ``z``).
        d_model: token width ``d``; ``blocks``, ``heads``, ``ff``: the transformer (encoder and decoder alike).
        dropout: dropout in the transformer blocks (0.1 in the paper).
        compression: ``"token"`` (a learned compression token) or ``"flatten"`` (every token's output).
        projection: width of the projection head's output (for the contrastive loss).
    """

    def __init__(self, hidden: int = 32, out_dim: int | None = 1, *, d_model: int = 64, blocks: int = 2,
                 heads: int = 4, ff: int = 128, dropout: float = 0.1, compression: str = "token",
                 projection: int = 32) -> None:
        super().__init__()
        if compression not in ("token", "flatten"):
            raise ValueError(f"compression must be 'token' or 'flatten', got {compression!r}")
        if d_model % heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by heads ({heads})")
        self.layers: list[tuple[int, int]] | None = None
        self.d_model, self.compression = d_model, compression
        self.encoder = self._transformer(d_model, blocks, heads, ff, dropout)
        self.decoder = self._transformer(d_model, blocks, heads, ff, dropout)
        self.compression_token = nn.Parameter(torch.randn(1, 1, d_model) * 0.02)
        self.projector = nn.Sequential(nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                       nn.Linear(hidden, projection))
        self.embed_tokens = nn.ModuleList()
        self.unembed_tokens = nn.ModuleList()

    @staticmethod
    def _transformer(d: int, blocks: int, heads: int, ff: int, dropout: float) -> nn.TransformerEncoder:
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout, activation="gelu", batch_first=True,
                                           norm_first=True)
        return nn.TransformerEncoder(layer, blocks, norm=nn.LayerNorm(d), enable_nested_tensor=False)

    # ---- lazily built parts: they depend on the architecture of the zoo ------------------------
    def build(self, layers: list[tuple[int, int]], device=None, dtype=None) -> None:
        d, latent = self.d_model, self.config["hidden"]
        self.layers = [tuple(map(int, layer)) for layer in layers]
        tokens = sum(rows for rows, _ in self.layers)
        self.embed_tokens = nn.ModuleList(nn.Linear(cols + 1, d) for _, cols in self.layers)   # + log rms
        self.unembed_tokens = nn.ModuleList(nn.Linear(d, cols) for _, cols in self.layers)
        self.positions = nn.Parameter(torch.randn(1, tokens + 1, d) * 0.02)
        self.decoder_positions = nn.Parameter(torch.randn(1, tokens, d) * 0.02)
        width = d if self.compression == "token" else d * tokens
        self.to_latent = nn.Linear(width, latent)
        self.from_latent = nn.Linear(latent, d * tokens)
        self.to(device=device, dtype=dtype)

    def lazy_state(self) -> dict:
        """The token layout the model was built for (saved with the weights)."""
        return {} if self.layers is None else {"layers": [list(layer) for layer in self.layers]}

    def restore_lazy_state(self, state: dict) -> None:
        self.build([tuple(layer) for layer in state["layers"]], dtype=module_dtype(self))

    def _ensure_built(self, data: NetworkData) -> None:
        layers = token_layout(data)
        if self.layers is None:
            self.build(layers, data.chunks.device, module_dtype(self))
        elif layers != self.layers:
            raise ValueError(f"this HyperRep was built for the token layout {self.layers}, got {layers}")

    # ---- the autoencoder ------------------------------------------------------------------------
    def targets(self, data: NetworkData) -> Tensor:
        """``[B, N]``: the values the decoder reconstructs (each layer relative to its RMS)."""
        self._ensure_built(data)
        scaled, _ = _relative(neuron_tokens(data), module_dtype(self))
        return torch.cat([t.flatten(1) for t in scaled], dim=1)

    def encode(self, data: NetworkData) -> Tensor:
        """``[B, hidden]``: the hyper-representation ``z`` of every network."""
        self._ensure_built(data)
        scaled, scales = _relative(neuron_tokens(data), module_dtype(self))
        parts = [embed(torch.cat([t, s.expand(*t.shape[:2], 1)], dim=-1))
                 for embed, t, s in zip(self.embed_tokens, scaled, scales)]
        h = torch.cat([self.compression_token.expand(parts[0].size(0), -1, -1)] + parts, dim=1) + self.positions
        out = self.encoder(h)
        pooled = out[:, 0] if self.compression == "token" else out[:, 1:].flatten(1)
        return torch.tanh(self.to_latent(pooled))

    def decode(self, z: Tensor) -> Tensor:
        """``[B, N]``: the relative values reconstructed from ``z`` (compare with :meth:`targets`)."""
        h = self.from_latent(z).view(z.size(0), -1, self.d_model) + self.decoder_positions
        out = self.decoder(h)
        pieces, start = [], 0
        for unembed, (rows, _) in zip(self.unembed_tokens, self.layers):
            pieces.append(unembed(out[:, start:start + rows]).flatten(1))
            start += rows
        return torch.cat(pieces, dim=1)

    def project(self, z: Tensor) -> Tensor:
        """The projection head (contrastive loss only; downstream tasks read ``z``)."""
        return self.projector(z)

    def extra_repr(self) -> str:
        return f"layers={self.layers}"
