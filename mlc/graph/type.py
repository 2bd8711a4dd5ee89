"""TensorType: a dtype and a broadcastable pattern, Theano's tensor type.

A dimension is broadcastable (always of length 1, and it may broadcast
against any length) or not (any length, never broadcasts). In the `mt`
dialect a broadcastable dim is the static size 1 and the others are `?`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlc.graph.dtype import check_dtype, config

_RANK_NAMES = {0: "scalar", 1: "vector", 2: "matrix"}


class TensorType:
    """The type of a tensor variable: `TensorType(dtype, broadcastable)`.

    Calling a type makes a new variable of that type: `TensorType('float32',
    (False,))('x')` is the same as `fvector('x')`. Types compare equal when
    dtype and broadcastable pattern are equal.
    """

    #: the Variable class made by `__call__`; mlc.tensor sets TensorVariable
    variable_class: type | None = None
    constant_class: type | None = None

    def __init__(self, dtype: Any, broadcastable: tuple[bool, ...] | list[bool] = (), shape=None):
        self.dtype = check_dtype(dtype)
        if shape is not None:  # PyTensor-style: shape=(None, 1) means (False, True)
            broadcastable = tuple(s == 1 for s in shape)
        self.broadcastable = tuple(bool(b) for b in broadcastable)
        self.name: str | None = None

    @property
    def ndim(self) -> int:
        return len(self.broadcastable)

    @property
    def numpy_dtype(self) -> np.dtype:
        return np.dtype(self.dtype)

    def __call__(self, name: str | None = None):
        return self.make_variable(name=name)

    def make_variable(self, owner=None, index=None, name=None):
        cls = TensorType.variable_class
        assert cls is not None, "import mlc.tensor before building graphs"
        return cls(self, owner, index, name)

    def clone(self, dtype=None, broadcastable=None) -> "TensorType":
        return TensorType(self.dtype if dtype is None else dtype,
                          self.broadcastable if broadcastable is None else broadcastable)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TensorType) and self.dtype == other.dtype
                and self.broadcastable == other.broadcastable)

    def __hash__(self) -> int:
        return hash((TensorType, self.dtype, self.broadcastable))

    def __repr__(self) -> str:
        b = self.broadcastable
        if b == (False,) * len(b) and len(b) in _RANK_NAMES:
            kind = _RANK_NAMES[len(b)]
        elif b == (True, False):
            kind = "row"
        elif b == (False, True):
            kind = "col"
        elif b == (False,) * len(b):
            kind = f"{len(b)}D"
        else:
            kind = "(" + ", ".join(map(str, b)) + ("," if len(b) == 1 else "") + ")"
        return f"TensorType({self.dtype}, {kind})"

    __str__ = __repr__

    def filter(self, value: Any, strict: bool = False, allow_downcast: bool | None = None,
               what: str = "value") -> np.ndarray:
        """Convert `value` to an ndarray of this type, following Theano's rules.

        Python scalars and lists are converted when no precision is lost (or
        when `allow_downcast`); numpy arrays of another dtype are converted
        only if that is an upcast, or with `allow_downcast=True`. Ranks and
        broadcastable dims must match. Raises TypeError with what was
        expected and what was given.
        """
        target = self.numpy_dtype
        if isinstance(value, np.ndarray) and value.dtype == target:
            arr = value
        elif strict:
            raise TypeError(f"{what}: expected a numpy array of dtype {self.dtype}, got "
                            f"{type(value).__name__} of dtype {getattr(value, 'dtype', '?')} (strict=True)")
        else:
            arr = _convert(value, target, allow_downcast, what, self)
        if arr.ndim != self.ndim:
            raise TypeError(f"{what}: expected {self.ndim}-d array for {self}, got {arr.ndim}-d array "
                            f"of shape {arr.shape}")
        for i, (b, n) in enumerate(zip(self.broadcastable, arr.shape)):
            if b and n != 1:
                raise TypeError(f"{what}: dimension {i} is broadcastable in {self}, so it must have length 1, "
                                f"got shape {arr.shape}")
        return arr

    def value_zeros(self, shape) -> np.ndarray:
        return np.zeros(shape, dtype=self.dtype)


def _convert(value: Any, target: np.dtype, allow_downcast: bool | None, what: str, t: TensorType) -> np.ndarray:
    given = value if isinstance(value, np.ndarray) else None
    if given is None:
        try:
            raw = np.asarray(value)
        except Exception as exc:  # ragged lists and similar
            raise TypeError(f"{what}: expected an array-like for {t}, got {type(value).__name__}: {exc}") from None
        if raw.dtype == object:
            raise TypeError(f"{what}: expected a numeric array for {t}, got {type(value).__name__} {value!r:.80}")
        # Python data: convert if no precision is lost (Theano's filter);
        # floats may be downcast to floatX when allow_downcast is None.
        conv = raw.astype(target)
        if allow_downcast or _exact(raw, conv):
            return conv
        if allow_downcast is None and target.name == config.floatX and raw.dtype.kind == "f":
            return conv
        raise TypeError(f"{what}: expected {t.dtype} data for {t}, got Python data of dtype {raw.dtype} "
                        f"that would lose precision; pass allow_input_downcast=True to allow it")
    if np.can_cast(given.dtype, target, "safe") or allow_downcast:
        return given.astype(target)
    raise TypeError(f"{what}: expected an array of dtype {t.dtype} for {t}, got dtype {given.dtype}; "
                    f"converting would lose precision (pass allow_input_downcast=True, or cast the array)")


def _exact(raw: np.ndarray, conv: np.ndarray) -> bool:
    if raw.dtype == conv.dtype:
        return True
    with np.errstate(all="ignore"):
        back = conv.astype(raw.dtype)
        return bool(np.all((back == raw) | (np.isnan(back) & np.isnan(raw)) if raw.dtype.kind in "fc"
                           else back == raw))


class RandomStateType(TensorType):
    """The type of a numpy `RandomState` in a graph (Theano's raw_random.RandomStateType).

    Its values travel through compiled functions as 0-d object arrays
    holding the RandomState, so the call machinery (shapes, partitioned
    programs, scan states) treats them like any 0-d value; only host ops
    (random draws) look inside. No native code ever reads one.
    """

    def __init__(self):
        self.dtype = "object"
        self.broadcastable = ()
        self.name = None

    def clone(self, dtype=None, broadcastable=None) -> "RandomStateType":
        return RandomStateType()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RandomStateType)

    def __hash__(self) -> int:
        return hash(RandomStateType)

    def __repr__(self) -> str:
        return "RandomStateType"

    __str__ = __repr__

    def filter(self, value: Any, strict: bool = False, allow_downcast: bool | None = None,
               what: str = "value") -> np.ndarray:
        """A 0-d object array holding `value` (a numpy RandomState, or such an array)."""
        if isinstance(value, np.ndarray) and value.shape == () and value.dtype == object:
            value = value[()]
        if type(value) is not np.random.RandomState:
            raise TypeError(f"{what}: expected a numpy.random.RandomState for {self}, got {type(value).__name__}")
        box = np.empty((), dtype=object)
        box[()] = value
        return box

    def value_zeros(self, shape) -> np.ndarray:
        return self.filter(np.random.RandomState(0))


random_state_type = RandomStateType()
