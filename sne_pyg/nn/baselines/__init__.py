"""Baselines that read the same converted zoo as SNE (imported in the order tables list them)."""
from .neural_graph import NeuralGraph
from .dwsnet import DWSNet
from .nfn import NFN_HNP, NFN_NP  # noqa: I001  (table order)
from .nft import NFT
from .deepsets import DeepSets
from .statnn import StatNN
from .flat_mlp import FlatMLP

__all__ = ["NeuralGraph", "DWSNet", "NFN_NP", "NFN_HNP", "NFT", "DeepSets", "StatNN", "FlatMLP"]
