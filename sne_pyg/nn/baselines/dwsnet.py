r"""DWSNet (Navon et al., ICML 2023): equivariant layers over the weight space of MLPs.

An MLP with weights :math:`W_l` and biases :math:`b_l` is acted on by independent permutations of
every hidden layer :math:`1..L-1`; input and output neurons are never permuted (the ``"hnp"`` group of
:mod:`sne_pyg.nn.weight_space.tensors`, whose input and output axes are absorbed into channels). The
equivariant layer is the closed-form characterisation of
:class:`~sne_pyg.nn.weight_space.EquivariantLinear`: the paper's four blocks (weight->weight,
weight->bias, bias->weight, bias->bias) are its terms between weight and bias tensors. MLPs only, as
in the paper. Pooling (inside the layers and the invariant readout) is the max, the reference code's
default reduction; :class:`~sne_pyg.nn.baselines.nfn.NFN_HNP` is the same group with mean pooling (the
linear characterisation), on CNNs too.
"""
from __future__ import annotations

from ..weight_space import NeuralFunctional


class DWSNet(NeuralFunctional, name="dwsnet"):
    """Stacked equivariant layers + ReLU, invariant mean-pooling of every tensor, MLP; MLP zoos of one shape.

    The input of every weight is its value relative to its tensor's RMS and the log RMS (the same
    scale-relative features SNE and DeepSets use). The layers are built from the first batch; a
    batch of another shape raises a clear error.
    """

    group = "hnp"
    convolutions = False
    reduction = "max"

    def __init__(self, hidden: int = 64, out_dim: int | None = 1, layers: int = 3, features: int = 16) -> None:
        super().__init__()

    @property
    def width(self) -> int:
        return self.config["features"]
