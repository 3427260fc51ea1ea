"""Segment set functions: set-to-set (SAB, ISAB) and set-to-vector (PMA) without padding."""
from .base import SegmentSetFunction
from .isab import SegmentISAB
from .pma import SegmentPMA
from .sab import SegmentSAB
from .set_transformer import SegmentSetTransformer

__all__ = ["SegmentSetFunction", "SegmentSAB", "SegmentISAB", "SegmentPMA", "SegmentSetTransformer"]
