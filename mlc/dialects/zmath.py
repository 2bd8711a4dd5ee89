"""The `zmath` dialect: the complex elementary functions MLIR's `complex` dialect lacks.

`complex` has exp, log, sqrt, sin, cos, tan, tanh, expm1, log1p and pow;
numpy also defines, on complex numbers, the functions below. Each takes and
returns one `complex<f32>` or `complex<f64>` scalar, with numpy's meaning
(C99 Annex G's branch cuts, signed zeros, infinities and NaNs; numpy's
formulas for exp2, log2 and log10). They appear in loop bodies written by
`convert-mt-to-linalg`; `expand-complex` writes them as arith/math on the
parts, like the `complex` ops.

    %w = zmath.asinh %z : complex<f64>
"""

from __future__ import annotations

from xdsl.dialects.complex import ComplexUnaryComplexResultOperation
from xdsl.ir import Dialect
from xdsl.irdl import irdl_op_definition


@irdl_op_definition
class SinhOp(ComplexUnaryComplexResultOperation):
    """sinh z = (sinh x cos y, cosh x sin y)."""

    name = "zmath.sinh"


@irdl_op_definition
class CoshOp(ComplexUnaryComplexResultOperation):
    """cosh z = (cosh x cos y, sinh x sin y)."""

    name = "zmath.cosh"


@irdl_op_definition
class AsinOp(ComplexUnaryComplexResultOperation):
    """arcsin z; cuts along the real axis outside [-1, 1]."""

    name = "zmath.asin"


@irdl_op_definition
class AcosOp(ComplexUnaryComplexResultOperation):
    """arccos z; cuts along the real axis outside [-1, 1]."""

    name = "zmath.acos"


@irdl_op_definition
class AtanOp(ComplexUnaryComplexResultOperation):
    """arctan z; cuts along the imaginary axis outside [-i, i]."""

    name = "zmath.atan"


@irdl_op_definition
class AsinhOp(ComplexUnaryComplexResultOperation):
    """arcsinh z; cuts along the imaginary axis outside [-i, i]."""

    name = "zmath.asinh"


@irdl_op_definition
class AcoshOp(ComplexUnaryComplexResultOperation):
    """arccosh z; cut along the real axis below 1."""

    name = "zmath.acosh"


@irdl_op_definition
class AtanhOp(ComplexUnaryComplexResultOperation):
    """arctanh z; cuts along the real axis outside [-1, 1]."""

    name = "zmath.atanh"


@irdl_op_definition
class Exp2Op(ComplexUnaryComplexResultOperation):
    """2 ** z = exp(z ln 2)."""

    name = "zmath.exp2"


@irdl_op_definition
class Log2Op(ComplexUnaryComplexResultOperation):
    """log z / ln 2."""

    name = "zmath.log2"


@irdl_op_definition
class Log10Op(ComplexUnaryComplexResultOperation):
    """log z / ln 10."""

    name = "zmath.log10"


ZMath = Dialect("zmath", [SinhOp, CoshOp, AsinOp, AcosOp, AtanOp, AsinhOp, AcoshOp, AtanhOp, Exp2Op, Log2Op,
                          Log10Op])
