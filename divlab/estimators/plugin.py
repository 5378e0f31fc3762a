r"""Plug-in estimators for discrete/categorical data and histograms.

The samples are turned into cell counts :math:`c^x_j, c^y_j` over the cells
:math:`j = 1..C` seen in the *pooled* sample, then the exact divergences of
:mod:`divlab.discrete` are evaluated on the estimated probability vectors

.. math::
    \hat p_j = \frac{c^x_j + a}{n + aC}, \qquad \hat q_j = \frac{c^y_j + a}{m + aC},

with pseudo-count ``a`` (``smoothing``). Cells:

* ``bins="categorical"``: every distinct row of the pooled sample is a category (exact for
  discrete data with finitely many values);
* ``bins="fd"``: a histogram with the Freedman–Diaconis rule on the pooled sample, per
  coordinate (bin width :math:`2\,\mathrm{IQR}\,N^{-1/3}`; at most
  ``floor(10**6 ** (1/d))`` and 512 bins per coordinate; the Sturges rule when the IQR is
  0), so KL/JS of the *discretised* distributions is estimated — by the data-processing
  inequality this is at most the continuous divergence;
* an ``int``: that many equal-width bins per coordinate over the pooled range;
* ``"auto"``: categorical when the pooled sample has at most 256 distinct rows and is
  integer-valued or has at most ``N/4`` distinct rows (:func:`is_categorical`), else
  ``"fd"``.

Plug-in KL is infinite as soon as a cell has :math:`\hat q_j = 0 < \hat p_j`; the default
``smoothing=0.5`` (Krichevsky–Trofimov / Jeffreys prior) keeps it finite. JS is always
finite and uses ``smoothing=0`` by default.

Check once: :func:`plugin_kl`, :func:`plugin_js` and :func:`cell_codes` validate their
arguments, make the host float64 copies (no copy for NumPy float64 input) and call the
kernels ``_plugin`` and ``_cell_codes``, which :func:`divlab.compare` calls directly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._array import host_float64
from .._validate import check_int, check_nonnegative_scalar, check_rng, check_sample_pair
from ..errors import ParameterError
from ._result import Estimate
from .resampling import (
    basic_interval,
    check_alpha,
    half_sample_masks,
    permutation_labels,
    permutation_pvalue,
)

__all__ = ["plugin_kl", "plugin_js", "cell_codes", "is_categorical"]

_MAX_CELLS = 10**6
#: Default pseudo-counts of :func:`plugin_kl` and :func:`plugin_js`.
DEFAULT_SMOOTHING = {"kl": 0.5, "js": 0.0}


def is_categorical(z: np.ndarray) -> bool:
    """True for data that look categorical.

    That is: at most 256 distinct rows, and either every value is an integer or there are
    at most ``N/4`` distinct rows (``N`` = number of rows).
    """
    z = np.asarray(z)
    n_unique = np.unique(z, axis=0).shape[0]
    if n_unique > 256:
        return False
    return bool(np.all(np.floor(z) == z)) or n_unique <= z.shape[0] / 4


def _check_bins(bins: Any) -> Any:
    if isinstance(bins, str):
        if bins not in ("auto", "categorical", "fd"):
            raise ParameterError(
                f"`bins`={bins!r} is not one of 'auto', 'categorical', 'fd' or an int")
        return bins
    return check_int(bins, "bins", min_value=1)


def cell_codes(x: Any, y: Any, *, bins: Any = "auto") -> tuple[np.ndarray, np.ndarray, int, str]:
    """Cell index of every sample point: ``(codes_x, codes_y, n_cells, description)``."""
    xp, x, y = check_sample_pair(x, y)
    bins = _check_bins(bins)
    return _cell_codes(host_float64(x, xp), host_float64(y, xp), bins)


def _cell_codes(xn: np.ndarray, yn: np.ndarray, bins: Any
                ) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Kernel of :func:`cell_codes`: host float64 samples (n, d), (m, d); ``bins`` validated."""
    z = np.concatenate([xn, yn])
    if bins == "auto":
        bins = "categorical" if is_categorical(z) else "fd"
    if bins == "categorical":
        _, inv = np.unique(z, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
        n_cells = int(inv.max()) + 1
        return inv[: xn.shape[0]], inv[xn.shape[0]:], n_cells, f"categorical ({n_cells} categories)"
    d = z.shape[1]
    per_dim_cap = max(1, min(512, int(_MAX_CELLS ** (1.0 / d))))
    shape, digits = [], []
    for j in range(d):
        col = z[:, j]
        lo, hi = float(col.min()), float(col.max())
        if bins == "fd":
            q75, q25 = np.percentile(col, [75, 25])
            width = 2.0 * (q75 - q25) * z.shape[0] ** (-1.0 / 3.0)
            nb = math.ceil((hi - lo) / width) if width > 0 else math.ceil(math.log2(z.shape[0]) + 1)
        else:
            nb = bins
        nb = max(1, min(int(nb), per_dim_cap))
        edges = np.linspace(lo, hi, nb + 1) if hi > lo else np.array([lo, lo + 1.0])
        nb = edges.size - 1
        digits.append(np.clip(np.searchsorted(edges, col, side="right") - 1, 0, nb - 1))
        shape.append(nb)
    flat = np.ravel_multi_index(tuple(digits), tuple(shape))
    _, inv = np.unique(flat, return_inverse=True)  # keep only occupied cells
    n_cells = int(inv.max()) + 1
    desc = ("Freedman-Diaconis" if bins == "fd" else f"{bins} equal-width") + \
        f" histogram ({'x'.join(map(str, shape))} bins, {n_cells} occupied)"
    return inv[: xn.shape[0]], inv[xn.shape[0]:], n_cells, desc


def _batch_counts(codes: np.ndarray, masks: np.ndarray, n_cells: int) -> np.ndarray:
    b, i = np.nonzero(masks)
    flat = b * n_cells + codes[i]
    return np.bincount(flat, minlength=masks.shape[0] * n_cells).reshape(masks.shape[0], n_cells)


def _probs(counts: np.ndarray, a: float) -> np.ndarray:
    c = counts + a
    return c / c.sum(axis=-1, keepdims=True)


def _kernel(name: str):
    """The trusted row kernel of the exact divergence (the probability vectors built here are
    valid by construction, so they are not validated again)."""
    import array_api_compat.numpy as npx

    from ..fdiv.engine import divergence_kernel
    from ..fdiv.entries import JS, KL

    fd = KL if name == "kl" else JS

    def fn(p: np.ndarray, q: np.ndarray, axis: int = -1) -> np.ndarray:
        rows = divergence_kernel(fd, np.atleast_2d(p), np.atleast_2d(q), npx)
        return rows if p.ndim == 2 else rows[0]

    return fn


def _plugin_door(name: str, x, y, bins, smoothing, n_resamples, alpha, rng) -> Estimate:
    """Validation shared by :func:`plugin_kl` and :func:`plugin_js`, then :func:`_plugin`."""
    a = check_nonnegative_scalar(smoothing, "smoothing")
    n_resamples = check_int(n_resamples, "n_resamples", min_value=0)
    alpha = check_alpha(alpha)
    gen = check_rng(rng)
    xp, x, y = check_sample_pair(x, y)
    bins = _check_bins(bins)
    return _plugin(name, host_float64(x, xp), host_float64(y, xp), bins=bins, smoothing=a,
                   n_resamples=n_resamples, alpha=alpha, gen=gen)


def _plugin(name: str, xn: np.ndarray, yn: np.ndarray, *, bins: Any, smoothing: float,
            n_resamples: int, alpha: float, gen: np.random.Generator) -> Estimate:
    """Kernel of :func:`plugin_kl` (``name="kl"``) and :func:`plugin_js` (``"js"``): host
    float64 samples, validated ``bins``, pseudo-count ``smoothing`` and resampling options."""
    fn = _kernel(name)
    a = smoothing
    cx, cy, C, desc = _cell_codes(xn, yn, bins)
    n, m = cx.size, cy.size
    p = _probs(np.bincount(cx, minlength=C).astype(np.float64), a)
    q = _probs(np.bincount(cy, minlength=C).astype(np.float64), a)
    value = float(fn(p, q))
    method = f"plug-in {name.upper()} on {desc}" + (f", pseudo-count {a:g}" if a else "")
    details: dict[str, Any] = {"cells": C, "binning": desc, "smoothing": a}
    ci = pval = None
    if n_resamples:
        mx, my = half_sample_masks(n, n_resamples, gen), half_sample_masks(m, n_resamples, gen)
        P = _probs(_batch_counts(cx, mx, C).astype(np.float64), a)
        Q = _probs(_batch_counts(cy, my, C).astype(np.float64), a)
        stats = np.asarray(fn(P, Q, axis=-1), dtype=np.float64)
        ci = basic_interval(value, stats, alpha=alpha, fraction=0.5 * (mx[0].mean() + my[0].mean()))
        ci = (max(ci[0], 0.0), ci[1])
        cz = np.concatenate([cx, cy])
        labels = permutation_labels(n, m, n_resamples, gen)
        cxp = _batch_counts(cz, labels, C).astype(np.float64)
        total = np.bincount(cz, minlength=C).astype(np.float64)
        perm = np.asarray(fn(_probs(cxp, a), _probs(total - cxp, a), axis=-1), dtype=np.float64)
        pval = permutation_pvalue(value, perm)
        details.update(ci_method="half-sampling basic interval", n_resamples=n_resamples)
    return Estimate(value, ci, method, (n, m), details, pval)


def plugin_kl(
    x: Any,
    y: Any,
    *,
    bins: Any = "auto",
    smoothing: float = DEFAULT_SMOOTHING["kl"],
    n_resamples: int = 0,
    alpha: float = 0.05,
    rng: Any = None,
) -> Estimate:
    r"""Plug-in :math:`KL(\hat p\|\hat q)` from cell counts (module docstring for the cells).

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d)
        Samples (categorical values, or continuous values to be binned).
    bins : "auto", "categorical", "fd" or int
        Cell definition.
    smoothing : float
        Pseudo-count ``a >= 0`` added to every cell of both samples (0: raw frequencies,
        KL may then be ``inf``).
    n_resamples, alpha, rng
        Half-sampling CI and permutation p-value.

    Returns
    -------
    Estimate

    Examples
    --------
    >>> x = [0, 0, 1, 1]
    >>> y = [0, 1, 1, 1]
    >>> from divlab.discrete import kl
    >>> bool(abs(plugin_kl(x, y, smoothing=0).value - float(kl([0.5, 0.5], [0.25, 0.75]))) < 1e-12)
    True
    """
    return _plugin_door("kl", x, y, bins, smoothing, n_resamples, alpha, rng)


def plugin_js(
    x: Any,
    y: Any,
    *,
    bins: Any = "auto",
    smoothing: float = DEFAULT_SMOOTHING["js"],
    n_resamples: int = 0,
    alpha: float = 0.05,
    rng: Any = None,
) -> Estimate:
    r"""Plug-in :math:`JS(\hat p, \hat q)` from cell counts (module docstring for the cells).

    Parameters
    ----------
    x, y, bins, smoothing, n_resamples, alpha, rng
        As in :func:`plugin_kl` (``smoothing`` defaults to 0 here: JS is always finite).

    Returns
    -------
    Estimate
        In nats, between 0 and log 2.

    Examples
    --------
    >>> round(plugin_js([0, 0], [1, 1]).value, 6)  # disjoint: log 2
    0.693147
    """
    return _plugin_door("js", x, y, bins, smoothing, n_resamples, alpha, rng)
