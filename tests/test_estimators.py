"""Sample-based estimators against known truth (fixed seeds, stated tolerances)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.spatial.distance import cdist, pdist

from divlab.errors import EstimationError, NonFiniteError, ParameterError, ShapeMismatchError
from divlab.estimators import (
    Estimate,
    energy_distance,
    half_sample_ci,
    knn_entropy,
    knn_js,
    knn_kl,
    median_bandwidth,
    mmd,
    permutation_test,
    plugin_js,
    plugin_kl,
    sliced_wasserstein_estimate,
    wasserstein_estimate,
)
from divlab.estimators._neighbors import knn_table, kth_kept
from divlab.estimators.kernel import _matrix, _stats_from_weights
from divlab.estimators.resampling import half_sample_masks, permutation_labels
from divlab.estimators.transport import _sorted_wpp


def gauss_kl(m1, v1, m2, v2):
    m1, v1, m2, v2 = map(np.atleast_1d, (m1, v1, m2, v2))
    return 0.5 * float(np.sum(v1 / v2 - 1 + (m2 - m1) ** 2 / v2 + np.log(v2 / v1)))


def js_quad_1d(m1, s1, m2, s2):
    """JS between two 1-D normals by adaptive quadrature (independent reference)."""
    p, q = stats.norm(m1, s1), stats.norm(m2, s2)

    def f(t):
        lp, lq = p.logpdf(t), q.logpdf(t)
        lm = np.logaddexp(lp, lq) - math.log(2)
        return 0.5 * math.exp(lp) * (lp - lm) + 0.5 * math.exp(lq) * (lq - lm)

    lo, hi = min(m1 - 12 * s1, m2 - 12 * s2), max(m1 + 12 * s1, m2 + 12 * s2)
    return integrate.quad(f, lo, hi, limit=200, points=[m1, m2])[0]


# ----------------------------------------------------------------------------- k-NN


@pytest.mark.parametrize(("d", "shift", "tol"), [(1, 1.0, 0.05), (3, 0.6, 0.08)])
@pytest.mark.parametrize("variant", ["fixed", "adaptive"])
def test_knn_kl_gaussians(d, shift, tol, variant):
    rng = np.random.default_rng(1)
    n = 4000
    x = rng.standard_normal((n, d))
    y = shift + 1.2 * rng.standard_normal((n, d))
    truth = gauss_kl(np.zeros(d), np.ones(d), np.full(d, shift), np.full(d, 1.44))
    est = knn_kl(x, y, variant=variant)
    assert isinstance(est, Estimate)
    assert abs(est.value - truth) < tol * max(1.0, truth) + 0.05 * truth


@pytest.mark.parametrize("d", [1, 3])
def test_knn_entropy_gaussian(d):
    x = np.random.default_rng(2).standard_normal((4000, d)) * 2.0
    truth = 0.5 * d * math.log(2 * math.pi * math.e * 4.0)
    assert abs(knn_entropy(x).value - truth) < 0.05


def test_knn_js_vs_quadrature_and_limits():
    rng = np.random.default_rng(3)
    x, y = rng.normal(0, 1, (4000, 1)), rng.normal(1.5, 1, (4000, 1))
    assert abs(knn_js(x, y).value - js_quad_1d(0, 1, 1.5, 1)) < 0.02
    far = knn_js(x, y + 100.0)
    assert far.value == pytest.approx(math.log(2), abs=0.01)  # disjoint supports
    same = knn_js(x, rng.normal(0, 1, (4000, 1)))
    assert 0.0 <= same.value < 0.01


def test_knn_js_unequal_sizes_subsamples():
    rng = np.random.default_rng(4)
    est = knn_js(rng.normal(size=(900, 2)), rng.normal(size=(300, 2)), rng=0)
    assert est.details["subsampled_to"] == 300
    assert est.n == (900, 300)


def test_knn_duplicates_all_equal_and_k():
    rng = np.random.default_rng(5)
    x = np.repeat(rng.normal(size=(200, 2)), 3, axis=0)  # every point three times
    y = rng.normal(size=(600, 2))
    from divlab.errors import DivlabWarning

    with pytest.warns(DivlabWarning, match="100 % in `x`"):  # every point has a twin
        kl_fixed = knn_kl(x, y)
    for est in (kl_fixed, knn_js(x, y), knn_entropy(x), knn_kl(x, y, variant="adaptive")):
        assert math.isfinite(est.value)
    assert kl_fixed.details["zero_floor"] > 0
    const = np.ones((50, 2))
    with pytest.raises(EstimationError, match="identical"):
        knn_kl(const, y)
    with pytest.raises(EstimationError):
        knn_entropy(const)
    assert knn_kl(const, const.copy()).value == 0.0
    assert knn_js(const, const.copy(), n_resamples=10).p_value == 1.0
    with pytest.raises(ParameterError, match="`k`"):
        knn_kl(y[:5], y, k=5)
    with pytest.raises(ParameterError, match="`k`"):
        knn_kl(y, y[:3], k=4)
    with pytest.raises(ParameterError, match="`k`"):
        knn_entropy(y[:3], k=3)
    with pytest.raises(ParameterError, match="`variant`"):
        knn_kl(y, y, variant="magic")


def test_knn_table_excludes_self_with_duplicates():
    x = np.array([[0.0], [0.0], [0.0], [1.0]])
    dist, idx = knn_table(x, None, 2)
    assert not np.any(idx == np.arange(4)[:, None])
    assert np.all(dist[:3] == 0.0)


def test_knn_list_resampling_matches_recomputation():
    """k-th neighbour among kept list entries == k-NN recomputed on the half-sample."""
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(300, 2)), rng.normal(0.5, 1, size=(300, 2))
    k = 2
    dxx, ixx = knn_table(x, None, 30)
    dxy, ixy = knn_table(y, x, 30)
    mx, my = half_sample_masks(300, 3, rng), half_sample_masks(300, 3, rng)
    rho, f1 = kth_kept(dxx, ixx, mx, k)
    nu, f2 = kth_kept(dxy, ixy, my, k)
    assert f1.all() and f2.all()
    for b in range(3):
        xb, yb = x[mx[b]], y[my[b]]
        ref_rho = knn_table(xb, None, k)[0][:, -1]
        ref_nu = knn_table(yb, xb, k)[0][:, -1]
        np.testing.assert_allclose(rho[b][mx[b]], ref_rho, rtol=1e-12)
        np.testing.assert_allclose(nu[b][mx[b]], ref_nu, rtol=1e-12)
        # and the statistic built from them equals knn_kl on the half-sample
        h = int(mx[b].sum())
        stat = 2 * np.mean(np.log(ref_nu) - np.log(ref_rho)) + math.log(my[b].sum() / (h - 1))
        assert stat == pytest.approx(knn_kl(xb, yb, k=k, whiten=False).value, rel=1e-12)


def test_knn_permutation_pvalues():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(300, 2)), rng.normal(1.0, 1, size=(300, 2))
    est = knn_kl(x, y, n_resamples=99, rng=0)
    assert est.p_value == pytest.approx(0.01)
    lo, hi = est.ci
    assert lo < est.value < hi
    js = knn_js(x, y, n_resamples=99, rng=0)
    assert js.p_value == pytest.approx(0.01) and js.ci[0] <= js.value <= js.ci[1]
    ps = [knn_kl(rng.normal(size=(80, 1)), rng.normal(size=(80, 1)), n_resamples=49,
                 rng=s).p_value for s in range(12)]
    assert 0.2 < np.mean(ps) < 0.8  # roughly uniform under H0


def test_knn_resampling_on_capped_subsample(monkeypatch):
    from divlab.estimators import knn

    monkeypatch.setattr(knn, "RESAMPLE_MAX_N", 150)
    rng = np.random.default_rng(21)
    x, y = rng.normal(size=(600, 2)), rng.normal(0.8, 1.0, size=(500, 2))
    for fn in (knn_kl, knn_js):
        est = fn(x, y, n_resamples=60, rng=0)
        assert est.details["resample_subsample"] == [150, 150]
        assert est.ci[0] <= est.value <= est.ci[1] and est.p_value == pytest.approx(1 / 61)
    z = rng.normal(size=(1200, 2))
    assert knn_kl(z[:600], z[600:], n_resamples=60, rng=0).p_value > 0.05
    wide = knn_kl(x[:150], y[:150], n_resamples=60, rng=0).ci
    narrow = knn_kl(x, y, n_resamples=60, rng=0).ci
    assert narrow[1] - narrow[0] < wide[1] - wide[0]  # width rescaled to the full size


def test_knn_backend_generic_path(backend):
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(120, 2)), rng.normal(0.5, 1.0, size=(150, 2))
    xb, yb = backend.asarray(x), backend.asarray(y)
    assert knn_kl(xb, yb, k=2).value == pytest.approx(knn_kl(x, y, k=2).value, rel=1e-9)
    assert knn_entropy(xb).value == pytest.approx(knn_entropy(x).value, rel=1e-9)
    assert knn_js(xb, yb, rng=0).value == pytest.approx(knn_js(x, y, rng=0).value, rel=1e-9)
    assert mmd(xb, yb, bandwidth=1.3).value == pytest.approx(
        mmd(x, y, bandwidth=1.3).value, rel=1e-9)
    assert energy_distance(xb, yb).value == pytest.approx(energy_distance(x, y).value, rel=1e-9)


# ----------------------------------------------------------------------------- kernel


def _mmd_naive(x, y, h):
    kxx = np.exp(-cdist(x, x, "sqeuclidean") / (2 * h * h))
    kyy = np.exp(-cdist(y, y, "sqeuclidean") / (2 * h * h))
    kxy = np.exp(-cdist(x, y, "sqeuclidean") / (2 * h * h))
    n, m = len(x), len(y)
    return ((kxx.sum() - n) / (n * (n - 1)) + (kyy.sum() - m) / (m * (m - 1))
            - 2 * kxy.mean())


def test_mmd_matches_naive_and_median_heuristic():
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(150, 3)), rng.normal(0.3, 1.0, size=(170, 3))
    assert mmd(x, y, bandwidth=0.8).value == pytest.approx(_mmd_naive(x, y, 0.8), rel=1e-10)
    h = median_bandwidth(x, y)
    assert h == pytest.approx(float(np.median(pdist(np.concatenate([x, y])))))
    est = mmd(x, y)
    assert est.details["bandwidth"] == pytest.approx(h)
    assert est.value == pytest.approx(_mmd_naive(x, y, h), rel=1e-10)


def test_mmd_unbiased_under_null():
    rng = np.random.default_rng(10)
    vals = [mmd(rng.normal(size=(60, 2)), rng.normal(size=(60, 2)), bandwidth=1.0).value
            for _ in range(150)]
    mean, se = np.mean(vals), np.std(vals) / math.sqrt(len(vals))
    assert abs(mean) < 3 * se
    assert min(vals) < 0 < max(vals)  # an unbiased statistic must go negative sometimes


def test_quadratic_form_resampling_matches_recomputation():
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=(40, 2)), rng.normal(0.5, 1.0, size=(30, 2))
    z = np.concatenate([x, y])
    lab = permutation_labels(40, 30, 5, rng)
    for kind in ("gauss", "dist"):
        K = _matrix(z, kind, 1.1)
        got = _stats_from_weights(K, lab.astype(float), (~lab).astype(float), kind)
        for b in range(5):
            a, c = z[lab[b]], z[~lab[b]]
            ref = (mmd(a, c, bandwidth=1.1).value if kind == "gauss"
                   else energy_distance(a, c).details["squared"])
            assert got[b] == pytest.approx(ref, rel=1e-9, abs=1e-12)


@settings(max_examples=25)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30),
       st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30))
def test_energy_distance_vs_scipy_1d(u, v):
    ref = stats.energy_distance(u, v)
    assert energy_distance(np.array(u), np.array(v)).value == pytest.approx(
        ref, rel=1e-7, abs=1e-6)


def test_energy_distance_nd_vs_naive():
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(50, 4)), rng.normal(size=(70, 4)) + 0.5
    e2 = 2 * cdist(x, y).mean() - cdist(x, x).mean() - cdist(y, y).mean()
    assert energy_distance(x, y).value == pytest.approx(math.sqrt(e2), rel=1e-10)


# ----------------------------------------------------------------------------- plug-in


def test_plugin_vs_discrete():
    from divlab.discrete import js, kl

    x = np.array([0, 0, 1, 2, 2, 2])
    y = np.array([0, 1, 1, 1, 2, 3])
    p = np.array([2, 1, 3, 0]) / 6
    q = np.array([1, 3, 1, 1]) / 6
    assert plugin_js(x, y).value == pytest.approx(float(js(p, q)), rel=1e-12)
    assert plugin_kl(y, x, smoothing=0).value == math.inf  # category 3 unseen in x
    a = 0.5
    pa, qa = (p * 6 + a) / (6 + 4 * a), (q * 6 + a) / (6 + 4 * a)
    assert plugin_kl(x, y).value == pytest.approx(float(kl(pa, qa)), rel=1e-12)
    assert plugin_kl(x, y).details["cells"] == 4


def test_plugin_histogram_and_resampling():
    rng = np.random.default_rng(13)
    x, y = rng.normal(size=(3000, 1)), rng.normal(1.0, 1.0, size=(3000, 1))
    est = plugin_kl(x, y, n_resamples=99, rng=0)
    assert "Freedman-Diaconis" in est.method
    assert abs(est.value - 0.5) < 0.1  # discretised KL <= 0.5 up to noise
    assert est.p_value == pytest.approx(0.01) and est.ci[0] < est.value < est.ci[1]
    js = plugin_js(x, y, bins=20)
    assert "20 equal-width" in js.method
    with pytest.raises(ParameterError, match="`bins`"):
        plugin_js(x, y, bins="nope")


# ----------------------------------------------------------------------------- transport


def test_wasserstein_estimates_vs_references():
    import ot

    rng = np.random.default_rng(14)
    u, v = rng.normal(size=300), rng.normal(0.5, 2.0, size=200)
    assert wasserstein_estimate(u, v).value == pytest.approx(stats.wasserstein_distance(u, v))
    x, y = rng.normal(size=(60, 2)), rng.normal(1.0, 1.0, size=(50, 2))
    w2 = math.sqrt(ot.emd2(np.full(60, 1 / 60), np.full(50, 1 / 50), ot.dist(x, y)))
    assert wasserstein_estimate(x, y, p=2).value == pytest.approx(w2, rel=1e-9)
    sub = wasserstein_estimate(x, y, max_exact_n=40, rng=0)
    assert sub.details["subsampled_to"] == [40, 40]
    est = wasserstein_estimate(x, y, n_resamples=50, rng=0)
    assert est.ci[0] < est.value < est.ci[1] and est.p_value < 0.05


def test_sorted_wpp_vs_pot_unequal_sizes():
    import ot

    rng = np.random.default_rng(15)
    a, b = np.sort(rng.normal(size=37)), np.sort(rng.normal(size=23))
    for p in (1.0, 2.0, 3.0):
        assert _sorted_wpp(a, b, p) == pytest.approx(ot.wasserstein_1d(a, b, p=p), rel=1e-10)


def test_sliced_wasserstein_shift_and_1d():
    rng = np.random.default_rng(16)
    x = rng.normal(size=(500, 3))
    shift = np.array([1.0, -2.0, 0.5])
    est = sliced_wasserstein_estimate(x, x + shift, n_projections=4000, rng=0)
    assert est.value == pytest.approx(np.linalg.norm(shift) / math.sqrt(3), rel=0.03)
    u, v = rng.normal(size=(100, 1)), rng.normal(size=(80, 1))
    assert sliced_wasserstein_estimate(u, v, rng=0).value == pytest.approx(
        wasserstein_estimate(u, v, p=2).value, rel=1e-10)
    est = sliced_wasserstein_estimate(x, x + 0.3, n_resamples=40, rng=0)
    assert est.p_value < 0.05
    # the resampling directions are those of divlab.ot.sliced_wasserstein (same seed)
    y = x + 0.3
    theta = np.random.default_rng(est.details["directions_seed"]).standard_normal((200, 3))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    mine = np.mean(_sorted_wpp(np.sort(theta @ x.T, axis=1), np.sort(theta @ y.T, axis=1), 2.0))
    assert math.sqrt(mine) == pytest.approx(est.value, rel=1e-10)


# ----------------------------------------------------------------------------- resampling


def test_half_sample_ci_coverage():
    """Half-sampling basic CIs of a mean difference cover the truth about 95 % of the time."""
    rng = np.random.default_rng(17)
    hits = 0
    reps = 60
    for s in range(reps):
        x, y = rng.normal(size=80), rng.exponential(size=60)
        lo, hi = half_sample_ci(lambda a, b: float(b.mean() - a.mean()), x, y,
                                n_resamples=200, rng=s)
        hits += lo <= 1.0 <= hi
    assert 0.85 <= hits / reps <= 1.0


def test_mmd_ci_coverage_and_pvalues():
    rng = np.random.default_rng(18)
    truth_h = 1.0
    # true MMD^2 of N(0,1) vs N(1,1) in 1-D with h = 1: closed form
    def ek(delta, s):
        return (1 + s / truth_h**2) ** -0.5 * math.exp(-0.5 * delta**2 / (truth_h**2 + s))
    truth = 2 * ek(0, 2) - 2 * ek(1.0, 2)
    hits, pnull = 0, []
    for s in range(30):
        x, y = rng.normal(size=(150, 1)), rng.normal(1.0, 1.0, size=(150, 1))
        est = mmd(x, y, bandwidth=truth_h, n_resamples=100, rng=s)
        hits += est.ci[0] <= truth <= est.ci[1]
        assert est.p_value < 0.02
        z = rng.normal(size=(100, 1))
        pnull.append(mmd(z[:50], z[50:], bandwidth=1.0, n_resamples=49, rng=s).p_value)
    assert hits >= 24  # nominal 95 %: at least 80 % of 30
    assert 0.3 < np.mean(pnull) < 0.7 and np.mean(np.array(pnull) < 0.1) < 0.3


def test_generic_permutation_test():
    rng = np.random.default_rng(19)
    x, y = rng.normal(size=50), rng.normal(size=50)
    p = permutation_test(lambda a, b: abs(float(a.mean() - b.mean())), x, y, rng=0)
    assert 0.0 < p <= 1.0
    assert permutation_test(lambda a, b: abs(float(a.mean() - b.mean())), x, y + 3,
                            n_resamples=99, rng=0) == pytest.approx(0.01)


def test_input_contract():
    rng = np.random.default_rng(20)
    x = rng.normal(size=(20, 2))
    for fn in (knn_kl, knn_js, mmd, energy_distance, plugin_js, wasserstein_estimate):
        with pytest.raises(NonFiniteError, match="`x`"):
            fn(np.where(np.arange(40).reshape(20, 2) == 3, np.nan, x), x)
        with pytest.raises(ShapeMismatchError):
            fn(x, rng.normal(size=(20, 3)))
    with pytest.raises(ParameterError, match="`alpha`"):
        mmd(x, x, alpha=1.5)
    with pytest.raises(ParameterError, match="`n_resamples`"):
        knn_kl(x, x, n_resamples=-1)
    with pytest.raises(ParameterError, match="`bandwidth`"):
        mmd(x, x, bandwidth=0.0)


def test_estimate_serialisation():
    e = Estimate(math.inf, (1.0, math.inf), "m", (3, 4), {"a": np.float64(2.0), "b": np.arange(3)},
                 0.5)
    d = e.to_dict()
    assert d["value"] == "inf" and d["ci"] == [1.0, "inf"]
    assert d["details"] == {"a": 2.0, "b": [0, 1, 2]}
    assert "m" in str(e) and float(Estimate(2.0)) == 2.0


def test_knn_kl_warns_when_neighbour_distances_are_zero():
    """knn_kl(x, x) is -4.1 nats instead of 0 (every cross distance is 0 and floored): the
    estimate is documented, but it must not come back silently (found in review). Continuous
    independent samples give no warning."""
    import warnings

    import array_api_strict as xs

    from divlab.errors import DivlabWarning

    x = np.random.default_rng(0).normal(size=(300, 1))
    y = np.random.default_rng(1).normal(size=(300, 1))
    with pytest.warns(DivlabWarning, match=r"100 % of the points of `x`.*plugin_kl"):
        knn_kl(x, x)
    with pytest.warns(DivlabWarning, match="distance 0"):
        knn_kl(xs.asarray(x), xs.asarray(x))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivlabWarning)
        knn_kl(x, y)


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_knn_estimators_at_extreme_scales(scale):
    """cKDTree distances overflow beyond ~1e154 (found: NaN values and a raw IndexError in
    the resampling): samples are rescaled by an exact power of two. KL and JS are scale-free
    (values, CIs and p-values equal the unscaled ones), the entropy shifts by d log(scale)."""
    import warnings

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 3)), rng.normal(size=(60, 3)) + 0.5
    kw = {"n_resamples": 10, "rng": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in (knn_kl, knn_js):
            a, b = fn(x, y, **kw), fn(x * scale, y * scale, **kw)
            assert b.value == pytest.approx(a.value, rel=1e-12, abs=1e-12)
            np.testing.assert_allclose(b.ci, a.ci, rtol=1e-12, atol=1e-12)
            assert b.p_value == a.p_value
        a, b = knn_entropy(x, **kw), knn_entropy(x * scale, **kw)
        shift = 3 * math.log(scale)
        assert b.value - shift == pytest.approx(a.value, rel=1e-12)
        np.testing.assert_allclose(np.array(b.ci) - shift, a.ci, rtol=1e-12)


def test_knn_estimators_on_discrete_data_raise_or_warn():
    """Integer data with few values: every k-th neighbour distance is 0, so no positive
    floor exists (found: -inf and a RuntimeWarning): EstimationError pointing to the plug-in
    estimators. Many ties short of that: a DivlabWarning (knn_js returned 0.0 silently)."""
    from divlab.errors import DivlabWarning

    rng = np.random.default_rng(0)
    ints = rng.integers(0, 3, size=(100, 2))
    with pytest.raises(EstimationError, match="plugin_kl"), pytest.warns(DivlabWarning):
        knn_entropy(ints)
    with pytest.raises(EstimationError, match="plugin_kl"), pytest.warns(DivlabWarning):
        knn_kl(ints, rng.integers(0, 3, size=(80, 2)))
    with pytest.raises(EstimationError, match="plugin_kl"), pytest.warns(DivlabWarning):
        knn_js(rng.random((100, 2)) > 0.5, rng.random((100, 2)) > 0.2)
    # half the points of x are 12 copies of 5 points: finite, but flagged
    x = np.concatenate([rng.normal(size=(60, 2)), np.repeat(rng.normal(size=(5, 2)), 12, 0)])
    with pytest.warns(DivlabWarning, match=r"k-NN JS: \d+ % of the k-th neighbour distances"):
        assert math.isfinite(knn_js(x, rng.normal(size=(120, 2))).value)


def test_plugin_subset_counts_are_multivariate_hypergeometric():
    """The cell counts of random subsets (half-samples, relabellings) are drawn directly:
    each row sums to the subset size, stays within the counts, and has the hypergeometric
    mean and variance in every cell."""
    from divlab.estimators.plugin import _subset_counts

    k = np.array([500, 300, 150, 40, 10])
    N, size, B = int(k.sum()), 600, 4000
    c = _subset_counts(k, size, B, np.random.default_rng(3))
    assert c.shape == (B, k.size) and c.dtype == np.float64
    assert np.all(c.sum(axis=1) == size) and np.all((c >= 0) & (c <= k))
    p = k / N
    var = size * p * (1 - p) * (N - size) / (N - 1)
    assert np.all(np.abs(c.mean(axis=0) - size * p) < 5 * np.sqrt(var / B))
    np.testing.assert_allclose(c.var(axis=0, ddof=1), var, rtol=0.15)


def test_plugin_interval_matches_the_naive_half_sampling_reference():
    """The half-sample counts drawn directly give the interval that recomputing the plug-in
    KL on half-samples of the points gives (widths within resampling noise)."""
    from divlab.estimators.resampling import half_sample_ci

    rng = np.random.default_rng(8)
    x, y = rng.integers(0, 6, 2000), rng.integers(0, 7, 2000)
    est = plugin_kl(x, y, n_resamples=400, rng=0)
    lo, hi = half_sample_ci(lambda a, b: plugin_kl(a, b).value, x, y, n_resamples=400, rng=1)
    assert (est.ci[1] - est.ci[0]) == pytest.approx(hi - lo, rel=0.25)
    assert est.ci[0] < est.value < est.ci[1]
