import torch
from torch.utils.data import DistributedSampler

from sne_pyg.train import distributed as du


def test_union_of_local_batches_is_the_global_batch():
    n, global_batch, world = 24, 8, 2
    single = list(DistributedSampler(range(n), num_replicas=1, rank=0, shuffle=True, seed=5))
    local = [list(DistributedSampler(range(n), num_replicas=world, rank=r, shuffle=True, seed=5)) for r in range(world)]
    per_rank = global_batch // world
    for k in range(n // global_batch):
        union = sorted(i for r in range(world) for i in local[r][k * per_rank:(k + 1) * per_rank])
        assert union == sorted(single[k * global_batch:(k + 1) * global_batch])


def test_one_process_helpers_are_identities():
    assert du.world_size() == 1 and du.rank() == 0 and du.is_main_process() and not du.is_distributed()
    assert du.all_reduce_sum([1.5, 2.0]) == [1.5, 2.0]
    assert du.local_batch_size(7) == 7
    model = torch.nn.Linear(2, 2)
    assert du.wrap(model) is model and du.unwrap(model) is model
    index = torch.tensor([2, 0, 1])
    rows, = du.gather_by_index(index, torch.tensor([[20.], [0.], [10.]]))
    assert rows.view(-1).tolist() == [0., 10., 20.]


def test_first_occurrence_drops_padding_duplicates():
    index = torch.tensor([3, 0, 2, 1, 3, 0])   # DistributedSampler pads by repeating the start
    unique, first = du._first_occurrence(index)
    assert unique.tolist() == [0, 1, 2, 3]
    assert index[first].tolist() == [0, 1, 2, 3] and first.tolist() == [1, 3, 2, 0]
