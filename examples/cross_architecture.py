"""Cross-architecture transfer: train on one CNN family, rank networks of architectures never seen (Tables 2, 4, 9).

    python examples/cross_architecture.py                     # Arch1 <-> Arch2 and -> transformer on digits, 3 seeds
    python examples/cross_architecture.py --quick --out DIR   # CI-sized
    python examples/cross_architecture.py --models sne,neural_graph --model-option sne.neuron_context=true   # a model option

Every zoo is trained on the same dataset. For every source architecture each model trains on that
zoo's training split (model selection on its validation split) and is scored by Kendall's tau of
predicted vs true test accuracy on every target zoo: the source's held-out test split when source
= target, all networks of the target zoo otherwise. Only models that read any architecture take
part (SNE, NeuralGraph, DeepSets by default; StatNN and the flat MLP need one fixed layout), and
HyperRep (the SNE paper's Table 3 comparison) where it applies: its token sequence is fixed by the
architecture it was trained on, so it scores its own architecture's test split and every other target
is listed as unsupported with the reason.
Prints the table and writes ``DIR/results.json`` (``{"source->target": {model: {"tau_mean",
"tau_std", "taus", "params"}}}``), ``DIR/average.json`` and ``DIR/transfer.png``.
"""
from __future__ import annotations

import argparse
import time

from sne_pyg.experiments import add_zoo_experiment_arguments, apply_quick, name_list, transfer_experiment
from sne_pyg.experiments.arguments import add_model_option_argument, zoo_experiment_digests, zoo_experiment_splits
from sne_pyg.zoos.architectures import ARCHITECTURES
from sne_pyg.zoos.datasets import DATASETS

DEFAULT_MODELS = "sne,neural_graph,deepsets,hyperrep"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--dataset", default="digits", choices=sorted(DATASETS))
    parser.add_argument("--sources", default="arch1,arch2", type=name_list(ARCHITECTURES),
                        help="architectures trained on")
    parser.add_argument("--targets", default="arch1,arch2,transformer", type=name_list(ARCHITECTURES),
                        help="architectures tested on")
    add_zoo_experiment_arguments(parser, models=DEFAULT_MODELS, out="runs/cross_architecture")
    add_model_option_argument(parser)
    args = parser.parse_args(argv)
    apply_quick(args, size=12)
    return args


def main(argv=None) -> dict:
    started = time.time()
    args = parse_args(argv)
    kinds = {arch: f"{arch}-{args.dataset}" for arch in dict.fromkeys(args.sources + args.targets)}
    zoos = {arch: zoo_experiment_splits(args, kind) for arch, kind in kinds.items()}
    return transfer_experiment(args, zoos, args.sources, args.targets, f"zoos on {args.dataset}",
                               ("examples/cross_architecture.py", argv, started),
                               {arch: zoo_experiment_digests(args, kind) for arch, kind in kinds.items()})


if __name__ == "__main__":
    main()
