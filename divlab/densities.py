r"""f-divergences between one-dimensional densities by adaptive quadrature.

:func:`density_f_divergence` computes

.. math::

    D_f(P\|Q) = \int q(x)\, f\big(p(x)/q(x)\big)\,dx

for densities given as callables or frozen :mod:`scipy.stats` distributions, with the
generator :math:`f` read from the f-divergence registry (:mod:`divlab.fdiv`). It runs on the
host (SciPy's ``quad``): the densities are evaluated one point at a time as Python floats.
The closed forms between Gaussians live in :mod:`divlab.gaussian`.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import _as_real_scalar, check_int
from .errors import ConvergenceWarning, EstimationError, InputError, NonFiniteError, ParameterError

__all__ = ["QuadratureResult", "density_f_divergence"]


#: log of the largest likelihood ratio evaluated directly; beyond it, asymptotics are used.
_LOG_RATIO_MAX = 700.0
_BULK_PROBS = (1e-12, 1e-6, 1e-3, 0.05, 0.25, 0.5, 0.75, 0.95, 1 - 1e-3, 1 - 1e-6, 1 - 1e-12)


@dataclass(frozen=True)
class QuadratureResult:
    """Value of an integral and SciPy's estimate of its absolute error.

    Attributes
    ----------
    value : numpy.float64
        The divergence (``inf`` where the math says so, see :func:`density_f_divergence`);
        a NumPy scalar like every scalar result of divlab on host data (quadrature runs in
        float64). ``float(result)`` is the value.
    abserr : float
        Sum of :func:`scipy.integrate.quad`'s absolute-error estimates over the subintervals
        (0 when ``value`` is infinite).
    n_intervals : int
        Number of subintervals the domain was split into.
    converged : bool
        False if any subinterval did not reach the requested tolerance (a
        :class:`~divlab.errors.ConvergenceWarning` was issued).
    """

    value: Any
    abserr: float
    n_intervals: int = 1
    converged: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", np.float64(self.value))

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        return (f"QuadratureResult(value={float(self.value):.12g}, abserr={self.abserr:.3g}, "
                f"n_intervals={self.n_intervals}, converged={self.converged})")


class _Density:
    """A 1-D density: log-density evaluator, support and bulk quantiles (when known)."""

    def __init__(self, obj: Any, name: str, log_density: bool) -> None:
        self.name = name
        self.obj = obj
        self.support: tuple[float, float] = (-math.inf, math.inf)
        self.breaks: list[float] = []
        if hasattr(obj, "logpdf"):
            self._log = obj.logpdf
            self._is_log = True
            self._init_frozen(obj)
        elif callable(obj):
            self._log = obj
            self._is_log = bool(log_density)
        else:
            raise InputError(
                f"`{name}` must be a callable density or a frozen scipy.stats distribution, "
                f"got {type(obj).__name__}"
            )

    def _init_frozen(self, obj: Any) -> None:
        try:
            lo, hi = obj.support()
            self.support = (float(lo), float(hi))
        except Exception:  # pragma: no cover - exotic distribution objects
            pass
        ppf = getattr(obj, "ppf", None) or getattr(obj, "icdf", None)
        if ppf is not None:
            with np.errstate(all="ignore"):
                qs = np.asarray(ppf(np.asarray(_BULK_PROBS)), dtype=float)
            self.breaks = [float(v) for v in qs if np.isfinite(v)]
        self.breaks += [v for v in self.support if math.isfinite(v)]

    def log(self, x: float) -> float:
        with np.errstate(all="ignore"):
            v = self._log(x)
            try:
                v = float(np.asarray(v, dtype=float).reshape(()))
            except (TypeError, ValueError) as exc:
                raise InputError(
                    f"`{self.name}` must return one real number per point, got {v!r} at x={x!r}"
                ) from exc
            if not self._is_log:
                if v < 0 or math.isnan(v) or v == math.inf:
                    raise InputError(
                        f"`{self.name}` returned an invalid density {v!r} at x={x!r} "
                        "(densities must be finite and >= 0)"
                    )
                return math.log(v) if v > 0 else -math.inf
        if math.isnan(v) or v == math.inf:
            raise InputError(f"`{self.name}` returned log-density {v!r} at x={x!r}")
        return v


#: Log-density below which a neighbouring exact zero is taken for underflow (e^-575 ~ 1e-250).
_UNDERFLOW_LOG = -575.0


class _Integrand:
    """x -> q(x) f(p(x)/q(x)) evaluated from log-densities, with the limits at 0 and infinity."""

    def __init__(self, fd: Any, p: _Density, q: _Density) -> None:
        self.fd, self.p, self.q = fd, p, q
        self.f0 = float(fd.f_at_0)
        self.fpinf = float(fd.f_prime_at_inf)
        self.hit_inf = False
        self.inf_log_other = -math.inf
        big = _LOG_RATIO_MAX
        # h(d) = f(e^d) e^{-d} near d = +big and g(d) = f(e^d) near d = -big, for extrapolation
        # (only needed, and only computed, where the limit f'(inf) or f(0) is infinite)
        self.h_big = self.h_slope = self.g_big = self.g_slope = 0.0
        if not math.isfinite(self.fpinf):
            self.h_big = self._f(math.exp(big)) * math.exp(-big)
            self.h_slope = self.h_big - self._f(math.exp(big - 1)) * math.exp(1 - big)
        if not math.isfinite(self.f0):
            self.g_big = self._f(math.exp(-big))
            self.g_slope = self.g_big - self._f(math.exp(1 - big))

    def _f(self, u: float) -> float:
        with np.errstate(all="ignore"):
            v = float(np.asarray(self.fd.f(np.asarray(u, dtype=float)), dtype=float))
        if math.isnan(v) or v == -math.inf:  # a convex generator is > -inf on (0, inf)
            raise EstimationError(
                f"the generator of `f` ({getattr(self.fd, 'name', self.fd)!r}) returned {v} at "
                f"u = {u!r}; the divergence cannot be integrated"
            )
        return v

    def _inf(self) -> float:
        self.hit_inf = True
        return 0.0

    def _zero_inf(self, l_other: float) -> float:
        """An infinite limit where one density is exactly 0 and the other is ``e^l_other``.

        Remembers the largest such ``l_other``: with plain density callables, zeros next to
        values near the underflow threshold are usually tail underflow, not a support gap.
        """
        self.inf_log_other = max(self.inf_log_other, l_other)
        return self._inf()

    def __call__(self, x: float) -> float:
        lp = self.p.log(x)
        lq = self.q.log(x)
        if lp == -math.inf and lq == -math.inf:
            return 0.0
        if lq == -math.inf:  # q = 0 < p: p f'(inf)
            return math.exp(lp) * self.fpinf if math.isfinite(self.fpinf) else self._zero_inf(lp)
        if lp == -math.inf:  # p = 0 < q: q f(0)
            return math.exp(lq) * self.f0 if math.isfinite(self.f0) else self._zero_inf(lq)
        d = lp - lq
        big = _LOG_RATIO_MAX
        if d > big:
            if math.isfinite(self.fpinf):
                return math.exp(lp) * self.fpinf
            if self.h_slope > 2.0:  # faster than logarithmic growth: astronomically large
                return self._inf()
            return math.exp(lp) * (self.h_big + self.h_slope * (d - big))
        if d < -big:
            if math.isfinite(self.f0):
                return math.exp(lq) * self.f0
            if self.g_slope > 2.0:
                return self._inf()
            return math.exp(lq) * (self.g_big + self.g_slope * (-big - d))
        u = math.exp(d)
        if d > 0:
            return math.exp(lp) * (self._f(u) / u)
        return math.exp(lq) * self._f(u)


#: Finite pieces of one sign spanning more than this ratio are integrated in log x.
_LOG_SPAN = 1e3


def _log_substitution(g: Callable[[float], float], a: float, b: float):
    """``(h, u_a, u_b)`` with ``int_a^b g(x) dx = int_{u_a}^{u_b} h(u) du``.

    Pieces of one sign spanning orders of magnitude (the tails between far quantiles of a
    heavy-tailed distribution) are mapped to ``x = +-e^u``, where power-law tails decay
    exponentially and quad converges (on [6e5, 3e11] it returned ~0 instead of -3.5e-7 for
    the KL of two Cauchy laws). Other pieces are returned unchanged.
    """
    if math.isfinite(a) and math.isfinite(b) and a * b > 0:
        lo, hi = sorted((abs(a), abs(b)))
        if hi > _LOG_SPAN * lo:
            if a > 0:
                return (lambda u: g(math.exp(u)) * math.exp(u)), math.log(a), math.log(b)
            return (lambda u: g(-math.exp(u)) * math.exp(u)), math.log(-b), math.log(-a)
    return g, a, b


def density_f_divergence(
    p: Any,
    q: Any,
    f: Any,
    *,
    lower: float = -math.inf,
    upper: float = math.inf,
    points: Sequence[float] | None = None,
    log_density: bool = False,
    epsabs: float = 1e-10,
    epsrel: float = 1e-10,
    limit: int = 200,
) -> QuadratureResult:
    r"""f-divergence :math:`D_f(P\|Q) = \int q(x)\, f\big(p(x)/q(x)\big)\,dx` of 1-D densities.

    Computed by adaptive quadrature (:func:`scipy.integrate.quad`) on subintervals: the domain
    :math:`[\text{lower}, \text{upper}]`, restricted to the union of the supports, is split at
    the support endpoints and at bulk quantiles of frozen distributions (``ppf`` at
    :math:`10^{-12}, 10^{-6}, 10^{-3}, 0.05, 0.25, 0.5` and the mirror probabilities) and at
    ``points``; finite pieces of one sign spanning more than three orders of magnitude (the
    tails of heavy-tailed laws) are integrated in :math:`\log |x|`. Zero handling follows
    the discrete convention: where :math:`q = 0 < p` the integrand is
    :math:`p\,f'(\infty)`, where :math:`p = 0 < q` it is :math:`q\,f(0)`. If
    such a region (found at a quadrature node) carries an infinite limit, the result is
    ``inf`` -- e.g. KL when the support of P is not contained in that of Q.

    Frozen distributions are evaluated through ``logpdf``, and the integrand is formed from the
    log-ratio :math:`d = \log p - \log q` (:math:`p\,f(e^d)e^{-d}` for :math:`d>0`,
    :math:`q\,f(e^d)` otherwise), so the far tails do not underflow into a spurious
    :math:`q = 0`. For :math:`|d| > 700` the asymptotics are used: :math:`f'(\infty)` or
    :math:`f(0)` when finite, linear extrapolation in :math:`d` for logarithmic growth (KL,
    Jeffreys: exact), ``inf`` for faster growth. Plain callables returning densities can
    underflow to 0 in the tails of an infinite domain; pass finite bounds, frozen
    distributions, or log-densities with ``log_density=True``.

    Parameters
    ----------
    p, q : callable or frozen scipy.stats distribution
        Densities of P and Q: ``p(x) -> float`` for a scalar ``x`` (log-densities when
        ``log_density=True``), or objects with ``logpdf`` (and optionally ``ppf`` /
        ``support``), such as ``scipy.stats.norm(0, 1)``.
    f : str or FDivergence
        Registry name (``"kl"``, ``"js"``, ``"squared_hellinger"``, ...) or an
        :class:`~divlab.fdiv.FDivergence` (e.g. ``get_fdivergence("alpha", alpha=0.5)``),
        resolved by :func:`divlab.fdiv.get_fdivergence`.
    lower, upper : float, optional
        Integration domain (default the real line, intersected with the supports).
    points : sequence of float, optional
        Extra split points (kinks, discontinuities, modes of callables).
    log_density : bool, optional
        Callables ``p`` and ``q`` return log-densities.
    epsabs, epsrel : float, optional
        Absolute (shared by all subintervals) and relative tolerances passed to ``quad``.
    limit : int, optional
        Maximum number of ``quad`` subdivisions per subinterval.

    Returns
    -------
    QuadratureResult
        Frozen dataclass ``(value, abserr, n_intervals, converged)``; ``float(result)`` is
        the value.

    Raises
    ------
    InputError
        ``p`` or ``q`` is neither callable nor a distribution, or returns a negative, NaN or
        infinite density.
    ParameterError
        Bad bounds (``lower >= upper``, NaN), tolerances or ``limit``; unknown ``f``.
    EstimationError
        The generator returned NaN or ``-inf`` at some ratio :math:`0 < u < \infty`.

    Warns
    -----
    ConvergenceWarning
        If ``quad`` reports that a subinterval did not converge (``converged=False``; raise
        ``limit`` or add ``points``).

    Examples
    --------
    >>> from scipy import stats
    >>> from divlab import density_f_divergence
    >>> r = density_f_divergence(stats.norm(0, 1), stats.norm(1, 1), "kl")
    >>> round(float(r), 12), r.abserr < 1e-8
    (0.5, True)
    """
    from .fdiv import resolve_fdivergence

    fd = resolve_fdivergence(f, argname="f")
    lo = _as_real_scalar(lower, "lower")
    hi = _as_real_scalar(upper, "upper")
    if not lo < hi:
        raise ParameterError(f"`lower` must be < `upper`, got lower={lo!r}, upper={hi!r}")
    epsabs = float(epsabs)
    epsrel = float(epsrel)
    if not (epsabs >= 0 and epsrel >= 0 and epsabs + epsrel > 0):
        raise ParameterError(
            f"`epsabs` and `epsrel` must be >= 0 and not both 0, got {epsabs!r}, {epsrel!r}"
        )
    limit = check_int(limit, "limit", min_value=1)
    dp = _Density(p, "p", log_density)
    dq = _Density(q, "q", log_density)
    # restrict to the union of the supports
    lo = max(lo, min(dp.support[0], dq.support[0]))
    hi = min(hi, max(dp.support[1], dq.support[1]))
    if not lo < hi:
        return QuadratureResult(0.0, 0.0, 0, True)
    extra: list[float] = []
    if points is not None:
        pts = np.asarray(points, dtype=float).reshape(-1)
        if not np.all(np.isfinite(pts)):
            raise NonFiniteError("`points` must be finite numbers")
        extra = [float(v) for v in pts]
    inner = sorted({v for v in (*dp.breaks, *dq.breaks, *extra) if lo < v < hi})
    edges = [lo, *inner, hi]
    integrand = _Integrand(fd, dp, dq)
    from scipy.integrate import quad

    n = len(edges) - 1
    total, err, converged = 0.0, 0.0, True
    for a, b in itertools.pairwise(edges):
        fun, ua, ub = _log_substitution(integrand, a, b)
        with np.errstate(all="ignore"):
            out = quad(fun, ua, ub, epsabs=epsabs / n, epsrel=epsrel, limit=limit,
                       full_output=1)
        total += out[0]
        err += out[1]
        if len(out) > 3 and out[3] and not integrand.hit_inf:
            converged = False
            msg = str(out[3]).splitlines()[0]
            warnings.warn(
                f"quadrature on [{a:.6g}, {b:.6g}] did not converge (estimated error "
                f"{out[1]:.3g}): {msg}; raise `limit` or add `points`",
                ConvergenceWarning,
                stacklevel=2,
            )
    if integrand.hit_inf:
        plain = not (integrand.p._is_log and integrand.q._is_log)
        if plain and integrand.inf_log_other < _UNDERFLOW_LOG:
            raise EstimationError(
                "one density is exactly 0 only where the other is itself below "
                f"e^{integrand.inf_log_other:.0f}: most likely tail underflow of a density "
                "callable, not a support gap, so the infinite value is not trustworthy; pass "
                "frozen scipy.stats distributions (log-densities are used), log-densities "
                "with `log_density=True`, or finite `lower`/`upper`"
            )
        return QuadratureResult(math.inf, 0.0, n, True)
    return QuadratureResult(float(total), float(err), n, converged)
