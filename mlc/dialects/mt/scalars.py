"""The elementwise operations' meaning, written once (no xDSL here).

One `Meaning` per `mt` elementwise op: its family (unary, involution,
binary, compare, predicate), the numpy dtypes it computes in, and its
numpy meaning, including the corners that native code reproduces (integer
division by zero gives 0, integer `pow` with a negative exponent is C-like,
`round_away` rounds half away from zero exactly). Three clients read this
table, so they cannot disagree:

* the `mt` ops (`mlc.dialects.mt.elementwise` generates one op class per
  row: verifier dtype set and `evaluate`);
* the reference interpreter (`run_mt`, through the ops' `evaluate`);
* the graph's elementwise ops (`mlc.tensor.elemwise.SCALARS` takes each
  row's `numpy` as its reference meaning, on operands already cast to the
  compute dtype).

The scalar lowering of each op (arith/math bodies) sits in
`mlc.lowering.convert_mt_to_linalg.scalar_math`, keyed by op class; a unit
test checks that every row here has one.

Kept free of xDSL so that `mlc.tensor` can read it without loading the IR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# numpy dtype names, by kind; the mt element types map one to one (types.py)
BOOL = ("bool",)
SINT = ("int8", "int16", "int32", "int64")
UINT = ("uint8", "uint16", "uint32", "uint64")
INT = SINT + UINT
FLOAT = ("float16", "float32", "float64")
COMPLEX = ("complex64", "complex128")
INEXACT = FLOAT + COMPLEX
ORDERED = BOOL + INT + FLOAT  # comparisons, max/min, argmax
ARITHMETIC = INT + FLOAT + COMPLEX  # everything but bool
ANY = BOOL + INT + FLOAT + COMPLEX
PART = ("float32", "float64")  # the parts of complex64 and complex128

#: human names of the dtype sets, for verifier messages
DESCRIPTIONS = {
    BOOL: "bool (i1)", SINT: "signed int", UINT: "unsigned int", INT: "int", FLOAT: "float",
    COMPLEX: "complex", INEXACT: "float or complex", ORDERED: "bool (i1) or int or float",
    ARITHMETIC: "int or float or complex", ANY: "any mt element type",
    INT + FLOAT: "int or float", BOOL + INT: "bool (i1) or int", PART: "f32 or f64",
}  # fmt: skip


def special(name: str) -> Callable[..., np.ndarray]:
    """`scipy.special.<name>`, imported on first call (scipy.special costs ~150 ms to import)."""

    def call(*args: np.ndarray) -> np.ndarray:
        import scipy.special

        return getattr(scipy.special, name)(*args)

    call.__name__ = name
    return call



def tri_gamma(x: np.ndarray) -> np.ndarray:
    """polygamma(1, x) (scipy.special), in x's dtype."""
    import scipy.special

    return np.asarray(scipy.special.polygamma(1, x)).astype(x.dtype, copy=False)


def round_half_away(x: np.ndarray) -> np.ndarray:
    """C's round. floor(x + 0.5) is wrong for 0.49999999999999994; x - trunc(x) is exact."""
    if x.dtype.kind != "f":
        return x
    t = np.trunc(x)
    return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t).astype(x.dtype)


def softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(np.zeros((), x.dtype), x)  # log(1 + exp(x)) without overflow


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(special("expit")(x)).astype(x.dtype, copy=False)


def floordiv(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Python's //; an integer division by zero gives 0 (numpy's value; native code never traps)."""
    if a.dtype.kind in "iub":
        with np.errstate(divide="ignore"):
            return np.where(b == 0, 0, np.floor_divide(a, np.where(b == 0, 1, b))).astype(a.dtype)
    return np.floor_divide(a, b)


def mod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Python's % (the divisor's sign); an integer modulo by zero gives 0."""
    if a.dtype.kind in "iub":
        return np.where(b == 0, 0, np.mod(a, np.where(b == 0, 1, b))).astype(a.dtype)
    return np.mod(a, b)


def power(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a ** b. An integer base with a negative exponent (numpy raises) is C-like:
    1 for base 1, +-1 for base -1, else 0 (what the native loops compute)."""
    if a.dtype.kind in "iu":
        neg = b < 0
        r = np.power(a, np.where(neg, 0, b))
        alt = np.where(a == 1, 1, np.where(a == -1, np.where(b % 2 == 0, 1, -1), 0))
        return np.where(neg, alt, r).astype(a.dtype)
    return np.power(a, b)


def complex_from_parts(re: np.ndarray, im: np.ndarray) -> np.ndarray:
    """re + i im in the complex type of re's float type (float32 -> complex64)."""
    dtype = np.complex64 if re.dtype == np.float32 else np.complex128
    out = np.empty(np.broadcast_shapes(np.shape(re), np.shape(im)), dtype)
    out.real, out.imag = re, im
    return out


@dataclass(frozen=True)
class Meaning:
    """One elementwise op: `mt.<name>`."""

    name: str
    family: str  # "unary", "involution", "binary", "compare", "predicate", "part" or "compose"
    dtypes: tuple[str, ...]  # numpy dtypes it computes in (all operands have one dtype)
    numpy: Callable[..., Any]
    doc: str = ""
    commutative: bool = False


_BITWISE = "logical on i1, bitwise on ints"
_U, _I, _B, _C, _P = "unary", "involution", "binary", "compare", "predicate"
_PART, _COMPOSE = "part", "compose"  # complex -> its real type; two reals -> complex
_M = Meaning

MEANINGS: dict[str, Meaning] = {m.name: m for m in [
    _M("neg", _I, ARITHMETIC, np.negative),
    _M("abs", _U, INT + FLOAT, np.abs),
    _M("exp", _U, INEXACT, np.exp),
    _M("exp2", _U, INEXACT, np.exp2),
    _M("expm1", _U, INEXACT, np.expm1, "exp(x) - 1"),
    _M("log", _U, INEXACT, np.log),
    _M("log2", _U, INEXACT, np.log2),
    _M("log10", _U, INEXACT, np.log10),
    _M("log1p", _U, INEXACT, np.log1p, "log(1 + x)"),
    _M("sqrt", _U, INEXACT, np.sqrt),
    _M("sin", _U, INEXACT, np.sin),
    _M("cos", _U, INEXACT, np.cos),
    _M("tan", _U, INEXACT, np.tan),
    _M("asin", _U, INEXACT, np.arcsin),
    _M("acos", _U, INEXACT, np.arccos),
    _M("atan", _U, INEXACT, np.arctan),
    _M("sinh", _U, INEXACT, np.sinh),
    _M("cosh", _U, INEXACT, np.cosh),
    _M("tanh", _U, INEXACT, np.tanh),
    _M("asinh", _U, INEXACT, np.arcsinh),
    _M("acosh", _U, INEXACT, np.arccosh),
    _M("atanh", _U, INEXACT, np.arctanh),
    _M("floor", _U, FLOAT, np.floor),
    _M("ceil", _U, FLOAT, np.ceil),
    _M("round", _U, FLOAT, np.rint, "round half to even, like numpy.round"),
    _M("round_away", _U, FLOAT, round_half_away, "round half away from zero (C round)"),
    _M("trunc", _U, FLOAT, np.trunc),
    _M("sign", _U, INT + FLOAT, np.sign),
    _M("erf", _U, FLOAT, special("erf")),
    _M("erfc", _U, FLOAT, special("erfc"), "1 - erf(x)"),
    _M("erfinv", _U, FLOAT, special("erfinv")),
    _M("erfcinv", _U, FLOAT, special("erfcinv")),
    _M("gammaln", _U, FLOAT, special("gammaln"), "log|gamma(x)|"),
    _M("psi", _U, FLOAT, special("psi"), "digamma"),
    _M("tri_gamma", _U, FLOAT, tri_gamma, "trigamma: polygamma(1, x)"),
    _M("gamma", _U, FLOAT, special("gamma")),
    _M("erfcx", _U, FLOAT, special("erfcx"), "scaled complementary error function exp(x**2) * erfc(x)"),
    _M("j0", _U, FLOAT, special("j0"), "Bessel function of the first kind, order 0"),
    _M("j1", _U, FLOAT, special("j1"), "Bessel function of the first kind, order 1"),
    _M("i0", _U, FLOAT, special("i0"), "modified Bessel function of order 0"),
    _M("i1", _U, FLOAT, special("i1"), "modified Bessel function of order 1"),
    _M("sigmoid", _U, FLOAT, sigmoid, "1 / (1 + exp(-x))"),
    _M("softplus", _U, FLOAT, softplus, "log(1 + exp(x))"),
    _M("reciprocal", _U, INEXACT, np.reciprocal, "1 / x"),
    _M("not", _I, BOOL + INT, np.invert, "logical not on i1, bitwise invert on ints"),
    _M("add", _B, ARITHMETIC, np.add, commutative=True),
    _M("sub", _B, ARITHMETIC, np.subtract),
    _M("mul", _B, ARITHMETIC, np.multiply, commutative=True),
    _M("div", _B, INEXACT, np.true_divide, "true division"),
    _M("floordiv", _B, INT + FLOAT, floordiv, "floor division (Python //); an int divisor 0 gives 0"),
    _M("mod", _B, INT + FLOAT, mod, "remainder with the divisor's sign (Python %); an int divisor 0 gives 0"),
    _M("pow", _B, ARITHMETIC, power, "a ** b; an int base to a negative power is C-like (1, +-1 or 0)"),
    _M("max", _B, ORDERED + COMPLEX, np.maximum, "elementwise maximum, NaN propagates", commutative=True),
    _M("min", _B, ORDERED + COMPLEX, np.minimum, "elementwise minimum, NaN propagates", commutative=True),
    _M("and", _B, BOOL + INT, np.bitwise_and, _BITWISE, commutative=True),
    _M("or", _B, BOOL + INT, np.bitwise_or, _BITWISE, commutative=True),
    _M("xor", _B, BOOL + INT, np.bitwise_xor, _BITWISE, commutative=True),
    _M("atan2", _B, FLOAT, np.arctan2, "atan2(lhs, rhs), the angle of the point (rhs, lhs)"),
    _M("hypot", _B, FLOAT, np.hypot, "sqrt(lhs**2 + rhs**2)", commutative=True),
    _M("jv", _B, FLOAT, special("jv"), "Bessel function of the first kind of real order lhs at rhs"),
    _M("gammainc", _B, FLOAT, special("gammainc"), "regularized lower incomplete gamma P(lhs, rhs)"),
    _M("gammaincc", _B, FLOAT, special("gammaincc"), "regularized upper incomplete gamma Q(lhs, rhs)"),
    _M("iv", _B, FLOAT, special("iv"), "modified Bessel function of real order lhs at rhs"),
    _M("eq", _C, ANY, np.equal, commutative=True),
    _M("ne", _C, ANY, np.not_equal, commutative=True),
    _M("lt", _C, ORDERED + COMPLEX, np.less),
    _M("le", _C, ORDERED + COMPLEX, np.less_equal),
    _M("gt", _C, ORDERED + COMPLEX, np.greater),
    _M("ge", _C, ORDERED + COMPLEX, np.greater_equal),
    _M("isnan", _P, INEXACT, np.isnan),
    _M("isinf", _P, INEXACT, np.isinf),
    # complex numbers: parts and polar form (numpy's real, imag, angle, abs), conjugate, construction
    _M("real", _PART, COMPLEX, np.real, "the real part"),
    _M("imag", _PART, COMPLEX, np.imag, "the imaginary part"),
    _M("angle", _PART, COMPLEX, np.angle, "the argument, atan2(imag, real)"),
    _M("cabs", _PART, COMPLEX, np.abs, "the modulus |z| = hypot(real, imag), without overflow"),
    _M("conj", _I, COMPLEX, np.conjugate, "the complex conjugate"),
    _M("complex", _COMPOSE, PART, complex_from_parts, "lhs + i rhs, from two reals of one type"),
]}  # fmt: skip


def meaning(name: str) -> Meaning:
    """The row of `mt.<name>`."""
    try:
        return MEANINGS[name]
    except KeyError:
        raise KeyError(f"mt.{name} is not an elementwise op; known: {', '.join(MEANINGS)}") from None
