"""Neural modules: SNE, its set functions and structure encodings."""
from .aggr import SegmentISAB, SegmentPMA, SegmentSAB, SegmentSetTransformer
from .chunk_encoder import ChunkEncoder
from .encodings import StructureEncoding
from .baselines import DeepSets, DWSNet, FlatMLP, NeuralGraph, StatNN
from .registry import MODELS, build_model, parse_models, register_model
from .sne import SNE

__all__ = ["SNE", "NeuralGraph", "DWSNet", "DeepSets", "StatNN", "FlatMLP", "MODELS", "build_model",
           "parse_models", "register_model", "ChunkEncoder", "StructureEncoding", "SegmentSAB", "SegmentISAB", "SegmentPMA",
           "SegmentSetTransformer"]
