"""k-nearest-neighbour distance tables (NumPy cKDTree path and a chunked brute-force xp path).

Internal helpers of :mod:`divlab.estimators.knn`. Distances are Euclidean.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from .._array import chunk_slices, default_chunk_rows, to_numpy
from ..costs import pairwise_cost_unchecked

__all__ = ["knn_table", "knn_dist_xp", "kth_kept", "positive_floor", "is_constant"]


def knn_table(
    ref: np.ndarray, query: np.ndarray | None, k: int, *, tree: cKDTree | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices of the ``k`` nearest points of ``ref`` to each query point.

    ``query=None`` means "query = ref, excluding each point itself" (its own index is
    removed even when duplicates tie at distance 0). Returns arrays of shape (nq, k),
    sorted by distance. ``k`` is clipped to the number of available points.
    """
    self_query = query is None
    q = ref if self_query else query
    tree = cKDTree(ref) if tree is None else tree
    kk = min(k + 1 if self_query else k, ref.shape[0])
    dist, idx = tree.query(q, k=kk, workers=-1)
    dist = np.asarray(dist, dtype=np.float64).reshape(q.shape[0], kk)
    idx = np.asarray(idx, dtype=np.int64).reshape(q.shape[0], kk)
    if self_query:
        own = idx == np.arange(q.shape[0])[:, None]
        missing = ~own.any(axis=1)
        own[missing, -1] = True  # more than kk exact duplicates: drop the last one instead
        dist = dist[~own].reshape(q.shape[0], kk - 1)
        idx = idx[~own].reshape(q.shape[0], kk - 1)
    return dist, idx


def knn_dist_xp(ref: Any, query: Any, k: int, xp: ModuleType, *, self_query: bool) -> Any:
    """Sorted distances to the ``k`` nearest points by chunked brute force in namespace ``xp``.

    Memory is O(chunk * n_ref); used for non-NumPy backends (CuPy, array-API libraries).
    """
    n_ref = ref.shape[0]
    rows = default_chunk_rows(n_ref, 8, 32 * 2**20)
    out = []
    for sl in chunk_slices(query.shape[0], rows):
        d2 = pairwise_cost_unchecked(query[sl, :], ref, xp, metric="sqeuclidean")
        if self_query:
            r = xp.reshape(xp.arange(sl.start, sl.stop), (-1, 1))
            c = xp.reshape(xp.arange(n_ref), (1, -1))
            d2 = xp.where(r == c, xp.full_like(d2, float("inf")), d2)
        out.append(xp.sort(d2, axis=1)[:, :k])
    d2 = xp.concat(out, axis=0) if len(out) > 1 else out[0]
    return xp.sqrt(xp.maximum(d2, xp.zeros_like(d2)))


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


def positive_floor(*dists: Any) -> float:
    """Smallest strictly positive value among the distance tables (``0.0`` if there is none)."""
    best = np.inf
    for d in dists:
        d = to_numpy(d)
        pos = d[d > 0]
        if pos.size:
            best = min(best, float(pos.min()))
    return 0.0 if not np.isfinite(best) else best


def is_constant(x: Any, xp: ModuleType) -> bool:
    """True when every row of the 2-D sample ``x`` is identical."""
    return bool(xp.all(xp.max(x, axis=0) == xp.min(x, axis=0)))
