"""Neural modules: SNE, its set functions and structure encodings."""
from .aggr import SegmentISAB, SegmentPMA, SegmentSAB, SegmentSetTransformer
from .chunk_encoder import ChunkEncoder
from .encodings import StructureEncoding
from .sne import SNE

__all__ = ["SNE", "ChunkEncoder", "StructureEncoding", "SegmentSAB", "SegmentISAB", "SegmentPMA",
           "SegmentSetTransformer"]
