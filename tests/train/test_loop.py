import math
import pytest
import torch
from torch import nn
from torch_geometric.loader import DataLoader

from sne_pyg import convert
from sne_pyg.train import (TargetScaler, TrainConfig, evaluate, fit, kendall_tau, mse, predict,
                           recalibrate_batchnorm)


def test_target_scaler_round_trip():
    y = torch.tensor([[1.0], [3.0], [8.0]])
    scaler = TargetScaler(y)
    z = scaler.encode(y)
    assert torch.allclose(z.mean(0), torch.zeros(1), atol=1e-6)
    assert torch.allclose(z.std(0), torch.ones(1), atol=1e-6)
    assert torch.allclose(scaler.decode(z), y)


def test_metrics_known_answers():
    assert mse(torch.tensor([1.0, 2.0]), torch.tensor([2.0, 4.0])) == 2.5
    # 4 items, exactly one discordant pair of 6: tau = (5 - 1) / 6
    assert abs(kendall_tau(torch.tensor([1.0, 2.0, 4.0, 3.0]), torch.tensor([1.0, 2.0, 3.0, 4.0])) - 4 / 6) < 1e-12


class _Pooled(nn.Module):
    """A tiny model over converted networks: BatchNorm + linear on per-network mean |w|."""

    def __init__(self):
        super().__init__()
        self.norm = nn.BatchNorm1d(1)
        self.lin = nn.Linear(1, 1)

    def features(self, batch):
        per_net = torch.zeros(batch.num_graphs).index_add_(0, batch.batch, batch.chunks.abs().sum(1))
        return (per_net / batch.net_num_chunks).unsqueeze(1)

    def forward(self, batch):
        return self.lin(self.norm(self.features(batch)))


def _zoo(n=24):
    nets = []
    for i in range(n):
        scale = 0.5 + i / n
        net = nn.Linear(4, 4)
        with torch.no_grad():
            net.weight.mul_(scale)
        nets.append(convert(net, chunk_size=8, y=[float(net.weight.detach().abs().mean())]))
    return nets


def test_recalibrated_batchnorm_holds_exact_dataset_statistics():
    zoo = _zoo()
    model = _Pooled()
    recalibrate_batchnorm(model, zoo, batch_size=5)
    feats = torch.cat([model.features(b) for b in DataLoader(zoo, batch_size=64)])
    assert torch.allclose(model.norm.running_mean, feats.mean(0), atol=1e-6)
    assert model.norm.momentum == 0.1      # restored


def test_recalibration_counts_a_network_left_over_by_the_batch_size():
    zoo = _zoo(6)                                     # batches of 5 leave one network: it joins the first batch
    model = _Pooled()
    recalibrate_batchnorm(model, zoo, batch_size=5)
    feats = torch.cat([model.features(b) for b in DataLoader(zoo, batch_size=64)])
    assert torch.allclose(model.norm.running_mean, feats.mean(0), atol=1e-6)
    assert torch.allclose(model.norm.running_var, feats.var(0), atol=1e-6)    # one batch of 6: unbiased variance


def test_fit_trains_on_a_set_that_leaves_one_network_over():
    zoo = _zoo(9)
    model = _Pooled()
    result = fit(model, zoo[:7], zoo[7:], TrainConfig(epochs=3, lr=0.05, batch_size=3, progress=False))
    assert len(result.history) == 3 and all(math.isfinite(row["train_loss"]) for row in result.history)
    feats = torch.cat([model.features(b) for b in DataLoader(zoo[:7], batch_size=64)])
    assert torch.allclose(model.norm.running_mean, feats.mean(0), atol=1e-6)   # recalibrated over all 7


def test_fit_refuses_batchnorm_statistics_of_one_network():
    zoo = _zoo(4)
    with pytest.raises(ValueError, match="at least 2 training networks"):
        fit(_Pooled(), zoo[:1], zoo[1:], TrainConfig(epochs=1, progress=False))
    with pytest.raises(ValueError, match="batch_size >= 2"):
        fit(_Pooled(), zoo[:3], zoo[3:], TrainConfig(epochs=1, batch_size=1, progress=False))


def test_fit_learns_and_restores_the_best_state():
    zoo = _zoo()
    train, val = zoo[::2], zoo[1::2]
    scaler = TargetScaler(torch.cat([d.y for d in train]))
    model = _Pooled()
    before = mse(*predict(model, val, scaler))
    result = fit(model, train, val, TrainConfig(epochs=40, lr=0.05, batch_size=4, progress=False), scaler)
    after = mse(*predict(model, val, scaler))
    assert after < 0.05 * before
    assert abs(after - result.best_val) < 1e-9
    assert result.history[result.best_epoch]["val_mse"] == result.best_val


class _Classifier(_Pooled):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(1, 2)


def test_classification_task_learns_labels():
    zoo = _zoo(32)
    for i, d in enumerate(zoo):          # label: is the weight scale above the median?
        d.y = torch.tensor([[float(i >= 16)]])
    train, val = zoo[::2], zoo[1::2]
    model = _Classifier()
    result = fit(model, train, val, TrainConfig(task="classification", epochs=60, lr=0.05, batch_size=4,
                                                progress=False))
    metrics = evaluate(model, val, "classification")
    assert metrics["accuracy"] >= 0.9
    assert abs(metrics["loss"] - result.best_val) < 1e-9


def test_evaluate_reports_kendall_tau_of_predictions():
    zoo = _zoo()
    model = _Pooled().eval()
    out, y = predict(model, zoo)
    metrics = evaluate(model, zoo)
    assert abs(metrics["tau"] - kendall_tau(out[:, 0], y[:, 0])) < 1e-12
    assert abs(metrics["mse"] - mse(out, y)) < 1e-12


def test_unknown_task():
    with pytest.raises(ValueError, match="task"):
        fit(_Pooled(), _zoo(4), _zoo(4), TrainConfig(task="ranking", progress=False))


class _Spy(_Pooled):
    """_Pooled that keeps every training batch it sees (as single networks)."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, batch):
        if self.training and torch.is_grad_enabled():
            self.seen += [batch.get_example(i) for i in range(batch.num_graphs)]
        return super().forward(batch)


def _mlp_zoo(n=8):
    from tests import builders
    return [convert(builders.mlp(seed=i), chunk_size=8, y=[float(i)]) for i in range(n)]


def test_permutation_augmentation_trains_on_the_same_functions_with_other_weights():
    from tests import builders
    zoo = _mlp_zoo()
    config = TrainConfig(epochs=2, batch_size=4, seed=3, progress=False, patience=5, augment=True)
    spy = _Spy()
    fit(spy, zoo, zoo, config, TargetScaler(torch.cat([d.y for d in zoo])))
    assert len(spy.seen) == 2 * len(zoo)
    originals = {float(d.y): d for d in zoo}
    changed = 0
    x = torch.randn(5, 3)
    for view in spy.seen:
        source = originals[float(view.y)]
        changed += not torch.equal(view.chunks, source.chunks)
        rebuilt, reference = builders.mlp(seed=99), builders.mlp(seed=int(view.y))
        rebuilt.load_state_dict(view.to_state_dict())
        with torch.no_grad():                  # a derived permutation: the same function
            assert torch.allclose(rebuilt(x), reference(x), atol=1e-5)
    assert changed == len(spy.seen)            # 7 and 5 hidden neurons: a repeat of the identity is ~1e-6 likely
    # seeded: the same configuration sees the same permutations; without augmentation the weights as stored
    again = _Spy()
    fit(again, zoo, zoo, config, TargetScaler(torch.cat([d.y for d in zoo])))
    assert all(torch.equal(a.chunks, b.chunks) for a, b in zip(spy.seen, again.seen))
    plain = _Spy()
    fit(plain, zoo, zoo, TrainConfig(epochs=1, batch_size=4, seed=3, progress=False),
        TargetScaler(torch.cat([d.y for d in zoo])))
    assert all(torch.equal(v.chunks, originals[float(v.y)].chunks) for v in plain.seen)
