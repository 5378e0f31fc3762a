"""Sphinx extension: API-reference entries that coexist with the topic pages.

``.. divlab-api::`` takes one autodoc entry per content line::

    .. divlab-api::

       autofunction divlab.kl
       autoclass divlab.FDivergence :members:
       autodata divlab.fdiv.FDIVERGENCES :no-value:

and expands each into the usual ``.. autofunction:: divlab.kl`` (options after the name become
the directive's options), with two twists that keep ``sphinx-build -W`` green while the topic
pages (``docs/<topic>.rst``, written by the authors of each module) grow:

* if another page of the documentation already documents the same dotted name with an
  indexed ``.. auto*::`` or ``.. py:*::`` directive, the API entry gets ``:no-index:`` (no
  "duplicate object description" warning; cross-references go to the topic page);
* if the *module* behind a name does not exist (``ModuleNotFoundError`` for a ``divlab``
  module, e.g. a feature not written yet), the entry is skipped with an informational log
  line. A missing *attribute* of an existing module is not skipped: autodoc reports it.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

_DIRECTIVE = re.compile(
    r"^\s*\.\.\s+(?:auto(?:function|class|data|exception|method|attribute|module)"
    r"|py:\w+)::\s+(?P<name>[\w.]+)\s*$"
)
_OPTION = re.compile(r"^\s+:(?P<opt>[\w-]+):")
_SKIP_DIRS = {"_build", "_ext", "auto_examples", "_templates", "_static"}


def _indexed_names(path: Path) -> set[str]:
    """Dotted names documented (and indexed) by auto*/py:* directives in one rst file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:  # pragma: no cover
        return set()
    found: set[str] = set()
    for i, line in enumerate(lines):
        m = _DIRECTIVE.match(line)
        if not m:
            continue
        no_index = False
        for nxt in lines[i + 1 :]:
            o = _OPTION.match(nxt)
            if not o:
                break
            no_index = no_index or o.group("opt") in ("no-index", "noindex")
        if not no_index:
            found.add(m.group("name"))
    return found


def _module_missing(name: str) -> str | None:
    """The missing divlab module behind ``name``, or None when it can be imported."""
    parts = name.split(".")
    obj: Any = None
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("divlab") and exc.name != ".".join(parts[:i]):
                return exc.name
            continue
        except Exception:  # autodoc will report it properly
            return None
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except ModuleNotFoundError as exc:  # lazy attribute of a module not written yet
            if exc.name and exc.name.startswith("divlab"):
                return exc.name
            return None
        except Exception:  # autodoc will report it
            return None
        return None
    return None


class ApiEntries(SphinxDirective):
    """``.. divlab-api::`` -- see the module docstring."""

    has_content = True

    def _documented_elsewhere(self) -> set[str]:
        src = Path(self.env.srcdir)
        here = Path(self.env.doc2path(self.env.current_document.docname)).resolve()
        names: set[str] = set()
        for path in sorted(src.rglob("*.rst")):
            rel = path.relative_to(src)
            if path.resolve() == here or (rel.parts and rel.parts[0] in _SKIP_DIRS):
                continue
            self.env.note_dependency(str(path))
            names |= _indexed_names(path)
        return names

    def run(self) -> list[nodes.Node]:
        elsewhere = self._documented_elsewhere()
        out: list[str] = []
        for raw in self.content:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            kind, name, *opts = line.split()
            missing = _module_missing(name)
            if missing:
                logger.info("divlab-api: skipping %s (module %s does not exist)", name, missing)
                continue
            out.append(f".. {kind}:: {name}")
            out += [f"   {o}" for o in opts]
            if name in elsewhere and not {":no-index:", ":noindex:"} & set(opts):
                out.append("   :no-index:")
            out.append("")
        container = nodes.container()
        self.state.nested_parse(StringList(out, source="<divlab-api>"), 0, container)
        return container.children


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("divlab-api", ApiEntries)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
