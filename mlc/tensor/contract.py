"""Contractions: dot (1-D/2-D, BLAS-backed), tensordot, outer, batched forms built on them."""

from __future__ import annotations

import numpy as np

from mlc.graph import Apply, GraphError, Op, ShapeError, TensorType, built_at
from mlc.graph.dtype import ALL, BOOL, COMPLEX, upcast
from mlc.tensor.elemwise import cast
from mlc.tensor.var import as_tensor_variable


class Dot(Op):
    """Matrix/vector product of 1-D or 2-D operands (numpy.dot).

    Emits `mt.dot`, which the loop level turns into BLAS gemm/gemv/dot for
    float32/float64 and into loops for other dtypes.
    """

    def make_node(self, a, b) -> Apply:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        for v in (a, b):
            if v.ndim not in (1, 2):
                raise GraphError(f"dot: expected 1-d or 2-d operands, got {v} with {v.ndim} dims{built_at(v)}")
            if v.dtype not in ALL:
                raise TypeError(f"dot: unsupported dtype {v.dtype}{built_at(v)}")
        dtype = upcast(a.dtype, b.dtype)
        if dtype in BOOL:
            dtype = "bool"
        a, b = cast(a, dtype), cast(b, dtype)
        bcast = a.broadcastable[:-1] + (b.broadcastable[-1:] if b.ndim == 2 else ())
        return Apply(self, [a, b], [TensorType(dtype, tuple(bcast))])

    def perform(self, node, inputs):
        return [np.asarray(np.dot(*inputs)).astype(node.out.dtype)]

    def infer_shape(self, node, shapes, value):
        sa, sb = shapes
        ka = sa[-1]
        kb = sb[0] if len(sb) == 1 else sb[-2]
        if ka != kb:
            raise ShapeError(f"dot: shapes {tuple(sa)} and {tuple(sb)} not aligned: {ka} (dim {len(sa) - 1}) != "
                             f"{kb} (dim {max(len(sb) - 2, 0)}){built_at(node.out)}")
        return [tuple(sa[:-1]) + (tuple(sb[-1:]) if len(sb) == 2 else ())]

    def emit(self, ctx, node, operands):
        return [ctx.mt(node, "dot", operands, out_type=node.out.type)]

    def grad(self, inputs, output_grads):
        (a, b), (g,) = inputs, output_grads
        if any(v.dtype in COMPLEX for v in (a, b, g)):
            # with g = dC/dRe + i dC/dIm (Theano's Mul.grad convention), each term is the real-case one
            # with the other operand conjugated (a real operand keeps the real part: mlc.gradient.fit_term)
            from mlc.tensor.elemwise import conj

            a, b = conj(a), conj(b)
        if a.ndim == 1 and b.ndim == 1:  # a . b: a scalar
            return [g * b, g * a]
        if a.ndim == 1:  # a @ B: a vector
            return [_dot(b, g), outer(a, g)]
        if b.ndim == 1:  # A @ b: a vector
            return [outer(g, b), _dot(a.T, g)]
        return [_dot(g, b.T), _dot(a.T, g)]

    def batch(self, node, inputs, batched):
        (a, b), (ba, bb) = inputs, batched
        if ba and bb:  # a batch of products: multiply and sum over the contracted dim
            a_e = a.dimshuffle(*range(a.ndim), *(["x"] if b.ndim == 3 else []))
            b_e = b.dimshuffle(0, *(["x"] if a.ndim == 3 else []), *range(1, b.ndim))
            return [(a_e * b_e).sum(axis=a.ndim - 1)]
        if ba:  # (n, [m,] k) @ b: contract a's last dim with b's first
            return [tensordot(a, b, [[a.ndim - 1], [0]])]
        # a @ (n, k[, p]): contract a's last dim with b's dim 1, then move the batch dim first
        r = tensordot(a, b, [[a.ndim - 1], [1]])
        return [r.dimshuffle(a.ndim - 1, *range(a.ndim - 1), *range(a.ndim, r.ndim))]


_dot = Dot()


def dot(a, b):
    """numpy.dot for any ranks: 1-D/2-D map to one Dot; higher ranks go through tensordot."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return _dot(a, b)
    return tensordot(a, b, [[a.ndim - 1], [max(b.ndim - 2, 0)]])


def _axes_pair(a, b, axes, first: int = 0):
    """The summed axes of a and b: the last `axes` of a and b's first ones after `first` (the batch axis
    of batched_tensordot), or the two given lists."""
    if isinstance(axes, (int, np.integer)):
        return list(range(a.ndim - axes, a.ndim)), list(range(first, first + int(axes)))
    ax_a, ax_b = axes
    ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
    ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
    if len(ax_a) != len(ax_b):
        raise GraphError(f"tensordot: axes lists must have the same length, got {ax_a} and {ax_b}")
    return [x % a.ndim for x in ax_a], [x % b.ndim for x in ax_b]


def tensordot(a, b, axes=2):
    """numpy.tensordot: sum over `axes` of a and b, as one 2-D dot of reshaped operands."""
    return _tensordot(a, b, axes, batched=False)


def batched_tensordot(x, y, axes=2):
    """Theano's batched_tensordot: for each b along the first (batch) axis, tensordot(x[b], y[b]) over
    `axes` (a count: x's last ones and y's first ones after the batch axis; or two lists of axes of x and
    y, batch axis excluded). One batched product of reshaped operands."""
    return _tensordot(x, y, axes, batched=True)


def _tensordot(a, b, axes, batched: bool):
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    lead = [0] if batched else []
    what = "batched_tensordot" if batched else "tensordot"
    if batched and (a.ndim < 2 or b.ndim < 2):
        raise GraphError(f"{what}: expected operands of at least 2 dims (a batch axis first), got {a.type} "
                         f"and {b.type}{built_at(a)}")
    ax_a, ax_b = _axes_pair(a, b, axes, first=len(lead))
    if batched and (0 in ax_a or 0 in ax_b):
        raise GraphError(f"{what}: the batch axis 0 cannot be summed over (axes {ax_a}, {ax_b}){built_at(a)}")
    free_a = [i for i in range(a.ndim) if i not in ax_a and i not in lead]
    free_b = [i for i in range(b.ndim) if i not in ax_b and i not in lead]
    at = a.dimshuffle(*(lead + free_a + ax_a))
    bt = b.dimshuffle(*(lead + ax_b + free_b))
    sa, sb = a.shape, b.shape
    from mlc.tensor.reduce import prod
    from mlc.tensor.shape import reshape, stack
    from mlc.tensor.var import constant

    def size(s, dims):
        return prod(stack([s[d] for d in dims])) if dims else constant(np.asarray(1, dtype="int64"))

    k = size(sa, ax_a)
    batch = [sa[0]] if batched else []
    a2 = reshape(at, batch + [size(sa, free_a), k], ndim=2 + len(batch))
    b2 = reshape(bt, batch + [k, size(sb, free_b)], ndim=2 + len(batch))
    r = batched_dot(a2, b2) if batched else _dot(a2, b2)
    out_shape = batch + [sa[i] for i in free_a] + [sb[i] for i in free_b]
    return reshape(r, out_shape, ndim=len(out_shape))


def outer(x, y):
    """Outer product of two vectors (numpy.outer)."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim != 1:
        x = x.flatten()
    if y.ndim != 1:
        y = y.flatten()
    return dot(x.dimshuffle(0, "x"), y.dimshuffle("x", 0))


def batched_dot(a, b):
    """Batched matrix product over the first axis (Theano's batched_dot), elementwise + sum."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 2 and b.ndim == 2:
        return (a * b).sum(axis=1)
    if a.ndim == 3 and b.ndim == 3:
        return (a.dimshuffle(0, 1, 2, "x") * b.dimshuffle(0, "x", 1, 2)).sum(axis=2)
    if a.ndim == 3 and b.ndim == 2:
        return (a * b.dimshuffle(0, "x", 1)).sum(axis=2)
    if a.ndim == 2 and b.ndim == 3:
        return (a.dimshuffle(0, 1, "x") * b).sum(axis=1)
    raise GraphError(f"batched_dot: expected 2-d or 3-d operands, got {a.ndim}-d and {b.ndim}-d")
