import argparse

import pytest

from sne_pyg.experiments.arguments import (ZOO_CHECKPOINTS, ZOO_FRACTIONS, ZOO_RUNS, add_model_option_arguments,
                                           add_zoo_experiment_arguments, fraction_triple, model_option,
                                           model_options_of, train_option, zoo_experiment_settings)


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


def parse_levers(*argv):
    parser = argparse.ArgumentParser()
    add_model_option_arguments(parser)
    return parser.parse_args(list(argv))


def test_model_options_are_typed_per_model_and_a_later_repeat_wins():
    args = parse_levers("--model-option", "sne.heads=1", "--model-option", "sne.set_function=mean",
                        "--model-option", "sne.heads=2", "--model-option", "neural_graph.layers=3",
                        "--chunk-size", "16")
    assert model_options_of(args) == {"sne": {"heads": 2, "set_function": "mean"}, "neural_graph": {"layers": 3}}
    assert args.chunk_size == 16 and parse_levers().chunk_size == 64 and model_options_of(parse_levers()) == {}
    assert [model_option(f"sne.heads={v}")[2] for v in ("true", "False", "3", "0.5", "isab")] == [True, False, 3, 0.5,
                                                                                                  "isab"]


@pytest.mark.parametrize("text, message", [("sne:heads=1", "MODEL.KEY=VALUE"), ("sne.heads", "MODEL.KEY=VALUE"),
                                           ("sne.heads=", "MODEL.KEY=VALUE"), ("nope.heads=1", "unknown model 'nope'"),
                                           ("sne.hedas=1", "no option 'hedas'"), ("sne.hidden=8", "no option 'hidden'")])
def test_bad_model_options_are_refused_with_the_reason(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        model_option(text)


def test_training_options_are_checked_one_by_one():
    assert [train_option(t) for t in ("lr=3e-3", "weight_decay=0", "augment=true", "li_weight=0.1", "batch_size=16")] \
        == [("lr", 0.003), ("weight_decay", 0), ("augment", True), ("li_weight", 0.1), ("batch_size", 16)]
    for text, message in [("lr=0", "lr must be a learning rate > 0"), ("augment=1", "augment must be true or false"),
                          ("batch_size=1", "batch_size must be"), ("batch_size=2.5", "batch_size must be"),
                          ("li_weight=-1", "li_weight must be"), ("epochs=3", "unknown training option 'epochs'"),
                          ("lr", "KEY=VALUE")]:
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            train_option(text)
