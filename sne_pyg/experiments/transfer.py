r"""Transfer tables: train on one zoo, score Kendall's tau on others (the paper's Tables 2, 4, 8, 9).

``results["<source>-><target>"][model] = {"tau_mean", "tau_std", "taus", "params"}``, every
entry over the same seeds. :func:`format_transfer_table` prints them with one column per model
and the averages (all pairs, and transfer pairs only, i.e. source != target);
:func:`~sne_pyg.plots.plot_transfer_matrix` draws one source x target heat map per model.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from ..data.dataset import SPLITS
from ..data.neural_graph import largest_kernel
from .arguments import model_options_of, zoo_experiment_settings
from .reports import run_metadata, write_comparisons, write_transfer_report
from .seeds import defined_comparisons, sne_versus_best, tau_over_seeds, tau_scores
from .tables import average_tau, pair_key
from ..json_files import strict, write_json


def transfer_results(models: Sequence[str], sources: dict[str, tuple[list, list]],
                     tests_for: Callable[[str], dict[str, list]], seeds: int = 3, hidden: int = 32,
                     epochs: int = 30, progress: bool = False, model_options: dict[str, dict] | None = None,
                     cache: tuple[str, dict] | None = None) -> tuple[dict[str, dict[str, dict]], dict[str, dict[str, str]]]:
    """Every model trained on every source (``sources[name] = (train, val)``), over ``seeds`` seeds,
    scored on ``tests_for(source)`` (``{target name: networks}``); ``model_options[model]`` go to
    its constructor. Returns ``(results, unsupported)``: a pair a model cannot read (e.g. NeuralGraph
    on attention layers) is left out of ``results[pair]`` and its reason is ``unsupported[pair][model]``.
    ``cache = (folder, settings)`` keeps every (source, model, seed) run in ``folder/cache/`` (see
    :func:`~sne_pyg.experiments.seeds.tau_over_seeds`), so a stopped table resumes."""
    results: dict[str, dict[str, dict]] = {}
    unsupported: dict[str, dict[str, str]] = {}
    for source, (train, val) in sources.items():
        tests = tests_for(source)
        for model in models:
            options = (model_options or {}).get(model)
            run_cache = None if cache is None else (
                cache[0], f"{source}-{model}", dict(cache[1], source=source, model=model, tests=list(tests),
                                                    hidden=hidden, epochs=epochs, options=options))
            scored = tau_over_seeds(model, train, val, tests, seeds, hidden, epochs, progress=progress,
                                    model_options=options, cache=run_cache)
            for target in tests:
                key = pair_key(source, target)
                entry = results.setdefault(key, {})
                if "unsupported" in scored[target]:
                    unsupported.setdefault(key, {})[model] = scored[target]["unsupported"]
                else:
                    entry[model] = dict(scored[target], params=scored["params"])
    return results, unsupported


def model_options_for(models: Sequence[str], zoos: dict[str, dict[str, list]],
                      given: dict[str, dict] | None = None) -> dict[str, dict]:
    """Constructor settings of the table's models: those ``given`` (``--model-option``, ``{model: {key:
    value}}``) and those that depend on every zoo of the table: NeuralGraph pads kernels to the widest one it
    will read (``max_kernel``), so one model reads all zoos."""
    options = {model: dict(opts) for model, opts in (given or {}).items() if model in models}
    if "neural_graph" in models:
        networks = [net for splits in zoos.values() for part in splits.values() for net in part]
        options["neural_graph"] = {"max_kernel": max(9, largest_kernel(networks)), **options.get("neural_graph", {})}
    return options


def write_transfer_summary(out: str, metadata: dict, results: dict[str, dict[str, dict]], models: Sequence[str],
                           comparisons: dict[str, dict | None], unsupported: dict | None = None) -> dict:
    """``out/summary.json``: the run's metadata, per pair and model the taus over seeds (no predictions: the
    file is small enough for the repository), both averages per model and SNE against the best other model per
    pair; what the README's ``transfer`` tables render (:func:`~sne_pyg.experiments.readme_tables.render_transfer`)."""
    summary = {**metadata, "models": list(models),
               "results": {key: {m: tau_scores(e) for m, e in entry.items()} for key, entry in results.items()},
               "averages": {m: {"average": average_tau(results, m),
                                "average_transfer": average_tau(results, m, True)} for m in models},
               "sne_vs_best": defined_comparisons(comparisons),
               "unsupported": unsupported or {}}
    write_json(os.path.join(out, "summary.json"), summary)     # an average over no pairs (NaN) is written null
    return strict(summary)


def held_out_tests(zoos: dict[str, dict[str, list]], source: str, targets: Sequence[str]) -> dict[str, list]:
    """The test sets of a model trained on ``source``: its own zoo's test split, and every network of
    each other target zoo (none of them was seen in training)."""
    return {target: zoos[target]["test"] if target == source else [n for split in SPLITS for n in zoos[target][split]]
            for target in targets}


def transfer_experiment(args, zoos: dict[str, dict[str, list]], sources: Sequence[str], targets: Sequence[str],
                        title: str, run: tuple[str, Sequence[str] | None, float] | None = None,
                        digests: dict[str, dict[str, str]] | None = None) -> dict[str, dict[str, dict]]:
    """What the cross-dataset and cross-architecture examples run: every model of ``args.models`` (a list)
    trained on each of ``sources`` (its zoo's train/val splits) and scored on :func:`held_out_tests` of
    ``targets``, with the report written to ``args.out`` (and, given ``run = (script, argv, start time)``,
    ``args.out/summary.json`` with :func:`~sne_pyg.experiments.reports.run_metadata` and, given, each zoo's
    split ``digests``: the README's result file)."""
    models = args.models

    def tests_for(source: str) -> dict[str, list]:
        return held_out_tests(zoos, source, targets)
    zoo_settings = {"title": title, **zoo_experiment_settings(args)}
    results, unsupported = transfer_results(models, {s: (zoos[s]["train"], zoos[s]["val"]) for s in sources},
                                            tests_for, args.seeds, args.hidden, args.epochs,
                                            progress=not args.no_progress,
                                            model_options=model_options_for(models, zoos, model_options_of(args)),
                                            cache=(args.out, zoo_settings))
    title += (f", target {args.target}, Kendall tau over {args.seeds} seeds ({args.size} runs x "
              f"{args.zoo_checkpoints or 2} checkpoints per zoo)")
    write_transfer_report(results, models, args.out, title, unsupported)
    comparisons = {key: sne_versus_best(entry) for key, entry in results.items()}
    write_comparisons(comparisons, args.out)
    if run is not None:
        metadata = {**run_metadata(*run), "title": title, **({"zoo_sha256": digests} if digests else {})}
        write_transfer_summary(args.out, metadata, results, models, comparisons, unsupported)
    return results
