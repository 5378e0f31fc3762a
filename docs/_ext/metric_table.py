"""Sphinx extension: the table of :func:`divlab.compare`'s metrics, generated from the records.

``.. compare-metric-table::`` renders :data:`divlab.estimators.metrics.METRIC_TABLE`: one
row per metric with its description, range, the data kinds it applies to (and is a default
for), its estimator, resampling scheme, known bias and limits. Nothing is typed twice.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

_COLUMNS = (("metric", 8), ("what", 18), ("range", 8), ("data (default)", 12),
            ("estimator", 22), ("bias", 14), ("limits", 18))


def _bound(v: float) -> str:
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if abs(v - math.log(2)) < 1e-15:
        return "log 2"
    return f"{v:g}"


def _cell(text: str) -> list[str]:
    lines = str(text).splitlines() or [""]
    return [f"     - {lines[0]}"] + [f"       {s}" for s in lines[1:]]


def table_rst(table: Any) -> list[str]:
    """reST ``list-table`` lines for the metric records in ``table``."""
    widths = " ".join(str(w) for _, w in _COLUMNS)
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    lines.append(f"   * - {_COLUMNS[0][0]}")
    lines += [f"     - {h}" for h, _ in _COLUMNS[1:]]
    for m in table.values():
        kinds = ", ".join(f"{k} (default)" if k in m.default_for else k for k in m.kinds)
        limits = m.limits + (f"; subsample above {m.max_n:,} points" if m.max_n else "")
        lines.append(f"   * - ``{m.name}``")
        for cell in (m.description, f"[{_bound(m.lower)}, {_bound(m.upper)}]", kinds,
                     m.estimator, m.bias, limits):
            lines += _cell(cell)
    return lines


class CompareMetricTable(SphinxDirective):
    """``.. compare-metric-table::`` -- see the module docstring."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from divlab.estimators import metrics

        self.env.note_dependency(str(Path(metrics.__file__)))
        container = nodes.container()
        self.state.nested_parse(StringList(table_rst(metrics.METRIC_TABLE),
                                           source="<compare-metric-table>"), 0, container)
        return container.children


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("compare-metric-table", CompareMetricTable)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
