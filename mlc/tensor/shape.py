"""Shape ops: shape, specify_shape, reshape, flatten, basic indexing (slices, integers, None), join/stack."""

from __future__ import annotations

import numpy as np

from mlc.graph import Apply, Constant, GraphError, Op, ShapeError, TensorType, Variable, built_at
from mlc.graph.dtype import INTS, upcast
from mlc.tensor.elemwise import cast
from mlc.tensor.opclass import TheanoOpClass
from mlc.tensor.var import as_tensor_variable, constant

# ----------------------------------------------------------------------------
# Shape
# ----------------------------------------------------------------------------


class Shape(Op):
    """The shape of `x` as an int64 vector."""

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", (False,))])

    def perform(self, node, inputs):
        return [np.asarray(np.shape(inputs[0]), dtype="int64").reshape(-1)]

    def infer_shape(self, node, shapes, value):
        return [(node.inputs[0].ndim,)]

    def emit(self, ctx, node, operands):
        return [ctx.mt(node, "shape", operands)]

    def connection_pattern(self, node):
        return [[False]]  # a shape carries no gradient: x is disconnected

    def batch(self, node, inputs, batched):
        return [shape(inputs[0])[1:]]


_shape = Shape()


def shape(x):
    """Symbolic shape of `x` (an int64 vector; `x.shape[i]` is an int64 scalar)."""
    return _shape(x)


class SpecifyShape(Op):
    """`x` unchanged, with its shape checked at call time against an int64 vector.

    The shape rule does the check (so a wrong shape raises before any code
    runs) and returns the specified shape, which is what downstream shape
    rules see. The type stays `x`'s (Theano's rule): a specified 1 does not
    make a dimension broadcastable.
    """

    shape_value_inputs = (1,)

    def make_node(self, x, shp) -> Apply:
        x = as_tensor_variable(x)
        shp = as_tensor_variable(shp)
        if shp.ndim != 1 or shp.dtype not in INTS:
            raise TypeError(f"specify_shape: expected an integer vector shape, got {shp} ({shp.type})"
                            f"{built_at(shp)}")
        if isinstance(shp, Constant) and len(shp.data) != x.ndim:
            raise GraphError(f"specify_shape: shape {tuple(int(n) for n in shp.data)} has {len(shp.data)} "
                             f"entries, but {x} has {x.ndim} dims{built_at(x)}")
        return Apply(self, [x, cast(shp, "int64")], [x.type])

    def perform(self, node, inputs):
        x, shp = inputs
        _check_specified_shape(node, np.shape(x), shp)
        return [x]

    def infer_shape(self, node, shapes, value):
        return [_check_specified_shape(node, shapes[0], value(1))]

    def emit(self, ctx, node, operands):
        # an identity: the shape rule has checked the shape before any native code runs
        return [operands[0]]

    def connection_pattern(self, node):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        return [output_grads[0], None]  # Theano's rule: the gradient passes through unchecked

    def batch(self, node, inputs, batched):
        x, shp = inputs
        if batched[1]:
            raise NotImplementedError("specify_shape with a batch of shapes is not supported")
        return [specify_shape(x, concatenate([shape(x)[:1], shp]))]


def _check_specified_shape(node, actual, specified) -> tuple[int, ...]:
    want = tuple(int(n) for n in np.asarray(specified).reshape(-1))
    got = tuple(int(n) for n in actual)
    if want != got:
        raise ShapeError(f"specify_shape: expected shape {want}, got {got}{built_at(node.out)}")
    return want


class Shape_i(TheanoOpClass):  # noqa: N801 (Theano's class name)
    """Theano's Shape_i(i)(x): the length of x's dim i (x.shape[i], an int64 scalar)."""

    __props__ = ("i",)

    def __init__(self, i):
        self.i = int(i)

    def build(self, x):
        x = as_tensor_variable(x)
        if not 0 <= self.i < x.ndim:
            raise GraphError(f"Shape_i: {x} has {x.ndim} dims, it has no dim {self.i}{built_at(x)}")
        return shape(x)[self.i]


def specify_shape(x, shape):
    """`x`, asserted at call time to have exactly `shape` (Theano's specify_shape).

    `shape` is a tuple/list of ints and integer scalars, or an integer vector;
    every dimension must be given. A mismatch raises ValueError naming the
    expected shape, the actual one and the line that called specify_shape.
    Shapes computed downstream use the specified shape. Lowers to nothing:
    the check runs with the shape rules, before the compiled code.
    """
    x = as_tensor_variable(x)
    if not isinstance(shape, Variable):
        if isinstance(shape, (int, np.integer)):
            shape = (shape,)
        shape = tuple(shape)
        if any(s is None for s in shape):
            raise TypeError(f"specify_shape: every dimension must be given (an int or an integer scalar), "
                            f"got {shape}; partial shapes are not supported{built_at(x)}")
        if len(shape) != x.ndim:
            raise GraphError(f"specify_shape: shape {shape} has {len(shape)} entries, but {x} has {x.ndim} "
                             f"dims{built_at(x)}")
        shape = _shape_vector(shape, "specify_shape")
    return SpecifyShape()(x, shape)


def _scalar_int(v, what: str):
    """A Python int or a 0-d integer variable, as a 0-d int64 variable or int."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, Variable):
        if v.ndim != 0 or v.dtype not in INTS:
            raise TypeError(f"{what}: expected an integer scalar, got {v} ({v.type}){built_at(v)}")
        if isinstance(v, Constant):
            return int(v.data)
        return cast(v, "int64")
    raise TypeError(f"{what}: expected an integer or an integer scalar variable, got {v!r}")


# ----------------------------------------------------------------------------
# Reshape and flatten
# ----------------------------------------------------------------------------


class Reshape(Op):
    """Reshape `x` to the int64 vector `shape` (numpy semantics, one -1 allowed)."""

    __props__ = ("ndim",)
    shape_value_inputs = (1,)

    def __init__(self, ndim: int):
        self.ndim = ndim

    def make_node(self, x, shp) -> Apply:
        x = as_tensor_variable(x)
        shp = as_tensor_variable(shp)
        if shp.ndim != 1 or shp.dtype not in INTS:
            raise TypeError(f"reshape: expected an integer vector shape, got {shp} ({shp.type}){built_at(shp)}")
        shp = cast(shp, "int64")
        bcast = [False] * self.ndim
        if isinstance(shp, Constant):
            if len(shp.data) != self.ndim:
                raise GraphError(f"reshape: shape {tuple(int(n) for n in shp.data)} has {len(shp.data)} entries, "
                                 f"expected ndim="
                                 f"{self.ndim}{built_at(shp)}")
            bcast = [int(n) == 1 for n in shp.data]
        elif shp.owner is not None and isinstance(shp.owner.op, Join):
            # stacked scalars: constant ones are known broadcastable
            parts = shp.owner.inputs
            bcast = [_is_const_one(p) for p in parts] if len(parts) == self.ndim else bcast
        return Apply(self, [x, shp], [TensorType(x.dtype, tuple(bcast))])

    def perform(self, node, inputs):
        x, shp = inputs
        return [np.reshape(x, tuple(int(n) for n in shp))]

    def infer_shape(self, node, shapes, value):
        size = int(np.prod(shapes[0]))
        req = [int(n) for n in value(1)]
        if len(req) != self.ndim:
            raise ShapeError(f"reshape: shape {tuple(req)} has {len(req)} entries, expected {self.ndim}"
                             f"{built_at(node.out)}")
        unknown = [i for i, n in enumerate(req) if n == -1]
        if len(unknown) > 1 or any(n < -1 for n in req):
            raise ShapeError(f"reshape: invalid shape {tuple(req)}{built_at(node.out)}")
        known = int(np.prod([n for n in req if n != -1]))
        if unknown:
            if known == 0 or size % known:
                raise ShapeError(f"reshape: cannot reshape array of size {size} into shape {tuple(req)}"
                                 f"{built_at(node.out)}")
            req[unknown[0]] = size // known
        elif known != size:
            raise ShapeError(f"reshape: cannot reshape array of size {size} into shape {tuple(req)}"
                             f"{built_at(node.out)}")
        for i, b in enumerate(node.out.broadcastable):
            if b and req[i] != 1:
                raise ShapeError(f"reshape: dimension {i} must be 1, got {req[i]}{built_at(node.out)}")
        return [tuple(req)]

    def emit(self, ctx, node, operands):
        return [ctx.mt(node, "reshape", [operands[0]], shape=operands[1], out_type=node.out.type)]

    def connection_pattern(self, node):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        x, g = inputs[0], output_grads[0]
        s = shape(x)
        return [reshape(g, [1 if b else s[i] for i, b in enumerate(x.broadcastable)], ndim=x.ndim), None]

    def batch(self, node, inputs, batched):
        x, shp = inputs
        if batched[1]:
            raise NotImplementedError("reshape to a batch of shapes is not supported")
        n = shape(x)[0]
        parts = [n] + [1 if b else shp[i] for i, b in enumerate(node.out.broadcastable)]
        return [reshape(x, parts, ndim=self.ndim + 1)]


def _is_const_one(v) -> bool:
    """Is `v` a constant 1, possibly behind casts and dimshuffles (as `stack` builds it)?"""
    from mlc.tensor.elemwise import Cast, DimShuffle

    while v.owner is not None and isinstance(v.owner.op, (Cast, DimShuffle)):
        v = v.owner.inputs[0]
    return isinstance(v, Constant) and v.data.size == 1 and int(v.data.reshape(())) == 1


def _shape_vector(shp, what: str = "reshape"):
    if isinstance(shp, Variable):
        return shp
    if isinstance(shp, (int, np.integer)):
        shp = (shp,)
    parts = [_scalar_int(s, what) for s in shp]
    if all(isinstance(p, int) for p in parts):
        return constant(np.asarray(parts, dtype="int64").reshape(len(parts)))
    return stack([constant(np.asarray(p, dtype="int64")) if isinstance(p, int) else p for p in parts])


def reshape(x, newshape, ndim=None):
    """`x` reshaped to `newshape` (ints and/or int scalars, or an int vector; one -1 allowed)."""
    x = as_tensor_variable(x)
    shp = _shape_vector(newshape)
    if ndim is None:
        if isinstance(newshape, Variable):
            if newshape.ndim != 1:
                raise TypeError(f"reshape: expected an integer vector shape, got {newshape.type}")
            raise GraphError("reshape: the length of a symbolic shape vector is unknown; pass ndim=")
        ndim = 1 if isinstance(newshape, (int, np.integer)) else len(newshape)
    return Reshape(int(ndim))(x, shp)


class Flatten(TheanoOpClass):
    """Theano's Flatten(outdim)(x): flatten(x, outdim)."""

    __props__ = ("outdim",)

    def __init__(self, outdim=1):
        self.outdim = int(outdim)

    def build(self, x):
        return flatten(x, self.outdim)


def flatten(x, ndim=1):
    """Keep the first ndim-1 dims and merge the rest (Theano's flatten(x, outdim))."""
    x = as_tensor_variable(x)
    if ndim < 1 or ndim > max(x.ndim, 1):
        raise GraphError(f"flatten: ndim must be in [1, {max(x.ndim, 1)}], got {ndim}{built_at(x)}")
    if x.ndim == ndim:
        return x
    s = shape(x)
    from mlc.tensor.reduce import prod

    rest = prod(s[ndim - 1:]) if x.ndim > 0 else constant(np.asarray(1, dtype="int64"))
    return reshape(x, [s[i] for i in range(ndim - 1)] + [rest], ndim=ndim)


# ----------------------------------------------------------------------------
# Basic indexing
# ----------------------------------------------------------------------------

SLICE_INPUT = "?"  # marker in Subtensor's static slice description: the value is an input


def scalar_value(v):
    """A 0-d value as a Python scalar (an int stays an int; a traced symbolic int stays symbolic)."""
    return np.asarray(v).item()


def slice_length(start, stop, step, n):
    """`len(range(*slice(start, stop, step).indices(n)))` in plain arithmetic and comparisons
    (CPython's PySlice_AdjustIndices), so it also runs on the symbolic integers of
    `mlc.compile.native_shapes`. `step` must not be 0."""
    step = 1 if step is None else step
    back = step < 0

    def clamp(i, default):
        if i is None:
            return default
        if i < 0:
            i = i + n
            if i < 0:
                return -1 if back else 0
        elif i >= n:
            return n - 1 if back else n
        return i

    start = clamp(start, n - 1 if back else 0)
    stop = clamp(stop, -1 if back else n)
    if back:
        return (start - stop - 1) // (-step) + 1 if stop < start else 0
    return (stop - start - 1) // step + 1 if start < stop else 0


class Subtensor(Op):
    """numpy basic slicing `x[a:b:c, ...]` on every dim (one slice per dim).

    `slices` holds (start, stop, step) per dim, each None, an int, or SLICE_INPUT
    (taken, in order, from the extra inputs, which are int64 scalars).
    """

    __props__ = ("slices",)

    def __init__(self, slices):
        self.slices = tuple(tuple(s) for s in slices)

    @property
    def shape_value_inputs(self):
        return tuple(range(1, 1 + sum(v == SLICE_INPUT for s in self.slices for v in s)))

    def __str__(self) -> str:
        def part(s):
            a, b, c = ("" if v is None else v for v in s)
            return f"{a}:{b}" + (f":{c}" if c != "" else "")

        return f"Subtensor{{{', '.join(part(s) for s in self.slices)}}}"

    def make_node(self, x, *dyn) -> Apply:
        x = as_tensor_variable(x)
        bcast = []
        for b, (start, stop, step) in zip(x.broadcastable, self.slices):
            keep = b and start in (None, 0) and step in (None, 1) and (stop is None or (stop != SLICE_INPUT and stop >= 1))
            bcast.append(keep)
        bcast += list(x.broadcastable[len(self.slices):])
        return Apply(self, [x, *dyn], [TensorType(x.dtype, tuple(bcast))])

    def _concrete(self, value):
        it = iter(range(1, 1 + len(self.shape_value_inputs)))
        out = []
        for s in self.slices:
            out.append(slice(*[int(value(next(it))) if v == SLICE_INPUT else v for v in s]))
        return out

    def perform(self, node, inputs):
        vals = inputs
        return [np.asarray(inputs[0][tuple(self._concrete(lambda i: vals[i]))]).copy()]

    def infer_shape(self, node, shapes, value):
        sh = shapes[0]
        it = iter(range(1, 1 + len(self.shape_value_inputs)))
        out = []
        for n, s in zip(sh, self.slices):
            start, stop, step = (scalar_value(value(next(it))) if v == SLICE_INPUT else v for v in s)
            if step == 0:
                raise ShapeError(f"slice step cannot be zero{built_at(node.out)}")
            out.append(slice_length(start, stop, step, n))
        return [tuple(out) + tuple(sh[len(self.slices):])]

    def emit(self, ctx, node, operands):
        it = iter(operands[1:])  # the dynamic fields' values, in start/stop/step order per dim
        fields = [[next(it) if v == SLICE_INPUT else v for v in s] for s in self.slices]
        return [ctx.slice(node, operands[0], fields)]

    def connection_pattern(self, node):
        return [[True]] + [[False]] * (len(node.inputs) - 1)

    def grad(self, inputs, output_grads):
        from mlc.tensor.alloc import zeros_like
        from mlc.tensor.subtensor import IncSubtensor

        x, *dyn = inputs
        return [IncSubtensor(self.slices, True)(zeros_like(x), output_grads[0], *dyn)] + [None] * len(dyn)

    def batch(self, node, inputs, batched):
        if any(batched[1:]):
            raise NotImplementedError("slicing with a batch of bounds is not supported")
        return [Subtensor(((None, None, None),) + self.slices)(*inputs)]


class IndexOp(Op):
    """`x[i]` along one axis with an integer scalar `i` (negative wraps); drops the axis."""

    __props__ = ("axis",)
    check_value_inputs = (1,)  # the bounds check; the result's shape does not depend on i

    def __init__(self, axis: int):
        self.axis = axis

    def __str__(self) -> str:
        return f"Index{{axis={self.axis}}}"

    def make_node(self, x, i) -> Apply:
        x = as_tensor_variable(x)
        i = cast(as_tensor_variable(i), "int64")
        bcast = tuple(b for k, b in enumerate(x.broadcastable) if k != self.axis)
        return Apply(self, [x, i], [TensorType(x.dtype, bcast)])

    def perform(self, node, inputs):
        x, i = inputs
        return [np.asarray(np.take(x, int(i), axis=self.axis)).copy()]

    def infer_shape(self, node, shapes, value):
        sh = shapes[0]
        n, i = sh[self.axis], int(value(1))
        if not -n <= i < n:
            raise ShapeError(f"index {i} is out of bounds for axis {self.axis} with size {n}{built_at(node.out)}")
        return [tuple(d for k, d in enumerate(sh) if k != self.axis)]

    def emit(self, ctx, node, operands):
        return [ctx.mt(node, "index", operands, axis=self.axis)]

    def connection_pattern(self, node):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        from mlc.tensor.alloc import zeros_like
        from mlc.tensor.subtensor import IncIndex

        x, i = inputs
        return [IncIndex(self.axis, True)(zeros_like(x), output_grads[0], i), None]

    def batch(self, node, inputs, batched):
        if batched[1]:
            raise NotImplementedError("indexing with a batch of indices (a gather) is not supported")
        return [IndexOp(self.axis + 1)(*inputs)]


def _slice_part(v, what):
    if v is None:
        return None, None
    p = _scalar_int(v, what)
    return (p, None) if isinstance(p, int) else (SLICE_INPUT, p)


def getitem(x, index):
    """numpy indexing on a tensor variable: ints, int scalars, slices, None, Ellipsis; integer
    arrays go to mlc.tensor.advanced (boolean masks are not supported)."""
    if not isinstance(index, tuple):
        index = (index,)
    from mlc.tensor.advanced import advanced_getitem, is_array_index

    if any(is_array_index(it) for it in index):
        return advanced_getitem(x, index)
    n_real = sum(1 for it in index if it is not None and it is not Ellipsis)
    if sum(1 for it in index if it is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if n_real > x.ndim:
        raise IndexError(f"too many indices for {x}: it has {x.ndim} dims, {n_real} were indexed{built_at(x)}")
    expanded = []
    for it in index:
        if it is Ellipsis:
            expanded.extend([slice(None)] * (x.ndim - n_real))
        else:
            expanded.append(it)
    if Ellipsis not in index:
        expanded.extend([slice(None)] * (x.ndim - n_real))

    # 1. slices (one Subtensor for all dims), 2. integer indices, 3. new axes.
    slices, dyn, ints = [], [], []
    dim = 0
    for it in expanded:
        if it is None:
            continue
        if isinstance(it, slice):
            parts = [_slice_part(v, "slice") for v in (it.start, it.stop, it.step)]
            if parts[2][0] == 0:
                raise ValueError("slice step cannot be zero")
            slices.append(tuple(p[0] for p in parts))
            dyn.extend(p[1] for p in parts if p[1] is not None)
        else:
            slices.append((None, None, None))
            ints.append((dim, _scalar_int(it, "index")))
        dim += 1
    out = x
    if any(s != (None, None, None) for s in slices):
        out = Subtensor(slices)(out, *dyn)
    for axis, i in reversed(ints):
        if isinstance(i, int):
            n = None
            if isinstance(x, Constant):
                n = x.data.shape[axis]
            if n is not None and not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
            if x.broadcastable[axis] and not -1 <= i < 1:
                raise IndexError(f"index {i} is out of bounds for broadcastable axis {axis} (size 1){built_at(x)}")
        out = IndexOp(axis)(out, i)
    # new axes: positions among the result dims
    if any(it is None for it in expanded):
        pattern, k = [], 0
        for it in expanded:
            if it is None:
                pattern.append("x")
            elif isinstance(it, slice):
                pattern.append(k)
                k += 1
        out = out.dimshuffle(*pattern)
    if out is not x:
        out.tag.indexed_from = x  # set_subtensor/inc_subtensor unwind the nodes back to x
    return out


# ----------------------------------------------------------------------------
# Join / stack
# ----------------------------------------------------------------------------


class Join(Op):
    """Concatenate tensors of equal rank along a static `axis`."""

    __props__ = ("axis",)

    def __init__(self, axis: int | None = None):
        # None: Theano's Join()(axis, *tensors), which builds join(axis, *tensors)
        self.axis = axis

    def __call__(self, *args, **kwargs):
        if self.axis is None:
            return join(*args)
        return super().__call__(*args, **kwargs)

    def __str__(self) -> str:
        return f"Join{{axis={self.axis}}}"

    def make_node(self, *tensors) -> Apply:
        tensors = [as_tensor_variable(t) for t in tensors]
        if not tensors:
            raise GraphError("join: expected at least one tensor")
        nd = tensors[0].ndim
        for t in tensors:
            if t.ndim != nd:
                raise GraphError(f"join: all tensors must have the same rank; got {nd} and {t.ndim} "
                                 f"({t}){built_at(t)}")
        if nd == 0:
            raise GraphError("join: zero-dimensional tensors cannot be concatenated (use stack)")
        dtype = upcast(*[t.dtype for t in tensors])
        tensors = [cast(t, dtype) for t in tensors]
        bcast = []
        for i in range(nd):
            if i == self.axis:
                bcast.append(len(tensors) == 1 and tensors[0].broadcastable[i])
            else:
                bcast.append(any(t.broadcastable[i] for t in tensors))
        return Apply(self, tensors, [TensorType(dtype, tuple(bcast))])

    def perform(self, node, inputs):
        return [np.concatenate(inputs, axis=self.axis).astype(node.out.dtype)]

    def infer_shape(self, node, shapes, value):
        first = shapes[0]
        for sh in shapes[1:]:
            for i, (a, b) in enumerate(zip(first, sh)):
                if i != self.axis and a != b:
                    shown = ", ".join(str(tuple(s)) for s in shapes)
                    raise ShapeError(f"join: all dimensions except axis {self.axis} must match, got shapes "
                                     f"{shown}{built_at(node.out)}")
        out = list(first)
        out[self.axis] = sum(sh[self.axis] for sh in shapes)
        return [tuple(out)]

    def emit(self, ctx, node, operands):
        if len(operands) == 1:
            return [operands[0]]
        return [ctx.mt(node, "concatenate", operands, axis=self.axis, out_type=node.out.type)]

    def grad(self, inputs, output_grads):
        # each input gets its own stretch of g along the axis
        (g,) = output_grads
        terms, start = [], None
        for k, x in enumerate(inputs):
            length = shape(x)[self.axis]
            stop = length if start is None else start + length
            last = k == len(inputs) - 1
            index = (slice(None),) * self.axis + (slice(start, None if last else stop),)
            terms.append(g[index])
            start = stop
        return terms

    def batch(self, node, inputs, batched):
        from mlc.tensor.vectorize import batch_size, to_batched

        n = batch_size(inputs, batched)
        return [Join(self.axis + 1)(*[x if b else to_batched(x, n) for x, b in zip(inputs, batched)])]


def concatenate(tensor_list, axis=0):
    """Concatenate along `axis` (numpy.concatenate)."""
    tensor_list = [as_tensor_variable(t) for t in tensor_list]
    if not tensor_list:
        raise GraphError("concatenate: expected at least one tensor")
    nd = tensor_list[0].ndim
    if isinstance(axis, Constant) and axis.ndim == 0 and axis.dtype in INTS:  # a constant 0-d int tensor
        axis = int(axis.data)
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"concatenate: expected an integer axis, got {axis!r}")
    if not -nd <= axis < nd:
        raise GraphError(f"concatenate: axis {axis} out of range for {nd}-d tensors")
    return Join(int(axis) % nd)(*tensor_list)


def join(axis, *tensors):
    """Theano's join(axis, *tensors): concatenate along `axis`; a single tensor is returned as is (as
    Theano does, without looking at `axis`)."""
    if len(tensors) == 1:
        return as_tensor_variable(tensors[0])
    return concatenate(tensors, axis)


def stack(tensors, axis=0, *more):
    """Stack tensors of equal shape along a new `axis` (numpy.stack; Theano's stack(*tensors) too)."""
    if isinstance(tensors, (list, tuple)):
        seq = list(tensors)
    elif not more and isinstance(axis, int):  # Theano's stack(x): stack([x])
        seq = [tensors]
    else:  # Theano's old signature: stack(a, b, c)
        seq = [tensors, axis, *more]
        axis = 0
    seq = [as_tensor_variable(t) for t in seq]
    if not seq:
        raise GraphError("stack: expected at least one tensor")
    nd = seq[0].ndim
    if not -(nd + 1) <= axis <= nd:
        raise GraphError(f"stack: axis {axis} out of range for {nd}-d tensors")
    axis = axis % (nd + 1)
    pattern = list(range(nd))
    pattern.insert(axis, "x")
    return Join(axis)(*[t.dimshuffle(*pattern) for t in seq])


def stacklists(arg):
    """Recursively stack a nested list of tensors into one tensor (Theano's stacklists).

    `stacklists([[a, b], [c, d]])` of scalars is a 2x2 matrix; of matrices, a
    (2, 2, m, n) tensor. A leaf that is not a list is returned unchanged.
    """
    if isinstance(arg, (tuple, list)):
        return stack([stacklists(a) for a in arg])
    return arg


def horizontal_stack(*args):
    return concatenate(args, axis=1)


def vertical_stack(*args):
    return concatenate(args, axis=0)
