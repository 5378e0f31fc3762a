r"""k nearest neighbours of a fixed query set in a chunked reference set, by top-k merges.

For a query set :math:`Q = (q_1, \dots, q_{n_q})` held in memory and a reference set
:math:`R = (r_0, \dots, r_{N-1})` that arrives in chunks, :class:`KnnState` keeps for every
query the :math:`k` reference rows smallest in the order

.. math::
    (\|q_i - r_j\|^2,\; j) \quad \text{(lexicographic: distance, then global row index)},

with their global indices :math:`j`. A chunk contributes its own top :math:`k` in that order;
two states merge by taking the top :math:`k` of the union. Because the order is a total order
on the rows, the :math:`k` smallest rows of the union are the :math:`k` smallest of the top
:math:`k` of the parts: the result is exactly the top :math:`k` of the whole reference set, the
same (distances and indices) for every chunking and merge order. Among reference rows at equal
distance the lower index wins.

Squared distances are computed in float64 from exact coordinate differences by
:func:`divlab.costs.pairwise_cost_unchecked` (SciPy's ``cdist`` on NumPy), one number per pair
whatever block it is computed in (for non-NumPy arrays with ``d > 64`` the generic kernel uses
the expansion on block-centred data, so exact ties there can depend on the blocking); the
result is their square root.

Self exclusion (queries that are rows of the reference set): queries are given with their
global row indices in the reference (``query_index``; ``exclude_self=True`` alone means
query ``i`` is reference row ``i``), and each query never lists the reference row with its own
index, even when duplicates of it lie at distance 0 (those are listed, as neighbours).

Memory: the state holds the queries and two ``(n_q, k)`` tables; an update works on blocks of
at most 64 MiB of squared distances. :func:`knn_distances` runs the state over a reference set
in memory (NumPy, CuPy, PyTorch) or as one Dask task per reference chunk, merged in a tree.

Cost: a brute-force search, :math:`O(n_q N d)` (a partial sort per block keeps the selection
:math:`O(n_q N)`). For a reference set that fits in memory in low dimension a kd-tree is much
faster (:func:`divlab._array.knn_table`: 0.08 s against 2 to 3.5 s for 2000 queries, 10^5
reference rows, d = 5, k = 10, on 2 shared cores); the state is for reference sets that do
not fit, live on a cluster or on the GPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import (
    array_namespace,
    chunk_slices,
    default_chunk_rows,
    from_numpy,
    host_float64,
    host_floats,
    kth_smallest_rows,
    to_numpy,
)
from .._validate import check_bool, check_int, check_samples
from ..costs import pairwise_cost_unchecked
from ..errors import EstimationError, NonFiniteError, ParameterError, ShapeMismatchError
from ._base import _check_split_every, _has_unknown_rows, _row_blocks, _tree, is_dask_array

__all__ = ["KnnState", "knn_distances", "knn_distances_delayed"]

#: Index of an excluded entry (the query's own row): sorts after every real row.
NO_INDEX = np.iinfo(np.int64).max
#: Bytes of squared distances formed at once by an update.
_BLOCK_BYTES = 64 * 2**20


def _take_cols(a: Any, order: Any, xp: Any) -> Any:
    """``a[i, order[i, j]]`` for every row ``i`` (``take_along_axis`` on axis 1)."""
    return xp.take_along_axis(a, order, axis=1)


def _lexsort_rows(d2: Any, idx: Any, xp: Any) -> tuple[Any, Any]:
    """Sort every row by ``(d2, idx)``: a stable sort by index, then a stable sort by distance."""
    order = xp.argsort(idx, axis=1, stable=True)
    d2, idx = _take_cols(d2, order, xp), _take_cols(idx, order, xp)
    order = xp.argsort(d2, axis=1, stable=True)
    return _take_cols(d2, order, xp), _take_cols(idx, order, xp)


def _chunk_topk(d2: Any, idx: Any, k: int, xp: Any) -> tuple[Any, Any]:
    """Top ``k`` of every row of a block in the order (distance, index), sorted.

    ``idx`` (rows, w) holds the global indices; they increase along each row except for the
    excluded entries (``NO_INDEX`` at distance +inf). The ``k`` smallest values are those
    below the row's ``k``-th smallest value plus the first (by column) entries equal to it.
    One host read of a flag per block: whether a row has more entries equal to its ``k``-th
    value than it needs (ties), which only then are ranked by column.
    """
    w = d2.shape[1]
    if w > k:
        rows = d2.shape[0]
        thr = kth_smallest_rows(d2, k, xp)
        keep = d2 <= thr
        excess = xp.any(xp.count_nonzero(keep, axis=1) != k)
        if bool(host_floats(xp, excess)[0]):  # ties at the k-th value: first ones by column
            below = d2 < thr
            tie = keep & ~below
            need = k - xp.count_nonzero(below, axis=1, keepdims=True)
            rank = xp.cumulative_sum(xp.astype(tie, xp.int32), axis=1)
            keep = below | (tie & (rank <= need))  # exactly k per row, in column order
        d2 = xp.reshape(d2[keep], (rows, k))
        idx = xp.reshape(idx[keep], (rows, k))
    return _lexsort_rows(d2, idx, xp)


def _merge_topk(d_a: Any, i_a: Any, d_b: Any, i_b: Any, k: int, xp: Any) -> tuple[Any, Any]:
    """Top ``k`` of the union of two sorted neighbour tables (rows aligned)."""
    d2, idx = _lexsort_rows(xp.concat([d_a, d_b], axis=1), xp.concat([i_a, i_b], axis=1), xp)
    return d2[:, :k], idx[:, :k]


def _check_query_index(query_index: Any, nq: int, q: Any, xp: Any) -> Any:
    qi = np.asarray(to_numpy(query_index))
    if qi.dtype.kind not in "iu" or qi.shape != (nq,):
        raise ParameterError(
            f"`query_index` must be integers of shape ({nq},) (the global reference row of "
            f"each query), got dtype {qi.dtype} and shape {qi.shape}")
    if qi.size and qi.min() < 0:
        raise ParameterError(f"`query_index` must be >= 0, got {int(qi.min())}")
    return from_numpy(qi.astype(np.int64), xp, like=q, dtype=xp.int64)


class KnnState:
    r"""Mergeable k-nearest-neighbour tables of a fixed query set (module docstring).

    Parameters
    ----------
    queries : array_like, shape (n_q, d) or (n_q,)
        The query points (held in memory, float64, in their own array namespace).
    k : int
        Number of neighbours (>= 1).
    exclude_self : bool, default False
        The queries are rows of the reference set: each query skips the reference row with
        its own global index.
    query_index : array_like of int, shape (n_q,), optional
        Global reference row of each query (with ``exclude_self=True``; default
        ``0, ..., n_q - 1``: the queries are the first rows of the reference set).

    Attributes
    ----------
    dist2, index : arrays, shape (n_q, w)
        The current tables (squared distances, global indices), ``w = min(k, rows seen)``,
        each row sorted by (distance, index).
    n_seen : int
        Reference rows seen.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.spatial import cKDTree
    >>> rng = np.random.default_rng(0)
    >>> ref, q = rng.normal(size=(500, 3)), rng.normal(size=(20, 3))
    >>> a, b = KnnState(q, 4), KnnState(q, 4)
    >>> _ = a.update(ref[:200], offset=0)
    >>> _ = b.update(ref[200:], offset=200)
    >>> dist, idx = a.merge(b).result()
    >>> d_ref, i_ref = cKDTree(ref).query(q, k=4)
    >>> bool(np.allclose(dist, d_ref, rtol=1e-12)), bool((idx == i_ref).all())
    (True, True)
    """

    def __init__(self, queries: Any, k: int, *, exclude_self: bool = False,
                 query_index: Any = None) -> None:
        xp = array_namespace(queries)
        q = check_samples(queries, "queries", xp=xp)
        self.queries = xp.astype(q, xp.float64, copy=False)
        self.k = check_int(k, "k", min_value=1)
        self.exclude_self = check_bool(exclude_self, "exclude_self")
        nq = q.shape[0]
        if query_index is not None and not self.exclude_self:
            raise ParameterError("`query_index` is the global row of each query for "
                                 "`exclude_self=True`; pass exclude_self=True with it")
        self.query_index = None
        if self.exclude_self:
            qi = np.arange(nq) if query_index is None else query_index
            self.query_index = _check_query_index(qi, nq, self.queries, xp)
        self.dist2 = xp.zeros((nq, 0), dtype=xp.float64)
        self.index = xp.zeros((nq, 0), dtype=xp.int64)
        self.n_seen = 0

    @property
    def n_queries(self) -> int:
        """Number of query points."""
        return int(self.queries.shape[0])

    def _block(self, ref: Any, start: int, xp: Any) -> tuple[Any, Any]:
        """Top ``k`` of the queries among the rows of ``ref`` (global rows from ``start``)."""
        d2 = pairwise_cost_unchecked(self.queries, ref, xp, metric="sqeuclidean")
        idx = xp.reshape(xp.arange(start, start + ref.shape[0], dtype=xp.int64), (1, -1))
        idx = xp.broadcast_to(idx, d2.shape)
        if self.query_index is not None:
            own = idx == xp.reshape(self.query_index, (-1, 1))
            d2 = xp.where(own, xp.asarray(float("inf"), dtype=xp.float64), d2)
            idx = xp.where(own, xp.asarray(NO_INDEX, dtype=xp.int64), idx)
        return _chunk_topk(d2, idx, self.k, xp)

    def update(self, reference_chunk: Any, *, offset: int = 0) -> KnnState:
        """Add a chunk of reference rows whose first row has global index ``offset``;
        returns ``self``.

        Chunks must not overlap (each global row seen once; :meth:`result` detects a row
        index listed twice). The chunk is processed in blocks of at most 64 MiB of squared
        distances.

        Raises
        ------
        ShapeMismatchError
            The chunk's dimension differs from the queries'.
        NonFiniteError, DTypeError, BackendError
            Non-finite or non-numeric chunk, or another array library than the queries.
        """
        xp = array_namespace(self.queries, reference_chunk)
        ref = check_samples(reference_chunk, "reference_chunk", xp=xp)
        offset = check_int(offset, "offset", min_value=0)
        if ref.shape[1] != self.queries.shape[1]:
            raise ShapeMismatchError(
                f"`reference_chunk` has shape {tuple(ref.shape)}, the queries have dimension "
                f"{self.queries.shape[1]} (shape {tuple(self.queries.shape)})")
        ref = xp.astype(ref, xp.float64, copy=False)
        rows = max(self.k, default_chunk_rows(self.n_queries, 8, _BLOCK_BYTES))
        for sl in chunk_slices(ref.shape[0], rows):
            d2, idx = self._block(ref[sl, :], offset + sl.start, xp)
            self.dist2, self.index = _merge_topk(self.dist2, self.index, d2, idx, self.k, xp)
        self.n_seen += int(ref.shape[0])
        return self

    def merge(self, other: KnnState) -> KnnState:
        """Keep the top ``k`` of the union of both tables (same queries, ``k`` and
        exclusion); returns ``self``. ``other`` is left unchanged."""
        if not isinstance(other, KnnState):
            raise TypeError(f"can only merge a KnnState, got {type(other).__name__}")
        xp = array_namespace(self.queries, other.queries)
        if (other.k, other.exclude_self, tuple(other.queries.shape)) != (
                self.k, self.exclude_self, tuple(self.queries.shape)):
            raise ParameterError(
                "cannot merge KnnStates of different queries, k or exclusion: "
                f"k={other.k}, exclude_self={other.exclude_self}, queries "
                f"{tuple(other.queries.shape)} into k={self.k}, "
                f"exclude_self={self.exclude_self}, queries {tuple(self.queries.shape)}")
        self.dist2, self.index = _merge_topk(self.dist2, self.index, other.dist2, other.index,
                                             self.k, xp)
        self.n_seen += other.n_seen
        return self

    def result(self) -> tuple[Any, Any]:
        """``(distances, indices)``, shape (n_q, k): Euclidean distances (float64) and global
        reference rows (int64) of the ``k`` nearest rows of each query, ascending by
        (distance, index). Does not consume the state.

        Raises
        ------
        EstimationError
            Fewer than ``k`` reference rows available for a query (``k`` too large for the
            rows seen, the query's own row excluded), or a reference row listed twice
            (overlapping chunks or offsets).
        NonFiniteError
            A squared distance overflowed float64 (coordinates beyond about 1e154).
        """
        xp = array_namespace(self.queries)
        w = self.index.shape[1]
        missing = w < self.k
        if not missing and w:
            missing = bool(host_floats(xp, xp.any(self.index == NO_INDEX))[0])
        if missing:
            raise EstimationError(
                f"fewer than k={self.k} reference rows for some query: {self.n_seen} row(s) "
                f"seen{', own row excluded' if self.exclude_self else ''}")
        srt = xp.sort(self.index, axis=1)
        repeated, overflow = host_floats(xp, xp.any(srt[:, 1:] == srt[:, :-1]),
                                         xp.any(self.dist2 == float("inf")))
        if repeated:
            bad = host_float64(xp.any(srt[:, 1:] == srt[:, :-1], axis=1), xp)
            raise EstimationError(
                f"a reference row is listed twice for query {int(np.argmax(bad))}: chunks "
                "overlap (each global row must be added once, with its own offset)")
        if overflow:
            raise NonFiniteError("a squared distance overflowed float64 (coordinates beyond "
                                 "about 1e154): rescale the data first")
        return xp.sqrt(self.dist2), self.index

    def __repr__(self) -> str:
        return (f"KnnState(n_queries={self.n_queries}, k={self.k}, "
                f"exclude_self={self.exclude_self}, n_seen={self.n_seen})")


def _knn_task(queries: Any, k: int, query_index: Any, chunk: Any, offset: int) -> KnnState:
    """One task: a fresh state updated with one reference chunk (runs on a worker)."""
    return KnnState(queries, k, exclude_self=query_index is not None,
                    query_index=query_index).update(chunk, offset=offset)


def _result(state: KnnState) -> tuple[Any, Any]:
    return state.result()


def _prepare(queries: Any, reference_shape: tuple[int, ...], k: Any,
             query_index: Any) -> tuple[Any, int, Any]:
    """Validate the arguments of :func:`knn_distances` against the reference's shape."""
    if is_dask_array(queries):
        queries = queries.compute()
    xp = array_namespace(queries)
    q = check_samples(queries, "queries", xp=xp)
    k = check_int(k, "k", min_value=1)
    if len(reference_shape) not in (1, 2):
        raise ShapeMismatchError(f"`reference` must be 1-D (n,) or 2-D (n, d), got shape "
                                 f"{reference_shape}")
    d_ref = 1 if len(reference_shape) == 1 else reference_shape[1]
    if d_ref != q.shape[1]:
        raise ShapeMismatchError("`queries` and `reference` must have the same dimension d, "
                                 f"got shapes {tuple(q.shape)} and {reference_shape}")
    available = reference_shape[0] - (query_index is not None)
    if k > available:
        raise ParameterError(
            f"`k`={k} exceeds the {available} reference row(s) available to each query"
            + (" (own row excluded)" if query_index is not None else ""))
    if query_index is not None:
        qi = _check_query_index(query_index, q.shape[0], q, xp)
        if int(np.max(host_float64(qi, xp), initial=-1)) >= reference_shape[0]:
            raise ParameterError(f"`query_index` must be < {reference_shape[0]} (rows of "
                                 "`reference`)")
        query_index = qi
    return q, k, query_index


def knn_distances_delayed(queries: Any, reference: Any, k: int, *, query_index: Any = None,
                          split_every: int = 8) -> Any:
    """:func:`knn_distances` over a Dask ``reference`` as a ``dask.delayed`` object computing
    ``(distances, indices)``."""
    import dask

    split_every = _check_split_every(split_every)
    if not is_dask_array(reference):
        raise ParameterError("knn_distances_delayed takes a Dask `reference`; use "
                             "knn_distances")
    if _has_unknown_rows(reference):
        raise ParameterError("`reference` has unknown chunk sizes (the global row indices "
                             "need them); call `reference.compute_chunk_sizes()` first (e.g. "
                             "after boolean indexing)")
    q, k, qi = _prepare(queries, tuple(reference.shape), k, query_index)
    q_d = dask.delayed(q, pure=True)
    qi_d = None if qi is None else dask.delayed(qi, pure=True)
    sizes = reference.chunks[0]
    first_rows = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
    starts = [s for s, rows in zip(first_rows, sizes, strict=True) if rows]  # as _row_blocks
    blocks = _row_blocks(reference, "reference")
    parts = [dask.delayed(_knn_task, pure=True)(q_d, k, qi_d, blk, int(s))
             for blk, s in zip(blocks, starts, strict=True)]
    return dask.delayed(_result, pure=True)(_tree(parts, split_every))


def knn_distances(queries: Any, reference: Any, k: int, *, query_index: Any = None,
                  split_every: int = 8) -> tuple[Any, Any]:
    r"""Distances and indices of the ``k`` nearest reference rows of each query.

    Parameters
    ----------
    queries : array_like, shape (n_q, d) or (n_q,)
        Query points (in memory; a Dask array is computed first).
    reference : array_like, shape (n, d) or (n,)
        Reference points: in memory (NumPy, CuPy, PyTorch) or a Dask array (one task per
        row chunk, states merged in a tree).
    k : int
        Number of neighbours, ``1 <= k <= n`` (``n - 1`` with ``query_index``).
    query_index : array_like of int, shape (n_q,), optional
        The queries are rows of ``reference``: the global row of each query, which is
        excluded from its neighbours (``np.arange(n)`` with ``queries = reference`` gives
        the leave-one-out neighbours of every point).
    split_every : int, default 8
        Fan-in of the merge tree (Dask).

    Returns
    -------
    distances : array, shape (n_q, k)
        Euclidean distances, ascending (float64, the queries' namespace).
    indices : array of int64, shape (n_q, k)
        Global reference rows; equal distances are ordered by index (the result does not
        depend on the chunking).

    Raises
    ------
    ParameterError
        ``k < 1``, ``k`` above the rows available, bad ``query_index`` or ``split_every``.
    ShapeMismatchError
        Queries and reference of different dimensions.
    NonFiniteError, DTypeError
        Bad data (for Dask, raised at compute time by the task of the chunk).

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> ref = np.array([[0.0], [1.0], [1.0], [3.0]])
    >>> dist, idx = knn_distances(np.array([[1.0]]), da.from_array(ref, chunks=2), 2)
    >>> dist, idx
    (array([[0., 0.]]), array([[1, 2]]))
    >>> knn_distances(ref, ref, 1, query_index=np.arange(4))[1].ravel()
    array([1, 2, 1, 1])
    """
    if is_dask_array(reference):
        return knn_distances_delayed(queries, reference, k, query_index=query_index,
                                     split_every=split_every).compute()
    _check_split_every(split_every)
    xp = array_namespace(reference)
    ref = check_samples(reference, "reference", xp=xp)
    q, k, qi = _prepare(queries, tuple(ref.shape), k, query_index)
    state = KnnState(q, k, exclude_self=qi is not None, query_index=qi)
    return state.update(ref, offset=0).result()
