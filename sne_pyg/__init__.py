"""sne_pyg: trained neural networks as hierarchical sets, encoded with SNE on PyTorch Geometric.

>>> from sne_pyg import convert, SNE
>>> data = convert(model, chunk_size=64)      # any nn.Module or state_dict
>>> y = SNE(hidden=64, out_dim=1)(batch)      # one row per network of a PyG Batch
"""
from .data import LayerType, NetworkData, convert
from .nn import NFN_HNP, NFN_NP, NFT, SNE, DeepSets, DWSNet, FlatMLP, HyperRep, NeuralGraph, StatNN, build_model

__version__ = "0.1.0"
__all__ = ["convert", "SNE", "NeuralGraph", "DWSNet", "NFN_NP", "NFN_HNP", "NFT", "DeepSets", "StatNN", "FlatMLP", "HyperRep", "build_model", "NetworkData", "LayerType", "__version__"]
