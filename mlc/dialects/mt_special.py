"""`mt` special functions: gamma family, erfcinv, Bessel functions (scipy.special's meaning).

Elementwise float ops like the rest of mt (they print, parse, fold and
lower through the same machinery); their scalar bodies call scipy's
compiled special functions (`scipy.special.cython_special`) from native
code, except `mt.tri_gamma`, which is computed inline (scipy exports no
scalar polygamma). Kept in their own file while mt.py is being split
into a package; `mt.MT` lists them.
"""

from __future__ import annotations

from mlc.dialects.mt import FLOAT, BinaryOp, UnaryOp, _elementwise, _special


def _trigamma(x):
    import scipy.special

    return scipy.special.polygamma(1, x).astype(x.dtype, copy=False)


GammalnOp = _elementwise(UnaryOp, "gammaln", FLOAT, _special("gammaln"), "log|gamma(x)|")
PsiOp = _elementwise(UnaryOp, "psi", FLOAT, _special("psi"), "digamma")
TriGammaOp = _elementwise(UnaryOp, "tri_gamma", FLOAT, _trigamma, "trigamma: polygamma(1, x)")
GammaOp = _elementwise(UnaryOp, "gamma", FLOAT, _special("gamma"))
ErfcinvOp = _elementwise(UnaryOp, "erfcinv", FLOAT, _special("erfcinv"))
J0Op = _elementwise(UnaryOp, "j0", FLOAT, _special("j0"), "Bessel function of the first kind, order 0")
J1Op = _elementwise(UnaryOp, "j1", FLOAT, _special("j1"), "Bessel function of the first kind, order 1")
I0Op = _elementwise(UnaryOp, "i0", FLOAT, _special("i0"), "modified Bessel function of order 0")
I1Op = _elementwise(UnaryOp, "i1", FLOAT, _special("i1"), "modified Bessel function of order 1")
JvOp = _elementwise(BinaryOp, "jv", FLOAT, _special("jv"), "Bessel function of the first kind, real order v")
IvOp = _elementwise(BinaryOp, "iv", FLOAT, _special("iv"), "modified Bessel function, real order v")

SPECIAL_OPS = [GammalnOp, PsiOp, TriGammaOp, GammaOp, ErfcinvOp, J0Op, J1Op, I0Op, I1Op, JvOp, IvOp]
