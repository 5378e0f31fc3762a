"""Reduced calibration study of the half-sampling intervals (issue 11, point 2).

Each cell simulates 60 independent replicate datasets (Gaussian pairs, fixed seeds) and
checks that the 95 % interval covers the estimator's population value about 95 % of the
time, and that its half-width matches the replicate spread. The population value
:math:`E[\\hat T]` is the closed form where the estimator is unbiased (MMD²) or its
Monte-Carlo mean over the replicates otherwise (its error, sd/sqrt(60), is small against
the half-width); the closed-form truth is checked where the bias is known to be small.

The resampling pools are made small (module constants patched) so that the *pool ratio*
path of :mod:`divlab.estimators.resampling` is exercised at small n: a pool of ``r`` out
of the ``N`` points of the estimate. Without the pool ratio these intervals were too
narrow (variance :math:`\\sigma^2/(2N - r)` instead of :math:`\\sigma^2/N`), and without the
direction term the sliced interval ignores the Monte-Carlo error of its directions.

Tolerances (60 replicates): coverage >= 0.85 (a correct 95 % interval falls below that
with probability < 0.3 %); mean half-width within [0.75, 1.4] x 1.96 x replicate sd.
"""

from __future__ import annotations

import math

import array_api_compat.numpy as xp
import numpy as np
import pytest
from scipy.stats import norm

from divlab.estimators import kernel, transport

R = 60
B = 100


def _check(values, cis, target, *, what: str) -> None:
    values, cis = np.asarray(values), np.asarray(cis)
    cover = np.mean((cis[:, 0] <= target) & (target <= cis[:, 1]))
    half = np.mean(cis[:, 1] - cis[:, 0]) / 2
    ratio = half / (1.959964 * values.std(ddof=1))
    assert cover >= 0.85, f"{what}: coverage {cover:.2f} of {target:.4g}"
    assert 0.75 <= ratio <= 1.4, f"{what}: half-width / (1.96 sd) = {ratio:.2f}"
    assert np.all((cis[:, 0] <= values) & (values <= cis[:, 1]))


def _pairs(seed: int, n: int, d: int, shift: np.ndarray):
    rng = np.random.default_rng(seed)
    for _ in range(R):
        yield rng.normal(size=(n, d)), rng.normal(size=(n, d)) + shift


def test_w1_translation_1d_covers_truth():
    """1-D W1 of a shift by 1 (truth |shift| = 1 for every p; the bias is negligible here)."""
    vals, cis = [], []
    for i, (x, y) in enumerate(_pairs(10, 200, 1, np.array([1.0]))):
        e = transport._wasserstein_estimate(x, y, xp, p=1.0, max_exact_n=2000, n_resamples=B,
                                            alpha=0.05, gen=np.random.default_rng(i))
        vals.append(e.value)
        cis.append(e.ci)
    _check(vals, cis, np.mean(vals), what="W1 1-D, E[est]")
    _check(vals, cis, 1.0, what="W1 1-D, truth")


def test_w1_1d_pooled_resampling_covers_truth(monkeypatch):
    """1-D W1 beyond the resampling pool (patched to 100 of 300 points): the half-samples
    come from the pool and the pool ratio restores the variance of the full-sample
    estimate; the p-value is that of the pool."""
    monkeypatch.setattr(transport, "_RESAMPLE_ONED_N", 100)
    vals, cis = [], []
    for i, (x, y) in enumerate(_pairs(17, 300, 1, np.array([1.0]))):
        e = transport._wasserstein_estimate(x, y, xp, p=1.0, max_exact_n=2000, n_resamples=B,
                                            alpha=0.05, gen=np.random.default_rng(i))
        assert e.details["resample_subsample"] == [100, 100]
        assert e.p_value < 0.05  # a shift by 1 sd is found on 100 + 100 points
        vals.append(e.value)
        cis.append(e.ci)
    _check(vals, cis, np.mean(vals), what="W1 1-D pooled, E[est]")
    _check(vals, cis, 1.0, what="W1 1-D pooled, truth")


@pytest.mark.parametrize("p,d", [(2.0, 2), (1.0, 5)])
def test_exact_w_dual_potential_interval(p, d):
    """Exact W_p in d > 1 on n = 150: the normal interval from the variance of the optimal
    dual potentials (one extra solve, no subsamples) covers the estimator's expectation and
    its half-width matches the replicate spread."""
    vals, cis = [], []
    shift = np.r_[1.0, np.zeros(d - 1)]
    for i, (x, y) in enumerate(_pairs(11 + d, 150, d, shift)):
        e = transport._wasserstein_estimate(x, y, xp, p=p, max_exact_n=2000, n_resamples=20,
                                            alpha=0.05, gen=np.random.default_rng(i))
        assert e.details["ci_method"].startswith("normal interval from the variance")
        assert e.details["ci_sd"] > 0
        vals.append(e.value)
        cis.append(e.ci)
    _check(vals, cis, np.mean(vals), what=f"exact W{p:g} {d}-D, E[est]")


def test_exact_w_dual_sd_scales_with_units_and_matches_delta_method():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(120, 3)), rng.normal(size=(100, 3)) + 0.7
    one = transport._dual_interval(x, y, 2.0, float(divlab_w(x, y, 2.0)), 0.05)
    ten = transport._dual_interval(10 * x, 10 * y, 2.0, float(divlab_w(10 * x, 10 * y, 2.0)),
                                   0.05)
    assert ten[1] == pytest.approx(10 * one[1], rel=1e-9)  # W_p is 1-homogeneous
    assert ten[0][1] == pytest.approx(10 * one[0][1], rel=1e-9)
    # the delta method: sd(W_2) = sd(W_2^2) / (2 W_2)
    w1 = transport._dual_interval(x, y, 1.0, float(divlab_w(x, y, 1.0)), 0.05)
    assert w1[1] > 0 and w1[0][0] < divlab_w(x, y, 1.0) < w1[0][1]
    assert transport._dual_interval(x, y, 1.0, 0.0, 0.05) is None  # zero value: no CLT


def divlab_w(x, y, p):
    import divlab

    return divlab.ot.wasserstein(x, y, p=p)


def test_exact_w_falls_back_to_subsampling_for_identical_samples(monkeypatch):
    """A zero estimate (identical samples) has no dual-variance interval: subsampling with
    the estimated rate (subsamples of 20 points, 50 resamples) gives one above 0."""
    monkeypatch.setattr(transport, "_RESAMPLE_EXACT_H", 20)
    x = np.random.default_rng(4).normal(size=(80, 2))
    e = transport._wasserstein_estimate(x, x.copy(), xp, p=2.0, max_exact_n=2000,
                                        n_resamples=50, alpha=0.05,
                                        gen=np.random.default_rng(0))
    assert e.value == 0.0
    assert e.details["ci_method"] == "subsampling basic interval with an estimated rate"
    assert e.details["resample_subsample"] == [20, 20]
    assert 0.25 <= e.details["rate_exponent"] <= 0.5
    assert e.ci[0] == 0.0 < e.ci[1]


def test_sliced_w2_includes_direction_error(monkeypatch):
    """Sliced W2 of a shift ``a`` of N(0, I_5): truth |a| / sqrt(5); only 30 directions, so
    their Monte-Carlo error dominates; resampling pools of 100 out of 300 points."""
    monkeypatch.setattr(transport, "_RESAMPLE_SLICED_N", 100)
    a = np.array([2.0, 0, 0, 0, 0])
    truth = 2.0 / math.sqrt(5)
    vals, cis = [], []
    for i, (x, y) in enumerate(_pairs(12, 300, 5, a)):
        e = transport._sliced_estimate(x, y, xp, p=2.0, n_projections=30, n_resamples=B,
                                       alpha=0.05, gen=np.random.default_rng(i))
        assert e.details["direction_sd"] > 0
        vals.append(e.value)
        cis.append(e.ci)
    _check(vals, cis, np.mean(vals), what="sliced W2, E[est]")
    _check(vals, cis, truth, what="sliced W2, truth")


def _mmd2_gauss(mu: np.ndarray, h: float) -> float:
    """MMD² between N(0, I) and N(mu, I) for k = exp(-|u|^2 / (2 h^2)) (closed form)."""
    d = mu.size
    c = (h * h / (h * h + 2.0)) ** (d / 2)
    return 2 * c - 2 * c * math.exp(-float(mu @ mu) / (2 * (h * h + 2.0)))


def test_mmd_subsampled_and_pooled_covers_truth():
    """Unbiased MMD² (fixed bandwidth, so the closed form is its population value) in
    d = 5 with ``max_n = 100`` of 150 points and a pool of 80 pooled points."""
    mu = np.array([0.6, 0, 0, 0, 0])
    h = 2.0
    truth = _mmd2_gauss(mu, h)
    vals, cis = [], []
    for i, (x, y) in enumerate(_pairs(13, 150, 5, mu)):
        e = kernel._mmd(x, y, xp, bandwidth=h, n_resamples=B, alpha=0.05,
                        gen=np.random.default_rng(i), max_n=100, max_matrix_n=80)
        assert e.details["subsampled_to"] == [100, 100]
        vals.append(e.value)
        cis.append(e.ci)
    assert abs(np.mean(vals) - truth) < 3 * np.std(vals) / math.sqrt(R)  # unbiased
    _check(vals, cis, truth, what="MMD^2, truth")


def _energy_1d_gauss(a: float) -> float:
    """Energy distance between N(0, 1) and N(a, 1) (closed form)."""

    def e_abs(mu: float, s: float) -> float:  # E|N(mu, s^2)|
        return s * math.sqrt(2 / math.pi) * math.exp(-mu * mu / (2 * s * s)) + mu * (
            1 - 2 * norm.cdf(-mu / s))

    return math.sqrt(2 * e_abs(a, math.sqrt(2)) - 2 * e_abs(0.0, math.sqrt(2)))


def test_energy_1d_pool_ratio_covers_truth():
    """1-D energy distance of a shift by 0.8, n = 150, resampling pool of 100 points."""
    truth = _energy_1d_gauss(0.8)
    vals, cis = [], []
    for i, (x, y) in enumerate(_pairs(14, 150, 1, np.array([0.8]))):
        e = kernel._energy(x, y, xp, n_resamples=B, alpha=0.05, gen=np.random.default_rng(i),
                           max_matrix_n=100)
        vals.append(e.value)
        cis.append(e.ci)
    _check(vals, cis, np.mean(vals), what="energy 1-D, E[est]")
    _check(vals, cis, truth, what="energy 1-D, truth")


@pytest.mark.parametrize("ratio", [0.25, 1.0])
def test_basic_interval_pool_ratio_is_exact_for_a_mean(ratio):
    """For a sample mean (a linear statistic) the half-samples of a pool of ``r`` out of
    ``N`` points, scaled by the pool ratio, have exactly the variance of the estimate:
    checked against the closed-form sd of the mean."""
    from divlab.estimators.resampling import basic_interval, half_sample_masks

    rng = np.random.default_rng(5)
    N = 4000
    r = int(N * ratio)
    z = rng.normal(size=N)
    pool = z[:r]
    masks = half_sample_masks(r, 2000, rng)
    stats = (masks * pool).sum(axis=1) / masks[0].sum()
    lo, hi = basic_interval(z.mean(), stats, alpha=0.05, fraction=0.5, ratio=r / N)
    expected = 1.959964 * z.std() / math.sqrt(N)
    assert (hi - lo) / 2 == pytest.approx(expected, rel=0.08)
