r"""The Amari α-divergence family,
:math:`f_\alpha(u) = \dfrac{u^\alpha - 1 - \alpha(u-1)}{\alpha(\alpha-1)}`.

One block: the kernels of :math:`f`, :math:`f'`, :math:`f^*`, :math:`g_f`, the fused
:math:`f^*\circ g_f` and their derivatives, the accurate per-entry terms, and the factory
:func:`alpha_fdivergence` (``get_fdivergence("alpha", alpha=a)``).
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from .._array import sigmoid, softplus
from ..errors import ParameterError
from ._numerics import INF, _exp_inf, _log_softplus, _pos, below_act, horner, identity, log_ratio
from .record import REALS, FDivergence, Interval
from .terms import Terms

__all__ = ["alpha_fdivergence", "alpha_terms"]


def _one(v: Any, xp: ModuleType) -> Any:
    return xp.ones_like(v)


def _sigmoid_neg(v: Any, xp: ModuleType) -> Any:
    return sigmoid(-v, xp)





def _alpha_kernels(a: float) -> tuple:
    den = a * (a - 1.0)
    k = a / (a - 1.0)

    def f_fn(u, xp):
        return (xp.expm1(a * xp.log(u)) - a * (u - 1.0)) / den

    def fp_fn(u, xp):
        lu = xp.log(_pos(u, xp))
        val = xp.expm1((a - 1.0) * lu) / (a - 1.0)
        fp0 = -1.0 / (a - 1.0) if a > 1 else -INF
        return xp.where(u > 0, val, fp0)

    if a > 1:
        kink = -1.0 / (a - 1.0)
        domain = REALS

        def conj_fn(t, xp):
            low = t <= kink  # False for NaN, which stays NaN
            ts = xp.where(low, xp.zeros_like(t), t)
            val = xp.expm1(k * xp.log1p((a - 1.0) * ts)) / a
            return xp.where(low, -1.0 / a, val)

        act_fn = identity
        fused_fn = conj_fn
        dg = _one

        def dh(v, xp):
            ok = v > kink
            vs = xp.where(ok, v, xp.zeros_like(v))
            return xp.where(ok, xp.exp(xp.log1p((a - 1.0) * vs) / (a - 1.0)), 0.0)

    else:
        hi = 1.0 / (1.0 - a)
        domain = Interval(-INF, hi, hi_closed=a < 0)

        def conj_fn(t, xp):
            inside = t < hi
            ts = xp.where(inside, t, xp.zeros_like(t))
            val = xp.expm1(k * xp.log1p((a - 1.0) * ts)) / a
            edge = -1.0 / a if a < 0 else INF  # value at t = hi
            out = xp.where(t == hi, xp.full_like(t, edge), INF)
            return xp.where(inside, val, out)

        def act_fn(v, xp):
            return below_act(hi - softplus(-v, xp), hi, xp)

        def fused_fn(v, xp):
            # 1 + (a-1) g(v) = (1-a) softplus(-v)
            log_s = math.log1p(-a) + _log_softplus(-v, xp)
            return xp.expm1(k * log_s) / a

        dg = _sigmoid_neg

        def dh(v, xp):
            # u*(g(v)) g'(v) with u* = s^{1/(a-1)}, s = (1-a) softplus(-v), and
            # g'(v) = sigmoid(-v) = exp(-softplus(v)): one exp of the summed logs (the
            # factors alone overflow / underflow for large v, and inf * 0 is NaN)
            log_s = math.log1p(-a) + _log_softplus(-v, xp)
            return _exp_inf(log_s / (a - 1.0) - softplus(v, xp), xp)

    return f_fn, fp_fn, conj_fn, act_fn, fused_fn, domain, dg, dh


# ---------------------------------------------------------------------------------------
# terms q f_a(p/q) for p, q > 0
# ---------------------------------------------------------------------------------------

#: |log(p/q)| max(1, |a|) below this: the Taylor series in d = (p - q)/q
ALPHA_SERIES = 0.0099
#: |exponent| above this: exp of the summed logs (expm1 would overflow)
_EXP_MAX = 700.0


def _alpha_coeffs(alpha: float, n: int = 10) -> tuple[float, ...]:
    """Taylor coefficients of the Amari generator at u = 1 + d, from d^2 on."""
    coeffs = [0.5]
    for k in range(2, n + 1):
        coeffs.append(coeffs[-1] * (alpha - k) / (k + 1))
    return tuple(coeffs)


def _exprel(x: Any, xp: ModuleType) -> Any:
    """``expm1(x) / x`` (1 at 0): a Taylor polynomial for ``|x| < 1e-4`` (truncation below
    1e-18), the quotient elsewhere."""
    small = xp.abs(x) < 1e-4
    xs = xp.where(small, xp.ones_like(x), x)
    series = 1.0 + 0.5 * x * (1.0 + x / 3.0 * (1.0 + 0.25 * x))
    return xp.where(small, series, xp.expm1(xs) / xs)


def alpha_terms(a: float) -> Terms:
    r"""Accurate terms :math:`q f_\alpha(p/q)` for a finite :math:`\alpha \notin \{0, 1\}`.

    * :math:`|d|\max(1, |\alpha|) < 0.01`, :math:`d = (p-q)/q`: Taylor series in :math:`d`;
    * otherwise, with :math:`L = \log(p/q)`: for :math:`\alpha \le \tfrac12`
      :math:`[q\,\mathrm{expm1}(\alpha L)/\alpha - (p - q)] / (\alpha-1)`, else
      :math:`[p\,\mathrm{expm1}((\alpha-1) L)/(\alpha-1) - (p - q)] / \alpha`
      (no cancellation for :math:`\alpha` near 0 or near 1: each form tends to the KL-type
      terms of its limit);
    * where that exponent exceeds 700 in magnitude:
      :math:`\pm\exp(E - \log|\alpha(\alpha-1)|) - (q + \alpha(p-q))/(\alpha(\alpha-1))`
      with :math:`E = \log q + \alpha L = \log(p^\alpha q^{1-\alpha})`: ``inf`` only where
      the term itself exceeds the float range.
    """
    den = a * (a - 1.0)
    log_den = math.log(abs(den))
    sign = 1.0 if den > 0 else -1.0
    coeffs = _alpha_coeffs(a)
    low = a <= 0.5
    k = a if low else a - 1.0  # the exponent factor of the expm1 form

    def key(p, q, xp):
        return log_ratio(p, q, xp)

    def main(p, q, L, xp):
        # expm1(kL)/k = L exprel(kL): no division by a tiny k (a = 5e-324 works), and no
        # intermediate underflow (a = 1e-14 next to a subnormal q keeps the whole term)
        if low:
            return (q * (L * _exprel(a * L, xp)) - (p - q)) / (a - 1.0)
        return (p * (L * _exprel((a - 1.0) * L, xp)) - (p - q)) / a

    def big(L, xp):
        return xp.abs(k * L) > _EXP_MAX

    def exp_form(p, q, xp):
        e = xp.log(q) + a * log_ratio(p, q, xp)
        return sign * _exp_inf(e - log_den, xp) - (q + a * (p - q)) / den

    def near(L, xp):  # |log(p/q)| small <=> |d| small: the Taylor series in d
        return xp.abs(L) * max(1.0, abs(a)) < ALPHA_SERIES

    def series(p, q, xp):
        d = (p - q) / q
        return q * (d * d) * horner(d, coeffs)

    return Terms(
        key,
        main,
        ((big, exp_form, lambda lo, hi: abs(k) * max(-lo, hi) > _EXP_MAX), (near, series)),
        # q f(0) = q / a and p f'(inf) = p / (1 - a), divided: finite even where 1/a overflows
        p_zero=(lambda q, xp: q / a) if a > 0 else None,
        q_zero=(lambda p, xp: p / (1.0 - a)) if a < 1 else None,
        latex=r"\frac{p^{\alpha}q^{1-\alpha} - q - \alpha(p-q)}{\alpha(\alpha-1)}",
    )


def alpha_fdivergence(alpha: float) -> FDivergence:
    r"""The α-divergence entry, generator
    :math:`f_\alpha(u) = \frac{u^\alpha - 1 - \alpha(u-1)}{\alpha(\alpha-1)}`.

    Special cases (same divergence between normalised distributions): :math:`\alpha\to 1`
    KL (:math:`u\log u - u + 1`), :math:`\alpha\to 0` reverse KL, :math:`\alpha = 2`
    ½·Pearson χ², :math:`\alpha = \tfrac12` 2·squared Hellinger, :math:`\alpha = -1`
    ½·Neyman χ². The true conjugate (:math:`u \ge 0`) is, with
    :math:`s = 1 + (\alpha-1)t`, :math:`f^*(t) = (s^{\alpha/(\alpha-1)} - 1)/\alpha`; for
    :math:`\alpha > 1` it equals :math:`-1/\alpha` for :math:`t \le -1/(\alpha-1)` and
    :math:`\operatorname{dom} f^* = \mathbb{R}`; for :math:`\alpha < 1`,
    :math:`\operatorname{dom} f^* = \{t < 1/(1-\alpha)\}` (closed for :math:`\alpha < 0`).
    Activation: identity for :math:`\alpha > 1`, else
    :math:`1/(1-\alpha) - \operatorname{softplus}(-v)`.
    Near :math:`\alpha \in \{0, 1\}` the generator loses about
    :math:`\epsilon/|\alpha(\alpha-1)|` relative precision (cancellation).

    Parameters
    ----------
    alpha : float
        Finite, not 0 or 1 (use ``"reverse_kl"`` / ``"kl"``).

    Raises
    ------
    ParameterError
        If ``alpha`` is not a finite real number or is 0 or 1.

    Examples
    --------
    >>> fd = alpha_fdivergence(2.0)
    >>> round(float(fd.f(3.0)), 12)  # (u - 1)^2 / 2
    2.0
    >>> fd.conjugate([-5.0]).tolist()  # -1/alpha below t = -1/(alpha - 1)
    [-0.5]
    """
    try:
        a = float(alpha)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"`alpha` must be a real number, got {alpha!r}") from exc
    if not math.isfinite(a):
        raise ParameterError(f"`alpha` must be finite, got {alpha!r}")
    if a in (0.0, 1.0):
        alt = "reverse_kl" if a == 0.0 else "kl"
        raise ParameterError(
            f"`alpha` = {a:g} is a limit of the alpha family; use get_fdivergence({alt!r})"
        )
    f_fn, fp_fn, conj_fn, act_fn, fused_fn, domain, dg, dh = _alpha_kernels(a)
    if a > 1:
        conj_tex = (
            r"\begin{cases}\frac{(1+(\alpha-1)t)^{\alpha/(\alpha-1)}-1}{\alpha} & "
            r"t>-\frac{1}{\alpha-1}\\ -\frac{1}{\alpha} & t\le-\frac{1}{\alpha-1}\end{cases}"
        )
        act_tex = "v"
    else:
        conj_tex = r"\frac{(1+(\alpha-1)t)^{\alpha/(\alpha-1)}-1}{\alpha}"
        act_tex = r"\frac{1}{1-\alpha}-\log\left(1+e^{-v}\right)"
    return FDivergence(
        name="alpha",
        display_name=f"α-divergence (α = {a:g})",
        f_fn=f_fn,
        f_prime_fn=fp_fn,
        conjugate_fn=conj_fn,
        activation_fn=act_fn,
        conjugate_activation_fn=fused_fn,
        conjugate_domain=domain,
        f_prime_at_1=0.0,
        f_at_0=1.0 / a if a > 0 else INF,
        f_prime_at_inf=INF if a > 1 else 1.0 / (1.0 - a),
        latex={
            "f": r"\frac{u^{\alpha}-1-\alpha(u-1)}{\alpha(\alpha-1)}",
            "conjugate": conj_tex,
            "activation": act_tex,
            "domain": domain.latex(),
            "optimal_critic": r"\frac{(p/q)^{\alpha-1}-1}{\alpha-1}",
            "divergence": r"\frac{1}{\alpha(\alpha-1)}\int\left(p^{\alpha}q^{1-\alpha}-1\right)dx",
        },
        params=(("alpha", a),),
        terms=alpha_terms(a),
        activation_derivative_fn=dg,
        conjugate_activation_derivative_fn=dh,
    )
