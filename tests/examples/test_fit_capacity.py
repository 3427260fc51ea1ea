import json

import pytest

from sne_pyg.experiments.regression import fit_seeded
from sne_pyg.nn import build_model
from sne_pyg.train import TargetScaler, targets_of
from sne_pyg.zoos import SineINRZoo
from tests.builders import load_script


def test_each_variant_is_scored_on_the_networks_it_was_fitted_to_and_a_rerun_reads_the_cache(tmp_path, quick_zoos,
                                                                                               monkeypatch):
    out, root = tmp_path / "out", quick_zoos
    example = load_script("examples/fit_capacity.py")
    words = ["--quick", "--variants", "sne;sne:element_positions=chunk;statnn", "--out", str(out), "--root", root,
             "--no-progress"]
    summary = example.main(words)
    results = summary["results"]
    assert list(results) == ["sne", "sne:element_positions=chunk", "statnn"]
    assert results["sne:element_positions=chunk"]["options"] == {"element_positions": "chunk"}
    positions = build_model("sne", hidden=16, element_positions="chunk").element_position
    assert results["sne:element_positions=chunk"]["params"] - results["sne"]["params"] == sum(
        p.numel() for p in positions.parameters())
    # recomputed independently: StatNN fitted to the first 8 training INRs and scored on the same 8
    train = SineINRZoo.splits(root, ("train",), size=60, chunk_size=64, steps=200, recipe="peers",
                              progress=False)["train"][:8]
    _, fitted = fit_seeded("statnn", train, train, TargetScaler(targets_of(train)), 0, hidden=16, epochs=3,
                           lr=1e-3, weight_decay=0.0, batch_size=16)
    assert results["statnn"]["mse"] == [fitted.best_val]
    variance = float(targets_of(train)[:, 0].var(unbiased=False))
    assert summary["target_variance"] == pytest.approx(variance, rel=1e-6)
    assert json.loads((out / "results.json").read_text())["results"] == results
    # a rerun trains nothing: every result comes from OUT/cache
    monkeypatch.setattr(example, "fit_seeded", lambda *a, **k: pytest.fail("retrained a cached variant"))
    assert example.main(words)["results"] == results


@pytest.mark.parametrize("bad,named", [("sne:heads=1;snee", "snee"), ("sne:no_such_option=1", "no_such_option")])
def test_a_bad_variant_is_named(bad, named, capsys):
    example = load_script("examples/fit_capacity.py")
    with pytest.raises(SystemExit):
        example.parse_args(["--variants", bad])
    assert named in capsys.readouterr().err
