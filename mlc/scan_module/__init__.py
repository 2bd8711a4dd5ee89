"""Loops (Theano's theano.scan_module): `scan`, `map`, `reduce`, `foldl`, `foldr`, `until`, the Scan op."""

from mlc.scan_module.builder import foldl, foldr, make_scan, map, reduce, scan, until
from mlc.scan_module.op import Scan, State

__all__ = ["Scan", "State", "foldl", "foldr", "make_scan", "map", "reduce", "scan", "until"]
