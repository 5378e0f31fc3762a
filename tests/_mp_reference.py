"""High-precision references for divlab's exact discrete divergences (a test helper).

Not a test module: the accuracy tests import it as a sibling (``tests/`` is not a package;
pytest's default ``prepend`` import mode puts ``tests/`` on ``sys.path``).

Every reference is evaluated with mpmath from the float inputs converted *exactly*
(``mpmath.mpf(float)`` is exact), at a working precision of ``WORK_DPS`` decimal digits so that
the returned value is correct to at least 50 significant digits even where the per-entry
formulas cancel (near-identical pairs lose at most ~35 digits: float inputs differ by at least
one ulp, so ``|p - q| / q >= 1e-16``; alpha = 1e-14 costs another ~14).

The convention pinned here is the one divlab computes (the issue's statement), not a
re-derivation of it:

* f-divergences: ``D = f(1) + sum_i q_i * ft(p_i / q_i)`` with
  ``ft(u) = f(u) - f(1) - f'(1) (u - 1)`` (every term is >= 0; D equals ``sum q f(p/q)``
  exactly when ``sum p = sum q = 1``). Terms with ``q_i = 0 < p_i`` contribute
  ``p_i * (f'(inf) - f'(1))``, terms with ``p_i = 0 < q_i`` contribute
  ``q_i * (f(0) - f(1) + f'(1))``, ``p_i = q_i = 0`` contributes 0. For KL that is
  ``sum(p log(p/q) - p + q)`` (``scipy.special.kl_div`` summed).
* ``entropy`` / ``cross_entropy``: textbook ``-sum p log p`` / ``-sum p log q`` (0 log 0 = 0,
  ``+inf`` where ``q_i = 0 < p_i``).
* ``renyi``: see :func:`renyi_ref` -- the textbook definition for the inputs treated as
  normalised, written so that it is well conditioned in the float inputs everywhere.
* ``base=b`` divides the natural-log value by ``log b`` (negative for ``b < 1``).

The comparison rule every accuracy test uses is :func:`assert_matches`.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

__all__ = [
    "WORK_DPS",
    "FDIV_NAMES",
    "to_mp",
    "fdiv_ref",
    "renyi_ref",
    "discrete_ref",
    "assert_matches",
    "mismatch",
]

#: working precision (decimal digits); results are correct to >= 50 digits
WORK_DPS = 100

#: the registry entries whose convention :func:`fdiv_ref` implements (plus ``"alpha"``)
FDIV_NAMES = (
    "kl",
    "reverse_kl",
    "pearson",
    "neyman",
    "squared_hellinger",
    "js",
    "fgan_js",
    "gan",
    "total_variation",
    "jeffreys",
)

_INF = mpmath.inf


def to_mp(x) -> list:
    """The entries of a 1-D float array (float64 or float32) as exact mpf values."""
    a = np.asarray(x)
    if a.dtype == np.float32:
        a = a.astype(np.float64)  # exact
    a = np.asarray(a, dtype=np.float64).ravel()
    return [mpmath.mpf(float(v)) for v in a]


# ------------------------------------------------------------------------------------------
# f-divergences: D = f(1) + sum q ft(p/q)
# ------------------------------------------------------------------------------------------


def _f_at_1(name: str):
    return -2 * mpmath.log(2) if name == "gan" else mpmath.mpf(0)


def _zero_limits(name: str, alpha=None):
    """``(ft(0), ft'(inf)) = (f(0) - f(1) + f'(1), f'(inf) - f'(1))`` of an entry."""
    log2 = mpmath.log(2)
    table = {
        "kl": (1, _INF),
        "reverse_kl": (_INF, 1),
        "pearson": (1, _INF),
        "neyman": (_INF, 1),
        "squared_hellinger": (1, 1),
        "js": (log2 / 2, log2 / 2),
        "fgan_js": (log2, log2),
        "gan": (log2, log2),  # ft of the GAN generator is the fgan_js generator
        "total_variation": (mpmath.mpf(1) / 2, mpmath.mpf(1) / 2),
        "jeffreys": (_INF, _INF),
    }
    if name == "alpha":
        a = mpmath.mpf(alpha)
        f0 = 1 / a if a > 0 else _INF
        fpinf = 1 / (1 - a) if a < 1 else _INF
        return f0, fpinf
    return tuple(v if v is _INF else mpmath.mpf(v) for v in table[name])


def _body(name: str, a, b, alpha=None):
    """``b * ft(a / b)`` for ``a, b > 0`` (mpf, at the working precision)."""
    if name == "kl":
        return a * mpmath.log(a / b) - a + b
    if name == "reverse_kl":
        return b * mpmath.log(b / a) - b + a
    if name == "pearson":
        return (a - b) ** 2 / b
    if name == "neyman":
        return (a - b) ** 2 / a
    if name == "squared_hellinger":
        return (mpmath.sqrt(a) - mpmath.sqrt(b)) ** 2
    if name in ("js", "fgan_js", "gan"):
        s = a + b
        v = a * mpmath.log(2 * a / s) + b * mpmath.log(2 * b / s)
        return v / 2 if name == "js" else v
    if name == "total_variation":
        return abs(a - b) / 2
    if name == "jeffreys":
        return (a - b) * mpmath.log(a / b)
    if name == "alpha":
        al = mpmath.mpf(alpha)
        d = (a - b) / b
        # (u^al - 1 - al (u - 1)) / (al (al - 1)), u^al - 1 = expm1(al log u) (no loss at al ~ 0)
        return b * (mpmath.expm1(al * mpmath.log(a / b)) - al * d) / (al * (al - 1))
    raise KeyError(name)


def fdiv_ref(name: str, p, q, alpha=None):
    """``D_f(p || q)`` in nats under the pinned convention (mpf, or ``mpmath.inf``).

    ``name`` is a registry name (:data:`FDIV_NAMES`) or ``"alpha"`` (any finite ``alpha``;
    ``alpha`` = 1 and 0 give the KL and reverse-KL limits of the family).
    """
    if name == "alpha":
        if alpha == 1.0:
            name, alpha = "kl", None
        elif alpha == 0.0:
            name, alpha = "reverse_kl", None
    with mpmath.workdps(WORK_DPS):
        P, Q = to_mp(p), to_mp(q)
        assert len(P) == len(Q)
        z0, zinf = _zero_limits(name, alpha)
        total = _f_at_1(name)
        for a, b in zip(P, Q, strict=True):
            if a == 0 and b == 0:
                continue
            if b == 0:
                term = _INF if zinf == _INF else a * zinf
            elif a == 0:
                term = _INF if z0 == _INF else b * z0
            else:
                term = _body(name, a, b, alpha)
            if term == _INF:
                return _INF
            total += term
        return +total


# ------------------------------------------------------------------------------------------
# the other discrete functions
# ------------------------------------------------------------------------------------------


def renyi_ref(p, q, alpha):
    r"""Rényi divergence of order ``alpha`` in [0, inf], nats (mpf or ``mpmath.inf``).

    Textbook: :math:`D_\alpha = \frac{1}{\alpha-1}\log\sum_i p_i^\alpha q_i^{1-\alpha}`,
    ``D_1 = KL``, ``D_0 = -log Q(p > 0)``, ``D_inf = log max_{p_i>0} p_i/q_i``; ``+inf`` for
    ``alpha >= 1`` when some ``q_i = 0 < p_i`` and for ``alpha < 1`` on disjoint supports.

    Float inputs sum to 1 only within rounding, and the plain formula applied to them is
    ill conditioned near ``p = q`` (``log sum p^a q^(1-a)`` then carries the 1e-16 error of
    ``sum p`` and ``sum q``, which is all there is of a 1e-30 divergence: no float64 code
    could reproduce it). divlab's docstring says the inputs are treated as normalised; this
    reference makes that precise in the one form that is well conditioned everywhere and
    continuous at ``alpha = 0`` and ``1`` (the boundary conventions of the rest of the module):

        D_alpha = log(S / M) / (alpha - 1),   S = sum p^alpha q^(1-alpha),
                                              M = alpha sum(p) + (1 - alpha) sum(q),

    i.e. ``log1p(alpha (alpha - 1) A / M) / (alpha - 1)`` with ``A`` = ``alpha_divergence`` under
    the pinned f-divergence convention (``alpha (alpha - 1) A = S - M`` exactly). It equals the
    textbook value for exactly normalised inputs (``M = 1``), keeps relative accuracy near
    ``p = q`` (through ``A``) and near disjoint supports (through ``S``). Limits:
    ``alpha -> 1`` gives ``KL / sum(p)`` -- ``alpha = 1`` itself is ``kl`` exactly, which differs
    by the relative amount ``|1 - sum p|`` (< 1e-14 for the test inputs); ``alpha -> 0`` gives
    ``-log(Q(p > 0) / sum q) = -log1p(-Q(p = 0) / sum q)``; ``alpha -> inf`` gives
    ``log max p/q``, clamped at 0 (it is >= ``log(sum p / sum q)`` >= -1e-12: a rounding
    excursion, DESIGN section 5).
    """
    a_f = float(alpha)
    if a_f == 1.0:
        return fdiv_ref("kl", p, q)
    with mpmath.workdps(WORK_DPS):
        P, Q = to_mp(p), to_mp(q)
        sq = mpmath.fsum(Q)
        if a_f == 0.0:
            # -log(Q(p > 0) / sum q) = log1p(Q(p = 0) / Q(p > 0)): both masses are sums of
            # positives (no cancellation at any precision: 1 + 3e-315 is 1 at 100 digits)
            on = mpmath.fsum(b for a, b in zip(P, Q, strict=True) if a > 0)
            off = mpmath.fsum(b for a, b in zip(P, Q, strict=True) if a == 0)
            if on == 0:  # disjoint supports
                return _INF
            return mpmath.log1p(off / on)
        if math.isinf(a_f):
            best = None
            for a, b in zip(P, Q, strict=True):
                if a > 0:
                    if b == 0:
                        return _INF
                    r = mpmath.log(a / b)
                    best = r if best is None else max(best, r)
            return max(best, mpmath.mpf(0))
        al = mpmath.mpf(a_f)
        sp = mpmath.fsum(P)
        m = al * sp + (1 - al) * sq
        A = fdiv_ref("alpha", p, q, alpha=a_f)
        if A == _INF:  # alpha > 1 and some q = 0 < p
            return _INF
        x = al * (al - 1) * A / m
        if x > -mpmath.mpf(1) / 2:
            return mpmath.log1p(x) / (al - 1)
        # far from p = q (alpha < 1): S directly, no cancellation in 1 + x
        S = mpmath.fsum(
            mpmath.exp(al * mpmath.log(a) + (1 - al) * mpmath.log(b))
            for a, b in zip(P, Q, strict=True)
            if a > 0 and b > 0
        )
        if S == 0:
            return _INF
        return (mpmath.log(S) - mpmath.log(m)) / (al - 1)


_DEDICATED_FDIV = {
    "kl": "kl",
    "reverse_kl": "reverse_kl",
    "pearson_chi2": "pearson",
    "neyman_chi2": "neyman",
    "squared_hellinger": "squared_hellinger",
    "js": "js",
    "total_variation": "total_variation",
    "jeffreys": "jeffreys",
}


def discrete_ref(func: str, p, q=None, *, alpha=None, base=None):
    """Reference value of the public function ``divlab.<func>`` (mpf or +-``mpmath.inf``)."""
    with mpmath.workdps(WORK_DPS):
        if func in _DEDICATED_FDIV:
            v = fdiv_ref(_DEDICATED_FDIV[func], p, q)
        elif func == "hellinger":
            v = mpmath.sqrt(fdiv_ref("squared_hellinger", p, q))
        elif func == "js_distance":
            v = fdiv_ref("js", p, q)
            if base is not None:
                v = v / mpmath.log(mpmath.mpf(float(base)))
            return mpmath.sqrt(v)
        elif func == "alpha_divergence":
            v = fdiv_ref("alpha", p, q, alpha=alpha)
        elif func == "renyi":
            v = renyi_ref(p, q, alpha)
        elif func == "entropy":
            v = -mpmath.fsum(a * mpmath.log(a) for a in to_mp(p) if a > 0)
        elif func == "cross_entropy":
            v = mpmath.mpf(0)
            for a, b in zip(to_mp(p), to_mp(q), strict=True):
                if a > 0:
                    if b == 0:
                        v = _INF
                        break
                    v -= a * mpmath.log(b)
        else:
            raise KeyError(func)
        if base is not None and v != 0:
            v = v / mpmath.log(mpmath.mpf(float(base)))
        return +v


# ------------------------------------------------------------------------------------------
# the comparison rule
# ------------------------------------------------------------------------------------------


def mismatch(got, ref, *, dtype=np.float64, rtol=None, n_terms=1, log_base=None,
             abs_scale=None) -> str | None:
    """Why ``got`` does not match the reference ``ref`` (None when it does).

    * NaN never matches; ``ref = +-inf`` needs ``got = +-inf``.
    * ``|ref|`` beyond the dtype's largest finite number (by more than ``rtol``) needs
      ``got = +-inf``; within ``rtol`` of it either is accepted.
    * ``ref == 0`` needs ``got == 0`` exactly.
    * Otherwise ``|got - ref| <= rtol * max(|ref|, abs_scale) + slack`` with
      ``slack = 2 * n_terms * smallest_subnormal * max(1, 1 / |log_base|)``: results in the
      subnormal range cannot carry relative accuracy (each per-entry term may round to the
      subnormal grid -- a careful term costs <= 1/2 ulp there, a few chained products <= 2 --
      and a base conversion by ``|log b| < 1`` magnifies that absolute error). A term that is
      lost altogether (computed as 0 where it is hundreds of subnormal ulps) still fails.
      The slack is invisible for any result above ~1e-305. ``abs_scale`` is for an entry whose
      value is a difference of O(1) quantities by definition (``gan``: ``2 JS - log 4``).

    ``rtol`` defaults to 1e-13 for float64 and to one float32 ulp (2**-23) for float32
    (the float64 result, rounded once to float32).
    """
    dt = np.dtype(dtype)
    if rtol is None:
        rtol = 1e-13 if dt == np.float64 else 2.0**-23
    g = np.asarray(got)
    if g.dtype != dt:
        return f"dtype {g.dtype}, expected {dt}"
    g = float(g)
    if math.isnan(g):
        return f"got NaN, reference {_fmt(ref)}"
    finfo = np.finfo(dt)
    with mpmath.workdps(WORK_DPS):
        if mpmath.isinf(ref):
            if g == float(ref):
                return None
            return f"got {g!r}, reference {_fmt(ref)}"
        fmax = mpmath.mpf(float(finfo.max))
        if abs(ref) > fmax * (1 + rtol):
            want = math.copysign(math.inf, float(mpmath.sign(ref)))
            if g == want:
                return None
            return f"got {g!r}, reference {_fmt(ref)} overflows: expected {want}"
        if abs(ref) > fmax * (1 - rtol) and math.isinf(g) and (g > 0) == (ref > 0):
            return None
        if ref == 0:
            return None if g == 0.0 else f"got {g!r}, reference is exactly 0"
        if math.isinf(g):
            return f"got {g!r}, reference {_fmt(ref)} is finite"
        tiny = mpmath.mpf(float(finfo.smallest_subnormal))
        amp = 1 if log_base is None else max(1, 1 / abs(mpmath.log(mpmath.mpf(float(log_base)))))
        slack = 2 * n_terms * tiny * amp
        scale = abs(ref) if abs_scale is None else max(abs(ref), mpmath.mpf(abs_scale))
        err = abs(mpmath.mpf(g) - ref)
        if err <= rtol * scale + slack:
            return None
        return (f"got {g!r}, reference {_fmt(ref)}: relative error "
                f"{float(err / abs(ref)):.3g} (tolerance {rtol:.3g})")


def assert_matches(got, ref, **kw) -> None:
    """``assert`` :func:`mismatch` is None, with the reason as the message."""
    why = mismatch(got, ref, **kw)
    assert why is None, why


def _fmt(ref) -> str:
    if mpmath.isinf(ref):
        return "inf" if ref > 0 else "-inf"
    return mpmath.nstr(ref, 17)
