"""Small numerical helpers of the f-divergence records (xp-generic, warning-free).

Everything here is written with the array namespace ``xp`` only, so it runs on NumPy,
CuPy, PyTorch, Dask and ``array_api_strict`` alike.
"""

from __future__ import annotations

import functools
import math
from types import ModuleType
from typing import Any

import numpy as np

from .._array import softplus

LOG2 = math.log(2.0)
INF = math.inf


def _np_dtype(dtype: Any, xp: ModuleType) -> type:
    return np.float32 if xp.finfo(dtype).bits == 32 else np.float64


@functools.lru_cache(maxsize=64)
def _below_np(value: float, bits: int) -> float:
    dt = np.float32 if bits == 32 else np.float64
    return float(np.nextafter(dt(value), dt(-np.inf)))


def _below(value: float, x: Any, xp: ModuleType) -> float:
    """The largest float of ``x``'s dtype that is strictly below ``value``."""
    return _below_np(float(value), xp.finfo(x.dtype).bits)


@functools.lru_cache(maxsize=8)
def _exp_limit(bits: int) -> float:
    dt = np.float32 if bits == 32 else np.float64
    lim = dt(np.log(np.finfo(dt).max))
    with np.errstate(over="ignore"):
        while not np.isfinite(np.exp(lim)):
            lim = np.nextafter(lim, dt(-np.inf))
    return float(lim)


def _exp_sat(x: Any, xp: ModuleType) -> Any:
    """``exp(x)`` saturated at the largest finite float instead of overflowing to ``inf``."""
    return xp.exp(xp.minimum(x, _exp_limit(xp.finfo(x.dtype).bits)))


def _exp_inf(x: Any, xp: ModuleType) -> Any:
    """``exp(x)``, ``inf`` where it overflows, without an overflow warning."""
    lim = _exp_limit(xp.finfo(x.dtype).bits)
    return xp.where(x > lim, INF, xp.exp(xp.minimum(x, lim)))


def _pos(x: Any, xp: ModuleType) -> Any:
    """``x`` where ``x > 0``, else 1 (a safe argument for ``log`` / division)."""
    return xp.where(x > 0, x, xp.ones_like(x))


def _log(x: Any, xp: ModuleType) -> Any:
    """``log(x)`` with ``log(0) = -inf`` and no divide-by-zero warning (``x >= 0``)."""
    return xp.where(x > 0, xp.log(_pos(x, xp)), -INF)


def _log_softplus(x: Any, xp: ModuleType) -> Any:
    """Stable ``log(softplus(x))``: equals ``x`` to double precision for ``x < -40``."""
    xs = xp.maximum(x, xp.full_like(x, -40.0))
    return xp.where(x < -40.0, x, xp.log(softplus(xs, xp)))


def _log_wright_omega(L: Any, xp: ModuleType, n_iter: int = 8) -> Any:
    r"""``y = log W(e^L)``, i.e. the root of :math:`e^y + y = L`, for any real ``L``.

    Newton's method on the convex increasing :math:`h(y) = e^y + y - L`, started to the
    right of the root (``y0 = log L`` for ``L > 1`` else ``L``) so the iterates decrease
    monotonically; 8 steps reach machine precision for every finite ``L``.
    """
    big = L > 1.0
    y = xp.where(big, xp.log(xp.where(big, L, xp.ones_like(L))), L)
    for _ in range(n_iter):
        ey = xp.exp(y)
        y = y - (ey + y - L) / (ey + 1.0)
    return y


def horner(x: Any, coeffs: list[float] | tuple[float, ...]) -> Any:
    """``coeffs[0] + coeffs[1] x + ...`` by Horner's rule (arrays and floats)."""
    acc = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        acc = acc * x + c
    return acc


def below_act(out: Any, hi: float, xp: ModuleType) -> Any:
    """Keep an activation strictly below an open upper end ``hi`` despite rounding."""
    return xp.minimum(out, xp.full_like(out, _below(hi, out, xp)))


def identity(v: Any, xp: ModuleType) -> Any:
    r"""The identity activation :math:`g_f(v) = v` (where dom f* is the real line)."""
    return v


def log_ratio(p: Any, q: Any, xp: ModuleType) -> Any:
    """``log(p/q)`` to a few ulp for all ``p, q > 0`` (safe inputs in every branch)."""
    one = xp.ones_like(p)
    d = (p - q) / q
    near = d >= -0.5  # p >= q/2: log1p of the relative difference
    extreme = xp.logical_or(q < 2.0**-1000 * p, p < 2.0**-1000 * q)
    lp = xp.log1p(xp.where(near, d, xp.zeros_like(d)))
    ratio = xp.where(extreme | near, one, p) / xp.where(extreme | near, one, q)
    lr = xp.log(ratio)
    ld = xp.log(xp.where(extreme, p, one)) - xp.log(xp.where(extreme, q, one))
    return xp.where(extreme, ld, xp.where(near, lp, lr))
