"""Sphinx extension: the f-divergence table, generated at build time from the registry.

``.. fdivergence-table::`` renders one row per entry of :data:`divlab.fdiv.FDIVERGENCES`
(registry order) with the columns name, :math:`D_f`, generator :math:`f`, conjugate
:math:`f^*`, output activation :math:`g_f`, :math:`\\operatorname{dom} f^*`, :math:`f'(1)`,
optimal critic :math:`T^*`, a marker for the rows of the lecture's f-GAN table and a footnote
reference for each entry's ``erratum``. Nothing in the table is typed by hand: every cell comes
from the entry's ``latex`` mapping and attributes.

Options
-------
``:lecture-only:``
    Only the rows listed in :data:`divlab.fdiv.LECTURE_TABLE`, in the lecture's order.

While ``divlab/fdiv.py`` does not exist the directive renders a short note instead (so the docs
skeleton builds on its own); any other import error fails the build.
"""

from __future__ import annotations

import math
import re
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

_COLUMNS = (
    ("name", 12),
    (r":math:`D_f(P\,\|\,Q)`", 22),
    (r"generator :math:`f(u)`", 14),
    (r"conjugate :math:`f^*(t)`", 14),
    (r"activation :math:`g_f(v)`", 12),
    (r":math:`\operatorname{dom} f^*`", 8),
    (r":math:`f'(1)`", 6),
    (r"optimal critic :math:`T^*(x)`", 14),
    ("lecture row", 6),
    ("erratum", 5),
)

_KNOWN_CONSTANTS = (
    (0.0, "0"),
    (1.0, "1"),
    (-1.0, "-1"),
    (math.log(2.0), r"\log 2"),
    (-math.log(2.0), r"-\log 2"),
    (2 * math.log(2.0), r"2\log 2"),
    (-2 * math.log(2.0), r"-2\log 2"),
)


def _math(tex: str) -> str:
    tex = (tex or "").strip()
    if not tex:
        return "--"
    tex = tex.replace("`", "'")
    return f":math:`{tex}`"


def _number(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "--"
    if math.isinf(v):
        return _math(r"\infty" if v > 0 else r"-\infty")
    for c, tex in _KNOWN_CONSTANTS:
        if math.isclose(v, c, rel_tol=1e-12, abs_tol=1e-15):
            return _math(tex)
    return _math(f"{v:.6g}")


def _text(s: str) -> str:
    """Plain text safe inside reStructuredText (no markup interpretation)."""
    s = " ".join(str(s).split()).replace("\\", "\\\\")
    for ch in "*`|_":
        s = s.replace(ch, "\\" + ch)
    return s


def _label(name: str, prefix: str) -> str:
    return prefix + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _cell(text: str) -> list[str]:
    lines = (text or "--").splitlines() or ["--"]
    return [lines[0], *(f"    {ln}" for ln in lines[1:])]


def table_rst(fdiv: Any, *, lecture_only: bool = False, prefix: str = "fdiv-err-") -> list[str]:
    """The reStructuredText of the table (a list-table plus erratum footnotes)."""
    registry = fdiv.FDIVERGENCES
    lecture = tuple(getattr(fdiv, "LECTURE_TABLE", ()))
    keys = list(lecture) if lecture_only else list(registry)
    widths = " ".join(str(w) for _, w in _COLUMNS)
    out = [
        ".. list-table:: f-divergences of the registry ``divlab.fdiv.FDIVERGENCES``",
        "   :header-rows: 1",
        f"   :widths: {widths}",
        "   :class: fdiv-table",
        "",
        "   * - " + _COLUMNS[0][0],
    ]
    out += [f"     - {h}" for h, _ in _COLUMNS[1:]]
    footnotes: list[str] = []
    for key in keys:
        e = registry[key]
        tex = dict(getattr(e, "latex", {}) or {})
        name = getattr(e, "display_name", None) or e.name
        row = [
            f"**{_text(name)}** (``{e.name}``)",
            _math(tex.get("divergence", "")),
            _math(tex.get("f", "")),
            _math(tex.get("conjugate", "")),
            _math(tex.get("activation", "")),
            _math(tex.get("domain", "")),
            _number(getattr(e, "f_prime_at_1", None)),
            _math(tex.get("optimal_critic", "")),
            f"yes ({_text(e.lecture_row)})" if getattr(e, "lecture_row", None) else "",
        ]
        err = getattr(e, "erratum", None)
        if err:
            label = _label(e.name, prefix)
            row.append(f"[#{label}]_")
            body = _text(err)
            footnotes += [f".. [#{label}] ``{e.name}``: {body}", ""]
        else:
            row.append("")
        first, *rest = row
        out.append("   * - " + "\n       ".join(_cell(first)))
        out += ["     - " + "\n       ".join(_cell(c)) if c else "     -" for c in rest]
    out.append("")
    return out + footnotes


class FDivergenceTable(SphinxDirective):
    """``.. fdivergence-table::`` -- see the module docstring."""

    has_content = False
    option_spec = {"lecture-only": directives.flag}  # noqa: RUF012

    def run(self) -> list[nodes.Node]:
        try:
            import divlab.fdiv as fdiv
        except ModuleNotFoundError as exc:
            if exc.name != "divlab.fdiv":
                raise
            para = nodes.paragraph(
                text="(The f-divergence table is generated from divlab.fdiv.FDIVERGENCES, "
                "which is not available in this build.)"
            )
            return [para]
        self.env.note_dependency(fdiv.__file__)
        serial = self.env.new_serialno("fdivergence-table")
        lines = table_rst(
            fdiv, lecture_only="lecture-only" in self.options, prefix=f"fdiv-err{serial}-"
        )
        container = nodes.container(classes=["fdiv-table-wrap"])
        self.state.nested_parse(StringList(lines, source="<fdivergence-table>"), 0, container)
        return container.children


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("fdivergence-table", FDivergenceTable)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
