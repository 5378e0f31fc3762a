r"""Per-column moments and data checks of a sample, as one mergeable state.

:class:`ColumnMoments` keeps, per column, the count :math:`n`, the mean :math:`\mu_j` and the
sum of squared deviations :math:`M_j = \sum_i (x_{ij} - \mu_j)^2` in float64, merged by the
pairwise update of Chan, Golub & LeVeque (1979),

.. math::

    n = n_a + n_b,\quad \delta = \mu_b - \mu_a,\quad \mu = \mu_a + \delta\,\frac{n_b}{n},\quad
    M = M_a + M_b + \delta^2\,\frac{n_a n_b}{n},

together with the column minima and maxima, the number of non-finite entries, whether every
value is an integer, and the distinct rows up to a cap (what
:func:`~divlab.estimators.plugin.is_categorical` needs). :func:`divlab.compare` runs it over
Dask arrays in the same pass that gathers its subsample, so the column scales, the input
checks and the categorical detection describe all the rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import to_numpy
from ..errors import ShapeMismatchError

__all__ = ["ColumnMoments"]

#: Distinct rows kept by :class:`ColumnMoments` (one more than the categorical limit of 256).
DISTINCT_CAP = 257
#: Rows of a chunk looked at first: more distinct rows than the cap there ends the count.
_PREFIX_ROWS = 2048


class ColumnMoments:
    r"""Mergeable per-column count, mean, scatter, range and data checks (float64).

    Parameters
    ----------
    x : array_like, shape (n, d) or (n,), optional
        First chunk (same as :meth:`update`).
    distinct_cap : int, default 257
        Distinct rows counted exactly up to this many; beyond, :attr:`distinct` is ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.streaming import ColumnMoments
    >>> a = ColumnMoments(np.array([[1.0, 2.0], [3.0, 2.0]]))
    >>> b = ColumnMoments(np.array([[5.0, 2.0]]))
    >>> r = a.merge(b).result()
    >>> r["count"], r["mean"], r["std"]
    (3, array([3., 2.]), array([1.63299316, 0.        ]))
    """

    def __init__(self, x: Any = None, *, distinct_cap: int = DISTINCT_CAP) -> None:
        self.count = 0
        self.mean: np.ndarray | None = None
        self.m2: np.ndarray | None = None
        self.min: np.ndarray | None = None
        self.max: np.ndarray | None = None
        self.nonfinite = 0
        self.first_nonfinite_row: int | None = None
        self.integer = True
        self.distinct_cap = int(distinct_cap)
        self.distinct: np.ndarray | None = np.empty((0, 0))
        if x is not None:
            self.update(x)

    def update(self, x: Any) -> ColumnMoments:
        """Add a chunk of rows; returns ``self``."""
        a = np.asarray(to_numpy(x))
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise ShapeMismatchError(f"ColumnMoments takes 1-D or 2-D chunks, got {a.ndim}-D")
        return self._combine(self._of_chunk(a))

    def _of_chunk(self, a: np.ndarray) -> ColumnMoments:
        out = ColumnMoments(distinct_cap=self.distinct_cap)
        n, d = a.shape
        out.count = n
        if n == 0:
            out.distinct = np.empty((0, d))
            return out
        a = a.astype(np.float64, copy=False)
        finite = np.isfinite(a)
        if not finite.all():
            bad_rows = ~finite.all(axis=1)
            out.nonfinite = int((~finite).sum())
            out.first_nonfinite_row = int(np.argmax(bad_rows))
            a = np.where(finite, a, 0.0)
        out.mean = a.mean(axis=0)
        out.m2 = ((a - out.mean) ** 2).sum(axis=0)
        out.min, out.max = a.min(axis=0), a.max(axis=0)
        out.integer = bool(np.all(np.floor(a) == a))
        out.distinct = _distinct_rows(a, self.distinct_cap)
        return out

    def _combine(self, b: ColumnMoments) -> ColumnMoments:
        if b.count == 0:
            if self.count == 0 and self.distinct is not None and b.distinct is not None:
                self.distinct = b.distinct if b.distinct.size else self.distinct
            return self
        if self.count == 0:
            self.__dict__.update({k: v for k, v in b.__dict__.items() if k != "distinct_cap"})
            return self
        if b.mean.shape != self.mean.shape:
            raise ShapeMismatchError(f"ColumnMoments: chunks with {self.mean.size} and "
                                     f"{b.mean.size} columns")
        n = self.count + b.count
        delta = b.mean - self.mean
        self.m2 = self.m2 + b.m2 + delta**2 * (self.count * b.count / n)
        self.mean = self.mean + delta * (b.count / n)
        self.min, self.max = np.minimum(self.min, b.min), np.maximum(self.max, b.max)
        if self.first_nonfinite_row is None and b.first_nonfinite_row is not None:
            self.first_nonfinite_row = self.count + b.first_nonfinite_row
        self.nonfinite += b.nonfinite
        self.integer = self.integer and b.integer
        if self.distinct is None or b.distinct is None:
            self.distinct = None
        else:
            both = np.unique(np.concatenate([self.distinct, b.distinct]), axis=0)
            self.distinct = both if both.shape[0] <= self.distinct_cap else None
        self.count = n
        return self

    def merge(self, other: ColumnMoments) -> ColumnMoments:
        """Add another state (rows that come after this state's rows); returns ``self``."""
        if not isinstance(other, ColumnMoments):
            raise TypeError(f"cannot merge ColumnMoments with {type(other).__name__}")
        return self._combine(other)

    def result(self) -> dict[str, Any]:
        """``count``, ``mean``, ``std`` (ddof 0), ``min``, ``max``, ``nonfinite``,
        ``first_nonfinite_row``, ``integer`` and ``n_distinct`` (``None`` beyond the cap)."""
        std = None if self.m2 is None else np.sqrt(np.maximum(self.m2, 0.0) / self.count)
        return {"count": self.count, "mean": self.mean, "std": std, "min": self.min,
                "max": self.max, "nonfinite": self.nonfinite,
                "first_nonfinite_row": self.first_nonfinite_row, "integer": self.integer,
                "n_distinct": None if self.distinct is None else int(self.distinct.shape[0])}

    def __repr__(self) -> str:
        d = None if self.mean is None else self.mean.size
        return f"ColumnMoments(count={self.count}, d={d})"


def _distinct_rows(a: np.ndarray, cap: int) -> np.ndarray | None:
    """The distinct rows of ``a``, or ``None`` when there are more than ``cap``."""
    head = np.unique(a[:_PREFIX_ROWS], axis=0)
    if head.shape[0] > cap:
        return None
    rows = np.unique(a, axis=0) if a.shape[0] > _PREFIX_ROWS else head
    return rows if rows.shape[0] <= cap else None


def pooled_is_categorical(a: ColumnMoments, b: ColumnMoments) -> bool:
    """:func:`~divlab.estimators.plugin.is_categorical` of the two samples pooled, from their
    states: at most 256 distinct rows, and integer values or at most N/4 distinct rows."""
    if a.distinct is None or b.distinct is None:
        return False
    n_unique = np.unique(np.concatenate([a.distinct, b.distinct]), axis=0).shape[0]
    if n_unique > 256:
        return False
    return bool(a.integer and b.integer) or n_unique <= (a.count + b.count) / 4
