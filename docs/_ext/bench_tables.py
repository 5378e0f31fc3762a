"""Sphinx extension: render the committed benchmark outputs ``docs/benchmarks-*.md``.

The benchmark scripts print Markdown (pipe tables and a few lines of text) and write it to
``docs/benchmarks-<topic>.md``; Markdown is not a Sphinx source here (no myst-parser), so
``.. benchmark-tables::`` reads every matching file at build time and turns

* pipe tables (``| a | b |`` with a ``|---|---|`` separator line) into real tables,
* ``#`` headings into rubrics,
* fenced code blocks into literal blocks,
* other lines into plain paragraphs (no markup is interpreted, so nothing can warn).

Each file becomes a section with the reference label ``benchmarks-<topic>``, so other pages can
link to it with ``:ref:`benchmarks-<topic>```. Options: ``:pattern:`` (glob relative to the
page, default ``benchmarks-*.md``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

_SEP = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip().replace("`", "") for c in s.split("|")]


def _table(rows: list[list[str]]) -> nodes.table:
    header, body = rows[0], rows[1:]
    ncol = max(len(r) for r in rows)
    table = nodes.table(classes=["benchmark-table"])
    group = nodes.tgroup(cols=ncol)
    table += group
    for _ in range(ncol):
        group += nodes.colspec(colwidth=1)

    def row(cells: list[str]) -> nodes.row:
        r = nodes.row()
        for i in range(ncol):
            r += nodes.entry("", nodes.paragraph(text=cells[i] if i < len(cells) else ""))
        return r

    thead = nodes.thead()
    thead += row(header)
    group += thead
    tbody = nodes.tbody()
    for cells in body:
        tbody += row(cells)
    group += tbody
    return table


def markdown_to_nodes(text: str) -> list[nodes.Node]:
    """A small, warning-free Markdown subset -> docutils nodes."""
    out: list[nodes.Node] = []
    lines = text.splitlines()
    i, para = 0, []

    def flush() -> None:
        if para:
            out.append(nodes.paragraph(text=" ".join(para)))
            para.clear()

    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if s.startswith("```"):
            flush()
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith("```"):
                j += 1
            code = "\n".join(lines[i + 1 : j])
            out.append(nodes.literal_block(code, code))
            i = j + 1
            continue
        if s.startswith("|") and i + 1 < len(lines) and _SEP.match(lines[i + 1].strip()):
            flush()
            rows = [_cells(line)]
            j = i + 2
            while j < len(lines) and lines[j].strip().startswith("|"):
                rows.append(_cells(lines[j]))
                j += 1
            out.append(_table(rows))
            i = j
            continue
        if s.startswith("#"):
            flush()
            out.append(nodes.rubric(text=s.lstrip("#").strip()))
        elif not s:
            flush()
        else:
            para.append(s.replace("**", "").replace("`", ""))
        i += 1
    flush()
    return out


class BenchmarkTables(SphinxDirective):
    """``.. benchmark-tables::`` -- see the module docstring."""

    has_content = False
    option_spec = {"pattern": directives.unchanged}  # noqa: RUF012

    def run(self) -> list[nodes.Node]:
        here = Path(self.env.doc2path(self.env.current_document.docname)).parent
        files = sorted(here.glob(self.options.get("pattern", "benchmarks-*.md")))
        if not files:
            return [nodes.paragraph(text="No benchmark results have been committed yet.")]
        result: list[nodes.Node] = []
        for path in files:
            self.env.note_dependency(str(path))
            topic = path.stem.removeprefix("benchmarks-")
            label = f"benchmarks-{topic}"  # :ref:`benchmarks-<topic>` links to this section
            sec = nodes.section(ids=[nodes.make_id(label)], names=[label])
            sec += nodes.title(text=f"{topic} ({path.name})")
            self.state.document.note_explicit_target(sec, sec)
            sec.extend(markdown_to_nodes(path.read_text(encoding="utf-8")))
            result.append(sec)
        return result


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("benchmark-tables", BenchmarkTables)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
