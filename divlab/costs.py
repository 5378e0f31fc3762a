"""Pairwise ground costs between point clouds, computed in row blocks.

The ground metric is always stated: ``"euclidean"`` (‖x − y‖₂, the W1 metric of the
lecture's Kantorovich–Rubinstein duality), ``"sqeuclidean"`` (‖x − y‖₂², W2's cost),
``"cityblock"`` (‖x − y‖₁), ``"minkowski"`` (‖x − y‖_r, with ``r``) and the other metrics of
:func:`scipy.spatial.distance.cdist` that make sense between real vectors
(:data:`CDIST_METRICS`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._array import (
    array_namespace,
    cdist,
    chunk_slices,
    default_chunk_rows,
    device_of,
    to_numpy,
)
from ._validate import (
    argument_hints,
    as_float_array,
    check_choice,
    check_finite,
    check_positive,
    check_sample_pair,
)
from .errors import InputError, ParameterError, ShapeMismatchError

__all__ = ["CDIST_METRICS", "METRICS", "pairwise_cost", "pairwise_cost_unchecked"]

#: Metrics of the transport solvers' point-cloud doors (``metric=`` of ``sinkhorn`` & co.).
METRICS = ("euclidean", "sqeuclidean", "cityblock", "minkowski")

#: Every metric of :func:`pairwise_cost`: SciPy ``cdist`` names, same definitions.
CDIST_METRICS = (
    "euclidean", "sqeuclidean", "cityblock", "minkowski", "chebyshev", "cosine",
    "correlation", "canberra", "braycurtis", "seuclidean", "mahalanobis",
)

# metrics that accept SciPy's weight vector ``w`` (sum_k w_k |x_k - y_k|^r form)
_WEIGHTED = ("euclidean", "sqeuclidean", "cityblock", "minkowski")

# Above this dimension the generic (non-NumPy) path uses the centred Gram expansion.
_EXPANSION_MIN_D = 64


@argument_hints
def pairwise_cost(
    x: Any,
    y: Any,
    *,
    metric: str = "euclidean",
    r: float = 2.0,
    p: float | None = None,
    w: Any = None,
    V: Any = None,  # SciPy's name
    VI: Any = None,  # SciPy's name
    chunk_rows: int | None = None,
) -> Any:
    r"""Cost matrix :math:`C_{ij} = d(x_i, y_j)` between samples ``x`` (n, d) and ``y`` (m, d).

    The metrics and their parameters are those of :func:`scipy.spatial.distance.cdist`
    (same names, same values), with :math:`u = x_i`, :math:`v = y_j`:

    ============== ======================================================================
    metric         :math:`d(u, v)`
    ============== ======================================================================
    euclidean      :math:`\big(\sum_k w_k (u_k-v_k)^2\big)^{1/2}`
    sqeuclidean    :math:`\sum_k w_k (u_k-v_k)^2`
    cityblock      :math:`\sum_k w_k |u_k-v_k|`
    minkowski      :math:`\big(\sum_k w_k |u_k-v_k|^r\big)^{1/r}`, :math:`r \ge 1`
    chebyshev      :math:`\max_k |u_k-v_k|`
    cosine         :math:`1 - u\cdot v / (\|u\|_2\|v\|_2)`
    correlation    cosine of the centred vectors :math:`u-\bar u`, :math:`v-\bar v`
    canberra       :math:`\sum_k |u_k-v_k| / (|u_k|+|v_k|)` (terms 0/0 count 0)
    braycurtis     :math:`\sum_k |u_k-v_k| / \sum_k |u_k+v_k|` (0 for two zero vectors)
    seuclidean     :math:`\big(\sum_k (u_k-v_k)^2 / V_k\big)^{1/2}`
    mahalanobis    :math:`\big((u-v)^\top V\!I\,(u-v)\big)^{1/2}`
    ============== ======================================================================

    (:math:`w_k = 1` without ``w``.) The weighted, standardised and Mahalanobis metrics are
    computed as the unweighted Euclidean/Minkowski metric of linearly mapped points
    (:math:`u_k w_k^{1/r}`, :math:`u_k/\sqrt{V_k}`, :math:`L^\top u` with
    :math:`V\!I = L L^\top`), so they run on every backend.

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d), or 1-D
        Samples; 1-D arrays are read as points on the line.
    metric : str
        One of :data:`CDIST_METRICS` (table above).
    r : float
        Order of the Minkowski norm (``metric="minkowski"`` only), ``r >= 1``.
    p : float, optional
        SciPy's name for ``r``; give one of the two.
    w : array_like, shape (d,), optional
        Non-negative coordinate weights (``euclidean``, ``sqeuclidean``, ``cityblock``,
        ``minkowski``).
    V : array_like, shape (d,), optional
        Positive variances of ``seuclidean``; default as SciPy: the per-coordinate sample
        variance (``ddof=1``) of the stacked ``x`` and ``y``.
    VI : array_like, shape (d, d), optional
        Symmetric positive semidefinite inverse covariance of ``mahalanobis``; default as
        SciPy: the inverse of the sample covariance of the stacked ``x`` and ``y`` (needs
        more than d points in all).
    chunk_rows : int, optional
        Rows of ``x`` processed per block (bounded temporary memory); chosen automatically.

    Returns
    -------
    cost : array, shape (n, m)
        Same namespace, device and float dtype as the inputs. On NumPy computed by
        :func:`scipy.spatial.distance.cdist`; elsewhere with array-API operations in row
        blocks.

    Raises
    ------
    ParameterError
        Unknown metric, a parameter given for a metric that does not take it, ``r < 1``,
        negative weights, non-positive variances, a ``VI`` that is not symmetric positive
        semidefinite, too few points for the default ``VI``.
    InputError
        ``cosine`` with a zero row, ``correlation`` with a constant row, where the metric
        is undefined; the usual sample checks (NaN, shapes, dtypes).

    Examples
    --------
    >>> pairwise_cost([[0.0, 0.0]], [[3.0, 4.0]])
    array([[5.]])
    >>> pairwise_cost([[1.0, 0.0]], [[0.0, 2.0], [3.0, 0.0]], metric="cosine")
    array([[1., 0.]])
    >>> pairwise_cost([[0.0, 0.0]], [[3.0, 4.0]], metric="minkowski", p=1)
    array([[7.]])
    """
    xp, x, y = check_sample_pair(x, y)
    check_choice(metric, "metric", CDIST_METRICS)
    if p is not None:
        if r != 2.0 and r != p:
            raise ParameterError(f"give the Minkowski order once: `r`={r!r} and `p`={p!r}")
        r = p
    for name, value, takes in (("w", w, _WEIGHTED), ("V", V, ("seuclidean",)),
                               ("VI", VI, ("mahalanobis",))):
        if value is not None and metric not in takes:
            raise ParameterError(
                f"`{name}` applies to metric {' / '.join(repr(t) for t in takes)}, "
                f"not to {metric!r}"
            )
    if (r != 2.0 or p is not None) and metric != "minkowski":
        raise ParameterError(f"`r` / `p` applies to metric 'minkowski', not to {metric!r}")
    if metric == "minkowski":
        r = check_positive(r, "r")
        if r < 1:
            raise ParameterError(f"`r` must be >= 1 for a metric, got {r}")
    d = x.shape[1]
    if w is not None:
        wv = _param_vector(w, "w", d, x, xp)
        if bool(xp.any(wv < 0)):
            raise ParameterError("`w`: weights must be >= 0")
        power = {"cityblock": 1.0, "minkowski": r}.get(metric, 2.0)
        scale = wv ** (1.0 / power)
        x, y = x * scale, y * scale
    elif metric == "seuclidean":
        if V is None:
            both = xp.concat([x, y], axis=0)
            if both.shape[0] < 2:
                raise ParameterError("`V` is needed for 'seuclidean' with a single point")
            vv = xp.var(both, axis=0, correction=1)
        else:
            vv = _param_vector(V, "V", d, x, xp)
        if not bool(xp.all(vv > 0)):
            raise ParameterError(
                "`V`: the variances of 'seuclidean' must be > 0"
                + ("" if V is not None else " (a coordinate is constant over x and y)")
            )
        x, y = x / xp.sqrt(vv), y / xp.sqrt(vv)
        metric = "euclidean"
    elif metric == "mahalanobis":
        factor = _mahalanobis_factor(VI, x, y, xp)
        x, y = x @ factor, y @ factor
        metric = "euclidean"
    elif metric in ("cosine", "correlation"):
        for name, a in (("x", x), ("y", y)):
            u = a - xp.mean(a, axis=1, keepdims=True) if metric == "correlation" else a
            zero = xp.all(u == 0, axis=1)
            if bool(xp.any(zero)):
                i = int(to_numpy(xp.argmax(xp.astype(zero, xp.int32))))
                what = "constant" if metric == "correlation" else "zero"
                raise InputError(
                    f"metric {metric!r} is undefined for a {what} vector: row {i} of `{name}`"
                )
    out = pairwise_cost_unchecked(x, y, xp, metric=metric, r=r, chunk_rows=chunk_rows)
    if metric == "braycurtis":  # 0/0 for two zero vectors (SciPy: NaN): identical points
        out = xp.where(xp.isnan(out), xp.zeros_like(out), out)
    return out


def _param_array(v: Any, name: str, x: Any, xp: Any) -> Any:
    """A parameter (``w``, ``V``, ``VI``) as a float array of ``x``'s namespace and device;
    one given in another namespace (e.g. NumPy weights for PyTorch points) is copied over."""
    a = as_float_array(v, name)
    if array_namespace(a) is not xp:
        a = xp.asarray(np.asarray(to_numpy(a)), device=device_of(x))
    return a


def _param_vector(v: Any, name: str, d: int, x: Any, xp: Any) -> Any:
    a = _param_array(v, name, x, xp)
    if tuple(a.shape) != (d,):
        raise ShapeMismatchError(f"`{name}` must have shape ({d},), got {tuple(a.shape)}")
    check_finite(a, name, xp)
    return xp.astype(a, x.dtype)


def _mahalanobis_factor(vi: Any, x: Any, y: Any, xp: Any) -> Any:
    """``L`` (d, d) with ``VI = L L^T`` (``VI`` checked symmetric PSD, or SciPy's default)."""
    d = x.shape[1]
    if not hasattr(getattr(xp, "linalg", None), "eigh"):
        ok = ", ".join(repr(m) for m in CDIST_METRICS if m != "mahalanobis")
        raise ParameterError(
            f"metric 'mahalanobis' needs `linalg.eigh`, which the namespace "
            f"{getattr(xp, '__name__', xp)} lacks; supported there: {ok}"
        )
    if vi is None:
        both = xp.concat([x, y], axis=0)
        if both.shape[0] <= d:
            raise ParameterError(
                f"the default `VI` of 'mahalanobis' needs more than d = {d} points "
                f"(got {both.shape[0]}); pass `VI`"
            )
        c = both - xp.mean(both, axis=0)
        cov = (c.T @ c) / float(both.shape[0] - 1)
        lam, q = xp.linalg.eigh((cov + cov.T) / 2)
        if not bool(lam[0] > 0):
            raise ParameterError(
                "the sample covariance of x and y is singular: pass `VI` for 'mahalanobis'"
            )
        return q / xp.sqrt(lam)[None, :]  # (Q L^{-1/2}) (Q L^{-1/2})^T = cov^{-1}
    a = _param_array(vi, "VI", x, xp)
    if tuple(a.shape) != (d, d):
        raise ShapeMismatchError(f"`VI` must have shape ({d}, {d}), got {tuple(a.shape)}")
    check_finite(a, "VI", xp)
    a = xp.astype(a, x.dtype)
    top = float(to_numpy(xp.max(xp.abs(a))))
    eps = float(xp.finfo(a.dtype).eps)
    if float(to_numpy(xp.max(xp.abs(a - a.T)))) > 100 * eps * top:
        raise ParameterError("`VI` must be symmetric")
    lam, q = xp.linalg.eigh((a + a.T) / 2)
    if float(to_numpy(lam[0])) < -100 * d * eps * top:
        raise ParameterError(
            f"`VI` must be positive semidefinite (smallest eigenvalue "
            f"{float(to_numpy(lam[0])):.3g})"
        )
    return q * xp.sqrt(xp.maximum(lam, xp.zeros_like(lam)))[None, :]


def pairwise_cost_unchecked(
    x: Any, y: Any, xp: Any = None, *, metric: str = "euclidean", r: float = 2.0,
    chunk_rows: int | None = None,
) -> Any:
    """:func:`pairwise_cost` on already validated 2-D arrays (internal fast path).

    Costs are computed from exact coordinate differences (no ``|x|^2 + |y|^2 - 2 x.y``
    expansion, which loses all relative precision for nearby points): on NumPy with
    :func:`scipy.spatial.distance.cdist` (the strategy is chosen by
    :func:`divlab._array.cdist`), elsewhere by accumulating one coordinate at a time in row
    blocks (:func:`_pairwise_generic`). Only for ``d > 64`` does the generic path use the
    expansion, on data centred at their joint mean, clamped at 0.
    """
    xp = xp or array_namespace(x, y)
    return cdist(x, y, xp, metric=metric, r=r,
                 generic=lambda u, v: _pairwise_generic(u, v, xp, metric, r, chunk_rows))


def _pairwise_generic(x: Any, y: Any, xp: Any, metric: str, r: float,
                      chunk_rows: int | None) -> Any:
    """:func:`pairwise_cost_unchecked` with ``xp`` operations only (any namespace)."""
    n, d = x.shape
    m = y.shape[0]
    if metric in ("euclidean", "sqeuclidean") and d > _EXPANSION_MIN_D:
        shift = (xp.sum(x, axis=0) + xp.sum(y, axis=0)) / (n + m)
        xc, yc = x - shift, y - shift
        xx = xp.sum(xc * xc, axis=1)[:, None]
        yy = xp.sum(yc * yc, axis=1)[None, :]
        sq = xx + yy - 2.0 * (xc @ yc.T)
        sq = xp.maximum(sq, xp.zeros_like(sq))
        return xp.sqrt(sq) if metric == "euclidean" else sq
    rows = chunk_rows or default_chunk_rows(m)
    if metric in ("cosine", "correlation"):
        if metric == "correlation":
            x = x - xp.mean(x, axis=1, keepdims=True)
            y = y - xp.mean(y, axis=1, keepdims=True)
        yn = y / xp.sqrt(xp.sum(y * y, axis=1, keepdims=True))
        out = []
        for sl in chunk_slices(n, rows):
            xs = x[sl, :]
            xn = xs / xp.sqrt(xp.sum(xs * xs, axis=1, keepdims=True))
            c = 1.0 - xn @ yn.T
            out.append(xp.clip(c, 0.0, 2.0))
        return xp.concat(out, axis=0) if len(out) > 1 else out[0]
    out = []
    for sl in chunk_slices(n, rows):
        acc = None
        den = None
        for k in range(d):
            xk = x[sl, k:k + 1]
            yk = xp.reshape(y[:, k], (1, m))
            diff = xk - yk
            if metric in ("euclidean", "sqeuclidean"):
                term = diff * diff
            elif metric in ("cityblock", "chebyshev", "braycurtis"):
                term = xp.abs(diff)
            elif metric == "canberra":
                s = xp.abs(xk) + xp.abs(yk)
                pos = s > 0
                term = xp.where(pos, xp.abs(diff) / xp.where(pos, s, xp.ones_like(s)),
                                xp.zeros_like(s))
            else:
                term = xp.abs(diff) ** r
            if metric == "braycurtis":
                t2 = xp.abs(xk + yk)
                den = t2 if den is None else den + t2
            if acc is None:
                acc = term
            elif metric == "chebyshev":
                acc = xp.maximum(acc, term)
            else:
                acc = acc + term
        if metric == "euclidean":
            acc = xp.sqrt(acc)
        elif metric == "minkowski":
            acc = acc ** (1.0 / r)
        elif metric == "braycurtis":
            acc = acc / den
        out.append(acc)
    return xp.concat(out, axis=0) if len(out) > 1 else out[0]
