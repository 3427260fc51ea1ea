import argparse

import pytest

from sne_pyg.argtypes import distinct_fractions, distinct_positive_ints, positive_int


def test_positive_int_accepts_whole_numbers_from_one():
    assert positive_int("1") == 1 and positive_int("12") == 12
    for bad in ("0", "-3", "1.5", "x"):
        with pytest.raises(argparse.ArgumentTypeError, match=repr(bad)):
            positive_int(bad)


def test_distinct_positive_ints_keeps_the_order_and_refuses_repeats_and_non_positives():
    assert distinct_positive_ints("64,8,512") == [64, 8, 512]
    assert distinct_positive_ints("30") == [30]
    for bad in ("15,x", "0,30", "15,15", "", "8,,16"):
        with pytest.raises(argparse.ArgumentTypeError, match=repr(bad)):
            distinct_positive_ints(bad)


def test_distinct_fractions_accepts_the_unit_interval_without_zero():
    assert distinct_fractions("0.05,1") == [0.05, 1.0]
    assert distinct_fractions("1") == [1.0]
    for bad in ("0,0.5", "1.5", "-0.1", "0.5,0.5", "half", "nan"):
        with pytest.raises(argparse.ArgumentTypeError, match=repr(bad)):
            distinct_fractions(bad)
