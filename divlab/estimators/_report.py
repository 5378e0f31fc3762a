"""The :class:`CompareReport` of :func:`divlab.compare` and its text/JSON/Markdown forms."""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import dataclass, field, replace
from typing import Any

from ._result import Estimate, _json_float

__all__ = ["CompareReport", "CompareRow", "format_value"]


def format_value(v: float | None) -> str:
    """Compact human formatting: 4 decimals in [1e-3, 1e5), scientific otherwise."""
    if v is None:
        return "-"
    v = float(v)
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if v == 0 or 1e-3 <= abs(v) < 1e5:
        return f"{v:.4f}"
    return f"{v:.3e}"


def _format_p(p: float | None, n_resamples: int) -> str:
    if p is None:
        return "-"
    floor = 1.0 / (n_resamples + 1) if n_resamples else 0.0
    if n_resamples and p <= floor * (1 + 1e-9):
        return f"<{floor:.2g}" if floor >= 1e-3 else f"<{floor:.1e}"
    return f"{p:.3f}" if p >= 1e-3 else f"{p:.1e}"


@dataclass(frozen=True)
class CompareRow:
    """One metric of a :class:`CompareReport`: estimate, why it was chosen, truth if known."""

    metric: str
    estimate: Estimate
    why: str
    truth: float | None = None

    def to_dict(self) -> dict[str, Any]:
        e = self.estimate
        return {
            "metric": self.metric,
            "value": _json_float(e.value),
            "ci": None if e.ci is None else [_json_float(c) for c in e.ci],
            "p_value": None if e.p_value is None else _json_float(e.p_value),
            "method": e.method,
            "why": self.why,
            "truth": None if self.truth is None else _json_float(self.truth),
            "n": list(e.n),
            "details": e.to_dict()["details"],
        }


@dataclass(frozen=True)
class CompareReport:
    """Result of :func:`divlab.compare`: one row per metric plus the context.

    ``str(report)`` is an aligned table (metric, estimate, CI, p-value, [truth,] method)
    followed by the reason each estimator was chosen; :meth:`to_dict`, :meth:`to_json` and
    :meth:`to_markdown` serialise it. ``report["kl"]`` is the :class:`Estimate` of a metric.

    Attributes
    ----------
    rows : tuple of CompareRow
        In the order the metrics were requested.
    x_shape, y_shape : tuple of int
        ``(n, d)`` and ``(m, d)``.
    data_kind : str
        ``"continuous"`` or ``"categorical"`` (how the estimators were chosen).
    alpha : float
        CIs have level ``1 - alpha``.
    n_resamples : int
        Half-samples per CI and relabellings per permutation test (0: none).
    notes : tuple of str
        Global remarks (resampling methods, subsampling, warnings).
    elapsed_s : float
        Wall-clock time of the comparison.
    title : str
        First line of the text form.
    """

    rows: tuple[CompareRow, ...]
    x_shape: tuple[int, int]
    y_shape: tuple[int, int]
    data_kind: str
    alpha: float = 0.05
    n_resamples: int = 0
    notes: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    title: str = "divlab compare"
    extra: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ access
    def __getitem__(self, metric: str) -> Estimate:
        for row in self.rows:
            if row.metric == metric:
                return row.estimate
        raise KeyError(f"no metric {metric!r} in this report (have: {', '.join(self.metrics)})")

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric names, in order."""
        return tuple(r.metric for r in self.rows)

    def with_truth(self, truth: dict[str, float]) -> CompareReport:
        """A copy with the known true value of some metrics (shown in a ``truth`` column)."""
        rows = tuple(replace(r, truth=truth.get(r.metric, r.truth)) for r in self.rows)
        return replace(self, rows=rows)

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dictionary (JSON-compatible; non-finite floats become strings)."""
        return {
            "title": self.title,
            "x_shape": list(self.x_shape),
            "y_shape": list(self.y_shape),
            "data_kind": self.data_kind,
            "alpha": self.alpha,
            "confidence": 1 - self.alpha,
            "n_resamples": self.n_resamples,
            "rows": [r.to_dict() for r in self.rows],
            "notes": list(self.notes),
            "elapsed_s": round(self.elapsed_s, 4),
            **({"extra": self.extra} if self.extra else {}),
        }

    def to_json(self, **kwargs: Any) -> str:
        """JSON text of :meth:`to_dict` (keyword arguments go to :func:`json.dumps`)."""
        kwargs.setdefault("indent", 2)
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    def _has_truth(self) -> bool:
        return any(r.truth is not None for r in self.rows)

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        level = f"{100 * (1 - self.alpha):g} % CI"
        head = ["metric", "estimate", level, "p-value"]
        if self._has_truth():
            head.append("truth")
        head.append("method")
        body = []
        for r in self.rows:
            e = r.estimate
            ci = "-" if e.ci is None else f"[{format_value(e.ci[0])}, {format_value(e.ci[1])}]"
            row = [r.metric, format_value(e.value), ci, _format_p(e.p_value, self.n_resamples)]
            if self._has_truth():
                row.append(format_value(r.truth))
            row.append(e.method)
            body.append(row)
        return head, body

    def _summary(self) -> str:
        (n, d), (m, _) = self.x_shape, self.y_shape
        return f"x: {n} x {d}, y: {m} x {d}, {self.data_kind} data"

    def __str__(self) -> str:
        head, body = self._cells()
        widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h)
                  for i, h in enumerate(head)]
        def line(cells: list[str]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
        out = [f"{self.title} ({self._summary()}, {self.elapsed_s:.1f} s)", "",
               line(head), line(["-" * w for w in widths])]
        out += [line(b) for b in body]
        out.append("")
        out.append("why these estimators:")
        wm = max(len(r.metric) for r in self.rows) if self.rows else 0
        for r in self.rows:
            out += textwrap.wrap(r.why, width=100, initial_indent=f"  {r.metric.ljust(wm)}  ",
                                 subsequent_indent=" " * (wm + 4))
        if self.notes:
            out.append("")
            for s in self.notes:
                out += textwrap.wrap(s, width=100, initial_indent="note: ",
                                     subsequent_indent="      ")
        return "\n".join(out)

    def __repr__(self) -> str:
        vals = ", ".join(f"{r.metric}={format_value(r.estimate.value)}" for r in self.rows)
        return f"CompareReport({self._summary()}; {vals})"

    def to_markdown(self) -> str:
        """GitHub-flavoured Markdown: the table (with a "why" column) and the notes."""
        head, body = self._cells()
        head = [*head, "why"]
        body = [[*b, r.why] for b, r in zip(body, self.rows, strict=True)]
        esc = [[c.replace("|", "\\|") for c in row] for row in [head, *body]]
        lines = [f"**{self.title}** - {self._summary()}", "",
                 "| " + " | ".join(esc[0]) + " |",
                 "|" + "|".join("---" for _ in head) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in esc[1:]]
        if self.notes:
            lines.append("")
            lines += [f"- {s}" for s in self.notes]
        return "\n".join(lines) + "\n"
