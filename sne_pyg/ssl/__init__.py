"""Self-supervised learning on model zoos: augmentations of converted networks and contrastive losses."""
from .augment import GaussianNoise, PermuteNeurons, RandomErasing, architecture_key, specs_by_architecture
from .losses import nt_xent, positive_pair_loss

__all__ = ["PermuteNeurons", "RandomErasing", "GaussianNoise", "nt_xent", "positive_pair_loss", "architecture_key",
           "specs_by_architecture"]
