"""Backends, autograd and the result convention of divlab.ot, divlab.gaussian and densities.

* PyTorch float64 tensors with ``requires_grad=True`` flow through ``wasserstein_1d``,
  ``sliced_wasserstein``, ``gaussian_kl`` and ``gaussian_w2``: results are 0-d tensors of the
  input dtype, gradients match closed forms (sorted pairing on the line, 1-D / diagonal
  Gaussian formulas) or central differences of the NumPy path; the exact power-of-two
  rescaling of extreme inputs is a constant for autograd (gradients of 1-homogeneous
  distances are unchanged by scaling the inputs).
* Result convention: NumPy input gives a NumPy scalar of its float dtype (float32 stays
  float32), other namespaces a 0-d array of that namespace; result objects hold ``.value``
  the same way and have short reprs.
* One cost-matrix check for every solver; POT is imported only by the simplex.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import divlab
from divlab._array import device_rescale_pair, pow2_floor
from divlab.densities import QuadratureResult, density_f_divergence
from divlab.errors import (
    DTypeError,
    EmptyInputError,
    NonFiniteError,
    NotPositiveDefiniteError,
    ShapeMismatchError,
)
from divlab.gaussian import (
    gaussian_bhattacharyya,
    gaussian_kl,
    gaussian_squared_hellinger,
    gaussian_w2,
)
from divlab.ot import (
    OTResult,
    dual_lp,
    emd,
    kr_witness,
    max_sliced_wasserstein,
    sinkhorn,
    sinkhorn_divergence,
    sliced_wasserstein,
    wasserstein,
    wasserstein_1d,
)
from divlab.ot.oned import uniform_quantile_grid, wasserstein_1d_power


def _torch():
    return pytest.importorskip("torch")


def _leaf(torch, a, dtype=None):
    return torch.tensor(np.asarray(a), dtype=dtype or torch.float64, requires_grad=True)


def _grads(torch, fn, *arrays):
    """Value and gradients of ``fn`` at float64 leaves built from ``arrays``."""
    leaves = [_leaf(torch, a) for a in arrays]
    out = fn(*leaves)
    assert isinstance(out, torch.Tensor) and out.ndim == 0 and out.dtype == torch.float64
    out.backward()
    return float(out.detach()), [np.zeros(leaf.shape) if leaf.grad is None else leaf.grad.numpy()
                                 for leaf in leaves]


def _central_differences(fn, arrays, index, h=1e-7):
    """Central differences of the NumPy path of ``fn`` w.r.t. ``arrays[index]``."""
    base = [np.array(a, dtype=np.float64) for a in arrays]
    x = base[index]
    g = np.empty_like(x)
    for k in np.ndindex(x.shape):
        step = h * max(1.0, abs(x[k]))
        up, dn = [a.copy() for a in base], [a.copy() for a in base]
        up[index][k] += step
        dn[index][k] -= step
        g[k] = (float(fn(*up)) - float(fn(*dn))) / (2 * step)
    return g


# ------------------------------------------------------------------------------- wasserstein_1d
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, 1.5])
def test_wasserstein_1d_torch_gradient_is_the_sorted_pairing(p):
    rng = np.random.default_rng(101)
    torch = _torch()
    n = 9
    u, v = rng.normal(size=n), rng.normal(size=n) + 0.3
    val, (gu, gv) = _grads(torch, lambda a, b: wasserstein_1d(a, b, p=p), u, v)
    # W_p^p = (1/n) sum_i |u_(i) - v_(i)|^p; d/du_(i) W_p^p = p |r_i|^(p-1) sign(r_i) / n
    ou, ov = np.argsort(u), np.argsort(v)
    r = u[ou] - v[ov]
    wpp = np.mean(np.abs(r) ** p)
    dwpp = p * np.abs(r) ** (p - 1) * np.sign(r) / n
    chain = wpp ** (1 / p - 1) / p  # d W_p / d W_p^p
    want_u, want_v = np.empty(n), np.empty(n)
    want_u[ou], want_v[ov] = chain * dwpp, -chain * dwpp
    assert val == pytest.approx(wpp ** (1 / p), rel=1e-13)
    np.testing.assert_allclose(gu, want_u, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gv, want_v, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("p", [1.0, 2.0, 2.5])
def test_wasserstein_1d_torch_gradient_unequal_sizes(weighted, p):
    rng = np.random.default_rng(102)
    torch = _torch()
    u, v = rng.normal(size=7), rng.normal(size=4) * 2
    wu, wv = rng.random(7) + 0.5, rng.random(4) + 0.5

    def fn(a, b, wa, wb):
        kw = {"u_weights": wa, "v_weights": wb} if weighted else {}
        return wasserstein_1d(a, b, p=p, **kw)

    val, grads = _grads(torch, fn, u, v, wu, wv)
    assert val == pytest.approx(float(fn(u, v, wu, wv)), rel=1e-13)
    for i in range(4 if weighted else 2):
        want = _central_differences(fn, (u, v, wu, wv), i)
        np.testing.assert_allclose(grads[i], want, rtol=1e-6, atol=1e-8)
    if not weighted:
        assert np.all(grads[2] == 0) and np.all(grads[3] == 0)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_wasserstein_1d_torch_extreme_scale_keeps_the_gradient(p):
    """W_p is 1-homogeneous, so its gradient is scale-free: at coordinates near the float
    maximum (where the samples are divided by a power of two on the device) it is the
    gradient of the unscaled problem."""
    rng = np.random.default_rng(103)
    torch = _torch()
    u, v = rng.normal(size=6), rng.normal(size=6) + 1.0
    val, g = _grads(torch, lambda a, b: wasserstein_1d(a, b, p=p), u, v)
    s = 2.0**1020  # differences near 1e307: beyond 1/4 of the range over 12 terms
    val_s, g_s = _grads(torch, lambda a, b: wasserstein_1d(a, b, p=p), u * s, v * s)
    assert val_s == pytest.approx(val * s, rel=1e-13)
    for a, b in zip(g, g_s, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-15)


def test_wasserstein_1d_power_torch():
    rng = np.random.default_rng(104)
    torch = _torch()
    u, v = rng.normal(size=5), rng.normal(size=5)
    val, (gu, _) = _grads(torch, lambda a, b: wasserstein_1d_power(a, b, p=2), u, v)
    ou, ov = np.argsort(u), np.argsort(v)
    r = u[ou] - v[ov]
    want = np.empty(5)
    want[ou] = 2 * r / 5
    assert val == pytest.approx(np.mean(r * r), rel=1e-13)
    np.testing.assert_allclose(gu, want, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------- sliced_wasserstein
@pytest.mark.parametrize("p", [1.0, 2.0, 1.5])
@pytest.mark.parametrize("case", ["equal", "unequal", "weighted"])
def test_sliced_wasserstein_torch_gradient(p, case):
    rng = np.random.default_rng(105)
    torch = _torch()
    n, m = (6, 6) if case == "equal" else (6, 4)
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(m, 2)) + np.array([0.5, -0.2])
    a = rng.random(n) + 0.5 if case == "weighted" else None

    def fn(xx, yy):
        w = None if a is None else (a if isinstance(xx, np.ndarray) else torch.tensor(a))
        return sliced_wasserstein(xx, yy, n_projections=7, p=p, a=w, rng=3)

    val, (gx, gy) = _grads(torch, fn, x, y)
    assert val == pytest.approx(float(fn(x, y)), rel=1e-13)
    np.testing.assert_allclose(gx, _central_differences(fn, (x, y), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gy, _central_differences(fn, (x, y), 1), rtol=1e-6, atol=1e-8)


def test_sliced_wasserstein_torch_extreme_scale_keeps_the_gradient():
    rng = np.random.default_rng(106)
    torch = _torch()
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(7, 3))

    def fn(xx, yy):
        return sliced_wasserstein(xx, yy, n_projections=5, rng=1)

    val, g = _grads(torch, fn, x, y)
    s = 2.0**700  # beyond 1e50: coordinates divided by a power of two on the device
    val_s, g_s = _grads(torch, fn, x * s, y * s)
    assert val_s == pytest.approx(val * s, rel=1e-13)
    for a, b in zip(g, g_s, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------------- Gaussians
def _kl_1d(m1, v1, m2, v2):
    return 0.5 * (v1 / v2 - 1 - np.log(v1 / v2) + (m1 - m2) ** 2 / v2)


@pytest.mark.parametrize("d", [1, 3])
def test_gaussian_kl_torch_gradient_diagonal(d):
    rng = np.random.default_rng(107)
    torch = _torch()
    m1, m2 = rng.normal(size=d), rng.normal(size=d)
    v1, v2 = rng.random(d) + 0.3, rng.random(d) + 0.3
    val, (gm1, gv1, gm2, gv2) = _grads(torch, gaussian_kl, m1, v1, m2, v2)
    dm = m1 - m2
    assert val == pytest.approx(np.sum(_kl_1d(m1, v1, m2, v2)), rel=1e-13)
    np.testing.assert_allclose(gm1, dm / v2, rtol=1e-12)
    np.testing.assert_allclose(gm2, -dm / v2, rtol=1e-12)
    np.testing.assert_allclose(gv1, 0.5 * (1 / v2 - 1 / v1), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gv2, 0.5 * (1 / v2 - v1 / v2**2 - dm**2 / v2**2), rtol=1e-12,
                               atol=1e-15)


def test_gaussian_kl_torch_gradient_scalar_variance_and_extreme_ratio():
    torch = _torch()
    # variance ratio 1e-300: the logarithm is taken of the ratio (or of each variance)
    m1, v1, m2, v2 = 0.2, 1e-300, -0.1, 2.0
    val, (gm1, gv1, _, gv2) = _grads(torch, gaussian_kl, m1, v1, m2, v2)
    assert val == pytest.approx(_kl_1d(m1, v1, m2, v2), rel=1e-13)
    assert gm1 == pytest.approx((m1 - m2) / v2, rel=1e-12)
    assert gv1 == pytest.approx(0.5 * (1 / v2 - 1 / v1), rel=1e-12)
    assert gv2 == pytest.approx(0.5 * (1 / v2 - v1 / v2**2 - (m1 - m2) ** 2 / v2**2), rel=1e-12)


def _spd(d, seed):
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T + d * np.eye(d) * (1 + 0.1 * np.arange(d))  # distinct eigenvalues


def _sym_directional(fn, arrays, index, i, j, h=1e-6):
    """Derivative of the NumPy path along E_ij + E_ji of the (symmetric) ``arrays[index]``."""
    up = [np.array(a, dtype=np.float64) for a in arrays]
    dn = [np.array(a, dtype=np.float64) for a in arrays]
    for k, l in {(i, j), (j, i)}:  # E_ii once on the diagonal
        up[index][k, l] += h
        dn[index][k, l] -= h
    return (float(fn(*up)) - float(fn(*dn))) / (2 * h)


@pytest.mark.parametrize("fn", [gaussian_kl, gaussian_w2], ids=["kl", "w2"])
def test_gaussian_full_covariance_torch_gradient(fn):
    rng = np.random.default_rng(108)
    torch = _torch()
    d = 3
    m1, m2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = _spd(d, 1), _spd(d, 2) * 0.7
    val, (gm1, gs1, gm2, gs2) = _grads(torch, fn, m1, s1, m2, s2)
    assert val == pytest.approx(float(fn(m1, s1, m2, s2)), rel=1e-12)
    np.testing.assert_allclose(gm1, _central_differences(fn, (m1, s1, m2, s2), 0), rtol=1e-6,
                               atol=1e-8)
    np.testing.assert_allclose(gm2, _central_differences(fn, (m1, s1, m2, s2), 2), rtol=1e-6,
                               atol=1e-8)
    for idx, g in ((1, gs1), (3, gs2)):
        for i in range(d):
            for j in range(i, d):
                want = _sym_directional(fn, (m1, s1, m2, s2), idx, i, j)
                got = g[i, j] + g[j, i] if i != j else g[i, i]
                assert got == pytest.approx(want, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("d", [1, 4])
def test_gaussian_w2_torch_gradient_diagonal(d):
    rng = np.random.default_rng(109)
    torch = _torch()
    m1, m2 = rng.normal(size=d), rng.normal(size=d)
    v1, v2 = rng.random(d) + 0.3, rng.random(d) + 0.3
    val, (gm1, gv1, gm2, gv2) = _grads(torch, gaussian_w2, m1, v1, m2, v2)
    r = np.sqrt(v1) - np.sqrt(v2)
    w = math.sqrt(np.sum((m1 - m2) ** 2) + np.sum(r * r))
    assert val == pytest.approx(w, rel=1e-13)
    np.testing.assert_allclose(gm1, (m1 - m2) / w, rtol=1e-12)
    np.testing.assert_allclose(gm2, -(m1 - m2) / w, rtol=1e-12)
    np.testing.assert_allclose(gv1, r / (2 * w * np.sqrt(v1)), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gv2, -r / (2 * w * np.sqrt(v2)), rtol=1e-12, atol=1e-15)


def test_gaussian_w2_torch_equal_means_and_extreme_scales():
    """Equal means (a zero mean part) and means 1e200 apart (the rescaled path) both give
    finite, correct gradients: the rescaling exponents carry no gradient and no NaN."""
    torch = _torch()
    val, (gm1, gv1, gm2, gv2) = _grads(torch, gaussian_w2, 0.5, 2.0, 0.5, 1.0)
    w = abs(math.sqrt(2.0) - 1.0)
    assert val == pytest.approx(w, rel=1e-13)
    assert gm1 == 0.0 and gm2 == 0.0
    assert gv1 == pytest.approx(1 / (2 * math.sqrt(2.0)), rel=1e-12)
    assert gv2 == pytest.approx(-1 / 2, rel=1e-12)
    m1, m2 = np.array([3e200, 1.0]), np.array([-1e200, 2.0])
    val, (gm1, gv1, gm2, gv2) = _grads(torch, gaussian_w2, m1, np.ones(2), m2, np.ones(2) * 4)
    w = math.hypot(4e200, 1.0)
    assert val == pytest.approx(w, rel=1e-13)
    np.testing.assert_allclose(gm1, (m1 - m2) / w, rtol=1e-12)
    assert np.all(np.isfinite(gv1)) and np.all(np.isfinite(gv2))


@pytest.mark.parametrize("fn", [gaussian_kl, gaussian_w2, gaussian_bhattacharyya,
                                gaussian_squared_hellinger])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gaussian_torch_results_keep_dtype(fn, dtype):
    torch = _torch()
    dt = getattr(torch, dtype)
    m1, m2 = torch.tensor([0.0, 1.0], dtype=dt), torch.tensor([0.5, -1.0], dtype=dt)
    s1 = torch.tensor(_spd(2, 3), dtype=dt)
    for c2 in (torch.tensor([1.0, 2.0], dtype=dt), torch.tensor(_spd(2, 4), dtype=dt)):
        out = fn(m1, s1, m2, c2)
        assert isinstance(out, torch.Tensor) and out.ndim == 0 and out.dtype == dt
        ref = float(fn(m1.numpy().astype(np.float64), s1.numpy().astype(np.float64),
                       m2.numpy().astype(np.float64), c2.numpy().astype(np.float64)))
        assert float(out) == pytest.approx(ref, rel=1e-12 if dtype == "float64" else 1e-4)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_ot_torch_results_keep_dtype(dtype):
    rng = np.random.default_rng(110)
    torch = _torch()
    dt = getattr(torch, dtype)
    x = torch.tensor(rng.normal(size=(6, 2)), dtype=dt)
    y = torch.tensor(rng.normal(size=(5, 2)), dtype=dt)
    for out in (wasserstein_1d(x[:, 0], y[:, 0], p=2), sliced_wasserstein(x, y, rng=0),
                wasserstein(x, y), emd(None, None, torch.cdist(x, y)).value):
        assert isinstance(out, torch.Tensor) and out.ndim == 0 and out.dtype == dt


# ------------------------------------------------------------------------- result convention
def _scalar_results(make, rng):
    """(name, result) of every scalar-valued public function, inputs built by ``make``."""
    x, y = make(rng.normal(size=(8, 2))), make(rng.normal(size=(6, 2)) + 0.5)
    u, v = make(rng.normal(size=8)), make(rng.normal(size=6))
    c = make(np.abs(rng.normal(size=(4, 5))))
    m1, m2, s1, v2 = (make(rng.normal(size=2)), make(rng.normal(size=2)), make(_spd(2, 5)),
                      make(rng.random(2) + 0.5))
    return [
        ("wasserstein_1d", wasserstein_1d(u, v, p=2)),
        ("wasserstein_1d_power", wasserstein_1d_power(u, v, p=2)),
        ("wasserstein", wasserstein(x, y, p=2)),
        ("sliced_wasserstein", sliced_wasserstein(x, y, rng=0)),
        ("max_sliced_wasserstein", max_sliced_wasserstein(x, y, rng=0, n_steps=3)),
        ("sinkhorn_divergence", sinkhorn_divergence(x, y, epsilon=0.5)),
        ("emd.value", emd(None, None, c).value),
        ("emd.dual_value", emd(None, None, c).dual_value),
        ("sinkhorn.value", sinkhorn(None, None, c, epsilon=0.5).value),
        ("sinkhorn.dual_value", sinkhorn(None, None, c, epsilon=0.5).dual_value),
        ("dual_lp.value", dual_lp(None, None, c).value),
        ("kr_witness.value", kr_witness(x, y).value),
        ("kr_witness.mean_difference", kr_witness(x, y).mean_difference()),
        ("gaussian_kl", gaussian_kl(m1, s1, m2, v2)),
        ("gaussian_w2", gaussian_w2(m1, s1, m2, v2)),
        ("gaussian_bhattacharyya", gaussian_bhattacharyya(m1, s1, m2, v2)),
        ("gaussian_squared_hellinger", gaussian_squared_hellinger(m1, s1, m2, v2)),
    ]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numpy_results_are_numpy_scalars_of_the_input_dtype(dtype):
    rng = np.random.default_rng(7)
    for name, out in _scalar_results(lambda a: np.asarray(a, dtype=dtype), rng):
        assert type(out) is dtype, (name, type(out))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_array_api_strict_results_are_0d_arrays(dtype):
    xs = pytest.importorskip("array_api_strict")
    dt = getattr(xs, dtype)
    for name, out in _scalar_results(lambda a: xs.asarray(np.asarray(a), dtype=dt),
                                     np.random.default_rng(7)):
        assert type(out) is type(xs.asarray(1.0)), (name, type(out))
        assert out.ndim == 0 and out.dtype == dt, name


def test_dask_results_stay_lazy_and_agree():
    rng = np.random.default_rng(111)
    da = pytest.importorskip("dask.array")
    u, v = rng.normal(size=40), rng.normal(size=30)
    x, y = rng.normal(size=(20, 2)), rng.normal(size=(16, 2))
    du, dv = da.from_array(u, chunks=20), da.from_array(v, chunks=15)
    dx, dy = da.from_array(x, chunks=(10, 2)), da.from_array(y, chunks=(8, 2))
    for got, want in ((wasserstein_1d(du, dv, p=2), wasserstein_1d(u, v, p=2)),
                      (sliced_wasserstein(dx, dy, rng=0), sliced_wasserstein(x, y, rng=0)),
                      (gaussian_kl(du[:3], da.ones(3), dv[:3], da.ones(3) * 2),
                       gaussian_kl(u[:3], np.ones(3), v[:3], np.ones(3) * 2)),
                      (gaussian_w2(du[:3], da.ones(3), dv[:3], da.ones(3) * 2),
                       gaussian_w2(u[:3], np.ones(3), v[:3], np.ones(3) * 2))):
        assert type(got) is da.Array and got.ndim == 0
        assert float(got.compute()) == pytest.approx(float(want), rel=1e-13)


def test_result_objects_keep_float32_and_float():
    rng = np.random.default_rng(112)
    c = np.abs(rng.normal(size=(5, 4))).astype(np.float32)
    for res in (emd(None, None, c), sinkhorn(None, None, c, epsilon=0.5),
                dual_lp(None, None, c)):
        assert isinstance(res, OTResult)
        for v in (res.value, res.dual_value, res.duality_gap, res.marginal_error):
            assert type(v) is np.float32
        assert isinstance(float(res), float) and float(res) == float(res.value)
    x = rng.normal(size=(5, 2)).astype(np.float32)
    phi = kr_witness(x, x[::-1] + 1)
    assert type(phi.value) is np.float32 and float(phi) == float(phi.value)
    q = density_f_divergence(_norm(0, 1), _norm(1, 1), "kl")
    assert isinstance(q, QuadratureResult) and type(q.value) is np.float64
    assert float(q) == pytest.approx(0.5, rel=1e-12)


def _norm(m, s):
    from scipy import stats

    return stats.norm(m, s)


def test_reprs_are_short():
    rng = np.random.default_rng(113)
    x, y = rng.normal(size=(200, 2)), rng.normal(size=(300, 2))
    c = divlab.pairwise_cost(x, y)
    for obj in (emd(None, None, c), sinkhorn(None, None, c, epsilon=0.5), kr_witness(x, y),
                density_f_divergence(_norm(0, 1), _norm(1, 1), "kl")):
        text = repr(obj)
        assert len(text) < 400, text
        assert text.count("\n") <= 4
        assert "(200, 300)" in text or "(500, 2)" in text or "Quadrature" in text


# ------------------------------------------------------------------------ one cost-matrix check
_SOLVERS = {
    "emd": lambda c: emd(None, None, c),
    "sinkhorn": lambda c: sinkhorn(None, None, c, epsilon=0.5),
    "dual_lp": lambda c: dual_lp(None, None, c),
}


@pytest.mark.parametrize("solver", sorted(_SOLVERS))
def test_every_solver_checks_the_cost_matrix_the_same_way(solver):
    run = _SOLVERS[solver]
    c = np.ones((3, 4))
    bad = c.copy()
    bad[1, 2] = np.nan
    with pytest.raises(NonFiniteError, match=r"`cost` contains 1 NaN value\(s\); first at "
                                             r"index \(1, 2\)"):
        run(bad)
    bad[1, 2] = -np.inf
    with pytest.raises(NonFiniteError, match=r"-inf.*\(1, 2\).*unbounded"):
        run(bad)
    with pytest.raises(ShapeMismatchError, match="`cost` must be a 2-D"):
        run(np.ones((2, 2, 2)))
    with pytest.raises(EmptyInputError, match="`cost` is empty"):
        run(np.ones((0, 3)))
    with pytest.raises(DTypeError, match="`cost`"):
        run(np.ones((2, 2), dtype=complex))
    bad[1, 2] = np.inf
    if solver == "dual_lp":
        with pytest.raises(NonFiniteError, match=r"\+inf.*finite costs"):
            run(bad)
    else:  # +inf marks a forbidden pair
        assert run(bad).converged


# ------------------------------------------------------------------------------- lazy POT
def test_pot_is_imported_only_by_the_simplex():
    code = (
        "import sys, divlab, divlab.ot, divlab.ot.exact, divlab.ot.dual, divlab.ot.entropic, "
        "divlab.ot.sliced, divlab.gaussian, divlab.densities\n"
        "divlab.wasserstein_1d([0.0, 1.0], [2.0, 3.5])\n"
        "divlab.sliced_wasserstein([[0.0, 1.0]], [[2.0, 3.5]], rng=0)\n"
        "divlab.sinkhorn(None, None, [[0.0, 1.0], [1.0, 0.0]], epsilon=0.1)\n"
        "divlab.gaussian_w2(0.0, 1.0, 1.0, 2.0)\n"
        "assert 'ot' not in sys.modules, 'POT imported'\n"
        "divlab.emd(None, None, [[0.0, 1.0], [1.0, 0.0]])\n"
        "assert 'ot' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------- homes and helpers
def test_each_thing_in_its_own_house():
    import divlab.errors
    import divlab.gaussian

    assert divlab.density_f_divergence is density_f_divergence
    assert not hasattr(divlab.gaussian, "density_f_divergence")
    assert not hasattr(divlab.gaussian, "QuadratureResult")
    assert "NotPositiveDefiniteError" in divlab.errors.__all__
    with pytest.raises(NotPositiveDefiniteError):
        gaussian_kl(0.0, -1.0, 0.0, 1.0)


def test_pow2_floor_is_exact_over_the_whole_range():
    import array_api_compat.numpy as xp

    for dt, lo, hi in ((np.float64, -1074, 1023), (np.float32, -149, 127)):
        k = np.arange(lo, hi + 1)
        p2 = np.ldexp(np.ones(k.size, dtype=dt), k)
        np.testing.assert_array_equal(pow2_floor(xp.asarray(p2), xp), p2)
        below = np.nextafter(p2[1:], dt(0))  # just below a power of two: the one before
        np.testing.assert_array_equal(pow2_floor(xp.asarray(below), xp), p2[:-1])
        top = np.asarray(np.finfo(dt).max)
        assert pow2_floor(xp.asarray(top), xp) == p2[-1]
    assert float(pow2_floor(xp.asarray(0.0), xp)) == 1.0
    assert float(pow2_floor(xp.asarray(np.inf), xp)) == 1.0


def test_device_rescale_pair_at_the_float_maximum():
    import array_api_compat.numpy as xp

    fmax = np.finfo(np.float64).max
    x, y, s = device_rescale_pair(np.array([fmax, -1.0]), np.array([0.5]), xp)
    assert float(s) == 2.0**1023 and np.all(np.isfinite(x)) and float(x[0] * s) == fmax
    x, y, s = device_rescale_pair(np.array([3.0]), np.array([-2.0]), xp, power=2)
    assert float(s) == 1.0 and x[0] == 3.0 and y[0] == -2.0


def test_uniform_quantile_grid_matches_a_merge():
    for n, m in ((1, 1), (2, 3), (4, 2), (7, 5), (12, 8)):
        dk, iu, iv = uniform_quantile_grid(n, m)
        t = np.concatenate([np.arange(1, n + 1) * m, np.arange(1, m + 1) * n])
        order = np.argsort(t, kind="stable")
        ts = t[order]
        np.testing.assert_array_equal(dk, np.diff(ts, prepend=0))
        assert dk.sum() == n * m
        isu = (order < n).astype(int)
        live = dk > 0  # indices on zero-length intervals (common breakpoints) do not matter
        np.testing.assert_array_equal(iu[live], (np.cumsum(isu) - isu)[live])
        np.testing.assert_array_equal(iv[live], (np.cumsum(1 - isu) - (1 - isu))[live])
