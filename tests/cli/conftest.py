import pytest

from sne_pyg.cli import main


@pytest.fixture(scope="session")
def tiny_zoo(tmp_path_factory):
    """A 40-network sine-INR zoo folder made by the CLI itself (seconds)."""
    out = tmp_path_factory.mktemp("zoo") / "sine"
    assert main(["zoo", "sine_inr", "--size", "40", "--steps", "30", "--chunk-size", "32", "--out", str(out),
                 "--no-progress"]) == 0
    return out


@pytest.fixture(scope="session")
def trained_run(tiny_zoo, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "sne"
    assert main(["train", "--data", str(tiny_zoo), "--out", str(out), "--hidden", "8", "--epochs", "2",
                 "--batch-size", "8", "--no-progress"]) == 0
    return out
