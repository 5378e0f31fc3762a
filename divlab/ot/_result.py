"""Result object shared by the optimal-transport solvers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["OTResult"]


@dataclass(frozen=True)
class OTResult:
    """Result of an optimal-transport solve (:func:`divlab.emd`, :func:`divlab.sinkhorn`).

    Attributes
    ----------
    value : float
        The transport value in the convention documented by the solver (for ``emd``,
        :math:`\\langle P, C\\rangle`; for ``sinkhorn``, see ``details["objective"]``).
    plan : array or None
        The transport plan :math:`P` (n, m), in the inputs' namespace.
    potentials : tuple of arrays or None
        Kantorovich potentials ``(f, g)`` with :math:`f_i + g_j \\le C_{ij}` (exact) and
        :math:`\\sum_i a_i f_i + \\sum_j b_j g_j` = dual value.
    dual_value : float or None
        The dual objective :math:`\\sum a f + \\sum b g`.
    duality_gap : float or None
        ``value - dual_value`` (0 up to rounding at an optimum).
    converged : bool
        Whether the solver reached its tolerance / optimality.
    n_iter : int
        Iterations (simplex pivots or Sinkhorn sweeps) used.
    marginal_error : float
        :math:`\\|P\\mathbf{1} - a\\|_1 + \\|P^T\\mathbf{1} - b\\|_1`.
    details : dict
        Solver-specific extras (entropic objective, epsilon schedule, warnings).
    """

    value: float
    plan: Any = None
    potentials: tuple[Any, Any] | None = None
    dual_value: float | None = None
    duality_gap: float | None = None
    converged: bool = True
    n_iter: int = 0
    marginal_error: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def __float__(self) -> float:
        return float(self.value)
