"""Baselines that read the same converted zoo as SNE (imported in the order tables list them)."""
from .neural_graph import NeuralGraph
from .dwsnet import DWSLayer, DWSNet
from .deepsets import DeepSets
from .statnn import StatNN
from .flat_mlp import FlatMLP

__all__ = ["NeuralGraph", "DWSNet", "DWSLayer", "DeepSets", "StatNN", "FlatMLP"]
