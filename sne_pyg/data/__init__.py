"""Canonical network data: conversion, layout and layer types."""
from .convert import convert, convert_all
from .dataset import NetworkZoo, ZooFolder, save_splits, write_splits
from .layer_types import LayerType
from .layout import LayerSpec, NetworkLayout, Piece
from .network_data import NetworkData

__all__ = ["convert", "convert_all", "NetworkZoo", "ZooFolder", "save_splits", "write_splits", "NetworkData", "NetworkLayout", "LayerSpec", "LayerType", "Piece"]
