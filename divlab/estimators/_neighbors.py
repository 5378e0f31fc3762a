r"""Helpers of the k-NN estimators (:mod:`divlab.estimators.knn`): whitening, neighbour lists,
resampling sizes.

Whitening (the affine invariance of the k-NN KL/JS estimates)
    :func:`whiten` maps a pair of samples through one common affine map built from the
    pooled sample: every column is divided by an exact power of two (no overflow, no
    rounding), the pooled mean is removed and the pooled covariance :math:`C` is
    factored as :math:`C = D^{-1} V \Lambda V^\top D^{-1}` (``D`` the inverse column
    standard deviations, :math:`V\Lambda V^\top` the eigendecomposition of the pooled
    correlation matrix). The whitened samples :math:`x' = (x/s - \mu)\,W` with
    :math:`W = D V \Lambda^{-1/2}` have identity pooled covariance. For two samples
    transformed by any common invertible affine map :math:`u \mapsto Au + b` the whitened
    samples differ only by an orthogonal map (if :math:`W_1^\top C W_1 = I` and
    :math:`W_2^\top A C A^\top W_2 = I` then :math:`W_1^{-1} A^\top W_2` is orthogonal), so
    every Euclidean neighbour distance, and therefore every k-NN estimate built from them,
    is the same up to rounding. KL and JS are invariant under the map, so nothing changes
    in the truth either.

    Columns that are constant in the pooled sample (max = min) carry no information and
    are dropped; so are directions whose eigenvalue of the pooled correlation matrix is
    below ``RANK_TOL = 1e-12`` times the largest (numerically rank-deficient, e.g. a column
    that is a linear combination of others). The dimension used by the estimators is the
    number of directions kept. A column constant in ``x`` and constant in ``y`` at a
    *different* value means disjoint supports; a sample whose own covariance in the
    whitened coordinates has an eigenvalue below ``SINGULAR_TOL = 1e-10`` (the pooled
    sample has 1 in every direction) lies on a lower-dimensional affine subspace that the
    other sample does not: the two distributions are mutually singular. Both cases are
    reported (:attr:`Whitening.disjoint_columns`, :attr:`Whitening.singular`); the
    estimators then return the exact values (KL = inf, JS = log 2).

    All statistics are computed in float64 on the device with ``xp`` operations and read
    back in one transfer (:func:`divlab._array.host_float64` of one vector: the flags,
    means and covariances); the small ``d x d`` eigendecomposition runs on the host and
    ``W`` goes back to the device.

Neighbour lists (host)
    :func:`kth_kept` reads the k-th neighbour among the kept entries of precomputed lists
    (the resampling of the k-NN estimators), :func:`positive_floor` the tie floor.

Resampling sizes
    :func:`resample_size` gives the subsample size ``h`` whose without-replacement
    variance, drawn from ``r`` of the ``N`` points, equals that of the full-sample
    statistic: :math:`\sigma^2(1/h - 1/r) = \sigma^2/N`, i.e. :math:`h = rN/(N + r)`
    (``N/2`` when ``r = N``: a half-sample).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._array import device_pow2_scale, from_numpy, host_float64, knn_table, pow2_floor
from .resampling import subsample_masks

__all__ = [
    "RANK_TOL",
    "SINGULAR_TOL",
    "Whitening",
    "knn_table",
    "kth_kept",
    "positive_floor",
    "resample_size",
    "subsample_masks",
    "whiten",
]

#: Directions of the pooled correlation matrix with an eigenvalue below this share of the
#: largest are dropped as numerically rank-deficient.
RANK_TOL = 1e-12
#: A sample whose covariance in the whitened coordinates (pooled covariance = identity) has
#: an eigenvalue below this lies on a lower-dimensional affine subspace (singular).
SINGULAR_TOL = 1e-10


@dataclass
class Whitening:
    """Result of :func:`whiten` (host metadata; ``x``/``y`` are arrays of the input namespace).

    Attributes
    ----------
    x, y : arrays
        The whitened samples, shape (n, d) and (m, d) in the input namespace and dtype
        (``y`` is None for one sample). Dropped columns are zero in every row (they add
        nothing to any distance); ``dim`` is the number of directions kept.
    dim : int
        Dimension used by the estimators (directions kept).
    identical : bool
        Every row of ``x`` and ``y`` is the same single point.
    constant_sample : str or None
        ``"x"`` or ``"y"`` when all points of that sample are identical (and ``identical``
        is False).
    dropped_columns : list of int
        Columns constant in the pooled sample (dropped).
    dropped_directions : int
        Further directions dropped as numerically rank-deficient (``RANK_TOL``).
    disjoint_columns : list of int
        Columns constant in ``x`` and in ``y`` at different values (disjoint supports).
    singular : str or None
        ``"x"``/``"y"``: that sample lies on a lower-dimensional affine subspace of the
        kept directions (``SINGULAR_TOL``): the distributions are mutually singular.
    log_det : float
        :math:`\\log|\\det A|` of the linear part of the map ``x -> x'`` (one sample, no
        dropped direction; 0 otherwise): ``H(x) = H(x') - log_det``.
    """

    x: Any
    y: Any
    dim: int
    identical: bool = False
    constant_sample: str | None = None
    dropped_columns: list[int] = field(default_factory=list)
    dropped_directions: int = 0
    disjoint_columns: list[int] = field(default_factory=list)
    singular: str | None = None
    log_det: float = 0.0

    def notes(self) -> dict[str, Any]:
        """The entries this whitening adds to an estimate's ``details``."""
        out: dict[str, Any] = {}
        if self.dropped_columns:
            out["dropped_columns"] = list(self.dropped_columns)
        if self.dropped_directions:
            out["dropped_directions"] = int(self.dropped_directions)
        if self.disjoint_columns:
            out["disjoint_columns"] = list(self.disjoint_columns)
        if self.singular:
            out["singular_sample"] = self.singular
        return out


def _moments(a: Any, xp: Any) -> list[Any]:
    """Column-constant flags and first row of ``a`` (exact comparisons on the raw data)."""
    const = xp.astype(xp.max(a, axis=0) == xp.min(a, axis=0), xp.float64)
    return [const, xp.astype(a[0, :], xp.float64)]


def _mean_cov(a: Any, xp: Any) -> list[Any]:
    """Column means and the flattened covariance (float64) of ``a``."""
    mean = xp.mean(a, axis=0)
    c = a - mean
    cov = xp.matmul(xp.permute_dims(c, (1, 0)), c) / a.shape[0]
    return [mean, xp.reshape(cov, (-1,))]


def whiten(x: Any, y: Any | None, xp: Any, *, standardize: bool = True) -> Whitening:
    """Whiten ``x`` (and ``y``) with the pooled mean and covariance (module docstring).

    The statistics are those of ``(u - x_0) / s``: differences from the first row of
    ``x`` (exact for nearby values, so a shift of 1e6 loses nothing), divided by a power
    of two per column. ``standardize=False`` only divides by one common exact power of two
    and drops nothing from the arrays (the dimension still excludes the pooled-constant
    columns): the raw geometry of the old estimators, which is not affine invariant.
    """
    d = x.shape[1]
    two = y is not None
    x64 = xp.astype(x, xp.float64)
    y64 = xp.astype(y, xp.float64) if two else None
    ref = x64[0:1, :]
    xd = x64 - ref
    yd = y64 - ref if two else None
    amax = xp.max(xp.abs(xd), axis=0)
    if two:
        amax = xp.maximum(amax, xp.max(xp.abs(yd), axis=0))
    if standardize:
        s = pow2_floor(amax, xp)  # exact power of two per column (1 for a zero column)
    else:  # one common scale, exactly 1 for ordinary data (the old estimators' numbers)
        big = xp.max(xp.abs(x64))
        if two:
            big = xp.maximum(big, xp.max(xp.abs(y64)))
        s = xp.ones_like(amax) * device_pow2_scale(big, xp, power=2)
    parts = [xp.log2(s), *_moments(x, xp), *_mean_cov(xd / s, xp)]
    if two:
        parts += _moments(y, xp) + _mean_cov(yd / s, xp)
    host = host_float64(xp.concat(parts), xp)  # the one read of the whitening
    log2s = host[:d]
    off = d

    def take(size: int) -> np.ndarray:
        nonlocal off
        out = host[off:off + size]
        off += size
        return out

    cx, x0, mx, covx = take(d) > 0.5, take(d), take(d), take(d * d).reshape(d, d)
    n = x.shape[0]
    if two:
        cy, y0, my, covy = take(d) > 0.5, take(d), take(d), take(d * d).reshape(d, d)
        m = y.shape[0]
        same = x0 == y0
        pool_const = cx & cy & same
        if pool_const.all():
            return Whitening(x, y, 0, identical=True)
        if cx.all() or cy.all():
            return Whitening(x, y, 0, constant_sample="x" if cx.all() else "y")
        disjoint = np.flatnonzero(cx & cy & ~same).tolist()
        N = n + m
        delta = mx - my
        cov = (n * covx + m * covy) / N + (n * m / N**2) * np.outer(delta, delta)
        mean = (n * mx + m * my) / N
    else:
        if cx.all():
            return Whitening(x, None, 0, constant_sample="x")
        pool_const, disjoint, cov, mean = cx, [], covx, mx
    keep = np.flatnonzero(~pool_const)
    dropped = np.flatnonzero(pool_const).tolist()
    out = Whitening(x, y, int(keep.size), dropped_columns=dropped, disjoint_columns=disjoint)
    if disjoint:
        return out
    if not standardize:  # raw geometry: common power-of-two scale only
        out.x = x / xp.astype(xp.max(s), x.dtype)
        out.y = y / xp.astype(xp.max(s), y.dtype) if two else None
        out.log_det = float(-np.sum(log2s) * math.log(2.0))
        return out
    ck = cov[np.ix_(keep, keep)]
    sd = np.sqrt(np.diag(ck))
    corr = ck / np.outer(sd, sd)
    lam, vec = np.linalg.eigh(0.5 * (corr + corr.T))
    good = lam > RANK_TOL * lam.max()
    lam, vec = lam[good], vec[:, good]
    w_kept = vec / sd[:, None] / np.sqrt(lam)[None, :]  # (kept columns, dim)
    dim = int(lam.size)
    out.dim = dim
    out.dropped_directions = int(keep.size - dim)
    w = np.zeros((d, dim))
    w[keep, :] = w_kept
    mu = np.zeros(d)
    mu[keep] = mean[keep]
    # singular samples: own covariance, in the whitened coordinates, has a ~0 eigenvalue
    for name, cv, size in ((("x", covx, n),) + ((("y", covy, m),) if two else ())):
        if size > dim + 1:
            low = float(np.linalg.eigvalsh(w.T @ cv @ w).min()) if dim else 1.0
            if low < SINGULAR_TOL:
                out.singular = name
                break
    if out.singular:
        return out
    if not two and not dropped and out.dropped_directions == 0:
        out.log_det = float(-np.sum(log2s) * math.log(2.0) + np.linalg.slogdet(w)[1])
    dt = x.dtype
    dev_w = from_numpy(w, xp, like=x, dtype=xp.float64)
    dev_mu = from_numpy(mu, xp, like=x, dtype=xp.float64)
    out.x = xp.astype(xp.matmul(xd / s - dev_mu, dev_w), dt)
    out.y = xp.astype(xp.matmul(yd / s - dev_mu, dev_w), dt) if two else None
    return out


def resample_size(r: int, n_full: int) -> int:
    """Subsample size ``h`` drawn from ``r`` of ``n_full`` points whose without-replacement
    variance equals the full-sample variance: :math:`1/h - 1/r = 1/N`, i.e.
    ``h = floor(r N / (N + r))`` (``N // 2`` when ``r = N``), kept in ``[1, r - 1]``."""
    h = (r * n_full) // (n_full + r)
    return int(min(max(h, 1), max(r - 1, 1)))


def kth_kept(
    dist: np.ndarray, idx: np.ndarray, mask: np.ndarray, k: int, *, relation: str = "kept"
) -> tuple[np.ndarray, np.ndarray]:
    """Distance to the ``k``-th neighbour among the *selected* entries of each neighbour list.

    ``dist``/``idx`` are (n, K) neighbour lists, ``mask`` a boolean (B, N) array over the
    indexed points. An entry ``j`` of row ``i`` is selected when ``mask[b, idx[i, j]]``
    (``relation="kept"``), when it equals ``mask[b, i]`` (``"same"``, same label) or
    differs from it (``"other"``). Returns ``(d, found)`` of shape (B, n); where fewer than
    ``k`` entries are selected, ``d`` is the last listed distance (a lower bound) and
    ``found`` is False. Works column by column, so memory is O(B * n).
    """
    B = mask.shape[0]
    n, K = dist.shape
    count = np.zeros((B, n), dtype=np.int32)
    out = np.broadcast_to(dist[:, -1], (B, n)).copy()
    found = np.zeros((B, n), dtype=bool)
    own = mask[:, :n] if relation != "kept" else None
    for j in range(K):
        sel = mask[:, idx[:, j]]
        if relation == "same":
            sel = sel == own
        elif relation == "other":
            sel = sel != own
        count += sel
        hit = sel & (count == k)
        out = np.where(hit, dist[:, j], out)
        found |= hit
    return out, found


def positive_floor(*dists: np.ndarray) -> float:
    """Smallest strictly positive value among host distance tables (``0.0`` if there is none)."""
    best = np.inf
    for d in dists:
        pos = d[d > 0]
        if pos.size:
            best = min(best, float(pos.min()))
    return 0.0 if not np.isfinite(best) else best
