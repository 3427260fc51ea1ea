import argparse

import pytest

from sne_pyg.experiments.arguments import (ZOO_CHECKPOINTS, ZOO_FRACTIONS, ZOO_RUNS, add_zoo_experiment_arguments,
                                           fraction_triple, zoo_experiment_settings)


def parse(*argv, **options):
    parser = argparse.ArgumentParser()
    add_zoo_experiment_arguments(parser, models="sne,statnn", out="runs/x", **options)
    return parser.parse_args(list(argv))


def test_defaults_are_the_large_zoo_and_a_numeric_label_by_name_is_a_target():
    args = parse()
    assert (args.size, args.zoo_checkpoints, args.zoo_split, args.target) == (ZOO_RUNS, ZOO_CHECKPOINTS, ZOO_FRACTIONS, 0)
    assert parse("--target", "log10_lr", "--zoo-split", "0.5,0.2,0.3").target == "log10_lr"
    assert parse("--zoo-split", "0.5,0.2,0.3").zoo_split == (0.5, 0.2, 0.3)
    settings = zoo_experiment_settings(parse("--target", "epoch"))
    assert settings["target"] == "epoch" and settings["zoo_split"] == list(ZOO_FRACTIONS)   # as JSON stores it
    old = parse(size=24, checkpoints=None, fractions=(0.8, 0.1, 0.1))      # an example keeping its own zoo
    assert (old.size, old.zoo_checkpoints, old.zoo_split) == (24, None, (0.8, 0.1, 0.1))


@pytest.mark.parametrize("argv", [("--target", "activation"), ("--target", "all"), ("--target", "lr"),
                                  ("--zoo-split", "0.6,0.1"), ("--zoo-split", "0.6,0.2,0.3"),
                                  ("--zoo-split", "1,0,0"), ("--zoo-checkpoints", "0")])
def test_bad_values_are_refused_by_the_parser(argv, capsys):
    with pytest.raises(SystemExit):
        parse(*argv)
    assert argv[0] in capsys.readouterr().err


def test_fraction_triple():
    assert fraction_triple("0.7,0.1,0.2") == (0.7, 0.1, 0.2)
    with pytest.raises(argparse.ArgumentTypeError, match="summing to 1"):
        fraction_triple("a,b,c")
