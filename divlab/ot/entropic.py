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
``method="log"``. Where ``exp(-C/epsilon)`` has no underflow the first kernel is built
directly in the kernel domain (as POT's ``ot.sinkhorn``: two passes over the cost); the
marginal error is read back to the host once every ``_CHECK_EVERY`` sweeps, together with a
flag that all scalings stayed in range (else the block is redone sweep by sweep with
absorption).
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
    host_floats,
    kernel_exp,
    lse_softmax,
    pow2_scale,
    result_float_dtype,
    scalar,
    to_numpy,
    vdot,
)
from .._validate import (
    argument_hints,
    as_float_array,
    check_bool,
    check_choice,
    check_cost_matrix,
    check_int,
    check_matrix_memory,
    check_positive,
    check_probability,
    check_sample_pair,
    check_weights,
)
from ..costs import pairwise_cost_unchecked
from ..errors import (
    ConvergenceWarning,
    InputError,
    NormalizationError,
    ParameterError,
    ShapeMismatchError,
)
from ._lse import DenseCost, OnlineCost
from ._result import OTResult, result_number

__all__ = ["sinkhorn", "sinkhorn_divergence"]

_METHODS = ("auto", "stabilized", "log")

_MEMORY_ALTERNATIVES = (
    "use sinkhorn_divergence(x, y, online=True) on the point clouds (the cost is recomputed "
    "in tiles, no n x m matrix), sliced_wasserstein, or subsample the points"
)


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def _check_marginal(w: Any, n: int, name: str, xp: ModuleType) -> Any:
    if w is None:
        return None
    try:
        w = check_probability(w, name, xp=xp)
    except NormalizationError as exc:  # sinkhorn has no `normalize` option: say what to do
        msg = str(exc).replace("pass normalize=True to rescale",
                               f"divide `{name}` by its sum")
        raise NormalizationError(msg) from None
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

    def start_kernel(self, cmin: float, crange: float) -> bool:
        """Cold start in the kernel domain, when it is safe: ``G = exp(-(C - cmin)/eps)``
        (two passes over the cost, as POT's ``sinkhorn``) with potentials
        ``f = cmin - eps log a``, ``g = -eps log b`` (so that ``G = a b exp((f+g-C)/eps)``
        as after a log-domain rebuild), ``u = v = 1``. Used only when no entry of ``G`` falls
        below the subnormal floor (``crange / eps`` at most ~590 in float64, ~64 in
        float32); returns False (nothing done) otherwise. Scalings that later leave
        ``[1/tau, tau]`` are absorbed as usual (log-domain rebuild)."""
        xp = self.xp
        if self.method == "log" or self.c is None:
            return False
        if not crange / self.eps <= 0.9 * -math.log(_floor(self.c.dtype, xp)):
            return False
        self.G = None
        self.G = kernel_exp(self.c, -1.0 / self.eps, xp, shift=cmin)
        self.f = cmin - self.eps * self.loga
        self.g = -self.eps * self.logb
        self.u, self.v = xp.ones_like(self.a), xp.ones_like(self.b)
        self.n_rebuilds += 1
        return True

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

    def _in_range(self, s: Any) -> Any:
        """0-d boolean array (on the device): all scalings finite and within [1/tau, tau]."""
        xp = self.xp
        return xp.all((s >= 1.0 / self.tau) & (s <= self.tau))

    # a block of sweeps with one host read ------------------------------------------------
    def block(self, k: int, tol: float) -> tuple[float, bool]:
        """Run ``k`` sweeps (v-update then u-update); the marginal error of the last one is
        computed on the device and read back once, with the range flag of the scalings.

        Returns ``(err, stop)``: ``err`` is the row-marginal L1 error of the plan after the
        last v-update (its column marginal is exact); when ``err <= tol`` the last u-update
        is not applied (the returned plan is the measured one) and ``stop`` is True.
        """
        if self.method == "log":
            return self._block_log(k, tol)
        xp = self.xp
        u0, v0 = self.u, self.v
        u, v, G = self.u, self.v, self.G
        ok = None
        # a zero or overflowing scaling is caught by the range flag (and the block redone),
        # so NumPy's divide/overflow warnings are noise here
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            for _ in range(k):
                v = self.b / (u @ G)
                s = G @ v
                u_prev, u = u, self.a / s
                flag = self._in_range(u) & self._in_range(v)
                ok = flag if ok is None else ok & flag
            # row error of the plan after the last v-update (before the last u-update)
            err_d = xp.sum(xp.abs(u_prev * s - self.a))
        # the only host read of the block: the error and the range flag together
        err, flag = host_floats(xp, err_d, ok)
        if not (flag == 1.0 and math.isfinite(err)):
            # a scaling left [1/tau, tau]: redo the block sweep by sweep with absorption
            self.u, self.v = u0, v0
            return self._block_checked(k, tol)
        self.v = v
        if err <= tol:
            self.u = u_prev  # the measured plan
            return err, True
        self.u = u
        return err, False

    def _block_checked(self, k: int, tol: float) -> tuple[float, bool]:
        """The block sweep by sweep, absorbing whenever a scaling leaves [1/tau, tau]."""
        xp = self.xp
        err = math.inf
        for i in range(k):
            t = self.u @ self.G
            ok = bool(xp.all(t > 0))
            if ok:
                vn = self.b / t
                ok = self._scaling_ok(vn)
            if ok:
                self.v = vn
            else:
                self.rebuild_cols()
            s = self.G @ self.v
            if i == k - 1:
                err = scalar(xp.sum(xp.abs(self.u * s - self.a)))
                if err <= tol:
                    return err, True
            self.update_u(s)
        return err, False

    def update_u(self, s: Any) -> None:
        xp = self.xp
        ok = bool(xp.all(s > 0))
        if ok:
            un = self.a / s
            ok = self._scaling_ok(un)
        if ok:
            self.u = un
        else:
            self.rebuild_rows()

    def _block_log(self, k: int, tol: float) -> tuple[float, bool]:
        xp = self.xp
        for i in range(k):
            self.g = self._ctransform_cols()
            fn = self._ctransform_rows()
            if i < k - 1:
                self.f = fn
        # row marginal of the plan with (f, g): a_i exp((f_i - fn_i)/eps)
        z = xp.minimum((self.f - fn) / self.eps, xp.asarray(50.0, dtype=fn.dtype))
        err = scalar(xp.sum(xp.abs(self.a * xp.exp(z) - self.a)))
        if err <= tol:
            return err, True
        self.f = fn
        return err, False

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

    def reset(self) -> None:
        """Back to the cold start ``f = g = 0`` (kernel dropped)."""
        xp = self.xp
        self.G = None
        self.f, self.g = xp.zeros_like(self.a), xp.zeros_like(self.b)
        self.u, self.v = xp.ones_like(self.a), xp.ones_like(self.b)


#: Check the marginal error (one host read) every this many sweeps.
_CHECK_EVERY = 10
#: epsilon-scaling is used only for ``epsilon < _SCALING_BELOW * (cost range)``, and the
#: schedule starts at ``_SCALING_START * (cost range)``: above it the plain iteration
#: converges in a few dozen sweeps and every stage would cost a kernel rebuild.
_SCALING_BELOW = 1e-3
_SCALING_START = 0.05


def _epsilon_schedule(eps: float, c_scale: float, scaling: bool, factor: float) -> list[float]:
    """Decreasing epsilons ending at ``eps``; ``[eps]`` unless ``eps`` is small against the
    cost range ``c_scale`` (below ``_SCALING_BELOW * c_scale``)."""
    if not scaling or not eps < _SCALING_BELOW * c_scale:
        return [eps]
    start = _SCALING_START * c_scale
    # at most 60 stages, even for costs spanning hundreds of orders of magnitude
    factor = min(factor, (eps / start) ** (1.0 / 60))
    k = math.ceil(math.log(eps / start) / math.log(factor))
    return [max(eps, start * factor**i) for i in range(k)] + [eps]


def _cold_start(solver: _Solver, c_min: float | None, c_range: float) -> None:
    """Kernel-domain start where no kernel entry underflows, else a log-domain rebuild."""
    if c_min is None or not solver.start_kernel(c_min, c_range):
        solver.rebuild_rows()


def _run_stage(solver: _Solver, cap: int, tol: float) -> tuple[int, float, bool]:
    """At most ``cap`` sweeps at ``solver.eps``, the error read every ``_CHECK_EVERY``."""
    done, err = 0, math.inf
    while done < cap:
        k = min(_CHECK_EVERY, cap - done)
        err, stop = solver.block(k, tol)
        done += k
        if stop:
            return done, err, True
    return done, err, False


def _solve_supported(
    a: Any, b: Any, c: Any, xp: ModuleType, *, epsilon: float, max_iter: int, tol: float,
    epsilon_scaling: bool, scaling_factor: float, method: str, c_scale: float, ct: Any = None,
    c_min: float | None = None,
) -> tuple[_Solver, int, bool, float, list[float]]:
    """Sinkhorn at ``epsilon`` with (optional) epsilon-scaling, which never makes a problem
    worse than the plain iteration: with a schedule, the plain iteration first gets one
    check block from the cold start (a problem it solves at once is done); a stage that does
    not reach its tolerance ends the schedule (the next stage is the target epsilon)."""
    solver = _Solver(a, b, c, xp, method, ct)
    schedule = _epsilon_schedule(epsilon, c_scale, epsilon_scaling, scaling_factor)
    n_iter, err, converged = 0, math.inf, False
    used = []
    if len(schedule) > 1 and max_iter > _CHECK_EVERY:
        # cold-start probe at the target epsilon
        solver.eps = epsilon
        _cold_start(solver, c_min, c_scale)
        done, err, converged = _run_stage(solver, _CHECK_EVERY, tol)
        n_iter += done
        used.append(epsilon)
        if converged:
            return solver, n_iter, True, err, used
        solver.reset()
    n_stages = len(schedule)
    stage_cap = max(1, min(100, max_iter // (2 * n_stages))) if n_stages > 1 else max_iter
    stalled = False
    for k, eps in enumerate(schedule):
        final = k == n_stages - 1
        if stalled and not final:
            continue  # the previous stage stalled: scaling is not helping, go to the target
        # sweeps of all stages count against max_iter; keep one for the final stage
        cap = max_iter - n_iter if final else min(stage_cap, max_iter - n_iter - 1)
        if cap <= 0:
            continue
        solver.eps = eps
        if k == 0:  # f = g = 0 (also after the probe): the kernel start may apply
            _cold_start(solver, c_min, c_scale)
        else:
            solver.rebuild_rows()
        used.append(eps)
        stage_tol = tol if final else max(tol, 1e-3)
        done, err, ok = _run_stage(solver, cap, stage_tol)
        n_iter += done
        stalled = not ok
        converged = ok and final
    return solver, n_iter, converged, err, used


def _index_map(mask: Any, xp: ModuleType) -> Any:
    """For each position, its index among the True entries of ``mask`` (0 where False)."""
    idx = xp.cumulative_sum(xp.astype(mask, xp.int64)) - 1
    return xp.where(mask, idx, xp.zeros_like(idx))


def _extend(vec: Any, mask: Any, fill: Any, xp: ModuleType) -> Any:
    """Place ``vec`` at the True positions of ``mask`` and ``fill`` elsewhere."""
    return xp.where(mask, xp.take(vec, _index_map(mask, xp), axis=0), fill)


@argument_hints
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
    max_memory: float | None = None,
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
    a, b : array_like, shape (n,) and (m,) or (m, k), or None
        Marginal weights (probability vectors, summing to 1 within 1e-6; ``None`` means
        uniform). A 2-D ``b`` holds ``k`` target histograms as its columns (POT's multi-b
        ``ot.sinkhorn2``): ``k`` problems with the same ``a`` and ``cost``, and the numbers
        of the result (``value``, ``dual_value``, ``duality_gap``, ``marginal_error``) are
        arrays of shape (k,), ``plan`` has shape (k, n, m), the potentials (k, n) and
        (k, m). Zero weights are allowed: those rows/columns are removed from the solve,
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
        For small ``epsilon`` (below ``1e-3`` times the cost range :math:`\max C - \min C`)
        start at :math:`\varepsilon_0 = 0.05\,(\max C - \min C)` and multiply by
        ``scaling_factor`` per stage down to ``epsilon``. The schedule never makes a problem
        worse than the plain iteration: the plain iteration first runs one check block (10
        sweeps) from the cold start at ``epsilon`` (a problem it solves at once ends there),
        and a stage that does not reach its tolerance ends the schedule (the solve goes on
        at ``epsilon``). Larger ``epsilon`` is solved without a schedule.
    scaling_factor : float
        Geometric factor in (0, 1) of the :math:`\varepsilon` schedule.
    method : {"auto", "stabilized", "log"}
        ``"stabilized"`` (the default for ``"auto"``): kernel iterations with log-domain
        absorption; ``"log"``: every half-step a log-sum-exp (slower, same fixed point).
        The stabilized solver starts in the kernel domain, ``K = exp(-(C - min C)/epsilon)``
        as POT's ``ot.sinkhorn``, when no entry of ``K`` underflows (cost range below about
        590 ``epsilon`` in float64, 64 ``epsilon`` in float32), else with a log-domain
        kernel; the marginal error is computed on the device and read back every 10 sweeps
        (one host read per check).
    max_memory : float, optional
        Byte limit for the ``(n, m)`` matrices the solver forms (kernel, plan and a
        temporary; one more plan per extra column of ``b``). Default: half the memory
        available to the process. Above it a :class:`~divlab.errors.MemoryLimitError` names
        the alternatives (``sinkhorn_divergence(..., online=True)``,
        ``sliced_wasserstein``, subsampling).

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
        ``epsilon_schedule`` (the epsilons run, in order; with a schedule the first entry is
        the cold-start probe at ``epsilon``), ``method``, ``n_rebuilds`` (kernel builds and
        re-stabilisations).

    Raises
    ------
    ParameterError
        ``epsilon <= 0``, ``max_iter < 1``, ``tol <= 0``, ``scaling_factor`` outside (0, 1),
        unknown ``method``; a SciPy/POT argument name (``reg``, ``numItermax``,
        ``stopThr``) says divlab's name (``epsilon``, ``max_iter``, ``tol``).
    MemoryLimitError
        The ``(n, m)`` matrices would not fit (see ``max_memory``).
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
    multi = b is not None and getattr(b, "ndim", np.ndim(b)) == 2
    if multi:
        b = as_float_array(b, "b", xp)
        if b.shape[0] != m or b.shape[1] < 1:
            raise ShapeMismatchError(
                f"`b` must have shape ({m},) or ({m}, k) to match `cost`, got {tuple(b.shape)}"
            )
        cols = [_check_marginal(b[:, j], m, f"b[:, {j}]", xp) for j in range(b.shape[1])]
    else:
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
    k = len(cols) if multi else 1
    # the kernel, the plan and one (n, m) temporary of the kernel build, plus k - 1 plans
    check_matrix_memory(n, m, _itemsize(c.dtype, xp),
                        what="sinkhorn: the kernel, the plan and a temporary",
                        alternatives=_MEMORY_ALTERNATIVES, max_memory=max_memory,
                        copies=3 + (k - 1))
    opts = {"epsilon": epsilon, "max_iter": max_iter, "tol": tol,
            "epsilon_scaling": epsilon_scaling, "scaling_factor": scaling_factor,
            "method": method}
    if multi:
        return _sinkhorn_multi(a, cols, c, xp, **opts)
    res = _sinkhorn(a, b, c, xp, **opts, stacklevel=4)  # + 1 for argument_hints
    return _public_result(res, xp)


def _itemsize(dtype: Any, xp: ModuleType) -> int:
    return 4 if dtype == xp.float32 else 8


def _public_result(res: OTResult, xp: ModuleType) -> OTResult:
    """The numbers of a :func:`_sinkhorn` result in divlab's result convention."""
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


def _sinkhorn_multi(a: Any, cols: list[Any], c: Any, xp: ModuleType, **opts: Any) -> OTResult:
    """:func:`sinkhorn` with several target histograms (the columns of ``b``, shape (m, k)):
    ``k`` problems with the same ``a`` and ``cost`` (POT's multi-b ``ot.sinkhorn2``), one
    solve each; the numbers of the result are arrays of shape (k,), the plans (k, n, m)."""
    sols = [_sinkhorn(a, bj, c, xp, **opts, stacklevel=5) for bj in cols]
    like = sols[0].plan
    dtype = like.dtype

    def vec(vals: list[float]) -> Any:
        return from_numpy(np.asarray(vals, dtype=np.float64), xp, like=like, dtype=dtype)

    details = {
        "per_problem": [s.details for s in sols],
        "n_problems": len(sols),
        "entropic_objective": vec([s.dual_value for s in sols]),
        "primal_objective": vec([s.details["primal_objective"] for s in sols]),
        "epsilon": opts["epsilon"],
        "method": opts["method"],
    }
    return OTResult(
        value=vec([s.value for s in sols]),
        plan=xp.stack([s.plan for s in sols]),
        potentials=(xp.stack([s.potentials[0] for s in sols]),
                    xp.stack([s.potentials[1] for s in sols])),
        dual_value=vec([s.dual_value for s in sols]),
        duality_gap=vec([s.duality_gap for s in sols]),
        converged=all(s.converged for s in sols),
        n_iter=max(s.n_iter for s in sols),
        marginal_error=vec([s.marginal_error for s in sols]),
        details=details,
    )


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
    c = xp.astype(c, dtype, copy=False)
    a = xp.ones((n,), dtype=dtype) / n if a is None else xp.astype(a, dtype, copy=False)
    b = xp.ones((m,), dtype=dtype) / m if b is None else xp.astype(b, dtype, copy=False)
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
    # -inf and NaN were rejected at the door: some cost is +inf iff the maximum is
    c_max, c_min = host_floats(xp, xp.max(c_s), xp.min(c_s))
    has_inf = c_max == math.inf
    if has_inf:
        finite = xp.isfinite(c_s)
        _check_support_feasible(finite, xp)
        c_max = scalar(xp.max(xp.where(finite, c_s, xp.full_like(c_s, c_min))))
    c_scale = max(abs(c_max), abs(c_min))
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
        c_max, c_min = c_max / unit, c_min / unit

    solver, n_iter, converged, _err, schedule = _solve_supported(
        a_s, b_s, c_s, xp, epsilon=epsilon / unit, max_iter=max_iter, tol=tol,
        epsilon_scaling=epsilon_scaling, scaling_factor=scaling_factor, method=method,
        c_scale=c_max - c_min, c_min=c_min,
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
        value = scalar(_frobenius(plan_s, c_s, xp))  # <P, C>, no (n, m) temporary
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


def _frobenius(p: Any, c: Any, xp: ModuleType) -> Any:
    """``sum(p * c)`` as row dot products (``xp.vecdot``: no (n, m) temporary, and no BLAS
    ``ddot``, which a threaded OpenBLAS runs 1000x slower on a busy machine)."""
    if hasattr(xp, "vecdot"):
        return xp.sum(xp.vecdot(p, c, axis=-1))
    return vdot(p, c, xp)


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
        done = 0
        while done < cap:  # the error is read back once per block of _CHECK_EVERY sweeps
            k = min(_CHECK_EVERY, cap - done)
            for _ in range(k - 1):
                f = 0.5 * (f + ct.rows(f, logw, eps))
            t = ct.rows(f, logw, eps)
            z = xp.minimum((f - t) / eps, xp.asarray(50.0, dtype=f.dtype))
            row = w * xp.exp(z)  # row (= column) marginal of the plan of f
            err, mass = host_floats(xp, xp.sum(xp.abs(row - w)), xp.sum(row))
            err *= 2.0
            done += k
            if err <= stage_tol:
                converged = final
                break
            f = 0.5 * (f + t)
        n_iter += done
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
            stacklevel=4,
        )
    f, g = solver.f, solver.g
    # dual objective at (f, g), including the mass term (0 when the columns are exact)
    z = xp.minimum((f - ct.rows(g, solver.logb, epsilon)) / epsilon,
                   xp.asarray(50.0, dtype=f.dtype))
    mass = scalar(xp.sum(a * xp.exp(z)))
    return scalar(xp.sum(a * f) + xp.sum(b * g)) - epsilon * (mass - 1.0)


@argument_hints
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
    max_memory: float | None = None,
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
    max_memory : float, optional
        Byte limit for the dense matrices (``online=False``): four ``max(n, m)``-square
        matrices are budgeted. Default: half the memory available to the process. Above it
        a :class:`~divlab.errors.MemoryLimitError` suggests ``online=True``.

    Returns
    -------
    float array (0-d)
        :math:`S_\varepsilon`, in the namespace and float dtype of ``x``.

    Raises
    ------
    ParameterError
        ``epsilon <= 0`` or bad solver options (a POT name such as ``reg`` says divlab's).
    MemoryLimitError
        Without ``online=True``, the dense matrices would not fit (see ``max_memory``).
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
    if not online:
        # the three cost matrices are formed one after the other; the cross solve holds its
        # cost, kernel and plan (and a temporary) at once
        k = max(x.shape[0], y.shape[0])
        check_matrix_memory(k, k, _itemsize(dtype, xp),
                            what="sinkhorn_divergence: the cost, kernel and plan matrices",
                            alternatives="pass online=True (the cost is recomputed in tiles, "
                            "memory O(n + m)), use sliced_wasserstein, or subsample the points",
                            max_memory=max_memory, copies=4)
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
                            stacklevel=4).dual_value
    ot_aa, ok_a, err_a, _ = _symmetric_ot(wa, ct_aa, xp, **sym)
    ot_bb, ok_b, err_b, _ = _symmetric_ot(wb, ct_bb, xp, **sym)
    if not (ok_a and ok_b):
        warnings.warn(
            f"sinkhorn_divergence: a symmetric term did not converge in max_iter={max_iter} "
            f"sweeps (marginal errors {err_a:.3g}, {err_b:.3g} > tol={tol:.3g}). Increase "
            "`max_iter`, loosen `tol` or increase `epsilon`.",
            ConvergenceWarning,
            stacklevel=3,
        )
    s = ab_dual - 0.5 * ot_aa - 0.5 * ot_bb
    return as_result(from_numpy(max(s, 0.0), xp, like=x, dtype=dtype), xp)

