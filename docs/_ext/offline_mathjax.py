"""Sphinx extension: MathJax served from the built docs, so that math renders with no network.

Sphinx's ``sphinx.ext.mathjax`` loads MathJax from a CDN by default; opened without a network
the pages then show raw TeX. This extension copies MathJax 3 (the ``es5`` build) from the
PyPI package ``django-static-mathjax`` -- a plain copy of the official MathJax release with no
dependencies, despite the name it needs no Django; it is in the ``docs`` extra of
``pyproject.toml`` -- into ``_static/mathjax`` of the HTML output and points ``mathjax_path``
at it.

Only what ``tex-mml-chtml.js`` loads at run time is copied (about 8 MB): the combined
component, the TeX extensions it autoloads, the CommonHTML fonts, the menu and the
accessibility modules (speech rule engine) that the menu loads on request, plus MathJax's
licence.

If the package is not installed the build warns (an error under ``-W``, as in CI) and falls
back to Sphinx's CDN default.
"""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path
from typing import Any

from sphinx.util import logging

logger = logging.getLogger(__name__)

DISTRIBUTION = "django-static-mathjax"
ES5 = "mathjax/static/mathjax/es5"  # inside the distribution
SCRIPT = "tex-mml-chtml.js"
TARGET = "mathjax"  # under _static
# what tex-mml-chtml.js can load at run time (relative to es5/)
_PARTS = (SCRIPT, "input/tex/extensions", "output/chtml", "ui", "a11y", "sre", "adaptors")


def mathjax_source() -> Path | None:
    """The ``es5`` folder of the installed MathJax package, or None."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    src = Path(str(dist.locate_file(ES5)))
    return src if (src / SCRIPT).is_file() else None


def _config_inited(app: Any, config: Any) -> None:
    if mathjax_source() is None:
        logger.warning(
            "offline_mathjax: the package %r is not installed; math loads MathJax from a CDN "
            "and shows raw TeX without a network (pip install -e '.[docs]')", DISTRIBUTION)
        return
    config.mathjax_path = f"{TARGET}/{SCRIPT}"  # relative paths are taken under _static/


def _copy_tree(src: Path, dst: Path) -> None:
    if src.is_file():
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            shutil.copyfile(src, dst)
        return
    for path in src.rglob("*"):
        if path.is_file():
            _copy_tree(path, dst / path.relative_to(src))


def _build_finished(app: Any, exception: BaseException | None) -> None:
    src = mathjax_source()
    if exception is not None or src is None or app.builder.format != "html":
        return
    dst = Path(app.outdir) / "_static" / TARGET
    for part in _PARTS:
        _copy_tree(src / part, dst / part)
    licence = src.parent / "LICENSE"
    if licence.is_file():
        _copy_tree(licence, dst / "LICENSE")


def setup(app: Any) -> dict[str, Any]:
    app.setup_extension("sphinx.ext.mathjax")
    app.connect("config-inited", _config_inited)
    app.connect("build-finished", _build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
