r"""Kernel two-sample statistics: MMD² (Gaussian kernel) and the energy distance.

MMD² (Gretton et al. 2012), unbiased U-statistic with the Gaussian kernel
:math:`k(u, v) = \exp(-\|u - v\|^2 / (2h^2))`:

.. math::
    \widehat{MMD}^2_u = \frac{1}{n(n-1)}\sum_{i\ne j} k(x_i, x_j)
    + \frac{1}{m(m-1)}\sum_{i\ne j} k(y_i, y_j) - \frac{2}{nm}\sum_{i,j} k(x_i, y_j).

It is 0 in expectation when P = Q (so it can be slightly negative). The bandwidth ``h``
defaults to the *median heuristic*: the median of the pairwise distances of (at most 1000
points of) the pooled sample.

Energy distance (Székely & Rizzo), in SciPy's convention
(:func:`scipy.stats.energy_distance`): the V-statistic

.. math::
    \mathcal E(x, y) = \sqrt{2\,\overline{\|x - y\|} - \overline{\|x - x'\|}
    - \overline{\|y - y'\|}}

with the averages over all pairs (including :math:`i = j`), Euclidean norm in d dimensions;
with sample weights (``u_weights``, ``v_weights``, as SciPy) the averages are weighted.

Both are computed in row blocks, so memory is O(n · chunk) for any sample size (no n × m
matrix); on the line (d = 1, any backend) the energy distance uses the equivalent
:math:`O(n\log n)` form :math:`2\int (F_n - G_m)^2` (as SciPy does). The block sums stay
arrays of the input's namespace (accumulated in float64) until one host read per estimate.

Check once: :func:`mmd` and :func:`energy_distance` validate their arguments and call the
kernels ``_mmd`` and ``_energy`` (which :func:`divlab.compare` calls directly). Resampling
(half-sampling CIs and permutation p-values, see :mod:`divlab.estimators.resampling`)
forms the pooled kernel/distance matrix once (on at most ``max_matrix_n`` pooled points, a
random subsample beyond that) and evaluates all ``B`` resamples as quadratic forms
:math:`w^T K w` of 0/1 weight vectors, two matrix products in total. Because that pool is
a fixed subsample of ``r`` of the ``N`` points the estimate used, the deviations are scaled
by the pool ratio (:func:`divlab.estimators.resampling.pool_ratio`) so that the interval
has the variance :math:`\sigma^2/N` of the estimate, not :math:`\sigma^2/(2N - r)`.
Both statistics are squared distances whose variance grows with their value; the interval
is the score interval of :func:`~divlab.estimators.resampling.variance_function_interval`
(half-sampling variance at the estimate, slope from the permutation variance), longer on the
side of larger values.

Large samples (``max_n``): both statistics cost :math:`O(nmd)`. With ``max_n`` set, each
sample larger than ``max_n`` is replaced by a random subsample of ``max_n`` points (drawn
without replacement) *before* the estimate; the estimate is then the statistic of the
subsample, an estimate of the same population value with the variance of ``max_n`` points,
and the interval is computed for exactly that (``details["subsampled_to"]``). The 1-D
energy distance is :math:`O(n \log n)` and never subsampled. :func:`divlab.compare` uses
``max_n = MAX_KERNEL_N = 10000``.

Standardisation (``scale``): per-column divisors applied to both samples first (the
caller computes them once, e.g. pooled standard deviations); the statistics are then
those of the standardised data (a given ``bandwidth`` is in standardised units).

Range of the intervals: the energy distance's interval lies in :math:`[0, \infty)`; the
unbiased MMD² can be negative, so its interval is clipped below at
:math:`\min(0, \widehat{MMD}^2_u)` (it goes below 0 only as far as the estimate itself)
and always reaches up to at least 0 (the population value is :math:`\ge 0`, so an interval
entirely below 0 would exclude every possible value; ``mmd(x, x)`` thus covers 0).

Shared work: :func:`_mmd_energy` forms each block of squared distances once and derives
both the Gaussian kernel sums and the distance sums from it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._array import (
    array_namespace,
    chunk_slices,
    default_chunk_rows,
    device_rescale_pair,
    from_numpy,
    host_float64,
    host_floats,
)
from .._validate import (
    argument_hints,
    check_int,
    check_positive,
    check_rng,
    check_sample_pair,
    check_weights,
)
from ..costs import pairwise_cost_unchecked
from ..errors import ParameterError
from ._result import Estimate
from .resampling import (
    check_alpha,
    half_sample_masks,
    permutation_labels,
    permutation_pvalue,
    pool_ratio,
    variance_function_interval,
)

__all__ = ["mmd", "energy_distance", "median_bandwidth", "MAX_KERNEL_N", "MAX_MATRIX_N"]

#: Largest pooled sample whose full kernel matrix is used for resampling.
MAX_MATRIX_N = 2000
#: Suggested ``max_n`` for callers that must finish in seconds at any size
#: (:func:`divlab.compare`): MMD and the energy distance (d > 1) on at most this many points
#: per sample.
MAX_KERNEL_N = 10_000


def median_bandwidth(x: Any, y: Any, *, max_points: int = 1000, rng: Any = 0) -> float:
    """Median heuristic: median pairwise Euclidean distance of the pooled sample.

    At most ``max_points`` pooled points (a random subset drawn with ``rng``) are used.
    Returns 1.0 when all points coincide.

    Examples
    --------
    >>> median_bandwidth([[0.0], [1.0]], [[2.0]])
    1.0
    """
    xp, x, y = check_sample_pair(x, y)
    return _median_bandwidth(x, y, xp, max_points=max_points, gen=check_rng(rng))


def _median_bandwidth(x: Any, y: Any, xp: Any, *, max_points: int,
                      gen: np.random.Generator) -> float:
    """Kernel of :func:`median_bandwidth` (validated samples; one host copy of at most
    ``max_points`` pooled points, drawn on the device)."""
    z = xp.concat([x, y], axis=0)
    if z.shape[0] > max_points:  # pick the subset on the device, copy only it to the host
        idx = np.sort(gen.choice(z.shape[0], size=max_points, replace=False))
        z = xp.take(z, xp.asarray(idx), axis=0)
    z = host_float64(z, xp)
    from scipy.spatial.distance import pdist

    dist = pdist(z)
    h = float(np.median(dist)) if dist.size else 0.0
    if h <= 0:
        pos = dist[dist > 0]
        h = float(np.median(pos)) if pos.size else 1.0
    return h


def _gauss(sq: Any, h: float, xp: Any) -> Any:
    """Gaussian kernel ``exp(-sq / (2 h^2))`` of squared distances, for any ``h > 0``.

    ``sq`` is clipped where the kernel underflows to 0 anyway (so ``sq * c`` cannot
    overflow); a bandwidth so small that ``1 / h^2`` is not representable gives the limit
    kernel ``[sq == 0]``.
    """
    h2 = h * h
    c = 0.5 / h2 if h2 > 0.0 else math.inf
    if c > 1.0:  # sq * c > 1e3 means exp(-sq * c) == 0: clip there
        t = 1e3 / c
        if t < float(xp.finfo(sq.dtype).smallest_normal):
            return xp.astype(sq == 0, sq.dtype)
        sq = xp.minimum(sq, xp.asarray(t, dtype=sq.dtype))
    return xp.exp(sq * (-c))


def _block_sums_multi(x: Any, y: Any, xp: Any, kinds: tuple[str, ...], h: float) -> dict:
    """Sums over all pairs of k(x_i, y_j) (``"gauss"``) and/or ||x_i - y_j|| (``"dist"``).

    Each row block of squared distances is formed once and serves every kind. Values are
    0-d float64 arrays of ``xp`` (the block sums are accumulated in float64, no host read).
    """
    rows = default_chunk_rows(y.shape[0], 8, 32 * 2**20)
    total: dict[str, Any] = {}
    for sl in chunk_slices(x.shape[0], rows):
        sq = pairwise_cost_unchecked(x[sl, :], y, xp, metric="sqeuclidean")
        for kind in kinds:
            blk = _gauss(sq, h, xp) if kind == "gauss" else xp.sqrt(sq)
            part = xp.astype(xp.sum(blk), xp.float64)
            total[kind] = part if kind not in total else total[kind] + part
    return total


def _block_sums(x: Any, y: Any, xp: Any, kind: str, h: float) -> Any:
    """Sum over all pairs of k(x_i, y_j) (kind='gauss') or ||x_i - y_j|| (kind='dist')."""
    return _block_sums_multi(x, y, xp, (kind,), h)[kind]


def _matrix(z: np.ndarray, kind: str, h: float) -> np.ndarray:
    sq = pairwise_cost_unchecked(z, z, None, metric="sqeuclidean")
    if kind == "gauss":
        k = _gauss(sq, h, np)
        np.fill_diagonal(k, 0.0)
        return k
    return np.sqrt(sq)


def _stats_from_weights(K: np.ndarray, U: np.ndarray, V: np.ndarray, kind: str) -> np.ndarray:
    """Statistic for each row pair of 0/1 weight matrices U (x-part) and V (y-part)."""
    KU = U @ K
    suu = np.einsum("bi,bi->b", KU, U)
    suv = np.einsum("bi,bi->b", KU, V)
    svv = np.einsum("bi,bi->b", V @ K, V)
    nu, nv = U.sum(axis=1), V.sum(axis=1)
    if kind == "gauss":  # K has a zero diagonal: U-statistic
        return suu / (nu * (nu - 1)) + svv / (nv * (nv - 1)) - 2 * suv / (nu * nv)
    return 2 * suv / (nu * nv) - suu / nu**2 - svv / nv**2


_CI_METHOD = ("score interval from the half-sampling variance and the permutation variance "
              "(variance growing with the value)")


def _resample(x, y, xp, kind, h, value_stat, B, alpha, gen, max_matrix_n):
    """Half-sampling CI and permutation p-value for the quadratic statistics (host).

    ``x``, ``y`` are the samples the estimate ``value_stat`` used; the pool of at most
    ``max_matrix_n`` points is a subsample of them, accounted for by the pool ratio."""
    xn, yn = host_float64(x, xp), host_float64(y, xp)
    n, m = xn.shape[0], yn.shape[0]
    sub = {}
    if n + m > max_matrix_n:  # resample on a random subsample, keeping the x/y proportions
        nx = max(2, min(n - 1, round(max_matrix_n * n / (n + m))))
        ny = max(2, min(m - 1, max_matrix_n - nx))
        xn = xn[np.sort(gen.choice(n, nx, replace=False))]
        yn = yn[np.sort(gen.choice(m, ny, replace=False))]
        sub = {"resample_subsample": [nx, ny]}
    nx, ny = xn.shape[0], yn.shape[0]
    K = _matrix(np.concatenate([xn, yn]), kind, h)
    mx, my = half_sample_masks(nx, B, gen), half_sample_masks(ny, B, gen)
    # The U-statistic (MMD) needs 2 points per half-sample: none for n or m < 4.
    with_ci = kind != "gauss" or min(int(mx[0].sum()), int(my[0].sum())) >= 2
    if with_ci:
        U = np.concatenate([mx, np.zeros((B, ny), bool)], axis=1).astype(np.float64)
        V = np.concatenate([np.zeros((B, nx), bool), my], axis=1).astype(np.float64)
        stats = _stats_from_weights(K, U, V, kind)
    else:
        stats = np.full(B, np.nan)
    frac = 0.5 * (mx[0].sum() / nx + my[0].sum() / ny)  # share of the pool
    ratio = pool_ratio(nx, ny, n, m)  # pool vs the data of the estimate
    labels = permutation_labels(nx, ny, B, gen).astype(np.float64)
    perm = _stats_from_weights(K, labels, 1.0 - labels, kind)
    if sub:  # observed statistic on the same subsample as the permutations
        full = np.concatenate([np.ones(nx), np.zeros(ny)])[None, :]
        observed = float(_stats_from_weights(K, full, 1.0 - full, kind)[0])
    else:
        observed = value_stat
    if with_ci:
        # both are squared distances whose variance grows with the value (resampling
        # module docstring): score interval with the half-sampling and permutation variances
        if kind == "gauss":  # MMD^2_u: population value >= 0, the estimate may be < 0
            lo, hi = variance_function_interval(value_stat, stats, perm, alpha=alpha,
                                                fraction=frac, ratio=ratio,
                                                lower=min(0.0, value_stat))
            ci = (lo, max(hi, 0.0))
        else:
            ci = variance_function_interval(value_stat, stats, perm, alpha=alpha, fraction=frac,
                                            ratio=ratio, lower=0.0)
        info = {"ci_method": _CI_METHOD, "n_resamples": B, **sub}
    else:
        ci = None
        info = {"ci_method": "none (half-samples of one point: the U-statistic needs 2)",
                "n_resamples": B, **sub}
    return ci, stats, permutation_pvalue(observed, perm), info


def mmd(
    x: Any,
    y: Any,
    *,
    bandwidth: float | None = None,
    n_resamples: int = 0,
    alpha: float = 0.05,
    rng: Any = None,
    max_matrix_n: int = MAX_MATRIX_N,
) -> Estimate:
    r"""Unbiased MMD² between samples with a Gaussian kernel (module docstring for formulas).

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d)
        Samples (n, m >= 2).
    bandwidth : float, optional
        Kernel bandwidth ``h``; default: median heuristic (:func:`median_bandwidth`).
    n_resamples : int
        Half-samples (CI) and relabellings (p-value); 0 for neither. The CI needs
        ``n, m >= 4`` (half-samples of at least 2 points); otherwise ``ci`` is ``None`` (see
        ``details["ci_method"]``) and only the p-value is computed.
    alpha : float
        CI level ``1 - alpha``.
    rng : None, int or numpy.random.Generator
        Resampling randomness (and the bandwidth subsample).
    max_matrix_n : int
        Largest pooled sample whose kernel matrix is formed for resampling.

    Returns
    -------
    Estimate
        ``value`` = MMD² (may be slightly negative for near-identical samples; unbiased, so
        no bias to report); ``details["bandwidth"]``. The interval reaches at least 0 and
        goes below 0 only as far as a negative estimate (module docstring), so
        ``mmd(x, x)`` covers 0.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(500, 2)), rng.normal(size=(500, 2))
    >>> abs(mmd(x, y).value) < 0.01
    True
    """
    xp, x, y = check_sample_pair(x, y, min_n=2)
    n_resamples = check_int(n_resamples, "n_resamples", min_value=0)
    alpha = check_alpha(alpha)
    max_matrix_n = check_int(max_matrix_n, "max_matrix_n", min_value=8)
    gen = check_rng(rng)
    if bandwidth is not None:
        bandwidth = check_positive(bandwidth, "bandwidth")
    return _mmd(x, y, xp, bandwidth=bandwidth, n_resamples=n_resamples, alpha=alpha, gen=gen,
                max_matrix_n=max_matrix_n)


def _prepare(x: Any, y: Any, xp: Any, *, scale: Any, max_n: int | None,
             gen: np.random.Generator) -> tuple[Any, Any, dict[str, Any]]:
    """Standardise by ``scale`` (per-column divisors) and subsample to ``max_n`` points per
    sample (indices drawn from ``gen``: first for ``x``, then for ``y``)."""
    info: dict[str, Any] = {}
    if scale is not None:
        sc = from_numpy(np.asarray(scale, dtype=np.float64), xp, like=x, dtype=x.dtype)
        x, y = x / sc, y / sc
        info["scale"] = [float(v) for v in np.asarray(scale, dtype=np.float64).ravel()]
    n, m = x.shape[0], y.shape[0]
    if max_n is not None and max(n, m) > max_n:
        if n > max_n:
            x = xp.take(x, xp.asarray(np.sort(gen.choice(n, max_n, replace=False))), axis=0)
        if m > max_n:
            y = xp.take(y, xp.asarray(np.sort(gen.choice(m, max_n, replace=False))), axis=0)
        info["subsampled_to"] = [int(x.shape[0]), int(y.shape[0])]
        info["subsample_note"] = (
            f"O(n m) cost: estimate and interval on a random subsample of at most {max_n} "
            "points per sample (the interval has the subsample's variance)")
    return x, y, info


def _mmd_energy_streams(gen: np.random.Generator) -> dict[str, np.random.Generator]:
    """The random streams :func:`_mmd_energy` derives from ``gen``: ``"sub"`` (subsample),
    ``"mmd"`` and ``"energy"`` (bandwidth subsample and resampling of each statistic)."""
    seeds = gen.integers(2**63 - 1, size=3)
    return {k: np.random.default_rng(int(v)) for k, v in zip(("sub", "mmd", "energy"), seeds,
                                                               strict=True)}


def _mmd_h(x: Any, y: Any, xp: Any, bandwidth: float | None, s_h: float,
           gen: np.random.Generator) -> float:
    """Bandwidth in the rescaled units of ``x``, ``y`` (divided by ``s_h``)."""
    if bandwidth is None:
        return _median_bandwidth(x, y, xp, max_points=1000, gen=gen)
    return bandwidth / s_h


def mmd2_from_sums(kxx: float, kyy: float, kxy: float, n: int, m: int) -> float:
    r"""Unbiased MMD² from kernel sums over ordered pairs *without* the diagonal:
    :math:`K_{xx}/(n(n-1)) + K_{yy}/(m(m-1)) - 2K_{xy}/(nm)`."""
    return kxx / (n * (n - 1)) + kyy / (m * (m - 1)) - 2 * kxy / (n * m)


def energy2_from_sums(dxx: float, dyy: float, dxy: float, n: int, m: int) -> float:
    r"""Squared energy distance (V-statistic) from Euclidean-distance sums over ordered
    pairs: :math:`\max(2D_{xy}/(nm) - D_{xx}/n^2 - D_{yy}/m^2,\ 0)`."""
    return max(2 * dxy / (n * m) - dxx / n**2 - dyy / m**2, 0.0)


def _mmd_finish(x, y, xp, h, s_h, sums, bandwidth, n_resamples, alpha, gen, max_matrix_n,
                n0, m0, info) -> Estimate:
    """MMD² from the block sums (``sums[("xx"|"yy"|"xy")]["gauss"]``), with resampling."""
    n, m = x.shape[0], y.shape[0]
    sxx, syy, sxy = host_floats(xp, sums["xx"]["gauss"], sums["yy"]["gauss"],
                                sums["xy"]["gauss"])
    sxx -= n  # remove the diagonal k(x_i, x_i) = 1
    syy -= m
    value = mmd2_from_sums(sxx, syy, sxy, n, m)
    rule = "median heuristic" if bandwidth is None else "given"
    h_out = h * s_h if bandwidth is None else bandwidth  # in the units of the (scaled) data
    details: dict[str, Any] = {"bandwidth": h_out, "kernel": "gaussian", "bandwidth_rule": rule,
                               **info}
    ci = p = None
    if n_resamples:
        ci, _, p, rinfo = _resample(x, y, xp, "gauss", h, value, n_resamples, alpha, gen,
                                    max_matrix_n)
        details.update(rinfo)
    method = f"unbiased MMD^2, Gaussian kernel (h={h_out:.3g})"
    if "subsampled_to" in info:
        method += f" on {n}+{m} subsample"
    if ci is not None:
        method += "; score CI"
    return Estimate(float(value), ci, method, (n0, m0), details, p)


def _energy_finish(x, y, xp, e2, s_e, n_resamples, alpha, gen, max_matrix_n, n0, m0,
                   info) -> Estimate:
    """Energy distance from the (clipped) squared statistic ``e2`` of the rescaled data."""
    n, m = x.shape[0], y.shape[0]
    root = math.sqrt(s_e)
    value = math.sqrt(e2) * root
    details: dict[str, Any] = {"squared": e2 * s_e, **info}
    ci = p = None
    if n_resamples and min(n, m) >= 2:
        ci2, _, p, rinfo = _resample(x, y, xp, "dist", 1.0, e2, n_resamples, alpha, gen,
                                     max_matrix_n)
        ci = (math.sqrt(max(ci2[0], 0.0)) * root, math.sqrt(max(ci2[1], 0.0)) * root)
        ci = (min(ci[0], value), max(ci[1], value))  # sqrt rounding: keep the estimate inside
        details.update(rinfo)
    method = "energy distance (V-statistic, Szekely-Rizzo)"
    if "subsampled_to" in info:
        method += f" on {n}+{m} subsample"
    if ci is not None:
        method += "; score CI"
    return Estimate(value, ci, method, (n0, m0), details, p)


def _mmd(
    x: Any, y: Any, xp: Any, *, bandwidth: float | None, n_resamples: int, alpha: float,
    gen: np.random.Generator, max_matrix_n: int = MAX_MATRIX_N, max_n: int | None = None,
    scale: Any = None, sub_gen: np.random.Generator | None = None,
) -> Estimate:
    """Kernel of :func:`mmd` (validated samples with n, m >= 2; validated parameters).

    ``scale``: per-column divisors (host array) or ``None``; ``max_n``: subsample size cap
    (module docstring), indices drawn from ``sub_gen`` (default ``gen``) before anything
    else. ``gen`` then draws the bandwidth subsample and the resamples.
    """
    n0, m0 = x.shape[0], y.shape[0]
    x, y, info = _prepare(x, y, xp, scale=scale, max_n=max_n,
                          gen=gen if sub_gen is None else sub_gen)
    # MMD depends on the data only through (x - y) / h: exact power-of-two rescaling of
    # huge or tiny coordinates (squared distances would overflow or underflow).
    x, y, s = device_rescale_pair(x, y, xp, power=2.0)
    s_h, = host_floats(xp, s)  # the kernel needs h / scale on the host
    h = _mmd_h(x, y, xp, bandwidth, s_h, gen)
    sums = {"xx": _block_sums_multi(x, x, xp, ("gauss",), h),
            "yy": _block_sums_multi(y, y, xp, ("gauss",), h),
            "xy": _block_sums_multi(x, y, xp, ("gauss",), h)}
    return _mmd_finish(x, y, xp, h, s_h, sums, bandwidth, n_resamples, alpha, gen,
                       max_matrix_n, n0, m0, info)


def _mmd_energy(
    x: Any, y: Any, xp: Any = None, *, n_resamples: int, alpha: float,
    gen: np.random.Generator, want: tuple[str, ...] = ("mmd", "energy"),
    max_n: int | None = None, scale: Any = None, bandwidth: float | None = None,
    max_matrix_n: int = MAX_MATRIX_N,
) -> dict[str, Estimate]:
    """MMD² and the energy distance from one pass over the pairwise distances.

    Validated samples (n, m >= 2) and parameters, as :func:`_mmd` and :func:`_energy`.
    ``gen`` is split into three streams by :func:`_mmd_energy_streams`; the result is
    identical to ``_mmd(..., gen=st["mmd"], sub_gen=st["sub"])`` and
    ``_energy(..., gen=st["energy"], sub_gen=st["sub"])`` with ``st`` those streams (the
    subsample is common, so the squared distances are computed once for both).
    """
    if xp is None:
        xp = array_namespace(x, y)
    want = tuple(dict.fromkeys(want))
    bad = [w for w in want if w not in ("mmd", "energy")]
    if bad or not want:
        raise ParameterError(f"`want` must name 'mmd' and/or 'energy', got {want!r}")
    st = _mmd_energy_streams(gen)
    n0, m0 = x.shape[0], y.shape[0]
    out: dict[str, Estimate] = {}
    if x.shape[1] == 1 or "mmd" not in want:  # nothing to share: energy in 1-D is by sorting
        if "mmd" in want:
            out["mmd"] = _mmd(x, y, xp, bandwidth=bandwidth, n_resamples=n_resamples,
                              alpha=alpha, gen=st["mmd"], max_matrix_n=max_matrix_n,
                              max_n=max_n, scale=scale, sub_gen=st["sub"])
        if "energy" in want:
            out["energy"] = _energy(x, y, xp, n_resamples=n_resamples, alpha=alpha,
                                    gen=st["energy"], max_matrix_n=max_matrix_n, max_n=max_n,
                                    scale=scale, sub_gen=st["sub"])
        return {k: out[k] for k in want}
    xs, ys, info = _prepare(x, y, xp, scale=scale, max_n=max_n, gen=st["sub"])
    xs, ys, s = device_rescale_pair(xs, ys, xp, power=2.0)
    s_h, = host_floats(xp, s)
    h = _mmd_h(xs, ys, xp, bandwidth, s_h, st["mmd"])
    kinds = ("gauss", "dist") if "energy" in want else ("gauss",)
    sums = {"xx": _block_sums_multi(xs, xs, xp, kinds, h),
            "yy": _block_sums_multi(ys, ys, xp, kinds, h),
            "xy": _block_sums_multi(xs, ys, xp, kinds, h)}
    out["mmd"] = _mmd_finish(xs, ys, xp, h, s_h, sums, bandwidth, n_resamples, alpha,
                             st["mmd"], max_matrix_n, n0, m0, info)
    if "energy" in want:
        n, m = xs.shape[0], ys.shape[0]
        sxx, syy, sxy = host_floats(xp, sums["xx"]["dist"], sums["yy"]["dist"],
                                    sums["xy"]["dist"])
        e2 = energy2_from_sums(sxx, syy, sxy, n, m)
        out["energy"] = _energy_finish(xs, ys, xp, e2, s_h, n_resamples, alpha, st["energy"],
                                       max_matrix_n, n0, m0, info)
    return {k: out[k] for k in want}


@argument_hints
def energy_distance(
    x: Any,
    y: Any,
    *,
    u_weights: Any = None,
    v_weights: Any = None,
    n_resamples: int = 0,
    alpha: float = 0.05,
    rng: Any = None,
    max_matrix_n: int = MAX_MATRIX_N,
) -> Estimate:
    r"""Energy distance between samples, as :func:`scipy.stats.energy_distance` (any d).

    .. math::
        \mathcal E = \sqrt{2\,\overline{\|x-y\|} - \overline{\|x-x'\|} - \overline{\|y-y'\|}}

    With weights :math:`a = ` ``u_weights``, :math:`b = ` ``v_weights`` (normalised) the
    averages are weighted: :math:`\mathcal E^2 = 2\sum_{ij} a_i b_j \|x_i - y_j\|
    - \sum_{ii'} a_i a_{i'} \|x_i - x_{i'}\| - \sum_{jj'} b_j b_{j'} \|y_j - y_{j'}\|`,
    the energy distance between the weighted empirical measures; on the line it equals
    :math:`2\int (F_a - G_b)^2`, SciPy's ``energy_distance(u, v, u_weights, v_weights)``.

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d)
        Samples.
    u_weights, v_weights : array_like, shape (n,) and (m,), optional
        Non-negative sample weights (normalised; uniform when omitted), as in
        :func:`scipy.stats.energy_distance`. Not combined with ``n_resamples``.
    n_resamples, alpha, rng, max_matrix_n
        As in :func:`mmd`; the CI is computed for :math:`\mathcal E^2` and square-rooted
        (clipped at 0).

    Returns
    -------
    Estimate

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import energy_distance as sp_energy
    >>> x, y = np.array([0.0, 1.0, 3.0]), np.array([2.0, 5.0])
    >>> bool(np.isclose(energy_distance(x, y).value, sp_energy(x, y)))
    True
    >>> w = [1.0, 2.0, 1.0]
    >>> bool(np.isclose(energy_distance(x, y, u_weights=w).value, sp_energy(x, y, w)))
    True
    """
    xp, x, y = check_sample_pair(x, y, min_n=1)
    n_resamples = check_int(n_resamples, "n_resamples", min_value=0)
    alpha = check_alpha(alpha)
    max_matrix_n = check_int(max_matrix_n, "max_matrix_n", min_value=8)
    gen = check_rng(rng)
    weighted = u_weights is not None or v_weights is not None
    if weighted and n_resamples:
        raise ParameterError(
            "`n_resamples` > 0 is not available with `u_weights`/`v_weights` (the "
            "half-sampling CI and permutation test are for unweighted samples)"
        )
    wu = wv = None
    if weighted:
        wu = check_weights(u_weights, x.shape[0], "u_weights", xp=xp, dtype=xp.float64, like=x)
        wv = check_weights(v_weights, y.shape[0], "v_weights", xp=xp, dtype=xp.float64, like=y)
    return _energy(x, y, xp, n_resamples=n_resamples, alpha=alpha, gen=gen,
                   max_matrix_n=max_matrix_n, wu=wu, wv=wv)


def _energy(
    x: Any, y: Any, xp: Any, *, n_resamples: int, alpha: float, gen: np.random.Generator,
    max_matrix_n: int = MAX_MATRIX_N, wu: Any = None, wv: Any = None,
    max_n: int | None = None, scale: Any = None, sub_gen: np.random.Generator | None = None,
) -> Estimate:
    """Kernel of :func:`energy_distance` (validated samples and parameters; ``wu``, ``wv``
    normalised float64 weights or ``None``, both ``None`` or both given, no resampling).

    ``scale``: per-column divisors or ``None``; ``max_n``: subsample cap for ``d > 1``
    and unweighted samples (indices from ``sub_gen``, default ``gen``); the 1-D statistic is
    :math:`O(n \\log n)` and never subsampled.
    """
    n0, m0 = x.shape[0], y.shape[0]
    cap = max_n if (wu is None and x.shape[1] > 1) else None
    x, y, info = _prepare(x, y, xp, scale=scale, max_n=cap,
                          gen=gen if sub_gen is None else sub_gen)
    n, m = x.shape[0], y.shape[0]
    # E^2 is 1-homogeneous (E is 1/2-homogeneous): exact power-of-two rescaling of huge or
    # tiny coordinates, whose squared distances would overflow or underflow.
    x, y, s = device_rescale_pair(x, y, xp, power=2.0)
    if wu is not None:
        if x.shape[1] == 1:
            e2_arr = _energy2_1d(x[:, 0], y[:, 0], xp, wu, wv)
        else:
            e2_arr = (2.0 * _weighted_dist_sum(x, y, wu, wv, xp)
                      - _weighted_dist_sum(x, x, wu, wu, xp)
                      - _weighted_dist_sum(y, y, wv, wv, xp))
        e2, s_e = host_floats(xp, e2_arr, s)
        e2 = max(e2, 0.0)
        value = math.sqrt(e2) * math.sqrt(s_e)
        return Estimate(value, None, "energy distance (weighted V-statistic, Szekely-Rizzo)",
                        (n, m), {"squared": e2 * s_e, "weighted": True, **info}, None)
    if x.shape[1] == 1:  # O((n+m) log(n+m)): 2 * integral (F - G)^2
        e2, s_e = host_floats(xp, _energy2_1d(x[:, 0], y[:, 0], xp), s)
        e2 = max(e2, 0.0)
    else:
        sums = {k: _block_sums_multi(a, b, xp, ("dist",), 1.0)["dist"]
                for k, a, b in (("xx", x, x), ("yy", y, y), ("xy", x, y))}
        sxx, syy, sxy, s_e = host_floats(xp, sums["xx"], sums["yy"], sums["xy"], s)
        e2 = energy2_from_sums(sxx, syy, sxy, n, m)
    return _energy_finish(x, y, xp, e2, s_e, n_resamples, alpha, gen, max_matrix_n, n0, m0,
                          info)


def _weighted_dist_sum(x: Any, y: Any, wx: Any, wy: Any, xp: Any) -> Any:
    r""":math:`\sum_{ij} w^x_i w^y_j \|x_i - y_j\|` in row blocks (memory O(rows * m)), a 0-d
    float64 array of ``xp`` (no host read)."""
    rows = default_chunk_rows(y.shape[0], 8, 32 * 2**20)
    total = None
    for sl in chunk_slices(x.shape[0], rows):
        sq = pairwise_cost_unchecked(x[sl, :], y, xp, metric="sqeuclidean")
        blk = xp.astype(xp.sqrt(sq), xp.float64)
        part = xp.sum(xp.sum(blk * wy[None, :], axis=1) * wx[sl])
        total = part if total is None else total + part
    return total


def _energy2_1d(u: Any, v: Any, xp: Any, wu: Any = None, wv: Any = None) -> Any:
    r"""Squared energy distance on the line, :math:`2\int (F - G)^2`, by sorting.

    ``F``, ``G`` are the empirical CDFs, weighted by ``wu``, ``wv`` (normalised float64
    weights, both given) or uniform (both ``None``). ``xp`` operations only (any backend), in
    float64; a 0-d array (may be a rounding error below 0: the caller clips)."""
    u = xp.astype(u, xp.float64)
    v = xp.astype(v, xp.float64)
    if wu is None:
        u = xp.sort(u)
        v = xp.sort(v)
    else:
        ou, ov = xp.argsort(u), xp.argsort(v)
        u, v = xp.take(u, ou), xp.take(v, ov)
        zero = xp.zeros((1,), dtype=xp.float64)
        cu = xp.concat([zero, xp.cumulative_sum(xp.take(wu, ou))])
        cv = xp.concat([zero, xp.cumulative_sum(xp.take(wv, ov))])
    allv = xp.sort(xp.concat([u, v]))
    deltas = allv[1:] - allv[:-1]
    ku = xp.searchsorted(u, allv[:-1], side="right")
    kv = xp.searchsorted(v, allv[:-1], side="right")
    if wu is None:
        fu = xp.astype(ku, xp.float64) / u.shape[0]
        fv = xp.astype(kv, xp.float64) / v.shape[0]
    else:
        fu = xp.take(cu, ku) / cu[-1]
        fv = xp.take(cv, kv) / cv[-1]
    return 2.0 * xp.sum((fu - fv) ** 2 * deltas)
