"""Tests of divlab.ot.entropic: entropic OT (sinkhorn) and the debiased Sinkhorn divergence.

References: POT's ``ot.sinkhorn`` / ``ot.sinkhorn2`` (same plan for reg == epsilon, checked
where POT converges), ``ot.emd2`` (exact OT) through the entropic-bias sandwich
``OT_0 <= <P_eps, C> <= OT_eps <= OT_0 + eps * min(H(a), H(b))``, SciPy's ``logsumexp`` for the
c-transform, and the closed form ``S_eps(x, x + t) = |t|^2`` for the squared Euclidean cost.
"""

from __future__ import annotations

import warnings

import numpy as np
import ot
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp, xlogy

from divlab.errors import (
    ConvergenceWarning,
    InputError,
    NonFiniteError,
    NormalizationError,
    ParameterError,
    ShapeMismatchError,
)
from divlab.ot import sinkhorn, sinkhorn_divergence


def _problem(n=8, m=6, seed=0, d=2):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = rng.normal(size=(m, d)) + 0.5
    a = rng.random(n) + 0.1
    b = rng.random(m) + 0.1
    return a / a.sum(), b / b.sum(), ot.dist(x, y)


def _entropy(w):
    return -float(np.sum(xlogy(w, w)))


def _pot_plan(a, b, c, eps):
    plan = ot.sinkhorn(a, b, c, eps, method="sinkhorn_log", numItermax=200000, stopThr=1e-15)
    return plan


# ----------------------------------------------------------------------------- references
@pytest.mark.parametrize("eps", [0.5, 0.1])
def test_plan_and_value_match_pot(eps):
    a, b, c = _problem()
    res = sinkhorn(a, b, c, epsilon=eps, tol=1e-12)
    plan = _pot_plan(a, b, c, eps)
    assert res.converged
    np.testing.assert_allclose(res.plan, plan, atol=1e-10)
    # POT's sinkhorn2 returns <P, C>, our `value`
    assert res.value == pytest.approx(float(np.sum(plan * c)), abs=1e-9)
    assert res.marginal_error <= 1e-12


def test_objective_conventions():
    a, b, c = _problem(seed=1)
    eps = 0.2
    res = sinkhorn(a, b, c, epsilon=eps, tol=1e-13)
    p = np.asarray(res.plan)
    kl = float(np.sum(xlogy(p, p / np.outer(a, b))))
    primal = float(np.sum(p * c)) + eps * kl
    assert res.details["entropic_objective"] == pytest.approx(primal, abs=1e-10)
    assert res.details["primal_objective"] == pytest.approx(primal, abs=1e-10)
    assert res.dual_value == res.details["entropic_objective"]
    assert 0 <= res.duality_gap <= 1e-10
    f, g = res.potentials
    assert res.dual_value == pytest.approx(float(a @ f + b @ g), abs=1e-10)
    # POT's objective <P,C> - eps H(P) differs by eps (H(a) + H(b)) on the polytope (H(P) = -sum P
    # log P); same plan.
    h_p = -float(np.sum(xlogy(p, p)))
    pot_obj = float(np.sum(p * c)) - eps * h_p
    assert res.dual_value == pytest.approx(pot_obj + eps * (_entropy(a) + _entropy(b)), abs=1e-9)


@pytest.mark.parametrize("rel_eps", [1e-1, 1e-2, 1e-3])
def test_entropic_bias_sandwich_vs_emd(rel_eps):
    a, b, c = _problem(n=25, m=20, seed=2)
    eps = rel_eps * c.max()
    exact = ot.emd2(a, b, c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = sinkhorn(a, b, c, epsilon=eps, max_iter=20000, tol=1e-9)
    slack = 1e-6 * c.max()
    bound = eps * min(_entropy(a), _entropy(b))
    assert np.isfinite(res.value) and np.all(np.isfinite(res.plan))
    assert exact - slack <= res.value <= res.dual_value + slack
    assert res.dual_value <= exact + bound + slack
    assert res.marginal_error < 1e-5


def test_small_epsilon_is_finite_and_close_to_emd():
    # eps = 1e-3 max C: exp(-C/eps) underflows to 0 in a kernel (POT's default) on far rows
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(size=(15, 2)), rng.normal(size=(15, 2)) + 30])
    y = rng.normal(size=(30, 2)) + 15
    c = ot.dist(x, y)
    a = np.full(30, 1 / 30)
    eps = 1e-3 * c.max()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = np.exp(-c / eps)
    assert np.any(np.all(k == 0, axis=1))  # the kernel of the naive method is 0 on whole rows
    res = sinkhorn(a, a, c, epsilon=eps, max_iter=20000, tol=1e-8)
    exact = ot.emd2(a, a, c)
    assert res.converged
    assert exact <= res.value + 1e-9
    assert res.dual_value <= exact + eps * np.log(30) + 1e-9
    assert abs(res.value - exact) / exact < 1e-2


def test_methods_agree():
    a, b, c = _problem(seed=3)
    r1 = sinkhorn(a, b, c, epsilon=0.05, method="stabilized", tol=1e-11)
    r2 = sinkhorn(a, b, c, epsilon=0.05, method="log", tol=1e-11)
    np.testing.assert_allclose(r1.plan, r2.plan, atol=1e-10)
    np.testing.assert_allclose(r1.potentials[0] - r2.potentials[0],
                               np.mean(r1.potentials[0] - r2.potentials[0]), atol=1e-7)
    assert r1.dual_value == pytest.approx(r2.dual_value, abs=1e-9)


def test_no_scaling_same_answer():
    a, b, c = _problem(seed=4)
    r1 = sinkhorn(a, b, c, epsilon=0.3, tol=1e-12)
    r2 = sinkhorn(a, b, c, epsilon=0.3, tol=1e-12, epsilon_scaling=False)
    np.testing.assert_allclose(r1.plan, r2.plan, atol=1e-11)
    assert r2.details["epsilon_schedule"] == [0.3]


# ----------------------------------------------------------------------------- edge cases
def test_zero_weights():
    a, b, c = _problem(n=7, m=6, seed=6)
    a[2] = 0.0
    b[0] = 0.0
    a, b = a / a.sum(), b / b.sum()
    eps = 0.1
    res = sinkhorn(a, b, c, epsilon=eps, tol=1e-12)
    ia, ib = a > 0, b > 0
    plan = _pot_plan(a[ia], b[ib], c[np.ix_(ia, ib)], eps)
    p = np.asarray(res.plan)
    np.testing.assert_allclose(p[np.ix_(ia, ib)], plan, atol=1e-10)
    assert np.all(p[2] == 0) and np.all(p[:, 0] == 0)
    f, g = res.potentials
    # potentials at zero weights are the soft c-transforms of the other potential
    f2 = -eps * logsumexp((g[ib][None, :] - c[2, ib][None, :]) / eps, b=b[ib][None, :], axis=1)
    g0 = -eps * logsumexp((f[ia] - c[ia, 0]) / eps, b=a[ia])
    assert f[2] == pytest.approx(float(f2[0]), abs=1e-10)
    assert g[0] == pytest.approx(float(g0), abs=1e-10)
    assert np.all(np.isfinite(f)) and np.all(np.isfinite(g))


def test_infinite_costs_forbid_transport():
    a, b, c = _problem(n=6, m=5, seed=7)
    c_inf = c.copy()
    c_inf[0, 1] = np.inf
    c_inf[3, 2] = np.inf
    res = sinkhorn(a, b, c_inf, epsilon=0.1, tol=1e-12)
    big = c.copy()
    big[0, 1] = big[3, 2] = 1e4  # exp(-1e4 / 0.1) == 0: same problem for POT
    plan = _pot_plan(a, b, big, 0.1)
    assert res.plan[0, 1] == 0 and res.plan[3, 2] == 0
    np.testing.assert_allclose(res.plan, plan, atol=1e-10)
    assert np.isfinite(res.value) and res.value == pytest.approx(float(np.sum(plan * big)))


def test_infeasible_support_raises():
    a, b, c = _problem(n=4, m=3, seed=8)
    c[1, :] = np.inf
    with pytest.raises(InputError, match="row"):
        sinkhorn(a, b, c, epsilon=0.1)
    # ... unless that row carries no mass
    a[1] = 0
    res = sinkhorn(a / a.sum(), b, c, epsilon=0.1)
    assert res.converged and np.all(res.plan[1] == 0)


def test_non_convergence_warns():
    a, b, c = _problem(seed=9)
    with pytest.warns(ConvergenceWarning, match="max_iter") as rec:
        res = sinkhorn(a, b, c, epsilon=1e-3, max_iter=3, epsilon_scaling=False)
    assert "marginal error" in str(rec[0].message)
    assert not res.converged and res.n_iter == 3
    assert res.marginal_error > 1e-8
    # no stale iterate: the reported error is the one of the returned plan
    p = np.asarray(res.plan)
    err = np.abs(p.sum(1) - a).sum() + np.abs(p.sum(0) - b).sum()
    assert res.marginal_error == pytest.approx(err)
    assert np.all(np.isfinite(p))


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize("eps", [0.0, -1.0, np.nan, np.inf, "a"])
def test_bad_epsilon(eps):
    a, b, c = _problem()
    with pytest.raises(ParameterError, match="`epsilon`"):
        sinkhorn(a, b, c, epsilon=eps)


def test_bad_inputs():
    a, b, c = _problem()
    with pytest.raises(ParameterError, match="`max_iter`"):
        sinkhorn(a, b, c, epsilon=1.0, max_iter=0)
    with pytest.raises(ParameterError, match="`tol`"):
        sinkhorn(a, b, c, epsilon=1.0, tol=0)
    with pytest.raises(ParameterError, match="`method`"):
        sinkhorn(a, b, c, epsilon=1.0, method="newton")
    with pytest.raises(ParameterError, match="`scaling_factor`"):
        sinkhorn(a, b, c, epsilon=1.0, scaling_factor=1.5)
    c_nan = c.copy()
    c_nan[0, 0] = np.nan
    with pytest.raises(NonFiniteError, match="`cost`"):
        sinkhorn(a, b, c_nan, epsilon=1.0)
    with pytest.raises(NonFiniteError, match="-inf"):
        sinkhorn(a, b, -np.inf * np.ones_like(c), epsilon=1.0)
    with pytest.raises(ShapeMismatchError, match="`b`"):
        sinkhorn(a, b[:-1] / b[:-1].sum(), c, epsilon=1.0)
    with pytest.raises(NormalizationError, match="`a`"):
        sinkhorn(2 * a, b, c, epsilon=1.0)
    with pytest.raises(ShapeMismatchError, match="`cost`"):
        sinkhorn(a, b, c[0], epsilon=1.0)


def test_uniform_default_weights():
    _, _, c = _problem(n=5, m=4)
    res = sinkhorn(None, None, c, epsilon=0.5)
    np.testing.assert_allclose(res.plan.sum(1), 0.2, atol=1e-8)
    np.testing.assert_allclose(res.plan.sum(0), 0.25, atol=1e-8)


# ----------------------------------------------------------------------------- properties
@settings(max_examples=25)
@given(
    n=st.integers(1, 6),
    m=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    log_eps=st.floats(-1.5, 1.0),
)
@example(n=3, m=3, seed=27, log_eps=-2.0)  # needs ~9400 sweeps (POT's sinkhorn_log: 9100)
def test_property_marginals_and_bounds(n, m, seed, log_eps):
    rng = np.random.default_rng(seed)
    a = rng.random(n) + 1e-3
    b = rng.random(m) + 1e-3
    a, b = a / a.sum(), b / b.sum()
    c = rng.random((n, m)) * 3
    eps = 10.0**log_eps
    res = sinkhorn(a, b, c, epsilon=eps, tol=1e-10, max_iter=30000)
    p = np.asarray(res.plan)
    assert res.converged and np.all(p >= 0)
    assert np.abs(p.sum(1) - a).sum() + np.abs(p.sum(0) - b).sum() <= 1e-9
    exact = ot.emd2(a, b, c)
    assert exact - 1e-8 <= res.value <= res.dual_value + 1e-8
    assert res.dual_value <= exact + eps * min(_entropy(a), _entropy(b)) + 1e-8


# ----------------------------------------------------------------------------- backends
def test_backends_agree(backend):
    a, b, c = _problem(seed=10)
    c[1, 2] = np.inf
    ref = sinkhorn(a, b, c, epsilon=0.1, tol=1e-12)
    res = sinkhorn(backend.asarray(a), backend.asarray(b), backend.asarray(c), epsilon=0.1,
                   tol=1e-12)
    assert type(res.plan) is type(backend.asarray(c))
    np.testing.assert_allclose(backend.to_numpy(res.plan), ref.plan, atol=1e-12)
    np.testing.assert_allclose(backend.to_numpy(res.potentials[0]), ref.potentials[0], atol=1e-10)
    assert float(res.value) == pytest.approx(float(ref.value), abs=1e-12)
    # result convention: NumPy scalars for NumPy input, 0-d arrays of the namespace otherwise
    assert type(ref.value) is np.float64 and type(ref.dual_value) is np.float64
    if backend.name != "numpy":
        assert type(res.value) is type(backend.asarray(c)) and res.value.ndim == 0


def test_float32_preserved(backend):
    a, b, c = _problem(seed=11)
    res = sinkhorn(backend.asarray(a, np.float32), backend.asarray(b, np.float32),
                   backend.asarray(c, np.float32), epsilon=0.1)
    assert res.plan.dtype == backend.xp.float32
    assert res.potentials[0].dtype == backend.xp.float32
    ref = sinkhorn(a, b, c, epsilon=0.1)
    assert res.converged
    assert float(res.value) == pytest.approx(float(ref.value), rel=1e-4)
    assert res.value.dtype == backend.xp.float32 and res.dual_value.dtype == backend.xp.float32


# ----------------------------------------------------------------------------- divergence
def _clouds(n=12, m=9, seed=0, d=2):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(m, d)) * 1.5 + 1.0


def test_divergence_translation_closed_form():
    x, _ = _clouds()
    t = np.array([1.0, -0.5])
    s = sinkhorn_divergence(x, x + t, epsilon=1.0)
    assert float(s) == pytest.approx(float(t @ t), abs=1e-7)


def test_divergence_identity_symmetry_nonnegativity():
    x, y = _clouds(seed=1)
    assert float(sinkhorn_divergence(x, x, epsilon=0.5)) == 0.0
    s_xy = float(sinkhorn_divergence(x, y, epsilon=0.5))
    s_yx = float(sinkhorn_divergence(y, x, epsilon=0.5))
    assert s_xy > 0
    assert s_xy == pytest.approx(s_yx, abs=1e-8)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**16), log_eps=st.floats(-0.5, 1.0))
def test_divergence_nonnegative_property(seed, log_eps):
    x, y = _clouds(n=6, m=5, seed=seed)
    s = float(sinkhorn_divergence(x, y, epsilon=10.0**log_eps))
    assert s >= 0


@pytest.mark.parametrize("eps", [0.1, 0.02])
def test_divergence_tends_to_w2_squared(eps):
    x, y = _clouds(n=10, m=8, seed=2)
    n, m = len(x), len(y)
    w2sq = ot.emd2(np.full(n, 1 / n), np.full(m, 1 / m), ot.dist(x, y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        s = float(sinkhorn_divergence(x, y, epsilon=eps, max_iter=20000))
    # OT_eps(x,y) in [W2^2, W2^2 + eps log n]; OT_eps(x,x) in [0, eps log n]
    assert abs(s - w2sq) <= eps * (np.log(n) + np.log(m)) + 1e-6


def test_divergence_weights_and_validation(backend):
    x, y = _clouds(seed=3)
    rng = np.random.default_rng(0)
    a, b = rng.random(len(x)), rng.random(len(y))
    ref = float(sinkhorn_divergence(x, y, epsilon=0.5, a=a, b=b))
    s = sinkhorn_divergence(backend.asarray(x, np.float32), backend.asarray(y, np.float32),
                            epsilon=0.5, a=backend.asarray(a, np.float32),
                            b=backend.asarray(b, np.float32))
    assert s.dtype == backend.xp.float32 and s.ndim == 0
    assert float(backend.to_numpy(s)) == pytest.approx(ref, rel=1e-4)
    with pytest.raises(ParameterError, match="`epsilon`"):
        sinkhorn_divergence(x, y, epsilon=0)
    with pytest.raises(ParameterError, match="`metric`"):
        sinkhorn_divergence(x, y, epsilon=1.0, metric="hamming")


# ----------------------------------------------------------------------------- online mode
def test_online_ctransform_matches_dense(backend):
    from divlab.costs import pairwise_cost
    from divlab.ot._lse import DenseCost, OnlineCost

    x, y = _clouds(n=23, m=17, seed=4)
    rng = np.random.default_rng(4)
    g, f = rng.normal(size=17), rng.normal(size=23)
    logb, loga = np.log(np.full(17, 1 / 17)), np.log(rng.random(23))
    xb, yb = backend.asarray(x), backend.asarray(y)
    dense = DenseCost(pairwise_cost(xb, yb, metric="sqeuclidean"), backend.xp)
    online = OnlineCost(xb, yb, backend.xp, metric="sqeuclidean", tile_rows=5)
    for eps in (1.0, 1e-3):
        gb, fb = backend.asarray(g), backend.asarray(f)
        np.testing.assert_allclose(backend.to_numpy(online.rows(gb, backend.asarray(logb), eps)),
                                   backend.to_numpy(dense.rows(gb, backend.asarray(logb), eps)),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(backend.to_numpy(online.cols(fb, backend.asarray(loga), eps)),
                                   backend.to_numpy(dense.cols(fb, backend.asarray(loga), eps)),
                                   rtol=1e-12, atol=1e-12)
    # the bounding-box bound used for epsilon-scaling is an upper bound of max C
    assert online.max_cost() >= dense.max_cost()


@pytest.mark.parametrize("metric", ["sqeuclidean", "euclidean"])
def test_online_divergence_equals_dense(metric):
    x, y = _clouds(n=30, m=25, seed=5)
    a = np.random.default_rng(5).random(30)
    a[4] = 0.0
    dense = float(sinkhorn_divergence(x, y, epsilon=0.3, a=a, metric=metric, tol=1e-11))
    online = float(sinkhorn_divergence(x, y, epsilon=0.3, a=a, metric=metric, tol=1e-11,
                                       online=True))
    assert online == pytest.approx(dense, rel=1e-9, abs=1e-12)


def test_divergence_zero_weight_point_is_ignored():
    x, y = _clouds(n=9, m=7, seed=6)
    a = np.full(9, 1.0)
    a[3] = 0.0
    with_zero = float(sinkhorn_divergence(x, y, epsilon=0.5, a=a))
    dropped = float(sinkhorn_divergence(np.delete(x, 3, axis=0), y, epsilon=0.5))
    assert with_zero == pytest.approx(dropped, rel=1e-10)


@pytest.mark.parametrize("axis", [0, 1])
def test_numpy_gibbs_fast_path_matches_generic(axis):
    """The in-place NumPy strategy of divlab._array.lse_softmax agrees with the generic one."""
    import array_api_compat.numpy as xnp
    import array_api_strict as xs

    from divlab._array import lse_softmax
    from divlab.ot.entropic import _floor

    a, b, c = _problem(n=9, m=7, seed=12)
    c[2, 3] = np.inf
    rng = np.random.default_rng(12)
    pot = rng.normal(size=7 if axis == 1 else 9)
    logw, w = (np.log(b), a) if axis == 1 else (np.log(a), b)
    eps = 0.01
    floor = _floor(np.float64, np)
    new_np, g_np = lse_softmax(pot, c, logw, w, eps, axis, xnp, floor=floor)
    new_g, g_g = lse_softmax(xs.asarray(pot), xs.asarray(c), xs.asarray(logw), xs.asarray(w),
                             eps, axis, xs, floor=floor)
    np.testing.assert_allclose(new_np, np.asarray(new_g), rtol=1e-13)
    np.testing.assert_allclose(g_np, np.asarray(g_g), rtol=1e-13, atol=1e-300)
    assert g_np[2, 3] == 0


def test_sinkhorn_is_the_function_not_a_module():
    """The solver module is divlab.ot.entropic; divlab.ot.sinkhorn is only the function
    (no callable-module workaround), whatever was imported first."""
    import importlib
    import types

    import divlab.ot
    import divlab.ot.entropic as entropic

    assert divlab.ot.sinkhorn is entropic.sinkhorn
    assert not isinstance(divlab.ot.sinkhorn, types.ModuleType)
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("divlab.ot.sinkhorn")


@pytest.mark.parametrize("max_iter", [1, 2, 5, 9, 50])
def test_max_iter_counts_every_sweep_of_every_stage(max_iter):
    """epsilon-scaling stages each ran at least one sweep, so max_iter=1 did 14 (found in
    review): n_iter never exceeds max_iter, the final epsilon always gets a sweep."""
    c = np.random.default_rng(0).random((20, 20)) * 100
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        r = sinkhorn(None, None, c, epsilon=0.01, max_iter=max_iter)
    assert 1 <= r.n_iter <= max_iter and not r.converged


def test_costs_near_the_float_range():
    """Costs ~1e308: solved as (C / s, epsilon / s) with s a power of two -- the plan is the
    same and values scale exactly (found: 'overflow in divide' warnings, and NaN for
    -1e308 costs); an epsilon so small that (f - C) / epsilon overflows is a clear error."""
    rng = np.random.default_rng(1)
    c = rng.random((30, 40))
    a, b = rng.dirichlet(np.ones(30)), rng.dirichlet(np.ones(40))
    s = 2.0**1000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r1 = sinkhorn(a, b, c, epsilon=0.05)
        r2 = sinkhorn(a, b, c * s, epsilon=0.05 * s)
        r3 = sinkhorn(a, b, c - 1.5e308, epsilon=1e306)
    assert r2.value == r1.value * s and np.array_equal(r2.plan, r1.plan)
    assert r2.details["entropic_objective"] == pytest.approx(
        r1.details["entropic_objective"] * s, rel=1e-14)
    assert r3.converged and np.isfinite(r3.value) and r3.value < -1.4e308
    with pytest.raises(ParameterError, match=r"`epsilon`.*divlab.emd"):
        sinkhorn(a, b, c * 1e300, epsilon=0.1)
