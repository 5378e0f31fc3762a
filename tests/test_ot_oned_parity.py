"""Issue #10, points 1 and 6 (1-D): the unweighted path of ``wasserstein``, batched 1-D W
along an axis, the monotone transport plan, argument hints."""

from __future__ import annotations

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
