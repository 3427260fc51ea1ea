"""Encode a zoo that mixes MLPs, CNNs and transformers of different sizes with one SNE.

    python examples/encode_mixed_zoo.py

Converts each network with ``convert``, batches them with PyG's ``DataLoader`` and prints one
embedding norm and one (untrained) prediction per network, plus each network's hierarchy.
"""
from __future__ import annotations

import argparse

import torch
from torch import nn
from torch_geometric.loader import DataLoader

from sne_pyg import SNE, convert


def mixed_models(seed: int = 0) -> dict[str, nn.Module]:
    torch.manual_seed(seed)
    return {
        "mlp-small": nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3)),
        "mlp-wide": nn.Sequential(nn.Linear(32, 256), nn.Tanh(), nn.Linear(256, 256), nn.Tanh(), nn.Linear(256, 10)),
        "cnn-bn": nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), nn.Conv2d(16, 32, 3, stride=2),
                                nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10)),
        "transformer": nn.TransformerEncoder(nn.TransformerEncoderLayer(32, 4, 64, batch_first=True), 2,
                                             enable_nested_tensor=False),
    }


def main(argv=None) -> torch.Tensor:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0, help="seed of the (untrained) SNE's weights")
    args = parser.parse_args(argv)

    models = mixed_models()
    zoo = [convert(m, chunk_size=args.chunk_size) for m in models.values()]
    for name, data in zip(models, zoo):
        print(f"{name:<12} {data.num_layers:>3} layers {data.num_chunks:>5} chunks {data.num_params:>8,} params")
    batch = next(iter(DataLoader(zoo, batch_size=len(zoo))))
    torch.manual_seed(args.seed)
    model = SNE(hidden=args.hidden, out_dim=1).eval()
    with torch.no_grad():
        embedding = model.encode(batch)
        prediction = model(batch)
    for name, e, p in zip(models, embedding, prediction):
        print(f"{name:<12} |embedding| = {e.norm():.3f}   prediction = {p.item():+.4f}")
    return embedding


if __name__ == "__main__":
    main()
