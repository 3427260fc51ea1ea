"""Locally generated model zoos."""
from .sine_inr import SineINRZoo, SirenINR, fit_sine_inrs

__all__ = ["SineINRZoo", "SirenINR", "fit_sine_inrs"]
