"""Sphinx configuration for divlab.

Build (what CI runs; warnings are errors)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The package is imported from the repository root (``sys.path`` below), so the docs build
against the working tree even when divlab is not installed. Local extensions live in
``docs/_ext``: ``fdiv_table`` (the f-divergence table generated from the registry),
``toc_order`` (ordered toctrees with optional entries), ``bench_tables`` (renders the
committed ``docs/benchmarks-*.md``) and ``api_entries`` (API entries that defer to the topic
pages and skip modules not written yet).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")
# examples can read this to pick small problem sizes while the gallery is built
os.environ.setdefault("DIVLAB_DOCS_BUILD", "1")

import divlab  # after the sys.path insert (E402 is ignored for docs/)

project = "divlab"
author = "the divlab developers"
copyright = "2026, the divlab developers"
release = divlab.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "fdiv_table",
    "toc_order",
    "bench_tables",
    "api_entries",
]

source_suffix = {".rst": "restructuredtext"}
smartquotes = False  # keep --options and quotes literal in prose
root_doc = "index"
exclude_patterns = [
    "_build",
    "_ext",
    "Thumbs.db",
    ".DS_Store",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.json",
]
templates_path: list[str] = []

# -- autodoc / numpydoc ---------------------------------------------------------------
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # numpydoc's Parameters section carries the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True

# -- sphinx-gallery -------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # only examples/plot_*.py are executed
    "ignore_pattern": r"(__init__|/_[^/]*)\.py$",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "min_reported_time": 1,
    "show_signature": False,
    "capture_repr": ("_repr_html_", "__repr__"),
}

# -- HTML -----------------------------------------------------------------------------
try:
    import pydata_sphinx_theme  # noqa: F401

    html_theme = "pydata_sphinx_theme"
    html_theme_options = {
        "navigation_with_keys": False,
        "show_toc_level": 2,
        "secondary_sidebar_items": ["page-toc"],
    }
except ImportError:  # pragma: no cover - theme is in the [docs] extra
    html_theme = "alabaster"
html_title = f"divlab {release}"
html_static_path: list[str] = []
html_show_sourcelink = False

# MathJax: \operatorname etc. are built in; a few shorthands used across the pages.
mathjax3_config = {
    "tex": {
        "macros": {
            "KL": r"\operatorname{KL}",
            "JS": r"\operatorname{JS}",
            "dom": r"\operatorname{dom}",
        }
    }
}
