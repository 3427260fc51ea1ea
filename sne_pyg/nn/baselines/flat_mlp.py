"""MLP on the flattened parameter vector (one architecture per zoo)."""
from __future__ import annotations

from ...data.views import flat_view
from .vector import VectorBaseline


class FlatMLP(VectorBaseline, name="flat_mlp"):
    """``MLP(flatten(theta))``: every parameter in layout order."""

    view = staticmethod(flat_view)
