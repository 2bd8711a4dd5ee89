"""The sliding windows of `mt.patches` / `mt.unpatches`, without xDSL: their description and numpy meaning.

Shared by the ops (mlc.dialects.mt.window) and the graph (mlc.tensor.window),
which must not load xDSL. See mlc.dialects.mt.window for the semantics.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

PADS = ("zero", "lowest")


@dataclass(frozen=True)
class Window:
    """The static description of a sliding window over the last d dims (see the module doc)."""

    window: tuple[int, ...]
    strides: tuple[int, ...]
    dilations: tuple[int, ...]
    pads_lo: tuple[int, ...]
    pads_hi: tuple[int, ...]
    ceil: bool = False

    def __post_init__(self) -> None:
        d = len(self.window)
        fields = (self.strides, self.dilations, self.pads_lo, self.pads_hi)
        if any(len(f) != d for f in fields):
            raise ValueError(f"window: expected {d} entries in every field, got {self}")
        if min(self.window, default=1) < 1 or min(self.strides, default=1) < 1 or min(self.dilations, default=1) < 1:
            raise ValueError(f"window: expected sizes, strides and dilations >= 1, got {self}")
        if min(self.pads_lo + self.pads_hi, default=0) < 0:
            raise ValueError(f"window: expected paddings >= 0, got {self}")

    @property
    def ndim(self) -> int:
        return len(self.window)

    def out_rule(self, i: int) -> tuple[int, int]:
        """(shift, least): along dim i, `max((L + shift) // stride + 1, least)` patches fit an input of length L.

        Floor mode: every window inside the padded input. Ceil mode (Theano's
        ignore_border=False): one more, partial window at the end when the
        input does not divide evenly.
        """
        k, s, dil = self.window[i], self.strides[i], self.dilations[i]
        pads = self.pads_lo[i] + self.pads_hi[i]
        extent = (k - 1) * dil + 1
        if not self.ceil:
            return pads - extent, 0
        if s >= extent:
            return pads - 1, 0
        return pads - 1 - extent + s, 1

    def out_size(self, i: int, length: Any, ix: Any = None) -> Any:
        """Patches along dim i for an input of `length` (an int, or an index value with `ix` the
        folding index arithmetic of the loop level)."""
        ix = ix or _INT
        shift, least = self.out_rule(i)
        return ix.max(ix.add(ix.floordiv(ix.add(length, shift), self.strides[i]), 1), least)

    def out_shape(self, spatial: Sequence[int]) -> tuple[int, ...]:
        return tuple(int(self.out_size(i, int(n))) for i, n in enumerate(spatial))


class _IntArith:
    """Index arithmetic on Python ints (the same spelling as the loop level's `Index`)."""

    add = staticmethod(lambda a, b: a + b)
    sub = staticmethod(lambda a, b: a - b)
    floordiv = staticmethod(lambda a, b: a // b)
    max = staticmethod(max)


_INT = _IntArith()


def pad_value(pad: str, dtype: Any) -> Any:
    dt = np.dtype(dtype)
    if pad == "zero":
        return dt.type(0)
    if dt == np.bool_:
        return False
    if dt.kind in "iu":
        return np.iinfo(dt).min
    return dt.type(-np.inf)


def logical_perm_check(perm: Sequence[int], rank: int) -> None:
    if sorted(perm) != list(range(rank)):
        raise ValueError(f"patches: expected perm to be a permutation of range({rank}), got {list(perm)}")


def patches_numpy(x: np.ndarray, w: Window, pad: str = "zero", perm: Sequence[int] | None = None) -> np.ndarray:
    """The numpy meaning of `mt.patches` (also the graph op's reference)."""
    d = w.ndim
    lead = x.shape[: x.ndim - d]
    spatial = x.shape[x.ndim - d :]
    out = w.out_shape(spatial)
    fill = pad_value(pad, x.dtype)
    # pad generously so every read position (o*s + k*dil - lo) is inside the padded array
    before = [lo for lo in w.pads_lo]
    after = [max(0, (o - 1) * s + (k - 1) * dil - lo - n + 1) if o > 0 else 0
             for o, s, k, dil, lo, n in zip(out, w.strides, w.window, w.dilations, w.pads_lo, spatial)]
    xp = np.pad(x, [(0, 0)] * len(lead) + list(zip(before, after)), constant_values=fill)
    result = np.empty(lead + out + w.window, dtype=x.dtype)
    for k in itertools.product(*(range(n) for n in w.window)):
        index = tuple(slice(kk * dil, kk * dil + (o - 1) * s + 1 if o > 0 else 0, s)
                      for kk, dil, o, s in zip(k, w.dilations, out, w.strides))
        result[(Ellipsis, *(slice(None),) * d, *k)] = xp[(Ellipsis, *index)]
    return result if perm is None else np.transpose(result, perm)


def unpatches_numpy(p: np.ndarray, spatial: Sequence[int], w: Window, perm: Sequence[int] | None = None) -> np.ndarray:
    """The numpy meaning of `mt.unpatches`: the adjoint of `patches_numpy` (entries summed back)."""
    d = w.ndim
    if perm is not None:
        p = np.transpose(p, np.argsort(perm))
    lead = p.shape[: p.ndim - 2 * d]
    out = p.shape[p.ndim - 2 * d : p.ndim - d]
    spatial = tuple(int(n) for n in spatial)
    after = [max(0, (o - 1) * s + (k - 1) * dil - lo - n + 1) if o > 0 else 0
             for o, s, k, dil, lo, n in zip(out, w.strides, w.window, w.dilations, w.pads_lo, spatial)]
    xp = np.zeros(lead + tuple(n + lo + a for n, lo, a in zip(spatial, w.pads_lo, after)), dtype=p.dtype)
    for k in itertools.product(*(range(n) for n in w.window)):
        index = tuple(slice(kk * dil, kk * dil + (o - 1) * s + 1 if o > 0 else 0, s)
                      for kk, dil, o, s in zip(k, w.dilations, out, w.strides))
        xp[(Ellipsis, *index)] += p[(Ellipsis, *(slice(None),) * d, *k)]
    keep = tuple(slice(lo, lo + n) for lo, n in zip(w.pads_lo, spatial))
    return np.ascontiguousarray(xp[(Ellipsis, *keep)])


__all__ = ["PADS", "Window", "pad_value", "patches_numpy", "unpatches_numpy"]
