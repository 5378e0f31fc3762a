r"""Precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020).

With :math:`r_k(z)` the distance from a point of a set to its k-th nearest neighbour in the
same set (itself excluded), :math:`x_1..x_n` real and :math:`y_1..y_m` generated features
and :math:`B(c, r)` the open ball,

.. math::

    \text{precision} &= \tfrac1m \textstyle\sum_j 1\big[\exists i: y_j \in B(x_i, r_k(x_i))\big],
    &\text{recall} &= \tfrac1n \textstyle\sum_i 1\big[\exists j: x_i \in B(y_j, r_k(y_j))\big],\\
    \text{density} &= \tfrac1{km} \textstyle\sum_j \sum_i 1\big[y_j \in B(x_i, r_k(x_i))\big],
    &\text{coverage} &= \tfrac1n \textstyle\sum_i 1\big[\exists j: y_j \in B(x_i, r_k(x_i))\big],

the definitions of the ``prdc`` package (clovaai/generative-evaluation-prdc), strict
inequalities included. The distance matrices are never formed whole: rows are processed in
blocks of at most 64 MiB, so beyond the float64 features themselves (1.6 GiB for
n = m = 50 000 at d = 2048) memory is a few blocks, where the dense reference needs three
n x m float64 matrices (60 GB at that size). The work is three passes of :math:`O(nmd)`.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from .._array import (
    chunk_slices,
    default_chunk_rows,
    host_float64,
    is_numpy,
)
from .._validate import argument_hints, check_int, check_rng, check_sample_pair
from ..errors import EmptyInputError

__all__ = ["prdc"]

NAMES = ("precision", "recall", "density", "coverage")

#: Largest n^2 + m^2 + n m for which intervals recompute the radii on every half-sample
#: (dense squared-distance matrices kept in memory: 8 bytes per entry).
MAX_DENSE_ENTRIES = 16_000_000


def _sqdist(a: Any, b: Any, a2: Any, b2: Any, xp: ModuleType) -> Any:
    d2 = a2[:, None] + b2[None, :] - 2.0 * (a @ b.T)
    return xp.maximum(d2, xp.zeros_like(d2))


def _kth_smallest(d2: Any, k: int, xp: ModuleType) -> Any:
    """k-th smallest entry (1-based) of each row (a copy: a view would keep the whole
    block alive)."""
    if is_numpy(xp):
        return np.partition(d2, k - 1, axis=1)[:, k - 1].copy()
    return xp.astype(xp.sort(d2, axis=1)[:, k - 1], d2.dtype, copy=True)


def _self_radii(z: Any, z2: Any, k: int, xp: ModuleType, rows: int) -> Any:
    """Squared distance of each row of ``z`` to its k-th nearest other row, in row blocks."""
    n = z.shape[0]
    out = []
    for sl in chunk_slices(n, rows):
        d2 = _sqdist(z[sl, :], z, z2[sl], z2, xp)
        r = xp.reshape(xp.arange(sl.start, sl.stop), (-1, 1))
        c = xp.reshape(xp.arange(n), (1, -1))
        d2 = xp.where(r == c, xp.full_like(d2, math.inf), d2)
        out.append(_kth_smallest(d2, k, xp))
    return xp.concat(out, axis=0) if len(out) > 1 else out[0]


def _prdc_points(x: Any, y: Any, k: int, xp: ModuleType, *, chunk_rows: int | None = None
                 ) -> dict[str, Any]:
    """Per-point contributions (float64 arrays of namespace ``xp``): ``prec`` and ``count``
    over the m generated rows, ``recall`` and ``cover`` over the n real rows; ``x``, ``y``
    float64, k < n and k < m (trusted)."""
    n, m = x.shape[0], y.shape[0]
    x2 = xp.sum(x * x, axis=1)
    y2 = xp.sum(y * y, axis=1)
    rows = chunk_rows or default_chunk_rows(max(n, m))
    rx = _self_radii(x, x2, k, xp, rows)
    ry = _self_radii(y, y2, k, xp, rows)
    prec, count = [], []
    nearest = xp.full((n,), math.inf, dtype=xp.float64)
    hit = xp.zeros((n,), dtype=xp.bool)
    for sl in chunk_slices(m, rows):
        d2 = _sqdist(y[sl, :], x, y2[sl], x2, xp)  # (b, n)
        inside = d2 < rx[None, :]
        prec.append(xp.any(inside, axis=1))
        count.append(xp.sum(xp.astype(inside, xp.float64), axis=1))
        nearest = xp.minimum(nearest, xp.min(d2, axis=0))
        hit = hit | xp.any(d2 < ry[sl][:, None], axis=0)

    def cat(parts: list[Any]) -> Any:
        return xp.concat(parts, axis=0) if len(parts) > 1 else parts[0]

    return {"prec": xp.astype(cat(prec), xp.float64), "count": cat(count),
            "recall": xp.astype(hit, xp.float64), "cover": xp.astype(nearest < rx, xp.float64)}


def _values(pts: dict[str, Any], k: int, xp: ModuleType) -> dict[str, Any]:
    return {"precision": xp.mean(pts["prec"]), "recall": xp.mean(pts["recall"]),
            "density": xp.mean(pts["count"]) / k, "coverage": xp.mean(pts["cover"])}


def _dense_values(dxx: np.ndarray, dyy: np.ndarray, dxy: np.ndarray, k: int
                  ) -> tuple[float, float, float, float]:
    """The four metrics from dense host squared-distance matrices (self distances inf);
    used on half-samples, where the radii must be recomputed."""
    rx = np.partition(dxx, k - 1, axis=1)[:, k - 1]
    ry = np.partition(dyy, k - 1, axis=1)[:, k - 1]
    inside = dxy < rx[:, None]  # (n, m): y_j in the ball of x_i
    prec = inside.any(axis=0).mean()
    dens = inside.sum(axis=0).mean() / k
    rec = (dxy < ry[None, :]).any(axis=1).mean()
    cov = (dxy.min(axis=1) < rx).mean()
    return float(prec), float(rec), float(dens), float(cov)


def _prdc_estimates(x: np.ndarray, y: np.ndarray, *, n_resamples: int, alpha: float,
                    gen: np.random.Generator, k: int = 5, chunk_rows: int | None = None
                    ) -> dict[str, Any]:
    """The four metrics as a dict of :class:`~divlab.estimators.Estimate` (keys
    ``precision``, ``recall``, ``density``, ``coverage``) on validated host float64 arrays
    ``x`` (real) and ``y`` (generated); ``k`` is clipped to ``min(n, m) - 1``.

    Intervals (``n_resamples > 0``): half-sampling basic intervals
    (:mod:`divlab.estimators.resampling`). When ``n^2 + m^2 + nm <= MAX_DENSE_ENTRIES`` the
    radii are recomputed on every half-sample (``ci_method = "half-sampling"``); above, the
    per-point contributions are half-sampled with the radii of the full sets held fixed
    (``"half-sampling, radii fixed"``: the variability of the k-NN balls themselves is not in
    the interval, which is then too narrow).
    """
    import array_api_compat.numpy as npx

    return _prdc_core(x, y, npx, n_resamples=n_resamples, alpha=alpha, gen=gen, k=k,
                      chunk_rows=chunk_rows)


def _prdc_core(x: Any, y: Any, xp: ModuleType, *, n_resamples: int, alpha: float,
               gen: np.random.Generator, k: int, chunk_rows: int | None) -> dict[str, Any]:
    """:func:`_prdc_estimates` for validated arrays of any namespace: the chunked passes run
    with ``xp`` on the arrays' device; the per-point vectors (and, for dense intervals, the
    features) are then copied to the host once."""
    import array_api_compat.numpy as npx

    from ..estimators._result import Estimate
    from ..estimators.resampling import basic_interval

    n, m = x.shape[0], y.shape[0]
    if min(n, m) < 2:
        raise EmptyInputError(f"precision/recall need at least 2 rows per set, got {n} and {m}")
    k = min(k, n - 1, m - 1)
    dev = _prdc_points(xp.astype(x, xp.float64, copy=False),
                       xp.astype(y, xp.float64, copy=False), k, xp, chunk_rows=chunk_rows)
    pts = {key: host_float64(v, xp) for key, v in dev.items()}
    vals = {key: float(v) for key, v in _values(pts, k, npx).items()}
    cis: dict[str, Any] = dict.fromkeys(NAMES)
    method = None
    if n_resamples > 0:
        stats = np.empty((n_resamples, 4))
        hn, hm = max(k + 1, n // 2), max(k + 1, m // 2)
        dense = n * n + m * m + n * m <= MAX_DENSE_ENTRIES and hn < n and hm < m
        if dense:
            method = "half-sampling"
            x, y = host_float64(x, xp), host_float64(y, xp)
            x2, y2 = (x * x).sum(1), (y * y).sum(1)
            dxx = _sqdist(x, x, x2, x2, npx)
            dyy = _sqdist(y, y, y2, y2, npx)
            np.fill_diagonal(dxx, np.inf)
            np.fill_diagonal(dyy, np.inf)
            dxy = _sqdist(x, y, x2, y2, npx)
            for b in range(n_resamples):
                ix = np.sort(gen.choice(n, hn, replace=False))
                iy = np.sort(gen.choice(m, hm, replace=False))
                stats[b] = _dense_values(dxx[np.ix_(ix, ix)], dyy[np.ix_(iy, iy)],
                                         dxy[np.ix_(ix, iy)], k)
            fx, fy = hn / n, hm / m
        else:
            method = "half-sampling, radii fixed"
            for b in range(n_resamples):
                iy = gen.choice(m, m // 2, replace=False)
                ix = gen.choice(n, n // 2, replace=False)
                stats[b] = (pts["prec"][iy].mean(), pts["recall"][ix].mean(),
                            pts["count"][iy].mean() / k, pts["cover"][ix].mean())
            fx, fy = (n // 2) / n, (m // 2) / m
        for j, key in enumerate(NAMES):
            frac = fy if key in ("precision", "density") else fx
            cis[key] = basic_interval(vals[key], stats[:, j], alpha=alpha, fraction=frac,
                                      lower=0.0, upper=math.inf if key == "density" else 1.0)
    out = {}
    labels = {"precision": "precision (Kynkaanniemi 2019)", "recall": "recall (Kynkaanniemi 2019)",
              "density": "density (Naeem 2020)", "coverage": "coverage (Naeem 2020)"}
    for key in NAMES:
        det: dict[str, Any] = {"k": k}
        if method is not None:
            det.update(ci_method=method, n_resamples=n_resamples)
        out[key] = Estimate(vals[key], cis[key], f"{labels[key]}, k={k}", (n, m), det)
    return out


@argument_hints
def prdc(x: Any, y: Any, *, k: int = 5, n_resamples: int = 100, alpha: float = 0.05,
         rng: Any = None, chunk_rows: int | None = None) -> dict[str, Any]:
    r"""Precision, recall, density and coverage of generated features ``y`` against real
    features ``x``, with half-sampling intervals.

    Definitions as in the module docstring (equal to the ``prdc`` package's
    ``compute_prdc(real_features=x, fake_features=y, nearest_k=k)``, up to distance ties
    within rounding). Precision and density measure *fidelity* (do generated points fall in
    the real manifold?); recall and coverage measure *diversity* (is the real manifold
    reached?). Mode collapse lowers recall and coverage.

    Parameters
    ----------
    x, y : array_like, shapes (n, d) and (m, d)
        Real and generated features (NumPy, CuPy, torch, ...; the distance passes run in
        float64 on the arrays' device, the per-point results come to the host once).
    k : int
        Neighbour rank of the ball radii (default 5, the papers' choice); clipped to
        ``min(n, m) - 1``.
    n_resamples : int
        Half-samples for the intervals (0: none). Up to ``n^2 + m^2 + nm`` =
        1.6e7 the k-NN radii are recomputed on every half-sample; beyond, the per-point
        contributions are resampled with the radii fixed (narrower than the truth;
        ``details["ci_method"]`` says which).
    alpha : float
        Interval level ``1 - alpha``.
    rng : None, int or numpy.random.Generator
    chunk_rows : int, optional
        Rows per block of the distance computations (default: 64 MiB blocks).

    Returns
    -------
    dict of str to Estimate
        Keys ``"precision"``, ``"recall"``, ``"density"``, ``"coverage"``.

    Notes
    -----
    What they are blind to: precision and recall only ask whether points fall inside the
    other set's k-NN balls, not how the mass is spread (a generator with 99 % of its
    samples in one mode and the rest on the others has full recall); a few real outliers
    inflate the real balls and therefore precision, a few generated outliers inflate
    recall; density (unbounded, about 1 when the sets match) and coverage fix that but
    coverage ignores generated points outside the real support. All depend on ``k`` and,
    in high dimension, on distance concentration, and see only what the feature extractor
    sees.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.generative import prdc
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((500, 4))
    >>> y = rng.standard_normal((500, 4)) * 0.3     # collapsed onto the centre
    >>> r = prdc(x, y, n_resamples=0)
    >>> r["precision"].value > 0.9, r["recall"].value < 0.5
    (True, True)
    """
    from ..estimators.resampling import check_alpha

    xp, xa, ya = check_sample_pair(x, y, min_n=2)
    k = check_int(k, "k", min_value=1)
    n_resamples = check_int(n_resamples, "n_resamples", min_value=0)
    alpha = check_alpha(alpha)
    gen = check_rng(rng)
    if chunk_rows is not None:
        chunk_rows = check_int(chunk_rows, "chunk_rows", min_value=1)
    return _prdc_core(xa, ya, xp, n_resamples=n_resamples, alpha=alpha, gen=gen, k=k,
                      chunk_rows=chunk_rows)

