"""Command-line options the example experiments share (argparse types and defaults)."""
from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable

from ..argtypes import positive_int
from ..data.standardise import INPUT_NORMS
from ..nn import MODELS, parse_models
from ..data.dataset import recorded_digests
from ..zoos.kinds import cached_splits, cached_zoo
from ..zoos.labels import LABELS, parse_target, require_numeric


# Default classifier zoo of the experiments: 250 runs x 4 checkpoints = 1,000 networks per zoo, split by run
# 60/10/30 -> 600 training, 100 validation and 300 test networks (enough test networks for Kendall's tau to
# separate models: its sampling spread on 20 networks was about +-0.15).
ZOO_RUNS = 250
ZOO_CHECKPOINTS = 4
ZOO_FRACTIONS = (0.6, 0.1, 0.3)
CHUNK_SIZE = 64             # scalars per chunk of the converted zoos (convert's default)


def add_zoo_experiment_arguments(parser, *, models: str, out: str, size: int = ZOO_RUNS, size_help: str = "per zoo",
                                 epochs: int = 15, checkpoints: int | None = ZOO_CHECKPOINTS,
                                 fractions: tuple[float, float, float] = ZOO_FRACTIONS) -> None:
    """The options every zoo experiment (the examples) shares: target, models, seeds, zoo size, checkpoints
    and split, training length, cache folder, output folder, ``--quick`` and ``--no-progress``."""
    parser.add_argument("--target", type=_target, default=0,
                        help="0 test accuracy, 1 train accuracy, 2 gap, or any numeric label the zoo records: "
                             + ", ".join(n for n, (_, _, kind) in LABELS.items() if kind == "numeric"))
    parser.add_argument("--models", default=models, type=_model_list, help="comma-separated registered models")
    parser.add_argument("--seeds", type=positive_int, default=3)
    parser.add_argument("--size", type=int, default=size, help=f"training runs {size_help} (--zoo-checkpoints each)")
    parser.add_argument("--zoo-epochs", type=int, default=10, help="epochs each classifier trains")
    parser.add_argument("--zoo-checkpoints", type=positive_int, default=checkpoints,
                        help="evenly spaced checkpoints kept per run, all of a run in one split (None: the zoo "
                             "kind's, 2 for classifier zoos)")
    parser.add_argument("--zoo-split", type=fraction_triple, default=tuple(fractions),
                        help="train,val,test fractions of the runs (every checkpoint of a run in one split)")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--root", default="data_cache", help="where generated zoos are cached")
    parser.add_argument("--out", default=out)
    parser.add_argument("--quick", action="store_true", help="tiny zoos and training (CI)")
    parser.add_argument("--no-progress", action="store_true")


def zoo_experiment_digests(args, kind: str, **options) -> dict[str, str]:
    """``{split: SHA-256}`` of the split files of the zoo :func:`zoo_experiment_splits` reads (recorded when it
    was written): which zoo a result file's numbers come from. A zoo regenerated on another CPU can differ."""
    folder = cached_zoo(kind, args.root, args.size, args.zoo_epochs, progress=not args.no_progress,
                        checkpoints=args.zoo_checkpoints, fractions=args.zoo_split, **options)
    return recorded_digests(folder)


def zoo_experiment_splits(args, kind: str, **options) -> dict[str, list]:
    """``{split: networks}`` of the cached zoo ``kind`` (:func:`sne_pyg.zoos.kinds.cached_splits`) made as the
    options of :func:`add_zoo_experiment_arguments` say: size, epochs, checkpoints, split, target and cache folder;
    ``options`` (``chunk_size=...``) go to the zoo as they are."""
    return cached_splits(kind, args.root, args.size, args.zoo_epochs, args.target, progress=not args.no_progress,
                         checkpoints=args.zoo_checkpoints, fractions=args.zoo_split, **options)


def zoo_experiment_settings(args) -> dict:
    """The options of :func:`add_zoo_experiment_arguments` a cached (model, seed) run depends on: the zoo's
    size, epochs and checkpoints, the target, and the models' width and epochs."""
    return {name: (list(value) if isinstance(value := getattr(args, name), tuple) else value)
            for name in ("size", "zoo_epochs", "zoo_checkpoints", "zoo_split", "target", "hidden", "epochs")}


def add_model_option_arguments(parser) -> None:
    """``--model-option MODEL.KEY=VALUE`` (repeatable): a constructor option of one model, e.g.
    ``sne.heads=1`` or ``sne.set_function=mean`` (the levers of SNE's ablations); ``--train-option KEY=VALUE``
    (repeatable): one of :data:`TRAIN_OPTIONS` for every model; ``--chunk-size`` and ``--input-norm``."""
    add_model_option_argument(parser)
    parser.add_argument("--train-option", dest="train_options", action="append", type=train_option, default=[],
                        metavar="KEY=VALUE", help="a training setting of every model (repeatable): "
                        + ", ".join(f"{k} ({why})" for k, (_, why) in TRAIN_OPTIONS.items()))
    parser.add_argument("--chunk-size", type=positive_int, default=CHUNK_SIZE, help="scalars per chunk of the converted zoo")
    add_input_norm_argument(parser)


def add_model_option_argument(parser) -> None:
    """``--model-option MODEL.KEY=VALUE`` alone (repeatable; :func:`model_options_of` reads it)."""
    parser.add_argument("--model-option", dest="model_options", action="append", type=model_option, default=[],
                        metavar="MODEL.KEY=VALUE",
                        help="a constructor option of one model (repeatable), e.g. sne.heads=1, sne.chunk_blocks=3")


def add_input_norm_argument(parser) -> None:
    """``--input-norm {none,entry}``: entry z-scores every state_dict entry with training-split statistics."""
    parser.add_argument("--input-norm", default="none", choices=INPUT_NORMS,
                        help="entry: z-score every state_dict entry with its training-split mean and std "
                             "(sne_pyg.data.standardise; the peers normalise their zoos' weights), for every model")


def model_option(text: str) -> tuple[str, str, bool | int | float | str]:
    """An argparse ``type``: ``"sne.heads=1"`` -> ``("sne", "heads", 1)``; the key must be a keyword of the
    model's constructor; the value is read as a bool (true/false), an int, a float or else a string."""
    model, dot, rest = text.partition(".")
    key, equals, raw = rest.partition("=")
    if not (dot and equals and key and raw):
        raise argparse.ArgumentTypeError(f"needs MODEL.KEY=VALUE (e.g. sne.heads=1), got {text!r}")
    if model not in MODELS:
        raise argparse.ArgumentTypeError(f"unknown model {model!r} in {text!r}; registered: {sorted(MODELS)}")
    keywords = [n for n, p in inspect.signature(MODELS[model].__init__).parameters.items()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n not in ("self", "hidden", "out_dim")]
    if key not in keywords:
        raise argparse.ArgumentTypeError(f"{model} has no option {key!r} (its options: {', '.join(keywords)})")
    return model, key, _option_value(raw)


# training settings a run may change (tau_over_seeds' keywords): the check each value must pass, and what it is
def _number(v) -> bool:
    return isinstance(v, float | int) and not isinstance(v, bool)


TRAIN_OPTIONS: dict[str, tuple[Callable[[object], bool], str]] = {
    "lr": (lambda v: _number(v) and v > 0, "a learning rate > 0"),
    "weight_decay": (lambda v: _number(v) and v >= 0, "AdamW's weight decay, >= 0"),
    "augment": (lambda v: isinstance(v, bool), "true or false (permutation augmentation)"),
    "li_weight": (lambda v: _number(v) and v >= 0, "a Logit Invariance weight >= 0"),
    "batch_size": (lambda v: type(v) is int and v >= 2, "a whole number of networks per batch >= 2"),
}


def train_option(text: str) -> tuple[str, bool | int | float | str]:
    """An argparse ``type``: ``"lr=3e-3"`` -> ``("lr", 0.003)``, the key one of :data:`TRAIN_OPTIONS`."""
    key, equals, raw = text.partition("=")
    if not (equals and raw):
        raise argparse.ArgumentTypeError(f"needs KEY=VALUE (e.g. lr=3e-3), got {text!r}")
    if key not in TRAIN_OPTIONS:
        raise argparse.ArgumentTypeError(f"unknown training option {key!r} in {text!r}; one of {', '.join(TRAIN_OPTIONS)}")
    value = _option_value(raw)
    valid, meaning = TRAIN_OPTIONS[key]
    if not valid(value):
        raise argparse.ArgumentTypeError(f"{key} must be {meaning}, got {raw!r}")
    return key, value


def train_options_of(args) -> dict:
    """``{key: value}`` from the ``--train-option`` list (a later repeat of a key wins)."""
    return dict(args.train_options)


def _option_value(raw: str) -> bool | int | float | str:
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def model_options_of(args) -> dict[str, dict]:
    """``{model: {key: value}}`` from the ``--model-option`` list (a later repeat of a key wins)."""
    options: dict[str, dict] = {}
    for model, key, value in args.model_options:
        options.setdefault(model, {})[key] = value
    return options


def fraction_triple(text: str) -> tuple[float, float, float]:
    """An argparse ``type``: ``"0.6,0.1,0.3"`` -> three positive fractions summing to 1."""
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) <= 0 or abs(sum(values) - 1) > 1e-6:
        raise argparse.ArgumentTypeError(f"needs three positive train,val,test fractions summing to 1; got {text!r}")
    return values


def _target(text: str) -> int | str:
    """An argparse ``type``: a column of ``y`` or one numeric label by name (Kendall's tau ranks one number)."""
    try:
        target = parse_target(text)
        if target == "all":
            raise ValueError("--target 'all': Kendall's tau ranks one label; pick a column of y or a label's name")
        if isinstance(target, str):
            require_numeric(target)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return target


def _model_list(text: str) -> list[str]:
    try:
        return parse_models(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def name_list(choices, minimum: int = 1) -> Callable[[str], list[str]]:
    """An argparse ``type``: ``"a,b"`` -> ``["a", "b"]``, each one of ``choices``, at least ``minimum``."""
    def parse(text: str) -> list[str]:
        names = [n for n in text.split(",") if n]
        unknown = sorted(set(names) - set(choices))
        if unknown or len(names) < minimum:
            raise argparse.ArgumentTypeError(f"needs at least {minimum} of {sorted(choices)}, comma-separated; "
                                             f"got {names}" + (f" (unknown: {unknown})" if unknown else ""))
        return names
    return parse


def apply_quick(args, size: int) -> None:
    """``--quick``: ``size`` runs per zoo trained 2 epochs; models of hidden 8 trained 2 epochs (where the
    example has ``--hidden`` / ``--epochs``)."""
    if args.quick:
        args.size, args.zoo_epochs = size, 2
        for name, value in (("epochs", 2), ("hidden", 8)):
            if hasattr(args, name):
                setattr(args, name, value)
