r"""Mergeable states for divergences between probability vectors and for plug-in histograms.

:class:`DivergenceState`
    One f-divergence between two probability vectors fed in aligned chunks. Every chunk pair
    runs the *same* row kernel as the in-memory door (:func:`divlab.kl`, :func:`divlab.js`,
    :func:`divlab.f_divergence`, ... through :func:`divlab._array.pair_reduce`), whose
    per-row parts are sums; the state adds them, together with the row sums
    :math:`P = \sum p_i`, :math:`Q = \sum q_i` and the minima (NaN sticks). ``result()``
    finishes exactly like the door (clamping to :math:`[0, \text{upper}]`, the exact bound
    on disjoint supports, ``f(1)``, ``base``) and raises the door's error, with its class and
    message, for NaN, infinite, negative or unnormalised input. On one chunk the result is
    bit-for-bit the in-memory one; over many chunks it differs only by the order of the
    float64 additions of the chunk sums.

    ``normalize=True`` is folded into the sums where the mathematics allows. For the Amari
    family -- KL (:math:`\alpha = 1`), reverse KL (0), Pearson (2), Neyman (-1), squared
    Hellinger (1/2) and ``"alpha"`` entries, and their rescalings -- the record's terms
    :math:`t(p, q) = q\tilde f(p/q)` obey

    .. math::

        D(p/P \,\|\, q/Q) = \frac{T - t(P, Q)}{P^\alpha Q^{1-\alpha}},
        \qquad T = \sum_i t(p_i, q_i),

    e.g. for KL :math:`T = S - P + Q` with :math:`S = \sum p\log(p/q)` and the right side is
    :math:`S/P - \log(P/Q)`. The fold costs an absolute error of about
    :math:`\epsilon\,T/(P^\alpha Q^{1-\alpha})` (the in-memory normalisation keeps the
    relative accuracy of tiny divergences); it needs finite totals below 1e300. For every
    other divergence (JS, TV, Jeffreys, GAN, user entries) the totals are needed before the
    terms: pass ``totals=(P, Q)`` from a first pass (:class:`TotalsState`), or let
    :func:`divergence_from_chunks` run both passes. With ``totals`` each chunk is divided by
    them before its terms are computed (any divergence).

:class:`HistogramState`, :class:`HistogramPairState`
    Counts of samples in fixed numeric bins (edges per column; a value outside the edges is
    counted in the nearest end bin, as in :func:`divlab.estimators.plugin.cell_codes`, and
    also counted in ``outside``) or of distinct rows (``categorical=True``), as sorted
    unique keys with ``int64`` counts: merges are exact. :func:`plugin_divergence` turns
    the states of two samples into plug-in KL or JS with the conventions of
    :func:`divlab.estimators.plugin_kl` / :func:`~divlab.estimators.plugin_js` (cells: the
    occupied cells of the pooled sample, pseudo-count ``smoothing``, Miller–Madow and
    jackknife corrections for JS, the sparse-table warning), computed by that module's own
    functions.

Drivers: :func:`divergence_from_chunks` and :func:`plugin_divergence_from_chunks` take NumPy
(one chunk) or Dask arrays (one task per chunk, :func:`~divlab.streaming.fold_rows` /
:func:`~divlab.streaming.fold_samples`).
"""

from __future__ import annotations

import functools
import math
from types import ModuleType
from typing import Any

import numpy as np

from .._array import array_namespace, as_result, host_float64, pair_reduce, to_numpy
from .._validate import (
    NORMALIZATION_RTOL,
    as_float_array,
    broadcast_probability_pair,
    check_bool,
    check_int,
    check_nonnegative_scalar,
    check_samples,
)
from ..errors import (
    EmptyInputError,
    NegativeValueError,
    NonFiniteError,
    NormalizationError,
    ParameterError,
    ShapeMismatchError,
)
from ..estimators._result import Estimate
from ..estimators.plugin import (
    DEFAULT_SMOOTHING,
    _check_correction,
    _plugin_point,
)
from ..fdiv.engine import _finish_rows, _row_block, log_base
from ..fdiv.record import FDivergence
from ..fdiv.registry import resolve_fdivergence
from ._base import fold_rows, fold_samples, is_dask_array

__all__ = [
    "DivergenceState",
    "TotalsState",
    "HistogramState",
    "HistogramPairState",
    "plugin_divergence",
    "equal_width_edges",
    "divergence_from_chunks",
    "plugin_divergence_from_chunks",
]

_NAMES = ("p", "q")
#: Amari exponent of the records whose normalisation folds into the sums
_AMARI = {"kl": 1.0, "reverse_kl": 0.0, "pearson": 2.0, "neyman": -1.0,
          "squared_hellinger": 0.5}
#: totals above this are not folded (the terms of entries that large may overflow)
_FOLD_MAX = 1e300


def _amari_exponent(fd: FDivergence) -> float | None:
    """The exponent ``alpha`` of the fold formula, or None when the record does not fold."""
    if fd.f_at_1 != 0.0:
        return None
    base = fd.name.split("*", 1)[-1]
    if base == "alpha":
        return dict(fd.params).get("alpha")
    return _AMARI.get(base)


def _nanmin(a: float, b: float) -> float:
    """``min`` in which NaN sticks (as in :func:`divlab._array.pair_reduce`)."""
    return a if a != a else (b if b != b else min(a, b))


def _nanmax(a: float, b: float) -> float:
    return a if a != a else (b if b != b else max(a, b))


def _no_parts(p: Any, q: Any, xp: ModuleType, positive: bool) -> tuple:
    return ()


# ------------------------------------------------------------------------------------------
# per-side diagnostics: what the door's error messages need, without keeping the data
# ------------------------------------------------------------------------------------------


class _Side:
    """Statistics of one input (``p`` or ``q``) for the deferred input checks."""

    def __init__(self) -> None:
        self.min = math.inf
        self.max = -math.inf
        self.nonfinite = 0
        self.first_nonfinite: tuple[tuple[int, ...], str] | None = None
        self.first_negative: tuple[tuple[int, ...], float] | None = None
        self.rtol = NORMALIZATION_RTOL

    def add_chunk(self, mn: float, mx: float, total_ok: bool, raw: Any, offset: Any) -> None:
        """Fold in a chunk's minimum and maximum; locate bad entries of a suspicious chunk
        (``raw``: the chunk as given, broadcast; ``offset(index) -> global index``)."""
        self.min = _nanmin(self.min, mn)
        self.max = _nanmax(self.max, mx)
        if mn >= 0 and total_ok:
            return
        xn = np.asarray(to_numpy(raw))
        bad = ~np.isfinite(xn)
        if bad.any():
            self.nonfinite += int(bad.sum())
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            val = xn[where]
            what = "NaN" if np.isnan(val) else ("+inf" if val > 0 else "-inf")
            self._first("first_nonfinite", (offset(where), what))
        neg = xn < 0
        if neg.any():
            where = tuple(int(i) for i in np.argwhere(neg)[0])
            self._first("first_negative", (offset(where), float(xn[where])))

    def _first(self, attr: str, item: tuple) -> None:
        have = getattr(self, attr)
        if have is None or item[0] < have[0]:
            setattr(self, attr, item)

    def merge(self, other: _Side, shift: Any) -> None:
        self.min = _nanmin(self.min, other.min)
        self.max = _nanmax(self.max, other.max)
        self.nonfinite += other.nonfinite
        for attr in ("first_nonfinite", "first_negative"):
            item = getattr(other, attr)
            if item is not None:
                self._first(attr, (shift(item[0]), item[1]))
        self.rtol = max(self.rtol, other.rtol)


def _index(where: tuple[int, ...]) -> Any:
    return where[0] if len(where) == 1 else where


def _check_side(side: _Side, sums: np.ndarray, name: str, *, normalize: bool, ndim: int,
                axis: int) -> None:
    """Raise the error :func:`divlab._validate.check_probability` raises for these data."""
    if side.nonfinite:
        where, what = side.first_nonfinite
        raise NonFiniteError(f"`{name}` contains {side.nonfinite} non-finite value(s); first "
                             f"is {what} at index {_index(where)}")
    if side.first_negative is not None:
        where, val = side.first_negative
        raise NegativeValueError(f"`{name}` has a negative entry ({val!r} at index "
                                 f"{_index(where)}); probabilities and weights must be >= 0")
    if not np.all(sums > 0):
        if ndim == 1 or not np.any(sums > 0):
            raise EmptyInputError(f"`{name}` has zero total mass")
        raise EmptyInputError(f"`{name}` has a slice with zero total mass along axis {axis}")
    if normalize:
        return
    if side.max > 1.0 + side.rtol:
        raise NormalizationError(
            f"`{name}` does not sum to 1 along axis {axis} (it has an entry of "
            f"{side.max:.3g}); pass normalize=True to rescale")
    err = float(np.max(np.abs(sums - 1.0)))
    if err > side.rtol:
        raise NormalizationError(
            f"`{name}` does not sum to 1 along axis {axis} (largest deviation {err:.3g}); "
            "pass normalize=True to rescale")


# ------------------------------------------------------------------------------------------
# the divergence state
# ------------------------------------------------------------------------------------------


class DivergenceState:
    r"""Mergeable state of an f-divergence :math:`D_f(P\|Q)` between chunked probability vectors.

    .. math:: D_f(P\|Q) = f(1) + \min\Big(\max\big(\textstyle\sum_i q_i\tilde f(p_i/q_i),
              0\big),\ \text{upper}\Big)

    summed chunk by chunk with the record's accurate terms (:mod:`divlab.fdiv.engine`).

    Parameters
    ----------
    divergence : str or FDivergence, default "kl"
        What :func:`divlab.f_divergence` accepts: a registry name (``"kl"``, ``"js"``,
        ``"total_variation"``, ``"alpha"`` with ``alpha=``, ...) or an
        :class:`~divlab.FDivergence`.
    base : float, optional
        Logarithm base of the result (natural log by default).
    normalize : bool, default False
        Divergence of ``p / P`` and ``q / Q``. Folded into the sums for the Amari family
        (KL, reverse KL, Pearson, Neyman, squared Hellinger, ``"alpha"``; module docstring);
        any other divergence needs ``totals``.
    totals : tuple (P, Q), optional
        Totals of ``p`` and ``q`` along the reduced axis from a first pass
        (:meth:`TotalsState.result`), scalars or one per row of a batch; only with
        ``normalize=True``. Every chunk is divided by them before its terms are computed.
        ``result()`` checks that the scaled data sum to 1 (a NormalizationError otherwise).
    axis : int, default -1
        Reduced axis of every chunk. 1-D chunks hold consecutive entries of the vectors;
        2-D chunks hold a batch of vectors: with ``axis=-1`` (or 1) a chunk is a block of
        columns ``(B, m)`` of a ``(B, n)`` array, with ``axis=0`` a block of rows ``(m, B)``
        of an ``(n, B)`` array (what :func:`~divlab.streaming.fold_rows` delivers).
    **params
        Parameters of a registry family (``alpha=0.5``).

    Notes
    -----
    ``update`` raises structural errors at once (dtype, dimensions, shapes of ``p`` and
    ``q`` that do not broadcast, a batch size that changes); the value checks of the
    in-memory door (NaN or infinite entries, negative entries, zero mass, sums not 1 within
    1e-6) are raised by :meth:`result`, with the door's class and message (positions count
    entries in the order of the updates; :meth:`merge` appends the other state's entries).
    A state is picklable and holds float64 arrays of the batch size only.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab import kl
    >>> from divlab.streaming.discrete import DivergenceState
    >>> p = np.array([0.1, 0.2, 0.3, 0.4]); q = np.array([0.25, 0.25, 0.25, 0.25])
    >>> s = DivergenceState("kl").update(p[:2], q[:2]).update(p[2:], q[2:])
    >>> bool(abs(s.result() - kl(p, q)) < 1e-15)
    True
    >>> float(DivergenceState("kl").update(p, q).result()) == float(kl(p, q))  # one chunk
    True
    >>> r = DivergenceState("kl", normalize=True).update(3 * p, 5 * q).result()
    >>> bool(abs(r - kl(p, q)) < 1e-15)
    True
    """

    _index_order: tuple[int, ...] | None = None  # set by a transposing driver

    def __init__(self, divergence: Any = "kl", *, base: Any = None, normalize: Any = False,
                 totals: Any = None, axis: Any = -1, **params: Any) -> None:
        self.fd = resolve_fdivergence(divergence, params, argname="divergence")
        self.base = base
        self._scale = log_base(base)
        self.normalize = check_bool(normalize, "normalize")
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ParameterError(f"`axis` must be an integer, got {axis!r}")
        self.axis = int(axis)
        self._alpha = _amari_exponent(self.fd)
        self.totals = _check_totals(totals)
        if self.totals is not None and not self.normalize:
            raise ParameterError("`totals` is used only with normalize=True")
        if self.normalize and self.totals is None and self._alpha is None:
            raise ParameterError(
                f"normalize=True for {self.fd.name!r} needs the totals of p and q first: "
                "pass totals=(P, Q) from a first pass (TotalsState), or use "
                "divergence_from_chunks(..., normalize=True), which runs both passes")
        self.n = 0  # entries seen along the reduced axis
        self.parts: tuple[Any, ...] | None = None
        self.sums: list[Any] = [None, None]
        self.sides = (_Side(), _Side())
        self.ndim: int | None = None
        self.batch: int | None = None
        self.red_axis = 0  # the reduced axis of the chunks, normalised
        self.float32 = True
        self.empty_shape: tuple[int, ...] | None = None

    # -- update ------------------------------------------------------------------------

    def update(self, p: Any, q: Any) -> DivergenceState:
        """Add aligned chunks ``p`` and ``q`` (same entries of both vectors); returns ``self``.

        Runs the row kernel of the in-memory door on the chunk pair. Empty chunks are
        skipped.
        """
        xp = array_namespace(p, q)
        pa, qa = as_float_array(p, "p", xp), as_float_array(q, "q", xp)
        if 0 in tuple(pa.shape) or 0 in tuple(qa.shape):
            if self.empty_shape is None:
                self.empty_shape = tuple(pa.shape) if 0 in tuple(pa.shape) else tuple(qa.shape)
            return self
        pair = broadcast_probability_pair(p, q, axis=self.axis, names=_NAMES, xp=xp)
        ndim = len(pair.batch_shape) + 1
        if ndim > 2:
            raise ShapeMismatchError(f"DivergenceState takes 1-D or 2-D chunks, got {ndim}-D")
        rows = pair.p2.shape[0]
        if self.ndim is not None and (ndim, rows) != (self.ndim, self.batch):
            raise ShapeMismatchError(
                f"DivergenceState: a chunk with batch shape {pair.batch_shape} after chunks "
                f"with batch size {self.batch} ({self.ndim}-D)")
        self.ndim, self.batch, self.red_axis = ndim, rows, pair.axis
        self.float32 = self.float32 and pair.out_dtype == xp.float32
        for side, rtol in zip(self.sides, pair.rtol, strict=True):
            side.rtol = max(side.rtol, rtol)
        p2, q2 = pair.p2, pair.q2
        if self.totals is not None:
            tp, tq = (xp.asarray(t, dtype=xp.float64) for t in self.totals)
            p2 = xp.astype(p2, xp.float64) / xp.reshape(tp, (-1, 1))
            q2 = xp.astype(q2, xp.float64) / xp.reshape(tq, (-1, 1))
        parts, (sp, sq, pmin, qmin) = pair_reduce(p2, q2, xp, _row_block(self.fd))
        self._add_side(0, pair.p, pair.q, pair.p2, sp, pmin, xp)
        self._add_side(1, pair.q, pair.p, pair.q2, sq, qmin, xp)
        self._add(parts, (sp, sq))
        self.n += int(pair.p2.shape[1])
        return self

    def _add_side(self, i: int, x: Any, other: Any, x2: Any, s: Any, mn: Any,
                  xp: ModuleType) -> None:
        with np.errstate(invalid="ignore"):
            mx = float(to_numpy(xp.max(x2)))
        total_ok = bool(np.all(np.isfinite(np.asarray(to_numpy(s)))))
        if tuple(x.shape) != tuple(other.shape):
            x = xp.broadcast_arrays(x, other)[0]
        self.sides[i].add_chunk(float(to_numpy(mn)), mx, total_ok, x, self._global)

    def _global(self, where: tuple[int, ...]) -> tuple[int, ...]:
        """Chunk position -> position in the whole array (in the reported axis order)."""
        out = list(where)
        out[self.red_axis] += self.n
        order = self._index_order
        return tuple(out[i] for i in order) if order is not None else tuple(out)

    def _add(self, parts: tuple[Any, ...], sums: tuple[Any, Any]) -> None:
        if self.parts is None:
            self.parts, self.sums = tuple(parts), list(sums)
            return
        self.parts = tuple(a + b for a, b in zip(self.parts, parts, strict=True))
        self.sums = [a + b for a, b in zip(self.sums, sums, strict=True)]

    # -- merge ------------------------------------------------------------------------

    def merge(self, other: DivergenceState) -> DivergenceState:
        """Add another state's entries (they come after this state's); returns ``self``."""
        if not isinstance(other, DivergenceState):
            raise TypeError(f"cannot merge DivergenceState with {type(other).__name__}")
        if (other.fd, other.base, other.normalize, other.axis) != (
                self.fd, self.base, self.normalize, self.axis) or not _same_totals(
                self.totals, other.totals):
            raise ParameterError("DivergenceState.merge: the states were made with different "
                                 "divergences or options")
        if self.empty_shape is None:
            self.empty_shape = other.empty_shape
        if other.parts is None:
            return self
        if self.parts is None:
            keep = self.empty_shape
            self.__dict__.update(_copy_state(other))
            self.empty_shape = keep
            return self
        if (other.ndim, other.batch) != (self.ndim, self.batch):
            raise ShapeMismatchError(f"DivergenceState.merge: batch sizes {self.batch} and "
                                     f"{other.batch} ({self.ndim}-D and {other.ndim}-D)")
        pos = self.red_axis if self._index_order is None else self._index_order.index(
            self.red_axis)

        def shift(where: tuple[int, ...]) -> tuple[int, ...]:
            out = list(where)
            out[pos] += self.n
            return tuple(out)

        for mine, theirs in zip(self.sides, other.sides, strict=True):
            mine.merge(theirs, shift)
        self._add(other.parts, tuple(other.sums))
        self.float32 = self.float32 and other.float32
        self.n += other.n
        return self

    # -- result -----------------------------------------------------------------------

    def result(self) -> Any:
        """The divergence: a NumPy scalar (1-D chunks) or an array of the batch size, in the
        float dtype of the inputs (float32 if every chunk was float32); for other
        namespaces a 0-d (or 1-D) array of the chunks' namespace.

        Raises
        ------
        NonFiniteError, NegativeValueError, EmptyInputError, NormalizationError
            As the in-memory door, for the data seen.
        """
        if self.parts is None:
            shape = self.empty_shape if self.empty_shape is not None else (0,)
            raise EmptyInputError(f"`p` is empty (shape {shape})")
        xp = array_namespace(self.parts[0])
        host = [np.asarray(to_numpy(s), dtype=np.float64) for s in self.sums]
        for i in (0, 1):
            _check_side(self.sides[i], host[i], _NAMES[i], normalize=self.normalize,
                        ndim=self.ndim, axis=self._reported_axis())
        parts = self.parts
        if self.totals is not None:
            _check_totals_match(host)
        elif self.normalize:
            parts = self._folded(xp)
        with np.errstate(all="ignore"):
            rows = _finish_rows(self.fd, parts, xp)
            if self._scale is not None:
                rows = rows / self._scale
            if self.float32:
                big = float(np.finfo(np.float32).max)
                inf = xp.where(rows > 0, xp.full_like(rows, math.inf),
                               xp.full_like(rows, -math.inf))
                rows = xp.astype(xp.where(xp.abs(rows) > big, inf, rows), xp.float32)
        if self.ndim == 1:
            rows = xp.reshape(rows, ())
        return as_result(rows, xp)

    def _reported_axis(self) -> int:
        if self._index_order is None:
            return self.red_axis
        return self._index_order.index(self.red_axis)

    def _folded(self, xp: ModuleType) -> tuple[Any, ...]:
        """The parts of ``D(p/P || q/Q)`` from those of ``D(p || q)`` (module docstring)."""
        big_p, big_q = self.sums
        biggest = float(to_numpy(xp.max(xp.maximum(big_p, big_q))))
        if not biggest <= _FOLD_MAX:
            raise NormalizationError(
                f"the totals of `p` and `q` ({biggest:.3g}) are too large to fold "
                "normalize=True into the sums; rescale the input or pass totals=(P, Q) "
                "(TotalsState)")
        a = self._alpha
        with np.errstate(all="ignore"):
            t_pq = _row_block(self.fd)(xp.reshape(big_p, (-1, 1)), xp.reshape(big_q, (-1, 1)),
                                       xp, False)[0]
            if a == 1.0:
                den = big_p
            elif a == 0.0:
                den = big_q
            else:
                den = big_q * (big_p / big_q) ** a
            vals = (self.parts[0] - t_pq) / den
        return (vals, *self.parts[1:])

    def __repr__(self) -> str:
        return (f"DivergenceState({self.fd.name!r}, n={self.n}, batch={self.batch}, "
                f"normalize={self.normalize})")


class _TransposedDivergenceState(DivergenceState):
    """A state fed the transpose ``(n, B)`` of a ``(B, n)`` batch (by
    :func:`divergence_from_chunks` on Dask): error positions refer to the ``(B, n)`` array."""

    _index_order = (1, 0)


def _copy_state(other: DivergenceState) -> dict[str, Any]:
    import copy

    return copy.deepcopy(other.__dict__)


def _check_totals(totals: Any) -> tuple[np.ndarray, np.ndarray] | None:
    if totals is None:
        return None
    try:
        tp, tq = totals
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"`totals` must be a pair (P, Q), got {totals!r}") from exc
    out = []
    for t, name in ((tp, "P"), (tq, "Q")):
        a = np.asarray(to_numpy(t), dtype=np.float64).reshape(-1)
        if a.size == 0 or not np.all(np.isfinite(a)) or not np.all(a > 0):
            raise ParameterError(f"`totals` {name} must be finite and > 0, got {t!r}")
        out.append(a)
    return out[0], out[1]


def _same_totals(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def _check_totals_match(sums: list[np.ndarray]) -> None:
    for s, name in zip(sums, _NAMES, strict=True):
        err = float(np.max(np.abs(s - 1.0)))
        if err > 1e-6:
            raise NormalizationError(
                f"`totals` do not match the data: `{name}` divided by its total sums to 1 "
                f"within {err:.3g}; pass the totals of the same data (TotalsState)")


class TotalsState:
    r"""Mergeable totals :math:`(P, Q) = (\sum_i p_i, \sum_i q_i)` along the reduced axis: the
    first pass of a normalised divergence that does not fold (:class:`DivergenceState`).

    Parameters
    ----------
    axis : int, default -1
        Reduced axis of the chunks, as in :class:`DivergenceState`.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.streaming.discrete import TotalsState
    >>> s = TotalsState().update([1.0, 2.0], [3.0, 1.0]).update([3.0], [1.0])
    >>> tuple(float(t) for t in s.result())
    (6.0, 5.0)
    """

    def __init__(self, *, axis: Any = -1) -> None:
        self.axis = axis
        self.sums: list[Any] | None = None
        self.ndim: int | None = None

    def update(self, p: Any, q: Any) -> TotalsState:
        """Add aligned chunks of ``p`` and ``q``; returns ``self`` (empty chunks skipped)."""
        xp = array_namespace(p, q)
        pa, qa = as_float_array(p, "p", xp), as_float_array(q, "q", xp)
        if 0 in tuple(pa.shape) or 0 in tuple(qa.shape):
            return self
        pair = broadcast_probability_pair(p, q, axis=self.axis, names=_NAMES, xp=xp)
        _, (sp, sq, _, _) = pair_reduce(pair.p2, pair.q2, xp, _no_parts)
        self.ndim = len(pair.batch_shape) + 1
        sums = [np.asarray(to_numpy(sp), dtype=np.float64),
                np.asarray(to_numpy(sq), dtype=np.float64)]
        return self._add(sums)

    def _add(self, sums: list[np.ndarray]) -> TotalsState:
        if self.sums is None:
            self.sums = sums
        elif self.sums[0].shape != sums[0].shape:
            raise ShapeMismatchError(f"TotalsState: batch sizes {self.sums[0].size} and "
                                     f"{sums[0].size}")
        else:
            self.sums = [a + b for a, b in zip(self.sums, sums, strict=True)]
        return self

    def merge(self, other: TotalsState) -> TotalsState:
        """Add another state; returns ``self``."""
        if not isinstance(other, TotalsState):
            raise TypeError(f"cannot merge TotalsState with {type(other).__name__}")
        if other.sums is not None:
            self.ndim = other.ndim
            self._add([s.copy() for s in other.sums])
        return self

    def result(self) -> tuple[Any, Any]:
        """``(P, Q)``: float64 scalars (1-D chunks) or arrays of the batch size."""
        if self.sums is None:
            raise EmptyInputError("`p` is empty: no entries were added")
        if self.ndim == 1:
            return np.float64(self.sums[0][0]), np.float64(self.sums[1][0])
        return self.sums[0], self.sums[1]


# ------------------------------------------------------------------------------------------
# driver
# ------------------------------------------------------------------------------------------


def divergence_from_chunks(p: Any, q: Any, divergence: Any = "kl", *, axis: int = -1,
                           base: Any = None, normalize: Any = False, split_every: int = 8,
                           **params: Any) -> Any:
    r"""An f-divergence between probability vectors given as NumPy or Dask arrays.

    NumPy (CuPy, ...) input: one :class:`DivergenceState` update, the same number as the
    in-memory door. Dask input (1-D, or 2-D batches along ``axis``): one task per chunk and a
    merge tree (:func:`~divlab.streaming.fold_rows`), every entry read once; with
    ``normalize=True`` for a divergence that does not fold (JS, TV, ...) a first pass
    computes the totals (:class:`TotalsState`), so the data are read twice.

    Parameters
    ----------
    p, q : array_like or dask.array.Array
        Probability vectors (or batches), same shape for Dask input.
    divergence : str or FDivergence, default "kl"
        As in :func:`divlab.f_divergence`.
    axis : int, default -1
        The reduced axis (1-D or 2-D input).
    base, normalize, **params
        As in :class:`DivergenceState`.
    split_every : int, default 8
        Fan-in of the merge tree.

    Returns
    -------
    NumPy scalar or array
        As :meth:`DivergenceState.result` (computed, also for Dask input).

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from divlab import js
    >>> from divlab.streaming.discrete import divergence_from_chunks
    >>> p = np.array([0.1, 0.2, 0.3, 0.4]); q = np.array([0.4, 0.3, 0.2, 0.1])
    >>> d = divergence_from_chunks(da.from_array(p, chunks=2), da.from_array(q, chunks=2), "js")
    >>> bool(abs(d - js(p, q)) < 1e-15)
    True
    """
    normalize = check_bool(normalize, "normalize")
    make = functools.partial(DivergenceState, divergence, base=base, normalize=normalize,
                             axis=axis, **params)
    if not (is_dask_array(p) and is_dask_array(q)):
        if is_dask_array(p) or is_dask_array(q):
            raise ParameterError("divergence_from_chunks: mix of Dask and in-memory arrays")
        if _needs_totals(make):
            totals = TotalsState(axis=axis).update(p, q).result()
            return make(totals=totals).update(p, q).result()
        return make().update(p, q).result()
    if any(math.isnan(s) for a in (p, q) for s in a.shape):
        raise ParameterError("divergence_from_chunks: `p` or `q` has unknown chunk sizes; call "
                             "`.compute_chunk_sizes()` first (e.g. after boolean indexing)")
    if p.ndim not in (1, 2) or p.shape != q.shape:
        raise ShapeMismatchError(f"divergence_from_chunks: Dask `p` and `q` must have the same "
                                 f"1-D or 2-D shape, got {p.shape} and {q.shape}")
    cls, ax = DivergenceState, axis
    if p.ndim == 2 and axis in (-1, 1):  # fold_rows chunks rows: feed the transpose
        p, q, cls, ax = p.T, q.T, _TransposedDivergenceState, 0
    make = functools.partial(cls, divergence, base=base, normalize=normalize, axis=ax, **params)
    if _needs_totals(make):
        totals = fold_rows(functools.partial(TotalsState, axis=ax), p, q,
                           split_every=split_every).result()
        make = functools.partial(make, totals=totals)
    return fold_rows(make, p, q, split_every=split_every).result()


def _needs_totals(make: functools.partial) -> bool:
    """True when ``normalize=True`` needs a totals pass (the divergence does not fold);
    validates the options before any data are read."""
    probe = make.func(*make.args, **{**make.keywords, "normalize": False})
    return bool(make.keywords["normalize"]) and probe._alpha is None


# ------------------------------------------------------------------------------------------
# histograms
# ------------------------------------------------------------------------------------------


def _check_edges(edges: Any) -> list[np.ndarray] | np.ndarray:
    """One 1-D edge array for every column, or a list of them (one per column)."""
    def one(e: Any, name: str) -> np.ndarray:
        a = np.asarray(to_numpy(e) if not isinstance(e, (list, tuple)) else e, dtype=np.float64)
        if a.ndim != 1 or a.size < 2:
            raise ParameterError(f"`{name}` must be a 1-D array of at least 2 bin edges, "
                                 f"got shape {a.shape}")
        if not np.all(np.isfinite(a)) or not np.all(np.diff(a) > 0):
            raise ParameterError(f"`{name}` must be finite and strictly increasing")
        return a

    if isinstance(edges, (list, tuple)) and edges and np.ndim(edges[0]) == 1:
        return [one(e, f"edges[{j}]") for j, e in enumerate(edges)]
    return one(edges, "edges")


def equal_width_edges(lo: Any, hi: Any, bins: int) -> list[np.ndarray]:
    """The edges :func:`~divlab.estimators.plugin_kl` uses for ``bins=int``: ``bins``
    equal-width bins per column over the pooled range ``[lo, hi]`` (e.g. the ``min`` and
    ``max`` of :class:`~divlab.streaming.ColumnMoments` of both samples), capped at
    ``floor(10**6 ** (1/d))`` and 512 bins per column; a constant column gets ``[lo, lo+1]``.

    Examples
    --------
    >>> [e.tolist() for e in equal_width_edges([0.0], [1.0], 2)]
    [[0.0, 0.5, 1.0]]
    """
    bins = check_int(bins, "bins", min_value=1)
    lo = np.atleast_1d(np.asarray(lo, dtype=np.float64))
    hi = np.atleast_1d(np.asarray(hi, dtype=np.float64))
    d = lo.size
    cap = max(1, min(512, int(10**6 ** (1.0 / d))))
    nb = max(1, min(bins, cap))
    return [np.linspace(a, b, nb + 1) if b > a else np.array([a, a + 1.0])
            for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]


class HistogramState:
    r"""Mergeable counts of a sample in fixed bins or of its distinct rows.

    Parameters
    ----------
    edges : array_like or list of array_like, optional
        Bin edges (strictly increasing, finite): one 1-D array used for every column, or one
        per column. A value is in bin ``j`` when ``edges[j] <= x < edges[j+1]``; the last
        bin includes its right edge, and values outside the edges are counted in the
        nearest end bin (the rule of :func:`divlab.estimators.plugin.cell_codes`) and in
        ``outside``.
    categorical : bool, default False
        Count distinct rows instead (``edges`` must then be None).

    Notes
    -----
    The counts are kept as sorted unique keys (flat bin indices, or the distinct rows as
    float64) with int64 counts: updates and merges are exact and independent of the order.
    Samples are validated per chunk (:func:`divlab._validate.check_samples`: NaN or
    infinite values raise at once, with positions inside the chunk).

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.streaming.discrete import HistogramState
    >>> h = HistogramState([0.0, 1.0, 2.0]).update([0.5, 1.5, 1.7]).update([2.0, -1.0])
    >>> r = h.result()
    >>> r["bins"].ravel().tolist(), r["counts"].tolist(), r["outside"]
    ([0, 1], [2, 3], 1)
    >>> c = HistogramState(categorical=True).update([[1, 2], [1, 2], [0, 5]]).result()
    >>> c["categories"].tolist(), c["counts"].tolist()
    ([[0.0, 5.0], [1.0, 2.0]], [1, 2])
    """

    def __init__(self, edges: Any = None, *, categorical: Any = False) -> None:
        self.categorical = check_bool(categorical, "categorical")
        if self.categorical and edges is not None:
            raise ParameterError("`edges` must be None with categorical=True")
        if not self.categorical and edges is None:
            raise ParameterError("pass bin `edges`, or categorical=True")
        self.edges = None if edges is None else _check_edges(edges)
        self.keys: np.ndarray | None = None
        self.counts: np.ndarray | None = None
        self.n = 0
        self.d: int | None = None
        self.outside = 0

    def _edges_of(self, d: int) -> list[np.ndarray]:
        if isinstance(self.edges, list):
            if len(self.edges) != d:
                raise ShapeMismatchError(f"HistogramState: {len(self.edges)} edge arrays for "
                                         f"samples with {d} columns")
            return self.edges
        return [self.edges] * d

    def update(self, x: Any) -> HistogramState:
        """Add a chunk of samples, shape ``(n, d)`` or ``(n,)``; returns ``self``."""
        xp = array_namespace(x)
        xa = as_float_array(x, "x", xp)
        if 0 in tuple(xa.shape):
            return self
        a = host_float64(check_samples(xa, "x", xp=xp), xp)
        if self.d is not None and a.shape[1] != self.d:
            raise ShapeMismatchError(f"HistogramState: a chunk with {a.shape[1]} columns after "
                                     f"chunks with {self.d}")
        self.d = a.shape[1]
        if self.categorical:
            keys, counts = np.unique(a, axis=0, return_counts=True)
        else:
            keys, counts, out = self._bin(a)
            self.outside += out
        self.n += a.shape[0]
        return self._add(keys, counts.astype(np.int64))

    def _bin(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        edges = self._edges_of(a.shape[1])
        digits, shape = [], []
        outside_rows = np.zeros(a.shape[0], dtype=bool)
        for j, e in enumerate(edges):
            col = a[:, j]
            nb = e.size - 1
            outside_rows |= (col < e[0]) | (col > e[-1])
            digits.append(np.clip(np.searchsorted(e, col, side="right") - 1, 0, nb - 1))
            shape.append(nb)
        flat = np.ravel_multi_index(tuple(digits), tuple(shape))
        keys, counts = np.unique(flat, return_counts=True)
        return keys, counts, int(outside_rows.sum())

    def _add(self, keys: np.ndarray, counts: np.ndarray) -> HistogramState:
        if self.keys is None:
            self.keys, self.counts = keys, counts
            return self
        self.keys, self.counts = _merge_counts(self.keys, self.counts, keys, counts,
                                               self.categorical)
        return self

    def merge(self, other: HistogramState) -> HistogramState:
        """Add another state's counts (same edges / kind); returns ``self``."""
        if not isinstance(other, HistogramState):
            raise TypeError(f"cannot merge HistogramState with {type(other).__name__}")
        _check_same_cells(self, other)
        if other.keys is None:
            return self
        if self.d is not None and other.d != self.d:
            raise ShapeMismatchError(f"HistogramState.merge: {self.d} and {other.d} columns")
        self.d = other.d
        self.n += other.n
        self.outside += other.outside
        return self._add(other.keys.copy(), other.counts.copy())

    def result(self) -> dict[str, Any]:
        """``counts`` (int64, one per occupied cell, in key order), ``categories`` (the
        distinct rows, categorical) or ``bins`` (the bin index per column of every occupied
        cell, numeric), ``n`` and ``outside``."""
        d = self.d or 1
        keys = self.keys if self.keys is not None else (
            np.empty((0, d)) if self.categorical else np.empty(0, dtype=np.int64))
        counts = self.counts if self.counts is not None else np.empty(0, dtype=np.int64)
        out: dict[str, Any] = {"counts": counts.copy(), "n": self.n, "outside": self.outside}
        if self.categorical:
            out["categories"] = keys.copy()
        else:
            shape = tuple(e.size - 1 for e in self._edges_of(d))
            out["bins"] = np.stack(np.unravel_index(keys, shape), axis=1)
        return out

    def __repr__(self) -> str:
        k = 0 if self.keys is None else self.keys.shape[0]
        kind = "categorical" if self.categorical else "binned"
        return f"HistogramState({kind}, n={self.n}, cells={k})"


def _merge_counts(ka: np.ndarray, ca: np.ndarray, kb: np.ndarray, cb: np.ndarray,
                  categorical: bool) -> tuple[np.ndarray, np.ndarray]:
    keys = np.concatenate([ka, kb])
    if categorical:
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    else:
        uniq, inv = np.unique(keys, return_inverse=True)
    counts = np.zeros(uniq.shape[0], dtype=np.int64)
    np.add.at(counts, inv.reshape(-1), np.concatenate([ca, cb]))
    return uniq, counts


def _check_same_cells(a: HistogramState, b: HistogramState) -> None:
    same = a.categorical == b.categorical
    if same and not a.categorical:
        ea = a.edges if isinstance(a.edges, list) else [a.edges]
        eb = b.edges if isinstance(b.edges, list) else [b.edges]
        same = len(ea) == len(eb) and all(
            x.shape == y.shape and np.array_equal(x, y) for x, y in zip(ea, eb, strict=True))
    if not same:
        raise ParameterError("the histogram states have different cells (edges or kind)")


def _pooled_counts(hx: HistogramState, hy: HistogramState) -> tuple[np.ndarray, np.ndarray]:
    """Count vectors of both samples over the occupied cells of the pooled sample, in the
    cell order of :func:`divlab.estimators.plugin.cell_codes` (sorted keys)."""
    keys = np.concatenate([hx.keys, hy.keys])
    if hx.categorical:
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    else:
        uniq, inv = np.unique(keys, return_inverse=True)
    inv = inv.reshape(-1)
    c = uniq.shape[0]
    nx = hx.keys.shape[0]
    kx = np.bincount(inv[:nx], weights=hx.counts, minlength=c).astype(np.float64)
    ky = np.bincount(inv[nx:], weights=hy.counts, minlength=c).astype(np.float64)
    return kx, ky


def plugin_divergence(hx: HistogramState, hy: HistogramState, *, divergence: str = "kl",
                      smoothing: Any = None, correction: Any = None) -> Estimate:
    r"""Plug-in KL or JS from the histogram states of two samples.

    The same estimate as :func:`divlab.estimators.plugin_kl` / ``plugin_js`` on the same
    cells: :math:`\hat p_j = (c^x_j + a)/(n + aC)` over the ``C`` cells occupied in the
    pooled sample, pseudo-count ``a = smoothing`` (default 0.5 for KL, 0 for JS), and for JS
    ``correction="miller-madow"`` or ``"jackknife"`` (smoothing then unused). A sparse table
    (at least 10 cells and ``C > min(n, m)/5``) gives an
    :class:`~divlab.errors.UnreliableEstimateWarning`, as there. No interval (resampling needs
    the samples).

    Parameters
    ----------
    hx, hy : HistogramState
        States of the two samples with the same edges (or both categorical).
    divergence : {"kl", "js"}
    smoothing : float, optional
    correction : None, "miller-madow" or "jackknife"

    Returns
    -------
    Estimate
        ``value``, ``n = (n, m)``, ``details`` with ``cells``, ``smoothing`` (and
        ``first_order_bias`` for JS).

    Examples
    --------
    >>> from divlab.estimators import plugin_kl
    >>> from divlab.streaming.discrete import HistogramState, plugin_divergence
    >>> x, y = [0, 0, 1, 1], [0, 1, 1, 1]
    >>> hx = HistogramState(categorical=True).update(x)
    >>> hy = HistogramState(categorical=True).update(y)
    >>> plugin_divergence(hx, hy).value == plugin_kl(x, y, bins="categorical").value
    True
    """
    if divergence not in ("kl", "js"):
        raise ParameterError(f"`divergence` must be 'kl' or 'js', got {divergence!r}")
    for h, name in ((hx, "hx"), (hy, "hy")):
        if not isinstance(h, HistogramState):
            raise ParameterError(f"`{name}` must be a HistogramState, got {type(h).__name__}")
    _check_same_cells(hx, hy)
    for h, name in ((hx, "x"), (hy, "y")):
        if h.keys is None:
            raise EmptyInputError(f"`{name}` is empty: its histogram has no samples")
    if hx.d != hy.d:
        raise ShapeMismatchError(f"the samples have {hx.d} and {hy.d} columns")
    correction = _check_correction(divergence, correction)
    a = DEFAULT_SMOOTHING[divergence] if smoothing is None else check_nonnegative_scalar(
        smoothing, "smoothing")
    kx, ky = _pooled_counts(hx, hy)
    value, method, details = _plugin_point(divergence, kx, ky, a, correction,
                                           f"{kx.size} cells", stacklevel=3)
    return Estimate(value, None, method, (int(kx.sum()), int(ky.sum())), details, None)


class HistogramPairState:
    """Histogram states of two samples in one state, for :func:`~divlab.streaming.fold_samples`:
    ``update(x=chunk)`` / ``update(y=chunk)``; ``result(**options)`` is
    :func:`plugin_divergence` (``divergence``, ``smoothing``, ``correction``).

    Examples
    --------
    >>> from divlab.streaming.discrete import HistogramPairState
    >>> s = HistogramPairState(categorical=True).update(x=[0, 0]).update(y=[1, 1])
    >>> round(s.result(divergence="js").value, 6)
    0.693147
    """

    def __init__(self, edges: Any = None, *, categorical: Any = False) -> None:
        self.x = HistogramState(edges, categorical=categorical)
        self.y = HistogramState(edges, categorical=categorical)

    def update(self, x: Any = None, y: Any = None) -> HistogramPairState:
        """Add a chunk of either sample (or both); returns ``self``."""
        if x is not None:
            self.x.update(x)
        if y is not None:
            self.y.update(y)
        return self

    def merge(self, other: HistogramPairState) -> HistogramPairState:
        """Add another pair state; returns ``self``."""
        if not isinstance(other, HistogramPairState):
            raise TypeError(f"cannot merge HistogramPairState with {type(other).__name__}")
        self.x.merge(other.x)
        self.y.merge(other.y)
        return self

    def result(self, **options: Any) -> Estimate:
        """:func:`plugin_divergence` of the two samples."""
        return plugin_divergence(self.x, self.y, **options)


def plugin_divergence_from_chunks(x: Any, y: Any, *, edges: Any = None, categorical: Any = False,
                                  divergence: str = "kl", smoothing: Any = None,
                                  correction: Any = None, split_every: int = 8) -> Estimate:
    """Plug-in KL/JS of two samples (NumPy or Dask) through :class:`HistogramPairState` and
    :func:`~divlab.streaming.fold_samples` (one pass, one task per chunk on Dask).

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from divlab.streaming.discrete import plugin_divergence_from_chunks
    >>> x = da.from_array(np.array([0, 0, 1, 1]), chunks=2)
    >>> y = da.from_array(np.array([0, 1, 1, 1]), chunks=3)
    >>> round(plugin_divergence_from_chunks(x, y, categorical=True, smoothing=0).value, 6)
    0.143841
    """
    make = functools.partial(HistogramPairState, edges, categorical=categorical)
    make()  # validate the options before reading data
    state = fold_samples(make, x, y, split_every=split_every)
    return state.result(divergence=divergence, smoothing=smoothing, correction=correction)
