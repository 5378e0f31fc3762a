"""Closed forms for Gaussians, maximum-likelihood fits, and f-divergences between 1-D densities.

Covariance arguments follow :class:`scipy.stats.multivariate_normal`:

* a scalar ``s`` is the isotropic covariance :math:`s I` (for a 1-D Gaussian: the variance);
* a 1-D array ``v`` of length d is the diagonal covariance :math:`\\operatorname{diag}(v)`;
* a 2-D array of shape (d, d) is a full symmetric covariance matrix.

Means are scalars (d = 1) or arrays of shape (d,). Batches are not supported: loop over them.

The closed forms run on any array-API namespace (NumPy, CuPy, ``array_api_strict``) with
``xp.linalg.cholesky`` / ``xp.linalg.eigh``; diagonal inputs use elementwise formulas, which are
exact up to rounding and cheaper. :func:`density_f_divergence` is host-only (SciPy quadrature).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from ._array import array_namespace, is_numpy, pow2_scale, result_float_dtype, to_numpy
from ._validate import _as_real_scalar, as_float_array, check_finite, check_int, check_samples
from .errors import (
    ConvergenceWarning,
    DTypeError,
    EstimationError,
    InputError,
    NonFiniteError,
    ParameterError,
    ShapeMismatchError,
)

__all__ = [
    "NotPositiveDefiniteError",
    "QuadratureResult",
    "density_f_divergence",
    "fit_gaussian",
    "gaussian_bhattacharyya",
    "gaussian_kl",
    "gaussian_squared_hellinger",
    "gaussian_w2",
]


class NotPositiveDefiniteError(InputError):
    """A covariance is not symmetric positive (semi-)definite, or a variance is not positive."""


# --------------------------------------------------------------------------------------------
# parsing of (mean, cov) pairs
# --------------------------------------------------------------------------------------------


#: Relative tolerance on ``max|C - C^T| / max|C|`` (at least 100 eps of the dtype).
_SYM_RTOL = 1e-8


class _Gauss(NamedTuple):
    mean: Any  # (d,)
    cov: Any  # (d,) variances if diag else (d, d)
    diag: bool


def _parse_one(mean: Any, cov: Any, mname: str, cname: str, xp: ModuleType) -> _Gauss:
    m = as_float_array(mean, mname, xp)
    c = as_float_array(cov, cname, xp)
    if m.ndim == 0:
        m = xp.reshape(m, (1,))
    if m.ndim != 1:
        raise ShapeMismatchError(
            f"`{mname}` must be a scalar or a 1-D array of shape (d,), got shape {tuple(m.shape)}"
        )
    d = m.shape[0]
    if d == 0:
        raise ShapeMismatchError(f"`{mname}` is empty (shape {tuple(m.shape)})")
    check_finite(m, mname, xp)
    check_finite(c, cname, xp)
    if c.ndim == 0:
        return _Gauss(m, xp.ones((d,), dtype=c.dtype) * c, True)
    if c.ndim == 1:
        if c.shape[0] != d:
            raise ShapeMismatchError(
                f"diagonal covariance `{cname}` must have shape ({d},) to match `{mname}`, "
                f"got shapes {tuple(c.shape)} and {tuple(m.shape)}"
            )
        return _Gauss(m, c, True)
    if c.ndim == 2:
        if tuple(c.shape) != (d, d):
            raise ShapeMismatchError(
                f"`{cname}` must have shape ({d}, {d}) to match `{mname}`, "
                f"got shapes {tuple(c.shape)} and {tuple(m.shape)}"
            )
        scale = float(to_numpy(xp.max(xp.abs(c))))
        asym = float(to_numpy(xp.max(xp.abs(c - c.T))))
        rtol = max(_SYM_RTOL, 100.0 * float(xp.finfo(c.dtype).eps))
        if asym > rtol * max(scale, np.finfo(np.float64).tiny):
            raise NotPositiveDefiniteError(
                f"`{cname}` is not symmetric (largest |C - C^T| entry is {asym:.3g})"
            )
        if scale > float(xp.finfo(c.dtype).max) / 2:  # c + c.T would overflow
            return _Gauss(m, c / 2 + c.T / 2, False)
        return _Gauss(m, (c + c.T) / 2, False)
    raise ShapeMismatchError(
        f"`{cname}` must be a scalar, a (d,) diagonal or a (d, d) matrix, got shape "
        f"{tuple(c.shape)}"
    )


def _reject_non_numeric(**named: Any) -> None:
    """:class:`DTypeError` for text arguments (which array dispatch cannot classify)."""
    for name, value in named.items():
        if isinstance(value, (str, bytes, bytearray)):
            raise DTypeError(
                f"`{name}` must be a number or an array of real numbers, got "
                f"{type(value).__name__} {value!r}"
            )


def _parse_pair(
    mean1: Any, cov1: Any, mean2: Any, cov2: Any
) -> tuple[ModuleType, _Gauss, _Gauss]:
    _reject_non_numeric(mean1=mean1, cov1=cov1, mean2=mean2, cov2=cov2)
    xp = array_namespace(mean1, cov1, mean2, cov2)
    g1 = _parse_one(mean1, cov1, "mean1", "cov1", xp)
    g2 = _parse_one(mean2, cov2, "mean2", "cov2", xp)
    if g1.mean.shape[0] != g2.mean.shape[0]:
        raise ShapeMismatchError(
            f"the two Gaussians have different dimensions: `mean1` has shape "
            f"{tuple(g1.mean.shape)} and `mean2` has shape {tuple(g2.mean.shape)}"
        )
    dt = result_float_dtype(xp, g1.mean, g1.cov, g2.mean, g2.cov)
    g1 = _Gauss(xp.astype(g1.mean, dt), xp.astype(g1.cov, dt), g1.diag)
    g2 = _Gauss(xp.astype(g2.mean, dt), xp.astype(g2.cov, dt), g2.diag)
    return xp, g1, g2


def _check_diag(v: Any, name: str, xp: ModuleType, *, semidefinite: bool = False) -> None:
    bad = bool(xp.any(v < 0)) if semidefinite else bool(xp.any(v <= 0))
    if bad:
        vn = to_numpy(v)
        i = int(np.argmin(vn))
        need = ">= 0" if semidefinite else "> 0"
        raise NotPositiveDefiniteError(
            f"`{name}`: variances must be {need}, got {float(vn[i])!r} at index {i}"
        )


def _full(g: _Gauss, xp: ModuleType) -> Any:
    if not g.diag:
        return g.cov
    d = g.cov.shape[0]
    return g.cov[:, None] * xp.eye(d, dtype=g.cov.dtype)


def _not_pd(s: Any, name: str, semidefinite: bool = False) -> NotPositiveDefiniteError:
    lam = np.linalg.eigvalsh(np.asarray(to_numpy(s), dtype=np.float64))
    kind = "positive semidefinite" if semidefinite else "positive definite"
    return NotPositiveDefiniteError(
        f"`{name}` is not symmetric {kind} (smallest eigenvalue {float(lam[0]):.3g}, "
        f"largest {float(lam[-1]):.3g})"
    )


def _cholesky(s: Any, name: str, xp: ModuleType) -> Any:
    """Lower Cholesky factor of ``s`` or :class:`NotPositiveDefiniteError` naming ``name``."""
    try:
        lower = xp.linalg.cholesky(s)
    except Exception as exc:  # LinAlgError (NumPy, array_api_strict)
        raise _not_pd(s, name) from exc
    diag = xp.linalg.diagonal(lower)
    if not (bool(xp.all(xp.isfinite(lower))) and bool(xp.all(diag > 0))):  # CuPy: NaN, no error
        raise _not_pd(s, name)
    return lower


def _solve_lower(lower: Any, b: Any, xp: ModuleType) -> Any:
    """Solve ``lower @ x = b`` for lower-triangular ``lower`` (b is 2-D)."""
    if is_numpy(xp):
        from scipy.linalg import solve_triangular

        return solve_triangular(lower, b, lower=True, check_finite=False)
    return xp.linalg.solve(lower, b)


def _logdet_chol(lower: Any, xp: ModuleType) -> Any:
    return 2.0 * xp.sum(xp.log(xp.linalg.diagonal(lower)))


def _clamp0(v: Any, xp: ModuleType) -> Any:
    return xp.maximum(v, xp.zeros_like(v))


def _host_max_abs(xp: ModuleType, *arrays: Any) -> float:
    """``max |a|`` over all ``arrays`` as a Python float (0 for no entries)."""
    return max(float(to_numpy(xp.max(xp.abs(a)))) if a.size else 0.0 for a in arrays)


def _safe_exponent(dt: Any, xp: ModuleType) -> int:
    """``L`` such that products of three numbers in ``[2**-L, 2**L]`` stay normal in ``dt``."""
    return math.frexp(float(xp.finfo(dt).max))[1] // 3


def _midpoint(a: Any, b: Any, xp: ModuleType) -> Any:
    """``(a + b) / 2`` without overflow near the top of the float range."""
    if _host_max_abs(xp, a, b) > float(xp.finfo(a.dtype).max) / 2:
        return a / 2 + b / 2
    return (a + b) / 2


def _scaled_delta(m1: Any, m2: Any, xp: ModuleType, limit: float) -> tuple[Any, float]:
    """``(delta', s)`` with ``m1 - m2 = s * delta'`` exactly, ``s`` a power of two.

    ``s = 1`` (bit-identical ``m1 - m2``) unless ``max|m1 - m2|`` exceeds ``limit`` or the
    difference could overflow; then ``s`` scales the largest entry to [1, 2).
    """
    top = _host_max_abs(xp, m1, m2)
    if top > float(xp.finfo(m1.dtype).max) / 4:
        s = pow2_scale(top)
        return m1 / s - m2 / s, s
    delta = m1 - m2
    dmax = _host_max_abs(xp, delta)
    if dmax <= limit:
        return delta, 1.0
    s = pow2_scale(dmax)
    return delta / s, s


def _mahalanobis(m1: Any, m2: Any, cov: Any, diag: bool, xp: ModuleType) -> Any:
    """``(m1 - m2)^T C^{-1} (m1 - m2)`` for variances ``cov`` (diag) or the Cholesky factor
    ``cov`` of C. The whitened vector is formed before squaring (no spurious under- or
    overflow); a true value beyond the float range is ``inf``, without a warning."""
    # the triangular solve must not overflow internally (inf * 0 = NaN in the substitution)
    limit = math.inf if diag else 2.0 ** _safe_exponent(m1.dtype, xp)
    delta, s = _scaled_delta(m1, m2, xp, limit)
    if diag:
        z = delta / xp.sqrt(cov)
    else:
        z = _solve_lower(cov, xp.reshape(delta, (delta.shape[0], 1)), xp)
    with np.errstate(over="ignore"):
        if s != 1.0:
            z = z * s
        return xp.sum(z * z)


# --------------------------------------------------------------------------------------------
# closed forms
# --------------------------------------------------------------------------------------------


def gaussian_kl(mean1: Any, cov1: Any, mean2: Any, cov2: Any) -> Any:
    r"""Kullback–Leibler divergence :math:`\mathrm{KL}(\mathcal N_1 \,\|\, \mathcal N_2)`.

    .. math::

        \mathrm{KL} = \tfrac12\Big[\operatorname{tr}(\Sigma_2^{-1}\Sigma_1)
        + (\mu_2-\mu_1)^\top\Sigma_2^{-1}(\mu_2-\mu_1) - d
        + \log\det\Sigma_2 - \log\det\Sigma_1\Big]

    computed from the Cholesky factors :math:`\Sigma_i = L_i L_i^\top` without forming an
    inverse: :math:`\operatorname{tr}(\Sigma_2^{-1}\Sigma_1) = \|L_2^{-1}L_1\|_F^2`, the
    Mahalanobis term is :math:`\|L_2^{-1}(\mu_2-\mu_1)\|^2` and
    :math:`\log\det\Sigma = 2\sum_i \log (L)_{ii}`. Diagonal covariances use the elementwise
    form :math:`\tfrac12\sum_i [t_i - \log(1+t_i) + \delta_i^2/v_{2,i}]` with
    :math:`t_i = v_{1,i}/v_{2,i} - 1`, accurate when the variances are close; for
    :math:`t_i < -\tfrac12` the logarithm is taken of the ratio itself (or as
    :math:`\log v_{1,i} - \log v_{2,i}` when the ratio under- or overflows), so tiny variance
    ratios stay finite. The Mahalanobis term whitens :math:`\delta` before squaring; a value
    beyond the float range (e.g. means :math:`10^{200}` apart) is returned as ``inf``,
    without a warning.

    Parameters
    ----------
    mean1, mean2 : array_like
        Means, scalars (d = 1) or shape (d,).
    cov1, cov2 : array_like
        Covariances: scalar (isotropic :math:`sI`; the variance when d = 1), shape (d,)
        (diagonal) or (d, d) (full, symmetric positive definite).

    Returns
    -------
    kl : array
        0-d array of the input namespace and float dtype (float32 only when every input is
        float32), in nats. Rounding below zero is clamped to 0.

    Raises
    ------
    ShapeMismatchError
        Means of different length, or a covariance whose shape does not match its mean.
    NotPositiveDefiniteError
        A covariance that is not symmetric positive definite (or a variance <= 0).
    NonFiniteError, DTypeError
        NaN/inf entries; complex or non-numeric input (including strings).

    See Also
    --------
    density_f_divergence : the same number by quadrature for 1-D densities.

    Examples
    --------
    >>> from divlab import gaussian_kl
    >>> float(gaussian_kl(0.0, 1.0, 1.0, 1.0))  # (mu1 - mu2)^2 / 2
    0.5
    >>> float(gaussian_kl([0.0, 0.0], [[2.0, 0.5], [0.5, 1.0]], [1.0, 0.0], [1.0, 1.0]))
    ... # doctest: +ELLIPSIS
    0.720...
    """
    xp, g1, g2 = _parse_pair(mean1, cov1, mean2, cov2)
    d = g1.mean.shape[0]
    if g1.diag and g2.diag:
        _check_diag(g1.cov, "cov1", xp)
        _check_diag(g2.cov, "cov2", xp)
        v1, v2 = g1.cov, g2.cov
        with np.errstate(over="ignore"):  # a ratio beyond the float range: KL = inf
            t = (v1 - v2) / v2
            r = v1 / v2
        # log(v1 / v2): log1p(t) near ratio 1 (accurate there), log(r) for small ratios
        # (log1p(t) loses everything once t rounds to -1), log v1 - log v2 where r is not a
        # normal finite number (underflow / overflow of the ratio)
        zero = xp.zeros_like(t)
        one = xp.ones_like(t)
        near = (t >= -0.5) & xp.isfinite(t)
        r_ok = (r >= float(xp.finfo(r.dtype).smallest_normal)) & xp.isfinite(r)
        log_r = xp.where(
            near,
            xp.log1p(xp.where(near, t, zero)),
            xp.where(r_ok, xp.log(xp.where(r_ok, r, one)), xp.log(v1) - xp.log(v2)),
        )
        val = 0.5 * (xp.sum(t - log_r) + _mahalanobis(g2.mean, g1.mean, v2, True, xp))
        return _clamp0(val, xp)
    l1 = _cholesky(_full(g1, xp), "cov1", xp)
    l2 = _cholesky(_full(g2, xp), "cov2", xp)
    a = _solve_lower(l2, l1, xp)
    maha = _mahalanobis(g2.mean, g1.mean, l2, False, xp)
    with np.errstate(over="ignore"):
        val = 0.5 * (
            xp.sum(a * a) + maha - float(d) + _logdet_chol(l2, xp) - _logdet_chol(l1, xp)
        )
    return _clamp0(val, xp)


def _sqrtm_psd(s: Any, xp: ModuleType) -> Any:
    w, v = xp.linalg.eigh(s)
    return (v * xp.sqrt(_clamp0(w, xp))[None, :]) @ v.T


def _check_psd(s: Any, name: str, xp: ModuleType) -> None:
    lam = xp.linalg.eigvalsh(s)
    top = float(to_numpy(xp.max(xp.abs(lam))))
    tol = 100.0 * s.shape[0] * float(xp.finfo(s.dtype).eps) * top
    if float(to_numpy(xp.min(lam))) < -tol:
        raise _not_pd(s, name, semidefinite=True)


def gaussian_w2(mean1: Any, cov1: Any, mean2: Any, cov2: Any) -> Any:
    r"""2-Wasserstein distance between two Gaussians (Bures–Wasserstein).

    With the Euclidean ground metric,

    .. math::

        W_2^2 = \|\mu_1-\mu_2\|^2 + \operatorname{tr}\Sigma_1 + \operatorname{tr}\Sigma_2
        - 2\operatorname{tr}\big(\Sigma_2^{1/2}\Sigma_1\Sigma_2^{1/2}\big)^{1/2}.

    The square roots come from symmetric eigendecompositions (``xp.linalg.eigh``) whose tiny
    negative eigenvalues (rounding) are clamped to zero; the result is :math:`W_2` itself, not
    :math:`W_2^2`. Diagonal covariances use the exact form
    :math:`\sum_i(\sqrt{v_{1,i}}-\sqrt{v_{2,i}})^2` for the covariance part (no cancellation).
    Singular (positive *semi*-definite) covariances are accepted: the formula holds for them.
    This is the value of POT's ``ot.gaussian.bures_wasserstein_distance``.

    Parameters
    ----------
    mean1, mean2 : array_like
        Means, scalars (d = 1) or shape (d,).
    cov1, cov2 : array_like
        Covariances: scalar (isotropic), shape (d,) (diagonal) or (d, d) (full, symmetric
        positive semidefinite).

    Returns
    -------
    w2 : array
        0-d array of the input namespace and float dtype.

    Raises
    ------
    ShapeMismatchError, NotPositiveDefiniteError, NonFiniteError, DTypeError
        As for :func:`gaussian_kl`, with "positive semidefinite" in place of "definite".

    Notes
    -----
    The full-matrix path loses absolute accuracy of order :math:`\sqrt{\epsilon\,
    \operatorname{tr}\Sigma}` when :math:`\Sigma_1 \approx \Sigma_2` (cancellation in the
    trace difference); the diagonal path does not.

    :math:`W_2` is 1-homogeneous in :math:`(\mu, \Sigma^{1/2})`. When the mean difference or
    the covariance entries lie outside roughly :math:`[2^{-L}, 2^{L}]` (:math:`L` a third of
    the dtype's exponent range: 341 in float64, 42 in float32), the mean part and the
    covariance part are computed on data rescaled by exact powers of two and combined without
    under- or overflow; other inputs take the direct formula unchanged. Only a true distance
    beyond the float range is ``inf``.

    Examples
    --------
    >>> from divlab import gaussian_w2
    >>> float(gaussian_w2(0.0, 1.0, 3.0, 4.0))  # sqrt((0-3)^2 + (1-2)^2)
    3.1622776601683795
    """
    xp, g1, g2 = _parse_pair(mean1, cov1, mean2, cov2)
    if g1.diag and g2.diag:
        _check_diag(g1.cov, "cov1", xp, semidefinite=True)
        _check_diag(g2.cov, "cov2", xp, semidefinite=True)
    else:
        _check_psd(_full(g1, xp), "cov1", xp)
        _check_psd(_full(g2, xp), "cov2", xp)
    dt = g1.mean.dtype
    big = 2.0 ** _safe_exponent(dt, xp)
    c = _host_max_abs(xp, g1.cov, g2.cov)
    am = _host_max_abs(xp, g1.mean, g2.mean)
    dm = _host_max_abs(xp, g1.mean - g2.mean) if am <= big else math.inf
    if (c == 0 or 1 / big <= c <= big) and (dm == 0 or 1 / big <= dm <= big):
        delta = g1.mean - g2.mean
        return xp.sqrt(xp.sum(delta * delta) + _bures_sq(g1, g2, xp))
    # Extreme scales: W2 is 1-homogeneous in (means, sqrt(covs)). Compute the mean part and
    # the covariance part on data rescaled by exact powers of two, then combine them.
    parts = []  # (v, k): the two parts of W2 are v * 2**k
    if dm != 0:
        if am <= big:
            sd = pow2_scale(dm)
            dlt = (g1.mean - g2.mean) / sd
        else:
            sd = pow2_scale(am)
            dlt = g1.mean / sd - g2.mean / sd
        parts.append((xp.sqrt(xp.sum(dlt * dlt)), math.frexp(sd)[1] - 1))
    if c != 0:
        sc = pow2_scale(math.sqrt(c))
        h1 = _Gauss(g1.mean, g1.cov / sc / sc, g1.diag)
        h2 = _Gauss(g2.mean, g2.cov / sc / sc, g2.diag)
        parts.append((xp.sqrt(_bures_sq(h1, h2, xp)), math.frexp(sc)[1] - 1))
    return _hypot_pow2(parts, dt, xp)


def _ldexp(v: Any, k: int) -> Any:
    """``v * 2**k`` in two exact steps (each factor representable even in float32)."""
    if k == 0:
        return v
    return (v * 2.0 ** (k // 2)) * 2.0 ** (k - k // 2)


def _hypot_pow2(parts: list[tuple[Any, int]], dt: Any, xp: ModuleType) -> Any:
    """``sqrt(sum (v * 2**k)**2)`` over 0-d arrays ``v >= 0`` without spurious under- or
    overflow; a true result beyond the float range is ``inf`` (no warning)."""
    live = []
    for v, k in parts:
        hv = float(to_numpy(v))
        if hv > 0:
            live.append((v, k, math.frexp(hv)[1] + k))
    if not live:
        return xp.zeros((), dtype=dt)
    emax = max(e for _, _, e in live)
    tot = xp.zeros((), dtype=dt)
    for v, k, e in live:
        if e - emax >= -80:  # else below rounding of the sum of squares
            w = _ldexp(v, k - emax)
            tot = tot + w * w
    with np.errstate(over="ignore"):
        return _ldexp(xp.sqrt(tot), emax)


def _bures_sq(g1: _Gauss, g2: _Gauss, xp: ModuleType) -> Any:
    """Squared Bures distance of the covariances (checked PSD), clamped at 0."""
    if g1.diag and g2.diag:
        r = xp.sqrt(g1.cov) - xp.sqrt(g2.cov)
        return xp.sum(r * r)
    s1, s2 = _full(g1, xp), _full(g2, xp)
    r2 = _sqrtm_psd(s2, xp)
    m = r2 @ s1 @ r2
    lam = _clamp0(xp.linalg.eigvalsh((m + m.T) / 2), xp)
    b2 = xp.linalg.trace(s1) + xp.linalg.trace(s2) - 2.0 * xp.sum(xp.sqrt(lam))
    return _clamp0(b2, xp)


def gaussian_bhattacharyya(mean1: Any, cov1: Any, mean2: Any, cov2: Any) -> Any:
    r"""Bhattacharyya distance :math:`D_B = -\log \int \sqrt{p\,q}\,dx` between two Gaussians.

    .. math::

        D_B = \tfrac18(\mu_1-\mu_2)^\top\Sigma^{-1}(\mu_1-\mu_2)
        + \tfrac12\log\frac{\det\Sigma}{\sqrt{\det\Sigma_1\det\Sigma_2}},
        \qquad \Sigma = \tfrac12(\Sigma_1+\Sigma_2),

    with the determinants and the quadratic form from Cholesky factors. :math:`D_B \ge 0`,
    zero iff the Gaussians are equal; it is symmetric but violates the triangle inequality.
    The Bhattacharyya coefficient is :math:`\mathrm{BC} = e^{-D_B}`.

    Parameters
    ----------
    mean1, mean2, cov1, cov2 : array_like
        As in :func:`gaussian_kl` (positive definite covariances).

    Returns
    -------
    db : array
        0-d array of the input namespace and float dtype.

    Raises
    ------
    ShapeMismatchError, NotPositiveDefiniteError, NonFiniteError, DTypeError
        As for :func:`gaussian_kl`.

    Examples
    --------
    >>> from divlab import gaussian_bhattacharyya
    >>> float(gaussian_bhattacharyya(0.0, 1.0, 2.0, 1.0))  # (mu1 - mu2)^2 / (8 sigma^2)
    0.5
    """
    xp, g1, g2 = _parse_pair(mean1, cov1, mean2, cov2)
    return _bhattacharyya(xp, g1, g2)


def _bhattacharyya(xp: ModuleType, g1: _Gauss, g2: _Gauss) -> Any:
    if g1.diag and g2.diag:
        _check_diag(g1.cov, "cov1", xp)
        _check_diag(g2.cov, "cov2", xp)
        v = _midpoint(g1.cov, g2.cov, xp)
        logs = xp.log(v) - 0.5 * xp.log(g1.cov) - 0.5 * xp.log(g2.cov)
        maha = _mahalanobis(g1.mean, g2.mean, v, True, xp)
        val = maha / 8.0 + 0.5 * xp.sum(logs)
        return _clamp0(val, xp)
    s1, s2 = _full(g1, xp), _full(g2, xp)
    l1 = _cholesky(s1, "cov1", xp)
    l2 = _cholesky(s2, "cov2", xp)
    lm = _cholesky(_midpoint(s1, s2, xp), "(cov1 + cov2) / 2", xp)
    maha = _mahalanobis(g1.mean, g2.mean, lm, False, xp)
    val = maha / 8.0 + 0.5 * (
        _logdet_chol(lm, xp) - 0.5 * _logdet_chol(l1, xp) - 0.5 * _logdet_chol(l2, xp)
    )
    return _clamp0(val, xp)


def gaussian_squared_hellinger(mean1: Any, cov1: Any, mean2: Any, cov2: Any) -> Any:
    r"""Squared Hellinger distance between two Gaussians, lecture convention.

    .. math::

        H^2 = \int\big(\sqrt{p}-\sqrt{q}\big)^2\,dx = 2\,(1-\mathrm{BC}) = -2\,\mathrm{expm1}(-D_B),

    where :math:`D_B` is :func:`gaussian_bhattacharyya`. This is the f-divergence of the
    registry entry ``"squared_hellinger"`` (generator :math:`(\sqrt u-1)^2`, as in the lecture's
    f-GAN table and :func:`divlab.squared_hellinger`); it lies in :math:`[0, 2]`. The
    ½-normalised convention common elsewhere, :math:`\tfrac12\int(\sqrt p-\sqrt q)^2 =
    1-\mathrm{BC} \in [0, 1]`, is half of this value.

    Parameters
    ----------
    mean1, mean2, cov1, cov2 : array_like
        As in :func:`gaussian_kl` (positive definite covariances).

    Returns
    -------
    h2 : array
        0-d array of the input namespace and float dtype.

    Raises
    ------
    ShapeMismatchError, NotPositiveDefiniteError, NonFiniteError, DTypeError
        As for :func:`gaussian_kl`.

    Examples
    --------
    >>> import math
    >>> from divlab import gaussian_squared_hellinger
    >>> h2 = float(gaussian_squared_hellinger(0.0, 1.0, 2.0, 1.0))
    >>> math.isclose(h2, 2 * (1 - math.exp(-0.5)))
    True
    """
    xp, g1, g2 = _parse_pair(mean1, cov1, mean2, cov2)
    db = _bhattacharyya(xp, g1, g2)
    return -2.0 * xp.expm1(-db)


def fit_gaussian(x: Any, *, ddof: int = 0) -> tuple[Any, Any]:
    r"""Maximum-likelihood Gaussian fit of samples: the lecture's :math:`\mu_{ML}, \Sigma_{ML}`.

    .. math::

        \mu_{ML} = \frac1N\sum_{n=1}^N x^{(n)}, \qquad
        \Sigma_{ML} = \frac1{N-\mathrm{ddof}}\sum_{n=1}^N (x^{(n)}-\mu_{ML})(x^{(n)}-\mu_{ML})^\top.

    The default ``ddof=0`` divides by N: this is the maximum-likelihood estimate (biased);
    ``ddof=1`` gives the unbiased sample covariance (``numpy.cov``'s default). The
    covariance is computed from centred data (two passes) for accuracy.

    Parameters
    ----------
    x : array_like, shape (n, d) or (n,)
        Samples, one per row; 1-D input is n one-dimensional samples.
    ddof : int, optional
        Delta degrees of freedom, ``0 <= ddof < n``.

    Samples whose largest magnitude lies outside roughly :math:`[2^{-L}, 2^{L}]` (:math:`L`
    = 341 in float64, 42 in float32) are fitted after division by an exact power of two and
    scaled back, so the mean does not overflow (samples near ``1.7e308`` give the right
    mean). Covariance entries whose true value is beyond the float range are returned as
    ``inf`` (no warning, no error), and ones below it as 0.

    Returns
    -------
    mean : array, shape (d,)
    cov : array, shape (d, d)
        Same namespace and float dtype as ``x``. With n = 1 and ``ddof=0`` the covariance is
        the zero matrix (singular, still the MLE). Entries may be ``inf`` where the true
        (co)variance exceeds the float range, see above.

    Raises
    ------
    EmptyInputError
        No samples.
    ParameterError
        ``ddof`` not an integer in ``[0, n - 1]``.
    NonFiniteError, ShapeMismatchError, DTypeError
        NaN/inf samples, arrays of more than two dimensions, non-numeric data (including
        strings).

    Examples
    --------
    >>> from divlab import fit_gaussian
    >>> mean, cov = fit_gaussian([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
    >>> mean.tolist(), cov.tolist()
    ([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]])
    """
    _reject_non_numeric(x=x)
    xp = array_namespace(x)
    x = check_samples(x, "x", xp=xp)
    n = x.shape[0]
    ddof = check_int(ddof, "ddof", min_value=0, max_value=n - 1)
    big = 2.0 ** _safe_exponent(x.dtype, xp)
    top = _host_max_abs(xp, x)
    s = 1.0 if (top == 0 or 1 / big <= top <= big) else pow2_scale(top)
    if s != 1.0:  # near the ends of the float range: fit x / s (exact), scale back
        x = x / s
    mean = xp.mean(x, axis=0)
    xc = x - mean
    cov = (xc.T @ xc) / float(n - ddof)
    cov = (cov + cov.T) / 2
    if s != 1.0:
        with np.errstate(over="ignore"):  # a variance beyond the float range is inf
            mean = mean * s
            cov = (cov * s) * s
    return mean, cov


# --------------------------------------------------------------------------------------------
# f-divergences between 1-D densities by quadrature
# --------------------------------------------------------------------------------------------

#: log of the largest likelihood ratio evaluated directly; beyond it, asymptotics are used.
_LOG_RATIO_MAX = 700.0
_BULK_PROBS = (1e-12, 1e-6, 1e-3, 0.05, 0.25, 0.5, 0.75, 0.95, 1 - 1e-3, 1 - 1e-6, 1 - 1e-12)


@dataclass(frozen=True)
class QuadratureResult:
    """Value of an integral and SciPy's estimate of its absolute error.

    Attributes
    ----------
    value : float
        The divergence (``inf`` where the math says so, see :func:`density_f_divergence`).
    abserr : float
        Sum of :func:`scipy.integrate.quad`'s absolute-error estimates over the subintervals
        (0 when ``value`` is infinite).
    n_intervals : int
        Number of subintervals the domain was split into.
    converged : bool
        False if any subinterval did not reach the requested tolerance (a
        :class:`~divlab.errors.ConvergenceWarning` was issued).
    """

    value: float
    abserr: float
    n_intervals: int = 1
    converged: bool = True

    def __float__(self) -> float:
        return float(self.value)


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
    >>> round(r.value, 12), r.abserr < 1e-8
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


