"""MRG_RandomStreams: the MRG31k3p generator (Theano's theano.sandbox.rng_mrg), in native code.

Every draw gets its own state: an int32 shared matrix with one row of six
components per stream (Theano's layout), the rows spaced 2^72 steps apart
on the stream's sequence (`ff_2p72`), and the stream moves 2^134 steps on
(`ff_2p134`) after each draw's states are made, as Theano does, so the
numbers equal Theano's for the same seed, sizes and call order.

`mrg_uniform` (the graph op) compiles to `mt.mrg_uniform`, lowered to loops
over the streams (mlc.passes.bufferize_mrg); its new state is the state
variable's `default_update`, written in place into the shared storage.
normal (Box-Muller on one uniform draw of an even count, as Theano 1.0.5),
truncated_normal, binomial are graphs on top of it; multinomial and
choice turn uniforms into indices like Theano's MultinomialFromUniform and
ChoiceFromUniform (host ops: a short sequential scan per row).
"""

from __future__ import annotations

import numpy as np

from mlc.config import config
from mlc.dialects.mt.random import M1, M2, MASK2, MASK12, MASK13, MULT2, mrg_uniform_reference
from mlc.dialects.mt.random import NORM as _NORM
from mlc.graph import Apply, Constant, Op, ShapeError, TensorType, Variable, built_at
from mlc.graph.dtype import upcast
from mlc.tensor.host import HostOp
from mlc.tensor.var import as_tensor_variable, constant

__all__ = [
    "ChoiceFromUniform",
    "MRG_RandomStreams",
    "MultinomialFromUniform",
    "ff_2p72",
    "ff_2p134",
    "MASK12", "MASK13", "MASK2", "MULT2", "NORM", "matVecModM", "multMatVect",
    "guess_n_streams",
    "mrg_uniform",
]

# jump matrices: 2^72 steps (the next substream) and 2^134 steps (the next stream), per component
A1p72 = np.asarray([[1516919229, 758510237, 499121365],
                    [1884998244, 1516919229, 335398200],
                    [601897748, 1884998244, 358115744]], dtype="int64")
A2p72 = np.asarray([[1228857673, 1496414766, 954677935],
                    [1133297478, 1407477216, 1496414766],
                    [2002613992, 1639496704, 1407477216]], dtype="int64")
A1p134 = np.asarray([[1702500920, 1849582496, 1656874625],
                     [828554832, 1702500920, 1512419905],
                     [1143731069, 828554832, 102237247]], dtype="int64")
A2p134 = np.asarray([[796789021, 1464208080, 607337906],
                     [1241679051, 1431130166, 1464208080],
                     [1401213391, 1178684362, 1431130166]], dtype="int64")


#: the generator's constants, as Theano names them (MRG31k3p; NORM: 2^-31, the float64 scale of a draw)
NORM = _NORM["f64"]


def matVecModM(A, s, m):  # noqa: N802,N803 (Theano's names)
    """(A @ s) mod m for an int64 3x3 matrix A and a 3-vector s, exactly (each product reduced first)."""
    A = np.asarray(A, dtype="int64")  # noqa: N806
    return (np.sum((A * np.asarray(s, dtype="int64")) % m, 1) % m).astype("int32")


def multMatVect(v, A, m1, B, m2):  # noqa: N802,N803 (Theano's names)
    """The 6-word state `v` moved on by jump matrices: its first half by A modulo m1, its second by B
    modulo m2 (Theano's multMatVect; how streams and substreams are spaced)."""
    v = np.asarray(v)
    return np.concatenate([matVecModM(A, v[:3], m1), matVecModM(B, v[3:], m2)])


def ff_2p72(rstate: np.ndarray) -> np.ndarray:
    """The state 2^72 steps further on (the next substream)."""
    return multMatVect(rstate, A1p72, M1, A2p72, M2)


def ff_2p134(rstate: np.ndarray) -> np.ndarray:
    """The state 2^134 steps further on (the next stream)."""
    return multMatVect(rstate, A1p134, M1, A2p134, M2)


def guess_n_streams(size, warn: bool = False) -> int:
    """Theano's number of streams for a size: prod(size) // 6 when above 6 (at most 15360); 15360 when the
    size is symbolic."""
    if isinstance(size, (tuple, list)) and all(isinstance(i, (int, np.integer)) for i in size):
        r = int(np.prod(size, dtype="int64")) if size else 1
        if r > 6:
            r = r // 6
        return min(r, 60 * 256)
    return 60 * 256


class MRGUniform(Op):
    """`MRGUniform(output_type)(rstate, size) -> (new rstate, sample)`: uniform draws in (0, 1) of `output_type`.

    Draw i (in C order of the sample) advances stream i % S of the (S, 6)
    int32 state matrix. Native code: `mt.mrg_uniform` and a reshape.
    """

    __props__ = ("output_type",)
    shape_value_inputs = (1,)
    #: output 0 always has input 0's shape (the state is updated in place)
    same_shape_outputs = {0: 0}

    def __init__(self, output_type: TensorType):
        if output_type.dtype not in ("float32", "float64"):
            raise TypeError(f"mrg_uniform: expected a float32 or float64 output, got {output_type.dtype}")
        self.output_type = output_type

    def make_node(self, rstate, size) -> Apply:
        rstate, size = as_tensor_variable(rstate), as_tensor_variable(size)
        if rstate.dtype != "int32" or rstate.ndim != 2:
            raise TypeError(f"mrg_uniform: the state must be an int32 matrix, got {rstate} ({rstate.type})"
                            f"{built_at(rstate)}")
        if size.ndim != 1 or size.dtype not in ("int64", "int32"):
            raise TypeError(f"mrg_uniform: the size must be an int vector, got {size} ({size.type}){built_at(size)}")
        bcast = list(self.output_type.broadcastable)
        if isinstance(size, Constant):
            bcast = [int(s) == 1 for s in np.asarray(size.data).reshape(-1)]
        if size.dtype != "int64":
            from mlc.tensor.elemwise import cast

            size = cast(size, "int64")
        return Apply(self, [rstate, size], [rstate.type, TensorType(self.output_type.dtype, bcast)])

    @classmethod
    def new(cls, rstate, ndim, dtype, size):
        """(new state, uniform sample of `size`) from the MRG state matrix `rstate` (Theano's mrg_uniform.new)."""
        v_size = as_tensor_variable(size)
        if ndim is None:
            from mlc.tensor.constants import get_vector_length

            ndim = get_vector_length(v_size)
        return cls(TensorType(dtype, (False,) * ndim))(rstate, v_size)

    def connection_pattern(self, node):
        return [[False, False], [False, False]]  # random draws are constants for grad

    def infer_shape(self, node, shapes, value):
        size = tuple(int(s) for s in np.asarray(value(1)).reshape(-1))
        if len(size) != node.outputs[1].ndim:
            raise ShapeError(f"mrg_uniform: size must have length {node.outputs[1].ndim}, got {size}")
        if any(s < 0 for s in size):
            raise ShapeError(f"mrg_uniform: negative size {size}")
        if int(np.prod(size, dtype="int64")) > M1:
            raise ShapeError("rng_mrg does not support more than (2**31 -1) samples")
        if shapes[0][1] != 6 or shapes[0][0] < 1:
            raise ShapeError(f"mrg_uniform: the state must have shape (streams, 6), got {tuple(shapes[0])}")
        return [tuple(shapes[0]), size]

    def perform(self, node, inputs):
        rstate, size = inputs
        size = tuple(int(s) for s in size)
        new, flat = mrg_uniform_reference(rstate, int(np.prod(size, dtype="int64")), self.output_type.dtype)
        return [new, flat.reshape(size)]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        state, size = operands
        n = ctx.add(mt.ReduceProdOp(size, [0])).results[0]
        op = ctx.add(mt.MrgUniformOp(state, n, mt.element_type_of(self.output_type.dtype)))
        sample = ctx.mt(node, "reshape", [op.sample], shape=size, out_type=node.outputs[1].type)
        return [op.new_state, sample]


#: Theano's name for the op (`mrg_uniform.new(rstate, ndim, dtype, size)`)
mrg_uniform = MRGUniform


# ----------------------------------------------------------------------------
# From uniforms to indices (host ops: Theano's MultinomialFromUniform / ChoiceFromUniform, as their C code)
# ----------------------------------------------------------------------------


class MultinomialFromUniform(HostOp):
    """`(pvals (m, k), unis (n*m,), n) -> counts (m, k)`: each uniform picks the first outcome whose running
    sum of probabilities (in float64) exceeds it."""

    __props__ = ("odtype",)

    def __init__(self, odtype: str):
        self.odtype = odtype

    def make_node(self, pvals, unis, n=1) -> Apply:
        pvals, unis, n = as_tensor_variable(pvals), as_tensor_variable(unis), as_tensor_variable(n)
        if pvals.ndim != 2 or unis.ndim != 1 or n.ndim != 0:
            raise NotImplementedError(f"{self}: pvals must be a matrix, unis a vector and n a scalar")
        odtype = pvals.dtype if self.odtype == "auto" else self.odtype
        return Apply(self, [pvals, unis, n], [TensorType(odtype, pvals.broadcastable)])

    def connection_pattern(self, node):
        return [[False] for _ in node.inputs]

    def infer_shape(self, node, shapes, value):
        return [tuple(shapes[0])]

    def perform(self, node, inputs):
        pvals, unis, n = inputs
        n = int(n)
        m, k = pvals.shape
        if unis.shape[0] != m * n:
            raise ValueError(f"{self}: unis.shape[0] ({unis.shape[0]}) != pvals.shape[0] * n_samples ({m} * {n})")
        cumsum = np.cumsum(pvals, axis=1, dtype="float64")
        z = np.zeros(pvals.shape, dtype=node.outputs[0].dtype)
        rows = np.arange(m)
        for c in range(n):
            pick = np.sum(cumsum <= unis[c * m:(c + 1) * m, None], axis=1)  # first outcome with cumsum > u
            hit = pick < k
            np.add.at(z, (rows[hit], pick[hit]), 1)
        return [z]


class ChoiceFromUniform(HostOp):
    """`(pvals (m, k), unis (n*m,), n) -> indices (m, n)`: n draws per row, without replacement (a picked
    outcome's probability drops to 0 and the row is renormalized), as Theano's C code."""

    __props__ = ("odtype", "replace")

    def __init__(self, odtype: str, replace: bool = False):
        self.odtype = odtype
        self.replace = replace

    def make_node(self, pvals, unis, n) -> Apply:
        pvals, unis, n = as_tensor_variable(pvals), as_tensor_variable(unis), as_tensor_variable(n)
        if pvals.ndim != 2 or unis.ndim != 1 or n.ndim != 0:
            raise NotImplementedError(f"{self}: pvals must be a matrix, unis a vector and n a scalar")
        odtype = "int64" if self.odtype == "auto" else self.odtype
        return Apply(self, [pvals, unis, n], [TensorType(odtype, pvals.broadcastable)])

    def connection_pattern(self, node):
        return [[False] for _ in node.inputs]

    shape_value_inputs = (2,)

    def infer_shape(self, node, shapes, value):
        n = int(value(2))
        if n > shapes[0][1]:
            raise ShapeError("Cannot sample without replacement n samples bigger than the size of the "
                             "distribution.")
        return [(shapes[0][0], n)]

    def perform(self, node, inputs):
        pvals, unis, n = inputs
        n = int(n)
        p = np.array(pvals, copy=True)
        m, k = p.shape
        if unis.shape[0] != m * n:
            raise ValueError(f"{self}: unis.shape[0] ({unis.shape[0]}) != pvals.shape[0] * n_samples ({m} * {n})")
        z = -np.ones((m, n), dtype=node.outputs[0].dtype)
        for c in range(n):
            for r in range(m):
                u = unis[c * m + r]
                cummul = 0.0
                for j in range(k):
                    cummul += float(p[r, j])
                    if cummul > u:
                        z[r, c] = j
                        if c != n - 1 and not self.replace:
                            total = p.dtype.type(cummul - p[r, j])
                            p[r, j] = 0
                            for q in range(j, k):
                                total = p.dtype.type(total + p[r, q])
                            p[r] = p[r] / total
                        break
        return [z]


class TruncatedNormalFix(HostOp):
    """`(z0, z1, cos_theta, sin_theta, rstate) -> (new rstate, samples)`: Theano's truncation of Box-Muller.

    Values of z0 and z1 beyond 2 in absolute value are redrawn with the
    same angle and a radius from a second uniform draw, in (1/e^2, 1) so the
    radius is at most 2, taken from `rstate`'s streams; the result joins
    z0's kept values, z0's redrawn ones, then z1's, as Theano 1.0.5 does.
    A host op: how many numbers the second draw makes depends on the values.
    """

    __props__ = ("dtype",)
    same_shape_outputs = {0: 4}

    def __init__(self, dtype: str):
        self.dtype = dtype

    def make_node(self, z0, z1, cos_theta, sin_theta, rstate) -> Apply:
        ins = [as_tensor_variable(v) for v in (z0, z1, cos_theta, sin_theta, rstate)]
        return Apply(self, ins, [ins[4].type, TensorType(self.dtype, (False,))])

    def connection_pattern(self, node):
        return [[False, False] for _ in node.inputs]

    def infer_shape(self, node, shapes, value):
        return [tuple(shapes[4]), (shapes[0][0] + shapes[1][0],)]

    def perform(self, node, inputs):
        z0, z1, cos_theta, sin_theta, rstate = inputs
        t = np.dtype(self.dtype).type
        fix0 = (z0 < -2.0) | (z0 > 2.0)
        fix1 = (z1 < -2.0) | (z1 > 2.0)
        n0 = int(fix0.sum())
        new, u = mrg_uniform_reference(rstate, n0 + int(fix1.sum()), self.dtype)
        low = t(1.0 / np.e ** 2)
        u = u * (t(1.0) - low) + low
        r = np.sqrt(t(-2.0) * np.log(u))
        out = np.concatenate([z0[~fix0], r[:n0] * cos_theta[fix0], z1[~fix1], r[n0:] * sin_theta[fix1]])
        return [new, out.astype(self.dtype)]


# ----------------------------------------------------------------------------
# The streams
# ----------------------------------------------------------------------------


def _check_size(size) -> Variable:
    """The size as an int vector variable (Theano's _check_size)."""
    from mlc.tensor.shape import stack

    if isinstance(size, Variable):
        if size.ndim == 1:
            return size
        if size.ndim == 0:
            return stack([size])
        raise ValueError(f"a size variable must have 1 dimension, got {size} ({size.type})")
    if isinstance(size, (int, np.integer)):
        return constant(np.asarray([size], dtype="int64"))
    if not isinstance(size, (tuple, list)):
        raise ValueError(f"Size must be a int, tuple, list or a variable, got {size!r}")
    for i in size:
        if isinstance(i, Variable):
            if i.ndim != 0:
                raise ValueError(f"Non-scalar variable {i} in size {size}")
        elif isinstance(i, (int, np.integer)):
            if i <= 0:
                raise ValueError(f"Non-positive dimensions not allowed in size: {size}")
        else:
            raise ValueError(f"Only variables and integers are allowed in a size tuple, got {size}")
    return as_tensor_variable(size, ndim=1) if size else constant(np.zeros(0, "int64"))


class MRG_RandomStreams:
    """Random variables from the MRG31k3p generator, with Theano's numbers for a seed.

    seed: an int (repeated six times) or six ints (the first three < M1,
    the last three < M2, neither half all zero).
    """

    def __init__(self, seed=12345):
        #: (state shared variable, its new value, size, nstreams) per draw
        self.state_updates: list[tuple] = []
        self.default_instance_seed = seed
        self.set_rstate(seed)

    def updates(self) -> list[tuple]:
        return list(self.state_updates)

    def set_rstate(self, seed) -> None:
        if isinstance(seed, (int, np.integer)):
            if seed == 0:
                raise ValueError(f"seed should not be 0, got {seed}")
            if seed >= M2:
                raise ValueError(f"seed should be less than {M2}, got {seed}")
            self.rstate = np.asarray([seed] * 6, dtype="int32")
        elif len(seed) == 6:
            if seed[0] == 0 and seed[1] == 0 and seed[2] == 0:
                raise ValueError(f"The first 3 values of seed should not be all 0, got {seed}")
            if seed[3] == 0 and seed[4] == 0 and seed[5] == 0:
                raise ValueError(f"The last 3 values of seed should not be all 0, got {seed}")
            if seed[0] >= M1 or seed[1] >= M1 or seed[2] >= M1:
                raise ValueError(f"The first 3 values of seed should be less than {M1}, got {seed}")
            if seed[3] >= M2 or seed[4] >= M2 or seed[5] >= M2:
                raise ValueError(f"The last 3 values of seed should be less than {M2}, got {seed}")
            self.rstate = np.asarray(seed, dtype="int32")
        else:
            raise TypeError("seed should be 1 integer or 6 integers")

    def seed(self, seed=None) -> None:
        """Restart from `seed` (default: the constructor's): every draw's states are made again, in order."""
        if seed is None:
            seed = self.default_instance_seed
        self.set_rstate(seed)
        for old_r, new_r, size, nstreams in self.state_updates:
            if nstreams is None:
                nstreams = self.n_streams(size)
            rstates = self.get_substream_rstates(nstreams, new_r.owner.outputs[1].dtype)
            assert old_r.get_value(borrow=True).shape == rstates.shape
            old_r.set_value(rstates, borrow=True)

    def inc_rstate(self) -> None:
        """Move to the next stream start, 2^134 steps on."""
        self.rstate = ff_2p134(self.rstate)

    def get_substream_rstates(self, n_streams: int, dtype: str, inc_rstate: bool = True) -> np.ndarray:
        """(n_streams, 6) states, each 2^72 steps after the previous, starting at the current rstate."""
        assert n_streams > 0
        rval = np.zeros((n_streams, 6), dtype="int32")
        rval[0] = self.rstate
        for i in range(1, n_streams):
            rval[i] = ff_2p72(rval[i - 1])
        if inc_rstate:
            self.inc_rstate()
        return rval

    def n_streams(self, size) -> int:
        return guess_n_streams(size)

    def pretty_return(self, node_rstate, new_rstate, sample, size, nstreams):
        sample.rstate = node_rstate
        sample.update = (node_rstate, new_rstate)
        self.state_updates.append((node_rstate, new_rstate, size, nstreams))
        node_rstate.default_update = new_rstate
        return sample

    def uniform(self, size, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None, **kwargs):
        """Uniform draws in (low, high), of `dtype` (default: low's and high's upcast with floatX)."""
        from mlc.sharedvalue import shared
        from mlc.tensor.elemwise import cast

        low, high = as_tensor_variable(low), as_tensor_variable(high)
        dtype = dtype or upcast(config.floatX, low.dtype, high.dtype)
        low, high = cast(low, dtype), cast(high, dtype)
        if isinstance(size, tuple):
            if not all(isinstance(i, (np.integer, int, Variable)) for i in size):
                raise TypeError("size must be a tuple of int or a variable")
            if any(isinstance(i, (np.integer, int)) and i <= 0 for i in size):
                raise ValueError(f"The specified size contains a dimension with value <= 0: {size}")
        elif not (isinstance(size, Variable) and size.ndim == 1):
            raise TypeError(f"size must be a tuple of int or a variable with 1 dimension, got {size} of type "
                            f"{type(size)}")
        orig_nstreams = nstreams
        if nstreams is None:
            nstreams = self.n_streams(size)
        rstates = self.get_substream_rstates(nstreams, dtype)
        kwargs.pop("target", None)
        if kwargs:
            raise TypeError(f"uniform() got unexpected keyword arguments {sorted(kwargs)}")
        node_rstate = shared(rstates)
        u = self.pretty_return(node_rstate, *MRGUniform.new(node_rstate, ndim, dtype, size), size=size,
                               nstreams=orig_nstreams)
        node_rstate.tag.is_rng = True
        r = u * (high - low) + low
        if u.broadcastable != r.broadcastable:
            raise NotImplementedError("Increase the size to match the broadcasting pattern of `low` and `high` "
                                      "arguments")
        assert r.dtype == dtype
        return r

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", nstreams=None, **kwargs):
        """Draws of 1 with probability p, else 0 (only n=1, as Theano)."""
        from mlc.tensor.elemwise import cast

        if n != 1:
            raise NotImplementedError("MRG_RandomStreams.binomial with n > 1")
        p = as_tensor_variable(p)
        x = self.uniform(size=size, nstreams=nstreams, **kwargs)
        return cast(x < p, dtype)

    def multinomial(self, size=None, n=1, pvals=None, ndim=None, dtype="int64", nstreams=None, **kwargs):
        """One-hot counts of n draws per row of pvals (a matrix)."""
        if pvals is None:
            raise TypeError("You have to specify pvals")
        pvals = as_tensor_variable(pvals)
        if size is not None:
            raise ValueError("Provided a size argument to MRG_RandomStreams.multinomial, which does not use the "
                             "size argument.")
        if ndim is not None:
            raise ValueError("Provided an ndim argument to MRG_RandomStreams.multinomial, which does not use the "
                             "ndim argument.")
        if pvals.ndim != 2:
            raise NotImplementedError("MRG_RandomStreams.multinomial only implemented for pvals.ndim = 2")
        size = pvals[:, 0].shape * n
        unis = self.uniform(size=size, ndim=1, nstreams=nstreams, **kwargs)
        return MultinomialFromUniform(dtype)(pvals, unis, as_tensor_variable(n))

    def choice(self, size=1, a=None, replace=True, p=None, ndim=None, dtype="int64", nstreams=None, **kwargs):
        """`size` indices per row of p (a matrix), without replacement (only replace=False, as Theano)."""
        if replace:
            raise NotImplementedError("MRG_RandomStreams.choice only works without replacement for now.")
        if a is not None:
            raise TypeError("For now, a has to be None in MRG_RandomStreams.choice. Sampled values are between 0 "
                            "and p.shape[1]-1")
        if p is None:
            raise TypeError("For now, p has to be specified in MRG_RandomStreams.choice.")
        p = as_tensor_variable(p)
        if ndim is not None:
            raise ValueError("ndim argument to MRG_RandomStreams.choice is not used.")
        if p.ndim != 2:
            raise NotImplementedError("MRG_RandomStreams.choice is only implemented for p.ndim = 2")
        shape = p[:, 0].shape * size
        unis = self.uniform(size=shape, ndim=1, nstreams=nstreams, **kwargs)
        return ChoiceFromUniform(odtype=dtype)(p, unis, as_tensor_variable(size))

    def multinomial_wo_replacement(self, size=None, n=1, pvals=None, ndim=None, dtype="int64", nstreams=None,
                                   **kwargs):
        assert size is None
        return self.choice(size=n, a=None, replace=False, p=pvals, dtype=dtype, nstreams=nstreams, ndim=ndim,
                           **kwargs)

    def normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None, truncate=False, **kwargs):
        """Normal draws by Box-Muller on one uniform draw of an even count (Theano 1.0.5's construction)."""
        import mlc.tensor as T
        from mlc.sharedvalue import shared

        size = _check_size(size)
        avg, std = as_tensor_variable(avg), as_tensor_variable(std)
        dtype = dtype or upcast(config.floatX, avg.dtype, std.dtype)
        avg, std = T.cast(avg, dtype), T.cast(std, dtype)
        n_odd = T.prod(size, dtype="int64")
        n_even = n_odd + n_odd % 2
        uniform = self.uniform((n_even,), low=0.0, high=1.0, ndim=1, dtype=dtype, nstreams=nstreams, **kwargs)
        u1 = uniform[:n_even // 2]
        u2 = uniform[n_even // 2:]
        r = T.sqrt(-2.0 * T.log(u1))
        theta = np.array(2.0 * np.pi, dtype=dtype) * u2
        cos_theta, sin_theta = T.cos(theta), T.sin(theta)
        z0 = r * cos_theta
        z1 = r * sin_theta
        if truncate:  # redraw the values beyond 2 std from a second uniform (its length depends on the values)
            if kwargs:
                raise TypeError(f"normal() got unexpected keyword arguments {sorted(kwargs)}")
            n_streams = nstreams if nstreams is not None else self.n_streams(None)
            node_rstate = shared(self.get_substream_rstates(n_streams, dtype))
            node_rstate.tag.is_rng = True
            new_rstate, norm_samples = TruncatedNormalFix(dtype)(z0, z1, cos_theta, sin_theta, node_rstate)
            self.pretty_return(node_rstate, new_rstate, norm_samples, (None,), nstreams)
        else:
            norm_samples = T.join(0, z0, z1)
        samples = norm_samples[:n_odd]
        samples = T.reshape(samples, size, ndim=ndim if ndim is not None else _size_ndim(size))
        return samples * std + avg

    def truncated_normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None, **kwargs):
        """Normal draws truncated at two standard deviations, rescaled to standard deviation `std`."""
        std = std / constant(0.87962566103423978)
        return self.normal(size=size, avg=avg, std=std, truncate=True, ndim=ndim, dtype=dtype, nstreams=nstreams,
                           **kwargs)


def _size_ndim(size: Variable) -> int:
    from mlc.tensor.constants import get_vector_length

    return get_vector_length(size)
