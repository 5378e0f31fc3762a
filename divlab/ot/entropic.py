r"""Entropic optimal transport: stabilised Sinkhorn and the debiased Sinkhorn divergence.

Problem solved (entropy **relative to the product measure**, as in Feydy et al. 2019 and
GeomLoss):

.. math::

    \mathrm{OT}_\varepsilon(a, b) = \min_{P \in \Pi(a, b)} \langle P, C\rangle
        + \varepsilon\,\mathrm{KL}(P \,\|\, a \otimes b).

POT's ``ot.sinkhorn(a, b, M, reg)`` penalises :math:`-\mathrm{reg}\,H(P)` instead; on the
transport polytope the two penalties differ by a constant, so the optimal plan is the same
for ``reg == epsilon`` and only the objective values differ.

Algorithm: Sinkhorn iterations with :math:`\varepsilon`-scaling and *log-domain absorption*
(Schmitzer 2019, "Stabilized sparse scaling algorithms for entropy regularized transport
problems"). The solver keeps dual potentials ``(f, g)`` and the matrix
:math:`G_{ij} = a_i b_j e^{(f_i + g_j - C_{ij})/\varepsilon}`; between rebuilds, an iteration
is two matrix-vector products (``u = a / (G v)``, ``v = b / (G^T u)``). Whenever a scaling
leaves ``[1/tau, tau]`` (or is not finite) the scalings are absorbed into the potentials and
the half-step is redone exactly in the log domain (a soft c-transform), so the iteration is
as stable as a pure log-domain solver. The pure log-domain solver is available as
``method="log"``.
"""

from __future__ import annotations

import math
import warnings
from types import ModuleType
from typing import Any

import numpy as np

from .._array import (
    array_namespace,
    as_result,
    diag_scale,
    from_numpy,
    lse_softmax,
    pow2_scale,
    result_float_dtype,
    scalar,
    to_numpy,
    vdot,
)
from .._validate import (
    check_bool,
    check_choice,
    check_cost_matrix,
    check_int,
    check_positive,
    check_probability,
    check_sample_pair,
    check_weights,
)
from ..costs import pairwise_cost_unchecked
from ..errors import ConvergenceWarning, InputError, ParameterError, ShapeMismatchError
from ._lse import DenseCost, OnlineCost
from ._result import OTResult, result_number

__all__ = ["sinkhorn", "sinkhorn_divergence"]

_METHODS = ("auto", "stabilized", "log")


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def _check_marginal(w: Any, n: int, name: str, xp: ModuleType) -> Any:
    if w is None:
        return None
    w = check_probability(w, name, xp=xp)
    if w.ndim != 1 or w.shape[0] != n:
        raise ShapeMismatchError(
            f"`{name}` must have shape ({n},) to match `cost`, got {tuple(w.shape)}"
        )
    return w


def _default_tol(dtype: Any, xp: ModuleType) -> float:
    return 1e-8 if dtype == xp.float64 else 1e-5


def _tau(dtype: Any, xp: ModuleType) -> float:
    """Absorption threshold for the scalings ``u, v``."""
    return 1e50 if dtype == xp.float64 else 1e10


# --------------------------------------------------------------------------------------------
# core solver (validated, supported rows/columns only: a > 0, b > 0)
# --------------------------------------------------------------------------------------------
def _floor(dtype: Any, xp: ModuleType) -> float:
    """Kernel entries below ``tiny * tau`` are flushed to 0: with scalings ``u, v <= tau``
    they contribute at most ``tiny * tau^3`` (1e-158 in float64, 1e-8 in float32) to the
    plan, and subnormal numbers would make every later matrix-vector product 10-50x slower
    on x86."""
    return float(xp.finfo(dtype).smallest_normal) * _tau(dtype, xp)


class _Solver:
    """Sinkhorn state on the supported sub-problem (all weights > 0)."""

    def __init__(
        self, a: Any, b: Any, c: Any, xp: ModuleType, method: str, ct: Any = None
    ) -> None:
        self.xp = xp
        self.a, self.b, self.c = a, b, c
        self.ct = ct if ct is not None else DenseCost(c, xp)
        self.loga, self.logb = xp.log(a), xp.log(b)
        self.method = method
        self.f = xp.zeros_like(a)
        self.g = xp.zeros_like(b)
        self.u = xp.ones_like(a)
        self.v = xp.ones_like(b)
        self.G = None
        self.eps = 1.0
        self.tau = _tau(a.dtype, xp)
        self.n_rebuilds = 0

    # exact soft c-transforms (log-domain half steps) -------------------------------------
    def _ctransform_rows(self) -> Any:
        """``f_i = -eps LSE_j(log b_j + (g_j - C_ij)/eps)``."""
        return self.ct.rows(self.g, self.logb, self.eps)

    def _ctransform_cols(self) -> Any:
        """``g_j = -eps LSE_i(log a_i + (f_i - C_ij)/eps)``."""
        return self.ct.cols(self.f, self.loga, self.eps)

    def absorb(self) -> None:
        """Fold the scalings into the potentials (u = v = 1) and drop the kernel."""
        xp = self.xp
        self.G = None  # frees the (n, m) kernel before the rebuild allocates a new one
        self.f = self.f + self.eps * xp.log(self.u)
        self.g = self.g + self.eps * xp.log(self.v)
        self.u = xp.ones_like(self.u)
        self.v = xp.ones_like(self.v)

    def rebuild_rows(self) -> None:
        """Log-domain f-update; G rows then sum exactly to ``a``."""
        xp = self.xp
        self.absorb()
        if self.method == "log":
            self.f = self._ctransform_rows()
        else:  # f = soft c-transform of g; G = diag(1/sum) * Gibbs kernel, rows sum to a
            self.f, self.G = lse_softmax(self.g, self.c, self.logb, self.a, self.eps, 1, xp,
                                         floor=_floor(self.c.dtype, xp))
        self.n_rebuilds += 1

    def rebuild_cols(self) -> None:
        xp = self.xp
        self.absorb()
        if self.method == "log":
            self.g = self._ctransform_cols()
        else:
            self.g, self.G = lse_softmax(self.f, self.c, self.loga, self.b, self.eps, 0, xp,
                                         floor=_floor(self.c.dtype, xp))
        self.n_rebuilds += 1

    def _scaling_ok(self, s: Any) -> bool:
        xp = self.xp
        return bool(xp.all((s >= 1.0 / self.tau) & (s <= self.tau)))

    # one full sweep; returns the row-marginal L1 error of the plan *before* the u-update
    def sweep(self) -> tuple[float, bool]:
        """v-update then u-update. Returns (row error measured before the u-update, stop?)."""
        if self.method == "log":
            return self._sweep_log()
        xp = self.xp
        # v-update: v = b / (G^T u)
        t = self.u @ self.G
        ok = bool(xp.all(t > 0))
        if ok:
            vn = self.b / t
            ok = self._scaling_ok(vn)
        if ok:
            self.v = vn
        else:
            self.rebuild_cols()
        # row marginal of diag(u) G diag(v), whose column marginal is now b
        s = self.G @ self.v
        err = scalar(xp.sum(xp.abs(self.u * s - self.a)))
        return err, s

    def update_u(self, s: Any) -> None:
        xp = self.xp
        if self.method == "log":
            self.f = s  # s carries the new f in log mode
            return
        ok = bool(xp.all(s > 0))
        if ok:
            un = self.a / s
            ok = self._scaling_ok(un)
        if ok:
            self.u = un
        else:
            self.rebuild_rows()

    def _sweep_log(self) -> tuple[float, Any]:
        xp = self.xp
        self.g = self._ctransform_cols()
        fn = self._ctransform_rows()
        # row marginal of the plan with (f, g): a_i exp((f_i - fn_i)/eps)
        z = xp.minimum((self.f - fn) / self.eps, xp.asarray(50.0, dtype=fn.dtype))
        err = scalar(xp.sum(xp.abs(self.a * xp.exp(z) - self.a)))
        return err, fn

    def potentials(self) -> tuple[Any, Any]:
        xp = self.xp
        if self.method == "log":
            return self.f, self.g
        return self.f + self.eps * xp.log(self.u), self.g + self.eps * xp.log(self.v)

    def plan(self, f: Any, g: Any) -> Any:
        xp = self.xp
        if self.method == "log":
            e = (f[:, None] + g[None, :] - self.c) / self.eps
            return xp.exp(e + self.loga[:, None] + self.logb[None, :])
        return diag_scale(self.u, self.G, self.v, xp)


def _epsilon_schedule(eps: float, c_scale: float, scaling: bool, factor: float) -> list[float]:
    if not scaling or c_scale <= eps:
        return [eps]
    # at most 60 stages, even for costs spanning hundreds of orders of magnitude
    factor = min(factor, (eps / c_scale) ** (1.0 / 60))
    k = math.ceil(math.log(eps / c_scale) / math.log(factor))
    return [max(eps, c_scale * factor**i) for i in range(k)] + [eps]


def _solve_supported(
    a: Any, b: Any, c: Any, xp: ModuleType, *, epsilon: float, max_iter: int, tol: float,
    epsilon_scaling: bool, scaling_factor: float, method: str, c_scale: float, ct: Any = None,
) -> tuple[_Solver, int, bool, float, list[float]]:
    solver = _Solver(a, b, c, xp, method, ct)
    schedule = _epsilon_schedule(epsilon, c_scale, epsilon_scaling, scaling_factor)
    n_iter = 0
    err = math.inf
    converged = False
    n_stages = len(schedule)
    stage_cap = max(1, min(100, max_iter // (2 * n_stages))) if n_stages > 1 else max_iter
    for k, eps in enumerate(schedule):
        final = k == n_stages - 1
        # sweeps of all stages count against max_iter; keep one for the final stage
        cap = max_iter - n_iter if final else min(stage_cap, max_iter - n_iter - 1)
        if cap <= 0:
            continue
        solver.eps = eps
        solver.rebuild_rows()
        stage_tol = tol if final else max(tol, 1e-3)
        for _ in range(cap):
            err, s = solver.sweep()
            n_iter += 1
            if err <= stage_tol:
                converged = final
                break
            solver.update_u(s)
    return solver, n_iter, converged, err, schedule


def _index_map(mask: Any, xp: ModuleType) -> Any:
    """For each position, its index among the True entries of ``mask`` (0 where False)."""
    idx = xp.cumulative_sum(xp.astype(mask, xp.int64)) - 1
    return xp.where(mask, idx, xp.zeros_like(idx))


def _extend(vec: Any, mask: Any, fill: Any, xp: ModuleType) -> Any:
    """Place ``vec`` at the True positions of ``mask`` and ``fill`` elsewhere."""
    return xp.where(mask, xp.take(vec, _index_map(mask, xp), axis=0), fill)


def sinkhorn(
    a: Any,
    b: Any,
    cost: Any,
    *,
    epsilon: float,
    max_iter: int = 10000,
    tol: float | None = None,
    epsilon_scaling: bool = True,
    scaling_factor: float = 0.5,
    method: str = "auto",
) -> OTResult:
    r"""Entropic optimal transport by stabilised Sinkhorn iterations.

    Solves

    .. math::

        \mathrm{OT}_\varepsilon(a, b) = \min_{P \ge 0,\; P\mathbf 1 = a,\; P^T\mathbf 1 = b}
        \langle P, C\rangle + \varepsilon\,\mathrm{KL}(P\,\|\,a\otimes b),

    whose dual is :math:`\max_{f, g}\; \sum_i a_i f_i + \sum_j b_j g_j
    - \varepsilon \sum_{ij} a_i b_j (e^{(f_i + g_j - C_{ij})/\varepsilon} - 1)`, with optimal
    plan :math:`P_{ij} = a_i b_j e^{(f_i + g_j - C_{ij})/\varepsilon}`. The entropy is taken
    relative to :math:`a\otimes b` (Feydy et al. 2019 / GeomLoss); POT's ``ot.sinkhorn``
    uses :math:`-\mathrm{reg}\,H(P)`, which gives **the same plan** for ``reg = epsilon`` but a
    different objective value.

    The iterations are the log-domain updates
    :math:`f_i = -\varepsilon \log\sum_j b_j e^{(g_j - C_{ij})/\varepsilon}` and
    :math:`g_j = -\varepsilon \log\sum_i a_i e^{(f_i - C_{ij})/\varepsilon}`, run as
    matrix-vector products on a kernel that is re-stabilised (absorbed into ``f, g``) whenever
    the scalings leave ``[1e-50, 1e50]`` (Schmitzer 2019), with :math:`\varepsilon`-scaling
    from :math:`\max |C|` down to ``epsilon``. Small ``epsilon`` (``1e-3 * max C`` and below)
    does not underflow: every quantity that is returned comes from the log-domain potentials.

    Parameters
    ----------
    a, b : array_like, shape (n,) and (m,), or None
        Marginal weights (probability vectors, summing to 1 within 1e-6; ``None`` means
        uniform). Zero weights are allowed: those rows/columns are removed from the solve,
        their plan rows/columns are zero and their potentials are the soft c-transform of the
        other potential (``+inf`` if all their costs to the support are ``+inf``).
    cost : array_like, shape (n, m)
        Ground cost. Entries may be ``+inf`` (forbidden transport: the plan is exactly 0 there);
        NaN and ``-inf`` are rejected.
    epsilon : float
        Regularisation strength :math:`\varepsilon > 0`, in the units of ``cost`` (POT calls it
        ``reg``).
    max_iter : int
        Maximum number of Sinkhorn sweeps (one ``f`` and one ``g`` update each), counted over
        all :math:`\varepsilon`-scaling stages.
    tol : float, optional
        Stop when the marginal error :math:`\|P\mathbf 1 - a\|_1 + \|P^T\mathbf 1 - b\|_1 \le`
        ``tol``. Default ``1e-8`` for float64, ``1e-5`` for float32.
    epsilon_scaling : bool
        Start at :math:`\varepsilon_0 = \max|C|` and divide by ``1/scaling_factor`` per stage
        down to ``epsilon`` (much faster convergence for small ``epsilon``).
    scaling_factor : float
        Geometric factor in (0, 1) of the :math:`\varepsilon` schedule.
    method : {"auto", "stabilized", "log"}
        ``"stabilized"`` (the default for ``"auto"``): kernel iterations with log-domain
        absorption; ``"log"``: every half-step a log-sum-exp (slower, same fixed point).

    Returns
    -------
    OTResult
        ``value``: the transport cost :math:`\langle P, C\rangle` of the entropic plan (what
        POT's ``ot.sinkhorn2`` returns); ``details["entropic_objective"]``: the entropic dual
        objective :math:`\sum a f + \sum b g - \varepsilon(\sum P - 1)`, a lower bound of
        :math:`\mathrm{OT}_\varepsilon` equal to it at convergence (``dual_value`` holds the same
        number); ``details["primal_objective"]``:
        :math:`\langle P, C\rangle + \varepsilon \mathrm{KL}(P\|a\otimes b)` of the returned plan;
        ``duality_gap``: primal minus dual *entropic* objective (>= 0, -> 0);
        ``plan`` (n, m); ``potentials`` ``(f, g)``; ``marginal_error`` measured on the
        returned plan; ``converged``; ``n_iter``; ``details`` also holds ``epsilon``,
        ``epsilon_schedule``, ``method``, ``n_rebuilds`` (kernel re-stabilisations).

    Raises
    ------
    ParameterError
        ``epsilon <= 0``, ``max_iter < 1``, ``tol <= 0``, ``scaling_factor`` outside (0, 1),
        unknown ``method``.
    InputError
        Invalid weights or cost (NaN, ``-inf``, shapes), or a supported row/column whose every
        cost to the other support is ``+inf`` (no feasible plan).

    Warns
    -----
    ConvergenceWarning
        If ``tol`` is not reached in ``max_iter`` sweeps (the result has ``converged=False``
        and is the plan of the last iterate at the requested ``epsilon``). With ``+inf`` costs
        a problem whose support constraints are infeasible also ends here.

    Notes
    -----
    Entropic bias: with :math:`P^\star` an exact optimal plan,
    :math:`\mathrm{OT}_0 \le \langle P_\varepsilon, C\rangle \le \mathrm{OT}_\varepsilon \le
    \mathrm{OT}_0 + \varepsilon\,\mathrm{KL}(P^\star\|a\otimes b) \le \mathrm{OT}_0 +
    \varepsilon \min(H(a), H(b))` and :math:`H(a) \le \log n`.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.ot import sinkhorn
    >>> C = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = sinkhorn([0.5, 0.5], [0.5, 0.5], C, epsilon=0.01)
    >>> round(float(res.value), 6), res.converged
    (0.0, True)
    """
    xp = array_namespace(a, b, cost)
    c = check_cost_matrix(cost, "cost", xp=xp)
    n, m = c.shape
    a = _check_marginal(a, n, "a", xp)
    b = _check_marginal(b, m, "b", xp)
    epsilon = check_positive(epsilon, "epsilon")
    max_iter = check_int(max_iter, "max_iter", min_value=1)
    scaling_factor = check_positive(scaling_factor, "scaling_factor")
    if not scaling_factor < 1:
        raise ParameterError(f"`scaling_factor` must be in (0, 1), got {scaling_factor!r}")
    check_choice(method, "method", _METHODS)
    epsilon_scaling = check_bool(epsilon_scaling, "epsilon_scaling")
    method = "stabilized" if method == "auto" else method
    if tol is not None:
        tol = check_positive(tol, "tol")
    res = _sinkhorn(a, b, c, xp, epsilon=epsilon, max_iter=max_iter, tol=tol,
                    epsilon_scaling=epsilon_scaling, scaling_factor=scaling_factor,
                    method=method, stacklevel=3)
    like, dtype = res.plan, res.plan.dtype
    num = [result_number(v, xp, like=like, dtype=dtype)
           for v in (res.value, res.dual_value, res.duality_gap, res.marginal_error)]
    details = dict(res.details)
    details["entropic_objective"] = num[1]
    details["primal_objective"] = result_number(details["primal_objective"], xp, like=like,
                                                dtype=dtype)
    return OTResult(value=num[0], plan=res.plan, potentials=res.potentials, dual_value=num[1],
                    duality_gap=num[2], converged=res.converged, n_iter=res.n_iter,
                    marginal_error=num[3], details=details)


def _sinkhorn(
    a: Any, b: Any, c: Any, xp: ModuleType, *, epsilon: float, max_iter: int,
    tol: float | None, epsilon_scaling: bool, scaling_factor: float, method: str,
    stacklevel: int = 2,
) -> OTResult:
    """Kernel of :func:`sinkhorn` on validated inputs (``a``, ``b`` probability vectors or
    ``None``, ``c`` a checked cost matrix, ``method`` resolved). The numbers of the returned
    :class:`OTResult` are Python floats (host), for internal callers."""
    n, m = c.shape
    dtype = result_float_dtype(xp, *(v for v in (a, b, c) if v is not None))
    c = xp.astype(c, dtype)
    a = xp.ones((n,), dtype=dtype) / n if a is None else xp.astype(a, dtype)
    b = xp.ones((m,), dtype=dtype) / m if b is None else xp.astype(b, dtype)
    a = from_numpy(a, xp, like=c)
    b = from_numpy(b, xp, like=c)
    a = a / xp.sum(a)
    b = b / xp.sum(b)
    tol = _default_tol(dtype, xp) if tol is None else tol

    # support of the weights ------------------------------------------------------------------
    ma, mb = a > 0, b > 0
    full = bool(xp.all(ma)) and bool(xp.all(mb))
    if full:
        a_s, b_s, c_s = a, b, c
    else:
        ia = _nonzero(ma, xp)
        ib = _nonzero(mb, xp)
        a_s, b_s = xp.take(a, ia, axis=0), xp.take(b, ib, axis=0)
        c_s = xp.take(xp.take(c, ia, axis=0), ib, axis=1)
    finite = xp.isfinite(c_s)
    has_inf = not bool(xp.all(finite))
    if has_inf:
        _check_support_feasible(finite, xp)
        c_scale = scalar(xp.max(xp.where(finite, xp.abs(c_s), xp.zeros_like(c_s))))
    else:
        c_scale = max(abs(scalar(xp.max(c_s))), abs(scalar(xp.min(c_s))))
    # Costs near the float range: solve for (C / s, epsilon / s) with s an exact power of
    # two (same plan; values and potentials scale by s), so (f - C) / epsilon cannot overflow.
    if epsilon * _cost_limit(dtype, xp) < c_scale:
        raise ParameterError(
            f"`epsilon` = {epsilon:.3g} is below 2**-64 of the float range relative to the "
            f"largest |cost| ({c_scale:.3g}): (f - C) / epsilon overflows. Raise `epsilon` "
            "or use divlab.emd for unregularised optimal transport"
        )
    unit = pow2_scale(c_scale) if c_scale > _cost_limit(dtype, xp) else 1.0
    if unit != 1.0:
        c_s, c_scale = c_s / unit, c_scale / unit

    solver, n_iter, converged, _err, schedule = _solve_supported(
        a_s, b_s, c_s, xp, epsilon=epsilon / unit, max_iter=max_iter, tol=tol,
        epsilon_scaling=epsilon_scaling, scaling_factor=scaling_factor, method=method,
        c_scale=c_scale,
    )
    f_s, g_s = solver.potentials()
    plan_s = solver.plan(f_s, g_s)
    if unit != 1.0:
        f_s, g_s, c_s = f_s * unit, g_s * unit, c_s * unit
        schedule = [e * unit for e in schedule]
    row = xp.sum(plan_s, axis=1)
    col = xp.sum(plan_s, axis=0)
    marg_err = scalar(xp.sum(xp.abs(row - a_s)) + xp.sum(xp.abs(col - b_s)))
    if has_inf:
        value = scalar(xp.sum(plan_s * xp.where(finite, c_s, xp.zeros_like(c_s))))
    else:
        value = scalar(vdot(plan_s, c_s, xp))  # <P, C>, no (n, m) temporary on NumPy
    mass = scalar(xp.sum(row))
    dual = scalar(xp.sum(a_s * f_s) + xp.sum(b_s * g_s)) - epsilon * (mass - 1.0)
    primal = scalar(xp.sum(row * f_s) + xp.sum(col * g_s)) - epsilon * (mass - 1.0)
    gap = max(primal - dual, 0.0) if converged else primal - dual
    if not converged:
        hint = (
            " Some costs are +inf: the support constraints may admit no plan."
            if has_inf
            else ""
        )
        warnings.warn(
            f"sinkhorn did not converge in max_iter={max_iter} sweeps: marginal error "
            f"{marg_err:.3g} > tol={tol:.3g} (epsilon={epsilon:.3g}). Increase `max_iter`, "
            f"loosen `tol` or increase `epsilon`.{hint}",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )

    if full:
        plan, f, g = plan_s, f_s, g_s
    else:
        plan, f, g = _embed(
            plan_s, f_s, g_s, a, b, c, ma, mb, ia, ib, epsilon, xp
        )
    details = {
        "entropic_objective": dual,
        "primal_objective": primal,
        "epsilon": epsilon,
        "epsilon_schedule": schedule,
        "method": method,
        "n_rebuilds": solver.n_rebuilds,
        "tol": tol,
        "convention": "OT_eps = <P,C> + eps*KL(P || a x b); value = <P,C>",
    }
    return OTResult(
        value=value,
        plan=plan,
        potentials=(f, g),
        dual_value=dual,
        duality_gap=gap,
        converged=converged,
        n_iter=n_iter,
        marginal_error=marg_err,
        details=details,
    )


def _cost_limit(dtype: Any, xp: ModuleType) -> float:
    """Largest |cost| solved without rescaling: 2**-64 of the float range (1e289 / 1e19)."""
    return float(xp.finfo(dtype).max) * 2.0**-64


def _nonzero(mask: Any, xp: ModuleType) -> Any:
    idx = np.flatnonzero(to_numpy(mask))
    return from_numpy(idx.astype(np.int64), xp, like=mask)


def _check_support_feasible(finite: Any, xp: ModuleType) -> None:
    """Every supported row and column needs at least one finite cost to the other support."""
    rows = xp.any(finite, axis=1)
    cols = xp.any(finite, axis=0)
    if not bool(xp.all(rows)):
        i = int(np.flatnonzero(~to_numpy(rows))[0])
        raise InputError(
            f"`cost` is +inf on a whole row of the support (row {i} among the rows with a > 0): "
            "no transport plan is feasible"
        )
    if not bool(xp.all(cols)):
        j = int(np.flatnonzero(~to_numpy(cols))[0])
        raise InputError(
            f"`cost` is +inf on a whole column of the support (column {j} among the columns "
            "with b > 0): no transport plan is feasible"
        )


def _embed(plan_s, f_s, g_s, a, b, c, ma, mb, ia, ib, eps, xp):
    """Scatter the supported solution back; zero-weight potentials = soft c-transforms."""
    # potentials of dropped rows: f_i = -eps LSE_j(log b_j + (g_j - C_ij)/eps) over supported j
    c_cols = xp.take(c, ib, axis=1)  # (n, m_s)
    b_s = xp.take(b, ib, axis=0)
    f_all = DenseCost(c_cols, xp).rows(g_s, xp.log(b_s), eps)
    f = _extend(f_s, ma, f_all, xp)
    c_rows = xp.take(c, ia, axis=0)  # (n_s, m)
    a_s = xp.take(a, ia, axis=0)
    g_all = DenseCost(c_rows, xp).cols(f_s, xp.log(a_s), eps)
    g = _extend(g_s, mb, g_all, xp)
    # plan: scatter rows then columns via index maps (zero where weights are zero)
    m_s = plan_s.shape[1]
    rows = xp.take(plan_s, _index_map(ma, xp), axis=0)
    rows = xp.where(ma[:, None], rows, xp.zeros_like(rows))  # (n, m_s)
    plan = xp.take(rows, _index_map(mb, xp), axis=1) if m_s else rows
    plan = xp.where(mb[None, :], plan, xp.zeros_like(plan))
    return plan, f, g


# --------------------------------------------------------------------------------------------
# Sinkhorn divergence
# --------------------------------------------------------------------------------------------
def _symmetric_ot(
    w: Any, ct: Any, xp: ModuleType, *, epsilon: float, max_iter: int, tol: float,
    epsilon_scaling: bool, scaling_factor: float = 0.5,
) -> tuple[float, bool, float, int]:
    """``OT_eps(w, w)`` for a symmetric cost by the averaged iteration ``f <- (f + T f) / 2``.

    ``T f = -eps LSE_j(log w_j + (f_j - C_ij)/eps)``; the fixed point is the symmetric
    potential (Feydy et al. 2019), reached in a handful of sweeps where plain Sinkhorn
    oscillates. ``ct`` is a :mod:`divlab.ot._lse` cost object, ``w > 0``.
    Returns (dual value, converged, marginal error, sweeps).
    """
    logw = xp.log(w)
    schedule = _epsilon_schedule(epsilon, ct.max_cost(), epsilon_scaling, scaling_factor)
    f = xp.zeros_like(w)
    n_iter, err, mass, converged = 0, math.inf, 1.0, False
    for k, eps in enumerate(schedule):
        final = k == len(schedule) - 1
        stage_tol = tol if final else max(tol, 1e-3)
        cap = (max_iter - n_iter if final else
               min(max(1, min(100, max_iter // (2 * len(schedule)))), max_iter - n_iter - 1))
        for _ in range(max(cap, 0)):
            t = ct.rows(f, logw, eps)
            z = xp.minimum((f - t) / eps, xp.asarray(50.0, dtype=f.dtype))
            row = w * xp.exp(z)  # row (= column) marginal of the plan of f
            err = 2.0 * scalar(xp.sum(xp.abs(row - w)))
            mass = scalar(xp.sum(row))
            n_iter += 1
            if err <= stage_tol:
                converged = final
                break
            f = 0.5 * (f + t)
        if n_iter >= max_iter:
            break
    return 2.0 * scalar(xp.sum(w * f)) - epsilon * (mass - 1.0), converged, err, n_iter


def _drop_zero_weight(x: Any, w: Any, xp: ModuleType) -> tuple[Any, Any]:
    if bool(xp.all(w > 0)):
        return x, w
    idx = _nonzero(w > 0, xp)
    return xp.take(x, idx, axis=0), xp.take(w, idx, axis=0)


def _online_cross(
    a: Any, b: Any, ct: OnlineCost, xp: ModuleType, *, epsilon: float, max_iter: int,
    tol: float, epsilon_scaling: bool,
) -> float:
    """Entropic dual value ``OT_eps(a, b)`` with tiled log-domain Sinkhorn (no (n, m) matrix)."""
    solver, _, converged, err, _ = _solve_supported(
        a, b, None, xp, epsilon=epsilon, max_iter=max_iter, tol=tol,
        epsilon_scaling=epsilon_scaling, scaling_factor=0.5, method="log",
        c_scale=ct.max_cost(), ct=ct,
    )
    if not converged:
        warnings.warn(
            f"sinkhorn_divergence (online): the cross term did not converge in "
            f"max_iter={max_iter} sweeps: marginal error {err:.3g} > tol={tol:.3g} "
            f"(epsilon={epsilon:.3g}). Increase `max_iter`, loosen `tol` or increase `epsilon`.",
            ConvergenceWarning,
            stacklevel=3,
        )
    f, g = solver.f, solver.g
    # dual objective at (f, g), including the mass term (0 when the columns are exact)
    z = xp.minimum((f - ct.rows(g, solver.logb, epsilon)) / epsilon,
                   xp.asarray(50.0, dtype=f.dtype))
    mass = scalar(xp.sum(a * xp.exp(z)))
    return scalar(xp.sum(a * f) + xp.sum(b * g)) - epsilon * (mass - 1.0)


def sinkhorn_divergence(
    x: Any,
    y: Any,
    *,
    epsilon: float,
    a: Any = None,
    b: Any = None,
    metric: str = "sqeuclidean",
    max_iter: int = 10000,
    tol: float | None = None,
    epsilon_scaling: bool = True,
    online: bool = False,
) -> Any:
    r"""Debiased Sinkhorn divergence between two weighted point clouds.

    .. math::

        S_\varepsilon(\alpha, \beta) = \mathrm{OT}_\varepsilon(\alpha, \beta)
        - \tfrac12 \mathrm{OT}_\varepsilon(\alpha, \alpha)
        - \tfrac12 \mathrm{OT}_\varepsilon(\beta, \beta),

    with :math:`\mathrm{OT}_\varepsilon` the entropic objective of :func:`sinkhorn` (entropy
    relative to the product of the marginals). For ``metric="sqeuclidean"`` and
    ``"euclidean"`` (Gaussian / Laplace Gibbs kernels) :math:`S_\varepsilon \ge 0`, with
    equality iff :math:`\alpha = \beta` (Feydy et al. 2019), and
    :math:`S_\varepsilon \to \mathrm{OT}_0` as :math:`\varepsilon \to 0` (:math:`W_2^2` for
    ``"sqeuclidean"``). Tiny negative rounding results are clamped to 0.

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d), or 1-D
        Samples.
    epsilon : float
        Regularisation, in the units of the cost (squared distances for ``"sqeuclidean"``).
    a, b : array_like, optional
        Sample weights (normalised; ``None`` means uniform).
    metric : str
        Ground cost, see :func:`divlab.pairwise_cost`.
    max_iter, tol, epsilon_scaling
        As in :func:`sinkhorn`, for each of the three solves.
    online : bool
        If True, never form a cost matrix: every soft c-transform recomputes the cost in row
        tiles (memory :math:`O((n + m)\cdot\text{tile})` instead of :math:`O(nm)`, for large
        clouds, especially on GPU) and the cross term uses log-domain Sinkhorn sweeps (an
        ``exp`` per cost entry per half step: slower per sweep than the dense solver). Same
        fixed point as the dense path.

    Returns
    -------
    float array (0-d)
        :math:`S_\varepsilon`, in the namespace and float dtype of ``x``.

    Raises
    ------
    ParameterError
        ``epsilon <= 0`` or bad solver options.
    InputError
        Invalid samples or weights.

    Warns
    -----
    ConvergenceWarning
        If any of the three solves does not reach ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.ot import sinkhorn_divergence
    >>> x = np.array([[0.0], [1.0]])
    >>> float(sinkhorn_divergence(x, x, epsilon=0.1))
    0.0
    """
    from ..costs import METRICS

    xp, x, y = check_sample_pair(x, y)
    check_choice(metric, "metric", METRICS)
    epsilon = check_positive(epsilon, "epsilon")
    dtype = x.dtype
    wa = check_weights(a, x.shape[0], "a", xp=xp, dtype=dtype, like=x)
    wb = check_weights(b, y.shape[0], "b", xp=xp, dtype=dtype, like=y)
    max_iter = check_int(max_iter, "max_iter", min_value=1)
    tol = _default_tol(dtype, xp) if tol is None else check_positive(tol, "tol")
    epsilon_scaling = check_bool(epsilon_scaling, "epsilon_scaling")
    online = check_bool(online, "online")
    if x.shape == y.shape and bool(xp.all(x == y)) and bool(xp.all(wa == wb)):
        # identical measures: S = 0 exactly (and plain Sinkhorn is slowest on this case)
        return as_result(from_numpy(0.0, xp, like=x, dtype=dtype), xp)
    # points of zero weight play no role in any of the three terms
    x, wa = _drop_zero_weight(x, wa, xp)
    y, wb = _drop_zero_weight(y, wb, xp)
    sym = {"epsilon": epsilon, "max_iter": max_iter, "tol": tol,
           "epsilon_scaling": epsilon_scaling}
    if online:
        ct_aa = OnlineCost(x, x, xp, metric=metric)
        ct_bb = OnlineCost(y, y, xp, metric=metric)
        ab_dual = _online_cross(wa, wb, OnlineCost(x, y, xp, metric=metric), xp, **sym)
    else:
        ct_aa = DenseCost(pairwise_cost_unchecked(x, x, xp, metric=metric), xp)
        ct_bb = DenseCost(pairwise_cost_unchecked(y, y, xp, metric=metric), xp)
        ab_dual = _sinkhorn(wa, wb, pairwise_cost_unchecked(x, y, xp, metric=metric), xp,
                            **sym, scaling_factor=0.5, method="stabilized",
                            stacklevel=3).dual_value
    ot_aa, ok_a, err_a, _ = _symmetric_ot(wa, ct_aa, xp, **sym)
    ot_bb, ok_b, err_b, _ = _symmetric_ot(wb, ct_bb, xp, **sym)
    if not (ok_a and ok_b):
        warnings.warn(
            f"sinkhorn_divergence: a symmetric term did not converge in max_iter={max_iter} "
            f"sweeps (marginal errors {err_a:.3g}, {err_b:.3g} > tol={tol:.3g}). Increase "
            "`max_iter`, loosen `tol` or increase `epsilon`.",
            ConvergenceWarning,
            stacklevel=2,
        )
    s = ab_dual - 0.5 * ot_aa - 0.5 * ot_bb
    return as_result(from_numpy(max(s, 0.0), xp, like=x, dtype=dtype), xp)

