import pytest
from torch.utils.data import DistributedSampler

from sne_pyg.train.batches import NoSingletonBatches


@pytest.mark.parametrize("n,batch_size,sizes", [(7, 3, [3, 4]), (6, 3, [3, 3]), (8, 3, [3, 3, 2]), (1, 3, [1]),
                                                (5, 4, [5]), (4, 1, [1, 1, 2]), (0, 3, [])])
def test_a_last_batch_of_one_joins_the_one_before(n, batch_size, sizes):
    batches = list(NoSingletonBatches(range(n), batch_size))
    assert [len(b) for b in batches] == sizes
    assert len(NoSingletonBatches(range(n), batch_size)) == len(sizes)
    assert [i for b in batches for i in b] == list(range(n))          # every index once, in order


def test_follows_a_shuffling_sampler_and_its_epochs():
    sampler = DistributedSampler(range(10), num_replicas=1, rank=0, shuffle=True, seed=3)
    batches = NoSingletonBatches(sampler, 3)
    sampler.set_epoch(1)
    first = [i for b in batches for i in b]
    assert first == list(sampler) and sorted(first) == list(range(10))
    assert [len(b) for b in batches] == [3, 3, 4]
    sampler.set_epoch(2)
    assert [i for b in batches for i in b] != first


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        NoSingletonBatches(range(4), bad)
