"""The ops the graph and gradient fuzzers draw from: one table row per op.

Each row gives the op twice, as code: `mlc` builds it from `mlc.tensor`
(imported as `T`) and `ref` computes it with numpy (`np`, plus the helpers
in `REF_NAMESPACE`). `{a}`, `{b}`, `{c}` are the operands' names and
`{p}` a parameter the row's `param` draws (an axis, a permutation, ...);
`slinalg` is `mlc.tensor.slinalg` (not an attribute of `T`, as in Theano).
The same text builds the graph, computes the reference and prints the
reproducer of a failure, so the three cannot disagree.

Operands are kept finite and small on purpose: rows that would leave a
function's domain wrap their argument (`log(abs(x) + 1)`), and the
generator drops any step whose reference value is not finite or exceeds
`LIMIT` (inputs avoid NaN/Inf, as the issue asks).

Flags:
* `dtypes`: operand kinds accepted: "float" (float32/float64), "int"
  (int64), "num" (either);
* `exact`: discontinuous in its operands (floor, comparisons, argmax...):
  applied only to graph inputs (exact values on a 1/8 grid), where both
  sides see the same bits;
* `smooth`: differentiable everywhere on the operands it is given, so the
  gradient fuzzer may use it (finite differences need smoothness);
* `shapes`: "same" (elementwise: operands broadcast), "any" (the row's
  `param` checks what it needs and returns None when it does not apply).

Adding an op to mlc means adding a row here (one line for most ops);
`covered()` lists the `mlc.tensor`/`nnet` names the rows exercise, and
test/unit/test_fuzz.py checks every row's code builds on small inputs.
"""

from __future__ import annotations

from collections.abc import Callable
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
import scipy.special

LIMIT = 1e4  # no value the generator keeps has a larger magnitude


def _bounded_z(expr: str) -> str:
    """`expr` with @Z (@N in numpy) a complex operand of parts in (-2, 2) built from {a} and {b}."""
    return expr.replace("@Z", "T.complex(T.tanh({a}) * 2, T.tanh({b}) * 2)").replace(
        "@N", "cplx(np.tanh({a}) * 2, np.tanh({b}) * 2)")


@dataclass(frozen=True)
class Row:
    name: str
    arity: int
    mlc: str
    ref: str
    dtypes: str = "float"
    exact: bool = False
    smooth: bool = False
    shapes: str = "same"
    param: Callable[[Any, list[Any]], Any] | None = None  # (rng, operand values) -> p or None


# ---------------------------------------------------------------------------
# parameters
# ---------------------------------------------------------------------------


def _axis(rng, vals):
    nd = vals[0].ref.ndim
    return None if nd == 0 else rng.choice([None, *range(nd)])


def _axis_nonempty(rng, vals):
    """An axis (or None) along which every reduced lane has an element (max, argmax...)."""
    a = vals[0].ref
    choices = ([None] if a.size else []) + [ax for ax in range(a.ndim) if a.shape[ax] > 0]
    return rng.choice(choices) if choices else "skip"


def _perm(rng, vals):
    nd = vals[0].ref.ndim
    if nd < 2:
        return None
    p = list(range(nd))
    rng.shuffle(p)
    return tuple(p)


def _dot_ok(rng, vals):
    a, b = vals[0].ref, vals[1].ref
    if a.ndim == 0 or b.ndim == 0 or a.ndim > 2 or b.ndim > 2:
        return None
    if a.shape[-1] != b.shape[0] or vals[0].bc[-1] or vals[1].bc[0]:
        return None  # a broadcastable 1 against a real dim is a shape error in Theano too
    return 0


def _concat_axis(rng, vals):
    a, b = vals[0], vals[1]
    if a.ref.ndim != b.ref.ndim or a.ref.ndim == 0 or a.ref.dtype != b.ref.dtype:
        return None
    axes = [ax for ax in range(a.ref.ndim)
            if all(a.ref.shape[d] == b.ref.shape[d] and a.bc[d] == b.bc[d] for d in range(a.ref.ndim) if d != ax)]
    return rng.choice(axes) if axes else None


def _slice(rng, vals):
    a = vals[0].ref
    if a.ndim == 0:
        return None
    return rng.choice(["1:", ":-1", "::-1", "::2", "1::2", ":0"])


def _index(rng, vals):
    a = vals[0].ref
    if a.ndim == 0 or a.shape[0] == 0:
        return None
    return int(rng.integers(-a.shape[0], a.shape[0]))


def _rows(rng, vals):
    """1 to 5 row indices of the first operand, repeats and negatives likely (advanced indexing)."""
    a = vals[0].ref
    if a.ndim == 0 or a.shape[0] == 0:
        return None
    n = a.shape[0]
    return [int(i) for i in rng.integers(-n, n, int(rng.integers(1, 6)))]


def _add_at(a, index, y):
    out = a.copy()
    np.add.at(out, index, y)
    return out


def _set_at(a, index, y):
    """a with a[index] = y, repeated positions in index order: the last one wins."""
    out = a.copy()
    for k, i in enumerate(index):
        out[i] = y[k]
    return out


def _rank_ge1(rng, vals):
    return 0 if vals[0].ref.ndim >= 1 else None


def _complex_dot_ok(rng, vals):
    """dot(complex(a, b), complex(b, a).T): a vector . vector (one ?gemv) or a square-enough matrix product."""
    return 0 if vals[0].ref.ndim <= 2 and not any(vals[0].bc) and not any(vals[1].bc) else None


def _dot_ok_2d(rng, vals):
    """Two matrices that multiply (the sparse operand must be a matrix)."""
    a, b = vals[0].ref, vals[1].ref
    return 0 if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] else None


def _same_2d(rng, vals):
    a, b = vals[0].ref, vals[1].ref
    return 0 if a.ndim == 2 and a.shape == b.shape else None


def _rank_2(rng, vals):
    return 0 if vals[0].ref.ndim == 2 else None


def _diag_offset(rng, vals):
    """A diagonal offset for AllocDiag of an operand of at most 2 dims."""
    return int(rng.integers(-1, 2)) if 1 <= vals[0].ref.ndim <= 2 else None


def _batched_ok(rng, vals):
    """Two operands of one batch (axis 0) where a's last axis meets b's axis 1 (batched_tensordot, 1 axis)."""
    a, b = vals[0], vals[1]
    if a.ref.ndim < 2 or b.ref.ndim < 2 or a.ref.shape[0] != b.ref.shape[0] or a.ref.shape[-1] != b.ref.shape[1]:
        return None
    return None if a.bc[0] != b.bc[0] or a.bc[-1] != b.bc[1] else 0


def _square_2(rng, vals):
    a = vals[0].ref
    return 0 if a.ndim == 2 and a.shape[0] == a.shape[1] > 0 else None


def _same_rows_2d(rng, vals):
    a, b = vals[0].ref, vals[1].ref
    return 0 if a.ndim == 2 and b.ndim == 2 and a.shape[0] == b.shape[0] else None


def _same_cols_2d(rng, vals):
    a, b = vals[0].ref, vals[1].ref
    return 0 if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[1] else None


def _square_2d(rng, vals):
    a = vals[0].ref
    return 0 if a.ndim == 2 and a.shape[0] == a.shape[1] else None


def _sparse_slice(rng, vals):
    a = vals[0].ref
    if a.ndim != 2:
        return None
    return rng.choice(["1:", ":-1", "::2", "1::2", ":0", "1:, ::2", ":, 1:", "::-1", "-2:, :-1"])


def _sparse_rows(rng, vals):
    a = vals[0].ref
    if a.ndim != 2 or a.shape[0] == 0:
        return None
    n = a.shape[0]
    return str(sorted({int(rng.integers(-n, n)) % n for _ in range(3)}))  # distinct rows (regular gradient)


def _solve_ok(rng, vals):
    a, b = vals[0].ref, vals[1].ref
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0] or a.dtype != b.dtype:
        return None
    return 0


#: the SPD matrix the LAPACK rows work on (as mlc code; `spd` in REF_NAMESPACE is its numpy meaning)
_SPD = "T.dot({a}, {a}.T) + T.eye({a}.shape[0], dtype={a}.dtype)"


def _clip_bounds(rng, vals):
    lo = float(rng.integers(-3, 1))
    return (lo, lo + float(rng.integers(1, 4)))


def _reshape(rng, vals):
    a = vals[0].ref
    return {0: "(-1,)", 1: "(1, -1)", 2: "(-1, 1)"}[int(rng.integers(3))] if a.ndim else "(1,)"


def _unshared_conv(rng, vals):
    """(KH, KW, OH, OW, border_mode) for an unshared conv2d of a 2-d or 3-d operand read as (1, C, H, W)."""
    a = vals[0].ref
    if a.ndim not in (2, 3) or 0 in a.shape[-2:]:
        return None
    kh, kw = (int(rng.integers(1, n + 1)) for n in a.shape[-2:])
    mode = str(rng.choice(["valid", "full", "half"]))
    ph, pw = {"valid": (0, 0), "full": (kh - 1, kw - 1), "half": (kh // 2, kw // 2)}[mode]
    return kh, kw, a.shape[-2] + 2 * ph - kh + 1, a.shape[-1] + 2 * pw - kw + 1, mode


#: unshared conv2d of {a} read as (1, C, H, W), the filters (kernel sizes known only at run time) built from
#: {a} too: tanh of its top-left (C, KH, KW) corner, scaled differently at each of the 2 x OH x OW positions
_UNSHARED = ("T.nnet.conv2d(T.shape_padleft({a}, 4 - {a}.ndim), T.tanh(T.shape_padleft({a}, 4 - {a}.ndim)"
             "[0, :, :{p[0]}, :{p[1]}]).dimshuffle('x', 'x', 'x', 0, 1, 2) * T.cast(1 + 0.25 * "
             "T.arange(2 * {p[2]} * {p[3]}).reshape((2, {p[2]}, {p[3]}, 1, 1, 1)), {a}.dtype), "
             "border_mode={p[4]!r}, unshared=True)[0]")


def _tile(rng, vals):
    nd = vals[0].ref.ndim
    return None if nd == 0 else tuple(int(rng.integers(1, 3)) for _ in range(nd))


def _repeat(rng, vals):
    nd = vals[0].ref.ndim
    return None if nd == 0 else (int(rng.integers(0, 3)), int(rng.integers(nd)))


# ---------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------

UNARY_FLOAT = [
    # name, mlc, ref, smooth
    ("neg", "-{a}", "-{a}", True),
    ("abs", "abs({a})", "np.abs({a})", False),
    ("exp", "T.exp(T.clip({a}, -6, 6))", "np.exp(np.clip({a}, -6, 6))", False),
    ("exp_smooth", "T.exp({a} / (1 + {a} * {a}))", "np.exp({a} / (1 + {a} * {a}))", True),
    ("log", "T.log(abs({a}) + 1)", "np.log(np.abs({a}) + 1)", False),
    ("log_smooth", "T.log({a} * {a} + 1)", "np.log({a} * {a} + 1)", True),
    ("log1p", "T.log1p({a} * {a})", "np.log1p({a} * {a})", True),
    ("log2", "T.log2({a} * {a} + 1)", "np.log2({a} * {a} + 1)", True),
    ("log10", "T.log10({a} * {a} + 1)", "np.log10({a} * {a} + 1)", True),
    ("expm1", "T.expm1(T.tanh({a}))", "np.expm1(np.tanh({a}))", True),
    ("exp2", "T.exp2(T.tanh({a}))", "np.exp2(np.tanh({a}))", True),
    ("sqrt", "T.sqrt({a} * {a} + 1)", "np.sqrt({a} * {a} + 1)", True),
    ("tanh", "T.tanh({a})", "np.tanh({a})", True),
    ("sigmoid", "T.nnet.sigmoid({a})", "sigmoid({a})", True),
    ("softplus", "T.nnet.softplus({a})", "softplus({a})", True),
    ("sin", "T.sin({a})", "np.sin({a})", True),
    ("cos", "T.cos({a})", "np.cos({a})", True),
    ("tan", "T.tan(T.tanh({a}))", "np.tan(np.tanh({a}))", True),
    ("arcsin", "T.arcsin(T.tanh({a}) * 0.9)", "np.arcsin(np.tanh({a}) * 0.9)", True),
    ("arccos", "T.arccos(T.tanh({a}) * 0.9)", "np.arccos(np.tanh({a}) * 0.9)", True),
    ("arctan", "T.arctan({a})", "np.arctan({a})", True),
    ("sinh", "T.sinh(T.tanh({a}))", "np.sinh(np.tanh({a}))", True),
    ("cosh", "T.cosh(T.tanh({a}))", "np.cosh(np.tanh({a}))", True),
    ("arcsinh", "T.arcsinh({a})", "np.arcsinh({a})", True),
    ("arctanh", "T.arctanh(T.tanh({a}) * 0.9)", "np.arctanh(np.tanh({a}) * 0.9)", True),
    ("arccosh", "T.arccosh({a} * {a} + 1.5)", "np.arccosh({a} * {a} + 1.5)", True),
    ("sqr", "T.sqr({a})", "np.square({a})", True),
    ("erf", "T.erf({a})", "erf({a})", True),
    ("erfc", "T.erfc({a})", "erfc({a})", True),
    ("reciprocal", "T.reciprocal({a} * {a} + 1)", "1 / ({a} * {a} + 1)", True),
    ("deg2rad", "T.deg2rad({a})", "np.deg2rad({a})", True),
    ("relu", "T.nnet.relu({a})", "np.maximum({a}, 0)", False),
    ("softsign", "T.nnet.softsign({a})", "{a} / (1 + np.abs({a}))", False),
    ("elu", "T.nnet.elu({a})", "np.where({a} > 0, {a}, np.expm1(np.minimum({a}, 0)))", False),
]

UNARY_EXACT = [
    ("floor", "T.floor({a})", "np.floor({a})"),
    ("ceil", "T.ceil({a})", "np.ceil({a})"),
    ("round", "T.round({a})", "np.round({a})"),
    ("trunc", "T.trunc({a})", "np.trunc({a})"),
    ("sgn", "T.sgn({a})", "np.sign({a})"),
]

BINARY = [
    # name, mlc, ref, dtypes, smooth, exact
    ("add", "{a} + {b}", "{a} + {b}", "num", True, False),
    ("sub", "{a} - {b}", "{a} - {b}", "num", True, False),
    ("mul", "{a} * {b}", "{a} * {b}", "num", True, False),
    ("true_div", "{a} / ({b} * {b} + 1)", "{a} / ({b} * {b} + 1)", "float", True, False),
    ("maximum", "T.maximum({a}, {b})", "np.maximum({a}, {b})", "num", False, False),
    ("minimum", "T.minimum({a}, {b})", "np.minimum({a}, {b})", "num", False, False),
    ("pow", "(abs({a}) + 1) ** T.tanh({b})", "(np.abs({a}) + 1) ** np.tanh({b})", "float", False, False),
    ("pow_smooth", "({a} * {a} + 1) ** T.tanh({b})", "({a} * {a} + 1) ** np.tanh({b})", "float", True, False),
    ("arctan2", "T.arctan2({a}, {b} * {b} + 1)", "np.arctan2({a}, {b} * {b} + 1)", "float", True, False),
    ("hypot", "T.hypot({a}, {b} * {b} + 1)", "np.hypot({a}, {b} * {b} + 1)", "float", True, False),
    ("int_div", "{a} // (abs({b}) + 1)", "{a} // (np.abs({b}) + 1)", "int", False, True),
    ("mod", "{a} % (abs({b}) + 1)", "{a} % (np.abs({b}) + 1)", "int", False, True),
    ("switch", "T.switch(T.gt({a}, {b}), {a}, {b} * 2)", "np.where({a} > {b}, {a}, {b} * 2)", "num", False, True),
    ("eq", "T.eq({a}, {b})", "{a} == {b}", "num", False, True),
    ("neq", "T.neq({a}, {b})", "{a} != {b}", "num", False, True),
    ("lt", "T.lt({a}, {b})", "{a} < {b}", "num", False, True),
    ("ge", "T.ge({a}, {b})", "{a} >= {b}", "num", False, True),
    ("and", "T.and_(T.gt({a}, 0), T.lt({b}, 1))", "({a} > 0) & ({b} < 1)", "num", False, True),
    ("or", "T.or_(T.gt({a}, 0), T.lt({b}, 1))", "({a} > 0) | ({b} < 1)", "num", False, True),
]

ROWS: list[Row] = (
    [Row(n, 1, m, r, smooth=s) for n, m, r, s in UNARY_FLOAT]
    + [Row(n, 1, m, r, dtypes="num", exact=True) for n, m, r in UNARY_EXACT]
    + [Row(n, 2, m, r, dtypes=d, smooth=s, exact=e) for n, m, r, d, s, e in BINARY]
    + [
        Row("clip", 1, "T.clip({a}, {p[0]}, {p[1]})", "np.clip({a}, {p[0]}, {p[1]})", dtypes="num",
            shapes="any", param=_clip_bounds),
        Row("cast_f32", 1, "T.cast({a}, 'float32')", "{a}.astype('float32')", dtypes="num"),
        Row("cast_f64", 1, "T.cast({a}, 'float64')", "{a}.astype('float64')", dtypes="num", smooth=True),
        Row("cast_int", 1, "T.cast({a}, 'int64')", "{a}.astype('int64')", dtypes="num", exact=True),
        Row("sum", 1, "{a}.sum(axis={p})", "np.sum({a}, axis={p})", dtypes="num", smooth=True, shapes="any",
            param=_axis),
        Row("sum_keepdims", 1, "{a}.sum(axis={p}, keepdims=True)", "np.sum({a}, axis={p}, keepdims=True)",
            dtypes="num", smooth=True, shapes="any", param=_axis),
        Row("mean", 1, "{a}.mean(axis={p})", "np.mean({a}, axis={p})", smooth=True, shapes="any",
            param=_axis_nonempty),
        Row("prod", 1, "T.tanh({a}).prod(axis={p})", "np.prod(np.tanh({a}), axis={p})", smooth=True,
            shapes="any", param=_axis),
        Row("max", 1, "{a}.max(axis={p})", "np.max({a}, axis={p})", dtypes="num", shapes="any",
            param=_axis_nonempty),
        Row("min", 1, "{a}.min(axis={p})", "np.min({a}, axis={p})", dtypes="num", shapes="any",
            param=_axis_nonempty),
        Row("argmax", 1, "T.argmax({a}, axis={p})", "np.argmax({a}, axis={p})", dtypes="num", exact=True,
            shapes="any", param=_axis_nonempty),
        Row("argmin", 1, "T.argmin({a}, axis={p})", "np.argmin({a}, axis={p})", dtypes="num", exact=True,
            shapes="any", param=_axis_nonempty),
        Row("var", 1, "T.var({a}, axis={p})", "np.var({a}, axis={p})", smooth=True, shapes="any",
            param=_axis_nonempty),
        Row("any", 1, "T.any(T.gt({a}, 0), axis={p})", "np.any({a} > 0, axis={p})", dtypes="num", exact=True,
            shapes="any", param=_axis),
        Row("cumsum", 1, "T.cumsum({a}, axis={p})", "np.cumsum({a}, axis={p})", dtypes="num", smooth=True,
            shapes="any", param=_axis),
        Row("transpose", 1, "{a}.T", "np.transpose({a})", dtypes="num", smooth=True),
        # complex numbers, built from real operands (the generator draws real ones)
        Row("complex_abs", 2, "abs(T.complex({a}, {b}))", "np.abs(cplx({a}, {b}))"),
        Row("complex_mul_real", 2, "(T.complex({a}, {b}) * T.complex({b}, {a})).real",
            "np.real(cplx({a}, {b}) * cplx({b}, {a}))", smooth=True),
        Row("complex_dot", 2, "abs(T.dot(T.complex({a}, {b}), T.complex({b}, {a}).T))",
            "np.abs(np.dot(cplx({a}, {b}), cplx({b}, {a}).T))", smooth=True, param=_complex_dot_ok),
        Row("complex_div_imag", 2, "(T.complex({a}, {b}) / T.complex({b} + 2, {a})).imag",
            "np.imag(cplx({a}, {b}) / cplx({b} + 2, {a}))"),
        Row("complex_exp_angle", 2, "T.angle(T.exp(T.complex({a}, {b}) * 0.5))",
            "np.angle(np.exp(cplx({a}, {b}) * 0.5)).astype('float64')"),
        Row("complex_trig", 2, _bounded_z("(T.sin(@Z) * T.cos(@Z) + T.tan(@Z)).real"),
            _bounded_z("np.real(np.sin(@N) * np.cos(@N) + np.tan(@N))")),
        Row("complex_hyperbolic", 2, _bounded_z("(T.sinh(@Z) + T.cosh(@Z) * T.tanh(@Z)).imag"),
            _bounded_z("np.imag(np.sinh(@N) + np.cosh(@N) * np.tanh(@N))")),
        Row("complex_inverse_trig", 2, "abs(T.arcsin(T.complex({a}, {b})) + T.arccos(T.complex({b}, {a})) "
            "+ T.arctan(T.complex({a}, {b})))",
            "np.abs(np.arcsin(cplx({a}, {b})) + np.arccos(cplx({b}, {a})) + np.arctan(cplx({a}, {b})))",
            exact=True),  # branch cuts on the axes: a computed 0 vs a rounding residue takes the other side
        Row("complex_inverse_hyperbolic", 2, "abs(T.arcsinh(T.complex({a}, {b})) "
            "+ T.arccosh(T.complex({b}, {a})) + T.arctanh(T.complex({a}, {b})))",
            "np.abs(np.arcsinh(cplx({a}, {b})) + np.arccosh(cplx({b}, {a})) + np.arctanh(cplx({a}, {b})))",
            exact=True),  # (the same)
        Row("complex_exp_log", 2, _bounded_z("abs(T.log2(@Z + 3) + T.log10(@Z.conj() + 3) + T.exp2(@Z) + T.expm1(@Z))"),
            _bounded_z("np.abs(np.log2(@N + 3) + np.log10(np.conj(@N) + 3) + np.exp2(@N) + np.expm1(@N))")),
        Row("complex_order", 2, "T.maximum(T.complex({a}, {b}), T.complex({b}, {a})).real "
            "+ T.lt(T.complex({a}, {b}), T.complex({b}, {a}))",
            "np.maximum(cplx({a}, {b}), cplx({b}, {a})).real + (cplx({a}, {b}) < cplx({b}, {a}))"),
        Row("dimshuffle", 1, "{a}.dimshuffle({p})", "np.transpose({a}, {p})", dtypes="num", smooth=True,
            shapes="any", param=_perm),
        Row("flatten", 1, "{a}.flatten()", "{a}.reshape(-1)", dtypes="num", smooth=True),
        Row("reshape", 1, "T.reshape({a}, {p})", "np.reshape({a}, {p})", dtypes="num", smooth=True,
            shapes="any", param=_reshape),
        Row("slice", 1, "{a}[{p}]", "{a}[{p}]", dtypes="num", smooth=True, shapes="any", param=_slice),
        Row("index", 1, "{a}[{p}]", "{a}[{p}]", dtypes="num", smooth=True, shapes="any", param=_index),
        # advanced indexing: a gather, and scatters (mt.scatter's loop over the positions, in order)
        Row("take_rows", 1, "{a}[{p}]", "{a}[{p}]", dtypes="num", smooth=True, shapes="any", param=_rows),
        Row("inc_rows", 1, "T.inc_subtensor({a}[{p}], {a}[{p}] * 2)", "add_at({a}, {p}, {a}[{p}] * 2)",
            dtypes="num", smooth=True, shapes="any", param=_rows),
        Row("set_rows", 1, "T.set_subtensor({a}[{p}], {a}[{p}][::-1] * 3)", "set_at({a}, {p}, {a}[{p}][::-1] * 3)",
            dtypes="num", shapes="any", param=_rows),  # (not smooth: a repeat's overwritten src gets a gradient)
        Row("dot", 2, "T.dot({a}, {b})", "np.dot({a}, {b})", smooth=True, shapes="any", param=_dot_ok),
        Row("concatenate", 2, "T.concatenate([{a}, {b}], axis={p})", "np.concatenate([{a}, {b}], axis={p})",
            dtypes="num", smooth=True, shapes="any", param=_concat_axis),
        Row("softmax", 1, "T.nnet.softmax({a})", "softmax({a})", smooth=True, shapes="any", param=_rank_2),
        Row("log_softmax", 1, "T.nnet.logsoftmax({a})", "log_softmax({a})", smooth=True, shapes="any",
            param=_rank_2),
        Row("zeros_like", 1, "T.zeros_like({a}) + 1", "np.zeros_like({a}) + 1", dtypes="num"),
        Row("tile", 1, "T.tile({a}, {p})", "np.tile({a}, {p})", dtypes="num", smooth=True, shapes="any",
            param=_tile),
        Row("repeat", 1, "T.repeat({a}, {p[0]}, axis={p[1]})", "np.repeat({a}, {p[0]}, axis={p[1]})",
            dtypes="num", smooth=True, shapes="any", param=_repeat),
        Row("diag", 1, "T.diagonal({a})", "np.diagonal({a}).copy()", dtypes="num", smooth=True, shapes="any",
            param=_rank_2),
        Row("alloc_diag", 1, "T.AllocDiag({p})({a})", "alloc_diag({a}, {p})", dtypes="num", smooth=True,
            shapes="any", param=_diag_offset),
        Row("softmax_grad", 2, "T.nnet.softmax_grad({a}, T.nnet.softmax({b}))", "softmax_grad({a}, softmax({b}))",
            smooth=True, shapes="any", param=_same_2d),
        Row("prepend_1", 1, "T.nnet.prepend_1_to_each_row({a})",
            "np.concatenate([np.ones(({a}.shape[0], 1), {a}.dtype), {a}], 1)", dtypes="num", smooth=True,
            shapes="any", param=_rank_2),
        Row("conv2d_unshared", 1, _UNSHARED, "unshared_conv2d({a}, {p})", smooth=True, shapes="any",
            param=_unshared_conv),
        Row("permute_rows_reversed", 1, "T.permute_row_elements({a}, T.arange({a}.shape[-1])[::-1])",
            "{a}[..., ::-1]", dtypes="num", smooth=True, shapes="any", param=_rank_ge1),
        Row("batched_tensordot", 2, "T.batched_tensordot({a}, {b}, 1)", "batched_tensordot({a}, {b})",
            smooth=True, shapes="any", param=_batched_ok),
        Row("choose", 2, "T.choose(T.cast({a} > 0, 'int64'), [{a}, {b}])",
            "np.choose(({a} > 0).astype('int64'), [{a}, {b}])", dtypes="num", exact=True),
        Row("sort", 1, "T.sort({a}, axis=-1)", "np.sort({a}, axis=-1)", dtypes="num", exact=True,
            shapes="any", param=_rank_ge1),
        Row("erfcx", 1, "T.erfcx(T.tanh({a}))", "erfcx(np.tanh({a}))", smooth=True),
        Row("gammainc", 2, "T.gammainc(abs({a}) + 0.5, abs({b}))", "gammainc(np.abs({a}) + 0.5, np.abs({b}))"),
        Row("gammaincc", 2, "T.gammaincc(abs({a}) + 0.5, abs({b}))", "gammaincc(np.abs({a}) + 0.5, np.abs({b}))"),
        # LAPACK from native code, on a well-conditioned SPD matrix made of the operand (eigenvalues >= 1)
        Row("det", 1, f"T.nlinalg.det({_SPD})", "np.linalg.det(spd({a}))", smooth=True, shapes="any",
            param=_rank_2),
        Row("matrix_inverse", 1, f"T.nlinalg.matrix_inverse({_SPD})", "np.linalg.inv(spd({a}))", smooth=True,
            shapes="any", param=_rank_2),
        Row("cholesky", 1, f"slinalg.cholesky({_SPD})", "np.linalg.cholesky(spd({a}))", smooth=True,
            shapes="any", param=_rank_2),
        Row("solve", 2, f"slinalg.solve({_SPD}, {{b}})", "np.linalg.solve(spd({a}), {b})", smooth=True,
            shapes="any", param=_solve_ok),
        Row("eigvalsh", 1, f"T.nlinalg.eigh({_SPD})[0]", "np.linalg.eigvalsh(spd({a}))", shapes="any",
            param=_rank_2),
        Row("singular_values", 1, "T.nlinalg.svd({a}, compute_uv=0)", "np.linalg.svd({a}, compute_uv=False)",
            shapes="any", param=_rank_2),
        Row("qr_r_diagonal", 1, "abs(T.diagonal(T.nlinalg.qr({a}, 'r')))", "np.abs(np.diagonal(np.linalg.qr({a}, 'r')))",
            shapes="any", param=_rank_2),
        Row("solve_triangular", 2, f"slinalg.solve_triangular(slinalg.cholesky({_SPD}), {{b}}, lower=True)",
            "np.linalg.solve(np.linalg.cholesky(spd({a})), {b})", smooth=True, shapes="any", param=_solve_ok),
        Row("eig_values", 1, f"T.sort(T.nlinalg.eig({_SPD})[0])", "np.sort(np.linalg.eig(spd({a}))[0].real)",
            shapes="any", param=_rank_2),
        Row("expm", 1, "slinalg.expm({a} / (1 + T.max(abs({a}))))", "expm({a} / (1 + np.max(np.abs({a}))))",
            shapes="any", param=_square_2),
        Row("lstsq", 2, f"T.nlinalg.lstsq()({_SPD}, {{b}}, -1)[0]", "np.linalg.lstsq(spd({a}), {b}, rcond=-1)[0]",
            shapes="any", param=_solve_ok),
        # theano.sparse (mlc.sparse, `S`): dense operands in and out, a csr/csc matrix in between. The
        # structured ops' gradients are zero at stored zeros (Theano's definition), so only the ops with
        # a regular gradient are `smooth`.
        Row("sparse_structured_dot", 2, "S.structured_dot(S.csr_from_dense({a}), {b})", "np.dot({a}, {b})",
            shapes="any", param=_dot_ok_2d),
        Row("sparse_structured_dot_csc", 2, "S.structured_dot(S.csc_from_dense({a}), {b})", "np.dot({a}, {b})",
            shapes="any", param=_dot_ok_2d),
        Row("sparse_dot", 2, "S.dot(S.csr_from_dense({a}), {b})", "np.dot({a}, {b})", smooth=True, shapes="any",
            param=_dot_ok_2d),
        Row("sparse_add", 2, "S.dense_from_sparse(S.csc_from_dense({a}) + S.csr_from_dense({b}))", "{a} + {b}",
            smooth=True, shapes="any", param=_same_2d),
        Row("sparse_mul_dense", 2, "S.dense_from_sparse(S.csr_from_dense({a}) * {b})", "{a} * {b}",
            shapes="any", param=_same_2d),
        Row("sparse_transpose_sum", 1, "S.sp_sum(S.csr_from_dense({a}).T, axis=0)", "np.sum({a}, axis=1)",
            smooth=True, shapes="any", param=_rank_2),
        Row("sparse_structured_exp", 1, "S.dense_from_sparse(S.structured_exp(S.csr_from_dense({a})))",
            "np.where({a} != 0, np.exp({a}), 0)", shapes="any", param=_rank_2,
            exact=True),  # discontinuous at stored zeros: a computed 0 vs a few ulps off it gives 0 vs 1
        Row("sparse_hstack", 2, "S.dense_from_sparse(S.hstack([S.csr_from_dense({a}), S.csc_from_dense({b})]))",
            "np.hstack([{a}, {b}])", smooth=True, shapes="any", param=_same_rows_2d),
        Row("sparse_vstack", 2,
            "S.dense_from_sparse(S.vstack([S.csc_from_dense({a}), S.csr_from_dense({b})], format='csr'))",
            "np.vstack([{a}, {b}])", smooth=True, shapes="any", param=_same_cols_2d),
        Row("sparse_slice", 1, "S.dense_from_sparse(S.csr_from_dense({a})[{p}])", "{a}[{p}]", shapes="any",
            param=_sparse_slice),  # get_item_2d has no gradient (Theano's)
        Row("sparse_get_item_list", 1, "S.dense_from_sparse(S.csc_from_dense({a})[{p}])", "{a}[{p}]", smooth=True,
            shapes="any", param=_sparse_rows),
        Row("sparse_lt_dense", 2, "S.lt(S.csr_from_dense({a}), {b})", "({a} < {b}).astype('uint8')", exact=True,
            shapes="any", param=_same_2d),
        Row("sparse_ge_sparse", 2, "S.dense_from_sparse(S.csc_from_dense({a}) >= S.csc_from_dense({b}))",
            "({a} >= {b}).astype('uint8')", exact=True, shapes="any", param=_same_2d),
        Row("sparse_clean", 1, "S.dense_from_sparse(S.clean(S.csr_from_dense({a}) * 1.0))", "{a} * 1.0", smooth=True,
            shapes="any", param=_rank_2),
        Row("sparse_diag", 1, "S.diag(S.csc_from_dense({a}))", "np.diagonal({a})", smooth=True, shapes="any",
            param=_square_2d),
        Row("sparse_square_diagonal", 1, "S.dense_from_sparse(S.square_diagonal(T.diagonal({a})))",
            "np.diag(np.diagonal({a}))", smooth=True, shapes="any", param=_rank_2),
        Row("sparse_structured_dot_ss", 2,
            "S.dense_from_sparse(S.structured_dot(S.csr_from_dense({a}), S.csc_from_dense({b})))",
            "np.dot({a}, {b})", shapes="any", param=_dot_ok_2d),
        Row("sparse_usmm", 2, "S.usmm(T.constant(-1.5, dtype={a}.dtype), S.csr_from_dense({a}), {b}, T.dot({a}, {b}))",
            "-0.5 * np.dot({a}, {b})", shapes="any", param=_dot_ok_2d),
    ]
)

BY_NAME = {row.name: row for row in ROWS}


def covered() -> set[str]:
    """The `T.<name>` / `T.nnet.<name>` / `T.nlinalg.<name>` / `slinalg.<name>` functions the rows call."""
    return {m.group(1) for row in ROWS for m in re.finditer(r"(?:T\.(?:nnet\.|nlinalg\.)?|slinalg\.)(\w+)\(", row.mlc)}
assert len(BY_NAME) == len(ROWS), "row names must be unique"


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(x):
    s = x - x.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def _alloc_diag(x, offset):
    """Theano's AllocDiag(offset) (axes 0, 1): x's last axis on diagonal `offset` of new leading planes."""
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n), dtype=x.dtype)
    i = np.arange(x.shape[-1])
    out[..., i + max(0, -offset), i + max(0, offset)] = x
    return np.moveaxis(out, (-2, -1), (0, 1))


def _cplx(re, im):
    """numpy's meaning of `T.complex(re, im)`: the parts exactly as given (`re + 1j * im` is not it: with
    im = -0.0 the sum's imaginary part is +0.0, the other side of every branch cut on the real axis)."""
    re, im = np.asarray(re), np.asarray(im)
    out = np.empty(np.broadcast(re, im).shape, np.result_type(re, im, np.complex64))
    out.real, out.imag = re, im
    return out


def _unshared_conv2d(a, p):
    """numpy's meaning of the conv2d_unshared row (a true convolution: the kernels flipped)."""
    kh, kw, oh, ow, mode = p
    x = a.reshape((1,) * (4 - a.ndim) + a.shape)
    w = np.tanh(x[0, :, :kh, :kw])[None, None, None] * (1 + 0.25 * np.arange(2 * oh * ow).reshape(
        (2, oh, ow, 1, 1, 1))).astype(a.dtype)
    ph, pw = {"valid": (0, 0), "full": (kh - 1, kw - 1), "half": (kh // 2, kw // 2)}[mode]
    win = np.lib.stride_tricks.sliding_window_view(np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)]), (kh, kw),
                                                   axis=(2, 3))  # (1, C, OH, OW, KH, KW)
    return np.einsum("ncijuv,fijcuv->nfij", win, w[..., ::-1, ::-1])[0]


def _softmax_grad(dy, sm):
    return dy * sm - (dy * sm).sum(axis=-1, keepdims=True) * sm


REF_NAMESPACE: dict[str, Any] = {
    "np": np,
    "spd": lambda a: a @ a.T + np.eye(len(a), dtype=a.dtype),
    "expm": lambda a: scipy.linalg.expm(a).astype(a.dtype),
    "sigmoid": scipy.special.expit,
    "softplus": lambda x: np.logaddexp(0, x).astype(np.asarray(x).dtype),
    "erf": scipy.special.erf,
    "erfc": scipy.special.erfc,
    "erfcx": scipy.special.erfcx,
    "gammainc": scipy.special.gammainc,
    "gammaincc": scipy.special.gammaincc,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "alloc_diag": _alloc_diag,
    "softmax_grad": _softmax_grad,
    "unshared_conv2d": _unshared_conv2d,
    "cplx": _cplx,
    "add_at": _add_at,
    "set_at": _set_at,
    "batched_tensordot": lambda a, b: np.stack([np.tensordot(a[i], b[i], 1) for i in range(len(a))]).reshape(
        a.shape[:1] + a.shape[1:-1] + b.shape[2:]),
}
