"""Baselines that read the same converted zoo as SNE."""
from .deepsets import DeepSets
from .dwsnet import DWSLayer, DWSNet
from .flat_mlp import FlatMLP
from .neural_graph import NeuralGraph
from .statnn import StatNN

__all__ = ["DeepSets", "DWSNet", "DWSLayer", "FlatMLP", "NeuralGraph", "StatNN"]
