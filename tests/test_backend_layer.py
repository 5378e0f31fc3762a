"""Tests of the backend layer (divlab._array) and the input contract helpers (divlab._validate)."""

from __future__ import annotations

import subprocess
import sys

import array_api_strict as xps
import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divlab import _array as A
from divlab import _validate as V
from divlab.errors import (
    BackendError,
    DTypeError,
    EmptyInputError,
    NegativeValueError,
    NonFiniteError,
    NormalizationError,
    ParameterError,
    ShapeMismatchError,
)


def test_import_divlab_does_not_import_cupy():
    code = "import sys, divlab; divlab.kl; assert 'cupy' not in sys.modules, 'cupy imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lists_are_numpy_and_mixed_backends_raise():
    xp = A.array_namespace([1.0, 2.0], np.ones(2))
    assert A.is_numpy(xp)
    assert A.is_numpy(A.array_namespace(3.0, None))
    with pytest.raises(BackendError, match="different array libraries"):
        A.array_namespace(np.ones(2), xps.ones(2))


def test_to_numpy_and_from_numpy_roundtrip_strict():
    a = xps.asarray([1.0, 2.0], dtype=xps.float32)
    h = A.to_numpy(a)
    assert isinstance(h, np.ndarray) and h.dtype == np.float32
    back = A.from_numpy(h, xps, like=a)
    assert isinstance(back, type(a)) and back.dtype == xps.float32


def test_result_float_dtype():
    assert A.result_float_dtype(np, np.ones(2, np.float32), np.ones(2, np.float32)) == np.float32
    assert A.result_float_dtype(np, np.ones(2, np.float32), np.ones(2)) == np.float64


@pytest.mark.parametrize("xp", [np, xps], ids=["numpy", "strict"])
def test_softplus_logsumexp_sigmoid_extremes(xp):
    v = xp.asarray([-800.0, -30.0, 0.0, 30.0, 800.0])
    sp = A.to_numpy(A.softplus(v, xp))
    ref = np.array([float(mpmath.log1p(mpmath.exp(mpmath.mpf(t)))) for t in A.to_numpy(v)])
    np.testing.assert_allclose(sp, ref, rtol=1e-15, atol=0)
    sg = A.to_numpy(A.sigmoid(v, xp))
    assert np.all(np.isfinite(sg)) and sg[0] == 0.0 and sg[-1] == 1.0
    ls = A.to_numpy(A.log_sigmoid(v, xp))
    np.testing.assert_allclose(ls, -ref[::-1], rtol=1e-15)
    lse = A.logsumexp(xp.asarray([[1000.0, 1000.0], [-np.inf, -np.inf]]), xp, axis=1)
    lse = A.to_numpy(lse)
    assert lse[0] == pytest.approx(1000 + np.log(2), rel=1e-15) and lse[1] == -np.inf


@pytest.mark.parametrize("xp", [np, xps], ids=["numpy", "strict"])
def test_xlogy_zero_convention(xp):
    x = xp.asarray([0.0, 0.0, 2.0])
    y = xp.asarray([0.0, 5.0, 3.0])
    np.testing.assert_allclose(A.to_numpy(A.xlogy(x, y, xp)), [0.0, 0.0, 2 * np.log(3.0)])


@given(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3))
def test_logsumexp_matches_high_precision(a, b):
    got = float(A.logsumexp(np.array([a, b]), np))
    ref = float(mpmath.log(mpmath.exp(mpmath.mpf(a)) + mpmath.exp(mpmath.mpf(b))))
    assert got == pytest.approx(ref, rel=1e-14, abs=1e-14)


def test_as_float_array_dtypes():
    assert V.as_float_array([1, 2], "p").dtype == np.float64
    assert V.as_float_array(np.ones(2, np.float16), "p").dtype == np.float32
    assert V.as_float_array(np.ones(2, bool), "p").dtype == np.float64
    with pytest.raises(DTypeError, match="`p`"):
        V.as_float_array(np.ones(2, complex), "p")
    with pytest.raises(DTypeError, match="`p`"):
        V.as_float_array(np.array(["a", "b"]), "p")
    with pytest.raises(DTypeError, match="`p`"):
        V.as_float_array([[1.0], [1.0, 2.0]], "p")
    with pytest.raises(DTypeError, match="`q`"):
        V.as_float_array(np.array([1, None], dtype=object), "q")


def test_check_probability_contract():
    with pytest.raises(NegativeValueError, match=r"`p`.*-0\.5.*index 1"):
        V.check_probability([1.5, -0.5])
    with pytest.raises(NonFiniteError, match=r"`p`.*NaN at index 0"):
        V.check_probability([np.nan, 1.0])
    with pytest.raises(NonFiniteError, match=r"\+inf"):
        V.check_probability([np.inf, 1.0])
    with pytest.raises(EmptyInputError, match="`p` is empty"):
        V.check_probability([])
    with pytest.raises(EmptyInputError, match="zero total mass"):
        V.check_probability([0.0, 0.0])
    with pytest.raises(NormalizationError, match="normalize=True"):
        V.check_probability([0.5, 0.6])
    np.testing.assert_allclose(V.check_probability([1e308, 1e308], normalize=True), [0.5, 0.5])
    with pytest.raises(ShapeMismatchError, match=r"\(3,\) and \(2,\)"):
        V.check_broadcastable(np.ones(3), np.ones(2))
    with pytest.raises(ParameterError, match="`axis`"):
        V.check_probability([0.5, 0.5], axis=3)


def test_check_samples_and_weights():
    x = V.check_samples([1.0, 2.0, 3.0])
    assert x.shape == (3, 1)
    with pytest.raises(ShapeMismatchError, match="same dimension"):
        V.check_sample_pair(np.ones((3, 2)), np.ones((3, 3)))
    with pytest.raises(NonFiniteError, match="`y`"):
        V.check_sample_pair(np.ones((3, 2)), np.array([[1.0, np.nan]]))
    with pytest.raises(EmptyInputError):
        V.check_samples(np.ones((0, 2)))
    w = V.check_weights(None, 4, "a", xp=A.array_namespace(np.ones(1)), dtype=np.float64)
    np.testing.assert_allclose(w, 0.25)
    with pytest.raises(ShapeMismatchError, match="`a` must have shape"):
        V.check_weights(np.ones(3), 4, "a", xp=A.array_namespace(np.ones(1)), dtype=np.float64)


def test_scalar_parameter_checks():
    assert V.check_positive(0.5, "epsilon") == 0.5
    for bad in (0, -1.0, np.nan, np.inf, "a", True):
        with pytest.raises(ParameterError, match="`epsilon`"):
            V.check_positive(bad, "epsilon")
    assert V.check_int(3, "k", min_value=1) == 3
    with pytest.raises(ParameterError, match="`k` must be >= 1"):
        V.check_int(0, "k", min_value=1)
    with pytest.raises(ParameterError, match="`k` must be an integer"):
        V.check_int(2.5, "k")
    with pytest.raises(ParameterError, match="`metric`"):
        V.check_choice("foo", "metric", ("a", "b"))


def test_check_rng():
    g = np.random.default_rng(0)
    assert V.check_rng(g) is g
    assert V.check_rng(1).integers(10**9) == np.random.default_rng(1).integers(10**9)
    with pytest.raises(ParameterError, match="`rng`"):
        V.check_rng(np.random.RandomState(0))
    with pytest.raises(ParameterError, match="`rng`"):
        V.check_rng("seed")


def test_scalar_checks_reject_strings_accept_0d_arrays():
    import array_api_strict as xps

    with pytest.raises(ParameterError, match="`base`"):
        V.check_positive("2", "base")
    assert V.check_positive(np.float32(0.5), "epsilon") == 0.5
    assert V.check_positive(np.asarray(2.0), "epsilon") == 2.0
    assert V.check_positive(xps.asarray(3.0), "epsilon") == 3.0


def test_memory_guard_limits():
    from divlab.errors import MemoryLimitError

    V.check_matrix_memory(10**6, 10**6, 8, what="m", alternatives="-", max_memory=float("inf"))
    with pytest.raises(MemoryLimitError, match=r"7\.45 GiB .*online=True"):
        V.check_matrix_memory(10**5, 10**4, 8, what="m", alternatives="online=True",
                              max_memory=2**30)
    with pytest.raises(ParameterError, match="`max_memory`"):
        V.check_matrix_memory(10, 10, 8, what="m", alternatives="-", max_memory=-1)
