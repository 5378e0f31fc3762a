r"""Evaluation of a record over arrays: the one code path behind every array door.

:func:`divergence` is the public door (validation, broadcasting, ``axis``, ``base``,
result convention) used by :func:`divlab.kl`, :func:`divlab.js`, ...,
:func:`divlab.f_divergence`; :func:`divergence_kernel` is the trusted kernel for internal
callers (plug-in estimators, adversarial diagnostics) whose inputs are already valid.

For a record with terms :math:`t_i = q_i\tilde f(p_i/q_i)` (:mod:`divlab.fdiv.terms`) the
value along the reduced axis is

.. math:: D = f(1) + \min\Big(\max\big(\textstyle\sum_i t_i,\, 0\big),\; \tilde f(0) +
          \tilde f'(\infty)\Big),

with :math:`t_i = q_i \tilde f(0)` where :math:`p_i = 0 < q_i`,
:math:`t_i = p_i \tilde f'(\infty)` where :math:`q_i = 0 < p_i`, and exactly the upper
bound when the supports are disjoint (JS = log 2, TV = 1, H² = 2 exactly).

The input checks that need the data (finite, non-negative, normalised) are computed beside
the result from statistics of the same pass (row sums and minima); they are read back once
at the door on eager backends, and embedded in the task graph on lazy ones (Dask), so the
kernel itself never leaves the device.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from .._array import array_namespace, as_result, pair_reduce
from .._validate import (
    broadcast_probability_pair,
    check_bool,
    check_positive,
    probability_pair_problem,
    settle,
)
from ..errors import ParameterError
from .record import FDivergence
from .terms import Terms

__all__ = ["divergence", "divergence_kernel", "reduce_door", "log_base", "record_terms", "bounds"]


def log_base(base: Any) -> float | None:
    """``log(base)`` (None for the natural log); validates ``base`` (> 0, finite, not 1)."""
    if base is None:
        return None
    if isinstance(base, (str, bytes)):  # check_positive would parse "2"
        raise ParameterError(f"`base` must be a real number, got {base!r}")
    b = check_positive(base, "base")
    if b == 1.0:
        raise ParameterError("`base` must be a positive number other than 1, got 1")
    return math.log(b)


def record_terms(fd: FDivergence) -> Terms:
    """The record's accurate terms, or terms formed from its generator ``f``."""
    if fd.terms is not None:
        return fd.terms
    f1, fp1, f_fn = fd.f_at_1, fd.f_prime_at_1, fd.f_fn

    def ratio(p, q, xp):
        return p / q

    def from_generator(p, q, u, xp):
        return q * f_fn(u, xp) - q * f1 - fp1 * (p - q)

    return Terms(ratio, from_generator)


def bounds(fd: FDivergence) -> tuple[float, float, float]:
    r"""``(f~(0), f~'(inf), upper)``: the limits of :math:`\tilde f` and the bound of the sum
    of the terms (``inf`` for unbounded divergences)."""
    f0 = fd.f_at_0 - fd.f_at_1 + fd.f_prime_at_1
    fpinf = fd.f_prime_at_inf - fd.f_prime_at_1
    return f0, fpinf, f0 + fpinf


def _row_block(fd: FDivergence):
    """The row reduction of ``fd``: ``(p, q, xp, positive) -> (sums of terms, overlaps)``."""
    terms = record_terms(fd)
    f0, fpinf, upper = bounds(fd)
    bounded = math.isfinite(upper)

    def block(p: Any, q: Any, xp: ModuleType, positive: bool) -> tuple[Any, ...]:
        if positive:  # every entry > 0 (known without reading the data back)
            t = terms.evaluate(p, q, xp)
            vals = xp.sum(t, axis=-1)
            if not bounded:
                return (vals,)
            return vals, xp.full_like(vals, float(p.shape[-1]))
        zero = xp.zeros_like(p)
        one = xp.ones_like(p)
        pos = xp.logical_and(p > 0, q > 0)
        t = terms.evaluate(xp.where(pos, p, one), xp.where(pos, q, one), xp)
        t = xp.where(pos, t, zero)
        only_q = xp.logical_and(p == 0, q > 0)
        only_p = xp.logical_and(q == 0, p > 0)
        t = t + _one_sided(terms, q, f0, only_q, xp, p_is_zero=True)
        t = t + _one_sided(terms, p, fpinf, only_p, xp, p_is_zero=False)
        vals = xp.sum(t, axis=-1)
        if not bounded:
            return (vals,)
        return vals, xp.sum(xp.where(pos, one, zero), axis=-1)

    return block


def _one_sided(
    terms: Terms, x: Any, limit: float, mask: Any, xp: ModuleType, *, p_is_zero: bool
) -> Any:
    """The terms where one side is 0 (``mask``): the record's own one-sided terms if it has
    them, else ``x * limit`` (``limit`` itself if infinite); 0 elsewhere."""
    zero = xp.zeros_like(x)
    if (terms.p_zero if p_is_zero else terms.q_zero) is not None:
        own = terms.one_sided(xp.where(mask, x, xp.ones_like(x)), xp, p_is_zero=p_is_zero)
        return xp.where(mask, own, zero)
    if math.isfinite(limit):
        return xp.where(mask, x * limit, zero)
    return xp.where(mask, xp.full_like(x, limit), zero)


def _finish_rows(fd: FDivergence, parts: tuple[Any, ...], xp: ModuleType) -> Any:
    """Clamp the row sums into ``[0, upper]``, exact upper bound for disjoint supports,
    then add ``f(1)``."""
    _, _, upper = bounds(fd)
    vals = parts[0]
    vals = xp.where(vals < 0, xp.zeros_like(vals), vals)  # NaN-preserving clamps
    if math.isfinite(upper):
        vals = xp.where(vals > upper, xp.full_like(vals, upper), vals)
        vals = xp.where(parts[1] == 0, xp.full_like(vals, upper), vals)
    if fd.f_at_1 != 0.0:
        vals = vals + fd.f_at_1
    return vals


def divergence_kernel(fd: FDivergence, p: Any, q: Any, xp: ModuleType) -> Any:
    """Trusted kernel: ``D_f`` along the last axis of valid, same-shape 2-D float arrays
    ``p, q`` of shape ``(rows, n)``; float64 result of shape ``(rows,)``. No validation,
    no host reads."""
    parts, _ = pair_reduce(p, q, xp, _row_block(fd))
    return _finish_rows(fd, parts, xp)


def reduce_door(
    p: Any,
    q: Any,
    block: Any,
    finish_rows: Any,
    *,
    axis: Any = -1,
    keepdims: Any = False,
    base: Any = None,
    normalize: Any = False,
    names: tuple[str, str] = ("p", "q"),
    additive: bool = True,
    transform: Any = None,
) -> Any:
    """The public door of every row reduction over two probability arrays.

    Validates the options and the structure, broadcasts, runs ``block`` through
    :func:`divlab._array.pair_reduce`, maps the row parts to float64 row values with
    ``finish_rows(parts, xp)``, changes the base, applies ``transform(rows, xp)`` (still in
    float64), casts, and settles the deferred input check (see module doc).
    """
    scale = log_base(base)
    keepdims = check_bool(keepdims, "keepdims")
    normalize = check_bool(normalize, "normalize")
    xp = array_namespace(p, q)
    pair = broadcast_probability_pair(p, q, axis=axis, normalize=normalize, names=names, xp=xp)
    parts, stats = pair_reduce(pair.p2, pair.q2, xp, block, additive=additive)
    rows = finish_rows(parts, xp)
    total = pair.finish(rows, keepdims=keepdims, scale=scale, transform=transform)
    total = settle(
        total, pair.ok(stats), xp, lambda: probability_pair_problem(pair),
        lambda: pair.problem_code(stats), names,
    )
    return as_result(total, xp)


def divergence(
    fd: FDivergence,
    p: Any,
    q: Any,
    *,
    axis: Any = -1,
    keepdims: Any = False,
    base: Any = None,
    normalize: Any = False,
    names: tuple[str, str] = ("p", "q"),
    transform: Any = None,
) -> Any:
    """The public door for record ``fd``: validate, evaluate, finish (see module doc).

    ``transform(rows, xp)`` is applied to the float64 values (after the change of base)
    before the cast to the output dtype: :func:`divlab.js_distance` takes its square root
    there, so float32 results are the rounded square root, not the root of a rounded value.
    """
    return reduce_door(
        p, q, _row_block(fd), lambda parts, xp: _finish_rows(fd, parts, xp),
        axis=axis, keepdims=keepdims, base=base, normalize=normalize, names=names,
        transform=transform,
    )
