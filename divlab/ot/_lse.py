r"""Soft c-transforms (log-sum-exp reductions over a cost) for Sinkhorn, dense or tiled.

The Sinkhorn fixed point only needs the soft c-transform

.. math::

    (T_\varepsilon g)_i = -\varepsilon \log \sum_j w_j\, e^{(g_j - C_{ij})/\varepsilon},

a log-sum-exp over rows (or columns) of the cost. :class:`DenseCost` reads it from a stored
``(n, m)`` matrix; :class:`OnlineCost` recomputes the cost between point clouds tile by tile,
so the ``(n, m)`` matrix is never materialised: memory :math:`O((n + m)\cdot\text{tile})`
instead of :math:`O(nm)` ("online" mode of GeomLoss/KeOps, written with ``xp`` only).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from .._array import chunk_slices, default_chunk_rows, logsumexp
from ..costs import pairwise_cost_unchecked

__all__ = ["DenseCost", "OnlineCost"]


class DenseCost:
    """Soft c-transforms over a stored cost matrix ``c`` (n, m)."""

    def __init__(self, c: Any, xp: ModuleType) -> None:
        self.c, self.xp = c, xp

    def rows(self, g: Any, logw: Any, eps: float) -> Any:
        """``f_i = -eps LSE_j(logw_j + (g_j - C_ij)/eps)``, shape (n,)."""
        e = (g[None, :] - self.c) / eps + logw[None, :]
        return -eps * logsumexp(e, self.xp, axis=1)

    def cols(self, f: Any, logw: Any, eps: float) -> Any:
        """``g_j = -eps LSE_i(logw_i + (f_i - C_ij)/eps)``, shape (m,)."""
        e = (f[:, None] - self.c) / eps + logw[:, None]
        return -eps * logsumexp(e, self.xp, axis=0)

    def max_cost(self) -> float:
        from .._array import scalar

        return scalar(self.xp.max(self.xp.abs(self.c)))


class OnlineCost:
    """Soft c-transforms over ``C_ij = cost(x_i, y_j)`` computed in row tiles (never (n, m))."""

    def __init__(
        self, x: Any, y: Any, xp: ModuleType, *, metric: str, tile_rows: int | None = None
    ) -> None:
        self.x, self.y, self.xp, self.metric = x, y, xp, metric
        self.tile_rows = tile_rows

    def _lse_rows(self, src: Any, dst: Any, pot: Any, logw: Any, eps: float) -> Any:
        xp = self.xp
        rows = self.tile_rows or default_chunk_rows(dst.shape[0], budget_bytes=16 * 2**20)
        out = []
        for sl in chunk_slices(src.shape[0], rows):
            c = pairwise_cost_unchecked(src[sl, :], dst, xp, metric=self.metric)
            e = (pot[None, :] - c) / eps + logw[None, :]
            out.append(-eps * logsumexp(e, xp, axis=1))
        return xp.concat(out, axis=0) if len(out) > 1 else out[0]

    def rows(self, g: Any, logw: Any, eps: float) -> Any:
        """``f_i = -eps LSE_j(logw_j + (g_j - C(x_i, y_j))/eps)``, tiled over ``x``."""
        return self._lse_rows(self.x, self.y, g, logw, eps)

    def cols(self, f: Any, logw: Any, eps: float) -> Any:
        """``g_j = -eps LSE_i(logw_i + (f_i - C(x_i, y_j))/eps)``, tiled over ``y``."""
        return self._lse_rows(self.y, self.x, f, logw, eps)

    def max_cost(self) -> float:
        """An upper bound of ``max C`` from the bounding boxes (exact enough for eps-scaling)."""
        from .._array import scalar

        xp = self.xp
        lo = xp.minimum(xp.min(self.x, axis=0), xp.min(self.y, axis=0))
        hi = xp.maximum(xp.max(self.x, axis=0), xp.max(self.y, axis=0))
        span = hi - lo
        if self.metric == "sqeuclidean":
            return scalar(xp.sum(span * span))
        if self.metric == "cityblock":
            return scalar(xp.sum(span))
        return scalar(xp.sqrt(xp.sum(span * span)))  # euclidean; minkowski r >= 1 is <= l1
