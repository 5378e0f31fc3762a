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
the same probability mass (about ``k/s``) and their size-dependent biases cancel.

**Whitening (affine invariance).** Every estimator first maps the data through one affine
map built from the pooled sample (:func:`divlab.estimators._neighbors.whiten`: pooled mean,
eigendecomposition of the pooled correlation matrix; identity pooled covariance after it).
KL and JS are invariant under any common invertible affine map, and after whitening so are
the estimates: two datasets that differ by such a map (units, rotations, shifts, scales
from 1e-6 to 1e6) give the same estimate up to rounding. Columns constant in the pooled
sample and numerically rank-deficient directions are dropped (``details["dropped_columns"]``,
``details["dropped_directions"]``), and ``d`` in the formulas is the number of directions
kept. The entropy is not invariant: :math:`H(Ax + b) = H(x) + \log|\det A|`; the
Kozachenko–Leonenko estimate is computed on the whitened sample and this Jacobian term is
added back exactly, so ``knn_entropy(x @ A.T)`` equals ``knn_entropy(x) + log|det A|`` up
to rounding. ``whiten=False`` restores the raw Euclidean geometry (not invariant).

**Refusals and flags** (``details["flags"]``, a list of strings, and an
:class:`UnreliableEstimateWarning`):

* *identical constant samples*: 0 exactly; *one sample with all points identical*:
  :class:`~divlab.errors.EstimationError` (no density; use the plug-in estimators).
* *disjoint constant columns* (a column constant in ``x`` and in ``y`` at different
  values) and *singular samples* (one sample lies on a lower-dimensional affine subspace
  the other does not): the distributions are mutually singular; KL is returned as
  ``inf`` and JS as ``log 2`` exactly (the truth), flag ``"disjoint_supports"``.
  :func:`knn_entropy` refuses such samples (a constant or degenerate column makes the
  differential entropy :math:`-\infty`) with :class:`~divlab.errors.EstimationError`.
* *nearly disjoint supports*: the **overlap index** is the share of points whose k-th
  neighbour from the other sample is nearer than their k-th (KL) neighbour from their own
  sample (ties count one half) — for JS: whose pooled ``2k``-th neighbour is strictly
  nearer than their own ``k``-th —
  divided by its expectation when ``P = Q`` (a binomial tail, :func:`_overlap_null`). It
  is about 1 for ``P = Q`` and 0 for disjoint supports; with ``k = 1`` its population
  value is :math:`\int 2pq/(p+q)` (measured: N(0,1) vs N(μ,1) gives 0.80, 0.45, 0.20,
  0.069, 0.019 for μ = 1..5, and the samples' index matches within 0.03). Below
  ``OVERLAP_FLAG = 0.1`` (μ ≳ 3.5 in that family, where the k-NN KL is 25–50 % low) the
  estimate is flagged ``"nearly_disjoint_supports"`` (``"disjoint_supports"`` when the index
  is 0; not assessed, ``details["overlap"] = None``, with over 1 % tied distances or when
  fewer than 10 such points would be expected under ``P = Q``, i.e. tiny samples), its
  interval's upper end is set to ``inf`` for KL (the data cannot bound KL from above; it
  may be infinite) and to ``log 2`` for JS (the value may be log 2).
* *high dimension*: above ``KNN_MAX_RELIABLE_D`` whitened directions (KL: 5, JS: 50) the
  estimate is flagged ``"high_dimension"``. Measured by ``benchmarks/knn_bias_dimension.py``
  (correlated Gaussian pairs, whitened; relative bias at n = 500 / 2000): KL = 0.5:
  +9/+5 % (d = 1), -33/-15 % (d = 5), -24/-25 % (d = 10), -45/-44 % (d = 50);
  KL = 3.1: -9/-6 %, -30/-30 %, -51/-45 %, -71/-67 %; JS = 0.11: +2/+3 %, +8/-3 %,
  -2/-4 %, +27/+22 %; JS = 0.44: -2/0 %, +5/0 %, -4/-1 %, -13/-9 %. The threshold is the
  largest d of the study at which every relative bias stays within 1/3 (JS: the whole
  range studied, d <= 50; above it nothing was measured). Without whitening the issue
  measured JS 0.000 for a truth of 0.455 in d = 50 with correlated features; whitened,
  the same kind of pair gives 0.40 for 0.44.
* *negative KL* (the truth is >= 0): clipped to 0, ``details["raw"]`` keeps the raw value;
  JS is clipped to :math:`[0, \log 2]` the same way.

Ties and degenerate samples (documented behaviour, no jitter): a zero neighbour distance
(duplicated points) is replaced by the smallest *positive* neighbour distance the estimator
computed, so ``log 0`` never occurs; more than 1 % of zero distances gives an
:class:`UnreliableEstimateWarning` (the estimate is unreliable there). Samples whose k-th
neighbour distances are all 0 (discrete data with few values) raise
:class:`~divlab.errors.EstimationError` (use :mod:`divlab.estimators.plugin`). ``k >= n``
raises :class:`~divlab.errors.ParameterError`.

Backends: the neighbour search is chosen by :func:`divlab._array.knn_kth_distance` (on
NumPy :func:`divlab._array.knn_table`: :class:`scipy.spatial.cKDTree` with ``workers=-1``,
or a compiled exact brute force where the data's intrinsic dimension is at least 6.5; other
backends a chunked brute-force search written with ``xp``). Whitening reads one vector of
pooled statistics back (flags, means and covariances, with the constant-sample check) and
the estimate is read in one more transfer (:func:`divlab._array.host_floats`).

Check once: each public function validates its arguments and calls a private kernel
(``_knn_kl``, ``_knn_entropy``, ``_knn_js``, and ``_knn_kl_js`` for both divergences with
one whitening and shared searches) that trusts them; :func:`divlab.compare` calls the
kernels directly.

**Intervals.** Confidence intervals and permutation p-values
(:mod:`divlab.estimators.resampling`) are computed on the host from precomputed neighbour
lists of the whitened samples. Samples larger than ``RESAMPLE_MAX_N = 4000`` are resampled
through a random subsample of ``r`` points; the resampled subsets then have
``h = floor(r N / (N + r))`` points (:func:`~divlab.estimators._neighbors.resample_size`),
the size whose without-replacement variance :math:`\sigma^2(1/h - 1/r)` equals the
full-sample variance :math:`\sigma^2/N` (``h = N/2``, a half-sample, when ``r = N``).
Earlier versions drew half-samples of the subsample and rescaled by
:math:`\sqrt{f/(1-f)}`, ``f = r/(2N)``, which gives :math:`\sigma^2/(2N - r)` instead of
:math:`\sigma^2/N` (intervals :math:`\sqrt{2}` too narrow at large ``N``). Intervals are
clipped to the metric's range (``[0, inf)`` for KL, :math:`[0, \log 2]` for JS) and always
contain the estimate. The permutation test runs on the subsample (like with like).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.special import bdtrc, digamma, gammaln

from .. import _array
from .._array import array_namespace, from_numpy, host_float64, host_floats, knn_kth_distance
from .._validate import check_choice, check_int, check_rng, check_sample_pair, check_samples
from ..costs import pairwise_cost_unchecked
from ..errors import EstimationError, ParameterError, UnreliableEstimateWarning
from ._neighbors import (
    Whitening,
    knn_table,
    kth_kept,
    positive_floor,
    resample_size,
    subsample_masks,
    whiten,
)
from ._progress import report_fraction
from ._result import Estimate
from .resampling import basic_interval, check_alpha, permutation_labels, permutation_pvalue

__all__ = [
    "DEFAULT_K_ENTROPY",
    "DEFAULT_K_JS",
    "DEFAULT_K_KL",
    "KNN_MAX_RELIABLE_D",
    "OVERLAP_FLAG",
    "UnreliableEstimateWarning",
    "knn_entropy",
    "knn_js",
    "knn_kl",
]

#: Default k of :func:`knn_kl` (smallest bias for separated pairs, see docs/accuracy-estimators.md).
DEFAULT_K_KL = 1
#: Default k of :func:`knn_js` (smallest mean error over the accuracy grid).
DEFAULT_K_JS = 5
#: Default k of :func:`knn_entropy`.
DEFAULT_K_ENTROPY = 3

_BUDGET = 2**22  # (resample, point) pairs per resampling batch
#: Resampling (CI and permutation test) uses at most this many points per sample.
RESAMPLE_MAX_N = 4000
#: Overlap index below which KL/JS estimates are flagged as nearly disjoint supports.
OVERLAP_FLAG = 0.1
LOG2 = math.log(2.0)
#: The overlap index is assessed only when, under P = Q, at least this many points would be
#: expected to have their neighbours from the other sample (below, it is noise: ``None``).
_MIN_EXPECTED = 10.0



#: Whitened dimension above which k-NN KL/JS estimates carry the ``"high_dimension"`` flag:
#: the largest d at which ``benchmarks/knn_bias_dimension.py`` (Gaussian pairs, truth in
#: closed form or by Monte Carlo, n = 500 and 2000, d = 1..50) measured every relative bias
#: within 1/3 (module docstring: the table).
KNN_MAX_RELIABLE_D: Mapping[str, int] = {"kl": 5, "js": 50}


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


def _pairwise(xp: Any) -> Any:
    return lambda a, b: pairwise_cost_unchecked(a, b, xp, metric="sqeuclidean")


def _kth(ref: Any, query: Any, k: int, xp: Any) -> Any:
    """Distance to the k-th neighbour (``query=None``: in ``ref`` itself, self excluded)."""
    return knn_kth_distance(ref, query, k, xp, pairwise=_pairwise(xp))


def _kth_many(ref: Any, query: Any, ks: Sequence[int], xp: Any) -> list[Any]:
    """Distances to the ``ks``-th neighbours from one search
    (:func:`~divlab._array.knn_kth_distances`)."""
    return list(_array.knn_kth_distances(ref, query, tuple(ks), xp, pairwise=_pairwise(xp)))


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


def _share_closer(a: Any, b: Any, xp: Any) -> Any:
    """0-d share of ``a < b`` (ties count one half): the raw overlap statistic."""
    lt = xp.astype(a < b, xp.float64)
    eq = xp.astype(a == b, xp.float64)
    return xp.mean(lt + 0.5 * eq)


def _overlap_null(k: int, w: float, *, pooled: bool) -> float:
    """Expected overlap statistic when ``P = Q``: the chance that the other sample supplies
    enough of the nearest pooled neighbours, each from the other sample with chance ``w``.

    KL (``pooled=False``): the k-th neighbour in ``y`` is nearer than the k-th in
    ``x \\ {x_i}`` iff at least ``k`` of the ``2k - 1`` nearest pooled points are from ``y``:
    :math:`P(\\mathrm{Bin}(2k-1, w) \\ge k)`, ``w = m / (n - 1 + m)`` (``w`` for ``k = 1``).
    JS (``pooled=True``): the ``2k``-th pooled neighbour is nearer than the own ``k``-th
    iff at least ``k + 1`` of the ``2k`` nearest are from the other sample:
    :math:`P(\\mathrm{Bin}(2k, w) \\ge k + 1)`, ``w = s / (2s - 1)``.
    """
    if pooled:
        return float(bdtrc(k, 2 * k, w))  # P(Bin(2k, w) > k)
    return float(bdtrc(k - 1, 2 * k - 1, w))


def _warn(message: str) -> None:
    warnings.warn(message, UnreliableEstimateWarning, stacklevel=4)


def _warn_unreliable(message: str) -> None:
    _warn(f"{message}; the estimator assumes continuous data and is unreliable here -- use "
          "the plug-in estimators (e.g. plugin_kl(x, y, bins='categorical')) for discrete data")


def _warn_ties(what: str, *shares: float) -> None:
    """Warning when over 1 % of the k-th neighbour distances are exactly 0 (``shares``: the
    zero shares of the distance tables, host floats)."""
    share = max(shares)
    if share > _ZERO_SHARE_WARN:
        _warn_unreliable(f"k-NN {what}: {100 * share:.0f} % of the k-th neighbour distances "
                         "are 0 (repeated points)")


def _warn_zero_distances(zr: float, zn: float) -> None:
    """:func:`_warn_ties` for KL, naming which sample the zero distances come from (KL of a
    sample against itself comes out near -4 instead of 0 with the floor rule); ``zr``, ``zn``
    are the zero shares of the k-th distances in ``x`` and in ``y``."""
    if max(zr, zn) > _ZERO_SHARE_WARN:
        _warn_unreliable(
            f"k-NN KL: {100 * zn:.0f} % of the points of `x` have their k-th neighbour in `y` "
            f"at distance 0 and {100 * zr:.0f} % in `x` (repeated or shared points)"
        )


def _flags(overlap: float | None, dim: int, what: str) -> list[str]:
    """Flags of a finite k-NN divergence estimate (and their warnings); ``overlap`` is None
    when it cannot be assessed (over 1 % tied distances: twins are always nearest)."""
    flags = []
    if overlap is not None and overlap < OVERLAP_FLAG:
        flag = "disjoint_supports" if overlap == 0 else "nearly_disjoint_supports"
        flags.append(flag)
        tail = ("KL may be infinite: the interval's upper end is set to inf" if what == "KL"
                else "JS may be log 2: the interval's upper end is set to log 2")
        _warn(f"k-NN {what}: the samples barely mix (overlap index {overlap:.3g} < "
              f"{OVERLAP_FLAG}; about 1 when P = Q, 0 for disjoint supports): the supports "
              f"look {'disjoint' if overlap == 0 else 'nearly disjoint'} and the estimate is "
              f"biased low; {tail}")
    limit = KNN_MAX_RELIABLE_D[what.lower()]
    if dim > limit:
        flags.append("high_dimension")
        _warn(f"k-NN {what} in d={dim} (whitened): above d={limit} the estimator's relative "
              "bias was measured beyond 1/3 or not measured (benchmarks/"
              "knn_bias_dimension.py); treat the value as a rough indication, or use mmd / "
              "sliced_w2 to compare the samples")
    return flags


def _clip_ci(ci: tuple[float, float] | None, value: float, upper: float,
             flags: Sequence[str]) -> tuple[float, float] | None:
    """Interval inside ``[0, upper]``, containing ``value``; the upper end is ``upper``
    for nearly disjoint supports."""
    if ci is None:
        return None
    lo, hi = ci
    lo = min(max(lo, 0.0), value)
    hi = max(min(hi, upper), value)
    if any(f.endswith("disjoint_supports") for f in flags):
        hi = upper
    return (float(lo), float(hi))


def _special(wh: Whitening, what: str, *, k: int, n_resamples: int, method: str,
             n: tuple[int, int], details: dict[str, Any]) -> Estimate | None:
    """Exact answers that need no neighbour search (or a refusal), else None."""
    if wh.identical:
        return Estimate(0.0, (0.0, 0.0) if n_resamples else None, method, n,
                        {**details, "note": "identical constant samples"},
                        1.0 if n_resamples else None)
    if wh.constant_sample:
        raise EstimationError(
            f"all points of `{wh.constant_sample}` are identical: a k-NN {what} estimate "
            "needs samples from a continuous distribution; use divlab.estimators.plugin_kl / "
            "plugin_js for discrete data"
        )
    if wh.disjoint_columns or wh.singular:
        value = math.inf if what == "KL divergence" else LOG2
        if wh.disjoint_columns:
            why = (f"column(s) {wh.disjoint_columns} are constant in `x` and in `y` at "
                   "different values: the supports are disjoint")
        else:
            why = (f"`{wh.singular}` lies on a lower-dimensional affine subspace that the "
                   "other sample does not: the distributions are mutually singular")
        _warn(f"k-NN {what}: {why}; returning the exact value {value:.6g}")
        return Estimate(value, (value, value) if n_resamples else None, method, n,
                        {**details, "flags": ["disjoint_supports"], "note": why},
                        1.0 / (n_resamples + 1) if n_resamples else None)
    return None


# --------------------------------------------------------------------------- KL divergence


def knn_kl(
    x: Any,
    y: Any,
    *,
    k: int = DEFAULT_K_KL,
    variant: str = "fixed",
    n_resamples: int = 0,
    alpha: float = 0.05,
    rng: Any = None,
    whiten: bool = True,
) -> Estimate:
    r"""k-NN estimate of :math:`KL(P\|Q)` from samples ``x ~ P`` and ``y ~ Q`` (WKV 2009).

    .. math::
        \widehat{KL} = \frac dn\sum_i\log\frac{\nu_{k_i}(i)}{\rho_{l_i}(i)}
        + \frac1n\sum_i[\psi(l_i)-\psi(k_i)] + \log\frac{m}{n-1}

    computed on the whitened pooled sample (``d`` = directions kept; module docstring:
    definitions, whitening, flags, tie rule, backends). What is estimated: KL between the
    densities of P and Q, which no invertible affine map of the features changes; so the
    estimate does not either (up to rounding). Consistent for continuous densities;
    biased low at finite ``n`` when ``P`` and ``Q`` are far apart (the neighbour ball of
    ``x_i`` in ``y`` is large where ``q`` is small) — ``k=1`` keeps that bias smallest —
    and increasingly biased with the dimension (flag ``"high_dimension"`` above
    ``KNN_MAX_RELIABLE_D``). Negative raw values are clipped to 0 (``details["raw"]``).

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
        Resamples for the confidence interval and relabellings for the permutation
        p-value (0: neither).
    alpha : float
        The interval has level ``1 - alpha``.
    rng : None, int or numpy.random.Generator
        Randomness of the resampling.
    whiten : bool, default True
        Whiten with the pooled sample first (affine invariance); ``False``: raw Euclidean
        geometry (constant columns still do not count in ``d``).

    Returns
    -------
    Estimate
        ``value`` in nats, in ``[0, inf]``; ``details`` has ``k``, ``variant``, ``dim``
        (whitened dimension), ``raw`` (before clipping at 0), ``overlap`` (the overlap
        index), ``flags``, ``zero_floor``, ``dropped_columns``/``dropped_directions`` when
        any, and resampling information. The interval lies in ``[0, inf]`` and contains
        ``value``.

    Raises
    ------
    ParameterError
        ``k >= n`` or ``k > m``, bad ``variant``/``alpha``/``n_resamples``.
    EstimationError
        A sample whose points are all identical.

    Warns
    -----
    UnreliableEstimateWarning
        Nearly disjoint supports, ``d > KNN_MAX_RELIABLE_D["kl"]``, disjoint or singular supports
        (value ``inf``), many tied points.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0, 1, (5000, 1)), rng.normal(1, 1, (5000, 1))
    >>> round(knn_kl(x, y).value, 1)  # true value 0.5
    0.5
    >>> round(knn_kl(1e6 * x + 3, 1e6 * y + 3).value, 1)  # units do not matter
    0.5
    """
    xp, x, y = check_sample_pair(x, y, min_n=2)
    k = _check_k(k, x.shape[0], other=y.shape[0])
    check_choice(variant, "variant", ("fixed", "adaptive"))
    n_resamples = check_int(n_resamples, "n_resamples", min_value=0)
    alpha = check_alpha(alpha)
    gen = check_rng(rng)
    return _knn_kl(x, y, xp, k=k, variant=variant, n_resamples=n_resamples, alpha=alpha,
                   gen=gen, whiten=bool(whiten))


def _knn_kl(
    x: Any, y: Any, xp: Any, *, k: int, variant: str, n_resamples: int, alpha: float,
    gen: np.random.Generator, whiten: bool = True,
) -> Estimate:
    """Kernel of :func:`knn_kl`: ``x``, ``y`` validated 2-D samples of namespace ``xp``, the
    parameters validated (``1 <= k < n``, ``k <= m``)."""
    wh = _whiten(x, y, xp, standardize=whiten)
    return _kl_from(wh, xp, k=k, variant=variant, n_resamples=n_resamples, alpha=alpha,
                    gen=gen)


def _kl_from(
    wh: Whitening, xp: Any, *, k: int, variant: str, n_resamples: int, alpha: float,
    gen: np.random.Generator, rho: Any = None,
) -> Estimate:
    """KL from whitened samples (``rho``: the k-th distances in ``x``, if already known)."""
    x, y = wh.x, wh.y
    n, m = x.shape[0], y.shape[0]
    method = f"k-NN KL (Wang-Kulkarni-Verdu 2009, {variant} k={k}, whitened)"
    details: dict[str, Any] = {"k": k, "variant": variant, "dim": wh.dim, **wh.notes()}
    special = _special(wh, "KL divergence", k=k, n_resamples=n_resamples, method=method,
                       n=(n, m), details=details)
    if special is not None:
        return special
    d = wh.dim
    if variant == "adaptive" or n_resamples:
        xn, yn = host_float64(x, xp), host_float64(y, xp)
    if variant == "adaptive":
        raw, floor, share = _kl_adaptive_np(xn, yn, k, d)
        ties = math.isnan(share)
    else:
        rho = _kth(x, None, k, xp) if rho is None else rho
        nu = _kth(y, x, k, xp)
        fl = _floor(xp, rho, nu)
        log_ratio = xp.mean(_floored_log(nu, fl, xp) - _floored_log(rho, fl, xp))
        floor, zr, zn, log_ratio, share = host_floats(
            xp, fl, _zero_share(rho, xp), _zero_share(nu, xp), log_ratio,
            _share_closer(nu, rho, xp))
        _warn_zero_distances(zr, zn)
        ties = max(zr, zn) > _ZERO_SHARE_WARN
        floor = _host_floor(floor)
        _require_positive_floor(floor, "KL divergence")
        raw = float(_kl_fixed(log_ratio, d, n, m))
    null = _overlap_null(k, m / (n - 1 + m), pooled=False)
    overlap = None if ties or n * null < _MIN_EXPECTED else share / null
    value = max(raw, 0.0)
    flags = _flags(overlap, d, "KL")
    details.update(raw=raw, overlap=overlap, flags=flags, zero_floor=floor)
    if raw < 0:
        details["note"] = "negative raw estimate clipped to 0 (KL >= 0)"
    ci = p = None
    if n_resamples:
        if variant == "adaptive":
            ci, p, info = _resample_naive(
                lambda a, b: _kl_adaptive_np(a, b, k, d)[0], xn, yn, raw, n_resamples, alpha,
                gen)
        else:
            ci, p, info = _kl_fixed_resample(xn, yn, k, d, raw, n_resamples, alpha, gen)
        ci = _clip_ci(ci, value, math.inf, flags)
        details.update(info)
    return Estimate(float(value), ci, method, (n, m), details, p)


def _whiten(x: Any, y: Any, xp: Any, *, standardize: bool) -> Whitening:
    return whiten(x, y, xp, standardize=standardize)


def _kl_fixed(mean_log_ratio: Any, d: int, n: int, m: int) -> Any:
    """WKV fixed-k KL from the mean of ``log(nu_k / rho_k)`` (the one home of the formula)."""
    return d * mean_log_ratio + math.log(m / (n - 1))


def _kl_fixed_value(rho: np.ndarray, nu: np.ndarray, floor: float, d: int, n: int, m: int) -> float:
    """:func:`_kl_fixed` from host k-th distance vectors (floored when ``floor > 0``)."""
    if floor > 0:
        rho, nu = np.maximum(rho, floor), np.maximum(nu, floor)
    return float(_kl_fixed(np.mean(np.log(nu) - np.log(rho)), d, n, m))


def _kl_adaptive_np(x: np.ndarray, y: np.ndarray, k: int, d: int) -> tuple[float, float, float]:
    """Adaptive WKV KL on host samples (``d``: the dimension in the formula); returns the
    raw value, the zero floor and the raw overlap statistic (share of ``nu_k < rho_k``; NaN
    when over 1 % of these distances are 0)."""
    from scipy.spatial import cKDTree

    n = x.shape[0]
    m = y.shape[0]
    tx, ty = cKDTree(x), cKDTree(y)
    kk = min(4 * k, n - 1, m)
    kk = max(kk, k)
    rho, _ = knn_table(x, None, kk, tree=tx)
    nu, _ = knn_table(y, x, kk, tree=ty)
    a, b = nu[:, k - 1], rho[:, k - 1]
    share = float(np.mean((a < b) + 0.5 * (a == b)))
    if max(np.mean(a == 0), np.mean(b == 0)) > _ZERO_SHARE_WARN:
        share = math.nan  # tied points: the overlap index cannot be assessed
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
    return float(value), floor, share


def _kl_fixed_resample(
    x: np.ndarray, y: np.ndarray, k: int, d: int, value: float, B: int, alpha: float,
    gen: np.random.Generator,
) -> tuple[tuple[float, float], float, dict[str, Any]]:
    """Subsampling CI (sizes :func:`resample_size`) and permutation p-value of the fixed-k
    KL from neighbour lists of the (capped) host samples; ``value`` is the raw estimate."""
    n_full, m_full = x.shape[0], y.shape[0]
    x, y = _cap(x, gen), _cap(y, gen)
    n = x.shape[0]
    m = y.shape[0]
    hx, hy = resample_size(n, n_full), resample_size(m, m_full)
    # --- subsampling CI from neighbour lists
    K = min(_list_len(k, min(hx / n, hy / m)), n - 1, m)
    dxx, ixx = knn_table(x, None, K)
    dxy, ixy = knn_table(y, x, K)
    floor = positive_floor(dxx, dxy)
    if floor > 0:
        dxx, dxy = np.maximum(dxx, floor), np.maximum(dxy, floor)
    mx, my = subsample_masks(n, hx, B, gen), subsample_masks(m, hy, B, gen)
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
        report_fraction(sl.stop, 2 * B)
    ci = basic_interval(value, stats, alpha=alpha, fraction=0.5)  # sizes already matched
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
        report_fraction(B + sl.stop, 2 * B)
    p = permutation_pvalue(observed, perm)
    info = {"ci_method": _CI_METHOD, "n_resamples": B, "resample_sizes": [hx, hy],
            "list_len": [K, Kp], "list_misses": missed}
    if (n, m) != (n_full, m_full):
        info["resample_subsample"] = [n, m]
    return ci, p, info


_CI_METHOD = ("subsampling basic interval (subsets of size h = rN/(N+r) from r of N points: "
              "the variance of the full-sample estimate)")


def _resample_naive(stat, x, y, value, B, alpha, gen):
    """Recompute ``stat`` on subsamples and relabellings (used by the adaptive variant)."""
    n_full, m_full = x.shape[0], y.shape[0]
    x, y = _cap(x, gen), _cap(y, gen)
    n, m = x.shape[0], y.shape[0]
    hx, hy = resample_size(n, n_full), resample_size(m, m_full)
    mx, my = subsample_masks(n, hx, B, gen), subsample_masks(m, hy, B, gen)
    stats = np.array([_safe(stat, x[a], y[b]) for a, b in zip(mx, my, strict=True)])
    ci = basic_interval(value, stats, alpha=alpha, fraction=0.5)
    observed = value if (n, m) == (n_full, m_full) else _safe(stat, x, y)
    z = np.concatenate([x, y])
    labels = permutation_labels(n, m, B, gen)
    perm = np.array([_safe(stat, z[lab], z[~lab]) for lab in labels])
    info: dict[str, Any] = {"ci_method": _CI_METHOD + " (recomputed)", "n_resamples": B,
                            "resample_sizes": [hx, hy]}
    if (n, m) != (n_full, m_full):
        info["resample_subsample"] = [n, m]
    return ci, permutation_pvalue(observed, perm), info


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
    whiten: bool = True,
) -> Estimate:
    r"""Kozachenko–Leonenko k-NN estimate of the differential entropy :math:`H(P)` (nats).

    .. math::
        \hat H = \psi(n) - \psi(k) + \log V_d + \frac dn\sum_{i=1}^n \log\rho_k(i)
        - \log|\det A|,
        \qquad V_d = \frac{\pi^{d/2}}{\Gamma(d/2 + 1)},

    with :math:`\rho_k` measured on the whitened sample :math:`x' = A x + b` (identity
    covariance) and :math:`\log|\det A|` the exact Jacobian term
    (:math:`H(Ax + b) = H(x) + \log|\det A|`), so the estimate is equivariant:
    ``knn_entropy(x @ A.T + b) == knn_entropy(x) + log|det A|`` up to rounding. Consistent
    for continuous densities; the bias grows with ``d`` and with the curvature of the
    density at the scale of the k-th neighbour.

    Parameters
    ----------
    x : array_like, shape (n, d) or (n,)
        Sample of P.
    k : int
        Neighbour order, ``1 <= k < n``.
    n_resamples, alpha, rng
        Subsampling confidence interval (no p-value: there is no null hypothesis).
    whiten : bool, default True
        ``False``: raw Euclidean geometry (the estimate is then not equivariant).

    Returns
    -------
    Estimate

    Raises
    ------
    ParameterError
        ``k >= n``.
    EstimationError
        All points identical, a constant column or a sample on a lower-dimensional affine
        subspace: such a distribution has no density and its differential entropy is
        :math:`-\infty` (drop the column, or reduce the dimension).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(4000, 1))
    >>> abs(knn_entropy(x).value - 1.4189) < 0.02  # 0.5 * log(2 pi e)
    True
    >>> e1, e2 = knn_entropy(x).value, knn_entropy(1000.0 * x).value
    >>> bool(abs(e2 - e1 - np.log(1000.0)) < 1e-9)  # H(a x) = H(x) + log|a|
    True
    """
    xp = array_namespace(x)
    x = check_samples(x, "x", xp=xp, min_n=2)
    k = _check_k(k, x.shape[0])
    n_resamples = check_int(n_resamples, "n_resamples", min_value=0)
    alpha = check_alpha(alpha)
    gen = check_rng(rng)
    return _knn_entropy(x, xp, k=k, n_resamples=n_resamples, alpha=alpha, gen=gen,
                        whiten=bool(whiten))


def _knn_entropy(
    x: Any, xp: Any, *, k: int, n_resamples: int, alpha: float, gen: np.random.Generator,
    whiten: bool = True,
) -> Estimate:
    """Kernel of :func:`knn_entropy` (validated 2-D sample, ``1 <= k < n``)."""
    n, d = x.shape
    wh = _whiten(x, None, xp, standardize=whiten)
    if wh.constant_sample:
        raise EstimationError(
            "all points of `x` are identical: a k-NN entropy estimate needs samples from a "
            "continuous distribution; use divlab.estimators.plugin_kl / plugin_js for "
            "discrete data")
    if wh.dropped_columns or wh.dropped_directions or wh.singular:
        what = (f"column(s) {wh.dropped_columns} of `x` are constant" if wh.dropped_columns
                else "`x` lies on a lower-dimensional affine subspace (a column is a linear "
                     "combination of the others)")
        raise EstimationError(
            f"{what}: the distribution has no density in d={d} dimensions and its "
            "differential entropy is -inf; drop the degenerate column(s) or reduce the "
            "dimension first")
    xw = wh.x
    rho = _kth(xw, None, k, xp)
    fl = _floor(xp, rho)
    floor, zero, mean_log = host_floats(
        xp, fl, _zero_share(rho, xp), xp.mean(_floored_log(rho, fl, xp)))
    _warn_ties("entropy", zero)
    floor = _host_floor(floor)
    _require_positive_floor(floor, "entropy")
    shift = -wh.log_det  # H(x) = H(x') - log|det A|
    value = float(_kl_entropy(mean_log, n, d, k)) + shift
    method = f"k-NN entropy (Kozachenko-Leonenko, k={k}, whitened)"
    details: dict[str, Any] = {"k": k, "zero_floor": floor, "log_det": wh.log_det}
    ci = None
    if n_resamples:
        xn = _cap(host_float64(xw, xp), gen)
        r = xn.shape[0]
        h = resample_size(r, n)
        K = min(_list_len(k, h / r), r - 1)
        dxx, ixx = knn_table(xn, None, K)
        fl = positive_floor(dxx)
        dxx = np.maximum(dxx, fl) if fl > 0 else dxx
        masks = subsample_masks(r, h, n_resamples, gen)
        stats = _entropy_kept(dxx, ixx, masks, k, d) + shift
        ci = basic_interval(value, stats, alpha=alpha, fraction=0.5)
        ci = (min(ci[0], value), max(ci[1], value))
        details.update(ci_method=_CI_METHOD, n_resamples=n_resamples, resample_sizes=[h])
        if r != n:
            details["resample_subsample"] = [r]
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
    whiten: bool = True,
) -> Estimate:
    r"""Jensen–Shannon divergence from k-NN entropies: :math:`H(M) - \tfrac12 H(P) - \tfrac12 H(Q)`.

    ``M`` is represented by the pooled sample; when ``n != m`` the larger sample is first
    subsampled to the smaller size with ``rng`` (so the mixture weights are exactly ½, ½).
    Every entropy is a Kozachenko–Leonenko estimate (:func:`knn_entropy`) on the whitened
    pooled sample (the Jacobian terms cancel: :math:`1 - \tfrac12 - \tfrac12 = 0`), with
    order ``k`` for P and Q and ``2k`` for the pooled sample of M (equal neighbour-ball
    mass). What is estimated: JS between the densities, invariant under any common
    invertible affine map, like the estimate. The value is clipped to
    :math:`[0, \log 2]`; ``details["raw"]`` keeps the unclipped estimate, which the
    permutation test uses. Biased low in high dimension (flag ``"high_dimension"``); on
    disjoint or singular supports the exact value log 2 is returned (module docstring).

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d)
        Samples of P and Q.
    k : int
        Neighbour order of the entropy estimates, ``1 <= k < min(n, m)``.
    n_resamples, alpha, rng
        Subsampling CI and permutation p-value (``rng`` also draws the size-matching
        subsample).
    whiten : bool, default True
        ``False``: raw Euclidean geometry (not affine invariant).

    Returns
    -------
    Estimate
        In nats, ``0 <= value <= log 2``; the interval lies in :math:`[0, \log 2]` and
        contains the value; ``details`` as for :func:`knn_kl` (``entropies`` too).

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
    return _knn_js(x, y, xp, k=k, n_resamples=n_resamples, alpha=alpha, gen=gen,
                   whiten=bool(whiten))


def _knn_js(
    x: Any, y: Any, xp: Any, *, k: int, n_resamples: int, alpha: float,
    gen: np.random.Generator, whiten: bool = True,
) -> Estimate:
    """Kernel of :func:`knn_js` (validated samples, ``1 <= k < min(n, m)``)."""
    wh = _whiten(x, y, xp, standardize=whiten)
    return _js_from(wh, xp, k=k, n_resamples=n_resamples, alpha=alpha, gen=gen)


def _js_from(
    wh: Whitening, xp: Any, *, k: int, n_resamples: int, alpha: float,
    gen: np.random.Generator, rx: Any = None,
) -> Estimate:
    """JS from whitened samples (``rx``: the k-th distances in ``x``, if known and n == m)."""
    x, y = wh.x, wh.y
    n0, m0 = x.shape[0], y.shape[0]
    s = min(n0, m0)
    method = f"k-NN JS via Kozachenko-Leonenko entropies (k={k}, 2k for the mixture, whitened)"
    details: dict[str, Any] = {"k": k, "dim": wh.dim, **wh.notes()}
    special = _special(wh, "JS divergence", k=k, n_resamples=n_resamples, method=method,
                       n=(n0, m0), details=details)
    if special is not None:
        return special
    d = wh.dim
    if n0 != m0:
        details["subsampled_to"] = s
        rx = None
        if n0 > s:
            x = xp.take(x, _subsample_index(gen, n0, s, xp, x), axis=0)
        else:
            y = xp.take(y, _subsample_index(gen, m0, s, xp, y), axis=0)
    z = xp.concat([x, y], axis=0)
    rz, ry = _kth(z, None, 2 * k, xp), _kth(y, None, k, xp)
    rx = _kth(x, None, k, xp) if rx is None else rx
    fl = _floor(xp, rz, rx, ry)
    # strict (with a relative margin): equality here means the same point (the 2k-th
    # pooled neighbour is the own k-th), not a tie between samples
    share = 0.5 * (xp.mean(xp.astype(rz[:s] < rx * (1 - 1e-12), xp.float64))
                   + xp.mean(xp.astype(rz[s:] < ry * (1 - 1e-12), xp.float64)))
    floor, sz, sx, sy, mz, mx, my, share = host_floats(
        xp, fl, *(_zero_share(r, xp) for r in (rz, rx, ry)),
        *(xp.mean(_floored_log(r, fl, xp)) for r in (rz, rx, ry)), share)
    _warn_ties("JS", sz, sx, sy)
    floor = _host_floor(floor)
    _require_positive_floor(floor, "JS divergence")
    hz = float(_kl_entropy(mz, 2 * s, d, 2 * k))
    hx = float(_kl_entropy(mx, s, d, k))
    hy = float(_kl_entropy(my, s, d, k))
    raw = hz - 0.5 * (hx + hy)
    value = min(max(raw, 0.0), LOG2)
    ties = max(sz, sx, sy) > _ZERO_SHARE_WARN
    null = _overlap_null(k, s / (2 * s - 1), pooled=True)
    overlap = None if ties or 2 * s * null < _MIN_EXPECTED else share / null
    flags = _flags(overlap, d, "JS")
    details.update(raw=raw, overlap=overlap, flags=flags, zero_floor=floor,
                   entropies={"M": hz, "P": hx, "Q": hy})
    if raw != value:
        details["note"] = "raw estimate clipped to [0, log 2]"
    ci = p = None
    if n_resamples:
        ci, p, info = _js_resample(host_float64(z, xp), s, k, d, raw, n_resamples, alpha, gen)
        ci = _clip_ci(ci, value, LOG2, flags)
        details.update(info)
    return Estimate(float(value), ci, method, (n0, m0), details, p)


def _subsample_index(gen: np.random.Generator, n: int, s: int, xp: Any, like: Any) -> Any:
    """Sorted random subset of ``s`` of ``range(n)``, drawn on the host, in namespace ``xp``."""
    return from_numpy(np.sort(gen.choice(n, size=s, replace=False)), xp, like=like)


def _js_resample(z, s, k, d, raw, B, alpha, gen):
    """Subsampling CI (sizes :func:`resample_size`) and permutation p-value of the JS
    estimate from neighbour lists; ``raw`` is the unclipped estimate."""
    s_full = s
    x, y = _cap(z[:s], gen), _cap(z[s:], gen)
    s = x.shape[0]
    h = resample_size(s, s_full)
    z = np.concatenate([x, y])
    N = 2 * s
    K = min(_list_len(k, h / s), s - 1)
    lists = [knn_table(a, None, K) for a in (x, y)]
    Kz = min(_list_len(2 * k, h / s), N - 1)
    dzz, izz = knn_table(z, None, Kz)
    floor = positive_floor(dzz, lists[0][0], lists[1][0])
    if floor > 0:
        dzz = np.maximum(dzz, floor)
        lists = [(np.maximum(dd, floor), ii) for dd, ii in lists]
    mx, my = subsample_masks(s, h, B, gen), subsample_masks(s, h, B, gen)
    hx = _entropy_kept(*lists[0], mx, k, d)
    hy = _entropy_kept(*lists[1], my, k, d)
    hz = _entropy_kept(dzz, izz, np.concatenate([mx, my], axis=1), 2 * k, d)
    stats = hz - 0.5 * (hx + hy)
    ci = basic_interval(raw, stats, alpha=alpha, fraction=0.5)  # sizes already matched
    labels = permutation_labels(s, s, B, gen)
    h_same_x = _entropy_kept(dzz, izz, labels, k, d, same=True)
    h_same_y = _entropy_kept(dzz, izz, ~labels, k, d, same=True)
    hz_full = _kl_entropy_value(dzz[:, 2 * k - 1], N, d, 2 * k)
    perm = hz_full - 0.5 * (h_same_x + h_same_y)
    info: dict[str, Any] = {"ci_method": _CI_METHOD, "n_resamples": B,
                            "resample_sizes": [h, h], "list_len": [K, Kz]}
    if s != s_full:  # observed raw JS on the subsample the permutations use
        raw = hz_full - 0.5 * (_kl_entropy_value(lists[0][0][:, k - 1], s, d, k)
                               + _kl_entropy_value(lists[1][0][:, k - 1], s, d, k))
        info["resample_subsample"] = [s, s]
    return ci, permutation_pvalue(raw, perm), info


# --------------------------------------------------------------------------- KL and JS


def _knn_kl_js(
    x: Any, y: Any, xp: Any = None, *, n_resamples: int, alpha: float,
    gen: np.random.Generator | Mapping[str, np.random.Generator],
    want: Sequence[str] = ("kl", "js"), k_kl: int | None = None, k_js: int | None = None,
) -> dict[str, Estimate]:
    """k-NN KL (fixed variant) and JS with one validation, one whitening and shared searches.

    ``x``, ``y``: validated 2-D samples (``compare`` passes host float64 arrays).
    ``k_kl``/``k_js`` default to ``compare``'s choice ``min(DEFAULT_K_KL, n - 1, m)`` and
    ``min(DEFAULT_K_JS, min(n, m) - 1)``. When both are wanted and ``n == m`` the k-th
    distances within ``x`` are searched once for both orders.

    Stream contract: ``gen`` is either a mapping ``{"kl": g1, "js": g2}`` (each metric
    draws only from its own generator, exactly as ``_knn_kl(..., gen=g1)`` and
    ``_knn_js(..., gen=g2)`` would), or one Generator that KL draws from first, then JS —
    the same draws as calling ``_knn_kl(..., gen=g)`` and then ``_knn_js(..., gen=g)``.
    Whitening and searches draw nothing, so the results are identical (tested) to those
    of the separate kernels. Returns ``{name: Estimate}`` in the order of ``want``.
    """
    xp = array_namespace(x, y) if xp is None else xp
    want = tuple(want)
    bad = [w for w in want if w not in ("kl", "js")]
    if bad or not want:
        raise ParameterError(f"`want` must name 'kl' and/or 'js', got {want!r}")
    n, m = x.shape[0], y.shape[0]
    k_kl = min(DEFAULT_K_KL, n - 1, m) if k_kl is None else k_kl
    k_js = min(DEFAULT_K_JS, min(n, m) - 1) if k_js is None else k_js
    gens = gen if isinstance(gen, Mapping) else {w: gen for w in want}
    wh = _whiten(x, y, xp, standardize=True)
    shared: dict[int, Any] = {}
    usable = not (wh.identical or wh.constant_sample or wh.disjoint_columns or wh.singular)
    if usable and "kl" in want and "js" in want and n == m:
        orders = sorted({k_kl, k_js})
        shared = dict(zip(orders, _kth_many(wh.x, None, orders, xp), strict=True))
    out: dict[str, Estimate] = {}
    for name in ("kl", "js"):
        if name not in want:
            continue
        if name == "kl":
            out[name] = _kl_from(wh, xp, k=k_kl, variant="fixed", n_resamples=n_resamples,
                                 alpha=alpha, gen=gens["kl"], rho=shared.get(k_kl))
        else:
            out[name] = _js_from(wh, xp, k=k_js, n_resamples=n_resamples, alpha=alpha,
                                 gen=gens["js"], rx=shared.get(k_js))
    return {w: out[w] for w in want}
