import math
import statistics

import pytest

from sne_pyg import convert
from sne_pyg.experiments import tau_over_seeds
from tests import builders


def test_tau_over_seeds_summarises_seeds_and_keeps_undefined_taus_as_nan():
    nets = [convert(builders.mlp(seed=i), 16, y=[float(i % 5)]) for i in range(14)]
    out = tau_over_seeds("statnn", nets[:8], nets[8:10], {"many": nets[10:], "one": nets[13:]}, seeds=2,
                         hidden=8, epochs=1)
    many = out["many"]
    assert len(many["taus"]) == 2
    assert many["tau_mean"] == pytest.approx(statistics.fmean(many["taus"]))
    assert many["tau_std"] == pytest.approx(statistics.stdev(many["taus"]))
    assert all(math.isnan(t) for t in out["one"]["taus"]) and math.isnan(out["one"]["tau_mean"])
    assert out["params"] > 0


def test_a_one_architecture_model_reports_an_unseen_architecture_as_unsupported():
    nets = [convert(builders.mlp(seed=i), 16, y=[float(i % 5)]) for i in range(12)]
    other = [convert(builders.mlp(i, (3, 4, 2)), 16, y=[float(i % 5)]) for i in range(4)]   # another depth
    out = tau_over_seeds("nfn_hnp", nets[:8], nets[8:10], {"same": nets[8:], "unseen": other}, seeds=2,
                         hidden=8, epochs=1)
    assert len(out["same"]["taus"]) == 2
    assert "built for" in out["unseen"]["unsupported"]


def test_kept_predictions_reproduce_the_taus_and_feed_the_comparison():
    from sne_pyg.experiments.seeds import sne_versus_best
    from sne_pyg.train import kendall_tau
    import torch
    nets = [convert(builders.mlp(seed=i), 16, y=[float(builders.mlp(seed=i)[0].weight.detach().abs().mean())])
            for i in range(20)]
    rows = {name: tau_over_seeds(name, nets[:10], nets[10:13], {"test": nets[13:]}, seeds=2, hidden=8,
                                 epochs=2)["test"] for name in ("sne", "statnn", "deepsets")}
    for entry in rows.values():
        assert entry["targets"] == [float(d.y) for d in nets[13:]]
        for tau, pred in zip(entry["taus"], entry["predictions"]):
            assert tau == pytest.approx(kendall_tau(torch.tensor(pred), torch.tensor(entry["targets"])))
    versus = sne_versus_best(rows, resamples=200)
    others = {m: rows[m]["tau_mean"] for m in ("statnn", "deepsets")}
    assert versus["other"] == max(others, key=others.get)
    assert versus["difference"] == pytest.approx(rows["sne"]["tau_mean"] - others[versus["other"]])
    assert sne_versus_best({"statnn": rows["statnn"]}) is None


def test_result_files_keep_taus_without_predictions_and_only_comparisons_that_were_made():
    from sne_pyg.experiments.seeds import defined_comparisons, tau_scores
    entry = {"tau_mean": 0.5, "tau_std": 0.1, "taus": [0.4, 0.6], "predictions": [[1.0]], "targets": [2.0],
             "params": 7}
    assert tau_scores(entry) == {"tau_mean": 0.5, "tau_std": 0.1, "taus": [0.4, 0.6]}
    unsupported = {"unsupported": "built for one architecture"}
    assert tau_scores(unsupported) == unsupported
    made = {"other": "statnn", "difference": 0.1}
    assert defined_comparisons({"a": made, "b": None}) == {"a": made}


def test_mean_and_std_is_the_sample_statistic():
    from sne_pyg.experiments.seeds import mean_and_std
    assert mean_and_std([1.0, 2.0, 4.0]) == pytest.approx((7 / 3, ((16 / 9 + 1 / 9 + 25 / 9) / 2) ** 0.5))
    assert mean_and_std([0.5]) == (0.5, 0.0)


def test_a_seed_stopped_mid_training_resumes_from_its_epoch_checkpoint(tmp_path, monkeypatch):
    import os

    import sne_pyg.experiments.seeds as seeds
    nets = [convert(builders.mlp(seed=i), 16, y=[float(i % 5)]) for i in range(14)]

    def table(folder):
        return tau_over_seeds("statnn", nets[:8], nets[8:10], {"test": nets[10:]}, seeds=1, hidden=8, epochs=4,
                              cache=(str(folder), "statnn", {"hidden": 8}))
    whole = table(tmp_path / "whole")
    fit = seeds.fit

    monkeypatch.setattr(seeds, "fit", lambda *a: fit(*a, on_epoch=builders.stop_at(2)))
    with pytest.raises(KeyboardInterrupt):
        table(tmp_path / "run")
    checkpoint = tmp_path / "run" / "cache" / "statnn-seed0.checkpoint.pt"
    assert checkpoint.exists()
    monkeypatch.setattr(seeds, "fit", fit)
    assert table(tmp_path / "run") == whole and not os.path.exists(checkpoint)


def test_runners_sharing_a_folder_split_the_seeds(tmp_path):
    """While another runner holds seed 0 (here a thread whose result never arrives), tau_over_seeds trains seed 1
    first, then waits for seed 0 and, the other runner having given up, trains it itself; the table equals one
    made alone."""
    import os
    import threading
    import time

    from sne_pyg.experiments import cached
    nets = [convert(builders.mlp(seed=i), 16, y=[float(i % 5)]) for i in range(14)]
    settings = {"hidden": 8}

    def table(folder, order):
        return tau_over_seeds("statnn", nets[:8], nets[8:10], {"test": nets[10:]}, seeds=2, hidden=8, epochs=3,
                              on_trained=lambda seed, model: order.append(seed),
                              cache=(str(folder), "statnn", settings))
    alone = table(tmp_path / "alone", [])
    holding = threading.Event()

    def other_runner():                    # holds seed 0 until seed 1 is written (or 30 s), then fails
        holding.set()
        seed1 = tmp_path / "shared" / "cache" / "statnn-seed1.json"
        deadline = time.time() + 30
        while not os.path.exists(seed1) and time.time() < deadline:
            time.sleep(0.05)
        raise RuntimeError("the other runner stopped")
    other = threading.Thread(target=lambda: pytest.raises(RuntimeError, cached, str(tmp_path / "shared"),
                                                          "statnn-seed0", other_runner, settings))
    other.start()
    assert holding.wait(10)
    order = []
    shared = table(tmp_path / "shared", order)
    other.join(10)
    assert order == [1, 0]
    assert shared == alone


def test_a_cached_run_of_another_zoo_is_refused_naming_its_file(tmp_path):
    """A zoo regenerated elsewhere can differ in a few networks; a run cached on the old one is refused, not
    averaged with runs of the new one."""
    nets = [convert(builders.mlp(seed=i), 16, y=[float(i % 5)]) for i in range(14)]

    def table(test):
        return tau_over_seeds("statnn", nets[:8], nets[8:10], {"test": test}, seeds=1, hidden=8, epochs=2,
                              cache=(str(tmp_path), "statnn", {"hidden": 8}))
    first = table(nets[10:])
    assert table(nets[10:]) == first                     # the same zoo: read back
    changed = [convert(builders.mlp(seed=i), 16, y=[float(i % 5) + (i == 12)]) for i in range(10, 14)]
    with pytest.raises(ValueError, match=r"statnn-seed0.json: made on another zoo: its 'test' targets differ "
                                         r"from this zoo's in 1 of 4 networks"):
        table(changed)
