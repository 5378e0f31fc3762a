r"""Divergences between discrete probability vectors: the public doors.

Every function takes probability vectors ``p`` and ``q`` (any leading batch shape; the
reduction runs along ``axis``; ``p`` and ``q`` broadcast against each other as NumPy
arrays do, as in ``scipy.stats.entropy``) and returns, for NumPy input, a NumPy scalar of
the input's float dtype (an array for batched input), and otherwise a 0-d array (or batch
array) of the input's namespace, on its device. float32 input gives a float32 result; the
arithmetic is done in float64.

Conventions (DESIGN section 2):

* :math:`D_f(P\|Q) = \sum_i q_i f(p_i/q_i)`; argument order is always ``(p, q)``.
* Natural logarithm unless ``base`` is given (any ``base > 0`` other than 1; a base below
  1 gives the negative of a positive quantity, as the change of base says).
* Terms with :math:`q_i = 0 < p_i` contribute :math:`p_i f'(\infty)` (``+inf`` for KL and
  the :math:`\chi^2` divergences, finite for JS, TV and Hellinger); terms with
  :math:`p_i = 0 < q_i` contribute :math:`q_i f(0)`. Disjoint supports give JS = log 2.
* ``+inf`` is returned only where the mathematics says so.

Every f-divergence here is one record of :data:`divlab.FDIVERGENCES`: ``kl(p, q)`` and
``f_divergence(p, q, "kl")`` run the same code (:func:`divlab.fdiv.engine.divergence`),
which sums the record's accurate per-entry terms (each :math:`\ge 0`, see
:mod:`divlab.fdiv.terms`), so near-identical inputs, subnormal entries and ratios up to
1e308 keep their relative accuracy.
"""

from __future__ import annotations

import math
import numbers
from types import ModuleType
from typing import Any

import numpy as np

from ._array import logsumexp
from .errors import ParameterError
from .fdiv.engine import divergence, log_base, reduce_door
from .fdiv.entries import (
    JEFFREYS,
    JS,
    KL,
    NEYMAN,
    PEARSON,
    REVERSE_KL,
    SQUARED_HELLINGER,
    TOTAL_VARIATION,
)
from .fdiv.registry import resolve_fdivergence

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


def _distance_base(base: Any) -> float | None:
    """``log(base)`` for a distance: the square root needs a base above 1."""
    scale = log_base(base)
    if scale is not None and scale < 0:
        raise ParameterError(
            f"`base` must be greater than 1 for a distance (the divergence is negative in "
            f"base {base!r}, and has no real square root), got {base!r}"
        )
    return scale


def _sqrt(rows: Any, xp: ModuleType) -> Any:
    return xp.sqrt(rows)


def _clamp0(parts: tuple[Any, ...], xp: ModuleType) -> Any:
    return xp.where(parts[0] < 0, xp.zeros_like(parts[0]), parts[0])  # each is >= 0


def _rows(
    p: Any, q: Any, axis: Any, keepdims: Any, base: Any, normalize: Any, block: Any,
    *, additive: bool = True, names: tuple[str, str] = ("p", "q"),
) -> Any:
    """The door of a quantity that is not an f-divergence (cross-entropy, Renyi, entropy):
    ``block(p, q, xp, positive) -> (row values,)``, clamped at 0."""
    return reduce_door(p, q, block, _clamp0, axis=axis, keepdims=keepdims, base=base,
                       normalize=normalize, names=names, additive=additive)


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
    return divergence(KL, p, q, axis=axis, keepdims=keepdims, base=base, normalize=normalize)


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
    return divergence(
        REVERSE_KL, p, q, axis=axis, keepdims=keepdims, base=base, normalize=normalize
    )


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
    return divergence(JS, p, q, axis=axis, keepdims=keepdims, base=base, normalize=normalize)


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
    _distance_base(base)
    return divergence(JS, p, q, axis=axis, keepdims=keepdims, base=base, normalize=normalize,
                      transform=_sqrt)


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
    return divergence(TOTAL_VARIATION, p, q, axis=axis, keepdims=keepdims, normalize=normalize)


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
    return divergence(
        SQUARED_HELLINGER, p, q, axis=axis, keepdims=keepdims, normalize=normalize
    )


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
    return divergence(SQUARED_HELLINGER, p, q, axis=axis, keepdims=keepdims,
                      normalize=normalize, transform=_sqrt)


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
    return divergence(PEARSON, p, q, axis=axis, keepdims=keepdims, normalize=normalize)


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
    return divergence(NEYMAN, p, q, axis=axis, keepdims=keepdims, normalize=normalize)


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
    return divergence(
        JEFFREYS, p, q, axis=axis, keepdims=keepdims, base=base, normalize=normalize
    )


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
    return _rows(p, q, axis, keepdims, base, normalize, _renyi_block(a), additive=False)


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
    fd = resolve_fdivergence("alpha", {"alpha": a}) if a not in (0.0, 1.0) else (
        KL if a == 1.0 else REVERSE_KL)
    return divergence(fd, p, q, axis=axis, keepdims=keepdims, normalize=normalize)


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
    return _rows(p, p, axis, keepdims, base, normalize, _entropy_block, names=("p", "p"))


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
    return _rows(p, q, axis, keepdims, base, normalize, _cross_entropy_block)


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
    fd = resolve_fdivergence(f, params, argname="f")
    return divergence(fd, p, q, axis=axis, keepdims=keepdims, normalize=normalize)


# ----------------------------------------------------------------------------------------
# row kernels of the quantities that are not f-divergences
# ----------------------------------------------------------------------------------------


def _entropy_block(p: Any, _: Any, xp: ModuleType, positive: bool) -> tuple[Any]:
    pos = p > 0
    ps = xp.where(pos, p, xp.ones_like(p))
    return (xp.sum(xp.where(pos, -p * xp.log(ps), xp.zeros_like(p)), axis=-1),)


def _cross_entropy_block(p: Any, q: Any, xp: ModuleType, positive: bool) -> tuple[Any]:
    ppos, qpos = p > 0, q > 0
    body = -p * xp.log(xp.where(qpos, q, xp.ones_like(q)))
    terms = xp.where(ppos, xp.where(qpos, body, xp.full_like(p, math.inf)), xp.zeros_like(p))
    return (xp.sum(terms, axis=-1),)


def _renyi_block(a: float):
    r"""Row kernel of the Renyi divergence of order ``a`` (not 1).

    With :math:`S = \sum p^a q^{1-a}` and :math:`M = a\sum p + (1-a)\sum q` (1 for
    normalised inputs), :math:`D_a = \log(S/M)/(a-1)`, evaluated as
    :math:`\operatorname{log1p}(a(a-1)A/M)/(a-1)` with :math:`A` the α-divergence (its
    accurate terms: :math:`a(a-1)A = S - M` exactly), so that near-identical inputs keep
    their relative accuracy; far from :math:`p = q` (or where :math:`S` overflows) as
    :math:`(\operatorname{logsumexp}(\log p + (a-1)\log(p/q)) - \log M)/(a-1)`.
    """
    from .fdiv._numerics import log_ratio
    from .fdiv.alpha import alpha_terms

    terms = None if a == 0.0 or math.isinf(a) else alpha_terms(a)
    # a times the alpha-divergence's limits f(0) = 1/a and f'(inf) = 1/(1 - a): finite even
    # where 1/a overflows (a subnormal)
    a_f0 = 1.0
    a_fpinf = a / (1.0 - a) if a < 1 else math.inf

    def block(p: Any, q: Any, xp: ModuleType, positive: bool) -> tuple[Any]:
        zero, one = xp.zeros_like(p), xp.ones_like(p)
        ppos = p > 0
        pos = xp.logical_and(ppos, q > 0)
        only_p = xp.logical_and(ppos, q == 0)
        sq = xp.sum(q, axis=-1)
        if a == 0.0:  # -log(Q(p > 0) / Q): the mass off the support of p
            off = xp.sum(xp.where(ppos, zero, q), axis=-1)
            on = xp.sum(xp.where(ppos, q, zero), axis=-1)
            low = on < off  # the smaller mass carries the accuracy
            safe_on = xp.where(xp.logical_and(low, on > 0), on, sq)
            total = xp.where(low, -xp.log(safe_on / sq),
                             -xp.log1p(-xp.where(low, xp.zeros_like(off), off) / sq))
            return (xp.where(on > 0, total, xp.full_like(total, math.inf)),)
        ell = log_ratio(xp.where(pos, p, one), xp.where(pos, q, one), xp)
        if math.isinf(a):  # log max p/q over the support of p
            r = xp.where(pos, ell, xp.where(only_p, xp.full_like(p, math.inf),
                                            xp.full_like(p, -math.inf)))
            return (xp.max(r, axis=-1),)
        am1 = a - 1.0
        m = a * xp.sum(p, axis=-1) + (1.0 - a) * sq
        big = xp.full_like(m, math.inf)
        t = terms.evaluate(xp.where(pos, p, one), xp.where(pos, q, one), xp)
        only_q = xp.logical_and(p == 0, q > 0)
        a_fp = xp.full_like(p, a_fpinf) if math.isinf(a_fpinf) else p * a_fpinf
        t = xp.where(pos, a * t, xp.where(only_q, a_f0 * q, xp.where(only_p, a_fp, zero)))
        y = xp.sum(t, axis=-1) / m  # a A / M;  x = (a - 1) y;  log1p(x)/(a - 1) = y log1p(x)/x
        x = am1 * y
        near = xp.logical_and(x > -0.5, x < 1e300)  # no cancellation in 1 + x, no overflow
        xs = xp.where(near, x, xp.zeros_like(x))
        small = xp.abs(xs) < 1e-4
        xl = xp.where(small, xp.ones_like(xs), xs)
        rel = xp.where(small, 1.0 - xs * (0.5 - xs * (1.0 / 3.0 - 0.25 * xs)),
                       xp.log1p(xl) / xl)
        form1 = y * rel  # no subnormal intermediate when a - 1 is tiny
        lw = xp.where(pos, xp.log(xp.where(pos, p, one)) + am1 * ell, xp.full_like(p, -math.inf))
        lse = logsumexp(lw, xp, axis=-1)  # log S; -inf on disjoint supports
        finite = xp.isfinite(lse)
        form2 = xp.where(finite, (xp.where(finite, lse, zero[..., 0]) - xp.log(m)) / am1, big)
        total = xp.where(near, form1, form2)
        if a > 1:  # some q = 0 < p: S = inf
            total = xp.where(xp.any(only_p, axis=-1), big, total)
        return (total,)

    return block
