"""Linear probes: the chosen ridge is the closed-form one with the best validation R^2."""
import numpy as np
import pytest
import torch

from sne_pyg.probe import ALPHAS, linear_probe


def _split(rng, n, w, noise):
    z = rng.normal(size=(n, w.size))
    return z, z @ w + 0.5 + noise * rng.normal(size=n)


def _closed_form(z, y, alpha):
    """Ridge with an unpenalised intercept, solved on centred data."""
    mz, my = z.mean(0), y.mean()
    w = np.linalg.solve((z - mz).T @ (z - mz) + alpha * np.eye(z.shape[1]), (z - mz).T @ (y - my))
    return lambda q: (q - mz) @ w + my


def _r2(y, p):
    return 1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum()


def test_ridge_probe_is_the_closed_form_ridge_chosen_on_validation():
    rng = np.random.default_rng(0)
    w = rng.normal(size=6)
    train, val, test = _split(rng, 40, w, 2.0), _split(rng, 30, w, 2.0), _split(rng, 50, w, 2.0)
    out = linear_probe(train, val, test)
    val_r2 = {a: _r2(val[1], _closed_form(*train, a)(val[0])) for a in ALPHAS}
    best = max(val_r2, key=val_r2.get)
    assert out["alpha"] == best and out["val_r2"] == pytest.approx(val_r2[best], abs=1e-9)
    assert out["r2"] == pytest.approx(_r2(test[1], _closed_form(*train, best)(test[0])), abs=1e-9)
    assert 0 < out["kendall_tau"] <= 1
    assert len(ALPHAS) == 17 and ALPHAS[0] == 1e3 and ALPHAS[-1] == pytest.approx(1e-5)


def test_probe_scores_information_not_noise():
    rng = np.random.default_rng(1)
    w = rng.normal(size=4)
    informative = linear_probe(*(_split(rng, 60, w, 0.01) for _ in range(3)))
    assert informative["r2"] > 0.99 and informative["kendall_tau"] > 0.95
    noise = [(rng.normal(size=(60, 4)), rng.normal(size=60)) for _ in range(3)]
    assert linear_probe(*noise)["r2"] < 0.1
    torch_inputs = [(torch.as_tensor(z), torch.as_tensor(y)) for z, y in noise]     # tensors are accepted too
    assert linear_probe(*torch_inputs) == linear_probe(*noise)


def test_classification_probe():
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(3, 5)) * 4

    def split(n):
        y = rng.integers(0, 3, size=n)
        return centres[y] + rng.normal(size=(n, 5)), y
    out = linear_probe(split(60), split(30), split(60), task="classification")
    assert out["accuracy"] > 0.95 and out["alpha"] in ALPHAS
    chance = linear_probe(*[(rng.normal(size=(90, 5)), rng.integers(0, 3, size=90)) for _ in range(3)],
                          task="classification")
    assert chance["accuracy"] < 0.55
    with pytest.raises(ValueError, match="integer class labels"):
        linear_probe(split(10), split(10), (rng.normal(size=(4, 5)), np.full(4, 0.5)), task="classification")


def test_bad_inputs_name_the_split():
    z, y = np.zeros((5, 2)), np.zeros(5)
    with pytest.raises(ValueError, match="val: 5 embeddings but 4 targets"):
        linear_probe((z, y), (z, y[:4]), (z, y))
    with pytest.raises(ValueError, match="task must be"):
        linear_probe((z, y), (z, y), (z, y), task="ranking")


def _wide_classes(seed: int, classes: int, dims: int, sizes: tuple[int, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Splits of Gaussian classes around random centres, more dimensions than training points."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dims))
    out = []
    for n in sizes:
        y = rng.integers(0, classes, size=n)
        out.append((centres[y] + 2.0 * rng.normal(size=(n, dims)), y))
    return out


def test_wide_classification_fits_in_the_row_space_with_the_same_optimum():
    """More dimensions than networks (raw weights): the reduced fit is the full-space fit, alpha by alpha."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from sne_pyg.probe import row_space
    train, val, test = _wide_classes(seed=5, classes=3, dims=300, sizes=(24, 40, 40))
    scaler = StandardScaler().fit(train[0])
    z = {name: scaler.transform(part[0]) for name, part in (("train", train), ("val", val), ("test", test))}
    basis = row_space(z["train"])
    assert basis.shape == (300, 23) and np.allclose(basis.T @ basis, np.eye(23))        # centred: rank n - 1
    for alpha in (10.0, 0.1):
        full = LogisticRegression(C=1 / alpha, tol=1e-12, max_iter=20_000).fit(z["train"], train[1])
        reduced = LogisticRegression(C=1 / alpha, tol=1e-12, max_iter=20_000).fit(z["train"] @ basis, train[1])
        np.testing.assert_allclose(reduced.decision_function(z["test"] @ basis), full.decision_function(z["test"]),
                                   rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(full.coef_ @ basis @ basis.T, full.coef_, atol=1e-6)   # w lies in the row span
    out = linear_probe(train, val, test, task="classification", alphas=(10.0, 0.1))
    chosen = LogisticRegression(C=1 / out["alpha"], max_iter=20_000, tol=1e-12).fit(z["train"], train[1])
    assert out["accuracy"] == float((chosen.predict(z["test"]) == test[1]).mean())
    assert row_space(z["train"].T) is None                                  # tall: nothing to reduce


def test_probe_without_reduction_fits_in_all_dimensions_to_the_same_answer(monkeypatch):
    import sne_pyg.probe as probe
    train, val, test = _wide_classes(seed=6, classes=2, dims=200, sizes=(20, 30, 30))
    reduced = linear_probe(train, val, test, task="classification", alphas=(10.0, 0.1))

    def refuse(*a, **k):
        raise AssertionError("reduce=False must not build a row-space basis")
    monkeypatch.setattr(probe, "row_space", refuse)
    full = linear_probe(train, val, test, task="classification", alphas=(10.0, 0.1), reduce=False)
    assert (full["accuracy"], full["alpha"]) == (reduced["accuracy"], reduced["alpha"])
    with pytest.raises(AssertionError, match="row-space"):
        linear_probe(train, val, test, task="classification", alphas=(10.0, 0.1))
