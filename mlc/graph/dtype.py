"""Dtypes and Theano's promotion rules, written once.

Theano's `upcast` promotes with numpy's table, except that while
`config.floatX == 'float32'` a float64 that no operand asked for explicitly
is brought back to float32. Python scalars get the smallest dtype that holds
them exactly (`autocast`), so `fvector * 2` stays float32.
"""

from __future__ import annotations

import numpy as np

from mlc.config import config

BOOL = ("bool",)
SIGNED = ("int8", "int16", "int32", "int64")
UNSIGNED = ("uint8", "uint16", "uint32", "uint64")
INTS = SIGNED + UNSIGNED
FLOATS = ("float16", "float32", "float64")
COMPLEX = ("complex64", "complex128")
DISCRETE = BOOL + INTS
CONTINUOUS = FLOATS + COMPLEX
ALL = DISCRETE + CONTINUOUS

#: the one-letter prefixes of Theano's constructors (b w i l f d c z)
PREFIX = {"b": "int8", "w": "int16", "i": "int32", "l": "int64",
          "f": "float32", "d": "float64", "c": "complex64", "z": "complex128"}


def check_dtype(dtype: object) -> str:
    """Normalise a dtype spec to its name; reject what mlc does not support."""
    if dtype == "floatX":
        return config.floatX
    try:
        name = np.dtype(dtype).name  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"expected a dtype (one of {', '.join(ALL)}), got {dtype!r}") from None
    if name not in ALL:
        raise TypeError(f"expected a dtype (one of {', '.join(ALL)}), got {name!r}")
    return name


def upcast(*dtypes: str) -> str:
    """Theano's `scalar.upcast`: the dtype of an elementwise result."""
    keep32 = config.floatX == "float32" and "float64" not in dtypes
    keep16 = config.floatX == "float16" and not ({"float64", "float32"} & set(dtypes))
    out = np.result_type(*[np.dtype(d) for d in dtypes]).name
    if out == "float64" and keep16:
        return "float16"
    if out == "float64" and keep32:
        return "float32"
    if out == "complex128" and keep32 and "complex128" not in dtypes:
        return "complex64"
    return out


# Theano's upgrade_to_float: what true division and transcendental functions
# return for integer inputs.
_TO_FLOAT = {"bool": "float32", "int8": "float32", "uint8": "float32", "int16": "float32",
             "uint16": "float32", "int32": "float64", "uint32": "float64", "int64": "float64",
             "uint64": "float64"}


def upgrade_to_float(*dtypes: str) -> str:
    """Result dtype of a float-valued op (exp, true_div) on these inputs."""
    return upcast(*[_TO_FLOAT.get(d, d) for d in dtypes])


def autocast_python_scalar(x: bool | int | float | complex) -> np.ndarray:
    """Theano's autocast (cast_policy='custom') of a Python scalar to a 0-d array."""
    if isinstance(x, (bool, np.bool_)):
        return np.asarray(x, dtype="bool")
    if isinstance(x, (np.generic, np.ndarray)):
        return np.asarray(x)
    if config.cast_policy == "numpy+floatX":
        a = np.asarray(x)
        if a.dtype.kind == "f" and a.dtype.name != config.floatX:
            a = a.astype(config.floatX)
        return a
    if isinstance(x, int):
        for d in SIGNED:
            info = np.iinfo(d)
            if info.min <= x <= info.max:
                return np.asarray(x, dtype=d)
        return np.asarray(x, dtype="uint64")  # too large for int64: numpy would raise
    if isinstance(x, float):
        if config.floatX != "float64":
            return np.asarray(x, dtype=config.floatX)
        for d in ("float32", "float64"):
            a = np.asarray(x, dtype=d)
            # float(a): under numpy 2 (NEP 50) `a == x` would compare in float32 and call 0.1 exact.
            if float(a) == x or (np.isnan(x) and np.isnan(a)):
                return a
        return np.asarray(x, dtype="float64")
    if isinstance(x, complex):
        return np.asarray(x, dtype="complex128")
    raise TypeError(f"expected a Python scalar, got {type(x).__name__}")


def is_float(dtype: str) -> bool:
    return dtype in FLOATS


def is_int(dtype: str) -> bool:
    return dtype in INTS

