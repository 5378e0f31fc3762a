"""Issue #10 (exact OT): W_p at every p and coordinate scale, +inf costs, memory guard,
multi-b, argument hints. References are independent of the solver: the sorted pairing on a
line (the 1-D closed form, evaluated here without forming d**p), brute force over
permutations, SciPy's HiGHS and POT's ``ot.emd2``."""

from __future__ import annotations

import itertools
import math
import warnings
from fractions import Fraction

import numpy as np
import ot
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.spatial.distance import cdist

import divlab.ot.exact as exact_mod
from divlab.errors import InputError, MemoryLimitError, ParameterError
from divlab.ot.dual import dual_lp, kr_witness
from divlab.ot.exact import emd, wasserstein


def _power_mean(w: np.ndarray, d: np.ndarray, p: float) -> float:
    """``(sum w d**p)**(1/p)`` without overflow or underflow (float64, relative ~1e-15)."""
    top = float(d.max())
    if top == 0.0:
        return 0.0
    with np.errstate(under="ignore"):
        return top * float(np.sum(w * (d / top) ** p)) ** (1.0 / p)


def _sorted_pairing(u: np.ndarray, v: np.ndarray, p: float) -> float:
    """W_p between uniform samples on a line: the monotone (quantile) coupling, with exact
    rational breakpoints."""
    us, vs = np.sort(u), np.sort(v)
    n, m = us.size, vs.size
    ts = sorted({Fraction(i, n) for i in range(n + 1)} | {Fraction(j, m) for j in range(m + 1)})
    w, d = [], []
    for t0, t1 in itertools.pairwise(ts):
        mid = (t0 + t1) / 2
        w.append(float(t1 - t0))
        d.append(abs(float(us[math.floor(mid * n)]) - float(vs[math.floor(mid * m)])))
    return _power_mean(np.array(w), np.array(d), p)


def _line(u: np.ndarray) -> np.ndarray:
    return np.c_[u, np.zeros_like(u)]  # points on a line, but d = 2: the exact LP path


# ---------------------------------------------------------------- point 2: every p, scale
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 9), m=st.integers(2, 9), seed=st.integers(0, 2**32 - 1),
       logp=st.floats(0.0, 4.0), expo=st.integers(-300, 299))
def test_wp_on_a_line_every_p_and_scale(n, m, seed, logp, expo):
    rng = np.random.default_rng(seed)
    u, v = rng.normal(size=n), rng.normal(size=m) + rng.normal()
    p = 10.0**logp
    scale = 10.0**expo
    ref = _sorted_pairing(u, v, p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no spurious warnings
        got = wasserstein(_line(u * scale), _line(v * scale), p=p)
    assert isinstance(got, np.float64)
    assert float(got) / scale == pytest.approx(ref, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, 7.5, 20.0, 50.0, 100.0, 1000.0, 5000.0, 1e4])
def test_wp_issue_measurement_20_points(p):
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=20), rng.normal(size=20) + 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = float(wasserstein(_line(u), _line(v), p=p))
    assert got == pytest.approx(_sorted_pairing(u, v, p), rel=1e-9)


@pytest.mark.parametrize("p", [3.0, 20.0, 100.0, 1e4])
@pytest.mark.parametrize("seed", range(4))
def test_wp_2d_brute_force_over_permutations(p, seed):
    # n = m with uniform masses: an optimal plan is a permutation (Birkhoff)
    rng = np.random.default_rng(seed)
    n = 6
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2))
    d = cdist(x, y)
    best = min(_power_mean(np.full(n, 1.0 / n), d[np.arange(n), list(s)], p)
               for s in itertools.permutations(range(n)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = float(wasserstein(x, y, p=p))
    assert got == pytest.approx(best, rel=1e-9)


@pytest.mark.parametrize("p", [1.0, 3.0])
@pytest.mark.parametrize("expo", [-300, -50, -20, -12, -8, 0, 8, 50, 300])
def test_wp_weighted_2d_vs_highs(p, expo):
    # HiGHS on the unit-scale problem (its absolute tolerances need costs of order 1)
    rng = np.random.default_rng(abs(expo) + 7)
    x, y = rng.normal(size=(7, 2)), rng.normal(size=(9, 2))
    a, b = rng.random(7) + 0.1, rng.random(9) + 0.1
    a, b = a / a.sum(), b / b.sum()
    cost = cdist(x, y) ** p
    ref = float(dual_lp(a, b, cost).value) ** (1.0 / p)
    s = 10.0**expo
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = float(wasserstein(x * s, y * s, p=p, a=a, b=b)) / s
    assert got == pytest.approx(ref, rel=1e-7)


def _weighted_pairing(u, v, a, b, p):
    """W_p on a line with weights: north-west corner rule on the sorted points."""
    iu, iv = np.argsort(u), np.argsort(v)
    us, vs, ra, rb = u[iu], v[iv], list(a[iu]), list(b[iv])
    i = j = 0
    w, d = [], []
    while i < len(us) and j < len(vs):
        t = min(ra[i], rb[j])
        w.append(t)
        d.append(abs(us[i] - vs[j]))
        ra[i] -= t
        rb[j] -= t
        if ra[i] <= 1e-15:
            i += 1
        else:
            j += 1
    return _power_mean(np.array(w), np.array(d), p)


@pytest.mark.parametrize("p", [1.5, 20.0, 300.0, 1e4])
@pytest.mark.parametrize("seed", range(5))
def test_wp_weighted_on_a_line_large_p(p, seed):
    rng = np.random.default_rng(seed)
    n, m = 7, 5
    u, v = rng.normal(size=n), rng.normal(size=m)
    # dyadic weights with equal totals: the north-west corner sums are exact
    a = rng.integers(1, 9, size=n).astype(float)
    b = rng.integers(1, 9, size=m).astype(float)
    b[-1] += a.sum() - b.sum() if a.sum() > b.sum() else 0.0
    a[-1] += b.sum() - a.sum() if b.sum() > a.sum() else 0.0
    a, b = a / a.sum(), b / a.sum()
    ref = _weighted_pairing(u, v, a, b, p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = float(wasserstein(_line(u), _line(v), p=p, a=a, b=b))
    assert got == pytest.approx(ref, rel=1e-9)


def test_wp_float32_keeps_dtype_at_large_p():
    rng = np.random.default_rng(3)
    u, v = rng.normal(size=8), rng.normal(size=8)
    got = wasserstein(_line(u).astype(np.float32), _line(v).astype(np.float32), p=500.0)
    assert isinstance(got, np.float32)
    assert float(got) == pytest.approx(
        _sorted_pairing(u.astype(np.float32), v.astype(np.float32), 500.0), rel=1e-5)


def test_wp_identical_samples_is_zero_at_large_p():
    x = np.random.default_rng(1).normal(size=(5, 3))
    assert float(wasserstein(x, x, p=1e4)) == 0.0


@pytest.mark.parametrize("expo", [-300, -50, -20, -12, -8, 0, 8, 50, 300])
def test_emd_and_kr_witness_at_any_scale(expo):
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(12, 2)), rng.normal(size=(10, 2)) + 0.3
    ref = float(dual_lp(None, None, cdist(x, y)).value)
    s = 10.0**expo
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = emd(None, None, cdist(x, y) * s)  # (SciPy's cdist underflows at 1e-300)
        phi = kr_witness(x * s, y * s)
    assert res.converged
    assert float(res.value) / s == pytest.approx(ref, rel=1e-9)
    assert float(phi.value) / s == pytest.approx(ref, rel=1e-9)
    assert float(phi.mean_difference()) / s == pytest.approx(ref, rel=1e-9)
    assert phi.lipschitz_constant() <= 1.0 + 1e-9


# ---------------------------------------------------------------- point 3: +inf costs
def _highs_primal(a, b, c):
    n, m = c.shape
    ok = np.isfinite(c)
    ii, jj = np.nonzero(ok)
    k = ii.size
    eq = sp.vstack([sp.csr_matrix((np.ones(k), (ii, np.arange(k))), shape=(n, k)),
                    sp.csr_matrix((np.ones(k), (jj, np.arange(k))), shape=(m, k))])
    # one marginal constraint is redundant (dropped: with it, rounding in the totals makes
    # HiGHS call feasible problems infeasible); masses scaled up to HiGHS's tolerances
    scale = 1e4
    r = linprog(c[ok], A_eq=eq.tocsr()[:-1], b_eq=np.r_[a, b][:-1] * scale, bounds=(0, None),
                method="highs")
    return r.fun / scale if r.status == 0 else None


def _sparse_problem(seed, n=100, m=150):
    rng = np.random.default_rng(seed)
    kind = seed % 3
    a = rng.dirichlet(np.full(n, 0.3)) if kind == 0 else np.full(n, 1.0 / n)
    b = rng.dirichlet(np.full(m, 0.3)) if kind != 2 else np.full(m, 1.0 / m)
    c = rng.exponential(size=(n, m)) * 10.0 ** rng.uniform(-3, 3)
    c[rng.random((n, m)) > rng.uniform(0.1, 0.5)] = np.inf
    return a, b, c


@pytest.mark.parametrize("seed", range(0, 120, 3))
def test_sparse_forbidden_problems_vs_highs(seed):
    a, b, c = _sparse_problem(seed)
    ref = _highs_primal(a, b, c)
    if ref is None:
        with pytest.raises(InputError, match="infeasible"):
            emd(a, b, c)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = emd(a, b, c)
    assert res.converged
    assert np.all(res.plan[np.isinf(c)] == 0.0)
    # the dual certifies the value far more tightly than HiGHS's own tolerances
    assert abs(float(res.duality_gap)) <= 1e-9 * abs(float(res.value))
    assert float(res.value) == pytest.approx(ref, rel=1e-7)


def test_stray_rounding_mass_on_forbidden_pair_is_cleaned(monkeypatch):
    # POT's simplex can leave ~1e-17 on a penalised pair: judged, removed, certified
    real = exact_mod._solve

    def leaky(a, b, c, budget, cap):
        plan, f, g, value, code, used, attempts = real(a, b, c, budget, cap)
        plan = plan.copy()
        plan[0, 0] += 1e-17
        return plan, f, g, value, code, used, attempts

    monkeypatch.setattr(exact_mod, "_solve", leaky)
    c = np.array([[np.inf, 1.0, 2.0], [1.0, 3.0, 1.0], [2.0, 1.0, 4.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = emd(None, None, c)
    assert res.plan[0, 0] == 0.0
    assert res.details["forbidden_mass_removed"] == pytest.approx(1e-17)
    assert res.converged
    assert float(res.value) == pytest.approx(4.0 / 3.0, rel=1e-12)


def test_truly_infeasible_forbidden_problem_raises_clearly():
    c = np.array([[np.inf, np.inf], [1.0, 1.0]])
    with pytest.raises(InputError, match="infeasible"):
        emd([0.5, 0.5], [0.5, 0.5], c)


# ---------------------------------------------------------------- point 4: memory guard
@pytest.mark.parametrize("call", [
    lambda: wasserstein(np.zeros((50, 2)), np.ones((60, 2)), max_memory=1000),
    lambda: kr_witness(np.zeros((50, 2)), np.ones((60, 2)), max_memory=1000),
    lambda: emd(None, None, np.ones((50, 60)), max_memory=1000),
])
def test_memory_guard_names_the_alternatives(call):
    with pytest.raises(MemoryLimitError) as info:
        call()
    msg = str(info.value)
    assert "sliced_wasserstein" in msg and "online=True" in msg and "subsample" in msg
    assert isinstance(info.value, MemoryError)


def test_memory_guard_allows_what_fits():
    x = np.random.default_rng(0).normal(size=(5, 2))
    assert float(wasserstein(x, x + 1.0, max_memory=10**6)) == pytest.approx(math.sqrt(2))


# ---------------------------------------------------------------- point 6: multi-b, hints
def test_multi_b_matches_pot_emd2_per_column():
    rng = np.random.default_rng(2)
    n, m, k = 8, 11, 4
    c = rng.random((n, m))
    a = rng.random(n)
    a /= a.sum()
    bs = rng.random((m, k))
    bs /= bs.sum(axis=0)
    res = emd(a, bs, c)
    assert res.value.shape == (k,) and res.plan.shape == (k, n, m)
    assert res.potentials[0].shape == (k, n) and res.potentials[1].shape == (k, m)
    ref = [ot.emd2(a, np.ascontiguousarray(bs[:, j]), c) for j in range(k)]
    np.testing.assert_allclose(res.value, ref, rtol=1e-12)
    assert res.converged and "value=[" in repr(res)
    one = emd(a, bs[:, 2], c)
    np.testing.assert_allclose(res.plan[2], one.plan)


def test_multi_b_float32_and_shape_error():
    c = np.ones((3, 4), np.float32)
    res = emd(None, np.full((4, 2), 0.25, np.float32), c)
    assert res.value.dtype == np.float32
    with pytest.raises(ValueError, match="b"):
        emd(None, np.full((5, 2), 0.2), np.ones((3, 4)))


@pytest.mark.parametrize("call, word", [
    (lambda: emd(None, None, np.ones((2, 2)), numItermax=10), "max_iter"),
    (lambda: emd(None, None, np.ones((2, 2)), log=True), "result object"),
    (lambda: wasserstein(np.zeros((2, 2)), np.ones((2, 2)), numItermax=5), "max_iter"),
    (lambda: kr_witness(np.zeros((2, 2)), np.ones((2, 2)), seed=0), "rng"),
    (lambda: dual_lp(None, None, np.ones((2, 2)), reg=0.1), "epsilon"),
])
def test_argument_hints(call, word):
    with pytest.raises(ParameterError, match=word):
        call()


@pytest.mark.parametrize("metric", ["euclidean", "cityblock", "chebyshev", "canberra"])
def test_cdist_metrics_as_ground_costs_match_pot(metric):
    if metric not in exact_mod._W_METRICS:
        pytest.skip(f"divlab.pairwise_cost has no {metric!r} here")
    rng = np.random.default_rng(4)
    x, y = rng.random((9, 3)), rng.random((7, 3)) + 0.2
    a, b = np.full(9, 1 / 9), np.full(7, 1 / 7)
    for p in (1.0, 3.0):
        ref = ot.emd2(a, b, cdist(x, y, metric) ** p) ** (1 / p)
        assert float(wasserstein(x, y, p=p, metric=metric)) == pytest.approx(ref, rel=1e-12)
    phi = kr_witness(x, y, metric=metric)
    assert float(phi.value) == pytest.approx(ot.emd2(a, b, cdist(x, y, metric)), rel=1e-12)
    assert phi.lipschitz_constant() <= 1.0 + 1e-9


@pytest.mark.parametrize("metric", ["euclidean", "cityblock", "chebyshev", "canberra"])
@pytest.mark.parametrize("weighted", [False, True])
def test_one_dimensional_input_uses_the_requested_metric(metric, weighted):
    """On the line every metric but canberra is |x - y| (sorted pairing is optimal);
    canberra is not a function of x - y and goes through the general solver."""
    rng = np.random.default_rng(17)
    x, y = rng.normal(size=12), rng.normal(0.5, 2.0, size=9)
    a = rng.random(12) + 0.1 if weighted else None
    b = rng.random(9) + 0.1 if weighted else None
    pa = np.full(12, 1 / 12) if a is None else a / a.sum()
    pb = np.full(9, 1 / 9) if b is None else b / b.sum()
    want = ot.emd2(pa, pb, cdist(x[:, None], y[:, None], metric))
    got = float(wasserstein(x[:, None], y[:, None], a=a, b=b, metric=metric))
    assert got == pytest.approx(float(want), rel=1e-10, abs=1e-12)
