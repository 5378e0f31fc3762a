"""Closed forms for Gaussians and maximum-likelihood fits.

Covariance arguments follow :class:`scipy.stats.multivariate_normal`:

* a scalar ``s`` is the isotropic covariance :math:`s I` (for a 1-D Gaussian: the variance);
* a 1-D array ``v`` of length d is the diagonal covariance :math:`\\operatorname{diag}(v)`;
* a 2-D array of shape (d, d) is a full symmetric covariance matrix.

Means are scalars (d = 1) or arrays of shape (d,). :func:`gaussian_w2` also takes batches:
means of shape (k, d) with covariances of shape (k,), (k, d) or (k, d, d), one value per
pair (the other closed forms: loop over the pairs).

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
from ._validate import (
    argument_hints,
    as_float_array,
    check_finite,
    check_int,
    check_samples,
)
from .errors import DTypeError, EmptyInputError, NotPositiveDefiniteError, ShapeMismatchError

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


@argument_hints
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
    return (v * xp.sqrt(_clamp0(w, xp))[..., None, :]) @ xp.linalg.matrix_transpose(v)


def _check_psd(s: Any, name: str, xp: ModuleType) -> None:
    lam = xp.linalg.eigvalsh(s)
    rtol = 100.0 * s.shape[0] * float(xp.finfo(s.dtype).eps)
    if bool(xp.min(lam) < -rtol * xp.max(xp.abs(lam))):  # one validity flag at the door
        raise _not_pd(s, name, semidefinite=True)


@argument_hints
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

    Full covariances that are close (:math:`\|\Sigma_1^{1/2}(\Sigma_2-\Sigma_1)
    \Sigma_1^{1/2}\|_F \le \lambda_{\min}(\Sigma_1)^2/4`, written here with
    :math:`\Sigma_1` as the expansion point; the code expands around ``cov2``, the value is
    symmetric) take a cancellation-free form.
    With :math:`\Sigma_1 = Q\Lambda Q^\top`, :math:`D = Q^\top(\Sigma_2-\Sigma_1)Q`
    and :math:`Y = (\Lambda^2 + \Lambda^{1/2}D\Lambda^{1/2})^{1/2} - \Lambda` (obtained
    from the fixed point :math:`Y_{ij} = (\Lambda^{1/2}D\Lambda^{1/2} - Y^2)_{ij} /
    (\lambda_i+\lambda_j)`),

    .. math::

        \operatorname{tr}\Sigma_1 + \operatorname{tr}\Sigma_2
        - 2\operatorname{tr}\big(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}\big)^{1/2}
        = \sum_{i,j} Y_{ij}^2\,\tfrac12\big(\lambda_i^{-1}+\lambda_j^{-1}\big),

    a sum of non-negative terms: identical covariances give exactly 0 and a perturbation
    of relative size :math:`10^{-12}` keeps full relative accuracy (the trace form loses
    everything below :math:`\sqrt{\epsilon}`).

    Parameters
    ----------
    mean1, mean2 : array_like
        Means, scalars (d = 1) or shape (d,); or, for a batch, shape (k, d) (one side may
        stay a single Gaussian, or have k = 1, and is then broadcast against the other).
    cov1, cov2 : array_like
        Covariances: scalar (isotropic), shape (d,) (diagonal) or (d, d) (full, symmetric
        positive semidefinite). With batched means of shape (k, d): shape (k,) (isotropic),
        (k, d) (diagonal) or (k, d, d) (full).

    Returns
    -------
    w2 : numpy scalar or 0-d array, or array of shape (k,)
        A NumPy scalar of the float dtype for NumPy input, else a 0-d array of the input
        namespace and device; for batched means an array of shape (k,), the numbers of
        single calls (computed with stacked ``eigh`` / elementwise formulas when every pair
        is valid and of ordinary scale; otherwise pair by pair, and errors name the pair,
        e.g. ``cov2[4]``).
        Differentiable under PyTorch autograd (no host read; the full-matrix path
        differentiates through ``eigh`` of ``cov2``, which needs distinct eigenvalues when
        ``cov2`` itself requires a gradient).

    Raises
    ------
    ShapeMismatchError, NotPositiveDefiniteError, NonFiniteError, DTypeError
        As for :func:`gaussian_kl`, with "positive semidefinite" in place of "definite".

    Notes
    -----
    Accuracy against a 50-digit reference (3x3 matrices, :math:`\Sigma_2 = \Sigma_1 +
    \delta E`): relative error below :math:`10^{-15}` for :math:`\delta = 10^{-3}` …
    :math:`10^{-12}`, exactly 0 for :math:`\delta = 0`; the trace form alone returns
    :math:`4`–:math:`7\cdot 10^{-8}` for identical inputs, 100 % error at
    :math:`\delta = 10^{-9}` and a factor :math:`3\cdot 10^4` at :math:`\delta = 10^{-12}`.
    Far from that regime the trace form is used; its absolute
    error is of order :math:`\sqrt{\epsilon\operatorname{tr}\Sigma}`, small against the
    distance there (singular or badly conditioned :math:`\Sigma_1` with a nearby
    :math:`\Sigma_2` can still lose relative accuracy).

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
    >>> import numpy as np
    >>> s = np.array([[2.0, 0.3], [0.3, 1.0]])
    >>> float(gaussian_w2([0.0, 0.0], s, [0.0, 0.0], s))  # exactly 0
    0.0
    >>> gaussian_w2(np.zeros((3, 2)), np.array([1.0, 4.0, 9.0]), [0.0, 0.0], 1.0)
    array([0.        , 1.41421356, 2.82842712])
    """
    _reject_non_numeric(mean1=mean1, cov1=cov1, mean2=mean2, cov2=cov2)
    xp = array_namespace(mean1, cov1, mean2, cov2)
    if _ndim(mean1) == 2 or _ndim(mean2) == 2:
        return _gaussian_w2_batched(mean1, cov1, mean2, cov2, xp)
    xp, g1, g2 = _parse_pair(mean1, cov1, mean2, cov2)
    return as_result(_w2_pair(xp, g1, g2, "cov1", "cov2"), xp)


def _w2_pair(xp: ModuleType, g1: _Gauss, g2: _Gauss, cname1: str, cname2: str) -> Any:
    """:func:`gaussian_w2` of two parsed Gaussians: PSD checks at the door, then the kernel
    (a 0-d array)."""
    if g1.diag and g2.diag:
        _check_diag(g1.cov, cname1, xp, semidefinite=True)
        _check_diag(g2.cov, cname2, xp, semidefinite=True)
    else:
        _check_psd(_full(g1, xp), cname1, xp)
        _check_psd(_full(g2, xp), cname2, xp)
    return _w2_kernel(xp, g1, g2)


def _w2_kernel(xp: ModuleType, g1: _Gauss, g2: _Gauss) -> Any:
    """W2 of two checked Gaussians, a 0-d array (device arithmetic only)."""
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
    return w


def _ndim(a: Any) -> int:
    nd = getattr(a, "ndim", None)
    return int(nd) if nd is not None else int(np.ndim(a))


def _batch_side(mean: Any, cov: Any, mname: str, cname: str, xp: ModuleType
                ) -> tuple[int | None, Any, Any]:
    """``(k, m, c)`` for one side of a batched call; ``k`` is None for a single Gaussian
    (``m``, ``c`` as given), else means ``m`` (k, d) and covariances ``c`` of shape (k,),
    (k, d) or (k, d, d), checked against each other."""
    if _ndim(mean) != 2:
        return None, mean, cov
    m = as_float_array(mean, mname, xp)
    c = as_float_array(cov, cname, xp)
    k, d = m.shape
    want = {1: (k,), 2: (k, d), 3: (k, d, d)}.get(c.ndim)
    if want is None or tuple(c.shape) != want:
        raise ShapeMismatchError(
            f"with batched means `{mname}` of shape {tuple(m.shape)}, `{cname}` must have "
            f"shape ({k},) (isotropic), ({k}, {d}) (diagonal) or ({k}, {d}, {d}) (full), "
            f"got shape {tuple(c.shape)}"
        )
    return k, m, c


def _gaussian_w2_batched(mean1: Any, cov1: Any, mean2: Any, cov2: Any, xp: ModuleType) -> Any:
    """:func:`gaussian_w2` for batched means: an array of shape (k,)."""
    k1, m1, c1 = _batch_side(mean1, cov1, "mean1", "cov1", xp)
    k2, m2, c2 = _batch_side(mean2, cov2, "mean2", "cov2", xp)
    sizes = {k for k in (k1, k2) if k is not None}
    if len(sizes) > 1 and 1 not in sizes:
        raise ShapeMismatchError(
            f"batched means of different lengths: `mean1` has shape "
            f"{tuple(m1.shape)} and `mean2` has shape {tuple(m2.shape)} (use equal lengths, "
            f"length 1 or a single Gaussian to broadcast)"
        )
    k = max(sizes)
    if k == 0:
        raise EmptyInputError("the batch of Gaussians is empty (k = 0)")
    dt = result_float_dtype(xp, *(as_float_array(a, n, xp) for a, n in
                                  ((m1, "mean1"), (c1, "cov1"), (m2, "mean2"), (c2, "cov2"))))

    fast = _w2_batched_diag(k1, m1, c1, k2, m2, c2, xp, dt)
    if fast is None:
        fast = _w2_batched_full(k1, m1, c1, k2, m2, c2, xp, dt)
    if fast is not None:
        return fast

    def item(kk: int | None, m: Any, c: Any, i: int, mname: str, cname: str) -> _Gauss:
        if kk is None:
            g = _parse_one(m, c, mname, cname, xp)
        else:
            j = 0 if kk == 1 else i
            g = _parse_one(m[j, ...], c[j, ...], f"{mname}[{j}]", f"{cname}[{j}]", xp)
        return _Gauss(xp.astype(g.mean, dt), xp.astype(g.cov, dt), g.diag)

    out = []
    for i in range(k):
        g1 = item(k1, m1, c1, i, "mean1", "cov1")
        g2 = item(k2, m2, c2, i, "mean2", "cov2")
        if g1.mean.shape[0] != g2.mean.shape[0]:
            raise ShapeMismatchError(
                f"the two Gaussians have different dimensions: `mean1` has shape "
                f"{tuple(m1.shape)} and `mean2` has shape {tuple(m2.shape)}"
            )
        n1 = "cov1" if k1 is None else f"cov1[{0 if k1 == 1 else i}]"
        n2 = "cov2" if k2 is None else f"cov2[{0 if k2 == 1 else i}]"
        out.append(_w2_pair(xp, g1, g2, n1, n2))
    return xp.stack(out)


def _w2_batched_diag(k1: int | None, m1: Any, c1: Any, k2: int | None, m2: Any, c2: Any,
                     xp: ModuleType, dt: Any) -> Any:
    """Vectorised batched W2 when every covariance is isotropic or diagonal and every pair is
    ordinary (finite, variances >= 0, no rescaling needed: the same numbers as the
    per-pair kernel, whose scales are all 1 then); ``None`` otherwise (the caller loops,
    which also produces the precise error). One validity flag is read at the door."""

    def side(kk: int | None, m: Any, c: Any, mname: str, cname: str) -> Any:
        m = xp.astype(as_float_array(m, mname, xp), dt)
        c = xp.astype(as_float_array(c, cname, xp), dt)
        if kk is None:
            if m.ndim == 0:
                m = xp.reshape(m, (1,))
            if m.ndim != 1 or c.ndim > 1 or (c.ndim == 1 and c.shape[0] != m.shape[0]):
                return None
            ones = xp.ones((1, m.shape[0]), dtype=dt, device=device_of(m))
            return m[None, :], (xp.reshape(c, (1, 1)) * ones if c.ndim == 0 else c[None, :])
        if c.ndim == 3:
            return None
        ones = xp.ones((1, m.shape[1]), dtype=dt, device=device_of(m))
        return m, (c[:, None] * ones if c.ndim == 1 else c)  # isotropic: d equal variances

    a, b = side(k1, m1, c1, "mean1", "cov1"), side(k2, m2, c2, "mean2", "cov2")
    if a is None or b is None or a[0].shape[1] != b[0].shape[1] or a[0].shape[1] == 0:
        return None
    (m1, v1), (m2, v2) = a, b
    big = 2.0 ** _safe_exponent(dt, xp)
    ok = (xp.all(xp.isfinite(m1)) & xp.all(xp.isfinite(m2)) & xp.all(xp.isfinite(v1))
          & xp.all(xp.isfinite(v2)))
    ok = ok & xp.all(v1 >= 0) & xp.all(v2 >= 0)
    if not bool(ok):
        return None
    ok = (xp.max(xp.abs(m1)) <= big) & (xp.max(xp.abs(m2)) <= big)
    delta = m1 - m2
    dm = xp.max(xp.abs(delta), axis=1)
    cm = xp.maximum(xp.max(v1, axis=1), xp.max(v2, axis=1))
    ok = ok & xp.all((dm == 0) | ((dm >= 1 / big) & (dm <= big)))
    ok = ok & xp.all((cm == 0) | ((cm >= 1 / big) & (cm <= big)))
    if not bool(ok):
        return None
    r = xp.sqrt(v1) - xp.sqrt(v2)
    return xp.sqrt(xp.sum(delta * delta, axis=1) + xp.sum(r * r, axis=1))


def _w2_batched_full(k1: int | None, m1: Any, c1: Any, k2: int | None, m2: Any, c2: Any,
                     xp: ModuleType, dt: Any) -> Any:
    """Vectorised batched W2 with full covariances (stacked ``eigh``): every covariance as a
    (k, d, d) stack, checked at once (finite, symmetric, PSD, ordinary scale: the per-pair
    kernel's scales are all 1); ``None`` where any pair fails (the caller loops and raises
    the precise error) or the namespace has no stacked ``eigh``."""
    if not hasattr(getattr(xp, "linalg", None), "eigh"):
        return None

    def side(kk: int | None, m: Any, c: Any, mname: str, cname: str) -> Any:
        m = xp.astype(as_float_array(m, mname, xp), dt)
        c = xp.astype(as_float_array(c, cname, xp), dt)
        if kk is None:
            if m.ndim == 0:
                m = xp.reshape(m, (1,))
            if m.ndim != 1 or c.ndim > 2:
                return None
            m, c = m[None, :], c[None, ...]
        d = m.shape[1]
        eye = xp.eye(d, dtype=dt, device=device_of(m))
        if c.ndim == 1:
            c = c[:, None, None] * eye
        elif c.ndim == 2:
            if c.shape[1] != d:
                return None
            c = c[:, :, None] * eye
        if tuple(c.shape[1:]) != (d, d):
            return None
        return m, c

    a, b = side(k1, m1, c1, "mean1", "cov1"), side(k2, m2, c2, "mean2", "cov2")
    if a is None or b is None or a[0].shape[1] != b[0].shape[1] or a[0].shape[1] == 0:
        return None
    (m1, s1), (m2, s2) = a, b
    d = m1.shape[1]
    ok = xp.all(xp.isfinite(m1)) & xp.all(xp.isfinite(m2))
    ok = ok & xp.all(xp.isfinite(s1)) & xp.all(xp.isfinite(s2))
    if not bool(ok):
        return None
    rtol = max(_SYM_RTOL, 100.0 * float(xp.finfo(dt).eps))
    tiny = float(xp.finfo(dt).smallest_normal)
    tr = xp.linalg.matrix_transpose
    mats = []
    for s in (s1, s2):
        scale = xp.maximum(xp.max(xp.abs(s), axis=(-2, -1)), xp.asarray(tiny, dtype=dt))
        asym = xp.max(xp.abs(s / 2 - tr(s) / 2), axis=(-2, -1))
        ok = ok & xp.all(asym <= (rtol / 2) * scale)
        mats.append(_midpoint(s, tr(s), xp))
    if not bool(ok):
        return None
    s1, s2 = mats
    big = 2.0 ** _safe_exponent(dt, xp)
    ok = (xp.max(xp.abs(m1)) <= big) & (xp.max(xp.abs(m2)) <= big)
    delta = m1 - m2
    dm = xp.max(xp.abs(delta), axis=1)
    cm = xp.maximum(xp.max(xp.abs(s1), axis=(-2, -1)), xp.max(xp.abs(s2), axis=(-2, -1)))
    ok = ok & xp.all((dm == 0) | ((dm >= 1 / big) & (dm <= big)))
    ok = ok & xp.all((cm == 0) | ((cm >= 1 / big) & (cm <= big)))
    prtol = 100.0 * d * float(xp.finfo(dt).eps)
    for s in (s1, s2):
        lam = xp.linalg.eigvalsh(s)
        ok = ok & xp.all(lam[..., 0] >= -prtol * xp.max(xp.abs(lam), axis=-1))
    if not bool(ok):
        return None
    k = max(s1.shape[0], s2.shape[0])
    s1 = xp.broadcast_to(s1, (k, d, d))
    s2 = xp.broadcast_to(s2, (k, d, d))
    return xp.sqrt(xp.sum(delta * delta, axis=1) + _bures_sq_full(s1, s2, xp))


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
    zero = xp.zeros_like(a2)
    # exponents of absent terms replaced by 0 (where() evaluates both branches)
    ra = xp.where(a2 > 0, xp.pow(two, xp.where(a2 > 0, ea - t, zero)), zero)
    rb = xp.where(b2 > 0, xp.pow(two, xp.where(b2 > 0, eb - t, zero)), zero)
    root = xp.sqrt((a2 * ra) * ra + (b2 * rb) * rb)
    half = xp.floor(t / 2)
    with np.errstate(over="ignore"):  # 2**t in two exact steps (each factor representable)
        return (root * xp.pow(two, half)) * xp.pow(two, t - half)


def _bures_sq(g1: _Gauss, g2: _Gauss, xp: ModuleType) -> Any:
    r"""Squared Bures distance of the covariances (checked PSD), clamped at 0.

    Diagonal pairs: :math:`\sum_i(\sqrt{v_{1,i}}-\sqrt{v_{2,i}})^2`. Full matrices: the
    cancellation-free route :func:`_bures_sq_near` where the covariances are close
    (exactly 0 for identical ones), the trace formula :func:`_bures_sq_trace` elsewhere. Both
    are computed and one is selected on the device (no host read); the branch not taken is
    fed a harmless matrix so that its (zero) gradient stays finite under autograd.
    """
    if g1.diag and g2.diag:
        r = xp.sqrt(g1.cov) - xp.sqrt(g2.cov)
        return xp.sum(r * r)
    return _bures_sq_full(_full(g1, xp), _full(g2, xp), xp)


def _bures_sq_full(s1: Any, s2: Any, xp: ModuleType) -> Any:
    """:func:`_bures_sq` for full PSD matrices of shape (..., d, d) (a stack: one value per
    matrix pair, selected per pair on the device)."""
    d = s1.shape[-1]
    dt = s1.dtype
    tr = xp.linalg.matrix_transpose
    # the close-regime route expands around ``s2`` (B is symmetric): like the trace form,
    # it differentiates through the eigenvectors of ``s2`` only
    base = s2
    diff = s1 - s2  # exact where the entries are within a factor 2 (Sterbenz)
    lam = xp.linalg.eigvalsh(base)
    lmin, lmax = lam[..., 0], lam[..., -1]
    eps = float(xp.finfo(dt).eps)
    safe = xp.arange(1, d + 1, dtype=dt, device=device_of(s1))[:, None] * xp.eye(
        d, dtype=dt, device=device_of(s1))
    pd = lmin > 64.0 * d * eps * lmax
    pdm = pd[..., None, None]
    # ||S2^{1/2} D S2^{1/2}||_F = ||L^T D L||_F (S2 = L L^T), scaled against overflow
    low = xp.linalg.cholesky(xp.where(pdm, base, safe))
    gt = tr(low) @ xp.where(pdm, diff, 0.0 * safe) @ low
    gmax = xp.max(xp.abs(gt), axis=(-2, -1))
    gpos = gmax > 0
    gs = gt / xp.where(gpos, gmax, xp.ones_like(gmax))[..., None, None]
    gnorm = gmax * xp.sqrt(xp.sum(gs * gs, axis=(-2, -1)))
    # ||G||_F <= lmin^2 / 4: the fixed point of _bures_sq_near contracts by <= 0.14 a sweep
    near = pd & (gnorm <= lmin * (lmin / 4.0))
    nm = near[..., None, None]
    b_near = _bures_sq_near(xp.where(nm, base, safe), xp.where(nm, diff, 0.0 * safe), xp)
    b_far = _bures_sq_trace(xp.where(nm, safe, s1), xp.where(nm, safe, s2), xp)
    b2 = xp.where(near, b_near, b_far)
    identical = xp.all(diff == 0, axis=(-2, -1))
    return xp.where(identical, xp.zeros_like(b2), _clamp0(b2, xp))


#: Fixed-point sweeps of :func:`_bures_sq_near` (contraction <= 0.14: 0.14 ** 24 < 1e-20).
_NEAR_SWEEPS = 24


def _bures_sq_near(s1: Any, diff: Any, xp: ModuleType) -> Any:
    r"""Squared Bures distance of ``s1`` and ``s1 + diff`` without cancellation.

    In the eigenbasis :math:`S_1 = Q\Lambda Q^\top` (``s1`` positive definite) put
    :math:`D' = Q^\top D Q`, :math:`G = \Lambda^{1/2} D' \Lambda^{1/2}` and
    :math:`Y = (\Lambda^2 + G)^{1/2} - \Lambda` (the change of
    :math:`(S_1^{1/2} S_2 S_1^{1/2})^{1/2}` from :math:`S_1`). :math:`Y` solves
    :math:`\Lambda Y + Y\Lambda + Y^2 = G`, i.e. the fixed point
    :math:`Y_{ij} = (G - Y^2)_{ij} / (\lambda_i + \lambda_j)`, and its diagonal gives
    :math:`\operatorname{tr} D - 2\operatorname{tr} Y = \sum_i (Y^2)_{ii}/\lambda_i`, so

    .. math::

        B^2(S_1, S_1 + D) = \sum_{i,j} Y_{ij}^2\,
        \tfrac12\big(\lambda_i^{-1} + \lambda_j^{-1}\big),

    a sum of non-negative terms, exactly 0 for :math:`D = 0` and relatively accurate for
    small :math:`D` (the caller guarantees :math:`\|G\|_F \le \lambda_{\min}^2/4`).
    Device arithmetic only (one ``eigh``, matrix products).
    """
    tr = xp.linalg.matrix_transpose
    lam, q = xp.linalg.eigh(s1)
    dq = tr(q) @ diff @ q
    dq = (dq + tr(dq)) / 2
    a = xp.sqrt(lam)
    g = a[..., :, None] * dq * a[..., None, :]
    den = lam[..., :, None] + lam[..., None, :]
    y = g / den
    for _ in range(_NEAR_SWEEPS):
        y = (g - y @ y) / den
    inv = 1.0 / lam
    w = y * xp.sqrt((inv[..., :, None] + inv[..., None, :]) / 2)
    return xp.sum(w * w, axis=(-2, -1))


def _bures_sq_trace(s1: Any, s2: Any, xp: ModuleType) -> Any:
    r""":math:`\operatorname{tr}S_1 + \operatorname{tr}S_2 -
    2\operatorname{tr}(S_2^{1/2} S_1 S_2^{1/2})^{1/2}` (absolute error of order
    :math:`\epsilon\operatorname{tr}S`; used away from :math:`S_1 \approx S_2`)."""
    r2 = _sqrtm_psd(s2, xp)
    m = r2 @ s1 @ r2
    lam = _clamp0(xp.linalg.eigvalsh((m + xp.linalg.matrix_transpose(m)) / 2), xp)
    b2 = xp.linalg.trace(s1) + xp.linalg.trace(s2) - 2.0 * xp.sum(xp.sqrt(lam), axis=-1)
    return _clamp0(b2, xp)


@argument_hints
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


@argument_hints
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


@argument_hints
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
