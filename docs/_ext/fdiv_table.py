"""Sphinx extension: the f-divergence tables, generated at build time from the registry.

``.. fdivergence-table::`` renders the entries of :data:`divlab.fdiv.FDIVERGENCES` (registry
order) as two tables that each fit a 1400 px wide window, one row per entry:

``:part: divergence``
    name, :math:`D_f(P\\|Q)`, generator :math:`f`, the limits :math:`f(0)` and
    :math:`f'(\\infty)` (the contributions of disjoint supports), :math:`f'(1)`, the lecture's
    f-GAN table ("yes" for its rows) and a footnote reference for each entry's ``erratum``;
``:part: variational``
    name, conjugate :math:`f^*`, :math:`\\operatorname{dom} f^*`, output activation
    :math:`g_f` and optimal critic :math:`T^*`;
no ``:part:``
    both tables, one after the other.

Nothing in the tables is typed by hand: every cell comes from the entry's ``latex`` mapping and
attributes.

Options
-------
``:lecture-only:``
    Only the rows listed in :data:`divlab.fdiv.LECTURE_TABLE`, in the lecture's order.
``:part:``
    ``divergence`` or ``variational`` (see above).

While ``divlab.fdiv`` does not exist the directive renders a short note instead (so the docs
skeleton builds on its own); any other import error fails the build.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

# (header, relative width) of each table; the name column comes first in both
_NAME = ("name", 13)
PARTS: dict[str, tuple[tuple[str, int], ...]] = {
    "divergence": (
        _NAME,
        (r":math:`D_f(P\,\|\,Q)`", 26),
        (r"generator :math:`f(u)`", 22),
        (r":math:`f(0)`", 6),
        (r":math:`f'(1)`", 6),
        (r":math:`f'(\infty)`", 6),
        ("lecture", 6),
        ("erratum", 6),
    ),
    "variational": (
        _NAME,
        (r"conjugate :math:`f^*(t)`", 24),
        (r":math:`\operatorname{dom} f^*`", 10),
        (r"activation :math:`g_f(v)`", 20),
        (r"optimal critic :math:`T^*(x)`", 20),
    ),
}
CAPTIONS = {
    "divergence": "Divergences and generators ({which})",
    "variational": "Variational (f-GAN) form: conjugate, activation, optimal critic ({which})",
}

_KNOWN_CONSTANTS = (
    (0.0, "0"),
    (1.0, "1"),
    (-1.0, "-1"),
    (math.log(2.0), r"\log 2"),
    (-math.log(2.0), r"-\log 2"),
    (2 * math.log(2.0), r"2\log 2"),
    (-2 * math.log(2.0), r"-2\log 2"),
    (0.5 * math.log(2.0), r"\tfrac12\log 2"),
    (-0.5 * math.log(2.0), r"-\tfrac12\log 2"),
    (0.5, r"\tfrac12"),
    (-0.5, r"-\tfrac12"),
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


def _row(e: Any, part: str, prefix: str, footnotes: list[str]) -> list[str]:
    tex = dict(getattr(e, "latex", {}) or {})
    name = getattr(e, "display_name", None) or e.name
    row = [f"**{_text(name)}** (``{e.name}``)"]
    if part == "variational":
        return row + [_math(tex.get(k, ""))
                      for k in ("conjugate", "domain", "activation", "optimal_critic")]
    row += [
        _math(tex.get("divergence", "")),
        _math(tex.get("f", "")),
        _number(getattr(e, "f_at_0", None)),
        _number(getattr(e, "f_prime_at_1", None)),
        _number(getattr(e, "f_prime_at_inf", None)),
        "yes" if getattr(e, "lecture_row", None) else "",
    ]
    err = getattr(e, "erratum", None)
    if err:
        label = _label(e.name, prefix)
        row.append(f"[#{label}]_")
        footnotes += [f".. [#{label}] ``{e.name}``: {_text(err)}", ""]
    else:
        row.append("")
    return row


def table_rst(fdiv: Any, *, lecture_only: bool = False, prefix: str = "fdiv-err-",
              part: str | None = None) -> list[str]:
    """The reStructuredText of the tables (list-tables plus erratum footnotes).

    ``part`` is ``"divergence"``, ``"variational"`` or None for both.
    """
    registry = fdiv.FDIVERGENCES
    lecture = tuple(getattr(fdiv, "LECTURE_TABLE", ()))
    keys = list(lecture) if lecture_only else list(registry)
    which = "the lecture's rows" if lecture_only else "all entries of the registry"
    out: list[str] = []
    footnotes: list[str] = []
    for p in (part,) if part else tuple(PARTS):
        columns = PARTS[p]
        out += [
            f".. list-table:: {CAPTIONS[p].format(which=which)}",
            "   :header-rows: 1",
            f"   :widths: {' '.join(str(w) for _, w in columns)}",
            f"   :class: fdiv-table fdiv-table-{p}",
            "",
            "   * - " + columns[0][0],
        ]
        out += [f"     - {h}" for h, _ in columns[1:]]
        for key in keys:
            first, *rest = _row(registry[key], p, prefix, footnotes)
            out.append("   * - " + "\n       ".join(_cell(first)))
            out += ["     - " + "\n       ".join(_cell(c)) if c else "     -" for c in rest]
        out.append("")
    return out + footnotes


def _part(value: str | None) -> str:
    return directives.choice(value, tuple(PARTS))


class FDivergenceTable(SphinxDirective):
    """``.. fdivergence-table::`` -- see the module docstring."""

    has_content = False
    option_spec = {"lecture-only": directives.flag, "part": _part}  # noqa: RUF012

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
        source = Path(fdiv.__file__)
        # a module, or a package: rebuild when any of its files changes
        for path in source.parent.rglob("*.py") if source.name == "__init__.py" else (source,):
            self.env.note_dependency(str(path))
        serial = self.env.new_serialno("fdivergence-table")
        lines = table_rst(
            fdiv, lecture_only="lecture-only" in self.options, prefix=f"fdiv-err{serial}-",
            part=self.options.get("part"),
        )
        container = nodes.container(classes=["fdiv-table-wrap"])
        self.state.nested_parse(StringList(lines, source="<fdivergence-table>"), 0, container)
        return container.children


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("fdivergence-table", FDivergenceTable)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
