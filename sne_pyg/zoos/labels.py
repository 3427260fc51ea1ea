"""Every generating factor a classifier zoo records, by name, so any of them can be a prediction target.

A classifier zoo network (:mod:`sne_pyg.zoos.classifier_zoo`) carries ``y = [test accuracy, train accuracy,
generalization gap]`` and ``hparams`` (:data:`~sne_pyg.zoos.classifier_zoo.HPARAM_NAMES`: log10 learning
rate, log10 L2, dropout, train fraction, log10 initialisation scale, activation, initialisation, optimiser,
epoch), plus the run's ``seed``. :data:`LABELS` maps a name to ``(attribute, column, kind)``; ``kind`` is
``"numeric"`` (a quantity that can be ranked, so Kendall's tau and MSE mean something) or ``"categorical"``
(a code: predict it with a classifier, e.g. ``sne-pyg train --task classification`` or the linear probes).

:func:`zoo_target` keeps one label as ``y``; a column index (``0``, ``"2"``) or ``"all"`` keeps columns of
``y`` as :func:`sne_pyg.data.dataset.select_target` does.
"""
from __future__ import annotations

from collections.abc import Sequence

from ..data.dataset import select_target
from ..data.network_data import NetworkData
from .classifier_zoo import HPARAM_NAMES, TARGET_NAMES

CATEGORICAL = ("activation", "init", "optimizer")

LABELS: dict[str, tuple[str, int, str]] = {
    **{name: ("y", column, "numeric") for column, name in enumerate(TARGET_NAMES)},
    **{name: ("hparams", column, "categorical" if name in CATEGORICAL else "numeric")
       for column, name in enumerate(HPARAM_NAMES)},
    "seed": ("seed", 0, "categorical"),
}


def parse_target(text: str | int) -> int | str:
    """``"0"`` -> ``0``; a label name or ``"all"`` unchanged; anything else a ``ValueError`` listing the names."""
    if isinstance(text, int):
        return text
    if text.lstrip("-").isdigit():
        return int(text)
    if text == "all" or text in LABELS:
        return text
    raise ValueError(f"--target {text!r}: use a column of y (0, 1, 2), 'all', or one of {sorted(LABELS)}")


def require_numeric(name: str) -> None:
    """Refuse a categorical label: a code has no order, so a regression or a rank correlation on it means nothing."""
    if LABELS[name][2] != "numeric":
        raise ValueError(f"--target {name!r} is categorical (a code with no order): predict it with a classifier "
                         f"(`sne-pyg train --task classification`) or a linear probe, not a regression")


def zoo_target(networks: Sequence[NetworkData], target: int | str | None, *,
               numeric_only: bool = False) -> list[NetworkData]:
    """Copies of ``networks`` whose ``y`` is the label ``target`` as one float column ``[1, 1]``.

    ``target`` a column index or ``"all"``/``None``: :func:`select_target`. ``numeric_only``: refuse a
    categorical label (a code has no order, so a regression or a rank correlation on it means nothing).
    A network that lacks the label's attribute is named in the error.
    """
    if target is None or isinstance(target, int) or target == "all" or str(target).lstrip("-").isdigit():
        return select_target(list(networks), target)
    if target not in LABELS:
        raise ValueError(f"--target {target!r}: unknown label; the zoo records {sorted(LABELS)}")
    attribute, column, _ = LABELS[target]
    if numeric_only:
        require_numeric(target)
    out = []
    for i, data in enumerate(networks):
        if attribute not in data:
            raise ValueError(f"--target {target!r}: network {i} has no {attribute!r} (a zoo that does not record it)")
        value = data[attribute].reshape(1, -1)[:, column:column + 1].float()
        data = data.clone()
        data.y = value
        out.append(data)
    return out
