import json

import pytest

from sne_pyg.experiments import cached


def test_cached_results_are_made_once_and_checked_against_their_settings(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"mse": 0.5}
    out = str(tmp_path)
    assert cached(out, "sne-seed0", compute, {"epochs": 3}) == {"mse": 0.5}
    assert cached(out, "sne-seed0", compute, {"epochs": 3}) == {"mse": 0.5} and len(calls) == 1
    stored = json.loads((tmp_path / "cache" / "sne-seed0.json").read_text())
    assert stored == {"settings": {"epochs": 3}, "value": {"mse": 0.5}}
    with pytest.raises(ValueError, match="sne-seed0.json holds a result of other settings"):
        cached(out, "sne-seed0", compute, {"epochs": 4})
    assert len(calls) == 1 and not list((tmp_path / "cache").glob("*.partial"))
    assert cached(out, "plain", lambda: [1, 2]) == [1, 2] == cached(out, "plain", compute)   # without settings


def test_cached_tensors_round_trip_with_their_settings_and_are_never_overwritten(tmp_path):
    import torch
    from sne_pyg.experiments.cache import load_cached_tensor, save_cached_tensor
    out, value = str(tmp_path), torch.randn(5, 3, dtype=torch.float64)
    assert load_cached_tensor(out, "sne-seed0-embedding", {"epochs": 3}) is None
    assert save_cached_tensor(out, "sne-seed0-embedding", value, {"epochs": 3}) is value
    assert torch.equal(load_cached_tensor(out, "sne-seed0-embedding", {"epochs": 3}), value)
    with pytest.raises(ValueError, match="sne-seed0-embedding.safetensors holds a tensor of other settings"):
        load_cached_tensor(out, "sne-seed0-embedding", {"epochs": 4})
    with pytest.raises(FileExistsError, match="sne-seed0-embedding.safetensors exists"):
        save_cached_tensor(out, "sne-seed0-embedding", value * 2, {"epochs": 3})
    assert torch.equal(load_cached_tensor(out, "sne-seed0-embedding", {"epochs": 3}), value)
    assert not list((tmp_path / "cache").glob("*.partial"))


def test_a_second_runner_waits_for_the_result_the_first_is_computing_and_reads_it(tmp_path, capfd):
    """Two runners sharing an output folder (one process per model, say): the one that asks for a result being
    computed elsewhere waits and reads it instead of training it again; the cache folder holds only results."""
    import threading
    started, release, second = threading.Event(), threading.Event(), []

    def first_compute():
        started.set()
        release.wait(10)
        return {"mse": 0.25}

    def second_compute():
        raise AssertionError("the result was computed twice")
    out = str(tmp_path)
    first = threading.Thread(target=lambda: cached(out, "sne-seed0", first_compute, {"epochs": 3}))
    first.start()
    assert started.wait(10)
    waiting = threading.Thread(target=lambda: second.append(cached(out, "sne-seed0", second_compute, {"epochs": 3})))
    waiting.start()
    waiting.join(0.5)
    assert waiting.is_alive() and not second             # blocked while the first computes
    release.set()
    first.join(10), waiting.join(10)
    assert second == [{"mse": 0.25}]
    assert "sne-seed0.json: another process is computing this result; waiting for it" in capfd.readouterr().err
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["sne-seed0.json"]


def test_runners_given_one_list_of_jobs_split_it_instead_of_queueing(tmp_path, capfd):
    """cached_all: a job another runner is making is put off; this runner makes the free jobs first, then waits for
    the put-off one and reads it, so two runners on the same list never compute a result twice nor idle needlessly."""
    import threading
    from sne_pyg.experiments import cached_all
    started, release, order = threading.Event(), threading.Event(), []

    def slow_seed0():
        started.set()
        release.wait(10)
        order.append("seed0 by the first runner")
        return {"mse": 0.25}

    def never():
        raise AssertionError("the result was computed twice")

    def seed1():
        order.append("seed1 by the second runner")
        release.set()                  # the first runner finishes only after the second made the free job
        return {"mse": 0.5}
    out = str(tmp_path)
    first = threading.Thread(target=lambda: cached(out, "sne-seed0", slow_seed0, {"epochs": 3}))
    first.start()
    assert started.wait(10)
    results = cached_all(out, [("sne-seed0", never, {"epochs": 3}), ("sne-seed1", seed1, {"epochs": 3})])
    first.join(10)
    assert results == [{"mse": 0.25}, {"mse": 0.5}]
    assert order == ["seed1 by the second runner", "seed0 by the first runner"]
    assert "sne-seed0.json: another process is computing this result; making the others first" in capfd.readouterr().err
    assert cached_all(out, [("sne-seed1", never, {"epochs": 3})]) == [{"mse": 0.5}]        # stored: read, not made
    with pytest.raises(ValueError, match="sne-seed1.json holds a result of other settings"):
        cached_all(out, [("sne-seed1", never, {"epochs": 4})])


def test_a_job_put_off_on_several_passes_is_announced_once(tmp_path, capfd):
    """cached_all says once per job that another process is making it, however many passes put it off: seed 1 is
    held elsewhere on the first pass (while seed 2 is made) and again on the third (after waiting for seed 0)."""
    import threading
    from sne_pyg.experiments import cached_all
    out, holding = str(tmp_path), [threading.Event(), threading.Event()]
    release_seed0 = threading.Event()

    def held_elsewhere(seed, release):
        def compute():
            holding[seed].set()
            release.wait(10)
            if seed == 0:       # seed 1 stays held a second longer: past the pass after seed 0 is read
                threading.Timer(1.0, release_seed1.set).start()
            return {"mse": float(seed)}
        return compute
    release_seed1 = threading.Event()
    others = [threading.Thread(target=lambda s=s, r=r: cached(out, f"sne-seed{s}", held_elsewhere(s, r), {}))
              for s, r in ((0, release_seed0), (1, release_seed1))]
    for thread in others:
        thread.start()
    assert all(event.wait(10) for event in holding)

    def seed2():
        release_seed0.set()
        return {"mse": 2.0}
    never = lambda: pytest.fail("a result held elsewhere was computed here")  # noqa: E731
    results = cached_all(out, [("sne-seed0", never, {}), ("sne-seed1", never, {}), ("sne-seed2", seed2, {})])
    for thread in others:
        thread.join(10)
    assert results == [{"mse": 0.0}, {"mse": 1.0}, {"mse": 2.0}]
    err = capfd.readouterr().err
    assert err.count("sne-seed1.json: another process is computing this result; making the others first") == 1
    assert err.count("sne-seed1.json: another process is computing this result; waiting for it") == 1
