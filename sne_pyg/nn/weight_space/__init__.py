"""Weight-space models' building blocks: tensors of a symmetry group, equivariant linear maps and attention."""
from .attention import WeightSpaceAttention
from .encoder import WeightSpaceEncoder
from .functional import NeuralFunctional
from .linear import EquivariantLinear
from .tensors import GROUPS, TensorLayout, invariant_pool, scaled_entries, weight_space_tensors

__all__ = ["EquivariantLinear", "WeightSpaceAttention", "WeightSpaceEncoder", "NeuralFunctional", "TensorLayout",
           "GROUPS", "invariant_pool", "scaled_entries", "weight_space_tensors"]
