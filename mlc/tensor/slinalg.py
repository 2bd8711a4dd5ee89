"""Linear algebra (Theano's `theano.tensor.slinalg`), through scipy.linalg's LAPACK.

cholesky, solve (with Theano's `A_structure` and scipy's `assume_a`),
solve_triangular, cho_solve and eigvalsh (with its gradient) are native:
`mt.cholesky`, `mt.solve` and `mt.eigh` call LAPACK (potrf; getrf +
getrs; trtrs; syevd) from the compiled code, and a generalized eigvalsh is
reduced to a standard one with a Cholesky factor (what sygvd does). As in
Theano 1.0.5, a solve that is not triangular is an LU solve whatever the
structure says (symmetric included). expm is native too (`mt.expm`: scipy's
scaling and squaring with Pade approximants, gemm and gesv), and so is its
gradient (Theano's ExpmGrad formula through eig); kron
is a composition of native ops (Theano's). Gradients are Theano 1.0.5's:
Cholesky (Murray's blocked formula with triangular solves), Solve (Giles),
Eigvalsh and Expm (their gradient ops); solve_triangular and cho_solve,
which Theano 1.0.5 did not have, get the same Giles rule.
"""

from __future__ import annotations

import numpy as np

from mlc.graph import Apply, GraphError, Op, ShapeError, TensorType, built_at
from mlc.graph.dtype import upcast, upgrade_to_float
from mlc.tensor.nlinalg import lapack_native
from mlc.tensor.var import as_tensor_variable

MATRIX_STRUCTURES = ("general", "symmetric", "lower_triangular", "upper_triangular", "hermitian", "banded",
                     "diagonal", "toeplitz")
_ASSUME = {"general": "gen", "symmetric": "sym", "hermitian": "her", "diagonal": "gen", "banded": "gen",
           "toeplitz": "gen"}


def _linalg():
    import scipy.linalg

    return scipy.linalg


def _matrix(x, what: str):
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise GraphError(f"{what}: expected a matrix, got {x} ({x.type}){built_at(x)}")
    return x


def _square(what: str, s) -> None:
    if len(s) != 2 or s[0] != s[1]:
        raise ShapeError(f"{what}: expected a square matrix, got shape {tuple(s)}")


class Cholesky(Op):
    """scipy.linalg.cholesky: L with L L^T = X (lower) or U with U^T U = X; on_error 'raise' or 'nan'."""

    __props__ = ("lower", "destructive", "on_error")

    def __init__(self, lower=True, on_error="raise"):
        if on_error not in ("raise", "nan"):
            raise ValueError('cholesky: on_error must be one of "raise" or "nan"')
        self.lower, self.destructive, self.on_error = bool(lower), False, on_error

    def make_node(self, x) -> Apply:
        x = _matrix(x, "cholesky")
        return Apply(self, [x], [TensorType(upgrade_to_float(x.dtype), (False, False))])

    def perform(self, node, inputs):
        x = inputs[0]
        sl = _linalg()
        try:
            return [sl.cholesky(x, lower=self.lower).astype(node.out.dtype)]
        except sl.LinAlgError:
            if self.on_error == "raise":
                raise
            return [np.full(x.shape, np.nan, dtype=node.out.dtype)]

    def infer_shape(self, node, shapes, value):
        _square("cholesky", shapes[0])
        return [shapes[0]]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        return lapack_native(ctx, node, operands,
                             lambda a: mt.CholeskyOp(a, lower=self.lower, nan_on_error=self.on_error == "nan"))

    def L_op(self, inputs, outputs, output_grads):
        from mlc.tensor.elemwise import isnan, switch
        from mlc.tensor.extra_ops import diag, diagonal, tril, triu
        from mlc.tensor.reduce import any as _any

        dz, chol_x = output_grads[0], outputs[0]
        if self.on_error == "nan":
            ok = ~_any(isnan(chol_x))
            chol_x = switch(ok, chol_x, 1)
            dz = switch(ok, dz, 1)
        if not self.lower:
            chol_x, dz = chol_x.T, dz.T

        def tril_and_halve_diagonal(m):
            return tril(m) - diag(diagonal(m) / 2.0)

        def conjugate_solve_triangular(outer, inner):
            return solve_upper_triangular(outer.T, solve_upper_triangular(outer.T, inner.T).T)

        s = conjugate_solve_triangular(chol_x, tril_and_halve_diagonal(chol_x.T.dot(dz)))
        grad = (tril(s + s.T) if self.lower else triu(s + s.T)) - diag(diagonal(s))
        if self.on_error == "nan":
            return [switch(ok, grad, np.nan)]
        return [grad]


cholesky = Cholesky()


class Solve(Op):
    """Solve A x = b (scipy.linalg): general, symmetric/hermitian, or triangular (`A_structure`).

    For triangular structures `trans` (0, 1 = 'T', 2 = 'C') and
    `unit_diagonal` are scipy.linalg.solve_triangular's.
    """

    __props__ = ("A_structure", "lower", "overwrite_A", "overwrite_b", "trans", "unit_diagonal")

    def __init__(self, A_structure="general", lower=False, overwrite_A=False, overwrite_b=False, trans=0,
                 unit_diagonal=False):
        if A_structure not in MATRIX_STRUCTURES:
            raise ValueError(f"solve: invalid matrix structure {A_structure!r} (expected one of "
                             f"{', '.join(MATRIX_STRUCTURES)})")
        self.A_structure, self.lower = A_structure, bool(lower)
        self.overwrite_A, self.overwrite_b = overwrite_A, overwrite_b
        self.trans = {"N": 0, "T": 1, "C": 2}.get(trans, trans)
        self.unit_diagonal = bool(unit_diagonal)

    def __repr__(self) -> str:
        return f"Solve{{{self.A_structure}, lower={self.lower}}}"

    __str__ = __repr__

    def make_node(self, A, b) -> Apply:
        A, b = _matrix(A, "solve"), as_tensor_variable(b)
        if b.ndim not in (1, 2):
            raise GraphError(f"solve: b must be a vector or a matrix, got {b} ({b.type}){built_at(b)}")
        return Apply(self, [A, b], [TensorType(upgrade_to_float(A.dtype, b.dtype), b.broadcastable)])

    def perform(self, node, inputs):
        A, b = inputs
        sl = _linalg()
        if self.A_structure in ("lower_triangular", "upper_triangular"):
            r = sl.solve_triangular(A, b, trans=self.trans, lower=self.A_structure == "lower_triangular",
                                    unit_diagonal=self.unit_diagonal)
        else:
            r = sl.solve(A, b, lower=self.lower, assume_a=_ASSUME[self.A_structure])
        return [np.asarray(r, dtype=node.out.dtype)]

    def infer_shape(self, node, shapes, value):
        a, b = shapes
        _square("solve", a)
        if b[0] != a[0]:
            raise ShapeError(f"solve: A is {a[0]}x{a[1]} but b has {b[0]} rows")
        return [(a[1],) if len(b) == 1 else (a[1], b[1])]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        tri = self.A_structure in ("lower_triangular", "upper_triangular")
        return lapack_native(ctx, node, operands, lambda a, b: mt.SolveOp(
            a, b, self.A_structure if tri else "general", trans=tri and self.trans in (1, 2),
            unit_diagonal=tri and self.unit_diagonal))

    def L_op(self, inputs, outputs, output_grads):
        from mlc.tensor.contract import outer
        from mlc.tensor.extra_ops import tril, triu

        A, b = inputs
        c, c_bar = outputs[0], output_grads[0]
        tri = self.A_structure in ("lower_triangular", "upper_triangular")
        if tri and self.trans:  # op(A) = A^T: solve with A itself for the adjoint
            flipped = {"lower_triangular": "upper_triangular", "upper_triangular": "lower_triangular"}
            b_bar = Solve(self.A_structure, self.lower, unit_diagonal=self.unit_diagonal)(A, c_bar)
            A_bar = -(outer(c, b_bar) if c.ndim == 1 else c.dot(b_bar.T))
            structure = flipped[flipped[self.A_structure]]
        else:
            trans_map = {"lower_triangular": "upper_triangular", "upper_triangular": "lower_triangular"}
            b_bar = Solve(trans_map.get(self.A_structure, self.A_structure), not self.lower,
                          unit_diagonal=self.unit_diagonal)(A.T, c_bar)
            A_bar = -(outer(b_bar, c) if c.ndim == 1 else b_bar.dot(c.T))
            structure = self.A_structure
        if structure == "lower_triangular":
            A_bar = tril(A_bar, -1 if self.unit_diagonal else 0)
        elif structure == "upper_triangular":
            A_bar = triu(A_bar, 1 if self.unit_diagonal else 0)
        return [A_bar, b_bar]


_solve_general = Solve()
solve_lower_triangular = Solve(A_structure="lower_triangular", lower=True)
solve_upper_triangular = Solve(A_structure="upper_triangular", lower=False)
solve_symmetric = Solve(A_structure="symmetric")


def solve(a, b, assume_a="gen", lower=False, A_structure=None):
    """x with a x = b; `assume_a` ('gen', 'sym', 'her', 'pos') is scipy's, `A_structure` Theano's."""
    if A_structure is None:
        structure = {"gen": "general", "sym": "symmetric", "her": "hermitian", "pos": "symmetric"}.get(assume_a)
        if structure is None:
            raise ValueError(f"solve: assume_a must be 'gen', 'sym', 'her' or 'pos', got {assume_a!r}")
    else:
        structure = A_structure
    return Solve(structure, lower)(a, b)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False):
    """scipy.linalg.solve_triangular: x with op(a) x = b, a triangular (op = identity, T or C)."""
    return Solve("lower_triangular" if lower else "upper_triangular", lower, trans=trans,
                 unit_diagonal=unit_diagonal)(a, b)


def cho_solve(c_and_lower, b):
    """scipy.linalg.cho_solve((c, lower), b): x with A x = b, from A's Cholesky factor c.

    Two triangular solves (each with its gradient), so the gradient flows
    to both the factor and b.
    """
    c, lower = c_and_lower
    c = _matrix(c, "cho_solve")
    if lower:
        return solve_triangular(c, solve_triangular(c, b, lower=True), trans=1, lower=True)
    return solve_triangular(c, solve_triangular(c, b, trans=1, lower=False), lower=False)


def _generalized_eigh(a, b, lower: bool):
    """scipy.linalg.eigh(a, b, lower) in native ops: (w, v) with a v = b v diag(w), v^T b v = I.

    The reduction LAPACK's sygvd makes: b = L L^T (Cholesky), C = L^-1 a L^-T
    is symmetric with the same eigenvalues, and v = L^-T y for C's
    eigenvectors y. Only the `lower` (else upper) triangles of a and b are
    read, as in scipy. b = None is the standard problem.
    """
    from mlc.tensor.extra_ops import tril, triu
    from mlc.tensor.nlinalg import Eigh

    full = (lambda m: tril(m) + tril(m, -1).T) if lower else (lambda m: triu(m) + triu(m, 1).T)
    if b is None:
        return Eigh("L" if lower else "U")(a)
    chol = Cholesky(lower=True)(full(b))
    c = solve_triangular(chol, solve_triangular(chol, full(a), lower=True).T, lower=True)  # L^-1 a L^-T
    w, y = Eigh("L")((c + c.T) / 2)
    return w, solve_triangular(chol, y, lower=True, trans=1)


class Eigvalsh(Op):
    """scipy.linalg.eigvalsh(a, b): (generalized) eigenvalues of a symmetric (definite) problem; natively
    (LAPACK syevd, with a Cholesky reduction for b)."""

    __props__ = ("lower",)

    def __init__(self, lower=True):
        self.lower = bool(lower)

    def make_node(self, a, b=None) -> Apply:
        a = _matrix(a, "eigvalsh")
        if b is None:
            return Apply(self, [a], [TensorType(upgrade_to_float(a.dtype), (False,))])
        b = _matrix(b, "eigvalsh")
        return Apply(self, [a, b], [TensorType(upgrade_to_float(a.dtype, b.dtype), (False,))])

    def perform(self, node, inputs):
        b = inputs[1] if len(inputs) == 2 else None
        return [_linalg().eigvalsh(inputs[0], b, lower=self.lower).astype(node.out.dtype)]

    def infer_shape(self, node, shapes, value):
        _square("eigvalsh", shapes[0])
        return [(shapes[0][0],)]

    def emit(self, ctx, node, operands):
        from mlc.tensor.elemwise import cast
        from mlc.tensor.nlinalg import emit_composed

        dtype = node.out.dtype
        return emit_composed(ctx, node, operands, lambda a, b=None: _generalized_eigh(
            cast(a, dtype), None if b is None else cast(b, dtype), self.lower)[0])

    def grad(self, inputs, output_grads):
        ga, gb = EigvalshGrad(self.lower)(inputs[0], inputs[1] if len(inputs) == 2 else None, output_grads[0])
        return [ga, gb] if len(inputs) == 2 else [ga]


class EigvalshGrad(Op):
    """The gradients of eigvalsh with respect to a and b (Theano's EigvalshGrad), natively."""

    __props__ = ("lower",)

    def __init__(self, lower=True):
        self.lower = bool(lower)

    def make_node(self, a, b, gw) -> Apply:
        ins = [as_tensor_variable(a)] + ([] if b is None else [as_tensor_variable(b)]) + [as_tensor_variable(gw)]
        t = TensorType(upcast(*[v.dtype for v in ins]), (False, False))
        return Apply(self, ins, [t, t])

    def perform(self, node, inputs):
        a, gw = inputs[0], inputs[-1]
        b = inputs[1] if len(inputs) == 3 else None
        w, v = _linalg().eigh(a, b, lower=self.lower)
        gA = v.dot(np.diag(gw).dot(v.T))
        gB = -v.dot(np.diag(gw * w).dot(v.T))

        def sym(g):
            return np.tril(g) + np.triu(g, 1).T if self.lower else np.triu(g) + np.tril(g, -1).T

        return [sym(gA).astype(node.outputs[0].dtype), sym(gB).astype(node.outputs[1].dtype)]

    def infer_shape(self, node, shapes, value):
        return [shapes[0], shapes[0]]

    def emit(self, ctx, node, operands):
        from mlc.tensor.contract import dot
        from mlc.tensor.elemwise import cast
        from mlc.tensor.extra_ops import tril, triu
        from mlc.tensor.nlinalg import emit_composed

        dtype = node.outputs[0].dtype

        def build(*ins):
            a, gw = cast(ins[0], dtype), cast(ins[-1], dtype)
            b = cast(ins[1], dtype) if len(ins) == 3 else None
            w, v = _generalized_eigh(a, b, self.lower)
            gA = dot(v * gw.dimshuffle("x", 0), v.T)
            gB = -dot(v * (gw * w).dimshuffle("x", 0), v.T)
            sym = (lambda g: tril(g) + triu(g, 1).T) if self.lower else (lambda g: triu(g) + tril(g, -1).T)
            return [sym(gA), sym(gB)]

        return emit_composed(ctx, node, operands, build)


def eigvalsh(a, b=None, lower=True):
    """scipy.linalg.eigvalsh(a, b, lower): ascending eigenvalues (b=None: the standard problem)."""
    return Eigvalsh(lower)(a, b)


def kron(a, b):
    """scipy.linalg.kron(a, b) (Theano's composition: an outer product reshaped); a.ndim + b.ndim >= 3."""
    from mlc.tensor.contract import outer
    from mlc.tensor.shape import concatenate

    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim + b.ndim <= 2:
        raise TypeError(f"kron: inputs dimensions must sum to 3 or more. You passed {a.ndim} and {b.ndim}.")
    o = outer(a, b)
    o = o.reshape(concatenate((a.shape, b.shape)), ndim=a.ndim + b.ndim)
    shf = o.dimshuffle(0, 2, 1, *range(3, o.ndim))
    if shf.ndim == 3:
        return o.dimshuffle(1, 0, 2).flatten()
    s = o.shape
    return shf.reshape([s[0] * s[2], s[1] * s[3]] + [s[i] for i in range(4, o.ndim)], ndim=o.ndim - 2)


class Expm(Op):
    """scipy.linalg.expm: the matrix exponential, natively (`mt.expm`: scipy's scaling and squaring with Pade
    approximants of degree 3 to 13, gemm and gesv from the compiled code); gradient by Theano's ExpmGrad."""

    __props__ = ()

    def make_node(self, A) -> Apply:
        A = _matrix(A, "expm")
        return Apply(self, [A], [TensorType(upgrade_to_float(A.dtype), (False, False))])

    def perform(self, node, inputs):
        return [_linalg().expm(inputs[0]).astype(node.out.dtype)]

    def infer_shape(self, node, shapes, value):
        _square("expm", shapes[0])
        return [shapes[0]]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        return lapack_native(ctx, node, operands, mt.ExpmOp)

    def grad(self, inputs, output_grads):
        return [ExpmGrad()(inputs[0], output_grads[0])]


def _complex_inverse(V):
    """inv(V) for a complex matrix V = R + iJ, natively: the real 2n x 2n [[R, -J], [J, R]] has the inverse
    [[P, -Q], [Q, P]] with inv(V) = P + iQ (a singular V: LinAlgError)."""
    from mlc.tensor.elemwise import complex as make_complex
    from mlc.tensor.elemwise import imag, real
    from mlc.tensor.nlinalg import matrix_inverse
    from mlc.tensor.shape import concatenate

    R, J = real(V), imag(V)
    n = V.shape[0]
    inv = matrix_inverse(concatenate([concatenate([R, -J], axis=1), concatenate([J, R], axis=1)], axis=0))
    return make_complex(inv[:n, :n], inv[n:, :n])


def _expm_grad_graph(A, gA):
    """Theano's ExpmGrad (Kalbfleisch and Lawless): with A = V diag(w) V^-1 and U = V^-T,
    X[i, j] = (e^w_i - e^w_j) / (w_i - w_j) (e^w_i on the diagonal), the gradient is
    real(U ((V^T gA U) * X) V^T); in native ops (eig through geev, complex products through zgemm)."""
    from mlc.tensor.alloc import eye
    from mlc.tensor.contract import dot
    from mlc.tensor.elemwise import exp, real, switch
    from mlc.tensor.nlinalg import EigComplex

    w, V = EigComplex()(A)
    U = _complex_inverse(V).T
    exp_w = exp(w)
    ratio = (exp_w.dimshuffle(0, "x") - exp_w.dimshuffle("x", 0)) / (w.dimshuffle(0, "x") - w.dimshuffle("x", 0))
    X = switch(eye(A.shape[0], dtype="bool"), exp_w.dimshuffle(0, "x"), ratio)
    Vt = V.T
    return real(dot(dot(U, dot(dot(Vt, gA), U) * X), Vt))


class ExpmGrad(Op):
    """The gradient of expm (Theano's ExpmGrad: through eig(A), real part), natively."""

    __props__ = ()

    def make_node(self, A, gA) -> Apply:
        A, gA = as_tensor_variable(A), as_tensor_variable(gA)
        return Apply(self, [A, gA], [TensorType(upcast(A.dtype, gA.dtype), (False, False))])

    def perform(self, node, inputs):
        A, gA = inputs
        sl = _linalg()
        w, V = sl.eig(A, right=True)
        U = sl.inv(V).T
        exp_w = np.exp(w)
        with np.errstate(divide="ignore", invalid="ignore"):
            X = np.subtract.outer(exp_w, exp_w) / np.subtract.outer(w, w)
        np.fill_diagonal(X, exp_w)
        Y = U.dot(V.T.dot(gA).dot(U) * X).dot(V.T)
        return [np.real(Y).astype(node.out.dtype)]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def emit(self, ctx, node, operands):
        from mlc.tensor.elemwise import cast
        from mlc.tensor.nlinalg import emit_composed

        d = node.out.dtype
        return emit_composed(ctx, node, operands, lambda A, gA: cast(_expm_grad_graph(A, gA), d))


expm = Expm()
