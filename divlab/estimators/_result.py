"""The :class:`Estimate` result returned by every sample-based estimator."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Estimate"]


@dataclass(frozen=True)
class Estimate:
    """A divergence or distance estimated from samples.

    Attributes
    ----------
    value : float
        The point estimate on the full data.
    ci : tuple of float or None
        ``(low, high)`` confidence interval at level ``1 - alpha`` (``None`` when no
        resampling was requested). See :mod:`divlab.estimators.resampling` for the method.
    method : str
        Short human-readable name of the estimator, e.g. ``"k-NN KL (WKV 2009, k=1)"``.
    n : tuple of int
        Sample sizes ``(n_x, n_y)`` the point estimate used.
    details : dict
        Estimator-specific extras (``k``, bandwidth, bins, subsample sizes, the CI method,
        the number of resamples, ...).
    p_value : float or None
        Permutation-test p-value of the null hypothesis "``x`` and ``y`` come from the same
        distribution", :math:`(1 + \\#\\{T_b \\ge T\\}) / (B + 1)` (``None`` if not computed).

    Examples
    --------
    >>> e = Estimate(0.5, (0.4, 0.6), "demo", (10, 10))
    >>> float(e)
    0.5
    """

    value: float
    ci: tuple[float, float] | None = None
    method: str = ""
    n: tuple[int, int] = (0, 0)
    details: dict[str, Any] = field(default_factory=dict)
    p_value: float | None = None

    def __float__(self) -> float:
        return float(self.value)

    def __str__(self) -> str:
        ci = "" if self.ci is None else f" [{self.ci[0]:.4g}, {self.ci[1]:.4g}]"
        p = "" if self.p_value is None else f", p={self.p_value:.3g}"
        return f"{self.value:.4g}{ci} ({self.method}{p})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dictionary (non-finite floats become strings ``"inf"``/``"-inf"``)."""
        return {
            "value": _json_float(self.value),
            "ci": None if self.ci is None else [_json_float(c) for c in self.ci],
            "method": self.method,
            "n": list(self.n),
            "p_value": None if self.p_value is None else _json_float(self.p_value),
            "details": {k: _jsonable(v) for k, v in self.details.items()},
        }


def _json_float(v: Any) -> Any:
    v = float(v)
    if math.isfinite(v):
        return v
    if math.isnan(v):
        return "nan"
    return "inf" if v > 0 else "-inf"


def _jsonable(v: Any) -> Any:
    """Best-effort conversion of a detail value to plain JSON types."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return _json_float(v)
    if isinstance(v, dict):
        return {str(k): _jsonable(w) for k, w in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(w) for w in v]
    try:
        import numpy as np

        a = np.asarray(v)
        if a.ndim == 0:
            return _jsonable(a.item())
        if a.size <= 64:
            return [_jsonable(w) for w in a.tolist()]
        return f"<array shape {a.shape}>"
    except Exception:
        return str(v)
