"""FID (frechet_distance), its streaming statistics, FID-infinity and the FID interval.

References: the pytorch-fid formula (scipy.linalg.sqrtm of the product, reimplemented below
from mseitzer/pytorch-fid ``calculate_frechet_distance``), a 50-digit mpmath evaluation for
rank-deficient covariances, and the Gaussian closed form for FID-infinity.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.linalg

from divlab import gaussian_w2
from divlab.errors import (
    BackendError,
    EmptyInputError,
    NonFiniteError,
    NotPositiveDefiniteError,
    ShapeMismatchError,
)
from divlab.generative import FrechetStats, fid, fid_infinity, frechet_distance


def pytorch_fid_formula(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """mseitzer/pytorch-fid ``calculate_frechet_distance`` (reimplemented)."""
    diff = mu1 - mu2
    covmean = scipy.linalg.sqrtm(sigma1.dot(sigma2))  # disp=False in pytorch-fid (deprecated)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError("Imaginary component")
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def stats(a):
    return np.mean(a, axis=0), np.cov(a, rowvar=False)


def features(rng, n, d, shift=0.0, mix=0.3):
    a = rng.standard_normal((n, d))
    return a + mix * np.tanh(a[:, ::-1]) + shift


def mp_fid(x, y, dps=50):
    """FID with 50 digits: eigenvalues of S1 S2 (real, >= 0) by mpmath."""
    mpmath.mp.dps = dps

    def mstats(a):
        a = mpmath.matrix(a.tolist())
        n, d = a.rows, a.cols
        mu = [mpmath.fsum(a[i, j] for i in range(n)) / n for j in range(d)]
        c = mpmath.matrix(d, d)
        for j in range(d):
            for k in range(d):
                c[j, k] = mpmath.fsum((a[i, j] - mu[j]) * (a[i, k] - mu[k])
                                      for i in range(n)) / (n - 1)
        return mu, c

    m1, s1 = mstats(x)
    m2, s2 = mstats(y)
    ev = mpmath.eig(s1 * s2, left=False, right=False)
    tr_sqrt = mpmath.fsum(mpmath.sqrt(max(mpmath.re(e), 0)) for e in ev)
    d = len(m1)
    val = (mpmath.fsum((m1[i] - m2[i]) ** 2 for i in range(d))
           + mpmath.fsum(s1[i, i] + s2[i, i] for i in range(d)) - 2 * tr_sqrt)
    return float(val)


@pytest.mark.parametrize("d,n,m", [(16, 400, 300), (128, 600, 500)])
def test_matches_pytorch_fid_formula(d, n, m):
    rng = np.random.default_rng(d)
    x = features(rng, n, d)
    y = features(rng, m, d, shift=0.05, mix=0.5)
    ref = pytorch_fid_formula(*stats(x), *stats(y))
    got = frechet_distance(x, y)
    assert isinstance(got, np.float64)
    assert abs(got - ref) <= 1e-9 * ref
    # the same number from (mean, cov) statistics and from streaming states
    assert abs(frechet_distance(stats(x), stats(y)) - ref) <= 1e-9 * ref
    sx = FrechetStats()
    for part in np.array_split(x, 5):
        sx.update(part)
    assert abs(frechet_distance(sx, y) - ref) <= 1e-9 * ref


@pytest.mark.parametrize("n,m", [(4, 6), (5, 40), (40, 7)])
def test_rank_deficient_exact_against_mpmath(n, m):
    d = 12
    rng = np.random.default_rng(n * 100 + m)
    x = features(rng, n, d)
    y = features(rng, m, d, shift=0.2)
    ref = mp_fid(x, y)
    got = float(frechet_distance(x, y))
    assert abs(got - ref) <= 1e-12 * ref
    # the d x d route from the same statistics (clamps d - n rounding-level eigenvalues)
    # is the one that loses accuracy here; the Gram route does not
    via_stats = float(frechet_distance(stats(x), stats(y)))
    assert abs(via_stats - ref) >= abs(got - ref)


def test_no_imaginary_component_failure_at_n_below_d():
    # rank-deficient covariances: sqrtm of the non-symmetric product is ill-posed
    rng = np.random.default_rng(3)
    d = 24
    x = features(rng, 6, d)
    y = features(rng, 9, d, shift=0.1)
    got = float(frechet_distance(x, y))
    ref = mp_fid(x, y, dps=30)
    assert abs(got - ref) <= 1e-12 * ref
    try:  # the pytorch-fid formula on the same statistics: fails or loses digits
        err = abs(pytorch_fid_formula(*stats(x), *stats(y)) - ref) / ref
    except ValueError:
        err = math.inf
    assert err > 1e-10


def test_identical_sets_and_stats_give_exact_zero():
    rng = np.random.default_rng(0)
    x = features(rng, 300, 20)
    assert frechet_distance(x, x) == 0.0
    assert frechet_distance(stats(x), stats(x)) == 0.0
    small = features(rng, 5, 20)
    assert abs(float(frechet_distance(small, small))) <= 1e-13 * np.trace(np.cov(small.T))


def test_close_covariances_keep_relative_accuracy():
    # cov2 = cov1 + 1e-9 E: the trace form would lose everything; FID is symmetric
    rng = np.random.default_rng(5)
    d = 6
    a = rng.standard_normal((d, d))
    s1 = a @ a.T + d * np.eye(d)
    e = rng.standard_normal((d, d))
    s2 = s1 + 1e-9 * (e + e.T)
    mu = np.zeros(d)
    ref = float(gaussian_w2(mu, s1, mu, s2)) ** 2  # cancellation-free closed form
    got = float(frechet_distance((mu, s1), (mu, s2)))
    assert ref > 0 and abs(got - ref) <= 1e-6 * ref
    assert abs(float(frechet_distance((mu, s2), (mu, s1))) - ref) <= 1e-6 * ref


def test_float32_features_accumulate_in_float64():
    rng = np.random.default_rng(1)
    x = (features(rng, 3000, 32) * 30 + 100).astype(np.float32)
    y = (features(rng, 3000, 32, shift=0.01) * 30 + 100).astype(np.float32)
    got = frechet_distance(x, y)
    assert got.dtype == np.float64
    ref = pytorch_fid_formula(*stats(x.astype(np.float64)), *stats(y.astype(np.float64)))
    assert abs(got - ref) <= 1e-9 * ref
    # what float32 accumulation would give (np.cov on float32 data keeps float32)
    naive = pytorch_fid_formula(*(np.asarray(s, np.float64) for s in
                                  (x.mean(0), np.cov(x.T).astype(np.float32),
                                   y.mean(0), np.cov(y.T).astype(np.float32))))
    assert abs(naive - ref) > 100 * abs(got - ref)


def test_frechet_stats_merge_is_exact():
    rng = np.random.default_rng(2)
    x = features(rng, 1000, 7) * 1e3 + 1e6  # large offset: naive sums lose digits
    one = FrechetStats(x)
    a = FrechetStats(x[:123])
    b = FrechetStats()
    for part in np.array_split(x[123:], 9):
        b.update(part)
    a.merge(b)
    ma, ca = a.result()
    _, c1 = one.result()
    mu_ref = np.mean(x, axis=0)
    cov_ref = np.cov(x, rowvar=False)
    assert a.count == one.count == 1000
    np.testing.assert_allclose(ma, mu_ref, rtol=1e-14)
    np.testing.assert_allclose(ca, cov_ref, rtol=1e-11)
    np.testing.assert_allclose(c1, cov_ref, rtol=1e-11)
    _, c0 = a.result(ddof=0)
    np.testing.assert_allclose(c0, np.cov(x, rowvar=False, ddof=0), rtol=1e-11)


def test_torch_and_array_api_strict_inputs():
    torch = pytest.importorskip("torch")
    import array_api_strict as xs

    rng = np.random.default_rng(4)
    x, y = features(rng, 200, 9), features(rng, 150, 9, shift=0.3)
    ref = float(frechet_distance(x, y))
    tx, ty = torch.asarray(x, dtype=torch.float32), torch.asarray(y, dtype=torch.float32)
    got = frechet_distance(tx, ty)
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float64 and got.ndim == 0
    ref32 = float(frechet_distance(x.astype(np.float32), y.astype(np.float32)))
    assert abs(float(got) - ref32) <= 1e-10 * ref32
    st = FrechetStats(tx)
    assert abs(float(frechet_distance(st, ty)) - ref32) <= 1e-10 * ref32
    got_s = frechet_distance(xs.asarray(x), xs.asarray(y))
    assert abs(float(got_s) - ref) <= 1e-12 * ref
    # small-n (Gram) route on torch too
    assert abs(float(frechet_distance(tx[:5], ty[:6]))
               - float(frechet_distance(x[:5].astype(np.float32),
                                        y[:6].astype(np.float32)))) <= 1e-9
    with pytest.raises(BackendError):
        FrechetStats(x).merge(FrechetStats(tx))


@pytest.mark.gpu
def test_cupy_matches_numpy():
    cp = pytest.importorskip("cupy")
    rng = np.random.default_rng(6)
    x, y = features(rng, 3000, 512), features(rng, 2500, 512, shift=0.05)
    ref = float(frechet_distance(x, y))
    got = frechet_distance(cp.asarray(x, dtype=cp.float32), cp.asarray(y, dtype=cp.float32))
    assert isinstance(got, cp.ndarray)
    ref32 = float(frechet_distance(x.astype(np.float32), y.astype(np.float32)))
    assert abs(float(got) - ref32) <= 1e-8 * ref32
    assert abs(ref32 - ref) <= 1e-3 * ref


def test_errors():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 3))
    with pytest.raises(ShapeMismatchError, match=r"\(10, 3\).*\(10, 4\)"):
        frechet_distance(x, rng.standard_normal((10, 4)))
    with pytest.raises(EmptyInputError):
        frechet_distance(x[:1], x)
    bad = x.copy()
    bad[2, 1] = np.nan
    with pytest.raises(NonFiniteError, match="`y`"):
        frechet_distance(x, bad)
    with pytest.raises(NotPositiveDefiniteError):
        frechet_distance((np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]])), (np.zeros(2), 1.0))
    with pytest.raises(NotPositiveDefiniteError, match="symmetric"):
        frechet_distance((np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]])), (np.zeros(2), 1.0))
    with pytest.raises(ShapeMismatchError):
        frechet_distance((np.zeros(2), np.eye(2)), x)
    with pytest.raises(EmptyInputError):
        FrechetStats().result()
    with pytest.raises(ShapeMismatchError):
        FrechetStats(x).update(rng.standard_normal((4, 5)))


def test_fid_infinity_removes_the_1_over_n_bias():
    d = 8
    rng = np.random.default_rng(1)
    a = rng.standard_normal((d, d)) * 0.3
    cov = np.eye(d) + a @ a.T
    mu = np.full(d, 0.1)
    true = float(gaussian_w2(np.zeros(d), np.eye(d), mu, cov)) ** 2
    inf, full = [], []
    for seed in range(40):
        r = np.random.default_rng(seed)
        x = r.standard_normal((5000, d))
        y = r.multivariate_normal(mu, cov, size=300)
        e = fid_infinity(x, y, rng=seed)
        inf.append(e.value)
        full.append(e.details["fid_full"])
        assert e.details["slope"] == pytest.approx(e.details["slope"])
    inf, full = np.array(inf), np.array(full)
    se_inf = inf.std(ddof=1) / math.sqrt(inf.size)
    se_full = full.std(ddof=1) / math.sqrt(full.size)
    assert full.mean() - true > 4 * se_full  # FID at n = 300 is biased upwards ...
    assert abs(inf.mean() - true) < 3 * se_inf  # ... FID-infinity is not (within noise)


def test_fid_interval_width_matches_the_sampling_spread():
    rng = np.random.default_rng(7)
    d, n = 5, 300
    values, widths = [], []
    for _ in range(40):
        x = rng.standard_normal((n, d))
        y = rng.standard_normal((n, d)) * 1.2 + 0.3
        e = fid(x, y, n_resamples=40, rng=rng)
        assert e.ci[0] <= e.value <= e.ci[1]
        values.append(e.value)
        widths.append(e.ci[1] - e.ci[0])
    ideal = 2 * 1.96 * np.std(values, ddof=1)
    assert 0.7 < np.mean(widths) / ideal < 1.4
    e0 = fid(x, y, n_resamples=0)
    assert e0.ci is None and e0.value == pytest.approx(float(frechet_distance(x, y)), rel=1e-15)
