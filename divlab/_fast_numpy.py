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
from .discrete import _JS_COEFFS, _JS_SERIES, _KL_COEFFS, _KL_SERIES, _js_terms, _kl_terms

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
    if np.float16 in (getattr(p, "dtype", None), getattr(q, "dtype", None)):
        return None  # the generic path knows the half-precision normalisation tolerance
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


def _n_terms(amax: float, limit: int) -> int:
    """Series terms needed so that the truncation ``amax**n`` is below 1e-17."""
    if amax <= 0.0:
        return 1
    return max(1, min(limit, math.ceil(math.log(1e-17) / math.log(amax))))


def _horner_inplace(acc: np.ndarray, x: np.ndarray, coeffs) -> None:
    acc.fill(coeffs[-1])
    for c in reversed(coeffs[:-1]):
        np.multiply(acc, x, out=acc)
        np.add(acc, c, out=acc)


def _kl_series_kernel(pc, qc, sp, sq, bufs):
    """KL entries ``q g(d)``, ``d = (p - q)/q``, by a truncated Taylor series when every
    ``|d| < 0.01`` in the block (the regime where the cheap formula cancels)."""
    d, acc = bufs
    np.subtract(pc, qc, out=d)
    np.divide(d, qc, out=d)
    amax = max(-float(np.minimum.reduce(d, axis=None)), float(np.maximum.reduce(d, axis=None)))
    if not amax < _KL_SERIES:
        return np.add.reduce(_kl_terms(pc, qc, np), axis=1)
    _horner_inplace(acc, d, _KL_COEFFS[: _n_terms(amax, len(_KL_COEFFS))])
    np.multiply(acc, d, out=acc)
    np.multiply(acc, d, out=acc)
    return _rowdot(qc, acc, acc)


def _js_series_kernel(pc, qc, sp, sq, bufs):
    """JS entries ``m phi(e)``, ``e = (p - q)/(p + q)``, by the even Taylor series of phi
    when every ``|e| < 0.1`` in the block."""
    s, e, acc = bufs
    np.add(pc, qc, out=s)
    np.subtract(pc, qc, out=e)
    np.divide(e, s, out=e)
    np.multiply(e, e, out=e)  # e^2
    amax2 = float(np.maximum.reduce(e, axis=None))
    if not amax2 < _JS_SERIES**2:
        return np.add.reduce(_js_terms(pc, qc, np), axis=1)
    _horner_inplace(acc, e, _JS_COEFFS[: _n_terms(amax2, len(_JS_COEFFS))])
    np.multiply(acc, e, out=acc)
    return 0.5 * _rowdot(s, acc, acc)


def _recompute(prep: _Prepared, rows: np.ndarray, accurate: _Kernel, exact_terms, nbuf):
    """Cancellation-free values for the selected rows (same blocking and threads)."""
    if rows.size == prep.P.shape[0]:
        sub = prep
    else:
        sub = _Prepared(prep.P[rows], prep.Q[rows], (rows.size,), False, prep.dtype, -1, None)
    return _run(sub, accurate, exact_terms, nbuf)[0]


def _compute(p, q, axis, keepdims, names, kernels, exact_terms, nbuf, threshold, reverse=False):
    prep = _prepare(p, q, axis, keepdims, names)
    if prep is None:
        return None
    if reverse:  # D(q || p): validation (and its messages) in the caller's order
        prep.P, prep.Q = prep.Q, prep.P
    vals, sp, sq, lowest = _run(prep, kernels[0], exact_terms, nbuf)
    if not _valid(sp, sq, lowest):
        # Let the full validator raise the specific error; if it accepts the input after
        # all (a borderline normalisation), fall back to the generic path.
        check_probability_pair(prep.orig[0], prep.orig[1], axis=prep.axis, names=names)
        return None
    small = np.flatnonzero(vals < threshold)
    if small.size:
        vals[small] = _recompute(prep, small, kernels[1], exact_terms, nbuf)
    return vals, prep


def kl(p: Any, q: Any, *, axis: Any = -1, keepdims: bool = False, reverse: bool = False):
    """Fast NumPy ``divlab.kl`` (``reverse_kl`` if ``reverse``) values per row, or ``None``."""
    return _compute(
        p, q, axis, keepdims, ("p", "q"), (_kl_kernel, _kl_series_kernel), _kl_terms, 2,
        _KL_RECOMPUTE, reverse,
    )


def js(p: Any, q: Any, *, axis: Any = -1, keepdims: bool = False):
    """Fast NumPy ``divlab.js`` values (float64, one per row) or ``None``."""
    res = _compute(
        p, q, axis, keepdims, ("p", "q"), (_js_kernel, _js_series_kernel), _js_terms, 3,
        _JS_RECOMPUTE,
    )
    if res is not None:  # disjoint supports: exactly log 2 (not log 2 * sum((p + q) / 2))
        vals, prep = res
        cand = np.flatnonzero(vals > 2.0 * _HALF_LOG2 * (1.0 - 1e-6))
        if cand.size:
            overlap = np.any((prep.P[cand] > 0) & (prep.Q[cand] > 0), axis=1)
            vals[cand[~overlap]] = 2.0 * _HALF_LOG2
    return res


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
