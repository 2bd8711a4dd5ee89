"""Tensor types, Theano's constructors, and Theano's dtype promotion table."""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.graph import TensorType
from mlc.graph.dtype import PREFIX, upcast

RANKS = {
    "scalar": (),
    "vector": (False,),
    "matrix": (False, False),
    "row": (True, False),
    "col": (False, True),
    **{f"tensor{n}": (False,) * n for n in range(3, 8)},
}
PLURALS = {"scalar": "scalars", "vector": "vectors", "matrix": "matrices", "row": "rows", "col": "cols",
           **{f"tensor{n}": f"tensor{n}s" for n in range(3, 8)}}


# ----------------------------------------------------------------------------
# TensorType: identity, equality, repr
# ----------------------------------------------------------------------------


def test_type_identity_of_prefixed_constructors():
    x = T.dscalar("x")
    assert x.type is T.dscalar
    assert x.type == T.dscalar
    assert isinstance(x, T.TensorVariable)
    assert x.name == "x"


def test_type_equality_and_hash():
    a = TensorType("float32", (False, True))
    b = TensorType("float32", [False, True])
    assert a == b and hash(a) == hash(b)
    assert a != TensorType("float64", (False, True))
    assert a != TensorType("float32", (False, False))
    assert a != "float32"
    assert len({a, b, T.fcol}) == 1


@pytest.mark.parametrize("t, text", [
    (T.dscalar, "TensorType(float64, scalar)"),
    (T.fvector, "TensorType(float32, vector)"),
    (T.imatrix, "TensorType(int32, matrix)"),
    (T.lrow, "TensorType(int64, row)"),
    (T.bcol, "TensorType(int8, col)"),
    (T.dtensor3, "TensorType(float64, 3D)"),
    (TensorType("float32", (True,)), "TensorType(float32, (True,))"),
    (TensorType("float32", (True, False, True)), "TensorType(float32, (True, False, True))"),
])
def test_type_repr_like_theano(t, text):
    assert repr(t) == text
    assert str(t) == text


def test_type_properties():
    t = TensorType("int16", (True, False))
    assert t.ndim == 2
    assert t.numpy_dtype == np.dtype("int16")
    assert t.dtype == "int16"
    assert t.clone(dtype="float32") == TensorType("float32", (True, False))
    assert t.clone(broadcastable=(False,)) == TensorType("int16", (False,))


def test_type_rejects_unknown_dtype():
    with pytest.raises(TypeError, match="expected a dtype"):
        TensorType("float128x", ())
    with pytest.raises(TypeError, match="expected a dtype"):
        TensorType("str", ())


# ----------------------------------------------------------------------------
# Constructors: 8 prefixes x all ranks, plurals, generic ones
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", sorted(PREFIX))
@pytest.mark.parametrize("rank", sorted(RANKS))
def test_prefixed_constructor(prefix, rank):
    ctor = getattr(T, prefix + rank)
    v = ctor("v")
    assert v.type is ctor
    assert v.dtype == PREFIX[prefix]
    assert v.broadcastable == RANKS[rank]
    assert v.ndim == len(RANKS[rank])
    assert v.name == "v"
    assert ctor().name is None
    # the plural makes several variables of the same type
    plural = getattr(T, prefix + PLURALS[rank])
    a, b = plural("a", "b")
    assert a.type is ctor and b.type is ctor and (a.name, b.name) == ("a", "b")


@pytest.mark.parametrize("rank", sorted(RANKS))
def test_generic_constructor_uses_floatx(rank):
    ctor = getattr(T, rank)
    with mlc.config.change_flags(floatX="float32"):
        v = ctor("v")
        assert v.dtype == "float32" and v.broadcastable == RANKS[rank]
    with mlc.config.change_flags(floatX="float64"):
        assert ctor().dtype == "float64"
    assert ctor("w", dtype="int32").dtype == "int32"


def test_plurals_split_one_string_into_characters():
    x, y, s = T.scalars("xys")
    assert (x.name, y.name, s.name) == ("x", "y", "s")
    a, b = T.dmatrices("a", "b")
    assert a.type is T.dmatrix and (a.name, b.name) == ("a", "b")
    assert T.dvectors("q").name == "q"  # one single-character name: one variable
    u, v, w = T.ivectors(3)
    assert u.type is T.ivector and u.name is None
    m1, m2 = T.matrices("m1", "m2", dtype="int8")
    assert m1.dtype == "int8" and m2.name == "m2"


def test_tensortype_call_makes_variables():
    t = TensorType("float32", (False,))
    x = t("x")
    assert x.type == T.fvector and x.name == "x"
    y = T.TensorType(mlc.config.floatX, (False, True))("y_col")
    assert y.broadcastable == (False, True) and y.dtype == mlc.config.floatX


def test_tensor_constructor_with_broadcastable_or_shape():
    x = T.tensor("float32", (False, True), "x")
    assert x.type == T.fcol and x.name == "x"
    y = T.tensor("int64", shape=(None, 1, None))
    assert y.broadcastable == (False, True, False) and y.dtype == "int64"
    assert T.tensor(dtype="float32", shape=()).type is not None and T.tensor("float32", shape=()).ndim == 0
    with pytest.raises(TypeError, match="broadcastable= or shape="):
        T.tensor("float32")
    with mlc.config.change_flags(floatX="float32"):
        assert T.tensor(None, (False,)).dtype == "float32"


def test_floatx_string_dtype():
    with mlc.config.change_flags(floatX="float32"):
        assert T.vector(dtype="floatX").dtype == "float32"
        assert T.cast(T.ivector(), "floatX").dtype == "float32"


# ----------------------------------------------------------------------------
# Theano's promotion table
# ----------------------------------------------------------------------------


def test_float32_times_float64_is_float64():
    assert (T.fvector() * T.dvector()).dtype == "float64"


def test_int32_plus_float32_is_float64():
    assert (T.ivector() + T.fvector()).dtype == "float64"


def test_float32_times_python_int_stays_float32():
    assert (T.fvector() * 2).dtype == "float32"
    assert (2 * T.fvector()).dtype == "float32"


def test_float32_times_exact_python_float_stays_float32():
    assert (T.fvector() * 0.5).dtype == "float32"  # 0.5 is exact in float32


def test_float32_times_inexact_python_float_follows_floatx():
    with mlc.config.change_flags(floatX="float64"):
        assert (T.fvector() * 0.1).dtype == "float64"
    with mlc.config.change_flags(floatX="float32"):
        assert (T.fvector() * 0.1).dtype == "float32"


@pytest.mark.parametrize("a, b, out", [
    ("int32", "int32", "float64"),
    ("int64", "int64", "float64"),
    ("int8", "int8", "float32"),
    ("int16", "int16", "float32"),
    ("uint8", "uint8", "float32"),
    ("float32", "float32", "float32"),
    ("int8", "float32", "float32"),
    ("int32", "float32", "float64"),
    ("bool", "bool", "float32"),
])
def test_true_division_dtypes(a, b, out):
    x, y = TensorType(a, (False,))(), TensorType(b, (False,))()
    assert (x / y).dtype == out


def test_int_division_keeps_int():
    assert (T.ivector() // T.ivector()).dtype == "int32"
    assert (T.ivector() % T.lvector()).dtype == "int64"


@pytest.mark.parametrize("op", ["lt", "le", "gt", "ge", "eq", "neq"])
def test_comparisons_are_bool(op):
    assert getattr(T, op)(T.fvector(), T.dvector()).dtype == "bool"
    assert getattr(T, op)(T.ivector(), 1).dtype == "bool"


def test_operator_comparisons_are_bool():
    x = T.dmatrix()
    assert (x < 1).dtype == "bool" and (x >= x).dtype == "bool"


@pytest.mark.parametrize("dtype, out", [("int8", "int64"), ("int16", "int64"), ("int32", "int64"),
                                        ("int64", "int64"), ("bool", "int64"), ("uint8", "uint64"),
                                        ("float32", "float32"), ("float64", "float64")])
def test_sum_dtype(dtype, out):
    assert TensorType(dtype, (False,))().sum().dtype == out


@pytest.mark.parametrize("dtype, out", [("int8", "float64"), ("int32", "float64"), ("int64", "float64"),
                                        ("float32", "float32"), ("float64", "float64")])
def test_mean_dtype(dtype, out):
    assert TensorType(dtype, (False, False))().mean(axis=0).dtype == out
    assert TensorType(dtype, (False, False))().mean().dtype == out


def test_arange_dtypes():
    assert T.arange(10).dtype == "int64"
    assert T.arange(T.iscalar(), T.iscalar()).dtype == "int64"
    assert T.arange(0.0, 1.0, 0.5).dtype == "float32"  # autocast: all three are exact float32
    assert T.arange(T.dscalar()).dtype == "float64"
    assert T.arange(5, dtype="int32").dtype == "int32"


def test_python_scalar_autocast():
    assert T.constant(2).dtype == "int8"
    assert T.constant(300).dtype == "int16"
    assert T.constant(2**40).dtype == "int64"
    assert T.constant(True).dtype == "bool"
    assert T.constant(0.5).dtype == "float32"
    with mlc.config.change_flags(floatX="float64"):
        assert T.constant(0.1).dtype == "float64"
    assert (T.bvector() + 1000).dtype == "int16"
    assert (T.ivector() + 1).dtype == "int32"


def test_upcast_helper_matches_numpy_except_floatx():
    with mlc.config.change_flags(floatX="float64"):
        assert upcast("int32", "float32") == "float64"
        assert upcast("int8", "uint8") == "int16"
    with mlc.config.change_flags(floatX="float32"):
        assert upcast("int32", "float32") == "float32"  # floatX=float32 keeps float32
        assert upcast("float64", "float32") == "float64"  # unless float64 was asked for


def test_unary_float_functions_upgrade_ints():
    assert T.exp(T.ivector()).dtype == "float64"
    assert T.exp(T.bvector()).dtype == "float32"
    assert T.sqrt(T.fvector()).dtype == "float32"
    assert abs(T.ivector()).dtype == "int32"
    assert (-T.fvector()).dtype == "float32"


def test_dot_dtype():
    assert T.dot(T.fmatrix(), T.fvector()).dtype == "float32"
    assert T.dot(T.fmatrix(), T.dvector()).dtype == "float64"
    assert T.dot(T.imatrix(), T.imatrix()).dtype == "int32"


def test_shared_variable_dtypes():
    assert mlc.shared(0).dtype == "int64"
    assert mlc.shared(0.5).dtype == "float64"
    assert mlc.shared(np.float32(0.5)).dtype == "float32"
    assert mlc.shared(np.zeros((2, 3), dtype="int16")).type == TensorType("int16", (False, False))
