"""Host helpers on k-nearest-neighbour tables (the resampling of :mod:`divlab.estimators.knn`).

The neighbour search itself is a backend strategy of :mod:`divlab._array`
(:func:`~divlab._array.knn_table` on the host, :func:`~divlab._array.knn_kth_distance` for
any namespace). Everything here works on host NumPy arrays; distances are Euclidean.
"""

from __future__ import annotations

import numpy as np

from .._array import knn_table

__all__ = ["knn_table", "kth_kept", "positive_floor"]


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
