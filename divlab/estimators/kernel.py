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
:math:`w^T K w` of 0/1 weight vectors, two matrix products in total.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._array import (
    chunk_slices,
    default_chunk_rows,
    device_rescale_pair,
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
    basic_interval,
    check_alpha,
    half_sample_masks,
    permutation_labels,
    permutation_pvalue,
)

__all__ = ["mmd", "energy_distance", "median_bandwidth"]

#: Largest pooled sample whose full kernel matrix is used for resampling.
MAX_MATRIX_N = 2000


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


def _block_sums(x: Any, y: Any, xp: Any, kind: str, h: float) -> Any:
    """Sum over all pairs of k(x_i, y_j) (kind='gauss') or ||x_i - y_j|| (kind='dist').

    A 0-d float64 array of ``xp`` (the block sums are accumulated in float64, no host read).
    """
    rows = default_chunk_rows(y.shape[0], 8, 32 * 2**20)
    total = None
    for sl in chunk_slices(x.shape[0], rows):
        sq = pairwise_cost_unchecked(x[sl, :], y, xp, metric="sqeuclidean")
        if kind == "gauss":
            blk = _gauss(sq, h, xp)
        else:
            blk = xp.sqrt(sq)
        part = xp.astype(xp.sum(blk), xp.float64)
        total = part if total is None else total + part
    return total


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


def _resample(x, y, xp, kind, h, value_stat, B, alpha, gen, max_matrix_n):
    """Half-sampling CI and permutation p-value for the quadratic statistics (host)."""
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
    frac = 0.5 * (mx[0].sum() / n + my[0].sum() / m)  # share of the *full* data
    labels = permutation_labels(nx, ny, B, gen).astype(np.float64)
    perm = _stats_from_weights(K, labels, 1.0 - labels, kind)
    if sub:  # observed statistic on the same subsample as the permutations
        full = np.concatenate([np.ones(nx), np.zeros(ny)])[None, :]
        observed = float(_stats_from_weights(K, full, 1.0 - full, kind)[0])
    else:
        observed = value_stat
    if with_ci:
        ci = basic_interval(value_stat, stats, alpha=alpha, fraction=frac)
        info = {"ci_method": "half-sampling basic interval", "n_resamples": B, **sub}
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
        ``value`` = MMD² (may be slightly negative for near-identical samples);
        ``details["bandwidth"]``.

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


def _mmd(
    x: Any, y: Any, xp: Any, *, bandwidth: float | None, n_resamples: int, alpha: float,
    gen: np.random.Generator, max_matrix_n: int = MAX_MATRIX_N,
) -> Estimate:
    """Kernel of :func:`mmd` (validated samples with n, m >= 2; validated parameters)."""
    n, m = x.shape[0], y.shape[0]
    # MMD depends on the data only through (x - y) / h: exact power-of-two rescaling of
    # huge or tiny coordinates (squared distances would overflow or underflow).
    x, y, s = device_rescale_pair(x, y, xp, power=2.0)
    scale, = host_floats(xp, s)  # the kernel needs h / scale on the host
    h = (_median_bandwidth(x, y, xp, max_points=1000, gen=gen) if bandwidth is None
         else bandwidth / scale)
    sxx, syy, sxy = host_floats(
        xp, _block_sums(x, x, xp, "gauss", h), _block_sums(y, y, xp, "gauss", h),
        _block_sums(x, y, xp, "gauss", h))
    sxx -= n  # remove the diagonal k(x_i, x_i) = 1
    syy -= m
    value = sxx / (n * (n - 1)) + syy / (m * (m - 1)) - 2 * sxy / (n * m)
    rule = "median heuristic" if bandwidth is None else "given"
    h_out = h * scale if bandwidth is None else bandwidth  # in the units of the data
    details: dict[str, Any] = {"bandwidth": h_out, "kernel": "gaussian", "bandwidth_rule": rule}
    ci = p = None
    if n_resamples:
        ci, _, p, info = _resample(x, y, xp, "gauss", h, value, n_resamples, alpha, gen,
                                   max_matrix_n)
        details.update(info)
    method = f"unbiased MMD^2, Gaussian kernel (h={h_out:.3g})"
    return Estimate(float(value), ci, method, (n, m), details, p)


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
) -> Estimate:
    """Kernel of :func:`energy_distance` (validated samples and parameters; ``wu``, ``wv``
    normalised float64 weights or ``None``, both ``None`` or both given, no resampling)."""
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
        e2, scale = host_floats(xp, e2_arr, s)
        e2 = max(e2, 0.0)
        value = math.sqrt(e2) * math.sqrt(scale)
        return Estimate(value, None, "energy distance (weighted V-statistic, Szekely-Rizzo)",
                        (n, m), {"squared": e2 * scale, "weighted": True}, None)
    if x.shape[1] == 1:  # O((n+m) log(n+m)): 2 * integral (F - G)^2
        e2, scale = host_floats(xp, _energy2_1d(x[:, 0], y[:, 0], xp), s)
        e2 = max(e2, 0.0)
    else:
        sxx, syy, sxy, scale = host_floats(
            xp, _block_sums(x, x, xp, "dist", 1.0), _block_sums(y, y, xp, "dist", 1.0),
            _block_sums(x, y, xp, "dist", 1.0), s)
        e2 = max(2 * sxy / (n * m) - sxx / n**2 - syy / m**2, 0.0)
    root = math.sqrt(scale)
    value = math.sqrt(e2) * root
    details: dict[str, Any] = {"squared": e2 * scale}
    ci = p = None
    if n_resamples and min(n, m) >= 2:
        ci2, _, p, info = _resample(x, y, xp, "dist", 1.0, e2, n_resamples, alpha, gen,
                                    max_matrix_n)
        ci = (math.sqrt(max(ci2[0], 0.0)) * root, math.sqrt(max(ci2[1], 0.0)) * root)
        details.update(info)
    return Estimate(value, ci, "energy distance (V-statistic, Szekely-Rizzo)", (n, m), details, p)


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
