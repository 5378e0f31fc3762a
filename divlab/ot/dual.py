r"""Dual side of exact optimal transport: the Kantorovich–Rubinstein witness and a dual LP.

Kantorovich–Rubinstein duality (the lecture's WGAN motivation): for a metric ground cost,

.. math::

    W_1(P, Q) = \min_{\gamma \in \Pi(P, Q)} \mathbb E_\gamma\, d(x, y)
              = \sup_{\|\varphi\|_L \le 1} \mathbb E_P\, \varphi - \mathbb E_Q\, \varphi .

:func:`kr_witness` returns a maximiser :math:`\varphi` built from exact Kantorovich potentials,
:func:`dual_lp` solves the dual linear program independently with HiGHS (a certificate for
tests and small problems).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array import (
    array_namespace,
    chunk_slices,
    coordinate_scale,
    default_chunk_rows,
    from_numpy,
    result_float_dtype,
    to_numpy,
)
from .._validate import (
    argument_hints,
    check_choice,
    check_cost_matrix,
    check_int,
    check_matrix_memory,
    check_sample_pair,
    check_weights,
)
from ..costs import pairwise_cost_unchecked
from ..errors import EstimationError, NormalizationError
from ._result import OTResult, _fmt, _shape, result_number, summary
from .exact import _MEMORY_ALTERNATIVES, _W_METRICS, _emd_host, _host_mass, c_transform

__all__ = ["KRWitness", "kr_witness", "dual_lp"]


@dataclass(frozen=True, repr=False)
class KRWitness:
    r"""A 1-Lipschitz Kantorovich–Rubinstein witness :math:`\varphi` for :math:`W_1(P, Q)`.

    .. math::

        \varphi(z) = \min_k \big(\varphi_k + d(z, s_k)\big),

    the smallest 1-Lipschitz extension of the values :math:`\varphi_k` on the support points
    :math:`s_k` (the samples of ``x`` followed by those of ``y``). It is 1-Lipschitz on the
    whole space and :math:`\mathbb E_P \varphi - \mathbb E_Q \varphi = W_1(P, Q)`.

    Attributes
    ----------
    support : array, shape (n + m, d)
        Support points: ``x`` then ``y``.
    values : array, shape (n + m,)
        :math:`\varphi` at the support points.
    value : numpy scalar or 0-d array
        :math:`W_1(P, Q)` (the primal optimum): a NumPy scalar of the samples' float dtype
        for NumPy input, else a 0-d array of their namespace. ``float(witness)`` is the value.
    metric : str
        Ground metric.
    n_x : int
        Number of points of ``x`` (the first ``n_x`` rows of ``support``).
    scale : float
        Power of two by which coordinates (and values) are divided internally before any
        distance is computed, so huge or tiny coordinates neither overflow nor underflow
        (:math:`\varphi` is 1-homogeneous: :math:`\varphi(z) = s\,\varphi_s(z / s)`);
        1.0 for ordinary data. ``support``, ``values``, ``value`` and every evaluation are
        in the original units.

    The repr shows shapes and summary numbers, never the support or the values.
    """

    support: Any
    values: Any
    value: Any
    metric: str
    n_x: int
    scale: float = 1.0

    def __float__(self) -> float:
        return float(np.asarray(to_numpy(self.value)))

    def __repr__(self) -> str:
        return summary("KRWitness", [
            [("value", _fmt(self.value)), ("metric", repr(self.metric)), ("n_x", str(self.n_x)),
             ("scale", f"{self.scale:.6g}")],
            [("support", _shape(self.support)), ("values", _shape(self.values, full=False))],
        ])

    def _number(self, v: float) -> Any:
        """A host float in the result convention of the witness's namespace and dtype."""
        xp = array_namespace(self.support)
        return result_number(v, xp, like=self.support, dtype=self.support.dtype)

    def __call__(self, z: Any, *, chunk_rows: int | None = None) -> Any:
        """Evaluate :math:`\\varphi` at points ``z`` (shape (k, d), or (k,) when d = 1).

        Evaluated in row blocks of ``chunk_rows`` (bounded memory); returns shape (k,).
        """
        xp = array_namespace(self.support)
        dtype = self.support.dtype
        z = xp.asarray(z, dtype=dtype) if not hasattr(z, "dtype") else xp.astype(z, dtype)
        if z.ndim == 1:
            z = xp.reshape(z, (-1, 1)) if self.support.shape[1] == 1 else xp.reshape(z, (1, -1))
        s, v, scale = self.support, self.values, self.scale
        if scale != 1.0:  # exact: powers of two
            z, s, v = z / scale, s / scale, v / scale
        rows = chunk_rows or default_chunk_rows(s.shape[0])
        out = []
        for sl in chunk_slices(z.shape[0], rows):
            dist = pairwise_cost_unchecked(z[sl, :], s, xp, metric=self.metric)
            out.append(xp.min(dist + v[None, :], axis=1))
        res = xp.concat(out) if len(out) > 1 else out[0]
        if scale != 1.0:
            with np.errstate(over="ignore"):
                res = res * scale
        return res

    def lipschitz_constant(self) -> float:
        r""":math:`\max_{k \ne l} |\varphi_k - \varphi_l| / d(s_k, s_l)` over the support.

        When it is at most 1, the extension :math:`\varphi` is 1-Lipschitz on the whole
        space (a minimum of 1-Lipschitz functions). Pairs of coincident points are skipped.
        Computed in floating point: for two support points at distance :math:`\delta` the
        ratio carries a rounding error of about :math:`\epsilon \max|\varphi| / \delta`.
        A unitless diagnostic computed on the host in float64: a Python float.
        """
        # the ratio is scale-free: compute it in the rescaled units (no over/underflow)
        s = to_numpy(self.support) / self.scale
        v = to_numpy(self.values) / self.scale
        xp = array_namespace(s)
        best = 0.0
        for sl in chunk_slices(s.shape[0], default_chunk_rows(s.shape[0])):
            dist = np.asarray(pairwise_cost_unchecked(s[sl], s, xp, metric=self.metric))
            dv = np.abs(v[sl, None] - v[None, :])
            ok = dist > 0
            if ok.any():
                best = max(best, float(np.max(dv[ok] / dist[ok])))
        return best

    def mean_difference(self, a: Any = None, b: Any = None) -> Any:
        r""":math:`\sum_i a_i \varphi(x_i) - \sum_j b_j \varphi(y_j)` (uniform if omitted).

        Computed on the host in float64; returned in the result convention (a NumPy scalar
        for NumPy data, else a 0-d array of the witness's namespace).
        """
        v = np.asarray(to_numpy(self.values), dtype=np.float64) / self.scale
        n = self.n_x
        m = v.shape[0] - n
        wa = np.full(n, 1.0 / n) if a is None else to_numpy(a) / np.sum(to_numpy(a))
        wb = np.full(m, 1.0 / m) if b is None else to_numpy(b) / np.sum(to_numpy(b))
        with np.errstate(over="ignore"):
            return self._number(float(wa @ v[:n] - wb @ v[n:]) * self.scale)


@argument_hints
def kr_witness(
    x: Any,
    y: Any,
    *,
    a: Any = None,
    b: Any = None,
    metric: str = "euclidean",
    max_iter: int | None = None,
    max_memory: Any = None,
) -> KRWitness:
    r"""Kantorovich–Rubinstein witness: a 1-Lipschitz :math:`\varphi` attaining :math:`W_1`.

    Solves the exact problem with cost :math:`C_{ij} = d(x_i, y_j)` (:func:`emd`, one host
    round trip), takes the target potential :math:`g` and forms the c-transform

    .. math::

        \varphi(z) = \min_j \big(d(z, y_j) - g_j\big),

    a minimum of 1-Lipschitz functions, hence 1-Lipschitz everywhere. Since
    :math:`\varphi(x_i) \ge f_i` (dual feasibility) and :math:`\varphi(y_j) \le -g_j`,
    :math:`\mathbb E_P\varphi - \mathbb E_Q\varphi \ge a^\top f + b^\top g = W_1`; the KR
    bound gives equality. (The raw simplex potentials :math:`f` are *not* 1-Lipschitz in
    general; this is the :math:`\varphi = f^{cc}` of the lecture's duality, up to the sign
    convention :math:`\varphi|_{y} = -g`.) The returned object stores :math:`\varphi` on
    ``x`` and ``y`` and evaluates it elsewhere as the smallest 1-Lipschitz extension.

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d), or 1-D
        Samples of P and Q.
    a, b : array_like, optional
        Sample weights (normalised); uniform when omitted.
    metric : {"euclidean", "cityblock", "chebyshev", "canberra"}
        Ground metric (a true metric, as KR duality requires; SciPy ``cdist`` definitions).
    max_iter : int, optional
        Passed to :func:`emd`.
    max_memory : int or float, optional
        Bytes the dense problem (``4 n m`` float64 plus the (n + m, m) distances to
        ``y``) may take; default half the memory available. Above it a
        :class:`~divlab.errors.MemoryLimitError` names the alternatives before anything is
        allocated.

    Coordinates of any magnitude (``1e-300`` to ``1e300``) work: they are rescaled by a
    power of two, and the costs are brought to unit scale inside the exact solver.

    Returns
    -------
    KRWitness
        Callable :math:`\varphi` with ``value`` = :math:`W_1`, ``support``, ``values``,
        ``lipschitz_constant()`` and ``mean_difference(a, b)``.

    Raises
    ------
    EstimationError
        If the exact solve did not converge (no certified witness).
    MemoryLimitError
        The dense problem would exceed ``max_memory``.
    ParameterError
        A SciPy/POT argument name (``numItermax``, ...) names divlab's.

    Examples
    --------
    >>> phi = kr_witness([[0.0], [1.0]], [[2.0], [3.0]])
    >>> float(phi.value), float(phi.mean_difference())
    (2.0, 2.0)
    >>> phi.lipschitz_constant() <= 1.0
    True
    """
    xp, x, y = check_sample_pair(x, y)
    check_choice(metric, "metric", _W_METRICS)
    if max_iter is not None:
        max_iter = check_int(max_iter, "max_iter", min_value=1)
    n, m = x.shape[0], y.shape[0]
    dtype = x.dtype
    wa = check_weights(a, n, "a", xp=xp, dtype=dtype, like=x)
    wb = check_weights(b, m, "b", xp=xp, dtype=dtype, like=y)
    check_matrix_memory(n + m, m, 8, what="exact OT (`kr_witness`): the cost matrix, the plan "
                        "and the distances to `y`", alternatives=_MEMORY_ALTERNATIVES,
                        max_memory=max_memory, copies=3)
    # Potentials are computed on the host in float64 (one round trip).
    xn = np.asarray(to_numpy(x), dtype=np.float64)
    yn = np.asarray(to_numpy(y), dtype=np.float64)
    npx = array_namespace(xn)
    # Exact power-of-two rescaling of huge or tiny coordinates (phi is 1-homogeneous); the
    # limits follow the input dtype, as the witness is later evaluated in that dtype.
    scale = coordinate_scale(max(float(np.max(np.abs(xn))), float(np.max(np.abs(yn)))),
                             dtype, xp)
    xs, ys = (xn / scale, yn / scale) if scale != 1.0 else (xn, yn)
    cost = np.asarray(pairwise_cost_unchecked(xs, ys, npx, metric=metric))
    res = _emd_host(np.asarray(to_numpy(wa), dtype=np.float64),
                    np.asarray(to_numpy(wb), dtype=np.float64), cost, max_iter=max_iter,
                    stacklevel=4)
    if not res.converged:
        raise EstimationError(
            "the exact W1 problem did not converge, so no certified KR witness exists; "
            "raise `max_iter`"
        )
    g = res.g
    support_s = np.concatenate([xs, ys], axis=0)
    d_sy = np.asarray(pairwise_cost_unchecked(support_s, ys, npx, metric=metric))
    values = c_transform(g, d_sy.T)  # phi(s_k) = min_j d(s_k, y_j) - g_j
    with np.errstate(over="ignore"):
        values = values * scale  # back to the original units (exact)
    return KRWitness(
        support=from_numpy(np.concatenate([xn, yn], axis=0), xp, like=x, dtype=dtype),
        values=from_numpy(values, xp, like=x, dtype=dtype),
        value=result_number(res.value * scale, xp, like=x, dtype=dtype),
        metric=metric,
        n_x=n,
        scale=scale,
    )


@argument_hints
def dual_lp(a: Any, b: Any, cost: Any) -> OTResult:
    r"""Solve the Kantorovich dual linear program independently with HiGHS.

    .. math::

        \max_{f, g}\ \sum_i a_i f_i + \sum_j b_j g_j
        \quad\text{s.t.}\quad f_i + g_j \le C_{ij}

    with ``scipy.optimize.linprog(method="highs")`` (:math:`n + m` variables, :math:`nm`
    sparse constraints, :math:`f_0 = 0` fixing the free shift). Independent of POT's network
    simplex, it serves as a certificate in tests; meant for small problems (:math:`nm`
    up to about :math:`10^5`). One host round trip.

    Parameters
    ----------
    a, b : array_like, shape (n,) and (m,), or None
        Masses with equal totals (``None`` = uniform).
    cost : array_like, shape (n, m)
        Finite cost matrix.

    Returns
    -------
    OTResult
        ``value`` and ``dual_value``: the dual optimum (result convention: NumPy scalars of
        the inputs' float dtype for NumPy input); ``potentials`` ``(f, g)``;
        ``plan``: the constraint multipliers (an optimal primal plan); ``duality_gap``:
        :math:`\langle P, C\rangle` - dual value; ``marginal_error`` of that plan;
        ``details["status"]``: HiGHS's message.

    Raises
    ------
    EstimationError
        If HiGHS does not report an optimum.

    Examples
    --------
    >>> res = dual_lp([0.5, 0.5], [0.5, 0.5], [[0.0, 2.0], [2.0, 0.0]])
    >>> round(float(res.value), 12)
    0.0
    """
    import scipy.sparse as sp
    from scipy.optimize import linprog

    xp = array_namespace(a, b, cost)
    cost = check_cost_matrix(cost, "cost", xp=xp, allow_posinf=False)
    n, m = (int(s) for s in cost.shape)
    dtype = result_float_dtype(xp, cost, *[w for w in (a, b) if hasattr(w, "dtype")])
    an = _host_mass(a, n, "a", xp)
    bn = _host_mass(b, m, "b", xp)
    c = np.asarray(to_numpy(cost), dtype=np.float64)
    if abs(an.sum() - bn.sum()) > 1e-6 * max(an.sum(), bn.sum()):
        raise NormalizationError(
            f"`a` and `b` must have the same total mass, got {an.sum()!r} and {bn.sum()!r}"
        )
    bn = bn * (an.sum() / bn.sum())
    rows = np.arange(n * m)
    ii, jj = np.divmod(rows, m)
    a_ub = sp.csr_matrix(
        (np.ones(2 * n * m), (np.concatenate([rows, rows]), np.concatenate([ii, n + jj]))),
        shape=(n * m, n + m),
    )
    bounds = [(0.0, 0.0)] + [(None, None)] * (n + m - 1)
    res = linprog(-np.concatenate([an, bn]), A_ub=a_ub, b_ub=c.ravel(), bounds=bounds,
                  method="highs")
    if res.status != 0:
        raise EstimationError(f"HiGHS did not solve the dual LP: {res.message}")
    f, g = res.x[:n], res.x[n:]
    dual = float(an @ f + bn @ g)
    plan = np.maximum(-np.asarray(res.ineqlin.marginals), 0.0).reshape(n, m)
    primal = float(np.vdot(plan, c))
    marg = float(np.abs(plan.sum(1) - an).sum() + np.abs(plan.sum(0) - bn).sum())
    def num(v: float) -> Any:
        return result_number(v, xp, like=cost, dtype=dtype)

    return OTResult(
        value=num(dual),
        plan=from_numpy(plan, xp, like=cost, dtype=dtype),
        potentials=(from_numpy(f, xp, like=cost, dtype=dtype),
                    from_numpy(g, xp, like=cost, dtype=dtype)),
        dual_value=num(dual),
        duality_gap=num(primal - dual),
        converged=True,
        n_iter=int(getattr(res, "nit", 0)),
        marginal_error=num(marg),
        details={"status": res.message, "violation": float(np.max(f[:, None] + g[None, :] - c))},
    )
