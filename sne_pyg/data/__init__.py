"""Canonical network data: conversion, layout and layer types."""
from .convert import convert
from .layer_types import LayerType
from .layout import LayerSpec, NetworkLayout, Piece
from .network_data import NetworkData

__all__ = ["convert", "NetworkData", "NetworkLayout", "LayerSpec", "LayerType", "Piece"]
