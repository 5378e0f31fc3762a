"""Compiled kernels (1-D Wasserstein closed form, exact k-NN), with their fallbacks.

``divlab._sortkernels`` (``divlab/_sortkernels.c``, built at install time when a C compiler
is present; the install succeeds without one) provides the steps of the closed form that NumPy
can only do with a comparison sort, or with several passes and temporary arrays:

- :func:`sort`: least-significant-digit radix sort of finite floats (8-bit digits). Used
  instead of ``np.sort`` only where it is measured faster in this process (once, on 2**17
  random values: :func:`radix_sort_is_faster`): NumPy's AVX-512 quicksort is fast on some
  CPUs and several times slower on others (AMD Zen 4, numpy/x86-simd-sort#6). Both return
  the same sorted values, so the choice changes the time, never a result.
- :func:`sorted_cdf`: the values sorted with their normalised cumulative weights following
  (stable; one radix sort of ``(key, index)`` records and one gather), in place of
  ``np.argsort``, two gathers and a cumulative sum.
- :func:`merge_differences`: the merge of two sorted CDFs in one linear pass, giving the
  interval lengths and the quantile differences of the closed form; the NumPy path needs a
  stable argsort of the concatenation (timsort finding the two runs), a cumulative sum and
  two gathers;
- :func:`uniform_differences`: for two unweighted samples of different sizes, the quantile
  differences on the data-independent merged grid, computed from integer keys in one pass
  instead of two gathers by index arrays of ``n + m`` entries.

``divlab._knnkernel`` (``divlab/_knnkernel.c``, issue #11) is an exact k-nearest-neighbour
search by blocked brute force (:func:`knn_search`): in d = 10 it is 2-3 times faster than
SciPy's kd-tree at n = 1e5 and several times faster above, while the tree wins on data of
low intrinsic dimension; :func:`divlab._array.knn_table` chooses between them.

The 1-D kernels take only NumPy float64/float32 arrays of one dtype, 1-D and at least
:data:`MIN_SIZE` long (below that NumPy's own calls cost less than the dispatch);
:func:`usable` says whether a call qualifies. Everything else (CuPy, Dask, PyTorch, other
dtypes, small arrays, ``DIVLAB_NATIVE=0`` in the environment) takes the array-API path,
which computes the same numbers.
"""

from __future__ import annotations

import functools
import itertools
import os
import time
from types import ModuleType
from typing import Any

import numpy as np

try:
    from . import _sortkernels
except ImportError:  # built without a C compiler: the NumPy path is used throughout
    _sortkernels = None
try:
    from . import _knnkernel
except ImportError:  # built without a C compiler: SciPy's cKDTree is used throughout
    _knnkernel = None

__all__ = ["AVAILABLE", "KNN_AVAILABLE", "MIN_SIZE", "knn_search", "usable", "sort",
           "sorted_cdf", "merge_differences", "uniform_differences", "radix_sort_is_faster"]

_ENABLED = os.environ.get("DIVLAB_NATIVE", "1") != "0"

#: True when the 1-D kernels are importable and not switched off by ``DIVLAB_NATIVE=0``.
AVAILABLE: bool = _sortkernels is not None and _ENABLED

#: True when the k-NN kernel is importable and not switched off by ``DIVLAB_NATIVE=0``.
KNN_AVAILABLE: bool = _knnkernel is not None and _ENABLED

#: Smallest array length for which the compiled kernels are used.
MIN_SIZE: int = 4096

_MAX_PAIRS = 2**32 - 1
_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def usable(xp: ModuleType, *arrays: Any) -> bool:
    """True when the compiled kernels can take ``arrays``: NumPy arrays (through ``xp``) of
    one float64/float32 dtype, 1-D, each at least :data:`MIN_SIZE` long."""
    if not AVAILABLE:
        return False
    from ._array import is_numpy

    if not is_numpy(xp):
        return False
    dtype = None
    for a in arrays:
        if not isinstance(a, np.ndarray) or a.ndim != 1 or a.shape[0] < MIN_SIZE:
            return False
        if dtype is None:
            dtype = a.dtype
        if a.dtype != dtype or a.dtype not in _DTYPES:
            return False
    return True


def sort(x: np.ndarray) -> np.ndarray:
    """Sorted copy of the finite 1-D array ``x``: the radix sort or ``np.sort``, whichever
    :func:`radix_sort_is_faster` found faster here (the same values either way)."""
    if not radix_sort_is_faster():
        return np.sort(x)
    out = np.empty_like(x)
    _sortkernels.sort(np.ascontiguousarray(x), out)
    return out


def sorted_cdf(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x[order], c / c[-1])`` with ``c = cumsum(w[order])`` for the stable sorting
    permutation ``order`` of ``x``: the sorted atoms and their CDF (last entry exactly 1),
    the same bits as ``np.cumsum`` (a sequential sum) and the division."""
    if x.shape[0] > _MAX_PAIRS:  # the kernel sorts 32-bit indices
        order = np.argsort(x, kind="stable")
        c = np.cumsum(w[order])
        return x[order], c / c[-1]
    xs, cs = np.empty_like(x), np.empty_like(w)
    _sortkernels.sort_pairs(np.ascontiguousarray(x), np.ascontiguousarray(w), xs, cs, True)
    return xs, cs


def merge_differences(us: np.ndarray, cu: np.ndarray, vs: np.ndarray,
                      cv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Interval lengths ``dt`` and quantile differences ``d`` of the merged CDFs.

    ``us``, ``vs``: sorted atoms; ``cu``, ``cv``: their CDFs (non-decreasing, last entry 1).
    With :math:`t` the merged breakpoints (``u`` first on ties), ``dt[k] = t_k - t_{k-1}``
    (:math:`t_{-1} = 0`) and ``d[k] = us[i] - vs[j]``, where ``i`` and ``j`` count the
    breakpoints of each sample before position ``k`` (clipped to the last atom), so that
    :math:`W_p^p = \sum_k dt_k |d_k|^p`. Same arithmetic in the same order as the NumPy
    path of :func:`divlab.ot.oned._merged_indices`, hence the same bits.
    """
    size = us.shape[0] + vs.shape[0]
    dt, d = np.empty(size, dtype=us.dtype), np.empty(size, dtype=us.dtype)
    _sortkernels.merge_differences(*(np.ascontiguousarray(a) for a in (us, cu, vs, cv)), dt, d)
    return dt, d


def uniform_differences(us: np.ndarray, vs: np.ndarray) -> np.ndarray:
    """``us[iu] - vs[iv]`` on the grid ``(dk, iu, iv)`` of
    :func:`divlab.ot.oned.uniform_quantile_grid`, without reading or building ``iu``, ``iv``
    (one pass with integer keys; same values as the two gathers)."""
    d = np.empty(us.shape[0] + vs.shape[0], dtype=us.dtype)
    _sortkernels.uniform_differences(np.ascontiguousarray(us), np.ascontiguousarray(vs), d)
    return d


def knn_search(ref: np.ndarray, query: np.ndarray | None,
               k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest rows of ``ref`` (n, d) for each row of ``query`` (nq, d), by blocked
    brute force (``divlab/_knnkernel.c``): distances and indices, shape (nq, k), sorted by
    (distance, index), so that ties are broken by the lower index and the result does not
    depend on the threads or the CPU. ``query=None``: each row of ``ref`` against the others
    (its own index left out; duplicates at distance 0 stay neighbours). ``1 <= k`` must not
    exceed the neighbours available. Coordinates far from 1 (squares that could overflow or
    underflow) are divided by an exact power of two first. The queries are split over
    :func:`divlab._array.thread_count` threads.
    """
    from ._array import coordinate_scale, run_concurrently, thread_count

    ref = np.ascontiguousarray(ref, dtype=np.float64)
    n, d = ref.shape
    self_query = query is None
    q = ref if self_query else np.ascontiguousarray(query, dtype=np.float64)
    nq = q.shape[0]
    # squared distances must neither overflow nor underflow: coordinates far from 1 are
    # divided by an exact power of two (1.0, no change, for ordinary data)
    smax = float(np.max(np.abs(ref))) if ref.size else 0.0
    if not self_query and q.size:
        smax = max(smax, float(np.max(np.abs(q))))
    scale = coordinate_scale(smax, np.float64, np, power=2.0)
    if scale != 1.0:
        ref = ref / scale
        q = ref if self_query else q / scale
    ref_t = np.ascontiguousarray(ref.T)
    d2 = np.empty((nq, k))
    idx = np.empty((nq, k), dtype=np.int64)
    parts = max(1, min(thread_count(), nq // 256))
    bounds = np.linspace(0, nq, parts + 1).astype(int)

    def part(s: int, e: int) -> Any:
        return lambda: _knnkernel.search(ref_t, n, d, q[s:e], e - s, k,
                                         s if self_query else -1, d2[s:e], idx[s:e])

    run_concurrently([part(int(s), int(e)) for s, e in itertools.pairwise(bounds)])
    dist = np.sqrt(d2, out=d2)
    if scale != 1.0:
        dist *= scale
    return dist, idx


@functools.cache
def radix_sort_is_faster() -> bool:
    """Whether the radix sort beats ``np.sort`` in this process (decided once).

    ``DIVLAB_SORT=radix`` or ``DIVLAB_SORT=numpy`` in the environment decides without
    measuring. Otherwise both sorts run three times on the same 2**17 standard-normal values
    (fixed seed; about 5 ms in all) and the faster best time wins.
    """
    choice = os.environ.get("DIVLAB_SORT", "").strip().lower()
    if not AVAILABLE or choice == "numpy":
        return False
    if choice == "radix":
        return True
    x = np.random.default_rng(0).standard_normal(2**17)
    out = np.empty_like(x)
    best_radix = best_numpy = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        _sortkernels.sort(x, out)
        t1 = time.perf_counter()
        np.sort(x)
        t2 = time.perf_counter()
        best_radix, best_numpy = min(best_radix, t1 - t0), min(best_numpy, t2 - t1)
    return best_radix < best_numpy
