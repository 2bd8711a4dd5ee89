"""`mlc.tensor`: Theano's `theano.tensor` vocabulary (import mlc.tensor as T)."""

from mlc.graph import TensorType
from mlc.graph.dtype import ALL as all_dtypes
from mlc.graph.dtype import COMPLEX as complex_dtypes
from mlc.graph.dtype import DISCRETE as discrete_dtypes
from mlc.graph.dtype import FLOATS as float_dtypes
from mlc.graph.dtype import INTS as integer_dtypes

int_dtypes = tuple(d for d in integer_dtypes if not d.startswith("u"))
uint_dtypes = tuple(d for d in integer_dtypes if d.startswith("u"))
continuous_dtypes = float_dtypes + complex_dtypes
from mlc.tensor.advanced import (AdvancedBooleanIncSubtensor, AdvancedBooleanSubtensor, AdvancedIncSubtensor,
                                 AdvancedSubtensor, BaseAdvancedIncSubtensor, BaseAdvancedSubtensor,
                                 advanced_boolean_inc_subtensor, advanced_boolean_set_subtensor,
                                 advanced_boolean_subtensor, advanced_inc_subtensor, advanced_inc_subtensor1,
                                 advanced_set_subtensor, advanced_set_subtensor1, advanced_subtensor,
                                 advanced_subtensor1, take)
from mlc.tensor.alloc import ARange, AllocEmpty, Eye
from mlc.tensor.alloc import (Alloc, alloc, arange, eye, fill, full, full_like, identity_like, ones, ones_like,
                              second, zeros, zeros_like)
from mlc.tensor.basic import *  # noqa: F401,F403  (constructors: dscalar, fmatrix, matrices, tensor, ...)
from mlc.tensor.basic import tensor
from mlc.tensor.elemwise import chi2sf, gammainc, gammaincc, gammal, gammau  # noqa: E402
from mlc.tensor.compose import (Default, Rebroadcast, ScalarFromTensor, TensorFromScalar, allclose, ceil_intdiv, cov,
                                default, div_proxy, divmod, extract_constant, float16_atol, float16_rtol,
                                float32_atol, float32_rtol, float64_atol, float64_rtol, isclose, largest, mod_check,
                                scalar_from_tensor, setdefault, smallest, tensor_from_scalar)
from mlc.tensor.constants import (EmptyConstantError, NotScalarConstantError, get_scalar_constant_value,
                                  get_vector_length, numpy_scalar)
from mlc.tensor.contract import Dot, batched_dot, batched_tensordot, dot, outer, tensordot
from mlc.tensor.elemwise import (angle, complex, complex_from_polar, conj, conjugate, imag, real)
from mlc.tensor.elemwise import (abs, abs_, add, and_, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh,
                                 bitwise_and, bitwise_not, bitwise_or, bitwise_xor, cast, ceil, clip, cos, cosh,
                                 deg2rad, eq, erf, erfc, erfcinv, erfcx, erfinv, exp, exp2, expm1, floor, floor_div, gamma,
                                 gammaln, ge, gt, hypot, i0, i1, int_div, inv, invert, iround, isinf, isnan, iv, j0,
                                 j1, jv, le, log, log1p, log2, log10, lt, maximum, minimum, mod, mul, neg, neq, or_,
                                 pow, psi, rad2deg, reciprocal, round, round_half_away_from_zero, round_half_to_even,
                                 sgn, sigmoid, sign, sin, sinh, softplus, sqr, sqrt, square, sub, switch, tan, tanh,
                                 tensor_copy, tri_gamma, true_div, true_divide, trunc, where, xor)
from mlc.tensor.elemwise import DimShuffle
from mlc.tensor.extra_ops import Split, Tri
from mlc.tensor.extra_ops import (AllocDiag, Choose, DiffOp, ExtractDiag, PermuteRowElements, choose,
                                  inverse_permutation, permute_row_elements)
from mlc.tensor.extra_ops import NonZero as Nonzero
from mlc.tensor.extra_ops import (addbroadcast, bartlett, bincount, compress, cumprod, cumsum, diag, diagonal, diff,
                                  fill_diagonal, fill_diagonal_offset, flatnonzero, mgrid, nonzero, nonzero_values,
                                  ogrid, patternbroadcast, ptp, ravel_multi_index, repeat, roll, searchsorted, split,
                                  squeeze, swapaxes, tile, tri, tril, triu, unbroadcast, unique, unravel_index)
from mlc.tensor.sort import argsort, argtopk, sort, topk, topk_and_argtopk
from mlc.tensor.reduce import MaxAndArgmax
from mlc.tensor.reduce import (All, Any, Mean, Prod, Sum, all, any, argmax, argmin, max, max_and_argmax, mean, min,
                               prod, std, sum, var)
from mlc.tensor.shape import (Flatten, Join, Reshape, Shape, SpecifyShape, concatenate, flatten, horizontal_stack,
                              join, reshape, shape, specify_shape, stack, stacklists, vertical_stack)
from mlc.tensor.subtensor import inc_subtensor, set_subtensor
from mlc.tensor.var import TensorConstant, TensorVariable, as_tensor_variable, constant
from mlc.tensor import nlinalg, nnet  # noqa: E402  (attributes of theano.tensor too; slinalg is not)
from mlc.tensor.nnet import to_one_hot  # noqa: E402,F401  (also theano.tensor.extra_ops.to_one_hot)

as_tensor = as_tensor_variable
isinf_, isnan_ = isinf, isnan  # Theano's names for the ops isinf/isnan apply


def shape_padleft(x, n_ones=1):
    """Add `n_ones` broadcastable dims on the left."""
    x = as_tensor_variable(x)
    return x.dimshuffle(*(["x"] * n_ones + list(range(x.ndim))))


def shape_padright(x, n_ones=1):
    """Add `n_ones` broadcastable dims on the right."""
    x = as_tensor_variable(x)
    return x.dimshuffle(*(list(range(x.ndim)) + ["x"] * n_ones))


def shape_padaxis(x, axis):
    x = as_tensor_variable(x)
    pattern = list(range(x.ndim))
    pattern.insert(axis % (x.ndim + 1), "x")
    return x.dimshuffle(*pattern)


def transpose(x, axes=None):
    x = as_tensor_variable(x)
    return x.transpose(*(axes or ()))


def grad(*args, **kwargs):
    """Symbolic gradient: see `mlc.grad`."""
    from mlc.gradient import grad as _grad

    return _grad(*args, **kwargs)


def Rop(*args, **kwargs):
    from mlc.gradient import Rop as _Rop

    return _Rop(*args, **kwargs)


def Lop(*args, **kwargs):
    from mlc.gradient import Lop as _Lop

    return _Lop(*args, **kwargs)
