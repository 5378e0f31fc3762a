r"""Uncertainty for two-sample estimators: half-sampling confidence intervals and permutation tests.

Confidence intervals (all estimators)
    **Half-sampling** (subsampling without replacement, McCarthy 1969; Politis & Romano
    1994): draw ``B`` random halves :math:`x^{*}_b \subset x`, :math:`y^{*}_b \subset y`
    (``floor(n/2)`` and ``floor(m/2)`` points, *no duplicates*, which is what k-NN
    estimators need: a with-replacement bootstrap creates zero nearest-neighbour
    distances), recompute the statistic :math:`T^{*}_b` and form the *basic* interval

    .. math::
        \left[\hat T - s\,q_{1-\alpha/2}(\delta),\ \hat T - s\,q_{\alpha/2}(\delta)\right],
        \qquad \delta_b = T^{*}_b - \overline{T^{*}},
        \qquad s = \sqrt{f / (1 - f)},

    with :math:`f` the fraction of the resampling pool in each half-sample. For a mean of
    ``N`` values, a half-sample (``f = 1/2``, ``s = 1``) has exactly the variance of the
    full-sample mean (finite-population correction), so no rescaling is needed; the same
    holds to first order for every smooth :math:`\sqrt N`-consistent statistic.

    **Half-samples from a subsample.** When the estimate uses ``N`` points but the
    half-samples are drawn from a fixed random subsample (the *pool*) of ``r < N`` of them
    (to bound the cost of resampling), the deviations have the conditional variance
    :math:`\sigma^2 (1/h - 1/r)` with ``h = f r`` (finite-population correction within the
    pool), i.e. :math:`s^2 \sigma^2 (1/h - 1/r) = \sigma^2 / r` after the factor ``s``, not
    the :math:`\sigma^2 / N` of the estimate (scaling with ``f = h/N`` instead, as an
    earlier version did, gives :math:`\sigma^2 / (2N - r)`: too narrow). The deviations are
    therefore also multiplied by :math:`\sqrt{\rho}` with the *pool ratio*
    :math:`\rho = r / N`; for two samples (pools ``r_x, r_y`` of ``n, m`` points)
    :math:`\rho = (1/n + 1/m) / (1/r_x + 1/r_y)` (:func:`pool_ratio`), exact when
    :math:`r_x / n = r_y / m` or when both samples contribute the same per-point variance.

    **An independent error source** (the Monte-Carlo error of the random directions of
    sliced Wasserstein) with standard deviation :math:`\tau` is added in quadrature to each
    side: :math:`[\hat T - \sqrt{u^2 + (z\tau)^2},\ \hat T + \sqrt{l^2 + (z\tau)^2}]` with
    :math:`u = s\,q_{1-\alpha/2}(\delta) \ge 0`, :math:`l = -s\,q_{\alpha/2}(\delta)`,
    :math:`z = \Phi^{-1}(1 - \alpha/2)`.

    Centring the deviations on their own mean removes the difference in bias between size
    ``h`` and size ``N`` (which is large for k-NN and Wasserstein estimators), so the
    interval describes *sampling variability* around the estimate: it covers the
    estimator's population value :math:`E[\hat T]`, and the true value only where the
    estimator's bias is small against the interval's half-width. The interval is not BCa.

    **Squared distances: a variance that grows with the value.** MMD² and the squared energy
    distance are 0 at :math:`P = Q`, and their variance is, to the orders that matter,
    :math:`V(\theta) = a\,\theta + b`: a first-order (Hoeffding projection) part that grows
    with the population value :math:`\theta` (for MMD², :math:`4\theta\,\mathrm{Var}\,f^{*}/n`
    with :math:`f^{*}` the normalised witness function) and a degenerate part :math:`b` that
    does not. A symmetric interval with the variance at :math:`\hat T` is too short on the
    side of larger values: it misses the population value from below when the estimate is
    low, far more often than 2.5 % of the time. :func:`variance_function_interval` estimates
    :math:`b` by the variance of the permutation statistics (the variance at
    :math:`\theta = 0`, times :math:`\rho^2` for a pool: a degenerate statistic's variance goes
    as the inverse square of the sample size) and the slope
    :math:`a = \max(\hat V - 3b/\rho,\ 0) / \max(\hat T, \sqrt{\hat V})` from the
    half-sampling variance :math:`\hat V` at :math:`\theta = \hat T` (an estimate within one
    standard deviation of 0 says little about the slope and must not make it arbitrarily
    steep: the upper end then stays within 2.4 times the symmetric one). The variance
    function is then :math:`V(\theta) = \hat V + a(\theta - \hat T)`: the half-sampling
    variance at the estimate, as for the basic interval (so never narrower there), growing
    with slope :math:`a`. The interval holds the values :math:`\theta` that the estimate
    does not reject, :math:`(\hat T - \theta)^2 \le z^2 V(\theta)` (the score, or Wilson,
    construction):

    .. math::
        \theta = \hat T + \tfrac12 z^2 a \pm z\sqrt{\hat V + \tfrac14 z^2 a^2}.

    The :math:`3b/\rho`: half-samples of ``h = r/2`` points of a pool of ``r`` carry the
    degenerate variance :math:`\propto 1/h^2 - 1/r^2 = 3/r^2` where the full sample has
    :math:`\rho^2/r^2` (checked at :math:`P = Q` in the tests). Where that part dominates
    (near :math:`P = Q`), :math:`a` is 0 and the interval is the symmetric normal one.
    ``benchmarks/calibration_compare.py`` measures the coverage.

    **Range.** The interval is finally intersected with the metric's range
    ``[lower, upper]`` (e.g. ``[0, inf)`` for distances, ``[0, log 2]`` for JS) and
    widened to contain the estimate, so it always contains the estimate and lies in the
    range whenever the estimate does.

p-values (all estimators)
    **Permutation test** of :math:`H_0: P = Q`: the pooled sample is relabelled ``B`` times
    (``n`` labels "x", ``m`` labels "y", uniformly at random), the statistic recomputed and
    :math:`p = (1 + \#\{T_b \ge \hat T\}) / (B + 1)`, which is a valid (slightly
    conservative) p-value for any statistic.

Each estimator implements both with precomputed structures (the pooled kernel matrix and
0/1 weight vectors for MMD/energy, neighbour lists for k-NN, cell counts for plug-in
estimators), so ``B`` resamples cost a small multiple of one estimate; the generic
:func:`permutation_test` and :func:`half_sample_ci` below recompute a user statistic from
scratch and serve as the naive reference.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._validate import check_int, check_rng, check_sample_pair
from ..errors import ParameterError

__all__ = [
    "half_sample_masks",
    "permutation_labels",
    "basic_interval",
    "variance_function_interval",
    "pool_ratio",
    "permutation_pvalue",
    "check_alpha",
    "half_sample_ci",
    "permutation_test",
]


def check_alpha(alpha: Any) -> float:
    """Validate the CI level parameter ``alpha`` (0 < alpha < 1)."""
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise ParameterError(f"`alpha` must be a number in (0, 1), got {alpha!r}") from None
    if not 0.0 < a < 1.0:
        raise ParameterError(f"`alpha` must be in (0, 1), got {alpha!r}")
    return a


def half_size(n: int) -> int:
    """Points in a half-sample of ``n``: ``max(1, n // 2)``."""
    return max(1, n // 2)


def half_sample_masks(n: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Boolean array ``(n_resamples, n)``; each row keeps exactly :func:`half_size` points."""
    return subsample_masks(n, half_size(n), n_resamples, rng)


def subsample_masks(n: int, h: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Boolean array ``(n_resamples, n)``; each row keeps ``h`` random points (without
    replacement). Same draws as :func:`half_sample_masks` when ``h = n // 2``."""
    keys = rng.random((n_resamples, n))
    if h < n:
        idx = np.argpartition(keys, h - 1, axis=1)[:, :h]
    else:
        idx = np.tile(np.arange(n), (n_resamples, 1))
    masks = np.zeros((n_resamples, n), dtype=bool)
    np.put_along_axis(masks, idx, True, axis=1)
    return masks


def permutation_labels(n: int, m: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Boolean array ``(n_resamples, n + m)``; ``True`` marks the ``n`` points labelled "x"."""
    keys = rng.random((n_resamples, n + m))
    order = np.argsort(keys, axis=1)
    labels = np.zeros((n_resamples, n + m), dtype=bool)
    np.put_along_axis(labels, order[:, :n], True, axis=1)
    return labels


def pool_ratio(r_x: int, r_y: int, n: int, m: int) -> float:
    r""":math:`\rho = (1/n + 1/m) / (1/r_x + 1/r_y)`: variance of an estimate on ``n + m``
    points relative to one on pools of ``r_x + r_y`` of them (module docstring).

    Examples
    --------
    >>> pool_ratio(100, 100, 1000, 1000)
    0.1
    """
    return float((1.0 / n + 1.0 / m) / (1.0 / r_x + 1.0 / r_y))


def _variance_scale(fraction: float, ratio: float) -> float:
    """Factor :math:`\\rho f / (1 - f)` from the variance of the half-sample deviations to
    that of the estimate (module docstring; ``f`` kept inside (0, 1), ``rho >= 0``)."""
    f = min(max(float(fraction), 1e-12), 1 - 1e-12)
    return f / (1.0 - f) * max(float(ratio), 0.0)


def basic_interval(
    value: float, stats: np.ndarray, *, alpha: float, fraction: float, ratio: float = 1.0,
    extra_sd: float = 0.0, lower: float = -math.inf, upper: float = math.inf,
) -> tuple[float, float]:
    """Half-sampling *basic* interval around ``value`` (see the module docstring).

    Parameters
    ----------
    value : float
        The estimate.
    stats : ndarray
        The statistic on each half-sample (non-finite ones are ignored).
    alpha : float
        Level ``1 - alpha``.
    fraction : float
        Share ``f`` of the resampling pool in each half-sample; deviations are scaled by
        :math:`\\sqrt{f/(1-f)}`.
    ratio : float, default 1
        Pool ratio :math:`\\rho` (pool size over the size the estimate used,
        :func:`pool_ratio`); deviations are further scaled by :math:`\\sqrt\\rho`.
    extra_sd : float, default 0
        Standard deviation of an independent error of the estimate, added in quadrature
        to both sides.
    lower, upper : float
        Range of the metric; the interval is clipped to it and then widened to contain
        ``value``.

    Returns
    -------
    tuple of float
        ``(low, high)`` with ``low <= value <= high``; ``(value, value)`` when fewer than
        two finite statistics are available or ``value`` is not finite.

    Examples
    --------
    >>> lo, hi = basic_interval(0.01, np.array([0.0, 0.02, 0.04, 0.06]), alpha=0.05,
    ...                         fraction=0.5, lower=0.0)
    >>> lo >= 0.0 and lo <= 0.01 <= hi
    True
    """
    value = float(value)
    s = np.asarray(stats, dtype=float)
    s = s[np.isfinite(s)]
    if s.size < 2 or not math.isfinite(value):
        return (value, value)
    dev = (s - s.mean()) * math.sqrt(_variance_scale(fraction, ratio))
    lo_q, hi_q = np.quantile(dev, [alpha / 2, 1 - alpha / 2])
    up, down = max(float(hi_q), 0.0), max(-float(lo_q), 0.0)
    if extra_sd > 0 and math.isfinite(extra_sd):
        z = float(_norm_ppf(1 - alpha / 2))
        up, down = math.hypot(up, z * extra_sd), math.hypot(down, z * extra_sd)
    lo, hi = value - up, value + down
    lo, hi = max(lo, lower), min(hi, upper)
    return (min(lo, value), max(hi, value))


def variance_function_interval(
    value: float, stats: np.ndarray, perm_stats: np.ndarray, *, alpha: float, fraction: float,
    ratio: float = 1.0, lower: float = -math.inf, upper: float = math.inf,
) -> tuple[float, float]:
    r"""Score interval for a squared distance whose variance grows with its value (module
    docstring): :math:`(\hat T - \theta)^2 \le z^2 (\hat V + a(\theta - \hat T))`.

    Parameters
    ----------
    value : float
        The estimate :math:`\hat T`.
    stats : ndarray
        The statistic on each half-sample (non-finite ones are ignored); their variance,
        scaled as in :func:`basic_interval`, is the variance :math:`\hat V` at
        :math:`\theta = \hat T`.
    perm_stats : ndarray
        The statistic on each relabelling of the pooled sample; their variance, scaled by
        ``ratio ** 2`` (a degenerate statistic's variance goes as the inverse square of the
        sample size), is the variance :math:`b` at :math:`\theta = 0`, which sets the slope
        :math:`a`.
    alpha, fraction, ratio, lower, upper
        As in :func:`basic_interval`.

    Returns
    -------
    tuple of float
        ``(low, high)`` with ``low <= value <= high``, clipped to ``[lower, upper]``;
        ``(value, value)`` when fewer than two finite statistics of either kind are
        available or ``value`` is not finite.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> lo, hi = variance_function_interval(
    ...     0.04, 0.04 + 0.01 * rng.standard_normal(200), 0.002 * rng.standard_normal(200),
    ...     alpha=0.05, fraction=0.5, lower=0.0)
    >>> bool(0.04 - lo < hi - 0.04)  # longer towards larger values
    True
    """
    value = float(value)
    s = np.asarray(stats, dtype=float)
    s = s[np.isfinite(s)]
    q = np.asarray(perm_stats, dtype=float)
    q = q[np.isfinite(q)]
    if s.size < 2 or q.size < 2 or not math.isfinite(value):
        return (value, value)
    rho = max(float(ratio), 0.0)
    v_hat = float(np.var(s, ddof=1)) * _variance_scale(fraction, ratio)
    b = float(np.var(q, ddof=1)) * rho * rho
    # half-samples of a pool carry 3 / rho times the degenerate variance b; an estimate
    # within one standard deviation of 0 does not make the slope steeper (module docstring)
    first = max(v_hat - 3.0 * b / rho, 0.0) if rho > 0 else 0.0
    a = first / max(value, math.sqrt(v_hat)) if first > 0 else 0.0
    z = _norm_ppf(1 - alpha / 2)
    centre = value + 0.5 * z * z * a
    radius = z * math.sqrt(v_hat + 0.25 * z * z * a * a)
    lo, hi = max(centre - radius, lower), min(centre + radius, upper)
    return (min(lo, value), max(hi, value))


def _norm_ppf(q: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(q))


def permutation_pvalue(observed: float, perm_stats: np.ndarray) -> float:
    """:math:`(1 + \\#\\{T_b \\ge T\\}) / (B + 1)` with a relative tolerance for ties."""
    s = np.asarray(perm_stats, dtype=float)
    s = s[~np.isnan(s)]
    tol = 1e-12 * max(1.0, abs(observed))
    return float((1 + np.count_nonzero(s >= observed - tol)) / (s.size + 1))


def _check_resampling(
    n_resamples: Any, alpha: Any, rng: Any
) -> tuple[int, float, np.random.Generator]:
    return (check_int(n_resamples, "n_resamples", min_value=0), check_alpha(alpha), check_rng(rng))


def half_sample_ci(
    statistic: Callable[[np.ndarray, np.ndarray], float],
    x: Any,
    y: Any,
    *,
    n_resamples: int = 200,
    alpha: float = 0.05,
    rng: Any = None,
) -> tuple[float, float]:
    """Half-sampling CI of any two-sample ``statistic(x, y) -> float`` (naive reference).

    Recomputes ``statistic`` from scratch on every half-sample; the estimators in
    :mod:`divlab.estimators` do the same much faster with precomputed structures.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=200), rng.normal(1.0, size=200)
    >>> lo, hi = half_sample_ci(lambda a, b: float(b.mean() - a.mean()), x, y, rng=0)
    >>> bool(lo < 1.0 < hi)
    True
    """
    _, x, y = check_sample_pair(np.asarray(x), np.asarray(y), min_n=2)
    n_resamples, alpha, gen = _check_resampling(n_resamples, alpha, rng)
    value = float(statistic(x, y))
    if n_resamples < 2:
        return (value, value)
    mx = half_sample_masks(x.shape[0], n_resamples, gen)
    my = half_sample_masks(y.shape[0], n_resamples, gen)
    stats = np.array([statistic(x[a], y[b]) for a, b in zip(mx, my, strict=True)])
    return basic_interval(value, stats, alpha=alpha, fraction=0.5 * (mx[0].mean() + my[0].mean()))


def permutation_test(
    statistic: Callable[[np.ndarray, np.ndarray], float],
    x: Any,
    y: Any,
    *,
    n_resamples: int = 200,
    rng: Any = None,
) -> float:
    """Permutation p-value of "same distribution" for any ``statistic`` (naive reference).

    Large values of ``statistic`` must speak against :math:`H_0`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=100), rng.normal(2.0, size=100)
    >>> permutation_test(lambda a, b: abs(float(a.mean() - b.mean())), x, y, rng=0) < 0.01
    True
    """
    _, x, y = check_sample_pair(np.asarray(x), np.asarray(y), min_n=1)
    n_resamples, _, gen = _check_resampling(n_resamples, 0.05, rng)
    observed = float(statistic(x, y))
    z = np.concatenate([x, y])
    labels = permutation_labels(x.shape[0], y.shape[0], n_resamples, gen)
    stats = np.array([statistic(z[lab], z[~lab]) for lab in labels])
    return permutation_pvalue(observed, stats)
