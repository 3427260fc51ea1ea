"""Embeddings of networks by a trained encoder (its ``encode``, no head)."""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.loader import DataLoader

from ..data import NetworkData
from .distributed import unwrap
from .loop import prepare_dataset


@torch.no_grad()
def embed(model: nn.Module, networks: list[NetworkData], batch_size: int = 64, device: str = "cpu") -> Tensor:
    """``[N, hidden]``: the encoder's embedding of every network (no head)."""
    model = unwrap(model).eval()
    rows = [model.encode(batch.to(device)).cpu()
            for batch in DataLoader(prepare_dataset(model, networks), batch_size=batch_size)]
    return torch.cat(rows)
