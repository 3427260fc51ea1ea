"""StatNN (Unterthiner et al. 2020): an MLP on per-tensor weight statistics."""
from __future__ import annotations

from ...data.views import statistics_view
from .vector import VectorBaseline


class StatNN(VectorBaseline, name="statnn"):
    """Mean, variance and 0/25/50/75/100% quantiles of every weight and bias tensor -> MLP."""

    view = staticmethod(statistics_view)
