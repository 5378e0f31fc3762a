r"""Exact optimal transport: the earth mover's problem and exact :math:`W_p` between samples.

The primal problem (Kantorovich) and its dual are

.. math::

    \min_{P \ge 0,\ P\mathbf 1 = a,\ P^\top \mathbf 1 = b} \langle P, C\rangle
    \;=\; \max_{f_i + g_j \le C_{ij}} \sum_i a_i f_i + \sum_j b_j g_j .

The primal is solved by POT's network simplex (``ot.emd``), which runs on the CPU only:
:func:`emd` makes **one host round trip** (inputs copied to NumPy with
:func:`divlab._array.to_numpy`, results moved back to the input namespace, device and float
dtype). Everything POT hands back is checked: the solver status, the marginals of the plan,
dual feasibility and the duality gap. POT is imported only when a simplex is solved, so
``import divlab.ot`` (and every solver that does not need the simplex) does not import it.
"""

from __future__ import annotations

import functools
import inspect
import math
import warnings
from typing import Any, NamedTuple

import numpy as np

from .. import costs as _costs
from .._array import (
    array_namespace,
    as_result,
    chunk_slices,
    device_rescale_pair,
    from_numpy,
    host_float64,
    pow2_scale,
    result_float_dtype,
    to_numpy,
)
from .._validate import (
    NORMALIZATION_RTOL,
    argument_hints,
    as_float_array,
    check_choice,
    check_cost_matrix,
    check_int,
    check_matrix_memory,
    check_sample_pair,
    check_weights,
)
from ..costs import pairwise_cost_unchecked
from ..errors import (
    ConvergenceWarning,
    EmptyInputError,
    InputError,
    NegativeValueError,
    NonFiniteError,
    NormalizationError,
    ParameterError,
    ShapeMismatchError,
)
from ._result import OTResult, result_number
from .oned import _check_p, _validated_weights, _wasserstein_1d_kernel

__all__ = ["emd", "wasserstein", "c_transform"]

# POT's network-simplex status codes (ot/lp/network_simplex_simple.h: ProblemType).
_INFEASIBLE, _OPTIMAL, _UNBOUNDED, _MAX_ITER_REACHED = 0, 1, 2, 3
_STATUS = {0: "infeasible", 1: "optimal", 2: "unbounded", 3: "iteration budget reached"}

#: Smallest first simplex iteration budget (POT's default numItermax).
_MIN_BUDGET = 100_000
#: First budget per node: about 7 (n + m) pivots suffice for uniform 2-D clouds (measured).
_BUDGET_PER_NODE = 50
#: Largest default simplex iteration budget (the ``max_iter=None`` cap).
DEFAULT_MAX_ITER_CAP = 2**31 - 1
#: Relative tolerance (w.r.t. ``total mass * max |C|``) on the duality gap and on dual
#: feasibility below which a solve is accepted as optimal.
GAP_RTOL = 1e-9

#: Ground metrics of the sample doors (true metrics only): those of
#: :func:`divlab.costs.pairwise_cost` that need no extra parameter.
_W_METRICS = (
    "euclidean", "cityblock",
    *(name for name in ("chebyshev", "canberra") if name in getattr(_costs, "CDIST_METRICS", ())),
)
#: What to use instead when the dense (n, m) problem does not fit in memory.
_MEMORY_ALTERNATIVES = (
    "use `sliced_wasserstein(x, y)`, the entropic `sinkhorn(..., online=True)` / "
    "`sinkhorn_divergence(..., online=True)` (no dense matrix), or subsample the points "
    "(e.g. 2000 per side); `max_memory=` raises the limit"
)
_MEMORY_ALTERNATIVES_EMD = (
    "for samples use `sliced_wasserstein(x, y)` or the entropic "
    "`sinkhorn(..., online=True)` / `sinkhorn_divergence(..., online=True)` (no dense "
    "matrix), or subsample; `max_memory=` raises the limit"
)
#: Mass left on a forbidden (+inf) pair below ``_FORBIDDEN_MASS_RTOL * (n + m) * total mass``
#: is simplex rounding (it is removed, and the plan is certified by the dual).
_FORBIDDEN_MASS_RTOL = 1e-12


def _least_forbidden_mass(a: np.ndarray, b: np.ndarray, forbidden: np.ndarray, budget: int,
                          cap: int) -> float:
    """The least mass a plan with marginals ``a``, ``b`` must put on ``forbidden`` pairs
    (exact OT with 0/1 costs; 0 up to rounding iff the problem is feasible)."""
    c01 = np.ascontiguousarray(forbidden, dtype=np.float64)
    plan = _solve(a, b, c01, budget, cap)[0]
    return float(plan[forbidden].sum())


def _host_mass(w: Any, n: int, name: str, xp: Any) -> np.ndarray:
    """Validate a mass vector (not normalised) and copy it to the host as float64."""
    if w is None:
        return np.full(n, 1.0 / n)
    w = as_float_array(w, name, xp)
    if w.ndim != 1 or w.shape[0] != n:
        raise ShapeMismatchError(
            f"`{name}` must have shape ({n},) to match `cost`, got {tuple(w.shape)}"
        )
    wn = np.asarray(to_numpy(w), dtype=np.float64)
    bad = ~np.isfinite(wn)
    if bad.any():
        i = int(np.argmax(bad))
        raise NonFiniteError(
            f"`{name}` contains a non-finite value ({float(wn[i])!r} at index {i})"
        )
    if (wn < 0).any():
        i = int(np.argmax(wn < 0))
        raise NegativeValueError(
            f"`{name}` has a negative entry ({float(wn[i])!r} at index {i}); masses must be >= 0"
        )
    if not wn.any():
        raise EmptyInputError(f"`{name}` has zero total mass")
    return wn


def _cost_range(c: np.ndarray) -> tuple[float, float, np.ndarray | None]:
    """``(max |C|, min C, mask of +inf entries or None)`` over the finite entries of a host
    cost matrix already checked by :func:`divlab._validate.check_cost_matrix` (no NaN, no
    -inf)."""
    cmax, cmin = float(c.max()), float(c.min())
    if math.isfinite(cmax) and math.isfinite(cmin):
        return max(abs(cmax), abs(cmin)), cmin, None
    forbidden = np.isposinf(c)
    finite = c[~forbidden]
    if finite.size == 0:
        raise InputError("`cost` is +inf everywhere: no transport plan has finite cost")
    return float(np.abs(finite).max()), float(finite.min()), forbidden


def c_transform(f: np.ndarray, cost: np.ndarray) -> np.ndarray:
    r"""Host c-transform :math:`f^c_j = \min_i (C_{ij} - f_i)` (NumPy, internal helper)."""
    return np.min(cost - f[:, None], axis=0)


def _double_c_transform(f: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    r""":math:`g = f^c`, :math:`f = g^{\bar c}` and :math:`\max_{ij}(f_i + g_j - C_{ij})`.

    Two passes over ``C`` in row blocks of about 8 MiB (no (n, m) temporary).
    """
    n, m = c.shape
    rows = max(1, 2**20 // m)
    g = np.full(m, np.inf)
    for sl in chunk_slices(n, rows):
        np.minimum(g, (c[sl] - f[sl, None]).min(axis=0), out=g)
    f = np.empty(n)
    violation = -np.inf
    for sl in chunk_slices(n, rows):
        buf = c[sl] - g[None, :]
        f[sl] = buf.min(axis=1)
        buf -= f[sl, None]  # C - g - f >= 0 up to rounding
        violation = max(violation, -float(buf.min()))
    return f, g, violation


@functools.cache
def _pot_emd_kwargs() -> dict[str, Any]:
    """``check_marginals=False`` where POT has it (masses are already equalised here)."""
    import ot

    params = inspect.signature(ot.emd).parameters
    return {"check_marginals": False} if "check_marginals" in params else {}


def _first_budget(n: int, m: int, cap: int = DEFAULT_MAX_ITER_CAP) -> int:
    """The first simplex iteration budget for an ``n x m`` problem (raised by :func:`_solve`
    up to ``cap`` when it runs out)."""
    return min(cap, max(_MIN_BUDGET, _BUDGET_PER_NODE * (n + m)))


def _solve(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, budget: int, cap: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, int, int, list[tuple[int, str]]]:
    """Run POT's network simplex, retrying with a 10x larger budget up to ``cap``."""
    import ot

    attempts: list[tuple[int, str]] = []
    while True:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan, log = ot.emd(a, b, c, numItermax=int(budget), log=True, center_dual=False,
                               **_pot_emd_kwargs())
        code = int(log["result_code"])
        attempts.append((int(budget), _STATUS.get(code, str(code))))
        if code != _MAX_ITER_REACHED or budget >= cap:
            return (plan, np.asarray(log["u"]), np.asarray(log["v"]), float(log["cost"]), code,
                    int(budget), attempts)
        budget = min(cap, budget * 10)


@argument_hints
def emd(
    a: Any,
    b: Any,
    cost: Any,
    *,
    max_iter: int | None = None,
    check: bool = True,
    max_memory: Any = None,
) -> OTResult:
    r"""Exact optimal transport (earth mover's problem) with plan, potentials and certificate.

    Solves

    .. math::

        \min_{P \ge 0,\ P\mathbf 1 = a,\ P^\top\mathbf 1 = b} \langle P, C\rangle
        = \max_{f_i + g_j \le C_{ij}} \sum_i a_i f_i + \sum_j b_j g_j

    with POT's network simplex (``ot.emd``) and verifies the answer. ``value`` is
    :math:`\langle P, C\rangle` — for :math:`C_{ij} = d(x_i, y_j)^p` this is :math:`W_p^p`
    (the same convention as ``ot.emd2``); :func:`wasserstein` returns :math:`W_p`.

    **Host round trip.** The network simplex is CPU-only: inputs are copied to NumPy once,
    and the plan and potentials are moved back to the namespace, device and float dtype of
    the inputs (no gradient flows through the simplex).

    **Importing POT.** POT (``ot``) is imported on the first call, not with
    ``divlab.ot``. When PyTorch, JAX, CuPy or TensorFlow is installed, ``import ot`` also
    imports them (its backend registry), which can take seconds; setting the environment
    variables ``POT_BACKEND_DISABLE_PYTORCH=1``, ``POT_BACKEND_DISABLE_JAX=1``,
    ``POT_BACKEND_DISABLE_CUPY=1`` and ``POT_BACKEND_DISABLE_TENSORFLOW=1`` before the first
    call skips them (the names are those of POT 0.9, ``ot/backend.py``). divlab never sets
    them itself.

    **Never silently wrong.** POT stops after ``numItermax`` pivots (default 100 000, too
    few e.g. for 8000 points in 2-D) and then returns a sub-optimal value with only a
    warning. Here the budget starts at ``max(100000, 50 (n + m))`` and is multiplied by 10
    until the simplex reports optimality or ``max_iter`` is reached; the duality gap and
    dual feasibility are then checked. If optimality is not reached, the result has
    ``converged=False`` and a :class:`~divlab.errors.ConvergenceWarning` states the gap.

    Parameters
    ----------
    a, b : array_like, shape (n,) and (m,), or None
        Non-negative masses with equal totals (any positive total; ``None`` = uniform
        :math:`1/n`). Totals that differ by a relative ``1e-6`` or less are equalised by
        rescaling ``b``. ``b`` may also have shape ``(m, k)``: ``k`` target histograms
        (POT's multi-b), solved as ``k`` problems; then ``value``, ``dual_value``,
        ``duality_gap`` and ``marginal_error`` are arrays of shape ``(k,)``, ``plan`` has
        shape ``(k, n, m)``, the potentials ``(k, n)`` and ``(k, m)``, ``converged`` is
        true when all are, and ``details["per_problem"]`` lists each problem's details.
    cost : array_like, shape (n, m)
        Cost matrix. Entries may be negative. ``+inf`` marks a forbidden pair: it is
        replaced by a finite penalty larger than any optimal dual can reach. The simplex
        may leave rounding mass (~1e-17) on such a pair: mass up to ``1e-12 (n + m)``
        times the total is removed from the plan and the cleaned plan is certified by the
        dual (duality gap); more than that means the problem is infeasible, which is then
        confirmed by an exact 0/1-cost problem and reported as an
        :class:`~divlab.errors.InputError`. Costs of any magnitude (``1e-300`` to
        ``1e308``) are brought to unit scale by an exact power-of-two rescaling.
    max_iter : int, optional
        Largest simplex iteration budget (POT's ``numItermax``); default ``2**31 - 1``.
    check : bool, default True
        Canonicalise and certify the potentials (two c-transforms, a dual feasibility
        check; :math:`O(nm)` extra work). With ``False`` POT's potentials are returned
        (centred) and only the gap :math:`\langle P,C\rangle - (a^\top f + b^\top g)` is
        computed.
    max_memory : int or float, optional
        Bytes the host problem (``3 n m`` float64: the copy of ``cost``, the plan, a
        temporary) may take; default half the memory available. Above it a
        :class:`~divlab.errors.MemoryLimitError` names the alternatives before anything
        is allocated.

    Returns
    -------
    OTResult
        ``value`` :math:`\langle P, C\rangle` (a NumPy scalar of the inputs' float dtype
        for NumPy input, else a 0-d array of their namespace; likewise ``dual_value``,
        ``duality_gap`` and ``marginal_error``); ``plan`` (n, m); ``potentials``
        ``(f, g)``: with ``check=True`` they are the double c-transform of POT's duals
        (:math:`g = f^c`, then :math:`f = g^{\bar c}`), which keeps them optimal and
        makes :math:`f_i + g_j \le C_{ij}` hold up to one rounding, then centred so that
        :math:`a^\top f = b^\top g` (POT's ``center_ot_dual`` convention); ``dual_value``
        :math:`a^\top f + b^\top g`; ``duality_gap`` = value - dual_value; ``converged``;
        ``n_iter``: the iteration budget of the accepted run (an upper bound on the
        pivots; POT does not report the count); ``marginal_error``
        :math:`\|P\mathbf 1 - a\|_1 + \|P^\top\mathbf 1 - b\|_1`; ``details``:
        ``status``, ``attempts`` (budget, status) pairs, ``dual_violation``
        :math:`\max_{ij}(f_i + g_j - C_{ij})` of the returned potentials, ``cost_scale``.

    Raises
    ------
    EmptyInputError
        Empty cost matrix or zero total mass (POT itself crashes on empty input).
    NonFiniteError
        NaN or ``-inf`` costs (POT returns 0.0 for a NaN cost), non-finite masses.
    NegativeValueError
        Negative masses.
    NormalizationError
        ``a`` and ``b`` have different total mass.
    ShapeMismatchError
        ``cost`` not 2-D or not of shape ``(len(a), len(b))``.
    InputError
        The ``+inf`` entries leave no feasible plan.
    ParameterError
        ``max_iter < 1``; a SciPy/POT argument name (``numItermax``, ``log``, ...)
        names divlab's.
    MemoryLimitError
        The problem would exceed ``max_memory``.

    Warns
    -----
    ConvergenceWarning
        The simplex did not reach optimality within ``max_iter`` iterations.

    Examples
    --------
    >>> res = emd([0.5, 0.5], [0.5, 0.5], [[0.0, 1.0], [1.0, 0.0]])
    >>> float(res.value), float(res.duality_gap), res.converged, type(res.value).__name__
    (0.0, 0.0, True, 'float64')
    >>> res = emd(None, None, [[2.0, 1.0], [1.0, 3.0]])
    >>> float(res.value), res.plan.tolist()
    (1.0, [[0.0, 0.5], [0.5, 0.0]])
    >>> emd([0.5, 0.5], [[0.5, 1.0], [0.5, 0.0]], [[0.0, 1.0], [1.0, 0.0]]).value.tolist()
    [0.0, 0.5]
    """
    xp = array_namespace(a, b, cost)
    cost = check_cost_matrix(cost, "cost", xp=xp)
    n, m = (int(s) for s in cost.shape)
    if max_iter is not None:
        max_iter = check_int(max_iter, "max_iter", min_value=1)
    check = bool(check)
    dtypes = [cost] + [w for w in (a, b) if hasattr(w, "dtype")]
    dtype = result_float_dtype(xp, *dtypes)

    # ---- the one host round trip ---------------------------------------------------------
    check_matrix_memory(n, m, 8, what="exact OT (`emd`): the host copy of `cost`, the plan and "
                        "a temporary", alternatives=_MEMORY_ALTERNATIVES_EMD,
                        max_memory=max_memory, copies=3)
    a_np = _host_mass(a, n, "a", xp)
    c_np = np.asarray(to_numpy(cost), dtype=np.float64)
    like = cost
    if getattr(b, "ndim", np.ndim(b) if b is not None else 1) == 2:
        return _emd_multi(a_np, b, c_np, xp, like, dtype, max_iter=max_iter, check=check,
                          max_memory=max_memory)
    b_np = _host_mass(b, m, "b", xp)
    sol = _emd_host(a_np, b_np, c_np, max_iter=max_iter, check=check, stacklevel=4)
    return OTResult(
        value=result_number(sol.value, xp, like=like, dtype=dtype),
        plan=from_numpy(sol.plan, xp, like=like, dtype=dtype),
        potentials=(from_numpy(sol.f, xp, like=like, dtype=dtype),
                    from_numpy(sol.g, xp, like=like, dtype=dtype)),
        dual_value=result_number(sol.dual_value, xp, like=like, dtype=dtype),
        duality_gap=result_number(sol.duality_gap, xp, like=like, dtype=dtype),
        converged=sol.converged,
        n_iter=sol.n_iter,
        marginal_error=result_number(sol.marginal_error, xp, like=like, dtype=dtype),
        details=sol.details,
    )


def _emd_multi(a_np: np.ndarray, b: Any, c_np: np.ndarray, xp: Any, like: Any, dtype: Any, *,
               max_iter: int | None, check: bool, max_memory: Any) -> OTResult:
    """:func:`emd` with several target histograms, the columns of ``b`` (shape (m, k)):
    ``k`` problems with the same ``a`` and ``cost`` (POT's multi-b ``ot.emd2``)."""
    n, m = c_np.shape
    b = as_float_array(b, "b", xp)
    if b.shape[0] != m or b.shape[1] < 1:
        raise ShapeMismatchError(
            f"`b` must have shape ({m},) or ({m}, k) to match `cost`, got {tuple(b.shape)}"
        )
    bn = np.asarray(to_numpy(b), dtype=np.float64)
    k = bn.shape[1]
    check_matrix_memory(k * n, m, 8, what=f"exact OT (`emd`): {k} transport plans",
                        alternatives="solve the columns of `b` one at a time",
                        max_memory=max_memory)
    sols = []
    for j in range(k):  # a loop, not a comprehension: the warning's stacklevel stays exact
        bj = _host_mass(np.ascontiguousarray(bn[:, j]), m, f"b[:, {j}]", np)
        sols.append(_emd_host(a_np, bj, c_np, max_iter=max_iter, check=check, stacklevel=5))

    def vec(name: str) -> Any:
        return from_numpy(np.array([getattr(s, name) for s in sols]), xp, like=like, dtype=dtype)

    return OTResult(
        value=vec("value"),
        plan=from_numpy(np.stack([s.plan for s in sols]), xp, like=like, dtype=dtype),
        potentials=(from_numpy(np.stack([s.f for s in sols]), xp, like=like, dtype=dtype),
                    from_numpy(np.stack([s.g for s in sols]), xp, like=like, dtype=dtype)),
        dual_value=vec("dual_value"),
        duality_gap=vec("duality_gap"),
        converged=all(s.converged for s in sols),
        n_iter=max(s.n_iter for s in sols),
        marginal_error=vec("marginal_error"),
        details={"per_problem": [s.details for s in sols], "n_problems": k},
    )


class _HostSolution(NamedTuple):
    """Host (float64) solution of the exact problem in the caller's units."""

    value: float
    plan: np.ndarray
    f: np.ndarray
    g: np.ndarray
    dual_value: float
    duality_gap: float
    converged: bool
    n_iter: int
    marginal_error: float
    details: dict[str, Any]


def _emd_host(
    a_np: np.ndarray, b_np: np.ndarray, c: np.ndarray, *, max_iter: int | None = None,
    check: bool = True, stacklevel: int = 2,
) -> _HostSolution:
    """Kernel of :func:`emd` on host float64 data: masses ``a_np``, ``b_np`` (finite, >= 0,
    positive totals) and a cost ``c`` checked by :func:`~divlab._validate.check_cost_matrix`
    (``+inf`` allowed). Rescales, equalises the totals (within ``NORMALIZATION_RTOL``),
    solves with POT's simplex and certifies the result. Internal callers (:func:`wasserstein`,
    :func:`~divlab.ot.kr_witness`) call this directly."""
    n, m = c.shape
    # Masses: exact power-of-two rescaling (total mass in [1, 2)), then equal totals. POT's
    # simplex uses absolute tolerances, so both masses and costs are brought to unit scale.
    mass_scale = pow2_scale(max(float(a_np.sum()), float(b_np.sum())))
    if mass_scale != 1.0:
        a_np, b_np = a_np / mass_scale, b_np / mass_scale
    sa, sb = float(a_np.sum()), float(b_np.sum())
    rel = abs(sa - sb) / max(sa, sb)
    if rel > NORMALIZATION_RTOL:
        raise NormalizationError(
            f"`a` and `b` must have the same total mass, got sum(a) = {sa * mass_scale!r} and "
            f"sum(b) = {sb * mass_scale!r} (relative difference {rel:.3g}); normalise them"
        )
    if sa != sb:
        b_np = b_np * (sa / sb)

    # Costs (NaN and -inf were rejected at the door): exact power-of-two rescaling to
    # max|C| in [1, 2) (the plan is invariant; POT's absolute tolerances then act at unit
    # scale, which makes tiny costs such as 1e-20 solvable), +inf -> a finite penalty.
    cabs, cmin_raw, forbidden = _cost_range(c)
    cost_scale = pow2_scale(cabs) if 0.0 < cabs < math.inf else 1.0
    if cost_scale != 1.0:
        c = c / cost_scale
        cabs = cabs / cost_scale
    # POT's network simplex reports "infeasible" for some all-negative cost matrices
    # (e.g. [[-10, -9], [-8, -7], [-6, -5]]): solve with C - min C >= 0 instead. Transport
    # plans are unchanged by the shift; the value moves by min C * total mass.
    shift = 0.0
    cmin = cmin_raw / cost_scale  # exact (power of two)
    if cmin < 0.0:
        shift = cmin
        c = c - shift
        cabs = float(np.max(c[~forbidden]) if forbidden is not None else np.max(c))
    penalty = 0.0
    if forbidden is not None:
        # Optimal duals of the problem without the forbidden pairs can be chosen with
        # |f|, |g| <= (n + m) max|C|; a penalty above twice that never binds.
        penalty = 4.0 * (n + m + 1) * max(cabs, 1.0)
        c = np.where(forbidden, penalty, c)
    c = np.ascontiguousarray(c)

    cap = DEFAULT_MAX_ITER_CAP if max_iter is None else max_iter
    plan, f, g, value, code, used, attempts = _solve(a_np, b_np, c, _first_budget(n, m, cap),
                                                     cap)
    details: dict[str, Any] = {}
    if forbidden is not None:
        # The simplex works in floating point: rounding mass of order eps * total can be
        # left on a penalised pair. It is judged against the solver's tolerance, removed,
        # and the cleaned plan is certified by the dual below (duality gap).
        mass_tol = _FORBIDDEN_MASS_RTOL * (n + m) * sa
        stray = float(plan[forbidden].sum())
        if stray > mass_tol:
            # Either the penalty was too small for this problem or it is infeasible:
            # the least mass any plan must put on forbidden pairs decides.
            least = _least_forbidden_mass(a_np, b_np, forbidden, used, cap)
            if least > mass_tol:
                raise InputError(
                    "`cost`: every transport plan with marginals `a`, `b` uses a +inf "
                    f"entry (the problem is infeasible: at least {least * mass_scale:.3g} of "
                    f"the mass {sa * mass_scale:.3g} must move along forbidden pairs)"
                )
            penalty *= 1e6
            c = np.where(forbidden, penalty, c)
            plan, f, g, value, code, used, attempts2 = _solve(a_np, b_np, c, used, cap)
            attempts += attempts2
            stray = float(plan[forbidden].sum())
        details["forbidden_mass_removed"] = stray * mass_scale
        if stray > 0.0:
            plan = np.where(forbidden, 0.0, plan)
        value = float(np.sum(np.where(forbidden, 0.0, plan * c)))

    # value = <P, C> as accumulated by POT's solver (saves a pass over the plan)
    tol = GAP_RTOL * max(cabs, np.finfo(np.float64).tiny)
    details.update({"status": _STATUS.get(code, str(code)), "attempts": attempts,
                    "cost_scale": cost_scale, "mass_scale": mass_scale})
    if check:
        f, g, violation = _double_c_transform(f, c)
        details["dual_violation"] = violation * cost_scale
    else:
        violation = 0.0
    if shift != 0.0:  # back to the caller's costs: f_i + g_j <= C_ij - shift
        value += shift * sa
        f = f + shift
    centre = (float(b_np @ g) - float(a_np @ f)) / (2.0 * sa)
    f, g = f + centre, g - centre
    dual = float(a_np @ f) + float(b_np @ g)
    gap = value - dual
    marginal_error = float(
        np.abs(plan.sum(axis=1) - a_np).sum() + np.abs(plan.sum(axis=0) - b_np).sum()
    )
    converged = (code == _OPTIMAL and abs(gap) <= tol * sa and violation <= tol
                 and marginal_error <= GAP_RTOL * sa)
    if not converged:
        knob = (f"raise `max_iter` (now {cap})" if code == _MAX_ITER_REACHED
                else "the problem may be ill-conditioned")
        warnings.warn(
            f"exact OT did not reach optimality (simplex status: {_STATUS.get(code, code)} "
            f"after {used} iterations); duality gap {gap * cost_scale * mass_scale:.3g}, "
            f"dual violation {violation * cost_scale:.3g}, marginal error "
            f"{marginal_error * mass_scale:.3g}; {knob}. `value` is not certified"
            + ("; `dual_value` is a certified lower bound" if check else ""),
            ConvergenceWarning,
            stacklevel=stacklevel,
        )

    s, ms = cost_scale, mass_scale
    return _HostSolution(
        value=value * s * ms,
        plan=plan * ms if ms != 1.0 else plan,
        f=f * s,
        g=g * s,
        dual_value=dual * s * ms,
        duality_gap=gap * s * ms,
        converged=converged,
        n_iter=used,
        marginal_error=marginal_error * ms,
        details=details,
    )


@argument_hints
def wasserstein(
    x: Any,
    y: Any,
    *,
    p: float = 1.0,
    a: Any = None,
    b: Any = None,
    metric: str = "euclidean",
    max_iter: int | None = None,
    max_memory: Any = None,
) -> Any:
    r"""Exact :math:`W_p` between two (weighted) samples.

    .. math::

        W_p(\mu, \nu) = \Big(\min_{P \in \Pi(a, b)} \sum_{ij} P_{ij}\, d(x_i, y_j)^p\Big)^{1/p}

    the lecture's earth mover's distance for :math:`p = 1`. Points on the line (``d = 1``)
    use the :math:`O(n\log n)` closed form :func:`~divlab.ot.wasserstein_1d`; otherwise
    the cost matrix :math:`d(x_i, y_j)^p` is built and passed to :func:`emd` (one host
    round trip). Returns :math:`W_p`, **not** :math:`W_p^p` (``ot.emd2`` returns
    :math:`\langle P, C\rangle = W_p^p`).

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d), or 1-D
        Samples (1-D arrays are points on the line).
    p : float, default 1
        Order, ``p >= 1``.
    a, b : array_like, optional
        Non-negative sample weights (normalised); uniform when omitted.
    metric : {"euclidean", "cityblock", "chebyshev", "canberra"}
        Ground metric :math:`d`, SciPy ``cdist`` definitions (computed by
        :func:`divlab.pairwise_cost`). (``"sqeuclidean"`` is not a metric: use ``p=2``.)
    max_iter : int, optional
        Passed to :func:`emd`.
    max_memory : int or float, optional
        Bytes the dense problem (cost matrix, plan and a temporary: ``3 n m`` float64 for
        ``p`` = 1 or 2, ``5 n m`` otherwise) may take; default half the memory available. Above it a
        :class:`~divlab.errors.MemoryLimitError` names the alternatives
        (:func:`~divlab.ot.sliced_wasserstein`, ``sinkhorn(..., online=True)``,
        subsampling) before anything is allocated.

    Every order ``p >= 1`` (up to ``1e4`` and beyond) and coordinates of any magnitude
    (``1e-300`` to ``1e300``) are handled exactly: coordinates are rescaled by a power of
    two, and :math:`d^p` is never formed; the LP sees :math:`(d/s)^p` with ``s`` the largest
    distance or, when that would let the costs the optimum depends on underflow (large
    ``p``), the bottleneck distance (see the module notes in ``docs/ot_exact.rst``).

    Returns
    -------
    w : numpy scalar or 0-d array
        :math:`W_p`: a NumPy scalar of the inputs' float dtype for NumPy input, else a 0-d
        array of their namespace and device. For ``d > 1`` the value comes from the simplex
        on the host (no gradient flows through it); for ``d = 1`` see
        :func:`~divlab.ot.wasserstein_1d` (differentiable).

    Raises
    ------
    EmptyInputError, NonFiniteError, NegativeValueError, ShapeMismatchError
        Bad samples or weights.
    ParameterError
        ``p < 1``, an unknown ``metric`` or ``max_iter < 1``; a SciPy/POT argument name
        (``numItermax``, ``seed``, ...) names divlab's.
    MemoryLimitError
        The dense problem would exceed ``max_memory``.

    Warns
    -----
    ConvergenceWarning
        See :func:`emd`.

    Examples
    --------
    >>> float(wasserstein([[0.0, 0.0], [1.0, 0.0]], [[0.0, 3.0], [1.0, 3.0]]))
    3.0
    >>> float(wasserstein([0.0, 1.0], [2.0, 3.0], p=2))
    2.0
    """
    xp, x, y = check_sample_pair(x, y)
    p = _check_p(p)
    if metric == "sqeuclidean":
        raise ParameterError(
            "`metric`='sqeuclidean' is not a metric; W_2 with the Euclidean ground metric is "
            "metric='euclidean', p=2"
        )
    check_choice(metric, "metric", _W_METRICS)
    if max_iter is not None:
        max_iter = check_int(max_iter, "max_iter", min_value=1)
    n, d = x.shape
    m = y.shape[0]
    dtype = x.dtype
    if d == 1 and metric != "canberra":  # every other metric is |x - y| on the line
        u, v = x[:, 0], y[:, 0]  # absent or all-equal weights: the unweighted path of oned
        wa, wb = _validated_weights(u, v, a, b, xp, names=("a", "b"))
        return as_result(_wasserstein_1d_kernel(u, v, p, xp, wa, wb), xp)
    wa = check_weights(a, n, "a", xp=xp, dtype=dtype, like=x)
    wb = check_weights(b, m, "b", xp=xp, dtype=dtype, like=y)
    return as_result(_wasserstein_kernel(x, y, wa, wb, p, xp, metric=metric, max_iter=max_iter,
                                         stacklevel=5, max_memory=max_memory), xp)


def _wasserstein_kernel(
    x: Any, y: Any, wa: Any, wb: Any, p: float, xp: Any, *, metric: str = "euclidean",
    max_iter: int | None = None, stacklevel: int = 3, max_memory: Any = None,
) -> Any:
    """Kernel of :func:`wasserstein` for ``d > 1``: validated 2-D samples of one float dtype,
    weights normalised by :func:`~divlab._validate.check_weights` (``None`` there gives the
    uniform ones), validated ``p``, ``metric``, ``max_iter``. Returns a 0-d array of ``xp``
    (:math:`W_p`); internal callers (the sample estimators) call this. ``stacklevel`` of a
    :class:`ConvergenceWarning` counts from :func:`_emd_host`."""
    dtype = x.dtype
    n, m = int(x.shape[0]), int(y.shape[0])
    # distances/costs, the plan and a temporary; other p also hold d, (d/s)^p and exponents
    check_matrix_memory(n, m, 8, what="exact OT (`wasserstein`): the cost matrix and the plan",
                        alternatives=_MEMORY_ALTERNATIVES, max_memory=max_memory,
                        copies=3 if p in (1.0, 2.0) else 5)
    # Exact power-of-two rescaling of the coordinates keeps distances away from overflow and
    # underflow (W_p is 1-homogeneous); the scale is a 0-d array (1 for ordinary data).
    x, y, scale = device_rescale_pair(x, y, xp)
    wa_np, wb_np = host_float64(wa, xp), host_float64(wb, xp)
    if metric == "euclidean" and p == 2.0:
        cost = host_float64(pairwise_cost_unchecked(x, y, xp, metric="sqeuclidean"), xp)
        sol = _emd_host(wa_np, wb_np, cost, max_iter=max_iter, stacklevel=stacklevel)
        w = math.sqrt(max(sol.value, 0.0))
    else:
        dist = host_float64(pairwise_cost_unchecked(x, y, xp, metric=metric), xp)
        w = _wp_host(wa_np, wb_np, dist, p, max_iter=max_iter, stacklevel=stacklevel + 1)
    val = from_numpy(np.asarray(w), xp, like=x, dtype=dtype)
    with np.errstate(over="ignore"):  # a true W_p beyond the float range is inf
        return val * scale


#: For large ``p``, pairs with ``(d / B)**p`` above this bound (``B`` the bottleneck
#: distance) are excluded from the LP; the exclusion is certified by the dual afterwards.
#: Small on purpose: POT's simplex tolerances are relative to the largest cost, so a
#: narrow cost range is what keeps the tie-breaking among the small costs exact (measured:
#: relative error of W_20 1.6e-6 with 2**20, 9e-11 with 16).
_WP_COST_CAP = 16.0
#: ``(d / dmax)**p`` is used directly while the cheap lower bound ``L`` on the bottleneck
#: distance keeps ``(L / dmax)**p`` above this (the costs that matter stay representable
#: far above POT's absolute tolerances).
_WP_DIRECT_FLOOR = 2.0**-20


def _wp_host(a: np.ndarray, b: np.ndarray, dist: np.ndarray, p: float, *,
             max_iter: int | None, stacklevel: int) -> float:
    r""":math:`W_p` from a host matrix of finite distances, exact for every ``p >= 1``.

    The cost :math:`d^p` is never formed: it is :math:`(d/s)^p` with a normaliser ``s``
    (the optimal plan is invariant under scaling the cost). With ``s = max d`` the costs lie
    in [0, 1], but for large ``p`` the costs the optimum depends on may underflow (or fall
    below the simplex's absolute tolerance), so then ``s`` is the *bottleneck distance*
    :math:`B = \min_{P\in\Pi(a,b)} \max_{P_{ij}>0} d_{ij}` (found by bisection over the
    distances with 0/1-cost problems): every plan puts mass on a pair with :math:`d \ge B`,
    so the optimum of :math:`(d/B)^p` is at least the smallest such mass, while a plan using
    only pairs :math:`d \le B` costs at most the total mass. Pairs with
    :math:`(d/B)^p > K` are excluded; the dual certifies afterwards that they could not
    lower the value (:math:`f_i + g_j \le (d_{ij}/B)^p` on them), else ``K`` grows.
    Returns :math:`W_p = s\,\langle P, (d/s)^p
angle^{1/p}`.
    """
    if p == 1.0:  # the costs are the distances (no pass over them here)
        sol = _emd_host(a, b, dist, max_iter=max_iter, stacklevel=stacklevel)
        return max(sol.value, 0.0)
    dmax = float(dist.max())
    if not dmax > 0.0:
        return 0.0
    # cheap lower bound on the bottleneck: every source (target) with mass ships somewhere
    low = max(float(np.max(dist[a > 0].min(axis=1))), float(np.max(dist[:, b > 0].min(axis=0))))
    if low > 0.0 and p * math.log(dmax / low) <= -math.log(_WP_DIRECT_FLOOR):
        with np.errstate(under="ignore"):
            cost = (dist / dmax) ** p
        sol = _emd_host(a, b, cost, max_iter=max_iter, stacklevel=stacklevel)
        return dmax * max(sol.value, 0.0) ** (1.0 / p)
    bott = _bottleneck(a, b, dist, low)
    if bott == 0.0:
        return 0.0
    cap = _WP_COST_CAP
    with np.errstate(under="ignore", divide="ignore"):
        expo = p * np.log(dist / bott)  # (d/B)^p = exp(expo)
    while True:
        excluded = expo > math.log(cap)  # +inf (forbidden) for the LP
        with np.errstate(under="ignore", over="ignore"):
            cost = np.where(excluded, np.inf, np.exp(expo))
        try:
            sol = _emd_host(a, b, cost, max_iter=max_iter, stacklevel=stacklevel)
        except InputError:  # only if the bisection misjudged B by rounding: widen
            sol = None
        if sol is not None and (not excluded.any() or math.isinf(cap)):
            break
        if sol is not None:
            # dual feasible on the excluded pairs too (f_i + g_j <= (d/B)^p): optimal
            reach = (sol.f[:, None] + sol.g[None, :])[excluded]
            if np.all(np.log(np.maximum(reach, np.finfo(np.float64).tiny)) <= expo[excluded]):
                break
        cap = cap * cap if cap < 1e150 else math.inf
    return bott * max(sol.value, 0.0) ** (1.0 / p)


def _bottleneck(a: np.ndarray, b: np.ndarray, dist: np.ndarray, low: float) -> float:
    """The bottleneck distance: the least ``t`` such that a plan with marginals ``a``, ``b``
    uses only pairs with ``dist <= t`` (bisection over the distinct distances >= ``low``,
    each step an exact 0/1-cost transport problem)."""
    cand = np.unique(dist[dist >= low])
    total = float(a.sum())
    tol = 1e-13 * total
    cap = DEFAULT_MAX_ITER_CAP
    budget = min(cap, max(_MIN_BUDGET, _BUDGET_PER_NODE * (a.size + b.size)))
    lo, hi = 0, cand.size - 1  # cand[hi] = max distance is always feasible
    while lo < hi:
        mid = (lo + hi) // 2
        c01 = np.ascontiguousarray(dist > cand[mid], dtype=np.float64)
        plan = _solve(a, b, c01, budget, cap)[0]
        if float(np.sum(plan * c01)) <= tol:
            hi = mid
        else:
            lo = mid + 1
    return float(cand[lo])
