r"""Exact Wasserstein distance between distributions on the real line (closed form).

On :math:`\mathbb{R}` the optimal coupling is the monotone (quantile) coupling, so

.. math::

    W_p(\mu, \nu) = \Big(\int_0^1 |F_\mu^{-1}(t) - F_\nu^{-1}(t)|^p \, dt\Big)^{1/p},

which for two weighted samples is a finite sum over the merged breakpoints of the two
cumulative distribution functions. The cost is one sort per sample plus a linear-time
merge: :math:`O((n + m)\log(n + m))`.

The kernels use ``xp`` operations only and read no value back to the host: the exact
power-of-two rescaling of samples near the ends of the float range is device arithmetic
(:func:`divlab._array.pow2_floor`), so :func:`wasserstein_1d` runs lazily (Dask), on the GPU
and under PyTorch autograd (its gradient is the one of the sorted-pairing formula). For two
unweighted samples the merged quantile grid does not depend on the data; it is computed once,
exactly, on the host (:func:`uniform_quantile_grid`, also used by the sliced distances).
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from .._array import array_namespace, as_result, from_numpy, pow2_floor, result_float_dtype
from .._validate import as_float_array, check_finite, check_weights
from ..errors import EmptyInputError, ParameterError, ShapeMismatchError

__all__ = ["wasserstein_1d", "wasserstein_1d_power", "uniform_quantile_grid"]


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


def _pow_abs(d: Any, p: float, xp: ModuleType) -> Any:
    if p == 1.0:
        return xp.abs(d)
    if p == 2.0:
        return d * d
    return xp.abs(d) ** p


def _sorted_with_weights(u: Any, w: Any, xp: ModuleType) -> tuple[Any, Any]:
    order = xp.argsort(u, stable=False)
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
    """
    n, m = keys_u.shape[0], keys_v.shape[0]
    allk = xp.concat([keys_u, keys_v])
    # A stable sort of two concatenated sorted runs is a linear-time merge (timsort).
    order = xp.argsort(allk, stable=True)
    t = xp.take(allk, order)
    from_u = xp.astype(order < n, xp.int64)
    cnt_u = xp.cumulative_sum(from_u, include_initial=True)[:-1]
    pos = xp.arange(n + m, dtype=xp.int64)
    cnt_v = pos - cnt_u
    iu = xp.minimum(cnt_u, xp.asarray(n - 1, dtype=xp.int64))
    iv = xp.minimum(cnt_v, xp.asarray(m - 1, dtype=xp.int64))
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

        W_p^p = \sum_k rac{\mathrm{dk}_k}{nm}\,|u_{(iu_k)} - v_{(iv_k)}|^p .

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


def _quantile_differences(
    u: Any, v: Any, u_weights: Any, v_weights: Any, xp: ModuleType
) -> tuple[Any, Any, Any]:
    r"""``(dt, d, s)`` with :math:`W_p^p = s^p \sum_k dt_k |d_k|^p` (``dt=None``: uniform mean).

    ``s`` is a 0-d array: an exact power of two by which the samples were divided when their
    differences could overflow, exactly ``1`` otherwise.
    """
    dtype = u.dtype
    n, m = u.shape[0], v.shape[0]
    uniform = u_weights is None and v_weights is None
    if uniform:
        us, vs = xp.sort(u, stable=False), xp.sort(v, stable=False)
    else:
        wu = check_weights(u_weights, n, "u_weights", xp=xp, dtype=dtype, like=u)
        wv = check_weights(v_weights, m, "v_weights", xp=xp, dtype=dtype, like=v)
        us, wu = _sorted_with_weights(u, wu, xp)
        vs, wv = _sorted_with_weights(v, wv, xp)
    scale = _range_scale(us, vs, n + m, xp)
    us, vs = us / scale, vs / scale  # exact; unchanged when scale == 1
    if uniform and n == m:
        return None, us - vs, scale
    if uniform:
        dk, iu, iv = uniform_quantile_grid(n, m)
        dt = xp.astype(from_numpy(dk, xp, like=us), dtype) / (float(n) * float(m))
        iu, iv = from_numpy(iu, xp, like=us), from_numpy(iv, xp, like=vs)
    else:
        t, iu, iv = _merged_indices(_cdf(wu, xp), _cdf(wv, xp), xp)
        prev = xp.concat([xp.zeros((1,), dtype=dtype), t[:-1]])
        dt = t - prev
    return dt, xp.take(us, iu) - xp.take(vs, iv), scale


def _weighted_sum(dt: Any, x: Any, xp: ModuleType) -> Any:
    return xp.mean(x) if dt is None else xp.sum(dt * x)


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
        return scale, one, _weighted_sum(dt, xp.abs(d), xp)
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


def wasserstein_1d_power(
    u: Any,
    v: Any,
    *,
    u_weights: Any = None,
    v_weights: Any = None,
    p: float = 1.0,
) -> Any:
    r""":math:`W_p^p` between two weighted samples on the line (see :func:`wasserstein_1d`).

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
    scale, mfac, s = _power_parts(u, v, u_weights, v_weights, p, xp)
    with np.errstate(over="ignore"):  # W_p^p beyond the float range is inf, quietly
        factor = (scale * mfac) ** p  # exactly 1 for ordinary data
        out = xp.where(s > 0, s * factor, s)
    return as_result(out, xp)


def wasserstein_1d(
    u: Any,
    v: Any,
    *,
    u_weights: Any = None,
    v_weights: Any = None,
    p: float = 1.0,
) -> Any:
    r"""Exact :math:`W_p` between two (weighted) samples on the real line.

    .. math::

        W_p(\mu, \nu) = \Big(\int_0^1 |F_\mu^{-1}(t) - F_\nu^{-1}(t)|^p\,dt\Big)^{1/p}
        = \Big(\sum_k (t_k - t_{k-1})\,|u_{(i_k)} - v_{(j_k)}|^p\Big)^{1/p},

    where :math:`t_k` runs over the merged breakpoints of the two empirical CDFs and
    :math:`u_{(i_k)}, v_{(j_k)}` are the quantiles on :math:`(t_{k-1}, t_k]`. For two
    unweighted samples of the same size this is :math:`(\frac1n\sum_i |u_{(i)} -
    v_{(i)}|^p)^{1/p}` (sort both, pair in order). Cost :math:`O((n+m)\log(n+m))`.

    Returns :math:`W_p`, **not** :math:`W_p^p`: POT's ``ot.wasserstein_1d`` returns
    :math:`W_p^p` (use :func:`wasserstein_1d_power` for that); SciPy's
    ``scipy.stats.wasserstein_distance`` is :math:`W_1`.

    Parameters
    ----------
    u, v : array_like, shape (n,) and (m,) (or (n, 1), (m, 1))
        Sample locations.
    u_weights, v_weights : array_like, optional
        Non-negative weights (normalised internally); uniform when omitted.
    p : float, default 1
        Order, ``p >= 1``.

    Returns
    -------
    w : numpy scalar or 0-d array
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
        If a sample is not 1-D or the weights do not match it.
    ParameterError
        If ``p < 1`` or not finite.

    Examples
    --------
    >>> float(wasserstein_1d([0.0, 1.0, 3.0], [5.0, 6.0, 8.0]))
    5.0
    >>> float(wasserstein_1d([0.0, 1.0], [0.0, 1.0], v_weights=[3.0, 1.0], p=2))
    0.5
    """
    xp = array_namespace(u, v, u_weights, v_weights)
    u, v, p = _validated(u, v, p, xp)
    return as_result(_wasserstein_1d_kernel(u, v, p, xp, u_weights, v_weights), xp)


def _wasserstein_1d_kernel(u: Any, v: Any, p: float, xp: ModuleType, u_weights: Any = None,
                           v_weights: Any = None) -> Any:
    """Kernel of :func:`wasserstein_1d`: ``u``, ``v`` validated 1-D samples of one float dtype,
    ``p >= 1`` validated; weights ``None`` (uniform) or as given to :func:`wasserstein_1d`.
    Returns a 0-d array of ``xp``; internal callers (the sample estimators) call this."""
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
