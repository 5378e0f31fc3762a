"""Issue #10, points 1 and 6 (1-D): the unweighted path of ``wasserstein``, batched 1-D W
along an axis, the monotone transport plan, argument hints."""

from __future__ import annotations

import math

import numpy as np
import ot
import pytest
import scipy.stats

from divlab.errors import EmptyInputError, ParameterError, ShapeMismatchError
from divlab.ot import oned, wasserstein
from divlab.ot.oned import MonotonePlan, wasserstein_1d, wasserstein_1d_plan, wasserstein_1d_power

RNG = np.random.default_rng(20261202)


# ----- point 1: dispatch -------------------------------------------------------------------


def _count_weighted(monkeypatch):
    calls = []
    real = oned._sorted_with_weights

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(oned, "_sorted_with_weights", spy)
    return calls


@pytest.mark.parametrize("n,m", [(50, 50), (50, 31)])
def test_wasserstein_1d_input_takes_unweighted_path(monkeypatch, n, m):
    u, v = RNG.normal(size=n), RNG.normal(size=m) + 0.3
    calls = _count_weighted(monkeypatch)
    got = wasserstein(u, v, p=2)
    got2 = wasserstein(u[:, None], v[:, None], p=1)
    assert calls == []
    assert np.isclose(got, wasserstein_1d(u, v, p=2), rtol=1e-14)
    assert np.isclose(got2, scipy.stats.wasserstein_distance(u, v), rtol=1e-12)


def test_uniform_weights_take_unweighted_path(monkeypatch):
    u, v = RNG.normal(size=40), RNG.normal(size=25)
    calls = _count_weighted(monkeypatch)
    got = wasserstein(u, v, a=np.full(40, 3.0), b=np.full(25, 0.1))
    got1 = wasserstein_1d(u, v, u_weights=[2.0] * 40, v_weights=np.ones(25))
    assert calls == []
    ref = scipy.stats.wasserstein_distance(u, v)
    assert np.isclose(got, ref, rtol=1e-12) and np.isclose(got1, ref, rtol=1e-12)
    # non-uniform weights take the weighted (merged) path and match SciPy
    a = RNG.random(40)
    got = wasserstein(u, v, a=a)
    assert calls
    assert np.isclose(got, scipy.stats.wasserstein_distance(u, v, a), rtol=1e-12)


def test_weighted_matches_scipy_and_pot():
    for n, m in [(1, 1), (7, 3), (200, 200), (300, 170)]:
        u, v = RNG.normal(size=n), RNG.standard_t(3, size=m)
        a, b = RNG.random(n), RNG.random(m)
        assert np.isclose(wasserstein(u, v, a=a, b=b),
                          scipy.stats.wasserstein_distance(u, v, a, b), rtol=1e-11)
        assert np.isclose(wasserstein_1d_power(u, v, u_weights=a, v_weights=b, p=2),
                          ot.wasserstein_1d(u, v, a / a.sum(), b / b.sum(), p=2), rtol=1e-11)


def test_result_type_unchanged():
    u = RNG.normal(size=10).astype(np.float32)
    out = wasserstein(u, u + 1)
    assert type(out) is np.float32
    assert type(wasserstein_1d(u, u + 1, u_weights=np.ones(10))) is np.float32


# ----- point 6: batched along an axis --------------------------------------------------------


@pytest.mark.parametrize("p", [1, 2, 3.5])
@pytest.mark.parametrize("n,m", [(20, 20), (20, 13), (1, 4)])
@pytest.mark.parametrize("weighted", [False, True])
def test_batched_axis0_matches_loop(p, n, m, weighted):
    k = 6
    U, V = RNG.normal(size=(n, k)), RNG.exponential(size=(m, k))
    a = RNG.random(n) if weighted else None
    b = RNG.random(m) if weighted else None
    got = wasserstein_1d(U, V, axis=0, p=p, u_weights=a, v_weights=b)
    ref = [wasserstein_1d(U[:, c], V[:, c], p=p, u_weights=a, v_weights=b) for c in range(k)]
    assert isinstance(got, np.ndarray) and got.shape == (k,) and got.dtype == np.float64
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-15)
    if p == 1:
        sp = [scipy.stats.wasserstein_distance(U[:, c], V[:, c], a, b) for c in range(k)]
        np.testing.assert_allclose(got, sp, rtol=1e-11)


def test_batched_other_axes_and_ndim():
    U, V = RNG.normal(size=(3, 4, 15)), RNG.normal(size=(3, 4, 9))
    got = wasserstein_1d(U, V, axis=-1, p=2)
    assert got.shape == (3, 4)
    ref = np.array([[wasserstein_1d(U[i, j], V[i, j], p=2) for j in range(4)] for i in range(3)])
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    got1 = wasserstein_1d(np.moveaxis(U, -1, 1), np.moveaxis(V, -1, 1), axis=1, p=2)
    np.testing.assert_allclose(got1, ref, rtol=1e-12)
    # 1-D input with axis=0 is a single problem (0-d result)
    u, v = RNG.normal(size=8), RNG.normal(size=5)
    assert np.isclose(wasserstein_1d(u, v, axis=0), wasserstein_1d(u, v), rtol=1e-14)


def test_batched_float32_and_extreme_scale():
    U = RNG.normal(size=(30, 3)).astype(np.float32)
    V = (RNG.normal(size=(30, 3)) + 1).astype(np.float32)
    got = wasserstein_1d(U, V, axis=0)
    assert got.dtype == np.float32
    big = wasserstein_1d(U.astype(np.float64) * 1e300, V.astype(np.float64) * 1e300,
                         axis=0, p=2)
    ref = wasserstein_1d(U.astype(np.float64), V.astype(np.float64), axis=0, p=2) * 1e300
    np.testing.assert_allclose(big, ref, rtol=1e-12)


def test_batched_errors():
    with pytest.raises(ShapeMismatchError, match="agree except along axis 0"):
        wasserstein_1d(np.ones((3, 2)), np.ones((3, 4)), axis=0)
    with pytest.raises(ParameterError, match="axis"):
        wasserstein_1d(np.ones((3, 2)), np.ones((3, 2)), axis=2)
    with pytest.raises(EmptyInputError):
        wasserstein_1d(np.ones((0, 2)), np.ones((3, 2)), axis=0)
    with pytest.raises(ShapeMismatchError, match="u_weights"):
        wasserstein_1d(np.ones((3, 2)), np.ones((3, 2)), axis=0, u_weights=[1.0, 2.0])


def test_batched_torch_gradient_matches_loop():
    torch = pytest.importorskip("torch")
    U, V = RNG.normal(size=(12, 3)), RNG.normal(size=(7, 3))
    tu = torch.tensor(U, requires_grad=True)
    out = wasserstein_1d(tu, torch.tensor(V), axis=0, p=2)
    assert isinstance(out, torch.Tensor) and out.shape == (3,)
    out.sum().backward()
    tu2 = torch.tensor(U, requires_grad=True)
    sum(wasserstein_1d(tu2[:, c], torch.tensor(V[:, c]), p=2) for c in range(3)).backward()
    np.testing.assert_allclose(tu.grad.numpy(), tu2.grad.numpy(), rtol=1e-10, atol=1e-14)


# ----- point 6: the transport plan -----------------------------------------------------------


def _check_plan(plan, u, v, a, b, p):
    dense = plan.todense()
    a = np.full(len(u), 1 / len(u)) if a is None else a / a.sum()
    b = np.full(len(v), 1 / len(v)) if b is None else b / b.sum()
    np.testing.assert_allclose(dense.sum(axis=1), a, atol=1e-14)
    np.testing.assert_allclose(dense.sum(axis=0), b, atol=1e-14)
    assert np.all(plan.mass > 0) and plan.i.shape[0] <= len(u) + len(v) - 1
    cost = np.sum(dense * np.abs(u[:, None] - v[None, :]) ** p)
    ref = float(wasserstein_1d_power(u, v, u_weights=a, v_weights=b, p=p))
    assert np.isclose(cost, ref, rtol=1e-12)
    assert np.isclose(plan.value, ref, rtol=1e-12)
    return dense, a, b


@pytest.mark.parametrize("n,m,weighted", [(1, 1, False), (6, 6, False), (7, 4, False),
                                          (9, 13, True), (30, 30, True), (25, 11, True)])
@pytest.mark.parametrize("p", [1, 2])
def test_plan_marginals_cost_and_pot(n, m, weighted, p):
    u, v = RNG.normal(size=n), RNG.normal(size=m) + 0.2
    a = RNG.random(n) + 0.01 if weighted else None
    b = RNG.random(m) + 0.01 if weighted else None
    plan = wasserstein_1d_plan(u, v, u_weights=a, v_weights=b, p=p)
    assert isinstance(plan, MonotonePlan) and plan.shape == (n, m)
    dense, aa, bb = _check_plan(plan, u, v, a, b, p)
    C = np.abs(u[:, None] - v[None, :]) ** p
    G = ot.emd(aa, bb, C)
    assert np.isclose(np.sum(dense * C), np.sum(G * C), rtol=1e-11)
    if p > 1:  # strictly convex cost, distinct values: the optimal plan is unique
        np.testing.assert_allclose(dense, G, atol=1e-12)
    coo = plan.tocoo()
    np.testing.assert_allclose(coo.toarray(), dense, atol=0)


def test_plan_zero_weights_and_ties():
    u = np.array([0.0, 0.0, 1.0, 5.0])
    v = np.array([2.0, 2.0, -1.0])
    a = np.array([1.0, 0.0, 2.0, 1.0])
    plan = wasserstein_1d_plan(u, v, u_weights=a, p=1)
    dense, _, _ = _check_plan(plan, u, v, a, None, 1)
    assert np.all(dense[1] == 0)  # a zero-weight atom sends nothing
    assert "MonotonePlan(shape=(4, 3)" in repr(plan)


def test_plan_torch_namespace():
    torch = pytest.importorskip("torch")
    u, v = RNG.normal(size=9), RNG.normal(size=5)
    plan = wasserstein_1d_plan(torch.tensor(u), torch.tensor(v), p=2)
    assert isinstance(plan.mass, torch.Tensor) and isinstance(plan.value, torch.Tensor)
    np.testing.assert_allclose(plan.todense(), wasserstein_1d_plan(u, v).todense(), atol=1e-15)


# ----- point 6: argument hints ---------------------------------------------------------------


@pytest.mark.parametrize("fn", [wasserstein_1d, wasserstein_1d_power, wasserstein_1d_plan])
def test_argument_hints(fn):
    with pytest.raises(ParameterError, match="`weights_u`: divlab calls it `u_weights`"):
        fn([0.0, 1.0], [1.0], weights_u=[1.0, 1.0])
    with pytest.raises(TypeError):
        fn([0.0, 1.0], [1.0], bogus=1)


# ----- point 1: the fast paths stay exact --------------------------------------------------


def _exact_wpp(u, v, a, b, p):
    """W_p^p by an independent quantile merge in exact rational arithmetic (integer p):
    both CDFs as Fractions, the quantile functions compared on every merged interval."""
    from fractions import Fraction

    def cdf(x, w):
        w = [Fraction(1)] * len(x) if w is None else [Fraction(float(t)) for t in w]
        pairs = sorted(zip((Fraction(float(t)) for t in x), w, strict=True))
        tot = sum(w)
        acc, out = Fraction(0), []
        for val, wt in pairs:
            acc += wt
            out.append((acc / tot, val))
        return out

    cu, cv = cdf(u, a), cdf(v, b)
    grid = sorted({c for c, _ in cu} | {c for c, _ in cv})
    total, prev = Fraction(0), Fraction(0)
    iu = iv = 0
    for t in grid:
        while cu[iu][0] < t:
            iu += 1
        while cv[iv][0] < t:
            iv += 1
        total += (t - prev) * abs(cu[iu][1] - cv[iv][1]) ** int(p)
        prev = t
    return total


def _tied_case(rng, n, m, weights):
    """Samples with ties inside and across them (values on a 0.5 grid), duplicated atoms
    and, for weighted samples, integer weights with zeros (about a third of them)."""
    u = np.round(rng.normal(size=n) * 2) / 2
    v = np.round(rng.standard_t(3, size=m) * 2) / 2 + 0.5
    a = b = None
    if weights in ("both", "u"):
        a = rng.integers(0, 3, size=n).astype(float)
        a[0] = 1.0  # positive mass
    if weights in ("both", "v"):
        b = rng.integers(0, 3, size=m).astype(float)
        b[-1] = 2.0
    return u, v, a, b


def _integer_reference_wpp(u, v, a, b, p):
    """W_p^p for integer weights, by an independent exact merge: both CDFs on the common
    integer grid 1/(S_u S_v) (int64, no rounding), the quantile atoms found by search on
    that grid, the sum of the (float) terms by math.fsum. Relative error ~1e-15."""
    def cum(x, w):
        w = np.ones(x.shape[0], np.int64) if w is None else w.astype(np.int64)
        o = np.argsort(x, kind="stable")
        return x[o], np.cumsum(w[o])

    us, cu = cum(u, a)
    vs, cv = cum(v, b)
    su, sv = int(cu[-1]), int(cv[-1])
    assert su * sv < 2**62
    ku, kv = cu * sv, cv * su
    t = np.union1d(ku, kv)
    dk = np.diff(t, prepend=0)
    iu = np.searchsorted(ku, t, side="left")
    iv = np.searchsorted(kv, t, side="left")
    terms = dk.astype(float) * np.abs(us[iu] - vs[iv]) ** p
    return math.fsum(terms) / (float(su) * float(sv))


@pytest.mark.parametrize("weights", ["none", "both", "u", "v"])
@pytest.mark.parametrize("n,m", [(1, 5), (12, 12), (23, 9), (40, 61)])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_fast_paths_match_exact_rational_reference(weights, n, m, p):
    rng = np.random.default_rng(1000 * n + m + p)
    u, v, a, b = _tied_case(rng, n, m, weights)
    ref = float(_exact_wpp(u, v, a, b, p))
    got = float(wasserstein_1d_power(u, v, u_weights=a, v_weights=b, p=p))
    assert got == pytest.approx(ref, rel=1e-13, abs=1e-300)
    w = float(wasserstein(u, v, p=p, a=a, b=b))
    assert w == pytest.approx(ref ** (1 / p), rel=1e-13, abs=1e-300)


@pytest.mark.parametrize("weights", ["none", "both", "u", "v"])
@pytest.mark.parametrize("n,m", [(20_000, 20_000), (20_000, 13_001)])
def test_fast_paths_match_reference_scipy_and_pot_at_scale(weights, n, m):
    """Ties, duplicates, zero weights, equal and unequal sizes, through both doors: within
    1e-12 relative of an exact-merge reference (p = 1, 2, 3.5) and of SciPy (W_1); POT
    (W_p^p) agrees up to its own distance from the reference (POT accumulates the uniform
    weights 1/n by a cumulative sum: 9e-11 off at p = 2 here, divlab 2e-16)."""
    rng = np.random.default_rng(n + m)
    u, v, a, b = _tied_case(rng, n, m, weights)
    u = u + rng.normal(size=n) * (rng.random(n) < 0.5)  # half tied, half continuous
    ref = scipy.stats.wasserstein_distance(u, v, a, b)
    assert float(wasserstein(u, v, a=a, b=b)) == pytest.approx(ref, rel=1e-12)
    assert float(wasserstein_1d(u, v, u_weights=a, v_weights=b)) == pytest.approx(ref, rel=1e-12)
    pa = None if a is None else a / a.sum()
    pb = None if b is None else b / b.sum()
    for p in (1.0, 2.0, 3.5):
        exact = _integer_reference_wpp(u, v, a, b, p)
        got = float(wasserstein_1d_power(u, v, u_weights=a, v_weights=b, p=p))
        assert got == pytest.approx(exact, rel=1e-12)
        pot = float(ot.wasserstein_1d(u, v, pa, pb, p=p))
        assert abs(got - pot) <= 1e-12 * exact + abs(pot - exact)


def test_float_weights_with_zeros_match_scipy_at_scale():
    rng = np.random.default_rng(77)
    u, v = rng.normal(size=30_000), rng.standard_t(4, size=17_000)
    a, b = rng.random(30_000), rng.random(17_000)
    a[rng.random(30_000) < 0.2] = 0.0
    b[::3] = 0.0
    for aa, bb in ((a, b), (a, None), (None, b)):
        ref = scipy.stats.wasserstein_distance(u, v, aa, bb)
        assert float(wasserstein(u, v, a=aa, b=bb)) == pytest.approx(ref, rel=1e-12)


def test_one_weighted_sample_sorts_the_other(monkeypatch):
    """Weights on one sample only: that sample is argsorted with its weights, the other is
    only sorted (no permutation) and gets the exact uniform CDF (i + 1)/m."""
    calls = []
    real = oned._sorted_with_weights

    def spy(u, w, xp):
        calls.append(u.shape[0])
        return real(u, w, xp)

    monkeypatch.setattr(oned, "_sorted_with_weights", spy)
    u, v = RNG.normal(size=30), RNG.normal(size=17)
    a = RNG.random(30)
    got = wasserstein_1d(u, v, u_weights=a, p=2)
    assert calls == [30]
    assert float(got) ** 2 == pytest.approx(float(_exact_wpp(u, v, a, None, 2)), rel=1e-13)
    calls.clear()
    wasserstein_1d(u, v, v_weights=RNG.random(17))
    assert calls == [17]
    # the uniform CDF of the unweighted side is exactly (i + 1) / m
    _, c = oned._sorted_cdf(np.asarray(v), None, np.__array_namespace__()
                            if hasattr(np, "__array_namespace__") else np)
    assert np.array_equal(c, np.arange(1, 18) / 17)


def test_merged_indices_brute_force_with_ties():
    """The merge of two CDFs (stable sort of the two runs) against a per-interval search."""
    import array_api_compat.numpy as xp

    rng = np.random.default_rng(5)
    for _ in range(20):
        n, m = rng.integers(1, 30, size=2)
        cu = np.cumsum(rng.integers(0, 3, size=n).astype(float) + (rng.random(n) < 0.2))
        cv = np.cumsum(rng.integers(0, 3, size=m).astype(float) + (rng.random(m) < 0.2))
        if cu[-1] == 0 or cv[-1] == 0:
            continue
        cu, cv = cu / cu[-1], cv / cv[-1]
        t, iu, iv = oned._merged_indices(cu, cv, xp)
        assert np.array_equal(t, np.sort(np.concatenate([cu, cv])))
        prev = np.concatenate([[0.0], t[:-1]])
        for k in range(n + m):
            if t[k] > prev[k]:  # the atoms whose quantile function is constant on (prev, t]
                assert iu[k] == np.searchsorted(cu, t[k], side="left")
                assert iv[k] == np.searchsorted(cv, t[k], side="left")


@pytest.mark.parametrize("side", ["u", "v", "both"])
def test_weighted_and_one_sided_paths_on_other_namespaces(side):
    """The merged (weighted) and one-sided paths are array-API code: array_api_strict and
    Dask (lazy until computed) give the NumPy value; under PyTorch the gradient with respect
    to the samples and the weights matches central differences of the NumPy path."""
    import array_api_strict as xps

    rng = np.random.default_rng(9)
    u, v = np.round(rng.normal(size=13), 1), rng.normal(size=8) + 0.2
    wu, wv = rng.random(13) + 0.2, rng.random(8) + 0.2
    wu[3] = 0.0
    kw_np = {"u_weights": wu if side != "v" else None, "v_weights": wv if side != "u" else None}
    for p in (1.0, 2.5):
        want = float(wasserstein_1d(u, v, p=p, **kw_np))
        s = wasserstein_1d(xps.asarray(u), xps.asarray(v), p=p,
                           **{k: None if w is None else xps.asarray(w) for k, w in kw_np.items()})
        assert float(s) == pytest.approx(want, rel=1e-14)
    da = pytest.importorskip("dask.array")
    got = wasserstein_1d(da.from_array(u, chunks=7), da.from_array(v, chunks=4), p=2,
                         **{k: None if w is None else da.from_array(w, chunks=5)
                            for k, w in kw_np.items()})
    assert type(got) is da.Array
    assert float(got.compute()) == pytest.approx(float(wasserstein_1d(u, v, p=2, **kw_np)),
                                                 rel=1e-13)
    torch = pytest.importorskip("torch")
    # distinct values and positive weights: W_p is differentiable there (ties make it only
    # directionally so; central differences at a zero weight would step below 0)
    u = u + np.arange(13) * 1e-3
    wu = wu + 0.1

    def fn(a, b, wa, wb):
        return wasserstein_1d(a, b, p=2, u_weights=wa if side != "v" else None,
                              v_weights=wb if side != "u" else None)

    leaves = [torch.tensor(x, requires_grad=True) for x in (u, v, wu, wv)]
    out = fn(*leaves)
    out.backward()
    assert float(out.detach()) == pytest.approx(float(fn(u, v, wu, wv)), rel=1e-13)
    base = [u, v, wu, wv]
    for i, leaf in enumerate(leaves):
        if (i == 2 and side == "v") or (i == 3 and side == "u"):
            assert leaf.grad is None or np.all(leaf.grad.numpy() == 0)
            continue
        g = np.empty_like(base[i])
        for k in range(base[i].shape[0]):
            up, dn = [a.copy() for a in base], [a.copy() for a in base]
            h = 1e-7
            up[i][k] += h
            dn[i][k] -= h
            g[k] = (float(fn(*up)) - float(fn(*dn))) / (2 * h)
        np.testing.assert_allclose(leaf.grad.numpy(), g, rtol=1e-5, atol=1e-7)
