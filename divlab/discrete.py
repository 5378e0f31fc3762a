r"""Divergences between discrete probability vectors.

Every function takes probability vectors ``p`` and ``q`` (any leading batch shape; the
reduction runs along ``axis``) and returns a 0-d array, or an array of the batch shape,
in the namespace of the input (NumPy, CuPy, any array-API library). float32 input gives a
float32 result; the arithmetic is done in float64 and cast back.

Conventions (DESIGN section 2):

* :math:`D_f(P\|Q) = \sum_i q_i f(p_i/q_i)`; argument order is always ``(p, q)``.
* Natural logarithm unless ``base`` is given.
* Terms with :math:`q_i = 0 < p_i` contribute :math:`p_i f'(\infty)` (``+inf`` for KL and
  the :math:`\chi^2` divergences, finite for JS, TV and Hellinger); terms with
  :math:`p_i = 0 < q_i` contribute :math:`q_i f(0)`. Disjoint supports give JS = log 2.
* ``+inf`` is returned only where the mathematics says so.
* Near-identical inputs give results :math:`\ge 0` that keep their relative accuracy:
  the per-entry terms are evaluated with series expansions around :math:`p = q` (no
  cancellation), and tiny negative rounding results are clamped to 0.

On NumPy, :func:`kl` and :func:`js` take a chunked fast path (:mod:`divlab._fast_numpy`)
that fuses the input validation with the computation; it gives the same numbers as the
generic path to rounding.
"""

from __future__ import annotations

import math
import numbers
from types import ModuleType
from typing import Any

import numpy as np

from ._array import array_namespace, is_numpy, logsumexp
from ._validate import (
    check_axis,
    check_bool,
    check_positive,
    check_probability,
    check_probability_pair,
)
from .errors import ParameterError

__all__ = [
    "kl",
    "reverse_kl",
    "js",
    "js_distance",
    "total_variation",
    "squared_hellinger",
    "hellinger",
    "pearson_chi2",
    "neyman_chi2",
    "jeffreys",
    "renyi",
    "alpha_divergence",
    "entropy",
    "cross_entropy",
    "f_divergence",
]

_LOG2 = math.log(2.0)

# |d| below these thresholds -> series expansions (see _kl_terms, _js_terms, _alpha_parts)
_KL_SERIES = 0.01
_JS_SERIES = 0.1
_ALPHA_SERIES = 0.01


# ----------------------------------------------------------------------------------------
# shared plumbing
# ----------------------------------------------------------------------------------------


def _log_base(base: Any) -> float | None:
    """``log(base)`` (None for the natural log); validates ``base``."""
    if base is None:
        return None
    if isinstance(base, (str, bytes)):  # check_positive would parse "2"
        raise ParameterError(f"`base` must be a real number, got {base!r}")
    b = check_positive(base, "base")
    if b == 1.0:
        raise ParameterError("`base` must be a positive number other than 1, got 1")
    return math.log(b)


def _check_keepdims(keepdims: Any) -> bool:
    return check_bool(keepdims, "keepdims")


def _pair(p: Any, q: Any, axis: Any, normalize: bool, names=("p", "q")):
    """Validate a pair; return ``(xp, p64, q64, axis, out_dtype)``."""
    normalize = check_bool(normalize, "normalize")
    xp, p, q = check_probability_pair(p, q, axis=axis, normalize=normalize, names=names)
    axis = check_axis(axis, p.ndim)
    out_dtype = p.dtype
    if p.dtype != xp.float64:
        p = xp.astype(p, xp.float64)
        q = xp.astype(q, xp.float64)
    return xp, p, q, axis, out_dtype


def _zeros(x: Any, xp: ModuleType) -> Any:
    return xp.zeros_like(x)


def _full(x: Any, value: float, xp: ModuleType) -> Any:
    return xp.full_like(x, value)


def _finish(
    xp: ModuleType,
    total: Any,
    out_dtype: Any,
    *,
    scale: float | None = None,
    lower: float | None = 0.0,
    upper: float | None = None,
) -> Any:
    """Change the log base, clamp rounding excursions, cast to the output dtype."""
    if scale is not None:
        total = total / scale
    if lower is not None:  # NaN-preserving clamp (NaN never occurs for valid input)
        total = xp.where(total < lower, _full(total, lower, xp), total)
    if upper is not None:
        total = xp.where(total > upper, _full(total, upper, xp), total)
    if out_dtype != total.dtype:  # beyond the output's range: inf, without a cast warning
        over = xp.abs(total) > float(xp.finfo(out_dtype).max)
        inf = xp.where(total > 0, _full(total, math.inf, xp), _full(total, -math.inf, xp))
        total = xp.where(over, inf, total)
    return xp.astype(total, out_dtype)


def _on_disjoint(
    total: Any, value: float, p: Any, q: Any, axis: int, keepdims: bool, xp: ModuleType
) -> Any:
    """``value`` where the supports of ``p`` and ``q`` are disjoint, else ``total``."""
    disjoint = xp.logical_not(xp.any((p > 0) & (q > 0), axis=axis, keepdims=keepdims))
    return xp.where(disjoint, _full(total, value, xp), total)


def _reduce(terms: Any, axis: int, keepdims: bool, xp: ModuleType) -> Any:
    return xp.sum(terms, axis=axis, keepdims=keepdims)


def _horner(x: Any, coeffs: list[float]) -> Any:
    """``coeffs[0] + coeffs[1] x + ...`` by Horner's rule (works for arrays and floats)."""
    acc = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        acc = acc * x + c
    return acc


def _safe(x: Any, mask: Any, xp: ModuleType) -> Any:
    """``x`` where ``mask``, else 1 (keeps logs and divisions warning-free)."""
    return xp.where(mask, x, xp.ones_like(x))


def _limit_term(x: Any, limit: float, mask: Any, xp: ModuleType) -> Any:
    """``x * limit`` for a finite limit; ``limit`` (+-inf) where ``mask`` else 0 otherwise."""
    if math.isfinite(limit):
        return x * limit
    return xp.where(mask, _full(x, limit, xp), _zeros(x, xp))


def _log_ratio(p: Any, q: Any, pos: Any, xp: ModuleType) -> tuple[Any, Any]:
    """``(log(p/q), d)`` accurate for all ``p, q > 0`` (valid where ``pos``).

    ``d = (p-q)/q`` where ``p <= 3q``; elsewhere ``d = 4`` stands in for it (callers only use
    ``d`` below 1), so that ``p/q`` never overflows when ``q`` is subnormal.
    """
    ps = _safe(p, pos, xp)
    qs = _safe(q, pos, xp)
    far = (ps - qs) > 2.0 * qs
    d = xp.where(far, 4.0 * qs, ps - qs) / qs
    near = xp.abs(d) < 0.5
    # log(p/q) from the quotient where it is representable (log p - log q cancels for tiny
    # p, q: 1e-13 absolute error at p, q ~ 1e-300), from the difference of logs elsewhere
    diff = xp.log(ps) - xp.log(qs)
    fits = xp.abs(diff) < 700.0
    ratio = xp.where(fits, ps, xp.ones_like(ps)) / xp.where(fits, qs, xp.ones_like(qs))
    ell = xp.where(near, xp.log1p(xp.where(near, d, _zeros(d, xp))),
                   xp.where(fits, xp.log(ratio), diff))
    return ell, d


# ----------------------------------------------------------------------------------------
# per-entry terms (generic path, float64 inputs, validated)
# ----------------------------------------------------------------------------------------

# g(d) = (1+d) log(1+d) - d = d^2 * sum_{k>=2} (-1)^k d^(k-2) / (k (k-1))
_KL_COEFFS = [(-1.0) ** k / (k * (k - 1)) for k in range(2, 12)]
# phi(d) = ((1+d) log(1+d) + (1-d) log(1-d)) / 2 = sum_{k>=1} d^(2k) / (2k (2k-1))
_JS_COEFFS = [1.0 / (2 * k * (2 * k - 1)) for k in range(1, 10)]


def _kl_terms(p: Any, q: Any, xp: ModuleType) -> Any:
    """Entries of the generalised KL ``p log(p/q) - p + q`` (each >= 0)."""
    pos = (p > 0) & (q > 0)
    ell, d = _log_ratio(p, q, pos, xp)
    small = xp.abs(d) < _KL_SERIES
    series = q * (d * d) * _horner(d, _KL_COEFFS)
    direct = p * ell - p + q
    body = xp.where(small, series, direct)
    inf = _full(p, math.inf, xp)
    return xp.where(pos, body, xp.where(p > 0, inf, q))


def _js_terms(p: Any, q: Any, xp: ModuleType) -> Any:
    """Entries of JS: ``m * phi(d)`` with ``m = (p+q)/2`` and ``d = (p-q)/(p+q)``."""
    s = p + q
    nz = s > 0
    ss = _safe(s, nz, xp)
    d = xp.where(nz, (p - q) / ss, _zeros(s, xp))
    d = xp.clip(d, -1.0, 1.0)
    d2 = d * d
    series = d2 * _horner(d2, _JS_COEFFS)
    one = xp.ones_like(d)
    up = one + d
    dn = one - d
    # xlogy(u, u) with the 0 log 0 = 0 convention, written with log1p for accuracy
    t_up = xp.where(up > 0, up * xp.log1p(xp.where(up > 0, d, _zeros(d, xp))), _zeros(d, xp))
    t_dn = xp.where(dn > 0, dn * xp.log1p(xp.where(dn > 0, -d, _zeros(d, xp))), _zeros(d, xp))
    direct = 0.5 * (t_up + t_dn)
    phi = xp.where(xp.abs(d) < _JS_SERIES, series, direct)
    return 0.5 * s * phi


def _alpha_coeffs(alpha: float, n: int = 10) -> list[float]:
    """Taylor coefficients of the Amari generator at u = 1 + d, from d^2 on."""
    coeffs = [0.5]
    for k in range(2, n + 1):
        coeffs.append(coeffs[-1] * (alpha - k) / (k + 1))
    return coeffs


#: ``r**alpha`` is formed directly only while ``alpha log r`` is below this (no overflow).
_ALPHA_EXP_MAX = 700.0


def _alpha_parts(p: Any, q: Any, alpha: float, xp: ModuleType) -> tuple[Any, Any, Any]:
    """Entries ``q f(p/q)`` of the Amari alpha-divergence (alpha not 0 or 1), in two parts.

    Returns ``(terms, log_huge, huge)``: where ``huge`` (``alpha log(p/q) > 700``, so that
    ``(p/q)**alpha`` would overflow) the entry is ``exp(log_huge)`` -- the other summands
    of the generator are below its last bit there -- and ``terms`` is 0; elsewhere
    ``terms`` holds the entry.
    """
    a = alpha
    den = a * (a - 1.0)
    pos = (p > 0) & (q > 0)
    ell, d = _log_ratio(p, q, pos, xp)
    qs = _safe(q, pos, xp)
    ps = _safe(p, pos, xp)
    huge = pos & (a * ell > _ALPHA_EXP_MAX)
    log_huge = xp.where(huge, xp.log(qs) + a * ell - math.log(abs(den)), _full(p, -math.inf, xp))
    ell = xp.where(huge, _zeros(ell, xp), ell)
    small = xp.abs(d) * max(1.0, abs(a)) < _ALPHA_SERIES
    series = qs * (d * d) * _horner(d, _alpha_coeffs(a))
    moderate = xp.abs(d) <= 1.0
    dm = xp.where(moderate, d, _zeros(d, xp))
    lm = xp.where(moderate, ell, _zeros(d, xp))
    mid = qs * (xp.expm1(a * lm) - a * dm) / den
    # far from p = q: exp(a log p + (1-a) log q) - q - a (p - q), no overflow of p/q
    la = xp.log(qs) + a * ell
    la = xp.where(moderate, _zeros(la, xp), la)
    big = (xp.exp(la) - qs - a * (ps - qs)) / den
    body = xp.where(small, series, xp.where(moderate, mid, big))
    # p = 0 < q: q f(0), f(0) = 1/a (a > 0) or inf (a < 0)
    f0 = 1.0 / a if a > 0 else math.inf
    # q = 0 < p: p f'(inf), f'(inf) = 1/(1-a) (a < 1) or inf (a > 1)
    fp_inf = 1.0 / (1.0 - a) if a < 1 else math.inf
    only_q = (p == 0) & (q > 0)
    only_p = (p > 0) & (q == 0)
    out = xp.where(pos & ~huge, body, _zeros(p, xp))
    out = xp.where(only_q, _limit_term(q, f0, only_q, xp), out)
    out = xp.where(only_p, _limit_term(p, fp_inf, only_p, xp), out)
    return out, log_huge, huge


def _alpha_sum(p: Any, q: Any, alpha: float, axis: int, keepdims: bool, xp: ModuleType) -> Any:
    """Sum of the alpha-divergence entries along ``axis``, without overflow warnings.

    With no huge entry this is the plain sum. Otherwise the huge entries are added in the
    log domain, ``exp(M) * (sum exp(log_huge - M) + rest / exp(M))`` with ``M`` the largest
    ``log_huge`` of the slice, and the result is ``inf`` exactly when it exceeds the float
    range (huge entries only occur for ``alpha > 1`` or ``alpha < 0``, where every entry
    is >= 0).
    """
    terms, log_huge, huge = _alpha_parts(p, q, alpha, xp)
    rest = xp.sum(terms, axis=axis, keepdims=True)
    if not bool(xp.any(huge)):
        return rest if keepdims else xp.squeeze(rest, axis=axis)
    m = xp.max(log_huge, axis=axis, keepdims=True)
    has = m > -math.inf
    ms = xp.where(has, m, _zeros(m, xp))
    scaled = xp.sum(xp.exp(log_huge - ms), axis=axis, keepdims=True)  # >= 1 where `has`
    # the other entries, rest * e^{-M}, as exp(log(rest) - M) (rest >= 0 is finite)
    rest_pos = rest > 0
    log_rest = xp.log(xp.where(rest_pos, rest, xp.ones_like(rest)))
    ratio = xp.where(rest_pos, xp.exp(xp.minimum(log_rest - ms, _zeros(ms, xp))), _zeros(ms, xp))
    inner = xp.where(has, scaled + ratio, xp.ones_like(scaled))
    lim = math.log(float(xp.finfo(rest.dtype).max))
    log_total = ms + xp.log(inner)
    total = xp.where(log_total > lim, _full(rest, math.inf, xp),
                     xp.exp(xp.minimum(log_total, xp.full_like(log_total, lim))))
    out = xp.where(has, total, rest)
    return out if keepdims else xp.squeeze(out, axis=axis)


# ----------------------------------------------------------------------------------------
# public functions
# ----------------------------------------------------------------------------------------


def kl(
    p: Any,
    q: Any,
    *,
    axis: int = -1,
    keepdims: bool = False,
    base: float | None = None,
    normalize: bool = False,
) -> Any:
    r"""Kullback–Leibler divergence :math:`D_{KL}(P\|Q)` between probability vectors.

    .. math::

        D_{KL}(P\|Q) = \sum_i p_i \log\frac{p_i}{q_i}
                     = \sum_i \Big(p_i \log\frac{p_i}{q_i} - p_i + q_i\Big)

    The second (``scipy.special.kl_div``) form is what is summed: every entry is
    :math:`\ge 0`, so near-identical inputs give a small non-negative result that keeps
    its relative accuracy. It equals the first form for normalised inputs. It is the
    f-divergence with :math:`f(u) = u\log u` (lecture: forward KL
    :math:`D_{KL}(p_r\|p_\theta)` is mass-covering, reverse KL mode-seeking).

    Parameters
    ----------
    p, q : array_like
        Probability vectors (non-negative, summing to 1 along ``axis``), same shape.
    axis : int, default -1
        Axis along which the divergence is computed; other axes are batch axes.
    keepdims : bool, default False
        Keep the reduced axis with length 1.
    base : float, optional
        Logarithm base (``2`` gives bits). Natural log (nats) by default.
    normalize : bool, default False
        Rescale ``p`` and ``q`` to sum to 1 (overflow-safe, also for 1e308-scale entries)
        instead of raising on unnormalised input.

    Returns
    -------
    array
        0-d array (1-D input) or array of the batch shape; float32 for float32 input.
        ``+inf`` exactly where some :math:`q_i = 0 < p_i`.

    Raises
    ------
    NonFiniteError, NegativeValueError, EmptyInputError, ShapeMismatchError
        Invalid probability vectors.
    NormalizationError
        ``p`` or ``q`` does not sum to 1 (within 1e-6) and ``normalize`` is False.
    DTypeError
        Complex, object or string input.
    ParameterError
        Bad ``axis`` or ``base``.

    See Also
    --------
    reverse_kl, jeffreys, js, cross_entropy

    Notes
    -----
    ``scipy.special.rel_entr(p, q).sum()`` and ``scipy.stats.entropy(p, q)`` compute the
    same quantity (``entropy`` normalises its inputs silently).

    Examples
    --------
    >>> from divlab import kl
    >>> round(float(kl([0.5, 0.5], [0.9, 0.1])), 6)
    0.510826
    >>> float(kl([0.5, 0.5], [1.0, 0.0]))
    inf
    >>> round(float(kl([0.5, 0.5], [0.9, 0.1], base=2)), 6)
    0.736966
    """
    scale = _log_base(base)
    keepdims = _check_keepdims(keepdims)
    normalize = check_bool(normalize, "normalize")
    xp = array_namespace(p, q)
    if is_numpy(xp) and not normalize:
        from . import _fast_numpy

        res = _fast_numpy.kl(p, q, axis=axis, keepdims=keepdims)
        if res is not None:
            return _fast_numpy.finish(res, scale=scale, lower=0.0, upper=None)
    xp, p, q, axis, dt = _pair(p, q, axis, normalize)
    total = _reduce(_kl_terms(p, q, xp), axis, keepdims, xp)
    return _finish(xp, total, dt, scale=scale)


def reverse_kl(
    p: Any,
    q: Any,
    *,
    axis: int = -1,
    keepdims: bool = False,
    base: float | None = None,
    normalize: bool = False,
) -> Any:
    r"""Reverse KL divergence :math:`D_{KL}(Q\|P) = \sum_i q_i \log(q_i/p_i)`.

    The f-divergence :math:`D_f(P\|Q)` with :math:`f(u) = -\log u` (the lecture's
    "Reverse KL" row); equal to ``kl(q, p)``. ``+inf`` where some :math:`p_i = 0 < q_i`.

    Parameters
    ----------
    p, q : array_like
        Probability vectors, same shape.
    axis, keepdims, base, normalize
        As in :func:`kl`.

    Returns
    -------
    array
        0-d array or array of the batch shape.

    Raises
    ------
    InputError, DTypeError, ParameterError
        As in :func:`kl`.

    Examples
    --------
    >>> from divlab import reverse_kl
    >>> round(float(reverse_kl([0.5, 0.5], [0.9, 0.1])), 6)
    0.368064
    """
    scale = _log_base(base)
    keepdims = _check_keepdims(keepdims)
    normalize = check_bool(normalize, "normalize")
    xp = array_namespace(p, q)
    if is_numpy(xp) and not normalize:
        from . import _fast_numpy

        res = _fast_numpy.kl(p, q, axis=axis, keepdims=keepdims, reverse=True)
        if res is not None:
            return _fast_numpy.finish(res, scale=scale, lower=0.0, upper=None)
    xp, p, q, axis, dt = _pair(p, q, axis, normalize)
    total = _reduce(_kl_terms(q, p, xp), axis, keepdims, xp)
    return _finish(xp, total, dt, scale=scale)


def js(
    p: Any,
    q: Any,
    *,
    axis: int = -1,
    keepdims: bool = False,
    base: float | None = None,
    normalize: bool = False,
) -> Any:
    r"""Jensen–Shannon divergence (the divergence, not the distance).

    .. math::

        D_{JS}(P\|Q) = \tfrac12 D_{KL}(P\|M) + \tfrac12 D_{KL}(Q\|M),
        \qquad M = \tfrac12 (P + Q),

    with :math:`0 \le D_{JS} \le \log 2` (1 bit with ``base=2``); disjoint supports give
    exactly :math:`\log 2` (the lecture's vanishing-gradient case). The lecture's
    :math:`\mathcal L(G|D^*) = 2 D_{JS}(p_r\|p_\theta) - 2\log 2`. Each entry is
    evaluated as :math:`m_i\,\varphi(d_i)` with :math:`d_i = (p_i-q_i)/(p_i+q_i)` and
    :math:`\varphi(d) = \tfrac12[(1+d)\log(1+d) + (1-d)\log(1-d)]` (a series for small
    :math:`|d|`), so near-identical inputs keep their relative accuracy.

    Parameters
    ----------
    p, q : array_like
        Probability vectors, same shape.
    axis, keepdims, base, normalize
        As in :func:`kl`.

    Returns
    -------
    array
        0-d array or array of the batch shape, in :math:`[0, \log 2]` (clamped).

    Raises
    ------
    InputError, DTypeError, ParameterError
        As in :func:`kl`.

    See Also
    --------
    js_distance : its square root, what ``scipy.spatial.distance.jensenshannon`` returns.

    Examples
    --------
    >>> from divlab import js
    >>> float(js([1.0, 0.0], [0.0, 1.0]))
    0.6931471805599453
    >>> float(js([1.0, 0.0], [0.0, 1.0], base=2))
    1.0
    """
    scale = _log_base(base)
    keepdims = _check_keepdims(keepdims)
    normalize = check_bool(normalize, "normalize")
    xp = array_namespace(p, q)
    if is_numpy(xp) and not normalize:
        from . import _fast_numpy

        res = _fast_numpy.js(p, q, axis=axis, keepdims=keepdims)
        if res is not None:
            return _fast_numpy.finish(res, scale=scale, lower=0.0, upper=_LOG2)
    xp, p, q, axis, dt = _pair(p, q, axis, normalize)
    total = _reduce(_js_terms(p, q, xp), axis, keepdims, xp)
    # disjoint supports: exactly log 2 (the sum of m log 2 is off by rounding of sum(m))
    total = _on_disjoint(total, _LOG2, p, q, axis, keepdims, xp)
    total = _finish(xp, total, xp.float64, lower=0.0, upper=_LOG2)
    return _finish(xp, total, dt, scale=scale, lower=None)


def js_distance(
    p: Any,
    q: Any,
    *,
    axis: int = -1,
    keepdims: bool = False,
    base: float | None = None,
    normalize: bool = False,
) -> Any:
    r"""Jensen–Shannon distance :math:`\sqrt{D_{JS}(P\|Q)}` (a metric).

    Same value as ``scipy.spatial.distance.jensenshannon(p, q, base=base)`` for
    normalised inputs (SciPy normalises silently; divlab raises unless
    ``normalize=True``). Never NaN: tiny negative rounding results are clamped to 0
    before the square root.

    Parameters
    ----------
    p, q : array_like
        Probability vectors, same shape.
    axis, keepdims, base, normalize
        As in :func:`kl`; with ``base`` the divergence is measured in that base before the
        square root (SciPy's convention).

    Returns
    -------
    array
        0-d array or array of the batch shape, in :math:`[0, \sqrt{\log 2}]`.

    Raises
    ------
    InputError, DTypeError, ParameterError
        As in :func:`kl`.

    Examples
    --------
    >>> from divlab import js_distance
    >>> float(js_distance([1.0, 0.0], [0.0, 1.0], base=2))
    1.0
    """
    d = js(p, q, axis=axis, keepdims=keepdims, base=base, normalize=normalize)
    xp = array_namespace(d)
    return xp.sqrt(d)


def total_variation(
    p: Any, q: Any, *, axis: int = -1, keepdims: bool = False, normalize: bool = False
) -> Any:
    r"""Total variation distance :math:`\tfrac12 \sum_i |p_i - q_i| \in [0, 1]`.

    The f-divergence with :math:`f(u) = \tfrac12 |u - 1|`; equals
    :math:`\max_A |P(A) - Q(A)|`. Disjoint supports give exactly 1.

    Parameters
    ----------
    p, q : array_like
        Probability vectors, same shape.
    axis, keepdims, normalize
        As in :func:`kl`.

    Returns
    -------
    array
        0-d array or array of the batch shape.

    Raises
    ------
    InputError, DTypeError, ParameterError
        As in :func:`kl`.

    Examples
    --------
    >>> from divlab import total_variation
    >>> float(total_variation([0.5, 0.5, 0.0], [0.0, 0.5, 0.5]))
    0.5
    """
    keepdims = _check_keepdims(keepdims)
    xp, p, q, axis, dt = _pair(p, q, axis, normalize)
    total = 0.5 * _reduce(xp.abs(p - q), axis, keepdims, xp)
    total = _on_disjoint(total, 1.0, p, q, axis, keepdims, xp)  # exactly 1, no rounding
    return _finish(xp, total, dt, upper=1.0)


def squared_hellinger(
    p: Any, q: Any, *, axis: int = -1, keepdims: bool = False, normalize: bool = False
) -> Any:
    r"""Squared Hellinger distance, lecture convention (no factor 1/2).

    .. math::

        H^2(P, Q) = \sum_i \big(\sqrt{p_i} - \sqrt{q_i}\big)^2
                  = 2 - 2\sum_i \sqrt{p_i q_i} \;\in [0, 2]

    This is the f-divergence with :math:`f(u) = (\sqrt u - 1)^2` (the f-GAN table's
    "Squared Hellinger" row). Other conventions: Wikipedia and many statistics texts use
    :math:`\tfrac12\sum(\sqrt{p_i}-\sqrt{q_i})^2 \in [0, 1]` (divide by 2);
    ``1 - sum(sqrt(p q))`` (the Bhattacharyya-coefficient form) is that halved value. The
    Amari :math:`\alpha = 1/2` divergence is :math:`2H^2`.

    Parameters
    ----------
    p, q : array_like
        Probability vectors, same shape.
    axis, keepdims, normalize
        As in :func:`kl`.

    Returns
    -------
    array
        0-d array or array of the batch shape, in :math:`[0, 2]`.

    Raises
    ------
    InputError, DTypeError, ParameterError
        As in :func:`kl`.

    Examples
    --------
    >>> from divlab import squared_hellinger
    >>> float(squared_hellinger([1.0, 0.0], [0.0, 1.0]))
    2.0
    """
    keepdims = _check_keepdims(keepdims)
    xp, p, q, axis, dt = _pair(p, q, axis, normalize)
    # sqrt(p) - sqrt(q) = (p - q) / (sqrt(p) + sqrt(q)): p - q is exact when p ~ q, so
    # near-identical inputs keep their relative accuracy (the naive difference does not)
    den = xp.sqrt(p) + xp.sqrt(q)
    nz = den > 0
    diff = xp.where(nz, (p - q) / _safe(den, nz, xp), _zeros(den, xp))
    one_zero = (p == 0) | (q == 0)  # there the term is exactly p + q (disjoint -> H^2 = 2)
    total = _reduce(xp.where(one_zero, p + q, diff * diff), axis, keepdims, xp)
    total = _on_disjoint(total, 2.0, p, q, axis, keepdims, xp)  # exactly 2, no rounding
    return _finish(xp, total, dt, upper=2.0)


def hellinger(
    p: Any, q: Any, *, axis: int = -1, keepdims: bool = False, normalize: bool = False
) -> Any:
    r"""Hellinger distance :math:`\sqrt{H^2} = \|\sqrt p - \sqrt q\|_2 \in [0, \sqrt 2]`.

    The square root of :func:`squared_hellinger` (lecture convention, no factor 1/2).
    Divide by :math:`\sqrt 2` for the :math:`[0, 1]`-normalised Hellinger distance of
    Wikipedia / most statistics texts.

    Parameters
    ----------
    p, q : array_like
        Probability vectors, same shape.
    axis, keepdims, normalize
        As in :func:`kl`.

    Returns
    -------
    array
        0-d array or array of the batch shape.

    Raises
    ------
    InputError, DTypeError, ParameterError
        As in :func:`kl`.

    Examples
    --------
    >>> from divlab import hellinger
    >>> round(float(hellinger([1.0, 0.0], [0.0, 1.0])) ** 2, 12)
    2.0
    """
    h2 = squared_hellinger(p, q, axis=axis, keepdims=keepdims, normalize=normalize)
    return array_namespace(h2).sqrt(h2)


def _chi2_terms(p: Any, q: Any, xp: ModuleType) -> Any:
    pos = q > 0
    qs = _safe(q, pos, xp)
    diff = p - q
    body = diff * diff / qs
    return xp.where(pos, body, xp.where(p > 0, _full(p, math.inf, xp), _zeros(p, xp)))


def pearson_chi2(
    p: Any, q: Any, *, axis: int = -1, keepdims: bool = False, normalize: bool = False
) -> Any:
    r"""Pearson :math:`\chi^2` divergence :math:`\sum_i (p_i - q_i)^2 / q_i`.

    The f-divergence with :math:`f(u) = (u-1)^2` (the generator of the f-GAN table's
    "Pearson" row; the table's :math:`D_f` column :math:`\int (q-p)^2/p` is Neyman's
    :math:`\chi^2`, see :func:`neyman_chi2`). ``+inf`` where some :math:`q_i = 0 < p_i`.

    Parameters
    ----------
    p, q : array_like
        Probability vectors, same shape.
    axis, keepdims, normalize
        As in :func:`kl`.

    Returns
    -------
    array
        0-d array or array of the batch shape.

    Raises
    ------
    InputError, DTypeError, ParameterError
        As in :func:`kl`.

    Examples
    --------
    >>> from divlab import pearson_chi2
    >>> round(float(pearson_chi2([0.5, 0.5], [0.25, 0.75])), 12)
    0.333333333333
    """
    keepdims = _check_keepdims(keepdims)
    xp, p, q, axis, dt = _pair(p, q, axis, normalize)
    return _finish(xp, _reduce(_chi2_terms(p, q, xp), axis, keepdims, xp), dt)


def neyman_chi2(
    p: Any, q: Any, *, axis: int = -1, keepdims: bool = False, normalize: bool = False
) -> Any:
    r"""Neyman :math:`\chi^2` divergence :math:`\sum_i (p_i - q_i)^2 / p_i`.

    The f-divergence with :math:`f(u) = (1-u)^2/u`; equal to ``pearson_chi2(q, p)``.
    ``+inf`` where some :math:`p_i = 0 < q_i`.

    Parameters
    ----------
    p, q : array_like
        Probability vectors, same shape.
    axis, keepdims, normalize
        As in :func:`kl`.

    Returns
    -------
    array
        0-d array or array of the batch shape.

    Raises
    ------
    InputError, DTypeError, ParameterError
        As in :func:`kl`.

    Examples
    --------
    >>> from divlab import neyman_chi2
    >>> round(float(neyman_chi2([0.5, 0.5], [0.25, 0.75])), 12)
    0.25
    """
    keepdims = _check_keepdims(keepdims)
    xp, p, q, axis, dt = _pair(p, q, axis, normalize)
    return _finish(xp, _reduce(_chi2_terms(q, p, xp), axis, keepdims, xp), dt)


def jeffreys(
    p: Any,
    q: Any,
    *,
    axis: int = -1,
    keepdims: bool = False,
    base: float | None = None,
    normalize: bool = False,
) -> Any:
    r"""Jeffreys divergence :math:`D_{KL}(P\|Q) + D_{KL}(Q\|P) = \sum_i (p_i-q_i)\log(p_i/q_i)`.

    Symmetric; the f-divergence with :math:`f(u) = (u-1)\log u`. Every entry is
    :math:`\ge 0`. ``+inf`` when the supports differ.

    Parameters
    ----------
    p, q : array_like
        Probability vectors, same shape.
    axis, keepdims, base, normalize
        As in :func:`kl`.

    Returns
    -------
    array
        0-d array or array of the batch shape.

    Raises
    ------
    InputError, DTypeError, ParameterError
        As in :func:`kl`.

    Examples
    --------
    >>> from divlab import jeffreys
    >>> round(float(jeffreys([0.5, 0.5], [0.9, 0.1])), 6)
    0.87889
    """
    scale = _log_base(base)
    keepdims = _check_keepdims(keepdims)
    xp, p, q, axis, dt = _pair(p, q, axis, normalize)
    pos = (p > 0) & (q > 0)
    ell, _ = _log_ratio(p, q, pos, xp)
    body = (p - q) * ell
    one_zero = (p > 0) != (q > 0)
    terms = xp.where(pos, body, xp.where(one_zero, _full(p, math.inf, xp), _zeros(p, xp)))
    return _finish(xp, _reduce(terms, axis, keepdims, xp), dt, scale=scale)


def _check_alpha(alpha: Any, *, allow_negative: bool, allow_inf: bool) -> float:
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (numbers.Real, np.floating)):
        raise ParameterError(f"`alpha` must be a real number, got {alpha!r}")
    a = float(alpha)
    if math.isnan(a):
        raise ParameterError("`alpha` must be a number, got NaN")
    if math.isinf(a) and not (allow_inf and a > 0):
        raise ParameterError(f"`alpha` must be finite, got {alpha!r}")
    if a < 0 and not allow_negative:
        raise ParameterError(f"`alpha` must be >= 0 for the Renyi divergence, got {alpha!r}")
    return a


def renyi(
    p: Any,
    q: Any,
    alpha: float,
    *,
    axis: int = -1,
    keepdims: bool = False,
    base: float | None = None,
    normalize: bool = False,
) -> Any:
    r"""Rényi divergence of order :math:`\alpha \in [0, \infty]`.

    .. math::

        D_\alpha(P\|Q) = \frac{1}{\alpha - 1} \log \sum_i p_i^\alpha q_i^{1-\alpha}

    with the limits :math:`D_1 = D_{KL}(P\|Q)`, :math:`D_0 = -\log Q(\{p > 0\})` and
    :math:`D_\infty = \log \max_{p_i > 0} p_i/q_i`. Non-decreasing in :math:`\alpha`.
    Evaluated as :math:`\log1p(\sum_i p_i\,\mathrm{expm1}((\alpha-1)\log(p_i/q_i)))/(\alpha-1)`
    (accurate for :math:`\alpha` near 1), or with a log-sum-exp far from it.
    ``+inf`` for :math:`\alpha \ge 1` when some :math:`q_i = 0 < p_i`, and for
    :math:`\alpha < 1` when the supports are disjoint. The inputs are treated as
    normalised (``sum p = 1``).

    Parameters
    ----------
    p, q : array_like
        Probability vectors, same shape.
    alpha : float
        Order, ``0 <= alpha <= inf``.
    axis, keepdims, base, normalize
        As in :func:`kl`.

    Returns
    -------
    array
        0-d array or array of the batch shape.

    Raises
    ------
    ParameterError
        ``alpha`` negative, NaN or not a real number; bad ``axis``/``base``.
    InputError, DTypeError
        As in :func:`kl`.

    Examples
    --------
    >>> from divlab import renyi
    >>> round(float(renyi([0.5, 0.5], [0.9, 0.1], 2.0)), 6)
    1.021651
    >>> round(float(renyi([0.5, 0.5], [0.9, 0.1], float("inf"))), 6)
    1.609438
    """
    a = _check_alpha(alpha, allow_negative=False, allow_inf=True)
    if a == 1.0:
        return kl(p, q, axis=axis, keepdims=keepdims, base=base, normalize=normalize)
    scale = _log_base(base)
    keepdims = _check_keepdims(keepdims)
    xp, p, q, axis, dt = _pair(p, q, axis, normalize)
    ppos = p > 0
    pos = ppos & (q > 0)
    only_p = ppos & (q == 0)
    inf_p = _full(p, math.inf, xp)
    if a == 0.0:
        mass = xp.sum(xp.where(ppos, q, _zeros(q, xp)), axis=axis, keepdims=keepdims)
        ok = mass > 0
        total = -xp.log(_safe(mass, ok, xp))
        total = xp.where(ok, total, _full(total, math.inf, xp))
        return _finish(xp, total, dt, scale=scale)
    ell, _ = _log_ratio(p, q, pos, xp)
    if math.isinf(a):
        r = xp.where(pos, ell, xp.where(only_p, inf_p, _full(p, -math.inf, xp)))
        total = xp.max(r, axis=axis, keepdims=keepdims)
        return _finish(xp, total, dt, scale=scale)
    am1 = a - 1.0
    expo = xp.where(pos, am1 * ell, _zeros(p, xp))
    # form 1: log1p(S) / (a - 1), S = sum p expm1((a-1) l); accurate near a = 1
    em1 = xp.expm1(xp.clip(expo, -math.inf, 700.0))
    if a < 1:
        em1 = xp.where(only_p, -xp.ones_like(p), em1)  # p^a q^(1-a) = 0 there
    s = xp.sum(xp.where(ppos, p * em1, _zeros(p, xp)), axis=axis, keepdims=True)
    ok1 = (s > -0.5) & (s < 0.5)
    form1 = xp.log1p(xp.where(ok1, s, _zeros(s, xp))) / am1
    # form 2: logsumexp(log p + (a-1) l) / (a - 1)
    lw = xp.where(pos, xp.log(_safe(p, pos, xp)) + expo, _full(p, -math.inf, xp))
    lse = logsumexp(lw, xp, axis=axis, keepdims=True)
    finite = xp.isfinite(lse)
    form2 = xp.where(finite, lse, _full(lse, math.inf, xp)) / am1
    form2 = xp.where(finite, form2, _full(form2, math.inf, xp))  # log 0 / (a-1), a < 1
    total = xp.where(ok1, form1, form2)
    if a > 1:
        has_inf = xp.any(only_p, axis=axis, keepdims=True)
        total = xp.where(has_inf, _full(total, math.inf, xp), total)
    if not keepdims:
        total = xp.squeeze(total, axis=axis)
    return _finish(xp, total, dt, scale=scale)


def alpha_divergence(
    p: Any,
    q: Any,
    alpha: float,
    *,
    axis: int = -1,
    keepdims: bool = False,
    normalize: bool = False,
) -> Any:
    r"""Amari :math:`\alpha`-divergence, the f-divergence of the Amari generator.

    .. math::

        f_\alpha(u) = \frac{u^\alpha - 1 - \alpha(u - 1)}{\alpha(\alpha - 1)}, \qquad
        D_\alpha(P\|Q) = \sum_i q_i f_\alpha(p_i/q_i)
                       = \frac{\sum_i p_i^\alpha q_i^{1-\alpha} - 1}{\alpha(\alpha-1)}

    (the last form for normalised inputs). Special cases: :math:`\alpha \to 1` is
    :math:`D_{KL}(P\|Q)`, :math:`\alpha \to 0` is :math:`D_{KL}(Q\|P)`,
    :math:`\alpha = 2` is :math:`\tfrac12\chi^2_{Pearson}`, :math:`\alpha = -1` is
    :math:`\tfrac12\chi^2_{Neyman}`, :math:`\alpha = 1/2` is
    :math:`2 \sum(\sqrt p - \sqrt q)^2` (twice :func:`squared_hellinger`). Zero handling:
    :math:`f(0) = 1/\alpha` for :math:`\alpha > 0` (else inf) and
    :math:`f'(\infty) = 1/(1-\alpha)` for :math:`\alpha < 1` (else inf).

    Parameters
    ----------
    p, q : array_like
        Probability vectors, same shape.
    alpha : float
        Any finite real.
    axis, keepdims, normalize
        As in :func:`kl`.

    Returns
    -------
    array
        0-d array or array of the batch shape.

    Raises
    ------
    ParameterError
        ``alpha`` infinite, NaN or not a real number; bad ``axis``.
    InputError, DTypeError
        As in :func:`kl`.

    Examples
    --------
    >>> from divlab import alpha_divergence
    >>> round(float(alpha_divergence([0.5, 0.5], [0.25, 0.75], 2.0)), 12)
    0.166666666667
    """
    a = _check_alpha(alpha, allow_negative=True, allow_inf=False)
    if a == 1.0:
        return kl(p, q, axis=axis, keepdims=keepdims, normalize=normalize)
    if a == 0.0:
        return reverse_kl(p, q, axis=axis, keepdims=keepdims, normalize=normalize)
    keepdims = _check_keepdims(keepdims)
    xp, p, q, axis, dt = _pair(p, q, axis, normalize)
    return _finish(xp, _alpha_sum(p, q, a, axis, keepdims, xp), dt)


def entropy(
    p: Any,
    *,
    axis: int = -1,
    keepdims: bool = False,
    base: float | None = None,
    normalize: bool = False,
) -> Any:
    r"""Shannon entropy :math:`H(P) = -\sum_i p_i \log p_i` (with :math:`0 \log 0 = 0`).

    Unlike ``scipy.stats.entropy(p)`` the input is not normalised silently (pass
    ``normalize=True``), and the second argument of ``scipy.stats.entropy`` is
    :func:`kl` here.

    Parameters
    ----------
    p : array_like
        Probability vector(s).
    axis, keepdims, base, normalize
        As in :func:`kl`.

    Returns
    -------
    array
        0-d array or array of the batch shape, in :math:`[0, \log n]`.

    Raises
    ------
    InputError, DTypeError, ParameterError
        As in :func:`kl`.

    Examples
    --------
    >>> from divlab import entropy
    >>> float(entropy([0.5, 0.5], base=2))
    1.0
    """
    scale = _log_base(base)
    keepdims = _check_keepdims(keepdims)
    normalize = check_bool(normalize, "normalize")
    xp = array_namespace(p)
    p = check_probability(p, "p", xp=xp, axis=axis, normalize=normalize)
    axis = check_axis(axis, p.ndim)
    dt = p.dtype
    p = xp.astype(p, xp.float64)
    pos = p > 0
    terms = xp.where(pos, -p * xp.log(_safe(p, pos, xp)), _zeros(p, xp))
    return _finish(xp, _reduce(terms, axis, keepdims, xp), dt, scale=scale)


def cross_entropy(
    p: Any,
    q: Any,
    *,
    axis: int = -1,
    keepdims: bool = False,
    base: float | None = None,
    normalize: bool = False,
) -> Any:
    r"""Cross-entropy :math:`H(P, Q) = -\sum_i p_i \log q_i = H(P) + D_{KL}(P\|Q)`.

    ``+inf`` where some :math:`q_i = 0 < p_i`.

    Parameters
    ----------
    p, q : array_like
        Probability vectors, same shape.
    axis, keepdims, base, normalize
        As in :func:`kl`.

    Returns
    -------
    array
        0-d array or array of the batch shape.

    Raises
    ------
    InputError, DTypeError, ParameterError
        As in :func:`kl`.

    Examples
    --------
    >>> from divlab import cross_entropy
    >>> round(float(cross_entropy([0.5, 0.5], [0.9, 0.1])), 6)
    1.203973
    """
    scale = _log_base(base)
    keepdims = _check_keepdims(keepdims)
    xp, p, q, axis, dt = _pair(p, q, axis, normalize)
    ppos = p > 0
    qpos = q > 0
    body = -p * xp.log(_safe(q, qpos, xp))
    terms = xp.where(ppos, xp.where(qpos, body, _full(p, math.inf, xp)), _zeros(p, xp))
    return _finish(xp, _reduce(terms, axis, keepdims, xp), dt, scale=scale)


def f_divergence(
    p: Any,
    q: Any,
    f: Any,
    *,
    axis: int = -1,
    keepdims: bool = False,
    normalize: bool = False,
    **params: Any,
) -> Any:
    r"""Generic f-divergence :math:`D_f(P\|Q) = \sum_i q_i f(p_i/q_i)`.

    ``f`` is a registry name (see :data:`divlab.FDIVERGENCES`) or an
    :class:`~divlab.FDivergence`. Zero handling follows the limits carried by the
    object: terms with :math:`p_i = 0 < q_i` contribute :math:`q_i f(0)`, terms with
    :math:`q_i = 0 < p_i` contribute :math:`p_i f'(\infty)` (each ``+inf`` if the limit
    is infinite), terms with :math:`p_i = q_i = 0` contribute nothing. By Jensen's
    inequality :math:`D_f \ge f(1)` for normalised inputs; the result is clamped there
    (this removes rounding excursions for near-identical inputs). Note the f-GAN table's
    "GAN" entry has :math:`f(1) = -\log 4`, so ``f_divergence(p, q, "gan")`` is
    :math:`2 D_{JS} - \log 4` and the table's JS row (``"fgan_js"``) is :math:`2 D_{JS}`.

    Parameters
    ----------
    p, q : array_like
        Probability vectors, same shape.
    f : str or FDivergence
        The generator.
    axis, keepdims, normalize
        As in :func:`kl`.
    **params
        Parameters of a parametrised registry entry (e.g. ``alpha=0.5``), passed to
        :func:`divlab.get_fdivergence`.

    Returns
    -------
    array
        0-d array or array of the batch shape.

    Raises
    ------
    ParameterError
        Unknown registry name or bad parameters.
    InputError, DTypeError
        As in :func:`kl`.

    Examples
    --------
    >>> from divlab import f_divergence, js
    >>> p, q = [0.2, 0.8], [0.6, 0.4]
    >>> round(float(f_divergence(p, q, "kl")), 10)
    0.3347952867
    >>> bool(abs(f_divergence(p, q, "fgan_js") - 2 * js(p, q)) < 1e-15)
    True
    >>> round(float(f_divergence(p, q, "alpha", alpha=2.0)), 10)  # Pearson / 2
    0.3333333333
    """
    from .fdiv import resolve_fdivergence

    fd = resolve_fdivergence(f, params, argname="f")
    keepdims = _check_keepdims(keepdims)
    xp, p, q, axis, dt = _pair(p, q, axis, normalize)
    pos = (p > 0) & (q > 0)
    only_q = (p == 0) & (q > 0)
    only_p = (p > 0) & (q == 0)
    u = _safe(p, pos, xp) / _safe(q, pos, xp)
    body = q * fd.f(u)
    terms = xp.where(pos, body, _zeros(p, xp))
    terms = xp.where(only_q, _limit_term(q, float(fd.f_at_0), only_q, xp), terms)
    terms = xp.where(only_p, _limit_term(p, float(fd.f_prime_at_inf), only_p, xp), terms)
    total = _reduce(terms, axis, keepdims, xp)
    f1 = float(fd.f_at_1) if hasattr(fd, "f_at_1") else 0.0
    return _finish(xp, total, dt, lower=f1 if math.isfinite(f1) else None)

