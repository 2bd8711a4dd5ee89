"""theano.sparse's structural ops, comparisons and the remaining products (Theano 1.0.5's semantics).

Host ops over scipy.sparse: `diag` / `square_diagonal`, `remove0`,
`ensure_sorted_indices`, `clean`, `hstack` / `vstack`, `add_s_s_data`, the
comparisons (`eq neq lt gt le ge`, sparse with sparse -> sparse uint8,
sparse with dense -> dense uint8), `usmm`, sparse x sparse
`structured_dot` (`StructuredDot`) and the structured gradient ops
`StructuredDotGradCSC` / `StructuredDotGradCSR`. Gradients are Theano's:
regular for diag, square_diagonal, remove0, ensure_sorted_indices and the
stacks; none for the comparisons (their uint8 results carry none) and
for `usmm`.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse

from mlc.graph import Apply, ShapeError, TensorType, built_at
from mlc.graph.dtype import upcast
from mlc.sparse.basic import (CSC, CSR, ScaleSV, SparseFromDense, SparseOp, _dense, _rows_cols, _sparse_out,
                              csm_indices, csm_indptr, csm_shape, dense_from_sparse, sampling_dot, structured_dot,
                              transpose)
from mlc.sparse.type import FORMATS, as_sparse_variable, is_sparse_variable


def _as_tensor(x):
    from mlc.tensor.var import as_tensor_variable

    return as_tensor_variable(x)


def _quiet(f, *args):
    """f(*args) without scipy's SparseEfficiencyWarning (x == y on sparse matrices warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.sparse.SparseEfficiencyWarning)
        return f(*args)


# ----------------------------------------------------------------------------
# Diagonals
# ----------------------------------------------------------------------------


class Diag(SparseOp):
    """The diagonal of a square sparse matrix as a dense vector (Theano's Diag; regular gradient)."""

    __props__ = ()

    def make_node(self, x):
        x = as_sparse_variable(x)
        return Apply(self, [x], [_dense(x.dtype, 1)])

    def perform(self, node, inputs):
        (x,) = inputs
        if x.shape[0] != x.shape[1]:
            raise ValueError(f"Diag only apply on square matrix (got shape {x.shape})")
        return [x.diagonal()]

    def infer_shape(self, node, shapes, value):
        m, n = shapes[0]
        if m != n:
            raise ValueError(f"Diag only apply on square matrix (got shape {(m, n)}){built_at(node.outputs[0])}")
        return [(m,)]

    def grad(self, inputs, output_grads):
        return [square_diagonal(output_grads[0])]


diag = Diag()


class SquareDiagonal(SparseOp):
    """A dense vector d -> the csc matrix with d on its diagonal, every entry stored (Theano's SquareDiagonal)."""

    __props__ = ()

    def make_node(self, diag):
        diag = _as_tensor(diag)
        if diag.ndim != 1:
            raise TypeError(f"square_diagonal: data argument must be a vector, got {diag} ({diag.type})"
                            f"{built_at(diag)}")
        return Apply(self, [diag], [_sparse_out("csc", diag.dtype)])

    def perform(self, node, inputs):
        d = np.asarray(inputs[0])
        n = len(d)
        return [scipy.sparse.csc_matrix((d.copy(), np.arange(n), np.arange(n + 1)), shape=(n, n))]

    def infer_shape(self, node, shapes, value):
        return [(shapes[0][0], shapes[0][0])]

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        if is_sparse_variable(gz):
            return [diag(gz)]
        from mlc.tensor import diagonal

        return [diagonal(gz)]


square_diagonal = SquareDiagonal()


# ----------------------------------------------------------------------------
# Storage clean-up: remove0, ensure_sorted_indices, clean
# ----------------------------------------------------------------------------


class Remove0(SparseOp):
    """x without its explicitly stored zeros (Theano's Remove0; regular gradient)."""

    __props__ = ("inplace",)

    def __init__(self, inplace: bool = False):
        self.inplace = inplace  # mlc never runs host ops in place: the flag is kept for Theano's spelling

    def __str__(self) -> str:
        return "Remove0{inplace}" if self.inplace else "Remove0{}"

    def make_node(self, x):
        x = as_sparse_variable(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        c = inputs[0].copy()
        c.eliminate_zeros()
        return [c]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        return [output_grads[0]]


remove0 = Remove0()


class EnsureSortedIndices(SparseOp):
    """x with the indices of each row (csr) / column (csc) sorted (Theano's EnsureSortedIndices)."""

    __props__ = ("inplace",)

    def __init__(self, inplace: bool = False):
        self.inplace = inplace

    def __str__(self) -> str:
        return f"EnsureSortedIndices{{{'inplace' if self.inplace else 'no_inplace'}}}"

    def make_node(self, x):
        x = as_sparse_variable(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [inputs[0].sorted_indices()]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        return [output_grads[0]]


ensure_sorted_indices = EnsureSortedIndices(inplace=False)


def clean(x):
    """x without explicit zeros and with sorted indices (Theano's clean: ensure_sorted_indices(remove0(x)))."""
    return ensure_sorted_indices(remove0(x))


# ----------------------------------------------------------------------------
# hstack / vstack
# ----------------------------------------------------------------------------


class HStack(SparseOp):
    """Sparse matrices side by side (scipy.sparse.hstack) in `format` (default csc) and `dtype`.

    Theano's HStack: regular gradient, the output gradient's column blocks
    as sparse matrices in the output's format.
    """

    __props__ = ("format", "dtype")
    axis = 1

    def __init__(self, format: str | None = None, dtype: str | None = None):
        self.format = "csc" if format is None else format
        if self.format not in FORMATS:
            raise ValueError(f"{type(self).__name__}: format must be 'csr' or 'csc', got {format!r}")
        if dtype is None:
            raise ValueError("The output dtype must be specified.")
        self.dtype = str(np.dtype(dtype))

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.format},{self.dtype})"

    def make_node(self, *mat):
        if not mat:
            raise ValueError("Cannot join an empty list of sparses.")
        return Apply(self, [as_sparse_variable(x) for x in mat], [_sparse_out(self.format, self.dtype)])

    def perform(self, node, inputs):
        stack = scipy.sparse.hstack if self.axis == 1 else scipy.sparse.vstack
        out = stack(inputs, format=self.format, dtype=self.dtype)
        return [out.astype(self.dtype) if out.dtype != self.dtype else out]

    def infer_shape(self, node, shapes, value):
        keep = 1 - self.axis
        shapes = [tuple(s) for s in shapes]
        if any(s[keep] != shapes[0][keep] for s in shapes):
            what = "rows" if keep == 0 else "columns"
            raise ShapeError(f"{'h' if self.axis == 1 else 'v'}stack: the blocks' numbers of {what} differ "
                             f"(shapes {shapes}){built_at(node.outputs[0])}")
        total = sum(s[self.axis] for s in shapes)
        return [(shapes[0][0], total) if self.axis == 1 else (total, shapes[0][1])]

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        if is_sparse_variable(gz):
            gz = dense_from_sparse(gz)
        terms, start = [], 0
        for x in inputs:
            stop = start + x.shape[self.axis]
            block = gz[:, start:stop] if self.axis == 1 else gz[start:stop, :]
            terms.append(SparseFromDense(self.format)(block))
            start = stop
        return terms  # (terms for integer blocks become zeros: mlc's rule for discrete inputs)


class VStack(HStack):
    """Sparse matrices one above the other (scipy.sparse.vstack); Theano's VStack."""

    axis = 0


def _stack(cls, blocks, format, dtype):
    blocks = [as_sparse_variable(b) for b in blocks]
    if not blocks:
        raise ValueError("Cannot join an empty list of sparses.")
    if dtype is None:
        dtype = upcast(*[b.dtype for b in blocks])
    return cls(format=format, dtype=dtype)(*blocks)


def hstack(blocks, format=None, dtype=None):
    """The sparse matrices of `blocks` side by side (format default csc, dtype default their upcast)."""
    return _stack(HStack, blocks, format, dtype)


def vstack(blocks, format=None, dtype=None):
    """The sparse matrices of `blocks` one above the other (format default csc, dtype default their upcast)."""
    return _stack(VStack, blocks, format, dtype)


# ----------------------------------------------------------------------------
# add_s_s_data
# ----------------------------------------------------------------------------


class AddSSData(SparseOp):
    """x + y for two matrices with one sparsity pattern: the data vectors added (Theano's AddSSData)."""

    __props__ = ()

    def make_node(self, x, y):
        x, y = as_sparse_variable(x), as_sparse_variable(y)
        if x.dtype != y.dtype:
            raise NotImplementedError(f"add_s_s_data: the dtypes differ ({x.dtype}, {y.dtype})")
        if x.format != y.format:
            raise NotImplementedError(f"add_s_s_data: the formats differ ({x.format}, {y.format})")
        return Apply(self, [x, y], [x.type])

    def perform(self, node, inputs):
        x, y = inputs
        if x.shape != y.shape or x.data.shape != y.data.shape:
            raise ValueError(f"add_s_s_data: x (shape {x.shape}, {len(x.data)} stored) and y (shape {y.shape}, "
                             f"{len(y.data)} stored) must have one sparsity pattern")
        out = x.copy()
        out.data += y.data
        return [out]

    def infer_shape(self, node, shapes, value):
        if tuple(shapes[0]) != tuple(shapes[1]):
            raise ShapeError(f"add_s_s_data: shapes {tuple(shapes[0])} and {tuple(shapes[1])} differ"
                             f"{built_at(node.outputs[0])}")
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        return [output_grads[0], output_grads[0]]  # structured (x's pattern); integer inputs get zeros


add_s_s_data = AddSSData()


# ----------------------------------------------------------------------------
# Comparisons: sparse with sparse -> sparse uint8, sparse with dense -> dense uint8
# ----------------------------------------------------------------------------


class _ComparisonSS(SparseOp):
    __props__ = ()
    comparison = staticmethod(lambda x, y: None)

    def make_node(self, x, y):
        x, y = as_sparse_variable(x), as_sparse_variable(y)
        if x.format != y.format:
            raise NotImplementedError(f"{type(self).__name__}: both matrices must have one format, got {x.format} "
                                      f"and {y.format}")
        return Apply(self, [x, y], [_sparse_out(x.format, "uint8")])

    def perform(self, node, inputs):
        return [_quiet(self.comparison, *inputs).astype("uint8")]

    def infer_shape(self, node, shapes, value):
        if tuple(shapes[0]) != tuple(shapes[1]):
            raise ShapeError(f"{type(self).__name__}: shapes {tuple(shapes[0])} and {tuple(shapes[1])} differ"
                             f"{built_at(node.outputs[0])}")
        return [shapes[0]]


class _ComparisonSD(SparseOp):
    __props__ = ()
    comparison = staticmethod(lambda x, y: None)

    def make_node(self, x, y):
        x, y = as_sparse_variable(x), _as_tensor(y)
        if y.ndim != 2:
            raise TypeError(f"{type(self).__name__}: the dense operand must be a matrix, got {y} ({y.type})"
                            f"{built_at(y)}")
        return Apply(self, [x, y], [TensorType("uint8", (False, False))])

    def perform(self, node, inputs):
        x, y = inputs
        return [np.asarray(_quiet(self.comparison, x, np.asarray(y))).astype("uint8")]

    def infer_shape(self, node, shapes, value):
        if tuple(shapes[0]) != tuple(shapes[1]):
            raise ShapeError(f"{type(self).__name__}: shapes {tuple(shapes[0])} and {tuple(shapes[1])} differ"
                             f"{built_at(node.outputs[0])}")
        return [shapes[0]]


def _comparison_ops(name: str, fn):
    ss = type(f"{name}SS", (_ComparisonSS,), {"comparison": staticmethod(fn), "__doc__": f"sparse {name} sparse"})
    sd = type(f"{name}SD", (_ComparisonSD,), {"comparison": staticmethod(fn), "__doc__": f"sparse {name} dense"})
    return ss, sd


EqualSS, EqualSD = _comparison_ops("Equal", lambda x, y: x == y)
NotEqualSS, NotEqualSD = _comparison_ops("NotEqual", lambda x, y: x != y)
LessThanSS, LessThanSD = _comparison_ops("LessThan", lambda x, y: x < y)
GreaterThanSS, GreaterThanSD = _comparison_ops("GreaterThan", lambda x, y: x > y)
LessEqualSS, LessEqualSD = _comparison_ops("LessEqual", lambda x, y: x <= y)
GreaterEqualSS, GreaterEqualSD = _comparison_ops("GreaterEqual", lambda x, y: x >= y)
for _cls in (EqualSS, EqualSD, NotEqualSS, NotEqualSD, LessThanSS, LessThanSD, GreaterThanSS, GreaterThanSD,
             LessEqualSS, LessEqualSD, GreaterEqualSS, GreaterEqualSD):
    _cls.__module__ = __name__

equal_s_s, equal_s_d = EqualSS(), EqualSD()
not_equal_s_s, not_equal_s_d = NotEqualSS(), NotEqualSD()
less_than_s_s, less_than_s_d = LessThanSS(), LessThanSD()
greater_than_s_s, greater_than_s_d = GreaterThanSS(), GreaterThanSD()
less_equal_s_s, less_equal_s_d = LessEqualSS(), LessEqualSD()
greater_equal_s_s, greater_equal_s_d = GreaterEqualSS(), GreaterEqualSD()


def _comparison_switch(name: str, ss, sd, ds):
    """Theano's comparison functions: sparse-sparse, sparse-dense, and dense-sparse (operands swapped)."""

    def compare(x, y):
        from mlc.graph import Variable

        if scipy.sparse.issparse(x):
            x = as_sparse_variable(x)
        if scipy.sparse.issparse(y):
            y = as_sparse_variable(y)
        if not isinstance(x, Variable):
            x = _as_tensor(x)
        if not isinstance(y, Variable):
            y = _as_tensor(y)
        xs, ys = is_sparse_variable(x), is_sparse_variable(y)
        if xs and ys:
            return ss(x, y)
        if xs:
            return sd(x, y)
        if ys:
            return ds(y, x)
        raise TypeError(f"sparse.{name}: at least one operand must be sparse, got {x.type} and {y.type}")

    compare.__name__ = name
    compare.__doc__ = (f"x {name} y elementwise where at least one is sparse: a sparse uint8 matrix for two sparse "
                       f"operands, a dense uint8 matrix otherwise (Theano's sparse.{name}).")
    return compare


eq = _comparison_switch("eq", equal_s_s, equal_s_d, equal_s_d)
neq = _comparison_switch("neq", not_equal_s_s, not_equal_s_d, not_equal_s_d)
lt = _comparison_switch("lt", less_than_s_s, less_than_s_d, greater_than_s_d)
gt = _comparison_switch("gt", greater_than_s_s, greater_than_s_d, less_than_s_d)
le = _comparison_switch("le", less_equal_s_s, less_equal_s_d, greater_equal_s_d)
ge = _comparison_switch("ge", greater_equal_s_s, greater_equal_s_d, less_equal_s_d)


# ----------------------------------------------------------------------------
# Products: usmm, StructuredDot (sparse x sparse), the structured gradient ops
# ----------------------------------------------------------------------------


class Usmm(SparseOp):
    """alpha * (x . y) + z with x or y sparse, a dense result (Theano's Usmm; no gradient, as in Theano)."""

    __props__ = ()

    def __str__(self) -> str:
        return "Usmm{no_inplace}"

    def make_node(self, alpha, x, y, z):
        if not (is_sparse_variable(x) or is_sparse_variable(y)
                or scipy.sparse.issparse(x) or scipy.sparse.issparse(y)):
            raise TypeError(f"usmm: x or y must be sparse (use gemm for dense matrices), got {x} and {y}")
        alpha, z = _as_tensor(alpha), _as_tensor(z)
        x = as_sparse_variable(x) if (is_sparse_variable(x) or scipy.sparse.issparse(x)) else _as_tensor(x)
        y = as_sparse_variable(y) if (is_sparse_variable(y) or scipy.sparse.issparse(y)) else _as_tensor(y)
        if z.ndim != 2 or x.ndim != 2 or y.ndim != 2:
            raise TypeError(f"usmm: x, y and z must be matrices, got {x.type}, {y.type} and {z.type}")
        if not all(alpha.broadcastable):
            raise TypeError(f"usmm: alpha must be a scalar (every dim broadcastable), got {alpha} ({alpha.type})")
        dtype = upcast(alpha.dtype, x.dtype, y.dtype, z.dtype)
        return Apply(self, [alpha, x, y, z], [TensorType(dtype, (False, False))])

    def perform(self, node, inputs):
        alpha, x, y, z = inputs
        r = x @ y
        if scipy.sparse.issparse(r):
            r = r.toarray()
        return [np.asarray(r) * np.asarray(alpha) + z]

    def infer_shape(self, node, shapes, value):
        _, sx, sy, sz = (tuple(s) for s in shapes)
        if sx[1] != sy[0] or sz != (sx[0], sy[1]):
            raise ShapeError(f"usmm: x {sx} . y {sy} + z {sz}: shapes not aligned{built_at(node.outputs[0])}")
        return [sz]


usmm = Usmm()


class StructuredDot(SparseOp):
    """a . b for sparse a and a sparse or dense matrix b (Theano's StructuredDot).

    A sparse b gives a sparse result in a's format. `structured_dot` sends
    sparse x dense to the native product; this op runs over scipy.
    Gradient (Theano's): structured for a (its stored entries only), a . g
    (transposed) for b.
    """

    __props__ = ()
    bsr_ok = True  # (a bsr matrix: its gradient raises, as in Theano)

    def make_node(self, a, b):
        a = as_sparse_variable(a)
        b = as_sparse_variable(b) if scipy.sparse.issparse(b) else b
        if not is_sparse_variable(b):
            b = _as_tensor(b)
        if b.ndim != 2:
            raise NotImplementedError(f"structured_dot: non-matrix b ({b} of type {b.type})")
        dtype = upcast(a.dtype, b.dtype)
        if is_sparse_variable(b):
            return Apply(self, [a, b], [_sparse_out(a.format, dtype)])
        return Apply(self, [a, b], [TensorType(dtype, (False, b.broadcastable[1]))])

    def perform(self, node, inputs):
        a, b = inputs
        r = a @ b
        return [r if scipy.sparse.issparse(r) else np.asarray(r)]

    def infer_shape(self, node, shapes, value):
        sa, sb = (tuple(s) for s in shapes)
        if sa[1] != sb[0]:
            raise ShapeError(f"structured_dot: shapes {sa} and {sb} are not aligned{built_at(node.outputs[0])}")
        return [(sa[0], sb[1])]

    def grad(self, inputs, output_grads):
        (a, b), (g,) = inputs, output_grads
        return [structured_dot_grad(a, b, g), structured_dot(transpose(a), g)]


_structured_dot = StructuredDot()


class _StructuredDotGrad(SparseOp):
    """(a_indices, a_indptr, b, g) -> (g . b.T) read at a's stored entries: the data of a's structured gradient.

    b and g may be dense or sparse. Theano's StructuredDotGradCSC/CSR.
    """

    __props__ = ()
    format = "csr"

    def make_node(self, a_indices, a_indptr, b, g_ab):
        ins = [_as_tensor(a_indices), _as_tensor(a_indptr)]
        for v in (b, g_ab):
            ins.append(as_sparse_variable(v) if (is_sparse_variable(v) or scipy.sparse.issparse(v)) else _as_tensor(v))
        if ins[0].ndim != 1 or ins[1].ndim != 1 or ins[2].ndim != 2 or ins[3].ndim != 2:
            raise TypeError(f"{type(self).__name__}: expected two index vectors and two matrices, got "
                            f"{[str(v.type) for v in ins]}")
        return Apply(self, ins, [_dense(ins[3].dtype, 1)])

    def perform(self, node, inputs):
        indices, indptr, b, g = inputs
        b = b.toarray() if scipy.sparse.issparse(b) else np.asarray(b)
        g = g.toarray() if scipy.sparse.issparse(g) else np.asarray(g)
        indptr = np.asarray(indptr)
        m = len(indptr) - 1
        shape = (g.shape[0], b.shape[0])  # a . b has g's shape
        if m != (shape[0] if self.format == "csr" else shape[1]):
            raise ValueError(f"{type(self).__name__}: indptr of length {len(indptr)} does not match the gradient's "
                             f"shape {g.shape} and b's shape {b.shape}")
        a = FORMATS[self.format]((np.zeros(len(indices)), np.asarray(indices), indptr), shape)
        rows, cols = _rows_cols(a)
        return [np.einsum("ij,ij->i", g[rows], b[cols]).astype(node.outputs[0].dtype, copy=False)]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def connection_pattern(self, node):
        return [[False], [False], [True], [True]]


class StructuredDotGradCSC(_StructuredDotGrad):
    """The structured gradient's data for a csc matrix a (Theano's StructuredDotGradCSC)."""

    format = "csc"


class StructuredDotGradCSR(_StructuredDotGrad):
    """The structured gradient's data for a csr matrix a (Theano's StructuredDotGradCSR)."""

    format = "csr"


sdg_csc = StructuredDotGradCSC()
sdg_csr = StructuredDotGradCSR()


def structured_dot_grad(sparse_A, dense_B, ga):
    """The gradient of structured_dot(A, B) w.r.t. A given ga: a matrix with A's pattern (Theano's)."""
    sparse_A = as_sparse_variable(sparse_A)
    if sparse_A.format not in FORMATS:
        raise NotImplementedError(f"structured_dot_grad: the gradient for a {sparse_A.format} matrix is not "
                                  f"implemented (csr and csc are)")
    sdg, csx = (sdg_csc, CSC) if sparse_A.format == "csc" else (sdg_csr, CSR)
    indices, indptr = csm_indices(sparse_A), csm_indptr(sparse_A)
    return csx(sdg(indices, indptr, dense_B, ga), indices, indptr, csm_shape(sparse_A))


# ----------------------------------------------------------------------------
# Theano's op-class spellings of ops mlc builds differently
# ----------------------------------------------------------------------------


class ColScaleCSC(ScaleSV):
    """Column j of sparse x times s[j] (Theano's ColScaleCSC; structured gradient)."""

    def __init__(self):
        super().__init__(0)


class RowScaleCSC(ScaleSV):
    """Row i of sparse x times s[i] (Theano's RowScaleCSC; structured gradient)."""

    def __init__(self):
        super().__init__(1)


class SamplingDot:
    """Theano's SamplingDot op class: `SamplingDot()(x, y, p)` builds mlc's native sampling_dot graph."""

    def __call__(self, x, y, p):
        return sampling_dot(x, y, p)

    def __eq__(self, other) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))


__all__ = [
    "AddSSData", "ColScaleCSC", "Diag", "EnsureSortedIndices", "EqualSD", "EqualSS", "GreaterEqualSD",
    "GreaterEqualSS", "GreaterThanSD", "GreaterThanSS", "HStack", "LessEqualSD", "LessEqualSS", "LessThanSD",
    "LessThanSS", "NotEqualSD", "NotEqualSS", "Remove0", "RowScaleCSC", "SamplingDot", "SquareDiagonal",
    "StructuredDot", "StructuredDotGradCSC", "StructuredDotGradCSR", "Usmm", "VStack", "add_s_s_data", "clean",
    "diag", "ensure_sorted_indices", "eq", "equal_s_d", "equal_s_s", "ge", "greater_equal_s_d", "greater_equal_s_s",
    "greater_than_s_d", "greater_than_s_s", "gt", "hstack", "le", "less_equal_s_d", "less_equal_s_s",
    "less_than_s_d", "less_than_s_s", "lt", "neq", "not_equal_s_d", "not_equal_s_s", "remove0", "sdg_csc",
    "sdg_csr", "square_diagonal", "structured_dot_grad", "usmm", "vstack",
]
