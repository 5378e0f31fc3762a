"""Sphinx extension: a toctree whose entries are optional and ordered.

``.. divlab-toctree::`` takes the same options as ``toctree``. Each content line is a
document name or a glob pattern (``adversarial*``); entries that match no document are skipped
silently instead of warning, so the index can list, in the intended order, topic pages that
other parts of the project add over time. ``*`` then picks up every remaining top-level page
(``*`` does not cross ``/``). A document listed by an earlier ``divlab-toctree`` of the same
page is not listed again, and ``:exclude:`` (space-separated glob patterns) removes documents
such as ``sg_execution_times`` that must not appear.
"""

from __future__ import annotations

import re
from typing import Any

from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.directives.other import TocTree
from sphinx.util import docname_join
from sphinx.util.matching import patfilter

_GLOB = re.compile(r".*[*?\[].*")
_SEEN_KEY = "divlab_toctree_seen"
DEFAULT_EXCLUDE = ("sg_execution_times", "genindex", "search", "py-modindex")


class OrderedTocTree(TocTree):
    """``toctree`` with optional, ordered entries (see the module docstring)."""

    option_spec = {**TocTree.option_spec, "exclude": directives.unchanged}  # noqa: RUF012

    def run(self) -> list[Any]:
        current = self.env.current_document.docname
        seen: set[str] = self.env.temp_data.setdefault(_SEEN_KEY, set())
        excluded = set()
        for pat in (*DEFAULT_EXCLUDE, *self.options.get("exclude", "").split()):
            excluded.update(patfilter(self.env.found_docs, docname_join(current, pat)))
        remaining = set(self.env.found_docs) - {current} - seen - excluded
        lines: list[str] = []
        for entry in (e.strip() for e in self.content):
            if not entry:
                continue
            if _GLOB.match(entry):
                names = sorted(patfilter(remaining, docname_join(current, entry)))
            else:
                name = docname_join(current, entry.removesuffix(".rst"))
                names = [name] if name in remaining else []
            for name in names:
                remaining.discard(name)
                seen.add(name)
                lines.append(name)
        if not lines:
            return []
        self.options.pop("glob", None)
        self.content = StringList(lines, source=self.content.source(0) if self.content else "")
        return super().run()


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("divlab-toctree", OrderedTocTree)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
