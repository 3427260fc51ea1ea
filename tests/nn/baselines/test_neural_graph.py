import torch
from torch_geometric.loader import DataLoader

from sne_pyg import SNE, convert
from sne_pyg.symmetry import derive_dataflow
from sne_pyg.data.neural_graph import NeuralGraphView
from sne_pyg.nn.baselines import DeepSets, NeuralGraph
from tests import builders

WIDTHS = (3, 6, 5, 2)


def _batch(zoo):
    return next(iter(DataLoader(zoo, batch_size=len(zoo))))


def test_invariant_to_hidden_permutations_and_not_to_wrong_ones():
    model = builders.mlp(widths=WIDTHS)
    zoo = [convert(m, chunk_size=8) for m in (model, builders.permute_mlp_hidden(model),
                                              builders.permute_mlp_hidden(model, wrong=True))]
    net = NeuralGraph(hidden=16).double().eval()
    out = net(_batch(zoo))
    assert torch.allclose(out[0], out[1], atol=1e-5)
    assert not torch.allclose(out[0], out[2], atol=1e-4)


def test_precomputed_view_equals_on_the_fly_and_batch_equals_alone():
    zoo = [convert(m, chunk_size=8) for m in (builders.mlp(), builders.cnn_bn(), builders.mlp(2, WIDTHS))]
    net = NeuralGraph(hidden=16).double().eval()
    on_the_fly = net(_batch(zoo))
    precomputed = net(_batch([NeuralGraphView()(d.clone()) for d in zoo]))
    alone = torch.cat([net(d) for d in zoo])
    assert torch.allclose(on_the_fly, precomputed, atol=1e-10)
    assert torch.allclose(on_the_fly, alone, atol=1e-6)


def test_heterogeneous_batch_through_three_models():
    zoo = [NeuralGraphView()(convert(m, chunk_size=8)) for m in (builders.mlp(), builders.cnn_bn())]
    batch = _batch(zoo)
    for model in (NeuralGraph(hidden=16), DeepSets(hidden=16), SNE(hidden=16, heads=2)):
        model.train()
        out = model(batch)
        assert out.shape == (2, 1)
        out.sum().backward()
        assert all(p.grad is not None for p in model.parameters()), type(model).__name__


def test_invariant_to_derived_permutations_of_a_residual_network():
    import copy

    from sne_pyg.symmetry import derive_permutation_spec
    from sne_pyg.symmetry.spec import CONSUMER, PermutationSpec
    from tests.symmetry.test_derive import ResidualMLP
    torch.manual_seed(0)
    model = ResidualMLP()
    spec = derive_permutation_spec(model)
    permuted = copy.deepcopy(model)
    permuted.load_state_dict(spec.apply(model.state_dict(), spec.sample(torch.Generator().manual_seed(1))))
    broken = copy.deepcopy(spec.groups[0])
    broken.refs = [r for r in broken.refs if r.role != CONSUMER]
    wrong = copy.deepcopy(model)
    perm = torch.randperm(broken.size, generator=torch.Generator().manual_seed(1))
    wrong.load_state_dict(PermutationSpec([broken]).apply(model.state_dict(), [perm]))
    zoo = [convert(m, chunk_size=8, dataflow=derive_dataflow(m)) for m in (model, permuted, wrong)]
    net = NeuralGraph(hidden=16).double().eval()
    out = net(_batch(zoo))
    assert torch.allclose(out[0], out[1], atol=1e-5)
    assert not torch.allclose(out[0], out[2], atol=1e-4)
