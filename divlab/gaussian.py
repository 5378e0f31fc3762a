"""Closed forms for Gaussians and maximum-likelihood fits.

Covariance arguments follow :class:`scipy.stats.multivariate_normal`:

* a scalar ``s`` is the isotropic covariance :math:`s I` (for a 1-D Gaussian: the variance);
* a 1-D array ``v`` of length d is the diagonal covariance :math:`\\operatorname{diag}(v)`;
* a 2-D array of shape (d, d) is a full symmetric covariance matrix.

Means are scalars (d = 1) or arrays of shape (d,). Batches are not supported: loop over them.

The closed forms run on any array-API namespace (NumPy, CuPy, PyTorch, ``array_api_strict``)
with ``xp.linalg.cholesky`` / ``xp.linalg.eigh``; diagonal inputs use elementwise formulas,
which are exact up to rounding and cheaper. The kernels read no value back to the host: the
exact power-of-two rescaling of extreme inputs is device arithmetic
(:func:`divlab._array.pow2_floor`), so results stay lazy (Dask), on the GPU (CuPy) and in the
autograd graph (PyTorch); the only host reads are the validity flags checked at the door.
f-divergences between 1-D densities by quadrature live in :mod:`divlab.densities`.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from ._array import (
    array_namespace,
    as_result,
    device_of,
    pow2_floor,
    result_float_dtype,
    solve_lower_triangular,
    to_numpy,
)
from ._validate import as_float_array, check_finite, check_int, check_samples
from .errors import DTypeError, NotPositiveDefiniteError, ShapeMismatchError

__all__ = [
    "fit_gaussian",
    "gaussian_bhattacharyya",
    "gaussian_kl",
    "gaussian_squared_hellinger",
    "gaussian_w2",
]


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
        half, half_t = c / 2, c.T / 2  # no overflow near the float maximum
        rtol = max(_SYM_RTOL, 100.0 * float(xp.finfo(c.dtype).eps))
        tiny = float(xp.finfo(c.dtype).smallest_normal)
        scale = xp.maximum(xp.max(xp.abs(c)), xp.asarray(tiny, dtype=c.dtype))
        if bool(xp.max(xp.abs(half - half_t)) > (rtol / 2) * scale):  # one flag at the door
            asym = float(np.max(np.abs(np.subtract(*(np.asarray(to_numpy(a), np.float64)
                                                     for a in (c, c.T))))))
            raise NotPositiveDefiniteError(
                f"`{cname}` is not symmetric (largest |C - C^T| entry is {asym:.3g})"
            )
        return _Gauss(m, _midpoint(c, c.T, xp), False)
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
    except Exception as exc:  # LinAlgError (NumPy, array_api_strict, PyTorch)
        raise _not_pd(s, name) from exc
    diag = xp.linalg.diagonal(lower)
    # CuPy returns NaN instead of raising: one validity flag
    if not bool(xp.all(xp.isfinite(lower)) & xp.all(diag > 0)):
        raise _not_pd(s, name)
    return lower


def _logdet_chol(lower: Any, xp: ModuleType) -> Any:
    return 2.0 * xp.sum(xp.log(xp.linalg.diagonal(lower)))


def _clamp0(v: Any, xp: ModuleType) -> Any:
    return xp.maximum(v, xp.zeros_like(v))


def _safe_exponent(dt: Any, xp: ModuleType) -> int:
    """``L`` such that products of three numbers in ``[2**-L, 2**L]`` stay normal in ``dt``."""
    return math.frexp(float(xp.finfo(dt).max))[1] // 3


def _max_abs(xp: ModuleType, *arrays: Any) -> Any:
    """``max |a|`` over all ``arrays``, a 0-d array on the device."""
    out = xp.max(xp.abs(arrays[0]))
    for a in arrays[1:]:
        out = xp.maximum(out, xp.max(xp.abs(a)))
    return out


def _midpoint(a: Any, b: Any, xp: ModuleType) -> Any:
    """``(a + b) / 2``, or ``a/2 + b/2`` where the sum overflows (near the top of the float
    range); elementwise on the device."""
    with np.errstate(over="ignore"):
        full = (a + b) / 2
    return xp.where(xp.isfinite(full), full, a / 2 + b / 2)


def _scaled_delta(m1: Any, m2: Any, xp: ModuleType, limit: float) -> tuple[Any, Any]:
    """``(delta', s)`` with ``m1 - m2 = s * delta'`` exactly, ``s`` a 0-d power of two.

    ``s = 1`` (bit-identical ``m1 - m2``) unless the difference could overflow (then ``s``
    scales the largest mean to [1, 2)) or ``max|m1 - m2|`` exceeds ``limit`` (then ``s``
    scales it to [1, 2)). Device arithmetic only.
    """
    top = _max_abs(xp, m1, m2)
    one = xp.ones_like(top)
    s = xp.where(top > float(xp.finfo(m1.dtype).max) / 4, pow2_floor(top, xp), one)
    delta = m1 / s - m2 / s
    if math.isfinite(limit):
        dmax = xp.max(xp.abs(delta))
        s2 = xp.where(dmax > limit, pow2_floor(dmax, xp), one)
        delta = delta / s2
        s = s * s2  # at most one of the two factors differs from 1: no overflow
    return delta, s


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
        z = solve_lower_triangular(cov, xp.reshape(delta, (delta.shape[0], 1)), xp)
    with np.errstate(over="ignore"):
        z = z * s  # exact: s is a power of two (1 for ordinary data)
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
    kl : numpy scalar or 0-d array
        In nats; a NumPy scalar of the float dtype for NumPy input, else a 0-d array of the
        input namespace and device (float32 only when every input is float32). Rounding
        below zero is clamped to 0. Differentiable under PyTorch autograd (no host read).

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
    divlab.densities.density_f_divergence : the same number by quadrature for 1-D densities.

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
        return as_result(_clamp0(val, xp), xp)
    l1 = _cholesky(_full(g1, xp), "cov1", xp)
    l2 = _cholesky(_full(g2, xp), "cov2", xp)
    a = solve_lower_triangular(l2, l1, xp)
    maha = _mahalanobis(g2.mean, g1.mean, l2, False, xp)
    with np.errstate(over="ignore"):
        val = 0.5 * (
            xp.sum(a * a) + maha - float(d) + _logdet_chol(l2, xp) - _logdet_chol(l1, xp)
        )
    return as_result(_clamp0(val, xp), xp)


def _sqrtm_psd(s: Any, xp: ModuleType) -> Any:
    w, v = xp.linalg.eigh(s)
    return (v * xp.sqrt(_clamp0(w, xp))[None, :]) @ v.T


def _check_psd(s: Any, name: str, xp: ModuleType) -> None:
    lam = xp.linalg.eigvalsh(s)
    rtol = 100.0 * s.shape[0] * float(xp.finfo(s.dtype).eps)
    if bool(xp.min(lam) < -rtol * xp.max(xp.abs(lam))):  # one validity flag at the door
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
    w2 : numpy scalar or 0-d array
        A NumPy scalar of the float dtype for NumPy input, else a 0-d array of the input
        namespace and device. Differentiable under PyTorch autograd (no host read; the
        full-matrix path differentiates through ``eigh``, which needs distinct eigenvalues).

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
    under- or overflow; other inputs take the direct formula unchanged (the scales are
    chosen on the device: exactly 1 for ordinary data). Only a true distance beyond the float
    range is ``inf``.

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
    # Exact power-of-two rescaling, on the device: W2 is 1-homogeneous in (means,
    # sqrt(covs)). Every scale below is exactly 1 for ordinary inputs (the direct formula,
    # bit for bit) and a power of two otherwise.
    am = _max_abs(xp, g1.mean, g2.mean)
    one = xp.ones_like(am)
    far = am > big
    sd0 = xp.where(far, pow2_floor(am, xp), one)
    delta = g1.mean / sd0 - g2.mean / sd0  # == mean1 - mean2 while sd0 == 1
    dm = xp.max(xp.abs(delta))
    mean_ok = ~far & ((dm == 0) | ((dm >= 1 / big) & (dm <= big)))
    sd1 = xp.where(mean_ok, one, pow2_floor(dm, xp))
    delta = delta / sd1
    c = _max_abs(xp, g1.cov, g2.cov)
    cov_ok = (c == 0) | ((c >= 1 / big) & (c <= big))
    sc = xp.where(cov_ok, one, pow2_floor(xp.sqrt(xp.where(c > 0, c, one)), xp))
    h1 = _Gauss(g1.mean, g1.cov / sc / sc, g1.diag)
    h2 = _Gauss(g2.mean, g2.cov / sc / sc, g2.diag)
    w = _hypot_scaled(xp.sum(delta * delta), xp.log2(sd0) + xp.log2(sd1),
                      _bures_sq(h1, h2, xp), xp.log2(sc), mean_ok & cov_ok, xp)
    return as_result(w, xp)


def _hypot_scaled(a2: Any, ea: Any, b2: Any, eb: Any, unit: Any, xp: ModuleType) -> Any:
    r""":math:`\sqrt{2^{2 e_a} a_2 + 2^{2 e_b} b_2}` for 0-d arrays ``a2, b2 >= 0`` and integer
    exponents ``ea, eb``, without spurious under- or overflow (a true result beyond the float
    range is ``inf``, without a warning).

    Both terms are expressed in units of :math:`2^t`, ``t`` the exponent of the larger of
    :math:`2^{e_a}\sqrt{a_2}` and :math:`2^{e_b}\sqrt{b_2}`; where ``unit`` is true
    (``ea == eb == 0``) ``t = 0`` and the result is ``sqrt(a2 + b2)`` bit for bit. Device
    arithmetic only; the exponents carry no gradient.
    """
    one = xp.ones_like(a2)
    none = xp.full_like(a2, -math.inf)
    ka = xp.where(a2 > 0, ea + xp.floor(0.5 * xp.log2(xp.where(a2 > 0, a2, one))), none)
    kb = xp.where(b2 > 0, eb + xp.floor(0.5 * xp.log2(xp.where(b2 > 0, b2, one))), none)
    t = xp.maximum(ka, kb)
    t = xp.where(unit | ~xp.isfinite(t), xp.zeros_like(t), t)
    two = xp.asarray(2.0, dtype=a2.dtype, device=device_of(a2))
    ra = xp.where(a2 > 0, xp.pow(two, ea - t), xp.zeros_like(a2))
    rb = xp.where(b2 > 0, xp.pow(two, eb - t), xp.zeros_like(b2))
    root = xp.sqrt((a2 * ra) * ra + (b2 * rb) * rb)
    half = xp.floor(t / 2)
    with np.errstate(over="ignore"):  # 2**t in two exact steps (each factor representable)
        return (root * xp.pow(two, half)) * xp.pow(two, t - half)


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
    return as_result(_bhattacharyya(xp, g1, g2), xp)


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
    return as_result(-2.0 * xp.expm1(-db), xp)


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
    top = xp.max(xp.abs(x))
    # near the ends of the float range: fit x / s (exact), scale back; s == 1 otherwise
    s = xp.where((top == 0) | ((top >= 1 / big) & (top <= big)), xp.ones_like(top),
                 pow2_floor(top, xp))
    x = x / s
    mean = xp.mean(x, axis=0)
    xc = x - mean
    cov = (xc.T @ xc) / float(n - ddof)
    cov = (cov + cov.T) / 2
    with np.errstate(over="ignore"):  # a variance beyond the float range is inf
        mean = mean * s  # exact (a power of two; 1 for ordinary data)
        cov = (cov * s) * s
    return mean, cov
