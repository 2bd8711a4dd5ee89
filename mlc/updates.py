"""OrderedUpdates (Theano's theano.updates): shared variable -> new value, in insertion order."""

from __future__ import annotations

from collections import OrderedDict


class OrderedUpdates(OrderedDict):
    """An ordered dict of shared variable -> new value, as `scan` returns and `function(updates=)` takes.

    `a + b` merges two update collections (b's entries win on a shared key).
    """

    def __add__(self, other):
        out = OrderedUpdates(self)
        out.update(other)
        return out

    def __radd__(self, other):
        out = OrderedUpdates(other)
        out.update(self)
        return out
