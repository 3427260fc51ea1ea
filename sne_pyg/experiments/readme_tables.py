"""README tables generated from the result files, so the README says what the files say.

A generated block in a Markdown file looks like::

    <!-- table mse docs/results/inr_frequency.json -->
    ...generated...
    <!-- /table -->

``mse`` (``{"results": {model: {"params", "mse_mean", "mse_std", "seeds"}}}``, optional
``"mean_baseline_mse"`` and ``"sne_vs_best"``), ``tau`` (``{"results": {model: {"params", "tau_mean",
"tau_std", "taus"}}}``) and ``probe`` (``{"methods": {method: {property: {"r2" | "accuracy": {"mean",
"std", "values"}}}}}``) ``ablation`` (HyperRep's ``loss_ablation`` / ``augmentation_ablation``), ``reconstruction`` (HyperRep's
reconstruction R² per split and recipe), ``data_efficiency`` (the SNE paper's Figure 3 as a table) and
``table6`` (its Table 6), ``levers`` (SNE's levers, ``examples/sne_levers.py``), ``versus`` (one setting
against another, ``run_comparison``), ``pooled`` (one encoder on a pooled zoo, ``examples/heterogeneous_zoo.py``) ``tuning`` (``examples/tune.py``'s best settings) and ``fit`` (``examples/fit_capacity.py``) name the renderers; the path is relative to the repository root.

    python -m sne_pyg.experiments.readme_tables            # rewrite the blocks of README.md
    python -m sne_pyg.experiments.readme_tables --check    # exit 1 naming every block that disagrees
"""
from __future__ import annotations

import math
import argparse
import json
import os
import re
import sys
from collections.abc import Callable

BLOCK = re.compile(r"(<!-- table (\w+) (\S+) -->\n)(.*?)(<!-- /table -->)", re.S)


def render_mse(result: dict) -> str:
    """Rows by test MSE (best in bold), the predict-the-mean row, then SNE against the best other model."""
    rows = sorted(result["results"].items(), key=lambda kv: kv[1]["mse_mean"])
    seeds = {r["seeds"] for _, r in rows}
    spread = "mean ± std, " if seeds != {1} else ""
    lines = [f"| model | #params | test MSE ({spread}{_seeds(seeds)}) |", "| --- | --- | --- |"]
    for rank, (name, r) in enumerate(rows):
        cell = _mean_std(r["mse_mean"], r["mse_std"], r["seeds"], digits=4)
        lines.append(f"| {name} | {r['params']:,} | {f'**{cell}**' if rank == 0 else cell} |")
    if "mean_baseline_mse" in result:
        lines.append(f"| predict the train mean | – | {result['mean_baseline_mse']:.4f} |")
    versus = result.get("sne_vs_best")
    if versus:
        level = round(100 * versus["level"])
        lines += ["", f"SNE − {versus['other']} (the best other model): {versus['difference']:+.4f} test MSE, "
                      f"paired bootstrap {level}% interval [{versus['low']:+.4f}, {versus['high']:+.4f}] over test "
                      f"networks and seeds ({versus['resamples']:,} resamples): **{_verdict(versus['verdict'])}**."]
    return "\n".join(lines)


def render_tau(result: dict) -> str:
    """Rows by Kendall's tau, highest first (the best in bold when the file compares SNE with the best other
    model), then that comparison: the difference and its paired bootstrap interval."""
    rows = sorted(result["results"].items(), key=lambda kv: -kv[1]["tau_mean"])
    seeds = {len(r["taus"]) for _, r in rows}
    versus = result.get("sne_vs_best")
    lines = [f"| model | parameters | Kendall tau (mean ± std, {_seeds(seeds)}) |", "| --- | --- | --- |"]
    for rank, (name, r) in enumerate(rows):
        cell = _mean_std(r["tau_mean"], r["tau_std"], len(r["taus"]), digits=3)     # one seed: no ± 0.000
        lines.append(f"| {name} | {r['params']:,} | {f'**{cell}**' if rank == 0 and versus else cell} |")
    if versus:
        level = round(100 * versus["level"])
        tests = f"the {result['splits']['test']:,} " if "splits" in result else ""
        lines += ["", f"SNE − {versus['other']} (the best other model): {versus['difference']:+.3f} Kendall tau, "
                      f"paired bootstrap {level}% interval [{versus['low']:+.3f}, {versus['high']:+.3f}] over "
                      f"{tests}test networks and seeds: **{_verdict(versus['verdict'])}**."]
    return "\n".join(lines)


def render_transfer(result: dict) -> str:
    """A transfer matrix (``summary.json`` of the cross-dataset / cross-architecture examples): a row per
    ``source->target`` pair, Kendall's tau per model (mean ± std over seeds; the row's best in bold, ``n/a`` where
    a model cannot read the target), SNE against the row's best other model (paired bootstrap interval), then
    both averages over pairs."""
    models = result["models"]
    lines = _tau_rows(result, "train -> test", {key: key for key in result["results"]})
    for label, field in (("average", "average"), ("average, transfer pairs", "average_transfer")):
        lines.append(f"| **{label}** | " + " | ".join(_average_cell(result['averages'][m][field]) for m in models) + " | |")
    return "\n".join(lines)


def render_pooled(result: dict) -> str:
    """One encoder on a pooled zoo (``examples/heterogeneous_zoo.py``'s ``summary.json``): a row per test set (the
    pool, then each architecture's and each dataset's part, with its size), Kendall's tau per model as in
    :func:`render_transfer` with SNE against the row's best other model, then each model's 5-nearest-neighbour
    accuracy of its embedding by factor and its parameter count."""
    models = result["models"]
    lines = _tau_rows(result, "test set", {g: f"{g} ({n})" for g, n in result["networks"].items()})
    for factor in next(iter(result["knn_accuracy"].values()), {}):
        lines.append(f"| 5-NN accuracy of the embedding: {factor} | "
                     + " | ".join(_average_cell(result["knn_accuracy"][m][factor]) for m in models) + " | |")
    lines.append("| parameters | " + " | ".join(f"{result['params'][m]:,}" for m in models) + " | |")
    return "\n".join(lines)


def _tau_rows(result: dict, first: str, labels: dict[str, str]) -> list[str]:
    """Header and a row per entry of ``result["results"]`` (``{row: {model: tau entry | unsupported}}``), labelled
    by ``labels``: each model's tau (the row's best in bold, ``n/a`` where it could not read the networks,
    ``undefined`` where tau was), then SNE against the best other model from ``result["sne_vs_best"]``."""
    models, versus = result["models"], result.get("sne_vs_best", {})
    lines = [f"| {first} | " + " | ".join(models) + " | SNE − best other [95% interval] |",
             "| --- " * (len(models) + 2) + "|"]
    for key, entry in result["results"].items():
        read = [m for m in models if m in entry and "tau_mean" in entry[m]]
        defined = [m for m in read if entry[m]["tau_mean"] is not None]     # null: tau undefined (constant targets)
        best = max((entry[m]["tau_mean"] for m in defined), default=None)
        cells = [_tau_cell(entry[m], entry[m]["tau_mean"] == best) if m in defined else
                 "undefined" if m in read else "n/a" for m in models]
        comparison = f"{_interval(versus[key])} vs {versus[key]['other']}" if key in versus else "–"
        lines.append(f"| {labels[key]} | " + " | ".join(cells) + f" | {comparison} |")
    return lines


def _average_cell(value: float | None) -> str:
    """An average over no pairs (``null`` in the file, NaN in an older one) reads ``n/a``."""
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"


def render_data_efficiency(result: dict) -> str:
    """Figure 3 as a table (``results.data_efficiency``: ``{"model@fraction": {"model", "fraction",
    "train_networks", "mse_mean", "mse_std", "mse"}}``): a row per training-set size, a column per model,
    the lowest test MSE of each row in bold."""
    rows = result["results"]["data_efficiency"].values()
    models = list(dict.fromkeys(r["model"] for r in rows))
    by_size: dict[int, dict] = {}
    for r in rows:
        by_size.setdefault(r["train_networks"], {})[r["model"]] = r
    seeds = {len(r["mse"]) for r in rows}
    compared = any("versus" in r for r in rows)            # SNE against the best other model, paired bootstrap
    lines = ["| training INRs | " + " | ".join(f"{m} test MSE" for m in models)
             + (" | SNE − best other (95% interval) |" if compared else " |"),
             "| --- " * (len(models) + 1 + compared) + "|"]
    for size in sorted(by_size):
        cells = {m: by_size[size][m] for m in models if m in by_size[size]}
        best = min(cells, key=lambda m: cells[m]["mse_mean"])
        text = [_mse_cell(cells[m], bold=m == best) if m in cells else "–" for m in models]
        if compared:
            versus = cells.get("sne", {}).get("versus")
            text.append(f"{_interval(versus)} vs {versus['other']}" if versus else "–")
        lines.append(f"| {size} | " + " | ".join(text) + " |")
    lines.append(f"\n({_seeds(seeds)}; mean ± std where there is more than one)")
    return "\n".join(lines)


def render_table6(result: dict) -> str:
    """The SNE paper's Table 6 (``results.table6``: ``{variant: {"mse_mean", "mse_std", "mse", "params"}}``) in
    the file's order, with each variant's change of test MSE against the first row (the full model) and, where
    the file has it (``"versus"``), its paired bootstrap 95% interval."""
    rows = result["results"]["table6"]
    full = next(iter(rows.values()))
    seeds = {len(r["mse"]) for r in rows.values()}
    lines = [f"| variant | #params | test MSE ({_seeds(seeds)}) | vs full SNE |", "| --- | --- | --- | --- |"]
    for i, (name, r) in enumerate(rows.items()):
        change = ("–" if i == 0 else _interval(r["versus"]) if "versus" in r
                  else f"{r['mse_mean'] - full['mse_mean']:+.4f}")
        lines.append(f"| {name} | {r['params']:,} | {_mse_cell(r, bold=False)} | {change} |")
    return "\n".join(lines)


def render_table7(result: dict) -> str:
    """The SNE paper's Table 7 (``results.table7``: ``{chunk size: {"mse_mean", "mse_std", "mse", "params",
    "versus"}}``) by chunk size, each against the default chunk size with its paired bootstrap 95% interval."""
    rows = result["results"]["table7"]
    seeds = {len(r["mse"]) for r in rows.values()}
    lines = [f"| chunk size | #params | test MSE ({_seeds(seeds)}) | vs the default chunk size (95% interval) |",
             "| --- | --- | --- | --- |"]
    for size in sorted(rows, key=int):
        r = rows[size]
        against = f"{_interval(r['versus'])} vs {r['versus']['other']}" if "versus" in r else "–"
        lines.append(f"| {size} | {r['params']:,} | {_mse_cell(r, bold=False)} | {against} |")
    return "\n".join(lines)


def render_levers(result: dict) -> str:
    """SNE's levers (``examples/sne_levers.py``'s ``levers``: ``{lever: {"options", "params", "tau_mean",
    "tau_std", "taus", "difference", "low", "high", "verdict"}}``): each lever's Kendall tau and its change
    against the baseline (the first row) with the paired bootstrap 95% interval, and its final training loss
    (standardised targets, mean over seeds; "–" where the run kept no history), in the file's order."""
    rows = result["levers"]
    seeds = {len(r["taus"]) for r in rows.values()}
    lines = [f"| lever | options | #params | Kendall tau ({_seeds(seeds)}) | vs SNE's default (95% interval) "
             "| final training loss |", "| --- | --- | --- | --- | --- | --- |"]
    for name, r in rows.items():
        options = " ".join(r["options"]) or "(SNE's default recipe)"
        change = "–" if "verdict" not in r else (f"{r['difference']:+.3f} [{r['low']:+.3f}, {r['high']:+.3f}] "
                                                 f"{_marked(r['verdict'])}")
        loss = f"{sum(r['final_train_loss']) / len(r['final_train_loss']):.3f}" if r.get("final_train_loss") else "–"
        lines.append(f"| {name} | `{options}` | {r['params']:,} | {_tau_cell(r, bold=False)} | {change} | {loss} |")
    return "\n".join(lines)


def render_versus(result: dict) -> str:
    """One setting against another (``sne_pyg.experiments.run_comparison``: ``models``: ``{model: {"seeds",
    "base_mse", "other_mse", "difference", "low", "high", "verdict"}}``), by the other setting's MSE, with the
    paired bootstrap 95% interval of the change (a clear improvement in bold)."""
    rows = result["models"]
    seeds = {r["seeds"] for r in rows.values()}
    lines = [f"| model | test MSE, base ({_seeds(seeds)}) | test MSE, other | other − base (95% interval) |",
             "| --- | --- | --- | --- |"]
    for model, r in sorted(rows.items(), key=lambda kv: kv[1]["other_mse"]):
        lines.append(f"| {model} | {r['base_mse']:.4f} | {r['other_mse']:.4f} | {r['difference']:+.4f} "
                     f"[{r['low']:+.4f}, {r['high']:+.4f}] {_marked(r['verdict'])} |")
    return "\n".join(lines)


def render_tuning(result: dict) -> str:
    """Each model's best tuned settings (``examples/tune.py``'s ``summary.json``: ``best``: ``{model: {"settings",
    "val_mse", "trials", "pruned"}}``), by best validation MSE, then the search space every model shared."""
    lines = ["| model | best validation MSE | lr | weight decay | width | epochs | augment | LI weight | trials "
             "(stopped early) |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for model, r in sorted(result["best"].items(), key=lambda kv: kv[1]["val_mse"]):
        s = r["settings"]
        lines.append(f"| {model} | {r['val_mse']:.4f} | {s['lr']:.2e} | {s['weight_decay']:.1e} | {s['hidden']} | "
                     f"{s['epochs']} | {'yes' if s['augment'] else 'no'} | {s['li_weight']:g} | "
                     f"{r['trials']} ({r.get('pruned', 0)}) |")
    space = result.get("space")
    if space:
        lines += ["", "Search space (the same for every model): " + "; ".join(
            f"{key} {' to '.join(map(_number, values)) if key in ('lr', 'weight_decay') else ', '.join(map(_number, values))}"
            for key, values in space.items()) + "."]
    return "\n".join(lines)


def _number(value) -> str:
    """A search-space bound or choice as written: ``1e-04``, ``30``, ``True``."""
    return f"{value:.0e}" if isinstance(value, float) and 0 < value < 0.01 else str(value)


def _marked(verdict: str) -> str:
    """A bootstrap verdict for a table cell: only a clear improvement in bold."""
    return {"tie": "tie", "better": "**better**", "worse": "worse"}[verdict]


def _interval(versus: dict) -> str:
    """A paired-bootstrap comparison as ``+0.0500 [+0.0100, +0.0900], **better**``: its verdict after the
    interval (``tie`` when it contains 0; ``undefined`` where the score was: its numbers are NaN, ``null`` in the
    file)."""
    if versus["verdict"] == "undefined":
        return "undefined"
    return f"{versus['difference']:+.4f} [{versus['low']:+.4f}, {versus['high']:+.4f}], {_marked(versus['verdict'])}"


def _tau_cell(entry: dict, bold: bool) -> str:
    """A Kendall's tau entry (``tau_mean``, ``tau_std``, per-seed ``taus``) at 3 decimals, in bold if ``bold``."""
    cell = _mean_std(entry["tau_mean"], entry["tau_std"], len(entry["taus"]), digits=3)
    return f"**{cell}**" if bold else cell


def _mse_cell(row: dict, bold: bool) -> str:
    """A test-MSE row (``mse_mean``, ``mse_std``, per-seed ``mse``) at 4 decimals, in bold if ``bold``."""
    cell = _mean_std(row["mse_mean"], row["mse_std"], len(row["mse"]), digits=4)
    return f"**{cell}**" if bold else cell


def render_probe(result: dict) -> str:
    """One row per embedding, one column per probed property (R² or accuracy); ± std over seeds where there are several."""
    methods = result["methods"]
    first = next(iter(methods.values()))
    properties = [p for p, scores in first.items() if "r2" in scores or "accuracy" in scores]
    metric = {p: "r2" if "r2" in first[p] else "accuracy" for p in properties}
    lines = ["| method | " + " | ".join(f"{p} ({'R²' if metric[p] == 'r2' else 'acc'})" for p in properties) + " |",
             "|" + " --- |" * (len(properties) + 1)]
    for method, scores in methods.items():
        cells = [_cell(scores[p][metric[p]]) for p in properties]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


ABLATION_TITLES = {"loss_ablation": "loss", "augmentation_ablation": "augmentations"}


def render_ablation(result: dict) -> str:
    """HyperRep's ablations (``loss_ablation``, ``augmentation_ablation``: ``{setting: merge_seeds(...)}``):
    per setting the test-accuracy R², the mean R² over the regression properties, the mean accuracy over
    the categorical ones (R² and accuracy are never averaged together) and the test reconstruction R²."""
    tables = []
    for key, title in ABLATION_TITLES.items():
        if key not in result:
            continue
        settings = result[key]
        first = next(iter(settings.values()))
        regression = [p for p, s in first.items() if isinstance(s, dict) and "r2" in s]
        categorical = [p for p, s in first.items() if isinstance(s, dict) and "accuracy" in s]
        seeds = {len(scores["reconstruction_r2"]["values"]) for scores in settings.values()}
        lines = [f"| {title} | test_accuracy R² | mean R² ({len(regression)} properties) | mean accuracy "
                 f"({len(categorical)} properties) | reconstruction R² ({_seeds(seeds)}) |", "| --- " * 5 + "|"]
        for name, scores in settings.items():
            acc = scores["test_accuracy"]["r2"]
            mean_r2 = sum(scores[p]["r2"]["mean"] for p in regression) / len(regression)
            mean_acc = sum(scores[p]["accuracy"]["mean"] for p in categorical) / len(categorical) if categorical \
                else float("nan")
            lines.append(f"| {name} | {_cell(acc)} | {mean_r2:.3f} | {mean_acc:.3f} | {_cell(scores['reconstruction_r2'])} |")
        tables.append("\n".join(lines))
    if not tables:
        raise KeyError("loss_ablation")
    return "\n\n".join(tables)


def render_reconstruction(result: dict) -> str:
    """HyperRep's reconstruction study (``reconstruction``: ``{setting: {split: summary, ...}}``): the
    reconstruction R² of every split per recipe, PCA's linear reference among the rows."""
    settings = result["reconstruction"]
    splits = [s for s in ("train", "val", "test") if s in next(iter(settings.values()))]
    lines = ["| recipe | " + " | ".join(f"{s} R²" for s in splits) + " | best epoch |", "| --- " * (len(splits) + 2) + "|"]
    for name, scores in settings.items():
        epoch = f"{scores['best_epoch']['mean']:.0f}" if "best_epoch" in scores else "–"   # mean over seeds
        lines.append(f"| {name} | " + " | ".join(_cell(scores[s]) for s in splits) + f" | {epoch} |")
    return "\n".join(lines)


def render_fit(result: dict) -> str:
    """``examples/fit_capacity.py``: each variant's best MSE on the training INRs it was fitted to, in the file's
    order, with the targets' variance (what predicting their mean scores)."""
    seeds = {len(r["mse"]) for r in result["results"].values()}
    count = result["settings"]["count"]
    lines = [f"| variant | #params | MSE on its {count} training INRs ({_seeds(seeds)}) |", "| --- | --- | --- |"]
    for name, r in result["results"].items():
        lines.append(f"| {name} | {r['params']:,} | {r['mse_mean']:.4f} |")
    lines.append(f"| (the targets' variance) | – | {result['target_variance']:.4f} |")
    return "\n".join(lines)


RENDERERS: dict[str, Callable[[dict], str]] = {"mse": render_mse, "tau": render_tau, "probe": render_probe,
                                               "ablation": render_ablation, "reconstruction": render_reconstruction,
                                               "data_efficiency": render_data_efficiency, "table6": render_table6,
                                               "table7": render_table7, "transfer": render_transfer,
                                               "levers": render_levers, "versus": render_versus,
                                               "tuning": render_tuning, "pooled": render_pooled, "fit": render_fit}


def regenerate(text: str, root: str) -> tuple[str, list[str]]:
    """``text`` with every generated block rendered from its file, and the blocks whose text changed
    (``"kind path"``). An unknown renderer or a missing or unreadable file raises ``ValueError`` naming it."""
    changed = []

    def replace(match: re.Match) -> str:
        opening, kind, path, old, closing = match.groups()
        if kind not in RENDERERS:
            raise ValueError(f"README block '{kind} {path}': unknown table kind (have {sorted(RENDERERS)})")
        full = os.path.join(root, path)
        try:
            with open(full) as f:
                result = json.load(f)
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"README block '{kind} {path}': cannot read {full}: {error}") from None
        try:
            new = RENDERERS[kind](result) + "\n"
        except (KeyError, TypeError) as error:
            raise ValueError(f"README block '{kind} {path}': {path} lacks {error} for a {kind} table") from None
        if new != old:
            changed.append(f"{kind} {path}")
        return opening + new + closing

    return BLOCK.sub(replace, text), changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readme", default="README.md", help="Markdown file with generated blocks")
    parser.add_argument("--root", default=".", help="repository root (result paths are relative to it)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block disagrees")
    args = parser.parse_args(argv)
    with open(args.readme) as f:
        text = f.read()
    new, changed = regenerate(text, args.root)
    if args.check:
        for block in changed:
            print(f"{args.readme}: block '{block}' disagrees with its file; run python -m "
                  f"sne_pyg.experiments.readme_tables", file=sys.stderr)
        return 1 if changed else 0
    if changed:
        with open(f"{args.readme}.partial", "w") as f:
            f.write(new)
        os.replace(f"{args.readme}.partial", args.readme)
    print(f"{args.readme}: {len(changed)} block(s) regenerated" + (f": {', '.join(changed)}" if changed else ""))
    return 0


def _cell(summary: dict) -> str:
    """A seed summary (``mean``, ``std``, ``values``) at 3 decimals."""
    return _mean_std(summary["mean"], summary["std"], len(summary["values"]), digits=3)


def _mean_std(mean: float, std: float, seeds: int, digits: int) -> str:
    """``mean ± std`` over seeds, or the one value when there is one seed."""
    return f"{mean:.{digits}f}" + (f" ± {std:.{digits}f}" if seeds > 1 else "")


def _seeds(counts: set[int]) -> str:
    if len(counts) != 1:
        return "seeds: see the file"
    n = counts.pop()
    return f"{n} seed" if n == 1 else f"{n} seeds"


def _verdict(verdict: str) -> str:
    return {"tie": "a tie (the interval contains 0)", "better": "SNE better", "worse": "SNE worse",
            "undefined": "undefined (the score is undefined on some resamples)"}[verdict]


if __name__ == "__main__":
    sys.exit(main())
