"""Random draws from numpy's RandomState (Theano's theano.tensor.raw_random).

`RandomFunction(fn, outtype)` is an op whose node reads a RandomState
variable `r`, a shape and parameters and returns `(new_r, sample)`: it calls
the RandomState method `fn` (or a helper taking the RandomState first) on a
copy of `r`, so the numbers are numpy's legacy ones, exactly those Theano
1.0.5 draws for the same seed, shape and call order. It is a host op: in a
compiled function it runs from Python between native segments
(mlc.compile.vm), and the rest of the graph stays native.

The functions below (`uniform(random_state, size, low, high)`, ...) build
such nodes with Theano's shape conventions (`_infer_ndim_bcast`);
`RandomStreamsBase` gives them the method spelling `RandomStreams` uses.
Draws are constants for `grad` (every input is disconnected).
"""

from __future__ import annotations

import copy
from functools import reduce

import numpy as np

from mlc.config import config
from mlc.graph import (
    Apply,
    Constant,
    RandomStateType,
    ShapeError,
    TensorType,
    built_at,
    random_state_type,
)
from mlc.graph.dtype import INTS, upcast
from mlc.tensor.constants import get_vector_length
from mlc.tensor.host import HostOp
from mlc.tensor.var import as_tensor_variable, constant

__all__ = ["RandomFunction", "RandomStateType", "RandomStreamsBase", "binomial", "choice", "multinomial", "normal",
           "permutation", "poisson", "random_integers", "random_state_type", "shuffle_row_elements", "uniform"]


class RandomFunction(HostOp):
    """Draws from a numpy RandomState: `RandomFunction(fn, outtype)(r, shape, *args) -> (new_r, sample)`.

    fn: the name of a `numpy.random.RandomState` method, or a function
    `fn(random_state, *args, shape)`; outtype: the sample's TensorType;
    ndim_added: dimensions the sample has beyond `shape` (permutation,
    multinomial). An empty shape lets numpy pick the shape from the
    parameters (their broadcast).
    """

    __props__ = ("fn", "outtype", "inplace", "ndim_added")

    def __init__(self, fn, outtype: TensorType, inplace: bool = False, ndim_added: int = 0):
        self.fn = fn
        self.exec_fn = getattr(np.random.RandomState, fn) if isinstance(fn, str) else fn
        self.outtype = outtype
        self.inplace = inplace
        self.ndim_added = ndim_added
        # the sample's shape needs the shape vector's value (and, for a function we do not know, the arguments')
        known = fn in _SCALAR_DISTRIBUTIONS or fn in (multinomial_helper,)
        self.shape_value_inputs = (1,) if known else (1, 2) if fn is permutation_helper else None

    def __str__(self) -> str:
        return f"RandomFunction{{{getattr(self.exec_fn, '__name__', self.fn)}}}"

    def make_node(self, r, shape, *args) -> Apply:
        if not isinstance(getattr(r, "type", None), RandomStateType):
            raise TypeError(f"{self}: expected a RandomState variable (random_state_type) as first input, got "
                            f"{r!r}")
        shape = as_tensor_variable(shape, ndim=1) if not (isinstance(shape, tuple) and shape == ()) else \
            constant(np.zeros(0, "int64"))
        if shape.dtype not in ("int64", "int32"):
            raise TypeError(f"{self}: the shape must be an int64 or int32 vector, got {shape} ({shape.type})"
                            f"{built_at(shape)}")
        args = [as_tensor_variable(a) for a in args]
        if self.shape_value_inputs is None:
            self.shape_value_inputs = tuple(range(1, 2 + len(args)))
        return Apply(self, [r, shape, *args], [random_state_type, self.outtype])

    def connection_pattern(self, node):
        return [[False, False] for _ in node.inputs]  # random draws are constants for grad

    # -- running -----------------------------------------------------------------
    def draw(self, rng: np.random.RandomState, shape, args):
        """The sample from `rng` (advanced in place), checked against the output type as Theano does."""
        size = None if len(shape) == 0 else tuple(int(s) for s in shape)
        ndim = self.outtype.ndim
        if size is not None and ndim != len(size) + self.ndim_added:
            raise ValueError(f"{self}: the shape {size} has {len(size)} entries, the sample has {ndim} dimensions "
                             f"({self.ndim_added} added by the distribution)")
        rval = self.exec_fn(rng, *args, size)
        if not isinstance(rval, np.ndarray) or str(rval.dtype) != self.outtype.dtype:
            rval = np.asarray(rval, dtype=self.outtype.dtype)
        if size is None and rval.ndim == 0 and ndim > 0:
            rval = rval.reshape((1,) * ndim)
        if rval.ndim != ndim:
            raise ValueError(f"{self}: the sample should have {ndim} dimensions, numpy drew shape {rval.shape}")
        if size is not None and rval.shape[:len(size)] != size:
            raise ValueError(f"{self}: the sample should have shape {size} (plus {self.ndim_added} dimensions), "
                             f"numpy drew shape {rval.shape}")
        return np.ascontiguousarray(rval)

    #: the state input a compiled function may let it advance in place (mlc.compile.vm.in_place_host_nodes)
    inplace_input = 0

    def perform(self, node, inputs, inplace: bool = False):
        box, shape, *args = inputs
        rng = box[()] if isinstance(box, np.ndarray) else box
        if not (self.inplace or inplace):
            rng = copy.deepcopy(rng)
        sample = self.draw(rng, shape, args)
        out = np.empty((), dtype=object)
        out[()] = rng
        return [out, sample]

    def make_inplace_thunk(self, node, mode: str, excluding: tuple[str, ...] = ()):
        """The draw advancing the given state itself (no copy), for a function that owns the state."""
        return lambda inputs: self.perform(node, inputs, inplace=True)

    def infer_shape(self, node, shapes, value):
        size = tuple(int(s) for s in np.asarray(value(1)).reshape(-1))
        ndim = self.outtype.ndim
        params = shapes[2:]
        try:
            if self.fn in _SCALAR_DISTRIBUTIONS:
                out = size if size else _scalar_sample_shape(self.fn, params, ndim)
            elif self.fn is permutation_helper:
                out = size + (int(value(2)),)
            elif self.fn is multinomial_helper:
                n_shape, p_shape = params
                head = size if size else np.broadcast_shapes(tuple(n_shape), tuple(p_shape[:-1]))
                out = tuple(head) + (p_shape[-1],)
            else:  # a function of the user's: draw once from a scratch state to learn the shape
                out = self.draw(np.random.RandomState(0), size, [value(i) for i in range(2, len(node.inputs))]).shape
        except ValueError as exc:
            raise ShapeError(f"{self}: {exc}") from None
        if len(out) != ndim:
            raise ShapeError(f"{self}: a sample of shape {tuple(out)} does not fit the output type {self.outtype} "
                             f"(shape given: {size})")
        return [(), tuple(int(n) for n in out)]


def _scalar_sample_shape(fn, params, ndim: int) -> tuple[int, ...]:
    """The shape numpy gives a draw without a size: the parameters broadcast (choice: a scalar)."""
    if fn is choice_helper:
        return ()
    shape = np.broadcast_shapes(*[tuple(p) for p in params]) if params else ()
    return (1,) * ndim if shape == () and ndim > 0 else tuple(shape)


# ----------------------------------------------------------------------------
# Shapes (Theano's conventions)
# ----------------------------------------------------------------------------


def _infer_ndim_bcast(ndim, shape, *args):
    """(ndim, int64 shape vector, broadcastable) of a draw from its `size` argument and parameters (Theano's rule).

    A tuple may mix ints and symbolic scalars; -1 borrows the length of the
    parameters' matching dimension (counted from the right). None takes the
    shape of the parameters' broadcast.
    """
    from mlc.tensor.elemwise import cast
    from mlc.tensor.shape import stack

    args_ndim = max((a.ndim for a in args), default=0)
    if isinstance(shape, (tuple, list)):
        if ndim is None:
            ndim = len(shape)
        elif len(shape) != ndim:
            raise ValueError(f"ndim should be equal to len(shape), got ndim={ndim}, shape={shape}")
        bcast, pre = [], []
        for i, s in enumerate(shape):
            if hasattr(s, "type"):
                bcast.append(False)
                pre.append(s)
            elif s >= 0:
                pre.append(as_tensor_variable(int(s)))
                bcast.append(s == 1)
            elif s == -1:
                n_a_i = 0
                for a in args:
                    if i >= ndim - a.ndim:
                        n_a_i += 1
                        a_i = i + a.ndim - ndim
                        if not a.broadcastable[a_i]:
                            pre.append(a.shape[a_i])
                            bcast.append(False)
                            break
                else:
                    if n_a_i == 0:
                        raise ValueError("Auto-shape of -1 must overlap with the shape of one of the broadcastable "
                                         "inputs")
                    pre.append(as_tensor_variable(1))
                    bcast.append(True)
            else:
                raise ValueError(f"negative shape {s} in {shape}")
        v_shape = constant(np.zeros(0, "int64")) if not pre else stack([cast(p, "int64") for p in pre])
    elif shape is None:
        if not args:
            raise TypeError("_infer_ndim_bcast cannot infer shape without either shape or args")
        template = reduce(lambda a, b: a + b, args)
        v_shape = template.shape
        bcast = template.broadcastable
        ndim = template.ndim
    else:
        v_shape = as_tensor_variable(shape)
        if v_shape.ndim != 1:
            raise TypeError(f"shape must be a vector or list of scalar, got {v_shape}")
        if ndim is None:
            ndim = get_vector_length(v_shape)
        bcast = [False] * ndim
    if v_shape.ndim != 1:
        raise TypeError(f"shape must be a vector or list of scalar, got {v_shape}")
    if v_shape.dtype not in INTS:
        raise TypeError(f"shape must be an integer vector or list, got dtype {v_shape.dtype}")
    if args_ndim > ndim:
        raise ValueError(f"ndim should be at least as big as required by args value, got ndim={ndim} for "
                         f"parameters of {args_ndim} dimensions")
    assert ndim == len(bcast)
    return ndim, cast(v_shape, "int64"), tuple(bcast)


def _broadcast_index(out_shape, *shapes):
    """Per output index (numpy.ndindex order), the matching index of each shape broadcast to `out_shape`."""
    for shape in shapes:
        for d, (n, m) in enumerate(zip(shape, out_shape)):
            if n not in (m, 1):
                raise ValueError(f"shape[{d}] ({n}) should be equal to out_shape[{d}] ({m}) or to 1")
    for idx in np.ndindex(*out_shape):
        yield (idx, *(tuple(i if n != 1 else 0 for i, n in zip(idx, shape)) for shape in shapes))


def _lift(x: np.ndarray, ndim: int, what: str, size) -> np.ndarray:
    if x.ndim > ndim:
        raise ValueError(f"{what}.ndim ({x.ndim}) should not be larger than len(size) ({ndim}), size={size}")
    return x.reshape((1,) * (ndim - x.ndim) + x.shape)


# ----------------------------------------------------------------------------
# Distributions
# ----------------------------------------------------------------------------


def uniform(random_state, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
    """Uniform samples in [low, high) (dtype: low's and high's upcast with floatX by default)."""
    low, high = as_tensor_variable(low), as_tensor_variable(high)
    dtype = dtype or upcast(config.floatX, low.dtype, high.dtype)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, low, high)
    return RandomFunction("uniform", TensorType(dtype, bcast))(random_state, size, low, high)


def normal(random_state, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
    """Normal samples of mean avg and standard deviation std."""
    avg, std = as_tensor_variable(avg), as_tensor_variable(std)
    dtype = dtype or upcast(config.floatX, avg.dtype, std.dtype)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, avg, std)
    return RandomFunction("normal", TensorType(dtype, bcast))(random_state, size, avg, std)


def binomial(random_state, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None):
    """The number of successes in n trials of probability p."""
    if prob is not None:
        p = prob
    n, p = as_tensor_variable(n), as_tensor_variable(p)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, n, p)
    return RandomFunction("binomial", TensorType(dtype, (False,) * ndim))(random_state, size, n, p)


def random_integers_helper(random_state, low, high, size):
    """Integers in [low, high] drawn one at a time with randint, low and high broadcast (Theano's helper)."""
    out_ndim = len(size) if size is not None else max(low.ndim, high.ndim)
    low, high = _lift(low, out_ndim, "low", size), _lift(high, out_ndim, "high", size)
    out_size = tuple(size) if size is not None else tuple(max(a, b) for a, b in zip(low.shape, high.shape))
    out = np.ndarray(out_size)
    for oi, li, hi in _broadcast_index(out_size, low.shape, high.shape):
        out[oi] = random_state.randint(low=low[li], high=high[hi] + 1)
    return out


def random_integers(random_state, size=None, low=0, high=1, ndim=None, dtype="int64"):
    """Integers between low and high, both included."""
    low, high = as_tensor_variable(low), as_tensor_variable(high)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, low, high)
    return RandomFunction(random_integers_helper, TensorType(dtype, bcast))(random_state, size, low, high)


def choice_helper(random_state, a, replace, p, size):
    """numpy's choice, with `replace` as an int8 and an empty p meaning None (Theano's helper)."""
    if a.ndim > 1:
        raise ValueError(f"a.ndim ({a.ndim}) must be 0 or 1")
    if p.ndim != 1:
        raise ValueError(f"p.ndim ({p.ndim}) must be 1")
    return random_state.choice(a, size, bool(replace), None if p.size == 0 else p)


def choice(random_state, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64"):
    """Values of `a` (a vector, or range(a) for a scalar), with or without replacement, optionally weighted by p."""
    a = as_tensor_variable(a)
    replace = constant(np.int8(replace)) if isinstance(replace, bool) else as_tensor_variable(replace)
    p = as_tensor_variable(p if p is not None else np.zeros(0, config.floatX))
    ndim, size, bcast = _infer_ndim_bcast(ndim, size)
    return RandomFunction(choice_helper, TensorType(dtype, bcast))(random_state, size, a, replace, p)


def poisson(random_state, size=None, lam=1.0, ndim=None, dtype="int64"):
    """Poisson samples of expectation lam."""
    lam = as_tensor_variable(lam)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size)
    return RandomFunction("poisson", TensorType(dtype, bcast))(random_state, size, lam)


def permutation_helper(random_state, n, shape):
    """As many permutations of range(n) as `shape` asks for, stacked: shape + (n,) (Theano's helper)."""
    n = int(np.asarray(n).item())
    shape = () if shape is None else shape
    out = np.empty(list(shape) + [n], int)
    for i in np.ndindex(*shape):
        out[i] = random_state.permutation(n)
    return out


def permutation(random_state, size=None, n=1, ndim=None, dtype="int64"):
    """Permutations of range(n): one per entry of size, so the output has ndim + 1 dimensions."""
    if size is None or (isinstance(size, (tuple, list)) and len(size) == 0):
        if not (ndim is None or ndim == 1):
            raise TypeError("You asked for just one permutation but asked for more then 1 dimensions.")
        size, bcast = (), ()
    else:
        ndim, size, bcast = _infer_ndim_bcast(ndim, size)
    op = RandomFunction(permutation_helper, TensorType(dtype, bcast + (False,)), ndim_added=1)
    return op(random_state, size, n)


def multinomial_helper(random_state, n, pvals, size):
    """Multinomial draws with n and pvals' rows broadcast against size (Theano's helper, its pvals fix-ups)."""
    ndim = len(size) if size is not None else max(n.ndim, pvals.ndim - 1)
    n = _lift(n, ndim, "n", size)
    if pvals.ndim - 1 > ndim:
        raise ValueError(f"pvals.ndim-1 ({pvals.ndim - 1}) should not be larger than len(size) ({ndim})")
    pvals = pvals.reshape((1,) * (ndim - pvals.ndim + 1) + pvals.shape)
    size = tuple(size) if size is not None else tuple(max(n.shape[d], pvals.shape[d]) for d in range(ndim))
    out = np.ndarray(size + (pvals.shape[-1],))
    assert pvals.min() >= 0
    for mi, ni, pi in _broadcast_index(size, n.shape, pvals.shape[:-1]):
        pvi = pvals[pi]
        pisum = np.sum(pvi)
        if 1.0 < pisum < 1.0 + 1e-5:  # numpy refuses sums a rounding error above 1
            pvi = pvi * (1.0 - 5e-5)
            pisum = np.sum(pvi)
        elif pvi[-1] < 5e-5:
            pvi = pvi * (1.0 - 5e-5)
            pisum = np.sum(pvi)
        assert pisum <= 1.0, pisum
        out[mi] = random_state.multinomial(n=n[ni], pvals=pvi.astype("float64"))
    return out


def multinomial(random_state, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64"):
    """Counts of n experiments per multinomial given by pvals' last axis; the output adds that axis to size."""
    n, pvals = as_tensor_variable(n), as_tensor_variable(list(pvals) if isinstance(pvals, tuple) else pvals)
    tmp = pvals.T[0].T
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, n, tmp)
    bcast = bcast + (pvals.type.broadcastable[-1],)
    op = RandomFunction(multinomial_helper, TensorType(dtype, bcast), ndim_added=1)
    return op(random_state, size, n, pvals)


_SCALAR_DISTRIBUTIONS = ("uniform", "normal", "binomial", "poisson", random_integers_helper, choice_helper)


def permute_row_elements(x, perm):
    """x with each row (last axis) reordered by the matching row of perm: out[..., j] = x[..., perm[..., j]]."""
    from mlc.tensor.alloc import arange

    x, perm = as_tensor_variable(x), as_tensor_variable(perm)
    n = x.shape[-1]
    rows = perm.reshape((-1, n))
    index = (rows + arange(rows.shape[0]).dimshuffle(0, "x") * n).reshape((-1,))
    return x.reshape((-1,))[index].reshape(x.shape, ndim=x.ndim)


class RandomStreamsBase:
    """The draws as methods; a subclass's `gen(op, *args, **kwargs)` gives each its random state."""

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None):
        """n trials of probability p: the number of successes."""
        return self.gen(binomial, size, n, prob if prob is not None else p, ndim=ndim, dtype=dtype)

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
        """Uniform samples in [low, high)."""
        return self.gen(uniform, size, low, high, ndim=ndim, dtype=dtype)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
        """Normal samples of mean avg and standard deviation std."""
        return self.gen(normal, size, avg, std, ndim=ndim, dtype=dtype)

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype="int64"):
        """Integers between low and high, both included."""
        return self.gen(random_integers, size, low, high, ndim=ndim, dtype=dtype)

    def choice(self, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64"):
        """Values of a (or range(a)), with or without replacement."""
        return self.gen(choice, size, a, replace, p, ndim=ndim, dtype=dtype)

    def poisson(self, size=None, lam=None, ndim=None, dtype="int64"):
        """Poisson samples of expectation lam."""
        return self.gen(poisson, size, lam, ndim=ndim, dtype=dtype)

    def permutation(self, size=None, n=1, ndim=None, dtype="int64"):
        """Permutations of range(n), one per entry of size (output: size + (n,))."""
        return self.gen(permutation, size, n, ndim=ndim, dtype=dtype)

    def multinomial(self, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64"):
        """Multinomial counts (output: size + (len(pvals),))."""
        return self.gen(multinomial, size, n, pvals, ndim=ndim, dtype=dtype)

    def shuffle_row_elements(self, input):
        """input with every row (last axis) shuffled; the permutation is the result's `.permutation`."""
        input = as_tensor_variable(input)
        perm = self.permutation(size=input.shape[:-1], n=input.shape[-1], ndim=input.ndim - 1)
        shuffled = permute_row_elements(input, perm)
        shuffled.permutation = perm
        return shuffled


def shuffle_row_elements(random_state, input):
    """`RandomStreamsBase.shuffle_row_elements` on an explicit state: (new state, shuffled input)."""
    input = as_tensor_variable(input)
    new_r, perm = permutation(random_state, size=input.shape[:-1], n=input.shape[-1], ndim=input.ndim - 1)
    return new_r, permute_row_elements(input, perm)
