"""Elementwise ops and DimShuffle.

Every elementwise operation is one row of `SCALARS`: its name, arity, numpy
meaning, dtype rule, accepted dtypes, the `mt` op it emits to and its
gradient. One `Elemwise` Op class implements broadcasting, the type rule,
the shape rule, the numpy reference, emission, the gradient (summing over
broadcast dims is done once, by mlc.gradient) and vectorization for all of
them (JAX's `standard_naryop`).

The gradient column is `grad(g, y, *xs) -> one term per input`, with g the
gradient of the output y; `None` marks a piecewise-constant op (zero
gradient: comparisons, floor, sign, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mlc.dialects.mt import scalars
from mlc.graph import Apply, GraphError, Op, ShapeError, TensorType, built_at
from mlc.graph.dtype import (ALL, BOOL, COMPLEX, DISCRETE, FLOATS, INTS, check_dtype, upcast,
                             upgrade_to_float)
from mlc.tensor.var import as_tensor_variable


def _m(mt_name: str):
    """The numpy meaning of `mt.<mt_name>`, from the one table both levels read."""
    return scalars.meaning(mt_name).numpy

ORDERED = BOOL + INTS + FLOATS
NONBOOL = INTS + FLOATS + COMPLEX  # numpy promotes bool for these (or raises): mlc asks for a cast


def _same(*dtypes: str) -> str:
    return upcast(*dtypes)


def _float(*dtypes: str) -> str:
    return upgrade_to_float(*dtypes)


def _bool(*dtypes: str) -> str:
    return "bool"


def _abs_rule(d: str) -> str:
    """Theano's real_out: a complex number's parts (abs, real, imag); other dtypes unchanged."""
    return {"complex64": "float32", "complex128": "float64"}.get(d, d)


def _complex_of(d: str) -> str:
    """The complex dtype a real dtype is computed in by imag/angle (float32 and narrower: complex64)."""
    if d in COMPLEX:
        return d
    return "complex128" if upgrade_to_float(d) == "float64" else "complex64"


def _complex_rule(a: str, b: str) -> str:
    """Theano's Complex.output_types_preference: complex128 for 64-bit floats and 32/64-bit ints."""
    wide = upcast(a, b) in ("float64", "int64", "uint64", "int32", "uint32")
    return "complex128" if wide else "complex64"


def _parts_of(a: str, b: str) -> str:
    return _abs_rule(_complex_rule(a, b))


def _float64(*dtypes: str) -> str:
    return "float64"  # Theano's angle: specific_out(float64)


@dataclass(frozen=True)
class Scalar:
    """One elementwise operation, defined once."""

    name: str                        # graph-level name (Theano's)
    nin: int
    numpy: Callable                  # reference semantics on arrays of the compute dtype
    out_dtype: Callable[..., str]    # dtype rule: input dtypes -> output dtype
    accepts: tuple[str, ...]         # input dtypes the op is defined on
    mt: str | None                   # name of the mt op it emits to (mt.<name>)
    symbol: str | None = None        # infix symbol for pretty printing
    compute_in_out: bool = True      # operands cast to the output dtype (else to upcast(inputs))
    compute: Callable[..., str] | None = None  # explicit compute-dtype rule, overrides the above
    grad: Callable[..., tuple] | None | str = "missing"  # (g, y, *xs) -> terms; None: zero gradient

    def __reduce__(self):
        # the table's callables are lambdas: a Scalar pickles as its row's name (pickle, Dask)
        return _scalar_named, (self.name,)

    def compute_dtype(self, in_dtypes: tuple[str, ...]) -> str:
        if self.compute is not None:
            return self.compute(*in_dtypes)
        return self.out_dtype(*in_dtypes) if self.compute_in_out else upcast(*in_dtypes)






def _undefined(name: str, why: str):
    """A gradient term mlc does not define (Theano: grad_not_implemented); taking it raises NullTypeGradError."""
    from mlc.gradient import NullGrad

    return NullGrad(f"{name}: {why}")


def _order_grad(name: str, v):
    return _undefined(name, f"the gradient with respect to the order {v} is not defined")




def _c(value, like):
    """A constant in the dtype of `like` (keeps float32 gradients float32)."""
    from mlc.tensor.var import constant

    return constant(np.asarray(value, dtype=like.dtype))


def _pow_grad(g, y, a, b):
    # d(a**b)/db = log(a) * a**b, taken as 0 at a == 0 (the limit for b > 0) rather than nan
    return g * b * a ** (b - 1), g * switch(eq(a, 0), 0, log(a) * y)


def _is_complex(v) -> bool:
    return v.dtype in COMPLEX


def _mul_grad(g, y, a, b):
    # Theano's Mul.grad: with g = dC/dRe + i dC/dIm, the term for a is conj(b) * g (a real
    # input keeps the real part, mlc.gradient.fit_term)
    if _is_complex(y):
        return g * conj(b), g * conj(a)
    return g * b, g * a


def _abs_grad(g, y, x):
    return (g * x / abs(x),) if _is_complex(x) else (g * sgn(x),)  # Theano: gz * x / abs(x) for complex


def _zeros(like):
    from mlc.tensor.alloc import zeros_like

    return zeros_like(like)


def _real_grad(g, y, x):
    return (complex(g, _zeros(g)),) if _is_complex(x) else (g,)


def _imag_grad(g, y, x):
    from mlc.gradient import ZERO

    return (complex(_zeros(g), g),) if _is_complex(x) else (ZERO,)


def _angle_grad(g, y, z):
    # d angle / d(re, im) = (-im, re) / |z|^2 (Theano's formula is wrong in the imaginary part:
    # it gives -g im^2 / (|z|^2 |re|); this is the derivative finite differences confirm)
    from mlc.gradient import ZERO

    if not _is_complex(z):
        return (ZERO,)
    re, im = real(z), imag(z)
    r2 = re * re + im * im
    return (complex(-g * im / r2, g * re / r2),)


def _complex_grad(g, y, a, b):
    return real(g), imag(g)


#: elementwise ops whose gradient rule holds for complex operands (the rest raise, as in Theano)
COMPLEX_GRADS = frozenset({"add", "sub", "mul", "neg", "identity", "abs", "real", "imag", "angle", "conj",
                           "complex"})


def _atan2_grad(g, y, a, b):
    r2 = a * a + b * b
    return g * b / r2, -g * a / r2


_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)

_S = Scalar
SCALARS: dict[str, Scalar] = {s.name: s for s in [
    # binary arithmetic
    _S("add", 2, _m("add"), _same, ALL, "add", "+", grad=lambda g, y, a, b: (g, g)),
    _S("sub", 2, _m("sub"), _same, ALL, "sub", "-", grad=lambda g, y, a, b: (g, -g)),
    _S("mul", 2, _m("mul"), _same, ALL, "mul", "*", grad=_mul_grad),
    _S("true_div", 2, _m("div"), _float, ALL, "div", "/", grad=lambda g, y, a, b: (g / b, -g * y / b)),
    _S("int_div", 2, _m("floordiv"), _same, INTS + FLOATS, "floordiv", "//", grad=None),
    _S("mod", 2, _m("mod"), _same, INTS + FLOATS, "mod", "%", grad=lambda g, y, a, b: (g, -g * int_div(a, b))),
    _S("pow", 2, _m("pow"), _same, NONBOOL, "pow", "**", grad=_pow_grad),
    _S("maximum", 2, _m("max"), _same, ORDERED + COMPLEX, "max", grad=lambda g, y, a, b: (g * eq(y, a), g * eq(y, b))),
    _S("minimum", 2, _m("min"), _same, ORDERED + COMPLEX, "min", grad=lambda g, y, a, b: (g * eq(y, a), g * eq(y, b))),
    _S("arctan2", 2, _m("atan2"), _float, ORDERED, "atan2", grad=_atan2_grad),
    _S("hypot", 2, _m("hypot"), _float, ORDERED, "hypot", grad=lambda g, y, a, b: (g * a / y, g * b / y)),
    _S("and_", 2, _m("and"), _same, DISCRETE, "and", "&", grad=None),
    _S("or_", 2, _m("or"), _same, DISCRETE, "or", "|", grad=None),
    _S("xor", 2, _m("xor"), _same, DISCRETE, "xor", "^", grad=None),
    # comparisons: computed in the upcast dtype, result bool
    _S("eq", 2, _m("eq"), _bool, ALL, "eq", "==", False, grad=None),
    _S("neq", 2, _m("ne"), _bool, ALL, "ne", "!=", False, grad=None),
    _S("lt", 2, _m("lt"), _bool, ORDERED + COMPLEX, "lt", "<", False, grad=None),
    _S("le", 2, _m("le"), _bool, ORDERED + COMPLEX, "le", "<=", False, grad=None),
    _S("gt", 2, _m("gt"), _bool, ORDERED + COMPLEX, "gt", ">", False, grad=None),
    _S("ge", 2, _m("ge"), _bool, ORDERED + COMPLEX, "ge", ">=", False, grad=None),
    _S("isnan", 1, _m("isnan"), _bool, ALL, "isnan", None, False, _float, grad=None),
    _S("isinf", 1, _m("isinf"), _bool, ALL, "isinf", None, False, _float, grad=None),
    # unary, same dtype
    _S("neg", 1, _m("neg"), _same, NONBOOL, "neg", "-", grad=lambda g, y, x: (-g,)),
    _S("abs", 1, _m("abs"), _abs_rule, ALL, "abs", None, False, grad=_abs_grad),
    _S("sgn", 1, _m("sign"), _same, INTS + FLOATS, "sign", grad=None),
    _S("invert", 1, _m("not"), _same, DISCRETE, "not", "~", grad=None),
    _S("identity", 1, lambda x: x.copy(), _same, ALL, None, grad=lambda g, y, x: (g,)),
    # unary, float-valued (integers are upgraded to float, like Theano)
    _S("exp", 1, _m("exp"), _float, ALL, "exp", grad=lambda g, y, x: (g * y,)),
    _S("exp2", 1, _m("exp2"), _float, ALL, "exp2", grad=lambda g, y, x: (g * y * _c(np.log(2), g),)),
    _S("expm1", 1, _m("expm1"), _float, ALL, "expm1", grad=lambda g, y, x: (g * (y + 1),)),
    _S("log", 1, _m("log"), _float, ALL, "log", grad=lambda g, y, x: (g / x,)),
    _S("log2", 1, _m("log2"), _float, ALL, "log2", grad=lambda g, y, x: (g / (x * _c(np.log(2), g)),)),
    _S("log10", 1, _m("log10"), _float, ALL, "log10", grad=lambda g, y, x: (g / (x * _c(np.log(10), g)),)),
    _S("log1p", 1, _m("log1p"), _float, ALL, "log1p", grad=lambda g, y, x: (g / (x + 1),)),
    _S("sqrt", 1, _m("sqrt"), _float, ALL, "sqrt", grad=lambda g, y, x: (g / (y * 2),)),
    _S("sin", 1, _m("sin"), _float, ALL, "sin", grad=lambda g, y, x: (g * cos(x),)),
    _S("cos", 1, _m("cos"), _float, ALL, "cos", grad=lambda g, y, x: (-g * sin(x),)),
    _S("tan", 1, _m("tan"), _float, ALL, "tan", grad=lambda g, y, x: (g * (y * y + 1),)),
    _S("arcsin", 1, _m("asin"), _float, ALL, "asin", grad=lambda g, y, x: (g / sqrt(1 - x * x),)),
    _S("arccos", 1, _m("acos"), _float, ALL, "acos", grad=lambda g, y, x: (-g / sqrt(1 - x * x),)),
    _S("arctan", 1, _m("atan"), _float, ALL, "atan", grad=lambda g, y, x: (g / (x * x + 1),)),
    _S("sinh", 1, _m("sinh"), _float, ALL, "sinh", grad=lambda g, y, x: (g * cosh(x),)),
    _S("cosh", 1, _m("cosh"), _float, ALL, "cosh", grad=lambda g, y, x: (g * sinh(x),)),
    _S("tanh", 1, _m("tanh"), _float, ALL, "tanh", grad=lambda g, y, x: (g * (1 - y * y),)),
    _S("arcsinh", 1, _m("asinh"), _float, ALL, "asinh", grad=lambda g, y, x: (g / sqrt(x * x + 1),)),
    _S("arccosh", 1, _m("acosh"), _float, ALL, "acosh", grad=lambda g, y, x: (g / sqrt(x * x - 1),)),
    _S("arctanh", 1, _m("atanh"), _float, ALL, "atanh", grad=lambda g, y, x: (g / (1 - x * x),)),
    _S("floor", 1, _m("floor"), _float, ORDERED, "floor", grad=None),
    _S("ceil", 1, _m("ceil"), _float, ORDERED, "ceil", grad=None),
    _S("trunc", 1, _m("trunc"), _float, ORDERED, "trunc", grad=None),
    _S("round_half_to_even", 1, _m("round"), _float, ORDERED, "round", grad=None),
    _S("round_half_away_from_zero", 1, _m("round_away"), _float, ORDERED, "round_away", grad=None),
    _S("erf", 1, _m("erf"), _float, ORDERED, "erf",
       grad=lambda g, y, x: (g * _c(_TWO_OVER_SQRT_PI, g) * exp(-x * x),)),
    _S("erfc", 1, _m("erfc"), _float, ORDERED, "erfc",
       grad=lambda g, y, x: (-g * _c(_TWO_OVER_SQRT_PI, g) * exp(-x * x),)),
    _S("erfinv", 1, _m("erfinv"), _float, ORDERED, "erfinv",
       grad=lambda g, y, x: (g / _c(_TWO_OVER_SQRT_PI, g) * exp(y * y),)),
    # special functions (scipy.special's meaning; compiled to calls of scipy's compiled scalar code)
    _S("gammaln", 1, _m("gammaln"), _float, ORDERED, "gammaln", grad=lambda g, y, x: (g * psi(x),)),
    _S("psi", 1, _m("psi"), _float, ORDERED, "psi", grad=lambda g, y, x: (g * tri_gamma(x),)),
    _S("tri_gamma", 1, _m("tri_gamma"), _float, ORDERED, "tri_gamma",
       grad=lambda g, y, x: (_undefined("tri_gamma", "its gradient (polygamma(2, x)) is not implemented"),)),
    _S("gamma", 1, _m("gamma"), _float, ORDERED, "gamma", grad=lambda g, y, x: (g * y * psi(x),)),
    _S("erfcinv", 1, _m("erfcinv"), _float, ORDERED, "erfcinv",
       grad=lambda g, y, x: (-g / _c(_TWO_OVER_SQRT_PI, g) * exp(y * y),)),
    _S("erfcx", 1, _m("erfcx"), _float, ORDERED, "erfcx",
       grad=lambda g, y, x: (g * (2 * x * y - _c(_TWO_OVER_SQRT_PI, g)),)),
    _S("gammainc", 2, _m("gammainc"), _float, ORDERED, "gammainc",
       grad=lambda g, y, k, x: (_undefined("gammainc", "the gradient with respect to k is not implemented"),
                                g * exp(-x + (k - 1) * log(x) - gammaln(k)))),
    _S("gammaincc", 2, _m("gammaincc"), _float, ORDERED, "gammaincc",
       grad=lambda g, y, k, x: (_undefined("gammaincc", "the gradient with respect to k is not implemented"),
                                -g * exp(-x + (k - 1) * log(x) - gammaln(k)))),
    _S("j0", 1, _m("j0"), _float, ORDERED, "j0", grad=lambda g, y, x: (-g * j1(x),)),
    _S("j1", 1, _m("j1"), _float, ORDERED, "j1", grad=lambda g, y, x: (g * (j0(x) - jv(2, x)) / 2,)),
    _S("i0", 1, _m("i0"), _float, ORDERED, "i0", grad=lambda g, y, x: (g * i1(x),)),
    _S("i1", 1, _m("i1"), _float, ORDERED, "i1", grad=lambda g, y, x: (g * (i0(x) + iv(2, x)) / 2,)),
    _S("jv", 2, _m("jv"), _float, ORDERED, "jv",
       grad=lambda g, y, v, x: (_order_grad("jv", v), g * (jv(v - 1, x) - jv(v + 1, x)) / 2)),
    _S("iv", 2, _m("iv"), _float, ORDERED, "iv",
       grad=lambda g, y, v, x: (_order_grad("iv", v), g * (iv(v - 1, x) + iv(v + 1, x)) / 2)),
    _S("sigmoid", 1, _m("sigmoid"), _float, ORDERED, "sigmoid", grad=lambda g, y, x: (g * y * (1 - y),)),
    _S("softplus", 1, _m("softplus"), _float, ORDERED, "softplus", grad=lambda g, y, x: (g * sigmoid(x),)),
    _S("inv", 1, _m("reciprocal"), _float, ALL, "reciprocal", grad=lambda g, y, x: (-g * y * y,)),
    _S("sqr", 1, np.square, _same, NONBOOL, None, grad=lambda g, y, x: (g * x * 2,)),
    # complex numbers (Theano's real, imag, angle, conj, complex; numpy's meaning)
    _S("real", 1, np.real, _abs_rule, ALL, "real", compute_in_out=False, grad=_real_grad),
    _S("imag", 1, np.imag, _abs_rule, ALL, "imag", compute=_complex_of, grad=_imag_grad),
    _S("angle", 1, np.angle, _float64, ALL, "angle", compute=_complex_of, grad=_angle_grad),
    _S("conj", 1, np.conjugate, _same, NONBOOL, "conj", grad=lambda g, y, x: (conj(g),)),
    _S("complex", 2, _m("complex"), _complex_rule, INTS + FLOATS, "complex", compute=_parts_of,
       grad=_complex_grad),
]}


def _scalar_named(name: str) -> Scalar:
    return SCALARS[name]


def _check_dtypes(s: Scalar, inputs) -> None:
    for v in inputs:
        if v.dtype not in s.accepts:
            raise TypeError(f"{s.name}: expected inputs of dtype in ({', '.join(s.accepts)}), "
                            f"got {v} of dtype {v.dtype}{built_at(v)}")
    if s.name == "sub" and all(v.dtype == "bool" for v in inputs):
        raise TypeError(f"sub: subtracting booleans is not defined (numpy raises too); "
                        f"got {', '.join(map(str, inputs))}; use xor or cast first")


class Elemwise(Op):
    """Apply one `Scalar` elementwise, with Theano's broadcasting."""

    __props__ = ("scalar",)

    def __init__(self, scalar: Scalar):
        self.scalar = scalar

    def __str__(self) -> str:
        return f"Elemwise{{{self.scalar.name}}}"

    def make_node(self, *inputs) -> Apply:
        s = self.scalar
        if len(inputs) != s.nin:
            raise TypeError(f"{s.name}: expected {s.nin} inputs, got {len(inputs)}")
        inputs = [as_tensor_variable(i) for i in inputs]
        _check_dtypes(s, inputs)
        ndim = max(v.ndim for v in inputs)
        # Theano pads missing leading dims with broadcastable ones.
        inputs = [v if v.ndim == ndim else v.dimshuffle(*(["x"] * (ndim - v.ndim) + list(range(v.ndim))))
                  for v in inputs]
        _check_static_shapes(s.name, inputs)
        bcast = tuple(all(v.broadcastable[i] for v in inputs) for i in range(ndim))
        out = TensorType(s.out_dtype(*[v.dtype for v in inputs]), bcast)
        return Apply(self, inputs, [out])

    def perform(self, node, inputs):
        s = self.scalar
        cd = s.compute_dtype(tuple(v.dtype for v in node.inputs))
        args = [np.asarray(a).astype(cd, copy=False) for a in inputs]
        with np.errstate(all="ignore"):
            r = s.numpy(*args)
        return [np.asarray(r).astype(node.out.dtype, copy=False)]

    def infer_shape(self, node, shapes, value):
        return [broadcast_shapes(self.scalar.name, node, shapes)]

    def emit(self, ctx, node, operands):
        s = self.scalar
        out_t = node.out.type
        cd = s.compute_dtype(tuple(v.dtype for v in node.inputs))
        args = [ctx.broadcast_to(ctx.cast(o, cd), v.type, out_t, node.inputs, operands)
                for o, v in zip(operands, node.inputs)]
        if s.name == "identity" or (s.name == "abs" and cd == "bool"):
            return [args[0]]
        if s.name in ("real", "conj") and cd not in COMPLEX:
            return [ctx.cast(args[0], out_t.dtype)]  # a real number is its own real part and conjugate
        if s.name == "abs" and cd in COMPLEX:
            return [ctx.cast(ctx.mt(node, "cabs", args), out_t.dtype)]
        if s.name in ("real", "imag", "angle"):
            return [ctx.cast(ctx.mt(node, s.mt, args), out_t.dtype)]
        if s.name == "complex":
            return [ctx.mt(node, "complex", args)]
        if s.name == "sqr":
            return [ctx.mt(node, "mul", [args[0], args[0]])]
        r = ctx.mt(node, s.mt, args)
        return [ctx.cast(r, out_t.dtype)]

    def L_op(self, inputs, outputs, output_grads):
        rule = self.scalar.grad
        if self.scalar.name not in COMPLEX_GRADS and any(v.dtype in COMPLEX for v in [*inputs, *outputs]):
            raise NotImplementedError(f"elementwise {self.scalar.name}: no gradient through complex numbers "
                                      f"(Theano defines complex gradients only for {', '.join(sorted(COMPLEX_GRADS))})")
        if rule == "missing":
            raise NotImplementedError(f"elementwise {self.scalar.name} has no gradient rule (SCALARS' grad column)")
        if rule is None:
            from mlc.gradient import ZERO

            return [ZERO] * len(inputs)
        return list(rule(output_grads[0], outputs[0], *inputs))

    def batch(self, node, inputs, batched):
        return [self(*inputs)]  # make_node pads the unbatched operands with a leading broadcastable dim


def _check_static_shapes(name: str, inputs) -> None:
    """Constants have known shapes: mismatches are caught at graph-build time."""
    from mlc.graph import Constant

    known = [(v, v.data.shape) for v in inputs if isinstance(v, Constant)]
    for i in range(inputs[0].ndim):
        sizes = {shape[i] for v, shape in known if shape[i] != 1}
        if len(sizes) > 1:
            shown = ", ".join(str(shape) for _, shape in known)
            raise GraphError(f"{name}: constant operands of shapes {shown} do not broadcast "
                             f"(dimension {i}){built_at(known[0][0])}")


def broadcast_shapes(name: str, node, shapes) -> tuple[int, ...]:
    """Concrete result shape of an elementwise node, or a ShapeError naming the user's line."""
    out = []
    for i in range(len(shapes[0])):
        size = None
        for v, sh in zip(node.inputs, shapes):
            if v.broadcastable[i]:
                continue
            if size is None:
                size = sh[i]
            elif sh[i] != size:
                shown = " and ".join(str(tuple(s)) for s in shapes)
                raise ShapeError(f"{name}: input shapes {shown} do not match in dimension {i} "
                                 f"(only dimensions declared broadcastable may broadcast){built_at(node.out)}")
        out.append(1 if size is None else size)
    return tuple(out)


_ELEMWISE: dict[str, Elemwise] = {name: Elemwise(s) for name, s in SCALARS.items()}


def apply_elemwise(name: str, *args):
    return _ELEMWISE[name](*args)


def _unary(name: str):
    def fn(x):
        return _ELEMWISE[name](x)

    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} (numpy: {getattr(SCALARS[name].numpy, '__name__', name)}); emits mt.{SCALARS[name].mt}."
    return fn


def _binary(name: str):
    def fn(a, b):
        return _ELEMWISE[name](a, b)

    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} with broadcasting; emits mt.{SCALARS[name].mt}."
    return fn


# ----------------------------------------------------------------------------
# Cast
# ----------------------------------------------------------------------------


class Cast(Op):
    """Convert to another dtype (numpy astype semantics; float->int truncates)."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str):
        self.dtype = check_dtype(dtype)

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType(self.dtype, x.broadcastable)])

    def perform(self, node, inputs):
        with np.errstate(all="ignore"):
            return [np.asarray(inputs[0]).astype(self.dtype)]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def emit(self, ctx, node, operands):
        return [ctx.cast(operands[0], self.dtype, node)]

    def grad(self, inputs, output_grads):
        return [output_grads[0]]  # cast back to the input's dtype by mlc.gradient; int outputs give zeros

    def batch(self, node, inputs, batched):
        return [self(inputs[0])]


def cast(x, dtype):
    """`x` converted to `dtype` ('floatX' allowed); a no-op if already of that dtype."""
    x = as_tensor_variable(x)
    dtype = check_dtype(dtype)
    if x.dtype == dtype:
        return x
    if x.dtype in COMPLEX and dtype not in COMPLEX:  # Theano's rule
        raise TypeError(f"cast: casting {x} from {x.dtype} to {dtype} is ambiguous: consider real(), imag(), "
                        f"angle() or abs(){built_at(x)}")
    return Cast(dtype)(x)


# ----------------------------------------------------------------------------
# Switch (select) and clip
# ----------------------------------------------------------------------------


class Switch(Op):
    """`switch(cond, a, b)`: elementwise `a` where cond is true, else `b`."""

    def make_node(self, cond, a, b) -> Apply:
        cond, a, b = (as_tensor_variable(v) for v in (cond, a, b))
        if cond.dtype != "bool":
            cond = neq(cond, 0)
        ndim = max(cond.ndim, a.ndim, b.ndim)
        cond, a, b = (v if v.ndim == ndim else v.dimshuffle(*(["x"] * (ndim - v.ndim) + list(range(v.ndim))))
                      for v in (cond, a, b))
        _check_static_shapes("switch", [cond, a, b])
        bcast = tuple(cond.broadcastable[i] and a.broadcastable[i] and b.broadcastable[i] for i in range(ndim))
        return Apply(self, [cond, a, b], [TensorType(upcast(a.dtype, b.dtype), bcast)])

    def perform(self, node, inputs):
        c, a, b = inputs
        return [np.where(c, a, b).astype(node.out.dtype)]

    def infer_shape(self, node, shapes, value):
        return [broadcast_shapes("switch", node, shapes)]

    def emit(self, ctx, node, operands):
        out_t = node.out.type
        c, a, b = (ctx.broadcast_to(ctx.cast(o, d), v.type, out_t, node.inputs, operands)
                   for o, v, d in zip(operands, node.inputs, ("bool", out_t.dtype, out_t.dtype)))
        return [ctx.mt(node, "select", [c, a, b])]

    def grad(self, inputs, output_grads):
        from mlc.gradient import ZERO

        c, g = inputs[0], output_grads[0]
        return [ZERO, switch(c, g, 0), switch(c, 0, g)]

    def batch(self, node, inputs, batched):
        return [self(*inputs)]


_switch = Switch()


def switch(cond, ift, iff):
    """Elementwise `ift` where `cond` else `iff` (Theano's T.switch, numpy.where)."""
    return _switch(cond, ift, iff)


where = switch


def clip(x, a_min, a_max):
    """Theano's T.clip, elementwise: a_min where x < a_min, else a_max where x > a_max, else x.

    Theano's Clip rule, not numpy's: where a_min > a_max, an x below a_min
    gives a_min (numpy gives a_max). The gradient goes to the value chosen
    (at a tie, to x), as Theano's Clip.grad.
    """
    return switch(lt(x, a_min), a_min, switch(gt(x, a_max), a_max, x))


def round(a, mode=None):
    """Round elementwise; `mode` is 'half_to_even' (Theano 1.0.5's default, numpy's) or 'half_away_from_zero'."""
    if mode == "half_away_from_zero":
        return round_half_away_from_zero(a)
    if mode is None or mode == "half_to_even":
        return round_half_to_even(a)
    raise ValueError(f"round: expected mode 'half_away_from_zero' or 'half_to_even', got {mode!r}")


# ----------------------------------------------------------------------------
# DimShuffle
# ----------------------------------------------------------------------------


class DimShuffle(Op):
    """Reorder dims, insert broadcastable dims ('x'), drop broadcastable dims."""

    __props__ = ("input_broadcastable", "new_order")

    def __init__(self, input_broadcastable, new_order):
        self.input_broadcastable = tuple(input_broadcastable)
        order = []
        for p in new_order:
            if p == "x":
                order.append("x")
            elif isinstance(p, (int, np.integer)) and not isinstance(p, bool):
                order.append(int(p))
            else:
                raise TypeError(f"dimshuffle: expected ints or 'x' in the pattern, got {p!r}")
        self.new_order = tuple(order)
        nd = len(self.input_broadcastable)
        ints = [p for p in order if p != "x"]
        for p in ints:
            if not 0 <= p < nd:
                raise GraphError(f"dimshuffle: dimension {p} out of range for a {nd}-d input (pattern {new_order})")
        if len(set(ints)) != len(ints):
            raise GraphError(f"dimshuffle: pattern {tuple(new_order)} repeats a dimension")
        for i in range(nd):
            if i not in ints and not self.input_broadcastable[i]:
                raise GraphError(f"dimshuffle: cannot drop dimension {i}: it is not broadcastable "
                                 f"(input pattern {self.input_broadcastable}, new order {tuple(new_order)})")
        self.drop = tuple(i for i in range(nd) if i not in ints)

    def __str__(self) -> str:
        return f"DimShuffle{{{','.join(str(p) for p in self.new_order)}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x)
        if x.broadcastable != self.input_broadcastable:
            if len(x.broadcastable) != len(self.input_broadcastable):
                raise GraphError(f"dimshuffle: expected a {len(self.input_broadcastable)}-d input, got {x} "
                                 f"with {x.ndim} dims{built_at(x)}")
        bcast = tuple(True if p == "x" else x.broadcastable[p] for p in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, bcast)])

    def perform(self, node, inputs):
        x = np.asarray(inputs[0])
        x = x.reshape([n for i, n in enumerate(x.shape) if i not in self.drop])
        kept = [p for p in self.new_order if p != "x"]
        ranks = {p: i for i, p in enumerate(sorted(kept))}
        x = np.transpose(x, [ranks[p] for p in kept])
        return [x.reshape([1 if p == "x" else x.shape[kept.index(p)] for p in self.new_order])]

    def infer_shape(self, node, shapes, value):
        (sh,) = shapes
        return [tuple(1 if p == "x" else sh[p] for p in self.new_order)]

    def emit(self, ctx, node, operands):
        pattern = [-1 if p == "x" else p for p in self.new_order]
        if pattern == list(range(node.inputs[0].ndim)):
            return [operands[0]]
        return [ctx.mt(node, "dimshuffle", [operands[0]], pattern=pattern)]

    def grad(self, inputs, output_grads):
        # the inverse permutation; new 'x' dims are dropped, dropped dims come back as 'x'
        (g,) = output_grads
        order: list = ["x"] * len(self.input_broadcastable)
        for i, p in enumerate(self.new_order):
            if p != "x":
                order[p] = i
        return [DimShuffle(g.broadcastable, order)(g)]

    def batch(self, node, inputs, batched):
        (x,) = inputs
        return [DimShuffle(x.broadcastable, [0] + ["x" if p == "x" else p + 1 for p in self.new_order])(x)]


def tensor_copy(x):
    """A copy of `x` (Theano's tensor_copy)."""
    return _ELEMWISE["identity"](x)


def _variadic(name: str):
    def fn(a, *others):
        if not others:  # Theano's add(x) / mul(x): x itself (a copy)
            return tensor_copy(a)
        result = a
        for o in others:
            result = _ELEMWISE[name](result, o)
        return result

    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} of one or more tensors, with broadcasting (left to right); emits mt.{SCALARS[name].mt}."
    return fn


# public elementwise functions ------------------------------------------------
add = _variadic("add")
sub = _binary("sub")
mul = _variadic("mul")
true_div = _binary("true_div")
int_div = _binary("int_div")
floor_div = int_div
mod = _binary("mod")
pow = _binary("pow")
maximum = _binary("maximum")
minimum = _binary("minimum")
_TIES = """

    Gradient at ties (Theano's convention, kept on purpose): where a == b
    the output gradient goes to *both* operands in full (each gets
    `g * eq(out, operand)`), so it is counted twice, not split. For
    example `grad(minimum(maximum(a, b), b).sum(), [a, b])` at a == b
    gives 1 for a and 2 for b (directly and through maximum), where a
    subgradient would give 1 in total.
    """
maximum.__doc__ += _TIES
minimum.__doc__ += _TIES
arctan2 = _binary("arctan2")
hypot = _binary("hypot")
and_ = _binary("and_")
or_ = _binary("or_")
xor = _binary("xor")
bitwise_and, bitwise_or, bitwise_xor = and_, or_, xor
eq = _binary("eq")
neq = _binary("neq")
lt = _binary("lt")
le = _binary("le")
gt = _binary("gt")
ge = _binary("ge")
isnan = _unary("isnan")
isinf = _unary("isinf")
neg = _unary("neg")
abs = _unary("abs")
abs_ = abs
sgn = _unary("sgn")
sign = sgn
invert = _unary("invert")
bitwise_not = invert
exp = _unary("exp")
exp2 = _unary("exp2")
expm1 = _unary("expm1")
log = _unary("log")
log2 = _unary("log2")
log10 = _unary("log10")
log1p = _unary("log1p")
sqrt = _unary("sqrt")
sin = _unary("sin")
cos = _unary("cos")
tan = _unary("tan")
arcsin = _unary("arcsin")
arccos = _unary("arccos")
arctan = _unary("arctan")
sinh = _unary("sinh")
cosh = _unary("cosh")
tanh = _unary("tanh")
arcsinh = _unary("arcsinh")
arccosh = _unary("arccosh")
arctanh = _unary("arctanh")
floor = _unary("floor")
ceil = _unary("ceil")
trunc = _unary("trunc")
round_half_to_even = _unary("round_half_to_even")
round_half_away_from_zero = _unary("round_half_away_from_zero")
erf = _unary("erf")
erfc = _unary("erfc")
erfinv = _unary("erfinv")
erfcinv = _unary("erfcinv")
gammaln = _unary("gammaln")
psi = _unary("psi")
tri_gamma = _unary("tri_gamma")
gamma = _unary("gamma")
j0 = _unary("j0")
j1 = _unary("j1")
i0 = _unary("i0")
i1 = _unary("i1")
jv = _binary("jv")
iv = _binary("iv")
erfcx = _unary("erfcx")
gammainc = _binary("gammainc")
gammaincc = _binary("gammaincc")


def gammau(k, x):
    """The upper incomplete gamma function (not regularized): gammaincc(k, x) * gamma(k) (Theano's)."""
    return gammaincc(k, x) * gamma(k)


def gammal(k, x):
    """The lower incomplete gamma function (not regularized): gammainc(k, x) * gamma(k) (Theano's)."""
    return gammainc(k, x) * gamma(k)


def chi2sf(x, k):
    """The survival function of the chi-squared distribution with k degrees of freedom at x
    (scipy.stats.chi2.sf): gammaincc(k / 2, x / 2)."""
    return gammaincc(k / 2.0, x / 2.0)
sigmoid = _unary("sigmoid")
softplus = _unary("softplus")
inv = _unary("inv")
reciprocal = inv
sqr = _unary("sqr")
square = sqr
real = _unary("real")
real.__doc__ = "The real part of `z` (complex64 -> float32, complex128 -> float64; a real `z` is itself)."
imag = _unary("imag")
imag.__doc__ = "The imaginary part of `z` (complex64 -> float32, complex128 -> float64; zeros for a real `z`)."
angle = _unary("angle")
angle.__doc__ = "The argument atan2(imag(z), real(z)), float64 as in Theano (numpy.angle)."
conj = _unary("conj")
conj.__doc__ = "The complex conjugate (a real `z` is its own)."
conjugate = conj
complex = _binary("complex")
complex.__doc__ = ("The complex number `real + 1j * imag` from two real tensors (Theano's rule: complex128 for "
                   "float64 and 32/64-bit ints, else complex64); complex operands raise TypeError.")


def complex_from_polar(abs, angle):
    """`abs * (cos(angle) + 1j * sin(angle))`: a complex tensor from polar coordinates."""
    r, theta = as_tensor_variable(abs), as_tensor_variable(angle)
    dtype = _complex_rule(r.dtype, theta.dtype)
    part = _abs_rule(dtype)
    r, theta = cast(r, part), cast(theta, part)
    return _ELEMWISE["complex"](r * cos(theta), r * sin(theta))


def iround(a, mode=None):
    """Round to the nearest integer and cast to int64 (Theano's iround)."""
    return cast(round(a, mode), "int64")


def true_divide(a, b):
    return true_div(a, b)


def deg2rad(x):
    return x * (np.pi / 180.0)


def rad2deg(x):
    return x * (180.0 / np.pi)

