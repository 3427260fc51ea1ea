"""Neural modules: SNE, its set functions and structure encodings, and the baselines.

Importing this package imports every model module, so each registers its name in
:data:`~sne_pyg.nn.registry.MODELS` (SNE first, then the baselines in the order tables list them).
"""
from .aggr import SegmentISAB, SegmentPMA, SegmentSAB, SegmentSetTransformer
from .chunk_encoder import ChunkEncoder
from .encoder import NetworkEncoder
from .encodings import StructureEncoding
from .registry import MODELS, build_model, parse_models, register_model, unregister_model
from .sne import SNE
from .baselines import NFN_HNP, NFN_NP, NFT, DeepSets, DWSNet, FlatMLP, NeuralGraph, StatNN  # noqa: E402  (registers after SNE)
from .hyperrep import HyperRep  # noqa: E402  (the self-supervised peer, registered last)

__all__ = ["SNE", "NeuralGraph", "DWSNet", "DeepSets", "StatNN", "FlatMLP", "HyperRep", "NFN_NP", "NFN_HNP", "NFT", "NetworkEncoder", "MODELS", "build_model",
           "parse_models", "register_model", "unregister_model", "ChunkEncoder", "StructureEncoding", "SegmentSAB",
           "SegmentISAB", "SegmentPMA", "SegmentSetTransformer"]
