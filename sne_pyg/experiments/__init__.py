"""Experiments over model zoos: seeds, transfer tables, shared example options and result files.

``train/`` holds how one model is trained; this package holds what the examples compare.
"""
from .arguments import add_zoo_experiment_arguments, apply_quick, name_list
from .cache import cached, cached_all
from .reports import write_transfer_report
from .seeds import tau_over_seeds
from .tables import average_tau, format_transfer_table, pair_key, split_key
from .transfer import held_out_tests, model_options_for, transfer_experiment, transfer_results

__all__ = ["tau_over_seeds", "transfer_results", "transfer_experiment", "held_out_tests", "model_options_for",
           "average_tau", "format_transfer_table", "pair_key", "split_key", "write_transfer_report",
           "add_zoo_experiment_arguments", "apply_quick", "name_list", "cached", "cached_all"]
