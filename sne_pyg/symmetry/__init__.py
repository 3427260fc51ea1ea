"""Weight-space symmetries: derived permutation groups, random transforms, Logit Invariance."""
from .derive import SymmetryError, derive_dataflow, derive_permutation_spec
from .invariance import forward_with_invariance, logit_invariance_loss
from .spec import AxisRef, Group, PermutationSpec
from .transforms import (apply_to_data, apply_to_module, permute_batch, positive_scaling, random_permutation,
                         sign_flip, spec_from_layout)

__all__ = ["derive_permutation_spec", "derive_dataflow", "spec_from_layout", "random_permutation", "permute_batch", "apply_to_data",
           "apply_to_module", "sign_flip", "positive_scaling", "logit_invariance_loss", "forward_with_invariance", "SymmetryError",
           "PermutationSpec", "Group", "AxisRef"]
