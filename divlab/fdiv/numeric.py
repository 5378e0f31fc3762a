r"""Numeric construction of an f-divergence from its generator alone.

:meth:`FDivergence.from_generator` lands here: :math:`f'` by Richardson-extrapolated
central differences, the limits :math:`f(0)` and :math:`f'(\infty)`, the conjugate by a
vectorised golden-section search, a default activation. User callables are NumPy
functions; for other namespaces the kernels make one host round trip.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import numpy as np

from .._array import from_numpy, softplus, to_numpy
from ..errors import BackendError, NotConvexError, ParameterError
from ._numerics import INF, _np_dtype, below_act, identity
from .record import FDivergence, Interval, Kernel, _fmt

__all__ = ["build_from_generator", "check_convex_values"]

_S_LO = math.log(1e-300)
_S_HI = math.log(1e300)
_LIMIT_EXPONENTS = (50, 100, 200, 300)


def _host(fn: Callable[[np.ndarray], Any]) -> Kernel:
    """Wrap a NumPy-only callable as a kernel: one host round trip for other namespaces."""

    def kernel(x: Any, xp: ModuleType) -> Any:
        if getattr(x, "requires_grad", False):  # a host copy would silently drop the gradient
            raise BackendError(
                "this f-divergence was built from NumPy callables (FDivergence.from_generator): "
                "gradients cannot flow through them; pass tensors without requires_grad, or "
                "build the entry with array-API kernels (f_fn(u, xp), ...)"
            )
        xn = np.asarray(to_numpy(x), dtype=np.float64)
        with np.errstate(all="ignore"):
            out = np.asarray(fn(xn), dtype=np.float64)
        out = np.broadcast_to(out, xn.shape)
        dt = x.dtype
        out = np.array(out, dtype=_np_dtype(dt, xp), order="C")  # 0-d stays 0-d
        return from_numpy(out, xp, like=x)

    return kernel


def _call(fn: Callable[[np.ndarray], Any], u: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.broadcast_to(np.asarray(fn(u), dtype=np.float64), np.shape(u)).copy()


def _numeric_derivative(
    f: Callable[[np.ndarray], Any], fp0: float
) -> Callable[[np.ndarray], np.ndarray]:
    """Richardson-extrapolated central difference with relative step 1e-3; ``f'(0) = fp0``.

    Accuracy about ``1e-10`` relative where ``|f(u)| / u`` is moderate; for ``u < 1e-6``
    with ``f(0) != 0`` rounding dominates (about ``1e-13 |f(u)| / u``).
    """

    def fp(u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=np.float64)
        us = np.where(u > 0, u, 1.0)
        h = 1e-3 * us
        d1 = (_call(f, us + h) - _call(f, us - h)) / (2 * h)
        d2 = (_call(f, us + h / 2) - _call(f, us - h / 2)) / h
        return np.where(u > 0, (4.0 * d2 - d1) / 3.0, fp0)

    return fp


def _slope_at_zero(f: Callable, f0: float) -> float:
    """:math:`f'(0^+)` as the limit of secant slopes ``(f(u) - f(0)) / u``; -inf if f(0) = inf."""
    if not math.isfinite(f0):
        return -INF
    u = np.asarray([1e-4, 1e-6, 1e-8])
    s = (_call(f, u) - f0) / u
    if np.all(np.isfinite(s)) and abs(s[-1] - s[-2]) <= 1e-3 * (1.0 + abs(s[-1])):
        return float(s[-1])
    return -INF


def _limit(values: np.ndarray, sign: float) -> float:
    """Limit of a monotone sequence from its finite terms; ``sign * inf`` if not converged.

    Terms that overflowed (non-finite) are dropped; the limit is the last finite term when
    the last two finite terms agree to ``1e-6``, snapped to 0 when indistinguishable from 0.
    """
    vals = values[np.isfinite(values)]
    if vals.size < 2:
        return sign * INF
    a, b = vals[-2], vals[-1]
    if abs(b - a) <= 1e-6 * (1.0 + abs(b)):
        # the limit is known to about |b - a|: snap values indistinguishable from 0
        return 0.0 if abs(b) <= 10.0 * abs(b - a) else float(b)
    return sign * INF


def _value_at_hi(f: Callable, hi: float) -> float:
    """``sup_u (u hi - f(u)) = lim_{u -> inf} (u hi - f(u))`` (f convex, hi = f'(inf)).

    Finite (closed domain end) when ``u hi - f(u)`` has converged over ``u = 1e5 .. 1e8``;
    ``inf`` otherwise.
    """
    u = np.asarray([1e5, 1e6, 1e7, 1e8])
    g = u * hi - _call(f, u)
    if np.all(np.isfinite(g)) and abs(g[-1] - g[-2]) <= 1e-5 * (1.0 + abs(g[-1])):
        return float(g[-1])
    return INF


def _numeric_conjugate(
    f: Callable, f0: float, domain: Interval, value_at_hi: float
) -> Callable[[np.ndarray], np.ndarray]:
    r"""Vectorised :math:`f^*(t) = \sup_{u\ge0} ut - f(u)` by golden-section search.

    :math:`\varphi(u) = ut - f(u)` is concave in :math:`u`, hence unimodal in
    :math:`s = \log u`; the search runs over :math:`s \in [\log 10^{-300}, \log 10^{300}]`
    (90 steps, bracket ``< 1e-15`` wide relative) and the value is
    :math:`\max(\varphi(u_{\rm best}), -f(0))`, so maximisers at ``u = 0`` are exact.
    Ties on a rounding plateau move right (towards the interior maximum), ties at ``-inf``
    (overflow) move left.
    """

    def conj(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        shape = t.shape
        t = t.reshape(-1)

        def phi(s: np.ndarray) -> np.ndarray:
            u = np.exp(s)
            with np.errstate(all="ignore"):
                val = u * t - _call(f, u)
            return np.where(np.isnan(val), -INF, val)

        g = (math.sqrt(5.0) - 1.0) / 2.0
        a = np.full(t.shape, _S_LO)
        b = np.full(t.shape, _S_HI)
        c = b - g * (b - a)
        d = a + g * (b - a)
        fc, fd = phi(c), phi(d)
        for _ in range(90):
            right = (fc < fd) | ((fc == fd) & (fc > -INF))
            a = np.where(right, c, a)
            b = np.where(right, b, d)
            new = np.where(right, a + g * (b - a), b - g * (b - a))
            fnew = phi(new)
            c, d, fc, fd = (
                np.where(right, d, new),
                np.where(right, new, c),
                np.where(right, fd, fnew),
                np.where(right, fnew, fc),
            )
        val = np.maximum(fc, fd)
        if math.isfinite(f0):
            val = np.maximum(val, -f0)
        inside = np.asarray(domain.contains(t))
        out = np.where(inside, val, INF)
        if domain.hi_closed:  # the supremum is a limit u -> inf there
            out = np.where(t == domain.hi, value_at_hi, out)
        out = np.where(np.isnan(t), np.nan, out)
        return out.reshape(shape)

    return conj


def _default_activation(domain: Interval) -> Kernel:
    hi = domain.hi
    if math.isinf(hi):
        return identity

    def act(v: Any, xp: ModuleType) -> Any:
        out = hi - softplus(-v, xp)
        return out if domain.hi_closed else below_act(out, hi, xp)

    return act


def build_from_generator(
    cls: type[FDivergence],
    f: Callable[[np.ndarray], Any],
    *,
    name: str,
    f_prime: Callable | None,
    display_name: str | None,
    f_at_1: float,
    f_at_0: float | None,
    f_prime_at_inf: float | None,
    conjugate: Callable | None,
    conjugate_domain: Interval | None,
    activation: Callable | None,
    conjugate_activation: Callable | None,
    latex: Mapping[str, str] | None,
) -> FDivergence:
    if not callable(f):
        raise ParameterError(f"`f` must be callable, got {type(f).__name__}")
    if not isinstance(name, str) or not name:
        raise ParameterError(f"`name` must be a non-empty string, got {name!r}")
    f_at_1 = float(f_at_1)
    f1 = float(_call(f, np.asarray([1.0]))[0])
    if not (math.isfinite(f1) and math.isclose(f1, f_at_1, rel_tol=1e-9, abs_tol=1e-9)):
        raise NotConvexError(
            f"`f` must satisfy f(1) = {f_at_1:g} for an f-divergence, but f(1) = {f1!r} "
            "(subtract the constant, or pass f_at_1= to allow a shifted generator)"
        )
    grid = np.geomspace(1e-6, 1e6, 601)
    check_convex_values(grid, _call(f, grid), name)
    small = np.asarray([10.0**-k for k in _LIMIT_EXPONENTS])
    large = np.asarray([10.0**k for k in _LIMIT_EXPONENTS])
    if f_at_0 is None:
        direct = float(_call(f, np.asarray([0.0]))[0])
        f_at_0 = direct if not math.isnan(direct) else _limit(_call(f, small), +1.0)
    f_at_0 = float(f_at_0)
    fp = f_prime if f_prime is not None else _numeric_derivative(f, _slope_at_zero(f, f_at_0))
    # convexity across 0: f(0) >= ... slope from 0 to the grid must not exceed later slopes
    if math.isfinite(f_at_0):
        check_convex_values(
            np.concatenate([[0.0], grid]), np.concatenate([[f_at_0], _call(f, grid)]), name
        )
    if f_prime_at_inf is None:
        if f_prime is not None:
            f_prime_at_inf = _limit(_call(fp, large), +1.0)
        else:  # secant slopes (f(2u) - f(u)) / u lie between f'(u) and f'(2u)
            with np.errstate(all="ignore"):
                secant = (_call(f, 2.0 * large) - _call(f, large)) / large
            f_prime_at_inf = _limit(secant, +1.0)
    f_prime_at_inf = float(f_prime_at_inf)
    hi_value = _value_at_hi(f, f_prime_at_inf) if math.isfinite(f_prime_at_inf) else INF
    if conjugate_domain is None:
        closed = math.isfinite(hi_value)
        conjugate_domain = Interval(-INF, f_prime_at_inf, hi_closed=closed)
    if conjugate is None:
        conjugate = _numeric_conjugate(f, f_at_0, conjugate_domain, hi_value)
    conj = conjugate
    conj_k = _host(conj)
    act_k = _host(activation) if activation is not None else _default_activation(conjugate_domain)
    if conjugate_activation is not None:
        fused_k = _host(conjugate_activation)
    else:

        def fused_k(v: Any, xp: ModuleType) -> Any:
            return conj_k(act_k(v, xp), xp)

    f_k = _host(f)
    fp_k = _host(fp)
    fp1 = float(_call(fp, np.asarray([1.0]))[0])
    tex = {
        "f": rf"\text{{{name}}}",
        "conjugate": r"\text{numerical}",
        "activation": "v"
        if math.isinf(conjugate_domain.hi)
        else rf"{_fmt(conjugate_domain.hi, True)}-\log\left(1+e^{{-v}}\right)",
        "domain": conjugate_domain.latex(),
        "optimal_critic": r"f'\!\left(\frac{p}{q}\right)",
        "divergence": r"\int q\,f\!\left(\frac{p}{q}\right)dx",
    }
    tex.update(dict(latex or {}))
    return cls(
        name=name,
        display_name=display_name or name,
        f_fn=f_k,
        f_prime_fn=fp_k,
        conjugate_fn=conj_k,
        activation_fn=act_k,
        conjugate_activation_fn=fused_k,
        conjugate_domain=conjugate_domain,
        f_prime_at_1=fp1,
        f_at_0=f_at_0,
        f_prime_at_inf=f_prime_at_inf,
        f_at_1=f_at_1,
        latex=tex,
    )


def check_convex_values(u: np.ndarray, fu: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(fu)):
        bad = u[~np.isfinite(fu)][0]
        raise NotConvexError(
            f"`f` of {name!r} must be finite on (0, inf); f({bad:g}) = {fu[~np.isfinite(fu)][0]}"
        )
    slopes = np.diff(fu) / np.diff(u)
    scale = 1e-7 * (1.0 + np.abs(slopes[1:]) + np.abs(slopes[:-1]))
    rounding = 64 * np.finfo(np.float64).eps * (np.abs(fu[1:-1]) + 1.0) / np.diff(u)[1:]
    drop = slopes[:-1] - slopes[1:]
    bad = drop > scale + rounding
    if np.any(bad):
        i = int(np.argmax(bad)) + 1
        raise NotConvexError(
            f"`f` of {name!r} is not convex: its slope decreases near u = {u[i]:.4g} "
            f"({slopes[i - 1]:.6g} before, {slopes[i]:.6g} after)"
        )
