"""Closed-form 1-D W_p: references (SciPy, POT, Gaussian W2), properties, input contract."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import ot
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import ndtri

from divlab.errors import (
    EmptyInputError,
    NegativeValueError,
    NonFiniteError,
    ParameterError,
    ShapeMismatchError,
)
from divlab.ot.oned import wasserstein_1d, wasserstein_1d_power

RNG = np.random.default_rng(20240501)

finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False, width=64)
samples = arrays(np.float64, st.integers(1, 8), elements=finite)
pos_weights = st.floats(0.01, 10.0)


def _cases():
    out = []
    for n, m, weighted in [(1, 1, False), (7, 7, False), (7, 13, False), (9, 4, True),
                           (50, 50, True), (200, 77, True)]:
        u = RNG.normal(size=n)
        v = RNG.standard_t(3, size=m) + 0.4
        uw = RNG.random(n) if weighted else None
        vw = RNG.random(m) if weighted else None
        if weighted and n > 2:
            uw[1] = 0.0
        out.append((u, v, uw, vw))
    return out


@pytest.mark.parametrize("u,v,uw,vw", _cases())
def test_w1_matches_scipy(u, v, uw, vw):
    ref = scipy.stats.wasserstein_distance(u, v, uw, vw)
    got = float(wasserstein_1d(u, v, u_weights=uw, v_weights=vw))
    assert got == pytest.approx(ref, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("u,v,uw,vw", _cases())
@pytest.mark.parametrize("p", [1.0, 2.0, 3.5])
def test_wp_matches_pot(u, v, uw, vw, p):
    # POT's ot.wasserstein_1d returns W_p^p and needs normalised weights.
    uwn = None if uw is None else uw / uw.sum()
    vwn = None if vw is None else vw / vw.sum()
    ref = float(ot.wasserstein_1d(u, v, uwn, vwn, p=p))
    got = float(wasserstein_1d_power(u, v, u_weights=uw, v_weights=vw, p=p))
    assert got == pytest.approx(ref, rel=1e-11, abs=1e-14)
    assert float(wasserstein_1d(u, v, u_weights=uw, v_weights=vw, p=p)) == pytest.approx(
        ref ** (1.0 / p), rel=1e-11, abs=1e-14
    )


def test_gaussian_w2_exact_quantile_samples():
    # Samples at the same normal quantiles: W2^2 = (m1-m2)^2 + (s1-s2)^2 * mean(z^2) exactly.
    n = 100_000
    z = ndtri((np.arange(n) + 0.5) / n)
    m1, s1, m2, s2 = 0.3, 1.7, -1.1, 0.6
    x, y = m1 + s1 * z, m2 + s2 * z
    ref = np.sqrt((m1 - m2) ** 2 + (s1 - s2) ** 2 * np.mean(z * z))
    assert float(wasserstein_1d(RNG.permutation(x), y, p=2)) == pytest.approx(ref, rel=1e-12)


def test_gaussian_w2_random_samples():
    # Closed form W2(N(m1,s1^2), N(m2,s2^2)) = sqrt((m1-m2)^2 + (s1-s2)^2); n = 2e5 with a
    # fixed seed: the empirical W2 is within 0.01 of it (sampling error ~ n^-1/2 up to logs).
    rng = np.random.default_rng(7)
    m1, s1, m2, s2 = 0.0, 1.0, 2.0, 0.5
    x = rng.normal(m1, s1, 200_000)
    y = rng.normal(m2, s2, 150_000)
    ref = np.hypot(m1 - m2, s1 - s2)
    assert abs(float(wasserstein_1d(x, y, p=2)) - ref) < 0.01


def test_equal_size_path_matches_general_path():
    u, v = RNG.normal(size=301), RNG.normal(size=301) * 2
    for p in (1.0, 2.0, 1.5):
        fast = float(wasserstein_1d(u, v, p=p))
        general = float(wasserstein_1d(u, v, u_weights=np.ones(301), p=p))
        assert fast == pytest.approx(general, rel=1e-12)


@pytest.mark.parametrize("n,m", [(1, 2), (2, 3), (3, 2), (4, 6), (6, 4), (7, 13), (100, 37),
                                 (64, 48)])
@pytest.mark.parametrize("p", [1.0, 2.0, 2.7])
def test_numpy_unequal_fast_path_matches_generic(n, m, p):
    import array_api_strict as xs

    u, v = RNG.normal(size=n), RNG.exponential(size=m)
    fast = float(wasserstein_1d(u, v, p=p))
    generic = float(wasserstein_1d(xs.asarray(u), xs.asarray(v), p=p))
    weighted = float(wasserstein_1d(u, v, u_weights=np.ones(n), p=p))
    assert fast == pytest.approx(generic, rel=1e-13, abs=1e-15)
    assert fast == pytest.approx(weighted, rel=1e-12, abs=1e-15)


def test_unequal_uniform_integer_breakpoints():
    # u has 2 atoms, v has 3: breakpoints 1/3, 1/2, 2/3 merged exactly.
    got = float(wasserstein_1d([0.0, 1.0], [0.0, 0.0, 1.0]))
    assert got == pytest.approx(1.0 / 6.0, rel=1e-15)


@settings(max_examples=40)
@given(samples, samples)
def test_symmetry_and_scipy(u, v):
    w = float(wasserstein_1d(u, v))
    assert w == pytest.approx(float(wasserstein_1d(v, u)), rel=1e-12, abs=1e-12)
    assert w == pytest.approx(scipy.stats.wasserstein_distance(u, v), rel=1e-9, abs=1e-9)


@settings(max_examples=40)
@given(samples, st.floats(-50, 50), st.sampled_from([1.0, 2.0, 3.0]))
def test_translation(u, c, p):
    assert float(wasserstein_1d(u + c, u, p=p)) == pytest.approx(abs(c), rel=1e-9, abs=1e-9)


@settings(max_examples=40)
@given(samples, samples, samples)
def test_triangle_inequality(u, v, w):
    for p in (1.0, 2.0):
        duv = float(wasserstein_1d(u, v, p=p))
        dvw = float(wasserstein_1d(v, w, p=p))
        duw = float(wasserstein_1d(u, w, p=p))
        assert duw <= duv + dvw + 1e-9 * (1 + duv + dvw)


@settings(max_examples=40)
@given(samples, samples, st.lists(pos_weights, min_size=8, max_size=8))
def test_monotone_in_p(u, v, wts):
    uw = np.asarray(wts[: u.size])
    vals = [float(wasserstein_1d(u, v, u_weights=uw, p=p)) for p in (1.0, 1.5, 2.0, 4.0)]
    for lo, hi in itertools.pairwise(vals):
        assert lo <= hi * (1 + 1e-12) + 1e-12


@settings(max_examples=30)
@given(samples, st.lists(pos_weights, min_size=8, max_size=8))
def test_duplicating_atoms_is_reweighting(u, wts):
    # Doubling an atom equals doubling its weight.
    w = np.asarray(wts[: u.size])
    v = u[::-1] + 1.0
    doubled = np.concatenate([u, u[:1]])
    wd = np.concatenate([w, w[:1]])
    w2 = w.copy()
    w2[0] *= 2
    a = float(wasserstein_1d(doubled, v, u_weights=wd))
    b = float(wasserstein_1d(u, v, u_weights=w2))
    assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


def test_zero_weights_are_ignored():
    u = np.array([0.0, 5.0, 1.0])
    got = float(wasserstein_1d(u, [3.0], u_weights=[1.0, 0.0, 1.0], p=2))
    assert got == pytest.approx(np.sqrt((9 + 4) / 2), rel=1e-14)


@pytest.mark.parametrize("p", [1.0, 2.0, 2.5])
def test_backend_generic_path(backend, p):
    u, v = RNG.normal(size=40), RNG.normal(size=25)
    uw, vw = RNG.random(40), RNG.random(25)
    ref = float(wasserstein_1d(u, v, u_weights=uw, v_weights=vw, p=p))
    ref_eq = float(wasserstein_1d(u, v[:40] if v.size >= 40 else u[::-1] * 2, p=p))
    got = wasserstein_1d(backend.asarray(u), backend.asarray(v), u_weights=backend.asarray(uw),
                         v_weights=backend.asarray(vw), p=p)
    assert float(backend.to_numpy(got)) == pytest.approx(ref, rel=1e-12)
    got_eq = wasserstein_1d(backend.asarray(u), backend.asarray(u[::-1] * 2), p=p)
    assert float(backend.to_numpy(got_eq)) == pytest.approx(ref_eq, rel=1e-12)
    got_un = wasserstein_1d(backend.asarray(u), backend.asarray(v), p=p)
    assert float(backend.to_numpy(got_un)) == pytest.approx(
        float(wasserstein_1d(u, v, p=p)), rel=1e-12)
    g32 = wasserstein_1d(backend.asarray(u, np.float32), backend.asarray(v, np.float32), p=p)
    assert g32.dtype == backend.xp.float32
    if backend.name != "numpy":
        assert type(got).__module__.startswith(backend.xp.__name__)


@pytest.mark.parametrize(
    "kwargs,err",
    [
        (dict(u=[], v=[1.0]), EmptyInputError),
        (dict(u=[np.nan], v=[1.0]), NonFiniteError),
        (dict(u=[np.inf], v=[1.0]), NonFiniteError),
        (dict(u=[1.0], v=[1.0], p=0.5), ParameterError),
        (dict(u=[1.0], v=[1.0], p=np.inf), ParameterError),
        (dict(u=[1.0], v=[1.0], p=np.nan), ParameterError),
        (dict(u=[1.0, 2.0], v=[1.0], u_weights=[1.0, -1.0]), NegativeValueError),
        (dict(u=[1.0, 2.0], v=[1.0], u_weights=[1.0]), ShapeMismatchError),
        (dict(u=[1.0, 2.0], v=[1.0], u_weights=[0.0, 0.0]), EmptyInputError),
        (dict(u=[1.0, 2.0], v=[1.0], v_weights=[np.nan]), NonFiniteError),
        (dict(u=np.ones((3, 2)), v=[1.0]), ShapeMismatchError),
    ],
)
def test_bad_input(kwargs, err):
    with pytest.raises(err):
        wasserstein_1d(**kwargs)


def test_column_vectors_accepted():
    u = RNG.normal(size=(10, 1))
    assert float(wasserstein_1d(u, u + 2.0)) == pytest.approx(2.0, rel=1e-14)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.5])
def test_near_float_max_no_overflow(backend, p):
    # Differences of 2e308 overflow; W_p is 1-homogeneous, so the result must stay exact.
    u = np.array([1e308, -1e308, 5e307])
    v = np.array([-1e308, 1e308, 0.0])
    got = float(backend.to_numpy(wasserstein_1d(backend.asarray(u), backend.asarray(v), p=p)))
    assert got == pytest.approx(5e307 / 3 ** (1 / p), rel=1e-14)


@pytest.mark.parametrize("p", [50.0, 200.0])
def test_large_p_tiny_differences_no_underflow(p):
    # |d|^p underflows for d = 1e-5, p = 200; the scaled sum does not.
    u, v = np.array([0.0, 1e-5]), np.array([1e-5, 3e-5])
    ref = ((1.0 + 2.0**p) / 2) ** (1 / p) * 1e-5  # exact in units of 1e-5
    assert float(wasserstein_1d(u, v, p=p)) == pytest.approx(ref, rel=1e-13)
    assert float(wasserstein_1d(u, v, p=p, u_weights=[1.0, 1.0])) == pytest.approx(ref, rel=1e-13)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_differences_beyond_float_max(p, weighted):
    """Samples at +-1e308: W_p = 2e308 overflows, so the answer is inf (never an
    OverflowError or a RuntimeWarning); W_p = 1.6e308 is finite and exact."""
    kw = {"v_weights": [1.0]} if weighted else {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(wasserstein_1d([-1e308], [1e308], p=p, **kw)) == math.inf
        assert float(wasserstein_1d([-8e307], [8e307], p=p, **kw)) == 1.6e308
        got = wasserstein_1d(np.array([-1e38], np.float32), np.array([1e38], np.float32), p=p)
        assert got.dtype == np.float32 and float(got) == pytest.approx(2e38, rel=1e-6)
        # differences that fit, but whose sum over n terms would not
        u = np.full(4, 1e308)
        assert float(wasserstein_1d(u, -u, p=p)) == math.inf
        assert float(wasserstein_1d(u / 4, -u / 4, p=p)) == pytest.approx(5e307, rel=1e-15)
