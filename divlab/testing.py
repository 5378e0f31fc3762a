"""Hypothesis strategies for testing code that uses divergences.

These strategies generate the inputs on which divergence code usually breaks: vectors
with zeros, entries spanning many orders of magnitude, near-identical pairs, disjoint
supports and float32 data. They are public API (``divlab.testing``) and need the
``hypothesis`` package (``pip install hypothesis``), which divlab itself does not
require.

Examples
--------
>>> from hypothesis import given
>>> from divlab.testing import pmf_pairs
>>> from divlab import js
>>> @given(pmf_pairs(kind="disjoint"))
... def test_js_disjoint(pair):
...     p, q = pair
...     assert abs(float(js(p, q)) - 0.6931471805599453) < 1e-12
>>> test_js_disjoint()
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as exc:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "divlab.testing needs the 'hypothesis' package: pip install hypothesis"
    ) from exc

__all__ = ["probability_vectors", "pmf_pairs", "point_clouds", "PAIR_KINDS"]

#: Kinds of pairs :func:`pmf_pairs` can draw.
PAIR_KINDS = (
    "generic",
    "near_identical",
    "identical",
    "proportional",
    "disjoint",
    "zeros",
    "any",
)

_TOL = 1e-7  # generated vectors sum to 1 within this (the library accepts 1e-6)


def _check_dtype(dtype: Any) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"`dtype` must be float32 or float64, got {dt}")
    return dt


def _normalize(w: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Normalise non-negative float64 weights in ``dtype`` so the float64 sum is ~1."""
    p = (w / w.sum()).astype(dtype)
    p = (p / p.sum(dtype=np.float64)).astype(dtype)
    err = 1.0 - float(p.sum(dtype=np.float64))
    if abs(err) > _TOL:  # float32 rounding: put the remainder on the largest entry
        i = int(np.argmax(p))
        p[i] = dtype.type(float(p[i]) + err)
    return p


def _weights(size: int, allow_zeros: bool) -> st.SearchStrategy[np.ndarray]:
    """Non-negative float64 weights spanning many orders of magnitude."""
    elems = [
        st.floats(1e-3, 1.0, allow_nan=False, allow_infinity=False),
        st.floats(1e-12, 1e-3, allow_nan=False, allow_infinity=False),
    ]
    if allow_zeros:
        elems.append(st.just(0.0))
    return hnp.arrays(np.float64, size, elements=st.one_of(*elems)).filter(
        lambda w: w.max() >= 1e-3
    )


def _sizes(n: int | None, min_size: int, max_size: int) -> st.SearchStrategy[int]:
    if n is not None:
        if int(n) < 1:
            raise ValueError(f"`n` must be >= 1, got {n}")
        return st.just(int(n))
    if not 1 <= min_size <= max_size:
        raise ValueError(f"need 1 <= `min_size` <= `max_size`, got {min_size}, {max_size}")
    return st.integers(min_size, max_size)


def probability_vectors(
    n: int | None = None,
    *,
    min_size: int = 1,
    max_size: int = 20,
    dtype: Any = np.float64,
    allow_zeros: bool = True,
) -> st.SearchStrategy[np.ndarray]:
    """Strategy for 1-D probability vectors (non-negative, summing to 1).

    Entries span about twelve orders of magnitude (uniform on ``[1e-3, 1]`` mixed with
    ``[1e-12, 1e-3]``) and may be exactly zero; the largest entry is at least ``1e-3``
    of the total before normalisation. The float64 sum of the result is 1 within
    ``1e-7``, also for float32 vectors.

    Parameters
    ----------
    n : int, optional
        Fixed length. If None, the length is drawn from ``[min_size, max_size]``.
    min_size, max_size : int
        Length range when ``n`` is None.
    dtype : {numpy.float64, numpy.float32}
        dtype of the generated arrays.
    allow_zeros : bool, default True
        Allow exact zeros (at least one entry is always positive).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Strategy producing ``numpy.ndarray`` of shape ``(n,)``.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(probability_vectors(n=5, allow_zeros=False))
    ... def test_positive(p):
    ...     assert p.shape == (5,) and (p > 0).all() and abs(p.sum() - 1) < 1e-7
    >>> test_positive()
    """
    dt = _check_dtype(dtype)

    @st.composite
    def draw_vec(draw):
        size = draw(_sizes(n, min_size, max_size))
        w = draw(_weights(size, allow_zeros))
        p = _normalize(w, dt)
        if not allow_zeros and (p == 0).any():  # float32 underflow of tiny entries
            p = _normalize(np.maximum(p.astype(np.float64), 1e-12), dt)
        return p

    return draw_vec()


@st.composite
def _pair(draw, kind: str, n, min_size: int, max_size: int, dt: np.dtype):
    if kind == "any":
        kind = draw(st.sampled_from([k for k in PAIR_KINDS if k not in ("any", "proportional")]))
    lo = 2 if kind == "disjoint" else min_size
    size = draw(_sizes(n, max(lo, min_size), max(max_size, lo)))
    if kind == "generic":
        p = draw(probability_vectors(size, dtype=dt, allow_zeros=False))
        q = draw(probability_vectors(size, dtype=dt, allow_zeros=False))
    elif kind == "zeros":
        p = draw(probability_vectors(size, dtype=dt, allow_zeros=True))
        q = draw(probability_vectors(size, dtype=dt, allow_zeros=True))
    elif kind == "identical":
        p = draw(probability_vectors(size, dtype=dt, allow_zeros=True))
        q = p.copy()
    elif kind == "proportional":
        p = draw(probability_vectors(size, dtype=dt, allow_zeros=True))
        c = draw(st.sampled_from([1e-3, 0.5, 2.0, 7.0, 1e3]))
        q = (p.astype(np.float64) * c).astype(dt)
    elif kind == "near_identical":
        p = draw(probability_vectors(size, dtype=dt, allow_zeros=False))
        rel = draw(st.sampled_from([1e-12, 1e-9, 1e-6, 1e-4, 1e-2]))
        if dt == np.float32:
            rel = max(rel, 1e-6)
        noise = draw(hnp.arrays(np.float64, size, elements=st.floats(-1.0, 1.0)))
        q = _normalize(p.astype(np.float64) * (1.0 + rel * noise), dt)
    elif kind == "disjoint":
        mask = draw(hnp.arrays(np.bool_, size).filter(lambda m: 0 < m.sum() < m.size))
        w1 = draw(_weights(size, False))
        w2 = draw(_weights(size, False))
        p = _normalize(np.where(mask, w1, 0.0), dt)
        q = _normalize(np.where(mask, 0.0, w2), dt)
    else:
        raise ValueError(f"`kind` must be one of {PAIR_KINDS}, got {kind!r}")
    return p, q


def pmf_pairs(
    kind: str = "any",
    *,
    n: int | None = None,
    min_size: int = 1,
    max_size: int = 20,
    dtype: Any = np.float64,
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """Strategy for pairs ``(p, q)`` of probability vectors of equal length.

    Parameters
    ----------
    kind : str, default "any"
        ``"generic"``: independent, strictly positive vectors.
        ``"near_identical"``: ``q = p (1 + r e)`` renormalised, ``e`` uniform in
        ``[-1, 1]`` and relative size ``r`` from ``1e-12`` to ``1e-2`` (at least ``1e-6``
        for float32); the regime where naive formulas cancel to negative values or NaN.
        ``"identical"``: ``q`` is a copy of ``p`` (zeros allowed).
        ``"proportional"``: ``q = c p`` with ``c`` in ``{1e-3, 0.5, 2, 7, 1e3}`` --
        *not* normalised; meant for ``normalize=True``.
        ``"disjoint"``: supports are disjoint (length >= 2).
        ``"zeros"``: independent vectors that may contain zeros (so ``q = 0 < p``
        happens). ``"any"``: one of the normalised kinds above.
    n : int, optional
        Fixed length; otherwise drawn from ``[min_size, max_size]``.
    min_size, max_size : int
        Length range when ``n`` is None.
    dtype : {numpy.float64, numpy.float32}
        dtype of both arrays.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Strategy producing tuples ``(p, q)`` of ``numpy.ndarray``.

    Examples
    --------
    >>> from hypothesis import given
    >>> from divlab import kl
    >>> @given(pmf_pairs(kind="near_identical"))
    ... def test_kl_nonnegative(pair):
    ...     assert float(kl(*pair)) >= 0.0
    >>> test_kl_nonnegative()
    """
    if kind not in PAIR_KINDS:
        raise ValueError(f"`kind` must be one of {PAIR_KINDS}, got {kind!r}")
    return _pair(kind, n, min_size, max_size, _check_dtype(dtype))


def point_clouds(
    n: int | None = None,
    d: int | None = None,
    *,
    min_n: int = 1,
    max_n: int = 30,
    min_d: int = 1,
    max_d: int = 4,
    dtype: Any = np.float64,
    bound: float = 10.0,
    allow_duplicates: bool = True,
) -> st.SearchStrategy[np.ndarray]:
    """Strategy for sample sets: finite float arrays of shape ``(n, d)``.

    Coordinates are drawn from ``[-bound, bound]`` (with repeated points when
    ``allow_duplicates``, which is where k-NN estimators and OT solvers get ties). With
    ``allow_duplicates=False`` row ``i`` is shifted by ``i * 1e-3`` (a larger step only if
    that creates new ties) when the draw has repeated rows, so coordinates may exceed
    ``bound`` slightly.

    Parameters
    ----------
    n, d : int, optional
        Fixed number of points / dimension; otherwise drawn from the ranges below.
    min_n, max_n, min_d, max_d : int
        Ranges used when ``n`` or ``d`` is None.
    dtype : {numpy.float64, numpy.float32}
        dtype of the array.
    bound : float, default 10.0
        Coordinates lie in ``[-bound, bound]``.
    allow_duplicates : bool, default True
        If False, all rows are distinct.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Strategy producing ``numpy.ndarray`` of shape ``(n, d)``.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(point_clouds(n=5, d=2))
    ... def test_shape(x):
    ...     assert x.shape == (5, 2)
    >>> test_shape()
    """
    dt = _check_dtype(dtype)
    if not bound > 0:
        raise ValueError(f"`bound` must be > 0, got {bound}")
    if not bound <= float(np.finfo(dt).max):
        raise ValueError(f"`bound` = {bound!r} exceeds the largest finite {dt.name}")
    # the largest value of the dtype that is <= bound (float32(0.1) > 0.1)
    b = dt.type(bound)
    if float(b) > bound:
        b = np.nextafter(b, dt.type(0))
    width = 8 * dt.itemsize

    @st.composite
    def draw_cloud(draw):
        nn = draw(_sizes(n, min_n, max_n))
        dd = draw(_sizes(d, min_d, max_d))
        elems = st.floats(-float(b), float(b), allow_nan=False, allow_infinity=False,
                          width=width)
        x = draw(hnp.arrays(dt, (nn, dd), elements=elems))
        if not allow_duplicates:
            base = x.astype(np.float64)
            step = 1e-3
            while np.unique(x, axis=0).shape[0] < nn and step < 1.0:
                # spread rows apart deterministically (irrational-ish steps avoid new ties)
                x = (base + np.arange(nn)[:, None] * step).astype(dt)
                step *= math.pi
        return x

    strategy = draw_cloud()
    if not allow_duplicates:
        strategy = strategy.filter(lambda x: np.unique(x, axis=0).shape[0] == x.shape[0])
    return strategy
