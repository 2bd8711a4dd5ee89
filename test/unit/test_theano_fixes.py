"""Theano 1.0.5 behaviours the coverage run found wrong: T.var, round's default mode, bool(variable)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.compat import theano as compat


@pytest.fixture
def theano():
    compat.install()
    try:
        import theano as th

        yield th
    finally:
        compat.uninstall()
        assert "theano" not in sys.modules


def test_tensor_var_is_the_variance_function(theano):
    import theano.tensor.var  # noqa: F401  (binding the submodule must not shadow the function)
    from theano.tensor.var import TensorVariable

    tt = theano.tensor
    x = tt.dmatrix("x")
    assert isinstance(x, TensorVariable)
    v = np.arange(6.0).reshape(2, 3) ** 2
    np.testing.assert_allclose(tt.var(x).eval({x: v}), np.var(v))
    np.testing.assert_allclose(tt.var(x, axis=0).eval({x: v}), np.var(v, axis=0))


@pytest.mark.parametrize("mode", ["FAST_RUN", "REFERENCE"])
def test_round_defaults_to_half_to_even(mode):
    x = T.dvector("x")
    halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999999999999994])
    f = mlc.function([x], [T.round(x), T.iround(x), x.round(), T.round(x, "half_away_from_zero")], mode=mode)
    r, i, m, away = f(halves)
    np.testing.assert_array_equal(r, np.round(halves))
    np.testing.assert_array_equal(m, np.round(halves))
    assert i.dtype == np.int64
    np.testing.assert_array_equal(i, np.round(halves).astype(np.int64))
    np.testing.assert_array_equal(away, [-3, -2, -1, 1, 2, 3, 4, 0])


def test_truth_value_follows_theano():
    x = T.dvector("x")
    # every variable is true (programs write `if not W:` to test for None) ...
    assert x and (x + 1) and T.eq(x, 0) and T.constant(0.0) and x.sum()
    # ... except the result of an ordering comparison, which raises (a < b < c would be misread)
    for c in (x < 0, x <= 0, x > 0, x >= 0, 0 < x):
        with pytest.raises(TypeError, match="no truth value"):
            bool(c)
    assert (x > 0) + 0  # arithmetic on a comparison is an ordinary variable again
