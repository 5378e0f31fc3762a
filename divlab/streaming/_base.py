r"""The streaming-state protocol and the folds that run a state over chunked data.

A *streaming state* summarises the rows it has seen in a fixed amount of memory and can be
combined with another state of the same kind:

* ``update(*chunks, **named_chunks)`` adds one chunk of rows and returns the state;
* ``merge(other)`` adds another state (in place) and returns the state;
* ``result(**options)`` gives the number(s) and leaves the state usable.

In-memory calls run the same state on one chunk, so a result does not depend on how the data
arrived. The folds below run a state over NumPy (or CuPy, PyTorch) arrays in one call, and over
Dask arrays as one task per row chunk, whose states are merged in a tree of ``merge`` calls
on the workers: every row is read once, each worker holds a few chunks, and only the small
states travel. Nothing is home-made: the tasks are ``dask.delayed`` calls run by whatever
scheduler is active (the threaded one, or a ``dask.distributed`` cluster when a ``Client``
exists).

Examples
--------
>>> import numpy as np
>>> import dask.array as da
>>> from divlab.streaming import ColumnMoments, fold_rows
>>> x = np.arange(12.0).reshape(6, 2)
>>> fold_rows(ColumnMoments, x).result()["mean"]
array([5., 6.])
>>> fold_rows(ColumnMoments, da.from_array(x, chunks=(2, 2))).result()["mean"]
array([5., 6.])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol, Self, runtime_checkable

import array_api_compat

from ..errors import ParameterError, ShapeMismatchError

__all__ = [
    "StreamingState",
    "fold_rows",
    "fold_rows_delayed",
    "fold_samples",
    "fold_samples_delayed",
    "is_dask_array",
]


@runtime_checkable
class StreamingState(Protocol):
    """What every mergeable state implements (see the module docstring)."""

    def update(self, *chunks: Any, **named_chunks: Any) -> Self: ...

    def merge(self, other: Self) -> Self: ...

    def result(self, **options: Any) -> Any: ...


def is_dask_array(a: Any) -> bool:
    """True for a ``dask.array.Array`` (without importing Dask when it is not loaded)."""
    return array_api_compat.is_dask_array(a)


def _check_split_every(split_every: Any) -> int:
    if isinstance(split_every, bool) or not isinstance(split_every, int) or split_every < 2:
        raise ParameterError(f"`split_every` must be an integer >= 2, got {split_every!r}")
    return split_every


def _update_chunk(make_state: Callable[[], Any], *chunks: Any) -> Any:
    return make_state().update(*chunks)


def _update_named(make_state: Callable[[], Any], name: str, chunk: Any) -> Any:
    return make_state().update(**{name: chunk})


def _merge_all(states: Sequence[Any]) -> Any:
    head = states[0]
    for other in states[1:]:
        head = head.merge(other)
    return head


def _tree(parts: list[Any], split_every: int) -> Any:
    """Merge delayed states in a tree of fan-in ``split_every`` (log depth, small tasks)."""
    import dask

    while len(parts) > 1:
        parts = [dask.delayed(_merge_all, pure=True)(parts[i : i + split_every])
                 for i in range(0, len(parts), split_every)]
    return parts[0]


def _row_blocks(a: Any, name: str) -> list[Any]:
    """The delayed non-empty row chunks of a Dask array (columns gathered into one chunk).

    Chunks of 0 rows (``da.from_array(x, chunks=((10, 0, 30), 2))``, a file without rows)
    are left out: a state's ``update`` may refuse an empty block, and it adds nothing.
    Chunks of unknown size (``nan``) are kept.
    """
    if a.ndim == 2 and len(a.chunks[1]) > 1:
        a = a.rechunk({1: -1})
    if a.ndim not in (1, 2):
        raise ShapeMismatchError(f"`{name}` must be 1-D or 2-D, got {a.ndim} dimensions")
    # optimize_graph=False keeps the chunk keys of ``a``: a fold computed together with
    # other uses of ``a`` (dask.compute(...)) reads every chunk once for all of them
    blocks = list(a.to_delayed(optimize_graph=False).ravel())
    return [b for b, rows in zip(blocks, a.chunks[0], strict=True) if rows != 0]


def _has_unknown_rows(a: Any) -> bool:
    """True when a Dask array's row chunk sizes are unknown (``nan``, after boolean
    indexing)."""
    return any(math.isnan(c) for c in a.chunks[0])


def fold_rows_delayed(make_state: Callable[[], Any], *arrays: Any, split_every: int = 8) -> Any:
    """:func:`fold_rows` as a ``dask.delayed`` object (compute several folds in one pass with
    ``dask.compute``). Every array must be a Dask array with the same number of rows."""
    import dask

    split_every = _check_split_every(split_every)
    if not arrays:
        raise ParameterError("fold_rows needs at least one array")
    if not all(is_dask_array(a) for a in arrays):
        raise ParameterError("fold_rows_delayed takes Dask arrays; use fold_rows for others")
    if len(arrays) > 1 and any(_has_unknown_rows(a) for a in arrays):
        raise ParameterError("fold_rows: aligning the rows of several arrays needs their "
                             "chunk sizes; call `a.compute_chunk_sizes()` first (e.g. after "
                             "boolean indexing)")
    if len(arrays) == 1 and _has_unknown_rows(arrays[0]):  # one task per chunk, no alignment
        return _tree([dask.delayed(_update_chunk, pure=True)(make_state, chunk)
                      for chunk in _row_blocks(arrays[0], "arrays[0]")]
                     or [dask.delayed(make_state)()], split_every)
    n = arrays[0].shape[0]
    if any(a.shape[0] != n for a in arrays):
        raise ShapeMismatchError("fold_rows: the arrays have different numbers of rows "
                                 f"{[a.shape[0] for a in arrays]}")
    rows = arrays[0].chunks[0]
    aligned = [arrays[0]] + [a.rechunk({0: rows}) if a.chunks[0] != rows else a
                             for a in arrays[1:]]
    blocks = [_row_blocks(a, f"arrays[{i}]") for i, a in enumerate(aligned)]
    if n == 0:
        return dask.delayed(make_state)()
    parts = [dask.delayed(_update_chunk, pure=True)(make_state, *chunks)
             for chunks in zip(*blocks, strict=True)]
    return _tree(parts, split_every)


def fold_rows(make_state: Callable[[], Any], *arrays: Any, split_every: int = 8) -> Any:
    r"""Run a streaming state over the aligned rows of one or more arrays.

    Parameters
    ----------
    make_state : callable
        Makes an empty state (a class or a :func:`functools.partial` of one; picklable for
        worker processes).
    *arrays : array_like
        Arrays with the same number of rows (e.g. ``p`` and ``q`` of a discrete divergence).
        NumPy, CuPy, PyTorch: ``make_state().update(*arrays)``, one chunk. Dask: one task per
        row chunk (the other arrays are rechunked to the first one's rows) and a merge tree.
    split_every : int, default 8
        Fan-in of the merge tree.

    Returns
    -------
    state
        The merged state (on the host for Dask input).

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.streaming import ColumnMoments, fold_rows
    >>> fold_rows(ColumnMoments, np.array([[1.0], [3.0]])).result()["count"]
    2
    """
    if arrays and all(is_dask_array(a) for a in arrays):
        return fold_rows_delayed(make_state, *arrays, split_every=split_every).compute()
    if any(is_dask_array(a) for a in arrays):
        raise ParameterError("fold_rows: mix of Dask and in-memory arrays; convert one side")
    _check_split_every(split_every)
    return make_state().update(*arrays)


def fold_samples_delayed(make_state: Callable[[], Any], x: Any = None, y: Any = None, *,
                         split_every: int = 8) -> Any:
    """:func:`fold_samples` as a ``dask.delayed`` object (Dask arrays only)."""
    import dask

    split_every = _check_split_every(split_every)
    parts = []
    for name, a in (("x", x), ("y", y)):
        if a is None:
            continue
        if not is_dask_array(a):
            raise ParameterError("fold_samples_delayed takes Dask arrays; use fold_samples")
        parts += [dask.delayed(_update_named, pure=True)(make_state, name, chunk)
                  for chunk in _row_blocks(a, name)]
    if not parts:
        return dask.delayed(make_state)()
    return _tree(parts, split_every)


def fold_samples(make_state: Callable[[], Any], x: Any = None, y: Any = None, *,
                 split_every: int = 8) -> Any:
    r"""Run a two-sample streaming state over two independent samples.

    ``state.update(x=chunk)`` for each row chunk of ``x`` and ``state.update(y=chunk)`` for each
    row chunk of ``y`` (the samples may have different numbers of rows), merged in a tree. For
    in-memory arrays this is ``make_state().update(x=x).update(y=y)``.

    Parameters
    ----------
    make_state : callable
        Makes an empty state (picklable).
    x, y : array_like, optional
        The samples (either may be omitted). Both in memory or both Dask.
    split_every : int, default 8
        Fan-in of the merge tree.

    Returns
    -------
    state
        The merged state.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.streaming import fold_samples
    >>> from divlab.generative import KIDState
    >>> s = fold_samples(lambda: KIDState(block_size=2), np.ones((4, 1)), np.ones((4, 1)))
    >>> s.block_values().size
    2
    """
    given = [a for a in (x, y) if a is not None]
    if given and all(is_dask_array(a) for a in given):
        return fold_samples_delayed(make_state, x, y, split_every=split_every).compute()
    if any(is_dask_array(a) for a in given):
        raise ParameterError("fold_samples: mix of Dask and in-memory arrays; convert one side")
    _check_split_every(split_every)
    state = make_state()
    if x is not None:
        state = state.update(x=x)
    if y is not None:
        state = state.update(y=y)
    return state
