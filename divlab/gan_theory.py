r"""The GAN lecture's quantities at the optimal discriminator, evaluated stably.

For a real distribution :math:`p_r` and a model :math:`p_\theta` (here ``p`` and ``q``, in
divlab's argument order) the lecture (CCL 2019 GAN tutorial) derives

* the optimal discriminator :math:`D^*(x) = \dfrac{p_r(x)}{p_r(x) + p_\theta(x)}`;
* the GAN value function at :math:`D^*`,
  :math:`\mathcal L(G\,|\,D^*) = \mathbb E_{p_r}[\log D^*] + \mathbb E_{p_\theta}[\log(1-D^*)]
  = 2\,D_{JS}(p_r\|p_\theta) - 2\log 2`;
* the decomposition of the "non-saturating" generator objective behind mode collapse,
  :math:`\mathbb E_{p_\theta}[\log D^*] = -D_{KL}(p_\theta\|p_r) + 2\,D_{JS}(p_r\|p_\theta)
  - 2\log 2 - \mathbb E_{p_r}[\log D^*]`.

Every function accepts densities (or probability vectors) ``p, q`` **or** log-densities
``log_p, log_q``, optionally with quadrature weights (``weights``: cell widths of a grid, so
that :math:`\sum_i w_i p_i \approx \int p`), and works in log space:
:math:`\log D^* = -\operatorname{softplus}(\log q - \log p)` and
:math:`\log(1-D^*) = -\operatorname{softplus}(\log p - \log q)`. Where one density underflows
(:math:`p = 10^{-400}` as a log-density of :math:`-921`), the naive
:math:`\log(p/(p+q))` is :math:`-\infty`; these stay finite and accurate. A true zero
(``p = 0`` or ``log_p = -inf``) is honoured: :math:`D^* = 0` there, and a term
:math:`0\cdot\log 0` counts as 0.

Examples
--------
>>> import numpy as np
>>> from divlab.gan_theory import gan_value
>>> from divlab import js
>>> p, q = np.array([0.5, 0.5, 0.0]), np.array([0.1, 0.3, 0.6])
>>> bool(abs(gan_value(p, q) - (2 * js(p, q) - 2 * np.log(2))) < 1e-15)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ._array import array_namespace, as_result, logsumexp, scalar, softplus
from ._validate import as_float_array, check_finite, check_nonnegative
from .errors import (
    EmptyInputError,
    NonFiniteError,
    NormalizationError,
    ParameterError,
    ShapeMismatchError,
)

__all__ = [
    "ModeCollapseDecomposition",
    "gan_value",
    "mode_collapse_decomposition",
    "optimal_discriminator",
]

LOG2 = math.log(2.0)

#: Relative tolerance on the total mass (sum of weights x density) of each distribution.
MASS_RTOL = 1e-6


# ----------------------------------------------------------------------------------------
# inputs
# ----------------------------------------------------------------------------------------


def _logs(p: Any, q: Any, log_p: Any, log_q: Any) -> tuple[ModuleType, Any, Any]:
    """Validate either (p, q) or (log_p, log_q); return ``(xp, log_p, log_q)``."""
    dens = p is not None or q is not None
    logs = log_p is not None or log_q is not None
    if dens == logs:
        raise ParameterError(
            "pass either densities `p` and `q` or log-densities `log_p` and `log_q` (one pair, "
            "not both)"
        )
    a, b, na, nb = (p, q, "p", "q") if dens else (log_p, log_q, "log_p", "log_q")
    if a is None or b is None:
        raise ParameterError(f"`{na}` and `{nb}` must both be given")
    xp = array_namespace(a, b)
    a, b = as_float_array(a, na, xp), as_float_array(b, nb, xp)
    if a.shape != b.shape:
        raise ShapeMismatchError(
            f"`{na}` and `{nb}` must have the same shape, got {tuple(a.shape)} and "
            f"{tuple(b.shape)}"
        )
    if a.size == 0:
        raise EmptyInputError(f"`{na}` and `{nb}` are empty (shape {tuple(a.shape)})")
    if a.dtype != b.dtype:
        dt = xp.result_type(a, b)
        a, b = xp.astype(a, dt), xp.astype(b, dt)
    if dens:
        for arr, name in ((a, na), (b, nb)):
            check_finite(arr, name, xp)
            check_nonnegative(arr, name, xp)
        with np.errstate(divide="ignore"):
            return xp, xp.log(a), xp.log(b)
    for arr, name in ((a, na), (b, nb)):
        if bool(xp.any(xp.isnan(arr))) or bool(xp.any(arr == xp.inf)):
            raise NonFiniteError(
                f"`{name}` contains NaN or +inf; log-densities must be finite or -inf (a zero "
                "density)"
            )
    return xp, a, b


def _log_weights(weights: Any, shape: tuple, xp: ModuleType, dtype: Any) -> Any:
    if weights is None:
        return None
    w = as_float_array(weights, "weights", xp)
    check_finite(w, "weights", xp)
    check_nonnegative(w, "weights", xp)
    try:
        w = xp.broadcast_to(w, shape)
    except (ValueError, RuntimeError) as exc:
        raise ShapeMismatchError(
            f"`weights` of shape {tuple(w.shape)} does not broadcast to the densities' shape "
            f"{tuple(shape)}"
        ) from exc
    with np.errstate(divide="ignore"):
        return xp.log(xp.astype(w, dtype))


def _normalised(lp: Any, lw: Any, name: str, normalize: bool, xp: ModuleType) -> Any:
    """``lp`` with the total mass checked (or divided out when ``normalize``)."""
    lpw = lp if lw is None else lp + lw
    log_mass_arr = logsumexp(xp.reshape(lpw, (-1,)), xp)
    log_mass = scalar(log_mass_arr)
    if not math.isfinite(log_mass):
        raise NormalizationError(f"`{name}` has zero total mass")
    if normalize:  # in the array namespace: gradients flow through the normalisation
        return lp - log_mass_arr
    if abs(math.expm1(log_mass)) > MASS_RTOL:
        raise NormalizationError(
            f"`{name}` has total mass {math.exp(log_mass):.9g} (sum of weights x density), "
            f"not 1 within {MASS_RTOL:g}; pass normalised densities, the right `weights`, or "
            "normalize=True"
        )
    return lp


def _prepare(p, q, log_p, log_q, weights, normalize):
    xp, lp, lq = _logs(p, q, log_p, log_q)
    lw = _log_weights(weights, tuple(lp.shape), xp, lp.dtype)
    lp = _normalised(lp, lw, "p" if p is not None else "log_p", normalize, xp)
    lq = _normalised(lq, lw, "q" if q is not None else "log_q", normalize, xp)
    return xp, lp, lq, lw


def _log_d(lp: Any, lq: Any, xp: ModuleType) -> tuple[Any, Any]:
    """``(log D*, log(1 - D*))``; where both densities are 0, D* = 1/2 (a convention: such
    points carry no mass under either distribution)."""
    both = xp.logical_and(lp == -xp.inf, lq == -xp.inf)
    zero = xp.zeros_like(lp)
    with np.errstate(invalid="ignore"):
        diff = xp.where(both, zero, lq - lp)
    return -softplus(diff, xp), -softplus(-diff, xp)


def _expect(lp: Any, lw: Any, h: Any, xp: ModuleType) -> Any:
    """``sum w p h`` with ``0 * anything = 0`` where ``p = 0`` (or ``w = 0``)."""
    lpw = lp if lw is None else lp + lw
    mass = xp.exp(lpw)
    with np.errstate(invalid="ignore"):
        term = xp.where(lpw == -xp.inf, xp.zeros_like(h), mass * h)
    return xp.sum(term)


# ----------------------------------------------------------------------------------------
# public functions
# ----------------------------------------------------------------------------------------


def optimal_discriminator(
    p: Any = None,
    q: Any = None,
    *,
    log_p: Any = None,
    log_q: Any = None,
    log: bool = False,
) -> Any:
    r"""The optimal GAN discriminator :math:`D^*(x) = p(x) / (p(x) + q(x))`, pointwise.

    From densities it is the ratio itself (rescaled by :math:`\max(p, q)`, so ``p + q``
    cannot overflow); from log-densities (or with ``log=True``) it is the logistic function
    of the log density ratio, :math:`D^* = \sigma(\log p - \log q)`, accurate where both
    densities underflow in linear scale, and never NaN.

    Parameters
    ----------
    p, q : array_like
        Densities (or probabilities) of the real distribution :math:`p_r` and the model
        :math:`p_\theta` at the same points; nonnegative and finite.
    log_p, log_q : array_like
        Instead of ``p, q``: their logarithms (``-inf`` for a zero density).
    log : bool
        Return :math:`\log D^* = -\operatorname{softplus}(\log q - \log p)` instead (finite
        wherever ``p > 0``).

    Returns
    -------
    array
        Same shape, namespace and float dtype as the input. Where both densities are 0 the
        value is 1/2 (no mass under either distribution).

    Raises
    ------
    ParameterError
        Neither or both input pairs given.
    NonFiniteError, NegativeValueError, ShapeMismatchError, EmptyInputError, DTypeError
        Invalid inputs.

    Examples
    --------
    >>> import numpy as np
    >>> optimal_discriminator([0.2, 0.5, 0.0], [0.6, 0.5, 0.3]).tolist()
    [0.25, 0.5, 0.0]
    >>> float(optimal_discriminator(log_p=-1000.0, log_q=-1001.0))  # p, q underflow
    0.7310585786300049
    """
    if not isinstance(log, bool):
        raise ParameterError(f"`log` must be True or False, got {log!r}")
    xp, lp, lq = _logs(p, q, log_p, log_q)
    if p is not None and not log:
        # densities: the ratio itself (correctly rounded up to 2 ulp), scaled by max(p, q)
        # so that p + q cannot overflow; 1/2 where both vanish
        a = as_float_array(p, "p", xp)
        b = as_float_array(q, "q", xp)
        if a.dtype != b.dtype:
            dt = xp.result_type(a, b)
            a, b = xp.astype(a, dt), xp.astype(b, dt)
        m = xp.maximum(a, b)
        pos = m > 0
        one = xp.ones_like(m)
        m = xp.where(pos, m, one)
        a, b = a / m, b / m
        return as_result(xp.where(pos, a / xp.where(pos, a + b, one), one * 0.5), xp)
    log_d, _ = _log_d(lp, lq, xp)
    return as_result(log_d if log else xp.exp(log_d), xp)


def gan_value(
    p: Any = None,
    q: Any = None,
    *,
    log_p: Any = None,
    log_q: Any = None,
    discriminator: Any = None,
    weights: Any = None,
    normalize: bool = False,
) -> Any:
    r"""The GAN value function :math:`V(D, G) = \mathbb E_{p}[\log D] + \mathbb E_{q}[\log(1-D)]`.

    Without ``discriminator`` it is evaluated at the optimal discriminator :math:`D^*`, where
    the lecture shows :math:`\mathcal L(G\,|\,D^*) = 2\,D_{JS}(p\|q) - 2\log 2` (between
    :math:`-2\log 2` for :math:`p = q` and 0 for disjoint supports). It is computed from the
    definition, in log space (:math:`\log D^* = -\operatorname{softplus}(\log q - \log p)`),
    not from JS, so that the identity can be checked against :func:`divlab.js`.

    Parameters
    ----------
    p, q : array_like
        Probability vectors, or densities on a grid together with ``weights``.
    log_p, log_q : array_like
        Instead of ``p, q``: their logarithms (underflow-free).
    discriminator : array_like, optional
        Values :math:`D(x_i) \in [0, 1]` of another discriminator at the same points;
        :math:`V(D, G) \le V(D^*, G)` (the lecture's maximisation).
    weights : array_like, optional
        Quadrature weights :math:`w_i` (e.g. grid cell widths): expectations are
        :math:`\sum_i w_i p_i h_i`. Default 1 (probability vectors).
    normalize : bool
        Divide each distribution by its total mass :math:`\sum_i w_i p_i` instead of requiring
        it to be 1 within ``1e-6``.

    Returns
    -------
    scalar
        A NumPy float of the input's dtype (0-d array of the input's namespace otherwise).
        ``-inf`` only for a user ``discriminator`` that is 0 where ``p > 0`` (or 1 where
        ``q > 0``).

    Raises
    ------
    NormalizationError
        A total mass differs from 1 and ``normalize`` is False.
    ParameterError, NonFiniteError, NegativeValueError, ShapeMismatchError
        Invalid inputs.

    Examples
    --------
    >>> import numpy as np
    >>> p, q = np.array([1.0, 0.0]), np.array([0.0, 1.0])  # disjoint supports
    >>> float(gan_value(p, q))  # 2 log 2 - 2 log 2: no gradient left for the generator
    0.0
    >>> bool(gan_value(p, p) == -2 * np.log(2))
    True
    """
    if not isinstance(normalize, bool):
        raise ParameterError(f"`normalize` must be True or False, got {normalize!r}")
    xp, lp, lq, lw = _prepare(p, q, log_p, log_q, weights, normalize)
    if discriminator is None:
        log_d, log_1md = _log_d(lp, lq, xp)
    else:
        d = as_float_array(discriminator, "discriminator", xp)
        check_finite(d, "discriminator", xp)
        if bool(xp.any(d < 0)) or bool(xp.any(d > 1)):
            raise ParameterError("`discriminator` values must lie in [0, 1]")
        d = xp.broadcast_to(xp.astype(d, lp.dtype), tuple(lp.shape))
        with np.errstate(divide="ignore"):
            log_d, log_1md = xp.log(d), xp.log1p(-d)
    return as_result(_expect(lp, lw, log_d, xp) + _expect(lq, lw, log_1md, xp), xp)


@dataclass(frozen=True)
class ModeCollapseDecomposition:
    r"""The lecture's decomposition of the generator objective :math:`\mathbb E_{p_\theta}
    [\log D^*]` (``p`` = :math:`p_r`, ``q`` = :math:`p_\theta`).

    Attributes
    ----------
    value : float
        :math:`\mathbb E_{q}[\log D^*]`, computed directly.
    kl : float
        :math:`D_{KL}(q\|p)` (the model-to-real KL: large where the model puts mass the real
        distribution lacks, small where it drops modes -- hence mode collapse).
    js : float
        :math:`D_{JS}(p\|q)`.
    real_term : float
        :math:`\mathbb E_{p}[\log D^*]`.
    """

    value: float
    kl: float
    js: float
    real_term: float

    @property
    def rhs(self) -> float:
        r""":math:`-D_{KL}(q\|p) + 2 D_{JS}(p\|q) - 2\log 2 - \mathbb E_p[\log D^*]`."""
        return -self.kl + 2.0 * self.js - 2.0 * LOG2 - self.real_term

    def __repr__(self) -> str:
        return (f"ModeCollapseDecomposition(value={self.value:.6g} = -KL {self.kl:.6g} "
                f"+ 2 JS {self.js:.6g} - 2 log 2 - E_p[log D*] {self.real_term:.6g})")


def mode_collapse_decomposition(
    p: Any = None,
    q: Any = None,
    *,
    log_p: Any = None,
    log_q: Any = None,
    weights: Any = None,
    normalize: bool = False,
) -> ModeCollapseDecomposition:
    r"""Terms of :math:`\mathbb E_{p_\theta}[\log D^*] = -D_{KL}(p_\theta\|p_r) + 2 D_{JS}(p_r\|
    p_\theta) - 2\log 2 - \mathbb E_{p_r}[\log D^*]` (lecture, the ``-log D`` generator loss).

    Each term is computed on its own, in log space: :math:`\log D^*` and
    :math:`\log(1-D^*)` by softplus of the log ratio, KL from the log ratio,
    :math:`D_{JS} = \tfrac12\sum w\,[p(\log 2 + \log D^*) + q(\log 2 + \log(1-D^*))]`.
    Maximising the left side over :math:`\theta` minimises
    :math:`D_{KL}(p_\theta\|p_r) - 2 D_{JS}`: the reverse KL punishes a model that puts mass
    where the data have none far more than one that drops a mode.

    Parameters
    ----------
    p, q, log_p, log_q, weights, normalize
        As in :func:`gan_value` (``p`` real, ``q`` model).

    Returns
    -------
    ModeCollapseDecomposition
        ``value``, ``kl``, ``js``, ``real_term`` (Python floats) and ``rhs``. ``value = -inf``
        and ``kl = +inf`` exactly when the model puts mass where ``p = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> r = mode_collapse_decomposition([0.5, 0.5, 0.0], [0.2, 0.3, 0.5])
    >>> r.value, r.kl
    (-inf, inf)
    >>> r = mode_collapse_decomposition(log_p=[-0.1, -2.4], log_q=[-2.0, -0.15],
    ...                                 normalize=True)
    >>> bool(abs(r.value - r.rhs) < 1e-14)
    True
    """
    if not isinstance(normalize, bool):
        raise ParameterError(f"`normalize` must be True or False, got {normalize!r}")
    xp, lp, lq, lw = _prepare(p, q, log_p, log_q, weights, normalize)
    log_d, log_1md = _log_d(lp, lq, xp)
    e_q_log_d = scalar(_expect(lq, lw, log_d, xp))
    e_p_log_d = scalar(_expect(lp, lw, log_d, xp))
    e_q_log_1md = scalar(_expect(lq, lw, log_1md, xp))
    with np.errstate(invalid="ignore"):
        ratio = xp.where(lq == -xp.inf, xp.zeros_like(lq), lq - lp)
    kl = scalar(_expect(lq, lw, ratio, xp))
    js = 0.5 * (e_p_log_d + e_q_log_1md) + LOG2  # each mass is 1
    return ModeCollapseDecomposition(e_q_log_d, kl, max(js, 0.0), e_p_log_d)
