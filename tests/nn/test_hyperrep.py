"""HyperRep: neuron tokens read from converted data, the autoencoder, and self-supervised training."""
import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch

from sne_pyg import SNE, HyperRep, convert
from sne_pyg.nn.hyperrep import neuron_tokens
from sne_pyg.ssl.train import SSLConfig, SSLObjective, fit_ssl
from tests import builders


def zoo(n=12, widths=(3, 6, 5, 2)):
    return [convert(builders.mlp(seed=i, widths=widths), 8, y=[float(i)]) for i in range(n)]


def test_tokens_are_the_neurons_incoming_weights_and_bias():
    models = [builders.cnn_bn(seed=i) for i in range(3)]
    batch = Batch.from_data_list([convert(m, 16) for m in models])
    tokens = neuron_tokens(batch)
    conv = models[2][3]                                            # the second conv: 6 channels of 4 x 3 x 3
    assert tokens[2].shape == (3, 6, 4 * 9 + 1)
    expected = torch.cat([conv.weight.detach().flatten(1), conv.bias.detach()[:, None]], dim=1)
    assert torch.equal(tokens[2][2], expected)
    bn = models[1][1]
    assert torch.equal(tokens[1][1], torch.stack([bn.weight, bn.bias, bn.running_mean, bn.running_var], 1).detach())


def test_a_batch_of_two_architectures_is_refused():
    batch = Batch.from_data_list([convert(builders.mlp(), 8), convert(builders.mlp(widths=(3, 4, 2)), 8)])
    with pytest.raises(ValueError, match="one architecture"):
        HyperRep(hidden=4, d_model=8)(batch)
    model = HyperRep(hidden=4, d_model=8, out_dim=None)
    model(Batch.from_data_list(zoo(2)))
    with pytest.raises(ValueError, match="built for the token layout"):
        model(Batch.from_data_list([convert(builders.mlp(widths=(3, 4, 2)), 8)] * 2))


@pytest.mark.parametrize("compression", ["token", "flatten"])
def test_shapes_and_bounded_latent(compression):
    batch = Batch.from_data_list(zoo(4))
    model = HyperRep(hidden=6, out_dim=None, d_model=16, blocks=1, compression=compression).eval()
    z = model.encode(batch)
    assert z.shape == (4, 6) and bool((z.abs() < 1).all())          # tanh
    assert model.decode(z).shape == model.targets(batch).shape == (4, 3 * 6 + 6 + 6 * 5 + 5 + 5 * 2 + 2)
    assert model.project(z).shape == (4, 32)


def test_the_objective_reconstructs_the_chosen_target():
    nets = zoo(4)
    batch = Batch.from_data_list(nets)
    view = Batch.from_data_list([convert(builders.mlp(seed=10 + i, widths=(3, 6, 5, 2)), 8) for i in range(4)])
    model = HyperRep(hidden=6, out_dim=None, d_model=16, blocks=1).eval()
    model.encode(batch)
    for target, expected in (("clean", batch), ("view", view)):
        objective = SSLObjective(model, SSLConfig(beta=0.0, target=target)).eval()
        with torch.no_grad():
            got = objective(view, view, batch)["reconstruction"]
            want = F.mse_loss(model.decode(model.encode(view)), model.targets(expected))
        assert torch.allclose(got, want)


@pytest.mark.parametrize("beta", [0.0, 1.0, 0.5])
def test_self_supervised_training_fits_its_objective(beta):
    """Without augmentations 12 networks are learnable by heart: the training loss must fall far, and the
    kept state is the one with the best validation loss."""
    nets = zoo(16)
    model = HyperRep(hidden=8, out_dim=None, d_model=16, blocks=1, ff=32, dropout=0.0)
    config = SSLConfig(epochs=40, batch_size=6, lr=3e-3, beta=beta, patience=40, progress=False,
                       permute=False, erase=0.0)
    objective, result = fit_ssl(model, nets[:12], nets[12:], config)
    losses = [h["train_loss"] for h in result.history]
    assert min(losses[-5:]) < 0.5 * losses[0], losses
    assert result.best_val == min(h["val_loss"] for h in result.history)
    assert set(result.history[0]) >= {"val_loss"} | ({"val_reconstruction"} if beta < 1 else set()) | \
        ({"val_contrastive"} if beta > 0 else set())


def test_sne_trains_self_supervised_with_its_own_projection_head():
    nets = zoo(12)
    config = SSLConfig(epochs=3, batch_size=6, lr=1e-3, beta=1.0, progress=False, erase=0.0)
    objective, result = fit_ssl(SNE(hidden=8, out_dim=None, heads=2), nets[:8], nets[8:], config)
    assert objective.projector is not None and len(result.history) == 3
    with pytest.raises(ValueError, match="decoder"):
        fit_ssl(SNE(hidden=8, out_dim=None, heads=2), nets[:8], nets[8:], SSLConfig(epochs=1, beta=0.0, progress=False))
