r"""Neural functionals (Zhou et al., "Permutation Equivariant Neural Functionals", NeurIPS 2023).

A stack of :class:`~sne_pyg.nn.weight_space.EquivariantLinear` layers with ReLU between them,
invariant mean pooling and an MLP, over the weight space of an MLP or a CNN (kernel positions are
channels; a flatten of a spatial map into a Linear layer is refused, global pooling is fine):

* :class:`NFN_NP` — equivariant to the **neuron permutation** group: every layer's neurons permute,
  the input and output neurons included (the right group when inputs are exchangeable);
* :class:`NFN_HNP` — equivariant to **hidden** neuron permutations only; input and output neurons
  are absorbed into channels (:mod:`sne_pyg.nn.weight_space.tensors`), which adds the paper's extra
  first- and last-layer terms (maps that do not pool over inputs or outputs).

Hidden tensors keep the input's channel groups (a 3x3 kernel layer carries ``9 * channels``
channels), as the paper's layers do. On MLPs, ``nfn_hnp`` spans the same maps as DWSNet (same group).
"""
from __future__ import annotations

from ..weight_space import NeuralFunctional


class NFN_NP(NeuralFunctional, name="nfn_np"):  # noqa: N801  (the paper's name)
    """NFN with NP layers: invariant to permutations of every layer's neurons, inputs and outputs too."""

    group = "np"


class NFN_HNP(NeuralFunctional, name="nfn_hnp"):  # noqa: N801
    """NFN with HNP layers: invariant to hidden-neuron permutations; inputs and outputs keep their order."""

    group = "hnp"
