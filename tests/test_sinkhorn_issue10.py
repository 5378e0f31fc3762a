"""Issue #10 for :func:`divlab.sinkhorn` / :func:`divlab.sinkhorn_divergence`: the
epsilon-schedule never worse than the plain iteration (POT's own test input), the kernel-domain
start, the marginal error read back once per block of sweeps, messages that name only existing
options, the memory guard (``max_memory``), POT's multi-b and the SciPy/POT argument hints.

References: POT's ``ot.sinkhorn2`` (kernel domain, where it converges) and ``ot.emd2``.
"""

from __future__ import annotations

import warnings

import numpy as np
import ot
import pytest

import divlab.ot.entropic as entropic
from divlab.errors import MemoryLimitError, NormalizationError, ParameterError
from divlab.ot import sinkhorn, sinkhorn_divergence


def _clouds(n=60, m=50, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = rng.normal(size=(m, 2)) + 1.0
    return x, y


# ------------------------------------------------------------------------ epsilon schedule
@pytest.mark.parametrize("epsilon_scaling", [True, False])
def test_pot_test_input_converges_at_once(epsilon_scaling):
    """POT's test input (10 points, ``dist0``, eps = 0.1): the default epsilon-scaling ran all
    10 000 sweeps, warned and was 12 % off, where the plain iteration converges at once."""
    n = 10
    u = ot.utils.unif(n)
    M = ot.utils.dist0(n)
    ref = ot.sinkhorn2(u, u, M, 0.1, stopThr=1e-13, numItermax=100000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = sinkhorn(u, u, M, epsilon=0.1, epsilon_scaling=epsilon_scaling)
    assert res.converged and res.n_iter <= 10
    assert float(res.value) == pytest.approx(float(ref), rel=1e-8)


def test_schedule_only_for_small_epsilon():
    x, y = _clouds()
    c = ot.dist(x, y)
    for rel in (0.5, 0.05, 0.002):
        r = sinkhorn(None, None, c, epsilon=rel * c.max(), tol=1e-9)
        assert r.details["epsilon_schedule"] == [pytest.approx(rel * c.max())]
        assert r.converged and r.details["n_rebuilds"] == 1  # one kernel build, no restart
    with pytest.warns(entropic.ConvergenceWarning) as rec:
        r = sinkhorn(None, None, c, epsilon=1e-4 * c.max(), tol=1e-12, max_iter=300)
    assert len(r.details["epsilon_schedule"]) > 2
    assert rec[0].filename == __file__  # the warning points at the caller


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("rel", [3e-4, 1e-4])
def test_schedule_not_worse_than_plain(seed, rel):
    """With the same sweep budget the scaled solve ends at most a little above the plain one
    (the cold-start probe is part of it) and both plans stay finite."""
    x, y = _clouds(40, 30, seed)
    c = ot.dist(x, y)
    eps = rel * c.max()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", entropic.ConvergenceWarning)
        r1 = sinkhorn(None, None, c, epsilon=eps, max_iter=2000, tol=1e-9)
        r0 = sinkhorn(None, None, c, epsilon=eps, max_iter=2000, tol=1e-9,
                      epsilon_scaling=False)
    assert np.all(np.isfinite(r1.plan)) and np.isfinite(r1.value)
    assert r1.converged or not r0.converged
    assert float(r1.marginal_error) <= 2 * float(r0.marginal_error) + 1e-9


# ------------------------------------------------------------------------ kernel path
def test_kernel_start_matches_log_domain():
    x, y = _clouds(seed=3)
    c = ot.dist(x, y) + 100.0  # an offset: the kernel is exp(-(C - min C) / eps)
    a = np.random.default_rng(1).dirichlet(np.ones(60))
    r1 = sinkhorn(a, None, c, epsilon=0.2, tol=1e-12)
    r2 = sinkhorn(a, None, c, epsilon=0.2, tol=1e-12, method="log")
    ref = ot.sinkhorn2(a, ot.utils.unif(50), c, 0.2, stopThr=1e-14, numItermax=100000)
    np.testing.assert_allclose(r1.plan, r2.plan, atol=1e-12)
    assert float(r1.value) == pytest.approx(float(ref), rel=1e-10)


def test_small_epsilon_where_pot_kernel_fails():
    """Two far clusters at eps = 1e-4 max C: POT's kernel solver returns 0 or NaN; divlab is
    within the entropic bias of the exact value, without RuntimeWarnings."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=(20, 2)), rng.normal(size=(20, 2)) + 30.0])
    y = rng.normal(size=(40, 2)) + 15.0
    c = ot.dist(x, y)
    u = ot.utils.unif(40)
    exact = ot.emd2(u, u, c)
    eps = 1e-4 * c.max()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        r = sinkhorn(u, u, c, epsilon=eps, tol=1e-7, max_iter=20000)
    assert r.converged
    assert exact <= float(r.value) <= exact + eps * np.log(40) + 1e-9


def test_float32_small_epsilon():
    x, y = _clouds(seed=5)
    c = ot.dist(x, y)
    r64 = sinkhorn(None, None, c, epsilon=0.01, tol=1e-9)
    r32 = sinkhorn(None, None, c.astype(np.float32), epsilon=0.01)
    assert r32.value.dtype == np.float32 and r32.plan.dtype == np.float32
    assert r32.converged and np.all(np.isfinite(r32.plan))
    assert float(r32.value) == pytest.approx(float(r64.value), rel=1e-3)


# ------------------------------------------------------------------------ host reads
def test_error_read_back_once_per_block(monkeypatch):
    calls = []
    real = entropic.host_floats

    def counting(xp, *values):
        calls.append(len(values))
        return real(xp, *values)

    checked = []
    monkeypatch.setattr(entropic, "host_floats", counting)
    monkeypatch.setattr(entropic._Solver, "_scaling_ok",
                        lambda self, s: checked.append(1) or True)
    x, y = _clouds()
    c = ot.dist(x, y)
    # epsilon small enough that 200 sweeps cannot reach rounding level (at 0.01 max C the
    # error reaches 3e-16 within 200 sweeps, which the solver rightly counts as converged)
    with pytest.warns(entropic.ConvergenceWarning):
        r = sinkhorn(None, None, c, epsilon=0.002 * c.max(), tol=1e-300, max_iter=200,
                     epsilon_scaling=False)
    assert r.n_iter == 200
    # one read of (min C, max C) at the start, then one per block of 10 sweeps
    assert len(calls) == 1 + 200 // 10
    assert not checked  # no per-sweep host read of the scalings' range


# ------------------------------------------------------------------------ messages
def test_unnormalised_weights_message_names_no_missing_option():
    c = np.ones((2, 2))
    with pytest.raises(NormalizationError) as exc:
        sinkhorn([0.5, 0.6], [0.5, 0.5], c, epsilon=0.1)
    assert "normalize" not in str(exc.value) and "`a`" in str(exc.value)
    assert "sum" in str(exc.value)


def test_convergence_warning_names_existing_knobs():
    x, y = _clouds()
    c = ot.dist(x, y)
    with pytest.warns(entropic.ConvergenceWarning) as rec:
        r = sinkhorn(None, None, c, epsilon=1e-3, max_iter=5, epsilon_scaling=False)
    msg = str(rec[0].message)
    assert not r.converged and "`max_iter`" in msg and "`epsilon`" in msg
    assert "normalize" not in msg


# ------------------------------------------------------------------------ memory guard
def test_sinkhorn_memory_guard():
    x, y = _clouds()
    c = ot.dist(x, y)
    with pytest.raises(MemoryLimitError, match="online=True"):
        sinkhorn(None, None, c, epsilon=0.1, max_memory=10_000)
    r = sinkhorn(None, None, c, epsilon=0.1, max_memory=10**9)
    assert r.converged


def test_sinkhorn_divergence_memory_guard_names_online():
    x, y = _clouds()
    with pytest.raises(MemoryLimitError, match="online=True"):
        sinkhorn_divergence(x, y, epsilon=0.5, max_memory=10_000)
    dense = sinkhorn_divergence(x, y, epsilon=0.5)
    online = sinkhorn_divergence(x, y, epsilon=0.5, online=True, max_memory=10_000)
    assert float(online) == pytest.approx(float(dense), rel=1e-6)


# ------------------------------------------------------------------------ multi-b
@pytest.mark.parametrize("eps", [1.0, 0.1])
def test_multi_b_matches_pot(eps):
    """POT's multi-b test: several target histograms as the columns of ``b``."""
    n, k = 10, 3
    rng = np.random.RandomState(0)
    x = rng.randn(n, 2)
    u = ot.utils.unif(n)
    b = rng.rand(n, k)
    b /= b.sum(0, keepdims=True)
    M = ot.dist(x, x)
    ref = ot.sinkhorn2(u, b, M, eps, stopThr=1e-14, numItermax=200000)
    res = sinkhorn(u, b, M, epsilon=eps, tol=1e-11, max_iter=200000)
    assert res.value.shape == (k,) and res.value.dtype == np.float64
    assert res.plan.shape == (k, n, n) and res.converged
    np.testing.assert_allclose(res.value, ref, rtol=1e-7)
    for j in range(k):
        one = sinkhorn(u, b[:, j], M, epsilon=eps, tol=1e-11, max_iter=200000)
        np.testing.assert_allclose(res.plan[j], one.plan, atol=1e-14)
        assert float(res.marginal_error[j]) == pytest.approx(float(one.marginal_error))


def test_multi_b_validation():
    M = np.ones((3, 4))
    with pytest.raises(ValueError, match=r"\(4, k\)"):
        sinkhorn(None, np.full((3, 2), 1 / 3), M, epsilon=0.1)
    with pytest.raises(NormalizationError, match=r"b\[:, 1\]"):
        sinkhorn(None, np.array([[0.25, 0.5]] * 4), M, epsilon=0.1)


# ------------------------------------------------------------------------ argument hints
@pytest.mark.parametrize(("pot", "ours"), [("reg", "epsilon"), ("numItermax", "max_iter"),
                                           ("stopThr", "tol")])
def test_pot_argument_names_get_a_hint(pot, ours):
    c = np.ones((2, 2))
    with pytest.raises(ParameterError, match=f"`{ours}`"):
        sinkhorn(None, None, c, **{pot: 0.1})
    x = np.zeros((3, 1))
    with pytest.raises(ParameterError, match=f"`{ours}`"):
        sinkhorn_divergence(x, x + 1, epsilon=0.1, **{pot: 0.1}) if pot != "reg" else \
            sinkhorn_divergence(x, x + 1, reg=0.1)


def test_seed_hint_and_positional_epsilon():
    x = np.zeros((3, 1))
    with pytest.raises(ParameterError, match="`rng`"):
        sinkhorn_divergence(x, x + 1, epsilon=0.1, seed=0)
    with pytest.raises(TypeError):
        sinkhorn(None, None, np.ones((2, 2)), 0.1)  # epsilon is keyword-only
