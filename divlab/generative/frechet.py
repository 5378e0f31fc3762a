r"""Fréchet distance between feature sets (the quantity of FID), FID∞ and an interval for FID.

FID (Heusel et al. 2017) is the **squared** 2-Wasserstein distance between the Gaussians
fitted to two feature sets,

.. math::

    \mathrm{FID} = W_2^2\big(\mathcal N(\mu_x,\Sigma_x), \mathcal N(\mu_y,\Sigma_y)\big)
    = \|\mu_x-\mu_y\|^2 + \operatorname{tr}\Sigma_x + \operatorname{tr}\Sigma_y
      - 2\operatorname{tr}\big(\Sigma_x^{1/2}\Sigma_y\Sigma_x^{1/2}\big)^{1/2},

with ``numpy.cov``'s normalisation ``1/(n-1)`` (that of pytorch-fid, clean-fid and
torch-fidelity). divlab never takes the square root of the non-symmetric product
:math:`\Sigma_x\Sigma_y` (``scipy.linalg.sqrtm`` there is the source of "Imaginary component"
failures and of implementations that disagree); see :func:`frechet_distance` for the routes.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from .._array import array_namespace, as_result, host_floats
from .._validate import argument_hints, check_int, check_rng, check_samples
from ..errors import EmptyInputError, ShapeMismatchError
from ._stream import FrechetStats

__all__ = ["frechet_distance", "fid", "fid_infinity"]


# --------------------------------------------------------------------------------------------
# kernels (trusted float64 inputs of one namespace; 0-d results)
# --------------------------------------------------------------------------------------------

def _clamp0(v: Any, xp: ModuleType) -> Any:
    return xp.maximum(v, xp.zeros_like(v))


def _psd_sqrt(w: Any, v: Any, xp: ModuleType) -> Any:
    return (v * xp.sqrt(_clamp0(w, xp))[None, :]) @ v.T


def _bures_sq_stats(s1: Any, s2: Any, xp: ModuleType, eig1: tuple[Any, Any] | None = None
                    ) -> Any:
    r"""Squared Bures distance of two PSD covariances (float64, shape (d, d)).

    Trace form :math:`\operatorname{tr}\Sigma_1 + \operatorname{tr}\Sigma_2 - 2\sum_i
    \sqrt{\lambda_i}` with :math:`\lambda_i` the eigenvalues of a symmetric matrix similar
    to :math:`\Sigma_1\Sigma_2`:

    * :math:`L^\top\Sigma_2 L` with :math:`\Sigma_1 = LL^\top` (Cholesky; one
      ``eigvalsh``, no eigenvectors: the fast route for positive definite :math:`\Sigma_1`);
    * :math:`\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}` through ``eigh`` of :math:`\Sigma_1`
      where the Cholesky factorisation fails (singular :math:`\Sigma_1`), where ``eig1``
      (a cached eigendecomposition of ``s1``) is given, or where the covariances may be
      close; in the last case, if they are positive definite and close, the
      cancellation-free form of :func:`divlab.gaussian._bures_sq_near` (exactly 0 for
      identical covariances).

    Host reads: the regime flags (two or three booleans).
    """
    from ..gaussian import _bures_sq_near

    d = s1.shape[0]
    diff = s2 - s1
    dnorm = xp.sqrt(xp.sum(diff * diff))
    # the near regime needs ||D||_F <= lmin / 4 <= tr(S1) / (4 d): a cheap necessary test
    same, maybe = host_floats(xp, xp.all(diff == 0),
                              dnorm <= xp.linalg.trace(s1) / (4.0 * d))
    if same:
        return xp.zeros_like(dnorm)
    traces = xp.linalg.trace(s1) + xp.linalg.trace(s2)
    if not maybe and eig1 is None:
        try:
            low = xp.linalg.cholesky(s1)
        except Exception:  # LinAlgError of NumPy / torch: singular S1
            low = None
        if low is not None:
            diag = xp.linalg.diagonal(low)
            if host_floats(xp, xp.all(xp.isfinite(low)) & xp.all(diag > 0))[0]:  # CuPy: NaN
                m = low.T @ s2 @ low
                lam = _clamp0(xp.linalg.eigvalsh((m + m.T) / 2), xp)
                return _clamp0(traces - 2.0 * xp.sum(xp.sqrt(lam)), xp)
    w, v = xp.linalg.eigh(s1) if eig1 is None else eig1
    r = _psd_sqrt(w, v, xp)
    lmin, lmax = w[0], w[-1]
    if maybe:
        g = r @ diff @ r
        near = (lmin > 64.0 * d * 2.220446049250313e-16 * lmax) & (
            xp.sqrt(xp.sum(g * g)) <= lmin * (lmin / 4.0))
        if host_floats(xp, near)[0]:
            return _clamp0(_bures_sq_near(s1, diff, xp), xp)
    m = r @ s2 @ r
    lam = _clamp0(xp.linalg.eigvalsh((m + m.T) / 2), xp)
    return _clamp0(traces - 2.0 * xp.sum(xp.sqrt(lam)), xp)


def _fid_stats(m1: Any, s1: Any, m2: Any, s2: Any, xp: ModuleType,
               eig1: tuple[Any, Any] | None = None) -> Any:
    """FID of two (mean, cov) pairs (float64, checked)."""
    dm = m1 - m2
    return xp.sum(dm * dm) + _bures_sq_stats(s1, s2, xp, eig1)


def _centred(x: Any, xp: ModuleType) -> tuple[Any, Any]:
    r"""``(mean, A)`` in float64 with :math:`A^\top A = \Sigma` (``ddof=1``) and ``n - 1``
    rows: the centred data :math:`X_c/\sqrt{n-1}` projected onto an orthonormal basis of
    the complement of :math:`\mathbf 1` (rows 2..n of the Householder reflection
    :math:`H` with :math:`H e_1 = \mathbf 1/\sqrt n`). Centring leaves :math:`X_c` of
    rank n - 1; dropping that exact null direction keeps it out of the small eigenvalue
    problems, where its rounding-level eigenvalue would add :math:`\sqrt{\epsilon}` errors.
    """
    x = xp.astype(x, xp.float64)
    n = x.shape[0]
    mu = xp.mean(x, axis=0)
    xc = (x - mu) / math.sqrt(n - 1)
    # w = (e1 - 1/sqrt(n)) / ||e1 - 1/sqrt(n)||, ||.||^2 = 2 - 2/sqrt(n)
    rs = 1.0 / math.sqrt(n)
    norm = math.sqrt(2.0 - 2.0 * rs)
    w0, wr = (1.0 - rs) / norm, -rs / norm
    # w^T xc = w0 xc[0] + wr * sum(xc) (the sum is 0 up to rounding: kept for exactness)
    proj = w0 * xc[0, :] + wr * xp.sum(xc[1:, :], axis=0)
    return mu, xc[1:, :] - (2.0 * wr) * proj[None, :]


def _fid_arrays(x: Any, y: Any, xp: ModuleType) -> Any:
    r"""FID of two feature arrays (n, d), (m, d) with n, m >= 2 (trusted).

    Route: if ``n <= d`` and ``m <= d``, the Gram route
    :math:`\operatorname{tr}(\Sigma_x^{1/2}\Sigma_y\Sigma_x^{1/2})^{1/2} = \|B A^\top\|_*`
    (nuclear norm; :math:`A`, :math:`B` the centred, :math:`1/\sqrt{n-1}`-scaled features,
    :math:`\Sigma_x = A^\top A`); if only one set is small, the eigenvalues of the small
    symmetric :math:`A\Sigma_y A^\top`; otherwise the covariance route. The small routes are
    exact for rank-deficient covariances (no clamping of d - n spurious eigenvalues).
    """
    n, d = x.shape
    m = y.shape[0]
    if n > d and m > d:
        mx, sx = FrechetStats()._add(x, xp).result()  # trusted input: no re-validation
        my, sy = FrechetStats()._add(y, xp).result()
        return _fid_stats(mx, sx, my, sy, xp)
    if m <= d and (n > d or m < n):  # put the smaller set first
        x, y, n, m = y, x, m, n
    mx, a = _centred(x, xp)
    if m <= d:
        my, b = _centred(y, xp)
        c = b @ a.T  # (m, n)
        nuc = xp.sum(xp.linalg.svdvals(c))
        tr_y = xp.sum(b * b)
    else:
        my, sy = FrechetStats(y).result()
        g = a @ sy @ a.T
        nuc = xp.sum(xp.sqrt(_clamp0(xp.linalg.eigvalsh((g + g.T) / 2), xp)))
        tr_y = xp.linalg.trace(sy)
    dm = mx - my
    b2 = _clamp0(xp.sum(a * a) + tr_y - 2.0 * nuc, xp)
    return xp.sum(dm * dm) + b2


# --------------------------------------------------------------------------------------------
# door
# --------------------------------------------------------------------------------------------

def _side(v: Any, name: str) -> tuple[str, Any]:
    """Classify one argument: ``("stats", (mean, cov, xp))`` or ``("array", x)``."""
    if isinstance(v, FrechetStats):
        mean, cov = v.result()
        return "stats", (mean, cov, v._xp)
    if isinstance(v, tuple) and len(v) == 2:
        from ..gaussian import _check_psd, _parse_one, _reject_non_numeric

        _reject_non_numeric(**{f"{name}[0]": v[0], f"{name}[1]": v[1]})
        xp = array_namespace(*v)
        g = _parse_one(v[0], v[1], f"{name}[0] (mean)", f"{name}[1] (cov)", xp)
        mean = xp.astype(g.mean, xp.float64)
        cov = xp.astype(g.cov, xp.float64)
        if g.diag:
            d = mean.shape[0]
            cov = cov[:, None] * xp.eye(d, dtype=xp.float64)
        _check_psd(cov, f"{name}[1] (cov)", xp)
        return "stats", (mean, cov, xp)
    return "array", v


@argument_hints
def frechet_distance(x: Any, y: Any) -> Any:
    r"""Fréchet distance between feature sets: **FID's quantity, the squared** :math:`W_2`
    between the fitted Gaussians.

    .. math::

        \mathrm{FID}(x, y) = \|\mu_x-\mu_y\|^2 + \operatorname{tr}\Sigma_x
        + \operatorname{tr}\Sigma_y
        - 2\operatorname{tr}\big(\Sigma_x^{1/2}\Sigma_y\Sigma_x^{1/2}\big)^{1/2}
        = W_2^2\big(\mathcal N(\mu_x,\Sigma_x), \mathcal N(\mu_y,\Sigma_y)\big),

    :math:`\Sigma = \frac1{n-1}\sum_i (x_i-\mu)(x_i-\mu)^\top` (``numpy.cov``, as in
    pytorch-fid). Multiply nothing: Inception features give the usual FID numbers;
    :func:`divlab.gaussian_w2` returns the square root.

    Routes (all symmetric, no square root of the non-symmetric :math:`\Sigma_x\Sigma_y`):

    * both sets with at least :math:`d + 1` rows: float64 covariances accumulated in
      chunks (:class:`FrechetStats`), a Cholesky factor :math:`\Sigma_x = LL^\top` and
      the eigenvalues of the symmetric :math:`L^\top\Sigma_y L` (similar to
      :math:`\Sigma_x\Sigma_y`); ``eigh`` of :math:`\Sigma_x` and
      :math:`\Sigma_x^{1/2}\Sigma_y\Sigma_x^{1/2}` for singular :math:`\Sigma_x`; the
      cancellation-free form of :func:`divlab.gaussian_w2` where the covariances are
      positive definite and close;
    * a set with :math:`n \le d` rows (rank-deficient covariance): the small Gram matrices,
      exact (singular values of :math:`B A^\top`, :math:`m\times n`, when both are small),
      where a :math:`d\times d` square root would turn :math:`d-n` rounding-level
      eigenvalues into an error of order :math:`(d-n)\sqrt{\epsilon\lambda_{\max}}`.

    Parameters
    ----------
    x, y : array_like (n, d) and (m, d), or ``(mean, cov)`` tuples, or :class:`FrechetStats`
        Feature sets (NumPy, CuPy, torch, any array-API array; float32 is accumulated in
        float64), their statistics (``cov`` full (d, d), diagonal (d,) or scalar), or
        streaming states. Arrays need at least 2 rows.

    Returns
    -------
    fid : numpy.float64 or 0-d float64 array
        A NumPy scalar for NumPy input, else a 0-d float64 array of the input namespace and
        device. Always float64 (FID is a difference of large traces: float32 would leave
        about 3 correct digits at d = 2048).

    Raises
    ------
    ShapeMismatchError, EmptyInputError, NonFiniteError, DTypeError
        Dimensions differ, fewer than 2 rows, NaN/inf, non-numeric input.
    NotPositiveDefiniteError
        A ``cov`` that is not symmetric positive semidefinite.

    Notes
    -----
    What FID is blind to: everything beyond the first two moments of the features (two
    sets with equal mean and covariance score 0, e.g. a generator that drops modes but
    keeps the overall spread); it mixes fidelity and diversity into one number; it is
    biased upwards by :math:`O(1/n)` (compare only at equal n, or use :func:`fid_infinity`);
    and it sees only what the feature extractor sees.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.generative import frechet_distance
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((500, 8))
    >>> float(frechet_distance(x, x))
    0.0
    >>> s = (np.zeros(2), np.eye(2))
    >>> float(frechet_distance(s, (np.array([3.0, 0.0]), 4 * np.eye(2))))  # 9 + 2 * (2-1)^2
    11.0
    """
    kx, vx = _side(x, "x")
    ky, vy = _side(y, "y")
    if kx == "array" and ky == "array":
        from .._validate import check_sample_pair

        xp, xa, ya = check_sample_pair(vx, vy, min_n=2)
        return as_result(_fid_arrays(xa, ya, xp), xp)
    stats = []
    xp_seen = None
    for kind, v, name in ((kx, vx, "x"), (ky, vy, "y")):
        if kind == "array":
            xp = array_namespace(v)
            v = check_samples(v, name, xp=xp, min_n=2)
            mean, cov = FrechetStats(v).result()
        else:
            mean, cov, xp = v
        if xp_seen is not None:
            array_namespace(stats[0][0], mean)  # BackendError on mixed libraries
        xp_seen = xp
        stats.append((mean, cov))
    (m1, s1), (m2, s2) = stats
    if m1.shape[0] != m2.shape[0]:
        raise ShapeMismatchError(
            f"`x` and `y` have different feature dimensions: {m1.shape[0]} and {m2.shape[0]}")
    return as_result(_fid_stats(m1, s1, m2, s2, xp_seen), xp_seen)


# --------------------------------------------------------------------------------------------
# uncertainty and bias
# --------------------------------------------------------------------------------------------

def _fid_value(x: np.ndarray, y: np.ndarray) -> float:
    import array_api_compat.numpy as npx

    return float(_fid_arrays(x, y, npx))


def _fid_estimate(x: np.ndarray, y: np.ndarray, *, n_resamples: int, alpha: float,
                  gen: np.random.Generator) -> Any:
    """FID with a half-sampling interval on validated host float64 arrays (n, d), (m, d).

    Each resample recomputes FID on random halves of both sets (``n // 2``, ``m // 2`` rows,
    no duplicates) and the *basic* interval of :mod:`divlab.estimators.resampling` is formed
    (deviations centred on their own mean: the interval describes sampling variability
    around the estimate and does **not** remove FID's O(1/n) bias; see
    :func:`fid_infinity`). Cost: one FID per resample (one d x d ``eigh`` for n > d).
    """
    from ..estimators._result import Estimate
    from ..estimators.resampling import basic_interval

    n, m = x.shape[0], y.shape[0]
    if n < 4 or m < 4:
        raise EmptyInputError(f"FID needs at least 4 rows per set, got {n} and {m}")
    value = _fid_value(x, y)
    ci = None
    details: dict[str, Any] = {"ddof": 1, "route": "gram" if min(n, m) <= x.shape[1]
                               else "covariance"}
    if n_resamples > 0:
        stats = np.empty(n_resamples)
        for b in range(n_resamples):
            ix = gen.choice(n, n // 2, replace=False)
            iy = gen.choice(m, m // 2, replace=False)
            stats[b] = _fid_value(x[ix], y[iy])
        ci = basic_interval(value, stats, alpha=alpha, fraction=0.5, lower=0.0)
        details.update(n_resamples=n_resamples, ci_method="half-sampling basic interval",
                       resample_sd=float(stats.std(ddof=1)) if n_resamples > 1 else math.nan)
    return Estimate(value, ci, "FID (squared W2 of fitted Gaussians)", (n, m), details)


@argument_hints
def fid(x: Any, y: Any, *, n_resamples: int = 50, alpha: float = 0.05, rng: Any = None) -> Any:
    r"""FID (:func:`frechet_distance`) with a confidence interval by half-sampling.

    Parameters
    ----------
    x, y : array_like, shapes (n, d) and (m, d)
        Real and generated features (at least 4 rows each).
    n_resamples : int
        Half-samples for the interval (0: no interval). Each costs one FID on half the data
        (at d = 2048, n > d: one 2048 x 2048 eigendecomposition, about a second on two CPU
        cores).
    alpha : float
        The interval has level ``1 - alpha``.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    Estimate
        ``value`` = FID (float), ``ci`` = half-sampling basic interval, ``details`` with the
        route, ``n_resamples`` and the spread of the resampled values.

    Notes
    -----
    The interval covers sampling variability at the given n; FID's bias (it decreases
    like 1/n) is not in it: compare models at equal n or use :func:`fid_infinity`.
    FID is blind to everything beyond means and covariances of the features.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.generative import fid
    >>> rng = np.random.default_rng(1)
    >>> x, y = rng.standard_normal((400, 5)), rng.standard_normal((400, 5)) + 0.5
    >>> e = fid(x, y, n_resamples=30, rng=0)
    >>> e.ci[0] < e.value < e.ci[1]
    True
    """
    from .._array import host_float64
    from .._validate import check_sample_pair
    from ..estimators.resampling import check_alpha

    xp, xa, ya = check_sample_pair(x, y, min_n=4)
    n_resamples = check_int(n_resamples, "n_resamples", min_value=0)
    alpha = check_alpha(alpha)
    gen = check_rng(rng)
    return _fid_estimate(host_float64(xa, xp), host_float64(ya, xp), n_resamples=n_resamples,
                         alpha=alpha, gen=gen)


@argument_hints
def fid_infinity(x: Any, y: Any, *, n_points: int = 15, min_size: int | None = None,
                 rng: Any = None) -> Any:
    r"""FID∞: FID extrapolated to infinitely many generated samples (Chong & Forsyth 2020).

    FID computed from :math:`N` generated samples is, to first order,
    :math:`\mathrm{FID}_N = \mathrm{FID}_\infty + c/N`. As in the authors' code, the
    generated set ``y`` is subsampled (without replacement) at ``n_points`` sizes evenly
    spaced from ``min_size`` to ``m`` (default ``min_size = max(2, m // 10)``: 5000 to
    50000 for the usual 50000), each FID is computed against the statistics of the full
    real set ``x``, and the least-squares line in :math:`1/N` is evaluated at
    :math:`1/N = 0`. The real set's eigendecomposition is computed once.

    Parameters
    ----------
    x, y : array_like, shapes (n, d) and (m, d)
        Real features (used in full) and generated features (subsampled).
    n_points : int
        Number of sizes (>= 2).
    min_size : int, optional
        Smallest size, ``2 <= min_size < m``.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    Estimate
        ``value`` = FID∞; ``ci`` is ``None`` (the points share data: the regression's
        standard error is not a valid one); ``details`` holds ``sizes``, ``fids``,
        ``slope`` (the :math:`c` above) and ``fid_full`` (FID on all of ``y``).

    Notes
    -----
    Removes the bias in the generated sample size only (the real set's finite size adds a
    smaller bias of the same kind). Blind to what FID is blind to.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.generative import fid_infinity
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.standard_normal((3000, 4)), rng.standard_normal((2000, 4))
    >>> e = fid_infinity(x, y, rng=0)   # same distribution: FID_inf near 0, FID_N > 0
    >>> abs(e.value) < e.details["fid_full"]
    True
    """
    import array_api_compat.numpy as npx

    from .._array import host_float64
    from .._validate import check_sample_pair
    from ..estimators._result import Estimate

    xp, xa, ya = check_sample_pair(x, y, min_n=3)
    xa, ya = host_float64(xa, xp), host_float64(ya, xp)
    m = ya.shape[0]
    n_points = check_int(n_points, "n_points", min_value=2)
    lo = max(2, m // 10) if min_size is None else check_int(min_size, "min_size", min_value=2,
                                                            max_value=m - 1)
    gen = check_rng(rng)
    sizes = np.unique(np.linspace(lo, m, n_points).astype(np.int64))
    if sizes.size < 2:
        raise EmptyInputError(f"`y` has {m} rows: too few for two distinct subsample sizes")
    mx, sx = FrechetStats(xa).result()
    eig = np.linalg.eigh(sx)
    fids = np.empty(sizes.size)
    for i, s in enumerate(sizes):
        sub = ya[gen.choice(m, int(s), replace=False)]
        my, sy = FrechetStats(sub).result()
        fids[i] = float(_fid_stats(mx, sx, my, sy, npx, eig))
    inv = 1.0 / sizes
    slope, intercept = np.polyfit(inv, fids, 1)
    full = float(_fid_stats(mx, sx, *FrechetStats(ya).result(), npx, eig))
    return Estimate(float(intercept), None, "FID-infinity (Chong & Forsyth 2020)",
                    (xa.shape[0], m),
                    {"sizes": sizes.tolist(), "fids": fids.tolist(), "slope": float(slope),
                     "fid_full": full})

