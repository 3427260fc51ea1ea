import pytest


@pytest.fixture(scope="session")
def quick_zoos(tmp_path_factory) -> str:
    """One zoo root for the examples' quick runs: a zoo folder's name holds every setting it was made with
    (kind, size, epochs, seed, chunk size, checkpoints, fractions), so examples asking for the same quick
    zoo (arch1-digits of 12 runs for both transfer examples, say) share it instead of training it again."""
    return str(tmp_path_factory.mktemp("quick_zoos"))
