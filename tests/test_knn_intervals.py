"""Intervals of the k-NN estimators (issue 11, point 2): subsets drawn from a capped
subsample have the variance of the full-sample estimate (the old half-samples of a subsample
of r out of N points had variance sigma^2/(2N - r) instead of sigma^2/N)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from divlab.estimators import knn as knn_mod
from divlab.estimators import knn_entropy, knn_js, knn_kl
from divlab.estimators._neighbors import resample_size, subsample_masks
from divlab.estimators.knn import UnreliableEstimateWarning
from divlab.estimators.resampling import half_sample_masks


@pytest.mark.parametrize(("r", "n"), [(10, 10), (11, 11), (4000, 100_000), (300, 2400),
                                      (4000, 4001), (2000, 10**9)])
def test_resample_size_matches_the_full_sample_variance(r, n):
    h = resample_size(r, n)
    assert 1 <= h < r or r == h == 1
    if r == n:
        assert h == n // 2  # a half-sample
    else:  # 1/h - 1/r = 1/N up to the rounding of h
        assert 1 / h - 1 / r == pytest.approx(1 / n, abs=1.5 / h**2)  # h is an integer


def test_subsample_mask_variance_of_a_mean_is_the_full_sample_one():
    """Reference: the variance of the mean of h of r values drawn without replacement is
    s^2 (1/h - 1/r) (finite population); with h = resample_size(r, N) it is s^2 / N."""
    rng = np.random.default_rng(0)
    r, big_n = 400, 3200
    v = rng.standard_normal(r)
    h = resample_size(r, big_n)
    masks = subsample_masks(r, h, 4000, rng)
    means = (masks * v).sum(axis=1) / h
    s2 = v.var(ddof=1)
    assert means.var() == pytest.approx(s2 / big_n, rel=0.08)
    # and the masks are the half-sample masks when h = r // 2 (same stream)
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(subsample_masks(r, r // 2, 7, a), half_sample_masks(r, 7, b))


def _width(est):
    return est.ci[1] - est.ci[0]


@pytest.mark.parametrize("fn", [knn_kl, knn_js, knn_entropy], ids=["kl", "js", "entropy"])
def test_capped_interval_is_as_wide_as_the_uncapped_one(monkeypatch, fn):
    """Same data, resampling on 150 of 1200 points vs on all of them: the widths agree
    (the old scaling made the capped one sqrt(1200 / 2250) = 0.73 times as wide)."""
    ratios = []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        x, y = rng.normal(size=(1200, 1)), rng.normal(0.7, 1.2, size=(1200, 1))
        args = (x,) if fn is knn_entropy else (x, y)
        monkeypatch.setattr(knn_mod, "RESAMPLE_MAX_N", 10**6)
        full = fn(*args, n_resamples=100, rng=seed)
        monkeypatch.setattr(knn_mod, "RESAMPLE_MAX_N", 150)
        capped = fn(*args, n_resamples=100, rng=seed)
        assert capped.details["resample_subsample"][0] == 150
        assert capped.ci[0] <= capped.value <= capped.ci[1]
        ratios.append(_width(capped) / _width(full))
    assert 0.85 < np.mean(ratios) < 1.2, ratios


def test_interval_coverage_small_study():
    """Reduced calibration: KL between N(0,1) and N(1,1) (truth 0.5, the estimator's bias
    in d = 1 is far below the interval half-width): 60 replicate datasets of n = 250 whose
    95 % intervals should cover the truth in about 95 % of cases."""
    hits = 0
    reps = 60
    for r in range(reps):
        rng = np.random.default_rng(1000 + r)
        x, y = rng.normal(size=(250, 1)), rng.normal(1.0, 1.0, size=(250, 1))
        lo, hi = knn_kl(x, y, n_resamples=80, rng=r).ci
        hits += lo <= 0.5 <= hi
    # binomial(60, 0.95): P(hits <= 51) < 1 %
    assert hits >= 52, hits


def test_js_interval_ends_inside_the_range_near_log2():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(300, 1)), rng.normal(7.0, 1.0, size=(300, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreliableEstimateWarning)
        est = knn_js(x, y, n_resamples=60, rng=0)
    lo, hi = est.ci
    assert 0.0 <= lo <= est.value <= hi <= math.log(2.0)
