"""Constructors for symbolic tensors, Theano's names.

For each dtype prefix (b w i l f d c z) and rank name (scalar vector matrix
row col tensor3 ... tensor7) there is a type object that is also a
constructor: `dmatrix('A')` makes a variable whose `.type is dmatrix`.
Unprefixed names (`matrix('A', dtype=None)`) are functions that use
`config.floatX` by default. Plurals (`dmatrices('a', 'b')`, `scalars('xyz')`)
make several at once.
"""

from __future__ import annotations

from mlc.config import config
from mlc.graph import TensorType
from mlc.graph.dtype import PREFIX, check_dtype

_RANKS: dict[str, tuple[bool, ...]] = {
    "scalar": (),
    "vector": (False,),
    "matrix": (False, False),
    "row": (True, False),
    "col": (False, True),
    **{f"tensor{n}": (False,) * n for n in range(3, 8)},
}
_PLURAL = {"scalar": "scalars", "vector": "vectors", "matrix": "matrices", "row": "rows", "col": "cols",
           **{f"tensor{n}": f"tensor{n}s" for n in range(3, 8)}}

__all__: list[str] = []


def _names(args) -> list[str]:
    """Theano's plural rule: one string argument is split into characters."""
    if len(args) == 1 and isinstance(args[0], int):
        return [None] * args[0]  # type: ignore[list-item]
    if len(args) == 1 and isinstance(args[0], str) and len(args[0]) > 1:
        return list(args[0])
    return list(args)


def _make_plural(t: TensorType):
    def plural(*names):
        out = [t(n) for n in _names(names)]
        return out[0] if len(out) == 1 else out

    return plural


def _make_generic(bcast: tuple[bool, ...], kind: str):
    def ctor(name=None, dtype=None, shape=None):
        if dtype is None:
            dtype = config.floatX
        return TensorType(check_dtype(dtype), bcast)(name)

    ctor.__name__ = kind
    ctor.__doc__ = f"A symbolic {kind} of `dtype` (default config.floatX)."
    return ctor


def _make_generic_plural(kind: str):
    def plural(*names, dtype=None):
        out = [globals()[kind](n, dtype=dtype) for n in _names(names)]
        return out[0] if len(out) == 1 else out

    return plural


for _p, _dtype in PREFIX.items():
    for _kind, _bcast in _RANKS.items():
        _t = TensorType(_dtype, _bcast)
        globals()[_p + _kind] = _t
        globals()[_p + _PLURAL[_kind]] = _make_plural(_t)
        __all__ += [_p + _kind, _p + _PLURAL[_kind]]

for _kind, _bcast in _RANKS.items():
    globals()[_kind] = _make_generic(_bcast, _kind)
    globals()[_PLURAL[_kind]] = _make_generic_plural(_kind)
    __all__ += [_kind, _PLURAL[_kind]]


def tensor(dtype=None, broadcastable=None, name=None, shape=None):
    """A symbolic tensor: `tensor('float32', (False, True), 'x')` or `tensor('float32', shape=(None, 1))`."""
    if broadcastable is None and shape is None:
        raise TypeError("tensor: expected broadcastable= or shape=")
    return TensorType(check_dtype(dtype or config.floatX), broadcastable or (), shape=shape)(name)


__all__ += ["tensor"]
