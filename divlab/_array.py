"""Backend layer: array-namespace dispatch, host/device copies, stable special functions.

Every public divlab function starts with ``xp = array_namespace(*inputs)`` and then uses
only ``xp.*`` (and the helpers below) on its data path, so the same code runs on NumPy,
CuPy and any array-API library (the test-suite runs it on ``array_api_strict``).

Rules implemented here:

* Python lists, tuples and scalars are NumPy.
* Mixing arrays of two libraries (NumPy and CuPy, say) raises :class:`BackendError`.
* ``scipy.special`` is used for NumPy arrays, ``cupyx.scipy.special`` for CuPy arrays, and a
  generic implementation written with ``xp`` for anything else. SciPy is never handed a
  CuPy array (it would silently copy it to the host).
* CuPy is imported lazily, only when a CuPy array is actually passed in.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import array_api_compat
import numpy as np

from .errors import BackendError

__all__ = [
    "array_namespace",
    "is_numpy",
    "is_cupy",
    "device_of",
    "to_numpy",
    "from_numpy",
    "result_float_dtype",
    "xlogy",
    "log1p",
    "expm1",
    "logsumexp",
    "softplus",
    "log_sigmoid",
    "sigmoid",
    "special_module",
    "chunk_slices",
    "scalar",
    "pow2_scale",
    "coordinate_scale",
    "as_result",
    "is_lazy",
    "device_pow2_scale",
    "piecewise",
    "pair_reduce",
    "set_threads",
]

_ARRAY_TYPES_NATIVE = (int, float, bool, complex, list, tuple)


def _is_array_like(obj: Any) -> bool:
    return not isinstance(obj, _ARRAY_TYPES_NATIVE) and obj is not None


def array_namespace(*arrays: Any) -> ModuleType:
    """Return the array-API namespace shared by ``arrays``.

    Lists, tuples, Python scalars and ``None`` are ignored for dispatch (they are NumPy
    data). If no argument is an array, the NumPy namespace is returned.

    Raises
    ------
    BackendError
        If the arrays come from different array libraries (e.g. NumPy and CuPy).

    Examples
    --------
    >>> import numpy as np
    >>> array_namespace(np.ones(3), [1, 2, 3]).__name__
    'array_api_compat.numpy'
    """
    arrs = [a for a in arrays if _is_array_like(a)]
    # NumPy scalars (np.float64(1.0)) are NumPy data too.
    arrs = [a for a in arrs if not isinstance(a, np.generic)]
    if not arrs:
        return array_api_compat.array_namespace(np.empty(0))
    try:
        return array_api_compat.array_namespace(*arrs)
    except TypeError as exc:
        kinds = sorted({type(a).__module__.split(".")[0] + "." + type(a).__name__ for a in arrs})
        frames = [k for k in kinds if k.split(".")[0] in ("pandas", "polars", "pyarrow")]
        if frames:
            raise BackendError(
                f"{', '.join(frames)} is a table, not an array: pass `df.to_numpy()` (mind the "
                "column order), or call divlab.compare, which matches columns by name "
                "(divlab.io.as_samples converts a frame and returns its column names)"
            ) from exc
        raise BackendError(
            "arguments come from different array libraries "
            f"({', '.join(kinds)}); move them to one backend first "
            "(e.g. cupy.asarray(x) or divlab.to_numpy(x))"
        ) from exc


def is_numpy(xp: ModuleType) -> bool:
    """True when ``xp`` is NumPy (plain or array-api-compat wrapped)."""
    return array_api_compat.is_numpy_namespace(xp)


def is_cupy(xp: ModuleType) -> bool:
    """True when ``xp`` is CuPy (plain or array-api-compat wrapped)."""
    return array_api_compat.is_cupy_namespace(xp)


def device_of(x: Any) -> Any:
    """The device that array ``x`` lives on (``"cpu"`` for NumPy)."""
    return array_api_compat.device(x)


def to_numpy(x: Any) -> np.ndarray:
    """Copy an array of any supported backend to a NumPy array on the host.

    This is the one explicit host round trip used by CPU-only kernels (POT's network
    simplex, HiGHS); NumPy input is returned without a copy.

    Examples
    --------
    >>> to_numpy([1.0, 2.0])
    array([1., 2.])
    """
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, _ARRAY_TYPES_NATIVE) or isinstance(x, np.generic):
        return np.asarray(x)
    if array_api_compat.is_torch_array(x):  # detached: host copies carry no gradient
        return x.detach().cpu().numpy()
    if array_api_compat.is_cupy_array(x):
        return x.get()
    if array_api_compat.is_numpy_array(x):
        return np.asarray(x)
    try:
        return np.from_dlpack(x)
    except Exception:  # pragma: no cover - exotic backends
        return np.asarray(x)


def from_numpy(a: Any, xp: ModuleType, *, like: Any = None, dtype: Any = None) -> Any:
    """Move host data ``a`` into namespace ``xp`` (on the device of ``like`` if given)."""
    dev = device_of(like) if like is not None else None
    if dev is not None and not is_numpy(xp):
        return xp.asarray(a, dtype=dtype, device=dev)
    return xp.asarray(a, dtype=dtype)


def result_float_dtype(xp: ModuleType, *arrays: Any) -> Any:
    """Floating dtype of a result: float32 when every array is float16/float32, else float64."""
    use32 = bool(arrays)
    for a in arrays:
        if a is None:
            continue
        dt = getattr(a, "dtype", None)
        f16 = getattr(xp, "float16", None)  # np.dtype(...) == None is True for float64
        if dt is None or not (dt == xp.float32 or (f16 is not None and dt == f16)):
            use32 = False
            break
    return xp.float32 if use32 else xp.float64


def scalar(x: Any) -> float:
    """Python float of a 0-d array of any backend (a device sync on GPU)."""
    return float(to_numpy(x))


def special_module(xp: ModuleType) -> ModuleType | None:
    """``scipy.special`` for NumPy, ``cupyx.scipy.special`` for CuPy, ``None`` otherwise."""
    if is_numpy(xp):
        import scipy.special

        return scipy.special
    if is_cupy(xp):
        import cupyx.scipy.special

        return cupyx.scipy.special
    return None


def xlogy(x: Any, y: Any, xp: ModuleType) -> Any:
    """``x * log(y)`` with the convention ``0 * log(0) = 0`` (and ``0 * log(inf) = 0``)."""
    sp = special_module(xp)
    if sp is not None:
        return sp.xlogy(x, y)
    safe_y = xp.where(x == 0, xp.ones_like(y), y)
    return xp.where(x == 0, xp.zeros_like(x), x * xp.log(safe_y))


def log1p(x: Any, xp: ModuleType) -> Any:
    """``log(1 + x)`` accurate for small ``x``."""
    return xp.log1p(x)


def expm1(x: Any, xp: ModuleType) -> Any:
    """``exp(x) - 1`` accurate for small ``x``."""
    return xp.expm1(x)


def softplus(x: Any, xp: ModuleType) -> Any:
    """Stable ``log(1 + exp(x))``: ``max(x, 0) + log1p(exp(-|x|))``; no overflow for any x.

    Examples
    --------
    >>> import numpy as np, array_api_compat.numpy as xp
    >>> float(softplus(np.asarray(800.0), xp))
    800.0
    """
    return xp.maximum(x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))


def log_sigmoid(x: Any, xp: ModuleType) -> Any:
    """Stable ``log(1 / (1 + exp(-x)))`` = ``-softplus(-x)``."""
    return -softplus(-x, xp)


def sigmoid(x: Any, xp: ModuleType) -> Any:
    """Stable logistic function ``1 / (1 + exp(-x))``, no overflow warnings."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def logsumexp(a: Any, xp: ModuleType, *, axis: int | None = None, keepdims: bool = False) -> Any:
    """Stable ``log(sum(exp(a), axis))``; rows that are all ``-inf`` give ``-inf``, no NaN.

    Examples
    --------
    >>> import numpy as np, array_api_compat.numpy as xp
    >>> float(logsumexp(np.asarray([1000.0, 1000.0]), xp))  # doctest: +ELLIPSIS
    1000.693147...
    """
    m = xp.max(a, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    s = xp.sum(xp.exp(a - m), axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        out = xp.log(s) + m
    if not keepdims:
        if axis is None:
            out = xp.reshape(out, ())
        else:
            out = xp.squeeze(out, axis=axis)
    return out


def pow2_scale(v: float) -> float:
    """The power of two ``2**(e-1) <= v < 2**e`` for ``v > 0`` (representable in the dtype
    of ``v``). Dividing by it is exact, so it rescales data near the float range (or the
    underflow threshold) without rounding, for 1-homogeneous quantities."""
    return math.ldexp(1.0, math.frexp(v)[1] - 1)


def coordinate_scale(smax: float, dtype: Any, xp: ModuleType, *, power: float = 1.0) -> float:
    """Power of two to divide coordinates by before computing ``|x - y|**power``.

    ``1.0`` (no rescaling, bit-identical results) while ``smax = max|coordinate|`` lies in
    ``[10**-e, 10**e]`` with ``e = min(50, 150 / power)`` for float64 (``min(10, 30 / power)``
    for narrower dtypes), else :func:`pow2_scale` of it: the powers neither overflow nor
    underflow, and homogeneous results are the rescaled ones times a power of the factor.
    """
    wide = float(xp.finfo(dtype).max) > 1e300
    e = min(50.0, 150.0 / power) if wide else min(10.0, 30.0 / power)
    if 10.0**-e <= smax <= 10.0**e or not 0.0 < smax < math.inf:
        return 1.0
    return pow2_scale(smax)


def chunk_slices(n: int, chunk: int) -> Iterator[slice]:
    """Yield consecutive slices of length ``chunk`` covering ``range(n)``."""
    chunk = max(1, int(chunk))
    for start in range(0, n, chunk):
        yield slice(start, min(start + chunk, n))


def default_chunk_rows(n_cols: int, itemsize: int = 8, budget_bytes: int = 64 * 2**20) -> int:
    """Rows per chunk so that a ``(rows, n_cols)`` temporary stays under ``budget_bytes``."""
    return max(1, budget_bytes // max(1, n_cols * itemsize))


def piecewise(p: Any, q: Any, xp: ModuleType, key: Any, main: Any, cases: Any) -> Any:
    """Evaluate a function of ``(p, q)`` given in pieces (see :class:`divlab.fdiv.terms.Terms`).

    ``k = key(p, q, xp)`` is an auxiliary array (e.g. the relative difference); the value is
    ``main(p, q, k, xp)`` wherever no case applies; each ``(mask, piece)`` of ``cases``
    replaces it by ``piece(p, q, xp)`` where ``mask(k, xp)`` holds (the first matching case
    wins). A case may carry a third element, ``hint(kmin, kmax) -> bool``: False when no
    key in ``[kmin, kmax]`` can match, so that the mask need not be computed.

    Backend strategy: on NumPy ``key`` and ``main`` run once on every entry (warnings
    silenced) and each piece only on the entries its mask selects (index fix-up: a Taylor
    series or a log-difference costs nothing where it is not needed). Elsewhere every piece
    runs on the whole array with the entries of the other pieces replaced by
    ``(p, q) = (2, 1)`` (finite and warning-free for every piece: ``p - q = 1``,
    ``p / q = 2``), and the results are selected with ``where``: no data-dependent shapes
    (Dask, jit), and autograd gradients of the unselected pieces stay finite (no
    ``0 * inf``).
    """
    if is_numpy(xp):
        with np.errstate(all="ignore"):
            k = key(p, q, xp)
            out = np.asarray(main(p, q, k, xp), dtype=np.float64)
            if np.may_share_memory(out, p) or np.may_share_memory(out, q):
                out = out.copy()
            flat_p, flat_q, flat_out = p.reshape(-1), q.reshape(-1), out.reshape(-1)
            taken = None  # indices claimed by earlier cases (usually none)
            lo = hi = None
            for case in cases:
                mask, piece = case[0], case[1]
                if len(case) > 2:  # a range hint: skip the mask when no key can match
                    if lo is None:
                        lo, hi = float(np.min(k)), float(np.max(k))  # NaN if any is NaN
                    if lo == lo and hi == hi and not case[2](lo, hi):
                        continue
                m = np.asarray(mask(k, xp)).reshape(-1)
                idx = np.flatnonzero(m)
                if taken is not None and idx.size:
                    idx = np.setdiff1d(idx, taken, assume_unique=True)
                if 2 * idx.size > flat_out.size and taken is None:  # most entries: no gather
                    np.copyto(flat_out, np.asarray(piece(flat_p, flat_q, xp)).reshape(-1),
                              where=m)
                elif idx.size:
                    flat_out[idx] = piece(flat_p[idx], flat_q[idx], xp)
                if idx.size:
                    taken = idx if taken is None else np.union1d(taken, idx)
        return out
    if not cases:
        return main(p, q, key(p, q, xp), xp)
    one, two = xp.ones_like(p), xp.full_like(p, 2.0)
    k = key(p, q, xp)
    masks = []
    taken = None
    for mask, *_ in cases:
        m = mask(k, xp)
        if taken is not None:
            m = xp.logical_and(m, xp.logical_not(taken))
        masks.append(m)
        taken = m if taken is None else xp.logical_or(taken, m)
    ps, qs = xp.where(taken, two, p), xp.where(taken, one, q)
    out = main(ps, qs, key(ps, qs, xp), xp)
    for m, (_, piece, *_) in zip(masks, cases, strict=True):
        val = piece(xp.where(m, p, two), xp.where(m, q, one), xp)
        out = xp.where(m, val, out)
    return out


#: Entries per block of the NumPy row reduction (128 K float64 = 1 MiB per temporary).
#: Measured at N = 1e7 on 2 cores (best of 7): KL 51 / 38 / 123 ms and JS 66 / 68 / 189 ms
#: for blocks of 64 K / 128 K / 256 K entries. Smaller blocks lose on two threads (each
#: block's ~20 ufunc calls contend for the GIL: 16 K blocks were 1.8x slower on two
#: threads than on one); larger ones leave the caches and the allocator's heap.
BLOCK = 1 << 17
_MIN_THREADED = 4 * BLOCK
_n_threads = max(1, min(2, os.cpu_count() or 1))
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def set_threads(n: int) -> int:
    """Threads used by the NumPy row reductions (1 or more); returns the previous value."""
    global _n_threads
    old = _n_threads
    _n_threads = max(1, int(n))
    return old


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="divlab")
        return _pool


_map_pool: ThreadPoolExecutor | None = None


def thread_map(fn: Any, items: Any, *, progress: Any = None) -> list[Any]:
    """``[fn(item) for item in items]`` on up to :func:`set_threads` threads, in order.

    For work that releases the GIL (POT's network simplex, large NumPy operations): every
    random draw must be made before the call, so the results do not depend on the threads.
    ``progress(done, total)`` is called from the calling thread as results arrive. Uses its
    own pool (never the one of :func:`pair_reduce`, which ``fn`` may use).
    """
    global _map_pool
    items = list(items)
    if _n_threads < 2 or len(items) < 2:
        out = []
        for i, item in enumerate(items):
            out.append(fn(item))
            if progress is not None:
                progress(i + 1, len(items))
        return out
    with _pool_lock:
        if _map_pool is None:
            _map_pool = ThreadPoolExecutor(max_workers=_n_threads,
                                           thread_name_prefix="divlab-map")
        pool = _map_pool
    futures = [pool.submit(fn, item) for item in items]
    out = []
    for i, fut in enumerate(futures):
        out.append(fut.result())
        if progress is not None:
            progress(i + 1, len(items))
    return out


def run_concurrently(fns: Sequence[Any]) -> list[Any]:
    """``[fn() for fn in fns]``, every call but the first on a new thread of its own (the first
    runs here); results in order, the first exception raised here.

    For independent calls that release the GIL (NumPy sorts, the compiled kernels of
    :mod:`divlab._native`). Fresh threads, not a pool, so that a call from inside
    :func:`thread_map` cannot wait on its own pool.
    """
    fns = list(fns)
    if len(fns) < 2:
        return [fn() for fn in fns]
    boxes: list[dict[str, Any]] = [{} for _ in fns]

    def run(fn: Any, box: dict[str, Any]) -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    workers = [threading.Thread(target=run, args=(fn, box), name="divlab-pair", daemon=True)
               for fn, box in zip(fns[1:], boxes[1:], strict=True)]
    for w in workers:
        w.start()
    try:
        run(fns[0], boxes[0])
    finally:
        for w in workers:
            w.join()
    for box in boxes:
        if "error" in box:
            raise box["error"]
    return [box["value"] for box in boxes]


def run_pair(first: Any, second: Any, *, concurrent: bool) -> tuple[Any, Any]:
    """``(first(), second())``; with ``concurrent`` (and :func:`set_threads` above 1),
    ``second`` runs on a new thread while ``first`` runs here (:func:`run_concurrently`):
    on two cores the pair takes the time of the longer call."""
    if not concurrent or _n_threads < 2:
        return first(), second()
    a, b = run_concurrently([first, second])
    return a, b


def thread_count() -> int:
    """The number of threads set by :func:`set_threads`."""
    return _n_threads


def pair_reduce(
    p: Any, q: Any, xp: ModuleType, block: Any, *, additive: bool = True
) -> tuple[tuple[Any, ...], tuple]:
    """Row reduction of two same-shape 2-D arrays, with the statistics of their values.

    ``block(p, q, xp, positive)`` maps float64 arrays of shape ``(r, n)`` to a tuple of
    per-row arrays of shape ``(r,)`` that are *additive* over column blocks (sums);
    ``positive`` says every entry of both blocks is known to be > 0 (with
    ``additive=False`` the rows are reduced whole, e.g. for a log-sum-exp). Returns
    ``(parts, (sum_p, sum_q, min_p, min_q))``: the per-row results (float64), the row
    sums and the overall minima of the inputs (NaN if an entry is NaN), from which the
    caller checks the inputs without another pass.

    Backend strategy: NumPy runs cache-sized blocks of about 64 K entries in up to two
    threads (ufuncs release the GIL), casting float32 blocks to float64 on the fly and
    passing ``positive=True`` for blocks without zeros; Dask runs that same NumPy path on
    each pair of chunks (one task per chunk pair, every entry read once) and sums the small
    per-chunk results; any other namespace evaluates ``block`` once on the whole arrays in
    float64 (on the device on CuPy).
    """
    if is_numpy(xp) and additive:
        return _numpy_pair_reduce(np.asarray(p), np.asarray(q), xp, block)
    if is_lazy(xp) and additive:
        return _dask_pair_reduce(p, q, block)
    f64 = xp.float64
    p = xp.astype(p, f64, copy=False) if p.dtype != f64 else p
    q = xp.astype(q, f64, copy=False) if q.dtype != f64 else q
    with np.errstate(all="ignore"):  # NumPy only: invalid input shows up in the stats
        parts = block(p, q, xp, False)
        stats = (xp.sum(p, axis=-1), xp.sum(q, axis=-1), xp.min(p), xp.min(q))
    return parts, stats


def _units(rows: int, n: int) -> list[tuple[int, int, int, int]]:
    """Work units ``(r0, r1, c0, c1)`` of about BLOCK entries each."""
    if n >= BLOCK:
        return [(r, r + 1, c, min(c + BLOCK, n)) for r in range(rows) for c in range(0, n, BLOCK)]
    step = max(1, BLOCK // n)
    return [(r, min(r + step, rows), 0, n) for r in range(0, rows, step)]


def _numpy_worker(P, Q, units, block, xp):
    out = []
    cast = not (P.dtype == np.float64 and Q.dtype == np.float64 and P.flags.c_contiguous
                and Q.flags.c_contiguous)
    bp = np.empty(BLOCK, dtype=np.float64) if cast else None
    bq = np.empty(BLOCK, dtype=np.float64) if cast else None
    with np.errstate(all="ignore"):  # errstate is per thread: set it here
        for r0, r1, c0, c1 in units:
            pc, qc = P[r0:r1, c0:c1], Q[r0:r1, c0:c1]
            if cast:
                size = pc.size
                pv, qv = bp[:size].reshape(pc.shape), bq[:size].reshape(qc.shape)
                np.copyto(pv, pc)
                np.copyto(qv, qc)
                pc, qc = pv, qv
            pmin = np.minimum.reduce(pc, axis=None)
            qmin = np.minimum.reduce(qc, axis=None)
            positive = bool(pmin > 0 and qmin > 0)
            parts = block(pc, qc, xp, positive)
            out.append((parts, np.add.reduce(pc, axis=1), np.add.reduce(qc, axis=1), pmin, qmin))
    return out


_allocator_ready = False


#: glibc malloc thresholds (bytes) below which the blocked loops' temporaries would be
#: returned to the OS after every block.
_MALLOC_FLOOR = 4 << 20


def _fixed_malloc_thresholds() -> bool:
    """Whether glibc's malloc thresholds were fixed below :data:`_MALLOC_FLOOR` through the
    environment (which also switches off their dynamic adjustment): dask.distributed starts
    its workers with ``MALLOC_TRIM_THRESHOLD_=65536``."""
    for var in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"):
        value = os.environ.get(var)
        if value is not None:
            try:
                if int(value) < _MALLOC_FLOOR:
                    return True
            except ValueError:
                continue
    return False


def _raise_malloc_thresholds() -> None:
    """``mallopt`` both glibc thresholds up to :data:`_MALLOC_FLOOR` (no-op without glibc)."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return
    mallopt(-1, _MALLOC_FLOOR)  # M_TRIM_THRESHOLD
    mallopt(-3, _MALLOC_FLOOR)  # M_MMAP_THRESHOLD


def _prepare_allocator() -> None:
    """Make the 128 KiB - 4 MiB temporaries of the blocked loops cheap, once per process.

    glibc's malloc serves requests of 128 KiB and more with ``mmap`` (or trims the heap
    below them) until a chunk that large has been freed, after which its thresholds rise
    to that size. Until then every 128 KiB temporary of a block costs fresh page faults:
    measured 25 ns instead of 5 ns per entry for the JS terms. Freeing one large array
    moves the thresholds once and for all (other allocators are unaffected).

    When the thresholds were fixed through the environment -- dask.distributed starts its
    worker processes with ``MALLOC_TRIM_THRESHOLD_=65536`` to return memory to the OS --
    they no longer adapt, and the KL kernel ran 2x slower in a worker (0.19 s instead of
    0.09 s per 5e6-entry chunk). Then both thresholds are raised to 4 MiB with ``mallopt``:
    memory beyond 4 MiB is still returned to the OS."""
    global _allocator_ready
    if not _allocator_ready:
        if _fixed_malloc_thresholds() and sys.platform.startswith("linux"):
            _raise_malloc_thresholds()
        scratch = np.ones(1 << 19)
        del scratch
        _allocator_ready = True


def _numpy_pair_reduce(P: np.ndarray, Q: np.ndarray, xp: ModuleType, block: Any):
    _prepare_allocator()
    rows, n = P.shape
    units = _units(rows, n)
    nthreads = _n_threads if (P.size >= _MIN_THREADED and len(units) > 1) else 1
    if nthreads == 1:
        results = _numpy_worker(P, Q, units, block, xp)
    else:
        k = math.ceil(len(units) / nthreads)
        groups = [units[i : i + k] for i in range(0, len(units), k)]
        futs = [_get_pool().submit(_numpy_worker, P, Q, g, block, xp) for g in groups]
        results = [r for f in futs for r in f.result()]
    nparts = len(results[0][0])
    parts = [np.zeros(rows) for _ in range(nparts)]
    sp, sq = np.zeros(rows), np.zeros(rows)
    pmin = qmin = math.inf
    for (r0, r1, _, _), (vals, a, b, mp, mq) in zip(units, results, strict=True):
        for acc, v in zip(parts, vals, strict=True):
            acc[r0:r1] += v
        sp[r0:r1] += a
        sq[r0:r1] += b
        pmin = mp if (mp != mp or pmin != pmin) else min(pmin, mp)  # NaN sticks
        qmin = mq if (mq != mq or qmin != qmin) else min(qmin, mq)
    return tuple(parts), (sp, sq, np.float64(pmin), np.float64(qmin))


def _dask_pair_reduce(p: Any, q: Any, block: Any) -> tuple[tuple[Any, ...], tuple]:
    """:func:`pair_reduce` on Dask: the NumPy kernel per chunk pair, results reduced lazily."""
    import array_api_compat.numpy as npx
    import dask.array as da

    if q.chunks != p.chunks:
        q = q.rechunk(p.chunks)
    probe = np.full((1, 1), 0.5)
    nparts = len(block(probe, probe, npx, True))

    def chunk(pc: np.ndarray, qc: np.ndarray) -> np.ndarray:
        pc, qc = np.asarray(pc), np.asarray(qc)
        out = np.empty((pc.shape[0], 1, nparts + 4))
        if pc.size == 0:
            out[..., : nparts + 2] = 0.0
            out[..., nparts + 2 :] = math.inf
            return out
        vals, (sp, sq, mp, mq) = _numpy_pair_reduce(pc, qc, npx, block)
        for i, v in enumerate(vals):
            out[:, 0, i] = v
        out[:, 0, nparts], out[:, 0, nparts + 1] = sp, sq
        out[:, 0, nparts + 2], out[:, 0, nparts + 3] = mp, mq
        return out

    per_chunk = da.map_blocks(chunk, p, q, new_axis=2, dtype=np.float64,
                              chunks=(p.chunks[0], (1,) * len(p.chunks[1]), (nparts + 4,)))
    sums = per_chunk[..., : nparts + 2].sum(axis=1)
    mins = per_chunk[..., nparts + 2 :]
    # NaN sticks (as in the NumPy path): max/min would drop it, so add 0 * sum
    pmin = da.min(mins[..., 0]) + 0.0 * da.sum(mins[..., 0])
    qmin = da.min(mins[..., 1]) + 0.0 * da.sum(mins[..., 1])
    parts = tuple(sums[:, i] for i in range(nparts))
    return parts, (sums[:, nparts], sums[:, nparts + 1], pmin, qmin)


def kth_smallest_rows(a: Any, k: int, xp: ModuleType) -> Any:
    """The ``k``-th smallest value (1-based) of every row of a 2-D array, shape (rows, 1): a
    partial sort where the namespace has one (NumPy, CuPy: O(width)), else a full sort."""
    part = getattr(xp, "partition", None)
    srt = part(a, k - 1, axis=1) if part is not None else xp.sort(a, axis=1)
    return srt[:, k - 1:k]


def single_thread_blas(xp: ModuleType) -> Any:
    """Context manager: one BLAS thread for NumPy (small matrices, e.g. critic training, are
    slower with multi-threaded OpenBLAS, badly so on a loaded machine); a no-op elsewhere
    or without ``threadpoolctl``."""
    if is_numpy(xp):
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - threadpoolctl is optional
            return contextlib.nullcontext()
        return threadpool_limits(limits=1, user_api="blas")
    return contextlib.nullcontext()


def is_lazy(xp: ModuleType) -> bool:
    """True for namespaces whose arrays are lazy task graphs (Dask): reading a value back
    to the host there means computing the whole graph, so checks are embedded instead."""
    return array_api_compat.is_dask_namespace(xp)


def as_result(x: Any, xp: ModuleType) -> Any:
    """The result convention of every scalar- or array-valued public function.

    NumPy input: a NumPy scalar of the array's float dtype for 0-d results (as SciPy
    returns), the array itself otherwise. Any other namespace: the array unchanged (a 0-d
    array of that namespace, on its device), so that results stay lazy (Dask), on the GPU
    (CuPy) or in the autograd graph (PyTorch).

    Examples
    --------
    >>> import numpy as np, array_api_compat.numpy as xp
    >>> r = as_result(xp.asarray(1.5, dtype=xp.float32), xp)
    >>> type(r).__name__, r
    ('float32', np.float32(1.5))
    """
    if is_numpy(xp):
        x = np.asarray(x)
        return x[()] if x.ndim == 0 else x
    return x


def device_pow2_scale(smax: Any, xp: ModuleType, *, power: float = 1.0) -> Any:
    """:func:`coordinate_scale` computed on the device: a 0-d array, no host read.

    ``smax`` is a 0-d array (``max|coordinate|``). The result is exactly ``1`` while
    ``smax`` lies in the range where ``|x - y|**power`` neither overflows nor underflows
    (bit-identical results), else the power of two ``2**floor(log2(smax))``: dividing by it
    is exact. Works lazily (Dask), on the GPU and under autograd (the scale is a constant).
    """
    dt = smax.dtype
    wide = float(xp.finfo(dt).max) > 1e300
    e = min(50.0, 150.0 / power) if wide else min(10.0, 30.0 / power)
    lo, hi = 10.0**-e, 10.0**e
    ok = (smax >= lo) & (smax <= hi) | ~((smax > 0) & (smax < math.inf))
    return xp.where(ok, xp.ones_like(smax), pow2_floor(smax, xp))


# --------------------------------------------------------------------------------------------
# Device-side exact rescaling and per-namespace strategies used by divlab.ot, divlab.gaussian
# and divlab.costs (each chooses its implementation here, never in the domain module).
# --------------------------------------------------------------------------------------------
def pow2_floor(v: Any, xp: ModuleType) -> Any:
    """The largest power of two ``<= v``, elementwise, on the device (no host read).

    Exact for every finite ``v > 0`` of the dtype, subnormal numbers and the top of the range
    included: ``log2`` of a number just below ``2**k`` may round up to ``k`` (corrected here),
    and ``2**1024`` (``2**128`` in float32) is never formed. ``1`` where ``v`` is 0, negative,
    infinite or NaN. Dividing by the result is exact; under autograd it is a constant (zero
    gradient, never NaN).

    Examples
    --------
    >>> import numpy as np, array_api_compat.numpy as xp
    >>> float(pow2_floor(xp.asarray(1e300), xp)) == 2.0**996
    True
    >>> float(pow2_floor(xp.asarray(np.finfo(np.float64).max), xp)) == 2.0**1023
    True
    """
    dt = v.dtype
    dev = device_of(v)
    top = float(math.frexp(float(xp.finfo(dt).max))[1] - 1)  # 1023 (float64), 127 (float32)
    ok = (v > 0) & (v < math.inf)
    one = xp.ones_like(v)
    safe = xp.where(ok, v, one)
    e = xp.minimum(xp.floor(xp.log2(safe)), xp.asarray(top, dtype=dt, device=dev))
    s = xp.pow(xp.asarray(2.0, dtype=dt, device=dev), e)
    s = xp.where(s > safe, s / 2, s)
    return xp.where(ok, s, one)


def device_rescale_pair(x: Any, y: Any, xp: ModuleType, *, power: float = 1.0
                        ) -> tuple[Any, Any, Any]:
    """Exact power-of-two rescaling of a pair, no host read: ``(x / s, y / s, s)``, ``s`` 0-d.

    ``s`` is :func:`device_pow2_scale` of ``max(max|x|, max|y|)``: exactly ``1`` for ordinary
    data (bit-identical results), else a power of two (the divisions are exact), so that
    ``|x - y|**power`` neither overflows nor underflows. The maximum is first capped at the
    largest power of two of the dtype, which changes no decision and keeps
    ``2**floor(log2(max))`` representable when the data reach the float maximum. Works
    lazily (Dask), on the GPU and under autograd (``s`` is a constant).

    Examples
    --------
    >>> import numpy as np, array_api_compat.numpy as xp
    >>> x, y, s = device_rescale_pair(np.array([1e300]), np.array([-3e299]), xp)
    >>> float(s) == 2.0**996, float(x[0] * s)
    (True, 1e+300)
    """
    smax = xp.maximum(xp.max(xp.abs(x)), xp.max(xp.abs(y)))
    s = device_pow2_scale(smax, xp, power=power)
    return x / s, y / s, s


def solve_lower_triangular(lower: Any, b: Any, xp: ModuleType) -> Any:
    """Solve ``lower @ z = b`` for a lower-triangular ``lower`` and a 2-D ``b``.

    SciPy's ``solve_triangular`` for NumPy, ``torch.linalg.solve_triangular`` for PyTorch
    (differentiable), ``xp.linalg.solve`` otherwise (CuPy, ``array_api_strict``, ...).

    Examples
    --------
    >>> import numpy as np, array_api_compat.numpy as xp
    >>> solve_lower_triangular(np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([[2.0], [3.0]]), xp)
    array([[1.],
           [2.]])
    """
    if is_numpy(xp):
        from scipy.linalg import solve_triangular

        return solve_triangular(lower, b, lower=True, check_finite=False)
    if array_api_compat.is_torch_namespace(xp):
        import torch

        return torch.linalg.solve_triangular(lower, b, upper=False)
    return xp.linalg.solve(lower, b)


def cdist(x: Any, y: Any, xp: ModuleType, *, metric: str, r: float = 2.0,
          generic: Any) -> Any:
    """Pairwise distances ``(n, m)`` between the rows of ``x`` and ``y``, in ``x``'s dtype.

    On NumPy, :func:`scipy.spatial.distance.cdist` in float64 (exact coordinate differences,
    compiled loops); for every other namespace ``generic(x, y)``, the ``xp`` implementation
    of the caller (:func:`divlab.costs.pairwise_cost_unchecked`), which owns the formula.
    ``metric`` is a SciPy metric name (``"minkowski"`` uses the order ``r``).

    Examples
    --------
    >>> import numpy as np, array_api_compat.numpy as xp
    >>> cdist(np.zeros((1, 2)), np.array([[3.0, 4.0]]), xp, metric="euclidean", generic=None)
    array([[5.]])
    """
    if is_numpy(xp):
        from scipy.spatial.distance import cdist as _cdist

        kw: dict[str, Any] = {"p": r} if metric == "minkowski" else {}
        out = _cdist(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64),
                     metric=metric, **kw)
        return xp.asarray(out if out.dtype == x.dtype else out.astype(x.dtype))
    return generic(x, y)


def lse_softmax(pot: Any, c: Any, logw: Any, w: Any, eps: float, axis: int, xp: ModuleType,
                *, floor: float) -> tuple[Any, Any]:
    r"""Fused log-sum-exp and weighted softmax over one axis of an ``(n, m)`` matrix ``c``.

    With :math:`e = (\mathrm{pot} - c)/\varepsilon + \log w'` (``pot`` and ``logw`` indexed
    by ``axis`` and broadcast along the other axis), returns
    ``(-eps * LSE_axis(e), w * softmax_axis(e))``, ``w`` indexed by the other axis, with the
    kernel entries below ``floor`` set to 0 (no subnormal numbers). One pass of ``exp``. On
    NumPy it runs in place on a single ``(n, m)`` array (5-7x faster at n = 4000 than eight
    temporaries); elsewhere with ``xp`` operations; same arithmetic, same numbers.

    Examples
    --------
    >>> import numpy as np, array_api_compat.numpy as xp
    >>> pot, k = lse_softmax(np.zeros(2), np.zeros((1, 2)), np.log([0.5, 0.5]), np.ones(1),
    ...                      1.0, 1, xp, floor=0.0)
    >>> float(pot[0]), k.tolist()
    (-0.0, [[0.5, 0.5]])
    """
    if is_numpy(xp):
        if axis == 1:
            e = np.subtract(pot[None, :], c)
            e /= eps
            e += logw[None, :]
        else:
            e = np.subtract(pot[:, None], c)
            e /= eps
            e += logw[:, None]
        mx = e.max(axis=axis, keepdims=True)
        e -= mx
        np.exp(e, out=e)
        tot = e.sum(axis=axis, keepdims=True)
        new = (-eps * (np.log(tot) + mx)).reshape(-1)
        e *= w.reshape(tot.shape) / tot
        np.putmask(e, e < floor, 0.0)
        return new, e
    if axis == 1:
        e = (pot[None, :] - c) / eps + logw[None, :]
    else:
        e = (pot[:, None] - c) / eps + logw[:, None]
    mx = xp.max(e, axis=axis, keepdims=True)
    ex = xp.exp(e - mx)
    tot = xp.sum(ex, axis=axis, keepdims=True)
    new = -eps * (xp.log(tot) + mx)
    g = ex * (xp.reshape(w, tot.shape) / tot)
    return xp.reshape(new, (-1,)), xp.where(g < floor, xp.zeros_like(g), g)


def diag_scale(u: Any, k: Any, v: Any, xp: ModuleType) -> Any:
    """``diag(u) @ k @ diag(v)`` as ``u[:, None] * k * v[None, :]`` (in place on NumPy: one
    ``(n, m)`` temporary instead of two; the same products, the same numbers)."""
    if is_numpy(xp):
        out = k * u[:, None]
        out *= v[None, :]
        return out
    return u[:, None] * k * v[None, :]


def vdot(a: Any, b: Any, xp: ModuleType) -> Any:
    """``sum(a * b)`` over all entries, a 0-d result: ``numpy.vecdot`` on NumPy (no temporary
    of the size of ``a``), ``xp.sum(a * b)`` elsewhere."""
    if is_numpy(xp):  # a ufunc loop: np.vdot's threaded BLAS ddot was 2000x slower under load
        return np.vecdot(np.reshape(a, -1), np.reshape(b, -1))
    return xp.sum(a * b)


# --------------------------------------------------------------------------------------------
# Host reads and nearest-neighbour search for the sample estimators (divlab.estimators): the
# NumPy fast paths are chosen here, never in the estimator modules.
# --------------------------------------------------------------------------------------------
def host_float64(x: Any, xp: ModuleType) -> np.ndarray:
    """A host NumPy float64 array with the values of ``x`` (for CPU-only algorithms: kd-trees,
    resampling tables, POT's simplex).

    NumPy input makes no round trip (and no copy when ``x`` already is float64); any other
    namespace makes exactly one :func:`to_numpy` transfer. Callers must not write into the
    result (it may be the caller's array).
    """
    if is_numpy(xp):
        return np.asarray(x, dtype=np.float64)
    return np.asarray(to_numpy(x), dtype=np.float64)


def host_floats(xp: ModuleType, *values: Any) -> tuple[float, ...]:
    """Python floats of several 0-d arrays (or numbers) of namespace ``xp``, read together.

    NumPy: ``float`` of each (no transfer). Any other namespace: the arrays are cast to
    float64 (exact), stacked on their device and copied with one :func:`to_numpy` (one device
    sync, one Dask compute) instead of one :func:`scalar` per value.

    Examples
    --------
    >>> import numpy as np, array_api_compat.numpy as xp
    >>> host_floats(xp, np.float32(0.5), xp.asarray(True), 2)
    (0.5, 1.0, 2.0)
    """
    if is_numpy(xp):
        return tuple(float(v) for v in values)
    pos = [i for i, v in enumerate(values) if _is_array_like(v) and not isinstance(v, np.generic)]
    out = [float(v) if i not in pos else 0.0 for i, v in enumerate(values)]
    if pos:
        parts = [xp.reshape(xp.astype(values[i], xp.float64), (1,)) for i in pos]
        host = to_numpy(xp.concat(parts) if len(parts) > 1 else parts[0])
        for j, i in enumerate(pos):
            out[i] = float(host[j])
    return tuple(out)


#: k-NN searches with fewer reference x query pairs always use the kd-tree.
_BRUTE_MIN_PAIRS = 4_000_000
#: Estimated intrinsic dimension from which the compiled brute force beats SciPy's kd-tree
#: (crossover measured at 6-7 for n = 2e4 and 1e5, d = 6 to 20: bench_knn_search.py).
_BRUTE_MIN_INTRINSIC_DIM = 6.5


def intrinsic_dimension(x: np.ndarray, *, k: int = 10, size: int = 2000) -> float:
    r"""Maximum-likelihood estimate of the intrinsic dimension of the rows of ``x``.

    Levina & Bickel (2004) with MacKay & Ghahramani's averaging, on ``size`` evenly spaced
    rows (deterministic) and their ``k`` nearest neighbours among themselves:

    .. math::

        \hat m = \Big(\frac{1}{N(k-1)} \sum_i \sum_{j<k} \log \frac{T_k(x_i)}{T_j(x_i)}\Big)^{-1}.

    About ``d`` for full-dimensional data, the manifold's dimension for data on one. Rows
    with a duplicate (``T_1 = 0``) are left out; ``0.0`` when fewer than half remain (such
    data suit a tree). Used by :func:`knn_table` to choose its search method.
    """
    from . import _native

    n = x.shape[0]
    if n <= k:
        return float(x.shape[1])
    sub = np.ascontiguousarray(x[np.linspace(0, n - 1, min(n, size)).astype(np.int64)],
                               dtype=np.float64)
    if _native.KNN_AVAILABLE:
        dist = _native.knn_search(sub, None, k)[0]
    else:
        dist = knn_table(sub, None, k)[0]
    ok = dist[:, 0] > 0
    if ok.sum() < 0.5 * dist.shape[0]:
        return 0.0
    dist = dist[ok]
    inv = np.mean(np.log(dist[:, k - 1:k] / dist[:, : k - 1]), axis=1)
    return float(1.0 / np.mean(inv))


def _brute_force_knn(ref: np.ndarray, n_query: int) -> bool:
    """Whether :func:`knn_table` should use the compiled brute force for this search."""
    from . import _native

    if not _native.KNN_AVAILABLE or ref.shape[0] * n_query < _BRUTE_MIN_PAIRS:
        return False
    if ref.shape[1] < _BRUTE_MIN_INTRINSIC_DIM:  # the intrinsic dimension is at most d
        return False
    return intrinsic_dimension(ref) >= _BRUTE_MIN_INTRINSIC_DIM


def knn_table(
    ref: np.ndarray, query: np.ndarray | None, k: int, *, tree: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Host k-NN table: distances and indices of the ``k`` nearest rows of ``ref`` to each
    query row, float64/int64, shape (nq, k), sorted by distance; ``k`` is clipped to the
    number of available points. Exact.

    ``query=None`` means "query = ref, excluding each point itself" (its own index is
    removed even when duplicates tie at distance 0). ``tree`` reuses a
    :class:`scipy.spatial.cKDTree` built on ``ref``.

    Method: a kd-tree (:class:`~scipy.spatial.cKDTree`, ``workers=-1``), or the compiled
    brute force of :func:`divlab._native.knn_search` (threads: :func:`set_threads`) when
    no tree is given, the search has at least 4e6 reference x query pairs and the data's
    estimated intrinsic dimension (:func:`intrinsic_dimension`) is at least 6.5: there
    the tree visits most of the points anyway (``benchmarks/bench_knn_search.py``). Both
    are exact; the brute force orders equal distances by index.
    """
    self_query = query is None
    q = ref if self_query else query
    if tree is None and _brute_force_knn(ref, q.shape[0]):  # >= 4e6 pairs: kk >= 1
        from . import _native

        kk = min(k, ref.shape[0] - 1) if self_query else min(k, ref.shape[0])
        return _native.knn_search(ref, query, kk)
    from scipy.spatial import cKDTree

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


def knn_kth_distance(ref: Any, query: Any, k: int, xp: ModuleType, *, pairwise: Any) -> Any:
    """Euclidean distance from each query row to its ``k``-th nearest row of ``ref``, (nq,).

    ``query=None`` means "query = ref, excluding each point itself"; ``1 <= k`` must not
    exceed the number of available neighbours. Strategy: on NumPy a kd-tree
    (:func:`knn_table`, float64); on every other namespace a brute-force search in row blocks
    with ``xp`` operations (memory O(block * n_ref), stays on the device, differentiable),
    where ``pairwise(q_block, ref)`` gives the squared distances (the caller's formula,
    :func:`divlab.costs.pairwise_cost_unchecked`).
    """
    return knn_kth_distances(ref, query, (k,), xp, pairwise=pairwise)[0]


def knn_kth_distances(ref: Any, query: Any, ks: tuple[int, ...], xp: ModuleType, *,
                      pairwise: Any) -> list[Any]:
    """:func:`knn_kth_distance` for several orders ``ks`` from one search: a list of (nq,)
    arrays, the distances to the ``k``-th nearest row of ``ref`` for each ``k`` in ``ks``."""
    kmax = max(ks)
    if is_numpy(xp):
        q = None if query is None else np.asarray(query, dtype=np.float64)
        table = knn_table(np.asarray(ref, dtype=np.float64), q, kmax)[0]
        return [table[:, k - 1] for k in ks]
    self_query = query is None
    q = ref if self_query else query
    n_ref = ref.shape[0]
    rows = default_chunk_rows(n_ref, 8, 32 * 2**20)
    out: list[list[Any]] = [[] for _ in ks]
    for sl in chunk_slices(q.shape[0], rows):
        d2 = pairwise(q[sl, :], ref)
        if self_query:
            r = xp.reshape(xp.arange(sl.start, sl.stop), (-1, 1))
            c = xp.reshape(xp.arange(n_ref), (1, -1))
            d2 = xp.where(r == c, xp.full_like(d2, float("inf")), d2)
        srt = xp.sort(d2, axis=1)
        for j, k in enumerate(ks):
            out[j].append(srt[:, k - 1])
    res = []
    for parts in out:
        d2 = xp.concat(parts, axis=0) if len(parts) > 1 else parts[0]
        res.append(xp.sqrt(xp.maximum(d2, xp.zeros_like(d2))))
    return res


def kernel_exp(c: Any, scale: float, xp: ModuleType, *, shift: float = 0.0) -> Any:
    """The Gibbs kernel ``exp(scale * (c - shift))`` as a new array.

    On NumPy the new array is written in place (one temporary instead of two or three);
    elsewhere plain ``xp`` operations. Same arithmetic, same numbers.
    """
    if is_numpy(xp):
        e = np.subtract(c, shift) if shift != 0.0 else np.multiply(c, scale)
        if shift != 0.0:
            e *= scale
        np.exp(e, out=e)
        return e
    e = (c - shift) * scale if shift != 0.0 else c * scale
    return xp.exp(e)
