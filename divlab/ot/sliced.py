r"""Sliced and max-sliced Wasserstein distances between point clouds.

The sliced distance averages one-dimensional transport costs over random directions
:math:`\theta_k` drawn uniformly on the sphere :math:`S^{d-1}`:

.. math::

    SW_p(\mu, \nu) = \Big(\frac1K \sum_{k=1}^K W_p^p(\theta_k\#\mu, \theta_k\#\nu)\Big)^{1/p},

where each 1-D :math:`W_p^p` is computed from sorted projections (quantile functions). The
directions are drawn on the host in float64 with :func:`divlab._validate.check_rng` and moved
to the device and dtype of the data, so one seed gives the same directions on every backend.
Projections are processed ``chunk_size`` at a time: peak memory is
:math:`O((n + m)\cdot\text{chunk})`, never :math:`O((n + m) K)`.
Huge or tiny coordinates are divided by an exact power of two before projecting and the
result is multiplied back (:math:`SW_p` and max-:math:`SW_p` are 1-homogeneous), so
:math:`|\theta\cdot(x - y)|^p` neither overflows nor underflows. The scale is computed on
the device (:func:`divlab._array.device_rescale_pair`, exactly 1 for ordinary data), so
:func:`sliced_wasserstein` reads no value back to the host: it runs lazily (Dask), on the GPU
and under PyTorch autograd (gradients with respect to the samples and the weights).
Unequal-size unweighted samples are paired on the exact quantile grid of
:func:`divlab.ot.oned.uniform_quantile_grid` (data-independent, built once on the host); the
batched 1-D formula itself lives in :mod:`divlab.ot.oned`. User-given directions
(``projections=``) replace the random draw, and ``return_projections=True`` gives the
per-direction :math:`W_p^p` (:class:`SlicedResult`), as POT's ``log=True`` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .._array import as_result, device_rescale_pair, from_numpy, scalar, to_numpy
from .._validate import (
    argument_hints,
    as_float_array,
    check_bool,
    check_finite,
    check_int,
    check_positive,
    check_rng,
    check_sample_pair,
    check_weights,
)
from ..errors import ParameterError, ShapeMismatchError
from .oned import _batched_wpp

__all__ = ["sliced_wasserstein", "max_sliced_wasserstein", "SlicedResult"]

#: Bytes of temporaries allowed per chunk of projections (default ``chunk_size``).
_CHUNK_BUDGET = 64 * 2**20
#: At least this many projections per chunk (a single-row matrix product is slow).
_MIN_CHUNK = 8


def _directions(d: int, n_projections: int, rng: Any) -> np.ndarray:
    """``n_projections`` directions uniform on the unit sphere of R^d, float64, shape (K, d)."""
    gen = check_rng(rng)
    theta = gen.standard_normal((n_projections, d))
    norms = np.linalg.norm(theta, axis=1, keepdims=True)
    # a zero row has probability 0; replace it by e_1 to stay well defined
    bad = norms[:, 0] == 0
    if bad.any():  # pragma: no cover
        theta[bad] = 0.0
        theta[bad, 0] = 1.0
        norms[bad] = 1.0
    return theta / norms


def _unscale(out: Any, s: Any) -> Any:
    """``out * s`` (a 1-homogeneous quantity, ``s`` a 0-d power of two, 1 for ordinary data:
    exact); overflow gives +inf silently."""
    with np.errstate(over="ignore"):
        return out * s


def _check_p(p: Any) -> float:
    p = check_positive(p, "p")
    if p < 1:
        raise ParameterError(f"`p` must be >= 1, got {p!r}")
    return p


def _pow_abs(z: Any, p: float, xp: ModuleType) -> Any:
    az = xp.abs(z)
    if p == 1:
        return az
    if p == 2:
        return az * az
    return az**p


def _prepare(
    x: Any, y: Any, a: Any, b: Any, n_projections: Any, p: Any, chunk_size: Any
) -> tuple[ModuleType, Any, Any, Any, Any, int, float, int]:
    xp, x, y = check_sample_pair(x, y)
    n_projections = check_int(n_projections, "n_projections", min_value=1)
    p = _check_p(p)
    dtype = x.dtype
    wa = None if a is None else check_weights(a, x.shape[0], "a", xp=xp, dtype=dtype, like=x)
    wb = None if b is None else check_weights(b, y.shape[0], "b", xp=xp, dtype=dtype, like=y)
    if chunk_size is None:
        chunk_size = _default_chunk(x.shape[0], y.shape[0], n_projections,
                                    wa is not None or wb is not None)
    else:
        chunk_size = check_int(chunk_size, "chunk_size", min_value=1)
    return xp, x, y, wa, wb, n_projections, p, chunk_size


def _projected_costs(
    x: Any, y: Any, wa: Any, wb: Any, theta: np.ndarray, p: float, chunk: int, xp: ModuleType
) -> Any:
    """:math:`W_p^p` along every row of ``theta`` (host float64), chunk by chunk; (K,) array."""
    out = []
    for start in range(0, theta.shape[0], chunk):
        th = from_numpy(theta[start:start + chunk], xp, like=x, dtype=x.dtype)
        px = th @ x.T  # (k, n), rows contiguous: sorting along the last axis is fast
        py = th @ y.T
        cost, _ = _batched_wpp(px, py, wa, wb, p, xp)
        out.append(cost)
    return xp.concat(out, axis=0) if len(out) > 1 else out[0]


def _user_directions(projections: Any, d: int) -> np.ndarray:
    """Validate user-given directions (k, d) and return them normalised (host float64)."""
    th = as_float_array(projections, "projections")
    check_finite(th, "projections")
    th = np.asarray(to_numpy(th), dtype=np.float64)
    if th.ndim == 1 and th.shape[0] == d:
        th = th[None, :]
    if th.ndim != 2 or th.shape[1] != d or th.shape[0] == 0:
        hint = (" (POT's `projections` has shape (d, n_projections): pass its transpose)"
                if th.ndim == 2 and th.shape[0] == d else "")
        raise ShapeMismatchError(
            f"`projections` must have shape (n_projections, {d}) (one direction per row), "
            f"got {tuple(th.shape)}{hint}"
        )
    norms = np.linalg.norm(th, axis=1, keepdims=True)
    zero = np.flatnonzero(norms[:, 0] == 0)
    if zero.size:
        raise ParameterError(
            f"`projections` row {int(zero[0])} is zero: a direction must have a positive norm"
        )
    return th / norms


@dataclass(frozen=True, repr=False)
class SlicedResult:
    r"""Sliced Wasserstein distance with its per-direction values.

    Attributes
    ----------
    value : numpy scalar or 0-d array
        :math:`SW_p` (what :func:`sliced_wasserstein` returns by default).
    costs : array, shape (K,)
        :math:`W_p^p(\theta_k\#\mu, \theta_k\#\nu)` along each direction (POT's
        ``log["projected_emds"]``); ``value = mean(costs) ** (1/p)``. Array of the input
        namespace (NumPy for NumPy input).
    directions : ndarray, shape (K, d)
        The unit directions used (host float64; POT's ``log["projections"]`` is the
        transpose).
    """

    value: Any
    costs: Any
    directions: np.ndarray

    def __repr__(self) -> str:
        return (f"SlicedResult(value={float(to_numpy(self.value)):.6g}, "
                f"n_projections={self.directions.shape[0]}, d={self.directions.shape[1]})")


@argument_hints
def sliced_wasserstein(
    x: Any,
    y: Any,
    *,
    n_projections: int = 100,
    p: float = 2,
    a: Any = None,
    b: Any = None,
    rng: Any = None,
    chunk_size: int | None = None,
    projections: Any = None,
    return_projections: bool = False,
) -> Any:
    r"""Monte-Carlo sliced Wasserstein distance :math:`SW_p` between two point clouds.

    .. math::

        SW_p(\mu, \nu) = \Big(\frac1K \sum_{k=1}^K
        W_p^p(\theta_k\#\mu, \theta_k\#\nu)\Big)^{1/p},
        \qquad \theta_k \sim \mathrm{Unif}(S^{d-1}),

    with Euclidean ground metric and the 1-D :math:`W_p^p` computed exactly from the sorted
    projections (equal-size uniform samples: sort and pair; otherwise a merge of the two
    quantile functions). This is the quantity POT's ``ot.sliced_wasserstein_distance``
    returns (same :math:`(\cdot)^{1/p}` convention); given the same directions
    (``projections=theta`` here, ``projections=theta.T`` in POT) the two agree to
    rounding. Because every projection is 1-Lipschitz, :math:`SW_p \le W_p`; in one
    dimension :math:`SW_p = W_p` exactly.

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d), or 1-D
        Samples (1-D arrays are points on the line).
    n_projections : int
        Number :math:`K \ge 1` of random directions (ignored with ``projections``).
    p : float
        Order :math:`p \ge 1`.
    a, b : array_like, optional
        Sample weights (normalised; ``None`` means uniform).
    rng : None, int or numpy.random.Generator
        Seed of the directions, drawn on the host in float64 (same seed, same result on
        every backend); ignored with ``projections``.
    chunk_size : int, optional
        Projections processed at once (peak memory :math:`O((n + m)\cdot` ``chunk_size``
        :math:`)`); by default chosen so temporaries stay near 64 MiB (at least 8 projections).
    projections : array_like, shape (K, d), optional
        User-given directions, one per row (normalised here; a zero row raises). They are
        constants: copied to the host once and moved to the data's device per chunk.
    return_projections : bool, default False
        Return a :class:`SlicedResult` (value, per-direction :math:`W_p^p`, directions)
        instead of the value alone.

    Returns
    -------
    numpy scalar or 0-d array, or SlicedResult
        :math:`SW_p`: a NumPy scalar of the float dtype of ``x`` for NumPy input (float32
        stays float32), else a 0-d array of its namespace and device. Differentiable under
        PyTorch autograd (the directions are constants). With ``return_projections``, a
        :class:`SlicedResult` whose ``value`` is that number.

    Raises
    ------
    ParameterError
        ``n_projections < 1``, ``p < 1``, bad ``chunk_size`` or ``rng``, a zero row of
        ``projections``.
    ShapeMismatchError
        ``projections`` not of shape (K, d).
    InputError
        Invalid samples (NaN, inf, empty, different dimensions), weights or directions.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.ot import sliced_wasserstein
    >>> x = np.array([[0.0, 0.0], [1.0, 0.0]])
    >>> float(sliced_wasserstein(x, x + [3.0, 4.0], n_projections=200, p=1, rng=0)) < 5.0
    True
    >>> res = sliced_wasserstein(x, x + [3.0, 4.0], projections=[[3.0, 4.0], [0.0, 2.0]],
    ...                          p=1, return_projections=True)
    >>> res.costs.tolist(), float(res.value)
    ([5.0, 4.0], 4.5)
    """
    return_projections = check_bool(return_projections, "return_projections")
    if projections is None:
        xp, x, y, wa, wb, k, p, chunk = _prepare(x, y, a, b, n_projections, p, chunk_size)
        theta = _directions(x.shape[1], k, rng)
    else:
        xp, x, y, wa, wb, k, p, chunk = _prepare(x, y, a, b, 1, p, chunk_size)
        theta = _user_directions(projections, x.shape[1])
        if chunk_size is None:
            chunk = _default_chunk(x.shape[0], y.shape[0], theta.shape[0],
                                   wa is not None or wb is not None)
    if not return_projections:
        return as_result(_sliced_wasserstein_kernel(x, y, wa, wb, theta, p, chunk, xp), xp)
    value, costs = _sliced_parts(x, y, wa, wb, theta, p, chunk, xp)
    return SlicedResult(as_result(value, xp), as_result(costs, xp), theta)


def _default_chunk(n: int, m: int, n_projections: int, weighted: bool) -> int:
    """Default ``chunk_size``: projections whose temporaries stay near 64 MiB (at least 8)."""
    per_proj = (n + m) * 8 * (16 if weighted else 8)
    return max(1, min(n_projections, max(_MIN_CHUNK, _CHUNK_BUDGET // per_proj)))


def _sliced_wasserstein_kernel(
    x: Any, y: Any, wa: Any, wb: Any, theta: np.ndarray, p: float, chunk: int, xp: ModuleType
) -> Any:
    """Kernel of :func:`sliced_wasserstein`: validated 2-D samples, weights from
    :func:`_prepare` (``None``: uniform), host directions ``theta`` (K, d) from
    :func:`_directions`, validated ``p`` and ``chunk``. A 0-d array of ``xp``; internal
    callers (the sample estimators) call this."""
    return _sliced_parts(x, y, wa, wb, theta, p, chunk, xp)[0]


def _sliced_parts(
    x: Any, y: Any, wa: Any, wb: Any, theta: np.ndarray, p: float, chunk: int, xp: ModuleType
) -> tuple[Any, Any]:
    """``(SW_p, costs)``: the value (0-d) and :math:`W_p^p` per direction (K,), both in the
    units of the data."""
    x, y, scale = device_rescale_pair(x, y, xp, power=p)
    costs = _projected_costs(x, y, wa, wb, theta, p, chunk, xp)
    mean = xp.mean(costs)
    mean = xp.maximum(mean, xp.zeros_like(mean))
    with np.errstate(over="ignore"):  # exact powers of two; beyond the float range: inf
        scaled = costs * scale**p if p != 1 else costs * scale
    return _unscale(mean ** (1.0 / p) if p != 1 else mean, scale), scaled


def _gradient(
    x: Any, y: Any, wa: Any, wb: Any, theta: np.ndarray, p: float, xp: ModuleType
) -> tuple[float, np.ndarray]:
    """:math:`W_p^p` along one direction and its gradient w.r.t. the direction (host)."""
    th = from_numpy(theta[None, :], xp, like=x, dtype=x.dtype)
    px, py = th @ x.T, th @ y.T
    cost, (delta, r, ox, oy, ix, iy) = _batched_wpp(px, py, wa, wb, p, xp, need_order=True)
    r = r[0, :]
    # d/dtheta |theta.(x_i - y_j)|^p = p |r|^(p-1) sign(r) (x_i - y_j)
    coef = p * _pow_abs(r, p - 1.0, xp) * xp.sign(r) if p != 1 else xp.sign(r)
    if delta is None:  # sort-and-pair: pairs (ox[l], oy[l]) with weight 1/n
        coef = coef / r.shape[0]
        xi = xp.take(x, ox[0, :], axis=0)
        yj = xp.take(y, oy[0, :], axis=0)
    else:
        coef = coef * delta[0, :]
        xi = xp.take(x, xp.take(ox[0, :], ix[0, :], axis=0), axis=0)
        yj = xp.take(y, xp.take(oy[0, :], iy[0, :], axis=0), axis=0)
    grad = xp.sum(coef[:, None] * (xi - yj), axis=0)
    return scalar(cost[0]), np.asarray(to_numpy(grad), dtype=np.float64)


@argument_hints
def max_sliced_wasserstein(
    x: Any,
    y: Any,
    *,
    n_projections: int = 100,
    p: float = 2,
    a: Any = None,
    b: Any = None,
    rng: Any = None,
    n_steps: int = 50,
    chunk_size: int | None = None,
) -> Any:
    r"""Max-sliced Wasserstein distance :math:`\max_{\theta} W_p(\theta\#\mu, \theta\#\nu)`.

    The maximum over the sphere is not concave; this function returns a certified *lower*
    estimate of it: the best of ``n_projections`` random directions (the same directions as
    :func:`sliced_wasserstein` with the same ``rng``), improved by ``n_steps`` steps of
    projected gradient ascent on the sphere with backtracking (a step is taken only if it
    increases :math:`W_p`). The value is attained by an actual direction, so

    .. math::

        SW_p \le \widehat{\max SW_p} \le \max SW_p \le W_p

    (the first inequality for the same ``rng`` and ``n_projections``). In one dimension it
    equals :math:`W_p`. POT's ``ot.max_sliced_wasserstein_distance`` is the random-direction
    part only (``n_steps=0``).

    Parameters
    ----------
    x, y, n_projections, p, a, b, rng, chunk_size
        As in :func:`sliced_wasserstein`.
    n_steps : int
        Gradient-ascent steps after the random search (0 disables the ascent).

    Returns
    -------
    numpy scalar or 0-d array
        The estimate: a NumPy scalar of the float dtype of ``x`` for NumPy input, else a 0-d
        array of its namespace. The search over directions runs on the host (random search
        and backtracking read costs back); the value is then recomputed at the chosen
        direction with ``xp`` operations, so under PyTorch autograd its gradient with respect
        to the samples is that of :math:`W_p(\theta^\star\#\mu, \theta^\star\#\nu)` at the
        fixed direction :math:`\theta^\star` (Danskin's theorem for the maximum).

    Raises
    ------
    ParameterError
        ``n_projections < 1``, ``p < 1``, ``n_steps < 0``.
    InputError
        Invalid samples or weights.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.ot import max_sliced_wasserstein
    >>> x = np.zeros((3, 2)); y = x + [3.0, 4.0]
    >>> round(float(max_sliced_wasserstein(x, y, p=1, rng=0)), 6)
    5.0
    """
    xp, x, y, wa, wb, k, p, chunk = _prepare(x, y, a, b, n_projections, p, chunk_size)
    n_steps = check_int(n_steps, "n_steps", min_value=0)
    x, y, scale = device_rescale_pair(x, y, xp, power=p)  # the ascent runs in these units
    theta = _directions(x.shape[1], k, rng)
    costs = np.asarray(to_numpy(_projected_costs(x, y, wa, wb, theta, p, chunk, xp)))
    best = int(np.argmax(costs))
    th, val = theta[best], float(costs[best])
    step = 0.5
    if x.shape[1] > 1:
        for _ in range(n_steps):
            val, grad = _gradient(x, y, wa, wb, th, p, xp)
            grad = grad - (grad @ th) * th  # tangent component
            gnorm = float(np.linalg.norm(grad))
            if gnorm == 0 or not math.isfinite(gnorm):
                break
            improved = False
            while step > 1e-8:
                cand = th + step * grad / gnorm
                cand /= np.linalg.norm(cand)
                cval = float(to_numpy(_projected_costs(x, y, wa, wb, cand[None, :], p, 1, xp))[0])
                if cval > val:
                    th, val, improved = cand, cval, True
                    step *= 1.5
                    break
                step *= 0.5
            if not improved:
                break
    # the value at the chosen direction, recomputed with xp operations: its gradient with
    # respect to the samples is the gradient of the maximum (Danskin's theorem)
    out = _projected_costs(x, y, wa, wb, th[None, :], p, 1, xp)[0]
    out = xp.maximum(out, xp.zeros_like(out))
    return as_result(_unscale(out ** (1.0 / p) if p != 1 else out, scale), xp)
