r"""k-nearest-neighbour estimators of KL divergence, entropy and Jensen–Shannon divergence.

KL divergence (Wang, Kulkarni & Verdú 2009, "Divergence estimation for multidimensional
densities via k-nearest-neighbor distances", IEEE Trans. Inf. Theory 55(5)). With
:math:`\rho_l(i)` the distance from :math:`x_i` to its :math:`l`-th nearest neighbour in
:math:`x \setminus \{x_i\}` and :math:`\nu_k(i)` the distance to its :math:`k`-th nearest
neighbour in :math:`y`,

.. math::
    \widehat{KL}(P\|Q) = \frac{d}{n}\sum_{i=1}^n \log\frac{\nu_{k_i}(i)}{\rho_{l_i}(i)}
    + \frac1n\sum_{i=1}^n\big[\psi(l_i) - \psi(k_i)\big] + \log\frac{m}{n-1}.

*fixed* variant: :math:`l_i = k_i = k` (the digamma terms cancel). *adaptive* variant
(WKV §III-B): :math:`\epsilon_i = \max(\rho_k(i), \nu_k(i))`, :math:`l_i` and :math:`k_i`
are the numbers of points of :math:`x\setminus\{x_i\}` and of :math:`y` within
:math:`\epsilon_i`, and the digamma terms correct the bias of unequal counts.

Entropy (Kozachenko & Leonenko 1987):
:math:`\hat H = \psi(n) - \psi(k) + \log V_d + \frac dn \sum_i \log\rho_k(i)` with
:math:`V_d = \pi^{d/2}/\Gamma(d/2+1)` the volume of the Euclidean unit ball.

Jensen–Shannon: :math:`JS = H(M) - \tfrac12 H(P) - \tfrac12 H(Q)` with :math:`M = \tfrac12
(P + Q)`. A sample of :math:`M` is the pooled sample when both samples have the same
size ``s``; if :math:`n \ne m` the larger sample is first subsampled (without replacement,
with ``rng``) to the smaller size so that the pooled sample has exactly the weights ½, ½.
Each entropy is a Kozachenko–Leonenko estimate; :math:`H(M)`, from the pooled sample of
size ``2s``, uses neighbour order ``2k`` so that all three estimates use neighbour balls of
the same probability mass (about ``k/s``) and their size-dependent biases cancel (with
order ``k`` for :math:`H(M)` the estimate collapses to about 0 in d = 20, see
docs/accuracy-estimators.md). The result is clipped to :math:`[0, \log 2]` (the raw value
is in ``details["raw"]``).

Ties and degenerate samples (documented behaviour, no jitter): a zero neighbour distance
(duplicated points) is replaced by the smallest *positive* neighbour distance the estimator
computed, so ``log 0`` never occurs; more than 1 % of zero distances gives a
:class:`~divlab.errors.DivlabWarning` (the estimate is unreliable there). A sample whose
points are all identical, or whose k-th neighbour distances are all 0 (discrete data with
few values), has no density: the estimators raise :class:`~divlab.errors.EstimationError`
(use the plug-in estimators of :mod:`divlab.estimators.plugin` for discrete data) — except
that two identical constant samples give exactly 0. Huge or tiny coordinates are divided by
an exact power of two first. ``k >= n`` (there is no k-th neighbour) raises
:class:`~divlab.errors.ParameterError`.

Backends: the neighbour search is chosen by :func:`divlab._array.knn_kth_distance` (on
NumPy :class:`scipy.spatial.cKDTree` with ``workers=-1``; other backends (CuPy, array-API
libraries) a chunked brute-force search written with ``xp``, memory O(chunk · n)). The
estimate, the zero-distance floor and the tie diagnostics stay arrays of the input's
namespace until one host read per estimate (:func:`divlab._array.host_floats`; a first one
reads the constant-sample flags).

Check once: each public function validates its arguments and calls a private kernel
(``_knn_kl``, ``_knn_entropy``, ``_knn_js``) that trusts them; :func:`divlab.compare` calls
the kernels directly. Confidence intervals and permutation p-values
(:mod:`divlab.estimators.resampling`) are computed on the host from precomputed neighbour
lists: for a half-sample (or a relabelling) the k-th neighbour *among the kept points* is
read off each point's list, instead of building new trees. Samples larger than
``RESAMPLE_MAX_N = 4000`` are resampled through a random subsample of that size (the CI
width is rescaled to the full size; the permutation test compares like with like).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy.special import digamma, gammaln

from .._array import (
    array_namespace,
    device_rescale_pair,
    from_numpy,
    host_float64,
    host_floats,
    knn_kth_distance,
)
from .._validate import check_choice, check_int, check_rng, check_sample_pair, check_samples
from ..costs import pairwise_cost_unchecked
from ..errors import DivlabWarning, EstimationError, ParameterError
from ._neighbors import knn_table, kth_kept, positive_floor
from ._result import Estimate
from .resampling import (
    basic_interval,
    check_alpha,
    half_sample_masks,
    permutation_labels,
    permutation_pvalue,
)

__all__ = ["DEFAULT_K_ENTROPY", "DEFAULT_K_JS", "DEFAULT_K_KL", "knn_entropy", "knn_js", "knn_kl"]

#: Default k of :func:`knn_kl` (smallest bias for separated pairs, see docs/accuracy-estimators.md).
DEFAULT_K_KL = 1
#: Default k of :func:`knn_js` (smallest mean error over the accuracy grid).
DEFAULT_K_JS = 5
#: Default k of :func:`knn_entropy`.
DEFAULT_K_ENTROPY = 3

_BUDGET = 2**22  # (resample, point) pairs per resampling batch
#: Resampling (CI and permutation test) uses at most this many points per sample.
RESAMPLE_MAX_N = 4000


def _cap(a: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """A random subsample of at most ``RESAMPLE_MAX_N`` rows (the rows themselves if fewer)."""
    limit = RESAMPLE_MAX_N
    if a.shape[0] <= limit:
        return a
    return a[np.sort(gen.choice(a.shape[0], limit, replace=False))]


def _list_len(k: int, fraction: float) -> int:
    """Neighbour-list length so that ``k`` kept entries exist w.h.p. when keeping ``fraction``."""
    mean_needed = k / fraction
    return math.ceil(mean_needed + 5.0 * math.sqrt(mean_needed) + 6)


def _check_k(k: Any, n: int, name: str = "k", *, other: int | None = None) -> int:
    k = check_int(k, name, min_value=1)
    if k >= n:
        raise ParameterError(
            f"`{name}`={k} must be smaller than the number of samples n={n} "
            "(a point has only n - 1 neighbours in its own sample)"
        )
    if other is not None and k > other:
        raise ParameterError(f"`{name}`={k} exceeds the size of the other sample m={other}")
    return k


def _log_ball_volume(d: int) -> float:
    return 0.5 * d * math.log(math.pi) - float(gammaln(0.5 * d + 1.0))


def _batches(n_resamples: int, per_item: int) -> list[slice]:
    step = max(1, _BUDGET // max(1, per_item))
    return [slice(s, min(s + step, n_resamples)) for s in range(0, n_resamples, step)]


def _kth(ref: Any, query: Any, k: int, xp: Any) -> Any:
    """Distance to the k-th neighbour (``query=None``: in ``ref`` itself, self excluded)."""
    return knn_kth_distance(
        ref, query, k, xp,
        pairwise=lambda a, b: pairwise_cost_unchecked(a, b, xp, metric="sqeuclidean"))


def _is_constant(x: Any, xp: Any) -> Any:
    """0-d boolean: every row of the 2-D sample ``x`` is identical."""
    return xp.all(xp.max(x, axis=0) == xp.min(x, axis=0))


def _degenerate(x: Any, y: Any | None, xp: Any, what: str) -> float | None:
    """Return 0.0 for two identical constant samples, raise for a constant sample, else None.

    One host read for all the flags."""
    if y is None:
        cx, = host_floats(xp, _is_constant(x, xp))
        cy = same = 0.0
    else:
        cx, cy, same = host_floats(xp, _is_constant(x, xp), _is_constant(y, xp),
                                   xp.all(x[0, :] == y[0, :]))
    if cx and cy and same:
        return 0.0
    if cx or cy:
        name = "x" if cx else "y"
        raise EstimationError(
            f"all points of `{name}` are identical: a k-NN {what} estimate needs samples from a "
            "continuous distribution; use divlab.estimators.plugin_kl / plugin_js for discrete data"
        )
    return None


def _floor(xp: Any, *dists: Any) -> Any:
    """Smallest strictly positive distance of the tables (0-d, ``+inf`` if there is none)."""
    best = None
    for r in dists:
        low = xp.min(xp.where(r > 0, r, xp.full_like(r, math.inf)))
        best = low if best is None else xp.minimum(best, low)
    return best


def _floored_log(r: Any, floor: Any, xp: Any) -> Any:
    """``log(max(r, floor))``; a missing floor (``+inf``) is replaced by 1 so that no
    ``log 0`` is evaluated (the caller raises then)."""
    fl = xp.where(xp.isfinite(floor), floor, xp.ones_like(floor))
    return xp.log(xp.maximum(r, fl))


def _host_floor(floor: float) -> float:
    """The host floor as reported in ``details["zero_floor"]`` (0.0 when there is none)."""
    return floor if math.isfinite(floor) else 0.0


def _require_positive_floor(floor: float, what: str) -> None:
    """Raise when every k-th neighbour distance is 0 (no positive distance to floor with)."""
    if not floor > 0:
        raise EstimationError(
            f"every k-th neighbour distance is 0 (each point has at least k copies): a k-NN "
            f"{what} estimate needs samples from a continuous distribution; use "
            "divlab.estimators.plugin_kl / plugin_js for discrete data"
        )


#: Share of zero k-th neighbour distances above which a k-NN estimate is flagged.
_ZERO_SHARE_WARN = 0.01


def _zero_share(r: Any, xp: Any) -> Any:
    """Fraction of exact zeros in a vector of k-th neighbour distances (0-d)."""
    return xp.mean(xp.astype(r == 0, xp.float64))


def _warn_unreliable(message: str) -> None:
    warnings.warn(
        f"{message}; the estimator assumes continuous data and is unreliable here -- use "
        "the plug-in estimators (e.g. plugin_kl(x, y, bins='categorical')) for discrete data",
        DivlabWarning,
        stacklevel=5,
    )


def _warn_ties(what: str, *shares: float) -> None:
    """:class:`DivlabWarning` when over 1 % of the k-th neighbour distances are exactly 0
    (``shares``: the zero shares of the distance tables, host floats)."""
    share = max(shares)
    if share > _ZERO_SHARE_WARN:
        _warn_unreliable(f"k-NN {what}: {100 * share:.0f} % of the k-th neighbour distances "
                         "are 0 (repeated points)")


# --------------------------------------------------------------------------- KL divergence


def _warn_zero_distances(zr: float, zn: float) -> None:
    """:func:`_warn_ties` for KL, naming which sample the zero distances come from (KL of a
    sample against itself comes out near -4 instead of 0 with the floor rule); ``zr``, ``zn``
    are the zero shares of the k-th distances in ``x`` and in ``y``."""
    if max(zr, zn) > _ZERO_SHARE_WARN:
        _warn_unreliable(
            f"k-NN KL: {100 * zn:.0f} % of the points of `x` have their k-th neighbour in `y` "
            f"at distance 0 and {100 * zr:.0f} % in `x` (repeated or shared points)"
        )


def knn_kl(
    x: Any,
    y: Any,
    *,
    k: int = DEFAULT_K_KL,
    variant: str = "fixed",
    n_resamples: int = 0,
    alpha: float = 0.05,
    rng: Any = None,
) -> Estimate:
    r"""k-NN estimate of :math:`KL(P\|Q)` from samples ``x ~ P`` and ``y ~ Q`` (WKV 2009).

    .. math::
        \widehat{KL} = \frac dn\sum_i\log\frac{\nu_{k_i}(i)}{\rho_{l_i}(i)}
        + \frac1n\sum_i[\psi(l_i)-\psi(k_i)] + \log\frac{m}{n-1}

    (module docstring: definitions, tie rule, backends). Consistent for continuous
    densities; biased low at finite ``n`` when ``P`` and ``Q`` are far apart (the
    neighbour ball of ``x_i`` in ``y`` is large where ``q`` is small and varies a lot) —
    ``k=1`` keeps that bias smallest.

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d), or 1-D
        Samples of P and Q (same dimension d).
    k : int
        Neighbour order, ``1 <= k < n`` and ``k <= m``.
    variant : {"fixed", "adaptive"}
        ``"fixed"``: :math:`l_i = k_i = k`; ``"adaptive"``: WKV's
        :math:`\epsilon_i = \max(\rho_k, \nu_k)` counts with digamma correction.
    n_resamples : int
        Half-samples for the confidence interval and relabellings for the permutation
        p-value (0: neither).
    alpha : float
        The interval has level ``1 - alpha``.
    rng : None, int or numpy.random.Generator
        Randomness of the resampling.

    Returns
    -------
    Estimate
        ``value`` in nats; ``details`` has ``k``, ``variant``, ``zero_floor`` (the distance
        substituted for zero distances, 0 if none were found) and resampling information.

    Raises
    ------
    ParameterError
        ``k >= n`` or ``k > m``, bad ``variant``/``alpha``/``n_resamples``.
    EstimationError
        A sample whose points are all identical.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0, 1, (5000, 1)), rng.normal(1, 1, (5000, 1))
    >>> round(knn_kl(x, y).value, 1)  # true value 0.5
    0.5
    """
    xp, x, y = check_sample_pair(x, y, min_n=2)
    k = _check_k(k, x.shape[0], other=y.shape[0])
    check_choice(variant, "variant", ("fixed", "adaptive"))
    n_resamples = check_int(n_resamples, "n_resamples", min_value=0)
    alpha = check_alpha(alpha)
    gen = check_rng(rng)
    return _knn_kl(x, y, xp, k=k, variant=variant, n_resamples=n_resamples, alpha=alpha,
                   gen=gen)


def _knn_kl(
    x: Any, y: Any, xp: Any, *, k: int, variant: str, n_resamples: int, alpha: float,
    gen: np.random.Generator,
) -> Estimate:
    """Kernel of :func:`knn_kl`: ``x``, ``y`` validated 2-D samples of namespace ``xp``, the
    parameters validated (``1 <= k < n``, ``k <= m``)."""
    n, d = x.shape
    m = y.shape[0]
    method = f"k-NN KL (Wang-Kulkarni-Verdu 2009, {variant} k={k})"
    details: dict[str, Any] = {"k": k, "variant": variant}
    const = _degenerate(x, y, xp, "KL divergence")
    if const is not None:
        return Estimate(0.0, (0.0, 0.0) if n_resamples else None, method, (n, m),
                        {**details, "note": "identical constant samples"},
                        1.0 if n_resamples else None)

    x, y, _ = device_rescale_pair(x, y, xp, power=2)  # KL is scale-free
    if variant == "adaptive" or n_resamples:
        xn, yn = host_float64(x, xp), host_float64(y, xp)
    if variant == "adaptive":
        value, floor = _kl_adaptive_np(xn, yn, k)
    else:
        rho = _kth(x, None, k, xp)
        nu = _kth(y, x, k, xp)
        fl = _floor(xp, rho, nu)
        log_ratio = xp.mean(_floored_log(nu, fl, xp) - _floored_log(rho, fl, xp))
        floor, zr, zn, log_ratio = host_floats(
            xp, fl, _zero_share(rho, xp), _zero_share(nu, xp), log_ratio)
        _warn_zero_distances(zr, zn)
        floor = _host_floor(floor)
        _require_positive_floor(floor, "KL divergence")
        value = _kl_fixed(log_ratio, d, n, m)
    details["zero_floor"] = floor
    ci = p = None
    if n_resamples:
        if variant == "adaptive":
            ci, p, info = _resample_naive(
                lambda a, b: _kl_adaptive_np(a, b, k)[0], xn, yn, value, n_resamples, alpha, gen
            )
        else:
            ci, p, info = _kl_fixed_resample(xn, yn, k, value, n_resamples, alpha, gen)
        details.update(info)
    return Estimate(float(value), ci, method, (n, m), details, p)


def _kl_fixed(mean_log_ratio: Any, d: int, n: int, m: int) -> Any:
    """WKV fixed-k KL from the mean of ``log(nu_k / rho_k)`` (the one home of the formula)."""
    return d * mean_log_ratio + math.log(m / (n - 1))


def _kl_fixed_value(rho: np.ndarray, nu: np.ndarray, floor: float, d: int, n: int, m: int) -> float:
    """:func:`_kl_fixed` from host k-th distance vectors (floored when ``floor > 0``)."""
    if floor > 0:
        rho, nu = np.maximum(rho, floor), np.maximum(nu, floor)
    return float(_kl_fixed(np.mean(np.log(nu) - np.log(rho)), d, n, m))


def _kl_adaptive_np(x: np.ndarray, y: np.ndarray, k: int) -> tuple[float, float]:
    from scipy.spatial import cKDTree

    n, d = x.shape
    m = y.shape[0]
    tx, ty = cKDTree(x), cKDTree(y)
    kk = min(4 * k, n - 1, m)
    kk = max(kk, k)
    rho, _ = knn_table(x, None, kk, tree=tx)
    nu, _ = knn_table(y, x, kk, tree=ty)
    floor = positive_floor(rho, nu)
    if floor > 0:
        rho, nu = np.maximum(rho, floor), np.maximum(nu, floor)
    eps = np.maximum(rho[:, k - 1], nu[:, k - 1])
    # counts within eps (inclusive); self is inside its own ball and removed
    r = eps * (1 + 1e-12)
    l_cnt = np.asarray(tx.query_ball_point(x, r, return_length=True, workers=-1)) - 1
    k_cnt = np.asarray(ty.query_ball_point(x, r, return_length=True, workers=-1))
    l_cnt = np.clip(l_cnt, k, None)
    k_cnt = np.clip(k_cnt, k, None)
    # l-th / k-th neighbour distance: from the lists when listed, else eps (the ball radius)
    rows = np.arange(n)
    r_l = np.where(l_cnt <= rho.shape[1], rho[rows, np.minimum(l_cnt, rho.shape[1]) - 1], eps)
    n_k = np.where(k_cnt <= nu.shape[1], nu[rows, np.minimum(k_cnt, nu.shape[1]) - 1], eps)
    value = (d * np.mean(np.log(n_k) - np.log(r_l)) + np.mean(digamma(l_cnt) - digamma(k_cnt))
             + math.log(m / (n - 1)))
    return float(value), floor


def _kl_fixed_resample(
    x: np.ndarray, y: np.ndarray, k: int, value: float, B: int, alpha: float,
    gen: np.random.Generator,
) -> tuple[tuple[float, float], float, dict[str, Any]]:
    n_full, m_full = x.shape[0], y.shape[0]
    x, y = _cap(x, gen), _cap(y, gen)
    n, d = x.shape
    m = y.shape[0]
    # --- half-sampling CI from neighbour lists
    K = min(_list_len(k, 0.5), n - 1, m)
    dxx, ixx = knn_table(x, None, K)
    dxy, ixy = knn_table(y, x, K)
    floor = positive_floor(dxx, dxy)
    if floor > 0:
        dxx, dxy = np.maximum(dxx, floor), np.maximum(dxy, floor)
    mx, my = half_sample_masks(n, B, gen), half_sample_masks(m, B, gen)
    hx, hy = int(mx[0].sum()), int(my[0].sum())
    const_h = math.log(hy / max(hx - 1, 1))
    stats = np.empty(B)
    missed = 0
    for sl in _batches(B, n):
        rho, f1 = kth_kept(dxx, ixx, mx[sl], k)
        nu, f2 = kth_kept(dxy, ixy, my[sl], k)
        keep = mx[sl]
        missed += int(np.count_nonzero(~(f1 & f2) & keep))
        terms = np.log(nu) - np.log(rho)
        stats[sl] = d * (terms * keep).sum(axis=1) / keep.sum(axis=1) + const_h
    ci = basic_interval(value, stats, alpha=alpha, fraction=0.5 * (hx / n_full + hy / m_full))
    # observed statistic on the (possibly sub-)sample the permutations use
    observed = value
    if (n, m) != (n_full, m_full):
        observed = _kl_fixed_value(dxx[:, k - 1], dxy[:, k - 1], floor, d, n, m)
    # --- permutation test from pooled neighbour lists
    z = np.concatenate([x, y])
    N = n + m
    Kp = min(_list_len(k, min(n, m) / N), N - 1)
    dzz, izz = knn_table(z, None, Kp)
    if floor > 0:
        dzz = np.maximum(dzz, floor)
    else:
        fl = positive_floor(dzz)
        dzz = np.maximum(dzz, fl) if fl > 0 else dzz
    labels = permutation_labels(n, m, B, gen)
    const = math.log(m / (n - 1))
    perm = np.empty(B)
    for sl in _batches(B, N):
        lab = labels[sl]
        rho, f1 = kth_kept(dzz, izz, lab, k, relation="same")
        nu, f2 = kth_kept(dzz, izz, lab, k, relation="other")
        missed += int(np.count_nonzero(~(f1 & f2) & lab))
        perm[sl] = d * ((np.log(nu) - np.log(rho)) * lab).sum(axis=1) / n + const
    p = permutation_pvalue(observed, perm)
    info = {"ci_method": "half-sampling basic interval", "n_resamples": B,
            "list_len": [K, Kp], "list_misses": missed}
    if (n, m) != (n_full, m_full):
        info["resample_subsample"] = [n, m]
    return ci, p, info


def _resample_naive(stat, x, y, value, B, alpha, gen):
    """Recompute ``stat`` on half-samples and relabellings (used by the adaptive variant)."""
    n_full, m_full = x.shape[0], y.shape[0]
    x, y = _cap(x, gen), _cap(y, gen)
    n, m = x.shape[0], y.shape[0]
    mx, my = half_sample_masks(n, B, gen), half_sample_masks(m, B, gen)
    stats = np.array([_safe(stat, x[a], y[b]) for a, b in zip(mx, my, strict=True)])
    frac = 0.5 * (mx[0].sum() / n_full + my[0].sum() / m_full)
    ci = basic_interval(value, stats, alpha=alpha, fraction=frac)
    observed = value if (n, m) == (n_full, m_full) else _safe(stat, x, y)
    z = np.concatenate([x, y])
    labels = permutation_labels(n, m, B, gen)
    perm = np.array([_safe(stat, z[lab], z[~lab]) for lab in labels])
    return ci, permutation_pvalue(observed, perm), {
        "ci_method": "half-sampling basic interval (recomputed)", "n_resamples": B}


def _safe(stat, a, b) -> float:
    try:
        return float(stat(a, b))
    except EstimationError:
        return float("nan")


# --------------------------------------------------------------------------- entropy


def knn_entropy(
    x: Any,
    *,
    k: int = DEFAULT_K_ENTROPY,
    n_resamples: int = 0,
    alpha: float = 0.05,
    rng: Any = None,
) -> Estimate:
    r"""Kozachenko–Leonenko k-NN estimate of the differential entropy :math:`H(P)` (nats).

    .. math::
        \hat H = \psi(n) - \psi(k) + \log V_d + \frac dn\sum_{i=1}^n \log\rho_k(i),
        \qquad V_d = \frac{\pi^{d/2}}{\Gamma(d/2 + 1)}.

    Parameters
    ----------
    x : array_like, shape (n, d) or (n,)
        Sample of P.
    k : int
        Neighbour order, ``1 <= k < n``.
    n_resamples, alpha, rng
        Half-sampling confidence interval (no p-value: there is no null hypothesis).

    Returns
    -------
    Estimate

    Raises
    ------
    ParameterError
        ``k >= n``.
    EstimationError
        All points identical (no density).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(4000, 1))
    >>> abs(knn_entropy(x).value - 1.4189) < 0.02  # 0.5 * log(2 pi e)
    True
    """
    xp = array_namespace(x)
    x = check_samples(x, "x", xp=xp, min_n=2)
    k = _check_k(k, x.shape[0])
    n_resamples = check_int(n_resamples, "n_resamples", min_value=0)
    alpha = check_alpha(alpha)
    gen = check_rng(rng)
    return _knn_entropy(x, xp, k=k, n_resamples=n_resamples, alpha=alpha, gen=gen)


def _knn_entropy(
    x: Any, xp: Any, *, k: int, n_resamples: int, alpha: float, gen: np.random.Generator
) -> Estimate:
    """Kernel of :func:`knn_entropy` (validated 2-D sample, ``1 <= k < n``)."""
    n, d = x.shape
    _degenerate(x, None, xp, "entropy")
    x, _, s = device_rescale_pair(x, x, xp, power=2)
    rho = _kth(x, None, k, xp)
    fl = _floor(xp, rho)
    floor, zero, mean_log, scale = host_floats(
        xp, fl, _zero_share(rho, xp), xp.mean(_floored_log(rho, fl, xp)), s)
    _warn_ties("entropy", zero)
    floor = _host_floor(floor)
    _require_positive_floor(floor, "entropy")
    shift = d * math.log(scale)  # H(x) = H(x / s) + d log s
    value = float(_kl_entropy(mean_log, n, d, k)) + shift
    method = f"k-NN entropy (Kozachenko-Leonenko, k={k})"
    details: dict[str, Any] = {"k": k, "zero_floor": floor * scale}
    ci = None
    if n_resamples:
        xn = _cap(host_float64(x, xp), gen)
        K = min(_list_len(k, 0.5), xn.shape[0] - 1)
        dxx, ixx = knn_table(xn, None, K)
        fl = positive_floor(dxx)
        dxx = np.maximum(dxx, fl) if fl > 0 else dxx
        masks = half_sample_masks(xn.shape[0], n_resamples, gen)
        stats = _entropy_kept(dxx, ixx, masks, k, d) + shift
        ci = basic_interval(value, stats, alpha=alpha, fraction=masks[0].sum() / n)
        details.update(ci_method="half-sampling basic interval", n_resamples=n_resamples)
    return Estimate(float(value), ci, method, (n, n), details)


def _kl_entropy(mean_log_rho: Any, n: Any, d: int, k: int) -> Any:
    """Kozachenko-Leonenko entropy from the mean log k-th neighbour distance (the one home
    of the formula): :math:`\\psi(n) - \\psi(k) + \\log V_d + d\\,\\overline{\\log\\rho_k}`."""
    return digamma(n) - digamma(k) + _log_ball_volume(d) + d * mean_log_rho


def _kl_entropy_value(rho: np.ndarray, n: int, d: int, k: int) -> float:
    """:func:`_kl_entropy` from a host vector of (floored) k-th neighbour distances."""
    return float(_kl_entropy(np.mean(np.log(rho)), n, d, k))


def _entropy_kept(dist: np.ndarray, idx: np.ndarray, masks: np.ndarray, k: int, d: int,
                  same: bool | None = None) -> np.ndarray:
    """Entropy of each kept subsample (rows of ``masks``) from neighbour lists.

    With ``same=None`` a list entry counts when its point is kept; otherwise ``masks`` are
    labels and an entry counts when it has the same label as the query point.
    """
    B = masks.shape[0]
    out = np.empty(B)
    logv = _log_ball_volume(d)
    for sl in _batches(B, dist.shape[0]):
        mk = masks[sl]
        rho, _ = kth_kept(dist, idx, mk, k, relation="kept" if same is None else "same")
        h = mk.sum(axis=1)
        out[sl] = (digamma(h) - digamma(k) + logv
                   + d * (np.log(rho) * mk).sum(axis=1) / h)
    return out


# --------------------------------------------------------------------------- Jensen-Shannon


def knn_js(
    x: Any,
    y: Any,
    *,
    k: int = DEFAULT_K_JS,
    n_resamples: int = 0,
    alpha: float = 0.05,
    rng: Any = None,
) -> Estimate:
    r"""Jensen–Shannon divergence from k-NN entropies: :math:`H(M) - \tfrac12 H(P) - \tfrac12 H(Q)`.

    ``M`` is represented by the pooled sample; when ``n != m`` the larger sample is first
    subsampled to the smaller size with ``rng`` (so the mixture weights are exactly ½, ½).
    Every entropy is a Kozachenko–Leonenko estimate (:func:`knn_entropy`), with order ``k``
    for P and Q and ``2k`` for the pooled sample of M (equal neighbour-ball mass). The value is
    clipped to :math:`[0, \log 2]`; ``details["raw"]`` keeps the unclipped estimate, which
    the permutation test uses. Under a relabelling of the pooled sample :math:`H(M)` does
    not change, so only the two group entropies are recomputed from pooled neighbour lists.

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d)
        Samples of P and Q.
    k : int
        Neighbour order of the entropy estimates, ``1 <= k < min(n, m)``.
    n_resamples, alpha, rng
        Half-sampling CI and permutation p-value (``rng`` also draws the size-matching
        subsample).

    Returns
    -------
    Estimate
        In nats, ``0 <= value <= log 2``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x, y = rng.normal(0, 1, (3000, 1)), rng.normal(50, 1, (3000, 1))
    >>> bool(abs(knn_js(x, y).value - np.log(2)) < 0.01)  # disjoint: log 2
    True
    """
    xp, x, y = check_sample_pair(x, y, min_n=2)
    k = _check_k(k, min(x.shape[0], y.shape[0]))
    n_resamples = check_int(n_resamples, "n_resamples", min_value=0)
    alpha = check_alpha(alpha)
    gen = check_rng(rng)
    return _knn_js(x, y, xp, k=k, n_resamples=n_resamples, alpha=alpha, gen=gen)


def _knn_js(
    x: Any, y: Any, xp: Any, *, k: int, n_resamples: int, alpha: float,
    gen: np.random.Generator,
) -> Estimate:
    """Kernel of :func:`knn_js` (validated samples, ``1 <= k < min(n, m)``)."""
    n0, d = x.shape
    m0 = y.shape[0]
    s = min(n0, m0)
    method = f"k-NN JS via Kozachenko-Leonenko entropies (k={k}, 2k for the mixture)"
    const = _degenerate(x, y, xp, "JS divergence")
    if const is not None:
        return Estimate(0.0, (0.0, 0.0) if n_resamples else None, method, (n0, m0),
                        {"k": k, "note": "identical constant samples"},
                        1.0 if n_resamples else None)
    details: dict[str, Any] = {"k": k}
    if n0 != m0:
        details["subsampled_to"] = s
        if n0 > s:
            x = xp.take(x, _subsample_index(gen, n0, s, xp, x), axis=0)
        else:
            y = xp.take(y, _subsample_index(gen, m0, s, xp, y), axis=0)
    x, y, _ = device_rescale_pair(x, y, xp, power=2)  # JS is scale-free
    z = xp.concat([x, y], axis=0)
    rz, rx, ry = _kth(z, None, 2 * k, xp), _kth(x, None, k, xp), _kth(y, None, k, xp)
    fl = _floor(xp, rz, rx, ry)
    floor, sz, sx, sy, mz, mx, my = host_floats(
        xp, fl, *(_zero_share(r, xp) for r in (rz, rx, ry)),
        *(xp.mean(_floored_log(r, fl, xp)) for r in (rz, rx, ry)))
    _warn_ties("JS", sz, sx, sy)
    floor = _host_floor(floor)
    _require_positive_floor(floor, "JS divergence")
    hz = float(_kl_entropy(mz, 2 * s, d, 2 * k))
    hx = float(_kl_entropy(mx, s, d, k))
    hy = float(_kl_entropy(my, s, d, k))
    raw = hz - 0.5 * (hx + hy)
    value = min(max(raw, 0.0), math.log(2.0))
    details.update(raw=raw, zero_floor=floor, entropies={"M": hz, "P": hx, "Q": hy})
    ci = p = None
    if n_resamples:
        ci, p, info = _js_resample(host_float64(z, xp), s, k, value, raw, n_resamples, alpha,
                                   gen)
        details.update(info)
    return Estimate(float(value), ci, method, (n0, m0), details, p)


def _subsample_index(gen: np.random.Generator, n: int, s: int, xp: Any, like: Any) -> Any:
    """Sorted random subset of ``s`` of ``range(n)``, drawn on the host, in namespace ``xp``."""
    return from_numpy(np.sort(gen.choice(n, size=s, replace=False)), xp, like=like)


def _js_resample(z, s, k, value, raw, B, alpha, gen):
    d = z.shape[1]
    s_full = s
    x, y = _cap(z[:s], gen), _cap(z[s:], gen)
    s = x.shape[0]
    z = np.concatenate([x, y])
    N = 2 * s
    K = min(_list_len(k, 0.5), s - 1)
    lists = [knn_table(a, None, K) for a in (x, y)]
    Kz = min(_list_len(2 * k, 0.5), N - 1)
    dzz, izz = knn_table(z, None, Kz)
    floor = positive_floor(dzz, lists[0][0], lists[1][0])
    if floor > 0:
        dzz = np.maximum(dzz, floor)
        lists = [(np.maximum(dd, floor), ii) for dd, ii in lists]
    mx, my = half_sample_masks(s, B, gen), half_sample_masks(s, B, gen)
    hx = _entropy_kept(*lists[0], mx, k, d)
    hy = _entropy_kept(*lists[1], my, k, d)
    hz = _entropy_kept(dzz, izz, np.concatenate([mx, my], axis=1), 2 * k, d)
    stats = np.clip(hz - 0.5 * (hx + hy), 0.0, math.log(2.0))
    ci = basic_interval(value, stats, alpha=alpha, fraction=mx[0].sum() / s_full)
    ci = (max(ci[0], 0.0), min(ci[1], math.log(2.0)))
    labels = permutation_labels(s, s, B, gen)
    h_same_x = _entropy_kept(dzz, izz, labels, k, d, same=True)
    h_same_y = _entropy_kept(dzz, izz, ~labels, k, d, same=True)
    hz_full = _kl_entropy_value(dzz[:, 2 * k - 1], N, d, 2 * k)
    perm = hz_full - 0.5 * (h_same_x + h_same_y)
    info: dict[str, Any] = {"ci_method": "half-sampling basic interval", "n_resamples": B,
                            "list_len": [K, Kz]}
    if s != s_full:  # observed raw JS on the subsample the permutations use
        raw = hz_full - 0.5 * (_kl_entropy_value(lists[0][0][:, k - 1], s, d, k)
                               + _kl_entropy_value(lists[1][0][:, k - 1], s, d, k))
        info["resample_subsample"] = [s, s]
    return ci, permutation_pvalue(raw, perm), info
