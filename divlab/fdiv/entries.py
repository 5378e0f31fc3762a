r"""The built-in f-divergences: one block per entry.

Each block holds everything about one generator: the kernels of :math:`f`, :math:`f'`,
:math:`f^*`, :math:`g_f`, the fused :math:`f^*\circ g_f` and their derivatives, the
limits, the accurate per-entry :class:`~divlab.fdiv.terms.Terms` summed by every array door,
and the LaTeX of the documentation table. Kernels receive float arrays and use the
namespace ``xp`` only; ``f``/``f'`` kernels get finite ``u >= 0``, term pieces get
``p, q > 0``.

Accuracy of the terms (float64, relative, per term): a few ulp, except where stated.
The only cancellation left is that of :math:`(1+d)\log(1+d) - d` for
:math:`|d| \ge 0.01` (at most :math:`2\epsilon/|d|`), below which a Taylor series is used.
"""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any

from .._array import sigmoid, softplus, xlogy
from ._numerics import (
    INF,
    LOG2,
    _exp_sat,
    _log,
    _log_wright_omega,
    _pos,
    below_act,
    horner,
    identity,
)
from .lecture import ERRATA, LECTURE_ROWS
from .record import REALS, FDivergence, Interval
from .terms import Terms

__all__ = ["builtin_entries"]

_R = r"\frac{p}{q}"

#: ``d = (p - q)/q < TINY - 1``: ``1 + d`` has lost ``p`` (log of the ratio instead).
TINY = 2.0**-50
#: ``|d| > BIG`` (or not finite): ``p / q`` may overflow (difference of logs instead).
BIG = 2.0**1000


def _rel_diff(p: Any, q: Any, xp: ModuleType) -> Any:
    """The key of most entries: the relative difference ``d = (p - q) / q``."""
    return (p - q) / q


def _beyond(d: Any, xp: ModuleType) -> Any:
    """Mask: ``|d|`` beyond ``2**1000`` or not finite (``q`` subnormal next to ``p``)."""
    return xp.logical_not(xp.abs(d) <= BIG)


def _may_be_beyond(lo: float, hi: float) -> bool:
    return not (-BIG <= lo and hi <= BIG)


def _below(bound: float):
    """Range hint of a mask ``key < bound``."""
    return lambda lo, hi: lo < bound


def _outside(bound: float):
    """Range hint of a mask ``|key| > bound``."""
    return lambda lo, hi: lo < -bound or hi > bound


def _one(v: Any, xp: ModuleType) -> Any:
    return xp.ones_like(v)


def _exp_neg(v: Any, xp: ModuleType) -> Any:
    return xp.exp(-v)


def _sigmoid(v: Any, xp: ModuleType) -> Any:
    return sigmoid(v, xp)


def _sigmoid_neg(v: Any, xp: ModuleType) -> Any:
    return sigmoid(-v, xp)




def _entry(name: str, display: str, kernels: tuple, derivatives: tuple, **kw: Any) -> FDivergence:
    f_fn, fp_fn, conj_fn, act_fn, fused_fn = kernels
    dg, dh = derivatives
    lec = LECTURE_ROWS.get(name)
    return FDivergence(
        name=name,
        display_name=display,
        f_fn=f_fn,
        f_prime_fn=fp_fn,
        conjugate_fn=conj_fn,
        activation_fn=act_fn,
        conjugate_activation_fn=fused_fn,
        lecture_row=None if lec is None else lec["name"],
        lecture_latex=lec,
        erratum=ERRATA.get(name),
        activation_derivative_fn=dg,
        conjugate_activation_derivative_fn=dh,
        **kw,
    )


# =======================================================================================
# Kullback-Leibler: f(u) = u log u;  terms p log(p/q) - p + q = q g(d), d = (p - q)/q
# =======================================================================================


def _kl_f(u, xp):
    return xlogy(u, u, xp)


def _kl_fp(u, xp):
    return _log(u, xp) + 1.0


def _kl_conj(t, xp):
    return xp.exp(t - 1.0)


#: g(d) = (1+d) log(1+d) - d = d^2 sum_{k>=2} (-1)^k d^(k-2) / (k (k-1))
KL_COEFFS = tuple((-1.0) ** k / (k * (k - 1)) for k in range(2, 12))
#: |d| below this: the series (truncation below 1e-20 relative)
KL_SERIES = 0.01


def _kl_main(p, q, d, xp):
    return p * xp.log1p(d) - (p - q)


def _kl_near(d, xp):
    return xp.abs(d) < KL_SERIES


def _kl_series(p, q, xp):
    d = (p - q) / q
    return q * (d * d) * horner(d, KL_COEFFS)


def _kl_tiny(d, xp):
    return d < TINY - 1.0


def _kl_log_ratio(p, q, xp):
    return (q - p) + p * xp.log(p / q)


def _kl_log_difference(p, q, xp):
    return p * (xp.log(p) - xp.log(q)) - p + q


KL_TERMS = Terms(
    _rel_diff,
    _kl_main,
    (
        (_beyond, _kl_log_difference, _may_be_beyond),
        (_kl_tiny, _kl_log_ratio, _below(TINY - 1.0)),
        (_kl_near, _kl_series),
    ),
    latex=r"p\log\frac{p}{q} - p + q",
)

KL = _entry(
    "kl",
    "Kullback-Leibler",
    (_kl_f, _kl_fp, _kl_conj, identity, _kl_conj),
    (_one, _kl_conj),
    conjugate_domain=REALS,
    f_prime_at_1=1.0,
    f_at_0=0.0,
    f_prime_at_inf=INF,
    terms=KL_TERMS,
    latex={
        "f": r"u\log u",
        "conjugate": r"e^{t-1}",
        "activation": "v",
        "domain": r"\mathbb{R}",
        "optimal_critic": rf"1+\log{_R}",
        "divergence": r"\int p\log\frac{p}{q}\,dx",
    },
)


# =======================================================================================
# reverse KL: f(u) = -log u;  terms q log(q/p) - q + p (the KL terms, p and q exchanged)
# =======================================================================================


def _rkl_f(u, xp):
    return -xp.log(u)


def _rkl_fp(u, xp):
    return xp.where(u > 0, -1.0 / _pos(u, xp), -INF)


def _rkl_conj(t, xp):
    neg = t < 0
    ts = xp.where(neg, -t, xp.ones_like(t))
    return xp.where(neg, -1.0 - xp.log(ts), INF)


def _rkl_act(v, xp):
    return below_act(-_exp_sat(-v, xp), 0.0, xp)


def _rkl_fused(v, xp):
    return v - 1.0


REVERSE_KL = _entry(
    "reverse_kl",
    "Reverse KL",
    (_rkl_f, _rkl_fp, _rkl_conj, _rkl_act, _rkl_fused),
    (_exp_neg, _one),
    conjugate_domain=Interval(-INF, 0.0),
    f_prime_at_1=-1.0,
    f_at_0=INF,
    f_prime_at_inf=0.0,
    terms=dataclasses.replace(KL_TERMS.swapped(), latex=r"q\log\frac{q}{p} - q + p"),
    latex={
        "f": r"-\log u",
        "conjugate": r"-1-\log(-t)",
        "activation": r"-e^{-v}",
        "domain": r"t < 0",
        "optimal_critic": r"-\frac{q}{p}",
        "divergence": r"\int q\log\frac{q}{p}\,dx",
    },
)


# =======================================================================================
# Pearson chi^2: f(u) = (u - 1)^2;  terms (p - q)^2 / q
# =======================================================================================


def _pearson_f(u, xp):
    return (u - 1.0) ** 2


def _pearson_fp(u, xp):
    return 2.0 * (u - 1.0)


def _pearson_conj(t, xp):
    return xp.where(t < -2.0, xp.full_like(t, -1.0), t * (0.25 * t + 1.0))  # NaN stays NaN


def _pearson_dfused(v, xp):
    return xp.where(v > -2.0, 0.5 * v + 1.0, xp.zeros_like(v))


def _chi2_main(p, q, d, xp):
    return (p - q) * d  # (p - q)^2 would underflow for tiny p, q


def _chi2_scaled(p, q, xp):
    # (p - q)^2 / q with |p - q| / q beyond 2**1000: the quotient formed 2**-200 smaller and
    # scaled back last (exact powers of two; inf only if the term itself overflows -- a log
    # form would lose ~1e-13 to the exponential of a 700-sized argument)
    a = xp.abs(p - q)
    return (a * ((a * 2.0**-200) / q)) * 2.0**200


CHI2_TERMS = Terms(
    _rel_diff,
    _chi2_main,
    ((_beyond, _chi2_scaled, _may_be_beyond),),
    latex=r"\frac{(p-q)^2}{q}",
)

PEARSON = _entry(
    "pearson",
    "Pearson χ²",
    (_pearson_f, _pearson_fp, _pearson_conj, identity, _pearson_conj),
    (_one, _pearson_dfused),
    conjugate_domain=REALS,
    f_prime_at_1=0.0,
    f_at_0=1.0,
    f_prime_at_inf=INF,
    terms=CHI2_TERMS,
    latex={
        "f": r"(u-1)^2",
        "conjugate": r"\begin{cases}\tfrac14 t^2+t & t\ge -2\\ -1 & t<-2\end{cases}",
        "activation": "v",
        "domain": r"\mathbb{R}",
        "optimal_critic": rf"2\left({_R}-1\right)",
        "divergence": r"\int\frac{(p-q)^2}{q}\,dx",
    },
)


# =======================================================================================
# Neyman chi^2: f(u) = (1 - u)^2 / u;  terms (p - q)^2 / p
# =======================================================================================


def _neyman_f(u, xp):
    return (1.0 - u) ** 2 / u


def _neyman_fp(u, xp):
    # 1 - 1/u^2 is below -max float once u^2 < 1/max: -inf there, without forming 1/0
    lim = 1.0 / float(xp.finfo(u.dtype).max) ** 0.5
    ok = u > lim
    us = xp.where(ok, u, xp.ones_like(u))
    return xp.where(ok, 1.0 - 1.0 / (us * us), -INF)


def _neyman_conj(t, xp):
    ok = t <= 1.0
    ts = xp.where(ok, t, xp.ones_like(t))
    return xp.where(ok, 2.0 - 2.0 * xp.sqrt(1.0 - ts), INF)


def _neyman_act(v, xp):
    return 1.0 - _exp_sat(v, xp)


def _neyman_fused(v, xp):
    # f*(1 - e^v) = 2 - 2 sqrt(e^v) = 2 - 2 e^{v/2}
    return 2.0 - 2.0 * xp.exp(0.5 * v)


NEYMAN = _entry(
    "neyman",
    "Neyman χ²",
    (_neyman_f, _neyman_fp, _neyman_conj, _neyman_act, _neyman_fused),
    (lambda v, xp: -xp.exp(v), lambda v, xp: -xp.exp(0.5 * v)),
    conjugate_domain=Interval(-INF, 1.0, hi_closed=True),
    f_prime_at_1=0.0,
    f_at_0=INF,
    f_prime_at_inf=1.0,
    terms=dataclasses.replace(CHI2_TERMS.swapped(), latex=r"\frac{(p-q)^2}{p}"),
    latex={
        "f": r"\frac{(1-u)^2}{u}",
        "conjugate": r"2-2\sqrt{1-t}",
        "activation": r"1-e^{v}",
        "domain": r"t\le 1",
        "optimal_critic": r"1-\frac{q^2}{p^2}",
        "divergence": r"\int\frac{(q-p)^2}{p}\,dx",
    },
)


# =======================================================================================
# squared Hellinger: f(u) = (sqrt u - 1)^2;  terms (sqrt p - sqrt q)^2
# =======================================================================================


def _hel_f(u, xp):
    return (xp.sqrt(u) - 1.0) ** 2


def _hel_fp(u, xp):
    return xp.where(u > 0, 1.0 - 1.0 / xp.sqrt(_pos(u, xp)), -INF)


def _hel_conj(t, xp):
    ok = t < 1.0
    ts = xp.where(ok, t, xp.zeros_like(t))
    return xp.where(ok, ts / (1.0 - ts), INF)


def _hel_act(v, xp):
    return below_act(1.0 - _exp_sat(-v, xp), 1.0, xp)


def _hel_fused(v, xp):
    # t = 1 - e^{-v}:  t / (1 - t) = e^v - 1
    return xp.expm1(v)


def _hel_key(p, q, xp):
    # sqrt(p) - sqrt(q) = (p - q) / (sqrt(p) + sqrt(q)): p - q is exact when p ~ q
    return (p - q) / (xp.sqrt(p) + xp.sqrt(q))


def _hel_main(p, q, t, xp):
    return t * t


SQUARED_HELLINGER = _entry(
    "squared_hellinger",
    "Squared Hellinger",
    (_hel_f, _hel_fp, _hel_conj, _hel_act, _hel_fused),
    (_exp_neg, lambda v, xp: xp.exp(v)),
    conjugate_domain=Interval(-INF, 1.0),
    f_prime_at_1=0.0,
    f_at_0=1.0,
    f_prime_at_inf=1.0,
    terms=Terms(_hel_key, _hel_main, latex=r"\left(\sqrt p-\sqrt q\right)^2"),
    latex={
        "f": r"(\sqrt{u}-1)^2",
        "conjugate": r"\frac{t}{1-t}",
        "activation": r"1-e^{-v}",
        "domain": r"t<1",
        "optimal_critic": r"\left(\sqrt{\frac{p}{q}}-1\right)\sqrt{\frac{q}{p}}",
        "divergence": r"\int\left(\sqrt{p}-\sqrt{q}\right)^2dx",
    },
)


# =======================================================================================
# Jensen-Shannon. The lecture's row ("fgan_js") has f(u) = u log u - (u+1) log((u+1)/2),
# which integrates to 2 JS; "js" is that entry scaled by 1/2 and "gan" = 2 JS - log 4.
# Terms of JS: m phi(d), m = (p + q)/2, d = (p - q)/(p + q),
# phi(d) = ((1 + d) log(1 + d) + (1 - d) log(1 - d)) / 2
# =======================================================================================


def _fganjs_f(u, xp):
    # u log(2u/(u+1)) - log((u+1)/2) with log(2u/(1+u)) = -log1p((1-u)/(2u)): no cancellation
    return -u * xp.log1p((1.0 - u) / (2.0 * u)) - xp.log1p(0.5 * (u - 1.0))


def _fganjs_fp(u, xp):
    return xp.where(u > 0, -xp.log1p((1.0 - u) / (2.0 * _pos(u, xp))), -INF)


def _fganjs_conj(t, xp):
    ok = t < LOG2
    ts = xp.where(ok, t, xp.zeros_like(t))
    # -log(2 - e^t) = -log 2 - log1p(-e^{t - log 2})
    return xp.where(ok, -LOG2 - xp.log1p(-xp.exp(ts - LOG2)), INF)


def _fganjs_act(v, xp):
    return below_act(LOG2 - softplus(-v, xp), LOG2, xp)


def _fganjs_fused(v, xp):
    return softplus(v, xp) - LOG2


#: phi(d) = sum_{k>=1} d^(2k) / (2k (2k-1))
JS_COEFFS = tuple(1.0 / (2 * k * (2 * k - 1)) for k in range(1, 8))
#: |d| below this: the series (truncation below 1e-20 relative); above it the direct form
#: loses at most 2 eps / |d| = 1.5e-14 relative to cancellation
JS_SERIES = 0.03
#: |d| above this: 1 -+ d has (nearly) lost the smaller of p, q
JS_LOPSIDED = 1.0 - 2.0**-40


def _js_key(p, q, xp):
    return (p - q) / (p + q)


def _js_main(p, q, d, xp):
    # m phi(d) = (p log(1 + d) + q log(1 - d)) / 2, since 2p/(p+q) = 1 + d
    return 0.5 * (p * xp.log1p(d) + q * xp.log1p(-d))


def _js_near(d, xp):
    return xp.abs(d) < JS_SERIES


def _js_series(p, q, xp):
    s = p + q
    d = (p - q) / s
    d2 = d * d
    return 0.5 * s * d2 * horner(d2, JS_COEFFS)


def _js_lopsided(d, xp):
    return xp.abs(d) > JS_LOPSIDED


def _js_logs(p, q, xp):
    # the defining form (ratios <= 2, no overflow)
    s = p + q
    return 0.5 * (p * xp.log(2.0 * p / s) + q * xp.log(2.0 * q / s))


JS_TERMS = Terms(
    _js_key,
    _js_main,
    ((_js_lopsided, _js_logs, _outside(JS_LOPSIDED)), (_js_near, _js_series)),
    latex=r"\tfrac12\left(p\log\frac{2p}{p+q}+q\log\frac{2q}{p+q}\right)",
)

FGAN_JS = _entry(
    "fgan_js",
    "Jensen-Shannon (lecture f-GAN row, = 2·JS)",
    (_fganjs_f, _fganjs_fp, _fganjs_conj, _fganjs_act, _fganjs_fused),
    (_sigmoid_neg, _sigmoid),
    conjugate_domain=Interval(-INF, LOG2),
    f_prime_at_1=0.0,
    f_at_0=LOG2,
    f_prime_at_inf=LOG2,
    terms=JS_TERMS.scaled(2.0),
    latex={
        "f": r"u\log u-(u+1)\log\frac{u+1}{2}",
        "conjugate": r"-\log\left(2-e^{t}\right)",
        "activation": r"\log 2-\log\left(1+e^{-v}\right)",
        "domain": r"t<\log 2",
        "optimal_critic": r"\log\frac{2p}{p+q}",
        "divergence": r"\int p\log\frac{2p}{p+q}+q\log\frac{2q}{p+q}\,dx = 2\,\mathrm{JS}",
    },
)

JS = dataclasses.replace(
    FGAN_JS.scaled(0.5),
    name="js",
    display_name="Jensen-Shannon",
    params=(),
    latex={
        "f": r"\tfrac12\left[u\log u-(u+1)\log\frac{u+1}{2}\right]",
        "conjugate": r"-\tfrac12\log\left(2-e^{2t}\right)",
        "activation": r"\tfrac12\left[\log 2-\log\left(1+e^{-v}\right)\right]",
        "domain": r"t<\tfrac12\log 2",
        "optimal_critic": r"\tfrac12\log\frac{2p}{p+q}",
        "divergence": r"\tfrac12\int p\log\frac{2p}{p+q}+q\log\frac{2q}{p+q}\,dx",
    },
)


# GAN: f(u) = u log u - (u + 1) log(u + 1), f(1) = -log 4;  D = 2 JS - log 4
def _gan_f(u, xp):
    # u log u - (u + 1) log(u + 1) = -u log1p(1/u) - log1p(u), cancellation-free
    return -u * xp.log1p(1.0 / u) - xp.log1p(u)


def _gan_fp(u, xp):
    return xp.where(u > 0, -xp.log1p(1.0 / _pos(u, xp)), -INF)


def _gan_conj(t, xp):
    ok = t < 0
    ts = xp.where(ok, t, xp.full_like(t, -1.0))
    return xp.where(ok, -xp.log(-xp.expm1(ts)), INF)


def _gan_act(v, xp):
    return below_act(-softplus(-v, xp), 0.0, xp)


def _gan_fused(v, xp):
    return softplus(v, xp)


GAN = _entry(
    "gan",
    "GAN (lecture f-GAN row, = 2·JS − log 4)",
    (_gan_f, _gan_fp, _gan_conj, _gan_act, _gan_fused),
    (_sigmoid_neg, _sigmoid),
    conjugate_domain=Interval(-INF, 0.0),
    f_prime_at_1=-LOG2,
    f_at_0=0.0,
    f_prime_at_inf=0.0,
    f_at_1=-2.0 * LOG2,
    terms=JS_TERMS.scaled(2.0),
    latex={
        "f": r"u\log u-(u+1)\log(u+1)",
        "conjugate": r"-\log\left(1-e^{t}\right)",
        "activation": r"-\log\left(1+e^{-v}\right)",
        "domain": r"t<0",
        "optimal_critic": r"\log\frac{p}{p+q}",
        "divergence": r"\int p\log\frac{2p}{p+q}+q\log\frac{2q}{p+q}\,dx-\log 4",
    },
)


# =======================================================================================
# total variation: f(u) = |u - 1| / 2;  terms |p - q| / 2
# =======================================================================================


def _tv_f(u, xp):
    return 0.5 * xp.abs(u - 1.0)


def _tv_fp(u, xp):
    return 0.5 * xp.sign(u - 1.0)


def _tv_conj(t, xp):
    return xp.where(t <= 0.5, xp.maximum(t, xp.full_like(t, -0.5)), INF)


def _tv_act(v, xp):
    return 0.5 * xp.tanh(v)


def _half_sech2(v, xp):
    th = xp.tanh(v)
    return 0.5 * (1.0 - th * th)


TOTAL_VARIATION = _entry(
    "total_variation",
    "Total variation",
    (_tv_f, _tv_fp, _tv_conj, _tv_act, _tv_act),
    (_half_sech2, _half_sech2),
    conjugate_domain=Interval(-INF, 0.5, hi_closed=True),
    f_prime_at_1=0.0,
    f_at_0=0.5,
    f_prime_at_inf=0.5,
    terms=Terms(
        lambda p, q, xp: p - q, lambda p, q, d, xp: 0.5 * xp.abs(d), latex=r"\tfrac12|p-q|"
    ),
    latex={
        "f": r"\tfrac12|u-1|",
        "conjugate": r"\begin{cases}t & -\tfrac12\le t\le\tfrac12\\ -\tfrac12 & t<-\tfrac12"
        r"\end{cases}",
        "activation": r"\tfrac12\tanh v",
        "domain": r"t\le\tfrac12",
        "optimal_critic": r"\tfrac12\operatorname{sign}\left(\frac{p}{q}-1\right)",
        "divergence": r"\tfrac12\int|p-q|\,dx",
    },
)


# =======================================================================================
# Jeffreys: f(u) = (u - 1) log u;  terms (p - q) log(p/q)  (each >= 0, no cancellation)
# =======================================================================================


def _jeffreys_f(u, xp):
    return (u - 1.0) * xp.log(u)


def _jeffreys_fp(u, xp):
    us = _pos(u, xp)
    return xp.where(u > 0, xp.log(us) + 1.0 - 1.0 / us, -INF)


def _jeffreys_conj(t, xp):
    r"""f*(t) = t - 2 + W + 1/W, W = W(e^{1-t}) (Lambert W), y = log W.

    Evaluated as ``t + 4 sinh(y/2)^2`` for ``t >= -1`` and as ``e^{-y} - y - 1`` (using
    ``t + W = 1 - y``) for ``t < -1``, so neither form cancels.
    """
    finite = xp.isfinite(t)
    y = _log_wright_omega(1.0 - xp.where(finite, t, xp.zeros_like(t)), xp)
    s = xp.sinh(0.5 * y)
    near = t + 4.0 * s * s  # no cancellation for t >= -1
    # t + W = 1 - log W, so f* = -1 - y + e^{-y}: no cancellation for t < -1
    far = xp.exp(-y) - y - 1.0
    return xp.where(finite, xp.where(t < -1.0, far, near), t)


def _jeffreys_dconj(v, xp):
    # (f*)'(t) = argmax u = 1 / W(e^{1-t}) = exp(-y)
    finite = xp.isfinite(v)
    y = _log_wright_omega(1.0 - xp.where(finite, v, xp.zeros_like(v)), xp)
    lim = xp.where(v > 0, xp.full_like(v, INF), xp.zeros_like(v))
    return xp.where(finite, xp.exp(-y), lim)


def _jeffreys_main(p, q, d, xp):  # d >= -1/2: log1p of the relative difference
    return (p - q) * xp.log1p(d)


def _jeffreys_below_half(d, xp):
    return d < -0.5


def _jeffreys_ratio(p, q, xp):
    # log(p/q) from the ratio while it is a normal number, else from the logs (a
    # subnormal ratio has lost digits)
    r = p / q
    ok = r > 2.0**-1000
    one = xp.ones_like(r)
    log_r = xp.where(ok, xp.log(xp.where(ok, r, one)),
                     xp.log(p) - xp.log(xp.where(ok, one, q)))
    return (p - q) * log_r


def _jeffreys_log_difference(p, q, xp):
    return (p - q) * (xp.log(p) - xp.log(q))


JEFFREYS = _entry(
    "jeffreys",
    "Jeffreys",
    (_jeffreys_f, _jeffreys_fp, _jeffreys_conj, identity, _jeffreys_conj),
    (_one, _jeffreys_dconj),
    conjugate_domain=REALS,
    f_prime_at_1=0.0,
    f_at_0=INF,
    f_prime_at_inf=INF,
    terms=Terms(
        _rel_diff,
        _jeffreys_main,
        (
            (_beyond, _jeffreys_log_difference, _may_be_beyond),
            (_jeffreys_below_half, _jeffreys_ratio, _below(-0.5)),
        ),
        latex=r"(p-q)\log\frac{p}{q}",
    ),
    latex={
        "f": r"(u-1)\log u",
        "conjugate": r"W\!\left(e^{1-t}\right)+\frac{1}{W\left(e^{1-t}\right)}+t-2",
        "activation": "v",
        "domain": r"\mathbb{R}",
        "optimal_critic": r"1+\log\frac{p}{q}-\frac{q}{p}",
        "divergence": r"\int(p-q)\log\frac{p}{q}\,dx",
    },
)


def builtin_entries() -> list[FDivergence]:
    """The built-in registry entries, in registry order."""
    return [
        KL,
        REVERSE_KL,
        PEARSON,
        NEYMAN,
        SQUARED_HELLINGER,
        JS,
        FGAN_JS,
        GAN,
        TOTAL_VARIATION,
        JEFFREYS,
    ]
