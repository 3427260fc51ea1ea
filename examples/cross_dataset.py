"""Cross-dataset transfer: train on the zoo of dataset A, rank the networks of dataset B (Table 8 layout).

    python examples/cross_dataset.py                      # Arch1 on digits, mnist1d, tetris, shapes; 3 seeds
    python examples/cross_dataset.py --quick --out DIR    # CI-sized
    python examples/cross_dataset.py --models sne,neural_graph --model-option sne.neuron_context=true   # a model option

Every zoo has the same architecture and differs only in the data its classifiers were trained on.
For every source A each model trains on A's training split (model selection on A's validation
split) and is scored by Kendall's tau of predicted vs true test accuracy on every zoo B: on A's
held-out test split when B = A, on all of B's networks otherwise (none of them was seen).
Prints the table with both averages and writes ``DIR/results.json``
(``{"A->B": {model: {"tau_mean", "tau_std", "taus", "params"}}}``), ``DIR/average.json`` and
``DIR/transfer.png`` (one A x B heat map per model).
"""
from __future__ import annotations

import argparse
import time

from sne_pyg.experiments import add_zoo_experiment_arguments, apply_quick, name_list, transfer_experiment
from sne_pyg.experiments.arguments import add_model_option_argument, zoo_experiment_digests, zoo_experiment_splits
from sne_pyg.zoos.architectures import ARCHITECTURES
from sne_pyg.zoos.datasets import DATASETS

DEFAULT_MODELS = "sne,neural_graph,deepsets,statnn,hyperrep"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--architecture", default="arch1", choices=sorted(ARCHITECTURES))
    parser.add_argument("--datasets", default=",".join(DATASETS), type=name_list(DATASETS, minimum=2),
                        help="comma-separated, at least two")
    add_zoo_experiment_arguments(parser, models=DEFAULT_MODELS, out="runs/cross_dataset")
    add_model_option_argument(parser)
    args = parser.parse_args(argv)
    apply_quick(args, size=12)
    return args


def main(argv=None) -> dict:
    started = time.time()
    args = parse_args(argv)
    kinds = {name: f"{args.architecture}-{name}" for name in args.datasets}
    zoos = {name: zoo_experiment_splits(args, kind) for name, kind in kinds.items()}
    return transfer_experiment(args, zoos, args.datasets, args.datasets, f"{args.architecture} zoos",
                               ("examples/cross_dataset.py", argv, started),
                               {name: zoo_experiment_digests(args, kind) for name, kind in kinds.items()})


if __name__ == "__main__":
    main()
