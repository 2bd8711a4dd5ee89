"""Linear algebra (Theano's `theano.tensor.nlinalg`), through the process's LAPACK.

matrix_inverse, det, eigh, svd and qr are native: `mt.inverse`,
`mt.det`, `mt.eigh`, `mt.svd`, `mt.qr`, which call LAPACK (getrf, getri,
syevd, gesdd, geqrf + orgqr) from the compiled code; pinv, tensorinv and
tensorsolve are compositions of them. eig (LAPACK geev: `mt.eig`, complex
results whose real parts Theano returns) and lstsq (gelsd: `mt.lstsq`) are
native too (eig of a complex matrix through zgeev), in double precision
as numpy computes them (lstsq's residuals, whose length depends on the
rank found, are a slice with a stop computed from it). The rest
(trace, diag, extract_diag, alloc_diag, matrix_dot, matrix_power, norm) are
compositions of native ops. Gradients are Theano 1.0.5's (inverse, pinv,
det, eigh); svd, qr, eig, lstsq, tensorinv and tensorsolve have none in
Theano and none here.

Differences from Theano, all towards numpy's meaning: integer inputs give
floating results (Theano truncated an int matrix's inverse to ints);
matrix_power accepts 0 (identity) and negative powers (powers of the
inverse); a singular matrix raises numpy.linalg.LinAlgError when the
function runs.
"""

from __future__ import annotations

import numpy as np

from mlc.graph import Apply, GraphError, Op, TensorType, Variable, built_at
from mlc.graph.dtype import upcast, upgrade_to_float
from mlc.tensor.extra_ops import ExtractDiag  # noqa: F401  (Theano's nlinalg.ExtractDiag is tensor's)
from mlc.tensor.host import HostOp
from mlc.tensor.var import as_tensor_variable


def _matrix(x, what: str, square: bool = False):
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise GraphError(f"{what}: expected a matrix, got {x} ({x.type}){built_at(x)}")
    if square and x.broadcastable[0] != x.broadcastable[1]:
        raise GraphError(f"{what}: expected a square matrix, got {x} ({x.type}){built_at(x)}")
    return x


def _float(x) -> str:
    return upgrade_to_float(x.dtype)


def _mat(dtype: str) -> TensorType:
    return TensorType(dtype, (False, False))


def _vec(dtype: str) -> TensorType:
    return TensorType(dtype, (False,))


def _check_square(what: str, shape) -> None:
    from mlc.graph import ShapeError

    if len(shape) != 2 or shape[0] != shape[1]:
        raise ShapeError(f"{what}: expected a square matrix, got shape {tuple(shape)}")


def matrix_dot(*args):
    """dot(dot(A0, A1), A2) ... : the product of the matrices in order (Theano's matrix_dot)."""
    from mlc.tensor.contract import dot

    rval = args[0]
    for a in args[1:]:
        rval = dot(rval, a)
    return rval


def lapack_native(ctx, node, operands, make) -> list:
    """Emit a LAPACK mt op: `make(*operands)`, the operands cast to the result's float type first."""
    out = node.outputs[0].type.dtype
    return [ctx.add(make(*(ctx.cast(v, out) for v in operands))).results[0]]


class MatrixInverse(Op):
    """numpy.linalg.inv, natively (LAPACK getrf + getri); gradient -(X^-1 V^T X^-1)^T (Theano)."""

    __props__ = ()

    def make_node(self, x) -> Apply:
        x = _matrix(x, "matrix_inverse", True)
        return Apply(self, [x], [_mat(_float(x))])

    def perform(self, node, inputs):
        return [np.linalg.inv(inputs[0]).astype(node.out.dtype)]

    def infer_shape(self, node, shapes, value):
        _check_square("matrix_inverse", shapes[0])
        return [shapes[0]]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        return lapack_native(ctx, node, operands, mt.InverseOp)

    def L_op(self, inputs, outputs, output_grads):
        xi, gz = outputs[0], output_grads[0]
        return [-matrix_dot(xi, gz.T, xi).T]


matrix_inverse = MatrixInverse()


def emit_composed(ctx, node, operands, build) -> list:
    """Emit `build(*fresh inputs)` (a graph of native ops standing for this node) on the node's operands."""
    fresh = [i.type() for i in node.inputs]
    outs = build(*fresh)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    return ctx.emit_graph(fresh, list(outs), list(operands))


def _pinv_graph(x):
    """numpy.linalg.pinv's algorithm: the reduced SVD, singular values <= 1e-15 * max(s) dropped."""
    from mlc.tensor.alloc import zeros
    from mlc.tensor.contract import dot
    from mlc.tensor.elemwise import switch
    from mlc.tensor.shape import concatenate

    u, s, vt = SVD(full_matrices=False)(x)
    cutoff = 1e-15 * concatenate([s, zeros((1,), dtype=s.dtype)]).max()  # s >= 0: the max of an empty s is 0
    large = s > cutoff
    s_inv = switch(large, 1 / switch(large, s, 1), 0)
    return dot(vt.T, s_inv.dimshuffle(0, "x") * u.T)


class MatrixPinv(Op):
    """numpy.linalg.pinv (Moore-Penrose pseudo-inverse), natively from the LAPACK SVD; Theano's gradient."""

    __props__ = ()

    def make_node(self, x) -> Apply:
        x = _matrix(x, "pinv")
        return Apply(self, [x], [_mat(_float(x))])

    def perform(self, node, inputs):
        return [np.linalg.pinv(inputs[0]).astype(node.out.dtype)]

    def infer_shape(self, node, shapes, value):
        return [(shapes[0][1], shapes[0][0])]

    def emit(self, ctx, node, operands):
        from mlc.tensor.elemwise import cast

        return emit_composed(ctx, node, operands, lambda x: _pinv_graph(cast(x, node.out.dtype)))

    def L_op(self, inputs, outputs, output_grads):
        from mlc.tensor.alloc import identity_like
        from mlc.tensor.contract import dot

        (x,), (z,), (gz,) = inputs, outputs, output_grads
        x_dot_z, z_dot_x = dot(x, z), dot(z, x)
        grad = (-matrix_dot(z, gz.T, z)
                + matrix_dot(z, z.T, gz, identity_like(x_dot_z) - x_dot_z)
                + matrix_dot(identity_like(z_dot_x) - z_dot_x, gz, z.T, z)).T
        return [grad]


pinv = MatrixPinv()


class Det(Op):
    """numpy.linalg.det, natively (LU through LAPACK getrf); gradient gz * det(X) * inv(X)^T."""

    __props__ = ()

    def make_node(self, x) -> Apply:
        x = _matrix(x, "det", True)
        return Apply(self, [x], [TensorType(_float(x), ())])

    def perform(self, node, inputs):
        return [np.asarray(np.linalg.det(inputs[0]), dtype=node.out.dtype)]

    def infer_shape(self, node, shapes, value):
        _check_square("det", shapes[0])
        return [()]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        return lapack_native(ctx, node, operands, mt.DetOp)

    def L_op(self, inputs, outputs, output_grads):
        return [output_grads[0] * outputs[0] * matrix_inverse(inputs[0]).T]

    def __str__(self) -> str:
        return "Det"


det = Det()


def _no_grad(theano_class: str) -> AttributeError:
    """What Theano 1.0.5 raises for the gradient of an op that defines none (Eig, lstsq): Op.L_op calls the
    missing `grad`."""
    return AttributeError(f"'{theano_class}' object has no attribute 'grad'")


class EigComplex(Op):
    """numpy.linalg.eig of a real matrix with its complex results (eigenvalues w and right eigenvectors v,
    complex128), natively (LAPACK geev in double precision, as numpy computes float32 too). The core of
    Eig's real parts and of ExpmGrad."""

    __props__ = ()

    def make_node(self, x) -> Apply:
        x = _matrix(x, "eig", True)
        if x.dtype.startswith("complex"):
            raise GraphError(f"eig: expected a real matrix, got {x} ({x.type}){built_at(x)}")
        return Apply(self, [x], [_vec("complex128"), _mat("complex128")])

    def perform(self, node, inputs):
        w, v = np.linalg.eig(inputs[0])
        return [w.astype("complex128"), v.astype("complex128")]

    def infer_shape(self, node, shapes, value):
        _check_square("eig", shapes[0])
        n = shapes[0][0]
        return [(n,), (n, n)]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        return list(ctx.add(mt.EigOp(ctx.cast(operands[0], "float64"))).results)

    def grad(self, inputs, output_grads):
        raise _no_grad("Eig")


class Eig(Op):
    """numpy.linalg.eig as Theano's Eig returns it: eigenvalues w and right eigenvectors v (the columns of v)
    cast to the matrix's type, so a real matrix gives the real parts (a complex pair's two vectors then share
    their real part) and a complex one the complex results; natively (LAPACK geev / zgeev, in double
    precision as numpy computes). Integer matrices give float64 (Theano: the integer type). No gradient
    (Theano defines none)."""

    __props__ = ()

    def make_node(self, x) -> Apply:
        x = _matrix(x, "eig", True)
        d = _float(x)
        return Apply(self, [x], [_vec(d), _mat(d)])

    def perform(self, node, inputs):
        w, v = np.linalg.eig(inputs[0])
        d = node.outputs[0].dtype
        if not d.startswith("complex"):
            w, v = np.real(w), np.real(v)
        return [w.astype(d), v.astype(d)]

    def infer_shape(self, node, shapes, value):
        _check_square("eig", shapes[0])
        n = shapes[0][0]
        return [(n,), (n, n)]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt
        from mlc.tensor.elemwise import cast, real

        d = node.outputs[0].dtype
        if d.startswith("complex"):
            op = ctx.add(mt.EigOp(ctx.cast(operands[0], "complex128")))
            return [ctx.cast(r, d) for r in op.results]
        return emit_composed(ctx, node, operands, lambda x: [cast(real(r), d) for r in EigComplex()(x)])

    def grad(self, inputs, output_grads):
        raise _no_grad("Eig")


eig = Eig()


class Eigh(Op):
    """numpy.linalg.eigh of a symmetric matrix (the `UPLO` triangle is read), natively (LAPACK syevd);
    Theano's gradient (EighGrad's formula, written with native ops)."""

    __props__ = ("UPLO",)

    def __init__(self, UPLO="L"):
        if UPLO not in ("L", "U"):
            raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
        self.UPLO = UPLO

    def make_node(self, x) -> Apply:
        x = _matrix(x, "eigh", True)
        d = _float(x)
        return Apply(self, [x], [_vec(d), _mat(d)])

    def perform(self, node, inputs):
        w, v = np.linalg.eigh(inputs[0], self.UPLO)
        return [w.astype(node.outputs[0].dtype), v.astype(node.outputs[1].dtype)]

    def infer_shape(self, node, shapes, value):
        _check_square("eigh", shapes[0])
        n = shapes[0][0]
        return [(n,), (n, n)]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        op = ctx.add(mt.EighOp(ctx.cast(operands[0], node.outputs[0].type.dtype), lower=self.UPLO == "L"))
        return list(op.results)

    def L_op(self, inputs, outputs, output_grads):
        """Theano's EighGrad: with F[m, n] = v[:, m] . gv[:, n] / (w[n] - w[m]) off the diagonal (0 on it),
        g = v (v diag(gw) + v F)^T, folded onto the triangle eigh reads."""
        from mlc.tensor.alloc import eye, zeros_like
        from mlc.tensor.contract import dot
        from mlc.tensor.elemwise import switch
        from mlc.tensor.extra_ops import tril, triu

        (x,), (w, v) = inputs, outputs
        gw, gv = (zeros_like(o) if g is None else g for g, o in zip(output_grads, outputs))
        n = x.shape[0]
        F = switch(eye(n, dtype="bool"), 0, dot(v.T, gv) / (w.dimshuffle("x", 0) - w.dimshuffle(0, "x")))
        g = dot(v, (v * gw.dimshuffle("x", 0) + dot(v, F)).T)
        return [tril(g) + triu(g, 1).T if self.UPLO == "L" else triu(g) + tril(g, -1).T]


class EighGrad(HostOp):
    """The gradient of eigh with respect to the matrix (perturbation theory; Theano's EighGrad op, kept
    for programs that build it by name; Eigh's own gradient is the same formula in native ops)."""

    __props__ = ("UPLO",)

    def __init__(self, UPLO="L"):
        self.UPLO = UPLO

    def make_node(self, x, w, v, gw, gv) -> Apply:
        ins = [as_tensor_variable(a) for a in (x, w, v, gw, gv)]
        return Apply(self, ins, [_mat(upcast(*[a.dtype for a in ins]))])

    def perform(self, node, inputs):
        x, w, v, W, V = inputs
        # F[m, n] = v[:, m] . V[:, n] / (w[n] - w[m]) off the diagonal
        with np.errstate(divide="ignore", invalid="ignore"):
            F = (v.T @ V) / (w[None, :] - w[:, None])
        np.fill_diagonal(F, 0.0)
        g = v @ (v * W[None, :] + v @ F).T
        out = (np.tril(g) + np.triu(g, 1).T) if self.UPLO == "L" else (np.triu(g) + np.tril(g, -1).T)
        return [out.astype(node.out.dtype)]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]


def eigh(a, UPLO="L"):
    """(w, v) = numpy.linalg.eigh(a, UPLO): eigenvalues ascending and orthonormal eigenvectors."""
    return Eigh(UPLO)(a)


class QR(Op):
    """numpy.linalg.qr in mode 'reduced', 'complete', 'r' or 'raw'; natively (LAPACK geqrf + orgqr)."""

    __props__ = ("mode",)

    def __init__(self, mode="reduced"):
        if mode not in ("reduced", "complete", "r", "raw"):
            raise ValueError(f"qr: mode must be 'reduced', 'complete', 'r' or 'raw', got {mode!r}")
        self.mode = mode

    def make_node(self, x) -> Apply:
        x = _matrix(x, "qr")
        d = _float(x)
        outs = {"r": [_mat(d)], "raw": [_mat(d), _vec(d)]}.get(self.mode, [_mat(d), _mat(d)])
        return Apply(self, [x], outs)

    def perform(self, node, inputs):
        r = np.linalg.qr(inputs[0], self.mode)
        r = [r] if self.mode == "r" else list(r)
        return [np.asarray(a, dtype=o.dtype) for a, o in zip(r, node.outputs)]

    def infer_shape(self, node, shapes, value):
        m, n = shapes[0]
        k = min(m, n)
        return {"reduced": [(m, k), (k, n)], "complete": [(m, m), (m, n)], "r": [(k, n)],
                "raw": [(n, m), (k,)]}[self.mode]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        a = ctx.cast(operands[0], node.outputs[0].type.dtype)
        return list(ctx.add(mt.QrOp(a, self.mode)).results)


QRFull = QRIncomplete = QR  # Theano's two classes (q and r, or r alone) are one op here, by mode


def qr(a, mode="reduced"):
    """numpy.linalg.qr: (q, r), or r alone for mode='r', or (h, tau) for mode='raw'."""
    return QR(mode)(a)


class SVD(Op):
    """numpy.linalg.svd: (u, s, vt), or s alone when compute_uv is false; natively (LAPACK gesdd)."""

    __props__ = ("full_matrices", "compute_uv")

    def __init__(self, full_matrices=True, compute_uv=True):
        self.full_matrices, self.compute_uv = bool(full_matrices), bool(compute_uv)

    def make_node(self, x) -> Apply:
        x = _matrix(x, "svd")
        d = _float(x)
        return Apply(self, [x], [_mat(d), _vec(d), _mat(d)] if self.compute_uv else [_vec(d)])

    def perform(self, node, inputs):
        r = np.linalg.svd(inputs[0], self.full_matrices, self.compute_uv)
        r = list(r) if self.compute_uv else [r]
        return [np.asarray(a, dtype=o.dtype) for a, o in zip(r, node.outputs)]

    def infer_shape(self, node, shapes, value):
        m, n = shapes[0]
        k = min(m, n)
        if not self.compute_uv:
            return [(k,)]
        return [(m, m) if self.full_matrices else (m, k), (k,), (n, n) if self.full_matrices else (k, n)]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        a = ctx.cast(operands[0], node.outputs[0].type.dtype)
        return list(ctx.add(mt.SvdOp(a, self.full_matrices, self.compute_uv)).results)


def svd(a, full_matrices=1, compute_uv=1):
    """numpy.linalg.svd(a, full_matrices, compute_uv)."""
    return SVD(full_matrices, compute_uv)(a)


class LstsqCore(Op):
    """numpy.linalg.lstsq's solution x, singular values s and rank, and the squared residual norms of every
    column (`resid`: k, or 1 for a vector b; zeros unless the rank is n and m > n), natively (LAPACK gelsd in
    double precision, as numpy computes float32 too). rcond < 0: machine precision (LAPACK's rule)."""

    __props__ = ()

    def make_node(self, a, b, rcond=-1) -> Apply:
        a, b = _matrix(a, "lstsq"), as_tensor_variable(b)
        if rcond is None:  # numpy's default: machine precision times the larger dimension
            from mlc.tensor.elemwise import maximum

            rcond = np.finfo("float64").eps * maximum(a.shape[0], a.shape[1])
        rcond = as_tensor_variable(rcond)
        if b.ndim not in (1, 2):
            raise GraphError(f"lstsq: b must be a vector or a matrix, got {b} ({b.type}){built_at(b)}")
        if rcond.ndim != 0:
            raise GraphError(f"lstsq: rcond must be a scalar, got {rcond} ({rcond.type}){built_at(rcond)}")
        d = upgrade_to_float(a.dtype, b.dtype)
        return Apply(self, [a, b, rcond], [TensorType(d, (False,) * b.ndim), _vec(d), TensorType("int64", ()),
                                           _vec(d)])

    def perform(self, node, inputs):
        from mlc.dialects import mt

        a, b, rcond = (np.asarray(v, "float64") for v in inputs)
        x, s, rank, resid = mt.LstsqOp.evaluate(None, a, b, rcond)  # the op's numpy meaning (self unused)
        return [np.asarray(v, o.dtype) for v, o in zip((x, s, rank, resid), node.outputs)]

    def infer_shape(self, node, shapes, value):
        (m, n), b = shapes[0], shapes[1]
        if b[0] != m:
            from mlc.graph import ShapeError

            raise ShapeError(f"lstsq: Incompatible dimensions: a is {m}x{n} but b has {b[0]} rows"
                             f"{built_at(node.inputs[1])}")
        return [(n,) + tuple(b[1:]), (min(m, n),), (), (b[1] if len(b) == 2 else 1,)]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        outs = ctx.add(mt.LstsqOp(*(ctx.cast(v, "float64") for v in operands))).results
        return [ctx.cast(v, o.type.dtype) for v, o in zip(outs, node.outputs)]

    def grad(self, inputs, output_grads):
        raise _no_grad("lstsq")


class Lstsq:
    """Theano's lstsq op class: `lstsq()(a, b, rcond)` -> [x, residuals, rank, s], numpy.linalg.lstsq's
    results (rcond as numpy takes it: -1 is machine precision, None eps * max(m, n)). The solution, rank and
    singular values are computed natively (LstsqCore: LAPACK gelsd); the residuals' length depends on the
    rank found (a slice of LstsqCore's residuals with a computed stop). No gradient (Theano defines none: AttributeError)."""

    __props__ = ()

    def __call__(self, a, b, rcond=-1):
        from mlc.tensor.elemwise import and_, eq, gt, switch

        x, s, rank, resid = LstsqCore()(a, b, rcond)
        m, n = x.owner.inputs[0].shape[0], x.owner.inputs[0].shape[1]
        # numpy's residuals: all of them when the rank is n and m > n, else none. A slice whose stop is
        # computed natively from the rank (a length known only at run time, no host step)
        keep = switch(and_(eq(rank, n), gt(m, n)), resid.shape[0], 0)
        return [x, resid[:keep], rank, s]

    def __eq__(self, other) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __str__(self) -> str:
        return "lstsq"


lstsq = Lstsq


def matrix_power(M, n):
    """M to the integer power n by repeated squaring (dots); n = 0 gives the identity, n < 0 inverts."""
    from mlc.tensor.alloc import identity_like
    from mlc.tensor.contract import dot

    M = _matrix(M, "matrix_power")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"matrix_power: n must be a Python int, got {n!r}")
    n = int(n)
    if n == 0:
        return identity_like(M)
    if n < 0:
        M, n = matrix_inverse(M), -n
    result, base = None, M
    while n:
        if n & 1:
            result = base if result is None else dot(result, base)
        n >>= 1
        if n:
            base = dot(base, base)
    return result


def trace(X):
    """The sum of the main diagonal of matrix X."""
    return extract_diag(_matrix(X, "trace")).sum()


def extract_diag(x, offset=0, axis1=0, axis2=1):
    """The diagonal of x (Theano's ExtractDiag: numpy.diagonal)."""
    from mlc.tensor.extra_ops import diagonal

    return diagonal(x, offset, axis1, axis2)


def alloc_diag(x, offset=0):
    """A square matrix with vector x on diagonal `offset` (Theano's AllocDiag)."""
    from mlc.tensor.extra_ops import diag as _diag

    x = as_tensor_variable(x)
    if x.ndim != 1:
        raise TypeError(f"alloc_diag only works on vectors, got {x} ({x.type}){built_at(x)}")
    return _diag(x, offset)


class AllocDiag:
    """Theano's (deprecated) nlinalg.AllocDiag: `AllocDiag()(v)` is the square matrix with v on its diagonal."""

    def __call__(self, x):
        return alloc_diag(x)


def diag(x):
    """Theano's nlinalg.diag: the diagonal of a matrix, or the diagonal matrix of a vector."""
    x = as_tensor_variable(x)
    if x.ndim == 1:
        return alloc_diag(x)
    if x.ndim == 2:
        return extract_diag(x)
    raise TypeError(f"diag requires a vector or matrix argument, got {x} ({x.type}){built_at(x)}")


def norm(x, ord):
    """Theano's norm: vector norms (None/2, inf, -inf, 0, p) and matrix norms (None/'fro', inf, -inf, 1, -1)."""
    from mlc.tensor.reduce import max as _max
    from mlc.tensor.reduce import min as _min
    from mlc.tensor.reduce import sum as _sum

    from mlc.tensor.elemwise import sqrt
    from mlc.tensor.var import constant

    x = as_tensor_variable(x)
    if x.ndim == 0:
        raise ValueError("'axis' entry is out of bounds.")
    if x.ndim == 1:
        if isinstance(ord, Variable):  # a symbolic order: Theano's general p-norm formula, elementwise in ord
            return _sum(abs(x ** ord)) ** (1.0 / ord)
        if ord is None or ord == 2:
            return sqrt(_sum(x ** 2))
        if ord == "inf" or ord == np.inf:
            return _max(abs(x))
        if ord == "-inf" or ord == -np.inf:
            return _min(abs(x))
        if ord == 0:
            from mlc.tensor.elemwise import cast, neq

            return _sum(cast(neq(x, 0), "int64"))
        try:
            p = _sum(abs(x ** ord))
            return p ** constant(np.asarray(1.0 / ord, dtype=upgrade_to_float(p.dtype)))
        except TypeError:
            raise ValueError("Invalid norm order for vectors.") from None
    if x.ndim == 2:
        if ord is None or ord == "fro":
            return sqrt(_sum(abs(x ** 2)))
        if ord == "inf" or ord == np.inf:
            return _max(_sum(abs(x), 1))
        if ord == "-inf" or ord == -np.inf:
            return _min(_sum(abs(x), 1))
        if ord == 1:
            return _max(_sum(abs(x), 0))
        if ord == -1:
            return _min(_sum(abs(x), 0))
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    raise NotImplementedError("norm: tensors of more than 2 dims are not supported")


class TensorInv(Op):
    """numpy.linalg.tensorinv(a, ind): shape a.shape[ind:] + a.shape[:ind]; natively (a reshaped inverse)."""

    __props__ = ("ind",)

    def __init__(self, ind=2):
        self.ind = int(ind)

    def make_node(self, a) -> Apply:
        a = as_tensor_variable(a)
        ind = self.ind
        return Apply(self, [a], [TensorType(_float(a), tuple(a.broadcastable[ind:] + a.broadcastable[:ind]))])

    def perform(self, node, inputs):
        return [np.linalg.tensorinv(inputs[0], self.ind).astype(node.out.dtype)]

    def infer_shape(self, node, shapes, value):
        s = tuple(shapes[0])
        if int(np.prod(s[:self.ind])) != int(np.prod(s[self.ind:])):
            from mlc.graph import ShapeError

            raise ShapeError(f"tensorinv: the product of the first {self.ind} dims of {s} must equal that of the "
                             f"others{built_at(node.inputs[0])}")
        return [s[self.ind:] + s[:self.ind]]

    def emit(self, ctx, node, operands):
        from mlc.tensor.elemwise import cast
        from mlc.tensor.shape import reshape

        def build(a):
            sh = a.shape
            rows = sh[0]
            for i in range(1, self.ind):
                rows = rows * sh[i]
            inv = matrix_inverse(reshape(cast(a, node.out.dtype), [rows, -1], ndim=2))
            return reshape(inv, [sh[i] for i in range(self.ind, a.ndim)] + [sh[i] for i in range(self.ind)],
                           ndim=a.ndim)

        return emit_composed(ctx, node, operands, build)


def tensorinv(a, ind=2):
    """numpy.linalg.tensorinv: the inverse of `a` for tensordot over its first `ind` indices."""
    return TensorInv(ind)(a)


class TensorSolve(Op):
    """numpy.linalg.tensorsolve(a, b, axes): x with tensordot(a, x, x.ndim) = b; natively (a reshaped solve)."""

    __props__ = ("axes",)

    def __init__(self, axes=None):
        self.axes = None if axes is None else tuple(axes)

    def make_node(self, a, b) -> Apply:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        if a.ndim < b.ndim:
            raise GraphError(f"tensorsolve: a ({a.type}) must have at least b's {b.ndim} dims")
        d = upgrade_to_float(a.dtype, b.dtype)
        return Apply(self, [a, b], [TensorType(d, (False,) * (a.ndim - b.ndim))])

    def perform(self, node, inputs):
        return [np.linalg.tensorsolve(inputs[0], inputs[1], self.axes).astype(node.out.dtype)]

    def infer_shape(self, node, shapes, value):
        a = list(shapes[0])
        if self.axes is not None:
            rest = [s for i, s in enumerate(a) if i not in [x % len(a) for x in self.axes]]
            a = rest + [a[x] for x in self.axes]
        x = tuple(a[len(shapes[1]):])
        if int(np.prod(a)) != int(np.prod(x)) ** 2:
            from mlc.graph import ShapeError

            raise ShapeError(f"tensorsolve: Input arrays must satisfy the requirement prod(a.shape[b.ndim:]) == "
                             f"prod(a.shape[:b.ndim]), got a of shape {tuple(shapes[0])} and b of shape "
                             f"{tuple(shapes[1])}{built_at(node.inputs[0])}")
        return [x]

    def emit(self, ctx, node, operands):
        from mlc.tensor.elemwise import cast
        from mlc.tensor.shape import reshape
        from mlc.tensor.slinalg import Solve

        def build(a, b):
            if self.axes is not None:
                moved = [x % a.ndim for x in self.axes]
                a = a.dimshuffle(*[i for i in range(a.ndim) if i not in moved], *moved)
            sh = a.shape
            tail = [sh[i] for i in range(b.ndim, a.ndim)]
            size = 1
            for t in tail:
                size = size * t
            x = Solve()(reshape(cast(a, node.out.dtype), [size, size], ndim=2), cast(b, node.out.dtype).flatten())
            return reshape(x, tail, ndim=len(tail))

        return emit_composed(ctx, node, operands, build)


def tensorsolve(a, b, axes=None):
    """numpy.linalg.tensorsolve: solve tensordot(a, x, axes=x.ndim) = b for x."""
    return TensorSolve(axes)(a, b)
