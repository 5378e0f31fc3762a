"""NumPy-only fast paths for :func:`divlab.kl` and :func:`divlab.js`.

The generic array-API implementation in :mod:`divlab.discrete` validates the inputs in
several full passes and evaluates cancellation-free per-entry formulas with many
temporaries. On NumPy this module does the same job in one pass over the data:

* the (batch of) probability vectors is cut into blocks of about 64 K entries, so every
  temporary lives in preallocated buffers that stay in the L2 cache (``out=`` ufuncs);
* validation is fused with the computation: per block we keep the minimum and the
  (per-row) sums, and only if these say something is wrong is the full validator of
  :mod:`divlab._validate` called, which raises the specific error;
* blocks without zeros take the cheap formula (one division, one ``log`` and a dot
  product per entry for KL), blocks with zeros the masked formula of the generic path;
* rows whose result is small (where the cheap formula loses relative accuracy to
  cancellation) are recomputed with the cancellation-free generic per-entry terms;
* large inputs are split between two threads (NumPy ufuncs release the GIL).

The functions return ``None`` whenever the fast path does not apply (non-contiguous
data, reduction axis not last, ``normalize=True``, unusual dtypes); the caller then takes
the generic path. Results agree with the generic path to rounding (tested).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ._validate import as_float_array, check_axis, check_probability_pair, check_same_shape

__all__ = ["kl", "js", "finish", "BLOCK", "set_threads"]

#: Entries per block (64 K float64 = 512 KiB per buffer).
BLOCK = 1 << 16
#: Inputs smaller than this run in the calling thread.
_MIN_THREADED = 4 * BLOCK
#: Results below these thresholds are recomputed with the cancellation-free terms.
_KL_RECOMPUTE = 1e-4
_JS_RECOMPUTE = 1e-4
_RTOL = 1e-6  # divlab._validate.NORMALIZATION_RTOL
_HALF_LOG2 = 0.5 * math.log(2.0)

_n_threads = max(1, min(2, os.cpu_count() or 1))
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def set_threads(n: int) -> int:
    """Set the number of worker threads (1 or more); returns the previous value."""
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


class _Prepared:
    __slots__ = ("P", "Q", "axis", "batch_shape", "dtype", "keepdims", "orig")

    def __init__(self, P, Q, batch_shape, keepdims, dtype, axis, orig):
        self.P, self.Q = P, Q
        self.batch_shape, self.keepdims, self.dtype = batch_shape, keepdims, dtype
        self.axis, self.orig = axis, orig


def _prepare(p: Any, q: Any, axis: Any, keepdims: bool, names: tuple[str, str]):
    """Cheap structural checks; ``None`` if the fast path does not apply."""
    p = as_float_array(p, names[0], np) if not isinstance(p, np.ndarray) else p
    q = as_float_array(q, names[1], np) if not isinstance(q, np.ndarray) else q
    if not isinstance(p, np.ndarray) or not isinstance(q, np.ndarray):
        return None
    if p.dtype not in (np.float64, np.float32) or q.dtype not in (np.float64, np.float32):
        return None  # the generic path converts / rejects
    check_same_shape(p, q, names)
    if p.ndim == 0 or p.size == 0:
        return None
    ax = check_axis(axis, p.ndim)
    if ax != p.ndim - 1 or not (p.flags.c_contiguous and q.flags.c_contiguous):
        return None
    dtype = np.float32 if (p.dtype == np.float32 and q.dtype == np.float32) else np.float64
    L = p.shape[-1]
    P = p.reshape(-1, L)
    Q = q.reshape(-1, L)
    return _Prepared(P, Q, p.shape[:-1], keepdims, dtype, ax, (p, q))


def _units(R: int, L: int) -> list[tuple[int, int, int, int]]:
    """Work units ``(r0, r1, c0, c1)`` of about BLOCK entries each."""
    if L >= BLOCK:
        return [(r, r + 1, c, min(c + BLOCK, L)) for r in range(R) for c in range(0, L, BLOCK)]
    rows = max(1, BLOCK // L)
    return [(r, min(r + rows, R), 0, L) for r in range(0, R, rows)]


_Kernel = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list], np.ndarray]


def _worker(P, Q, units, kernel: _Kernel, exact_terms, nbuf: int):
    """Process ``units`` in order; returns a list of (vals, sp, sq, pmin, qmin)."""
    out = []
    bufs = [np.empty(BLOCK, dtype=np.float64) for _ in range(nbuf)]
    cast = P.dtype != np.float64 or Q.dtype != np.float64
    cp = np.empty(BLOCK, dtype=np.float64) if cast else None
    cq = np.empty(BLOCK, dtype=np.float64) if cast else None
    with np.errstate(all="ignore"):  # errstate is per thread: set it here
        for r0, r1, c0, c1 in units:
            shape = (r1 - r0, c1 - c0)
            n = shape[0] * shape[1]
            pc = P[r0:r1, c0:c1]
            qc = Q[r0:r1, c0:c1]
            if cast:
                pv = cp[:n].reshape(shape)
                qv = cq[:n].reshape(shape)
                np.copyto(pv, pc)
                np.copyto(qv, qc)
                pc, qc = pv, qv
            pmin = float(np.minimum.reduce(pc, axis=None))
            qmin = float(np.minimum.reduce(qc, axis=None))
            sp = np.add.reduce(pc, axis=1)
            sq = np.add.reduce(qc, axis=1)
            if pmin > 0 and qmin > 0:
                vals = kernel(pc, qc, sp, sq, [b[:n].reshape(shape) for b in bufs])
            elif pmin >= 0 and qmin >= 0:
                vals = np.add.reduce(exact_terms(pc, qc, np), axis=1)
            else:  # negative or NaN entries: the validator will report them
                vals = np.full(shape[0], np.nan)
            out.append((vals, sp, sq, pmin, qmin))
    return out


def _rowdot(a: np.ndarray, b: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """Row-wise dot products of two C-contiguous 2-D blocks.

    ``einsum`` rather than ``np.dot``: a BLAS ``ddot`` may start its own thread pool, which
    competes with ours (and with other processes) and was measured 10x slower here.
    """
    return np.einsum("ij,ij->i", a, b)


def _kl_kernel(pc, qc, sp, sq, bufs):
    b = bufs[0]
    np.divide(pc, qc, out=b)
    np.log(b, out=b)
    return _rowdot(pc, b, b) - sp + sq


def _js_kernel(pc, qc, sp, sq, bufs):
    s, a, t = bufs
    np.add(pc, qc, out=s)
    np.divide(pc, s, out=a)
    np.log(a, out=a)
    np.divide(qc, s, out=t)
    np.log(t, out=t)
    vp = _rowdot(pc, a, a)
    vq = _rowdot(qc, t, t)
    return 0.5 * (vp + vq) + _HALF_LOG2 * (sp + sq)


def _run(prep: _Prepared, kernel: _Kernel, exact_terms, nbuf: int):
    P, Q = prep.P, prep.Q
    R, L = P.shape
    units = _units(R, L)
    nthreads = _n_threads if (P.size >= _MIN_THREADED and len(units) > 1) else 1
    if nthreads == 1:
        parts = [_worker(P, Q, units, kernel, exact_terms, nbuf)]
    else:
        k = math.ceil(len(units) / nthreads)
        groups = [units[i : i + k] for i in range(0, len(units), k)]
        pool = _get_pool()
        futs = [pool.submit(_worker, P, Q, g, kernel, exact_terms, nbuf) for g in groups]
        parts = [f.result() for f in futs]
    vals = np.zeros(R)
    sp = np.zeros(R)
    sq = np.zeros(R)
    mins = []
    for (r0, r1, _, _), res in zip(units, (r for part in parts for r in part), strict=True):
        v, a, b, mp, mq = res
        vals[r0:r1] += v
        sp[r0:r1] += a
        sq[r0:r1] += b
        mins.append(min(mp, mq) if (mp == mp and mq == mq) else math.nan)
    lowest = math.nan if any(m != m for m in mins) else min(mins)
    return vals, sp, sq, lowest


def _valid(sp: np.ndarray, sq: np.ndarray, lowest: float) -> bool:
    if not lowest >= 0:
        return False
    with np.errstate(invalid="ignore"):
        dev = max(float(np.max(np.abs(sp - 1.0))), float(np.max(np.abs(sq - 1.0))))
    return dev <= _RTOL  # False for NaN / inf sums


def _recompute(prep: _Prepared, rows: np.ndarray, exact_terms) -> np.ndarray:
    """Cancellation-free generic terms for the selected rows, block by block."""
    P, Q = prep.P, prep.Q
    L = P.shape[1]
    out = np.zeros(rows.size)
    step = max(1, BLOCK // L)
    with np.errstate(all="ignore"):
        for i in range(0, rows.size, step):
            idx = rows[i : i + step]
            if L >= BLOCK:
                acc = 0.0
                for c in range(0, L, BLOCK):
                    pc = P[idx[0], c : c + BLOCK].astype(np.float64)
                    qc = Q[idx[0], c : c + BLOCK].astype(np.float64)
                    acc += float(np.add.reduce(exact_terms(pc, qc, np)))
                out[i] = acc
            else:
                pc = P[idx].astype(np.float64)
                qc = Q[idx].astype(np.float64)
                out[i : i + idx.size] = np.add.reduce(exact_terms(pc, qc, np), axis=1)
    return out


def _compute(p, q, axis, keepdims, names, kernel, exact_terms, nbuf, threshold, reverse=False):
    prep = _prepare(p, q, axis, keepdims, names)
    if prep is None:
        return None
    if reverse:  # D(q || p): validation (and its messages) in the caller's order
        prep.P, prep.Q = prep.Q, prep.P
    vals, sp, sq, lowest = _run(prep, kernel, exact_terms, nbuf)
    if not _valid(sp, sq, lowest):
        # Let the full validator raise the specific error; if it accepts the input after
        # all (a borderline normalisation), fall back to the generic path.
        check_probability_pair(prep.orig[0], prep.orig[1], axis=prep.axis, names=names)
        return None
    small = np.flatnonzero(vals < threshold)
    if small.size:
        vals[small] = _recompute(prep, small, exact_terms)
    return vals, prep


def kl(p: Any, q: Any, *, axis: Any = -1, keepdims: bool = False, reverse: bool = False):
    """Fast NumPy ``divlab.kl`` (``reverse_kl`` if ``reverse``) values per row, or ``None``."""
    from .discrete import _kl_terms

    return _compute(
        p, q, axis, keepdims, ("p", "q"), _kl_kernel, _kl_terms, 1, _KL_RECOMPUTE, reverse
    )


def js(p: Any, q: Any, *, axis: Any = -1, keepdims: bool = False):
    """Fast NumPy ``divlab.js`` values (float64, one per row) or ``None``."""
    from .discrete import _js_terms

    return _compute(p, q, axis, keepdims, ("p", "q"), _js_kernel, _js_terms, 3, _JS_RECOMPUTE)


def finish(res, *, scale: float | None, lower: float | None, upper: float | None):
    """Clamp, change base, cast and reshape a fast-path result like the generic path."""
    vals, prep = res
    if upper is not None:
        np.minimum(vals, upper, out=vals)
    if lower is not None:
        np.maximum(vals, lower, out=vals)
    if scale is not None:
        vals = vals / scale
    shape = prep.batch_shape + ((1,) if prep.keepdims else ())
    out = vals.astype(prep.dtype).reshape(shape)
    return out[()] if out.ndim == 0 else out
