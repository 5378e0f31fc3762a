r"""``compare`` on Dask arrays: one pass over all rows, then the in-memory estimators.

One ``dask.compute`` reads every chunk of both samples once and, from the same chunk reads,

* runs :class:`~divlab.streaming.ColumnMoments` on every row (checks for NaN/inf, the
  per-column scales, the categorical detection),
* gathers a uniform random subsample of at most :data:`DASK_HOST_ROWS` rows per sample (and
  at most :data:`DASK_HOST_BYTES` bytes) to the host, in row order; when a sample fits, all its
  rows in order, so the results are those of the in-memory call on the same data,
* when asked, runs :class:`~divlab.generative.FrechetStats` on every row (FID over all rows).

Every estimator of ``compare`` that has a size limit (k-NN, kernel, exact OT in d > 1, PRDC,
KID, sliced) works on a random subsample at most :data:`DASK_HOST_ROWS` large anyway: a
uniform subsample of a uniform subsample is a uniform subsample, so those rows do not change
in distribution. Nothing larger than the subsample and the small states reaches the host.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DTypeError, EmptyInputError, NonFiniteError, ParameterError, ShapeMismatchError
from ..streaming._base import fold_rows_delayed, is_dask_array
from ..streaming.moments import ColumnMoments, pooled_is_categorical

__all__ = ["DASK_HOST_ROWS", "DASK_HOST_BYTES", "LazyScan", "scan_dask_pair"]

#: Largest number of rows per sample that ``compare`` gathers from Dask input to the host
#: (the largest subsample any of its estimators uses: sliced W's ``MAX_SLICED_N``).
DASK_HOST_ROWS = 200_000
#: Largest host copy of one gathered sample, in bytes (float64): caps the rows in high d.
DASK_HOST_BYTES = 2**28


@dataclass
class LazyScan:
    """What one pass over two Dask samples gives ``compare``."""

    xn: np.ndarray  #: host float64 rows of x (all of them, or the subsample)
    yn: np.ndarray
    shape_x: tuple[int, int]  #: full shapes
    shape_y: tuple[int, int]
    scales: np.ndarray  #: pooled per-column standard deviation of all rows
    categorical: bool  #: detection on all rows
    frechet: tuple[Any, Any] | None  #: FrechetStats of all rows, when asked for
    x: Any = None  #: the samples as 2-D Dask arrays (for further passes)
    y: Any = None

    @property
    def subsampled(self) -> bool:
        return self.xn.shape[0] < self.shape_x[0] or self.yn.shape[0] < self.shape_y[0]


def _as_2d(a: Any, name: str) -> Any:
    import dask.array as da

    if not is_dask_array(a):
        a = da.from_array(np.asarray(a))
    kind = np.dtype(a.dtype).kind
    if kind not in "biuf":
        raise DTypeError(f"`{name}` has dtype {a.dtype}, which is not numeric; pass real numbers")
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ShapeMismatchError(f"`{name}` must be 1-D or 2-D (n, d), got shape {a.shape}")
    if any(math.isnan(s) for s in a.shape):
        raise ParameterError(f"`{name}` has unknown chunk sizes; call `{name}.compute_chunk_"
                             "sizes()` first (e.g. after boolean indexing)")
    return a


def host_rows(n: int, d: int) -> int:
    """Rows gathered per sample: all ``n``, or :data:`DASK_HOST_ROWS` / the byte cap."""
    return min(n, DASK_HOST_ROWS, max(2, DASK_HOST_BYTES // (8 * max(d, 1))))


def _gather(a: Any, k: int, gen: np.random.Generator) -> Any:
    n = a.shape[0]
    if k >= n:
        return a
    return a[np.sort(gen.choice(n, k, replace=False))]


def _check_moments(mom: ColumnMoments, name: str) -> None:
    if mom.nonfinite:
        raise NonFiniteError(f"`{name}` contains {mom.nonfinite} non-finite value(s) (NaN or "
                             f"infinity); the first is in row {mom.first_nonfinite_row}")


def scan_dask_pair(x: Any, y: Any, *, gen: np.random.Generator, frechet: bool = False,
                   min_n: int = 2) -> LazyScan:
    """Validate two samples of which at least one is a Dask array, in one pass over the rows.

    ``gen`` draws the subsample rows (only when a sample is larger than :func:`host_rows`).
    """
    import dask

    x, y = _as_2d(x, "x"), _as_2d(y, "y")
    for name, a in (("x", x), ("y", y)):
        if a.shape[0] == 0 or a.shape[1] == 0:
            raise EmptyInputError(f"`{name}` is empty (shape {tuple(a.shape)})")
        if a.shape[0] < min_n:
            raise EmptyInputError(f"`{name}` has {a.shape[0]} sample(s); at least {min_n} are "
                                  "needed")
    if x.shape[1] != y.shape[1]:
        raise ShapeMismatchError(f"`x` and `y` must have the same dimension d, got shapes "
                                 f"{tuple(x.shape)} and {tuple(y.shape)}")
    n, d = x.shape
    m = y.shape[0]
    x = x.rechunk({1: -1}) if len(x.chunks[1]) > 1 else x
    y = y.rechunk({1: -1}) if len(y.chunks[1]) > 1 else y
    parts = [_gather(x, host_rows(n, d), gen), _gather(y, host_rows(m, d), gen),
             fold_rows_delayed(ColumnMoments, x),
             fold_rows_delayed(ColumnMoments, y)]
    if frechet:
        from ..generative import FrechetStats

        parts += [fold_rows_delayed(FrechetStats, x),
                  fold_rows_delayed(FrechetStats, y)]
    got = dask.compute(*parts)
    xs, ys, mx, my = got[:4]
    _check_moments(mx, "x")
    _check_moments(my, "y")
    xn = np.asarray(xs, dtype=np.float64)
    yn = np.asarray(ys, dtype=np.float64)
    if xn.shape[0] == n and yn.shape[0] == m:  # everything on the host: the in-memory rules
        from .plugin import is_categorical

        scales = np.concatenate([xn, yn]).std(axis=0)
        categorical = is_categorical(np.concatenate([xn, yn]))
    else:
        pooled = ColumnMoments().merge(_copy(mx)).merge(_copy(my))
        scales = pooled.result()["std"]
        categorical = pooled_is_categorical(mx, my)
    return LazyScan(xn=xn, yn=yn, shape_x=(n, d), shape_y=(m, d), scales=scales,
                    categorical=categorical, frechet=(got[4], got[5]) if frechet else None,
                    x=x, y=y)


def _copy(state: ColumnMoments) -> ColumnMoments:
    out = ColumnMoments(distinct_cap=state.distinct_cap)
    out.__dict__.update(state.__dict__)
    return out
