r"""Exact Wasserstein distance between distributions on the real line (closed form).

On :math:`\mathbb{R}` the optimal coupling is the monotone (quantile) coupling, so

.. math::

    W_p(\mu, \nu) = \Big(\int_0^1 |F_\mu^{-1}(t) - F_\nu^{-1}(t)|^p \, dt\Big)^{1/p},

which for two weighted samples is a finite sum over the merged breakpoints of the two
cumulative distribution functions. The cost is one sort per sample plus a linear-time
merge: :math:`O((n + m)\log(n + m))`.

Cost in NumPy (issue #10, ``benchmarks/bench_oned.py``, ``docs/benchmarks-oned.md``): two
unweighted samples cost two ``np.sort`` calls and a few linear passes (a pairing for equal
sizes, a gather on the cached data-independent grid otherwise); a weighted sample costs an
``np.argsort`` and the gathers of its values and weights, a sample without weights beside a
weighted one only a sort; the two CDFs are merged by a stable sort of the two concatenated
sorted runs (timsort merges the two runs in linear time). The sorts are the floor: at
n = 1e6 the unweighted path takes 1.05–1.2 times the time of the two sorts alone.

The kernels use ``xp`` operations only and read no value back to the host: the exact
power-of-two rescaling of samples near the ends of the float range is device arithmetic
(:func:`divlab._array.pow2_floor`), so :func:`wasserstein_1d` runs lazily (Dask), on the GPU
and under PyTorch autograd (its gradient is the one of the sorted-pairing formula). For two
unweighted samples the merged quantile grid does not depend on the data; it is computed once,
exactly, on the host (:func:`uniform_quantile_grid`, also used by the sliced distances);
weights that are all equal take that unweighted path too.

The batched formula (:func:`_batched_wpp`, one problem per row) is the one home of the 1-D
cost for many problems at once: :func:`wasserstein_1d` with ``axis`` (one problem per column,
say) and the sliced distances call it. :func:`wasserstein_1d_plan` returns the optimal
(monotone) coupling itself as sparse ``(i, j, mass)`` triplets.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .. import _native
from .._array import (
    array_namespace,
    as_result,
    device_rescale_pair,
    from_numpy,
    is_lazy,
    is_numpy,
    pow2_floor,
    result_float_dtype,
    run_pair,
    to_numpy,
    vdot,
)
from .._validate import argument_hints, as_float_array, check_axis, check_finite, check_weights
from ..errors import EmptyInputError, ParameterError, ShapeMismatchError

__all__ = [
    "wasserstein_1d",
    "wasserstein_1d_power",
    "wasserstein_1d_plan",
    "MonotonePlan",
    "uniform_quantile_grid",
]


def _check_p(p: Any) -> float:
    if isinstance(p, bool):
        raise ParameterError(f"`p` must be a real number >= 1, got {p!r}")
    try:
        pf = float(p)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"`p` must be a real number >= 1, got {p!r}") from exc
    if not (pf >= 1.0) or math.isinf(pf):
        raise ParameterError(
            f"`p` must be a finite number >= 1 (W_p is a metric only then), got {p!r}"
        )
    return pf


def _check_line_samples(u: Any, name: str, xp: ModuleType) -> Any:
    u = as_float_array(u, name, xp)
    if u.ndim == 2 and u.shape[1] == 1:
        u = xp.reshape(u, (-1,))
    if u.ndim != 1:
        raise ShapeMismatchError(
            f"`{name}` must be 1-D (n,) or (n, 1) points on the line, got shape {tuple(u.shape)}"
        )
    if u.shape[0] == 0:
        raise EmptyInputError(f"`{name}` is empty (shape {tuple(u.shape)})")
    check_finite(u, name, xp)
    return u


#: Both samples at least this long: NumPy sorts them on two threads (divlab._array.run_pair;
#: below, a thread start costs more than it saves).
_CONCURRENT_SORT_SIZE = 1 << 16


def _pow_abs(d: Any, p: float, xp: ModuleType) -> Any:
    if p == 1.0:
        return xp.abs(d)
    if p == 2.0:
        return d * d
    return xp.abs(d) ** p


def _sort(u: Any, xp: ModuleType) -> Any:
    """Sorted copy of the 1-D sample ``u`` (the compiled radix sort where it is faster)."""
    if _native.usable(xp, u):
        return _native.sort(u)
    # stable=False: NumPy's vectorised quicksort (the array-API default is a stable sort)
    return xp.sort(u, stable=False)


def _sorted_with_weights(u: Any, w: Any, xp: ModuleType) -> tuple[Any, Any]:
    """Array-API path: the sample sorted with its weights following (the compiled path is
    :func:`divlab._native.sorted_cdf`, taken by :func:`_sorted_cdf` first)."""
    # stable: tied values accumulate their weights in input order on every path (the
    # compiled radix sort is stable too), so the CDF's rounding does not depend on the sort
    order = xp.argsort(u, stable=True)
    return xp.take(u, order), xp.take(w, order)


def _cdf(w_sorted: Any, xp: ModuleType) -> Any:
    c = xp.cumulative_sum(w_sorted)
    # Dividing by the last entry makes it exactly 1.0 (x / x == 1 in IEEE arithmetic) and
    # keeps the sequence non-decreasing.
    return c / c[-1]


def _merged_indices(
    keys_u: Any, keys_v: Any, xp: ModuleType
) -> tuple[Any, Any, Any]:
    """Merge two sorted CDF breakpoint arrays.

    Returns the merged breakpoints ``t`` and, for each interval ``(t[k-1], t[k]]``, the
    index of the ``u`` and ``v`` atoms whose quantile function is constant on it: the
    number of breakpoints of that sample at or before ``t[k-1]`` (clipped to the last
    atom; clipping only affects zero-length intervals).

    The merge is a stable argsort of the two concatenated sorted runs: NumPy's timsort finds
    the two runs and merges them in linear time (measured at n + m = 1.7e6 in one process:
    34 ms, where ``searchsorted`` of one run into the other took 52 ms and an unstable
    argsort of the concatenation about ten times longer). Ties put ``u`` first; the
    interval between tied breakpoints has length 0.
    """
    n, m = keys_u.shape[0], keys_v.shape[0]
    allk = xp.concat([keys_u, keys_v])
    order = xp.argsort(allk, stable=True)
    t = xp.take(allk, order)
    from_u = xp.astype(order < n, xp.int64)
    del order, allk
    # atoms of u strictly before each position (include_initial=True costs a copy in compat)
    iu = xp.cumulative_sum(from_u)
    iu -= from_u
    del from_u
    iv = xp.arange(n + m, dtype=xp.int64)
    iv -= iu
    iu = xp.minimum(iu, xp.asarray(n - 1, dtype=xp.int64))
    iv = xp.minimum(iv, xp.asarray(m - 1, dtype=xp.int64))
    return t, iu, iv


def uniform_quantile_grid(n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Merged quantile grid of two uniform measures with ``n`` and ``m`` atoms (host, exact).

    On the integer grid :math:`k / (nm)` the CDF breakpoints are the multiples of ``m``
    (first measure) and of ``n`` (second); their merged order is known in closed form (key
    :math:`(i+1)m` has :math:`\lfloor((i+1)m - 1)/n\rfloor` smaller keys of the second
    measure; ties go to the first), so the merge is a scatter, without a sort. On the
    interval :math:`(t_{k-1}, t_k]` both quantile functions are constant, at atoms
    ``iu[k] = t_{k-1} // m`` and ``iv[k] = t_{k-1} // n`` of the sorted samples, and

    .. math::

        W_p^p = \sum_k \frac{\mathrm{dk}_k}{nm}\,|u_{(iu_k)} - v_{(iv_k)}|^p .

    The grid does not depend on the data: it is the one place where the pairing of two
    unequal-size samples is written (:func:`wasserstein_1d` and the sliced distances).

    Returns
    -------
    dk : ndarray of int64, shape (n + m,)
        Interval lengths in units of :math:`1/(nm)` (exact integers; zero-length intervals
        at common breakpoints).
    iu, iv : ndarray of int64, shape (n + m,)
        Indices of the quantile atoms of each sample on each interval.

    Examples
    --------
    >>> dk, iu, iv = uniform_quantile_grid(2, 3)
    >>> dk.tolist(), iu.tolist(), iv.tolist()
    ([2, 1, 1, 2, 0], [0, 0, 1, 1, 1], [0, 1, 1, 2, 2])
    """
    ku = np.arange(1, n + 1, dtype=np.int64) * m
    kv = np.arange(1, m + 1, dtype=np.int64) * n
    t = np.empty(n + m, dtype=np.int64)
    t[np.arange(n) + (ku - 1) // n] = ku
    t[np.arange(m) + kv // m] = kv
    prev = np.empty_like(t)
    prev[0] = 0
    prev[1:] = t[:-1]
    iu = np.minimum(prev // m, n - 1)
    iv = np.minimum(prev // n, m - 1)
    return t - prev, iu, iv


def _sorted_rows_with_weights(px: Any, w: Any, xp: ModuleType) -> tuple[Any, Any, Any]:
    """Sort rows of ``px`` (k, n); return sorted values, cumulative weights and the order."""
    order = xp.argsort(px, axis=1, stable=False)
    sx = xp.take_along_axis(px, order, axis=1)
    wx = xp.take(w, xp.reshape(order, (-1,)), axis=0)
    cw = xp.cumulative_sum(xp.reshape(wx, order.shape), axis=1)
    return sx, cw, order


def _quantile_merge(
    px: Any, py: Any, wa: Any, wb: Any, p: float, xp: ModuleType
) -> tuple[Any, tuple[Any, ...]]:
    r"""Batched 1-D :math:`W_p^p` between weighted samples, one row per problem.

    Merges the two quantile functions: on each interval between consecutive cumulative
    weights (of either measure), both quantile functions are constant, so
    :math:`W_p^p = \sum_l \Delta_l |Q_x(t_l) - Q_y(t_l)|^p`.
    Returns the costs (k,) and the pieces needed for a gradient.
    """
    n, m = px.shape[1], py.shape[1]
    sx, cx, ox = _sorted_rows_with_weights(px, wa, xp)
    sy, cy, oy = _sorted_rows_with_weights(py, wb, xp)
    allc = xp.concat([cx, cy], axis=1)
    order = xp.argsort(allc, axis=1, stable=True)
    t = xp.take_along_axis(allc, order, axis=1)
    t = xp.minimum(t, xp.ones_like(t))
    prev = xp.concat([xp.zeros_like(t[:, :1]), t[:, :-1]], axis=1)
    delta = xp.maximum(t - prev, xp.zeros_like(t))
    isx = xp.astype(order < n, xp.int64)
    ix = xp.clip(xp.cumulative_sum(isx, axis=1) - isx, 0, n - 1)
    isy = 1 - isx
    iy = xp.clip(xp.cumulative_sum(isy, axis=1) - isy, 0, m - 1)
    r = xp.take_along_axis(sx, ix, axis=1) - xp.take_along_axis(sy, iy, axis=1)
    cost = xp.sum(delta * _pow_abs(r, p, xp), axis=1)
    return cost, (delta, r, ox, oy, ix, iy)


def _batched_wpp(
    px: Any, py: Any, wa: Any, wb: Any, p: float, xp: ModuleType, need_order: bool = False
) -> tuple[Any, tuple[Any, ...]]:
    """:math:`W_p^p` per row of ``px`` (k, n), ``py`` (k, m): the batched 1-D formula (used
    by :func:`wasserstein_1d` with ``axis`` and by the sliced distances). ``wa``, ``wb``:
    normalised weights (n,), (m,) shared by all rows, or ``None`` (uniform).

    With ``need_order`` the sort permutations are returned too (for a gradient).
    """
    n, m = px.shape[1], py.shape[1]
    if wa is None and wb is None and not need_order:
        # uniform weights: the merged breakpoints i/n, j/m do not depend on the data
        # stable=False: NumPy's vectorised quicksort (the array-API default is a stable sort)
        sx, sy = xp.sort(px, axis=1, stable=False), xp.sort(py, axis=1, stable=False)
        if n == m:
            return xp.mean(_pow_abs(sx - sy, p, xp), axis=1), ()
        dk, ix, iy = _quantile_grid(n, m)
        r = xp.take(sx, from_numpy(ix, xp, like=px), axis=1) - xp.take(
            sy, from_numpy(iy, xp, like=py), axis=1
        )
        w = xp.astype(from_numpy(dk, xp, like=px), px.dtype) / (float(n) * float(m))
        return xp.sum(w[None, :] * _pow_abs(r, p, xp), axis=1), ()
    if wa is None and wb is None and n == m:
        ox = xp.argsort(px, axis=1, stable=False)
        oy = xp.argsort(py, axis=1, stable=False)
        r = xp.take_along_axis(px, ox, axis=1) - xp.take_along_axis(py, oy, axis=1)
        return xp.mean(_pow_abs(r, p, xp), axis=1), (None, r, ox, oy, None, None)
    dtype = px.dtype
    if wa is None:
        wa = xp.ones((px.shape[1],), dtype=dtype) / px.shape[1]
    if wb is None:
        wb = xp.ones((py.shape[1],), dtype=dtype) / py.shape[1]
    return _quantile_merge(px, py, wa, wb, p, xp)


def _drop_uniform(w: Any, name: str, n: int, xp: ModuleType) -> Any:
    """``None`` for given weights that are all equal (positive, finite): such weights take
    the unweighted path (sort and pair, no argsort). Weights are returned unchanged when
    they are lazy (Dask: deciding would compute the graph) or carry a gradient (PyTorch),
    or when they are not a valid vector of length ``n`` (the kernel's check then names the
    problem).
    One comparison on the host, at the door."""
    if w is None or is_lazy(xp) or getattr(w, "requires_grad", False):
        return w
    arr = as_float_array(w, name, xp)
    if arr.ndim != 1 or arr.shape[0] != n or n == 0:
        return w
    first = arr[0]
    if bool(xp.all(arr == first) & (first > 0) & xp.isfinite(first)):
        return None
    return w


@functools.lru_cache(maxsize=2)
def _cached_grid(n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return uniform_quantile_grid(n, m)


def _quantile_grid(n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`uniform_quantile_grid` for the kernels: the last two grids (up to 4e6 points)
    are cached, since repeated calls with the same sizes (slices, chunks, benchmarks) would
    rebuild the same data-independent arrays. The kernels only read them."""
    if n + m <= 4_000_000:
        return _cached_grid(n, m)
    return uniform_quantile_grid(n, m)


def _grid_dt(n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dk, iu, iv = uniform_quantile_grid(n, m)
    return dk / (float(n) * float(m)), iu, iv


_cached_grid_dt = functools.lru_cache(maxsize=2)(_grid_dt)


def _quantile_grid_dt(n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`uniform_quantile_grid` with the interval lengths as float64 fractions
    ``dk / (nm)`` (what :func:`wasserstein_1d` reads), cached like :func:`_quantile_grid`:
    the conversion would otherwise cost two passes over ``n + m`` entries per call."""
    if n + m <= 4_000_000:
        return _cached_grid_dt(n, m)
    return _grid_dt(n, m)


def _range_scale(us: Any, vs: Any, count: int, xp: ModuleType) -> Any:
    """Exact power of two (a 0-d array) to divide sorted samples by so that no difference
    overflows; exactly ``1`` for ordinary inputs. Device arithmetic only.

    ``max |u_i - v_j| <= max(u_max - v_min, v_max - u_min)`` (read off the ends of the sorted
    arrays, halved so that the bound itself cannot overflow); ``count`` such differences are
    summed, so the sum must stay finite too. Otherwise the scale brings the largest
    magnitude to [1, 2), and the scaled samples lie in [-2, 2].
    """
    lo_u, hi_u, lo_v, hi_v = us[0], us[-1], vs[0], vs[-1]
    half_bound = xp.maximum(hi_u / 2 - lo_v / 2, hi_v / 2 - lo_u / 2)
    limit = 0.25 * float(xp.finfo(us.dtype).max) / count
    top = xp.maximum(xp.maximum(xp.abs(lo_u), xp.abs(hi_u)),
                     xp.maximum(xp.abs(lo_v), xp.abs(hi_v)))
    return xp.where(half_bound < limit / 2, xp.ones_like(top), pow2_floor(top, xp))


def _sorted_cdf(u: Any, w: Any, xp: ModuleType) -> tuple[Any, Any]:
    """Sorted sample and its CDF at the sorted atoms (last entry exactly 1). A sample
    without weights (``w=None``) is sorted without a permutation (a sort, not an argsort:
    half the time in NumPy) and gets the uniform CDF ``(i + 1) / n``, exactly rounded."""
    if w is None:
        us = _sort(u, xp)
        return us, _cdf(xp.ones_like(us), xp)
    if _native.usable(xp, u, w):
        return _native.sorted_cdf(u, w)
    us, ws = _sorted_with_weights(u, w, xp)
    return us, _cdf(ws, xp)


def _quantile_differences(
    u: Any, v: Any, u_weights: Any, v_weights: Any, xp: ModuleType
) -> tuple[Any, Any, Any]:
    r"""``(dt, d, s)`` with :math:`W_p^p = s^p \sum_k dt_k |d_k|^p` (``dt=None``: uniform mean).

    ``u_weights``, ``v_weights``: ``None`` (uniform) or validated weights (non-negative,
    finite, positive sum; :func:`~divlab._validate.check_weights` at the door), normalised
    here through the CDF. ``s`` is a 0-d array: an exact power of two by which the samples
    were divided when their differences could overflow, exactly ``1`` otherwise.
    """
    dtype = u.dtype
    n, m = u.shape[0], v.shape[0]
    uniform = u_weights is None and v_weights is None
    # NumPy: the two sorts on two threads when both are large (they release the GIL)
    concurrent = is_numpy(xp) and min(n, m) >= _CONCURRENT_SORT_SIZE
    if uniform:
        us, vs = run_pair(lambda: _sort(u, xp), lambda: _sort(v, xp), concurrent=concurrent)
    else:
        (us, cu), (vs, cv) = run_pair(lambda: _sorted_cdf(u, u_weights, xp),
                                      lambda: _sorted_cdf(v, v_weights, xp),
                                      concurrent=concurrent)
    scale = _range_scale(us, vs, n + m, xp)
    if not (is_numpy(xp) and scale == 1):  # NumPy skips two passes over the data
        us, vs = us / scale, vs / scale  # exact; unchanged when scale == 1
    if uniform and n == m:
        return None, us - vs, scale
    if uniform:
        dt, iu, iv = _quantile_grid_dt(n, m)
        dt = xp.astype(from_numpy(dt, xp, like=us), dtype, copy=False)
        if _native.usable(xp, us, vs):
            return dt, _native.uniform_differences(us, vs), scale
        iu, iv = from_numpy(iu, xp, like=us), from_numpy(iv, xp, like=vs)
    elif _native.usable(xp, us, cu, vs, cv):
        dt, d = _native.merge_differences(us, cu, vs, cv)
        return dt, d, scale
    else:
        t, iu, iv = _merged_indices(cu, cv, xp)
        del cu, cv
        prev = xp.concat([xp.zeros((1,), dtype=dtype), t[:-1]])
        dt = t - prev
    return dt, xp.take(us, iu) - xp.take(vs, iv), scale


def _weighted_sum(dt: Any, x: Any, xp: ModuleType) -> Any:
    return xp.mean(x) if dt is None else vdot(dt, x, xp)


def _power_parts(
    u: Any, v: Any, u_weights: Any, v_weights: Any, p: float, xp: ModuleType
) -> tuple[Any, Any, Any]:
    r"""``(s, M, S)`` (0-d arrays) with :math:`W_p^p = (sM)^p S`, free of over- and underflow.

    Samples whose differences could overflow (near the float maximum) are first divided by
    an exact power of two ``s``. :math:`|d|^p` is then computed directly (``M = 1``) when
    :math:`\max|d|^p` is representable, else as :math:`\sum dt\,|d/M|^p` with
    :math:`M = \max|d|`. The choice is made on the device; for ordinary data
    ``s = M = 1`` exactly and ``S`` is the direct sum, bit for bit.
    """
    dt, d, scale = _quantile_differences(u, v, u_weights, v_weights, xp)
    one = xp.ones_like(scale)
    if p == 1.0:
        # d is a fresh array: NumPy takes |d| in place (no second array of n + m entries)
        ad = np.abs(d, out=d) if type(d) is np.ndarray else xp.abs(d)
        return scale, one, _weighted_sum(dt, ad, xp)
    big = xp.max(xp.abs(d))
    lim = 0.9 * math.log2(float(xp.finfo(u.dtype).max))
    pos = big > 0
    extreme = pos & (xp.abs(p * xp.log2(xp.where(pos, big, one))) >= lim)
    mfac = xp.where(extreme, big, one)
    return scale, mfac, _weighted_sum(dt, _pow_abs(d / mfac, p, xp), xp)


def _validated(u: Any, v: Any, p: Any, xp: ModuleType) -> tuple[Any, Any, float]:
    p = _check_p(p)
    u = _check_line_samples(u, "u", xp)
    v = _check_line_samples(v, "v", xp)
    dtype = result_float_dtype(xp, u, v)
    if u.dtype != dtype:
        u = xp.astype(u, dtype)
    if v.dtype != dtype:
        v = xp.astype(v, dtype)
    return u, v, p


def _validated_weights(u: Any, v: Any, u_weights: Any, v_weights: Any, xp: ModuleType, *,
                       names: tuple[str, str] = ("u_weights", "v_weights")) -> tuple[Any, Any]:
    """Weights at the door: ``None`` for absent or all-equal weights (the unweighted path),
    else checked and normalised by :func:`~divlab._validate.check_weights` (errors name
    the arguments ``names``). With :func:`_wasserstein_1d_kernel` this is the whole 1-D
    computation after the samples' own checks (the 1-D case of
    :func:`~divlab.ot.wasserstein` can call the pair without checking anything twice)."""
    n, m = u.shape[0], v.shape[0]
    wu = _drop_uniform(u_weights, names[0], n, xp)
    wv = _drop_uniform(v_weights, names[1], m, xp)
    if wu is not None:
        wu = check_weights(wu, n, names[0], xp=xp, dtype=u.dtype, like=u)
    if wv is not None:
        wv = check_weights(wv, m, names[1], xp=xp, dtype=v.dtype, like=v)
    return wu, wv


@argument_hints
def wasserstein_1d_power(
    u: Any,
    v: Any,
    *,
    u_weights: Any = None,
    v_weights: Any = None,
    p: float = 1.0,
) -> Any:
    r""":math:`W_p^p` between two weighted samples on the line (see :func:`wasserstein_1d`).

    .. math::

        W_p^p(\mu, \nu) = \int_0^1 |F_\mu^{-1}(t) - F_\nu^{-1}(t)|^p \, dt .

    This is the quantity POT's ``ot.wasserstein_1d`` returns (it may overflow to ``inf``
    where :math:`W_p` itself is finite). Same result convention as :func:`wasserstein_1d`:
    a NumPy scalar for NumPy input, else a 0-d array of the input namespace.

    Examples
    --------
    >>> float(wasserstein_1d_power([0.0, 1.0], [2.0, 4.0], p=2))
    6.5
    """
    xp = array_namespace(u, v, u_weights, v_weights)
    u, v, p = _validated(u, v, p, xp)
    u_weights, v_weights = _validated_weights(u, v, u_weights, v_weights, xp)
    scale, mfac, s = _power_parts(u, v, u_weights, v_weights, p, xp)
    with np.errstate(over="ignore"):  # W_p^p beyond the float range is inf, quietly
        factor = (scale * mfac) ** p  # exactly 1 for ordinary data
        out = xp.where(s > 0, s * factor, s)
    return as_result(out, xp)


@argument_hints
def wasserstein_1d(
    u: Any,
    v: Any,
    *,
    u_weights: Any = None,
    v_weights: Any = None,
    p: float = 1.0,
    axis: int | None = None,
) -> Any:
    r"""Exact :math:`W_p` between two (weighted) samples on the real line.

    .. math::

        W_p(\mu, \nu) = \Big(\int_0^1 |F_\mu^{-1}(t) - F_\nu^{-1}(t)|^p\,dt\Big)^{1/p}
        = \Big(\sum_k (t_k - t_{k-1})\,|u_{(i_k)} - v_{(j_k)}|^p\Big)^{1/p},

    where :math:`t_k` runs over the merged breakpoints of the two empirical CDFs and
    :math:`u_{(i_k)}, v_{(j_k)}` are the quantiles on :math:`(t_{k-1}, t_k]`. For two
    unweighted samples of the same size this is :math:`(\frac1n\sum_i |u_{(i)} -
    v_{(i)}|^p)^{1/p}` (sort both, pair in order). Cost :math:`O((n+m)\log(n+m))`.
    Weights that are all equal take the unweighted path (two sorts, no argsort); beside a
    weighted sample, a sample without weights is only sorted.

    Returns :math:`W_p`, **not** :math:`W_p^p`: POT's ``ot.wasserstein_1d`` returns
    :math:`W_p^p` (use :func:`wasserstein_1d_power` for that); SciPy's
    ``scipy.stats.wasserstein_distance`` is :math:`W_1`.

    Parameters
    ----------
    u, v : array_like, shape (n,) and (m,) (or (n, 1), (m, 1))
        Sample locations. With ``axis``, arrays of any shape whose sizes agree except along
        ``axis`` (e.g. (n, k) and (m, k) with ``axis=0``: ``k`` problems, one per column).
    u_weights, v_weights : array_like, optional
        Non-negative weights (normalised internally); uniform when omitted. With ``axis``
        they are 1-D, of length n and m, shared by all problems.
    p : float, default 1
        Order, ``p >= 1``.
    axis : int, optional
        Axis along which the samples lie (batched 1-D problems). ``None`` (default): ``u``
        and ``v`` are single samples.

    Returns
    -------
    w : numpy scalar or 0-d array (array of the batch shape with ``axis``)
        :math:`W_p(\mu, \nu)`: a NumPy scalar of the inputs' float dtype for NumPy input
        (float32 inputs give ``numpy.float32``), else a 0-d array of the inputs' namespace and
        device. Differentiable under PyTorch autograd with respect to the samples and the
        weights (the kernel reads nothing back to the host).

    Raises
    ------
    EmptyInputError
        If a sample is empty or a weight vector has zero mass.
    NonFiniteError, NegativeValueError
        For NaN/inf samples or weights, or negative weights.
    ShapeMismatchError
        If a sample is not 1-D (without ``axis``), the batch shapes differ, or the weights
        do not match the samples.
    ParameterError
        If ``p < 1`` or not finite, or ``axis`` is out of range.

    Examples
    --------
    >>> float(wasserstein_1d([0.0, 1.0, 3.0], [5.0, 6.0, 8.0]))
    5.0
    >>> float(wasserstein_1d([0.0, 1.0], [0.0, 1.0], v_weights=[3.0, 1.0], p=2))
    0.5
    >>> import numpy as np
    >>> wasserstein_1d(np.array([[0.0, 0.0], [1.0, 2.0]]), np.array([[1.0, 0.0], [2.0, 2.0]]),
    ...                axis=0).tolist()
    [1.0, 0.0]
    """
    xp = array_namespace(u, v, u_weights, v_weights)
    if axis is not None:
        return as_result(_batched_door(u, v, u_weights, v_weights, p, axis, xp), xp)
    u, v, p = _validated(u, v, p, xp)
    u_weights, v_weights = _validated_weights(u, v, u_weights, v_weights, xp)
    return as_result(_wasserstein_1d_kernel(u, v, p, xp, u_weights, v_weights), xp)


def _batched_door(u: Any, v: Any, u_weights: Any, v_weights: Any, p: Any, axis: Any,
                  xp: ModuleType) -> Any:
    """Validation of :func:`wasserstein_1d` with ``axis``; then :func:`_batched_kernel`."""
    p = _check_p(p)
    u = as_float_array(u, "u", xp)
    v = as_float_array(v, "v", xp)
    if u.ndim == 0 or v.ndim == 0:
        raise ShapeMismatchError(
            f"`u` and `v` must have at least one dimension with `axis`, got shapes "
            f"{tuple(u.shape)} and {tuple(v.shape)}"
        )
    if u.ndim != v.ndim:
        raise ShapeMismatchError(
            f"`u` and `v` must have the same number of dimensions, got shapes "
            f"{tuple(u.shape)} and {tuple(v.shape)}"
        )
    axis = check_axis(axis, u.ndim)
    bu = tuple(u.shape[:axis]) + tuple(u.shape[axis + 1:])
    bv = tuple(v.shape[:axis]) + tuple(v.shape[axis + 1:])
    if bu != bv:
        raise ShapeMismatchError(
            f"`u` and `v` must agree except along axis {axis}, got shapes "
            f"{tuple(u.shape)} and {tuple(v.shape)}"
        )
    for arr, name in ((u, "u"), (v, "v")):
        if arr.shape[axis] == 0 or math.prod(arr.shape) == 0:
            raise EmptyInputError(f"`{name}` is empty (shape {tuple(arr.shape)})")
        check_finite(arr, name, xp)
    dtype = result_float_dtype(xp, u, v)
    u, v = xp.astype(u, dtype), xp.astype(v, dtype)
    n, m = u.shape[axis], v.shape[axis]
    wu = _drop_uniform(u_weights, "u_weights", n, xp)
    wv = _drop_uniform(v_weights, "v_weights", m, xp)
    if wu is not None:
        wu = check_weights(wu, n, "u_weights", xp=xp, dtype=dtype, like=u)
    if wv is not None:
        wv = check_weights(wv, m, "v_weights", xp=xp, dtype=dtype, like=v)
    return _batched_kernel(u, v, wu, wv, p, axis, xp)


def _batched_kernel(u: Any, v: Any, wu: Any, wv: Any, p: float, axis: int,
                    xp: ModuleType) -> Any:
    r"""Kernel of :func:`wasserstein_1d` with ``axis``: one :math:`W_p` per position of the
    other axes (:func:`_batched_wpp` on rows), an array of the batch shape. The samples are
    divided by an exact power of two when :math:`|u - v|^p` could overflow or underflow
    (:func:`divlab._array.device_rescale_pair`); :math:`W_p` is 1-homogeneous."""
    batch = tuple(u.shape[:axis]) + tuple(u.shape[axis + 1:])
    ut = xp.reshape(xp.moveaxis(u, axis, -1), (-1, u.shape[axis]))
    vt = xp.reshape(xp.moveaxis(v, axis, -1), (-1, v.shape[axis]))
    ut, vt, scale = device_rescale_pair(ut, vt, xp, power=p)
    cost, _ = _batched_wpp(ut, vt, wu, wv, p, xp)
    cost = xp.maximum(cost, xp.zeros_like(cost))
    w = cost if p == 1.0 else (xp.sqrt(cost) if p == 2.0 else cost ** (1.0 / p))
    with np.errstate(over="ignore"):
        return xp.reshape(w * scale, batch)


def _wasserstein_1d_kernel(u: Any, v: Any, p: float, xp: ModuleType, u_weights: Any = None,
                           v_weights: Any = None) -> Any:
    """Kernel of :func:`wasserstein_1d`: ``u``, ``v`` validated 1-D samples of one float dtype,
    ``p >= 1`` validated; weights ``None`` (uniform: the sort-and-pair path) or weights as
    returned by :func:`~divlab._validate.check_weights` (normalised, of the samples' dtype;
    :func:`_validated_weights` gives both). Returns a 0-d array of ``xp``; internal callers
    (the sample estimators, the 1-D case of :func:`~divlab.ot.wasserstein`) call this."""
    scale, mfac, s = _power_parts(u, v, u_weights, v_weights, p, xp)
    s = xp.maximum(s, xp.zeros_like(s))
    if p == 1.0:
        w = s
    elif p == 2.0:
        w = xp.sqrt(s)
    else:
        w = s ** (1.0 / p)
    with np.errstate(over="ignore"):  # a true W_p beyond the float range is inf, quietly
        return (w * mfac) * scale  # exact: both factors are 1 normally


@dataclass(frozen=True, repr=False)
class MonotonePlan:
    r"""The optimal (monotone) coupling of two samples on the line, as sparse triplets.

    ``mass[k]`` is transported from ``u[i[k]]`` to ``v[j[k]]`` (indices into the samples as
    given, not sorted); at most ``n + m - 1`` entries, all with positive mass.

    Attributes
    ----------
    i, j : array of int64, shape (nnz,)
        Source and target indices.
    mass : array, shape (nnz,)
        Transported mass (sums to 1; float dtype of the samples).
    shape : tuple of int
        ``(n, m)``.
    value : scalar
        :math:`W_p^p = \sum_k \mathrm{mass}_k |u_{i_k} - v_{j_k}|^p` (the plan's cost, for the
        ``p`` it was computed with; the coupling itself is optimal for every ``p >= 1``).
    """

    i: Any
    j: Any
    mass: Any
    shape: tuple[int, int]
    value: Any

    def todense(self) -> np.ndarray:
        """The plan as a dense NumPy array of shape ``(n, m)`` (host copy)."""
        out = np.zeros(self.shape, dtype=np.float64)
        np.add.at(out, (np.asarray(to_numpy(self.i)), np.asarray(to_numpy(self.j))),
                  np.asarray(to_numpy(self.mass), dtype=np.float64))
        return out

    def tocoo(self) -> Any:
        """The plan as a :class:`scipy.sparse.coo_array` (host copy)."""
        import scipy.sparse

        return scipy.sparse.coo_array(
            (np.asarray(to_numpy(self.mass)),
             (np.asarray(to_numpy(self.i)), np.asarray(to_numpy(self.j)))), shape=self.shape)

    def __repr__(self) -> str:
        return (f"MonotonePlan(shape={self.shape}, nnz={int(self.i.shape[0])}, "
                f"value={float(to_numpy(self.value)):.6g})")


@argument_hints
def wasserstein_1d_plan(
    u: Any,
    v: Any,
    *,
    u_weights: Any = None,
    v_weights: Any = None,
    p: float = 1.0,
) -> MonotonePlan:
    r"""Optimal transport plan between two (weighted) samples on the line.

    The monotone (quantile) coupling :math:`\pi = (F_\mu^{-1}, F_\nu^{-1})_\# \mathrm{Unif}(0, 1)`:
    on each interval :math:`(t_{k-1}, t_k]` of the merged CDF breakpoints it moves
    :math:`t_k - t_{k-1}` from the quantile atom :math:`u_{(i_k)}` to :math:`v_{(j_k)}`, so

    .. math::

        \sum_k (t_k - t_{k-1}) |u_{(i_k)} - v_{(j_k)}|^p = W_p^p(\mu, \nu),

    for every :math:`p \ge 1` at once (it is optimal for any convex cost of the difference).
    It has at most :math:`n + m - 1` non-zero entries; it is the plan ``ot.emd`` returns
    when that plan is unique (distinct sample values). Cost :math:`O((n+m)\log(n+m))`.

    Parameters
    ----------
    u, v, u_weights, v_weights, p
        As in :func:`wasserstein_1d` (``p`` only sets :attr:`MonotonePlan.value`).

    Returns
    -------
    MonotonePlan
        Triplets ``(i, j, mass)`` as arrays of the input namespace, ``value`` =
        :math:`W_p^p`; ``.todense()`` and ``.tocoo()`` give host matrices. Dropping the
        zero-mass intervals reads their number back to the host (a data-dependent shape).

    Raises
    ------
    EmptyInputError, NonFiniteError, NegativeValueError, ShapeMismatchError, ParameterError
        As :func:`wasserstein_1d`.

    Examples
    --------
    >>> plan = wasserstein_1d_plan([0.0, 2.0], [3.0, 1.0, 5.0])
    >>> plan.todense().round(4).tolist()
    [[0.1667, 0.3333, 0.0], [0.1667, 0.0, 0.3333]]
    """
    xp = array_namespace(u, v, u_weights, v_weights)
    u, v, p = _validated(u, v, p, xp)
    n, m = u.shape[0], v.shape[0]
    dtype = u.dtype
    ou = xp.argsort(u, stable=True)
    ov = xp.argsort(v, stable=True)
    if u_weights is None and v_weights is None:
        dk, iu, iv = uniform_quantile_grid(n, m)
        mass = xp.astype(from_numpy(dk, xp, like=u), dtype) / (float(n) * float(m))
        iu, iv = from_numpy(iu, xp, like=u), from_numpy(iv, xp, like=v)
    else:
        wu = check_weights(u_weights, n, "u_weights", xp=xp, dtype=dtype, like=u)
        wv = check_weights(v_weights, m, "v_weights", xp=xp, dtype=dtype, like=v)
        t, iu, iv = _merged_indices(_cdf(xp.take(wu, ou), xp), _cdf(xp.take(wv, ov), xp), xp)
        prev = xp.concat([xp.zeros((1,), dtype=dtype), t[:-1]])
        mass = t - prev
    keep = mass > 0
    i = xp.take(ou, iu)[keep]
    j = xp.take(ov, iv)[keep]
    mass = mass[keep]
    value = xp.sum(mass * _pow_abs(xp.take(u, i) - xp.take(v, j), p, xp))
    return MonotonePlan(i, j, mass, (n, m), as_result(value, xp))
