import torch
from torch_geometric.loader import DataLoader

from sne_pyg import SNE, convert
from tests.builders import load_script


def test_mixed_zoo_embeddings_match_single_network_encodings(capsys):
    example = load_script("examples/encode_mixed_zoo.py")
    embedding = example.main(["--chunk-size", "32", "--hidden", "16", "--seed", "3"])
    assert embedding.shape == (4, 16)
    printed = capsys.readouterr().out
    for name in ("mlp-small", "mlp-wide", "cnn-bn", "transformer"):
        assert name in printed
    # the same seed gives the same SNE; each network alone must encode as inside the batch
    zoo = [convert(m, chunk_size=32) for m in example.mixed_models().values()]
    torch.manual_seed(3)
    model = SNE(hidden=16, out_dim=1).eval()
    with torch.no_grad():
        alone = torch.cat([model.encode(d) for d in zoo])
    assert torch.allclose(alone, embedding, atol=1e-5)
    assert next(iter(DataLoader(zoo, batch_size=4))).chunks.shape[1:] == (32,)
