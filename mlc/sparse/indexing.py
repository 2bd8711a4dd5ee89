"""Indexing sparse matrices (Theano 1.0.5's theano.sparse get_item ops and `x[...]`).

- `x[[i, j, ...]]` / `get_item_list(x, rows)`: the listed rows, a sparse
  matrix (gradient: `get_item_list_grad`, the rows of the output gradient
  put back in place);
- `x[[i, ...], [j, ...]]` / `get_item_2lists(x, rows, cols)`: the listed
  entries as a dense vector (gradient: `get_item_2lists_grad`);
- `x[a:b]`, `x[a:b, c:d]` (steps allowed) / `get_item_2d(x, slices)`: a
  sparse matrix; no gradient (Theano defines none);
- `x[i, j]` / `get_item_scalar(x, (i, j))`: a dense scalar; no gradient.
- `construct_sparse_from_list(x, values, ilist)`: a csc matrix of x's
  shape whose rows ilist[k] hold values[k] (Theano's, used for the sparse
  gradient of advanced indexing).

A single integer index (`x[i]`, `x[a:b, j]`) would give a sparse vector,
which Theano does not have: it raises NotImplementedError, as in Theano.
Host ops over scipy.sparse.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from mlc.graph import Apply, ShapeError, TensorType, Variable, built_at
from mlc.sparse.basic import SparseFromDense, SparseOp, _dense, _sparse_out, dense_from_sparse
from mlc.sparse.type import FORMATS, as_sparse_variable, integer_dtypes, is_sparse_variable


def _tensor(x):
    from mlc.tensor.var import as_tensor_variable

    return as_tensor_variable(x)


def _index_vector(v, who: str, what: str = "index"):
    v = _tensor(v)
    if v.ndim != 1 or v.dtype not in integer_dtypes:
        raise TypeError(f"{who}: {what} must be a vector of integers, got {v} ({v.type}){built_at(v)}")
    return v


def _check_rows(who: str, idx, n: int, what: str = "row") -> np.ndarray:
    idx = np.asarray(idx, dtype=np.int64)
    bad = (idx < -n) | (idx >= n)
    if bad.any():
        raise IndexError(f"{who}: {what} index {int(idx[bad][0])} is out of bounds for a dimension of size {n}")
    return np.where(idx < 0, idx + n, idx)


def _paired(who: str, n1: int, n2: int, node) -> int:
    """The number of entries two index vectors select (numpy broadcasting: equal lengths, or one of length 1)."""
    if n1 != n2 and 1 not in (n1, n2):
        raise ShapeError(f"{who}: {n1} row indices and {n2} column indices do not pair up{built_at(node.outputs[0])}")
    return n2 if n1 == 1 else n1


def _as_sparse_grad(gz, format: str):
    return gz if is_sparse_variable(gz) else SparseFromDense(format)(gz)


def _placed(pos_rows, pos_cols, values, shape, format, dtype):
    """A matrix holding values at (rows, cols), the last of repeated positions winning (scipy's assignment)."""
    m, n = shape
    key = np.asarray(pos_rows, dtype=np.int64) * max(n, 1) + np.asarray(pos_cols, dtype=np.int64)
    _, last = np.unique(key[::-1], return_index=True)
    keep = len(key) - 1 - last
    coo = scipy.sparse.coo_matrix((np.asarray(values)[keep], (np.asarray(pos_rows)[keep], np.asarray(pos_cols)[keep])),
                                  shape=shape, dtype=dtype)
    return coo.asformat(format)


# ----------------------------------------------------------------------------
# Rows by a list
# ----------------------------------------------------------------------------


class GetItemList(SparseOp):
    """x[rows]: the rows listed (negative counted from the end), a sparse matrix in x's format."""

    __props__ = ()

    def make_node(self, x, index):
        x = as_sparse_variable(x)
        return Apply(self, [x, _index_vector(index, "get_item_list")], [x.type])

    def perform(self, node, inputs):
        x, idx = inputs
        return [x[_check_rows("get_item_list", idx, x.shape[0])]]

    def infer_shape(self, node, shapes, value):
        return [(shapes[1][0], shapes[0][1])]

    def grad(self, inputs, output_grads):
        from mlc.gradient import grad_undefined

        (x, idx), (gz,) = inputs, output_grads
        return [get_item_list_grad(x, idx, gz), grad_undefined(self, 1, idx, "No gradient for this input")]


get_item_list = GetItemList()


class GetItemListGrad(SparseOp):
    """(x, rows, gz) -> a matrix of x's shape with row rows[a] = gz[a] (a repeated row: the last one wins)."""

    __props__ = ()

    def make_node(self, x, index, gz):
        x = as_sparse_variable(x)
        gz = _as_sparse_grad(as_sparse_variable(gz) if scipy.sparse.issparse(gz) else gz, x.format)
        return Apply(self, [x, _index_vector(index, "get_item_list_grad"), gz], [x.type])

    def perform(self, node, inputs):
        x, idx, gz = inputs
        idx = _check_rows("get_item_list_grad", idx, x.shape[0])
        _, last = np.unique(idx[::-1], return_index=True)
        keep = np.zeros(len(idx), dtype=bool)
        keep[len(idx) - 1 - last] = True  # a repeated row: its last gradient row replaces the others (Theano's)
        g = gz.tocoo()
        on = keep[g.row]
        return [_placed(idx[g.row[on]], g.col[on], g.data[on], x.shape, x.format, node.outputs[0].dtype)]

    def infer_shape(self, node, shapes, value):
        if shapes[2][0] != shapes[1][0] or shapes[2][1] != shapes[0][1]:
            raise ShapeError(f"get_item_list_grad: a gradient of shape {tuple(shapes[2])} for {shapes[1][0]} rows "
                             f"of a matrix of shape {tuple(shapes[0])}{built_at(node.outputs[0])}")
        return [shapes[0]]


get_item_list_grad = GetItemListGrad()


# ----------------------------------------------------------------------------
# Entries by two lists
# ----------------------------------------------------------------------------


class GetItem2Lists(SparseOp):
    """x[rows, cols] for two integer vectors: the entries as a dense vector of x's dtype."""

    __props__ = ()

    def make_node(self, x, ind1, ind2):
        x = as_sparse_variable(x)
        ins = [x, _index_vector(ind1, "get_item_2lists", "ind1"), _index_vector(ind2, "get_item_2lists", "ind2")]
        return Apply(self, ins, [_dense(x.dtype, 1)])

    def perform(self, node, inputs):
        x, i, j = inputs
        i, j = _check_rows("get_item_2lists", i, x.shape[0]), _check_rows("get_item_2lists", j, x.shape[1], "column")
        i, j = (np.array(v) for v in np.broadcast_arrays(i, j))
        if len(i) == 0:
            return [np.zeros(0, dtype=x.dtype)]
        return [np.asarray(x[i, j]).ravel()]

    def infer_shape(self, node, shapes, value):
        return [(_paired("get_item_2lists", shapes[1][0], shapes[2][0], node),)]

    def grad(self, inputs, output_grads):
        from mlc.gradient import grad_undefined

        (x, i, j), (gz,) = inputs, output_grads
        return [get_item_2lists_grad(x, i, j, gz), grad_undefined(self, 1, i, "No gradient for this input"),
                grad_undefined(self, 2, j, "No gradient for this input")]


get_item_2lists = GetItem2Lists()


class GetItem2ListsGrad(SparseOp):
    """(x, rows, cols, gz) -> a matrix of x's shape holding gz[k] at (rows[k], cols[k]) (last repeat wins)."""

    __props__ = ()

    def make_node(self, x, ind1, ind2, gz):
        x = as_sparse_variable(x)
        gz = _tensor(gz)
        if gz.ndim != 1:
            raise TypeError(f"get_item_2lists_grad: gz must be a vector, got {gz} ({gz.type}){built_at(gz)}")
        ins = [x, _index_vector(ind1, "get_item_2lists_grad", "ind1"),
               _index_vector(ind2, "get_item_2lists_grad", "ind2"), gz]
        return Apply(self, ins, [x.type])

    def perform(self, node, inputs):
        x, i, j, gz = inputs
        i = _check_rows("get_item_2lists_grad", i, x.shape[0])
        j = _check_rows("get_item_2lists_grad", j, x.shape[1], "column")
        i, j = (np.array(v) for v in np.broadcast_arrays(i, j))
        return [_placed(i, j, gz, x.shape, x.format, node.outputs[0].dtype)]

    def infer_shape(self, node, shapes, value):
        n = _paired("get_item_2lists_grad", shapes[1][0], shapes[2][0], node)
        if shapes[3][0] != n:
            raise ShapeError(f"get_item_2lists_grad: {n} indexed entries and {shapes[3][0]} gradient entries"
                             f"{built_at(node.outputs[0])}")
        return [shapes[0]]


get_item_2lists_grad = GetItem2ListsGrad()


# ----------------------------------------------------------------------------
# Slices
# ----------------------------------------------------------------------------


def _slice_part(v, what: str):
    if not isinstance(v, Variable):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise ValueError(f"Impossible to index into a sparse matrix with slice where {what}={v!r}")
        return _tensor(np.asarray(v, dtype="int64"))
    if v.ndim != 0 or v.dtype not in integer_dtypes:
        raise ValueError(f"Impossible to index into a sparse matrix with slice where {what}={v} ({v.type})")
    return v


class GetItem2d(SparseOp):
    """x[a:b:s] or x[a:b:s, c:d:t]: a sparse matrix in x's format (Theano's GetItem2d; no gradient).

    `given` records which of (start, stop, step) of each axis are inputs of
    the node (the others are None); `get_item_2d` builds it from the slices.
    """

    __props__ = ("given",)

    def __init__(self, given: tuple[bool, ...] | None = None):
        self.given = given

    def make_node(self, x, index):
        x = as_sparse_variable(x)
        if not isinstance(index, (tuple, list)):
            index = (index,)
        if len(index) not in (1, 2):
            raise IndexError(f"get_item_2d: a sparse matrix takes 1 or 2 indices, got {len(index)}")
        parts: list = []
        for ind in index:
            if isinstance(ind, slice):
                step = None if (ind.step is None or (not isinstance(ind.step, Variable) and ind.step == 1)) \
                    else ind.step
                parts += [ind.start, ind.stop, step]
            elif (isinstance(ind, Variable) and getattr(ind, "ndim", -1) == 0) or np.isscalar(ind):
                raise NotImplementedError("Theano has no sparse vector: use X[a:b, c:d], X[a:b, c:c+1] or X[a:b] "
                                          "instead.")
            else:
                raise ValueError(f"Advanced indexing is not implemented for sparse matrices. Argument not "
                                 f"supported: {ind}")
        parts += [None] * (6 - len(parts))
        names = ("start", "stop", "step") * 2
        given = tuple(p is not None for p in parts)
        ins = [x] + [_slice_part(p, n) for p, n in zip(parts, names) if p is not None]
        return Apply(GetItem2d(given), ins, [x.type])

    def _slices(self, args):
        it = iter(args)
        vals = [int(next(it)) if g else None for g in self.given]
        if vals[2] == 0 or vals[5] == 0:
            raise ValueError("get_item_2d: slice step cannot be zero")
        return slice(*vals[:3]), slice(*vals[3:])

    def perform(self, node, inputs):
        x = inputs[0]
        return [x[self._slices(inputs[1:])]]

    @property
    def shape_value_inputs(self):
        return tuple(range(1, 1 + sum(self.given or ())))

    def infer_shape(self, node, shapes, value):
        s0, s1 = self._slices([value(i) for i in range(1, len(node.inputs))])
        m, n = shapes[0]
        return [(len(range(*s0.indices(m))), len(range(*s1.indices(n))))]

    def grad(self, inputs, output_grads):
        raise NotImplementedError("the gradient of get_item_2d (a slice of a sparse matrix) is not implemented "
                                  "(as in Theano)")


get_item_2d = GetItem2d()


class GetItemScalar(SparseOp):
    """x[i, j] for two integer scalars: a dense scalar of x's dtype (Theano's GetItemScalar; no gradient)."""

    __props__ = ()

    def make_node(self, x, index):
        x = as_sparse_variable(x)
        if len(index) != 2:
            raise IndexError(f"get_item_scalar: two indices are needed, got {len(index)}")
        ins = [x]
        for ind in index:
            if isinstance(ind, slice):
                raise TypeError("GetItemScalar called with a slice as index!")
            if isinstance(ind, (int, np.integer)) and not isinstance(ind, bool):
                ins.append(_tensor(np.asarray(ind, dtype="int64")))
            elif isinstance(ind, Variable) and ind.ndim == 0 and ind.dtype in integer_dtypes:
                ins.append(ind)
            else:
                raise NotImplementedError(f"get_item_scalar: an index must be an integer scalar, got {ind!r}")
        return Apply(self, ins, [TensorType(x.dtype, ())])

    def perform(self, node, inputs):
        x, i, j = inputs
        m, n = x.shape
        i, j = int(i), int(j)
        if not (-m <= i < m and -n <= j < n):
            raise IndexError(f"get_item_scalar: index ({i}, {j}) is out of bounds for a matrix of shape {x.shape}")
        return [np.asarray(x[i, j], dtype=x.dtype)]

    def infer_shape(self, node, shapes, value):
        return [()]

    def grad(self, inputs, output_grads):
        raise NotImplementedError("the gradient of get_item_scalar (an entry of a sparse matrix) is not "
                                  "implemented (as in Theano)")


get_item_scalar = GetItemScalar()


def _is_scalar_index(a) -> bool:
    if isinstance(a, Variable):
        return not is_sparse_variable(a) and a.ndim == 0 and a.dtype in integer_dtypes
    return np.isscalar(a)


def getitem(x, args):
    """x[args] on a sparse variable, as Theano dispatches it (see the module doc)."""
    if not isinstance(args, tuple):
        args = (args,)
    if len(args) == 2:
        if _is_scalar_index(args[0]) and _is_scalar_index(args[1]):
            return get_item_scalar(x, args)
        if isinstance(args[0], list):
            return get_item_2lists(x, args[0], args[1])
        return get_item_2d(x, args)
    if isinstance(args[0], list):
        return get_item_list(x, args[0])
    return get_item_2d(x, args)


# ----------------------------------------------------------------------------
# construct_sparse_from_list
# ----------------------------------------------------------------------------


class ConstructSparseFromList(SparseOp):
    """(x, values, ilist) -> csc matrix of x's shape and dtype with row ilist[k] = values[k].

    Repeated rows are all stored (their sum is the matrix's value). Inputs
    of the node: x.shape (not x), values, ilist. Gradient (Theano's): the
    output gradient's rows ilist for values; ilist is disconnected.
    """

    __props__ = ()
    shape_value_inputs = (0,)

    def make_node(self, x, values, ilist):
        x_, values_, ilist_ = _tensor(x), _tensor(values), _tensor(ilist)
        if ilist_.dtype not in integer_dtypes:
            raise TypeError(f"construct_sparse_from_list: index must be integers, got {ilist_.type}")
        if ilist_.ndim != 1:
            raise TypeError(f"construct_sparse_from_list: index must be vector, got {ilist_.type}")
        if x_.ndim != 2:
            raise TypeError(f"cannot create a sparse matrix with {x_.ndim} dimensions")
        if values_.ndim != 2:
            raise TypeError(f"cannot create a sparse matrix from values with {values_.ndim} ndim")
        return Apply(self, [x_.shape, values_, ilist_], [_sparse_out("csc", x_.dtype)])

    def perform(self, node, inputs):
        out_shape, values, ilist = inputs
        values = np.asarray(values)
        rows, cols = values.shape
        m = int(out_shape[0])
        ilist = _check_rows("construct_sparse_from_list", ilist, m)
        indptr = np.arange(cols + 1) * rows
        indices = np.tile(ilist, cols)
        return [FORMATS["csc"]((values.T.ravel(), indices, indptr), shape=tuple(int(s) for s in out_shape))]

    def infer_shape(self, node, shapes, value):
        m, n = (int(s) for s in value(0))
        (r, c), (k,) = shapes[1], shapes[2]
        if r != k or c != n:
            raise ShapeError(f"construct_sparse_from_list: values of shape {(r, c)} for {k} rows of a matrix of "
                             f"shape {(m, n)}{built_at(node.outputs[0])}")
        return [(m, n)]

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def grad(self, inputs, output_grads):
        (shape, values, ilist), (g,) = inputs, output_grads
        gd = dense_from_sparse(g) if is_sparse_variable(g) else g
        return [gd, gd[ilist], None]  # (x.shape is an integer input: its term becomes zero)


construct_sparse_from_list = ConstructSparseFromList()


__all__ = ["ConstructSparseFromList", "GetItem2Lists", "GetItem2ListsGrad", "GetItem2d", "GetItemList",
           "GetItemListGrad", "GetItemScalar", "construct_sparse_from_list", "get_item_2d", "get_item_2lists",
           "get_item_2lists_grad", "get_item_list", "get_item_list_grad", "get_item_scalar"]
