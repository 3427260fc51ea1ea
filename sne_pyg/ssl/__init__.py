"""Self-supervised learning on model zoos: augmentations of converted networks and contrastive losses."""
from .augment import GaussianNoise, PermuteNeurons, RandomErasing
from .losses import nt_xent, positive_pair_loss

__all__ = ["PermuteNeurons", "RandomErasing", "GaussianNoise", "nt_xent", "positive_pair_loss"]
