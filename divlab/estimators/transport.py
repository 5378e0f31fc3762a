r"""Wasserstein distances between samples, with resampling: exact, subsampled exact, sliced.

* :func:`wasserstein_estimate` — empirical :math:`W_p` (Euclidean ground metric, returns
  :math:`W_p`, not :math:`W_p^p`). On the line (``d = 1``) the exact
  :math:`O(n \log n)` closed form (:func:`divlab.ot.wasserstein_1d`) is used for any ``n``.
  For ``d > 1`` the exact network-simplex solution (:func:`divlab.ot.wasserstein`, POT) is
  used when both samples have at most ``max_exact_n`` points; larger samples are first
  subsampled (without replacement, ``rng``) to ``max_exact_n`` points each, which is
  reported in ``details``. The empirical :math:`W_p` is biased upwards at finite ``n``
  (by :math:`O(n^{-1/d})` for ``d >= 3``): CIs describe sampling variability, not that bias.
* :func:`sliced_wasserstein_estimate` — Monte-Carlo sliced Wasserstein
  :math:`SW_p = (\frac1L\sum_{l=1}^L W_p^p(\theta_l^\top x, \theta_l^\top y))^{1/p}` over
  ``L = n_projections`` directions uniform on the sphere, each 1-D term exact.

Resampling (:mod:`divlab.estimators.resampling`): on the line and for sliced W every
half-sample / relabelling is a set of sorted sub-arrays of the once-sorted data, and all
``B`` of them are evaluated at once on a common quantile grid; for exact ``d > 1`` the
pooled cost matrix of (at most) ``160`` points per sample is formed once and each
resample solves one small EMD on a sub-block of it.

Check once: the public functions validate their arguments and call the kernels
``_wasserstein_estimate`` and ``_sliced_estimate`` (which :func:`divlab.compare` calls
directly); these call the private kernels of :mod:`divlab.ot` (``_wasserstein_1d_kernel``,
``_wasserstein_kernel``, ``_sliced_wasserstein_kernel``), not its public, validating
functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import array_namespace, device_rescale_pair, host_float64, host_floats
from .._validate import check_int, check_positive, check_rng, check_sample_pair, check_weights
from ..errors import ParameterError
from ._result import Estimate
from .resampling import (
    basic_interval,
    check_alpha,
    half_sample_masks,
    permutation_labels,
    permutation_pvalue,
)

__all__ = ["wasserstein_estimate", "sliced_wasserstein_estimate", "MAX_EXACT_N"]

#: Default largest sample size solved exactly in d > 1 (larger samples are subsampled).
MAX_EXACT_N = 2000
#: Default number of random directions of :func:`sliced_wasserstein_estimate`.
DEFAULT_N_PROJECTIONS = 200
_RESAMPLE_EXACT_N = 160
_RESAMPLE_SLICED_N = 1000
_RESAMPLE_SLICED_L = 50


def _check_p(p: Any) -> float:
    p = check_positive(p, "p")
    if p < 1:
        raise ParameterError(f"`p` must be >= 1, got {p}")
    return p


def _quantile_grid(n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merged breakpoints of two uniform empirical CDFs: weights and quantile indices."""
    t = np.union1d(np.arange(1, n + 1) / n, np.arange(1, m + 1) / m)
    t[-1] = 1.0
    t = t[np.concatenate([[True], np.diff(t) > 1e-15])] if t.size > 1 else t
    dt = np.diff(np.concatenate([[0.0], t]))
    mid = t - 0.5 * dt
    ix = np.minimum((mid * n).astype(np.int64), n - 1)
    iy = np.minimum((mid * m).astype(np.int64), m - 1)
    return dt, ix, iy


def _sorted_wpp(xs: np.ndarray, ys: np.ndarray, p: float) -> np.ndarray:
    """W_p^p between sorted rows of ``xs`` (..., n) and ``ys`` (..., m), uniform weights."""
    dt, ix, iy = _quantile_grid(xs.shape[-1], ys.shape[-1])
    diff = np.abs(xs[..., ix] - ys[..., iy])
    return (diff**p if p != 1 else diff) @ dt


def _kept_sorted(vals_sorted: np.ndarray, order: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Rows of the sorted values restricted to the points kept by ``mask`` (B, n)."""
    keep = mask[:, order]  # (B, n) in sorted order
    h = int(keep[0].sum())
    return np.broadcast_to(vals_sorted, keep.shape)[keep].reshape(keep.shape[0], h)


def _oned_resample(xv, yv, p, value_pp, B, alpha, gen):
    n, m = xv.size, yv.size
    ox, oy = np.argsort(xv, kind="stable"), np.argsort(yv, kind="stable")
    xs, ys = xv[ox], yv[oy]
    mx, my = half_sample_masks(n, B, gen), half_sample_masks(m, B, gen)
    stats = _sorted_wpp(_kept_sorted(xs, ox, mx), _kept_sorted(ys, oy, my), p) ** (1 / p)
    z = np.concatenate([xv, yv])
    oz = np.argsort(z, kind="stable")
    zs = z[oz]
    lab = permutation_labels(n, m, B, gen)
    perm = _sorted_wpp(_kept_sorted(zs, oz, lab), _kept_sorted(zs, oz, ~lab), p) ** (1 / p)
    frac = 0.5 * (mx[0].mean() + my[0].mean())
    return basic_interval(value_pp ** (1 / p), stats, alpha=alpha, fraction=frac), \
        permutation_pvalue(value_pp ** (1 / p), perm)


def _exact_resample(xn, yn, p, value, n_used, B, alpha, gen):
    import ot

    from ..costs import pairwise_cost_unchecked

    r = _RESAMPLE_EXACT_N
    if xn.shape[0] > r:
        xn = xn[gen.choice(xn.shape[0], r, replace=False)]
    if yn.shape[0] > r:
        yn = yn[gen.choice(yn.shape[0], r, replace=False)]
    nx, ny = xn.shape[0], yn.shape[0]
    z = np.concatenate([xn, yn])
    cost = np.sqrt(pairwise_cost_unchecked(z, z, None, metric="sqeuclidean")) ** p
    ar = np.arange(nx + ny)

    def stat(ix: np.ndarray, iy: np.ndarray) -> float:
        a = np.full(ix.size, 1.0 / ix.size)
        b = np.full(iy.size, 1.0 / iy.size)
        return float(max(ot.emd2(a, b, cost[np.ix_(ix, iy)]), 0.0)) ** (1 / p)

    mx, my = half_sample_masks(nx, B, gen), half_sample_masks(ny, B, gen)
    stats = np.array([stat(ar[:nx][a], ar[nx:][b]) for a, b in zip(mx, my, strict=True)])
    lab = permutation_labels(nx, ny, B, gen)
    perm = np.array([stat(ar[lb], ar[~lb]) for lb in lab])
    observed = stat(ar[:nx], ar[nx:])
    frac = 0.5 * (mx[0].sum() + my[0].sum()) / n_used
    ci = basic_interval(value, stats, alpha=alpha, fraction=frac)
    return ci, permutation_pvalue(observed, perm), {"resample_subsample": [nx, ny]}


def wasserstein_estimate(
    x: Any,
    y: Any,
    *,
    p: float = 1.0,
    max_exact_n: int = MAX_EXACT_N,
    n_resamples: int = 0,
    alpha: float = 0.05,
    rng: Any = None,
) -> Estimate:
    r"""Empirical :math:`W_p(\hat P_n, \hat Q_m)` with the Euclidean ground metric.

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d), or 1-D
        Samples.
    p : float
        Order ``p >= 1``.
    max_exact_n : int
        For ``d > 1``, samples larger than this are subsampled to this size before the
        exact solve (memory and time of the network simplex grow as ``n**2`` and faster).
    n_resamples, alpha, rng
        Half-sampling CI and permutation p-value (``rng`` also draws the subsample).

    Returns
    -------
    Estimate
        :math:`W_p` (not :math:`W_p^p`).

    Examples
    --------
    >>> round(wasserstein_estimate([0.0, 1.0], [2.0, 3.0], p=2).value, 12)
    2.0
    """
    xp, x, y = check_sample_pair(x, y, min_n=1)
    p = _check_p(p)
    max_exact_n = check_int(max_exact_n, "max_exact_n", min_value=2)
    n_resamples = check_int(n_resamples, "n_resamples", min_value=0)
    alpha = check_alpha(alpha)
    gen = check_rng(rng)
    return _wasserstein_estimate(x, y, xp, p=p, max_exact_n=max_exact_n,
                                 n_resamples=n_resamples, alpha=alpha, gen=gen)


def _wasserstein_estimate(
    x: Any, y: Any, xp: Any, *, p: float, max_exact_n: int, n_resamples: int, alpha: float,
    gen: np.random.Generator,
) -> Estimate:
    """Kernel of :func:`wasserstein_estimate` (validated samples and parameters)."""
    from ..ot.exact import _wasserstein_kernel
    from ..ot.oned import _wasserstein_1d_kernel

    n, d = x.shape
    m = y.shape[0]
    details: dict[str, Any] = {"p": p, "ground_metric": "euclidean"}
    pname = f"W{p:g}"
    if d == 1:
        value, = host_floats(xp, _wasserstein_1d_kernel(x[:, 0], y[:, 0], p, xp))
        method = f"exact 1-D {pname} (sorted quantiles)"
    else:
        xs, ys = x, y
        if max(n, m) > max_exact_n:
            xs = xp.take(x, _sub(gen, n, max_exact_n, xp), axis=0) if n > max_exact_n else x
            ys = xp.take(y, _sub(gen, m, max_exact_n, xp), axis=0) if m > max_exact_n else y
            details["subsampled_to"] = [xs.shape[0], ys.shape[0]]
            method = f"exact {pname} (network simplex) on {xs.shape[0]}+{ys.shape[0]} subsample"
        else:
            method = f"exact {pname} (network simplex, POT)"
        # uniform weights, built exactly as the public divlab.ot.wasserstein builds them
        wa = check_weights(None, xs.shape[0], "a", xp=xp, dtype=xs.dtype, like=xs)
        wb = check_weights(None, ys.shape[0], "b", xp=xp, dtype=ys.dtype, like=ys)
        value, = host_floats(xp, _wasserstein_kernel(xs, ys, wa, wb, p, xp, stacklevel=5))
        x, y = xs, ys
    ci = pv = None
    if n_resamples and min(x.shape[0], y.shape[0]) >= 2:
        xn, yn = host_float64(x, xp), host_float64(y, xp)
        # W_p is 1-homogeneous: resample on exactly rescaled coordinates when |x|^p
        # would overflow or underflow, and scale the interval back.
        xn, yn, scale = _host_rescale(xn, yn, p)
        vs = value / scale
        if d == 1:
            ci, pv = _oned_resample(xn[:, 0], yn[:, 0], p, vs**p, n_resamples, alpha, gen)
        else:
            ci, pv, info = _exact_resample(xn, yn, p, vs, x.shape[0], n_resamples, alpha, gen)
            details.update(info)
        ci = (ci[0] * scale, ci[1] * scale)
        details.update(ci_method="half-sampling basic interval", n_resamples=n_resamples)
    return Estimate(float(value), ci, method, (n, m), details, pv)


def _host_rescale(xn: np.ndarray, yn: np.ndarray, p: float) -> tuple[np.ndarray, np.ndarray, float]:
    """:func:`divlab._array.device_rescale_pair` of host arrays, with the scale as a float."""
    xn, yn, s = device_rescale_pair(xn, yn, array_namespace(xn, yn), power=p)
    return xn, yn, float(s)


def _sub(gen: np.random.Generator, n: int, s: int, xp: Any) -> Any:
    idx = np.sort(gen.choice(n, size=s, replace=False))
    return xp.asarray(idx)


def sliced_wasserstein_estimate(
    x: Any,
    y: Any,
    *,
    p: float = 2.0,
    n_projections: int = DEFAULT_N_PROJECTIONS,
    n_resamples: int = 0,
    alpha: float = 0.05,
    rng: Any = None,
) -> Estimate:
    r"""Monte-Carlo sliced Wasserstein distance :math:`SW_p` between samples.

    .. math::
        SW_p(P, Q) = \Big(\frac1L\sum_{l=1}^L W_p^p(\theta_l^\top P, \theta_l^\top Q)\Big)^{1/p},
        \qquad \theta_l \sim \mathrm{Unif}(S^{d-1}),

    each 1-D :math:`W_p` exact by sorting (:func:`divlab.ot.sliced_wasserstein`, memory
    chunked over directions); cost :math:`O(L\,(n+m)\log(n+m))`, suitable for any sample
    size. The directions are drawn from ``rng`` (same seed, same directions) and kept fixed
    during resampling, which uses the first 50 of them and at most 1000
    points per sample (deviations of the resampled statistics give the CI width; the
    permutation test compares like with like).

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d)
        Samples.
    p : float
        Order ``p >= 1``.
    n_projections : int
        Number of directions ``L``.
    n_resamples, alpha, rng
        Half-sampling CI and permutation p-value.

    Returns
    -------
    Estimate

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((10, 3)); y = np.ones((10, 3))
    >>> e = sliced_wasserstein_estimate(x, y, rng=0, n_projections=2000)
    >>> abs(e.value - 1.0) < 0.05   # SW_2 of a shift by (1,1,1): |shift| / sqrt(d) = 1
    True
    """
    xp, x, y = check_sample_pair(x, y, min_n=1)
    p = _check_p(p)
    L = check_int(n_projections, "n_projections", min_value=1)
    n_resamples = check_int(n_resamples, "n_resamples", min_value=0)
    alpha = check_alpha(alpha)
    gen = check_rng(rng)
    return _sliced_estimate(x, y, xp, p=p, n_projections=L, n_resamples=n_resamples,
                            alpha=alpha, gen=gen)


def _sliced_estimate(
    x: Any, y: Any, xp: Any, *, p: float, n_projections: int, n_resamples: int, alpha: float,
    gen: np.random.Generator,
) -> Estimate:
    """Kernel of :func:`sliced_wasserstein_estimate` (validated samples and parameters)."""
    from ..ot.sliced import _default_chunk, _directions, _sliced_wasserstein_kernel

    L = n_projections
    n, d = x.shape
    m = y.shape[0]
    seed = int(gen.integers(2**63 - 1))
    # the directions of divlab.ot.sliced_wasserstein(x, y, n_projections=L, p=p, rng=seed)
    theta = _directions(d, L, seed)
    value, = host_floats(xp, _sliced_wasserstein_kernel(
        x, y, None, None, theta, p, _default_chunk(n, m, L, False), xp))
    details: dict[str, Any] = {"p": p, "n_projections": L, "directions_seed": seed}
    ci = pv = None
    if n_resamples and min(n, m) >= 2:
        xn, yn = host_float64(x, xp), host_float64(y, xp)
        r = _RESAMPLE_SLICED_N
        if n > r:
            xn = xn[gen.choice(n, r, replace=False)]
        if m > r:
            yn = yn[gen.choice(m, r, replace=False)]
        th_r = theta[: min(L, _RESAMPLE_SLICED_L)].T
        # SW_p is 1-homogeneous: exact power-of-two rescaling of huge or tiny coordinates.
        xn, yn, scale = _host_rescale(xn, yn, p)
        ci, pv = _sliced_resample(xn @ th_r, yn @ th_r, p, value / scale, n, m, n_resamples,
                                  alpha, gen)
        ci = (ci[0] * scale, ci[1] * scale)
        details.update(ci_method="half-sampling basic interval", n_resamples=n_resamples)
    return Estimate(value, ci, f"sliced W{p:g} ({L} random directions)", (n, m), details, pv)


def _kept_all(vals_sorted: np.ndarray, order: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Kept values of every resample and direction, sorted: shape (B, L, h)."""
    keep = mask[:, order]  # (B, L, n): kept flags in sorted order
    h = int(mask[0].sum())
    return np.broadcast_to(vals_sorted, keep.shape)[keep].reshape(mask.shape[0], order.shape[0], h)


def _sliced_stats(xs, ox, ys, oy, mx, my, p):
    """Sliced W_p of B resamples, vectorised over resamples and directions (in batches)."""
    B = mx.shape[0]
    out = np.empty(B)
    step = max(1, 2**22 // max(1, xs.size + ys.size))
    for s in range(0, B, step):
        sl = slice(s, min(s + step, B))
        wpp = _sorted_wpp(_kept_all(xs, ox, mx[sl]), _kept_all(ys, oy, my[sl]), p)  # (b, L)
        out[sl] = wpp.mean(axis=1) ** (1 / p)
    return out


def _sliced_resample(px, py, p, value, n_full, m_full, B, alpha, gen):
    nx, ny = px.shape[0], py.shape[0]
    ox, oy = np.argsort(px, axis=0).T, np.argsort(py, axis=0).T  # (L, n)
    xs, ys = np.take_along_axis(px.T, ox, 1), np.take_along_axis(py.T, oy, 1)
    mx, my = half_sample_masks(nx, B, gen), half_sample_masks(ny, B, gen)
    stats = _sliced_stats(xs, ox, ys, oy, mx, my, p)
    pz = np.concatenate([px, py])
    oz = np.argsort(pz, axis=0).T
    zs = np.take_along_axis(pz.T, oz, 1)
    lab = permutation_labels(nx, ny, B, gen)
    perm = _sliced_stats(zs, oz, zs, oz, lab, ~lab, p)
    observed = float(np.mean(_sorted_wpp(xs, ys, p))) ** (1 / p)
    frac = 0.5 * (mx[0].sum() / n_full + my[0].sum() / m_full)
    return basic_interval(value, stats, alpha=alpha, fraction=frac), permutation_pvalue(
        observed, perm)
