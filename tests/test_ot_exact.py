"""Exact OT (emd, wasserstein): POT/SciPy references, LP certificates, properties, contract."""

from __future__ import annotations

import warnings

import numpy as np
import ot
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import cdist

import divlab.ot.exact as exact_mod
from divlab.errors import (
    ConvergenceWarning,
    DTypeError,
    EmptyInputError,
    InputError,
    NegativeValueError,
    NonFiniteError,
    NormalizationError,
    ParameterError,
    ShapeMismatchError,
)
from divlab.ot.dual import dual_lp
from divlab.ot.exact import emd, wasserstein
from divlab.ot.oned import wasserstein_1d

RNG = np.random.default_rng(11)


def _problem(n, m, d=2, seed=0, weighted=True):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, d)), rng.normal(size=(m, d)) + 0.5
    a = rng.random(n) + 0.05 if weighted else np.full(n, 1.0 / n)
    b = rng.random(m) + 0.05 if weighted else np.full(m, 1.0 / m)
    return x, y, a / a.sum(), b / b.sum()


def _certify(res, a, b, c, rtol=1e-9):
    plan = np.asarray(res.plan)
    f, g = (np.asarray(t) for t in res.potentials)
    scale = np.abs(c).max()
    assert res.converged
    assert np.all(plan >= 0)
    np.testing.assert_allclose(plan.sum(1), a, atol=1e-12)
    np.testing.assert_allclose(plan.sum(0), b, atol=1e-12)
    assert res.value == pytest.approx(float(np.sum(plan * c)), rel=1e-12, abs=1e-15 * scale)
    assert np.max(f[:, None] + g[None, :] - c) <= 1e-12 * scale
    assert abs(res.duality_gap) <= rtol * scale
    assert res.dual_value == pytest.approx(a @ f + b @ g, rel=1e-12, abs=1e-15 * scale)
    assert a @ f == pytest.approx(b @ g, rel=1e-9, abs=1e-12 * scale)  # centring convention
    assert res.marginal_error <= 1e-12


@pytest.mark.parametrize("n,m,weighted", [(1, 1, True), (1, 5, True), (6, 6, False),
                                           (30, 45, True), (200, 150, True)])
def test_emd_matches_pot_and_certifies(n, m, weighted):
    x, y, a, b = _problem(n, m, weighted=weighted, seed=n + m)
    c = cdist(x, y)
    res = emd(a, b, c)
    assert res.value == pytest.approx(ot.emd2(a, b, c), rel=1e-12, abs=1e-15)
    _certify(res, a, b, c)


@pytest.mark.parametrize("n,m", [(4, 7), (25, 20)])
def test_emd_matches_independent_dual_lp(n, m):
    x, y, a, b = _problem(n, m, seed=3)
    c = cdist(x, y) ** 1.5 - 0.3  # negative entries are fine
    res, lp = emd(a, b, c), dual_lp(a, b, c)
    assert res.value == pytest.approx(lp.value, rel=1e-9, abs=1e-12)
    assert lp.details["violation"] <= 1e-9
    assert abs(lp.duality_gap) <= 1e-9


@pytest.mark.skipif(not hasattr(scipy.stats, "wasserstein_distance_nd"),
                    reason="scipy.stats.wasserstein_distance_nd needs SciPy >= 1.13")
def test_wasserstein_matches_scipy_nd():
    x, y, a, b = _problem(12, 9, d=3, seed=5)
    ref = scipy.stats.wasserstein_distance_nd(x, y, a, b)
    assert float(wasserstein(x, y, a=a, b=b)) == pytest.approx(ref, rel=1e-8)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("metric,pot_metric", [("euclidean", "euclidean"),
                                               ("cityblock", "cityblock")])
def test_wasserstein_matches_pot(p, metric, pot_metric):
    x, y, a, b = _problem(40, 33, d=3, seed=8)
    c = cdist(x, y, metric=pot_metric) ** p
    ref = ot.emd2(a, b, c) ** (1.0 / p)  # ot.emd2 returns W_p^p
    assert float(wasserstein(x, y, p=p, a=a, b=b, metric=metric)) == pytest.approx(ref, rel=1e-11)


def test_wasserstein_1d_dispatch():
    u, v = RNG.normal(size=30), RNG.normal(size=20)
    a = RNG.random(30)
    for p in (1.0, 2.0):
        ref = float(wasserstein_1d(u, v, u_weights=a, p=p))
        assert float(wasserstein(u, v, a=a, p=p)) == pytest.approx(ref, rel=1e-14)
        assert float(wasserstein(u[:, None], v[:, None], a=a, p=p)) == pytest.approx(ref)
        # the simplex on the same problem agrees with the closed form
        c = np.abs(u[:, None] - v[None, :]) ** p
        assert emd(a / a.sum(), None, c).value ** (1 / p) == pytest.approx(ref, rel=1e-11)


small_cloud = arrays(np.float64, st.tuples(st.integers(1, 6), st.just(2)),
                     elements=st.floats(-10, 10, allow_nan=False, width=64))


@settings(max_examples=25)
@given(small_cloud, small_cloud, small_cloud)
def test_metric_properties(x, y, z):
    for p in (1.0, 2.0):
        dxy = float(wasserstein(x, y, p=p))
        assert dxy == pytest.approx(float(wasserstein(y, x, p=p)), rel=1e-9, abs=1e-9)
        dyz, dxz = float(wasserstein(y, z, p=p)), float(wasserstein(x, z, p=p))
        assert dxz <= dxy + dyz + 1e-9 * (1 + dxy + dyz)
    assert float(wasserstein(x, x)) <= 1e-12 * (1 + np.abs(x).max())
    assert float(wasserstein(x, y, p=1)) <= float(wasserstein(x, y, p=2)) * (1 + 1e-9) + 1e-9


@settings(max_examples=25)
@given(small_cloud, st.tuples(st.floats(-5, 5), st.floats(-5, 5)), st.sampled_from([1.0, 2.0]))
def test_translation(x, c, p):
    shift = np.asarray(c)
    assert float(wasserstein(x + shift, x, p=p)) == pytest.approx(
        float(np.hypot(*shift)), rel=1e-9, abs=1e-9)


@settings(max_examples=25)
@given(small_cloud, small_cloud, st.data())
def test_certificate_and_dual_lp_property(x, y, data):
    n, m = len(x), len(y)
    a = np.asarray(data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    b = np.asarray(data.draw(st.lists(st.floats(0.01, 1.0), min_size=m, max_size=m)))
    a[0] += 0.01
    a, b = a / a.sum(), b / b.sum()
    c = cdist(x, y)
    res = emd(a, b, c)
    scale = max(c.max(), 1.0)
    plan = np.asarray(res.plan)
    f, g = res.potentials
    np.testing.assert_allclose(plan.sum(1), a, atol=1e-12)
    np.testing.assert_allclose(plan.sum(0), b, atol=1e-12)
    assert np.max(f[:, None] + g[None, :] - c) <= 1e-12 * scale
    assert abs(res.duality_gap) <= 1e-9 * scale
    assert res.value == pytest.approx(dual_lp(a, b, c).value, rel=1e-8, abs=1e-9 * scale)


# --- the POT early-stop pitfall --------------------------------------------------------------

def test_budget_retry(monkeypatch):
    # Force a tiny first budget: emd must detect POT's "numItermax reached" and retry.
    x, y, a, b = _problem(120, 120, seed=2)
    c = cdist(x, y)
    monkeypatch.setattr(exact_mod, "_MIN_BUDGET", 10)
    monkeypatch.setattr(exact_mod, "_BUDGET_PER_NODE", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = emd(a, b, c)
    assert len(res.details["attempts"]) >= 2
    assert res.details["attempts"][0][1] == "iteration budget reached"
    assert res.value == pytest.approx(ot.emd2(a, b, c), rel=1e-12)
    _certify(res, a, b, c)


def test_budget_exhausted_warns_not_silent():
    x, y, a, b = _problem(120, 120, seed=2)
    c = cdist(x, y)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        res = emd(a, b, c, max_iter=20)
    assert not res.converged
    # the truncated plan is infeasible or sub-optimal; the certified dual stays a lower bound
    assert res.marginal_error > 1e-9 or res.duality_gap > 1e-9
    assert res.dual_value <= ot.emd2(a, b, c) + 1e-12
    assert res.details["status"] == "iteration budget reached"


# --- numerically extreme but valid input -------------------------------------------------------

@pytest.mark.parametrize("scale", [1e300, 1e-300, 2.0**-1070])
def test_extreme_cost_scale(scale):
    x, y, a, b = _problem(15, 12, seed=9)
    c = cdist(x, y)
    ref = emd(a, b, c)
    res = emd(a, b, c * scale)
    assert res.converged
    assert res.value == pytest.approx(ref.value * scale, rel=1e-9)
    assert abs(res.duality_gap) <= 1e-9 * ref.value * scale


def test_cost_near_float_max():
    c = np.array([[1e308, 1.7e308], [1.7e308, 1e308]])
    res = emd(None, None, c)
    assert res.value == 1e308 and res.converged
    assert np.all(np.isfinite(res.potentials[0]))


def test_huge_masses():
    a, b = np.array([1e300, 1e300]), np.array([5e299, 1.5e300])
    c = np.array([[0.0, 1.0], [1.0, 0.0]])
    res = emd(a, b, c)
    assert res.value == pytest.approx(5e299, rel=1e-12)
    assert np.isfinite(np.asarray(res.plan)).all()


def test_infinite_cost_forbidden_pairs():
    x, y, a, b = _problem(10, 10, seed=4)
    c = cdist(x, y)
    c[np.arange(10), np.arange(10)] = np.inf
    res = emd(a, b, c)
    plan = np.asarray(res.plan)
    assert plan[np.isinf(c)].sum() == 0
    finite_c = np.where(np.isinf(c), 1e6, c)
    assert res.value == pytest.approx(ot.emd2(a, b, finite_c), rel=1e-12)
    assert res.converged
    lp = dual_lp(a, b, finite_c)
    assert res.value == pytest.approx(lp.value, rel=1e-9)


def test_infinite_cost_infeasible():
    c = np.array([[np.inf, 1.0], [np.inf, np.inf]])
    with pytest.raises(InputError, match="infeasible"):
        emd(None, None, c)


def test_unequal_masses_within_tolerance_are_rescaled():
    c = np.array([[0.0, 1.0], [1.0, 0.0]])
    res = emd([0.5, 0.5], [0.3, 0.7 + 1e-9], c)
    assert res.value == pytest.approx(0.2, rel=1e-8)


def test_unnormalised_equal_masses():
    c = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert emd([2.0, 2.0], [1.0, 3.0], c).value == pytest.approx(1.0)


@pytest.mark.parametrize(
    "a,b,c,err",
    [
        (np.ones(0), np.ones(0), np.ones((0, 0)), EmptyInputError),
        (None, None, np.ones((0, 3)), EmptyInputError),
        ([0.5, 0.5], [0.5, 0.5], [[np.nan, 1.0], [1.0, 0.0]], NonFiniteError),
        ([0.5, 0.5], [0.5, 0.5], [[-np.inf, 1.0], [1.0, 0.0]], NonFiniteError),
        ([0.5, 0.5], [0.3, 0.3], [[0.0, 1.0], [1.0, 0.0]], NormalizationError),
        ([-0.5, 1.5], [0.5, 0.5], [[0.0, 1.0], [1.0, 0.0]], NegativeValueError),
        ([np.nan, 1.0], [0.5, 0.5], [[0.0, 1.0], [1.0, 0.0]], NonFiniteError),
        ([0.0, 0.0], [0.0, 0.0], [[0.0, 1.0], [1.0, 0.0]], EmptyInputError),
        ([1.0], [1.0], [[0.0, 1.0]], ShapeMismatchError),
        ([1.0], [1.0], [1.0], ShapeMismatchError),
        ([1.0], [1.0], [["a"]], DTypeError),
    ],
)
def test_emd_bad_input(a, b, c, err):
    with pytest.raises(err):
        emd(a, b, c)


def test_emd_bad_max_iter():
    with pytest.raises(ParameterError, match="max_iter"):
        emd(None, None, [[0.0]], max_iter=0)


@pytest.mark.parametrize(
    "kwargs,err",
    [
        (dict(x=np.ones((3, 2)), y=np.ones((2, 3))), ShapeMismatchError),
        (dict(x=np.ones((0, 2)), y=np.ones((2, 2))), EmptyInputError),
        (dict(x=[[np.nan, 0.0]], y=[[0.0, 0.0]]), NonFiniteError),
        (dict(x=np.ones((3, 2)), y=np.ones((2, 2)), p=0.5), ParameterError),
        (dict(x=np.ones((3, 2)), y=np.ones((2, 2)), metric="sqeuclidean"), ParameterError),
        (dict(x=np.ones((3, 2)), y=np.ones((2, 2)), metric="cosine"), ParameterError),
        (dict(x=np.ones((3, 2)), y=np.ones((2, 2)), a=[1.0, -1.0, 1.0]), NegativeValueError),
        (dict(x=np.ones((3, 2)), y=np.ones((2, 2)), b=[1.0]), ShapeMismatchError),
    ],
)
def test_wasserstein_bad_input(kwargs, err):
    with pytest.raises(err):
        wasserstein(**kwargs)


def test_wasserstein_extreme_coordinates():
    x, y, _, _ = _problem(8, 9, seed=1)
    ref = float(wasserstein(x, y, p=2))
    for s in (1e200, 1e-200):
        assert float(wasserstein(x * s, y * s, p=2)) == pytest.approx(ref * s, rel=1e-12)


# --- backends: one host round trip, namespace and dtype preserved ------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_emd_backend_round_trip(backend, dtype):
    x, y, a, b = _problem(9, 7, seed=6)
    c = cdist(x, y)
    ref = emd(a, b, c)
    res = emd(backend.asarray(a, dtype), backend.asarray(b, dtype), backend.asarray(c, dtype))
    for arr in (res.plan, *res.potentials):
        assert arr.dtype == getattr(backend.xp, np.dtype(dtype).name)
        if backend.name != "numpy":
            assert type(arr).__module__.startswith(backend.xp.__name__)
    tol = 1e-12 if dtype == np.float64 else 1e-6
    assert float(res.value) == pytest.approx(float(ref.value), rel=tol)
    # result convention: the numbers keep the float dtype (NumPy scalar / 0-d array)
    for v in (res.value, res.dual_value, res.duality_gap, res.marginal_error):
        assert v.dtype == getattr(backend.xp, np.dtype(dtype).name) and v.ndim == 0
        if backend.name == "numpy":
            assert isinstance(v, np.generic)
        else:
            assert type(v).__module__.startswith(backend.xp.__name__)
    np.testing.assert_allclose(backend.to_numpy(res.plan), np.asarray(ref.plan), atol=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_wasserstein_backend(backend, dtype):
    x, y, a, b = _problem(11, 8, d=3, seed=12)
    ref = float(wasserstein(x, y, a=a, b=b, p=2))
    got = wasserstein(backend.asarray(x, dtype), backend.asarray(y, dtype),
                      a=backend.asarray(a, dtype), b=backend.asarray(b, dtype), p=2)
    assert got.dtype == getattr(backend.xp, np.dtype(dtype).name)
    if backend.name != "numpy":
        assert type(got).__module__.startswith(backend.xp.__name__)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert float(backend.to_numpy(got)) == pytest.approx(ref, rel=tol)


def test_check_false_returns_pot_potentials_centred():
    x, y, a, b = _problem(40, 30, seed=21)
    c = cdist(x, y)
    fast, full = emd(a, b, c, check=False), emd(a, b, c)
    assert fast.value == full.value
    f, g = fast.potentials
    assert a @ f == pytest.approx(b @ g, rel=1e-12)
    assert abs(fast.duality_gap) <= 1e-9 * c.max()
    assert "dual_violation" not in fast.details
    assert full.details["dual_violation"] <= 1e-12 * c.max()
    assert full.n_iter == full.details["attempts"][-1][0]


@pytest.mark.parametrize("shift", [-1.0, -10.0, -100.0, -1e6])
def test_negative_costs_are_shift_invariant(shift):
    """POT's simplex reports 'infeasible' (value 0.0) for M - 10 below; OT is shift-invariant:
    the value moves by shift * mass, the plan and feasibility do not change (checked against
    the HiGHS dual LP as an independent certificate)."""
    M = np.arange(6.0).reshape(3, 2)
    a, b = np.full(3, 1 / 3), np.full(2, 1 / 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        base = emd(a, b, M)
        r = emd(a, b, M + shift)
    assert r.converged
    assert r.value == pytest.approx(2.5 + shift, rel=1e-12, abs=1e-12)
    assert r.value == pytest.approx(dual_lp(a, b, M + shift).value, rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(r.plan, base.plan, atol=1e-15)
    f, g = r.potentials
    assert np.max(f[:, None] + g[None, :] - (M + shift)) <= 1e-9 * max(1.0, abs(shift))
    assert abs(r.duality_gap) <= 1e-9 * max(1.0, abs(shift))
