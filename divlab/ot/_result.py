"""Result object shared by the optimal-transport solvers, and the result convention for its
numbers (:func:`result_number`) and short reprs (:func:`summary`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from .._array import as_result, from_numpy, is_lazy, to_numpy

__all__ = ["OTResult"]


def result_number(v: Any, xp: ModuleType, *, like: Any, dtype: Any) -> Any:
    """A number of a result in divlab's convention (:func:`divlab._array.as_result`).

    ``v`` is a host number (Python float, NumPy scalar) or a 0-d array of ``xp``; the result
    is a NumPy scalar of ``dtype`` for NumPy, else a 0-d array of ``xp`` on the device of
    ``like``. ``None`` stays ``None``.
    """
    if v is None:
        return None
    if isinstance(v, (int, float, np.generic, np.ndarray)):
        v = from_numpy(np.asarray(v, dtype=np.float64), xp, like=like, dtype=dtype)
    elif v.dtype != dtype:
        v = xp.astype(v, dtype)
    return as_result(v, xp)


def _fmt(v: Any) -> str:
    """A number of a result for a repr: ``6.3e-05``; a lazy array is not computed."""
    if v is None:
        return "None"
    if isinstance(v, (int, float, np.generic)):
        return f"{float(v):.6g}"
    try:
        from array_api_compat import array_namespace

        if is_lazy(array_namespace(v)):
            return f"<lazy {type(v).__module__.split('.')[0]} 0-d array>"
    except TypeError:  # pragma: no cover - not an array
        return repr(v)
    arr = np.asarray(to_numpy(v))
    if arr.ndim:  # several problems (multi-b): a short summary, never the whole array
        return (f"[{', '.join(f'{float(t):.6g}' for t in arr.ravel()[:3])}"
                + (", ...]" if arr.size > 3 else "]") + f" {tuple(arr.shape)}")
    return f"{float(arr):.6g}"


def _shape(a: Any, *, full: bool = True) -> str:
    """``(n, m) float64 numpy`` for an array (only the shape with ``full=False``)."""
    if a is None:
        return "None"
    shape = str(tuple(int(s) for s in a.shape))
    if not full:
        return shape
    lib = type(a).__module__.split(".")[0]
    return f"{shape} {str(a.dtype).rsplit('.', 1)[-1]} {lib}"


def summary(name: str, lines: list[list[tuple[str, str]]], width: int = 88) -> str:
    """``Name(key=value, ...`` with a few ``key=value`` pairs per line: the repr of divlab's
    result objects (shapes and summary numbers, never whole arrays). Lines longer than
    ``width`` are cut with ``...``."""
    out = []
    for fields in lines:
        line = ", ".join(f"{k}={v}" for k, v in fields)
        out.append(line if len(line) <= width else line[:width - 3] + "...")
    return f"{name}(" + ",\n    ".join(out) + ")"


@dataclass(frozen=True, repr=False)
class OTResult:
    """Result of an optimal-transport solve (:func:`divlab.emd`, :func:`divlab.sinkhorn`).

    Numbers follow divlab's result convention: for NumPy inputs a NumPy scalar of the
    inputs' float dtype (``numpy.float64`` or ``numpy.float32``), for other namespaces a 0-d
    array of that namespace on the inputs' device. ``float(result)`` is ``float(value)``.
    The repr shows shapes and summary numbers, never whole arrays.

    Attributes
    ----------
    value : numpy scalar or 0-d array
        The transport value in the convention documented by the solver (for ``emd``,
        :math:`\\langle P, C\\rangle`; for ``sinkhorn``, see ``details["objective"]``).
    plan : array or None
        The transport plan :math:`P` (n, m), in the inputs' namespace.
    potentials : tuple of arrays or None
        Kantorovich potentials ``(f, g)`` with :math:`f_i + g_j \\le C_{ij}` (exact) and
        :math:`\\sum_i a_i f_i + \\sum_j b_j g_j` = dual value.
    dual_value : numpy scalar, 0-d array or None
        The dual objective :math:`\\sum a f + \\sum b g`.
    duality_gap : numpy scalar, 0-d array or None
        ``value - dual_value`` (0 up to rounding at an optimum).
    converged : bool
        Whether the solver reached its tolerance / optimality.
    n_iter : int
        Iterations (simplex pivots or Sinkhorn sweeps) used.
    marginal_error : numpy scalar or 0-d array
        :math:`\\|P\\mathbf{1} - a\\|_1 + \\|P^T\\mathbf{1} - b\\|_1`.
    details : dict
        Solver-specific extras (entropic objective, epsilon schedule, warnings).

    Examples
    --------
    >>> import numpy as np
    >>> r = OTResult(value=np.float32(0.5), plan=np.zeros((200, 300), np.float32))
    >>> float(r), type(r.value).__name__
    (0.5, 'float32')
    >>> r
    OTResult(value=0.5, converged=True, n_iter=0,
        dual_value=None, duality_gap=None, marginal_error=0,
        plan=(200, 300) float32 numpy, potentials=None,
        details=[])
    """

    value: Any
    plan: Any = None
    potentials: tuple[Any, Any] | None = None
    dual_value: Any = None
    duality_gap: Any = None
    converged: bool = True
    n_iter: int = 0
    marginal_error: Any = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def __float__(self) -> float:
        return float(np.asarray(to_numpy(self.value)))

    def __repr__(self) -> str:
        pots = ("None" if self.potentials is None
                else " ".join(_shape(p, full=False) for p in self.potentials))
        return summary("OTResult", [
            [("value", _fmt(self.value)), ("converged", str(self.converged)),
             ("n_iter", str(self.n_iter))],
            [("dual_value", _fmt(self.dual_value)), ("duality_gap", _fmt(self.duality_gap)),
             ("marginal_error", _fmt(self.marginal_error))],
            [("plan", _shape(self.plan)), ("potentials", pots)],
            [("details", "[" + ", ".join(sorted(self.details)) + "]")],
        ])
