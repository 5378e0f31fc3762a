"""The built HTML documentation works offline (no script, stylesheet or font from the network)
and every gallery example shows its figure.

Runs on an existing build (``sphinx-build -b html docs docs/_build/html``, or the folder named
by ``DIVLAB_DOCS_HTML``) and is skipped when there is none; CI runs it right after building
the docs. Math is typeset by a MathJax copied into ``_static/mathjax`` (see
``docs/_ext/offline_mathjax.py``), so it renders with no network.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("DIVLAB_DOCS_HTML") or ROOT / "docs" / "_build" / "html")

pytestmark = pytest.mark.skipif(not (HTML / "index.html").is_file(),
                                reason=f"no built documentation in {HTML}")

_REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)  # http://, https://, //


class _Resources(HTMLParser):
    """Collects what a page loads by itself: script sources, stylesheets, icons, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script" and a.get("src"):
            self.loaded.append(("script", a["src"]))
        elif tag == "link" and a.get("href") and (
                set(a.get("rel", "").lower().split()) & {"stylesheet", "preload", "icon",
                                                         "modulepreload"}):
            self.loaded.append(("link", a["href"]))
        elif tag in ("iframe", "img", "embed") and a.get("src"):
            self.loaded.append((tag, a["src"]))


def _pages() -> list[Path]:
    return sorted(HTML.rglob("*.html"))


def _resources(page: Path) -> list[tuple[str, str]]:
    parser = _Resources()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    return parser.loaded


def test_no_page_loads_anything_from_the_network():
    remote = {}
    for page in _pages():
        found = [f"<{tag}> {url}" for tag, url in _resources(page) if _REMOTE.match(url)]
        if found:
            remote[page.relative_to(HTML).as_posix()] = found
    assert remote == {}


def test_stylesheets_load_no_remote_fonts_or_imports():
    bad = {}
    for css in sorted(HTML.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        urls = re.findall(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""", text)
        remote = [u for u in urls if _REMOTE.match(u)]
        if remote:
            bad[css.relative_to(HTML).as_posix()] = remote
    assert bad == {}


def test_math_pages_load_the_local_mathjax():
    math_pages = [p for p in _pages() if 'class="math' in p.read_text(encoding="utf-8",
                                                                       errors="replace")]
    assert math_pages, "no page with math: the build looks incomplete"
    for page in math_pages:
        scripts = [url for tag, url in _resources(page) if tag == "script" and "mathjax" in url]
        assert len(scripts) == 1, (page, scripts)
        target = (page.parent / scripts[0].split("?")[0]).resolve()
        assert target == (HTML / "_static" / "mathjax" / "tex-mml-chtml.js").resolve(), page
    mathjax = HTML / "_static" / "mathjax"
    assert (mathjax / "tex-mml-chtml.js").is_file()
    assert any((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert (mathjax / "input" / "tex" / "extensions").is_dir()  # autoloaded TeX packages


def test_every_example_shows_its_figure():
    """Each script of examples/ ran in the gallery and left at least one figure (no
    placeholder thumbnail)."""
    examples = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
    assert examples
    missing = [name for name in examples
               if not (HTML / "_images" / f"sphx_glr_{name}_001.png").is_file()]
    assert missing == []
