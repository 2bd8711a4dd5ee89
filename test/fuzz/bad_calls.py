"""Compiled functions called with anything: a result, or a clear Python error - never a crash.

Each case calls one of a few compiled functions with random arguments:
wrong counts, dtypes, ranks and shapes, non-contiguous and reversed arrays,
lists (ragged too), Python scalars, None, strings, NaN. A call that
succeeds must agree with the same graph run in REFERENCE mode (numpy); a
call that fails must raise a "user" error (`USER_ERRORS`) with a message.
Anything else - AttributeError, AssertionError, KeyError, a ctypes error -
is an internal error. A crash kills the worker and is counted by the
harness.
"""

from __future__ import annotations

import numpy as np

USER_ERRORS = (TypeError, ValueError, IndexError, MemoryError, OverflowError)

_FUNCTIONS = None


def functions():
    """(name, native function, reference function) for a few signatures, compiled once."""
    global _FUNCTIONS
    if _FUNCTIONS is None:
        import mlc
        import mlc.tensor as T

        x, y = T.dmatrix("x"), T.dvector("y")
        a = T.ivector("a")
        f = T.fmatrix("f")
        s = T.dscalar("s")
        r = T.TensorType("float64", (True, False))("r")
        n = T.lscalar("n")
        graphs = {
            "add_bcast": ([x, y], x + y),
            "int_sum": ([a], a.sum() * 2),
            "gram": ([f], T.dot(f, f.T)),
            "row_scale": ([s, r], (r * s).sum(axis=1)),
            "arange": ([n], T.arange(n) * 2),
            "two_out": ([x, s], [T.exp(T.clip(x, -5, 5)) * s, x.max(axis=0)]),
        }
        _FUNCTIONS = [(name, mlc.function(ins, out), mlc.function(ins, out, mode="REFERENCE"))
                      for name, (ins, out) in graphs.items()]
    return _FUNCTIONS


def _array(rng):
    dtype = rng.choice(["float64", "float32", "int32", "int64", "int8", "uint8", "bool", "float16",
                        "complex128", "object"])
    shape = tuple(int(d) for d in rng.choice([0, 1, 2, 3, 4], size=int(rng.integers(0, 4))))
    a = rng.uniform(-3, 3, size=shape)
    if rng.random() < 0.1 and a.size:
        a.ravel()[0] = rng.choice([np.nan, np.inf, -np.inf])
    with np.errstate(all="ignore"):
        a = a.astype(dtype)
    kind = rng.integers(5)
    if kind == 0 and a.ndim:
        a = a[::-1]
    elif kind == 1 and a.ndim >= 2:
        a = a.T
    elif kind == 2 and a.ndim:
        a = a[::2]
    return a


def _argument(rng):
    kind = int(rng.integers(10))
    if kind <= 4:
        return _array(rng)
    if kind == 5:
        return [[1.0, 2.0], [3.0]] if rng.random() < 0.5 else [[1.0, 2.0], [3.0, 4.0]]
    if kind == 6:
        return rng.choice([0, 1, -1, 2**40, 2**63, 1.5, True, complex(1, 2), float("nan")]).item()
    if kind == 7:
        return [None, "abc", b"xy", (1, 2), {"a": 1}][int(rng.integers(5))]
    if kind == 8:
        return np.float64(rng.uniform(-2, 2))
    return list(rng.uniform(-2, 2, size=int(rng.integers(0, 4))))


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fc":
        return bool(np.allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True))
    return bool(np.array_equal(a, b))


def case(seed: int) -> tuple[str, str]:
    """One call: ("ok" | "internal" | "mismatch", detail)."""
    rng = np.random.default_rng(seed)
    name, native, reference = functions()[int(rng.integers(len(functions())))]
    nargs = len(native.inputs)
    count = int(rng.integers(0, 4)) if rng.random() < 0.3 else nargs
    args = [_argument(rng) for _ in range(count)]
    described = ", ".join(_describe(a) for a in args)
    try:
        got = native(*args)
    except USER_ERRORS as e:
        if not str(e).strip():
            return "internal", f"{name}({described}): {type(e).__name__} without a message"
        return "ok", ""
    except Exception as e:  # noqa: BLE001 - what the fuzzer looks for
        return "internal", f"{name}({described}): {type(e).__name__}: {str(e)[:200]}"
    try:
        want = reference(*args)
    except Exception:  # noqa: BLE001
        return "ok", ""  # numpy's mode is stricter on some conversions; native accepted them
    got_l = got if isinstance(got, list) else [got]
    want_l = want if isinstance(want, list) else [want]
    if len(got_l) != len(want_l) or not all(_same(g, w) for g, w in zip(got_l, want_l)):
        return "mismatch", f"{name}({described}): native {got_l!r:.200} vs reference {want_l!r:.200}"
    return "ok", ""


def _describe(a) -> str:
    if isinstance(a, np.ndarray):
        flags = "" if a.flags.c_contiguous else " non-contiguous"
        return f"ndarray({a.dtype}, {a.shape}{flags})"
    return repr(a)[:40]
