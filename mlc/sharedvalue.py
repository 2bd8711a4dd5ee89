"""Shared variables: tensors whose value lives across calls of compiled functions."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from mlc.graph import TensorType, random_state_type
from mlc.tensor.var import TensorVariable


class SharedVariable(TensorVariable):
    """A tensor variable with a persistent value (Theano's TensorSharedVariable).

    Compiled functions read the current value at each call and write the
    new value given by their `updates` after computing all outputs.
    """

    _warn_float64 = False  # Theano's shared variables are not TensorVariables: no float64 report

    def __init__(self, type: TensorType, value: np.ndarray, name: str | None = None):
        super().__init__(type, None, None, name)
        self.container = Container(value)

    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> np.ndarray:
        """The current value; a copy unless `borrow=True`."""
        v = self.container.value
        return v if borrow else v.copy()

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Replace the value (copied unless `borrow=True`); it must fit the variable's type."""
        arr = self.type.filter(value, allow_downcast=None, what=f"set_value of shared variable {self}")
        if not borrow and arr is value:
            arr = arr.copy()
        self.container.value = arr if arr.flags.c_contiguous else np.array(arr, order="C")

    @property
    def value(self):
        return self.get_value()

    @value.setter
    def value(self, v):
        self.set_value(v)

    def clone(self):
        c = SharedVariable(self.type, self.container.value, self.name)
        c.container = self.container
        return c

    def zero(self, borrow: bool = False):
        self.container.value = np.zeros_like(self.container.value)


class RandomStateSharedVariable(SharedVariable):
    """A shared numpy `RandomState` (Theano's RandomStateSharedVariable): the state of a random stream.

    `get_value()` returns the RandomState (a copy unless `borrow=True`);
    `set_value()` takes one. Compiled functions see it as a 0-d object
    array (see `mlc.graph.RandomStateType`).
    """

    def __init__(self, value: np.random.RandomState, name: str | None = None):
        TensorVariable.__init__(self, random_state_type, None, None, name)
        self.container = _Container(random_state_type.filter(value, what=f"shared variable {name or ''}".strip()))

    def get_value(self, borrow: bool = False, return_internal_type: bool = False):
        rng = self.container.value[()]
        return rng if borrow else copy.deepcopy(rng)

    def set_value(self, value: Any, borrow: bool = False) -> None:
        box = random_state_type.filter(value, what=f"set_value of shared variable {self}")
        if not borrow:
            box[()] = copy.deepcopy(box[()])
        self.container.value = box

    def clone(self):
        c = RandomStateSharedVariable(self.container.value[()], self.name)
        c.container = self.container
        return c

    def zero(self, borrow: bool = False):
        raise TypeError(f"zero: {self} holds a RandomState, not an array")


class Container:
    """Where a value lives between calls (a shared variable's, or a function's `In` state).

    Functions read `value` at each call and replace it after; sharing a
    container is sharing the state (Theano's `Container`).

    For GPU functions it also holds a device copy (`device`); at most one of
    the two is newer: a GPU function's update replaces the device copy (the
    host copy is downloaded when someone reads `value`), and assigning
    `value` drops the device copy (uploaded again at the next GPU call).
    Device arrays are duck-typed (`to_host()`): this module knows no runtime.
    """

    __slots__ = ("_host", "device")

    def __init__(self, value: np.ndarray):
        self._host = value
        self.device = None

    @property
    def value(self) -> np.ndarray:
        if self._host is None:
            self._host = self.device.to_host()
        return self._host

    @value.setter
    def value(self, v) -> None:
        if hasattr(v, "to_host") and not isinstance(v, np.ndarray):  # a device array (a GPU function's update)
            self._host, self.device = None, v
        else:
            self._host, self.device = v, None

    @property
    def data(self) -> np.ndarray:
        return self.value

    @data.setter
    def data(self, value: np.ndarray) -> None:
        self.value = value

    @property
    def storage(self) -> list:
        return [self.value]

    def __repr__(self) -> str:
        return f"<{self.value!r}>"


_Container = Container


def shared(value: Any, name: str | None = None, strict: bool = False, allow_downcast: bool | None = None,
           borrow: bool = False, broadcastable: tuple[bool, ...] | None = None, **kwargs: Any) -> SharedVariable:
    """A shared variable holding `value` (an array or a Python/numpy scalar).

    The dtype is the value's (Python ints become int64, floats float64, as
    in Theano); `broadcastable` defaults to all False. The value is copied
    unless `borrow=True`.
    """
    if isinstance(value, TensorVariable):
        raise TypeError(f"shared: expected a numpy value, got the symbolic variable {value}")
    if shared.constructors:  # registered with shared_constructor: the latest first; TypeError = not mine
        extra = dict(kwargs, **({"borrow": True} if borrow else {}),
                     **({} if broadcastable is None else {"broadcastable": broadcastable}))
        for ctor in reversed(shared.constructors):
            try:
                return ctor(value, name=name, strict=strict, allow_downcast=allow_downcast, **extra)
            except TypeError:
                continue
    if type(value) is np.random.RandomState:
        return RandomStateSharedVariable(value if borrow else copy.deepcopy(value), name)
    if type(value).__module__.startswith("scipy.sparse"):  # a scipy.sparse matrix: a sparse shared variable
        from mlc.sparse.type import sparse_shared

        return sparse_shared(value, name, strict=strict, allow_downcast=allow_downcast, borrow=borrow, **kwargs)
    if isinstance(value, (bool, int, float, complex)) and not isinstance(value, np.generic):
        arr = np.asarray(value)
    else:
        arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise TypeError(f"shared: expected a numeric array, got {type(value).__name__} of dtype {arr.dtype}")
    if not borrow or not arr.flags.c_contiguous:
        arr = np.array(arr, copy=True, order="C")
    if broadcastable is None:
        broadcastable = (False,) * arr.ndim
    if len(broadcastable) != arr.ndim:
        raise TypeError(f"shared: broadcastable {broadcastable} has {len(broadcastable)} entries for a "
                        f"{arr.ndim}-d value")
    t = TensorType(arr.dtype, broadcastable)
    t.filter(arr, what=f"shared variable {name or ''}".strip())
    return SharedVariable(t, arr, name)


#: constructors registered with `shared_constructor`, tried by `shared` in reverse order before its own
shared.constructors = []  # type: ignore[attr-defined]


def shared_constructor(ctor, remove=False):
    """Register `ctor` (or with remove=True, unregister it) as a constructor `shared` tries first.

    Theano's protocol: `shared(value, name=, strict=, allow_downcast=, **kwargs)`
    calls each registered `ctor` with those arguments, the most recently
    registered first; a constructor that does not take the value raises
    TypeError and the next one is tried; mlc's own types come last. Returns
    `ctor`, so it works as a decorator.
    """
    if remove:
        shared.constructors.remove(ctor)
    else:
        shared.constructors.append(ctor)
    return ctor
